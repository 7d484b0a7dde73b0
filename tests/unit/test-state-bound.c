/*
 * The saved state's worst case: the QEMU device keeps what
 * opal_tper_save_apart() returns in a slot of fixed size (hw/ide/opal-state.c),
 * with the journal of one method's byte-table writes.  A save that does not
 * fit fails the method, and the drive is in trouble.  Every variable-size
 * cell is bounded (ACE BooleanExpr, lists, bytes columns, wrapped keys), so
 * the state has a largest size; this test builds it, through the engine's
 * own methods, as a hostile host that owns the drive would, for the largest
 * drive the device allows, and checks that it stays under
 * OPAL_STATE_MAX_SIZE, the bound the device builds its slot around.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdio.h>

#include "opal-host.h"
#include "opal-crypto-gcrypt.h"
#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

/* hw/ide/opal-state.c: the slot, its header sector. */
#define SLOT_SIZE           (4 * 1024 * 1024)
#define SLOT_HEADER         512
/*
 * One method's journal: an MBR or DataStore Set carries at most one
 * IF-SEND's data, less its packet headers, which outweigh the journal
 * entry's 25-byte header; a Revert journals 25 bytes per byte table.
 */
#define JOURNAL_MAX         OPAL_MAX_TRANSFER

/* The largest drive hw/ide/opal-hd.c allows (OPAL_MAX_USERS and the like). */
#define MAX_USERS           64
#define MAX_RANGES          64
#define MAX_ADMINS          4
#define MAX_MBR_SIZE        (4ULL * 1024 * 1024 * 1024)
#define MAX_DATASTORE_SIZE  (1024 * 1024 * 1024)
#define ALIGNMENT           8
/*
 * The largest image QEMU opens (INT64_MAX bytes), so that range bounds
 * take as many bytes as any drive's can.
 */
#define NB_BLOCKS           ((INT64_MAX / 512) & ~(uint64_t)(ALIGNMENT - 1))
#define RANGE_BLOCKS        (1ULL << 47)

/* secrets.c: a wrapped copy of a media key, its owner's UID before it. */
#define WRAP_ENTRY_LEN      (8 + OPAL_MEDIA_KEY_LEN + 8)

/* Credentials of the longest a PIN column holds: MSID's is kept as it is. */
#define MSID                "msid-msid-msid-msid-msid-msid-32"
#define PSID                "psid-psid-psid-psid-psid-psid-32"
G_STATIC_ASSERT(sizeof(MSID) - 1 == OPAL_NAME_MAX);

static const OpalConfig bound_config = {
    .nb_blocks = NB_BLOCKS,
    .logical_block_size = 512,
    .alignment_granularity = ALIGNMENT,
    .nr_admins = MAX_ADMINS,
    .nr_users = MAX_USERS,
    .nr_ranges = MAX_RANGES,
    .mbr_size = MAX_MBR_SIZE,
    .datastore_size = MAX_DATASTORE_SIZE,
    .msid = MSID,
    .psid = PSID,
    .kdf_iterations = 1000,
    /* pin-try-limit's largest: TryLimit cells at their longest. */
    .locking_pin_try_limit = UINT32_MAX,
    .crypto = &opal_crypto_gcrypt,
};

/* The bound leaves room in the device's slot for a journal and the header. */
G_STATIC_ASSERT(OPAL_STATE_MAX_SIZE + JOURNAL_MAX + SLOT_HEADER <= SLOT_SIZE);

/* What a fill tried and what the engine took, for the report. */
typedef struct FillStats {
    unsigned tried, refused;
    unsigned exprs, names, lists, ranges, genkeys, pins, bools;
    const char *longest_list;       /* the longest reset-type list taken */
} FillStats;

/* Which cells a pass sets: PINs last, as each one adds a KEK to rewrap with. */
typedef enum FillPass {
    FILL_CELLS,
    FILL_PINS,
} FillPass;

static int setup(void **state)
{
    *state = opal_tper_new(&bound_config);
    return 0;
}

static int teardown(void **state)
{
    opal_tper_free(*state);
    return 0;
}

/*
 * A name or PIN of OPAL_NAME_MAX bytes for row @uid: its UID and the UID's
 * complement in hex, so that no two PINs are the same.
 */
static void longest_name(uint64_t uid, char name[OPAL_NAME_MAX + 1])
{
    snprintf(name, OPAL_NAME_MAX + 1, "%016" PRIx64 "%016" PRIx64, uid, ~uid);
}

/*
 * Object.Set of @n cells: column @columns[i] = the value whose token
 * encoding is @values[i].
 */
static uint64_t set_cells(OpalTPer *tper, uint32_t tsn, uint64_t object,
                          const uint64_t *columns, GByteArray *const *values,
                          size_t n)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, object, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);                                  /* Values */
    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (size_t i = 0; i < n; i++) {
        opal_token_put_control(b, OPAL_TK_START_NAME);
        opal_token_put_uint(b, columns[i]);
        g_byte_array_append(b, values[i]->data, values[i]->len);
        opal_token_put_control(b, OPAL_TK_END_NAME);
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

static uint64_t set_cell(OpalTPer *tper, uint32_t tsn, uint64_t object,
                         uint64_t column, GByteArray *value)
{
    return set_cells(tper, tsn, object, &column, &value, 1);
}

/* One BooleanExpr element: { half-UID : value }. */
static void put_expr_term(GByteArray *b, uint32_t half_uid, uint64_t value)
{
    uint8_t half[4];

    opal_put_be32(half, half_uid);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_bytes(b, half, sizeof(half));
    if (half_uid == OPAL_HALF_UID_AUTHORITY_OBJECT_REF) {
        opal_token_put_uid(b, value);
    } else {
        opal_token_put_uint(b, value);
    }
    opal_token_put_control(b, OPAL_TK_END_NAME);
}

/*
 * The longest BooleanExpr Set takes, in bytes as in elements: a reference
 * is twice an operator's size, and a postfix expression that reduces to
 * one value has one reference more than binary operators, so 32 references,
 * 31 ORs and a NOT make OPAL_ACE_EXPR_MAX_ELEMENTS.  It grants Anybody, so
 * that every authority whose KEK the drive knows may unlock every range
 * whose ACE it becomes: the most wrapped copies of each key.
 */
static GByteArray *longest_expr(void)
{
    GByteArray *b = g_byte_array_new();
    unsigned refs = (OPAL_ACE_EXPR_MAX_ELEMENTS + 1) / 2, elements = 0;

    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (unsigned i = 0; i < refs; i++) {
        put_expr_term(b, OPAL_HALF_UID_AUTHORITY_OBJECT_REF,
                      i ? OPAL_UID_USER(i) : OPAL_UID_AUTH_ANYBODY);
        elements++;
        if (i == 1) {
            /* Anybody OR NOT User1 OR User2 OR ...: still everybody. */
            put_expr_term(b, OPAL_HALF_UID_BOOLEAN_ACE, OPAL_BOOLEAN_NOT);
            elements++;
        }
        if (i) {
            put_expr_term(b, OPAL_HALF_UID_BOOLEAN_ACE, OPAL_BOOLEAN_OR);
            elements++;
        }
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    g_assert(elements == OPAL_ACE_EXPR_MAX_ELEMENTS);
    return b;
}

static GByteArray *bytes_value(const void *data, size_t len)
{
    GByteArray *b = g_byte_array_new();

    opal_token_put_bytes(b, data, len);
    return b;
}

static GByteArray *uint_value(uint64_t v)
{
    GByteArray *b = g_byte_array_new();

    opal_token_put_uint(b, v);
    return b;
}

static GByteArray *list_value(const uint64_t *values, size_t n)
{
    GByteArray *b = g_byte_array_new();

    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (size_t i = 0; i < n; i++) {
        opal_token_put_uint(b, values[i]);
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    return b;
}

static void count(FillStats *st, uint64_t status, unsigned *accepted)
{
    st->tried++;
    if (status == OPAL_ST_SUCCESS) {
        (*accepted)++;
    } else {
        st->refused++;
    }
}

/*
 * A reset-type list (LockOnReset, DoneOnReset, the only settable lists),
 * the longest the engine takes: every type, then the types this drive
 * supports with one repeated (a list may hold max + 1 elements), then
 * those once, then Power Cycle alone.
 */
static void fill_reset_types(OpalTPer *tper, uint32_t tsn, uint64_t object,
                             const OpalColumn *col, FillStats *st)
{
    static const struct {
        uint64_t values[4];
        size_t n;
        const char *text;
    } candidates[] = {
        { { 0, 1, 2, 3 }, 4, "{ 0, 1, 2, 3 }" },
        { { 0, 1, 3, 3 }, 4, "{ 0, 1, 3, 3 }" },
        { { 0, 1, 3 }, 3, "{ 0, 1, 3 }" },
        { { 0 }, 1, "{ 0 }" },
    };

    /* A new settable list would need its own longest form here. */
    assert_int_equal(col->max, OPAL_RESET_PROGRAMMATIC);
    for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
        g_autoptr(GByteArray) v = list_value(candidates[i].values,
                                             candidates[i].n);
        uint64_t status = set_cell(tper, tsn, object, col->number, v);

        if (status == OPAL_ST_NOT_AUTHORIZED) {
            break;              /* access control: no list will do */
        }
        if (status == OPAL_ST_SUCCESS) {
            /* Each list has the same candidates: the first taken is it. */
            g_assert(!st->longest_list ||
                     !strcmp(st->longest_list, candidates[i].text));
            st->longest_list = candidates[i].text;
            count(st, status, &st->lists);
            return;
        }
    }
    count(st, OPAL_ST_NOT_AUTHORIZED, &st->lists);
}

/*
 * Locking_RangeN's RangeStart and RangeLength, both at once: disjoint and
 * aligned, and as large as the medium lets them be, so that their
 * encodings are as long as a drive's can be.
 */
static void fill_range(OpalTPer *tper, uint32_t tsn, const OpalRow *row,
                       FillStats *st)
{
    unsigned n = opal_range_number(row);
    uint64_t start = NB_BLOCKS - (uint64_t)(MAX_RANGES + 1 - n) * RANGE_BLOCKS;
    g_autoptr(GByteArray) s = uint_value(start);
    g_autoptr(GByteArray) l = uint_value(RANGE_BLOCKS);
    GByteArray *values[] = { s, l };
    static const uint64_t columns[] = {
        OPAL_COL_LOCKING_RANGE_START, OPAL_COL_LOCKING_RANGE_LENGTH,
    };

    count(st, set_cells(tper, tsn, row->uid, columns, values, 2), &st->ranges);
}

/*
 * Every settable cell of @row at its longest, as far as the session's
 * authorities may: with @pass FILL_CELLS all but PINs (and GenKey on a
 * media key), with FILL_PINS only PINs.  Booleans, enumerations and UIDs
 * encode in a fixed size whatever their value: left as they are, unless
 * the cell is empty.
 */
static void fill_row(OpalTPer *tper, uint32_t tsn, const OpalRow *row,
                     FillPass pass, FillStats *st)
{
    const OpalTableDef *def = row->def;

    if (pass == FILL_CELLS && def == &opal_tdef_k_aes_256) {
        count(st, host_call_plain(tper, tsn, row->uid, OPAL_UID_M_GENKEY),
              &st->genkeys);
    }
    for (size_t i = 0; i < def->nr_columns; i++) {
        const OpalColumn *col = &def->columns[i];
        bool pin = def == &opal_tdef_c_pin && col->number == OPAL_COL_C_PIN_PIN;
        char name[OPAL_NAME_MAX + 1];

        if (col->flags & OPAL_COL_READONLY || pin != (pass == FILL_PINS)) {
            continue;
        }
        switch (col->type) {
        case OPAL_T_BYTES: {
            g_autoptr(GByteArray) v = NULL;

            /* Every such column holds a name or a PIN: 32 bytes at most. */
            assert_int_equal(col->max, OPAL_NAME_MAX);
            longest_name(row->uid, name);
            v = bytes_value(name, OPAL_NAME_MAX);
            count(st, set_cell(tper, tsn, row->uid, col->number, v),
                  pin ? &st->pins : &st->names);
            break;
        }
        case OPAL_T_ENUM_LIST:
            fill_reset_types(tper, tsn, row->uid, col, st);
            break;
        case OPAL_T_ACE_EXPR: {
            g_autoptr(GByteArray) v = longest_expr();

            count(st, set_cell(tper, tsn, row->uid, col->number, v),
                  &st->exprs);
            break;
        }
        case OPAL_T_UINT:
            /* Only the bounds of a range: a Set of both at once. */
            assert_true(def == &opal_tdef_locking);
            if (col->number == OPAL_COL_LOCKING_RANGE_START) {
                fill_range(tper, tsn, row, st);
            }
            break;
        case OPAL_T_BOOL:
            /*
             * One byte whatever its value, but a cell the factory left
             * empty takes no record until set: False, which locks nothing.
             */
            if (!row->cells[col->number]) {
                g_autoptr(GByteArray) v = uint_value(0);

                count(st, set_cell(tper, tsn, row->uid, col->number, v),
                      &st->bools);
            }
            break;
        default:
            /* Enumerations and UIDs: a fixed size, and none is settable. */
            break;
        }
    }
}

/* fill_row() on every row of every object table of @sp. */
static void fill_sp(OpalTPer *tper, uint32_t tsn, const OpalSP *sp,
                    FillPass pass, FillStats *st)
{
    for (guint t = 0; t < sp->tables->len; t++) {
        const OpalTable *table = g_ptr_array_index(sp->tables, t);

        for (guint r = 0; table->rows && r < table->rows->len; r++) {
            fill_row(tper, tsn, g_ptr_array_index(table->rows, r), pass, st);
        }
    }
}

/* Table.Set[ Where = @offset, Values = one byte ]. */
static void write_byte(OpalTPer *tper, uint32_t tsn, uint64_t table,
                       uint64_t offset)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t byte = 0xa5;

    host_call_begin(b, table, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, offset);
    host_put_named_bytes(b, 1, &byte, 1);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
}

/*
 * The first and last byte of a few 64 KiB chunks of every byte table (the
 * first, one in the middle, the last): writing them all would take 4 GiB.
 * None needs to be: the state names the written chunks in a bitmap of
 * every chunk (persist.c, CHUNKS), whose size does not depend on how many
 * are, which the caller checks.
 */
static void write_byte_tables(OpalTPer *tper, uint32_t tsn)
{
    const OpalSP *sp = tper->locking_sp;

    for (guint t = 0; t < sp->tables->len; t++) {
        const OpalTable *table = g_ptr_array_index(sp->tables, t);
        uint64_t chunks = (table->byte_size + OPAL_BYTE_CHUNK - 1) /
                          OPAL_BYTE_CHUNK;

        if (table->def->kind != OPAL_TABLE_BYTE) {
            continue;
        }
        for (uint64_t i = 0; i < 3; i++) {
            uint64_t first = (chunks - 1) * i / 2 * OPAL_BYTE_CHUNK;
            uint64_t last = MIN(first + OPAL_BYTE_CHUNK, table->byte_size) - 1;

            write_byte(tper, tsn, table->def->uid, first);
            write_byte(tper, tsn, table->def->uid, last);
        }
    }
}

/*
 * DataStoreTableSizes of the most tables: 16, each of 9 chunks (the last
 * one partial) so that its bitmap takes a byte and a bit, and DataStore
 * the rest.
 */
static void put_datastore_sizes(GByteArray *params)
{
    uint64_t sizes[OPAL_DATASTORE_MAX_TABLES];
    uint64_t other = 8 * OPAL_BYTE_CHUNK + OPAL_DATASTORE_ALIGNMENT;

    sizes[0] = MAX_DATASTORE_SIZE - (OPAL_DATASTORE_MAX_TABLES - 1) * other;
    for (size_t i = 1; i < OPAL_DATASTORE_MAX_TABLES; i++) {
        sizes[i] = other;
    }
    host_put_named_uint_list(params, OPAL_DS_PARAM_ACTIVATE_SIZES, sizes,
                             G_N_ELEMENTS(sizes));
}

/*
 * Single User Mode for as many Locking objects as there are Users to own
 * them (the global range and Range1..63), the Admins placing the ranges.
 */
static void put_sum_params(GByteArray *params)
{
    opal_token_put_control(params, OPAL_TK_START_NAME);
    opal_token_put_uint(params, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_control(params, OPAL_TK_START_LIST);
    opal_token_put_uid(params, OPAL_UID_LOCKING_GLOBALRANGE);
    for (unsigned n = 1; n < MAX_USERS; n++) {
        opal_token_put_uid(params, OPAL_UID_LOCKING_RANGE(n));
    }
    opal_token_put_control(params, OPAL_TK_END_LIST);
    opal_token_put_control(params, OPAL_TK_END_NAME);
    host_put_named_uint(params, OPAL_SUM_PARAM_POLICY, 1);
}

/* SID takes the drive (its PIN becomes HOST_SID_PIN) and activates it. */
static void own_and_activate(OpalTPer *tper, bool sum)
{
    g_autoptr(GByteArray) params = g_byte_array_new();
    uint32_t tsn;

    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                        bound_config.msid, &tsn), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_SID, HOST_SID_PIN),
                     0);
    host_end_session(tper, tsn);
    if (sum) {
        put_sum_params(params);
    }
    put_datastore_sizes(params);
    assert_int_equal(host_activate_with(tper, OPAL_UID_LOCKINGSP, params), 0);
}

/* Session of User n+1, owner of Locking object @n, with PIN @pin. */
static void owner_session(OpalTPer *tper, unsigned n, const char *pin,
                          uint32_t *tsn)
{
    assert_int_equal(host_locking_session(tper, OPAL_SUM_OWNER(n), pin, tsn),
                     0);
}

/*
 * In Single User Mode what is each range's owner's alone: its key, its
 * locks and LockOnReset, its owner's PIN.
 */
static void fill_owned(OpalTPer *tper, FillPass pass, FillStats *st)
{
    const OpalSP *sp = tper->locking_sp;

    for (unsigned n = 0; n < 64; n++) {
        uint64_t range = n ? OPAL_UID_LOCKING_RANGE(n)
                           : OPAL_UID_LOCKING_GLOBALRANGE;
        uint64_t key = n ? OPAL_UID_K_AES_256_RANGE_KEY(n)
                         : OPAL_UID_K_AES_256_GLOBALRANGE_KEY;
        uint64_t cpin = OPAL_UID_C_PIN_USER(n + 1);
        uint32_t tsn;

        if (!(sp->sum_objects & (1ULL << n))) {
            continue;
        }
        /* Its factory PIN is the empty one until this very pass. */
        owner_session(tper, n, "", &tsn);
        if (pass == FILL_CELLS) {
            fill_row(tper, tsn, opal_sp_row(sp, key), pass, st);
            fill_row(tper, tsn, opal_sp_row(sp, range), pass, st);
        } else {
            fill_row(tper, tsn, opal_sp_row(sp, cpin), pass, st);
        }
        host_end_session(tper, tsn);
    }
}

static size_t saved_size(OpalTPer *tper)
{
    size_t len;

    g_free(opal_tper_save_apart(tper, &len));
    return len;
}

/* Any chunk the state names reads as zeros: the test is of its cells. */
static bool read_zeros(void *opaque, uint64_t table_uid, uint64_t offset,
                       uint8_t *buf, size_t len)
{
    memset(buf, 0, len);
    return true;
}

/*
 * Every authority with a PIN presented it since power-on: the Locking SP's
 * Admins and Users, and the Admin SP's SID, Admins and PSID.
 */
#define NR_KEKS     (MAX_ADMINS + MAX_USERS + 1 + OPAL_ADMINSP_ADMINS + 1)

/*
 * The worst case for one way of activating: every cell the hosts may set
 * at its longest, every PIN set (a verifier, and a KEK that wraps every
 * key it may unlock), a few bytes in every byte table.  Returns the size
 * of the saved state.
 */
static size_t fill_drive(OpalTPer *tper, bool sum)
{
    FillStats locking = { 0 }, admin = { 0 };
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    OpalTPer *copy;
    size_t before, len;
    uint32_t tsn;

    own_and_activate(tper, sum);

    /* PINs last: each one's KEK makes every later change rewrap more. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    fill_sp(tper, tsn, tper->locking_sp, FILL_CELLS, &locking);
    host_end_session(tper, tsn);
    fill_owned(tper, FILL_CELLS, &locking);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    before = saved_size(tper);
    write_byte_tables(tper, tsn);
    assert_int_equal(saved_size(tper), before);
    fill_sp(tper, tsn, tper->locking_sp, FILL_PINS, &locking);
    host_end_session(tper, tsn);
    fill_owned(tper, FILL_PINS, &locking);

    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn), 0);
    fill_sp(tper, tsn, tper->admin_sp, FILL_CELLS, &admin);
    fill_sp(tper, tsn, tper->admin_sp, FILL_PINS, &admin);
    host_end_session(tper, tsn);
    /* The one PIN no Set reaches: presented, it adds its KEK too. */
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_PSID,
                                        bound_config.psid, &tsn), 0);
    host_end_session(tper, tsn);
    assert_int_equal(g_hash_table_size(tper->keks), NR_KEKS);

    /* The fill reached what the engine allows, and the Admin SP's PINs. */
    assert_true(locking.exprs > 0 && locking.names > 0 && locking.lists > 0);
    assert_int_equal(locking.pins, MAX_ADMINS + MAX_USERS);
    assert_int_equal(admin.pins, 1 + OPAL_ADMINSP_ADMINS);
    assert_int_equal(locking.genkeys, MAX_RANGES + 1);
    assert_int_equal(locking.ranges, MAX_RANGES);
    if (!sum) {
        /* Every key wrapped for every KEK, and the public copy. */
        for (unsigned n = 0; n <= MAX_RANGES; n++) {
            uint64_t uid = n ? OPAL_UID_K_AES_256_RANGE_KEY(n)
                             : OPAL_UID_K_AES_256_GLOBALRANGE_KEY;
            const OpalRow *key = opal_sp_row(tper->locking_sp, uid);
            const uint8_t *wrapped;
            size_t wrapped_len;

            assert_true(opal_row_get_bytes(key, OPAL_COL_K_AES_WRAPPED,
                                           &wrapped, &wrapped_len));
            assert_int_equal(wrapped_len, (NR_KEKS + 1) * WRAP_ENTRY_LEN);
        }
    }

    saved = opal_tper_save_apart(tper, &len);
    /* A state a drive can load again: no cell beyond what loading takes. */
    copy = opal_tper_new(&bound_config);
    if (!opal_tper_load_apart(copy, saved, len, read_zeros, NULL, &error)) {
        fail_msg("the worst-case state does not load: %s", error);
    }
    opal_tper_free(copy);

    printf("# %s: %zu bytes saved (%.2f MiB); Locking SP: %u of %u Sets "
           "taken - %u BooleanExpr of %d elements, %u names, %u PINs, "
           "%u reset-type lists %s, %u empty booleans, %u ranges, "
           "%u GenKey; Admin SP: %u PINs, %u of %u refused\n",
           sum ? "Single User Mode, 64 objects, 16 DataStore tables" :
           "16 DataStore tables", len, len / 1048576.0,
           locking.tried - locking.refused, locking.tried, locking.exprs,
           OPAL_ACE_EXPR_MAX_ELEMENTS, locking.names, locking.pins,
           locking.lists, locking.longest_list, locking.bools, locking.ranges,
           locking.genkeys, admin.pins, admin.refused, admin.tried);
    return len;
}

/* The largest state of the tests run, for the summary. */
static size_t worst;

static void check_bound(size_t len)
{
    /* The slot holds it with a journal, and it stays under the bound. */
    assert_true(len + JOURNAL_MAX + SLOT_HEADER <= SLOT_SIZE);
    assert_true(len <= OPAL_STATE_MAX_SIZE);
    worst = MAX(worst, len);
}

static void test_multi_user(void **state)
{
    check_bound(fill_drive(*state, false));
}

static void test_single_user(void **state)
{
    check_bound(fill_drive(*state, true));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_multi_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_user, setup, teardown),
    };

    int failed = cmocka_run_group_tests(tests, NULL, NULL);

    printf("# worst case: %zu bytes of state, OPAL_STATE_MAX_SIZE %d, "
           "slot %d\n", worst, OPAL_STATE_MAX_SIZE, SLOT_SIZE);
    return failed;
}
