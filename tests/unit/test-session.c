/*
 * Unit tests of the session manager and session packets, driven through
 * IF-SEND / IF-RECV exactly as a host would (Core 3.3.7, 5.2)
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

static uint64_t start_session(OpalTPer *tper, uint64_t sp, bool write,
                              uint32_t *tsn)
{
    return host_start_session(tper, sp, write, 0, NULL, tsn);
}

static void test_properties(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    HostResponse *r;
    bool seen_max_compacket = false, seen_host = false;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    host_call_end(b);
    host_send(*state, 0, b);
    r = host_receive(*state);
    assert_int_equal(host_status(r), 0);
    for (size_t i = 0; i + 2 < r->tokens->len; i++) {
        const OpalToken *t = host_token(r, i);

        if (t->type == OPAL_TOKEN_BYTES && t->len == 16 &&
            !memcmp(t->bytes, "MaxComPacketSize", 16)) {
            /* The TPer's own value first, then the host's in HostProperties. */
            if (!seen_max_compacket) {
                assert_int_equal(host_token(r, i + 1)->uint, OPAL_MAX_TRANSFER);
                seen_max_compacket = true;
            } else {
                assert_int_equal(host_token(r, i + 1)->uint, 2048);
                seen_host = true;
            }
        }
    }
    assert_true(seen_max_compacket && seen_host);
    host_response_free(r);
}

/* The host's values are clamped into [Opal's minimum, the TPer's maximum]. */
static void test_host_properties(void **state)
{
    static const struct {
        const char *name;
        uint64_t asked, granted;
    } props[] = {
        { "MaxComPacketSize", 4096, 4096 },
        { "MaxPacketSize", 100, 2028 },
        { "MaxPackets", 5, 1 },
        { "MaxResponseComPacketSize", 1u << 20, OPAL_MAX_TRANSFER },
    };
    g_autoptr(GByteArray) b = g_byte_array_new();
    OpalTPer *tper = *state;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 0);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (size_t i = 0; i < G_N_ELEMENTS(props); i++) {
        opal_token_put_control(b, OPAL_TK_START_NAME);
        opal_token_put_bytes(b, props[i].name, strlen(props[i].name));
        opal_token_put_uint(b, props[i].asked);
        opal_token_put_control(b, OPAL_TK_END_NAME);
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    host_send(tper, 0, b);
    host_response_free(host_receive(tper));

    assert_int_equal(tper->host_properties[OPAL_HP_MAX_COMPACKET_SIZE], 4096);
    assert_int_equal(tper->host_properties[OPAL_HP_MAX_PACKET_SIZE], 2028);
    assert_int_equal(tper->host_properties[OPAL_HP_MAX_PACKETS], 1);
    assert_int_equal(tper->host_properties[OPAL_HP_MAX_RESPONSE_COMPACKET_SIZE],
                     OPAL_MAX_TRANSFER);

    /* STACK_RESET returns them to the initial assumptions. */
    {
        uint8_t req[512] = { 0 };

        opal_put_be16(req, OPAL_BASE_COMID);
        opal_put_be32(req + 4, 2);
        assert_int_equal(opal_if_send(tper, 0x02, OPAL_BASE_COMID, req,
                                      sizeof(req)),
                         OPAL_IF_OK);
    }
    assert_int_equal(tper->host_properties[OPAL_HP_MAX_COMPACKET_SIZE], 2048);
}

static void test_start_session(void **state)
{
    uint32_t tsn = 0;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
    assert_int_equal(tsn, 0x1000);
}

static void test_start_session_refused(void **state)
{
    uint32_t tsn;

    assert_int_equal(start_session(*state, OPAL_UID_LOCKINGSP, true, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(start_session(*state, 0x0000020500000003ULL, false, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    /*
     * The wrong password for SID; the right one is the MSID in the factory
     * state.
     */
    assert_int_equal(host_start_session(*state, OPAL_UID_ADMINSP, true,
                                        OPAL_UID_AUTH_SID, "wrong", &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_start_session(*state, OPAL_UID_ADMINSP, true,
                                        OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     0);
}

static void test_session_limits(void **state)
{
    uint32_t tsn;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
    /* Read-write excludes any second session to the same SP. */
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn),
                     OPAL_ST_SP_BUSY);
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, &tsn),
                     OPAL_ST_SP_BUSY);
}

static void test_max_sessions(void **state)
{
    uint32_t tsn;

    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, &tsn),
                         0);
    }
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, &tsn),
                     OPAL_ST_NO_SESSIONS_AVAILABLE);
}

static void test_end_of_session(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;
    HostResponse *r;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    host_send(*state, tsn, b);
    r = host_receive(*state);
    assert_int_equal(r->pkt.tsn, tsn);
    assert_int_equal(r->pkt.hsn, HOST_HSN);
    assert_int_equal(r->tokens->len, 1);
    assert_int_equal(host_token(r, 0)->control, OPAL_TK_END_OF_SESSION);
    host_response_free(r);
    /* The SP is free again; the closed session's packets go nowhere. */
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
    host_send(*state, tsn - 1, b);
    r = host_receive(*state);
    assert_null(r->tokens);
    host_response_free(r);
}

/* A method inside a session answers in the same session, with its status. */
static void test_method_in_session(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;
    HostResponse *r;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
    host_call_begin(b, OPAL_UID_C_PIN_SID, OPAL_UID_M_SET);
    host_call_end(b);
    r = host_invoke(*state, tsn, b);
    assert_int_equal(r->pkt.hsn, HOST_HSN);
    /* Anybody may not */
    assert_int_equal(host_status(r), OPAL_ST_NOT_AUTHORIZED);
    host_response_free(r);
}

static int64_t fake_clock(void *opaque)
{
    return *(int64_t *)opaque;
}

/*
 * StartSession to the AdminSP as Anybody with SessionTimeout @ms; the status.
 */
static uint64_t start_with_timeout(OpalTPer *tper, uint64_t ms, uint32_t *tsn)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_START_SESSION);
    opal_token_put_uint(b, HOST_HSN);
    opal_token_put_uid(b, OPAL_UID_ADMINSP);
    opal_token_put_uint(b, 1);
    host_put_named_uint(b, 5, ms);  /* SessionTimeout */
    host_call_end(b);
    host_send(tper, 0, b);
    r = host_receive(tper);
    if (host_status(r) == 0) {
        *tsn = host_token(r, 5)->uint;
    }
    return host_status(r);
}

/*
 * A session idle past its SessionTimeout is gone (Core 5.2.3.1.9); activity
 * keeps it.
 */
static void test_session_timeout(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    int64_t now = 1000000;
    uint32_t tsn;
    HostResponse *r;

    opal_tper_set_clock(tper, fake_clock, &now);
    assert_int_equal(start_with_timeout(tper, 10, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(start_with_timeout(tper, 5000, &tsn), 0);
    now += 4000;
    host_call_begin(b, OPAL_UID_C_PIN_MSID, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    r = host_invoke(tper, tsn, b);
    assert_int_equal(host_status(r), 0);
    host_response_free(r);
    now += 4000;    /* 8 s since start, 4 s idle */
    r = host_invoke(tper, tsn, b);
    assert_int_equal(host_status(r), 0);
    host_response_free(r);
    now += 5001;
    g_byte_array_set_size(b, 0);
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_null(r->tokens); /* no such session any more */
    host_response_free(r);
    assert_int_equal(start_session(tper, OPAL_UID_ADMINSP, true, &tsn), 0);
}

/*
 * The TPer's CloseSession for session @tsn, on the session manager
 * (Core 5.2.3.5): Call SMUID CloseSession [ HSN TSN ] EndOfData [ 0 0 0 ].
 */
static void assert_close_session(HostResponse *r, uint32_t tsn)
{
    assert_non_null(r->tokens);
    assert_int_equal(r->pkt.tsn, 0);
    assert_int_equal(r->pkt.hsn, 0);
    assert_true(opal_token_is(host_token(r, 0), OPAL_TK_CALL));
    assert_int_equal(opal_get_be64(host_token(r, 1)->bytes), OPAL_UID_SMUID);
    assert_int_equal(opal_get_be64(host_token(r, 2)->bytes),
                     OPAL_UID_SM_CLOSE_SESSION);
    assert_true(opal_token_is(host_token(r, 3), OPAL_TK_START_LIST));
    assert_int_equal(host_token(r, 4)->uint, HOST_HSN);
    assert_int_equal(host_token(r, 5)->uint, tsn);
    assert_true(opal_token_is(host_token(r, 6), OPAL_TK_END_LIST));
    assert_int_equal(r->tokens->len, 13);
    assert_int_equal(host_status(r), 0);
}

/*
 * Garbage for the session manager gets no answer at all: the host reads an
 * empty ComPacket (Opal 3.3.4.1.3).  In a session it aborts the session.
 */
static void test_dropped(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    HostResponse *r;
    uint32_t tsn;

    opal_token_put_uint(b, 1);
    host_send(*state, 0, b);                      /* no Call */
    r = host_receive(*state);
    assert_null(r->tokens);
    host_response_free(r);

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
    host_send(*state, tsn, b);  /* malformed: aborts the session */
    r = host_receive(*state);
    assert_close_session(r, tsn);
    host_response_free(r);
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
}

/*
 * A response larger than the IF-RECV stays queued; the header says how much to
 * ask.
 */
static void test_response_too_big(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t small[128];
    HostResponse *r;
    uint32_t need;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    host_call_end(b);
    host_send(*state, 0, b);
    assert_int_equal(opal_if_recv(*state, 0x01, OPAL_BASE_COMID, small,
                                  sizeof(small)),
                     OPAL_IF_OK);
    need = opal_get_be32(small + 12);
    assert_true(need > sizeof(small));
    assert_int_equal(opal_get_be32(small + 8), need);
    assert_int_equal(opal_get_be32(small + 16), 0);
    r = host_receive(*state);
    assert_int_equal(host_status(r), 0);
    assert_int_equal(OPAL_COMPACKET_HEADER_LEN + opal_get_be32(r->buf + 16),
                     need);
    host_response_free(r);
}

/*
 * Sends @tokens in session @tsn, expects the TPer's CloseSession, and
 * checks that the session is gone: a packet for it gets no answer.
 */
static void expect_aborted(OpalTPer *tper, uint32_t tsn, GByteArray *tokens)
{
    g_autoptr(GByteArray) get = g_byte_array_new();
    HostResponse *r;

    host_send(tper, tsn, tokens);
    r = host_receive(tper);
    assert_close_session(r, tsn);
    host_response_free(r);
    host_call_begin(get, OPAL_UID_THISSP, OPAL_UID_M_RANDOM);
    opal_token_put_uint(get, 4);
    host_call_end(get);
    host_send(tper, tsn, get);
    r = host_receive(tper);
    assert_null(r->tokens);
    host_response_free(r);
}

/* User1's Enabled, read in a new session as Admin1. */
static uint64_t user1_enabled(OpalTPer *tper)
{
    HostResponse *r;
    uint32_t tsn;
    uint64_t enabled;

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_USER(1),
                                      OPAL_COL_AUTHORITY_ENABLED,
                                      OPAL_COL_AUTHORITY_ENABLED, &r), 0);
    enabled = host_cell(r, OPAL_COL_AUTHORITY_ENABLED)->uint;
    host_response_free(r);
    host_end_session(tper, tsn);
    return enabled;
}

/*
 * ETC-05 (Unexpected Token Outside of Method - Regular Session): an EndList
 * before the Call of a Set that would disable User1.  The session is
 * aborted and announced by a CloseSession; the Set is not made.
 */
static void test_etc05_unexpected_token_outside_method(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;

    host_take_ownership(*state);
    host_activate(*state);
    assert_int_equal(host_locking_session(*state, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    assert_int_equal(host_set_uint(*state, tsn, OPAL_UID_USER(1),
                                   OPAL_COL_AUTHORITY_ENABLED, 1), 0);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_begin(b, OPAL_UID_USER(1), OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);                                  /* Values */
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, OPAL_COL_AUTHORITY_ENABLED, 0);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    expect_aborted(*state, tsn, b);
    assert_int_equal(user1_enabled(*state), 1);
}

/*
 * ETC-06 (Unexpected Token in Method Header - Regular Session): an EndList
 * right after the Call.  The test case takes NOT_AUTHORIZED or a
 * CloseSession; this TPer cannot read the call, so it aborts the session.
 * A UID of 4 bytes where the method header needs 8 does the same.
 */
static void test_etc06_unexpected_token_in_method_header(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    static const uint8_t half_uid[4] = { 0x00, 0x00, 0x00, 0x01 };
    uint32_t tsn;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, &tsn), 0);
    opal_token_put_control(b, OPAL_TK_CALL);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_uid(b, OPAL_UID_THISSP);
    opal_token_put_uid(b, OPAL_UID_M_RANDOM);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_uint(b, 4);
    host_call_end(b);
    expect_aborted(*state, tsn, b);

    g_byte_array_set_size(b, 0);
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, &tsn), 0);
    opal_token_put_control(b, OPAL_TK_CALL);
    opal_token_put_bytes(b, half_uid, sizeof(half_uid));
    opal_token_put_uid(b, OPAL_UID_M_RANDOM);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_uint(b, 4);
    host_call_end(b);
    expect_aborted(*state, tsn, b);
    /* The session manager still answers. */
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, &tsn), 0);
}

/* Frames @tokens for the session manager and offers them by IF-SEND. */
static OpalIfStatus try_send(OpalTPer *tper, GByteArray *tokens)
{
    g_autoptr(GByteArray) p = opal_packet_build(OPAL_BASE_COMID, 0, 0,
                                                tokens->data, tokens->len);
    uint8_t buf[2048] = { 0 };

    memcpy(buf, p->data, p->len);
    return opal_if_send(tper, 0x01, OPAL_BASE_COMID, buf, sizeof(buf));
}

/*
 * ETC-02 (IF-SEND/IF-RECV Synchronous Protocol): an IF-SEND before the
 * response to the last one was retrieved fails with Synchronous Protocol
 * Violation (Core 3.3.10), and the response waits for the host, whole.
 */
static void test_etc02_sync_protocol_violation(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t small[64], req[512] = { 0 };
    HostResponse *r;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    host_call_end(b);
    assert_int_equal(try_send(*state, b), OPAL_IF_OK);
    assert_int_equal(try_send(*state, b), OPAL_IF_SYNC_VIOLATION);
    assert_int_equal(opal_if_send_check(*state, 0x01, OPAL_BASE_COMID, 512),
                     OPAL_IF_SYNC_VIOLATION);
    assert_string_equal(opal_if_status_name(OPAL_IF_SYNC_VIOLATION),
                        "synchronous protocol violation");
    /* An IF-RECV too short for it takes nothing: still a violation. */
    assert_int_equal(opal_if_recv(*state, 0x01, OPAL_BASE_COMID, small,
                                  sizeof(small)), OPAL_IF_OK);
    assert_int_equal(opal_get_be32(small + 16), 0);
    assert_int_equal(try_send(*state, b), OPAL_IF_SYNC_VIOLATION);
    /* ComID requests (protocol 0x02) are not part of the exchange. */
    opal_put_be16(req, OPAL_BASE_COMID);
    opal_put_be32(req + 4, 1);
    assert_int_equal(opal_if_send(*state, 0x02, OPAL_BASE_COMID, req,
                                  sizeof(req)), OPAL_IF_OK);
    r = host_receive(*state);
    assert_int_equal(host_status(r), 0);
    assert_int_equal(host_token(r, 2)->type, OPAL_TOKEN_BYTES);
    assert_int_equal(opal_get_be64(host_token(r, 2)->bytes),
                     OPAL_UID_SM_PROPERTIES);
    host_response_free(r);
    /* Retrieved: the ComID awaits an IF-SEND again. */
    assert_int_equal(try_send(*state, b), OPAL_IF_OK);
    /* A STACK_RESET ends the wait too, dropping the response (3.3.4.7.5). */
    opal_put_be32(req + 4, 2);
    assert_int_equal(opal_if_send(*state, 0x02, OPAL_BASE_COMID, req,
                                  sizeof(req)), OPAL_IF_OK);
    assert_int_equal(try_send(*state, b), OPAL_IF_OK);
    r = host_receive(*state);
    assert_int_equal(host_status(r), 0);
    host_response_free(r);
}

static void test_stack_reset_aborts_sessions(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t req[512] = { 0 };
    uint32_t tsn;
    HostResponse *r;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
    opal_put_be16(req, OPAL_BASE_COMID);
    opal_put_be32(req + 4, 2);
    assert_int_equal(opal_if_send(*state, 0x02, OPAL_BASE_COMID, req,
                                  sizeof(req)),
                     OPAL_IF_OK);
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    host_send(*state, tsn, b);
    r = host_receive(*state);
    assert_null(r->tokens);
    host_response_free(r);
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, &tsn), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_properties),
        T(test_host_properties),
        T(test_start_session),
        T(test_start_session_refused),
        T(test_session_limits),
        T(test_max_sessions),
        T(test_end_of_session),
        T(test_method_in_session),
        T(test_dropped),
        T(test_session_timeout),
        T(test_response_too_big),
        T(test_stack_reset_aborts_sessions),
        T(test_etc02_sync_protocol_violation),
        T(test_etc05_unexpected_token_outside_method),
        T(test_etc06_unexpected_token_in_method_header),
    };

    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
