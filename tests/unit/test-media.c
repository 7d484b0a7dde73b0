/*
 * The media view: extents, effective locks, shadow MBR and media keys as the
 * Locking SP's tables change through real method calls
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

/* 512 MiB, so that the 128 MiB shadow MBR area is smaller than the medium. */
#define NB_BLOCKS       (1024 * 1024)
#define SHADOW_BLOCKS   (128 * 1024 * 1024 / 512)

static int setup(void **state)
{
    OpalConfig config = host_test_config;

    config.nb_blocks = NB_BLOCKS;
    *state = opal_tper_new(&config);
    return 0;
}

static int teardown(void **state)
{
    opal_tper_free(*state);
    return 0;
}

/* Admin1 session on an owned, activated drive. */
static uint32_t admin1(OpalTPer *tper)
{
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    return tsn;
}

/* Range @n over [@start, @start + @length), both locks enabled, as given. */
static void set_range(OpalTPer *tper, uint32_t tsn, unsigned n, uint64_t start,
                      uint64_t length, bool read_locked, bool write_locked)
{
    uint64_t uid = OPAL_UID_LOCKING_RANGE(n);

    assert_int_equal(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_RANGE_START,
                                   start),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, uid,
                                   OPAL_COL_LOCKING_RANGE_LENGTH, length),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, uid,
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, uid,
                                   OPAL_COL_LOCKING_WRITE_LOCK_ENABLED, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_READ_LOCKED,
                                   read_locked),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, uid,
                                   OPAL_COL_LOCKING_WRITE_LOCKED, write_locked),
                     0);
}

static void test_factory_view(void **state)
{
    OpalMediaMap *map = opal_media_map_new(*state);
    const OpalMediaExtent *e = opal_media_lookup(map, 0);

    /* One extent, the global range, unlocked; no shadowing; a key per range. */
    assert_int_equal(e->start, 0);
    assert_int_equal(e->end, NB_BLOCKS);
    assert_int_equal(e->range, 0);
    assert_false(e->read_locked || e->write_locked);
    assert_ptr_equal(opal_media_lookup(map, NB_BLOCKS - 1), e);
    assert_null(opal_media_lookup(map, NB_BLOCKS));
    assert_int_equal(opal_media_shadow_blocks(map), 0);
    assert_int_equal(opal_media_nr_keys(map), host_test_config.nr_ranges + 1);
    assert_memory_not_equal(opal_media_key(map, 0), opal_media_key(map, 1),
                            OPAL_MEDIA_KEY_LEN);
    assert_int_equal(opal_media_check(map, 0, NB_BLOCKS, true), OPAL_MEDIA_OK);
    assert_int_equal(opal_media_check(map, NB_BLOCKS - 1, 2, false),
                     OPAL_MEDIA_OUT_OF_RANGE);
    assert_int_equal(opal_media_check(map, UINT64_MAX, 2, false),
                     OPAL_MEDIA_OUT_OF_RANGE);
    opal_media_map_free(map);
}

static void test_ranges_and_locks(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn = admin1(tper);
    OpalMediaMap *map;
    const OpalMediaExtent *e;

    /*
     * Range 2 before range 1 on the medium; range 1 read-only, range 2 fully
     * locked.
     */
    set_range(tper, tsn, 1, 4096, 4096, false, true);
    set_range(tper, tsn, 2, 1024, 1024, true, true);
    map = opal_media_map_new(tper);

    e = opal_media_lookup(map, 1023);
    assert_int_equal(e->range, 0);
    assert_int_equal(e->end, 1024);
    e = opal_media_lookup(map, 1024);
    assert_int_equal(e->range, 2);
    assert_true(e->read_locked && e->write_locked);
    e = opal_media_lookup(map, 2048);
    assert_int_equal(e->range, 0);
    assert_int_equal(e->end, 4096);
    e = opal_media_lookup(map, 8191);
    assert_int_equal(e->range, 1);
    assert_true(!e->read_locked && e->write_locked);
    e = opal_media_lookup(map, 8192);
    assert_int_equal(e->range, 0);
    assert_int_equal(e->end, NB_BLOCKS);

    /* One block either side of a locked range, and commands spanning ranges. */
    assert_int_equal(opal_media_check(map, 1023, 1, false), OPAL_MEDIA_OK);
    assert_int_equal(opal_media_check(map, 1023, 2, false),
                     OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(opal_media_check(map, 2047, 1, true),
                     OPAL_MEDIA_WRITE_LOCKED);
    assert_int_equal(opal_media_check(map, 2048, 2048, true), OPAL_MEDIA_OK);
    assert_int_equal(opal_media_check(map, 0, NB_BLOCKS, false),
                     OPAL_MEDIA_READ_LOCKED);
    /* Read-only range 1: reads pass, writes do not. */
    assert_int_equal(opal_media_check(map, 4000, 4192, false), OPAL_MEDIA_OK);
    assert_int_equal(opal_media_check(map, 4000, 97, true),
                     OPAL_MEDIA_WRITE_LOCKED);
    assert_int_equal(opal_media_check(map, 8192, 8, true), OPAL_MEDIA_OK);
    opal_media_map_free(map);

    /* RLE off: ReadLocked no longer counts (Core 5.7.2.2.9). */
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_RANGE(2),
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 0), 0);
    map = opal_media_map_new(tper);
    assert_int_equal(opal_media_check(map, 1024, 8, false), OPAL_MEDIA_OK);
    assert_int_equal(opal_media_check(map, 1024, 8, true),
                     OPAL_MEDIA_WRITE_LOCKED);
    opal_media_map_free(map);
    host_end_session(tper, tsn);
}

static void test_shadow_mbr(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn = admin1(tper);
    OpalMediaMap *map;

    /* Everything locked, shadowing on: the PBA boots from the MBR table. */
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE,
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1), 0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE,
                                   OPAL_COL_LOCKING_READ_LOCKED, 1), 0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_ENABLE, 1), 0);
    map = opal_media_map_new(tper);
    assert_int_equal(opal_media_shadow_blocks(map), SHADOW_BLOCKS);
    assert_int_equal(opal_media_check(map, 0, SHADOW_BLOCKS, false),
                     OPAL_MEDIA_OK);
    assert_int_equal(opal_media_check(map, SHADOW_BLOCKS - 1, 2, false),
                     OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(opal_media_check(map, 0, 1, true), OPAL_MEDIA_SHADOWED);
    assert_int_equal(opal_media_check(map, SHADOW_BLOCKS - 1, 1, true),
                     OPAL_MEDIA_SHADOWED);
    assert_int_equal(opal_media_check(map, SHADOW_BLOCKS, 1, true),
                     OPAL_MEDIA_OK);
    opal_media_map_free(map);

    /* Done: the real LBA 0 again, behind the global range's lock. */
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_DONE, 1), 0);
    map = opal_media_map_new(tper);
    assert_int_equal(opal_media_shadow_blocks(map), 0);
    assert_int_equal(opal_media_check(map, 0, 1, false),
                     OPAL_MEDIA_READ_LOCKED);
    opal_media_map_free(map);

    /*
     * A power cycle clears Done (DoneOnReset = {Power Cycle}): shadowing again.
     */
    host_end_session(tper, tsn);
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    map = opal_media_map_new(tper);
    assert_int_equal(opal_media_shadow_blocks(map), SHADOW_BLOCKS);
    opal_media_map_free(map);
}

/*
 * A guest reboot is a hardware reset: only ranges whose LockOnReset lists it
 * lock again.
 */
static void test_hardware_reset(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn = admin1(tper);
    static const uint64_t with_hw[] = { 0, 1 };
    OpalMediaMap *map;

    set_range(tper, tsn, 1, 4096, 4096, false, false);
    set_range(tper, tsn, 2, 16384, 4096, false, false);
    assert_int_equal(host_set_uint_list(tper, tsn, OPAL_UID_LOCKING_RANGE(1),
                                        OPAL_COL_LOCKING_LOCK_ON_RESET, with_hw,
                                        2),
                     0);
    host_end_session(tper, tsn);
    opal_tper_reset(tper, OPAL_RESET_HARDWARE);
    map = opal_media_map_new(tper);
    assert_int_equal(opal_media_check(map, 4096, 8, false),
                     OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(opal_media_check(map, 16384, 8, false), OPAL_MEDIA_OK);
    opal_media_map_free(map);
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    map = opal_media_map_new(tper);
    assert_int_equal(opal_media_check(map, 16384, 8, true),
                     OPAL_MEDIA_WRITE_LOCKED);
    opal_media_map_free(map);
}

static void test_gen_key_changes_key(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn = admin1(tper);
    OpalMediaMap *before = opal_media_map_new(tper), *after;

    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_K_AES_256_RANGE_KEY(1),
                                     OPAL_UID_M_GENKEY), 0);
    after = opal_media_map_new(tper);
    assert_memory_not_equal(opal_media_key(before, 1), opal_media_key(after, 1),
                            OPAL_MEDIA_KEY_LEN);
    assert_memory_equal(opal_media_key(before, 0), opal_media_key(after, 0),
                        OPAL_MEDIA_KEY_LEN);
    opal_media_map_free(before);
    opal_media_map_free(after);
    host_end_session(tper, tsn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_factory_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ranges_and_locks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shadow_mbr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hardware_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gen_key_changes_key, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
