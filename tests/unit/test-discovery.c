/*
 * Unit tests of the Level 0 Discovery encoder
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

static void test_header(void **state)
{
    OpalTPer *tper = opal_tper_new(&host_test_config);
    uint8_t buf[512];
    size_t len = opal_discovery_encode(tper, buf, sizeof(buf));

    /*
     * 48-byte header + TPer, Locking, Single User Mode, DataStore, Block SID (16
     * each), Geometry (32), Opal v2 (20).
     */
    assert_int_equal(len, 48 + 16 + 16 + 32 + 16 + 16 + 20 + 16);
    assert_int_equal(opal_get_be32(buf), len - 4);
    assert_int_equal(opal_get_be32(buf + 4), 1);
    for (size_t i = len; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0);
    }
    opal_tper_free(tper);
}

static void test_features(void **state)
{
    OpalTPer *tper = opal_tper_new(&host_test_config);
    uint8_t buf[512];
    long f;

    opal_discovery_encode(tper, buf, sizeof(buf));

    f = host_find_feature(buf, 0x0001);         /* TPer: Sync, ComID management */
    assert_true(f > 0);
    assert_int_equal(buf[f + 2], 0x10);
    assert_int_equal(buf[f + 3], 0x0c);
    assert_int_equal(buf[f + 4], 0x41);

    f = host_find_feature(buf, 0x0002);         /* Locking: supported, encrypting */
    assert_true(f > 0);
    assert_int_equal(buf[f + 4], 0x89);       /* + Hardware Reset for LOR/DOR supported */

    f = host_find_feature(buf, 0x0003);         /* Geometry */
    assert_true(f > 0);
    assert_int_equal(buf[f + 3], 0x1c);
    assert_int_equal(buf[f + 4], 0x01);
    assert_int_equal(opal_get_be32(buf + f + 12), 512);
    assert_int_equal(opal_get_be32(buf + f + 20), 8);
    assert_int_equal(opal_get_be32(buf + f + 28), 0);

    /* Additional DataStore Tables (DSFS 4.2.1): 16 tables, 10 MiB in all, 512-byte sizes. */
    f = host_find_feature(buf, 0x0202);
    assert_true(f > 0);
    assert_int_equal(buf[f + 2], 0x10);
    assert_int_equal(buf[f + 3], 0x0c);
    assert_int_equal(opal_get_be16(buf + f + 6), 16);
    assert_int_equal(opal_get_be32(buf + f + 8), 10 * 1024 * 1024);
    assert_int_equal(opal_get_be32(buf + f + 12), 512);

    f = host_find_feature(buf, 0x0203);         /* Opal SSC v2 */
    assert_true(f > 0);
    assert_int_equal(buf[f + 3], 0x10);
    assert_int_equal(opal_get_be16(buf + f + 4), 0x07fe);
    assert_int_equal(opal_get_be16(buf + f + 6), 1);
    assert_int_equal(opal_get_be16(buf + f + 9), 4);
    assert_int_equal(opal_get_be16(buf + f + 11), 8);

    f = host_find_feature(buf, 0x0402);         /* Block SID Authentication, version 1 */
    assert_true(f > 0);
    assert_int_equal(buf[f + 2], 0x10);
    assert_int_equal(buf[f + 3], 0x0c);
    assert_int_equal(buf[f + 4], 0x00);       /* SID's PIN is MSID's; not blocked */
    assert_int_equal(buf[f + 5], 0x00);       /* no Block SID command yet */
    assert_true(f > host_find_feature(buf, 0x0203));         /* in ascending feature code order */

    f = host_find_feature(buf, 0x0201);         /* Single User Mode, version 1 */
    assert_true(f > host_find_feature(buf, 0x0003) && f < host_find_feature(buf, 0x0202));
    assert_int_equal(buf[f + 2], 0x10);
    assert_int_equal(buf[f + 3], 0x0c);
    assert_int_equal(opal_get_be32(buf + f + 4), 8);   /* global range..Range7: User1..8 */
    assert_int_equal(buf[f + 8], 0x00);       /* none single-user, so no policy either */
    opal_tper_free(tper);
}

/* A host buffer shorter than the response gets its prefix. */
static void test_short_buffer(void **state)
{
    OpalTPer *tper = opal_tper_new(&host_test_config);
    uint8_t full[512], part[52];

    opal_discovery_encode(tper, full, sizeof(full));
    opal_discovery_encode(tper, part, sizeof(part));
    assert_memory_equal(full, part, sizeof(part));
    opal_tper_free(tper);
}

/* The Block SID descriptor's bits follow SID's PIN and the Block SID command. */
static void test_block_sid_bits(void **state)
{
    OpalTPer *tper = opal_tper_new(&host_test_config);
    uint8_t buf[512], cmd[512] = { 0x01 };
    long f;

    host_take_ownership(tper);
    opal_discovery_encode(tper, buf, sizeof(buf));
    f = host_find_feature(buf, 0x0402);
    assert_int_equal(buf[f + 4], 0x01);       /* SID Value State: SID's PIN is not MSID's */
    assert_int_equal(opal_if_send(tper, 0x02, 0x0005, cmd, sizeof(cmd)), OPAL_IF_OK);
    opal_discovery_encode(tper, buf, sizeof(buf));
    assert_int_equal(buf[f + 4], 0x03);       /* + SID Authentication Blocked State */
    assert_int_equal(buf[f + 5], 0x01);       /* Hardware Reset clears it */
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    opal_discovery_encode(tper, buf, sizeof(buf));
    assert_int_equal(buf[f + 4], 0x01);
    assert_int_equal(buf[f + 5], 0x00);
    opal_tper_free(tper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_block_sid_bits),
    };

    return cmocka_run_group_tests_name("discovery", tests, NULL, NULL);
}
