/*
 * ide-opal-hd: the media view of the Locking SP
 *
 * The data path must not walk SP tables for every read and write: when the
 * Locking SP changes, the transport asks for an OpalMediaMap, a snapshot of
 * what the media gate needs - the medium cut into extents, each belonging to
 * one locking range (the global range fills the gaps, Opal SSC 2.02, 4.3.5.2),
 * with that range's effective locks and media key, and the size of the
 * shadowed MBR area.  Lookups are binary searches over at most 2 * ranges + 1
 * extents.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

struct OpalMediaMap {
    uint64_t nb_blocks;
    uint64_t shadow_blocks;
    size_t n;
    OpalMediaExtent *extents;   /* sorted by start, covering [0, nb_blocks) */
    unsigned nr_keys;           /* global range + nr_ranges */
    /* nr_keys * OPAL_MEDIA_KEY_LEN, by range number */
    uint8_t *keys;
};

static bool cell_set(const OpalRow *row, uint32_t column)
{
    uint64_t v = 0;

    return opal_row_get_uint(row, column, &v) && v;
}

/*
 * Range number of a Locking table row: 0 for the global range, n for
 * Locking_RangeN.
 */
unsigned opal_range_number(const OpalRow *row)
{
    return row->uid == OPAL_UID_LOCKING_GLOBALRANGE ? 0 :
           (unsigned)(row->uid - OPAL_UID_LOCKING_RANGE(0));
}

static OpalMediaExtent extent_of(const OpalSP *sp, const OpalRow *row,
                                 bool active, uint64_t start, uint64_t end)
{
    /*
     * A range whose key is still wrapped (secrets.c) has nothing to read or
     * write with; Set refuses to unlock it, and this keeps it locked anyway.
     */
    bool keyless = !opal_range_key_known(sp, row);

    /*
     * Core 5.7.2.2.7-10: a range is locked for reads when ReadLockEnabled and
     * ReadLocked are both True (likewise for writes).  A Manufactured-Inactive
     * Locking SP locks nothing (Opal 5.1.1).
     */
    return (OpalMediaExtent){
        .start = start,
        .end = end,
        .range = opal_range_number(row),
        .read_locked =
            keyless ||
            (active && cell_set(row, OPAL_COL_LOCKING_READ_LOCK_ENABLED) &&
             cell_set(row, OPAL_COL_LOCKING_READ_LOCKED)),
        .write_locked =
            keyless ||
            (active && cell_set(row, OPAL_COL_LOCKING_WRITE_LOCK_ENABLED) &&
             cell_set(row, OPAL_COL_LOCKING_WRITE_LOCKED)),
    };
}

static gint compare_start(gconstpointer a, gconstpointer b)
{
    const OpalMediaExtent *x = a, *y = b;

    return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * The range's media key: the Key of the K_AES_256 object its ActiveKey names.
 */
static void copy_key(const OpalSP *sp, const OpalRow *range, uint8_t *out)
{
    const OpalRow *key_row;
    const uint8_t *key;
    uint64_t key_uid;
    size_t len;

    key_row = opal_row_get_uid(range, OPAL_COL_LOCKING_ACTIVE_KEY, &key_uid) ?
              opal_sp_row(sp, key_uid) : NULL;
    if (key_row &&
        opal_row_get_bytes(key_row, OPAL_COL_K_AES_KEY, &key, &len) &&
        len == OPAL_MEDIA_KEY_LEN) {
        memcpy(out, key, OPAL_MEDIA_KEY_LEN);
    }
    /*
     * else still wrapped: @out stays zero, and extent_of() keeps the range
     * locked
     */
}

OpalMediaMap *opal_media_map_new(const OpalTPer *live)
{
    OpalTPer view;
    /* The media change at a transaction's commit, not before. */
    const OpalTPer *tper = opal_committed(live, &view);
    const OpalSP *sp = tper->locking_sp;
    const OpalTable *ranges = opal_sp_table(sp, OPAL_UID_TABLE_LOCKING);
    const OpalRow *global = opal_sp_row(sp, OPAL_UID_LOCKING_GLOBALRANGE);
    const OpalRow *mbr = opal_sp_row(sp, OPAL_UID_MBRCONTROL_OBJ);
    bool active = opal_locking_sp_active(tper);
    OpalMediaMap *map = g_new0(OpalMediaMap, 1);
    g_autoptr(GArray) bounded =
        g_array_new(false, false, sizeof(OpalMediaExtent));
    GArray *all = g_array_new(false, false, sizeof(OpalMediaExtent));
    uint64_t pos = 0;

    map->nb_blocks = tper->config.nb_blocks;
    map->nr_keys = ranges->rows->len;
    map->keys = g_malloc0((size_t)map->nr_keys * OPAL_MEDIA_KEY_LEN);

    for (guint i = 0; i < ranges->rows->len; i++) {
        const OpalRow *r = g_ptr_array_index(ranges->rows, i);
        uint64_t start = 0, length = 0;
        unsigned n = opal_range_number(r);

        g_assert(n < map->nr_keys);
        copy_key(sp, r, map->keys + (size_t)n * OPAL_MEDIA_KEY_LEN);
        if (r == global) {
            continue;
        }
        opal_row_get_uint(r, OPAL_COL_LOCKING_RANGE_START, &start);
        opal_row_get_uint(r, OPAL_COL_LOCKING_RANGE_LENGTH, &length);
        if (length) {
            OpalMediaExtent e = extent_of(sp, r, active, start, start + length);

            g_array_append_val(bounded, e);
        }
    }
    /*
     * Set refuses overlaps and bounds past the medium (locking.c): sort, then
     * fill gaps.
     */
    g_array_sort(bounded, compare_start);
    for (guint i = 0; i <= bounded->len; i++) {
        uint64_t next = i < bounded->len ?
                            g_array_index(bounded, OpalMediaExtent, i).start :
                            map->nb_blocks;

        if (next > pos) {
            OpalMediaExtent gap = extent_of(sp, global, active, pos, next);

            g_array_append_val(all, gap);
        }
        if (i < bounded->len) {
            g_array_append_val(all, g_array_index(bounded, OpalMediaExtent, i));
            pos = g_array_index(bounded, OpalMediaExtent, i).end;
        }
    }
    map->n = all->len;
    map->extents = (OpalMediaExtent *)g_array_free(all, false);

    /*
     * Opal 4.3.5.3: the MBR table shadows LBA 0 on while Enable is True and
     * Done False.
     */
    if (active && cell_set(mbr, OPAL_COL_MBRCONTROL_ENABLE) &&
        !cell_set(mbr, OPAL_COL_MBRCONTROL_DONE)) {
        const OpalTable *table = opal_sp_table(sp, OPAL_UID_TABLE_MBR);

        map->shadow_blocks =
            MIN(table->byte_size / tper->config.logical_block_size,
                map->nb_blocks);
    }
    return map;
}

void opal_media_map_free(OpalMediaMap *map)
{
    if (map) {
        opal_secret_free(map->keys, (size_t)map->nr_keys * OPAL_MEDIA_KEY_LEN);
        g_free(map->extents);
        g_free(map);
    }
}

const OpalMediaExtent *opal_media_lookup(const OpalMediaMap *map, uint64_t lba)
{
    size_t lo = 0, hi = map->n;

    if (lba >= map->nb_blocks) {
        return NULL;
    }
    /* The last extent whose start is <= lba. */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;

        if (map->extents[mid].start <= lba) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return &map->extents[lo];
}

OpalMediaVerdict opal_media_check(const OpalMediaMap *map, uint64_t lba,
                                  uint64_t count, bool write)
{
    uint64_t end = lba + count;

    if (count == 0) {
        return OPAL_MEDIA_OK;
    }
    if (lba >= map->nb_blocks || count > map->nb_blocks - lba) {
        return OPAL_MEDIA_OUT_OF_RANGE;
    }
    if (lba < map->shadow_blocks) {
        /*
         * Opal 4.3.5.3: the shadowed area is read-only and reads ignore the
         * ranges' locks.
         */
        if (write) {
            return OPAL_MEDIA_SHADOWED;
        }
        lba = MIN(end, map->shadow_blocks);
    }
    for (const OpalMediaExtent *e = lba < end ? opal_media_lookup(map, lba) :
                                                NULL;
         e && e->start < end; e++) {
        if (write ? e->write_locked : e->read_locked) {
            return write ? OPAL_MEDIA_WRITE_LOCKED : OPAL_MEDIA_READ_LOCKED;
        }
        if (e == &map->extents[map->n - 1]) {
            break;
        }
    }
    return OPAL_MEDIA_OK;
}

uint64_t opal_media_shadow_blocks(const OpalMediaMap *map)
{
    return map->shadow_blocks;
}

const uint8_t *opal_media_key(const OpalMediaMap *map, unsigned range)
{
    g_assert(range < map->nr_keys);
    return map->keys + (size_t)range * OPAL_MEDIA_KEY_LEN;
}

unsigned opal_media_nr_keys(const OpalMediaMap *map)
{
    return map->nr_keys;
}

void opal_tper_mbr_read(const OpalTPer *live, uint64_t offset, uint8_t *buf,
                        size_t len)
{
    OpalTPer view;
    const OpalTPer *tper = opal_committed(live, &view);
    const OpalTable *table =
        opal_sp_table(tper->locking_sp, OPAL_UID_TABLE_MBR);

    g_assert(offset <= table->byte_size && len <= table->byte_size - offset);
    opal_table_read(table, offset, buf, len);
}

const char *opal_media_verdict_name(OpalMediaVerdict verdict)
{
    switch (verdict) {
    case OPAL_MEDIA_OK:
        return "ok";
    case OPAL_MEDIA_OUT_OF_RANGE:
        return "past the end of the medium";
    case OPAL_MEDIA_READ_LOCKED:
        return "read-locked range";
    case OPAL_MEDIA_WRITE_LOCKED:
        return "write-locked range";
    case OPAL_MEDIA_SHADOWED:
        return "write to the shadow MBR";
    }
    return "?";
}
