/*
 * Unit tests of ComPacket / Packet / SubPacket framing (Core 3.2.3)
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

#define COMID 0x07fe

/* 5 bytes: padded to 8 */
static const uint8_t tokens[] = { 0xf8, 0xa1, 0x01, 0xf9, 0x00 };

/* A host ComPacket as Linux frames it, in a 512-byte transfer. */
static void frame(uint8_t *buf)
{
    g_autoptr(GByteArray) p =
        opal_packet_build(COMID, 0x1001, 0x41, tokens, sizeof(tokens));

    memset(buf, 0, 512);
    memcpy(buf, p->data, p->len);
}

static void test_build_layout(void **state)
{
    g_autoptr(GByteArray) p =
        opal_packet_build(COMID, 0x1001, 0x41, tokens, sizeof(tokens));

    assert_int_equal(p->len, 20 + 24 + 12 + 8);
    assert_int_equal(opal_get_be16(p->data + 4), COMID);
    assert_int_equal(opal_get_be32(p->data + 8), 0);    /* OutstandingData */
    assert_int_equal(opal_get_be32(p->data + 16), 24 + 12 + 8);
    assert_int_equal(opal_get_be32(p->data + 20), 0x1001);  /* TSN */
    assert_int_equal(opal_get_be32(p->data + 24), 0x41);    /* HSN */
    assert_int_equal(opal_get_be32(p->data + 40), 12 + 8);  /* Packet length */
    assert_int_equal(opal_get_be16(p->data + 50), 0);       /* data SubPacket */
    assert_int_equal(opal_get_be32(p->data + 52), sizeof(tokens));
    assert_memory_equal(p->data + 56, tokens, sizeof(tokens));
    assert_int_equal(p->data[61] | p->data[62] | p->data[63], 0);
}

static void test_parse(void **state)
{
    uint8_t buf[512];
    OpalPacket pkt;
    const char *why = NULL;

    frame(buf);
    assert_true(opal_packet_parse(buf, sizeof(buf), COMID, &pkt, &why));
    assert_int_equal(pkt.tsn, 0x1001);
    assert_int_equal(pkt.hsn, 0x41);
    assert_int_equal(pkt.len, sizeof(tokens));
    assert_memory_equal(pkt.data, tokens, sizeof(tokens));
    assert_ptr_equal(pkt.data, buf + 56);
}

/* Every length field, made to point past what arrived, is refused. */
static void test_lengths(void **state)
{
    static const struct {
        size_t offset;      /* of the big-endian length field */
        uint32_t value;
    } cases[] = {
        { 16, 512 - 20 + 1 },           /* ComPacket beyond the transfer */
        { 16, 0xffffffff },
        { 16, 23 },                     /* ComPacket too short for a Packet */
        { 40, 44 + 1 },                 /* Packet beyond the ComPacket */
        { 40, 0xffffffff },
        { 40, 11 },                     /* Packet too short for a SubPacket */
        { 52, 20 - 12 + 1 },            /* SubPacket beyond the Packet */
        { 52, 0xffffffff },
    };
    uint8_t buf[512];
    OpalPacket pkt;

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *why = NULL;

        frame(buf);
        opal_put_be32(buf + cases[i].offset, cases[i].value);
        assert_false(opal_packet_parse(buf, sizeof(buf), COMID, &pkt, &why));
        assert_non_null(why);
    }
}

static void test_truncated_transfer(void **state)
{
    uint8_t buf[512];
    OpalPacket pkt;
    const char *why;

    frame(buf);
    for (size_t len = 0; len < 20 + 24 + 12 + 8; len++) {
        why = NULL;
        assert_false(opal_packet_parse(buf, len, COMID, &pkt, &why));
        assert_non_null(why);
    }
    assert_true(opal_packet_parse(buf, 64, COMID, &pkt, &why));
}

static void test_wrong_comid_or_kind(void **state)
{
    uint8_t buf[512];
    OpalPacket pkt;
    const char *why;

    frame(buf);
    assert_false(opal_packet_parse(buf, sizeof(buf), 0x07ff, &pkt, &why));
    frame(buf);
    buf[7] = 1;                                         /* ComID extension */
    assert_false(opal_packet_parse(buf, sizeof(buf), COMID, &pkt, &why));
    frame(buf);
    buf[51] = 0x01; /* credit control SubPacket */
    assert_false(opal_packet_parse(buf, sizeof(buf), COMID, &pkt, &why));
}

/*
 * A second Packet or SubPacket behind the first is beyond the announced limits.
 */
static void test_second_packet(void **state)
{
    uint8_t buf[512];
    OpalPacket pkt;
    const char *why;

    frame(buf);
    opal_put_be32(buf + 16, 44 + 24);   /* room for another Packet */
    buf[64] = 0x01;
    assert_false(opal_packet_parse(buf, sizeof(buf), COMID, &pkt, &why));

    frame(buf);
    opal_put_be32(buf + 16, 44 + 12);
    opal_put_be32(buf + 40, 32);    /* room for another SubPacket */
    buf[64] = 0x01;
    assert_false(opal_packet_parse(buf, sizeof(buf), COMID, &pkt, &why));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_layout),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_truncated_transfer),
        cmocka_unit_test(test_wrong_comid_or_kind),
        cmocka_unit_test(test_second_packet),
    };

    return cmocka_run_group_tests_name("packet", tests, NULL, NULL);
}
