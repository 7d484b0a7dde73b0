/*
 * Unit tests of method invocation parsing (Core 3.2.4)
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

#include "opal-internal.h"

/*
 * The calls below are written byte by byte: 0xa8 starts a UID (an 8-byte
 * short atom, Core 3.2.2.3.1.1), and every call ends with EndOfData and
 * the status list [0, 0, 0] (Core 3.2.4.1).
 */

/* Get on Locking_Range1 with a cell block: startColumn 3, endColumn 4. */
static const uint8_t get_call[] = {
    0xf8,
    0xa8, 0, 0, 8, 2, 0, 3, 0, 2,               /* Locking_Range1 */
    0xa8, 0, 0, 0, 6, 0, 0, 0, 0x16,            /* Get */
    0xf0,
      0xf0, 0xf2, 0x03, 0x03, 0xf3, 0xf2, 0x04, 0x04, 0xf3, 0xf1,
    0xf1,
    0xf9, 0xf0, 0x00, 0x00, 0x00, 0xf1,
};

/*
 * StartSession: HSN, SPID, Write, then HostChallenge (0) and
 * HostSigningAuthority (3).
 */
static const uint8_t start_session[] = {
    0xf8,
    0xa8, 0, 0, 0, 0, 0, 0, 0, 0xff,            /* SMUID */
    0xa8, 0, 0, 0, 0, 0, 0, 0xff, 0x02,         /* StartSession */
    0xf0,
      0x81, 0x41,
      0xa8, 0, 0, 2, 5, 0, 0, 0, 1,             /* Admin SP */
      0x01,
      0xf2, 0x00, 0xa3, 'p', 'w', 'd', 0xf3,
      0xf2, 0x03,
      0xa8, 0, 0, 0, 9, 0, 0, 0, 6,             /* Admin1 */
      0xf3,
    0xf1,
    0xf9, 0xf0, 0x00, 0x00, 0x00, 0xf1,
};

static void test_get(void **state)
{
    OpalCall call;
    const char *why = NULL;

    assert_true(opal_call_parse(&call, get_call, sizeof(get_call), &why));
    assert_true(call.invoking_uid == 0x0000080200030002ULL);
    assert_true(call.method_uid == 0x0000000600000016ULL);
    assert_int_equal(call.nr_required, 1);
    assert_int_equal(call.nr_optional, 0);
    assert_int_equal(call.required[0].count, 10);
    opal_call_clear(&call);
}

static void test_start_session(void **state)
{
    OpalCall call;
    const char *why = NULL;
    const OpalValue *v;
    const uint8_t *pw;
    size_t len;
    uint64_t u;

    assert_true(opal_call_parse(&call, start_session, sizeof(start_session),
                                &why));
    assert_int_equal(call.nr_required, 3);
    assert_true(opal_value_uint(&call.required[0], &u));
    assert_int_equal(u, 0x41);
    assert_true(opal_value_uid(&call.required[1], &u));
    assert_true(u == 0x0000020500000001ULL);
    assert_false(opal_value_bytes(&call.required[2], &pw, &len));
    assert_int_equal(call.nr_optional, 2);
    v = opal_call_optional(&call, 0);
    assert_non_null(v);
    assert_true(opal_value_bytes(v, &pw, &len));
    assert_int_equal(len, 3);
    assert_memory_equal(pw, "pwd", 3);
    v = opal_call_optional(&call, 3);
    assert_true(opal_value_uid(v, &u));
    assert_true(u == 0x0000000900000006ULL);
    assert_null(opal_call_optional(&call, 1));
    opal_call_clear(&call);
}

/* Cutting a valid call anywhere, or breaking its structure, is refused. */
static void test_truncated(void **state)
{
    for (size_t len = 0; len < sizeof(start_session); len++) {
        OpalCall call;
        const char *why = NULL;

        assert_false(opal_call_parse(&call, start_session, len, &why));
        assert_non_null(why);
        opal_call_clear(&call);
    }
}

static void test_malformed(void **state)
{
    static const struct {
        size_t offset;
        uint8_t value;
    } edits[] = {
        { 0, 0xf0 },        /* no Call */
        { 1, 0xa7 },        /* invoking UID of 7 bytes */
        { 19, 0xf1 },       /* no argument list */
        { 38, 0xf1 },       /* EndList where a name closes */
        { 31, 0xf9 },       /* control token inside the arguments */
        { 33, 0xf0 },       /* optional argument whose name is a list */
        { 54, 0xf0 },       /* list in the status */
        { 51, 0x00 },       /* argument list not closed before EndOfData */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(edits); i++) {
        uint8_t buf[sizeof(start_session)];
        OpalCall call;
        const char *why = NULL;

        memcpy(buf, start_session, sizeof(buf));
        buf[edits[i].offset] = edits[i].value;
        assert_false(opal_call_parse(&call, buf, sizeof(buf), &why));
        assert_non_null(why);
        opal_call_clear(&call);
    }
}

static void test_required_after_optional(void **state)
{
    static const uint8_t bad[] = {
        0xf8,
        0xa8, 0, 0, 0, 0, 0, 0, 0, 0xff,        /* SMUID */
        0xa8, 0, 0, 0, 0, 0, 0, 0xff, 0x02,     /* StartSession */
        0xf0, 0xf2, 0x00, 0x01, 0xf3, 0x05, 0xf1,
        0xf9, 0xf0, 0x00, 0x00, 0x00, 0xf1,
    };
    OpalCall call;
    const char *why = NULL;

    assert_false(opal_call_parse(&call, bad, sizeof(bad), &why));
    opal_call_clear(&call);
}

static void test_deep_nesting(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    static const uint8_t head[] = {
        0xf8,
        0xa8, 0, 0, 0, 0, 0, 0, 0, 0xff,        /* SMUID */
        0xa8, 0, 0, 0, 0, 0, 0, 0xff, 0x02,     /* StartSession */
        0xf0,
    };
    static const uint8_t tail[] = {
        0xf1, 0xf9, 0xf0, 0x00, 0x00, 0x00, 0xf1,
    };
    OpalCall call;
    const char *why = NULL;

    g_byte_array_append(b, head, sizeof(head));
    for (int i = 0; i < 100; i++) {
        opal_token_put_control(b, OPAL_TK_START_LIST);
    }
    for (int i = 0; i < 100; i++) {
        opal_token_put_control(b, OPAL_TK_END_LIST);
    }
    g_byte_array_append(b, tail, sizeof(tail));
    assert_false(opal_call_parse(&call, b->data, b->len, &why));
    assert_string_equal(why, "values nested too deeply");
    opal_call_clear(&call);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_start_session),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_required_after_optional),
        cmocka_unit_test(test_deep_nesting),
    };

    return cmocka_run_group_tests_name("call", tests, NULL, NULL);
}
