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
#include "sp-tables.h"
#include "uid.h"

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
    assert_int_equal(opal_if_recv(*state, 0x00, 0x0000, buf, sizeof(buf)),
                     OPAL_IF_OK);
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
    assert_int_equal(opal_if_recv(*state, 0x00, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_OK);
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
        assert_int_equal(opal_if_recv(*state, protocols[i], 0x07fe, buf,
                                      sizeof(buf)),
                         OPAL_IF_BAD_PROTOCOL);
        assert_int_equal(opal_if_send(*state, protocols[i], 0x07fe, buf,
                                      sizeof(buf)),
                         OPAL_IF_BAD_PROTOCOL);
    }
}

static void test_bad_comids(void **state)
{
    static const uint16_t comids[] = { 0x0000, 0x0002, 0x07fd,
                                       0x07ff, 0x1000, 0xffff };
    uint8_t buf[512] = { 0 };

    for (size_t i = 0; i < G_N_ELEMENTS(comids); i++) {
        assert_int_equal(opal_if_recv(*state, 0x01, comids[i], buf,
                                      sizeof(buf)),
                         OPAL_IF_BAD_SP_SPECIFIC);
        assert_int_equal(opal_if_send(*state, 0x01, comids[i], buf,
                                      sizeof(buf)),
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

    assert_int_equal(opal_if_recv(*state, 0x01, 0x0001, buf, OPAL_MAX_TRANSFER),
                     OPAL_IF_OK);
    assert_int_equal(opal_if_recv(*state, 0x01, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send(*state, 0x01, 0x07fe, buf, sizeof(buf)),
                     OPAL_IF_BAD_LENGTH);
}

/*
 * Core 3.3.10: with nothing queued the base ComID answers an empty ComPacket.
 */
static void test_empty_compacket(void **state)
{
    uint8_t buf[512];

    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(opal_if_recv(*state, 0x01, 0x07fe, buf, sizeof(buf)),
                     OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf), 0);
    assert_int_equal(opal_get_be16(buf + 4), 0x07fe);
    assert_int_equal(opal_get_be32(buf + 8), 0);        /* OutstandingData */
    assert_int_equal(opal_get_be32(buf + 12), 0);       /* MinTransfer */
    assert_int_equal(opal_get_be32(buf + 16), 0);       /* Length */
}

static void test_get_comid(void **state)
{
    uint8_t buf[512];

    assert_int_equal(opal_if_recv(*state, 0x02, 0x0000, buf, sizeof(buf)),
                     OPAL_IF_OK);
    assert_int_equal(opal_get_be16(buf), 0x07fe);
    assert_int_equal(opal_get_be16(buf + 2), 0x0000);
}

/*
 * No ComID management (Opal 3.1.1.2: VU; 3.2.1): GET_COMID allocates
 * nothing - it names the static ComID each time - and the dynamic range
 * 0x1000-0xFFFF is unsupported on both protocols, refused as Opal 3.3.3's
 * "Other Invalid Command Parameter", VERIFY_COMID_VALID included.  The
 * static ComID stays Issued (Active), sessions or not.
 */
static void test_no_dynamic_comids(void **state)
{
    static const uint16_t dynamic[] = { 0x1000, 0x1001, 0x8000, 0xffff };
    uint8_t buf[512], req[512] = { 0 };
    uint32_t tsn;

    for (int i = 0; i < 2; i++) {
        assert_int_equal(opal_if_recv(*state, 0x02, 0x0000, buf, sizeof(buf)),
                         OPAL_IF_OK);
        assert_int_equal(opal_get_be16(buf), OPAL_BASE_COMID);
        assert_int_equal(opal_get_be16(buf + 2), 0);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(dynamic); i++) {
        opal_put_be16(req, dynamic[i]);
        opal_put_be32(req + 4, 1);                  /* VERIFY_COMID_VALID */
        assert_int_equal(opal_if_send(*state, 0x02, dynamic[i], req,
                                      sizeof(req)), OPAL_IF_BAD_SP_SPECIFIC);
        assert_int_equal(opal_if_recv(*state, 0x02, dynamic[i], buf,
                                      sizeof(buf)), OPAL_IF_BAD_SP_SPECIFIC);
        assert_int_equal(opal_if_send(*state, 0x01, dynamic[i], req,
                                      sizeof(req)), OPAL_IF_BAD_SP_SPECIFIC);
        assert_int_equal(opal_if_recv(*state, 0x01, dynamic[i], buf,
                                      sizeof(buf)), OPAL_IF_BAD_SP_SPECIFIC);
    }
    assert_int_equal(host_admin_session(*state, 0, NULL, &tsn), 0);
    opal_put_be16(req, OPAL_BASE_COMID);
    assert_int_equal(opal_if_send(*state, 0x02, OPAL_BASE_COMID, req,
                                  sizeof(req)), OPAL_IF_OK);
    assert_int_equal(opal_if_recv(*state, 0x02, OPAL_BASE_COMID, buf,
                                  sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf + 4), 1);
    assert_int_equal(opal_get_be32(buf + 12), 2);       /* Issued */
    for (size_t i = 16; i < 46; i++) {
        assert_int_equal(buf[i], 0);                    /* no times */
    }
}

static void comid_request(void **state, uint32_t code)
{
    uint8_t req[512] = { 0 };

    opal_put_be16(req, 0x07fe);
    opal_put_be32(req + 4, code);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, sizeof(req)),
                     OPAL_IF_OK);
}

static void test_verify_comid_valid(void **state)
{
    uint8_t buf[512];

    comid_request(state, 1);
    assert_int_equal(opal_if_recv(*state, 0x02, 0x07fe, buf, sizeof(buf)),
                     OPAL_IF_OK);
    assert_int_equal(opal_get_be16(buf), 0x07fe);
    assert_int_equal(opal_get_be32(buf + 4), 1);
    assert_int_equal(opal_get_be16(buf + 10), 34);
    assert_int_equal(opal_get_be32(buf + 12), 2);       /* Issued */

    /* The answer is consumed: a second receive finds no request. */
    assert_int_equal(opal_if_recv(*state, 0x02, 0x07fe, buf, sizeof(buf)),
                     OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf + 4), 0);
    assert_int_equal(opal_get_be16(buf + 10), 0);
}

static void test_stack_reset(void **state)
{
    uint8_t buf[512];

    comid_request(state, 2);
    memset(buf, 0xaa, sizeof(buf));
    assert_int_equal(opal_if_recv(*state, 0x02, 0x07fe, buf, sizeof(buf)),
                     OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf + 4), 2);
    assert_int_equal(opal_get_be16(buf + 10), 4);
    assert_int_equal(opal_get_be32(buf + 12), 0);       /* success */
}

static void test_comid_bad_payload(void **state)
{
    uint8_t req[512] = { 0 };

    opal_put_be16(req, 0x07fd); /* ComID differs from the register */
    opal_put_be32(req + 4, 2);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, sizeof(req)),
                     OPAL_IF_BAD_PAYLOAD);
    opal_put_be16(req, 0x07fe);
    opal_put_be16(req + 2, 0x0001);                     /* unknown extension */
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, sizeof(req)),
                     OPAL_IF_BAD_PAYLOAD);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, req, 7),
                     OPAL_IF_BAD_PAYLOAD);
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, NULL, 0), OPAL_IF_OK);
}

/*
 * Block SID (protocol 0x02, ComID 0x0005): IF-SEND needs its Clear Events
 * byte; IF-RECV has nothing to give; no other protocol or ComID takes it.
 */
static void test_block_sid_transport(void **state)
{
    uint8_t buf[512] = { 0 };

    assert_int_equal(opal_if_send_check(*state, 0x02, 0x0005, 0),
                     OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0005, NULL, 0),
                     OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send(*state, 0x01, 0x0005, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0003, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0006, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x00, 0x0005, buf, sizeof(buf)),
                     OPAL_IF_BAD_PROTOCOL);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0005, buf,
                                  OPAL_MAX_TRANSFER + 512),
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
    assert_int_equal(opal_if_recv(*state, 0x02, 0x0005, buf, sizeof(buf)),
                     OPAL_IF_OK);
    assert_int_equal(opal_get_be16(buf), 0x0005);
    assert_int_equal(opal_get_be32(buf + 4), 0);        /* no request */
    assert_int_equal(opal_get_be16(buf + 10), 0);       /* no data */
    for (size_t i = 2; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0);
    }
    /* The base ComID's ComID management is unchanged by it. */
    assert_int_equal(opal_if_send(*state, 0x02, 0x07fe, NULL, 0), OPAL_IF_OK);
}

/* TPER_RESET as the transport issues it (Opal 3.2.3, Table 13): 512 bytes. */
static OpalIfStatus tper_reset(OpalTPer *tper)
{
    uint8_t buf[512];
    OpalIfStatus status = opal_if_send_check(tper, 0x02, 0x0004, sizeof(buf));

    /* The data is ignored, whatever it holds. */
    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(opal_if_send(tper, 0x02, 0x0004, buf, sizeof(buf)),
                     status);
    return status;
}

/*
 * Opal 3.2.3: while TPerInfo's ProgrammaticResetEnable is False (as shipped)
 * TPER_RESET is aborted at the interface level ("Other Invalid Command
 * Parameter") and changes nothing; its transfer length is never zero; it
 * has no IF-RECV response.
 */
static void test_tper_reset_disabled(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t buf[512];
    uint32_t tsn;

    assert_int_equal(host_admin_session(*state, 0, NULL, &tsn), 0);
    assert_int_equal(tper_reset(*state), OPAL_IF_NOT_ENABLED);
    assert_string_equal(opal_if_status_name(OPAL_IF_NOT_ENABLED),
                        "command not enabled");
    assert_int_equal(opal_if_send_check(*state, 0x02, 0x0004, 0),
                     OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send(*state, 0x02, 0x0004, NULL, 0),
                     OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_recv(*state, 0x02, 0x0004, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    assert_int_equal(opal_if_send(*state, 0x01, 0x0004, buf, sizeof(buf)),
                     OPAL_IF_BAD_SP_SPECIFIC);
    /* The session is still there. */
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_RANDOM);
    opal_token_put_uint(b, 4);
    host_call_end(b);
    assert_int_equal(host_call(*state, tsn, b, NULL), 0);

    /* SID enables it; enabled, a zero length is still refused. */
    assert_int_equal(host_set_uint(*state, tsn, OPAL_UID_TPERINFO_OBJ,
                                   OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE,
                                   1), OPAL_ST_NOT_AUTHORIZED);
    host_end_session(*state, tsn);
    host_take_ownership(*state);
    assert_int_equal(host_admin_session(*state, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn), 0);
    assert_int_equal(host_set_uint(*state, tsn, OPAL_UID_TPERINFO_OBJ,
                                   OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE,
                                   1), 0);
    assert_int_equal(opal_if_send_check(*state, 0x02, 0x0004, 0),
                     OPAL_IF_BAD_LENGTH);
    assert_int_equal(opal_if_send_check(*state, 0x02, 0x0004, 1), OPAL_IF_OK);
    assert_int_equal(host_set_uint(*state, tsn, OPAL_UID_TPERINFO_OBJ,
                                   OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE,
                                   0), 0);
    assert_int_equal(tper_reset(*state), OPAL_IF_NOT_ENABLED);
    host_end_session(*state, tsn);
}

/*
 * Opal SSC 2.02, 4.2.6.1, 4.2.7.1 and 4.2.1.5/4.2.1.6: the one row of
 * DataRemovalMechanism says Cryptographic Erase (2), the only mechanism
 * Discovery lists; Anybody reads it; "Admins OR SID" may set it, but only to
 * a supported value: the others of data_removal_mechanism (0..7), defined
 * or reserved, are INVALID_PARAMETER, and its UID is no one's to change.
 */
static void test_data_removal_mechanism(void **state)
{
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    assert_int_equal(host_admin_session(*state, 0, NULL, &tsn), 0);
    assert_int_equal(host_get_columns(*state, tsn,
                                      OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
                                      0, 1, &r), 0);
    assert_int_equal(host_cell(r, 1)->uint, 2);
    g_clear_pointer(&r, host_response_free);
    /* The Admin SP's Table table lists it (Opal SSC 2.02, Table 20). */
    assert_int_equal(host_get_columns(*state, tsn,
                                      OPAL_UID_TABLEROW_DATA_REMOVAL_MECHANISM,
                                      1, 1, &r), 0);
    assert_int_equal(host_cell(r, 1)->len, strlen("DataRemovalMechanism"));
    assert_memory_equal(host_cell(r, 1)->bytes, "DataRemovalMechanism",
                        strlen("DataRemovalMechanism"));
    assert_int_equal(host_set_uint(*state, tsn,
                                   OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ, 1, 2),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(*state, tsn);

    host_take_ownership(*state);
    assert_int_equal(host_admin_session(*state, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn), 0);
    for (uint64_t v = 0; v < 8; v++) {
        assert_int_equal(host_set_uint(*state, tsn,
                                       OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
                                       1, v),
                         v == 2 ? 0 : OPAL_ST_INVALID_PARAMETER);
    }
    assert_int_not_equal(host_set_uint(*state, tsn,
                                       OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
                                       0, 0),
                         0);
    host_end_session(*state, tsn);
}

static unsigned changes_seen;

static bool note_changes(void *opaque, unsigned changes)
{
    changes_seen |= changes;
    return true;
}

/* Column @column of @object, read in a new session as Admin1. */
static uint64_t locking_cell(OpalTPer *tper, uint64_t object, uint64_t column)
{
    HostResponse *r;
    uint32_t tsn;
    uint64_t value;

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    assert_int_equal(host_get_columns(tper, tsn, object, column, column, &r),
                     0);
    value = host_cell(r, column)->uint;
    host_response_free(r);
    host_end_session(tper, tsn);
    return value;
}

/*
 * SPF-12 (TPer Reset): enabled, TPER_RESET is a Programmatic reset (Opal
 * 3.2.3).  Case 1: the global range, whose LockOnReset lists Programmatic,
 * is ReadLocked and WriteLocked again; Range1, whose LockOnReset lists
 * Power Cycle only, stays unlocked.  Case 2: MBRControl.Done is False again,
 * DoneOnReset listing Programmatic.  Sessions on every ComID are aborted,
 * the queued response and ComID request dropped, the host properties back
 * to their initial values.
 */
static void test_spf12_tper_reset(void **state)
{
    static const uint64_t cycle_and_programmatic[] = {
        OPAL_RESET_POWER_CYCLE, OPAL_RESET_PROGRAMMATIC,
    };
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t req[512] = { 0 }, buf[512];
    OpalTPer *tper = *state;
    HostResponse *r;
    uint32_t tsn, admin_tsn;

    host_take_ownership(*state);
    host_activate(*state);
    assert_int_equal(host_admin_session(*state, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &admin_tsn), 0);
    assert_int_equal(host_set_uint(*state, admin_tsn, OPAL_UID_TPERINFO_OBJ,
                                   OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE,
                                   1), 0);
    host_end_session(*state, admin_tsn);

    assert_int_equal(host_locking_session(*state, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    for (uint64_t col = OPAL_COL_LOCKING_READ_LOCK_ENABLED;
         col <= OPAL_COL_LOCKING_WRITE_LOCK_ENABLED; col++) {
        assert_int_equal(host_set_uint(*state, tsn,
                                       OPAL_UID_LOCKING_GLOBALRANGE, col, 1),
                         0);
        assert_int_equal(host_set_uint(*state, tsn, OPAL_UID_LOCKING_RANGE(1),
                                       col, 1), 0);
    }
    assert_int_equal(host_set_uint_list(*state, tsn,
                                        OPAL_UID_LOCKING_GLOBALRANGE,
                                        OPAL_COL_LOCKING_LOCK_ON_RESET,
                                        cycle_and_programmatic, 2), 0);
    assert_int_equal(host_set_uint_list(*state, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                        OPAL_COL_MBRCONTROL_DONE_ON_RESET,
                                        cycle_and_programmatic, 2), 0);
    assert_int_equal(host_set_uint(*state, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_ENABLE, 1), 0);
    assert_int_equal(host_set_uint(*state, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_DONE, 1), 0);

    /* A session open, a Properties response and a ComID request pending. */
    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 0);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_bytes(b, "MaxPacketSize", 13);
    opal_token_put_uint(b, 8000);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    host_send(*state, 0, b);
    opal_put_be16(req, OPAL_BASE_COMID);
    opal_put_be32(req + 4, 1);                  /* VERIFY_COMID_VALID */
    assert_int_equal(opal_if_send(*state, 0x02, OPAL_BASE_COMID, req,
                                  sizeof(req)), OPAL_IF_OK);
    assert_int_equal(tper->host_properties[OPAL_HP_MAX_PACKET_SIZE], 8000);

    changes_seen = 0;
    opal_tper_set_change_listener(*state, note_changes, NULL);
    assert_int_equal(tper_reset(*state), OPAL_IF_OK);
    assert_true(changes_seen & OPAL_CHANGE_MEDIA);

    /* Nothing to receive on either protocol, the session gone. */
    r = host_receive(*state);
    assert_null(r->tokens);
    host_response_free(r);
    assert_int_equal(opal_if_recv(*state, 0x02, OPAL_BASE_COMID, buf,
                                  sizeof(buf)), OPAL_IF_OK);
    assert_int_equal(opal_get_be32(buf + 4), 0);
    assert_int_equal(tper->host_properties[OPAL_HP_MAX_PACKET_SIZE], 2028);
    g_byte_array_set_size(b, 0);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_RANDOM);
    opal_token_put_uint(b, 4);
    host_call_end(b);
    host_send(*state, tsn, b);
    r = host_receive(*state);
    assert_null(r->tokens);
    host_response_free(r);

    /* Case 1 and case 2. */
    assert_int_equal(locking_cell(*state, OPAL_UID_LOCKING_GLOBALRANGE,
                                  OPAL_COL_LOCKING_READ_LOCKED), 1);
    assert_int_equal(locking_cell(*state, OPAL_UID_LOCKING_GLOBALRANGE,
                                  OPAL_COL_LOCKING_WRITE_LOCKED), 1);
    assert_int_equal(locking_cell(*state, OPAL_UID_LOCKING_RANGE(1),
                                  OPAL_COL_LOCKING_READ_LOCKED), 0);
    assert_int_equal(locking_cell(*state, OPAL_UID_LOCKING_RANGE(1),
                                  OPAL_COL_LOCKING_WRITE_LOCKED), 0);
    assert_int_equal(locking_cell(*state, OPAL_UID_MBRCONTROL_OBJ,
                                  OPAL_COL_MBRCONTROL_DONE), 0);
    assert_int_equal(locking_cell(*state, OPAL_UID_MBRCONTROL_OBJ,
                                  OPAL_COL_MBRCONTROL_ENABLE), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_supported_protocols, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_info_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_protocols, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_comids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_compacket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_comid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_dynamic_comids, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_verify_comid_valid, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stack_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comid_bad_payload, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_block_sid_transport, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_data_removal_mechanism, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tper_reset_disabled, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_spf12_tper_reset, setup, teardown),
    };

    return cmocka_run_group_tests_name("tper", tests, NULL, NULL);
}
