/*
 * The TPer's non-volatile state: what a drive keeps through power loss
 * survives save and load, and bytes that are not such a state are refused
 * with a reason, leaving the drive as it was
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

#define NB_BLOCKS   (1024 * 1024)

static OpalTPer *new_tper(void)
{
    OpalConfig config = host_test_config;

    config.nb_blocks = NB_BLOCKS;
    return opal_tper_new(&config);
}

static int setup(void **state)
{
    *state = new_tper();
    return 0;
}

static int teardown(void **state)
{
    opal_tper_free(*state);
    return 0;
}

/*
 * A drive in use: owned, active, Range1 locked, a PBA image in the MBR table.
 */
static void use_drive(OpalTPer *tper)
{
    static const char pba[] = "pre-boot image";
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint64_t r1 = OPAL_UID_LOCKING_RANGE(1);
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_START,
                                   4096),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_RANGE_LENGTH,
                                   4096),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1,
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, r1, OPAL_COL_LOCKING_READ_LOCKED,
                                   0),
                     0);
    host_call_begin(b, OPAL_UID_TABLE_MBR, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, 70000);   /* in the second 64 KiB chunk */
    host_put_named_bytes(b, 1, pba, sizeof(pba));
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    host_end_session(tper, tsn);
}

static void test_round_trip(void **state)
{
    OpalTPer *tper = *state, *copy = new_tper();
    g_autofree uint8_t *saved = NULL, *again = NULL;
    g_autofree char *error = NULL;
    size_t len, len2;

    use_drive(tper);
    saved = opal_tper_save(tper, &len);
    assert_true(opal_tper_load(copy, saved, len, &error));
    again = opal_tper_save(copy, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(saved, again, len);
    opal_tper_free(copy);
}

static void test_state_survives(void **state)
{
    OpalTPer *tper = *state, *copy = new_tper();
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    OpalMediaMap *before, *after;
    char mbr[15];
    uint32_t tsn;
    size_t len;

    use_drive(tper);
    before = opal_media_map_new(tper);
    saved = opal_tper_save(tper, &len);
    assert_true(opal_tper_load(copy, saved, len, &error));
    opal_tper_reset(copy, OPAL_RESET_POWER_CYCLE);
    after = opal_media_map_new(copy);

    /* The SID password taken at ownership, not the MSID, opens the AdminSP. */
    assert_int_equal(host_admin_session(copy, OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_admin_session(copy, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn),
                     0);
    host_end_session(copy, tsn);
    /*
     * Range1 came back; the power cycle locked it (LockOnReset) and forgot its
     * key.
     */
    assert_int_equal(opal_media_check(before, 4096, 8, false), OPAL_MEDIA_OK);
    assert_int_equal(opal_media_check(after, 4096, 8, false),
                     OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(opal_media_check(after, 8192, 8, false), OPAL_MEDIA_OK);
    assert_memory_equal(opal_media_key(before, 0), opal_media_key(after, 0),
                        OPAL_MEDIA_KEY_LEN);
    assert_memory_not_equal(opal_media_key(before, 1), opal_media_key(after, 1),
                            OPAL_MEDIA_KEY_LEN);
    opal_media_map_free(after);
    /*
     * Admin1's PIN brings the key back, and the unlocked range reads with it.
     */
    assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(copy, tsn, OPAL_UID_LOCKING_RANGE(1),
                                   OPAL_COL_LOCKING_READ_LOCKED, 0), 0);
    host_end_session(copy, tsn);
    after = opal_media_map_new(copy);
    assert_int_equal(opal_media_check(after, 4096, 8, false), OPAL_MEDIA_OK);
    for (unsigned r = 0; r < opal_media_nr_keys(before); r++) {
        assert_memory_equal(opal_media_key(before, r), opal_media_key(after, r),
                            OPAL_MEDIA_KEY_LEN);
    }
    opal_tper_mbr_read(copy, 70000, (uint8_t *)mbr, sizeof(mbr));
    assert_string_equal(mbr, "pre-boot image");
    opal_media_map_free(before);
    opal_media_map_free(after);
    opal_tper_free(copy);
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

/*
 * What a thief gets with the saved state: no PIN, no key of a locked range,
 * and no way to unlock it with a wrong PIN or as an authority without a copy.
 */
static void test_no_pin_no_key(void **state)
{
    OpalTPer *tper = *state, *copy = new_tper();
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    OpalMediaMap *map = NULL;
    uint8_t range1_key[OPAL_MEDIA_KEY_LEN];
    uint32_t tsn;
    size_t len;

    use_drive(tper);
    /* User1 gets a PIN, but no right to Range1. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_USER(1),
                                   OPAL_COL_AUTHORITY_ENABLED, 1),
                     0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1),
                                  "user1-secret"),
                     0);
    host_end_session(tper, tsn);
    map = opal_media_map_new(tper);
    memcpy(range1_key, opal_media_key(map, 1), sizeof(range1_key));
    opal_media_map_free(map);

    saved = opal_tper_save(tper, &len);
    assert_false(contains(saved, len, HOST_SID_PIN, strlen(HOST_SID_PIN)));
    assert_false(contains(saved, len, "user1-secret", strlen("user1-secret")));
    assert_false(contains(saved, len, range1_key, 16));
    assert_false(contains(saved, len, range1_key + 32, 16));

    assert_true(opal_tper_load(copy, saved, len, &error));
    assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1, "wrong",
                                          &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_locking_session(copy, OPAL_UID_USER(1),
                                          "user1-secret", &tsn),
                     0);
    host_end_session(copy, tsn);
    map = opal_media_map_new(copy);
    assert_int_equal(opal_media_check(map, 4096, 8, false),
                     OPAL_MEDIA_READ_LOCKED);
    assert_memory_not_equal(opal_media_key(map, 1), range1_key,
                            sizeof(range1_key));
    opal_media_map_free(map);
    /* Admin1, which holds a copy, unwraps it with its PIN. */
    assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    map = opal_media_map_new(copy);
    assert_memory_equal(opal_media_key(map, 1), range1_key, sizeof(range1_key));
    opal_media_map_free(map);
    host_end_session(copy, tsn);
    opal_tper_free(copy);
}

static bool record_changes(void *opaque, unsigned changes)
{
    *(unsigned *)opaque |= changes;
    return true;
}

/*
 * A store keeping the byte tables apart, as the device does in its image: chunk
 * -> bytes.
 */
static void store_write(void *opaque, uint64_t table_uid, uint64_t offset,
                        const uint8_t *data, uint64_t len)
{
    GHashTable *store = opaque;

    if (!data) {
        /* A Revert: the MBR (which this store keeps) and the DataStore. */
        if (table_uid == OPAL_UID_TABLE_MBR) {
            g_hash_table_remove_all(store);
        }
        return;
    }
    assert_int_equal(table_uid, OPAL_UID_TABLE_MBR);
    /* use_drive() writes within one chunk. */
    assert_int_equal(offset / OPAL_BYTE_TABLE_CHUNK,
                     (offset + len - 1) / OPAL_BYTE_TABLE_CHUNK);
    {
        gpointer key = GSIZE_TO_POINTER(offset / OPAL_BYTE_TABLE_CHUNK + 1);
        uint8_t *chunk = g_hash_table_lookup(store, key);

        if (!chunk) {
            chunk = g_malloc0(OPAL_BYTE_TABLE_CHUNK);
            g_hash_table_insert(store, key, chunk);
        }
        memcpy(chunk + offset % OPAL_BYTE_TABLE_CHUNK, data, len);
    }
}

static bool store_read(void *opaque, uint64_t table_uid, uint64_t offset,
                       uint8_t *buf, size_t len)
{
    uint8_t *chunk =
        g_hash_table_lookup(opaque, GSIZE_TO_POINTER(
                                        offset / OPAL_BYTE_TABLE_CHUNK + 1));

    assert_non_null(chunk); /* the map names only chunks that were written */
    memcpy(buf, chunk, len);
    return true;
}

static void test_byte_tables_apart(void **state)
{
    OpalTPer *tper = *state, *copy = new_tper();
    g_autoptr(GHashTable) store =
        g_hash_table_new_full(NULL, NULL, NULL, g_free);
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    char mbr[15];
    uint32_t tsn;
    size_t len;

    opal_tper_set_byte_listener(tper, store_write, store);
    use_drive(tper);
    assert_int_equal(g_hash_table_size(store), 1);
    saved = opal_tper_save_apart(tper, &len);
    assert_false(contains(saved, len, "pre-boot image", 14));
    assert_false(opal_tper_load(copy, saved, len, &error));
    assert_non_null(strstr(error, "no store"));
    assert_true(
        opal_tper_load_apart(copy, saved, len, store_read, store, &error));
    opal_tper_mbr_read(copy, 70000, (uint8_t *)mbr, sizeof(mbr));
    assert_string_equal(mbr, "pre-boot image");

    /* RevertSP zeroes the tables, and tells the store. */
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_THISSP,
                                     OPAL_UID_M_REVERTSP),
                     0);
    assert_int_equal(g_hash_table_size(store), 0);
    opal_tper_free(copy);
}

/*
 * Migration: a running drive's state carries an open session, the clear keys
 * of unlocked ranges and the KEKs; the copy goes on where the original was.
 * Such a state is not a saved state: loading it as one is refused.
 */
static void test_running_state(void **state)
{
    OpalTPer *tper = *state, *copy = new_tper();
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    OpalMediaMap *before, *after;
    uint32_t tsn;
    size_t len;

    use_drive(tper);
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_RANGE(1),
                                   OPAL_COL_LOCKING_READ_LOCKED, 0), 0);
    before = opal_media_map_new(tper);
    saved = opal_tper_save_running(tper, &len);
    assert_false(opal_tper_load(copy, saved, len, &error));
    assert_non_null(error);
    g_clear_pointer(&error, g_free);
    assert_true(opal_tper_load_running(copy, saved, len, &error));
    after = opal_media_map_new(copy);
    assert_int_equal(opal_media_check(after, 4096, 8, false), OPAL_MEDIA_OK);
    for (unsigned r = 0; r < opal_media_nr_keys(before); r++) {
        assert_memory_equal(opal_media_key(before, r), opal_media_key(after, r),
                            OPAL_MEDIA_KEY_LEN);
    }
    /* The session is still open, still Admin1's. */
    assert_int_equal(host_set_uint(copy, tsn, OPAL_UID_LOCKING_RANGE(1),
                                   OPAL_COL_LOCKING_READ_LOCKED, 1), 0);
    host_end_session(copy, tsn);
    opal_media_map_free(before);
    opal_media_map_free(after);
    opal_tper_free(copy);
}

/*
 * What a management interface shows of a drive in use, and a host-side PSID
 * revert.
 */
static void test_status_and_psid_revert(void **state)
{
    OpalTPer *tper = *state;
    OpalStatusReport *r;
    const OpalRangeStatus *range1 = NULL;
    const OpalAuthorityStatus *sid = NULL;
    unsigned changes = 0;
    uint32_t tsn;

    use_drive(tper);
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID, "wrong", &tsn),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    r = opal_tper_status(tper);
    assert_int_equal(r->admin_sp, OPAL_SP_MANUFACTURED);
    assert_int_equal(r->locking_sp, OPAL_SP_MANUFACTURED);
    for (guint i = 0; i < r->ranges->len; i++) {
        const OpalRangeStatus *s =
            &g_array_index(r->ranges, OpalRangeStatus, i);

        range1 = s->number == 1 ? s : range1;
    }
    for (guint i = 0; i < r->authorities->len; i++) {
        const OpalAuthorityStatus *a =
            &g_array_index(r->authorities, OpalAuthorityStatus, i);

        sid = a->uid == OPAL_UID_AUTH_SID ? a : sid;
    }
    assert_non_null(range1);
    assert_int_equal(range1->start, 4096);
    assert_int_equal(range1->length, 4096);
    assert_true(range1->read_lock_enabled && !range1->read_locked &&
                range1->key_in_memory);
    assert_int_equal(range1->lock_on_reset, 1u << OPAL_RESET_POWER_CYCLE);
    assert_non_null(sid);
    assert_string_equal(sid->name, "SID");
    assert_true(sid->enabled && sid->has_pin && !sid->locked_out);
    assert_int_equal(sid->tries, 1);
    assert_int_equal(r->sessions->len, 1);
    assert_int_equal(g_array_index(r->sessions, OpalSessionStatus, 0).sp,
                     OPAL_SP_LOCKING);
    assert_string_equal(
        g_array_index(r->sessions, OpalSessionStatus, 0).authorities[0],
        "Admin1");
    opal_status_report_free(r);

    opal_tper_set_change_listener(tper, record_changes, &changes);
    opal_tper_psid_revert(tper);
    assert_int_equal(changes, OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA);
    r = opal_tper_status(tper);
    assert_int_equal(r->locking_sp, OPAL_SP_MANUFACTURED_INACTIVE);
    assert_int_equal(r->sessions->len, 0);
    opal_status_report_free(r);
    /* The factory again: the MSID opens the AdminSP as SID. */
    assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                        host_test_config.msid, &tsn),
                     0);
    host_end_session(tper, tsn);
}

/*
 * Every way the bytes can be wrong is refused, and the drive keeps its state.
 */
static void test_refusals(void **state)
{
    OpalTPer *tper = *state, *target = new_tper();
    g_autofree uint8_t *saved = NULL, *fresh = NULL, *after = NULL;
    size_t len, fresh_len, after_len;
    OpalConfig small = host_test_config;
    OpalTPer *smaller;

    use_drive(tper);
    saved = opal_tper_save(tper, &len);
    fresh = opal_tper_save(target, &fresh_len);

    /*
     * Truncations (every one in the header and first records, then a stride
     * through the rest: each load builds a factory drive first), a flipped
     * header and a foreign kind of record.
     */
    for (size_t cut = 0; cut < len; cut += cut < 2048 ? 1 : 509) {
        g_autofree char *error = NULL;

        assert_false(opal_tper_load(target, saved, cut, &error));
        assert_non_null(error);
    }
    for (size_t at = 0; at < 16; at++) {
        g_autofree uint8_t *bad = g_memdup2(saved, len);
        g_autofree char *error = NULL;

        bad[at] ^= 0x40;
        assert_false(opal_tper_load(target, bad, len, &error));
    }
    {
        g_autofree uint8_t *bad = g_memdup2(saved, len);
        g_autofree char *error = NULL;

        bad[16] = 0x42; /* the first record's kind */
        assert_false(opal_tper_load(target, bad, len, &error));
        assert_non_null(strstr(error, "unknown record kind 66"));
    }
    after = opal_tper_save(target, &after_len);
    assert_int_equal(after_len, fresh_len);
    assert_memory_equal(after, fresh, fresh_len);

    /*
     * A drive with fewer ranges and a smaller MBR cannot take this state: it
     * says why.
     */
    small.nb_blocks = NB_BLOCKS;
    small.nr_ranges = 8;
    small.mbr_size = 64 * 1024;
    smaller = opal_tper_new(&small);
    {
        g_autofree char *error = NULL;

        assert_false(opal_tper_load(smaller, saved, len, &error));
        assert_non_null(strstr(error, "configured smaller"));
    }
    opal_tper_free(smaller);
    opal_tper_free(target);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_survives, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_pin_no_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byte_tables_apart, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_running_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_and_psid_revert, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
