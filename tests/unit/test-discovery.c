/*
 * Unit tests of the Level 0 Discovery encoder
 *
 * Each descriptor is compared byte for byte, reserved bytes included, with
 * what Opal SSC 2.02, 3.1.1 and the feature sets' own Level 0 sections ask
 * for; the state-dependent bits are checked in more than one state.
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

#define DISCOVERY_BUF   512

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
 * Asserts that descriptor @code of @tper's discovery data is exactly the 4
 * header bytes (code, @version_byte, @len) followed by @body (@len bytes).
 */
static void expect_descriptor(OpalTPer *tper, uint16_t code,
                              uint8_t version_byte, uint8_t len,
                              const uint8_t *body)
{
    uint8_t buf[DISCOVERY_BUF];
    long f;

    opal_discovery_encode(tper, buf, sizeof(buf));
    f = host_find_feature(buf, code);
    assert_true(f > 0);
    assert_int_equal(opal_get_be16(buf + f), code);
    assert_int_equal(buf[f + 2], version_byte);
    assert_int_equal(buf[f + 3], len);
    assert_memory_equal(buf + f + 4, body, len);
}

/* Core 3.3.6: the 48-byte header, then the descriptors in code order. */
static void test_header(void **state)
{
    static const uint16_t codes[] = {
        0x0001, 0x0002, 0x0003, 0x0201, 0x0202, 0x0203, 0x0402, 0x0404,
    };
    uint8_t buf[DISCOVERY_BUF];
    size_t len = opal_discovery_encode(*state, buf, sizeof(buf));
    size_t pos = 48;

    /*
     * 48-byte header + TPer, Locking, Single User Mode, DataStore, Block SID
     * (16 each), Geometry (32), Opal v2 (20), Data Removal Mechanism (36).
     */
    assert_int_equal(len, 48 + 16 + 16 + 32 + 16 + 16 + 20 + 16 + 36);
    assert_int_equal(opal_get_be32(buf), len - 4);  /* what follows it */
    assert_int_equal(opal_get_be32(buf + 4), 1);        /* revision 0.1 */
    for (size_t i = 8; i < 48; i++) {
        assert_int_equal(buf[i], 0);    /* reserved, vendor specific: nothing */
    }
    for (size_t i = 0; i < G_N_ELEMENTS(codes); i++) {
        assert_int_equal(opal_get_be16(buf + pos), codes[i]);
        pos += 4 + buf[pos + 3];
    }
    assert_int_equal(pos, len);
    for (size_t i = len; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], 0);
    }
}

/*
 * Opal SSC 2.02, 3.1.1.2: version 1, length 0x0C; Sync Supported and
 * Streaming Supported 1; ComID Mgmt Supported (VU) 0: no dynamic ComIDs;
 * Async, ACK/NAK and Buffer Mgmt (VU) 0; bytes 5-15 reserved.
 */
static void test_tper_descriptor(void **state)
{
    static const uint8_t body[12] = { 0x11 };

    expect_descriptor(*state, 0x0001, 0x10, 0x0c, body);
}

/*
 * Opal SSC 2.02, 3.1.1.3 and 3.1.1.3.1 (version 3: Opal SSC 2.30): Locking
 * Supported and Media Encryption 1, MBR Shadowing Not Supported 0, HW Reset
 * for LOR/DOR Supported 1; Locking Enabled, Locked, MBR Enabled and MBR
 * Done follow the Locking SP.
 */
static void test_locking_descriptor(void **state)
{
    OpalTPer *tper = *state;
    uint8_t body[12] = { 0x89 };
    uint32_t tsn;

    /* Manufactured-Inactive: Locking Enabled 0, nothing locked or shadowed. */
    expect_descriptor(tper, 0x0002, 0x30, 0x0c, body);

    host_take_ownership(tper);
    host_activate(tper);
    body[0] = 0x8b;                                     /* + Locking Enabled */
    expect_descriptor(tper, 0x0002, 0x30, 0x0c, body);

    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn), 0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_ENABLE, 1), 0);
    body[0] |= 0x10;                                    /* + MBR Enabled */
    expect_descriptor(tper, 0x0002, 0x30, 0x0c, body);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                                   OPAL_COL_MBRCONTROL_DONE, 1), 0);
    body[0] |= 0x20;                                    /* + MBR Done */
    expect_descriptor(tper, 0x0002, 0x30, 0x0c, body);

    /* Locked needs a lock that is also enabled. */
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE,
                                   OPAL_COL_LOCKING_WRITE_LOCKED, 1), 0);
    expect_descriptor(tper, 0x0002, 0x30, 0x0c, body);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE,
                                   OPAL_COL_LOCKING_WRITE_LOCK_ENABLED, 1),
                     0);
    body[0] |= 0x04;                                    /* + Locked */
    expect_descriptor(tper, 0x0002, 0x30, 0x0c, body);
    host_end_session(tper, tsn);
}

/*
 * Opal SSC 2.02, 3.1.1.4 (Core 3.3.6.6): version 1, length 0x1C; ALIGN
 * (byte 4 bit 0) 1, bytes 5-11 reserved, LogicalBlockSize (12-15) 512,
 * AlignmentGranularity (16-23) 8 blocks, LowestAlignedLBA (24-31) 0.
 */
static void test_geometry_descriptor(void **state)
{
    uint8_t body[0x1c] = { 0x01 };

    opal_put_be32(body + 8, 512);
    opal_put_be64(body + 12, 8);
    opal_put_be64(body + 20, 0);
    expect_descriptor(*state, 0x0003, 0x10, 0x1c, body);
}

/*
 * Single User Mode FS 1.00, Level 0 Discovery: version 1, length 0x0C;
 * bytes 4-7 the number of Locking objects that may be single-user, byte 8
 * bit 0 Any, bit 1 All, bit 2 Policy (the Admins place the ranges), the
 * rest reserved.
 */
static void test_sum_descriptor(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) params = g_byte_array_new();
    uint8_t body[12] = { 0 };

    opal_put_be32(body, 8);     /* the global range and Range1..7: User1..8 */
    expect_descriptor(tper, 0x0201, 0x10, 0x0c, body);

    /* Range1 single-user, its place the Admins': Any and Policy, not All. */
    opal_token_put_control(params, OPAL_TK_START_NAME);
    opal_token_put_uint(params, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_control(params, OPAL_TK_START_LIST);
    opal_token_put_uid(params, OPAL_UID_LOCKING_RANGE(1));
    opal_token_put_control(params, OPAL_TK_END_LIST);
    opal_token_put_control(params, OPAL_TK_END_NAME);
    host_put_named_uint(params, OPAL_SUM_PARAM_POLICY, 1);
    host_take_ownership(tper);
    assert_int_equal(host_activate_with(tper, OPAL_UID_LOCKINGSP, params), 0);
    body[4] = 0x05;
    expect_descriptor(tper, 0x0201, 0x10, 0x0c, body);
}

/* With one User more than ranges, the whole table may be single-user. */
static void test_sum_descriptor_all(void **state)
{
    OpalConfig config = host_test_config;
    g_autoptr(GByteArray) params = g_byte_array_new();
    uint8_t body[12] = { 0 };
    OpalTPer *tper;

    config.nr_users = config.nr_ranges + 1;
    tper = opal_tper_new(&config);
    opal_token_put_control(params, OPAL_TK_START_NAME);
    opal_token_put_uint(params, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_uid(params, OPAL_UID_TABLE_LOCKING);
    opal_token_put_control(params, OPAL_TK_END_NAME);
    host_take_ownership(tper);
    assert_int_equal(host_activate_with(tper, OPAL_UID_LOCKINGSP, params), 0);
    opal_put_be32(body, config.nr_ranges + 1);
    body[4] = 0x03;                             /* Any and All; policy 0 */
    expect_descriptor(tper, 0x0201, 0x10, 0x0c, body);
    opal_tper_free(tper);
}

/*
 * Additional DataStore Tables FS (DSFS 4.2.1): version 1, length 0x0C;
 * bytes 4-5 reserved, 6-7 maximum number of tables, 8-11 their maximum
 * total size, 12-15 the size alignment of the tables after the first.
 */
static void test_datastore_descriptor(void **state)
{
    uint8_t body[12] = { 0 };

    opal_put_be16(body + 2, 16);
    opal_put_be32(body + 4, 10 * 1024 * 1024);
    opal_put_be32(body + 8, 512);
    expect_descriptor(*state, 0x0202, 0x10, 0x0c, body);
}

/*
 * Opal SSC 2.02, 3.1.1.5: Feature Descriptor Version 2 and SSC Minor
 * Version 2 (Table 8: Opal SSC 2.02) in byte 2, length 0x10; Base ComID,
 * Number of ComIDs 1, Range Crossing Behavior 0, 4 Admins, 8 Users,
 * Initial C_PIN_SID PIN Indicator 0x00 (MSID), Behavior of C_PIN_SID PIN
 * upon TPer Revert 0x00 (MSID), bytes 15-19 reserved.
 */
static void test_opal_v2_descriptor(void **state)
{
    uint8_t body[0x10] = { 0 };

    opal_put_be16(body, OPAL_BASE_COMID);
    opal_put_be16(body + 2, 1);
    opal_put_be16(body + 5, 4);
    opal_put_be16(body + 7, 8);
    expect_descriptor(*state, 0x0203, 0x22, 0x10, body);
}

/*
 * Block SID Authentication FS 1.00: version 1, length 0x0C; byte 4 bit 0
 * SID Value State, bit 1 SID Authentication Blocked State, byte 5 bit 0
 * Hardware Reset, the rest reserved.
 */
static void test_block_sid_descriptor(void **state)
{
    uint8_t body[12] = { 0 };

    expect_descriptor(*state, 0x0402, 0x10, 0x0c, body);
}

/* A host buffer shorter than the response gets its prefix. */
/*
 * Opal SSC 2.02, 3.1.1.6, Tables 8 and 9: version 2, length 0x20; nothing
 * in progress or interrupted; Cryptographic Erase (bit 2) the only
 * mechanism, its time in seconds (format bit 2 clear), 1 = 2 seconds.
 */
static void test_data_removal_descriptor(void **state)
{
    uint8_t body[0x20] = { 0 };

    body[2] = 0x04;
    body[12 - 4 + 1] = 1;
    expect_descriptor(*state, 0x0404, 0x20, 0x20, body);
}

static void test_short_buffer(void **state)
{
    uint8_t full[DISCOVERY_BUF], part[52];

    opal_discovery_encode(*state, full, sizeof(full));
    opal_discovery_encode(*state, part, sizeof(part));
    assert_memory_equal(full, part, sizeof(part));
}

/* The Block SID bits follow SID's PIN and the Block SID command. */
static void test_block_sid_bits(void **state)
{
    OpalTPer *tper = *state;
    uint8_t cmd[512] = { 0x01 };
    uint8_t body[12] = { 0 };

    host_take_ownership(tper);
    body[0] = 0x01;             /* SID Value State: SID's PIN is not MSID's */
    expect_descriptor(tper, 0x0402, 0x10, 0x0c, body);
    assert_int_equal(opal_if_send(tper, 0x02, 0x0005, cmd, sizeof(cmd)),
                     OPAL_IF_OK);
    body[0] = 0x03;             /* + SID Authentication Blocked State */
    body[1] = 0x01;             /* Hardware Reset clears it */
    expect_descriptor(tper, 0x0402, 0x10, 0x0c, body);
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    body[0] = 0x01;
    body[1] = 0x00;
    expect_descriptor(tper, 0x0402, 0x10, 0x0c, body);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_header),
        T(test_tper_descriptor),
        T(test_locking_descriptor),
        T(test_geometry_descriptor),
        T(test_sum_descriptor),
        cmocka_unit_test(test_sum_descriptor_all),
        T(test_datastore_descriptor),
        T(test_opal_v2_descriptor),
        T(test_block_sid_descriptor),
        T(test_data_removal_descriptor),
        T(test_short_buffer),
        T(test_block_sid_bits),
    };

    return cmocka_run_group_tests_name("discovery", tests, NULL, NULL);
}
