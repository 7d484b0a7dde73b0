/*
 * ide-opal-hd: the TPer's non-volatile state as bytes
 *
 * What a real drive keeps through power loss: every cell of both SPs' tables
 * (life cycles, C_PIN rows and their Tries, ranges, ACEs, MBRControl, PIN
 * verifiers and wrapped media keys) and the written parts of the byte tables
 * (MBR, DataStore).  Sessions, queued responses, KEKs, clear media keys and the
 * Block SID state are volatile and not saved (secrets.c, comid.c); a loaded
 * drive is one that was just powered on.
 *
 * The format is versioned and self-describing, so that a newer engine can read
 * an older drive and a drive configured differently is refused by name:
 *
 *   header   "OPALSTAT", u32 format version (2), u32 0
 *   records  u8 kind, then
 *              CELL   u64 SP, u64 row, u32 column, u32 length, bytes
 *              CHUNK  u64 SP, u64 table, u64 offset, u32 length, bytes
 *              CHUNKS u64 SP, u64 table, u32 length, a bitmap: bit n (LSB
 * first) set if the table's chunk n holds data, which a store keeping the byte
 * tables apart has (opal_tper_save_apart) KEK      u64 authority, u32 length,
 * its key-encryption key SESSIONS the session layer (below), u32 length, a
 * queued response BLOCK_SID u32 length (1), u8 bit 0 SID Authentication Blocked
 *                     State, bit 1 the last Block SID command's Clear Events
 *                     held Hardware Reset; written only if either is set
 *              SUM    u32 length (9), u64 the single-user Locking objects (bit
 *                     n: object n, 0 the global range), u8
 * RangeStartRangeLength- Policy; written only in Single User Mode, first of
 * all, since it makes the rows (ACEs) and access rules that Single User Mode
 * adds, whose cells follow DATASTORES u32 length, u64 sizes: the LockingSP's
 * DataStore tables (Additional DataStore Tables, datastore.c), in order;
 * written only if they are not the factory's one table of datastore-size bytes,
 * before any cell or byte table record, since it makes the tables, rows and
 * rules those fill END (kind 0xff) closes the state; nothing may follow it
 *
 * KEK, SESSIONS and BLOCK_SID records, and cells of volatile columns (clear
 * media keys), belong to a running drive's state only (opal_tper_save_running,
 * for migration): a saved state that holds one is refused.
 *
 * A snapshot's running state (opal_tper_save_snapshot) is the same format, read
 * by the same loader, but kept in the image (qcow2 internal snapshots), where
 * anyone with the file can read it; the image must not hold what decrypts a
 * range that was locked when the snapshot was taken.  It has:  - no KEK record:
 * a KEK unwraps every key its authority holds a copy of; - no SESSIONS record:
 * an open session would let whoever loads the image
 *     act as its authorities without their PINs.  The drive resumes as after
 *     a stack reset of its one ComID (Core 3.3.4.7.5): no session, no queued
 *     response, the negotiated host properties back to their initial values,
 *     TSNs counting afresh.  Nothing else resets: no LockOnReset or DoneOnReset
 *     applies, the Block SID state stays (it ends only at a power cycle or
 *     hardware reset);
 *   - no clear key (K_AES_256 Key cell) of a range whose ReadLocked is True,
 *     nor of a key no range uses: those come back only from a PIN, or as at
 *     power-on from their public copy, if they have one (a range that comes
 *     up readable, which no PIN protects).  The clear keys of the other
 *     ranges stay, so that the restored guest still reads what it had
 *     unlocked - the snapshot's RAM holds some of that data anyway;
 *   - everything else as in the running state: the tables, the MBR and
 *     DataStore bytes, Single User Mode, the BLOCK_SID record.
 * The PIN verifiers and the keys' wrapped copies are in it too, as in the
 * non-volatile state: they are what the image holds anyway.
 *
 * New kinds of record extend the format without a new version: an engine that
 * does not know one refuses the state, with a reason, rather than drop what it
 * says (a BLOCK_SID record from a newer engine makes an older one refuse the
 * migration instead of unblocking SID), and a state without the record reads as
 * before (not blocked).
 *
 * All integers little-endian; cells hold their value's token encoding (Core
 * 3.2.2), which loading parses and type-checks like a Set.  Integrity
 * (checksums, the two-slot update) is the storage layer's business.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

#define STATE_MAGIC         "OPALSTAT"
/* 2: PINs as verifiers, media keys wrapped (1 held both in the clear). */
#define STATE_VERSION       2

enum {
    RECORD_CELL = 1,
    RECORD_CHUNK = 2,
    RECORD_CHUNKS = 3,
    RECORD_KEK = 4,
    RECORD_SESSIONS = 5,
    RECORD_BLOCK_SID = 6,
    RECORD_SUM = 7,
    RECORD_DATASTORES = 8,
    RECORD_END = 0xff,
};

/* ---- writing ------------------------------------------------------------- */

/*
 * Where a state goes: written once to count its bytes, then again into a
 * buffer of exactly that size.  A running state holds clear media keys and
 * KEKs, and a buffer that grew as it was written would leave a copy of them
 * in every block it outgrew.
 */
typedef struct StateWriter {
    uint8_t *buf;       /* NULL: only count */
    size_t len;
} StateWriter;

static void put_bytes(StateWriter *out, const void *data, size_t len)
{
    if (out->buf && len) {
        memcpy(out->buf + out->len, data, len);
    }
    out->len += len;
}

static void put_u8(StateWriter *out, uint8_t v)
{
    put_bytes(out, &v, 1);
}

static void put_le(StateWriter *out, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        put_u8(out, v >> (8 * i));
    }
}

static void put_blob(StateWriter *out, const void *data, size_t len)
{
    put_le(out, len, 4);
    put_bytes(out, data, len);
}

G_STATIC_ASSERT(OPAL_BYTE_TABLE_CHUNK == OPAL_BYTE_CHUNK);

static uint64_t nr_chunks(const OpalTable *table)
{
    return (table->byte_size + OPAL_BYTE_CHUNK - 1) / OPAL_BYTE_CHUNK;
}

/* Which chunks of a byte table hold data, for a store that keeps the bytes. */
static void save_chunk_map(const OpalSP *sp, const OpalTable *table,
                           StateWriter *out)
{
    g_autofree uint8_t *map = g_malloc0((nr_chunks(table) + 7) / 8);

    for (uint64_t n = 0; n < nr_chunks(table); n++) {
        if (table->chunks[n]) {
            map[n / 8] |= 1u << (n % 8);
        }
    }
    put_u8(out, RECORD_CHUNKS);
    put_le(out, sp->uid, 8);
    put_le(out, table->def->uid, 8);
    put_blob(out, map, (nr_chunks(table) + 7) / 8);
}

typedef enum SaveMode {
    SAVE_ALL,           /* the non-volatile state */
    SAVE_APART,         /* the same, byte tables as chunk maps */
    SAVE_RUNNING,       /* everything, volatile state included (migration) */
    SAVE_SNAPSHOT,      /* what of that the image may keep (savevm) */
    /* the running state less the session layer (transactions) */
    SAVE_COPY,
} SaveMode;

/*
 * Whether cell @column of @row goes into the state.  A snapshot keeps of the
 * volatile cells only the clear keys of ranges that are not read-locked; any
 * other volatile column is left out as well, until someone shows it is no
 * secret.
 */
static bool cell_saved(const OpalSP *sp, const OpalRow *row,
                       const OpalColumn *col, SaveMode mode)
{
    if (!(col->flags & OPAL_COL_VOLATILE) || mode == SAVE_RUNNING ||
        mode == SAVE_COPY) {
        return true;
    }
    return mode == SAVE_SNAPSHOT && row->def == &opal_tdef_k_aes_256 &&
           opal_secrets_snapshot_keeps(sp, row);
}

static void save_sp(const OpalSP *sp, SaveMode mode, StateWriter *out)
{
    bool apart = mode == SAVE_APART;

    for (guint t = 0; t < sp->tables->len; t++) {
        const OpalTable *table = g_ptr_array_index(sp->tables, t);

        if (table->def->kind == OPAL_TABLE_BYTE && apart) {
            save_chunk_map(sp, table, out);
            continue;
        }
        if (table->def->kind == OPAL_TABLE_BYTE) {
            for (uint64_t off = 0; off < table->byte_size;
                 off += OPAL_BYTE_CHUNK) {
                const uint8_t *chunk = table->chunks[off / OPAL_BYTE_CHUNK];

                if (chunk) {
                    put_u8(out, RECORD_CHUNK);
                    put_le(out, sp->uid, 8);
                    put_le(out, table->def->uid, 8);
                    put_le(out, off, 8);
                    put_blob(out, chunk,
                             MIN(OPAL_BYTE_CHUNK, table->byte_size - off));
                }
            }
            continue;
        }
        for (guint r = 0; r < table->rows->len; r++) {
            const OpalRow *row = g_ptr_array_index(table->rows, r);

            for (uint32_t c = 0; c < OPAL_MAX_COLUMNS; c++) {
                const OpalColumn *col = opal_table_column(row->def, c);
                gsize len;
                const void *data;

                if (!row->cells[c] || !cell_saved(sp, row, col, mode)) {
                    continue;
                }
                data = g_bytes_get_data(row->cells[c], &len);
                put_u8(out, RECORD_CELL);
                put_le(out, sp->uid, 8);
                put_le(out, row->uid, 8);
                put_le(out, c, 4);
                put_blob(out, data, len);
            }
        }
    }
}

/*
 * The session layer: u32 last TSN, u32 ComID request, u32 count and the
 * negotiated host properties, u32 count and the sessions - u32 TSN (0: free),
 * u32 HSN, u64 SP, u8 write, u8 end after response, u32 count and the
 * authenticated authorities (u64), i64 timeout, i64 last activity (ms) -
 * then the queued response as a blob (length 0: none).
 */
static void save_sessions(const OpalTPer *tper, StateWriter *out)
{
    put_u8(out, RECORD_SESSIONS);
    put_le(out, tper->last_tsn, 4);
    put_le(out, tper->comid_request, 4);
    put_le(out, OPAL_HP__COUNT, 4);
    for (int i = 0; i < OPAL_HP__COUNT; i++) {
        put_le(out, tper->host_properties[i], 4);
    }
    put_le(out, OPAL_MAX_SESSIONS, 4);
    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        const OpalSession *s = &tper->sessions[i];

        put_le(out, s->tsn, 4);
        put_le(out, s->hsn, 4);
        put_le(out, s->sp_uid, 8);
        put_u8(out, s->write);
        put_u8(out, s->end_after_response);
        put_le(out, s->auth.n, 4);
        for (size_t a = 0; a < s->auth.n; a++) {
            put_le(out, s->auth.uids[a], 8);
        }
        put_le(out, s->timeout_ms, 8);
        put_le(out, s->last_activity_ms, 8);
    }
    put_blob(out, tper->response ? tper->response->data : NULL,
             tper->response ? tper->response->len : 0);
}

/* Block SID's volatile state: BLOCK_SID_* bits, as a one-byte blob. */
#define BLOCK_SID_BLOCKED       0x01
#define BLOCK_SID_HW_RESET      0x02

static void save_block_sid(const OpalTPer *tper, StateWriter *out)
{
    uint8_t flags =
        (tper->sid_blocked ? BLOCK_SID_BLOCKED : 0) |
        (tper->sid_block_clear_events & OPAL_BLOCK_SID_CLEAR_HW_RESET ?
             BLOCK_SID_HW_RESET :
             0);

    if (flags) {
        /*
         * Only then: a drive never blocked saves the same bytes as before Block
         * SID.
         */
        put_u8(out, RECORD_BLOCK_SID);
        put_blob(out, &flags, 1);
    }
}

static gint compare_uid(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void save_datastores(const OpalTPer *tper, StateWriter *out)
{
    uint64_t sizes[OPAL_DATASTORE_MAX_TABLES];
    size_t n = opal_datastore_sizes(tper->locking_sp, sizes);

    if (n == 1 && sizes[0] == tper->config.datastore_size) {
        /* the factory's table: a drive saves the same bytes as before */
        return;
    }
    put_u8(out, RECORD_DATASTORES);
    put_le(out, n * 8, 4);
    for (size_t i = 0; i < n; i++) {
        put_le(out, sizes[i], 8);
    }
}

static void write_state(const OpalTPer *tper, SaveMode mode, StateWriter *out)
{
    put_bytes(out, STATE_MAGIC, 8);
    put_le(out, STATE_VERSION, 4);
    put_le(out, 0, 4);
    save_datastores(tper, out);
    if (tper->locking_sp->sum_objects) {
        /*
         * Only then: a drive not in Single User Mode saves the same bytes as
         * before.
         */
        uint8_t sum[9];

        for (int i = 0; i < 8; i++) {
            sum[i] = tper->locking_sp->sum_objects >> (8 * i);
        }
        sum[8] = tper->locking_sp->sum_admins_own_range;
        put_u8(out, RECORD_SUM);
        put_blob(out, sum, sizeof(sum));
    }
    save_sp(tper->admin_sp, mode, out);
    save_sp(tper->locking_sp, mode, out);
    if (mode == SAVE_RUNNING || mode == SAVE_COPY) {
        /* In UID order: the same state always saves to the same bytes. */
        g_autoptr(GList) uids =
            g_list_sort(g_hash_table_get_keys(tper->keks), compare_uid);

        for (GList *l = uids; l; l = l->next) {
            put_u8(out, RECORD_KEK);
            put_le(out, *(uint64_t *)l->data, 8);
            put_blob(out, g_hash_table_lookup(tper->keks, l->data),
                     OPAL_KEK_LEN);
        }
    }
    if (mode == SAVE_RUNNING) {
        save_sessions(tper, out);
    }
    if (mode == SAVE_RUNNING || mode == SAVE_SNAPSHOT) {
        save_block_sid(tper, out);
    }
    put_u8(out, RECORD_END);
}

static uint8_t *save(const OpalTPer *live, SaveMode mode, size_t *len)
{
    StateWriter count = { 0 }, out;
    OpalTPer view;
    /*
     * What a transaction changed is not the drive's until the commit: not in
     * the image, nor in a migration or a snapshot, whose drive resumes as if
     * the transaction had aborted - the session that held it has none.
     */
    const OpalTPer *tper =
        mode == SAVE_COPY ? live : opal_committed(live, &view);

    write_state(tper, mode, &count);
    out = (StateWriter) { .buf = g_malloc(count.len) };
    write_state(tper, mode, &out);
    g_assert(out.len == count.len);
    *len = out.len;
    return out.buf;
}

uint8_t *opal_tper_save(const OpalTPer *tper, size_t *len)
{
    return save(tper, SAVE_ALL, len);
}

uint8_t *opal_tper_save_apart(const OpalTPer *tper, size_t *len)
{
    return save(tper, SAVE_APART, len);
}

uint8_t *opal_tper_save_running(const OpalTPer *tper, size_t *len)
{
    return save(tper, SAVE_RUNNING, len);
}

uint8_t *opal_tper_save_snapshot(const OpalTPer *tper, size_t *len)
{
    return save(tper, SAVE_SNAPSHOT, len);
}

/* ---- reading ------------------------------------------------------------- */

typedef struct StateReader {
    const uint8_t *pos, *end;
    GString *error;
    OpalChunkReadFn *read_chunk;        /* where CHUNKS records' bytes are */
    void *read_opaque;
    bool running;       /* a running drive's state (migration) */
    bool cells_seen;    /* SUM, DATASTORES come before any cell or chunk */
    bool sum_seen;
    bool datastores_seen;
} StateReader;

static bool get_le(StateReader *r, unsigned bytes, uint64_t *v)
{
    if ((size_t)(r->end - r->pos) < bytes) {
        return false;
    }
    *v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        *v |= (uint64_t)r->pos[i] << (8 * i);
    }
    r->pos += bytes;
    return true;
}

static bool get_blob(StateReader *r, const uint8_t **data, size_t *len)
{
    uint64_t n;

    if (!get_le(r, 4, &n) || n > (size_t)(r->end - r->pos)) {
        return false;
    }
    *data = r->pos;
    *len = n;
    r->pos += n;
    return true;
}

static OpalSP *sp_of(OpalTPer *tper, uint64_t uid)
{
    return uid == OPAL_UID_ADMINSP ? tper->admin_sp :
           uid == OPAL_UID_LOCKINGSP ? tper->locking_sp : NULL;
}

/*
 * The columns secrets.c keeps hold records of their own shape; if one does
 * not, @why says how.
 */
static bool secret_cell_valid(const OpalTPer *tper, const OpalRow *row,
                              uint64_t column, const OpalValue *value,
                              GString *why)
{
    const uint8_t *bytes;
    size_t len;

    if (row->def == &opal_tdef_c_pin && column == OPAL_COL_C_PIN_VERIFIER) {
        if (!opal_value_bytes(value, &bytes, &len)) {
            g_string_append(why, "not a byte sequence");
            return false;
        }
        return opal_pin_record_valid(&tper->config, bytes, len, why);
    }
    if (row->def == &opal_tdef_k_aes_256 && column == OPAL_COL_K_AES_WRAPPED) {
        if (!opal_value_bytes(value, &bytes, &len) ||
            !opal_wrapped_keys_valid(bytes, len)) {
            g_string_append(why, "not a list of wrapped keys");
            return false;
        }
    }
    return true;
}

static bool load_cell(OpalTPer *tper, StateReader *r)
{
    g_autoptr(GArray) tokens = g_array_new(false, false, sizeof(OpalToken));
    g_autoptr(GString) why_secret = g_string_new(NULL);
    uint64_t sp_uid, row_uid, column;
    const OpalColumn *col;
    const uint8_t *data;
    const char *why;
    OpalValue value;
    OpalRow *row;
    OpalSP *sp;
    size_t len;

    if (!get_le(r, 8, &sp_uid) || !get_le(r, 8, &row_uid) ||
        !get_le(r, 4, &column) || !get_blob(r, &data, &len)) {
        g_string_append(r->error, "truncated cell record");
        return false;
    }
    sp = sp_of(tper, sp_uid);
    row = sp ? opal_sp_row(sp, row_uid) : NULL;
    if (!row) {
        g_string_append_printf(r->error,
                               "row %016" G_GINT64_MODIFIER
                               "x of SP %016" G_GINT64_MODIFIER
                               "x does not exist on this drive (is it "
                               "configured with fewer users or ranges?)",
                               row_uid, sp_uid);
        return false;
    }
    col = opal_table_column(row->def, column);
    if (!col || ((col->flags & OPAL_COL_VOLATILE) && !r->running)) {
        g_string_append_printf(
            r->error, "%s has no column %" G_GUINT64_FORMAT "%s",
            row->def->name, column,
            col ? " that is saved (a media key in the clear?)" : "");
        return false;
    }
    if (!opal_value_parse(data, len, tokens, &value, &why) ||
        !opal_column_accepts(col, &value)) {
        g_string_append_printf(r->error,
                               "%s.%s of %016" G_GINT64_MODIFIER
                               "x: not a valid value",
                               row->def->name, col->name, row_uid);
        return false;
    }
    if (!secret_cell_valid(tper, row, column, &value, why_secret)) {
        g_string_append_printf(r->error, "%s.%s of %016" G_GINT64_MODIFIER
                               "x: %s", row->def->name, col->name, row_uid,
                               why_secret->str);
        return false;
    }
    if (row->cells[column]) {
        g_bytes_unref(row->cells[column]);
    }
    row->cells[column] = opal_secret_bytes_new(data, len);
    return true;
}

static OpalTable *byte_table_of(OpalTPer *tper, StateReader *r, uint64_t sp_uid,
                                uint64_t table_uid)
{
    OpalSP *sp = sp_of(tper, sp_uid);
    OpalTable *table = sp ? opal_sp_table(sp, table_uid) : NULL;

    if (!table || table->def->kind != OPAL_TABLE_BYTE) {
        g_string_append_printf(r->error,
                               "byte table %016" G_GINT64_MODIFIER
                               "x does not exist",
                               table_uid);
        return NULL;
    }
    return table;
}

static bool load_chunk_map(OpalTPer *tper, StateReader *r)
{
    g_autofree uint8_t *buf = g_malloc(OPAL_BYTE_CHUNK);
    uint64_t sp_uid, table_uid, area_uid, place = 0;
    const uint8_t *map;
    OpalTable *table;
    size_t len;

    if (!get_le(r, 8, &sp_uid) || !get_le(r, 8, &table_uid) ||
        !get_blob(r, &map, &len)) {
        g_string_append(r->error, "truncated chunk map record");
        return false;
    }
    table = byte_table_of(tper, r, sp_uid, table_uid);
    if (!table) {
        return false;
    }
    area_uid = table_uid;
    /* DataStore tables share one area, each where the one before it ends. */
    if (sp_uid == OPAL_UID_LOCKINGSP &&
        opal_datastore_place(tper->locking_sp, table_uid, &place)) {
        area_uid = OPAL_UID_TABLE_DATASTORE;
    }
    if (len != (nr_chunks(table) + 7) / 8) {
        g_string_append_printf(r->error,
                               "%s: the chunk map is for another size (is it "
                               "configured differently?)",
                               table->def->name);
        return false;
    }
    if (!r->read_chunk) {
        g_string_append_printf(r->error,
                               "%s: its bytes are kept apart, and no store was "
                               "given to read them from",
                               table->def->name);
        return false;
    }
    for (uint64_t n = 0; n < nr_chunks(table); n++) {
        size_t chunk_len =
            MIN(OPAL_BYTE_CHUNK, table->byte_size - n * OPAL_BYTE_CHUNK);

        if (!(map[n / 8] & (1u << (n % 8)))) {
            continue;
        }
        if (!r->read_chunk(r->read_opaque, area_uid,
                           place + n * OPAL_BYTE_CHUNK, buf, chunk_len)) {
            g_string_append_printf(r->error,
                                   "%s: chunk %" G_GUINT64_FORMAT
                                   " could not be read",
                                   table->def->name, n);
            return false;
        }
        opal_table_write(table, n * OPAL_BYTE_CHUNK, buf, chunk_len);
    }
    return true;
}

static bool load_chunk(OpalTPer *tper, StateReader *r)
{
    uint64_t sp_uid, table_uid, offset;
    const uint8_t *data;
    OpalTable *table;
    size_t len;

    if (!get_le(r, 8, &sp_uid) || !get_le(r, 8, &table_uid) ||
        !get_le(r, 8, &offset) || !get_blob(r, &data, &len)) {
        g_string_append(r->error, "truncated byte table record");
        return false;
    }
    table = byte_table_of(tper, r, sp_uid, table_uid);
    if (!table) {
        return false;
    }
    if (offset % OPAL_BYTE_CHUNK || offset >= table->byte_size ||
        len != MIN(OPAL_BYTE_CHUNK, table->byte_size - offset)) {
        g_string_append_printf(r->error,
                               "%s: %zu bytes at %" G_GUINT64_FORMAT
                               " do not fit its %" G_GUINT64_FORMAT
                               " bytes (is it configured smaller?)",
                               table->def->name, len, offset, table->byte_size);
        return false;
    }
    opal_table_write(table, offset, data, len);
    return true;
}

static bool load_kek(OpalTPer *tper, StateReader *r)
{
    uint64_t authority;
    const uint8_t *kek;
    size_t len;

    if (!r->running) {
        g_string_append(r->error, "a saved state holds a key-encryption key");
        return false;
    }
    if (!get_le(r, 8, &authority) || !get_blob(r, &kek, &len) ||
        len != OPAL_KEK_LEN) {
        g_string_append(r->error, "truncated or malformed KEK record");
        return false;
    }
    g_hash_table_replace(tper->keks, g_memdup2(&authority, sizeof(authority)),
                         g_memdup2(kek, len));
    return true;
}

static bool load_session(StateReader *r, OpalSession *s)
{
    uint64_t tsn, hsn, sp, write, end, n, timeout, last;

    if (!get_le(r, 4, &tsn) || !get_le(r, 4, &hsn) || !get_le(r, 8, &sp) ||
        !get_le(r, 1, &write) || !get_le(r, 1, &end) || !get_le(r, 4, &n) ||
        n > OPAL_MAX_AUTHENTICATIONS || write > 1 || end > 1 ||
        (tsn && sp != OPAL_UID_ADMINSP && sp != OPAL_UID_LOCKINGSP)) {
        return false;
    }
    *s = (OpalSession){
        .tsn = tsn,
        .hsn = hsn,
        .sp_uid = sp,
        .write = write,
        .end_after_response = end,
    };
    for (s->auth.n = 0; s->auth.n < n; s->auth.n++) {
        if (!get_le(r, 8, &s->auth.uids[s->auth.n])) {
            return false;
        }
    }
    if (!get_le(r, 8, &timeout) || !get_le(r, 8, &last)) {
        return false;
    }
    s->timeout_ms = timeout;
    s->last_activity_ms = last;
    return true;
}

static bool load_sessions(OpalTPer *tper, StateReader *r)
{
    uint64_t last_tsn, request, n;
    const uint8_t *response;
    size_t len;

    if (!r->running) {
        g_string_append(r->error, "a saved state holds sessions");
        return false;
    }
    if (!get_le(r, 4, &last_tsn) || !get_le(r, 4, &request) ||
        !get_le(r, 4, &n) || n != OPAL_HP__COUNT) {
        goto bad;
    }
    for (int i = 0; i < OPAL_HP__COUNT; i++) {
        uint64_t v;

        if (!get_le(r, 4, &v)) {
            goto bad;
        }
        tper->host_properties[i] = v;
    }
    if (!get_le(r, 4, &n) || n != OPAL_MAX_SESSIONS) {
        goto bad;
    }
    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        if (!load_session(r, &tper->sessions[i])) {
            goto bad;
        }
    }
    if (!get_blob(r, &response, &len) || len > OPAL_MAX_TRANSFER) {
        goto bad;
    }
    tper->last_tsn = last_tsn;
    tper->comid_request = request;
    if (len) {
        tper->response = g_byte_array_sized_new(len);
        g_byte_array_append(tper->response, response, len);
    }
    return true;
bad:
    g_string_append(r->error, "truncated or malformed session record");
    return false;
}

static bool load_block_sid(OpalTPer *tper, StateReader *r)
{
    const uint8_t *flags;
    size_t len;

    if (!r->running) {
        g_string_append(r->error, "a saved state holds the Block SID state");
        return false;
    }
    if (!get_blob(r, &flags, &len) || len != 1 ||
        (flags[0] & ~(BLOCK_SID_BLOCKED | BLOCK_SID_HW_RESET))) {
        g_string_append(r->error, "truncated or malformed Block SID record");
        return false;
    }
    tper->sid_blocked = flags[0] & BLOCK_SID_BLOCKED;
    tper->sid_block_clear_events = flags[0] & BLOCK_SID_HW_RESET ?
                                   OPAL_BLOCK_SID_CLEAR_HW_RESET : 0;
    return true;
}

static bool load_sum(OpalTPer *tper, StateReader *r)
{
    unsigned max = opal_sum_max_objects(&tper->config);
    uint64_t objects = 0,
             selectable = max >= 64 ? UINT64_MAX : (1ULL << max) - 1;
    const uint8_t *sum;
    size_t len;

    if (!get_blob(r, &sum, &len) || len != 9 || sum[8] > 1) {
        g_string_append(r->error,
                        "truncated or malformed Single User Mode record");
        return false;
    }
    for (int i = 0; i < 8; i++) {
        objects |= (uint64_t)sum[i] << (8 * i);
    }
    if (r->cells_seen || r->sum_seen || !objects || (objects & ~selectable)) {
        g_string_append_printf(r->error, "Single User Mode record %s",
                               r->cells_seen || r->sum_seen ?
                                   "out of place" :
                                   "names Locking objects this drive cannot "
                                   "make single-user (is it configured with "
                                   "fewer users or ranges?)");
        return false;
    }
    r->sum_seen = true;
    opal_sum_apply(&tper->config, tper->locking_sp, objects, sum[8]);
    return true;
}

static bool load_datastores(OpalTPer *tper, StateReader *r)
{
    uint64_t sizes[OPAL_DATASTORE_MAX_TABLES];
    const uint8_t *blob;
    const char *why = NULL;
    size_t len, n;

    if (!get_blob(r, &blob, &len) || !len || len % 8 ||
        len / 8 > G_N_ELEMENTS(sizes)) {
        g_string_append(r->error,
                        "truncated or malformed DataStore tables record");
        return false;
    }
    if (r->cells_seen || r->datastores_seen) {
        g_string_append(r->error, "DataStore tables record out of place");
        return false;
    }
    n = len / 8;
    for (size_t i = 0; i < n; i++) {
        sizes[i] = 0;
        for (int b = 0; b < 8; b++) {
            sizes[i] |= (uint64_t)blob[i * 8 + b] << (8 * b);
        }
    }
    if (opal_datastore_check(&tper->config, sizes, n, &why) !=
        OPAL_ST_SUCCESS) {
        g_string_append_printf(r->error,
                               "DataStore tables this drive cannot have: %s "
                               "(is its datastore-size smaller?)",
                               why);
        return false;
    }
    r->datastores_seen = true;
    opal_datastore_apply(tper->locking_sp, sizes, n);
    return true;
}

static bool load_records(OpalTPer *tper, StateReader *r)
{
    uint64_t version, reserved, kind;

    if ((size_t)(r->end - r->pos) < 8 || memcmp(r->pos, STATE_MAGIC, 8)) {
        g_string_append(r->error,
                        "not an ide-opal-hd state (no OPALSTAT header)");
        return false;
    }
    r->pos += 8;
    if (!get_le(r, 4, &version) || !get_le(r, 4, &reserved)) {
        g_string_append(r->error, "truncated header");
        return false;
    }
    if (version != STATE_VERSION || reserved) {
        g_string_append_printf(r->error,
                               "state format %" G_GUINT64_FORMAT
                               " is not one this engine reads (%d)",
                               version, STATE_VERSION);
        return false;
    }
    while (get_le(r, 1, &kind)) {
        switch (kind) {
        case RECORD_CELL:
            r->cells_seen = true;
            if (!load_cell(tper, r)) {
                return false;
            }
            break;
        case RECORD_SUM:
            if (!load_sum(tper, r)) {
                return false;
            }
            break;
        case RECORD_DATASTORES:
            if (!load_datastores(tper, r)) {
                return false;
            }
            break;
        case RECORD_CHUNK:
            r->cells_seen = true;
            if (!load_chunk(tper, r)) {
                return false;
            }
            break;
        case RECORD_CHUNKS:
            r->cells_seen = true;
            if (!load_chunk_map(tper, r)) {
                return false;
            }
            break;
        case RECORD_KEK:
            if (!load_kek(tper, r)) {
                return false;
            }
            break;
        case RECORD_SESSIONS:
            if (!load_sessions(tper, r)) {
                return false;
            }
            break;
        case RECORD_BLOCK_SID:
            if (!load_block_sid(tper, r)) {
                return false;
            }
            break;
        case RECORD_END:
            if (r->pos != r->end) {
                g_string_append(r->error, "bytes after the end record");
                return false;
            }
            if ((r->sum_seen || r->datastores_seen) &&
                !opal_locking_sp_active(tper)) {
                g_string_append_printf(r->error, "%s on an inactive LockingSP",
                                       r->sum_seen ? "Single User Mode" :
                                       "DataStore tables of its own");
                return false;
            }
            return true;
        default:
            g_string_append_printf(r->error,
                                   "unknown record kind %" G_GUINT64_FORMAT,
                                   kind);
            return false;
        }
    }
    g_string_append(r->error, "no end record (truncated state)");
    return false;
}

/*
 * The factory drive loading starts from has keys of its own: the state's
 * replace them.
 */
static void forget_factory_keys(OpalTPer *tper)
{
    OpalTable *keys = opal_sp_table(tper->locking_sp, OPAL_UID_TABLE_K_AES_256);

    for (guint i = 0; i < keys->rows->len; i++) {
        OpalRow *key = g_ptr_array_index(keys->rows, i);

        g_clear_pointer(&key->cells[OPAL_COL_K_AES_KEY], g_bytes_unref);
        g_clear_pointer(&key->cells[OPAL_COL_K_AES_WRAPPED], g_bytes_unref);
    }
}

static bool load(OpalTPer *tper, StateReader *r, char **error)
{
    bool sid_blocked = tper->sid_blocked;
    uint8_t sid_block_clear_events = tper->sid_block_clear_events;
    uint32_t comid_request = tper->comid_request;
    OpalSP *admin, *locking;

    /*
     * Onto a factory drive, so that a cell the state lacks has its factory
     * value; and onto a reset ComID, which a state without sessions (a saved
     * state, a snapshot) resumes with: no ComID request pending either.
     * Aborting the sessions aborts their transactions first, which puts
     * other SPs in place.
     */
    opal_session_abort_all(tper);
    admin = tper->admin_sp;
    locking = tper->locking_sp;
    tper->comid_request = OPAL_COMID_REQ_NONE;
    tper->sid_blocked = false;  /* unless a BLOCK_SID record says otherwise */
    tper->sid_block_clear_events = 0;
    tper->admin_sp = NULL;
    tper->locking_sp = NULL;
    opal_sps_factory_reset(tper);
    forget_factory_keys(tper);
    if (!load_records(tper, r)) {
        opal_sp_free(tper->admin_sp);
        opal_sp_free(tper->locking_sp);
        tper->admin_sp = admin;
        tper->locking_sp = locking;
        opal_session_abort_all(tper);
        g_hash_table_remove_all(tper->keks);
        tper->sid_blocked = sid_blocked;
        tper->sid_block_clear_events = sid_block_clear_events;
        tper->comid_request = comid_request;
        opal_sid_value_forget(tper);
        *error = g_string_free(r->error, false);
        return false;
    }
    opal_sp_free(admin);
    opal_sp_free(locking);
    g_string_free(r->error, true);
    if (!r->running) {
        opal_secrets_power_on(tper);
    } else {
        opal_secrets_resume(tper);      /* what a snapshot left out */
    }
    return true;
}

bool opal_tper_load_apart(OpalTPer *tper, const uint8_t *buf, size_t len,
                          OpalChunkReadFn *read, void *opaque, char **error)
{
    StateReader r = {
        .pos = buf, .end = buf + len, .error = g_string_new(NULL),
        .read_chunk = read, .read_opaque = opaque,
    };

    return load(tper, &r, error);
}

bool opal_tper_load_running(OpalTPer *tper, const uint8_t *buf, size_t len,
                            char **error)
{
    StateReader r = {
        .pos = buf,
        .end = buf + len,
        .error = g_string_new(NULL),
        .running = true,
    };

    return load(tper, &r, error);
}

bool opal_tper_load(OpalTPer *tper, const uint8_t *buf, size_t len,
                    char **error)
{
    return opal_tper_load_apart(tper, buf, len, NULL, NULL, error);
}

bool opal_state_copy(const OpalTPer *tper, OpalTransactionLevel *level)
{
    OpalTPer *copy = g_new0(OpalTPer, 1);
    g_autofree char *error = NULL;
    StateReader r;
    uint8_t *buf;
    size_t len;
    bool loaded;

    buf = save(tper, SAVE_COPY, &len);
    r = (StateReader){
        .pos = buf,
        .end = buf + len,
        .error = g_string_new(NULL),
        .running = true,
    };
    /* A TPer of its own to load into, which only lends its new SPs and KEKs. */
    copy->config = tper->config;
    opal_session_init(copy);
    opal_secrets_init(copy);
    loaded = load(copy, &r, &error);
    opal_secret_free(buf, len);
    level->admin_sp = copy->admin_sp;
    level->locking_sp = copy->locking_sp;
    level->keks = copy->keks;
    opal_sid_value_forget(copy);
    g_free(copy);
    /*
     * What this engine saved a moment ago, it loads: anything else is a
     * bug, but one that fails the guest's StartTransaction, not QEMU.
     */
    return loaded;
}
