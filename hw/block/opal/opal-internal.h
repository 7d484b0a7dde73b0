/*
 * ide-opal-hd: types shared inside the TCG Storage engine
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_BLOCK_OPAL_INTERNAL_H
#define HW_BLOCK_OPAL_INTERNAL_H

#include <glib.h>
#include <stdbool.h>
#include <string.h>
#include "hw/opal/opal.h"

/* TCG Storage is big-endian on the wire (Core 3.2.2). */
static inline void opal_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static inline void opal_put_be32(uint8_t *p, uint32_t v)
{
    opal_put_be16(p, v >> 16);
    opal_put_be16(p + 2, v);
}

static inline void opal_put_be64(uint8_t *p, uint64_t v)
{
    opal_put_be32(p, v >> 32);
    opal_put_be32(p + 4, v);
}

static inline uint16_t opal_get_be16(const uint8_t *p)
{
    return (uint16_t)p[0] << 8 | p[1];
}

static inline uint32_t opal_get_be32(const uint8_t *p)
{
    return (uint32_t)opal_get_be16(p) << 16 | opal_get_be16(p + 2);
}

static inline uint64_t opal_get_be64(const uint8_t *p)
{
    return (uint64_t)opal_get_be32(p) << 32 | opal_get_be32(p + 4);
}

/*
 * Tokens (Core 3.2.2.3): the data stream of a method call is a sequence of
 * atoms (integers and byte sequences, in tiny/short/medium/long encodings)
 * and one-byte control tokens.
 */
enum {
    OPAL_TK_START_LIST = 0xf0,
    OPAL_TK_END_LIST = 0xf1,
    OPAL_TK_START_NAME = 0xf2,
    OPAL_TK_END_NAME = 0xf3,
    OPAL_TK_CALL = 0xf8,
    OPAL_TK_END_OF_DATA = 0xf9,
    OPAL_TK_END_OF_SESSION = 0xfa,
    OPAL_TK_START_TRANSACTION = 0xfb,
    OPAL_TK_END_TRANSACTION = 0xfc,
    OPAL_TK_EMPTY = 0xff,
};

typedef enum OpalTokenType {
    OPAL_TOKEN_UINT,            /* unsigned integer atom */
    OPAL_TOKEN_SINT,            /* signed integer atom */
    OPAL_TOKEN_BYTES,           /* byte sequence atom */
    OPAL_TOKEN_CONTROL,         /* one of OPAL_TK_* */
} OpalTokenType;

typedef struct OpalToken {
    OpalTokenType type;
    uint8_t control;            /* OPAL_TOKEN_CONTROL */
    uint64_t uint;              /* OPAL_TOKEN_UINT */
    int64_t sint;               /* OPAL_TOKEN_SINT */
    const uint8_t *bytes;       /* OPAL_TOKEN_BYTES: points into the input */
    size_t len;                 /* OPAL_TOKEN_BYTES: length */
} OpalToken;

static inline bool opal_token_is(const OpalToken *t, uint8_t control)
{
    return t->type == OPAL_TOKEN_CONTROL && t->control == control;
}

/* Reads tokens from a buffer; stops for good at the first malformed one. */
typedef struct OpalTokenReader {
    const uint8_t *pos, *end;
    const char *error;          /* why reading stopped early, or NULL */
} OpalTokenReader;

void opal_token_reader_init(OpalTokenReader *r, const uint8_t *buf, size_t len);
/* The next token; false at the end of the data or on an error (r->error). */
bool opal_token_read(OpalTokenReader *r, OpalToken *t);

/* Writers append the shortest encoding of each token (Core 3.2.2.3.1). */
void opal_token_put_uint(GByteArray *out, uint64_t value);
void opal_token_put_bytes(GByteArray *out, const void *data, size_t len);
void opal_token_put_uid(GByteArray *out, uint64_t uid);
void opal_token_put_control(GByteArray *out, uint8_t control);

/*
 * Framing (Core 3.2.3): a ComPacket carries Packets (one per session), a Packet
 * carries SubPackets, a data SubPacket carries tokens.  This TPer announces
 * MaxPackets = MaxSubpackets = 1, so a host ComPacket holds exactly one of
 * each.
 */
#define OPAL_COMPACKET_HEADER_LEN   20
#define OPAL_PACKET_HEADER_LEN      24
#define OPAL_SUBPACKET_HEADER_LEN   12

typedef struct OpalPacket {
    uint32_t tsn;               /* TPer session number (0: session manager) */
    uint32_t hsn;               /* host session number */
    uint32_t seq_number;
    const uint8_t *data;        /* the data SubPacket's tokens, in the input */
    size_t len;
} OpalPacket;

/*
 * Parses one IF-SEND ComPacket for @comid; false with *why on any violation,
 * @pkt's tsn and hsn then naming the session of a Packet whose header
 * arrived (0 if none did).
 */
bool opal_packet_parse(const uint8_t *buf, size_t len, uint16_t comid,
                       OpalPacket *pkt, const char **why);
/* Frames @tokens as the response ComPacket of session @tsn/@hsn on @comid. */
GByteArray *opal_packet_build(uint16_t comid, uint32_t tsn, uint32_t hsn,
                              const uint8_t *tokens, size_t len);

/*
 * Method invocations (Core 3.2.4): Call, invoking UID, method UID, the
 * argument list, EndOfData, then the host's status list.  The arguments are
 * kept as tokens: required ones by position, optional ones as StartName name
 * value EndName pairs after them.  A value is one atom or a whole list/name.
 */
typedef struct OpalValue {
    const OpalToken *tokens;    /* first token of the value */
    /* 1 for an atom, else up to the closing token */
    size_t count;
} OpalValue;

#define OPAL_MAX_ARGS 16

typedef struct OpalCall {
    uint64_t invoking_uid;
    uint64_t method_uid;
    size_t len;     /* bytes of the data it takes, status list included */
    GArray *tokens; /* OpalToken: everything inside the argument list */
    size_t nr_required;
    OpalValue required[OPAL_MAX_ARGS];
    size_t nr_optional;
    struct {
        const OpalToken *name;  /* uint or bytes atom */
        OpalValue value;
    } optional[OPAL_MAX_ARGS];
} OpalCall;

/* Parses the tokens of one method invocation; false with *why if malformed. */
bool opal_call_parse(OpalCall *call, const uint8_t *data, size_t len,
                     const char **why);
void opal_call_clear(OpalCall *call);
/* The optional argument named @name (an integer name), or NULL. */
const OpalValue *opal_call_optional(const OpalCall *call, uint64_t name);
/*
 * Parses @len bytes that must hold exactly one value (an atom, list or name)
 * into @tokens; @value then points into @tokens.
 */
bool opal_value_parse(const uint8_t *data, size_t len, GArray *tokens,
                      OpalValue *value, const char **why);
/* Decoders for the common value shapes: false if @v is something else. */
bool opal_value_uint(const OpalValue *v, uint64_t *out);
bool opal_value_bytes(const OpalValue *v, const uint8_t **bytes, size_t *len);
bool opal_value_uid(const OpalValue *v, uint64_t *uid);

/*
 * An IF-RECV fills the host's whole buffer: the response (cut short if the
 * host asked for less) and zeros after it.
 */
static inline void opal_reply(uint8_t *buf, size_t len, const uint8_t *resp,
                              size_t resp_len)
{
    size_t n = MIN(len, resp_len);

    memcpy(buf, resp, n);
    memset(buf + n, 0, len - n);
}

/* ComID management (protocol 0x02) requests, Core 3.3.4.7. */
typedef enum OpalComIdRequest {
    OPAL_COMID_REQ_NONE = 0,
    OPAL_COMID_REQ_VERIFY_COMID_VALID = 1,
    OPAL_COMID_REQ_STACK_RESET = 2,
} OpalComIdRequest;

/* Method status codes (Core 5.1.5). */
typedef enum OpalStatus {
    OPAL_ST_SUCCESS = 0x00,
    OPAL_ST_NOT_AUTHORIZED = 0x01,
    OPAL_ST_SP_BUSY = 0x03,
    OPAL_ST_SP_FAILED = 0x04,
    OPAL_ST_SP_DISABLED = 0x05,
    OPAL_ST_SP_FROZEN = 0x06,
    OPAL_ST_NO_SESSIONS_AVAILABLE = 0x07,
    OPAL_ST_UNIQUENESS_CONFLICT = 0x08,
    OPAL_ST_INSUFFICIENT_SPACE = 0x09,
    OPAL_ST_INSUFFICIENT_ROWS = 0x0a,
    OPAL_ST_INVALID_PARAMETER = 0x0c,
    OPAL_ST_TPER_MALFUNCTION = 0x0f,
    OPAL_ST_TRANSACTION_FAILURE = 0x10,
    OPAL_ST_RESPONSE_OVERFLOW = 0x11,
    OPAL_ST_AUTHORITY_LOCKED_OUT = 0x12,
    OPAL_ST_FAIL = 0x3f,
} OpalStatus;

/* Sessions (Core 3.3.7): at most this many at once, on the one base ComID. */
#define OPAL_MAX_SESSIONS   4

/*
 * What a session has proven: the authorities it authenticated (Anybody
 * implied).
 */
#define OPAL_MAX_AUTHENTICATIONS    2

typedef struct OpalAuthSet {
    uint64_t uids[OPAL_MAX_AUTHENTICATIONS];
    size_t n;
} OpalAuthSet;

typedef struct OpalSession {
    uint32_t tsn;               /* 0: this slot is free */
    uint32_t hsn;
    uint64_t sp_uid;
    bool write;
    OpalAuthSet auth;
    int64_t timeout_ms;         /* 0: none */
    int64_t last_activity_ms;
    /*
     * Revert and RevertSP end their own session once answered (Opal 5.1.2-3).
     */
    bool end_after_response;
} OpalSession;

/*
 * Communication properties the host may negotiate (Core 5.2.2.1; Opal 4.1.1.1).
 */
typedef enum OpalHostProperty {
    OPAL_HP_MAX_COMPACKET_SIZE,
    OPAL_HP_MAX_RESPONSE_COMPACKET_SIZE,
    OPAL_HP_MAX_PACKET_SIZE,
    OPAL_HP_MAX_IND_TOKEN_SIZE,
    OPAL_HP_MAX_PACKETS,
    OPAL_HP_MAX_SUBPACKETS,
    OPAL_HP_MAX_METHODS,
    OPAL_HP__COUNT,
} OpalHostProperty;

typedef struct OpalSP OpalSP;

/*
 * Transactions (transaction.c; Core 3.2.6): at most this many open at once,
 * nested, in the one session that holds them - MaxTransactionLimit in
 * Properties, which Opal 4.1.1 wants at least 1.
 */
#define OPAL_MAX_TRANSACTIONS   2

/* One open transaction: what its abort puts back, as it was at its start. */
typedef struct OpalTransactionLevel {
    OpalSP *admin_sp;
    OpalSP *locking_sp;
    GHashTable *keks;
    guint writes;       /* byte-table writes held before it */
    uint64_t written;   /* and what they count (OPAL_TRANSACTION_MAX_WRITE) */
} OpalTransactionLevel;

typedef struct OpalTransactions {
    unsigned depth;             /* 0: none open */
    uint32_t tsn;               /* the session that holds them */
    OpalTransactionLevel levels[OPAL_MAX_TRANSACTIONS];
    unsigned changes;   /* OPAL_CHANGE_* the listener hears at the commit */
    GPtrArray *writes;  /* byte-table writes the byte listener hears then */
    uint64_t written;
} OpalTransactions;

struct OpalTPer {
    OpalConfig config;
    OpalSP *admin_sp;
    OpalSP *locking_sp;
    const OpalTraceOps *trace;
    void *trace_opaque;
    /*
     * Why the method or StartSession at work fails, or what of note it did:
     * the first reason given (opal_explain()), a string literal.
     */
    const char *why;
    OpalChangeFn *changed;
    void *changed_opaque;
    OpalByteWriteFn *byte_written;
    void *byte_written_opaque;
    OpalClockFn *clock;
    void *clock_opaque;
    /* The last ComID management request, answered by the next IF-RECV. */
    uint32_t comid_request;
    /* The response ComPacket waiting for IF-RECV on the base ComID, or NULL. */
    GByteArray *response;
    uint32_t host_properties[OPAL_HP__COUNT];
    OpalSession sessions[OPAL_MAX_SESSIONS];
    uint32_t last_tsn;
    /*
     * Authority UID -> its key-encryption key, for those that presented a
     * PIN since power-on (secrets.c).  Volatile, like the clear media keys.
     */
    GHashTable *keks;
    /*
     * Block SID Authentication (comid.c), volatile: the SID Authentication
     * Blocked State, and the Clear Events of the last Block SID command
     * since power-on (OPAL_BLOCK_SID_CLEAR_HW_RESET).
     */
    bool sid_blocked;
    uint8_t sid_block_clear_events;
    /*
     * Whether C_PIN_SID's PIN differs from MSID's (Level 0 Discovery's SID
     * Value State), as found for the verifier cell held here (secrets.c):
     * knowing it costs a PBKDF2 run, so it is worked out once per PIN.
     */
    GBytes *sid_value_verifier;
    bool sid_value_known;
    bool sid_value_differs;
    OpalTransactions txn;
};

/*
 * A GBytes holding a copy of @data that is wiped when its last reference goes
 * (secrets.c), and the same taking over @b's bytes (@b is freed): for table
 * cells, any of which may hold a PIN or a key, and whose references are
 * shared, so no one holder can wipe them.
 */
GBytes *opal_secret_bytes_new(const void *data, size_t len);
GBytes *opal_secret_bytes_from_array(GByteArray *b);

/* Now, in milliseconds, on the TPer's clock (tper.c). */
int64_t opal_now_ms(OpalTPer *tper);

/*
 * Tells the change listener, if any, what an accepted method changed (tper.c);
 * false if the listener could not keep it.
 */
bool opal_changed(OpalTPer *tper, unsigned changes);
/*
 * Tells the byte listener, if any, of a method's write to a byte table
 * (tper.c).
 */
void opal_byte_written(OpalTPer *tper, uint64_t table_uid, uint64_t offset,
                       const uint8_t *data, uint64_t len);

/*
 * Transactions (transaction.c).  opal_transaction_init() and _free() belong
 * to the TPer's life; _open() tells whether one is, _busy() whether one that
 * @s does not hold is (@s NULL: any).
 */
void opal_transaction_init(OpalTPer *tper);
void opal_transaction_free(OpalTPer *tper);
bool opal_transaction_open(const OpalTPer *tper);
bool opal_transaction_busy(const OpalTPer *tper, const OpalSession *s);
/*
 * StartTransaction and EndTransaction with the host's @status, in session
 * @s: appends the TPer's answer, the same token and the outcome's status.
 */
void opal_transaction_start(OpalTPer *tper, OpalSession *s, uint64_t status,
                            GByteArray *out);
void opal_transaction_end(OpalTPer *tper, OpalSession *s, uint64_t status,
                          GByteArray *out);
/* Session @s ends (NULL: every session): the transactions it holds abort. */
void opal_transaction_session_ended(OpalTPer *tper, const OpalSession *s);
/* Whether a transaction may write @len more bytes of byte tables. */
bool opal_transaction_may_write(const OpalTPer *tper, uint64_t len);
/*
 * While a transaction is open, opal_changed() and opal_byte_written() keep
 * what they hear for the commit: these take it.
 */
void opal_transaction_defer(OpalTPer *tper, unsigned changes);
void opal_transaction_hold_write(OpalTPer *tper, uint64_t area_uid,
                                 uint64_t offset, const uint8_t *data,
                                 uint64_t len);
/*
 * The state as committed, for whoever reads it from outside the session
 * that holds a transaction (saves, the media view, the shadow MBR, the
 * status): @tper itself if none is open, or @view made to show it.
 */
const OpalTPer *opal_committed(const OpalTPer *tper, OpalTPer *view);
/*
 * A copy of @tper's SPs, byte tables included, and KEKs (persist.c): what
 * a transaction rolls back to.
 */
bool opal_state_copy(const OpalTPer *tper, OpalTransactionLevel *level);

/*
 * Tells the trace listener of @event (a member of OpalTraceOps): with none,
 * the arguments are not evaluated.
 */
#define opal_trace(tper, event, ...)                                        \
    do {                                                                    \
        if ((tper)->trace && (tper)->trace->event) {                        \
            (tper)->trace->event((tper)->trace_opaque, __VA_ARGS__);        \
        }                                                                   \
    } while (0)

/*
 * Gives @why (a string literal) as the reason the method or StartSession at
 * work fails, or as what of note it did, unless a reason is given already:
 * the first, from deepest in the call, is the most precise.  Its trace event
 * carries it (Core 5.1.5 gives a host nothing but the status, so the trace
 * is the only place to learn it).
 */
static inline void opal_explain(OpalTPer *tper, const char *why)
{
    if (!tper->why) {
        tper->why = why;
    }
}

/* Session layer (session.c). */
void opal_session_init(OpalTPer *tper);
/*
 * One IF-SEND on the base ComID: a ComPacket for the session manager or a
 * session.
 */
void opal_session_receive(OpalTPer *tper, const uint8_t *buf, size_t len);
/* Ends sessions idle for longer than their timeout (Core 5.2.3.1.9). */
void opal_session_expire(OpalTPer *tper);
/*
 * Aborts every session and drops the queued response and ComID request:
 * the TCG command and response buffers of STACK_RESET and resets.
 */
void opal_session_abort_all(OpalTPer *tper);
/* Ends a method's response: EndOfData and the status list (Core 3.2.4.2). */
void opal_put_status(GByteArray *out, OpalStatus status);

/* The LockingSP's life cycle (lifecycle.c). */
bool opal_locking_sp_active(const OpalTPer *tper);
/* Builds both SPs in their factory state, replacing any previous ones. */
void opal_sps_factory_reset(OpalTPer *tper);

/* Methods of the SPs (methods.c). */
/* Runs @call in session @s and appends its results and status to @out. */
void opal_method_invoke(OpalTPer *tper, OpalSession *s, const OpalCall *call,
                        GByteArray *out);
/* The name of method @uid ("Set"), for the trace; "?" if none. */
const char *opal_method_name(uint64_t uid);
/*
 * Checks @proof for @authority of @sp (Core 5.3.4.1.14); SUCCESS with
 * *proven telling the outcome, or the status that refuses the attempt.
 */
OpalStatus opal_authenticate(OpalTPer *tper, OpalSP *sp, uint64_t authority,
                             const uint8_t *proof, size_t proof_len,
                             bool *proven);
/* The SP object @uid of a session, if it can have sessions now. */
OpalSP *opal_session_sp(OpalTPer *tper, uint64_t uid);

/*
 * Level 0 Discovery (discovery.c): fills @buf, returns the response's length.
 */
size_t opal_discovery_encode(OpalTPer *tper, uint8_t *buf, size_t len);

/* ComID management (comid.c). */
OpalIfStatus opal_comid_send(OpalTPer *tper, uint16_t comid,
                             const uint8_t *buf, size_t len);
OpalIfStatus opal_comid_recv(OpalTPer *tper, uint16_t comid,
                             uint8_t *buf, size_t len);

/*
 * TPER_RESET (comid.c): whether TPerInfo's ProgrammaticResetEnable allows
 * it, and the command, a Programmatic reset of the whole TPer.
 */
bool opal_tper_reset_enabled(const OpalTPer *tper);
OpalIfStatus opal_tper_reset_send(OpalTPer *tper);

/*
 * Block SID Authentication (comid.c): the command, and what a reset ends of it.
 */
OpalIfStatus opal_block_sid_send(OpalTPer *tper, const uint8_t *buf,
                                 size_t len);
void opal_block_sid_reset(OpalTPer *tper, OpalReset type);
/*
 * Whether authenticating as @authority of @sp is blocked now (SID in the
 * AdminSP).
 */
bool opal_block_sid_blocks(const OpalTPer *tper, const OpalSP *sp,
                           uint64_t authority);

/*
 * The SID Value State (secrets.c): whether C_PIN_SID's PIN differs from
 * C_PIN_MSID's.  opal_sid_value_note() records it when a PIN is set and the
 * answer is known for free; otherwise opal_sid_value_differs() works it out
 * (one PBKDF2 run) and keeps it for as long as the PIN stays.
 */
bool opal_sid_value_differs(OpalTPer *tper);
void opal_sid_value_note(OpalTPer *tper, bool differs);
void opal_sid_value_forget(OpalTPer *tper);

#endif
