/*
 * Unit tests of the SP table store and access control, on a small SP built
 * by hand (the real factory state has its own tests)
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

#include "sp.h"
#include "uid.h"

static const OpalColumn authority_columns[] = {
    { 0, "UID", OPAL_T_UIDREF, 0, OPAL_COL_READONLY },
    { 1, "Name", OPAL_T_BYTES, 32, OPAL_COL_READONLY },
    { 4, "Class", OPAL_T_UIDREF, 0, OPAL_COL_READONLY },
    { 5, "Enabled", OPAL_T_BOOL, 0, 0 },
};
static const OpalTableDef authority_table = {
    0x0000000900000000ULL, "Authority", OPAL_TABLE_OBJECT,
    authority_columns, G_N_ELEMENTS(authority_columns),
};
static const OpalColumn ace_columns[] = {
    { 0, "UID", OPAL_T_UIDREF, 0, OPAL_COL_READONLY },
    { 1, "Name", OPAL_T_BYTES, 32, OPAL_COL_READONLY },
    { 3, "BooleanExpr", OPAL_T_ACE_EXPR, 0, 0 },
    { 4, "Columns", OPAL_T_ENUM_LIST, 31, OPAL_COL_READONLY },
};
static const OpalTableDef ace_table = {
    0x0000000800000000ULL,     "ACE", OPAL_TABLE_OBJECT, ace_columns,
    G_N_ELEMENTS(ace_columns),
};

#define ADMINS  0x0000000900000002ULL
#define ADMIN1  0x0000000900010001ULL
#define USER1   0x0000000900030001ULL
#define ACE_ADMINS_OR_USER1     0x0000000800000010ULL
#define ACE_ENABLED_ONLY        0x0000000800000011ULL
#define SOME_OBJECT             0x0000080200030001ULL
#define METHOD                  0x0000000600000017ULL

static OpalSP *build(void)
{
    OpalSP *sp = opal_sp_new(OPAL_UID_LOCKINGSP);
    OpalTable *auth = opal_sp_add_table(sp, &authority_table, 0);
    OpalTable *ace = opal_sp_add_table(sp, &ace_table, 0);
    OpalRow *r;
    static const uint64_t who[] = { ADMINS, USER1 }, admins[] = { ADMINS };
    static const uint64_t enabled[] = { 5 };
    static const uint64_t acl[] = { ACE_ADMINS_OR_USER1, ACE_ENABLED_ONLY };

    r = opal_table_add_row(sp, auth, ADMINS);
    opal_row_set_string(r, 1, "Admins");
    r = opal_table_add_row(sp, auth, ADMIN1);
    opal_row_set_string(r, 1, "Admin1");
    opal_row_set_uid(r, OPAL_COL_AUTHORITY_CLASS, ADMINS);
    r = opal_table_add_row(sp, auth, USER1);
    opal_row_set_string(r, 1, "User1");

    r = opal_table_add_row(sp, ace, ACE_ADMINS_OR_USER1);
    opal_row_set_string(r, 1, "ACE_Test_Set");
    opal_row_set_ace_any_of(r, OPAL_COL_ACE_BOOLEAN_EXPR, who, 2);
    opal_row_set_uint_list(r, OPAL_COL_ACE_COLUMNS, NULL, 0);       /* all */
    r = opal_table_add_row(sp, ace, ACE_ENABLED_ONLY);
    opal_row_set_ace_any_of(r, OPAL_COL_ACE_BOOLEAN_EXPR, admins, 1);
    opal_row_set_uint_list(r, OPAL_COL_ACE_COLUMNS, enabled, 1);

    opal_sp_allow(sp, SOME_OBJECT, METHOD, acl, 1);
    opal_sp_allow(sp, ADMIN1, METHOD, acl + 1, 1);
    return sp;
}

static void test_rows(void **state)
{
    OpalSP *sp = build();
    OpalRow *r = opal_sp_row(sp, ADMIN1);
    OpalTable *t = opal_sp_table(sp, authority_table.uid);
    const uint8_t *name;
    size_t len;
    uint64_t uid;

    assert_non_null(r);
    assert_true(opal_row_get_uid(r, 0, &uid));
    assert_true(uid == ADMIN1);
    assert_true(opal_row_get_bytes(r, 1, &name, &len));
    assert_int_equal(len, 6);
    assert_memory_equal(name, "Admin1", 6);
    assert_false(opal_row_get_uint(r, 5, &uid));            /* empty cell */
    /* Rows are kept in UID order, for Next. */
    assert_int_equal(t->rows->len, 3);
    assert_true(((OpalRow *)g_ptr_array_index(t->rows, 0))->uid == ADMINS);
    assert_true(((OpalRow *)g_ptr_array_index(t->rows, 2))->uid == USER1);
    assert_null(opal_sp_row(sp, 0x1234));
    opal_sp_free(sp);
}

static void test_access(void **state)
{
    OpalSP *sp = build();
    OpalAuthSet nobody = { .n = 0 };
    OpalAuthSet admin1 = { .uids = { ADMIN1 }, .n = 1 };
    OpalAuthSet user1 = { .uids = { USER1 }, .n = 1 };
    g_autoptr(GString) why = g_string_new(NULL);
    uint32_t columns;

    /* Admin1 is an Admins member: the class satisfies the ACE. */
    assert_true(
        opal_access_check(sp, &admin1, SOME_OBJECT, METHOD, &columns, NULL));
    assert_int_equal(columns, UINT32_MAX);
    assert_true(
        opal_access_check(sp, &user1, SOME_OBJECT, METHOD, &columns, NULL));
    assert_false(
        opal_access_check(sp, &nobody, SOME_OBJECT, METHOD, &columns, why));
    assert_string_equal(why->str, "session authorities {Anybody} satisfy none "
                                  "of ACE_Test_Set = Admins OR User1");
    /* Columns restrict what a satisfied ACE grants. */
    assert_true(opal_access_check(sp, &admin1, ADMIN1, METHOD, &columns, NULL));
    assert_int_equal(columns, 1u << 5);
    assert_false(opal_access_check(sp, &user1, ADMIN1, METHOD, &columns, NULL));
    /* No rule at all: refused. */
    g_string_truncate(why, 0);
    assert_false(opal_access_check(sp, &admin1, USER1, METHOD, &columns, why));
    assert_string_equal(why->str,
                        "no access control entry for this method on User1");
    opal_sp_free(sp);
}

/* Values are checked against their column's type before a Set stores them. */
#define COL(type_, max_) \
    { \
        .number = 5, .name = "c", .type = (type_), .max = (max_) \
    }

static void test_column_types(void **state)
{
    static const struct {
        OpalColumn column;
        uint8_t bytes[48];
        size_t len;
        bool ok;
    } cases[] = {
        { COL(OPAL_T_BOOL, 0), { 0x01 }, 1, true },
        { COL(OPAL_T_BOOL, 0), { 0x02 }, 1, false },
        { COL(OPAL_T_ENUM, 3), { 0x03 }, 1, true },
        { COL(OPAL_T_ENUM, 3), { 0x04 }, 1, false },
        { COL(OPAL_T_UINT, 0), { 0x84, 1, 2, 3, 4 }, 5, true },
        { COL(OPAL_T_UINT, 0), { 0xa1, 1 }, 2, false },
        { COL(OPAL_T_BYTES, 2), { 0xa2, 'a', 'b' }, 3, true },
        { COL(OPAL_T_BYTES, 2), { 0xa3, 'a', 'b', 'c' }, 4, false },
        { COL(OPAL_T_UIDREF, 0), { 0xa8, 0, 0, 0, 9, 0, 0, 0, 1 }, 9, true },
        { COL(OPAL_T_UIDREF, 0), { 0xa4, 0, 0, 0, 9 }, 5, false },
        { COL(OPAL_T_ENUM_LIST, 3), { 0xf0, 0x00, 0x03, 0xf1 }, 4, true },
        { COL(OPAL_T_ENUM_LIST, 3), { 0xf0, 0x00, 0x04, 0xf1 }, 4, false },
        { COL(OPAL_T_ENUM_LIST, 3), { 0xf0, 0xf1 }, 2, true },
        { COL(OPAL_T_ENUM_LIST, 3), { 0x00 }, 1, false },
        /* BooleanExpr: User1 User1 OR (Linux 6.1's "add user to range"). */
        { COL(OPAL_T_ACE_EXPR, 0),
          { 0xf0, 0xf2, 0xa4, 0, 0,    0x0c, 0x05, 0xa8, 0,   0, 0,
            9,    0,    3,    0, 1,    0xf3, 0xf2, 0xa4, 0,   0, 0x0c,
            0x05, 0xa8, 0,    0, 0,    9,    0,    3,    0,   1, 0xf3,
            0xf2, 0xa4, 0,    0, 0x04, 0x0e, 0x01, 0xf3, 0xf1 },
          42,
          true },
        /* ... with the operator missing: two values left, not one. */
        { COL(OPAL_T_ACE_EXPR, 0),
          { 0xf0, 0xf2, 0xa4, 0, 0,    0x0c, 0x05, 0xa8, 0,    0,    0,    9,
            0,    3,    0,    1, 0xf3, 0xf2, 0xa4, 0,    0,    0x0c, 0x05, 0xa8,
            0,    0,    0,    9, 0,    3,    0,    1,    0xf3, 0xf1 },
          34,
          false },
        /* ... an operator without operands. */
        { COL(OPAL_T_ACE_EXPR, 0),
          { 0xf0, 0xf2, 0xa4, 0, 0, 0x04, 0x0e, 0x01, 0xf3, 0xf1 },
          10,
          false },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GArray) tokens = g_array_new(false, false, sizeof(OpalToken));
        OpalTokenReader r;
        OpalToken t;
        OpalValue v;

        opal_token_reader_init(&r, cases[i].bytes, cases[i].len);
        while (opal_token_read(&r, &t)) {
            g_array_append_val(tokens, t);
        }
        assert_null(r.error);
        v = (OpalValue) { (const OpalToken *)tokens->data, tokens->len };
        assert_int_equal(opal_column_accepts(&cases[i].column, &v),
                         cases[i].ok);
        if (cases[i].ok) {
            g_autoptr(GBytes) enc = opal_value_encode(&v);

            /* Canonical encodings: these inputs are already minimal. */
            assert_int_equal(g_bytes_get_size(enc), cases[i].len);
            assert_memory_equal(g_bytes_get_data(enc, NULL), cases[i].bytes,
                                cases[i].len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_access),
        cmocka_unit_test(test_column_types),
    };

    return cmocka_run_group_tests_name("sp", tests, NULL, NULL);
}
