/*
 * Unit tests of the Block SID Authentication feature set: the Block SID
 * command (IF-SEND, protocol 0x02, ComID 0x0005), what it blocks and what it
 * does not, the resets that end it, and live migration's running state.
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

/*
 * The Block SID command as a host's firmware sends it over ATA: one 512-byte
 * block.
 */
static void block_sid(OpalTPer *tper, bool hw_reset)
{
    uint8_t buf[512] = { hw_reset ? 0x01 : 0x00 };

    assert_int_equal(opal_if_send(tper, 0x02, 0x0005, buf, sizeof(buf)),
                     OPAL_IF_OK);
}

/*
 * Byte 4 and 5 of the Block SID feature descriptor (0x0402) in Level 0
 * Discovery.
 */
static void block_sid_bytes(OpalTPer *tper, uint8_t *state,
                            uint8_t *clear_events)
{
    uint8_t buf[512];
    long pos;

    assert_int_equal(opal_if_recv(tper, 0x01, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_OK);
    pos = host_find_feature(buf, 0x0402);
    if (pos < 0) {
        fail_msg("no Block SID feature descriptor");
    }
    assert_int_equal(buf[pos + 2] >> 4, 1);     /* version 1 */
    assert_int_equal(buf[pos + 3], 0x0c);
    *state = buf[pos + 4];
    *clear_events = buf[pos + 5];
}

static uint8_t sid_state(OpalTPer *tper)
{
    uint8_t s, c;

    block_sid_bytes(tper, &s, &c);
    return s;
}

/* SID's failed tries, as the management interface shows them. */
static uint64_t sid_tries(OpalTPer *tper)
{
    OpalStatusReport *r = opal_tper_status(tper);
    uint64_t tries = G_MAXUINT64;

    for (guint i = 0; i < r->authorities->len; i++) {
        OpalAuthorityStatus *a =
            &g_array_index(r->authorities, OpalAuthorityStatus, i);

        if (a->uid == OPAL_UID_AUTH_SID) {
            tries = a->tries;
        }
    }
    opal_status_report_free(r);
    return tries;
}

/*
 * What the management interface (query-opal's engine side) says of the block.
 */
static void assert_status(OpalTPer *tper, bool blocked, bool hw_reset)
{
    OpalStatusReport *r = opal_tper_status(tper);

    assert_int_equal(r->sid_blocked, blocked);
    assert_int_equal(r->sid_blocked_hw_reset, hw_reset);
    opal_status_report_free(r);
}

/*
 * The descriptor: SID Value State follows SID's PIN, Blocked State the command.
 */
static void test_descriptor(void **state)
{
    OpalTPer *tper = *state;
    uint8_t s, c;

    block_sid_bytes(tper, &s, &c);
    assert_int_equal(s, 0x00);  /* SID's PIN is MSID's, not blocked */
    assert_int_equal(c, 0x00);
    host_take_ownership(tper);
    assert_int_equal(sid_state(tper), 0x01);    /* SID Value State */
    block_sid(tper, false);
    block_sid_bytes(tper, &s, &c);
    assert_int_equal(s, 0x03);  /* + SID Authentication Blocked State */
    assert_int_equal(c, 0x00);
    block_sid(tper, true);  /* the last command's Clear Events count */
    block_sid_bytes(tper, &s, &c);
    assert_int_equal(s, 0x03);
    assert_int_equal(c, 0x01);
    /* Never Locking SP Freeze Lock (version 2's bits 2 and 3). */
    assert_int_equal(s & 0x0c, 0);
}

/*
 * SID's Value State after a load: worked out from the verifier, and a PIN set
 * back.
 */
static void test_value_state(void **state)
{
    OpalTPer *tper = *state, *copy = opal_tper_new(&host_test_config);
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    uint32_t tsn;
    size_t len;

    host_take_ownership(tper);
    saved = opal_tper_save(tper, &len);
    assert_true(opal_tper_load(copy, saved, len, &error));
    opal_tper_reset(copy, OPAL_RESET_POWER_CYCLE);
    assert_int_equal(sid_state(copy), 0x01);
    /* SID's PIN set back to the MSID: the state follows. */
    assert_int_equal(host_admin_session(copy, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    assert_int_equal(host_set_pin(copy, tsn, OPAL_UID_C_PIN_SID,
                                  host_test_config.msid),
                     0);
    host_end_session(copy, tsn);
    assert_int_equal(sid_state(copy), 0x00);
    opal_tper_free(copy);
}

/*
 * Blocked: StartSession as SID gets NOT_AUTHORIZED and Authenticate as SID
 * answers False, with the right PIN, as for a wrong one; the trace says why;
 * Tries does not count the attempts.
 */
static void test_sid_refused(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GArray) trace = NULL;
    const HostTraceEvent *e;
    uint64_t result = 1;
    uint32_t tsn;

    host_take_ownership(tper);
    block_sid(tper, false);
    trace = host_trace_start(tper);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    /* The authentication says why, and the refused session repeats it. */
    e = host_traced(trace, "authenticate", "blocked by Block SID until the "
                    "next power cycle");
    assert_non_null(e);
    assert_int_equal(e->sp, OPAL_UID_ADMINSP);
    assert_int_equal(e->uid, OPAL_UID_AUTH_SID);
    assert_false(e->proven);
    e = host_traced(trace, "session_refused", "blocked by Block SID");
    assert_non_null(e);
    assert_int_equal(e->uid, OPAL_UID_AUTH_SID);
    assert_int_equal(e->status, OPAL_ST_NOT_AUTHORIZED);
    g_array_set_size(trace, 0);
    assert_int_equal(host_admin_session(tper, 0, NULL, &tsn), 0);
    assert_int_equal(host_authenticate(tper, tsn, OPAL_UID_AUTH_SID,
                                       HOST_SID_PIN, &result),
                     0);
    assert_int_equal(result, 0);
    e = host_traced(trace, "authenticate", "blocked by Block SID");
    assert_non_null(e);
    assert_false(e->proven);
    host_trace_stop(tper);
    host_end_session(tper, tsn);
    assert_int_equal(sid_tries(tper), 0);
    /* A wrong PIN is not tried either. */
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, "wrong", &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(sid_tries(tper), 0);
    /* Nor does the MSID open it on a drive whose SID was never changed. */
    opal_tper_psid_revert(tper);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
}

/* The PSID still authenticates: a PSID revert works, and the block stays. */
static void test_psid_revert(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    block_sid(tper, false);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_PSID,
                                        host_test_config.psid, &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_ADMINSP,
                                     OPAL_UID_M_REVERT),
                     0);
    /*
     * Factory state: SID's PIN is MSID's, the LockingSP inactive; SID still
     * blocked.
     */
    assert_int_equal(sid_state(tper), 0x02);
    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
}

/*
 * The LockingSP's authorities are not SID: Admin1 and User1 work while SID is
 * blocked.
 */
static void test_locking_sp_unaffected(void **state)
{
    OpalTPer *tper = *state;
    uint64_t result = 0;
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    block_sid(tper, true);
    assert_int_equal(host_locking_session(tper, OPAL_UID_ADMIN(1), HOST_SID_PIN,
                                          &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE,
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1), 0);
    host_end_session(tper, tsn);
    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
    assert_int_equal(host_authenticate(tper, tsn, OPAL_UID_ADMIN(1),
                                       HOST_SID_PIN, &result),
                     0);
    assert_int_equal(result, 1);
    host_end_session(tper, tsn);
    /* A wrong password is still refused as before. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_ADMIN(1), "wrong",
                                          &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
}

/* A power cycle ends the block, whatever the Clear Events. */
static void test_power_cycle(void **state)
{
    OpalTPer *tper = *state;
    uint8_t s, c;
    uint32_t tsn;

    host_take_ownership(tper);
    for (int hw = 0; hw < 2; hw++) {
        block_sid(tper, hw);
        opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
        block_sid_bytes(tper, &s, &c);
        assert_int_equal(s, 0x01);
        assert_int_equal(c, 0x00);  /* forgotten with the rest at power-off */
        assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                            HOST_SID_PIN, &tsn),
                         0);
        host_end_session(tper, tsn);
    }
}

/*
 * A hardware reset (a guest reboot) ends the block only if the command asked.
 */
static void test_hardware_reset(void **state)
{
    OpalTPer *tper = *state;
    uint8_t s, c;
    uint32_t tsn;

    host_take_ownership(tper);
    assert_status(tper, false, false);
    block_sid(tper, false);
    assert_status(tper, true, false);
    opal_tper_reset(tper, OPAL_RESET_HARDWARE);
    assert_int_equal(sid_state(tper), 0x03);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    /* Programmatic resets never end it either. */
    block_sid(tper, true);
    assert_status(tper, true, true);
    opal_tper_reset(tper, OPAL_RESET_PROGRAMMATIC);
    assert_int_equal(sid_state(tper), 0x03);
    opal_tper_reset(tper, OPAL_RESET_HARDWARE);
    block_sid_bytes(tper, &s, &c);
    assert_int_equal(s, 0x01);
    assert_int_equal(c, 0x01);  /* still the last command's Clear Events */
    assert_status(tper, false, false);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    host_end_session(tper, tsn);
}

/*
 * Live migration carries the block; the saved (non-volatile) state never does.
 */
static void test_running_state(void **state)
{
    OpalTPer *tper = *state, *copy = opal_tper_new(&host_test_config);
    g_autofree uint8_t *running = NULL, *saved = NULL, *before = NULL;
    char *error = NULL;
    size_t len, saved_len, before_len;
    uint8_t s, c;
    uint32_t tsn;

    host_take_ownership(tper);
    before = opal_tper_save_running(tper, &before_len);
    block_sid(tper, true);
    running = opal_tper_save_running(tper, &len);
    /* One record more: u8 kind, u32 length, one byte of flags. */
    assert_int_equal(len, before_len + 6);
    assert_true(opal_tper_load_running(copy, running, len, &error));
    block_sid_bytes(copy, &s, &c);
    assert_int_equal(s, 0x03);
    assert_int_equal(c, 0x01);
    assert_int_equal(host_admin_session(copy, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    /* the Clear Events came along */
    opal_tper_reset(copy, OPAL_RESET_HARDWARE);
    assert_int_equal(sid_state(copy), 0x01);

    /* A running state without the record (an older engine's) is not blocked. */
    block_sid(copy, false);
    assert_true(opal_tper_load_running(copy, before, before_len, &error));
    assert_int_equal(sid_state(copy), 0x01);

    /*
     * The non-volatile state has no record of it: a restart is a power cycle.
     */
    saved = opal_tper_save(tper, &saved_len);
    assert_true(opal_tper_load(copy, saved, saved_len, &error));
    assert_int_equal(sid_state(copy), 0x01);
    /* ... and a saved state that holds one is refused, the drive untouched. */
    assert_int_equal(running[len - 7], 6);
    saved = g_realloc(saved, saved_len + 6);
    /* the record and END */
    memcpy(saved + saved_len - 1, running + len - 7, 7);
    block_sid(copy, false);
    assert_false(opal_tper_load(copy, saved, saved_len + 6, &error));
    assert_non_null(strstr(error, "Block SID"));
    g_free(error);
    assert_int_equal(sid_state(copy), 0x03);
    opal_tper_free(copy);
}

/* Malformed running-state records are refused with a reason. */
static void test_running_state_malformed(void **state)
{
    OpalTPer *tper = *state, *copy = opal_tper_new(&host_test_config);
    g_autofree uint8_t *running = NULL;
    char *error = NULL;
    size_t len;

    block_sid(tper, true);
    running = opal_tper_save_running(tper, &len);
    /* ... 06, 01 00 00 00, flags, ff */
    assert_int_equal(running[len - 7], 6);
    assert_int_equal(running[len - 2], 0x03);
    running[len - 2] = 0x04;                        /* an unknown flag */
    assert_false(opal_tper_load_running(copy, running, len, &error));
    assert_non_null(strstr(error, "malformed Block SID record"));
    g_free(error);
    running[len - 2] = 0x01;
    running[len - 6] = 2;   /* a length the record does not have */
    assert_false(opal_tper_load_running(copy, running, len, &error));
    g_free(error);
    running[len - 6] = 1;
    assert_true(opal_tper_load_running(copy, running, len, &error));
    /* blocked, MSID: Value State clear */
    assert_int_equal(sid_state(copy), 0x02);
    opal_tper_free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_descriptor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sid_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_psid_revert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locking_sp_unaffected, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_power_cycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hardware_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running_state_malformed, setup,
                                        teardown),
    };

    return cmocka_run_group_tests_name("block-sid", tests, NULL, NULL);
}
