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

#include "opal-internal.h"
#include "uid.h"

static const OpalConfig config = {
    .nb_blocks = 131072,
    .logical_block_size = 512,
    .alignment_granularity = 8,
    .nr_admins = 4,
    .nr_users = 8,
    .datastore_size = 10 * 1024 * 1024,
};

#define HSN 0x41

static int setup(void **state)
{
    *state = opal_tper_new(&config);
    return 0;
}

static int teardown(void **state)
{
    opal_tper_free(*state);
    return 0;
}

/* IF-SEND of @tokens framed for session @tsn/@hsn, padded to 2048 bytes like Linux. */
static void send_tokens(OpalTPer *tper, uint32_t tsn, uint32_t hsn, GByteArray *tokens)
{
    g_autoptr(GByteArray) p = opal_packet_build(OPAL_BASE_COMID, tsn, hsn,
                                                tokens->data, tokens->len);
    uint8_t buf[2048] = { 0 };

    memcpy(buf, p->data, p->len);
    assert_int_equal(opal_if_send(tper, 0x01, OPAL_BASE_COMID, buf, sizeof(buf)), OPAL_IF_OK);
}

/* The response's tokens (NULL if there was none), with its TSN/HSN. */
typedef struct Response {
    uint8_t buf[2048];
    OpalPacket pkt;
    GArray *tokens;
} Response;

static Response *receive(OpalTPer *tper)
{
    Response *r = g_new0(Response, 1);
    OpalTokenReader rd;
    OpalToken t;
    const char *why;

    assert_int_equal(opal_if_recv(tper, 0x01, OPAL_BASE_COMID, r->buf, sizeof(r->buf)),
                     OPAL_IF_OK);
    if (opal_get_be32(r->buf + 16) == 0) {
        assert_int_equal(opal_get_be32(r->buf + 8), 0);     /* nothing outstanding */
        return r;
    }
    assert_true(opal_packet_parse(r->buf, sizeof(r->buf), OPAL_BASE_COMID, &r->pkt, &why));
    r->tokens = g_array_new(false, false, sizeof(OpalToken));
    opal_token_reader_init(&rd, r->pkt.data, r->pkt.len);
    while (opal_token_read(&rd, &t)) {
        g_array_append_val(r->tokens, t);
    }
    assert_null(rd.error);
    return r;
}

static void response_free(Response *r)
{
    if (r->tokens) {
        g_array_free(r->tokens, true);
    }
    g_free(r);
}

static const OpalToken *tok(Response *r, size_t i)
{
    assert_true(i < r->tokens->len);
    return &g_array_index(r->tokens, OpalToken, i);
}

/* The method status at the end of a response: EndOfData [ status 0 0 ]. */
static uint64_t status_of(Response *r)
{
    size_t n = r->tokens->len;

    assert_true(n >= 6);
    assert_int_equal(tok(r, n - 6)->control, OPAL_TK_END_OF_DATA);
    assert_int_equal(tok(r, n - 5)->control, OPAL_TK_START_LIST);
    assert_int_equal(tok(r, n - 1)->control, OPAL_TK_END_LIST);
    return tok(r, n - 4)->uint;
}

static void put_call_head(GByteArray *b, uint64_t invoking, uint64_t method)
{
    opal_token_put_control(b, OPAL_TK_CALL);
    opal_token_put_uid(b, invoking);
    opal_token_put_uid(b, method);
    opal_token_put_control(b, OPAL_TK_START_LIST);
}

static void put_call_tail(GByteArray *b)
{
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_OF_DATA);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_uint(b, 0);
    opal_token_put_uint(b, 0);
    opal_token_put_uint(b, 0);
    opal_token_put_control(b, OPAL_TK_END_LIST);
}

/* StartSession; returns the method status and the TSN through @tsn. */
static uint64_t start_session(OpalTPer *tper, uint64_t sp, bool write, uint64_t authority,
                              uint32_t *tsn)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    Response *r;
    uint64_t status;

    put_call_head(b, OPAL_UID_SMUID, OPAL_UID_SM_START_SESSION);
    opal_token_put_uint(b, HSN);
    opal_token_put_uid(b, sp);
    opal_token_put_uint(b, write);
    if (authority) {
        opal_token_put_control(b, OPAL_TK_START_NAME);
        opal_token_put_uint(b, 0);
        opal_token_put_bytes(b, "password", 8);
        opal_token_put_control(b, OPAL_TK_END_NAME);
        opal_token_put_control(b, OPAL_TK_START_NAME);
        opal_token_put_uint(b, 3);
        opal_token_put_uid(b, authority);
        opal_token_put_control(b, OPAL_TK_END_NAME);
    }
    put_call_tail(b);
    send_tokens(tper, 0, 0, b);

    r = receive(tper);
    assert_non_null(r->tokens);
    assert_int_equal(r->pkt.tsn, 0);
    assert_int_equal(tok(r, 0)->control, OPAL_TK_CALL);
    assert_int_equal(tok(r, 2)->len, 8);
    assert_int_equal(tok(r, 2)->bytes[7], 0x03);            /* SyncSession */
    status = status_of(r);
    if (status == 0) {
        assert_int_equal(tok(r, 4)->uint, HSN);
        *tsn = tok(r, 5)->uint;
        assert_true(*tsn != 0);
    }
    response_free(r);
    return status;
}

static void test_properties(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    Response *r;
    bool seen_max_compacket = false, seen_host = false;

    put_call_head(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    put_call_tail(b);
    send_tokens(*state, 0, 0, b);
    r = receive(*state);
    assert_int_equal(status_of(r), 0);
    for (size_t i = 0; i + 2 < r->tokens->len; i++) {
        const OpalToken *t = tok(r, i);

        if (t->type == OPAL_TOKEN_BYTES && t->len == 16 &&
            !memcmp(t->bytes, "MaxComPacketSize", 16)) {
            /* The TPer's own value first, then the host's in HostProperties. */
            if (!seen_max_compacket) {
                assert_int_equal(tok(r, i + 1)->uint, OPAL_MAX_TRANSFER);
                seen_max_compacket = true;
            } else {
                assert_int_equal(tok(r, i + 1)->uint, 2048);
                seen_host = true;
            }
        }
    }
    assert_true(seen_max_compacket && seen_host);
    response_free(r);
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

    put_call_head(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
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
    put_call_tail(b);
    send_tokens(tper, 0, 0, b);
    response_free(receive(tper));

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
        assert_int_equal(opal_if_send(tper, 0x02, OPAL_BASE_COMID, req, sizeof(req)),
                         OPAL_IF_OK);
    }
    assert_int_equal(tper->host_properties[OPAL_HP_MAX_COMPACKET_SIZE], 2048);
}

static void test_start_session(void **state)
{
    uint32_t tsn = 0;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
    assert_int_equal(tsn, 0x1000);
}

static void test_start_session_refused(void **state)
{
    uint32_t tsn;

    assert_int_equal(start_session(*state, OPAL_UID_LOCKINGSP, true, 0, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(start_session(*state, 0x0000020500000003ULL, false, 0, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    /* Credentials need the C_PIN table, which is not there yet. */
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, OPAL_UID_AUTH_SID, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
}

static void test_session_limits(void **state)
{
    uint32_t tsn;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
    /* Read-write excludes any second session to the same SP. */
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), OPAL_ST_SP_BUSY);
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, 0, &tsn), OPAL_ST_SP_BUSY);
}

static void test_max_sessions(void **state)
{
    uint32_t tsn;

    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, 0, &tsn), 0);
    }
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, 0, &tsn),
                     OPAL_ST_NO_SESSIONS_AVAILABLE);
}

static void test_end_of_session(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;
    Response *r;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    send_tokens(*state, tsn, HSN, b);
    r = receive(*state);
    assert_int_equal(r->pkt.tsn, tsn);
    assert_int_equal(r->pkt.hsn, HSN);
    assert_int_equal(r->tokens->len, 1);
    assert_int_equal(tok(r, 0)->control, OPAL_TK_END_OF_SESSION);
    response_free(r);
    /* The SP is free again; the closed session's packets go nowhere. */
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
    send_tokens(*state, tsn - 1, HSN, b);
    r = receive(*state);
    assert_null(r->tokens);
    response_free(r);
}

static void test_method_not_implemented(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;
    Response *r;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, false, 0, &tsn), 0);
    put_call_head(b, OPAL_UID_C_PIN_MSID, OPAL_UID_M_GET);
    put_call_tail(b);
    send_tokens(*state, tsn, HSN, b);
    r = receive(*state);
    assert_int_equal(r->pkt.tsn, tsn);
    assert_int_equal(status_of(r), OPAL_ST_FAIL);
    response_free(r);
}

/* Garbage gets no answer at all: the host reads an empty ComPacket. */
static void test_dropped(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    Response *r;
    uint32_t tsn;

    opal_token_put_uint(b, 1);
    send_tokens(*state, 0, 0, b);                      /* no Call */
    r = receive(*state);
    assert_null(r->tokens);
    response_free(r);

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
    send_tokens(*state, tsn, HSN, b);                  /* malformed: aborts the session */
    r = receive(*state);
    assert_null(r->tokens);
    response_free(r);
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
}

/* A response larger than the IF-RECV stays queued; the header says how much to ask. */
static void test_response_too_big(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t small[128];
    Response *r;
    uint32_t need;

    put_call_head(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    put_call_tail(b);
    send_tokens(*state, 0, 0, b);
    assert_int_equal(opal_if_recv(*state, 0x01, OPAL_BASE_COMID, small, sizeof(small)),
                     OPAL_IF_OK);
    need = opal_get_be32(small + 12);
    assert_true(need > sizeof(small));
    assert_int_equal(opal_get_be32(small + 8), need);
    assert_int_equal(opal_get_be32(small + 16), 0);
    r = receive(*state);
    assert_int_equal(status_of(r), 0);
    assert_int_equal(OPAL_COMPACKET_HEADER_LEN + opal_get_be32(r->buf + 16), need);
    response_free(r);
}

static void test_stack_reset_aborts_sessions(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t req[512] = { 0 };
    uint32_t tsn;
    Response *r;

    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
    opal_put_be16(req, OPAL_BASE_COMID);
    opal_put_be32(req + 4, 2);
    assert_int_equal(opal_if_send(*state, 0x02, OPAL_BASE_COMID, req, sizeof(req)), OPAL_IF_OK);
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    send_tokens(*state, tsn, HSN, b);
    r = receive(*state);
    assert_null(r->tokens);
    response_free(r);
    assert_int_equal(start_session(*state, OPAL_UID_ADMINSP, true, 0, &tsn), 0);
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
        T(test_method_not_implemented),
        T(test_dropped),
        T(test_response_too_big),
        T(test_stack_reset_aborts_sessions),
    };

    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}
