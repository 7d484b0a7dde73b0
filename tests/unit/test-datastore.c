/*
 * Unit tests of the Additional DataStore Tables feature set: Activate and
 * Reactivate with DataStoreTableSizes, what is refused and with which status,
 * the tables' Table-table rows, ACEs and access rules, Get/Set on DataStore2,
 * where their bytes reach a store, the saved and running state, and Revert.
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

#include "opal-host.h"
#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

#define DS1             OPAL_UID_TABLE_DATASTORE
#define DS2             OPAL_UID_TABLE_DATASTORE_N(2)
#define DS3             OPAL_UID_TABLE_DATASTORE_N(3)
#define TOTAL           (10 * 1024 * 1024)
#define USER1_PIN       "user1-secret"
#define NO_SIZES        ((size_t)-1)

static int setup(void **state)
{
    *state = opal_tper_new(&host_test_config);
    return 0;
}

static int teardown(void **state)
{
    opal_tper_free(*state);
    return 0;
}

/* DataStoreTableSizes named @name: @n uintegers (NO_SIZES: none at all). */
static void put_sizes(GByteArray *b, uint64_t name, const uint64_t *sizes,
                      size_t n)
{
    if (n != NO_SIZES) {
        host_put_named_uint_list(b, name, sizes, n);
    }
}

/*
 * SID's Activate of @object with DataStoreTableSizes, on an owned drive; its
 * status.
 */
static uint64_t activate_on(OpalTPer *tper, uint64_t object,
                            const uint64_t *sizes, size_t n)
{
    g_autoptr(GByteArray) params = g_byte_array_new();

    put_sizes(params, OPAL_DS_PARAM_ACTIVATE_SIZES, sizes, n);
    return host_activate_with(tper, object, params);
}

static uint64_t activate(OpalTPer *tper, const uint64_t *sizes, size_t n)
{
    return activate_on(tper, OPAL_UID_LOCKINGSP, sizes, n);
}

/* The three tables most tests use: 1 MiB, 64 KiB, 4 KiB. */
static const uint64_t three[] = { 1024 * 1024, 64 * 1024, 4096 };

static void owned_with_three(OpalTPer *tper)
{
    host_take_ownership(tper);
    assert_int_equal(activate(tper, three, G_N_ELEMENTS(three)), 0);
}

static uint64_t rows_of(OpalTPer *tper, uint32_t tsn, uint64_t table,
                        uint64_t *rows)
{
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *t;
    uint64_t status =
        host_get_columns(tper, tsn, OPAL_UID_TABLE_ROW(table),
                         OPAL_COL_TABLE_ROWS, OPAL_COL_TABLE_ROWS, &r);

    if (status == 0) {
        t = host_cell(r, OPAL_COL_TABLE_ROWS);
        assert_non_null(t);
        *rows = t->uint;
    }
    return status;
}

/*
 * After a Revert or a plain Activate: DataStore of the whole size, no
 * DataStore2.
 */
static void expect_one_table(OpalTPer *tper)
{
    uint64_t rows;
    uint32_t tsn;

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(rows_of(tper, tsn, DS1, &rows), 0);
    assert_int_equal(rows, TOTAL);
    assert_int_not_equal(rows_of(tper, tsn, DS2, &rows), 0);
    host_end_session(tper, tsn);
}

/* ---- Activate ------------------------------------------------------------ */

static void test_activate_sizes(void **state)
{
    OpalTPer *tper = *state;
    uint64_t rows, tables_before, tables_after, aces;
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    host_take_ownership(tper);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    host_end_session(tper, tsn);
    assert_int_equal(activate(tper, three, G_N_ELEMENTS(three)), 0);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    /* Table table (DSFS 4.4.2.1): Rows is each table's size; Kind Byte. */
    assert_int_equal(rows_of(tper, tsn, DS1, &rows), 0);
    assert_int_equal(rows, 1024 * 1024);
    assert_int_equal(rows_of(tper, tsn, DS2, &rows), 0);
    assert_int_equal(rows, 64 * 1024);
    assert_int_equal(rows_of(tper, tsn, DS3, &rows), 0);
    assert_int_equal(rows, 4096);
    assert_int_equal(OPAL_UID_TABLE_ROW(DS2), 0x0000000100001002ULL);
    assert_int_not_equal(rows_of(tper, tsn, OPAL_UID_TABLE_DATASTORE_N(4),
                                 &rows),
                         0);
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_TABLE_ROW(DS2), 1, 4,
                                      &r),
                     0);
    assert_int_equal(host_cell(r, 1)->len, strlen("DataStore2"));
    assert_memory_equal(host_cell(r, 1)->bytes, "DataStore2",
                        strlen("DataStore2"));
    assert_int_equal(host_cell(r, 4)->uint, OPAL_TABLE_BYTE);
    g_clear_pointer(&r, host_response_free);

    /* ACEs at 0003FC02/03, 0003FC04/05 (DSFS 4.4.2.3), granting Admins. */
    assert_int_equal(OPAL_UID_ACE_DATASTORE_N_GET_ALL(2),
                     0x000000080003fc02ULL);
    assert_int_equal(OPAL_UID_ACE_DATASTORE_N_SET_ALL(3),
                     0x000000080003fc05ULL);
    assert_int_equal(host_get_columns(tper, tsn,
                                      OPAL_UID_ACE_DATASTORE_N_SET_ALL(3), 1, 1,
                                      &r),
                     0);
    assert_memory_equal(host_cell(r, 1)->bytes, "ACE_DataStore3_Set_All",
                        strlen("ACE_DataStore3_Set_All"));
    g_clear_pointer(&r, host_response_free);

    /* The status report (query-opal) lists the sizes. */
    {
        OpalStatusReport *report = opal_tper_status(tper);

        assert_int_equal(report->datastore_tables->len, 3);
        assert_int_equal(g_array_index(report->datastore_tables, uint64_t, 1),
                         64 * 1024);
        opal_status_report_free(report);
    }

    /* The Table table and the ACE table count the new rows. */
    assert_int_equal(rows_of(tper, tsn, OPAL_UID_TABLE_TABLE, &tables_after),
                     0);
    assert_int_equal(rows_of(tper, tsn, OPAL_UID_TABLE_ACE, &aces), 0);
    host_end_session(tper, tsn);
    {
        OpalTPer *plain = opal_tper_new(&host_test_config);

        host_take_ownership(plain);
        host_activate(plain);
        assert_int_equal(host_locking_session(plain, OPAL_UID_AUTH_ADMIN1,
                                              HOST_SID_PIN, &tsn),
                         0);
        assert_int_equal(rows_of(plain, tsn, OPAL_UID_TABLE_TABLE,
                                 &tables_before),
                         0);
        assert_int_equal(rows_of(plain, tsn, OPAL_UID_TABLE_ACE, &rows), 0);
        assert_int_equal(tables_after, tables_before + 2);
        assert_int_equal(aces, rows + 4);
        host_end_session(plain, tsn);
        /*
         * Without DataStoreTableSizes: one table of the whole size (DSFS
         * 3.1.2.1).
         */
        expect_one_table(plain);
        opal_tper_free(plain);
    }
}

static void test_activate_refused(void **state)
{
    OpalTPer *tper = *state;
    uint64_t seventeen[17], rows;
    uint32_t tsn;

    for (size_t i = 0; i < G_N_ELEMENTS(seventeen); i++) {
        seventeen[i] = 512;
    }
    host_take_ownership(tper);
    /* Too large in all, too many: INSUFFICIENT_SPACE (DSFS 3.1.2.1). */
    assert_int_equal(activate(tper, (const uint64_t[]){ TOTAL, 512 }, 2),
                     OPAL_ST_INSUFFICIENT_SPACE);
    assert_int_equal(activate(tper, (const uint64_t[]){ TOTAL + 1 }, 1),
                     OPAL_ST_INSUFFICIENT_SPACE);
    assert_int_equal(activate(tper, (const uint64_t[]){ UINT64_MAX, 512 }, 2),
                     OPAL_ST_INSUFFICIENT_SPACE);
    assert_int_equal(activate(tper, seventeen, 17), OPAL_ST_INSUFFICIENT_SPACE);
    /* An additional table's size not a multiple of 512: INVALID_PARAMETER. */
    assert_int_equal(activate(tper, (const uint64_t[]){ 4096, 1000 }, 2),
                     OPAL_ST_INVALID_PARAMETER);
    /* Malformed: no table, a table of no bytes, not a list of uintegers. */
    assert_int_equal(activate(tper, NULL, 0), OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(activate(tper, (const uint64_t[]){ 4096, 0 }, 2),
                     OPAL_ST_INVALID_PARAMETER);
    {
        g_autoptr(GByteArray) b = g_byte_array_new();

        assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                            HOST_SID_PIN, &tsn),
                         0);
        host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
        host_put_named_bytes(b, OPAL_DS_PARAM_ACTIVATE_SIZES, "4096", 4);
        host_call_end(b);
        assert_int_equal(host_call(tper, tsn, b, NULL),
                         OPAL_ST_INVALID_PARAMETER);
        /* Reactivate's number is not Activate's. */
        host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
        put_sizes(b, OPAL_DS_PARAM_REACTIVATE_SIZES, (const uint64_t[]){ 4096 },
                  1);
        host_call_end(b);
        assert_int_equal(host_call(tper, tsn, b, NULL),
                         OPAL_ST_INVALID_PARAMETER);
        host_end_session(tper, tsn);
    }
    /* On the AdminSP, which has no DataStore. */
    assert_int_equal(activate_on(tper, OPAL_UID_ADMINSP,
                                 (const uint64_t[]){ 4096 }, 1),
                     OPAL_ST_INVALID_PARAMETER);
    /* None of that activated anything. */
    assert_false(opal_locking_sp_active(tper));

    /*
     * Exactly 16 tables, exactly the total; the first needs no alignment (DSFS
     * 4.2.1.7).
     */
    seventeen[0] = TOTAL - 15 * 512;
    assert_int_equal(activate(tper, seventeen, 16), 0);
    assert_true(opal_locking_sp_active(tper));
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(rows_of(tper, tsn, OPAL_UID_TABLE_DATASTORE_N(16), &rows),
                     0);
    assert_int_equal(rows, 512);
    host_end_session(tper, tsn);
    /* Active already: no effect, but the parameters are still checked. */
    assert_int_equal(activate(tper, (const uint64_t[]){ 4096 }, 1), 0);
    assert_int_equal(activate(tper, seventeen, 17), OPAL_ST_INSUFFICIENT_SPACE);

    /* Odd first table, sizes not a multiple of the alignment. */
    {
        OpalTPer *odd = opal_tper_new(&host_test_config);

        host_take_ownership(odd);
        assert_int_equal(activate(odd, (const uint64_t[]){ 1000, 1536 }, 2), 0);
        opal_tper_free(odd);
    }
}

/*
 * Bytes in an inactive LockingSP's DataStore (only a crafted state has them)
 * are dropped.
 */
static void test_activate_drops_stray_bytes(void **state)
{
    OpalTPer *tper = *state;
    char buf[4];
    uint32_t tsn;

    host_take_ownership(tper);
    opal_table_write(opal_sp_table(tper->locking_sp, DS1), 100,
                     (const uint8_t *)"old", 4);
    assert_int_equal(activate(tper, three, G_N_ELEMENTS(three)), 0);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_read_bytes(tper, tsn, DS1, 100, buf, 4), 0);
    assert_memory_equal(buf, "\0\0\0\0", 4);
    host_end_session(tper, tsn);
}

/* ---- access control and Get/Set ------------------------------------------ */

/* ACE @ace's BooleanExpr becomes @who (one authority). */
static uint64_t set_ace(OpalTPer *tper, uint32_t tsn, uint64_t ace,
                        uint64_t who)
{
    return host_set_ace(tper, tsn, ace, &who, 1);
}

static void test_get_set(void **state)
{
    OpalTPer *tper = *state;
    static const char one[] = "first table", two[] = "second table";
    char buf[32];
    uint32_t tsn;

    owned_with_three(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS1, 0, one, sizeof(one)), 0);
    assert_int_equal(host_write_bytes(tper, tsn, DS2, 0, two, sizeof(two)), 0);
    /* The last bytes of DataStore2, and one past them. */
    assert_int_equal(host_write_bytes(tper, tsn, DS2, 64 * 1024 - 4, "end", 4),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS2, 64 * 1024 - 3, "end", 4),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_read_bytes(tper, tsn, DS2, 64 * 1024 - 4, buf, 5),
                     OPAL_ST_INVALID_PARAMETER);
    /* Each table its own bytes. */
    assert_int_equal(host_read_bytes(tper, tsn, DS1, 0, buf, sizeof(one)), 0);
    assert_string_equal(buf, one);
    assert_int_equal(host_read_bytes(tper, tsn, DS2, 0, buf, sizeof(two)), 0);
    assert_string_equal(buf, two);
    assert_int_equal(host_read_bytes(tper, tsn, DS2, 64 * 1024 - 4, buf, 4), 0);
    assert_string_equal(buf, "end");
    assert_int_equal(host_read_bytes(tper, tsn, DS3, 0, buf, 4), 0);
    assert_memory_equal(buf, "\0\0\0\0", 4);
    host_end_session(tper, tsn);
}

static void test_access_per_table(void **state)
{
    OpalTPer *tper = *state;
    char buf[8];
    uint32_t tsn;

    owned_with_three(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_AUTH_USER1,
                                   OPAL_COL_AUTHORITY_ENABLED, 1),
                     0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1), USER1_PIN),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS3, 0, "admins", 7), 0);
    host_end_session(tper, tsn);

    /* By default only the Admins, on every table. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_USER1, USER1_PIN,
                                          &tsn),
                     0);
    assert_int_not_equal(host_read_bytes(tper, tsn, DS2, 0, buf, 4), 0);
    assert_int_not_equal(host_write_bytes(tper, tsn, DS2, 0, "u1", 3), 0);
    host_end_session(tper, tsn);

    /*
     * DataStore2's ACEs are personalizable: User1 gets DataStore2, and only it.
     */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_N_GET_ALL(2),
                             OPAL_UID_AUTH_USER1), 0);
    assert_int_equal(set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_N_SET_ALL(2),
                             OPAL_UID_AUTH_USER1), 0);
    host_end_session(tper, tsn);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_USER1, USER1_PIN,
                                          &tsn),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS2, 0, "u1", 3), 0);
    assert_int_equal(host_read_bytes(tper, tsn, DS2, 0, buf, 3), 0);
    assert_string_equal(buf, "u1");
    assert_int_not_equal(host_read_bytes(tper, tsn, DS1, 0, buf, 4), 0);
    assert_int_not_equal(host_read_bytes(tper, tsn, DS3, 0, buf, 4), 0);
    assert_int_not_equal(host_write_bytes(tper, tsn, DS3, 0, "u1", 3), 0);
    /* Nor may User1 change the ACEs. */
    assert_int_not_equal(set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_N_GET_ALL(3),
                                 OPAL_UID_AUTH_USER1), 0);
    host_end_session(tper, tsn);
    /* And the Admins no longer read DataStore2; DataStore3 is still theirs. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_not_equal(host_read_bytes(tper, tsn, DS2, 0, buf, 3), 0);
    assert_int_equal(host_read_bytes(tper, tsn, DS3, 0, buf, 7), 0);
    assert_string_equal(buf, "admins");
    host_end_session(tper, tsn);
}

/* ---- where the bytes go, the saved state --------------------------------- */

typedef struct Write {
    uint64_t table, offset, len;
    bool zeros;
} Write;

static void note_write(void *opaque, uint64_t table_uid, uint64_t offset,
                       const uint8_t *data, uint64_t len)
{
    Write w = { table_uid, offset, len, !data };

    g_array_append_val((GArray *)opaque, w);
}

/* A store of the DataStore area only: 10 MiB, in memory. */
static bool area_read(void *opaque, uint64_t table_uid, uint64_t offset,
                      uint8_t *buf, size_t len)
{
    assert_int_equal(table_uid, DS1);
    assert_true(offset + len <= TOTAL);
    memcpy(buf, (uint8_t *)opaque + offset, len);
    return true;
}

static void area_write(void *opaque, uint64_t table_uid, uint64_t offset,
                       const uint8_t *data, uint64_t len)
{
    if (table_uid != DS1) {
        return;
    }
    assert_true(offset + len <= TOTAL);
    if (data) {
        memcpy((uint8_t *)opaque + offset, data, len);
    } else {
        memset((uint8_t *)opaque + offset, 0, len);
    }
}

static void test_store_places(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GArray) writes = g_array_new(false, false, sizeof(Write));
    const Write *w;
    uint32_t tsn;

    owned_with_three(tper);
    opal_tper_set_byte_listener(tper, note_write, writes);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS2, 100, "abc", 3), 0);
    assert_int_equal(host_write_bytes(tper, tsn, DS3, 7, "de", 2), 0);
    /*
     * DataStore2 after DataStore's 1 MiB, DataStore3 after DataStore2's 64 KiB.
     */
    assert_int_equal(writes->len, 2);
    w = &g_array_index(writes, Write, 0);
    assert_int_equal(w->table, DS1);
    assert_int_equal(w->offset, 1024 * 1024 + 100);
    assert_int_equal(w->len, 3);
    w = &g_array_index(writes, Write, 1);
    assert_int_equal(w->table, DS1);
    assert_int_equal(w->offset, 1024 * 1024 + 64 * 1024 + 7);
    /* RevertSP zeroes each table where it is. */
    g_array_set_size(writes, 0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REVERTSP),
                     0);
    {
        uint64_t zeroed = 0;

        for (guint i = 0; i < writes->len; i++) {
            w = &g_array_index(writes, Write, i);
            if (w->table == DS1) {
                assert_true(w->zeros);
                assert_int_equal(w->offset, zeroed);
                zeroed += w->len;
            }
        }
        assert_int_equal(zeroed, 1024 * 1024 + 64 * 1024 + 4096);
    }
}

static void test_persistence(void **state)
{
    OpalTPer *tper = *state, *copy = opal_tper_new(&host_test_config);
    g_autofree uint8_t *area = g_malloc0(TOTAL);
    g_autofree uint8_t *saved = NULL, *apart = NULL, *running = NULL;
    g_autofree char *error = NULL;
    char buf[16];
    uint64_t rows;
    size_t len, apart_len, running_len;
    uint32_t tsn;

    owned_with_three(tper);
    opal_tper_set_byte_listener(tper, area_write, area);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS2, 70000 - 65536, "in two",
                                      7),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS3, 4090, "three", 6), 0);
    assert_int_equal(set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_N_GET_ALL(3),
                             OPAL_UID_AUTH_USER1), 0);
    host_end_session(tper, tsn);
    saved = opal_tper_save(tper, &len);
    apart = opal_tper_save_apart(tper, &apart_len);
    running = opal_tper_save_running(tper, &running_len);

    /* The whole state, the state with its tables apart, the running state. */
    for (int how = 0; how < 3; how++) {
        bool ok = how == 0 ? opal_tper_load(copy, saved, len, &error) :
                  how == 1 ? opal_tper_load_apart(copy, apart, apart_len,
                                                  area_read, area, &error) :
                             opal_tper_load_running(copy, running, running_len,
                                                    &error);

        assert_true(ok);
        opal_tper_reset(copy, OPAL_RESET_POWER_CYCLE);
        assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1,
                                              HOST_SID_PIN, &tsn),
                         0);
        assert_int_equal(rows_of(copy, tsn, DS2, &rows), 0);
        assert_int_equal(rows, 64 * 1024);
        assert_int_equal(rows_of(copy, tsn, DS1, &rows), 0);
        assert_int_equal(rows, 1024 * 1024);
        assert_int_equal(host_read_bytes(copy, tsn, DS2, 70000 - 65536, buf, 7),
                         0);
        assert_string_equal(buf, "in two");
        /*
         * DataStore3's Get ACE is User1's now, its Set ACE still the Admins'.
         */
        assert_int_not_equal(host_read_bytes(copy, tsn, DS3, 4090, buf, 6), 0);
        assert_int_equal(host_write_bytes(copy, tsn, DS3, 0, "x", 1), 0);
        host_end_session(copy, tsn);
    }

    /* A drive with less DataStore space cannot take it. */
    {
        OpalConfig small = host_test_config;
        OpalTPer *other;

        small.datastore_size = 1024 * 1024;
        other = opal_tper_new(&small);
        assert_false(opal_tper_load(other, saved, len, &error));
        assert_non_null(strstr(error, "datastore-size"));
        opal_tper_free(other);
    }
    opal_tper_free(copy);
}

/* ---- Revert, RevertSP, Reactivate ---------------------------------------- */

static void test_revert(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    owned_with_three(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REVERTSP),
                     0);
    /* Activated again without sizes: the one table of the whole size. */
    host_activate(tper);
    expect_one_table(tper);

    /* The AdminSP's Revert too. */
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_LOCKINGSP,
                                     OPAL_UID_M_REVERT),
                     0);
    host_end_session(tper, tsn);
    assert_int_equal(activate(tper, (const uint64_t[]){ 4096, 4096 }, 2), 0);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_ADMINSP,
                                     OPAL_UID_M_REVERT),
                     0);
    host_take_ownership(tper);
    host_activate(tper);
    expect_one_table(tper);
}

/* SingleUserSelectionList [ Range1 ]. */
static void put_range1(GByteArray *b)
{
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_uid(b, OPAL_UID_LOCKING_RANGE(1));
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
}

/*
 * Reactivate exists in Single User Mode: Activate with Range1 single-user and
 * tables.
 */
static void test_reactivate(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    char buf[4];
    uint64_t rows;
    uint32_t tsn;

    host_take_ownership(tper);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    put_range1(b);
    put_sizes(b, OPAL_DS_PARAM_ACTIVATE_SIZES, three, G_N_ELEMENTS(three));
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    host_end_session(tper, tsn);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_write_bytes(tper, tsn, DS2, 0, "old", 4), 0);
    assert_int_equal(set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_N_GET_ALL(2),
                             OPAL_UID_AUTH_USER1), 0);
    /* Refused sizes change nothing. */
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REACTIVATE);
    put_sizes(b, OPAL_DS_PARAM_REACTIVATE_SIZES,
              (const uint64_t[]){ 4096, 100 }, 2);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REACTIVATE);
    put_sizes(b, OPAL_DS_PARAM_REACTIVATE_SIZES,
              (const uint64_t[]){ TOTAL, 512 }, 2);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INSUFFICIENT_SPACE);
    assert_int_equal(rows_of(tper, tsn, DS3, &rows), 0);
    /*
     * Two tables now (0x060003, DSFS 3.1.2.2): new, empty, their ACEs the
     * Admins' again; Range1 stays single-user, so that Reactivate stays.
     */
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REACTIVATE);
    put_range1(b);
    put_sizes(b, OPAL_DS_PARAM_REACTIVATE_SIZES,
              (const uint64_t[]){ 8192, 2 * 1024 * 1024 }, 2);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(rows_of(tper, tsn, DS1, &rows), 0);
    assert_int_equal(rows, 8192);
    assert_int_equal(rows_of(tper, tsn, DS2, &rows), 0);
    assert_int_equal(rows, 2 * 1024 * 1024);
    assert_int_not_equal(rows_of(tper, tsn, DS3, &rows), 0);
    assert_int_equal(host_read_bytes(tper, tsn, DS2, 0, buf, 4), 0);
    assert_memory_equal(buf, "\0\0\0\0", 4);
    /* Without the parameter: one table of the whole size again. */
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REACTIVATE);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    expect_one_table(tper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_activate_sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activate_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activate_drops_stray_bytes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_get_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_access_per_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_places, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reactivate, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
