/*
 * Unit tests of token encoding and decoding (Core 3.2.2.3)
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

/* Decodes exactly one token from @buf, which must use all of it. */
static OpalToken read_one(const uint8_t *buf, size_t len)
{
    OpalTokenReader r;
    OpalToken t, extra;

    opal_token_reader_init(&r, buf, len);
    assert_true(opal_token_read(&r, &t));
    assert_false(opal_token_read(&r, &extra));
    assert_null(r.error);
    return t;
}

static const char *read_error(const uint8_t *buf, size_t len)
{
    OpalTokenReader r;
    OpalToken t;

    opal_token_reader_init(&r, buf, len);
    while (opal_token_read(&r, &t)) {
        /* skip the valid prefix */
    }
    return r.error;
}

static void test_tiny(void **state)
{
    static const uint8_t zero[] = { 0x00 }, max[] = { 0x3f };
    static const uint8_t minus1[] = { 0x7f }, minus32[] = { 0x60 };
    OpalToken t;

    t = read_one(zero, 1);
    assert_int_equal(t.type, OPAL_TOKEN_UINT);
    assert_int_equal(t.uint, 0);
    t = read_one(max, 1);
    assert_int_equal(t.uint, 63);
    t = read_one(minus1, 1);
    assert_int_equal(t.type, OPAL_TOKEN_SINT);
    assert_int_equal(t.sint, -1);
    t = read_one(minus32, 1);
    assert_int_equal(t.sint, -32);
}

static void test_short_integers(void **state)
{
    static const uint8_t u16[] = { 0x82, 0x12, 0x34 };
    static const uint8_t u64[] = { 0x88, 0xff, 0xee, 0xdd, 0xcc,
                                   0xbb, 0xaa, 0x99, 0x88 };
    static const uint8_t s8[] = { 0x91, 0x80 };
    static const uint8_t padded[] = { 0x89, 0x00, 1, 2, 3, 4, 5, 6, 7, 8 };
    OpalToken t;

    t = read_one(u16, sizeof(u16));
    assert_int_equal(t.type, OPAL_TOKEN_UINT);
    assert_int_equal(t.uint, 0x1234);
    t = read_one(u64, sizeof(u64));
    assert_true(t.uint == 0xffeeddccbbaa9988ULL);
    t = read_one(s8, sizeof(s8));
    assert_int_equal(t.type, OPAL_TOKEN_SINT);
    assert_int_equal(t.sint, -128);
    /* A leading zero byte does not make the value wider than 64 bits. */
    t = read_one(padded, sizeof(padded));
    assert_true(t.uint == 0x0102030405060708ULL);
}

static void test_byte_sequences(void **state)
{
    uint8_t buf[4 + 3000];
    OpalToken t;

    /* short */
    buf[0] = 0xa3;
    memcpy(buf + 1, "abc", 3);
    t = read_one(buf, 4);
    assert_int_equal(t.type, OPAL_TOKEN_BYTES);
    assert_int_equal(t.len, 3);
    assert_memory_equal(t.bytes, "abc", 3);
    /* medium, 2047 bytes */
    buf[0] = 0xd7;
    buf[1] = 0xff;
    memset(buf + 2, 0x5a, 2047);
    t = read_one(buf, 2 + 2047);
    assert_int_equal(t.len, 2047);
    assert_ptr_equal(t.bytes, buf + 2);
    /* long, 3000 bytes */
    buf[0] = 0xe2;
    buf[1] = 0x00;
    buf[2] = 3000 >> 8;
    buf[3] = 3000 & 0xff;
    t = read_one(buf, 4 + 3000);
    assert_int_equal(t.len, 3000);
    /* empty byte sequence */
    buf[0] = 0xa0;
    t = read_one(buf, 1);
    assert_int_equal(t.len, 0);
}

static void test_control_and_empty(void **state)
{
    static const uint8_t stream[] = { 0xff, 0xf8, 0xff, 0xff,
                                      0xf0, 0xf1, 0xf9, 0xff };
    OpalTokenReader r;
    OpalToken t;

    opal_token_reader_init(&r, stream, sizeof(stream));
    assert_true(opal_token_read(&r, &t));
    assert_int_equal(t.type, OPAL_TOKEN_CONTROL);
    assert_int_equal(t.control, OPAL_TK_CALL);
    assert_true(opal_token_read(&r, &t));
    assert_int_equal(t.control, OPAL_TK_START_LIST);
    assert_true(opal_token_read(&r, &t));
    assert_int_equal(t.control, OPAL_TK_END_LIST);
    assert_true(opal_token_read(&r, &t));
    assert_int_equal(t.control, OPAL_TK_END_OF_DATA);
    assert_false(opal_token_read(&r, &t));
    assert_null(r.error);
}

static void test_malformed(void **state)
{
    static const struct {
        uint8_t bytes[6];
        size_t len;
    } cases[] = {
        { { 0xe4 }, 1 },                        /* reserved atom */
        { { 0xef }, 1 },
        { { 0xf4 }, 1 },                        /* reserved control tokens */
        { { 0xf7 }, 1 },
        { { 0xfd }, 1 },
        { { 0xfe }, 1 },
        { { 0xb0 }, 1 },                    /* continued short byte sequence */
        { { 0xd8, 0x01, 0x00 }, 3 },        /* continued medium */
        { { 0xe3, 0, 0, 1, 0 }, 5 },        /* continued long */
        { { 0x80 }, 1 },                    /* integer of length 0 */
        { { 0xa5, 1, 2 }, 3 },              /* short atom past the end */
        { { 0xd0 }, 1 },                    /* truncated medium header */
        { { 0xd0, 0x05, 1 }, 3 },           /* medium atom past the end */
        { { 0xe2, 0x00 }, 2 },              /* truncated long header */
        { { 0xe2, 0xff, 0xff, 0xff }, 4 },  /* long atom past the end */
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_non_null(read_error(cases[i].bytes, cases[i].len));
    }
}

static void test_wide_integer(void **state)
{
    uint8_t buf[10] = { 0x89, 0x01 };

    assert_non_null(read_error(buf, sizeof(buf)));
}

/* A malformed token ends the stream: nothing after it is read. */
static void test_error_is_final(void **state)
{
    static const uint8_t stream[] = { 0x01, 0xfe, 0x02 };
    OpalTokenReader r;
    OpalToken t;

    opal_token_reader_init(&r, stream, sizeof(stream));
    assert_true(opal_token_read(&r, &t));
    assert_false(opal_token_read(&r, &t));
    assert_non_null(r.error);
    assert_false(opal_token_read(&r, &t));
}

/* What the writers produce reads back the same, in the shortest encoding. */
static void test_round_trip(void **state)
{
    static const uint64_t values[] = {
        0, 1, 63, 64, 255, 256, 0xffff, 0x10000, 0xffffffffULL, UINT64_MAX,
    };
    static const size_t encoded_len[] = { 1, 1, 1, 2, 2, 3, 3, 4, 5, 9 };
    static const size_t byte_lens[] = { 0, 1, 15, 16, 2047, 2048, 70000 };
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autofree uint8_t *data = g_malloc(70000);
    OpalToken t;

    for (size_t i = 0; i < G_N_ELEMENTS(values); i++) {
        g_byte_array_set_size(out, 0);
        opal_token_put_uint(out, values[i]);
        assert_int_equal(out->len, encoded_len[i]);
        t = read_one(out->data, out->len);
        assert_int_equal(t.type, OPAL_TOKEN_UINT);
        assert_true(t.uint == values[i]);
    }
    for (size_t i = 0; i < 70000; i++) {
        data[i] = i * 7;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(byte_lens); i++) {
        g_byte_array_set_size(out, 0);
        opal_token_put_bytes(out, data, byte_lens[i]);
        t = read_one(out->data, out->len);
        assert_int_equal(t.type, OPAL_TOKEN_BYTES);
        assert_int_equal(t.len, byte_lens[i]);
        assert_memory_equal(t.bytes, data, byte_lens[i]);
    }
    g_byte_array_set_size(out, 0);
    opal_token_put_uid(out, 0x0000020500000001ULL);
    assert_int_equal(out->len, 9);
    assert_int_equal(out->data[0], 0xa8);
    assert_int_equal(out->data[4], 0x05);
    assert_int_equal(out->data[8], 0x01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiny),
        cmocka_unit_test(test_short_integers),
        cmocka_unit_test(test_byte_sequences),
        cmocka_unit_test(test_control_and_empty),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_wide_integer),
        cmocka_unit_test(test_error_is_final),
        cmocka_unit_test(test_round_trip),
    };

    return cmocka_run_group_tests_name("token", tests, NULL, NULL);
}
