/*
 * Unit tests of the TPer's IF-SEND / IF-RECV dispatch: security protocols
 * 0x00 (information), 0x01 (discovery, base ComID) and 0x02 (ComID management,
 * Block SID)
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

static void test_supported_protocols(void **state)
{
    uint8_t buf[512];

    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(opal_if_recv(*state, 0x00, 0x0000, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be16(buf + 6), 3);
    assert_int_equal(buf[8], 0x00);
    assert_int_equal(buf[9], 0x01);
    assert_int_equal(buf[10], 0x02);
    assert_int_equal(buf[11], 0x00);
    assert_int_equal(buf[511], 0x00);
}

static void test_info_errors(void **state)
{
    uint8_t buf[512];

    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(opal_if_recv(*state, 0x00, 0x0001, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf), 0);            /* no certificate */
    assert_int_equal(opal_if_recv(*state, 0x00, 0x0002, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x00, 0x0000, buf, sizeof(buf)),
                     OPAL_IF_BAD_PROTOCOL);
}

static void test_bad_protocols(void **state)
{
    static const uint8_t protocols[] = { 0x03, 0x06, 0xee, 0xef, 0xff };
    uint8_t buf[512] = { 0 };

    for (size_t i = 0; i < G_N_ELEMENTS(protocols); i++) {
        assert_int_equal(opal_if_recv(*state, protocols[i], 0x07fe, buf, sizeof(buf)),
                         OPAL_IF_BAD_PROTOCOL);
        assert_int_equal(opal_if_send(*state, protocols[i], 0x07fe, buf, sizeof(buf)),
                         OPAL_IF_BAD_PROTOCOL);
    }
}

static void test_bad_comids(void **state)
{
    static const uint16_t comids[] = { 0x0000, 0x0002, 0x07fd, 0x07ff, 0x1000, 0xffff };
    uint8_t buf[512] = { 0 };

    for (size_t i = 0; i < G_N_ELEMENTS(comids); i++) {
        assert_int_equal(opal_if_recv(*state, 0x01, comids[i], buf, sizeof(buf)),
                         OPAL_IF_BAD_SP_SPECIFIC);
        assert_int_equal(opal_if_send(*state, 0x01, comids[i], buf, sizeof(buf)),
                         OPAL_IF_BAD_SP_SPECIFIC);
    }
    /* ComID management: 0x0000 is GET_COMID (receive only). */
    assert_int_equal(opal_if_send(*state, 0x02, 0x0000, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_recv(*state, 0x02, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
}

static void test_oversized(void **state)
{
    static uint8_t buf[OPAL_MAX_TRANSFER + 512];

    assert_int_equal(opal_if_recv(*state, 0x01, 0x0001, buf, OPAL_MAX_TRANSFER), OPAL_IF_OK);
    assert_int_equal(opal_if_recv(*state, 0x01, 0x0001, buf, sizeof(buf)), OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send(*state, 0x01, 0x07fe, buf, sizeof(buf)), OPAL_IF_BAD_LENGTH);
}

/* Core 3.3.10: with nothing queued the base ComID answers an empty ComPacket. */
static void test_empty_compacket(void **state)
{
    uint8_t buf[512];

    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(opal_if_recv(*state, 0x01, 0x07fe, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf), 0);
    assert_int_equal(opal_get_be16(buf + 4), 0x07fe);
    assert_int_equal(opal_get_be32(buf + 8), 0);        /* OutstandingData */
    assert_int_equal(opal_get_be32(buf + 12), 0);       /* MinTransfer */
    assert_int_equal(opal_get_be32(buf + 16), 0);       /* Length */
}

static void test_get_comid(void **state)
{
    uint8_t buf[512];

    assert_int_equal(opal_if_recv(*state, 0x02, 0x0000, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be16(buf), 0x07fe);
    assert_int_equal(opal_get_be16(buf + 2), 0x0000);
}

static void comid_request(void **state, uint32_t code)
{
    uint8_t req[512] = { 0 };

    opal_put_be16(req, 0x07fe);
    opal_put_be32(req + 4, code);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, sizeof(req)), OPAL_IF_OK);
}

static void test_verify_comid_valid(void **state)
{
    uint8_t buf[512];

    comid_request(state, 1);
    assert_int_equal(opal_if_recv(*state, 0x02, 0x07fe, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be16(buf), 0x07fe);
    assert_int_equal(opal_get_be32(buf + 4), 1);
    assert_int_equal(opal_get_be16(buf + 10), 34);
    assert_int_equal(opal_get_be32(buf + 12), 2);       /* Issued */

    /* The answer is consumed: a second receive finds no request. */
    assert_int_equal(opal_if_recv(*state, 0x02, 0x07fe, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf + 4), 0);
    assert_int_equal(opal_get_be16(buf + 10), 0);
}

static void test_stack_reset(void **state)
{
    uint8_t buf[512];

    comid_request(state, 2);
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(opal_if_recv(*state, 0x02, 0x07fe, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf + 4), 2);
    assert_int_equal(opal_get_be16(buf + 10), 4);
    assert_int_equal(opal_get_be32(buf + 12), 0);       /* success */
}

static void test_comid_bad_payload(void **state)
{
    uint8_t req[512] = { 0 };

    opal_put_be16(req, 0x07fd);                         /* ComID differs from the register */
    opal_put_be32(req + 4, 2);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, sizeof(req)), OPAL_IF_BAD_PAYLOAD);
    opal_put_be16(req, 0x07fe);
    opal_put_be16(req + 2, 0x0001);                     /* unknown extension */
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, sizeof(req)), OPAL_IF_BAD_PAYLOAD);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, 7), OPAL_IF_BAD_PAYLOAD);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, NULL, 0), OPAL_IF_OK);
}

/*
 * Block SID (protocol 0x02, ComID 0x0005): IF-SEND needs its Clear Events
 * byte; IF-RECV has nothing to give; no other protocol or ComID takes it.
 */
static void test_block_sid_transport(void **state)
{
    uint8_t buf[512] = { 0 };

    assert_int_equal(opal_if_send_check(*state, 0x02, 0x0005, 0), OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0005, NULL, 0), OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send(*state, 0x01, 0x0005, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0004, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0006, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x00, 0x0005, buf, sizeof(buf)),
                     OPAL_IF_BAD_PROTOCOL);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0005, buf, OPAL_MAX_TRANSFER + 512),
                     OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_recv(*state, 0x01, 0x0005, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    /* None of those blocked anything. */
    assert_false(((OpalTPer *)*state)->sid_blocked);

    /* Any length from one byte on (other transports than ATA move bytes). */
    assert_int_equal(opal_if_send_check(*state, 0x02, 0x0005, 512), OPAL_IF_OK);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0005, buf, 1), OPAL_IF_OK);
    assert_true(((OpalTPer *)*state)->sid_blocked);

    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(opal_if_recv(*state, 0x02, 0x0005, buf, sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be16(buf), 0x0005);
    assert_int_equal(opal_get_be32(buf + 4), 0);        /* no request */
    assert_int_equal(opal_get_be16(buf + 10), 0);       /* no data */
    for (size_t i = 2; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0);
    }
    /* The base ComID's ComID management is unchanged by it. */
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, NULL, 0), OPAL_IF_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_supported_protocols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_info_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_protocols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_comids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_compacket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_comid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_comid_valid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stack_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comid_bad_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_sid_transport, setup, teardown),
    };

    return cmocka_run_group_tests_name("tper", tests, NULL, NULL);
}
