/*
 * ide-opal-hd: the drive's non-volatile state, kept in its own image
 *
 * A real drive keeps its Opal state (tables, PIN verifiers, wrapped keys,
 * the MBR and DataStore tables) in flash the host cannot address.  This
 * drive keeps it in a region at the end of its image that the guest never
 * sees: the capacity it reports ends where the region begins.  One image is
 * all a user needs to keep a drive.  Or, with state-drive=, the region is
 * that drive's start, and the guest sees all of its image.
 *
 * The region, at a 1 MiB boundary (all integers little-endian):
 *
 *   +0          superblock, one sector: "QEMUOPAL", u32 layout version (2),
 *               u32 CRC-32C of the sector with this field zero, then u64s:
 *               region size, slot size, MBR area offset and size, DataStore
 *               area offset and size (offsets from the region's start)
 *   +64 KiB     slot 0, slot 1 (SLOT_SIZE each): a header sector - "OPALSLOT",
 *               u32 version (2), u32 CRC-32C of the header, u64 generation,
 *               u32 state length, u32 journal length, u32 CRC-32C of the
 *               payload - and the payload after it: the engine's state with
 *               its byte tables apart (opal_tper_save_apart), then the journal
 *   MBR area    the MBR table's bytes, in place
 *   DataStore   the DataStore tables' bytes, in place: DataStore, then the
 *               additional tables Activate may ask for (DataStore2, ...),
 *               each where the one before it ends (the engine reports their
 *               writes at those offsets), datastore-size bytes in all
 *
 * An update must leave either the old state or the new one, whatever moment
 * QEMU dies at (Opal's methods are atomic, Core 3.3.9).  So every change
 * writes the slot that does not hold the newest state: payload, flush,
 * header (one sector, written last), flush - and only then the byte-table
 * writes the method made, which the slot's journal also holds: loading
 * replays the newest slot's journal, so bytes half-written in place are
 * written again.  A torn slot fails its CRC, and the other slot holds the
 * state before.  The method answers the host only after all this.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/crc32c.h"
#include "qemu/cutils.h"
#include "qemu/units.h"
#include "block/block_int.h"
#include "system/block-backend.h"
#include "ide-internal.h"
#include "opal-hd.h"
#include "trace.h"

#define REGION_ALIGN        (1 * MiB)
#define SUPERBLOCK_SIZE     (64 * KiB)
#define SLOT_SIZE           (4 * MiB)
#define AREA_ALIGN          (64 * KiB)
#define HEADER_SIZE         BDRV_SECTOR_SIZE
/* Version 2: standard CRC-32C checksums (version 1 inverted them twice). */
#define LAYOUT_VERSION      2
#define SLOT_VERSION        2

#define SUPER_MAGIC         "QEMUOPAL"
#define SLOT_MAGIC          "OPALSLOT"

/*
 * A slot holds the largest state the engine can have and the byte-table
 * writes of one method (at most one IF-SEND's data, and a zeros entry per
 * table) or of one transaction (which the engine bounds, entry headers
 * included): a save never fails for want of room.
 */
QEMU_BUILD_BUG_ON(HEADER_SIZE + OPAL_STATE_MAX_SIZE +
                  MAX_CONST(OPAL_MAX_TRANSFER, OPAL_TRANSACTION_MAX_WRITE) +
                  64 * KiB > SLOT_SIZE);

/*
 * Journal entries: u64 table UID, u64 offset, u64 length, u8 zeros?, the
 * bytes unless zeros.
 */
#define JOURNAL_ENTRY_HEADER    25

typedef struct Layout {
    uint64_t region_size;
    uint64_t slot_size;
    uint64_t mbr_offset, mbr_size;
    uint64_t datastore_offset, datastore_size;
} Layout;

struct IDEOpalState {
    BlockBackend *image;        /* the device's: the image below the filter, */
    BlockBackend *blk;          /* the state-drive */
    uint64_t start;             /* where the region begins in the image */
    Layout layout;
    uint64_t generation;        /* of the newest slot */
    GByteArray *journal;        /* byte-table writes not yet in a slot */
};

/* ---- layout -------------------------------------------------------------- */

static Layout layout_of(IDEOpalDrive *d)
{
    Layout l = { .slot_size = SLOT_SIZE };

    l.mbr_offset = SUPERBLOCK_SIZE + 2 * SLOT_SIZE;
    l.mbr_size = d->mbr_size;
    l.datastore_offset = ROUND_UP(l.mbr_offset + l.mbr_size, AREA_ALIGN);
    l.datastore_size = d->datastore_size;
    l.region_size = ROUND_UP(l.datastore_offset + l.datastore_size,
                             REGION_ALIGN);
    return l;
}

uint64_t ide_opal_state_reserved(IDEOpalDrive *d, uint64_t image_size,
                                 Error **errp)
{
    Layout l = layout_of(d);
    uint64_t start;

    if (image_size < l.region_size + REGION_ALIGN) {
        error_setg(errp, "ide-opal-hd keeps its Opal state in the last %"
                   PRIu64 " MiB of its image (mbr-size and datastore-size "
                   "set how much): the image is too small (%" PRIu64 " bytes)",
                   l.region_size / MiB, image_size);
        return 0;
    }
    start = ROUND_DOWN(image_size - l.region_size, REGION_ALIGN);
    return image_size - start;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = v >> (8 * i);
    }
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/*
 * The standard CRC-32C (initial value and final XOR all ones, as iSCSI and
 * ext4 use it) of a header sector, with its 4-byte checksum field at
 * @crc_at counted as zero.  QEMU's crc32c() applies the final XOR itself.
 */
static uint32_t header_crc(const uint8_t *header, size_t crc_at)
{
    uint8_t copy[HEADER_SIZE];

    memcpy(copy, header, HEADER_SIZE);
    memset(copy + crc_at, 0, 4);
    return crc32c(0xffffffff, copy, HEADER_SIZE);
}

static void superblock_encode(const Layout *l, uint8_t *sector)
{
    memset(sector, 0, HEADER_SIZE);
    memcpy(sector, SUPER_MAGIC, 8);
    put_le(sector + 8, LAYOUT_VERSION, 4);
    put_le(sector + 16, l->region_size, 8);
    put_le(sector + 24, l->slot_size, 8);
    put_le(sector + 32, l->mbr_offset, 8);
    put_le(sector + 40, l->mbr_size, 8);
    put_le(sector + 48, l->datastore_offset, 8);
    put_le(sector + 56, l->datastore_size, 8);
    put_le(sector + 12, header_crc(sector, 12), 4);
}

/*
 * The image below the media filter, asked for each time: the block layer
 * may attach it anew (loadvm re-opens the filter).  Under the graph lock.
 */
static BdrvChild *region_file(IDEOpalState *st)
{
    return blk_bs(st->image)->file;
}

/* ---- I/O on the region --------------------------------------------------- */

static int region_pread(IDEOpalState *st, uint64_t offset, void *buf,
                        uint64_t len)
{
    if (st->blk) {
        return blk_pread(st->blk, st->start + offset, len, buf, 0);
    }
    GRAPH_RDLOCK_GUARD_MAINLOOP();
    return bdrv_pread(region_file(st), st->start + offset, len, buf, 0);
}

static int region_pwrite(IDEOpalState *st, uint64_t offset, const void *buf,
                         uint64_t len)
{
    if (st->blk) {
        return blk_pwrite(st->blk, st->start + offset, len, buf, 0);
    }
    GRAPH_RDLOCK_GUARD_MAINLOOP();
    return bdrv_pwrite(region_file(st), st->start + offset, len, buf, 0);
}

static int region_zero(IDEOpalState *st, uint64_t offset, uint64_t len)
{
    if (st->blk) {
        return blk_pwrite_zeroes(st->blk, st->start + offset, len,
                                 BDRV_REQ_MAY_UNMAP);
    }
    GRAPH_RDLOCK_GUARD_MAINLOOP();
    return bdrv_pwrite_zeroes(region_file(st), st->start + offset, len,
                              BDRV_REQ_MAY_UNMAP);
}

static int region_flush(IDEOpalState *st)
{
    if (st->blk) {
        return blk_flush(st->blk);
    }
    GRAPH_RDLOCK_GUARD_MAINLOOP();
    return bdrv_flush(region_file(st)->bs);
}

/*
 * The same from a coroutine: a save runs as one (opal-engine.c), so that
 * the main loop goes on while its writes and flushes are in flight.
 */
static int coroutine_fn region_co_pwrite(IDEOpalState *st, uint64_t offset,
                                         const void *buf, uint64_t len)
{
    if (st->blk) {
        return blk_co_pwrite(st->blk, st->start + offset, len, buf, 0);
    }
    GRAPH_RDLOCK_GUARD();
    return bdrv_co_pwrite(region_file(st), st->start + offset, len, buf, 0);
}

static int coroutine_fn region_co_zero(IDEOpalState *st, uint64_t offset,
                                       uint64_t len)
{
    if (st->blk) {
        return blk_co_pwrite_zeroes(st->blk, st->start + offset, len,
                                    BDRV_REQ_MAY_UNMAP);
    }
    GRAPH_RDLOCK_GUARD();
    return bdrv_co_pwrite_zeroes(region_file(st), st->start + offset, len,
                                 BDRV_REQ_MAY_UNMAP);
}

static int coroutine_fn region_co_flush(IDEOpalState *st)
{
    if (st->blk) {
        return blk_co_flush(st->blk);
    }
    GRAPH_RDLOCK_GUARD();
    return bdrv_co_flush(region_file(st)->bs);
}

/* Runs @fn(@opaque) in a coroutine and waits for it: main loop only. */
typedef int coroutine_fn RegionCoFn(void *opaque);

typedef struct RegionSync {
    RegionCoFn *fn;
    void *opaque;
    int ret;
    bool done;
} RegionSync;

static void coroutine_fn region_sync_entry(void *opaque)
{
    RegionSync *rs = opaque;

    rs->ret = rs->fn(rs->opaque);
    rs->done = true;
    aio_wait_kick();
}

static int region_run_sync(RegionCoFn *fn, void *opaque)
{
    RegionSync rs = { .fn = fn, .opaque = opaque };

    qemu_coroutine_enter(qemu_coroutine_create(region_sync_entry, &rs));
    AIO_WAIT_WHILE(NULL, !rs.done);
    return rs.ret;
}

/* Whether the whole region reads as zeros: a region no drive has used yet. */
static bool region_is_zero(IDEOpalState *st, Error **errp)
{
    g_autofree uint8_t *buf = g_malloc(1 * MiB);
    uint64_t offset = 0;

    while (offset < st->layout.region_size) {
        uint64_t len = MIN(1 * MiB, st->layout.region_size - offset);
        int64_t pnum;
        int ret;

        {
            GRAPH_RDLOCK_GUARD_MAINLOOP();
            ret = bdrv_block_status_above(st->blk ? blk_bs(st->blk)
                                                  : region_file(st)->bs, NULL,
                                          st->start + offset, len, &pnum,
                                          NULL, NULL);
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret,
                             "cannot read the image's Opal state region");
            return false;
        }
        if (!(ret & BDRV_BLOCK_ZERO)) {
            len = MIN(len, (uint64_t)pnum);
            ret = region_pread(st, offset, buf, len);
            if (ret < 0) {
                error_setg_errno(errp, -ret,
                                 "cannot read the image's Opal state region");
                return false;
            }
            if (!buffer_is_zero(buf, len)) {
                return false;
            }
        } else {
            len = pnum;
        }
        offset += len;
    }
    return true;
}

/* ---- the journal of byte-table writes ------------------------------------ */

static bool area_of(IDEOpalState *st, uint64_t table_uid, uint64_t *offset,
                    uint64_t *size)
{
    switch (table_uid) {
    case OPAL_TABLE_UID_MBR:
        *offset = st->layout.mbr_offset;
        *size = st->layout.mbr_size;
        return true;
    case OPAL_TABLE_UID_DATASTORE:
        *offset = st->layout.datastore_offset;
        *size = st->layout.datastore_size;
        return true;
    default:
        return false;
    }
}

void ide_opal_state_byte_written(void *opaque, uint64_t table_uid,
                                 uint64_t offset, const uint8_t *data,
                                 uint64_t len)
{
    IDEOpalDrive *d = opaque;
    uint8_t header[JOURNAL_ENTRY_HEADER];

    put_le(header, table_uid, 8);
    put_le(header + 8, offset, 8);
    put_le(header + 16, len, 8);
    header[24] = !data;
    g_byte_array_append(d->state->journal, header, sizeof(header));
    if (data) {
        g_byte_array_append(d->state->journal, data, len);
    }
}

/*
 * Writes the journal's entries in place.  Loading replays a slot's journal,
 * which came from a running drive, but a corrupted image could hold anything
 * that passed the CRC: every entry is checked against its area.
 */
static int coroutine_fn journal_co_apply(IDEOpalState *st, const uint8_t *j,
                                         size_t len, Error **errp)
{
    size_t pos = 0;

    while (pos < len) {
        uint64_t table, offset, bytes, area, area_size;
        bool zeros;
        int ret;

        if (len - pos < JOURNAL_ENTRY_HEADER) {
            goto bad;
        }
        table = get_le(j + pos, 8);
        offset = get_le(j + pos + 8, 8);
        bytes = get_le(j + pos + 16, 8);
        zeros = j[pos + 24];
        pos += JOURNAL_ENTRY_HEADER;
        if (!area_of(st, table, &area, &area_size) || offset > area_size ||
            bytes > area_size - offset || (!zeros && bytes > len - pos)) {
            goto bad;
        }
        ret = zeros ? region_co_zero(st, area + offset, bytes)
                    : region_co_pwrite(st, area + offset, j + pos, bytes);
        if (ret < 0) {
            error_setg_errno(errp, -ret,
                             "cannot write the MBR or DataStore table");
            return ret;
        }
        pos += zeros ? 0 : bytes;
    }
    return 0;
bad:
    error_setg(errp, "the Opal state's journal is malformed");
    return -EINVAL;
}

/* ---- saving -------------------------------------------------------------- */

static uint64_t slot_offset(const IDEOpalState *st, uint64_t generation)
{
    return SUPERBLOCK_SIZE + (generation % 2) * st->layout.slot_size;
}

/*
 * The next slot's contents, taken from the TPer by whoever holds it (the
 * drive's thread during a TRUSTED SEND, opal-engine.c), written later by a
 * coroutine in the main loop.  It takes the journal: the writes it holds
 * are this slot's.
 */
struct IDEOpalSlotWrite {
    IDEOpalDrive *d;
    uint64_t generation;
    GByteArray *payload;        /* the TPer's state, then the journal */
    size_t journal_offset;
    uint8_t header[HEADER_SIZE];
    Error *err;
};

IDEOpalSlotWrite *ide_opal_state_prepare(IDEOpalDrive *d)
{
    IDEOpalState *st = d->state;
    IDEOpalSlotWrite *w = g_new0(IDEOpalSlotWrite, 1);
    g_autofree uint8_t *state = NULL;
    size_t state_len;

    w->d = d;
    w->generation = st->generation + 1;
    state = opal_tper_save_apart(d->tper, &state_len);
    w->payload = g_byte_array_sized_new(state_len + st->journal->len);
    g_byte_array_append(w->payload, state, state_len);
    g_byte_array_append(w->payload, st->journal->data, st->journal->len);
    w->journal_offset = state_len;
    /*
     * Whatever becomes of this save, the journal starts afresh: were it
     * kept after a failure, every later save would copy it again, and it
     * would grow with every byte-table write.  The method that made these
     * writes fails if the save does.
     */
    g_byte_array_set_size(st->journal, 0);

    memcpy(w->header, SLOT_MAGIC, 8);
    put_le(w->header + 8, SLOT_VERSION, 4);
    put_le(w->header + 16, w->generation, 8);
    put_le(w->header + 24, state_len, 4);
    put_le(w->header + 28, w->payload->len - state_len, 4);
    put_le(w->header + 32,
           crc32c(0xffffffff, w->payload->data, w->payload->len), 4);
    put_le(w->header + 12, header_crc(w->header, 12), 4);
    return w;
}

void ide_opal_slot_write_free(IDEOpalSlotWrite *w)
{
    if (w) {
        g_byte_array_unref(w->payload);
        error_free(w->err);
        g_free(w);
    }
}

/*
 * Payload, then the header that makes it the newest state, each made
 * durable; only then the byte-table writes in place (the next save's first
 * flush makes those durable before it counts).
 */
int coroutine_fn ide_opal_state_co_write(IDEOpalSlotWrite *w)
{
    IDEOpalDrive *d = w->d;
    IDEOpalState *st = d->state;
    uint64_t slot = slot_offset(st, w->generation);
    int ret;

    if (HEADER_SIZE + w->payload->len > st->layout.slot_size) {
        /* Cells and methods are bounded so that this cannot happen. */
        error_setg(&w->err, "the Opal state (%u bytes) does not fit its "
                   "%" PRIu64 " byte slot", w->payload->len,
                   st->layout.slot_size);
        return -ENOSPC;
    }
    ret = region_co_pwrite(st, slot + HEADER_SIZE, w->payload->data,
                           w->payload->len);
    if (ret >= 0) {
        ret = region_co_flush(st);
    }
    if (ret >= 0) {
        ret = region_co_pwrite(st, slot, w->header, sizeof(w->header));
    }
    if (ret >= 0) {
        ret = region_co_flush(st);
    }
    if (ret < 0) {
        error_setg_errno(&w->err, -ret,
                         "cannot write the Opal state to the image");
        return ret;
    }
    st->generation = w->generation;
    trace_ide_opal_state_saved(d, w->generation, w->generation % 2,
                               w->payload->len);
    return journal_co_apply(st, w->payload->data + w->journal_offset,
                            w->payload->len - w->journal_offset, &w->err);
}

static int coroutine_fn slot_co_write_entry(void *opaque)
{
    return ide_opal_state_co_write(opaque);
}

bool ide_opal_state_save(IDEOpalDrive *d, Error **errp)
{
    IDEOpalSlotWrite *w = ide_opal_state_prepare(d);
    bool ok = region_run_sync(slot_co_write_entry, w) >= 0;

    if (!ok) {
        error_propagate(errp, g_steal_pointer(&w->err));
    }
    ide_opal_slot_write_free(w);
    return ok;
}

const Error *ide_opal_slot_write_error(const IDEOpalSlotWrite *w)
{
    return w->err;
}

/* ---- loading ------------------------------------------------------------- */

typedef struct Slot {
    uint64_t generation;        /* 0: not a valid slot */
    GByteArray *payload;
    uint32_t state_len;
} Slot;

/* Reads slot @n; false with @errp set only if the image cannot be read. */
static bool slot_read(IDEOpalState *st, unsigned n, Slot *slot, bool *blank,
                      Error **errp)
{
    uint64_t off = SUPERBLOCK_SIZE + n * st->layout.slot_size;
    uint8_t header[HEADER_SIZE];
    uint32_t state_len, journal_len;
    int ret = region_pread(st, off, header, sizeof(header));

    *slot = (Slot) { 0 };
    if (ret < 0) {
        error_setg_errno(errp, -ret, "cannot read the image's Opal state");
        return false;
    }
    *blank = buffer_is_zero(header, sizeof(header));
    state_len = get_le(header + 24, 4);
    journal_len = get_le(header + 28, 4);
    if (memcmp(header, SLOT_MAGIC, 8) ||
        get_le(header + 8, 4) != SLOT_VERSION ||
        get_le(header + 12, 4) != header_crc(header, 12) ||
        (uint64_t)state_len + journal_len >
            st->layout.slot_size - HEADER_SIZE) {
        return true;
    }
    slot->payload = g_byte_array_sized_new(state_len + journal_len);
    g_byte_array_set_size(slot->payload, state_len + journal_len);
    ret = region_pread(st, off + HEADER_SIZE, slot->payload->data,
                       slot->payload->len);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "cannot read the image's Opal state");
        g_byte_array_unref(slot->payload);
        slot->payload = NULL;
        return false;
    }
    if (crc32c(0xffffffff, slot->payload->data, slot->payload->len) ==
        get_le(header + 32, 4)) {
        slot->generation = get_le(header + 16, 8);
        slot->state_len = state_len;
    }
    return true;
}

static bool read_chunk(void *opaque, uint64_t table_uid, uint64_t offset,
                       uint8_t *buf, size_t len)
{
    IDEOpalState *st = opaque;
    uint64_t area, size;

    return area_of(st, table_uid, &area, &size) && offset + len <= size &&
           region_pread(st, area + offset, buf, len) >= 0;
}

/*
 * A region for this drive: zeros, a superblock, then the factory state in
 * slot 0.
 */
static bool format(IDEOpalDrive *d, Error **errp)
{
    IDEOpalState *st = d->state;
    uint8_t sector[HEADER_SIZE];
    int ret = region_zero(st, 0, st->layout.region_size);

    superblock_encode(&st->layout, sector);
    if (ret >= 0) {
        ret = region_flush(st);
    }
    if (ret >= 0) {
        ret = region_pwrite(st, 0, sector, sizeof(sector));
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret,
                         "cannot lay out the Opal state region in the image");
        return false;
    }
    trace_ide_opal_state_formatted(d, st->start, st->layout.region_size);
    st->generation = 0;
    return ide_opal_state_save(d, errp);
}

typedef struct Replay {
    IDEOpalState *st;
    const Slot *slot;
    Error **errp;
} Replay;

static int coroutine_fn replay_co_entry(void *opaque)
{
    Replay *r = opaque;

    return journal_co_apply(r->st, r->slot->payload->data + r->slot->state_len,
                            r->slot->payload->len - r->slot->state_len,
                            r->errp);
}

/* Bytes of the slot's journal, half-written in place or not, written again. */
static int replay_journal(IDEOpalState *st, const Slot *slot, Error **errp)
{
    Replay r = { .st = st, .slot = slot, .errp = errp };

    return region_run_sync(replay_co_entry, &r);
}

/*
 * The newest valid slot's state onto the TPer; false with @errp if there is
 * none.
 */
static bool load(IDEOpalDrive *d, bool *blank, Error **errp)
{
    IDEOpalState *st = d->state;
    Slot slots[2];
    bool blank0, blank1;
    Slot *newest;
    g_autofree char *why = NULL;
    bool ok = false;

    if (!slot_read(st, 0, &slots[0], &blank0, errp)) {
        return false;
    }
    if (!slot_read(st, 1, &slots[1], &blank1, errp)) {
        g_clear_pointer(&slots[0].payload, g_byte_array_unref);
        return false;
    }
    *blank = blank0 && blank1;
    newest = slots[1].generation > slots[0].generation ? &slots[1] : &slots[0];
    if (!newest->generation) {
        if (!*blank) {
            error_setg(errp, "both copies of the drive's Opal state in the "
                       "image are corrupted; reformat-state=on starts the "
                       "drive afresh (its data is lost)");
        }
    } else if (replay_journal(st, newest, errp) >= 0 &&
               region_flush(st) >= 0) {
        ok = opal_tper_load_apart(d->tper, newest->payload->data,
                                  newest->state_len, read_chunk, st, &why);
        if (!ok) {
            error_setg(errp, "the drive's Opal state in the image cannot be "
                       "loaded: %s; reformat-state=on starts the drive afresh "
                       "(its data is lost)", why);
        } else {
            st->generation = newest->generation;
            trace_ide_opal_state_loaded(d, newest->generation,
                                        newest == &slots[1]);
        }
    }
    g_clear_pointer(&slots[0].payload, g_byte_array_unref);
    g_clear_pointer(&slots[1].payload, g_byte_array_unref);
    return ok;
}

/*
 * Where an image that has grown keeps its region: the offset of a superblock
 * for this layout at a 1 MiB boundary below the region's place, or 0 if none.
 * A drive whose image grew finds only zeros where its region should be; it
 * must not start as a new drive, which would leave the old state, and the
 * data under its keys, behind as disk data the guest can overwrite.
 */
static uint64_t find_moved_region(IDEOpalState *st, const uint8_t *expected)
{
    uint8_t sector[HEADER_SIZE];

    GRAPH_RDLOCK_GUARD_MAINLOOP();
    for (uint64_t at = st->start; at >= REGION_ALIGN; at -= REGION_ALIGN) {
        int64_t pnum;
        int ret = bdrv_block_status_above(region_file(st)->bs, NULL,
                                          at - REGION_ALIGN,
                                          HEADER_SIZE, &pnum, NULL, NULL);

        if (ret >= 0 && !(ret & BDRV_BLOCK_ZERO) &&
            bdrv_pread(region_file(st), at - REGION_ALIGN, HEADER_SIZE,
                       sector, 0) >= 0 &&
            !memcmp(sector, expected, HEADER_SIZE)) {
            return at - REGION_ALIGN;
        }
    }
    return 0;
}

static void foreign_data(IDEOpalState *st, Error **errp)
{
    if (st->blk) {
        error_setg(errp, "the state-drive holds other data; "
                   "reformat-state=on overwrites it");
        return;
    }
    error_setg(errp, "the last %" PRIu64 " MiB of the image, where "
               "ide-opal-hd keeps its Opal state, hold other data; "
               "reformat-state=on overwrites them",
               st->layout.region_size / MiB);
    error_append_hint(errp, "A drive whose mbr-size or datastore-size "
                      "changed, or whose image was resized, looks for its "
                      "state elsewhere.\n");
}

void ide_opal_state_attach(IDEOpalDrive *d, uint64_t start)
{
    IDEOpalState *st = g_new0(IDEOpalState, 1);

    d->state = st;
    st->blk = d->state_blk;
    st->image = st->blk ? NULL : d->parent_obj.dev.conf.blk;
    st->start = st->blk ? 0 : start;
    st->layout = layout_of(d);
    st->journal = g_byte_array_new();
}

uint64_t ide_opal_state_generation(IDEOpalDrive *d)
{
    return d->state->generation;
}

void ide_opal_state_set_generation(IDEOpalDrive *d, uint64_t generation)
{
    d->state->generation = generation;
}

bool ide_opal_state_open(IDEOpalDrive *d, uint64_t start, Error **errp)
{
    ERRP_GUARD();
    uint8_t sector[HEADER_SIZE], expected[HEADER_SIZE];
    IDEOpalState *st;
    bool blank;
    int ret;

    ide_opal_state_attach(d, start);
    st = d->state;
    if (!blk_is_writable(st->blk ?: d->parent_obj.dev.conf.blk)) {
        error_setg(errp,
                   "ide-opal-hd keeps its Opal state in %s, which must be "
                   "writable", st->blk ? "its state-drive" : "its image");
        return false;
    }
    if (st->blk) {
        int64_t len = blk_getlength(st->blk);

        if (len < 0 || (uint64_t)len < st->layout.region_size) {
            error_setg(errp, "the state-drive must hold at least %" PRIu64
                       " MiB (with this mbr-size and datastore-size)",
                       st->layout.region_size / MiB);
            return false;
        }
    }
    superblock_encode(&st->layout, expected);
    ret = region_pread(st, 0, sector, sizeof(sector));
    if (ret < 0) {
        error_setg_errno(errp, -ret,
                         "cannot read the image's Opal state region");
        return false;
    }
    if (d->reformat_state) {
        return format(d, errp);
    }
    if (buffer_is_zero(sector, sizeof(sector))) {
        if (region_is_zero(st, errp)) {
            uint64_t moved = st->blk ? 0 : find_moved_region(st, expected);

            if (moved) {
                error_setg(errp, "the image was resized: its Opal state is "
                           "at byte %" PRIu64 ", but an image of this size "
                           "keeps it at byte %" PRIu64, moved, st->start);
                error_append_hint(errp, "Resize the image back to %" PRIu64
                                  " bytes (qemu-img resize --shrink), or "
                                  "start a factory-fresh drive with "
                                  "reformat-state=on (its data is lost).\n",
                                  moved + st->layout.region_size);
                return false;
            }
            return format(d, errp); /* a new drive, fresh from the factory */
        }
        if (!*errp) {
            foreign_data(st, errp);
        }
        return false;
    }
    if (memcmp(sector, SUPER_MAGIC, 8)) {
        foreign_data(st, errp);
        return false;
    }
    if (get_le(sector + 8, 4) != LAYOUT_VERSION) {
        error_setg(errp, "the image's Opal state was laid out by another "
                   "version of ide-opal-hd (layout version %u; this one "
                   "reads version %u); reformat-state=on starts the drive "
                   "afresh (its data is lost)",
                   (unsigned)get_le(sector + 8, 4), LAYOUT_VERSION);
        return false;
    }
    if (memcmp(sector, expected, sizeof(sector))) {
        error_setg(errp, "the image's Opal state was laid out for another "
                   "mbr-size or datastore-size (MBR %" PRIu64 " bytes, "
                   "DataStore %" PRIu64 " bytes), or the image was resized",
                   get_le(sector + 40, 8), get_le(sector + 56, 8));
        return false;
    }
    if (!load(d, &blank, errp)) {
        /* Slots never written: the region's layout was interrupted. */
        return blank && !*errp && ide_opal_state_save(d, errp);
    }
    return true;
}

void ide_opal_state_free(IDEOpalState *st)
{
    if (st) {
        g_byte_array_unref(st->journal);
        g_free(st);
    }
}
