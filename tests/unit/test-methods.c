/*
 * End-to-end tests of the SPs' methods through IF-SEND / IF-RECV: the flows
 * of a Linux host's sed-opal (take ownership, activate, configure and lock a
 * range, add a user, shadow MBR, DataStore, erase, revert) and their refusals
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

#define USER1_PIN       "user1-secret"

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

static void test_take_ownership(void **state)
{
    uint32_t tsn;

    host_take_ownership(*state);
    /* The MSID no longer opens SID; the new PIN does. */
    assert_int_equal(host_admin_session(*state, OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_admin_session(*state, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
}

/*
 * GetACL (Core 5.3.3.13) lists a rule's ACEs; a pair without a rule is refused.
 */
static void test_get_acl(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    HostResponse *r;
    uint32_t tsn;

    assert_int_equal(host_admin_session(*state, 0, NULL, &tsn), 0);
    host_call_begin(b, OPAL_UID_TABLE_ACCESSCONTROL, OPAL_UID_M_GETACL);
    opal_token_put_uid(b, OPAL_UID_C_PIN_MSID);
    opal_token_put_uid(b, OPAL_UID_M_GET);
    host_call_end(b);
    assert_int_equal(host_call(*state, tsn, b, &r), 0);
    /* Results: [ [ ACE_C_PIN_MSID_Get_PIN ] ] */
    assert_int_equal(host_token(r, 1)->control, OPAL_TK_START_LIST);
    assert_int_equal(host_token(r, 2)->len, 8);
    assert_int_equal(opal_get_be32(host_token(r, 2)->bytes + 4),
                     (uint32_t)OPAL_UID_ACE_C_PIN_MSID_GET_PIN);
    assert_int_equal(host_token(r, 3)->control, OPAL_TK_END_LIST);
    host_response_free(r);

    host_call_begin(b, OPAL_UID_TABLE_ACCESSCONTROL, OPAL_UID_M_GETACL);
    opal_token_put_uid(b, OPAL_UID_C_PIN_MSID);
    opal_token_put_uid(b, OPAL_UID_M_REVERT);
    host_call_end(b);
    assert_int_equal(host_call(*state, tsn, b, NULL),
                     OPAL_ST_INVALID_PARAMETER);
}

/* C_PIN_SID's PIN is never readable, even by SID (Opal 4.2.1.8). */
static void test_pin_not_readable(void **state)
{
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    host_take_ownership(*state);
    assert_int_equal(host_admin_session(*state, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    assert_int_equal(host_get_columns(*state, tsn, OPAL_UID_C_PIN_SID, 0, 7,
                                      &r),
                     0);
    assert_null(host_cell(r, 3));
    assert_non_null(host_cell(r, 0));
}

static void test_activate(void **state)
{
    uint32_t tsn;

    assert_int_equal(host_locking_session(*state, 0, NULL, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    host_take_ownership(*state);
    host_activate(*state);
    /* Admin1 got SID's PIN. */
    assert_int_equal(host_locking_session(*state, OPAL_UID_AUTH_ADMIN1, "wrong",
                                          &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_locking_session(*state, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
}

static void test_lock_range(void **state)
{
    OpalTPer *tper = *state;
    uint64_t range1 = OPAL_UID_LOCKING_RANGE(1);
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    /* Anybody may not lock a range... */
    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_READ_LOCKED, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
    /* ... Admin1 may, and reads back what it set. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_RANGE_START, 64),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_RANGE_LENGTH, 128),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_READ_LOCKED, 1),
                     0);
    /* Not a boolean: refused whole. */
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_WRITE_LOCKED, 2),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_get_columns(tper, tsn, range1, 3, 8, &r), 0);
    assert_int_equal(host_cell(r, 3)->uint, 64);
    assert_int_equal(host_cell(r, 4)->uint, 128);
    assert_int_equal(host_cell(r, 5)->uint, 1);
    assert_int_equal(host_cell(r, 7)->uint, 1);
    assert_int_equal(host_cell(r, 8)->uint, 0);
}

/* Opal 4.3.5: what a Set may not make of a range, even with the right ACEs. */
static void test_range_rules(void **state)
{
    OpalTPer *tper = *state;
    uint64_t r1 = OPAL_UID_LOCKING_RANGE(1), r2 = OPAL_UID_LOCKING_RANGE(2);
    uint64_t end = host_test_config.nb_blocks;
    static const uint64_t lor_ok[] = { 0, 3 }, lor_hw[] = { 0, 1, 3 },
                          lor_hw_only[] = { 1 };
    static const uint64_t lor_hotplug[] = { 2 };
    /*
     * Longer than a set of the four reset types can be: the state is bounded.
     */
    static const uint64_t lor_long[] = { 0, 1, 3, 0, 1 };
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_START,
                                   3),
                     OPAL_ST_INVALID_PARAMETER); /* misaligned */
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_LENGTH,
                                   7),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_START,
                                   end),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_LENGTH,
                                   8),
                     OPAL_ST_INVALID_PARAMETER); /* past the end */
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_START,
                                   1024),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_LENGTH,
                                   1024),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r2, OPAL_COL_LOCKING_RANGE_LENGTH,
                                   1024),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r2, OPAL_COL_LOCKING_RANGE_START,
                                   2040),
                     OPAL_ST_INVALID_PARAMETER); /* overlaps Range1 */
    assert_int_equal(host_set_uint(tper, tsn, r2, OPAL_COL_LOCKING_RANGE_START,
                                   2048),
                     0);
    assert_true(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE,
                              OPAL_COL_LOCKING_RANGE_START, 8) != 0);
    assert_int_equal(host_set_uint_list(tper, tsn, r1,
                                        OPAL_COL_LOCKING_LOCK_ON_RESET, lor_ok,
                                        2),
                     0);
    /*
     * Hardware Reset is supported, with Power Cycle; Hardware Reset alone is no
     * listed set.
     */
    assert_int_equal(host_set_uint_list(tper, tsn, r1,
                                        OPAL_COL_LOCKING_LOCK_ON_RESET, lor_hw,
                                        3),
                     0);
    assert_int_equal(host_set_uint_list(tper, tsn, r1,
                                        OPAL_COL_LOCKING_LOCK_ON_RESET,
                                        lor_hw_only, 1),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_set_uint_list(tper, tsn, r1,
                                        OPAL_COL_LOCKING_LOCK_ON_RESET,
                                        lor_long, G_N_ELEMENTS(lor_long)),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_set_uint_list(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                        OPAL_COL_MBRCONTROL_DONE_ON_RESET,
                                        lor_hotplug, 1),
                     OPAL_ST_INVALID_PARAMETER);
}

/* IOC_OPAL_ACTIVATE_USR, IOC_OPAL_SET_PW and IOC_OPAL_ADD_USR_TO_LR. */
static void test_user_unlocks_range(void **state)
{
    OpalTPer *tper = *state;
    uint64_t range1 = OPAL_UID_LOCKING_RANGE(1);
    const uint64_t who[] = { OPAL_UID_AUTH_USER1, OPAL_UID_AUTH_ADMINS };
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_AUTH_USER1,
                                   OPAL_COL_AUTHORITY_ENABLED, 1), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1), USER1_PIN),
                     0);
    /* BooleanExpr = User1 OR Admins on the range's RdLocked ACE. */
    assert_int_equal(host_set_ace(tper, tsn,
                                  OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(1),
                                  who, 2),
                     0);
    host_end_session(tper, tsn);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_USER1, USER1_PIN,
                                          &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_READ_LOCKED, 0),
                     0);
    /* The write lock was not given to User1. */
    assert_int_equal(host_set_uint(tper, tsn, range1,
                                   OPAL_COL_LOCKING_WRITE_LOCKED, 0),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
    /* User2 is still disabled. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
}

static bool count_changes(void *opaque, unsigned changes)
{
    unsigned *seen = opaque;

    *seen |= changes;
    return true;
}

/* Accepted changes reach the listener; refused ones and reads do not. */
static void test_change_listener(void **state)
{
    OpalTPer *tper = *state;
    unsigned seen = 0;
    uint32_t tsn;

    opal_tper_set_change_listener(tper, count_changes, &seen);
    assert_int_equal(host_admin_session(tper, 0, NULL, &tsn), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_SID, "x"),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(seen, 0);
    host_end_session(tper, tsn);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, "wrong", &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(seen, OPAL_CHANGE_PERSISTENT); /* Tries counted */
    seen = 0;
    host_take_ownership(tper);
    assert_int_equal(seen, OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA);
}

/*
 * A refusal is explained: the session (whose start names its authority), the
 * SP, the object, the method, the status and the reason - an ACL none of
 * whose ACEs the session's authorities satisfy, or no ACL at all.
 */
static void test_refusal_explained(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GArray) trace = NULL;
    const HostTraceEvent *e;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    trace = host_trace_start(tper);
    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
    e = host_traced(trace, "session_start", "");
    assert_non_null(e);
    assert_int_equal(e->tsn, tsn);
    assert_int_equal(e->sp, OPAL_UID_LOCKINGSP);
    assert_int_equal(e->uid, OPAL_UID_AUTH_ANYBODY);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_RANGE(1),
                                   OPAL_COL_LOCKING_READ_LOCKED, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    e = host_traced(trace, "method", "the session's authorities satisfy no "
                    "ACE of the ACL");
    assert_non_null(e);
    assert_int_equal(e->tsn, tsn);
    assert_int_equal(e->sp, OPAL_UID_LOCKINGSP);
    assert_int_equal(e->uid, OPAL_UID_LOCKING_RANGE(1));
    assert_int_equal(e->method, OPAL_UID_M_SET);
    assert_int_equal(e->status, OPAL_ST_NOT_AUTHORIZED);
    g_array_set_size(trace, 0);
    /* No method but Get and Set has an ACL on MBRControl. */
    host_call_begin(b, OPAL_UID_MBRCONTROL_OBJ, OPAL_UID_M_ERASE);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL),
                     OPAL_ST_NOT_AUTHORIZED);
    e = host_traced(trace, "method", "no ACL for this method on the object");
    assert_non_null(e);
    assert_int_equal(e->uid, OPAL_UID_MBRCONTROL_OBJ);
    assert_int_equal(e->method, OPAL_UID_M_ERASE);
    host_trace_stop(tper);
}

/*
 * Every refusal says why in the engine trace: calls that fail with each
 * kind of non-SUCCESS status a method returns, from the parameters'
 * shape to the object and the rules of the method.
 */
static void test_every_refusal_explained(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GArray) trace = NULL;
    const HostTraceEvent *e;
    uint32_t tsn;

    host_take_ownership(tper);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn), 0);
    /* Activate: an optional parameter of the wrong type, one it lacks. */
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    host_put_named_bytes(b, 0x060001, "1", 1);  /* RangeStartLengthPolicy */
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    host_put_named_uint(b, 0x060009, 1);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    opal_token_put_uint(b, 1);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* Revert with a parameter, of an object that is no SP. */
    host_call_begin(b, OPAL_UID_ADMINSP, OPAL_UID_M_REVERT);
    opal_token_put_uint(b, 0);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* Random: too many bytes, a Count that is no uinteger. */
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_RANDOM);
    opal_token_put_uint(b, 33);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_RANDOM);
    opal_token_put_bytes(b, (const uint8_t *)"x", 1);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* GetACL of a pair without a rule. */
    host_call_begin(b, OPAL_UID_TABLE_ACCESSCONTROL, OPAL_UID_M_GETACL);
    opal_token_put_uid(b, OPAL_UID_C_PIN_MSID);
    opal_token_put_uid(b, OPAL_UID_M_REVERT);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* Authenticate: no authority; a class. */
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_AUTHENTICATE);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_AUTHENTICATE);
    opal_token_put_uid(b, OPAL_UID_AUTH_ADMINS);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* A method this SP does not have; one no rule allows here. */
    host_call_begin(b, OPAL_UID_THISSP, 0x00000006000000ffULL);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_NOT_AUTHORIZED);
    host_call_begin(b, OPAL_UID_C_PIN_MSID, OPAL_UID_M_SET);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);

    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    /* Set: Values that are no list, a value of the wrong type, Where. */
    host_call_begin(b, OPAL_UID_LOCKING_RANGE(1), OPAL_UID_M_SET);
    host_put_named_bytes(b, 1, "x", 1);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* Values = [ RangeStart = "x" ] */
    host_call_begin(b, OPAL_UID_LOCKING_RANGE(1), OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, OPAL_COL_LOCKING_RANGE_START);
    opal_token_put_bytes(b, (const uint8_t *)"x", 1);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_LOCKING_RANGE(1), OPAL_UID_M_SET);
    host_put_named_uint(b, 0, 0);
    host_put_named_uint(b, 1, 0);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* Get: of a column the row does not have, without a Cellblock. */
    host_call_begin(b, OPAL_UID_LOCKING_RANGE(1), OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 3, 25);
    host_put_named_uint(b, 4, 25);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_LOCKING_RANGE(1), OPAL_UID_M_GET);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* Next after a row that is not the table's. */
    host_call_begin(b, OPAL_UID_TABLE_LOCKING, OPAL_UID_M_NEXT);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 0);
    opal_token_put_uid(b, OPAL_UID_MBRCONTROL_OBJ);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* GenKey with a parameter; RevertSP's KeepGlobalRangeKey as bytes. */
    host_call_begin(b, OPAL_UID_K_AES_256_RANGE_KEY(1), OPAL_UID_M_GENKEY);
    host_put_named_uint(b, 0, 3);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP);
    host_put_named_bytes(b, 0x060000, "1", 1);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_INVALID_PARAMETER);
    /* Erase outside Single User Mode: no rule names it. */
    host_call_begin(b, OPAL_UID_LOCKING_RANGE(1), OPAL_UID_M_ERASE);
    host_call_end(b);
    host_assert_refusal_explained(tper, tsn, b, OPAL_ST_NOT_AUTHORIZED);

    /* The method's own reason, with its status. */
    trace = host_trace_start(tper);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_RANDOM);
    opal_token_put_uint(b, 33);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
    host_trace_stop(tper);
    e = host_traced(trace, "method", "Count is above 32");
    assert_non_null(e);
    assert_int_equal(e->uid, OPAL_UID_THISSP);
    assert_int_equal(e->method, OPAL_UID_M_RANDOM);
    assert_int_equal(e->status, OPAL_ST_INVALID_PARAMETER);
    host_end_session(tper, tsn);
}

/* Byte 4 of the Locking feature in Level 0 Discovery (Core 3.3.6.5). */
static uint8_t locking_flags(OpalTPer *tper)
{
    uint8_t buf[512];
    size_t pos;

    assert_int_equal(opal_if_recv(tper, 0x01, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_OK);
    for (pos = 48; opal_get_be16(buf + pos) != 0x0002;
         pos += 4 + buf[pos + 3]) {
        assert_true(pos < opal_get_be32(buf));
    }
    return buf[pos + 4];
}

/* What GET_STATUS shows a host follows the LockingSP's real state. */
static void test_discovery_follows_state(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    /* supported, encrypting, HW reset */
    assert_int_equal(locking_flags(tper), 0x89);
    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(locking_flags(tper), 0x8b);        /* + enabled */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_RANGE(2),
                                   OPAL_COL_LOCKING_WRITE_LOCKED, 1), 0);
    /* locked but not lock-enabled */
    assert_int_equal(locking_flags(tper), 0x8b);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_RANGE(2),
                                   OPAL_COL_LOCKING_WRITE_LOCK_ENABLED, 1), 0);
    assert_int_equal(locking_flags(tper), 0x8f);        /* + locked */
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_ENABLE, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_DONE, 1),
                     0);
    assert_int_equal(locking_flags(tper), 0xbf);    /* + MBR enabled, done */
}

static uint64_t cell_uint(OpalTPer *tper, uint64_t uid, uint32_t column)
{
    uint64_t v = UINT64_MAX;

    assert_true(
        opal_row_get_uint(opal_sp_row(tper->locking_sp, uid), column, &v));
    return v;
}

/*
 * A guest reboot is a hardware reset: unlocked stays unlocked and Done stays
 * set (the pre-boot authentication flow); a power cycle relocks the ranges
 * whose LockOnReset lists it and clears Done.  Any reset ends the sessions.
 */
static void test_resets(void **state)
{
    OpalTPer *tper = *state;
    uint64_t r1 = OPAL_UID_LOCKING_RANGE(1), r2 = OPAL_UID_LOCKING_RANGE(2);
    uint32_t tsn;
    HostResponse *r;
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1,
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1),
                     0);
    assert_int_equal(host_set_uint_list(tper, tsn, r2,
                                        OPAL_COL_LOCKING_LOCK_ON_RESET, NULL,
                                        0),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_ENABLE, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_DONE, 1),
                     0);

    opal_tper_reset(tper, OPAL_RESET_HARDWARE);
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_null(r->tokens); /* the session is gone */
    host_response_free(r);
    assert_int_equal(cell_uint(tper, r1, OPAL_COL_LOCKING_READ_LOCKED), 0);
    assert_int_equal(cell_uint(tper, OPAL_UID_MBRCONTROL_OBJ,
                               OPAL_COL_MBRCONTROL_DONE),
                     1);

    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    assert_int_equal(cell_uint(tper, r1, OPAL_COL_LOCKING_READ_LOCKED), 1);
    assert_int_equal(cell_uint(tper, r1, OPAL_COL_LOCKING_WRITE_LOCKED), 1);
    /* LOR {} */
    assert_int_equal(cell_uint(tper, r2, OPAL_COL_LOCKING_READ_LOCKED), 0);
    assert_int_equal(cell_uint(tper, OPAL_UID_MBRCONTROL_OBJ,
                               OPAL_COL_MBRCONTROL_DONE),
                     0);
    /* locked, MBR enabled, not done */
    assert_int_equal(locking_flags(tper), 0x9f);
}

/*
 * More users and ranges than the minimum: rows, LockingInfo and discovery
 * agree.
 */
static void test_configured_sizes(void **state)
{
    OpalConfig config = host_test_config;
    OpalTPer *tper;
    uint8_t buf[512];
    size_t pos;
    uint64_t max_ranges = 0;

    config.nr_users = 16;
    config.nr_ranges = 12;
    config.mbr_size = 256 * 1024 * 1024;
    tper = opal_tper_new(&config);
    assert_non_null(opal_sp_row(tper->locking_sp, OPAL_UID_LOCKING_RANGE(12)));
    assert_null(opal_sp_row(tper->locking_sp, OPAL_UID_LOCKING_RANGE(13)));
    assert_non_null(
        opal_sp_row(tper->locking_sp, OPAL_UID_K_AES_256_RANGE_KEY(12)));
    assert_non_null(opal_sp_row(tper->locking_sp, OPAL_UID_USER(16)));
    assert_null(opal_sp_row(tper->locking_sp, OPAL_UID_USER(17)));
    assert_true(opal_row_get_uint(opal_sp_row(tper->locking_sp,
                                              OPAL_UID_LOCKINGINFO_OBJ),
                                  OPAL_COL_LOCKINGINFO_MAX_RANGES,
                                  &max_ranges));
    assert_int_equal(max_ranges, 12);
    assert_int_equal(
        opal_sp_table(tper->locking_sp, OPAL_UID_TABLE_MBR)->byte_size,
        256 * 1024 * 1024);
    assert_int_equal(opal_if_recv(tper, 0x01, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_OK);
    for (pos = 48; opal_get_be16(buf + pos) != 0x0203;
         pos += 4 + buf[pos + 3]) {
        assert_true(pos < opal_get_be32(buf));
    }
    /* Locking SP Users */
    assert_int_equal(opal_get_be16(buf + pos + 11), 16);
    opal_tper_free(tper);
}

/*
 * Opal 5.1.3: keeping the key of a fully locked global range is refused,
 * nothing changes.
 */
static void test_revert_sp_keep_locked_global(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint64_t global = OPAL_UID_LOCKING_GLOBALRANGE;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, global,
                                   OPAL_COL_LOCKING_READ_LOCKED, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, global,
                                   OPAL_COL_LOCKING_WRITE_LOCKED, 1),
                     0);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP);
    host_put_named_uint(b, 0x060000, 1);    /* KeepGlobalRangeKey */
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_FAIL);
    assert_true(opal_locking_sp_active(tper));
    /* Unlocked for writes, the same call succeeds and ends the session. */
    assert_int_equal(host_set_uint(tper, tsn, global,
                                   OPAL_COL_LOCKING_WRITE_LOCKED, 0),
                     0);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP);
    host_put_named_uint(b, 0x060000, 1);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    assert_false(opal_locking_sp_active(tper));
}

/* Results must fit the host's MaxComPacketSize (2048 unless negotiated). */
static void test_response_overflow(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    host_call_begin(b, OPAL_UID_TABLE_DATASTORE, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 1, 0);
    host_put_named_uint(b, 2, 4095);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, &r), OPAL_ST_RESPONSE_OVERFLOW);
    /* A failed method returns an empty result list. */
    assert_int_equal(host_token(r, 0)->control, OPAL_TK_START_LIST);
    assert_int_equal(host_token(r, 1)->control, OPAL_TK_END_LIST);

    /*
     * Linux reads 1981 bytes at a time, which frames (with padding) to exactly
     * 2048 bytes; so does 1982, and 1983 is the first to overflow.
     */
    for (uint64_t last = 1980; last <= 1982; last++) {
        g_autoptr(HostResponse) chunk = NULL;

        host_call_begin(b, OPAL_UID_TABLE_DATASTORE, OPAL_UID_M_GET);
        opal_token_put_control(b, OPAL_TK_START_LIST);
        host_put_named_uint(b, 1, 0);
        host_put_named_uint(b, 2, last);
        opal_token_put_control(b, OPAL_TK_END_LIST);
        host_call_end(b);
        assert_int_equal(host_call(tper, tsn, b, &chunk),
                         last < 1982 ? OPAL_ST_SUCCESS :
                                       OPAL_ST_RESPONSE_OVERFLOW);
        if (last < 1982) {
            assert_int_equal(OPAL_COMPACKET_HEADER_LEN +
                                 opal_get_be32(chunk->buf + 16),
                             2048);
        }
    }
}

static void test_mbr_and_datastore(void **state)
{
    OpalTPer *tper = *state;
    static const char pba[] = "pre-boot authentication image";
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_ENABLE, 1),
                     0);
    /* MBR.Set[ Where = 512, Values = bytes ], then Get of the same bytes. */
    host_call_begin(b, OPAL_UID_TABLE_MBR, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, 512);
    host_put_named_bytes(b, 1, pba, sizeof(pba));
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    host_call_begin(b, OPAL_UID_TABLE_MBR, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 1, 512);
    host_put_named_uint(b, 2, 512 + sizeof(pba) - 1);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, &r), 0);
    assert_int_equal(host_token(r, 1)->len, sizeof(pba));
    assert_memory_equal(host_token(r, 1)->bytes, pba, sizeof(pba));
    /* Beyond the DataStore's end: refused. */
    host_call_begin(b, OPAL_UID_TABLE_DATASTORE, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, host_test_config.datastore_size - 4);
    host_put_named_bytes(b, 1, pba, sizeof(pba));
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
}

static void test_lockout(void **state)
{
    OpalTPer *tper = *state;
    uint64_t status;
    uint32_t tsn;
    int tries = 0;

    host_take_ownership(tper);
    /*
     * SID has a TryLimit: wrong passwords until locked out, then even the right
     * one fails.
     */
    do {
        status = host_admin_session(tper, OPAL_UID_AUTH_SID, "wrong", &tsn);
        tries++;
    } while (status == OPAL_ST_NOT_AUTHORIZED && tries < 100);
    assert_int_equal(status, OPAL_ST_AUTHORITY_LOCKED_OUT);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     OPAL_ST_AUTHORITY_LOCKED_OUT);
}

static void revert_with(OpalTPer *tper, uint64_t authority, const char *pin)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    HostResponse *r;
    uint32_t tsn;

    assert_int_equal(host_admin_session(tper, authority, pin, &tsn), 0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_ADMINSP,
                                     OPAL_UID_M_REVERT),
                     0);
    /* The TPer ended the session itself: nothing answers in it any more. */
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_null(r->tokens);
    host_response_free(r);
}

static void assert_factory_state(OpalTPer *tper)
{
    uint32_t tsn;

    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     0);
    host_end_session(tper, tsn);
}

static void test_revert(void **state)
{
    host_take_ownership(*state);
    host_activate(*state);
    revert_with(*state, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_factory_state(*state);
}

static void test_psid_revert(void **state)
{
    host_take_ownership(*state);
    host_activate(*state);
    revert_with(*state, OPAL_UID_AUTH_PSID, host_test_config.psid);
    assert_factory_state(*state);
}

/* The global range's media key as it is now (a new reference). */
static GBytes *global_key(OpalTPer *tper)
{
    OpalRow *key = opal_sp_row(tper->locking_sp,
                               OPAL_UID_K_AES_256_GLOBALRANGE_KEY);

    assert_non_null(key->cells[OPAL_COL_K_AES_KEY]);
    return g_bytes_ref(key->cells[OPAL_COL_K_AES_KEY]);
}

/*
 * Opal SSC 2.01/2.02, 5.1.2 and 5.1.2.2: Revert on a Manufactured-Inactive
 * SP has no effect, and user data is removed only if the LockingSP is not
 * Manufactured-Inactive - for a Revert of the LockingSP or of the AdminSP
 * (the whole TPer, by SID or by PSID).  The AdminSP itself does revert.
 */
static void test_revert_with_locking_sp_inactive(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GBytes) before = NULL, after = NULL;
    uint32_t tsn;

    host_take_ownership(tper);
    before = global_key(tper);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn), 0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_LOCKINGSP,
                                     OPAL_UID_M_REVERT), 0);
    host_end_session(tper, tsn);
    after = global_key(tper);
    assert_true(g_bytes_equal(before, after));

    /* The AdminSP goes back to its factory state (SID's PIN is the MSID). */
    revert_with(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_factory_state(tper);
    g_bytes_unref(after);
    after = global_key(tper);
    assert_true(g_bytes_equal(before, after));

    revert_with(tper, OPAL_UID_AUTH_PSID, host_test_config.psid);
    opal_tper_psid_revert(tper);        /* QMP's opal-psid-revert */
    assert_factory_state(tper);
    g_bytes_unref(after);
    after = global_key(tper);
    assert_true(g_bytes_equal(before, after));
}

/*
 * The case that matters: RevertSP kept the global range's key (5.1.3), so
 * its data is still there; a later TPer Revert must not erase it (5.1.2.2).
 * Once the LockingSP is active again, a TPer Revert does erase it.
 */
static void test_revert_keeps_global_range_kept_by_revert_sp(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(GBytes) before = NULL, after = NULL;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    before = global_key(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP);
    host_put_named_uint(b, 0x060000, 1);        /* KeepGlobalRangeKey */
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    assert_false(opal_locking_sp_active(tper));

    revert_with(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_factory_state(tper);
    after = global_key(tper);
    assert_true(g_bytes_equal(before, after));

    host_take_ownership(tper);
    host_activate(tper);
    revert_with(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_factory_state(tper);
    g_bytes_unref(after);
    after = global_key(tper);
    assert_false(g_bytes_equal(before, after));
}

/*
 * An owned drive with an active LockingSP; Range1's K_AES_256 row and its key
 * now.
 */
static OpalRow *owned_range1_key(OpalTPer *tper, GBytes **key_now)
{
    OpalRow *key;

    host_take_ownership(tper);
    host_activate(tper);
    key = opal_sp_row(tper->locking_sp, OPAL_UID_K_AES_256_RANGE_KEY(1));
    *key_now = g_bytes_ref(key->cells[3]);
    return key;
}

static void test_revert_sp_and_gen_key(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GBytes) old_key = NULL;
    OpalRow *key = owned_range1_key(tper, &old_key);
    uint32_t tsn;

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_K_AES_256_RANGE_KEY(1),
                                     OPAL_UID_M_GENKEY), 0);
    assert_false(g_bytes_equal(old_key, key->cells[3]));
    /* The key never leaves the drive. */
    {
        g_autoptr(HostResponse) r = NULL;

        assert_int_equal(host_get_columns(tper, tsn,
                                          OPAL_UID_K_AES_256_RANGE_KEY(1), 0, 4,
                                          &r),
                         0);
        assert_null(host_cell(r, 3));
    }
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REVERTSP),
                     0);
    assert_false(opal_locking_sp_active(tper));
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
}

/*
 * A read-only session reads, but no method of it changes the SP (Core 5.2.3.1,
 * Write).
 */
static void test_read_only_session(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(HostResponse) r = NULL;
    g_autoptr(GBytes) old_key = NULL;
    OpalRow *key = owned_range1_key(tper, &old_key);
    uint32_t tsn;

    assert_int_equal(host_start_session(tper, OPAL_UID_LOCKINGSP, false,
                                        OPAL_UID_AUTH_ADMIN1, HOST_SID_PIN,
                                        &tsn),
                     0);
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_LOCKING_RANGE(1), 0,
                                      3, &r),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_RANGE(1),
                                   OPAL_COL_LOCKING_READ_LOCKED, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_K_AES_256_RANGE_KEY(1),
                                     OPAL_UID_M_GENKEY),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_true(g_bytes_equal(old_key, key->cells[3]));
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REVERTSP),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_true(opal_locking_sp_active(tper));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_take_ownership),
        T(test_pin_not_readable),
        T(test_get_acl),
        T(test_activate),
        T(test_lock_range),
        T(test_range_rules),
        T(test_user_unlocks_range),
        T(test_discovery_follows_state),
        T(test_refusal_explained),
        T(test_every_refusal_explained),
        T(test_change_listener),
        T(test_mbr_and_datastore),
        T(test_revert_sp_keep_locked_global),
        T(test_resets),
        T(test_configured_sizes),
        T(test_response_overflow),
        T(test_lockout),
        T(test_revert),
        T(test_psid_revert),
        T(test_revert_with_locking_sp_inactive),
        T(test_revert_keeps_global_range_kept_by_revert_sp),
        T(test_revert_sp_and_gen_key),
        T(test_read_only_session),
    };

    return cmocka_run_group_tests_name("methods", tests, NULL, NULL);
}
