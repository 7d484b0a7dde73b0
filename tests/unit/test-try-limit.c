/*
 * Unit tests of the LockingSP's PIN TryLimit (OpalConfig's
 * locking_pin_try_limit) and of the Core's rules for C_PIN Tries
 * (Core 5.3.2.12): failed authentications count until TryLimit locks the
 * authority out (AUTHORITY_LOCKED_OUT, even for the right PIN), a success
 * or, Persistence being False, a power cycle sets Tries back to 0, and the
 * limit is a cell of the saved state.
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

#define LIMIT       3
#define USER1_PIN   "user1-secret"
#define ADMIN1      OPAL_UID_AUTH_ADMIN1
#define USER1       OPAL_UID_USER(1)
#define LSP         OPAL_SP_LOCKING
#define ASP         OPAL_SP_ADMIN
#define SID         OPAL_UID_AUTH_SID

static OpalTPer *new_tper(uint32_t limit)
{
    OpalConfig config = host_test_config;

    config.locking_pin_try_limit = limit;
    return opal_tper_new(&config);
}

static int setup(void **state)
{
    *state = new_tper(LIMIT);
    return 0;
}

static int setup_no_limit(void **state)
{
    *state = new_tper(0);
    return 0;
}

static int teardown(void **state)
{
    opal_tper_free(*state);
    return 0;
}

static bool record_changes(void *opaque, unsigned changes)
{
    *(unsigned *)opaque |= changes;
    return true;
}

/* Authority @uid of SP @sp, as query-opal shows it. */
static OpalAuthorityStatus status_of(OpalTPer *tper, OpalSpName sp,
                                     uint64_t uid)
{
    OpalStatusReport *r = opal_tper_status(tper);
    OpalAuthorityStatus st = { 0 };
    bool found = false;

    for (guint i = 0; i < r->authorities->len; i++) {
        const OpalAuthorityStatus *a =
            &g_array_index(r->authorities, OpalAuthorityStatus, i);

        if (a->uid == uid && a->sp == sp) {
            st = *a;
            st.name = NULL;     /* freed with the report */
            found = true;
        }
    }
    opal_status_report_free(r);
    assert_true(found);
    return st;
}

static void assert_tries(OpalTPer *tper, OpalSpName sp, uint64_t uid,
                         uint64_t tries, uint64_t limit, bool locked_out)
{
    OpalAuthorityStatus st = status_of(tper, sp, uid);

    assert_true(st.has_pin);
    assert_int_equal(st.tries, tries);
    assert_int_equal(st.try_limit, limit);
    assert_int_equal(st.locked_out, locked_out);
}

static uint64_t cpin_cell(OpalSP *sp, uint64_t cpin, uint32_t column)
{
    OpalRow *row = opal_sp_row(sp, cpin);
    uint64_t v = G_MAXUINT64;

    assert_non_null(row);
    assert_true(opal_row_get_uint(row, column, &v));
    return v;
}

/* StartSession on the LockingSP as @authority; ends the session it opened. */
static uint64_t try_locking(OpalTPer *tper, uint64_t authority, const char *pin)
{
    uint32_t tsn;
    uint64_t status = host_locking_session(tper, authority, pin, &tsn);

    if (status == OPAL_ST_SUCCESS) {
        host_end_session(tper, tsn);
    }
    return status;
}

static void admin1_locked_out(OpalTPer *tper)
{
    for (int i = 0; i < LIMIT; i++) {
        assert_int_equal(try_locking(tper, ADMIN1, "wrong"),
                         OPAL_ST_NOT_AUTHORIZED);
    }
    assert_tries(tper, LSP, ADMIN1, LIMIT, LIMIT, true);
}

/*
 * Every Admin and User PIN of the LockingSP leaves the factory with the
 * configured TryLimit, Persistence False; the AdminSP's are as before.  No
 * ACE of the SSC grants TryLimit or Tries (Opal 4.3.1.7: the C_PIN Set ACEs
 * grant PIN only), so Admin1 cannot change them.
 */
static void test_factory_limit(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    for (unsigned n = 1; n <= host_test_config.nr_admins; n++) {
        assert_int_equal(cpin_cell(tper->locking_sp, OPAL_UID_C_PIN_ADMIN(n),
                                   OPAL_COL_C_PIN_TRY_LIMIT), LIMIT);
        assert_int_equal(cpin_cell(tper->locking_sp, OPAL_UID_C_PIN_ADMIN(n),
                                   OPAL_COL_C_PIN_PERSISTENCE), false);
    }
    for (unsigned n = 1; n <= host_test_config.nr_users; n++) {
        assert_int_equal(cpin_cell(tper->locking_sp, OPAL_UID_C_PIN_USER(n),
                                   OPAL_COL_C_PIN_TRY_LIMIT), LIMIT);
        assert_int_equal(cpin_cell(tper->locking_sp, OPAL_UID_C_PIN_USER(n),
                                   OPAL_COL_C_PIN_PERSISTENCE), false);
    }
    assert_int_equal(cpin_cell(tper->admin_sp, OPAL_UID_C_PIN_SID,
                               OPAL_COL_C_PIN_TRY_LIMIT), 5);
    assert_int_equal(cpin_cell(tper->admin_sp, OPAL_UID_C_PIN_MSID,
                               OPAL_COL_C_PIN_TRY_LIMIT), 0);

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    /* As a host reads it (ACE_C_PIN_Admins_Get_All_NOPIN). */
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_C_PIN_USER(1),
                                      OPAL_COL_C_PIN_TRY_LIMIT,
                                      OPAL_COL_C_PIN_PERSISTENCE, &r), 0);
    assert_int_equal(host_cell(r, OPAL_COL_C_PIN_TRY_LIMIT)->uint, LIMIT);
    assert_int_equal(host_cell(r, OPAL_COL_C_PIN_TRIES)->uint, 0);
    assert_int_equal(host_cell(r, OPAL_COL_C_PIN_PERSISTENCE)->uint, 0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_C_PIN_ADMIN1,
                                   OPAL_COL_C_PIN_TRY_LIMIT, 0),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_C_PIN_USER(1),
                                   OPAL_COL_C_PIN_TRIES, 0),
                     OPAL_ST_INVALID_PARAMETER);
    host_end_session(tper, tsn);
    assert_int_equal(cpin_cell(tper->locking_sp, OPAL_UID_C_PIN_ADMIN1,
                               OPAL_COL_C_PIN_TRY_LIMIT), LIMIT);
}

/*
 * Three wrong passwords lock Admin1 out: the fourth attempt is refused
 * with AUTHORITY_LOCKED_OUT though its password is right, by StartSession
 * and by Authenticate alike, and is not counted.  A hardware reset does not
 * end it; a power cycle does (Persistence False), and the reset is saved.
 */
static void test_lockout_until_power_cycle(void **state)
{
    OpalTPer *tper = *state;
    uint64_t result = 1;
    unsigned changes = 0;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    admin1_locked_out(tper);
    assert_int_equal(try_locking(tper, ADMIN1, HOST_SID_PIN),
                     OPAL_ST_AUTHORITY_LOCKED_OUT);
    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
    assert_int_equal(host_authenticate(tper, tsn, ADMIN1, HOST_SID_PIN,
                                       &result), OPAL_ST_AUTHORITY_LOCKED_OUT);
    host_end_session(tper, tsn);
    assert_tries(tper, LSP, ADMIN1, LIMIT, LIMIT, true);
    /* Another authority counts its own tries; SID was never tried. */
    assert_tries(tper, ASP, SID, 0, 5, false);

    opal_tper_reset(tper, OPAL_RESET_HARDWARE);
    assert_int_equal(try_locking(tper, ADMIN1, HOST_SID_PIN),
                     OPAL_ST_AUTHORITY_LOCKED_OUT);

    opal_tper_set_change_listener(tper, record_changes, &changes);
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    assert_true(changes & OPAL_CHANGE_PERSISTENT);
    assert_tries(tper, LSP, ADMIN1, 0, LIMIT, false);
    assert_int_equal(try_locking(tper, ADMIN1, HOST_SID_PIN), 0);
}

/* A User's PIN has the same limit, counted apart from Admin1's. */
static void test_user_lockout(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_USER(1),
                                   OPAL_COL_AUTHORITY_ENABLED, 1), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1), USER1_PIN),
                     0);
    host_end_session(tper, tsn);

    for (int i = 0; i < LIMIT; i++) {
        assert_int_equal(try_locking(tper, USER1, "wrong"),
                         OPAL_ST_NOT_AUTHORIZED);
    }
    assert_int_equal(try_locking(tper, USER1, USER1_PIN),
                     OPAL_ST_AUTHORITY_LOCKED_OUT);
    assert_tries(tper, LSP, OPAL_UID_USER(1), LIMIT, LIMIT, true);
    assert_tries(tper, LSP, ADMIN1, 0, LIMIT, false);
    assert_int_equal(try_locking(tper, ADMIN1, HOST_SID_PIN), 0);
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    assert_int_equal(try_locking(tper, USER1, USER1_PIN), 0);
}

/*
 * Tries counts failures since the last success: two wrong passwords, the
 * right one, two wrong again, and the right one still opens - five
 * attempts, four of them wrong, under a limit of three.  Authenticate
 * counts as StartSession does.
 */
static void test_success_resets_tries(void **state)
{
    OpalTPer *tper = *state;
    uint64_t result = 1;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    for (int i = 0; i < LIMIT - 1; i++) {
        assert_int_equal(try_locking(tper, ADMIN1, "wrong"),
                         OPAL_ST_NOT_AUTHORIZED);
    }
    assert_tries(tper, LSP, ADMIN1, LIMIT - 1, LIMIT, false);
    assert_int_equal(try_locking(tper, ADMIN1, HOST_SID_PIN), 0);
    assert_tries(tper, LSP, ADMIN1, 0, LIMIT, false);

    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
    for (int i = 0; i < LIMIT - 1; i++) {
        assert_int_equal(host_authenticate(tper, tsn, ADMIN1, "wrong",
                                           &result), 0);
        assert_int_equal(result, 0);
    }
    assert_tries(tper, LSP, ADMIN1, LIMIT - 1, LIMIT, false);
    assert_int_equal(host_authenticate(tper, tsn, ADMIN1, HOST_SID_PIN,
                                       &result), 0);
    assert_int_equal(result, 1);
    host_end_session(tper, tsn);
    assert_tries(tper, LSP, ADMIN1, 0, LIMIT, false);
}

/* Without a limit (the default) no number of wrong PINs locks Admin1 out. */
static void test_no_limit(void **state)
{
    OpalTPer *tper = *state;

    host_take_ownership(tper);
    host_activate(tper);
    for (int i = 0; i < 20; i++) {
        assert_int_equal(try_locking(tper, ADMIN1, "wrong"),
                         OPAL_ST_NOT_AUTHORIZED);
    }
    assert_tries(tper, LSP, ADMIN1, 0, 0, false);
    assert_int_equal(try_locking(tper, ADMIN1, HOST_SID_PIN), 0);
}

/*
 * TryLimit is a cell of the saved state: a drive loaded by a TPer
 * configured without a limit keeps its limit of three, and its Tries until
 * the power cycle that follows a load (a QEMU start).  Only a revert to
 * the factory state takes the configured value.
 */
static void test_state_keeps_limit(void **state)
{
    OpalTPer *tper = *state, *copy = new_tper(0);
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    size_t len;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    admin1_locked_out(tper);
    saved = opal_tper_save(tper, &len);
    assert_true(opal_tper_load(copy, saved, len, &error));
    assert_tries(copy, LSP, ADMIN1, LIMIT, LIMIT, true);
    opal_tper_reset(copy, OPAL_RESET_POWER_CYCLE);
    assert_tries(copy, LSP, ADMIN1, 0, LIMIT, false);
    admin1_locked_out(copy);
    assert_tries(copy, LSP, OPAL_UID_USER(8), 0, LIMIT, false);

    /* SID's Revert: the LockingSP's factory state, with this TPer's limit. */
    assert_int_equal(host_admin_session(copy, SID, HOST_SID_PIN, &tsn), 0);
    assert_int_equal(host_call_plain(copy, tsn, OPAL_UID_ADMINSP,
                                     OPAL_UID_M_REVERT), 0);
    assert_tries(copy, LSP, ADMIN1, 0, 0, false);
    assert_tries(copy, LSP, OPAL_UID_USER(8), 0, 0, false);
    opal_tper_free(copy);

    /* A PSID revert of the original: its own limit again. */
    opal_tper_psid_revert(tper);
    assert_tries(tper, LSP, ADMIN1, 0, LIMIT, false);
}

/*
 * SID's lock-out (TryLimit 5, Persistence False) ends at a power cycle too,
 * and only then: the same rule for every C_PIN row.
 */
static void test_sid_lockout_power_cycle(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    host_take_ownership(tper);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(host_admin_session(tper, SID, "wrong", &tsn),
                         OPAL_ST_NOT_AUTHORIZED);
    }
    assert_int_equal(host_admin_session(tper, SID, HOST_SID_PIN, &tsn),
                     OPAL_ST_AUTHORITY_LOCKED_OUT);
    opal_tper_reset(tper, OPAL_RESET_HARDWARE);
    assert_tries(tper, ASP, SID, 5, 5, true);
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    assert_tries(tper, ASP, SID, 0, 5, false);
    assert_int_equal(host_admin_session(tper, SID, HOST_SID_PIN, &tsn), 0);
    host_end_session(tper, tsn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_factory_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lockout_until_power_cycle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_user_lockout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_success_resets_tries, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_limit, setup_no_limit,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_state_keeps_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sid_lockout_power_cycle,
                                        setup_no_limit, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
