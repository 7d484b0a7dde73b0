/*
 * Unit tests of the Single User Mode feature set: Activate with a
 * SingleUserSelectionList and RangeStartRangeLengthPolicy, the access control
 * it changes (User n+1 owns Locking object n, the Admins lose its locks, key
 * and its user's PIN), Erase, Reactivate, the Level 0 Discovery descriptor,
 * RevertSP/Revert, and the saved state.
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

#define RANGE1          OPAL_UID_LOCKING_RANGE(1)
#define RANGE2          OPAL_UID_LOCKING_RANGE(2)
#define USER2_PIN       "user2-secret"
#define NO_POLICY       (-1)

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

/*
 * Appends SingleUserSelectionList (@n UIDs as a list, or with @n = 0 the
 * single atom @uids[0]) and RangeStartRangeLengthPolicy (unless NO_POLICY).
 */
static void put_sum_params(GByteArray *b, const uint64_t *uids, size_t n,
                           int policy)
{
    if (uids) {
        opal_token_put_control(b, OPAL_TK_START_NAME);
        opal_token_put_uint(b, OPAL_SUM_PARAM_SELECTION_LIST);
        if (n) {
            opal_token_put_control(b, OPAL_TK_START_LIST);
            for (size_t i = 0; i < n; i++) {
                opal_token_put_uid(b, uids[i]);
            }
            opal_token_put_control(b, OPAL_TK_END_LIST);
        } else {
            opal_token_put_uid(b, uids[0]);
        }
        opal_token_put_control(b, OPAL_TK_END_NAME);
    }
    if (policy != NO_POLICY) {
        host_put_named_uint(b, OPAL_SUM_PARAM_POLICY, policy);
    }
}

/*
 * SID's Activate of the LockingSP with Single User Mode parameters; its status.
 */
static uint64_t activate_sum(OpalTPer *tper, const uint64_t *uids, size_t n,
                             int policy)
{
    g_autoptr(GByteArray) params = g_byte_array_new();

    put_sum_params(params, uids, n, policy);
    return host_activate_with(tper, OPAL_UID_LOCKINGSP, params);
}

/*
 * A drive owned by SID, its LockingSP active with Range1 single-user (User2's).
 */
static void sum_range1(OpalTPer *tper, int policy)
{
    host_take_ownership(tper);
    assert_int_equal(activate_sum(tper, (const uint64_t[]){ RANGE1 }, 1,
                                  policy),
                     0);
}

/*
 * Object.Set of @n uinteger cells in one call, as sed-opal sets RLE, WLE, RL,
 * WL.
 */
static uint64_t set_uints(OpalTPer *tper, uint32_t tsn, uint64_t object,
                          const uint64_t *columns, const uint64_t *values,
                          size_t n)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, object, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (size_t i = 0; i < n; i++) {
        host_put_named_uint(b, columns[i], values[i]);
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

/*
 * sed-opal's lock_unlock_locking_range_sum: RLE = WLE = 1 and both locks, in
 * one Set.
 */
static uint64_t lock_sum(OpalTPer *tper, uint32_t tsn, uint64_t range,
                         bool locked)
{
    return set_uints(tper, tsn, range, (const uint64_t[]){ 5, 6, 7, 8 },
                     (const uint64_t[]){ 1, 1, locked, locked }, 4);
}

/*
 * Byte 4 of the Single User Mode descriptor, and its Number of Locking Objects
 * Supported.
 */
static uint8_t sum_flags(OpalTPer *tper, uint32_t *nr_objects)
{
    uint8_t buf[512];
    long pos;

    assert_int_equal(opal_if_recv(tper, 0x01, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_OK);
    pos = host_find_feature(buf, 0x0201);
    if (pos < 0) {
        fail_msg("no Single User Mode feature descriptor");
    }
    assert_int_equal(buf[pos + 2] >> 4, 1);     /* version 1 */
    assert_int_equal(buf[pos + 3], 0x0c);
    for (int i = 5; i < 12; i++) {
        assert_int_equal(buf[pos + 4 + i], 0);  /* reserved */
    }
    if (nr_objects) {
        *nr_objects = opal_get_be32(buf + pos + 4);
    }
    return buf[pos + 8];
}

#define SUM_ANY     0x01
#define SUM_ALL     0x02
#define SUM_POLICY  0x04

/* What query-opal tells of Locking object @range. */
static OpalRangeStatus range_status(OpalTPer *tper, unsigned range)
{
    OpalStatusReport *r = opal_tper_status(tper);
    OpalRangeStatus found = { 0 };

    for (guint i = 0; i < r->ranges->len; i++) {
        const OpalRangeStatus *s =
            &g_array_index(r->ranges, OpalRangeStatus, i);

        if (s->number == range) {
            found = *s;
        }
    }
    opal_status_report_free(r);
    return found;
}

/* Who owns it (0: nobody), whether its key is unwrapped. */
static unsigned owner(OpalTPer *tper, unsigned range)
{
    return range_status(tper, range).owner;
}

static bool key_in_memory(OpalTPer *tper, unsigned range)
{
    return range_status(tper, range).key_in_memory;
}

/*
 * Range1 single-user, and User2 taking it: its own PIN instead of the empty
 * one, LBAs 2048..6143, locking enabled, @locked or not.
 */
static void user2_takes_range1(OpalTPer *tper, bool locked)
{
    uint32_t tsn;

    sum_range1(tper, NO_POLICY);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(2), USER2_PIN),
                     0);
    assert_int_equal(set_uints(tper, tsn, RANGE1, (const uint64_t[]){ 3, 4 },
                               (const uint64_t[]){ 2048, 4096 }, 2), 0);
    assert_int_equal(lock_sum(tper, tsn, RANGE1, locked), 0);
    host_end_session(tper, tsn);
}

/* ---- Level 0 Discovery --------------------------------------------------- */

static void test_discovery(void **state)
{
    OpalConfig config = host_test_config;
    OpalTPer *tper = *state, *nine;
    uint32_t n = 0;

    /*
     * 8 Users: the global range and Range1..7 can be single-user (Range8 needs
     * User9).
     */
    assert_int_equal(sum_flags(tper, &n), 0);
    assert_int_equal(n, 8);
    assert_int_equal(owner(tper, 1), 0);
    sum_range1(tper, NO_POLICY);
    assert_int_equal(sum_flags(tper, &n), SUM_ANY);
    assert_int_equal(n, 8);

    /*
     * Enough Users for the whole Locking table: the Locking table's UID selects
     * all.
     */
    config.nr_users = 9;
    nine = opal_tper_new(&config);
    assert_int_equal(sum_flags(nine, &n), 0);
    assert_int_equal(n, 9);
    host_take_ownership(nine);
    assert_int_equal(activate_sum(nine,
                                  (const uint64_t[]){ OPAL_UID_TABLE_LOCKING },
                                  0, 1),
                     0);
    assert_int_equal(sum_flags(nine, NULL), SUM_ANY | SUM_ALL | SUM_POLICY);
    opal_tper_free(nine);
}

/* ---- Activate's parameters ----------------------------------------------- */

static void test_activate_refusals(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;

    host_take_ownership(tper);
    /*
     * Not a Locking object; the Locking table needs User9; Range8 too; twice
     * the same.
     */
    assert_int_equal(activate_sum(tper,
                                  (const uint64_t[]){ OPAL_UID_C_PIN_SID }, 1,
                                  0),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(activate_sum(tper,
                                  (const uint64_t[]){ OPAL_UID_TABLE_LOCKING },
                                  0, 0),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(activate_sum(tper, (const uint64_t[]){ RANGE1 }, 0, 0),
                     /* one object, not in a list */
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(
        activate_sum(tper, (const uint64_t[]){ OPAL_UID_LOCKING_RANGE(8) }, 1,
                     NO_POLICY),
        OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(
        activate_sum(tper, (const uint64_t[]){ OPAL_UID_LOCKING_RANGE(9) }, 1,
                     NO_POLICY),
        OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(activate_sum(tper,
                                  (const uint64_t[]){ RANGE1, RANGE2, RANGE1 },
                                  3, NO_POLICY),
                     OPAL_ST_INVALID_PARAMETER);
    /* A policy that is neither 0 nor 1. */
    assert_int_equal(activate_sum(tper, (const uint64_t[]){ RANGE1 }, 1, 2),
                     OPAL_ST_INVALID_PARAMETER);

    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    /* An empty list. */
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
    /* An integer in the list. */
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
    /* DataStoreTableSizes: one DataStore table of a fixed size. */
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    host_put_named_uint(b, 0x060002, 1);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
    /* Single User Mode parameters on the AdminSP's Activate. */
    host_call_begin(b, OPAL_UID_ADMINSP, OPAL_UID_M_ACTIVATE);
    put_sum_params(b, (const uint64_t[]){ RANGE1 }, 1, NO_POLICY);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
    host_end_session(tper, tsn);

    /* None of them activated anything. */
    assert_false(opal_locking_sp_active(tper));
    assert_int_equal(sum_flags(tper, NULL), 0);
    /* The selection of up to 8 objects with a policy: fine. */
    assert_int_equal(activate_sum(tper, (const uint64_t[]){
                                  OPAL_UID_LOCKING_GLOBALRANGE, RANGE1, RANGE2,
                                  OPAL_UID_LOCKING_RANGE(7) }, 4, 0), 0);
    assert_true(opal_locking_sp_active(tper));
    assert_int_equal(tper->locking_sp->sum_objects, 0x87);
    /* Activate again: no effect, the selection stays (Opal 5.1.1). */
    assert_int_equal(
        activate_sum(tper, (const uint64_t[]){ OPAL_UID_LOCKING_RANGE(3) }, 1,
                     NO_POLICY),
        0);
    assert_int_equal(tper->locking_sp->sum_objects, 0x87);
}

/* ---- access control in Single User Mode ---------------------------------- */

static void test_owner_and_admins(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    sum_range1(tper, NO_POLICY);

    /* User2 is enabled with the empty PIN; it sets its own. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(2), USER2_PIN),
                     0);
    host_end_session(tper, tsn);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    /* Other Users stay disabled. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(3), "", &tsn),
                     OPAL_ST_NOT_AUTHORIZED);

    /*
     * User2 places (policy 0: its own), enables and locks its range, reads its
     * place.
     */
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), USER2_PIN,
                                          &tsn),
                     0);
    assert_int_equal(set_uints(tper, tsn, RANGE1, (const uint64_t[]){ 3, 4 },
                               (const uint64_t[]){ 2048, 4096 }, 2), 0);
    assert_int_equal(lock_sum(tper, tsn, RANGE1, true), 0);
    assert_int_equal(host_set_uint_list(tper, tsn, RANGE1, 9,
                                        (const uint64_t[]){ 0, 3 }, 2),
                     0);
    assert_int_equal(host_get_columns(tper, tsn, RANGE1, 3, 10, &r), 0);
    assert_int_equal(host_cell(r, 3)->uint, 2048);
    assert_int_equal(host_cell(r, 7)->uint, 1);
    g_clear_pointer(&r, host_response_free);
    /* Not the others' ranges, nor their PINs, nor Admin1's. */
    assert_int_equal(host_set_uint(tper, tsn, RANGE2, 7, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE, 7,
                                   1),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(3), "x"),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_ADMIN1, "x"),
                     OPAL_ST_NOT_AUTHORIZED);
    /* Its own range's key: a new one erases its data. */
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_K_AES_256_RANGE_KEY(1),
                                     OPAL_UID_M_GENKEY), 0);
    /* Reactivate is the Admins'. */
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REACTIVATE),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);

    /*
     * Admin1: not Range1's locks, place, key or user's PIN, nor the ACEs that
     * grant them.
     */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, 7, 0),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, 8, 0),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, 5, 0),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, 3, 0),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(2), "taken"),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_K_AES_256_RANGE_KEY(1),
                                     OPAL_UID_M_GENKEY),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_uint(tper, tsn,
                                   OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(1),
                                   3, 0),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_set_uint(tper, tsn,
                                   OPAL_UID_ACE_C_PIN_USER_SET_PIN(2), 3, 0),
                     OPAL_ST_NOT_AUTHORIZED);
    /*
     * ... where a range not in Single User Mode still lets it (a bad value, but
     * allowed).
     */
    assert_int_equal(host_set_uint(tper, tsn,
                                   OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(2),
                                   3, 0),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_set_uint(tper, tsn, RANGE2, 7, 1), 0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_K_AES_256_RANGE_KEY(2),
                                     OPAL_UID_M_GENKEY), 0);
    /* It may still read where Range1 lies, and name it. */
    assert_int_equal(host_get_columns(tper, tsn, RANGE1, 3, 4, &r), 0);
    assert_int_equal(host_cell(r, 4)->uint, 4096);
    g_clear_pointer(&r, host_response_free);
    /* The ACE now grants User2 alone. */
    assert_int_equal(
        host_get_columns(tper, tsn, OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(1),
                         3, 3, &r),
        0);
    {
        const OpalToken *expr = host_cell(r, 3);
        size_t uids = 0;

        assert_true(opal_token_is(expr, OPAL_TK_START_LIST));
        for (const OpalToken *t = expr; !opal_token_is(t, OPAL_TK_END_LIST);
             t++) {
            if (t->type == OPAL_TOKEN_BYTES && t->len == 8) {
                assert_int_equal(opal_get_be64(t->bytes), OPAL_UID_USER(2));
                uids++;
            }
        }
        assert_int_equal(uids, 1);
    }
    host_end_session(tper, tsn);
}

/*
 * RangeStartRangeLengthPolicy 1: the Admins place the range, its user locks it.
 */
static void test_policy_admins(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    sum_range1(tper, 1);
    assert_int_equal(sum_flags(tper, NULL), SUM_ANY | SUM_POLICY);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(set_uints(tper, tsn, RANGE1, (const uint64_t[]){ 3, 4 },
                               (const uint64_t[]){ 2048, 4096 }, 2), 0);
    assert_int_equal(lock_sum(tper, tsn, RANGE1, true), OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn), 0);
    assert_int_equal(set_uints(tper, tsn, RANGE1, (const uint64_t[]){ 3, 4 },
                               (const uint64_t[]){ 0, 2048 }, 2),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(lock_sum(tper, tsn, RANGE1, true), 0);
    host_end_session(tper, tsn);
}

/* The global range is User1's; its start and length are nobody's to set. */
static void test_global_range(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    host_take_ownership(tper);
    assert_int_equal(
        activate_sum(tper, (const uint64_t[]){ OPAL_UID_LOCKING_GLOBALRANGE },
                     1, NO_POLICY),
        0);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE, 5,
                                   1),
                     OPAL_ST_NOT_AUTHORIZED);
    /* still the Admins' */
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, 5, 1), 0);
    host_end_session(tper, tsn);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(1), "", &tsn), 0);
    assert_int_equal(lock_sum(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE, false),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE, 3,
                                   0),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
}

/*
 * A single-user range's key is wrapped for its user only: Admin1's PIN does not
 * bring it.
 */
static void test_key_is_the_users(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    user2_takes_range1(tper, false);

    /* LockOnReset: Power Cycle */
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    assert_false(key_in_memory(tper, 1));
    assert_true(key_in_memory(tper, 2));    /* unlocked, not single-user */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    host_end_session(tper, tsn);
    assert_false(key_in_memory(tper, 1));
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), USER2_PIN,
                                          &tsn),
                     0);
    assert_true(key_in_memory(tper, 1));
    assert_int_equal(lock_sum(tper, tsn, RANGE1, false), 0);
    host_end_session(tper, tsn);
}

/* ---- Erase --------------------------------------------------------------- */

static void test_erase(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(HostResponse) r = NULL;
    uint8_t key[OPAL_MEDIA_KEY_LEN];
    g_autoptr(GByteArray) b = g_byte_array_new();
    OpalMediaMap *map;
    uint32_t tsn;

    user2_takes_range1(tper, true);
    map = opal_media_map_new(tper);
    memcpy(key, opal_media_key(map, 1), sizeof(key));
    assert_int_equal(opal_media_check(map, 2048, 1, false),
                     OPAL_MEDIA_READ_LOCKED);
    opal_media_map_free(map);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    /*
     * Not on a range outside Single User Mode: no AccessControl row names Erase
     * there.
     */
    assert_int_equal(host_call_plain(tper, tsn, RANGE2, OPAL_UID_M_ERASE),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE,
                                     OPAL_UID_M_ERASE),
                     OPAL_ST_NOT_AUTHORIZED);
    /* Erase takes no parameters. */
    host_call_begin(b, RANGE1, OPAL_UID_M_ERASE);
    opal_token_put_uint(b, 1);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_INVALID_PARAMETER);
    /* The Admins may erase a single-user range they cannot open. */
    assert_int_equal(host_call_plain(tper, tsn, RANGE1, OPAL_UID_M_ERASE), 0);
    assert_int_equal(host_get_columns(tper, tsn, RANGE1, 3, 9, &r), 0);
    assert_int_equal(host_cell(r, 3)->uint, 2048);  /* where it is, it stays */
    assert_int_equal(host_cell(r, 4)->uint, 4096);
    for (uint64_t c = 5; c <= 8; c++) {
        assert_int_equal(host_cell(r, c)->uint, 0);     /* no locks */
    }
    host_end_session(tper, tsn);

    map = opal_media_map_new(tper);
    /* data gone */
    assert_memory_not_equal(opal_media_key(map, 1), key, sizeof(key));
    assert_int_equal(opal_media_check(map, 2048, 1, false), OPAL_MEDIA_OK);
    opal_media_map_free(map);

    /* Its user's PIN is the empty one again: the range awaits a new user. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), USER2_PIN,
                                          &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn), 0);
    /* The owner may erase its own range too; not another. */
    assert_int_equal(host_call_plain(tper, tsn, RANGE1, OPAL_UID_M_ERASE), 0);
    assert_int_equal(host_call_plain(tper, tsn, RANGE2, OPAL_UID_M_ERASE),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
}

/* ---- Reactivate, RevertSP, Revert ---------------------------------------- */

static uint64_t reactivate(OpalTPer *tper, uint32_t tsn, const uint64_t *uids,
                           size_t n, int policy, const char *admin1_pin)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REACTIVATE);
    put_sum_params(b, uids, n, policy);
    if (admin1_pin) {
        host_put_named_bytes(b, OPAL_SUM_PARAM_ADMIN1_PIN, admin1_pin,
                             strlen(admin1_pin));
    }
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

static void test_reactivate(void **state)
{
    OpalTPer *tper = *state;
    uint8_t key[OPAL_MEDIA_KEY_LEN];
    OpalMediaMap *map;
    uint32_t tsn, other;

    sum_range1(tper, NO_POLICY);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn), 0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REACTIVATE),
                     /* the Admins', not the users' */
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
    map = opal_media_map_new(tper);
    memcpy(key, opal_media_key(map, 2), sizeof(key));
    opal_media_map_free(map);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    /* Bad parameters: nothing changes. */
    assert_int_equal(reactivate(tper, tsn,
                                (const uint64_t[]){ OPAL_UID_C_PIN_SID }, 1,
                                NO_POLICY, NULL),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(reactivate(tper, tsn, (const uint64_t[]){ RANGE2 }, 1, 7,
                                NULL),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(tper->locking_sp->sum_objects, 0x2);
    /*
     * Range2 (User3's) instead of Range1, the Admins placing it, a new Admin1
     * PIN.
     */
    assert_int_equal(reactivate(tper, tsn, (const uint64_t[]){ RANGE2 }, 1, 1,
                                "admin1-new"),
                     0);
    assert_int_equal(tper->locking_sp->sum_objects, 0x4);
    assert_int_equal(sum_flags(tper, NULL), SUM_ANY | SUM_POLICY);
    map = opal_media_map_new(tper);
    /* data gone */
    assert_memory_not_equal(opal_media_key(map, 2), key, sizeof(key));
    opal_media_map_free(map);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          "admin1-new", &tsn),
                     0);
    /* the Admins' again */
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, 5, 1), 0);
    assert_int_equal(host_set_uint(tper, tsn, RANGE2, 5, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    /* No selection: out of Single User Mode, Admin1 keeping its PIN. */
    assert_int_equal(reactivate(tper, tsn, NULL, 0, NO_POLICY, NULL), 0);
    assert_int_equal(tper->locking_sp->sum_objects, 0);
    assert_int_equal(sum_flags(tper, NULL), 0);
    assert_true(opal_locking_sp_active(tper));
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(3), "", &other),
                     OPAL_ST_NOT_AUTHORIZED);           /* disabled again */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          "admin1-new", &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, RANGE2, 5, 1), 0);
    /* Outside Single User Mode there is nothing to reactivate. */
    assert_int_equal(reactivate(tper, tsn, (const uint64_t[]){ RANGE1 }, 1,
                                NO_POLICY, NULL),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
}

static void test_revert_ends_sum(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    sum_range1(tper, 1);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REVERTSP),
                     0);
    assert_false(opal_locking_sp_active(tper));
    assert_int_equal(tper->locking_sp->sum_objects, 0);
    host_activate(tper);
    assert_int_equal(sum_flags(tper, NULL), 0);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, 7, 1), 0);
    host_end_session(tper, tsn);

    /* The TPer's Revert, from Single User Mode: the factory state. */
    /* active already */
    assert_int_equal(activate_sum(tper, NULL, 0, NO_POLICY), 0);
    opal_tper_free(tper);
    *state = tper = opal_tper_new(&host_test_config);
    sum_range1(tper, NO_POLICY);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_ADMINSP,
                                     OPAL_UID_M_REVERT),
                     0);
    assert_int_equal(tper->locking_sp->sum_objects, 0);
    assert_int_equal(sum_flags(tper, NULL), 0);
}

/*
 * RevertSP's KeepGlobalRangeKey would keep a single-user global range's key in
 * an inactive LockingSP, its data readable by anyone: refused, even while the
 * range's User has it unlocked (its key in memory), and nothing changes.
 */
static void test_revert_sp_keeps_no_users_key(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint64_t global = OPAL_UID_LOCKING_GLOBALRANGE;
    uint32_t tsn;

    host_take_ownership(tper);
    assert_int_equal(activate_sum(tper, &global, 1, NO_POLICY), 0);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(1), "", &tsn), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1),
                                  "user1-secret"),
                     0);
    assert_int_equal(lock_sum(tper, tsn, global, false), 0);
    host_end_session(tper, tsn);
    assert_true(key_in_memory(tper, 0));

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP);
    host_put_named_uint(b, 0x060000, 1);    /* KeepGlobalRangeKey */
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_FAIL);
    assert_true(opal_locking_sp_active(tper));
    assert_int_equal(owner(tper, 0), 1);
    /* Without it, RevertSP erases the range as always. */
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REVERTSP),
                     0);
    assert_false(opal_locking_sp_active(tper));
}

/* ---- the saved state ----------------------------------------------------- */

static void test_persist(void **state)
{
    OpalTPer *tper = *state, *copy;
    g_autofree uint8_t *saved = NULL, *again = NULL, *plain = NULL;
    g_autofree char *error = NULL;
    OpalConfig twelve = host_test_config;
    size_t len, again_len, plain_len;
    uint32_t tsn;

    /*
     * A drive not in Single User Mode saves no SUM record (kind 7 after the
     * header).
     */
    host_take_ownership(tper);
    host_activate(tper);
    plain = opal_tper_save(tper, &plain_len);
    assert_int_not_equal(plain[16], 7);

    opal_tper_free(tper);
    *state = tper = opal_tper_new(&host_test_config);
    host_take_ownership(tper);
    assert_int_equal(activate_sum(tper, (const uint64_t[]){ RANGE1,
                                  OPAL_UID_LOCKING_RANGE(3) }, 2, 1), 0);
    assert_int_equal(host_locking_session(tper, OPAL_UID_USER(2), "", &tsn), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(2), USER2_PIN),
                     0);
    assert_int_equal(lock_sum(tper, tsn, RANGE1, false), 0);
    host_end_session(tper, tsn);
    saved = opal_tper_save(tper, &len);
    assert_int_equal(saved[16], 7); /* first of all the records */

    copy = opal_tper_new(&host_test_config);
    assert_true(opal_tper_load(copy, saved, len, &error));
    again = opal_tper_save(copy, &again_len);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, saved, len);
    opal_tper_reset(copy, OPAL_RESET_POWER_CYCLE);
    assert_int_equal(copy->locking_sp->sum_objects, 0xa);
    assert_int_equal(sum_flags(copy, NULL), SUM_ANY | SUM_POLICY);
    assert_int_equal(owner(copy, 1), 2);    /* query-opal: Range1 is User2's */
    assert_int_equal(owner(copy, 3), 4);
    assert_int_equal(owner(copy, 2), 0);
    /*
     * The rules came back with the selection: Admin1 places Range1 but cannot
     * lock it.
     */
    assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(copy, tsn, RANGE1, 3, 2048), 0);
    assert_int_equal(host_set_uint(copy, tsn, RANGE1, 7, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_call_plain(copy, tsn, OPAL_UID_LOCKING_RANGE(3),
                                     OPAL_UID_M_ERASE),
                     0);
    host_end_session(copy, tsn);
    assert_int_equal(host_locking_session(copy, OPAL_UID_USER(2), USER2_PIN,
                                          &tsn),
                     0);
    assert_true(key_in_memory(copy, 1));
    assert_int_equal(lock_sum(copy, tsn, RANGE1, true), 0);
    host_end_session(copy, tsn);
    opal_tper_free(copy);

    /*
     * A state without the record (an older engine's) loads out of Single User
     * Mode.
     */
    copy = opal_tper_new(&host_test_config);
    assert_true(opal_tper_load(copy, plain, plain_len, &error));
    assert_int_equal(copy->locking_sp->sum_objects, 0);
    opal_tper_free(copy);

    /*
     * Malformed, misplaced or foreign records are refused, the drive unchanged.
     */
    copy = opal_tper_new(&host_test_config);
    {
        g_autofree uint8_t *bad = g_memdup2(saved, len);

        bad[16 + 5 + 8] = 2;                            /* policy 2 */
        assert_false(opal_tper_load(copy, bad, len, &error));
        assert_non_null(strstr(error, "Single User Mode"));
        g_clear_pointer(&error, g_free);
        bad[16 + 5 + 8] = 1;
        bad[16 + 5] = 0x80 | 0x2;   /* Range7 is fine, and... */
        bad[16 + 5 + 1] = 0x01;     /* Range8 needs User9 */
        assert_false(opal_tper_load(copy, bad, len, &error));
        assert_non_null(strstr(error, "Single User Mode"));
        g_clear_pointer(&error, g_free);
    }
    assert_int_equal(copy->locking_sp->sum_objects, 0);
    opal_tper_free(copy);

    /*
     * A drive with 12 Users makes Range8 single-user; one with 8 cannot take
     * that state.
     */
    twelve.nr_users = 12;
    copy = opal_tper_new(&twelve);
    host_take_ownership(copy);
    assert_int_equal(
        activate_sum(copy, (const uint64_t[]){ OPAL_UID_LOCKING_RANGE(8) }, 1,
                     NO_POLICY),
        0);
    assert_int_equal(sum_flags(copy, NULL), SUM_ANY);
    g_clear_pointer(&again, g_free);
    again = opal_tper_save(copy, &again_len);
    opal_tper_free(copy);
    assert_false(opal_tper_load(tper, again, again_len, &error));
    assert_non_null(strstr(error, "cannot make single-user"));
    assert_int_equal(tper->locking_sp->sum_objects, 0xa);       /* unchanged */
}

/*
 * Gets LockingInfo as Anybody, all its columns (no cellblock) or columns
 * @first..@last; the response.
 */
static HostResponse *get_locking_info(OpalTPer *tper, bool all,
                                      uint64_t first, uint64_t last)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    HostResponse *r;
    uint32_t tsn;

    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
    if (all) {
        host_call_begin(b, OPAL_UID_LOCKINGINFO_OBJ, OPAL_UID_M_GET);
        opal_token_put_control(b, OPAL_TK_START_LIST);
        opal_token_put_control(b, OPAL_TK_END_LIST);
        host_call_end(b);
        assert_int_equal(host_call(tper, tsn, b, &r), 0);
    } else {
        assert_int_equal(host_get_columns(tper, tsn,
                                          OPAL_UID_LOCKINGINFO_OBJ, first,
                                          last, &r), 0);
    }
    host_end_session(tper, tsn);
    return r;
}

/*
 * SingleUserModeRanges in @r: a list of Locking objects, copied to @uids
 * (room for 8); returns how many, or -1 if the value is not a list.
 */
static int sum_ranges(HostResponse *r, uint64_t *uids)
{
    const OpalToken *t = host_cell(r, OPAL_SUM_COL_RANGES);
    size_t i;
    int n = 0;

    assert_non_null(t);
    if (!opal_token_is(t, OPAL_TK_START_LIST)) {
        return -1;
    }
    i = t - host_token(r, 0) + 1;
    for (; !opal_token_is(host_token(r, i), OPAL_TK_END_LIST); i++) {
        assert_int_equal(host_token(r, i)->len, 8);
        assert_true(n < 8);
        uids[n++] = opal_get_be64(host_token(r, i)->bytes);
    }
    return n;
}

static uint64_t sum_policy(HostResponse *r)
{
    const OpalToken *t = host_cell(r, OPAL_SUM_COL_POLICY);

    assert_non_null(t);
    assert_int_equal(t->type, OPAL_TOKEN_UINT);
    return t->uint;
}

/*
 * SUM FS, LockingInfo: columns 0x060000 SingleUserModeRanges and 0x060001
 * RangeStartLengthPolicy follow Activate's selection and policy, after the
 * Core columns, readable by Anybody, and may be asked for alone.
 */
static void test_locking_info_columns(void **state)
{
    OpalTPer *tper = *state;
    HostResponse *r;
    uint64_t uids[8];

    /* Activated without Single User Mode: no range, policy 0. */
    host_take_ownership(tper);
    host_activate(tper);
    r = get_locking_info(tper, true, 0, 0);
    assert_non_null(host_cell(r, 10));          /* LowestAlignedLBA */
    assert_int_equal(sum_ranges(r, uids), 0);
    assert_int_equal(sum_policy(r), 0);
    host_response_free(r);
    opal_tper_free(tper);

    /* Range1 User2's, the global range User1's; the Admins place them. */
    *state = tper = opal_tper_new(&host_test_config);
    host_take_ownership(tper);
    assert_int_equal(activate_sum(tper, (const uint64_t[]){ RANGE1,
                                  OPAL_UID_LOCKING_GLOBALRANGE }, 2, 1), 0);
    r = get_locking_info(tper, true, 0, 0);
    assert_int_equal(sum_ranges(r, uids), 2);
    assert_int_equal(uids[0], OPAL_UID_LOCKING_GLOBALRANGE);
    assert_int_equal(uids[1], RANGE1);
    assert_int_equal(sum_policy(r), 1);
    host_response_free(r);

    /* Asked for by number, alone or both. */
    r = get_locking_info(tper, false, OPAL_SUM_COL_RANGES,
                         OPAL_SUM_COL_RANGES);
    assert_int_equal(sum_ranges(r, uids), 2);
    assert_null(host_cell(r, OPAL_SUM_COL_POLICY));
    assert_null(host_cell(r, 4));
    host_response_free(r);
    r = get_locking_info(tper, false, 4, OPAL_SUM_COL_POLICY);
    assert_non_null(host_cell(r, 4));           /* MaxRanges */
    assert_int_equal(sum_ranges(r, uids), 2);
    assert_int_equal(sum_policy(r), 1);
    host_response_free(r);
    opal_tper_free(tper);

    /* The whole Locking table: its UID, as Activate's selection names it. */
    {
        OpalConfig config = host_test_config;
        const OpalToken *t;

        config.nr_users = config.nr_ranges + 1;
        *state = tper = opal_tper_new(&config);
        host_take_ownership(tper);
        assert_int_equal(activate_sum(tper, (const uint64_t[]){
                                      OPAL_UID_TABLE_LOCKING }, 0,
                                      NO_POLICY), 0);
        r = get_locking_info(tper, true, 0, 0);
        t = host_cell(r, OPAL_SUM_COL_RANGES);
        assert_non_null(t);
        assert_int_equal(t->len, 8);
        assert_int_equal(opal_get_be64(t->bytes), OPAL_UID_TABLE_LOCKING);
        assert_int_equal(sum_policy(r), 0);
        host_response_free(r);
    }
    /* No other row has them. */
    {
        uint32_t tsn;

        assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
        assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_LOCKING_RANGE(1),
                                          OPAL_SUM_COL_RANGES,
                                          OPAL_SUM_COL_RANGES, NULL),
                         OPAL_ST_INVALID_PARAMETER);
        host_end_session(tper, tsn);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_discovery, setup, teardown),
        cmocka_unit_test_setup_teardown(test_activate_refusals, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_owner_and_admins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_admins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_is_the_users, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reactivate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert_ends_sum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_revert_sp_keeps_no_users_key,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_persist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locking_info_columns, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
