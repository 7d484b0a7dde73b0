/*
 * Unit tests of the factory state of the Admin SP and the Locking SP
 * (Opal SSC 2.02, 4.2 and 4.3): who may do what, and that the tables,
 * rows and access rules hang together.
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
#include "sp-tables.h"
#include "uid.h"

#define NOBODY      0   /* a session that authenticated no one: Anybody only */

static const char msid[] = "factory-msid";
static const char psid[] = "factory-psid";

typedef struct Factory {
    OpalSP *admin;
    OpalSP *locking;
} Factory;

static OpalSP *new_admin_sp(void)
{
    return opal_admin_sp_new(&host_test_config, (const uint8_t *)msid,
                             strlen(msid), (const uint8_t *)psid, strlen(psid));
}

static int setup(void **state)
{
    Factory *f = g_new0(Factory, 1);

    f->admin = new_admin_sp();
    f->locking = opal_locking_sp_new(&host_test_config);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Factory *f = *state;

    opal_sp_free(f->admin);
    opal_sp_free(f->locking);
    g_free(f);
    return 0;
}

/* Whether a session that authenticated @who may run @method on @invoking. */
static bool may(const OpalSP *sp, uint64_t who, uint64_t invoking,
                uint64_t method, uint32_t *columns)
{
    OpalAuthSet auth = { .n = who != NOBODY };
    uint32_t dummy;

    auth.uids[0] = who;
    return opal_access_check(sp, &auth, invoking, method,
                             columns ? columns : &dummy, NULL);
}

static OpalRow *row_of(const OpalSP *sp, uint64_t uid)
{
    OpalRow *row = opal_sp_row(sp, uid);

    if (!row) {
        fail_msg("no row %016" G_GINT64_MODIFIER "x", uid);
    }
    return row;
}

static uint64_t cell_uint(const OpalSP *sp, uint64_t uid, uint32_t column)
{
    uint64_t v = 0;

    assert_true(opal_row_get_uint(row_of(sp, uid), column, &v));
    return v;
}

static uint64_t cell_uid(const OpalSP *sp, uint64_t uid, uint32_t column)
{
    uint64_t v = 0;

    assert_true(opal_row_get_uid(row_of(sp, uid), column, &v));
    return v;
}

static void assert_cell_bytes(const OpalSP *sp, uint64_t uid, uint32_t column,
                              const char *expected)
{
    const uint8_t *data;
    size_t len;

    assert_true(opal_row_get_bytes(row_of(sp, uid), column, &data, &len));
    assert_int_equal(len, strlen(expected));
    assert_memory_equal(data, expected, len);
}

/*
 * A C_PIN row whose PIN is @pin: its verifier accepts @pin and nothing else,
 * and the PIN itself is stored nowhere in the row.
 */
static void assert_pin(const OpalSP *sp, uint64_t uid, const char *pin)
{
    const OpalRow *row = row_of(sp, uid);
    g_autofree uint8_t *kek = NULL;
    uint8_t *wrong_kek;

    assert_null(row->cells[OPAL_COL_C_PIN_PIN]);
    assert_true(opal_pin_check(&host_test_config, row, (const uint8_t *)pin,
                               strlen(pin), &kek));
    assert_false(opal_pin_check(&host_test_config, row, (const uint8_t *)"x",
                                1, &wrong_kek));
    assert_null(wrong_kek);
    /* An empty PIN has no KEK worth having; any other has one. */
    assert_true(!kek == !*pin);
    for (int c = 0; *pin && c < OPAL_MAX_COLUMNS; c++) {
        gsize len = 0;
        const uint8_t *data =
            row->cells[c] ? g_bytes_get_data(row->cells[c], &len) : NULL;

        for (gsize i = 0; i + strlen(pin) <= len; i++) {
            assert_false(memcmp(data + i, pin, strlen(pin)) == 0);
        }
    }
}

/* ---- Admin SP ------------------------------------------------------------ */

static void test_admin_msid_readable(void **state)
{
    Factory *f = *state;
    uint32_t cols;

    /* Hosts learn the SID's first PIN from C_PIN_MSID (Opal 4.2.1.6). */
    assert_true(
        may(f->admin, NOBODY, OPAL_UID_C_PIN_MSID, OPAL_UID_M_GET, &cols));
    assert_int_equal(cols, OPAL_COLS(0) | OPAL_COLS(OPAL_COL_C_PIN_PIN));
    assert_cell_bytes(f->admin, OPAL_UID_C_PIN_MSID, OPAL_COL_C_PIN_PIN, msid);
    assert_false(
        may(f->admin, NOBODY, OPAL_UID_C_PIN_MSID, OPAL_UID_M_SET, NULL));
}

static void test_admin_sid_pin(void **state)
{
    Factory *f = *state;
    uint32_t cols;

    assert_pin(f->admin, OPAL_UID_C_PIN_SID, msid);
    assert_false(
        may(f->admin, NOBODY, OPAL_UID_C_PIN_SID, OPAL_UID_M_SET, NULL));
    assert_false(
        may(f->admin, NOBODY, OPAL_UID_C_PIN_SID, OPAL_UID_M_GET, NULL));
    assert_true(may(f->admin, OPAL_UID_AUTH_SID, OPAL_UID_C_PIN_SID,
                    OPAL_UID_M_SET, &cols));
    assert_int_equal(cols, OPAL_COLS(OPAL_COL_C_PIN_PIN));
    assert_true(may(f->admin, OPAL_UID_AUTH_SID, OPAL_UID_C_PIN_SID,
                    OPAL_UID_M_GET, &cols));
    assert_int_equal(cols, OPAL_C_PIN_NOPIN_COLUMNS);
    assert_int_equal(cell_uint(f->admin, OPAL_UID_C_PIN_SID,
                               OPAL_COL_C_PIN_TRIES),
                     0);
}

static void test_admin_sp_objects(void **state)
{
    Factory *f = *state;

    assert_int_equal(cell_uint(f->admin, OPAL_UID_ADMINSP,
                               OPAL_COL_SP_LIFE_CYCLE),
                     OPAL_LIFE_CYCLE_MANUFACTURED);
    assert_int_equal(cell_uint(f->admin, OPAL_UID_LOCKINGSP,
                               OPAL_COL_SP_LIFE_CYCLE),
                     OPAL_LIFE_CYCLE_MANUFACTURED_INACTIVE);
    assert_true(may(f->admin, OPAL_UID_AUTH_SID, OPAL_UID_LOCKINGSP,
                    OPAL_UID_M_ACTIVATE, NULL));
    assert_false(
        may(f->admin, NOBODY, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE, NULL));
    assert_true(may(f->admin, OPAL_UID_AUTH_SID, OPAL_UID_LOCKINGSP,
                    OPAL_UID_M_REVERT, NULL));
    /* The PSID reverts the whole TPer, nothing less, and never sees its PIN. */
    assert_true(may(f->admin, OPAL_UID_AUTH_PSID, OPAL_UID_ADMINSP,
                    OPAL_UID_M_REVERT, NULL));
    assert_false(may(f->admin, OPAL_UID_AUTH_PSID, OPAL_UID_LOCKINGSP,
                     OPAL_UID_M_REVERT, NULL));
    assert_false(may(f->admin, OPAL_UID_AUTH_PSID, OPAL_UID_C_PIN_PSID,
                     OPAL_UID_M_SET, NULL));
    assert_pin(f->admin, OPAL_UID_C_PIN_PSID, psid);
    assert_true(
        may(f->admin, NOBODY, OPAL_UID_THISSP, OPAL_UID_M_AUTHENTICATE, NULL));
    assert_true(
        may(f->admin, NOBODY, OPAL_UID_TPERINFO_OBJ, OPAL_UID_M_GET, NULL));
}

/*
 * TPerInfo.SSC is a list of names holding "Opal" (Opal SSC 2.02, Table 27
 * *TP3), and Makers a class authority, enabled (Table 24).
 */
static void test_admin_tperinfo_and_makers(void **state)
{
    /* [ "Opal" ]: StartList, a 4-byte short atom, EndList. */
    static const uint8_t ssc[] = { 0xf0, 0xa4, 'O', 'p', 'a', 'l', 0xf1 };
    Factory *f = *state;
    const OpalRow *row = row_of(f->admin, OPAL_UID_TPERINFO_OBJ);
    GBytes *cell = row->cells[OPAL_COL_TPERINFO_SSC];
    gsize len = 0;
    const uint8_t *data = cell ? g_bytes_get_data(cell, &len) : NULL;

    assert_non_null(data);
    assert_int_equal(len, sizeof(ssc));
    assert_memory_equal(data, ssc, sizeof(ssc));
    assert_int_equal(cell_uint(f->admin, OPAL_UID_TPERINFO_OBJ,
                               OPAL_COL_TPERINFO_PROTOCOL_VERSION),
                     1);

    assert_int_equal(cell_uint(f->admin, OPAL_UID_AUTH_MAKERS,
                               OPAL_COL_AUTHORITY_IS_CLASS),
                     1);
    assert_int_equal(cell_uint(f->admin, OPAL_UID_AUTH_MAKERS,
                               OPAL_COL_AUTHORITY_ENABLED),
                     1);
}

/* The PSID and its C_PIN are both "PhysicalDriveOwner" (PSID 1.00 T1, T3). */
static void test_admin_psid_common_name(void **state)
{
    Factory *f = *state;

    assert_cell_bytes(f->admin, OPAL_UID_AUTH_PSID, OPAL_COL_COMMON_NAME,
                      "PhysicalDriveOwner");
    assert_cell_bytes(f->admin, OPAL_UID_C_PIN_PSID, OPAL_COL_COMMON_NAME,
                      "PhysicalDriveOwner");
}

static void test_admin_admins_disabled(void **state)
{
    Factory *f = *state;
    uint32_t cols;

    for (unsigned n = 1; n <= OPAL_ADMINSP_ADMINS; n++) {
        uint64_t uid = OPAL_UID_ADMINSP_ADMIN(n);

        assert_int_equal(cell_uint(f->admin, uid, OPAL_COL_AUTHORITY_ENABLED),
                         0);
        assert_int_equal(cell_uid(f->admin, uid, OPAL_COL_AUTHORITY_CLASS),
                         OPAL_UID_AUTH_ADMINS);
        assert_true(
            may(f->admin, OPAL_UID_AUTH_SID, uid, OPAL_UID_M_SET, &cols));
        assert_int_equal(cols, OPAL_COLS(OPAL_COL_AUTHORITY_ENABLED));
    }
    assert_int_equal(cell_uint(f->admin, OPAL_UID_AUTH_SID,
                               OPAL_COL_AUTHORITY_ENABLED),
                     1);
    assert_false(may(f->admin, OPAL_UID_AUTH_SID, OPAL_UID_AUTH_SID,
                     OPAL_UID_M_SET, NULL));
}

/* ---- Locking SP ---------------------------------------------------------- */

static void test_locking_range_lock(void **state)
{
    Factory *f = *state;
    uint64_t range1 = OPAL_UID_LOCKING_RANGE(1);
    uint32_t cols;

    assert_true(
        may(f->locking, OPAL_UID_AUTH_ADMIN1, range1, OPAL_UID_M_SET, &cols));
    assert_true(cols & OPAL_COLS(OPAL_COL_LOCKING_READ_LOCKED));
    assert_true(cols & OPAL_COLS(OPAL_COL_LOCKING_RANGE_START));
    assert_false(may(f->locking, NOBODY, range1, OPAL_UID_M_SET, NULL));
    assert_false(
        may(f->locking, OPAL_UID_AUTH_USER1, range1, OPAL_UID_M_SET, NULL));

    /* Nobody moves the global range (Opal 4.3.5.2). */
    assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1,
                    OPAL_UID_LOCKING_GLOBALRANGE, OPAL_UID_M_SET, &cols));
    assert_true(cols & OPAL_COLS(OPAL_COL_LOCKING_WRITE_LOCKED));
    assert_false(cols & (OPAL_COLS(OPAL_COL_LOCKING_RANGE_START) |
                         OPAL_COLS(OPAL_COL_LOCKING_RANGE_LENGTH) |
                         OPAL_COLS(OPAL_COL_LOCKING_ACTIVE_KEY)));

    /* Anybody sees a range's name, not its state. */
    assert_true(may(f->locking, NOBODY, range1, OPAL_UID_M_GET, &cols));
    assert_int_equal(cols, OPAL_COLS(0) | OPAL_COLS(OPAL_COL_COMMON_NAME));
}

static void test_locking_authorities(void **state)
{
    Factory *f = *state;
    uint32_t cols;

    for (unsigned n = 1; n <= host_test_config.nr_admins; n++) {
        assert_int_equal(cell_uint(f->locking, OPAL_UID_ADMIN(n),
                                   OPAL_COL_AUTHORITY_ENABLED),
                         n == 1);
        assert_int_equal(cell_uid(f->locking, OPAL_UID_ADMIN(n),
                                  OPAL_COL_AUTHORITY_CLASS),
                         OPAL_UID_AUTH_ADMINS);
    }
    for (unsigned n = 1; n <= host_test_config.nr_users; n++) {
        assert_int_equal(cell_uint(f->locking, OPAL_UID_USER(n),
                                   OPAL_COL_AUTHORITY_ENABLED),
                         0);
        assert_int_equal(cell_uid(f->locking, OPAL_UID_USER(n),
                                  OPAL_COL_AUTHORITY_CLASS),
                         OPAL_UID_AUTH_USERS);
        assert_int_equal(cell_uid(f->locking, OPAL_UID_USER(n),
                                  OPAL_COL_AUTHORITY_CREDENTIAL),
                         OPAL_UID_C_PIN_USER(n));
        assert_pin(f->locking, OPAL_UID_C_PIN_USER(n), "");
    }
    assert_null(
        opal_sp_row(f->locking, OPAL_UID_USER(host_test_config.nr_users + 1)));
    assert_null(opal_sp_row(f->locking, OPAL_UID_AUTH_SID));
    /*
     * Admins enable and rename Users (Opal SSC 2.02, Tables 38 and 39:
     * ACE_Authority_Set_Enabled and ACE_User{n}_Set_CommonName are both
     * "Admins"); in the factory state a User may do neither to itself.
     */
    assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1, OPAL_UID_USER(2),
                    OPAL_UID_M_SET, &cols));
    assert_int_equal(cols, OPAL_COLS(OPAL_COL_AUTHORITY_ENABLED) |
                           OPAL_COLS(OPAL_COL_COMMON_NAME));
    assert_false(may(f->locking, OPAL_UID_AUTH_USER1, OPAL_UID_USER(1),
                     OPAL_UID_M_SET, NULL));
}

static void test_locking_pins(void **state)
{
    Factory *f = *state;
    uint32_t cols;

    assert_true(may(f->locking, OPAL_UID_AUTH_USER1, OPAL_UID_C_PIN_USER(1),
                    OPAL_UID_M_SET, &cols));
    assert_int_equal(cols, OPAL_COLS(OPAL_COL_C_PIN_PIN));
    assert_false(may(f->locking, OPAL_UID_USER(2), OPAL_UID_C_PIN_USER(1),
                     OPAL_UID_M_SET, NULL));
    assert_false(may(f->locking, OPAL_UID_AUTH_USER1, OPAL_UID_C_PIN_ADMIN1,
                     OPAL_UID_M_SET, NULL));
    assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1, OPAL_UID_C_PIN_USER(3),
                    OPAL_UID_M_GET, &cols));
    assert_int_equal(cols, OPAL_C_PIN_NOPIN_COLUMNS);
    assert_false(may(f->locking, OPAL_UID_AUTH_USER1, OPAL_UID_C_PIN_USER(1),
                     OPAL_UID_M_GET, NULL));
}

static void test_locking_ranges_and_keys(void **state)
{
    Factory *f = *state;
    uint32_t cols;

    for (unsigned n = 0; n <= host_test_config.nr_ranges; n++) {
        uint64_t uid =
            n ? OPAL_UID_LOCKING_RANGE(n) : OPAL_UID_LOCKING_GLOBALRANGE;
        uint64_t key = cell_uid(f->locking, uid, OPAL_COL_LOCKING_ACTIVE_KEY);

        assert_int_equal(OPAL_UID_TABLE_OF(key), OPAL_UID_TABLE_K_AES_256);
        row_of(f->locking, key);
        assert_int_equal(cell_uint(f->locking, uid,
                                   OPAL_COL_LOCKING_READ_LOCKED),
                         0);
        assert_int_equal(cell_uint(f->locking, uid,
                                   OPAL_COL_LOCKING_RANGE_LENGTH),
                         0);
        assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1, key,
                        OPAL_UID_M_GENKEY, NULL));
        assert_false(
            may(f->locking, OPAL_UID_AUTH_USER1, key, OPAL_UID_M_GENKEY, NULL));
        /* The key itself is never shown. */
        assert_true(
            may(f->locking, OPAL_UID_AUTH_ADMIN1, key, OPAL_UID_M_GET, &cols));
        assert_int_equal(cols, OPAL_COLS(OPAL_COL_K_AES_MODE));
    }
    assert_null(opal_sp_row(f->locking, OPAL_UID_LOCKING_RANGE(
                                            host_test_config.nr_ranges + 1)));
    assert_true(
        opal_table_column(&opal_tdef_k_aes_256, OPAL_COL_K_AES_KEY)->flags &
        OPAL_COL_SECRET);
    assert_int_equal(cell_uint(f->locking, OPAL_UID_LOCKINGINFO_OBJ,
                               OPAL_COL_LOCKINGINFO_MAX_RANGES),
                     host_test_config.nr_ranges);
    assert_int_equal(cell_uint(f->locking, OPAL_UID_LOCKINGINFO_OBJ,
                               OPAL_COL_LOCKINGINFO_ALIGNMENT_GRANULARITY),
                     host_test_config.alignment_granularity);
    assert_true(may(f->locking, NOBODY, OPAL_UID_LOCKINGINFO_OBJ,
                    OPAL_UID_M_GET, NULL));
    assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1, OPAL_UID_THISSP,
                    OPAL_UID_M_REVERTSP, NULL));
    assert_false(may(f->locking, OPAL_UID_AUTH_USER1, OPAL_UID_THISSP,
                     OPAL_UID_M_REVERTSP, NULL));
}

static void test_locking_byte_tables(void **state)
{
    Factory *f = *state;

    /* Linux sizes its MBR and DataStore writes by the Table table's Rows. */
    assert_int_equal(cell_uint(f->locking, OPAL_UID_TABLEROW_MBR,
                               OPAL_COL_TABLE_ROWS),
                     host_test_config.mbr_size);
    assert_int_equal(cell_uint(f->locking, OPAL_UID_TABLEROW_DATASTORE,
                               OPAL_COL_TABLE_ROWS),
                     host_test_config.datastore_size);
    assert_true(
        may(f->locking, NOBODY, OPAL_UID_TABLEROW_MBR, OPAL_UID_M_GET, NULL));
    assert_true(
        may(f->locking, NOBODY, OPAL_UID_TABLE_MBR, OPAL_UID_M_GET, NULL));
    assert_false(
        may(f->locking, NOBODY, OPAL_UID_TABLE_MBR, OPAL_UID_M_SET, NULL));
    assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1, OPAL_UID_TABLE_MBR,
                    OPAL_UID_M_SET, NULL));
    assert_false(may(f->locking, NOBODY, OPAL_UID_TABLE_DATASTORE,
                     OPAL_UID_M_GET, NULL));
    assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1, OPAL_UID_TABLE_DATASTORE,
                    OPAL_UID_M_GET, NULL));
    assert_true(may(f->locking, OPAL_UID_AUTH_ADMIN1, OPAL_UID_MBRCONTROL_OBJ,
                    OPAL_UID_M_SET, NULL));
    assert_int_equal(cell_uint(f->locking, OPAL_UID_MBRCONTROL_OBJ,
                               OPAL_COL_MBRCONTROL_ENABLE), 0);
}

/*
 * Linux's "add user to locking range": an Admin rewrites the range's lock ACEs.
 */
static void test_locking_personalize(void **state)
{
    OpalSP *sp = opal_locking_sp_new(&host_test_config);
    const uint64_t who[] = { OPAL_UID_AUTH_ADMINS, OPAL_UID_AUTH_USER1 };
    uint64_t ace = OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(1);
    uint32_t cols;

    assert_true(may(sp, OPAL_UID_AUTH_ADMIN1, ace, OPAL_UID_M_SET, &cols));
    assert_int_equal(cols, OPAL_COLS(OPAL_COL_ACE_BOOLEAN_EXPR));
    assert_false(may(sp, OPAL_UID_AUTH_USER1, ace, OPAL_UID_M_SET, NULL));
    /* The Admins' own ACEs stay theirs. */
    assert_false(may(sp, OPAL_UID_AUTH_ADMIN1,
                     OPAL_UID_ACE_LOCKING_ADMINS_RANGESTARTTOLOR,
                     OPAL_UID_M_SET, NULL));

    opal_row_set_ace_any_of(row_of(sp, ace), OPAL_COL_ACE_BOOLEAN_EXPR, who, 2);
    assert_true(may(sp, OPAL_UID_AUTH_USER1, OPAL_UID_LOCKING_RANGE(1),
                    OPAL_UID_M_SET, &cols));
    assert_int_equal(cols, OPAL_COLS(OPAL_COL_LOCKING_READ_LOCKED));
    assert_false(may(sp, OPAL_UID_USER(2), OPAL_UID_LOCKING_RANGE(1),
                     OPAL_UID_M_SET, NULL));

    /* Only such a personalization lets a User rename itself (Table 38). */
    ace = OPAL_UID_ACE_USER_SET_COMMONNAME(1);
    assert_true(may(sp, OPAL_UID_AUTH_ADMIN1, ace, OPAL_UID_M_SET, &cols));
    assert_int_equal(cols, OPAL_COLS(OPAL_COL_ACE_BOOLEAN_EXPR));
    opal_row_set_ace_any_of(row_of(sp, ace), OPAL_COL_ACE_BOOLEAN_EXPR, who, 2);
    assert_true(may(sp, OPAL_UID_AUTH_USER1, OPAL_UID_USER(1), OPAL_UID_M_SET,
                    &cols));
    assert_int_equal(cols, OPAL_COLS(OPAL_COL_COMMON_NAME));
    opal_sp_free(sp);
}

/* ---- both SPs hang together ---------------------------------------------- */

/* Whether @uid names something a method may be invoked on in @sp. */
static bool invocable(const OpalSP *sp, uint64_t uid)
{
    return uid == OPAL_UID_THISSP || opal_sp_row(sp, uid) ||
           opal_sp_table(sp, uid);
}

static void check_rules(const OpalSP *sp)
{
    g_autoptr(GHashTable) seen =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < sp->rules->len; i++) {
        const OpalAccessRule *rule =
            &g_array_index(sp->rules, OpalAccessRule, i);
        char *key =
            g_strdup_printf("%" G_GINT64_MODIFIER "x/%" G_GINT64_MODIFIER "x",
                            rule->invoking, rule->method);

        if (!g_hash_table_add(seen, key)) {
            fail_msg("two rules for %s", key);
        }
        assert_true(invocable(sp, rule->invoking));
        assert_non_null(opal_sp_row(sp, rule->method));     /* a MethodID row */
        assert_true(rule->nr_acl >= 1);
        for (size_t j = 0; j < rule->nr_acl; j++) {
            const OpalRow *ace = row_of(sp, rule->acl[j]);

            assert_int_equal(ace->def->uid, OPAL_UID_TABLE_ACE);
        }
    }
}

static void check_authorities(const OpalSP *sp)
{
    const OpalTable *t = opal_sp_table(sp, OPAL_UID_TABLE_AUTHORITY);

    for (guint i = 0; i < t->rows->len; i++) {
        const OpalRow *auth = g_ptr_array_index(t->rows, i);
        uint64_t credential, class, operation;

        assert_true(
            opal_row_get_uid(auth, OPAL_COL_AUTHORITY_CREDENTIAL, &credential));
        assert_true(
            opal_row_get_uint(auth, OPAL_COL_AUTHORITY_OPERATION, &operation));
        assert_int_equal(operation == OPAL_AUTH_METHOD_PASSWORD,
                         credential != OPAL_UID_NULL);
        if (credential) {
            assert_int_equal(row_of(sp, credential)->def->uid,
                             OPAL_UID_TABLE_C_PIN);
        }
        assert_true(opal_row_get_uid(auth, OPAL_COL_AUTHORITY_CLASS, &class));
        if (class) {
            uint64_t is_class = 0;

            assert_true(opal_row_get_uint(row_of(sp, class),
                                          OPAL_COL_AUTHORITY_IS_CLASS,
                                          &is_class));
            assert_true(is_class);
        }
    }
}

/* Every stored cell is a value its column accepts, as if a host had Set it. */
static void check_cells(const OpalRow *row)
{
    for (uint32_t c = 0; c < OPAL_MAX_COLUMNS; c++) {
        g_autoptr(GArray) tokens = g_array_new(false, false, sizeof(OpalToken));
        const OpalColumn *column;
        OpalTokenReader r;
        OpalToken t;
        OpalValue v;
        gsize len;
        const uint8_t *data;

        if (!row->cells[c]) {
            continue;
        }
        column = opal_table_column(row->def, c);
        if (!column) {
            fail_msg("row %016" G_GINT64_MODIFIER
                     "x has a cell in column %u of %s",
                     row->uid, c, row->def->name);
        }
        data = g_bytes_get_data(row->cells[c], &len);
        opal_token_reader_init(&r, data, len);
        while (opal_token_read(&r, &t)) {
            g_array_append_val(tokens, t);
        }
        assert_null(r.error);
        v.tokens = (const OpalToken *)tokens->data;
        v.count = tokens->len;
        if (!opal_column_accepts(column, &v)) {
            fail_msg("row %016" G_GINT64_MODIFIER
                     "x: %s.%s rejects its factory value",
                     row->uid, row->def->name, column->name);
        }
    }
}

static void check_tables(const OpalSP *sp)
{
    for (guint i = 0; i < sp->tables->len; i++) {
        const OpalTable *t = g_ptr_array_index(sp->tables, i);
        uint64_t rows =
            cell_uint(sp, OPAL_UID_TABLE_ROW(t->def->uid), OPAL_COL_TABLE_ROWS);

        if (t->chunks) {
            assert_int_equal(rows, t->byte_size);
            continue;
        }
        assert_true(opal_table_column(t->def, 0)->flags & OPAL_COL_READONLY);
        if (t->def->uid != OPAL_UID_TABLE_ACCESSCONTROL) {
            assert_int_equal(rows, t->rows->len);
        }
        for (guint j = 0; j < t->rows->len; j++) {
            check_cells(g_ptr_array_index(t->rows, j));
        }
    }
}

static void test_consistency(void **state)
{
    Factory *f = *state;
    const OpalSP *sps[] = { f->admin, f->locking };

    for (size_t i = 0; i < G_N_ELEMENTS(sps); i++) {
        check_rules(sps[i]);
        check_authorities(sps[i]);
        check_tables(sps[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_msid_readable),
        cmocka_unit_test(test_admin_sid_pin),
        cmocka_unit_test(test_admin_sp_objects),
        cmocka_unit_test(test_admin_tperinfo_and_makers),
        cmocka_unit_test(test_admin_psid_common_name),
        cmocka_unit_test(test_admin_admins_disabled),
        cmocka_unit_test(test_locking_range_lock),
        cmocka_unit_test(test_locking_authorities),
        cmocka_unit_test(test_locking_pins),
        cmocka_unit_test(test_locking_ranges_and_keys),
        cmocka_unit_test(test_locking_byte_tables),
        cmocka_unit_test(test_locking_personalize),
        cmocka_unit_test(test_consistency),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
