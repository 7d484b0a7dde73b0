/*
 * Snapshots (opal_tper_save_snapshot): a running state that an image may
 * keep.  It must not hold what decrypts a range that was locked when it was
 * taken - no KEK, no open session, no clear key of a read-locked range - yet
 * the restored guest reads on the ranges it had unlocked.
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

#define ADMIN1_PIN  "admin1-secret"
#define RANGE_LEN   4096
#define R1_START    4096        /* Range1: read-lockable, unlocked */
#define R2_START    8192        /* Range2: read-locked */
#define R3_START    12288       /* Range3: ReadLocked, not ReadLockEnabled */
#define KEY_LEN     OPAL_MEDIA_KEY_LEN

/* A drive in use, Admin1's session open, and the media keys it had then. */
typedef struct Drive {
    OpalTPer *tper;
    uint32_t tsn;
    uint8_t k1[KEY_LEN], k2[KEY_LEN], k3[KEY_LEN];
} Drive;

static void set_range(OpalTPer *tper, uint32_t tsn, unsigned n, uint64_t start,
                      uint64_t rle, uint64_t rl)
{
    static const uint32_t columns[] = {
        OPAL_COL_LOCKING_RANGE_START, OPAL_COL_LOCKING_RANGE_LENGTH,
        OPAL_COL_LOCKING_READ_LOCK_ENABLED, OPAL_COL_LOCKING_READ_LOCKED,
    };
    const uint64_t values[] = { start, RANGE_LEN, rle, rl };

    for (size_t i = 0; i < G_N_ELEMENTS(columns); i++) {
        assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_RANGE(n),
                                       columns[i], values[i]), 0);
    }
}

/* What the media gate says of a read (or write) of a range's first blocks. */
static OpalMediaVerdict gate(const OpalMediaMap *map, uint64_t start,
                             bool write)
{
    return opal_media_check(map, start, 8, write);
}

/*
 * Owned and active, Admin1 with a PIN of its own; Range1 unlocked (it locks
 * at power-on: LockOnReset), Range2 read-locked, Range3 ReadLocked without
 * ReadLockEnabled (it reads, and comes up readable); Admin1's session stays
 * open, as when a guest is snapshotted in the middle of its work.
 */
static int setup(void **state)
{
    Drive *d = g_new0(Drive, 1);
    OpalMediaMap *map;

    d->tper = opal_tper_new(&host_test_config);
    host_take_ownership(d->tper);
    host_activate(d->tper);
    assert_int_equal(host_locking_session(d->tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &d->tsn), 0);
    assert_int_equal(host_set_pin(d->tper, d->tsn, OPAL_UID_C_PIN_ADMIN1,
                                  ADMIN1_PIN), 0);
    set_range(d->tper, d->tsn, 1, R1_START, 1, 0);
    set_range(d->tper, d->tsn, 2, R2_START, 1, 1);
    set_range(d->tper, d->tsn, 3, R3_START, 0, 1);

    map = opal_media_map_new(d->tper);
    assert_int_equal(gate(map, R1_START, false), OPAL_MEDIA_OK);
    assert_int_equal(gate(map, R2_START, false), OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(gate(map, R3_START, false), OPAL_MEDIA_OK);
    memcpy(d->k1, opal_media_key(map, 1), KEY_LEN);
    memcpy(d->k2, opal_media_key(map, 2), KEY_LEN);
    memcpy(d->k3, opal_media_key(map, 3), KEY_LEN);
    opal_media_map_free(map);
    /* The KEKs the snapshot must leave out are there to leave out. */
    {
        uint64_t sid = OPAL_UID_AUTH_SID, admin1 = OPAL_UID_AUTH_ADMIN1;

        assert_true(g_hash_table_contains(d->tper->keks, &sid));
        assert_true(g_hash_table_contains(d->tper->keks, &admin1));
    }
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    Drive *d = *state;

    opal_tper_free(d->tper);
    host_wipe(d, sizeof(*d));
    g_free(d);
    return 0;
}

static bool contains(const uint8_t *hay, size_t len, const void *needle,
                     size_t n)
{
    for (size_t i = 0; i + n <= len; i++) {
        if (!memcmp(hay + i, needle, n)) {
            return true;
        }
    }
    return false;
}

/* Whether any 16-byte piece of @secret is in @hay: half a key is too much. */
static bool holds_part(const uint8_t *hay, size_t len, const uint8_t *secret,
                       size_t n)
{
    for (size_t off = 0; off + 16 <= n; off += 16) {
        if (contains(hay, len, secret + off, 16)) {
            return true;
        }
    }
    return false;
}

/* Whether any KEK @tper knows now is (in part) in @hay; how many it knows. */
static bool holds_kek(const OpalTPer *tper, const uint8_t *hay, size_t len)
{
    GHashTableIter iter;
    gpointer uid, kek;
    bool found = false;

    g_hash_table_iter_init(&iter, tper->keks);
    while (g_hash_table_iter_next(&iter, &uid, &kek)) {
        found |= holds_part(hay, len, kek, OPAL_KEK_LEN);
    }
    return found;
}

static bool no_session(const OpalTPer *tper)
{
    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        if (tper->sessions[i].tsn) {
            return false;
        }
    }
    return !tper->response;
}

/*
 * The bytes: Range1's key, not Range2's (nor Range3's: its ReadLocked is
 * set), no KEK, no PIN.  The running state holds all of those: a snapshot
 * that were the running state would fail here.
 */
static void test_snapshot_bytes(void **state)
{
    Drive *d = *state;
    uint8_t *snap, *running;
    size_t len, running_len;

    running = opal_tper_save_running(d->tper, &running_len);
    assert_true(contains(running, running_len, d->k2, KEY_LEN));
    assert_true(holds_kek(d->tper, running, running_len));
    opal_secret_free(running, running_len);

    snap = opal_tper_save_snapshot(d->tper, &len);
    assert_true(contains(snap, len, d->k1, KEY_LEN));
    assert_false(holds_part(snap, len, d->k2, KEY_LEN));
    assert_false(holds_part(snap, len, d->k3, KEY_LEN));
    assert_false(holds_kek(d->tper, snap, len));
    assert_false(contains(snap, len, HOST_SID_PIN, strlen(HOST_SID_PIN)));
    assert_false(contains(snap, len, ADMIN1_PIN, strlen(ADMIN1_PIN)));
    opal_secret_free(snap, len);
}

/*
 * Restored: Range1 reads with its key, Range2 is locked - for writes too,
 * with no key to write with - until Admin1's PIN brings its key back, and
 * Range3's key came back from its public copy.  No session is open, no KEK
 * known.
 */
static void test_snapshot_resumes(void **state)
{
    Drive *d = *state;
    OpalTPer *copy = opal_tper_new(&host_test_config);
    g_autofree char *error = NULL;
    OpalStatusReport *report;
    OpalMediaMap *map;
    uint8_t *snap;
    uint32_t tsn;
    size_t len;

    snap = opal_tper_save_snapshot(d->tper, &len);
    assert_true(opal_tper_load_running(copy, snap, len, &error));
    opal_secret_free(snap, len);

    map = opal_media_map_new(copy);
    assert_int_equal(gate(map, R1_START, false), OPAL_MEDIA_OK);
    assert_memory_equal(opal_media_key(map, 1), d->k1, KEY_LEN);
    assert_int_equal(gate(map, R2_START, false), OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(gate(map, R2_START, true), OPAL_MEDIA_WRITE_LOCKED);
    assert_memory_not_equal(opal_media_key(map, 2), d->k2, KEY_LEN);
    assert_int_equal(gate(map, R3_START, false), OPAL_MEDIA_OK);
    assert_memory_equal(opal_media_key(map, 3), d->k3, KEY_LEN);
    opal_media_map_free(map);

    assert_true(no_session(copy));
    assert_int_equal(g_hash_table_size(copy->keks), 0);
    report = opal_tper_status(copy);
    assert_int_equal(report->sessions->len, 0);
    opal_status_report_free(report);

    /* Admin1's PIN unwraps Range2's key; unlocked, the range reads with it. */
    assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1, "wrong",
                                          &tsn), OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1,
                                          ADMIN1_PIN, &tsn), 0);
    assert_int_equal(host_set_uint(copy, tsn, OPAL_UID_LOCKING_RANGE(2),
                                   OPAL_COL_LOCKING_READ_LOCKED, 0), 0);
    host_end_session(copy, tsn);
    map = opal_media_map_new(copy);
    assert_int_equal(gate(map, R2_START, false), OPAL_MEDIA_OK);
    assert_memory_equal(opal_media_key(map, 2), d->k2, KEY_LEN);
    assert_memory_equal(opal_media_key(map, 1), d->k1, KEY_LEN);
    opal_media_map_free(map);
    opal_tper_free(copy);
}

/*
 * loadvm onto the running drive itself: its sessions, KEKs and Range2's
 * key go; restored again, a snapshot saves to the same bytes.
 */
static void test_snapshot_onto_running_drive(void **state)
{
    Drive *d = *state;
    g_autofree char *error = NULL;
    uint8_t *snap, *again;
    size_t len, again_len;
    OpalMediaMap *map;

    snap = opal_tper_save_snapshot(d->tper, &len);
    assert_true(opal_tper_load_running(d->tper, snap, len, &error));
    assert_true(no_session(d->tper));
    assert_int_equal(g_hash_table_size(d->tper->keks), 0);
    map = opal_media_map_new(d->tper);
    assert_int_equal(gate(map, R1_START, false), OPAL_MEDIA_OK);
    assert_int_equal(gate(map, R2_START, false), OPAL_MEDIA_READ_LOCKED);
    assert_memory_not_equal(opal_media_key(map, 2), d->k2, KEY_LEN);
    opal_media_map_free(map);

    again = opal_tper_save_snapshot(d->tper, &again_len);
    assert_int_equal(again_len, len);
    assert_memory_equal(again, snap, len);
    opal_secret_free(again, again_len);
    opal_secret_free(snap, len);
}

/* It holds a clear key (Range1's): not a saved state, for opal_tper_load(). */
static void test_snapshot_is_not_a_saved_state(void **state)
{
    Drive *d = *state;
    OpalTPer *copy = opal_tper_new(&host_test_config);
    g_autofree char *error = NULL;
    uint8_t *snap;
    size_t len;

    snap = opal_tper_save_snapshot(d->tper, &len);
    assert_false(opal_tper_load(copy, snap, len, &error));
    assert_non_null(strstr(error, "media key in the clear"));
    opal_secret_free(snap, len);
    opal_tper_free(copy);
}

/*
 * The session layer resumes as after a stack reset (Core 3.3.4.7.5): the
 * queued response, the negotiated host properties and any pending ComID
 * request are gone.  The Block SID state, which only a power cycle or
 * hardware reset ends, stays.
 */
static void test_snapshot_session_layer(void **state)
{
    Drive *d = *state;
    OpalTPer *copy = opal_tper_new(&host_test_config), *fresh;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autofree char *error = NULL;
    uint8_t block_sid[512] = { OPAL_BLOCK_SID_CLEAR_HW_RESET };
    uint8_t *snap;
    size_t len;

    /* Properties (Core 5.2.2.1), its response left queued. */
    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 0);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_bytes(b, "MaxComPacketSize", strlen("MaxComPacketSize"));
    opal_token_put_uint(b, 4096);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    host_send(d->tper, 0, b);
    assert_non_null(d->tper->response);
    assert_int_equal(d->tper->host_properties[OPAL_HP_MAX_COMPACKET_SIZE],
                     4096);
    assert_int_equal(opal_if_send(d->tper, OPAL_PROTOCOL_COMID_MGMT,
                                  OPAL_COMID_BLOCK_SID, block_sid,
                                  sizeof(block_sid)), OPAL_IF_OK);
    /* The copy has a ComID request of its own pending, which the load drops. */
    copy->comid_request = OPAL_COMID_REQ_VERIFY_COMID_VALID;

    snap = opal_tper_save_snapshot(d->tper, &len);
    assert_true(opal_tper_load_running(copy, snap, len, &error));
    opal_secret_free(snap, len);
    assert_true(no_session(copy));
    assert_int_equal(copy->comid_request, OPAL_COMID_REQ_NONE);
    fresh = opal_tper_new(&host_test_config);
    assert_memory_equal(copy->host_properties, fresh->host_properties,
                        sizeof(fresh->host_properties));
    assert_int_equal(copy->last_tsn, fresh->last_tsn);
    opal_tper_free(fresh);
    assert_true(copy->sid_blocked);
    assert_int_equal(copy->sid_block_clear_events,
                     OPAL_BLOCK_SID_CLEAR_HW_RESET);
    opal_tper_free(copy);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_snapshot_bytes),
        T(test_snapshot_resumes),
        T(test_snapshot_onto_running_drive),
        T(test_snapshot_is_not_a_saved_state),
        T(test_snapshot_session_layer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
