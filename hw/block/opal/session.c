/*
 * ide-opal-hd: the session manager and session packets
 *
 * Everything a host sends on the base ComID arrives here as one ComPacket.
 * TSN = HSN = 0 addresses the session manager (Core 5.2): Properties and
 * StartSession, answered by Properties and SyncSession calls from SMUID.
 * Other packets belong to an open session: an EndOfSession token closes it
 * (and is echoed), anything else is a method call for the session's SP,
 * which StartTransaction and EndTransaction tokens may precede and follow
 * (transaction.c); a call that cannot be parsed aborts the session, which
 * the TPer announces with a CloseSession.
 * Responses are queued for the next IF-RECV (tper.c), which the host must
 * issue before its next IF-SEND (Core 3.3.10); a ComPacket that cannot be
 * understood is dropped, so the host reads "no response" instead of waiting
 * forever.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "uid.h"

/* StartSession's optional parameters (Core 5.2.3.1). */
enum {
    START_HOST_CHALLENGE = 0,
    START_HOST_SIGNING_AUTHORITY = 3,
    START_SESSION_TIMEOUT = 5,
};

/* The TPer's first session number; any non-zero value would do. */
#define FIRST_TSN   0x1000

/*
 * Session timeouts in ms (Core 5.2.2.1, 5.2.3.1.9): none unless the host asks
 * for one in StartSession, within these bounds.
 */
#define DEF_SESSION_TIMEOUT     0
#define MIN_SESSION_TIMEOUT     1000
#define MAX_SESSION_TIMEOUT     (24 * 3600 * 1000)

typedef struct Property {
    const char *name;
    uint32_t value;
} Property;

/*
 * Host communication properties: name, the Opal SSC's initial assumption
 * (also the smallest value a host may set, Opal 4.1.1.1) and this TPer's
 * largest, which one IF-SEND/IF-RECV transfer bounds.
 */
static const struct {
    const char *name;
    uint32_t initial;
    uint32_t max;
} host_property_limits[OPAL_HP__COUNT] = {
    [OPAL_HP_MAX_COMPACKET_SIZE] = { "MaxComPacketSize", 2048,
                                     OPAL_MAX_TRANSFER },
    [OPAL_HP_MAX_RESPONSE_COMPACKET_SIZE] = { "MaxResponseComPacketSize", 2048,
                                              OPAL_MAX_TRANSFER },
    [OPAL_HP_MAX_PACKET_SIZE] = { "MaxPacketSize", 2028,
                                  OPAL_MAX_TRANSFER -
                                      OPAL_COMPACKET_HEADER_LEN },
    [OPAL_HP_MAX_IND_TOKEN_SIZE] = { "MaxIndTokenSize", 1992,
                                     OPAL_MAX_TRANSFER -
                                         OPAL_COMPACKET_HEADER_LEN -
                                         OPAL_PACKET_HEADER_LEN -
                                         OPAL_SUBPACKET_HEADER_LEN },
    [OPAL_HP_MAX_PACKETS] = { "MaxPackets", 1, 1 },
    [OPAL_HP_MAX_SUBPACKETS] = { "MaxSubpackets", 1, 1 },
    [OPAL_HP_MAX_METHODS] = { "MaxMethods", 1, 1 },
};

static const char *const status_names[] = {
    [OPAL_ST_SUCCESS] = "SUCCESS",
    [OPAL_ST_NOT_AUTHORIZED] = "NOT_AUTHORIZED",
    [OPAL_ST_SP_BUSY] = "SP_BUSY",
    [OPAL_ST_SP_FAILED] = "SP_FAILED",
    [OPAL_ST_SP_DISABLED] = "SP_DISABLED",
    [OPAL_ST_SP_FROZEN] = "SP_FROZEN",
    [OPAL_ST_NO_SESSIONS_AVAILABLE] = "NO_SESSIONS_AVAILABLE",
    [OPAL_ST_UNIQUENESS_CONFLICT] = "UNIQUENESS_CONFLICT",
    [OPAL_ST_INSUFFICIENT_SPACE] = "INSUFFICIENT_SPACE",
    [OPAL_ST_INSUFFICIENT_ROWS] = "INSUFFICIENT_ROWS",
    [OPAL_ST_INVALID_PARAMETER] = "INVALID_PARAMETER",
    [OPAL_ST_TPER_MALFUNCTION] = "TPER_MALFUNCTION",
    [OPAL_ST_TRANSACTION_FAILURE] = "TRANSACTION_FAILURE",
    [OPAL_ST_RESPONSE_OVERFLOW] = "RESPONSE_OVERFLOW",
    [OPAL_ST_AUTHORITY_LOCKED_OUT] = "AUTHORITY_LOCKED_OUT",
    [OPAL_ST_FAIL] = "FAIL",
};

const char *opal_status_name(unsigned status)
{
    return status < G_N_ELEMENTS(status_names) && status_names[status] ?
           status_names[status] : "?";
}

void opal_session_init(OpalTPer *tper)
{
    for (int i = 0; i < OPAL_HP__COUNT; i++) {
        tper->host_properties[i] = host_property_limits[i].initial;
    }
    memset(tper->sessions, 0, sizeof(tper->sessions));
    tper->last_tsn = FIRST_TSN - 1;
}

void opal_session_abort_all(OpalTPer *tper)
{
    opal_transaction_session_ended(tper, NULL);
    if (tper->response) {
        g_byte_array_unref(tper->response);
        tper->response = NULL;
    }
    /*
     * A reset invalidates every TCG command and response buffer (Opal
     * 3.2.3, 3.3.5.1): a ComID request's answer as well.
     */
    tper->comid_request = OPAL_COMID_REQ_NONE;
    /*
     * Aborted sessions, and what the host negotiated, are gone (Core
     * 3.3.4.7.5).
     */
    opal_session_init(tper);
}

/* ---- response building --------------------------------------------------- */

void opal_put_status(GByteArray *out, OpalStatus status)
{
    opal_token_put_control(out, OPAL_TK_END_OF_DATA);
    opal_token_put_control(out, OPAL_TK_START_LIST);
    opal_token_put_uint(out, status);
    opal_token_put_uint(out, 0);
    opal_token_put_uint(out, 0);
    opal_token_put_control(out, OPAL_TK_END_LIST);
}

static void put_named_property(GByteArray *out, const char *name,
                               uint32_t value)
{
    opal_token_put_control(out, OPAL_TK_START_NAME);
    opal_token_put_bytes(out, name, strlen(name));
    opal_token_put_uint(out, value);
    opal_token_put_control(out, OPAL_TK_END_NAME);
}

/* A session manager response is itself a call from SMUID (Core 5.2.1). */
static void put_sm_call(GByteArray *out, uint64_t method)
{
    opal_token_put_control(out, OPAL_TK_CALL);
    opal_token_put_uid(out, OPAL_UID_SMUID);
    opal_token_put_uid(out, method);
    opal_token_put_control(out, OPAL_TK_START_LIST);
}

static void queue_response(OpalTPer *tper, uint32_t tsn, uint32_t hsn,
                           GByteArray *tokens)
{
    /*
     * Never one waiting: an IF-SEND while one does is refused
     * (opal_if_send_check, Core 3.3.10), and an IF-SEND queues one at most.
     * Should a transport skip the check, the host's first answer stays:
     * nothing a guest sends may stop the machine.
     */
    if (tper->response) {
        opal_trace(tper, packet_dropped, tsn, hsn,
                   "a response is already waiting (Core 3.3.10)");
        return;
    }
    tper->response =
        opal_packet_build(OPAL_BASE_COMID, tsn, hsn, tokens->data, tokens->len);
}

/* ---- Properties ---------------------------------------------------------- */

static bool property_name_is(const OpalToken *name, const char *s)
{
    return name->type == OPAL_TOKEN_BYTES && name->len == strlen(s) &&
           memcmp(name->bytes, s, name->len) == 0;
}

/*
 * Adopts the HostProperties list @v: StartList (StartName name value EndName)*
 * EndList.
 */
static OpalStatus negotiate_host_properties(OpalTPer *tper, const OpalValue *v)
{
    const OpalToken *t = v->tokens;
    size_t i = 1;

    if (!opal_token_is(&t[0], OPAL_TK_START_LIST)) {
        return OPAL_ST_INVALID_PARAMETER;
    }
    while (i + 3 < v->count) {
        const OpalToken *name = &t[i + 1], *value = &t[i + 2];

        if (!opal_token_is(&t[i], OPAL_TK_START_NAME) ||
            value->type != OPAL_TOKEN_UINT ||
            !opal_token_is(&t[i + 3], OPAL_TK_END_NAME)) {
            return OPAL_ST_INVALID_PARAMETER;
        }
        for (int p = 0; p < OPAL_HP__COUNT; p++) {
            if (property_name_is(name, host_property_limits[p].name)) {
                /*
                 * Below the minimum the host gets the minimum, above our
                 * maximum ours.
                 */
                tper->host_properties[p] =
                    CLAMP(value->uint, host_property_limits[p].initial,
                          host_property_limits[p].max);
            }
        }
        /*
         * Properties this TPer does not use (e.g. AckNak) keep their defaults.
         */
        i += 4;
    }
    return i + 1 == v->count ? OPAL_ST_SUCCESS : OPAL_ST_INVALID_PARAMETER;
}

static void sm_properties(OpalTPer *tper, const OpalCall *call, GByteArray *out)
{
    const OpalValue *host = opal_call_optional(call, 0);
    const Property tper_properties[] = {
        { "MaxComPacketSize", OPAL_MAX_TRANSFER },
        { "MaxResponseComPacketSize", OPAL_MAX_TRANSFER },
        { "MaxPacketSize", host_property_limits[OPAL_HP_MAX_PACKET_SIZE].max },
        { "MaxIndTokenSize",
          host_property_limits[OPAL_HP_MAX_IND_TOKEN_SIZE].max },
        { "MaxPackets", 1 },
        { "MaxSubpackets", 1 },
        { "MaxMethods", 1 },
        { "MaxSessions", OPAL_MAX_SESSIONS },
        { "MaxAuthentications", OPAL_MAX_AUTHENTICATIONS },
        { "MaxTransactionLimit", OPAL_MAX_TRANSACTIONS },
        { "DefSessionTimeout", DEF_SESSION_TIMEOUT },
        { "MinSessionTimeout", MIN_SESSION_TIMEOUT },
        { "MaxSessionTimeout", MAX_SESSION_TIMEOUT },
    };
    OpalStatus status = OPAL_ST_SUCCESS;

    if (call->nr_required != 0 || call->nr_optional > (host ? 1 : 0)) {
        status = OPAL_ST_INVALID_PARAMETER;
    } else if (host) {
        status = negotiate_host_properties(tper, host);
    }
    opal_trace(tper, method, 0, 0, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES,
               "Properties", status,
               status ? "malformed HostProperties" : "");
    if (status != OPAL_ST_SUCCESS) {
        put_sm_call(out, OPAL_UID_SM_PROPERTIES);
        opal_token_put_control(out, OPAL_TK_END_LIST);
        opal_put_status(out, status);
        return;
    }

    put_sm_call(out, OPAL_UID_SM_PROPERTIES);
    opal_token_put_control(out, OPAL_TK_START_LIST);
    for (size_t i = 0; i < G_N_ELEMENTS(tper_properties); i++) {
        put_named_property(out, tper_properties[i].name,
                           tper_properties[i].value);
    }
    opal_token_put_control(out, OPAL_TK_END_LIST);
    /* HostProperties (name 0): the values in force from now on. */
    opal_token_put_control(out, OPAL_TK_START_NAME);
    opal_token_put_uint(out, 0);
    opal_token_put_control(out, OPAL_TK_START_LIST);
    for (int p = 0; p < OPAL_HP__COUNT; p++) {
        put_named_property(out, host_property_limits[p].name,
                           tper->host_properties[p]);
    }
    opal_token_put_control(out, OPAL_TK_END_LIST);
    opal_token_put_control(out, OPAL_TK_END_NAME);
    opal_token_put_control(out, OPAL_TK_END_LIST);
    opal_put_status(out, OPAL_ST_SUCCESS);
}

/* ---- StartSession -------------------------------------------------------- */

static OpalSession *find_session(OpalTPer *tper, uint32_t tsn, uint32_t hsn)
{
    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        if (tper->sessions[i].tsn == tsn && tper->sessions[i].hsn == hsn &&
            tsn) {
            return &tper->sessions[i];
        }
    }
    return NULL;
}

/* Core 3.3.7.1: one read-write session per SP, excluding read-only ones too. */
static OpalStatus check_session_limits(OpalTPer *tper, uint64_t sp, bool write,
                                       OpalSession **slot)
{
    *slot = NULL;
    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        OpalSession *s = &tper->sessions[i];

        if (!s->tsn) {
            *slot = *slot ? *slot : s;
        } else if (s->sp_uid == sp && (write || s->write)) {
            opal_explain(tper, s->write ?
                         "a read-write session to that SP is open" :
                         "a read-only session to that SP is open");
            return OPAL_ST_SP_BUSY;
        }
    }
    if (!*slot) {
        opal_explain(tper, "all sessions are in use (MaxSessions)");
        return OPAL_ST_NO_SESSIONS_AVAILABLE;
    }
    return OPAL_ST_SUCCESS;
}

/*
 * StartSession: what of @hsn, @sp and @authority it could read is there
 * even when it fails, for the trace.
 */
static OpalStatus start_session(OpalTPer *tper, const OpalCall *call,
                                uint64_t *hsn, uint64_t *sp_out,
                                uint64_t *authority_out, uint32_t *tsn)
{
    uint64_t sp, write, authority = OPAL_UID_AUTH_ANYBODY,
                        timeout = DEF_SESSION_TIMEOUT;
    const OpalValue *v;
    OpalSP *sp_object;
    OpalSession *slot;
    OpalStatus status;

    if (call->nr_required != 3 || !opal_value_uint(&call->required[0], hsn) ||
        !opal_value_uid(&call->required[1], &sp) ||
        !opal_value_uint(&call->required[2], &write) || write > 1 ||
        *hsn > UINT32_MAX) {
        opal_explain(tper, "HostSessionID, SPID, Write malformed");
        return OPAL_ST_INVALID_PARAMETER;
    }
    for (size_t i = 0; i < call->nr_optional; i++) {
        const OpalToken *name = call->optional[i].name;

        if (name->type != OPAL_TOKEN_UINT ||
            (name->uint != START_HOST_CHALLENGE &&
             name->uint != START_HOST_SIGNING_AUTHORITY &&
             name->uint != START_SESSION_TIMEOUT)) {
            opal_explain(tper, "optional parameter not supported");
            return OPAL_ST_INVALID_PARAMETER;
        }
    }
    v = opal_call_optional(call, START_HOST_SIGNING_AUTHORITY);
    if (v && !opal_value_uid(v, &authority)) {
        opal_explain(tper, "HostSigningAuthority is not a UID");
        return OPAL_ST_INVALID_PARAMETER;
    }
    v = opal_call_optional(call, START_SESSION_TIMEOUT);
    if (v && (!opal_value_uint(v, &timeout) || timeout < MIN_SESSION_TIMEOUT ||
              timeout > MAX_SESSION_TIMEOUT)) {
        opal_explain(tper, "SessionTimeout outside Min/MaxSessionTimeout");
        return OPAL_ST_INVALID_PARAMETER;
    }

    *sp_out = sp;
    *authority_out = authority;
    sp_object = opal_session_sp(tper, sp);
    if (!sp_object) {
        opal_explain(tper, sp == OPAL_UID_LOCKINGSP ?
                     "the LockingSP is still Manufactured-Inactive" :
                     "SPID is no SP");
        return OPAL_ST_INVALID_PARAMETER;
    }
    if (opal_transaction_busy(tper, NULL)) {
        /* Until it ends, the transaction's session is the only one at work. */
        opal_explain(tper, "another session holds a transaction");
        return OPAL_ST_SP_BUSY;
    }
    status = check_session_limits(tper, sp, write, &slot);
    if (status != OPAL_ST_SUCCESS) {
        return status;
    }
    if (authority != OPAL_UID_AUTH_ANYBODY) {
        const uint8_t *challenge = NULL;
        size_t challenge_len = 0;
        bool proven;

        v = opal_call_optional(call, START_HOST_CHALLENGE);
        if (v && !opal_value_bytes(v, &challenge, &challenge_len)) {
            opal_explain(tper, "HostChallenge is not bytes");
            return OPAL_ST_INVALID_PARAMETER;
        }
        status = opal_authenticate(tper, sp_object, authority, challenge,
                                   challenge_len, &proven);
        if (status != OPAL_ST_SUCCESS) {
            return status;
        }
        if (!proven) {
            /* opal_authenticate() gave the reason. */
            return OPAL_ST_NOT_AUTHORIZED;
        }
    }
    do {
        tper->last_tsn++;
    } while (tper->last_tsn == 0);
    *slot = (OpalSession) {
        .tsn = tper->last_tsn, .hsn = *hsn, .sp_uid = sp, .write = write,
        .timeout_ms = timeout, .last_activity_ms = opal_now_ms(tper),
    };
    if (authority != OPAL_UID_AUTH_ANYBODY) {
        slot->auth.uids[slot->auth.n++] = authority;
    }
    *tsn = slot->tsn;
    opal_trace(tper, session_start, slot->tsn, slot->hsn, sp, write,
               authority);
    return OPAL_ST_SUCCESS;
}

static void sm_start_session(OpalTPer *tper, const OpalCall *call,
                             GByteArray *out)
{
    uint64_t hsn = 0, sp = 0, authority = 0;
    uint32_t tsn = 0;
    OpalStatus status;

    tper->why = NULL;
    status = start_session(tper, call, &hsn, &sp, &authority, &tsn);
    if (status != OPAL_ST_SUCCESS) {
        opal_trace(tper, session_refused, hsn, sp, authority, status,
                   tper->why ?: "");
    }

    put_sm_call(out, OPAL_UID_SM_SYNC_SESSION);
    if (status == OPAL_ST_SUCCESS) {
        opal_token_put_uint(out, hsn);
        opal_token_put_uint(out, tsn);
    }
    opal_token_put_control(out, OPAL_TK_END_LIST);
    opal_put_status(out, status);
}

/* ---- dispatch ------------------------------------------------------------ */

OpalSP *opal_session_sp(OpalTPer *tper, uint64_t uid)
{
    if (uid == OPAL_UID_ADMINSP) {
        return tper->admin_sp;
    }
    if (uid == OPAL_UID_LOCKINGSP && opal_locking_sp_active(tper)) {
        return tper->locking_sp;
    }
    return NULL;
}

static void session_manager(OpalTPer *tper, const OpalPacket *pkt)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    OpalCall call;
    const char *why = NULL;

    if (!opal_call_parse(&call, pkt->data, pkt->len, &why)) {
        opal_trace(tper, packet_dropped, 0, 0, why);
        opal_call_clear(&call);
        return;
    }
    if (call.invoking_uid != OPAL_UID_SMUID) {
        opal_trace(tper, packet_dropped, 0, 0,
                   "session manager call not on SMUID");
    } else if (call.method_uid == OPAL_UID_SM_PROPERTIES) {
        sm_properties(tper, &call, out);
    } else if (call.method_uid == OPAL_UID_SM_START_SESSION) {
        sm_start_session(tper, &call, out);
    } else {
        opal_trace(tper, packet_dropped, 0, 0,
                   "not a session manager method a host may call");
    }
    opal_call_clear(&call);
    if (out->len) {
        queue_response(tper, 0, 0, out);
    }
}

/* Session @s is over, and any transaction it holds. */
static void end_session(OpalTPer *tper, OpalSession *s)
{
    opal_transaction_session_ended(tper, s);
    memset(s, 0, sizeof(*s));
}

void opal_session_expire(OpalTPer *tper)
{
    int64_t now = opal_now_ms(tper);

    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        OpalSession *s = &tper->sessions[i];

        if (s->tsn && s->timeout_ms &&
            now - s->last_activity_ms > s->timeout_ms) {
            opal_trace(tper, session_end, s->tsn, s->hsn,
                       "timed out (SessionTimeout)");
            end_session(tper, s);
        }
    }
}

/*
 * A streaming protocol violation once the session is resolved - a call the
 * TPer cannot parse - aborts the session (Opal 3.3.4.1.3), and the host
 * learns it from a CloseSession the TPer invokes on the session manager
 * (Core 3.3.10 error handling, 5.2.3.5): SMUID.CloseSession[HSN, TSN], with
 * the status list every call carries, 0 from the TPer as caller.  Without
 * it the host would read an empty ComPacket and could not tell an aborted
 * session from a response still to come.
 */
static void queue_close_session(OpalTPer *tper, const OpalSession *s)
{
    g_autoptr(GByteArray) out = g_byte_array_new();

    put_sm_call(out, OPAL_UID_SM_CLOSE_SESSION);
    opal_token_put_uint(out, s->hsn);
    opal_token_put_uint(out, s->tsn);
    opal_token_put_control(out, OPAL_TK_END_LIST);
    opal_put_status(out, OPAL_ST_SUCCESS);
    queue_response(tper, 0, 0, out);
}

/*
 * Reads the StartTransaction and EndTransaction tokens, each with its status,
 * at the start of @r's data and acts on them (Core 3.2.6), leaving @r at the
 * first other token, if any; false if one has no uinteger status.
 */
static bool transaction_tokens(OpalTPer *tper, OpalSession *s,
                               OpalTokenReader *r, GByteArray *out)
{
    for (;;) {
        const uint8_t *at = r->pos;
        OpalToken t, status;

        if (!opal_token_read(r, &t) ||
            (!opal_token_is(&t, OPAL_TK_START_TRANSACTION) &&
             !opal_token_is(&t, OPAL_TK_END_TRANSACTION))) {
            r->pos = at;
            return true;
        }
        if (!opal_token_read(r, &status) || status.type != OPAL_TOKEN_UINT) {
            return false;
        }
        if (t.control == OPAL_TK_START_TRANSACTION) {
            opal_transaction_start(tper, s, status.uint, out);
        } else {
            opal_transaction_end(tper, s, status.uint, out);
        }
    }
}

/* The session's one method call at @data, or false if it cannot be parsed. */
static bool session_call(OpalTPer *tper, OpalSession *s, const uint8_t *data,
                         size_t len, size_t *used, GByteArray *out,
                         const char **why)
{
    OpalCall call;

    if (!opal_call_parse(&call, data, len, why)) {
        opal_call_clear(&call);
        return false;
    }
    if (opal_transaction_busy(tper, s)) {
        opal_trace(tper, method, s->tsn, s->sp_uid, call.invoking_uid,
                   call.method_uid, opal_method_name(call.method_uid),
                   OPAL_ST_SP_BUSY,
                   "another session holds a transaction");
        opal_token_put_control(out, OPAL_TK_START_LIST);
        opal_token_put_control(out, OPAL_TK_END_LIST);
        opal_put_status(out, OPAL_ST_SP_BUSY);
    } else {
        opal_method_invoke(tper, s, &call, out);
    }
    *used = call.len;
    opal_call_clear(&call);
    return true;
}

/*
 * A session's packet: EndOfSession, or a method call, or both of them
 * preceded by transaction tokens, and a call followed by some as well.
 */
static void session_packet(OpalTPer *tper, OpalSession *s,
                           const OpalPacket *pkt)
{
    g_autoptr(GByteArray) out = g_byte_array_new();
    OpalTokenReader r;
    const char *why = "malformed StartTransaction or EndTransaction";
    size_t used = 0;

    s->last_activity_ms = opal_now_ms(tper);
    opal_token_reader_init(&r, pkt->data, pkt->len);
    if (!transaction_tokens(tper, s, &r, out)) {
        goto abort;
    }
    if (r.pos < r.end && r.pos[0] == OPAL_TK_END_OF_SESSION) {
        /*
         * The host closes; the TPer confirms with its own EndOfSession (Core
         * 3.3.7.3).
         */
        opal_trace(tper, session_end, s->tsn, s->hsn, "closed by the host");
        opal_token_put_control(out, OPAL_TK_END_OF_SESSION);
        queue_response(tper, s->tsn, s->hsn, out);
        end_session(tper, s);
        return;
    }
    /* Transaction tokens alone are a packet too; anything else is a call. */
    if (r.pos == pkt->data || r.pos < r.end) {
        if (!session_call(tper, s, r.pos, r.end - r.pos, &used, out, &why)) {
            goto abort;
        }
        r.pos += used;
        why = "malformed StartTransaction or EndTransaction";
        if (!transaction_tokens(tper, s, &r, out)) {
            goto abort;
        }
    }
    queue_response(tper, s->tsn, s->hsn, out);
    if (s->end_after_response) {
        opal_trace(tper, session_end, s->tsn, s->hsn, "the TPer ended it");
        end_session(tper, s);
    }
    return;
abort:
    opal_trace(tper, session_end, s->tsn, s->hsn, why);
    queue_close_session(tper, s);
    end_session(tper, s);
}

void opal_session_receive(OpalTPer *tper, const uint8_t *buf, size_t len)
{
    OpalPacket pkt = { 0 };
    OpalSession *s;
    const char *why = NULL;

    if (!opal_packet_parse(buf, len, OPAL_BASE_COMID, &pkt, &why)) {
        s = pkt.tsn ? find_session(tper, pkt.tsn, pkt.hsn) : NULL;
        if (!s) {
            opal_trace(tper, packet_dropped, pkt.tsn, pkt.hsn, why);
            return;
        }
        /*
         * A session's packet the TPer cannot take - more SubPackets than
         * the Properties allow, say - ends the session as a call it cannot
         * parse does (Core 3.3.7.1.5; the Opal Test Cases' ETC-14 expects
         * a new session of the same authority to open after it).
         */
        opal_trace(tper, session_end, s->tsn, s->hsn, why);
        queue_close_session(tper, s);
        end_session(tper, s);
        return;
    }
    if (pkt.tsn == 0 && pkt.hsn == 0) {
        session_manager(tper, &pkt);
        return;
    }
    s = find_session(tper, pkt.tsn, pkt.hsn);
    if (!s) {
        opal_trace(tper, packet_dropped, pkt.tsn, pkt.hsn, "no such session");
        return;
    }
    session_packet(tper, s, &pkt);
}
