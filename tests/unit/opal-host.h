/*
 * A minimal TCG host for the engine's unit tests: frames method calls,
 * sends them through IF-SEND on the base ComID and decodes the IF-RECV
 * response, as a host driver would.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_UNIT_OPAL_HOST_H
#define TESTS_UNIT_OPAL_HOST_H

#include "opal-internal.h"

#define HOST_HSN 0x41

/* MSID "msid-pin", PSID "psid-pin" */
extern const OpalConfig host_test_config;

typedef struct HostResponse {
    uint8_t buf[OPAL_MAX_TRANSFER];
    OpalPacket pkt;
    GArray *tokens;         /* OpalToken; NULL if the TPer had nothing to say */
} HostResponse;

/*
 * Clears @len bytes at @p so that no compiler drops it: the host wipes what
 * carried a PIN before it frees it, as the engine must (test-wipe.c).
 */
void host_wipe(void *p, size_t len);

/* Frames and sends @tokens for session @tsn (0: the session manager). */
void host_send(OpalTPer *tper, uint32_t tsn, GByteArray *tokens);
/* The same with Packet HSN @hsn, for the IF-SEND's status whatever it is. */
OpalIfStatus host_try_send(OpalTPer *tper, uint32_t tsn, uint32_t hsn,
                           GByteArray *tokens);
HostResponse *host_receive(OpalTPer *tper);
void host_response_free(HostResponse *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HostResponse, host_response_free)

const OpalToken *host_token(HostResponse *r, size_t i);
/* The method status at the end of a response. */
uint64_t host_status(HostResponse *r);

/* Call framing: begin, arguments with the opal_token_put_* writers, end. */
void host_call_begin(GByteArray *b, uint64_t invoking, uint64_t method);
void host_call_end(GByteArray *b);
void host_put_named_uint(GByteArray *b, uint64_t name, uint64_t value);
void host_put_named_bytes(GByteArray *b, uint64_t name, const void *data,
                          size_t len);
/* name = [ values... ], a list of uintegers. */
void host_put_named_uint_list(GByteArray *b, uint64_t name,
                              const uint64_t *values, size_t n);

/* StartSession, as @authority with @pin if @authority is not 0; the status. */
uint64_t host_start_session(OpalTPer *tper, uint64_t sp, bool write,
                            uint64_t authority, const char *pin, uint32_t *tsn);
/* Sends the call in @b in session @tsn and returns the response. */
HostResponse *host_invoke(OpalTPer *tper, uint32_t tsn, GByteArray *b);
void host_end_session(OpalTPer *tper, uint32_t tsn);

/* ---- flows a host runs, for the tests of methods and of the media view --- */

/* SID's PIN after host_take_ownership() */
#define HOST_SID_PIN    "sid-secret"

/*
 * One method call in session @tsn; returns its status, the response in *out if
 * wanted.
 */
uint64_t host_call(OpalTPer *tper, uint32_t tsn, GByteArray *b,
                   HostResponse **out);
/*
 * A method without arguments (Activate, Revert, RevertSP, GenKey); its status.
 */
uint64_t host_call_plain(OpalTPer *tper, uint32_t tsn, uint64_t object,
                         uint64_t method);
/* Object.Set of one uinteger cell. */
uint64_t host_set_uint(OpalTPer *tper, uint32_t tsn, uint64_t object,
                       uint64_t column, uint64_t value);
/* Object.Set of one list-of-uintegers cell (reset types). */
uint64_t host_set_uint_list(OpalTPer *tper, uint32_t tsn, uint64_t object,
                            uint64_t column, const uint64_t *values, size_t n);
uint64_t host_set_pin(OpalTPer *tper, uint32_t tsn, uint64_t cpin,
                      const char *pin);
/* ACE.Set of its BooleanExpr: any one of the @n authorities @who. */
uint64_t host_set_ace(OpalTPer *tper, uint32_t tsn, uint64_t ace,
                      const uint64_t *who, size_t n);
/*
 * ThisSP.Authenticate(@authority, Proof = @pin): the status, the result in
 * *result.
 */
uint64_t host_authenticate(OpalTPer *tper, uint32_t tsn, uint64_t authority,
                           const char *pin, uint64_t *result);
/* Object.Get of columns @first..@last; the response for inspection. */
uint64_t host_get_columns(OpalTPer *tper, uint32_t tsn, uint64_t object,
                          uint64_t first, uint64_t last, HostResponse **r);
/* The value of column @column in a Get response, or NULL. */
const OpalToken *host_cell(HostResponse *r, uint64_t column);
uint64_t host_admin_session(OpalTPer *tper, uint64_t authority, const char *pin,
                            uint32_t *tsn);
uint64_t host_locking_session(OpalTPer *tper, uint64_t authority,
                              const char *pin, uint32_t *tsn);
/* sed-opal's IOC_OPAL_TAKE_OWNERSHIP: SID's PIN becomes HOST_SID_PIN. */
void host_take_ownership(OpalTPer *tper);
/*
 * SID's Activate of @object with the parameters already tokenized in @params;
 * its status.
 */
uint64_t host_activate_with(OpalTPer *tper, uint64_t object,
                            const GByteArray *params);
/* ---- the engine trace ---- */

/* One event of the engine trace, with what the tests look at. */
typedef struct HostTraceEvent {
    const char *kind;       /* its OpalTraceOps member: "method", ... */
    uint32_t tsn;
    uint64_t sp;
    uint64_t uid;           /* the object, or the authority */
    uint64_t method;
    uint8_t status;
    bool proven;            /* authenticate */
    const char *why;        /* the engine's string literal, "" if none */
} HostTraceEvent;

/* Starts collecting @tper's trace events in a new GArray of HostTraceEvent. */
GArray *host_trace_start(OpalTPer *tper);
/* Stops collecting; the array stays the caller's. */
void host_trace_stop(OpalTPer *tper);
/*
 * The first event of @kind in @trace whose reason contains @why, or NULL.
 * Prints the trace if there is none.
 */
const HostTraceEvent *host_traced(const GArray *trace, const char *kind,
                                  const char *why);
/*
 * Sends the call in @b in session @tsn, asserts that it fails with @status
 * and that the trace says why: its method event has a reason.  Prints the
 * trace if not.
 */
void host_assert_refusal_explained(OpalTPer *tper, uint32_t tsn, GByteArray *b,
                                   uint64_t status);

/* The TPer's value of property @name (Properties), 0 if it names none. */
uint64_t host_property(OpalTPer *tper, const char *name);
/* Byte table.Set[ Where = @offset, Values = @len bytes ]; its status. */
uint64_t host_write_bytes(OpalTPer *tper, uint32_t tsn, uint64_t table,
                          uint64_t offset, const void *data, size_t len);
/*
 * Byte table.Get[ startRow = @offset, endRow = @offset + @len - 1 ] into
 * @buf; NOT_AUTHORIZED for an empty result list (nothing granted).
 */
uint64_t host_read_bytes(OpalTPer *tper, uint32_t tsn, uint64_t table,
                         uint64_t offset, void *buf, size_t len);

/* Offset of feature descriptor @code in a Level 0 Discovery response, or -1. */
long host_find_feature(const uint8_t *buf, uint16_t code);
/* SID activates the LockingSP: Admin1's PIN is HOST_SID_PIN. */
void host_activate(OpalTPer *tper);

#endif
