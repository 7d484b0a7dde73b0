/*
 * A minimal TCG host for the engine's unit tests (see opal-host.h)
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <inttypes.h>
#include <setjmp.h>
#include <cmocka.h>

#include "opal-host.h"
#include "opal-crypto-gcrypt.h"
#include "sp-tables.h"
#include "uid.h"

const OpalConfig host_test_config = {
    .nb_blocks = 131072,
    .logical_block_size = 512,
    .alignment_granularity = 8,
    .nr_admins = 4,
    .nr_users = 8,
    .nr_ranges = 8,
    .mbr_size = 128 * 1024 * 1024,
    .datastore_size = 10 * 1024 * 1024,
    .msid = "msid-pin",
    .psid = "psid-pin",
    /* PBKDF2 as slow as a drive's would make every Authenticate here 30 ms. */
    .kdf_iterations = 1000,
    .crypto = &opal_crypto_gcrypt,
};

/*
 * Room for any call that carries a PIN, so that appending to it never moves
 * it and leaves no copy behind: with host_wipe() the host keeps nothing of
 * a PIN in freed memory, and test-wipe.c can blame the engine for any copy.
 */
#define PIN_CALL_ROOM   512

void host_wipe(void *p, size_t len)
{
    volatile uint8_t *b = p;    /* stores the compiler may not drop */

    while (len--) {
        *b++ = 0;
    }
}

OpalIfStatus host_try_send(OpalTPer *tper, uint32_t tsn, uint32_t hsn,
                           GByteArray *tokens)
{
    g_autoptr(GByteArray) p = opal_packet_build(OPAL_BASE_COMID, tsn, hsn,
                                                tokens->data, tokens->len);
    g_autofree uint8_t *buf = g_malloc0(OPAL_MAX_TRANSFER);
    /* Whole 512-byte blocks, as ATA moves them. */
    size_t len = MAX(2048, (p->len + 511) & ~511u);
    OpalIfStatus status;

    assert_true(len <= OPAL_MAX_TRANSFER);
    memcpy(buf, p->data, p->len);
    status = opal_if_send(tper, 0x01, OPAL_BASE_COMID, buf, len);
    host_wipe(buf, OPAL_MAX_TRANSFER);
    host_wipe(p->data, p->len);
    return status;
}

void host_send(OpalTPer *tper, uint32_t tsn, GByteArray *tokens)
{
    assert_int_equal(host_try_send(tper, tsn, tsn ? HOST_HSN : 0, tokens),
                     OPAL_IF_OK);
}

HostResponse *host_receive(OpalTPer *tper)
{
    HostResponse *r = g_new0(HostResponse, 1);
    OpalTokenReader rd;
    OpalToken t;
    const char *why = NULL;

    assert_int_equal(opal_if_recv(tper, 0x01, OPAL_BASE_COMID, r->buf,
                                  sizeof(r->buf)),
                     OPAL_IF_OK);
    if (opal_get_be32(r->buf + 16) == 0) {
        /* nothing outstanding */
        assert_int_equal(opal_get_be32(r->buf + 8), 0);
        return r;
    }
    assert_true(opal_packet_parse(r->buf, sizeof(r->buf), OPAL_BASE_COMID,
                                  &r->pkt, &why));
    r->tokens = g_array_new(false, false, sizeof(OpalToken));
    opal_token_reader_init(&rd, r->pkt.data, r->pkt.len);
    while (opal_token_read(&rd, &t)) {
        g_array_append_val(r->tokens, t);
    }
    assert_null(rd.error);
    return r;
}

void host_response_free(HostResponse *r)
{
    if (r->tokens) {
        g_array_free(r->tokens, true);
    }
    g_free(r);
}

const OpalToken *host_token(HostResponse *r, size_t i)
{
    assert_non_null(r->tokens);
    assert_true(i < r->tokens->len);
    return &g_array_index(r->tokens, OpalToken, i);
}

uint64_t host_status(HostResponse *r)
{
    size_t n;

    assert_non_null(r->tokens);
    n = r->tokens->len;
    assert_true(n >= 6);
    assert_int_equal(host_token(r, n - 6)->control, OPAL_TK_END_OF_DATA);
    assert_int_equal(host_token(r, n - 5)->control, OPAL_TK_START_LIST);
    assert_int_equal(host_token(r, n - 1)->control, OPAL_TK_END_LIST);
    return host_token(r, n - 4)->uint;
}

void host_call_begin(GByteArray *b, uint64_t invoking, uint64_t method)
{
    opal_token_put_control(b, OPAL_TK_CALL);
    opal_token_put_uid(b, invoking);
    opal_token_put_uid(b, method);
    opal_token_put_control(b, OPAL_TK_START_LIST);
}

void host_call_end(GByteArray *b)
{
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_OF_DATA);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_uint(b, 0);
    opal_token_put_uint(b, 0);
    opal_token_put_uint(b, 0);
    opal_token_put_control(b, OPAL_TK_END_LIST);
}

void host_put_named_uint(GByteArray *b, uint64_t name, uint64_t value)
{
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, name);
    opal_token_put_uint(b, value);
    opal_token_put_control(b, OPAL_TK_END_NAME);
}

void host_put_named_bytes(GByteArray *b, uint64_t name, const void *data,
                          size_t len)
{
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, name);
    opal_token_put_bytes(b, data, len);
    opal_token_put_control(b, OPAL_TK_END_NAME);
}

uint64_t host_start_session(OpalTPer *tper, uint64_t sp, bool write,
                            uint64_t authority, const char *pin, uint32_t *tsn)
{
    g_autoptr(GByteArray) b = g_byte_array_sized_new(PIN_CALL_ROOM);
    g_autoptr(HostResponse) r = NULL;
    uint64_t status;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_START_SESSION);
    opal_token_put_uint(b, HOST_HSN);
    opal_token_put_uid(b, sp);
    opal_token_put_uint(b, write);
    if (authority) {
        host_put_named_bytes(b, 0, pin, strlen(pin));      /* HostChallenge */
        opal_token_put_control(b, OPAL_TK_START_NAME);
        opal_token_put_uint(b, 3);  /* HostSigningAuthority */
        opal_token_put_uid(b, authority);
        opal_token_put_control(b, OPAL_TK_END_NAME);
    }
    host_call_end(b);
    host_send(tper, 0, b);
    host_wipe(b->data, b->len);

    r = host_receive(tper);
    assert_int_equal(r->pkt.tsn, 0);
    assert_int_equal(host_token(r, 0)->control, OPAL_TK_CALL);
    assert_int_equal(host_token(r, 2)->bytes[7], 0x03);        /* SyncSession */
    status = host_status(r);
    if (status == 0) {
        assert_int_equal(host_token(r, 4)->uint, HOST_HSN);
        *tsn = host_token(r, 5)->uint;
        assert_true(*tsn != 0);
    }
    return status;
}

HostResponse *host_invoke(OpalTPer *tper, uint32_t tsn, GByteArray *b)
{
    HostResponse *r;

    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_non_null(r->tokens);
    assert_int_equal(r->pkt.tsn, tsn);
    return r;
}

void host_end_session(OpalTPer *tper, uint32_t tsn)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_non_null(r->tokens);
    assert_int_equal(host_token(r, 0)->control, OPAL_TK_END_OF_SESSION);
}
/*
 * One method call in session @tsn; returns its status, results in *out if
 * wanted.
 */
uint64_t host_call(OpalTPer *tper, uint32_t tsn, GByteArray *b,
                   HostResponse **out)
{
    HostResponse *r = host_invoke(tper, tsn, b);
    uint64_t status = host_status(r);

    host_wipe(b->data, b->len);
    g_byte_array_set_size(b, 0);
    if (out) {
        *out = r;
    } else {
        host_response_free(r);
    }
    return status;
}

/*
 * A method without arguments (Activate, Revert, RevertSP, GenKey); its status.
 */
uint64_t host_call_plain(OpalTPer *tper, uint32_t tsn, uint64_t object,
                         uint64_t method)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, object, method);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

/* Object.Set[ Values = [ column = value ] ] with one uinteger cell. */
uint64_t host_set_uint(OpalTPer *tper, uint32_t tsn, uint64_t object,
                       uint64_t column, uint64_t value)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, object, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);                                  /* Values */
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, column, value);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

void host_put_named_uint_list(GByteArray *b, uint64_t name,
                              const uint64_t *values, size_t n)
{
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, name);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (size_t i = 0; i < n; i++) {
        opal_token_put_uint(b, values[i]);
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
}

/* ACE.Set of BooleanExpr: any one of @who (1 or 2 authorities). */
uint64_t host_set_ace(OpalTPer *tper, uint32_t tsn, uint64_t ace,
                      const uint64_t *who, size_t n)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    OpalRow tmp = { 0 };
    const uint8_t *expr;
    gsize len;

    host_call_begin(b, ace, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, OPAL_COL_ACE_BOOLEAN_EXPR);
    /*
     * Built with the same writer the factory uses, then copied into the call.
     */
    opal_row_set_ace_any_of(&tmp, OPAL_COL_ACE_BOOLEAN_EXPR, who, n);
    expr = g_bytes_get_data(tmp.cells[OPAL_COL_ACE_BOOLEAN_EXPR], &len);
    g_byte_array_append(b, expr, len);
    g_bytes_unref(tmp.cells[OPAL_COL_ACE_BOOLEAN_EXPR]);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

/* Object.Set of one list-of-uintegers cell (reset types). */
uint64_t host_set_uint_list(OpalTPer *tper, uint32_t tsn, uint64_t object,
                            uint64_t column, const uint64_t *values, size_t n)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, object, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint_list(b, column, values, n);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

uint64_t host_set_pin(OpalTPer *tper, uint32_t tsn, uint64_t cpin,
                      const char *pin)
{
    g_autoptr(GByteArray) b = g_byte_array_sized_new(PIN_CALL_ROOM);

    host_call_begin(b, cpin, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_bytes(b, OPAL_COL_C_PIN_PIN, pin, strlen(pin));
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

/* Object.Get of columns @first..@last; the response for inspection. */
uint64_t host_authenticate(OpalTPer *tper, uint32_t tsn, uint64_t authority,
                           const char *pin, uint64_t *result)
{
    g_autoptr(GByteArray) b = g_byte_array_sized_new(PIN_CALL_ROOM);
    g_autoptr(HostResponse) r = NULL;
    uint64_t status;

    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_AUTHENTICATE);
    opal_token_put_uid(b, authority);
    host_put_named_bytes(b, 0, pin, strlen(pin));           /* Proof */
    host_call_end(b);
    status = host_call(tper, tsn, b, &r);
    if (status == OPAL_ST_SUCCESS) {
        assert_int_equal(host_token(r, 1)->type, OPAL_TOKEN_UINT);
        *result = host_token(r, 1)->uint;
    }
    return status;
}

uint64_t host_get_columns(OpalTPer *tper, uint32_t tsn, uint64_t object,
                          uint64_t first, uint64_t last, HostResponse **r)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, object, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 3, first);   /* startColumn */
    host_put_named_uint(b, 4, last);    /* endColumn */
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    return host_call(tper, tsn, b, r);
}

/* The value of column @column in a Get response, as a token, or NULL. */
const OpalToken *host_cell(HostResponse *r, uint64_t column)
{
    for (size_t i = 0; i + 2 < r->tokens->len; i++) {
        const OpalToken *t = host_token(r, i);

        if (opal_token_is(t, OPAL_TK_START_NAME) &&
            host_token(r, i + 1)->type == OPAL_TOKEN_UINT &&
            host_token(r, i + 1)->uint == column) {
            return host_token(r, i + 2);
        }
    }
    return NULL;
}

uint64_t host_admin_session(OpalTPer *tper, uint64_t authority, const char *pin,
                            uint32_t *tsn)
{
    return host_start_session(tper, OPAL_UID_ADMINSP, true, authority, pin,
                              tsn);
}

/*
 * sed-opal's IOC_OPAL_TAKE_OWNERSHIP: read the MSID as Anybody, set SID's PIN.
 */
void host_take_ownership(OpalTPer *tper)
{
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *pin;
    uint32_t tsn;

    assert_int_equal(host_admin_session(tper, 0, NULL, &tsn), 0);
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_C_PIN_MSID, 3, 3, &r),
                     0);
    pin = host_cell(r, 3);
    assert_non_null(pin);
    assert_int_equal(pin->len, strlen(host_test_config.msid));
    assert_memory_equal(pin->bytes, host_test_config.msid, pin->len);
    host_end_session(tper, tsn);

    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_SID, HOST_SID_PIN),
                     0);
    host_end_session(tper, tsn);
}

uint64_t host_activate_with(OpalTPer *tper, uint64_t object,
                            const GByteArray *params)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint64_t status;
    uint32_t tsn;

    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    host_call_begin(b, object, OPAL_UID_M_ACTIVATE);
    g_byte_array_append(b, params->data, params->len);
    host_call_end(b);
    status = host_call(tper, tsn, b, NULL);
    host_end_session(tper, tsn);
    return status;
}

static void record(void *opaque, HostTraceEvent e)
{
    /* Every string is the engine's, never NULL. */
    assert_non_null(e.why);
    g_array_append_val(opaque, e);
}

static void trace_session_start(void *opaque, uint32_t tsn, uint32_t hsn,
                                uint64_t sp, bool write, uint64_t authority)
{
    record(opaque, (HostTraceEvent) { .kind = "session_start", .tsn = tsn,
                                      .sp = sp, .uid = authority, .why = "" });
}

static void trace_session_refused(void *opaque, uint32_t hsn, uint64_t sp,
                                  uint64_t authority, uint8_t status,
                                  const char *why)
{
    record(opaque, (HostTraceEvent) { .kind = "session_refused", .sp = sp,
                                      .uid = authority, .status = status,
                                      .why = why });
}

static void trace_session_end(void *opaque, uint32_t tsn, uint32_t hsn,
                              const char *why)
{
    record(opaque, (HostTraceEvent) { .kind = "session_end", .tsn = tsn,
                                      .why = why });
}

static void trace_authenticate(void *opaque, uint64_t sp, uint64_t authority,
                               bool proven, const char *why)
{
    record(opaque, (HostTraceEvent) { .kind = "authenticate", .sp = sp,
                                      .uid = authority, .proven = proven,
                                      .why = why });
}

static void trace_method(void *opaque, uint32_t tsn, uint64_t sp,
                         uint64_t object, uint64_t method, const char *name,
                         uint8_t status, const char *why)
{
    assert_non_null(name);
    record(opaque, (HostTraceEvent) { .kind = "method", .tsn = tsn, .sp = sp,
                                      .uid = object, .method = method,
                                      .status = status, .why = why });
}

static void trace_if_refused(void *opaque, uint8_t protocol, uint16_t comid,
                             uint32_t len, uint32_t pending, const char *why)
{
    record(opaque, (HostTraceEvent) { .kind = "if_refused", .why = why });
}

static void trace_packet_dropped(void *opaque, uint32_t tsn, uint32_t hsn,
                                 const char *why)
{
    record(opaque, (HostTraceEvent) { .kind = "packet_dropped", .tsn = tsn,
                                      .why = why });
}

static void trace_transaction(void *opaque, uint32_t tsn, const char *what,
                              unsigned depth, uint8_t status)
{
    record(opaque, (HostTraceEvent) { .kind = "transaction", .tsn = tsn,
                                      .status = status, .why = what });
}

static void trace_reset(void *opaque, int type, bool applied)
{
    record(opaque, (HostTraceEvent) { .kind = "reset", .why = "" });
}

static void trace_tper_event(void *opaque, uint64_t uid, const char *what)
{
    record(opaque, (HostTraceEvent) { .kind = "tper_event", .uid = uid,
                                      .why = what });
}

static const OpalTraceOps host_trace_ops = {
    .session_start = trace_session_start,
    .session_refused = trace_session_refused,
    .session_end = trace_session_end,
    .authenticate = trace_authenticate,
    .method = trace_method,
    .if_refused = trace_if_refused,
    .packet_dropped = trace_packet_dropped,
    .transaction = trace_transaction,
    .reset = trace_reset,
    .tper_event = trace_tper_event,
};

GArray *host_trace_start(OpalTPer *tper)
{
    GArray *trace = g_array_new(false, true, sizeof(HostTraceEvent));

    opal_tper_set_trace(tper, &host_trace_ops, trace);
    return trace;
}

void host_trace_stop(OpalTPer *tper)
{
    opal_tper_set_trace(tper, NULL, NULL);
}

static void print_trace(const GArray *trace)
{
    for (guint i = 0; i < trace->len; i++) {
        const HostTraceEvent *e = &g_array_index(trace, HostTraceEvent, i);

        print_message("trace: %s tsn %u sp %016" PRIx64 " uid %016" PRIx64
                      " method %016" PRIx64 " status %s: %s\n", e->kind,
                      e->tsn, e->sp, e->uid, e->method,
                      opal_status_name(e->status), e->why);
    }
}

const HostTraceEvent *host_traced(const GArray *trace, const char *kind,
                                  const char *why)
{
    for (guint i = 0; i < trace->len; i++) {
        const HostTraceEvent *e = &g_array_index(trace, HostTraceEvent, i);

        if (!strcmp(e->kind, kind) && strstr(e->why, why)) {
            return e;
        }
    }
    print_trace(trace);
    return NULL;
}

void host_assert_refusal_explained(OpalTPer *tper, uint32_t tsn, GByteArray *b,
                                   uint64_t status)
{
    g_autoptr(GArray) trace = host_trace_start(tper);
    const HostTraceEvent *e;

    assert_int_equal(host_call(tper, tsn, b, NULL), status);
    host_trace_stop(tper);
    e = host_traced(trace, "method", "");
    assert_non_null(e);
    if (!e->why[0]) {
        print_trace(trace);
    }
    assert_int_equal(e->tsn, tsn);
    assert_int_equal(e->status, status);
    assert_true(e->why[0]);
}

long host_find_feature(const uint8_t *buf, uint16_t code)
{
    size_t end = opal_get_be32(buf) + 4;

    for (size_t pos = 48; pos + 4 <= end; pos += 4 + buf[pos + 3]) {
        if (opal_get_be16(buf + pos) == code) {
            return pos;
        }
    }
    return -1;
}

void host_activate(OpalTPer *tper)
{
    uint32_t tsn;

    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_LOCKINGSP,
                                     OPAL_UID_M_ACTIVATE),
                     0);
    host_end_session(tper, tsn);
}

uint64_t host_locking_session(OpalTPer *tper, uint64_t authority,
                              const char *pin, uint32_t *tsn)
{
    return host_start_session(tper, OPAL_UID_LOCKINGSP, true, authority, pin,
                              tsn);
}


uint64_t host_property(OpalTPer *tper, const char *name)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    host_call_end(b);
    assert_int_equal(host_call(tper, 0, b, &r), 0);
    /* The TPer's own properties come first, before HostProperties. */
    for (size_t i = 0; i + 1 < r->tokens->len; i++) {
        const OpalToken *t = host_token(r, i);

        if (t->type == OPAL_TOKEN_BYTES && t->len == strlen(name) &&
            !memcmp(t->bytes, name, t->len)) {
            return host_token(r, i + 1)->uint;
        }
    }
    return 0;
}

uint64_t host_write_bytes(OpalTPer *tper, uint32_t tsn, uint64_t table,
                          uint64_t offset, const void *data, size_t len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, table, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, offset);                      /* Where */
    host_put_named_bytes(b, 1, data, len);                  /* Values */
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

uint64_t host_read_bytes(OpalTPer *tper, uint32_t tsn, uint64_t table,
                         uint64_t offset, void *buf, size_t len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    uint64_t status;

    host_call_begin(b, table, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 1, offset);                      /* startRow */
    host_put_named_uint(b, 2, offset + len - 1);            /* endRow */
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    status = host_call(tper, tsn, b, &r);
    if (status == 0) {
        /* An empty result list: nothing granted. */
        if (host_token(r, 1)->control == OPAL_TK_END_LIST) {
            return OPAL_ST_NOT_AUTHORIZED;
        }
        assert_int_equal(host_token(r, 1)->len, len);
        memcpy(buf, host_token(r, 1)->bytes, len);
    }
    return status;
}
