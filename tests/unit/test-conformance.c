/*
 * A conformance suite after the TCG Storage Opal Family Test Cases v1.00
 * (Use Case Tests UCT-nn, Specific Functionality Tests SPF-nn and Error
 * Test Cases ETC-nn): one test per case, named after it, its steps and
 * expected results checked through real packets.  What a guest sees of the
 * medium is the engine's media view: a read or write the view refuses is the
 * case's "Data Protection Error"; data written under a range's media key
 * reads back as written while that key stays ("matches the MAGIC_PATTERN")
 * and not once the key changed.  A power cycle is opal_tper_reset().
 *
 * Cases not here: see the comment before main().
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

/*
 * The test cases' LAST_REQUIRED_USER and LAST_REQUIRED_RANGE: the last of
 * the 8 Users and 8 ranges the Opal SSC requires of a Locking SP.
 */
#define LAST_USER           OPAL_UID_USER(8)
#define LAST_RANGE          8
#define USER1               OPAL_UID_USER(1)
#define ADMIN1              OPAL_UID_AUTH_ADMIN1
#define ADMIN1_PIN          "admin1-password"
#define USER1_PIN           "user1-password"
#define LAST_USER_PIN       "user8-password"
#define ADMINSP_ADMIN1_PIN  "adminsp-admin1-password"
#define TRY_LIMIT           5
/* Past the 128 MiB shadow MBR area, aligned to the 8-block granularity. */
#define RANGE_START         (512 * 1024)
#define RANGE_BLOCKS        4096
#define NB_BLOCKS           (1024 * 1024)
#define MBR_BLOCKS          (128 * 1024 * 1024 / 512)
#define MAGIC               "MAGIC_PATTERN of the conformance suite"

static int setup(void **state)
{
    OpalConfig config = host_test_config;

    config.nb_blocks = NB_BLOCKS;
    config.datastore_size = 1024 * 1024;
    config.locking_pin_try_limit = TRY_LIMIT;
    *state = opal_tper_new(&config);
    return 0;
}

static int teardown(void **state)
{
    opal_tper_free(*state);
    return 0;
}

/* ---- what a guest sees of the medium ---- */

static OpalMediaVerdict media(OpalTPer *tper, uint64_t lba, uint64_t count,
                              bool write)
{
    OpalMediaMap *map = opal_media_map_new(tper);
    OpalMediaVerdict v = opal_media_check(map, lba, count, write);

    opal_media_map_free(map);
    return v;
}

static uint64_t shadow_blocks(OpalTPer *tper)
{
    OpalMediaMap *map = opal_media_map_new(tper);
    uint64_t n = opal_media_shadow_blocks(map);

    opal_media_map_free(map);
    return n;
}

/* The media key of @range (0: global) now, which data written reads under. */
static void media_key(OpalTPer *tper, unsigned range,
                      uint8_t key[OPAL_MEDIA_KEY_LEN])
{
    OpalMediaMap *map = opal_media_map_new(tper);

    memcpy(key, opal_media_key(map, range), OPAL_MEDIA_KEY_LEN);
    opal_media_map_free(map);
}

/* Writes the MAGIC_PATTERN to @range: remembers the key it is under. */
static void write_magic(OpalTPer *tper, unsigned range, uint64_t lba,
                        uint64_t count, uint8_t key[OPAL_MEDIA_KEY_LEN])
{
    assert_int_equal(media(tper, lba, count, true), OPAL_MEDIA_OK);
    media_key(tper, range, key);
}

/* Whether a read of @range now returns what was written under @key. */
static bool reads_back(OpalTPer *tper, unsigned range,
                       const uint8_t key[OPAL_MEDIA_KEY_LEN])
{
    uint8_t now[OPAL_MEDIA_KEY_LEN];

    media_key(tper, range, now);
    return !memcmp(now, key, OPAL_MEDIA_KEY_LEN);
}

static void power_cycle(OpalTPer *tper)
{
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
}

/* ---- sessions and calls the cases repeat ---- */

/* StartSession on @sp as @authority and CLOSE_SESSION: its status. */
static uint64_t try_session(OpalTPer *tper, uint64_t sp, uint64_t authority,
                            const char *pin)
{
    uint32_t tsn;
    uint64_t status = host_start_session(tper, sp, true, authority, pin, &tsn);

    if (status == OPAL_ST_SUCCESS) {
        host_end_session(tper, tsn);
    }
    return status;
}

static uint32_t session(OpalTPer *tper, uint64_t sp, uint64_t authority,
                        const char *pin)
{
    uint32_t tsn;

    assert_int_equal(host_start_session(tper, sp, true, authority, pin, &tsn),
                     OPAL_ST_SUCCESS);
    return tsn;
}

/* The uinteger in column @column of @object. */
static uint64_t get_uint(OpalTPer *tper, uint32_t tsn, uint64_t object,
                         uint64_t column)
{
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *t;

    assert_int_equal(host_get_columns(tper, tsn, object, column, column, &r),
                     OPAL_ST_SUCCESS);
    t = host_cell(r, column);
    assert_non_null(t);
    assert_int_equal(t->type, OPAL_TOKEN_UINT);
    return t->uint;
}

static void set_uint(OpalTPer *tper, uint32_t tsn, uint64_t object,
                     uint64_t column, uint64_t value)
{
    assert_int_equal(host_set_uint(tper, tsn, object, column, value),
                     OPAL_ST_SUCCESS);
}

static void set_locks(OpalTPer *tper, uint32_t tsn, uint64_t range,
                      bool read_locked, bool write_locked)
{
    set_uint(tper, tsn, range, OPAL_COL_LOCKING_READ_LOCKED, read_locked);
    set_uint(tper, tsn, range, OPAL_COL_LOCKING_WRITE_LOCKED, write_locked);
}

static void set_lock_enables(OpalTPer *tper, uint32_t tsn, uint64_t range,
                             bool read, bool write)
{
    set_uint(tper, tsn, range, OPAL_COL_LOCKING_READ_LOCK_ENABLED, read);
    set_uint(tper, tsn, range, OPAL_COL_LOCKING_WRITE_LOCK_ENABLED, write);
}

static uint64_t set_extent(OpalTPer *tper, uint32_t tsn, uint64_t range,
                           uint64_t start, uint64_t length)
{
    uint64_t st = host_set_uint(tper, tsn, range, OPAL_COL_LOCKING_RANGE_START,
                                start);

    return st ? st : host_set_uint(tper, tsn, range,
                                   OPAL_COL_LOCKING_RANGE_LENGTH, length);
}

/* Admin1's session on the Locking SP after UCT-04 (its PIN is SID's). */
static uint32_t admin1_session(OpalTPer *tper)
{
    return session(tper, OPAL_UID_LOCKINGSP, ADMIN1, HOST_SID_PIN);
}

static uint32_t anybody_session(OpalTPer *tper, uint64_t sp)
{
    return session(tper, sp, 0, NULL);
}

/* RevertSP in @tsn, with KeepGlobalRangeKey if @keep is 0 or 1 (-1: none). */
static uint64_t revert_sp(OpalTPer *tper, uint32_t tsn, int keep)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP);
    if (keep >= 0) {
        host_put_named_uint(b, 0x060000, keep);         /* KeepGlobalRangeKey */
    }
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

/* The session @tsn is gone: the TPer answers nothing in it. */
static void assert_session_gone(OpalTPer *tper, uint32_t tsn)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_null(r->tokens);
}

/* An IF-RECV answered "All Response(s) returned - no further data". */
static void assert_no_further_data(OpalTPer *tper)
{
    g_autoptr(HostResponse) r = host_receive(tper);

    assert_null(r->tokens);
}

/*
 * An IF-RECV that answers "no further data" or the TPer's CloseSession of
 * @tsn, which the cases accept alike; true if the session was closed.
 */
static bool no_data_or_close_session(OpalTPer *tper, uint32_t tsn)
{
    g_autoptr(HostResponse) r = host_receive(tper);

    if (!r->tokens) {
        return false;
    }
    assert_int_equal(r->pkt.tsn, 0);
    assert_int_equal(opal_get_be64(host_token(r, 2)->bytes),
                     OPAL_UID_SM_CLOSE_SESSION);
    assert_int_equal(host_token(r, 5)->uint, tsn);
    return true;
}

/* Level 0 Discovery (protocol 1, ComID 0x0001) into @buf. */
static void discovery(OpalTPer *tper, uint8_t *buf, size_t len)
{
    assert_int_equal(opal_if_recv(tper, 0x01, 0x0001, buf, len), OPAL_IF_OK);
}

/* Byte 10 of the Opal SSC V2 descriptor: SID's PIN after a TPer Revert. */
static uint8_t sid_pin_after_revert(OpalTPer *tper)
{
    uint8_t buf[512];
    long f;

    discovery(tper, buf, sizeof(buf));
    f = host_find_feature(buf, 0x0203);
    assert_true(f > 0);
    return buf[f + 4 + 10];
}

/* ---- the Use Case Tests, each on the state the ones before it leave ---- */

/* UCT-03 on a factory drive; Opal 2: also AdminSP's Admin1, enabled. */
static void uct03_take_ownership(OpalTPer *tper)
{
    uint32_t tsn;

    host_take_ownership(tper);
    tsn = session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_ADMINSP_C_PIN_ADMIN(1),
                                  ADMINSP_ADMIN1_PIN), OPAL_ST_SUCCESS);
    set_uint(tper, tsn, OPAL_UID_ADMINSP_ADMIN(1), OPAL_COL_AUTHORITY_ENABLED,
             1);
    host_end_session(tper, tsn);
}

static void uct04_activate(OpalTPer *tper)
{
    uct03_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, ADMIN1,
                                 HOST_SID_PIN), OPAL_ST_SUCCESS);
}

static void uct05_configure_authorities(OpalTPer *tper)
{
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_ADMIN1,
                                  ADMIN1_PIN), OPAL_ST_SUCCESS);
    set_uint(tper, tsn, USER1, OPAL_COL_AUTHORITY_ENABLED, 1);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1),
                                  USER1_PIN), OPAL_ST_SUCCESS);
    set_uint(tper, tsn, LAST_USER, OPAL_COL_AUTHORITY_ENABLED, 1);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(8),
                                  LAST_USER_PIN), OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, ADMIN1, ADMIN1_PIN),
                     OPAL_ST_SUCCESS);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, USER1, USER1_PIN),
                     OPAL_ST_SUCCESS);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, LAST_USER,
                                 LAST_USER_PIN), OPAL_ST_SUCCESS);
}

static const uint64_t users[] = { USER1, LAST_USER };

/* UCT-06; returns the key the MAGIC_PATTERN of steps #6-7 is under. */
static void uct06_configure_range(OpalTPer *tper,
                                  uint8_t key[OPAL_MEDIA_KEY_LEN])
{
    uint64_t range = OPAL_UID_LOCKING_RANGE(LAST_RANGE);
    static const uint64_t power_cycle_only[] = { 0 };
    uint32_t tsn;

    uct05_configure_authorities(tper);
    tsn = session(tper, OPAL_UID_LOCKINGSP, ADMIN1, ADMIN1_PIN);
    assert_int_equal(set_extent(tper, tsn, range, RANGE_START, RANGE_BLOCKS),
                     OPAL_ST_SUCCESS);
    set_lock_enables(tper, tsn, range, true, true);
    set_locks(tper, tsn, range, false, false);
    assert_int_equal(host_set_uint_list(tper, tsn, range,
                                        OPAL_COL_LOCKING_LOCK_ON_RESET,
                                        power_cycle_only, 1), OPAL_ST_SUCCESS);
    assert_int_equal(host_set_ace(tper, tsn,
                     OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(LAST_RANGE),
                     users, 2), OPAL_ST_SUCCESS);
    assert_int_equal(host_set_ace(tper, tsn,
                     OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(LAST_RANGE),
                     users, 2), OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
    /* Steps #6-7: the range takes the MAGIC_PATTERN and reads it back. */
    write_magic(tper, LAST_RANGE, RANGE_START, RANGE_BLOCKS, key);
    assert_int_equal(media(tper, RANGE_START, RANGE_BLOCKS, false),
                     OPAL_MEDIA_OK);
    assert_true(reads_back(tper, LAST_RANGE, key));
    power_cycle(tper);
    /* Steps #9-10: Data Protection Error. */
    assert_int_equal(media(tper, RANGE_START, RANGE_BLOCKS, false),
                     OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(media(tper, RANGE_START, RANGE_BLOCKS, true),
                     OPAL_MEDIA_WRITE_LOCKED);
}

static void uct07_unlock_range(OpalTPer *tper, uint8_t key[OPAL_MEDIA_KEY_LEN])
{
    uint32_t tsn;

    uct06_configure_range(tper, key);
    tsn = session(tper, OPAL_UID_LOCKINGSP, USER1, USER1_PIN);
    set_locks(tper, tsn, OPAL_UID_LOCKING_RANGE(LAST_RANGE), false, false);
    host_end_session(tper, tsn);
    assert_int_equal(media(tper, RANGE_START, RANGE_BLOCKS, false),
                     OPAL_MEDIA_OK);
    assert_true(reads_back(tper, LAST_RANGE, key));
}

/* UCT-10; @ones: the key of the 1s step #5 writes over the range. */
static void uct10_enable_mbr_shadowing(OpalTPer *tper,
                                       uint8_t ones[OPAL_MEDIA_KEY_LEN])
{
    uint8_t key[OPAL_MEDIA_KEY_LEN], mbr[sizeof(MAGIC)];
    uint32_t tsn;

    uct07_unlock_range(tper, key);
    tsn = session(tper, OPAL_UID_LOCKINGSP, ADMIN1, ADMIN1_PIN);
    assert_int_equal(host_set_ace(tper, tsn,
                                  OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR,
                                  users, 2), OPAL_ST_SUCCESS);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_TABLEROW_MBR,
                              OPAL_COL_TABLE_ROWS), MBR_BLOCKS * 512);
    write_magic(tper, LAST_RANGE, RANGE_START, RANGE_BLOCKS, ones);
    assert_int_equal(host_write_bytes(tper, tsn, OPAL_UID_TABLE_MBR, 0, MAGIC,
                                      sizeof(MAGIC)), OPAL_ST_SUCCESS);
    set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ, OPAL_COL_MBRCONTROL_ENABLE, 1);
    host_end_session(tper, tsn);
    power_cycle(tper);
    /* Step #10: Data Protection Error. */
    assert_int_equal(media(tper, RANGE_START, RANGE_BLOCKS, true),
                     OPAL_MEDIA_WRITE_LOCKED);
    /* Step #11: LBA 0 on shows the MBR table, MAGIC_PATTERN and all. */
    assert_int_equal(shadow_blocks(tper), MBR_BLOCKS);
    assert_int_equal(media(tper, 0, MBR_BLOCKS, false), OPAL_MEDIA_OK);
    opal_tper_mbr_read(tper, 0, mbr, sizeof(mbr));
    assert_memory_equal(mbr, MAGIC, sizeof(MAGIC));
    /*
     * Step #12: the 10 blocks after it are the medium's, readable; that
     * they read as 0s is the device model's to show (never written here).
     */
    assert_int_equal(media(tper, MBR_BLOCKS, 10, false), OPAL_MEDIA_OK);
}

/* UCT-01 Level 0 Discovery */
static void test_uct_01_level0_discovery(void **state)
{
    uint8_t buf[512];
    long f;

    discovery(*state, buf, sizeof(buf));
    f = host_find_feature(buf, 0x0002);                 /* Locking */
    assert_true(f > 0);
    assert_true(buf[f + 4] & 0x08);                     /* Media Encryption */
    assert_true(buf[f + 4] & 0x01);                     /* Locking Supported */
    assert_true(host_find_feature(buf, 0x0203) > 0);    /* Opal SSC V2 */
}

/* UCT-03 Taking Ownership of an SD */
static void test_uct_03_taking_ownership(void **state)
{
    uct03_take_ownership(*state);
    assert_int_equal(try_session(*state, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID,
                                 HOST_SID_PIN), OPAL_ST_SUCCESS);
    assert_int_equal(try_session(*state, OPAL_UID_ADMINSP,
                                 OPAL_UID_ADMINSP_ADMIN(1), ADMINSP_ADMIN1_PIN),
                     OPAL_ST_SUCCESS);
}

/* UCT-04 Activate Locking SP when in Manufactured-Inactive State */
static void test_uct_04_activate_locking_sp(void **state)
{
    uct04_activate(*state);
}

/* UCT-05 Configuring Authorities */
static void test_uct_05_configuring_authorities(void **state)
{
    uct05_configure_authorities(*state);
}

/* UCT-06 Configuring Locking Objects (Locking Ranges) */
static void test_uct_06_configuring_locking_objects(void **state)
{
    uint8_t key[OPAL_MEDIA_KEY_LEN];

    uct06_configure_range(*state, key);
}

/* UCT-07 Unlocking Ranges */
static void test_uct_07_unlocking_ranges(void **state)
{
    uint8_t key[OPAL_MEDIA_KEY_LEN];

    uct07_unlock_range(*state, key);
}

/* UCT-08 Erasing Ranges */
static void test_uct_08_erasing_ranges(void **state)
{
    OpalTPer *tper = *state;
    uint8_t key[OPAL_MEDIA_KEY_LEN];
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *active;
    uint32_t tsn;

    uct07_unlock_range(tper, key);
    write_magic(tper, LAST_RANGE, RANGE_START, RANGE_BLOCKS, key);
    tsn = session(tper, OPAL_UID_LOCKINGSP, ADMIN1, ADMIN1_PIN);
    assert_int_equal(host_get_columns(tper, tsn,
                                      OPAL_UID_LOCKING_RANGE(LAST_RANGE),
                                      OPAL_COL_LOCKING_ACTIVE_KEY,
                                      OPAL_COL_LOCKING_ACTIVE_KEY, &r),
                     OPAL_ST_SUCCESS);
    active = host_cell(r, OPAL_COL_LOCKING_ACTIVE_KEY);
    assert_non_null(active);
    assert_int_equal(active->len, 8);
    assert_int_equal(host_call_plain(tper, tsn, opal_get_be64(active->bytes),
                                     OPAL_UID_M_GENKEY), OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
    assert_false(reads_back(tper, LAST_RANGE, key));
}

/* UCT-09 Using the DataStore Table */
static void test_uct_09_using_the_datastore_table(void **state)
{
    OpalTPer *tper = *state;
    static const uint64_t admins_user1[] = { OPAL_UID_AUTH_ADMINS, USER1 };
    const size_t size = 1024 * 1024, chunk = 16 * 1024, back = 1024;
    g_autofree uint8_t *magic = g_malloc(size);
    uint8_t buf[1024];
    uint32_t tsn;

    for (size_t i = 0; i < size; i++) {
        magic[i] = MAGIC[i % (sizeof(MAGIC) - 1)];
    }
    uct05_configure_authorities(tper);
    tsn = session(tper, OPAL_UID_LOCKINGSP, ADMIN1, ADMIN1_PIN);
    assert_int_equal(host_set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_SET_ALL,
                                  admins_user1, 2), OPAL_ST_SUCCESS);
    assert_int_equal(host_set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_GET_ALL,
                                  admins_user1, 2), OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
    tsn = session(tper, OPAL_UID_LOCKINGSP, USER1, USER1_PIN);
    for (size_t off = 0; off < size; off += chunk) {
        assert_int_equal(host_write_bytes(tper, tsn, OPAL_UID_TABLE_DATASTORE,
                                          off, magic + off, chunk),
                         OPAL_ST_SUCCESS);
    }
    host_end_session(tper, tsn);
    /* Read back in pieces that fit the host's 2048-byte MaxComPacketSize. */
    tsn = session(tper, OPAL_UID_LOCKINGSP, USER1, USER1_PIN);
    for (size_t off = 0; off < size; off += back) {
        assert_int_equal(host_read_bytes(tper, tsn, OPAL_UID_TABLE_DATASTORE,
                                         off, buf, back), OPAL_ST_SUCCESS);
        assert_memory_equal(buf, magic + off, back);
    }
    host_end_session(tper, tsn);
}

/* UCT-10 Enable MBR Shadowing */
static void test_uct_10_enable_mbr_shadowing(void **state)
{
    uint8_t ones[OPAL_MEDIA_KEY_LEN];

    uct10_enable_mbr_shadowing(*state, ones);
}

/* UCT-11 MBR Done */
static void test_uct_11_mbr_done(void **state)
{
    OpalTPer *tper = *state;
    uint8_t ones[OPAL_MEDIA_KEY_LEN];
    uint32_t tsn;

    uct10_enable_mbr_shadowing(tper, ones);
    tsn = session(tper, OPAL_UID_LOCKINGSP, LAST_USER, LAST_USER_PIN);
    set_locks(tper, tsn, OPAL_UID_LOCKING_RANGE(LAST_RANGE), false, false);
    set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ, OPAL_COL_MBRCONTROL_DONE, 1);
    host_end_session(tper, tsn);
    assert_int_equal(shadow_blocks(tper), 0);
    assert_int_equal(media(tper, RANGE_START, RANGE_BLOCKS, false),
                     OPAL_MEDIA_OK);
    assert_true(reads_back(tper, LAST_RANGE, ones));
}

/*
 * Steps #1-#8 of UCT-13 to UCT-16: the MAGIC_PATTERN over 64 blocks at
 * LBA 0, a Revert of the Admin SP by @authority, SID's PIN as Discovery
 * says it is after it, no Locking SP.  True if the data reads back.
 */
static bool revert_admin_sp(OpalTPer *tper, uint64_t authority,
                            const char *pin)
{
    uint8_t key[OPAL_MEDIA_KEY_LEN];
    uint32_t tsn;

    write_magic(tper, 0, 0, 64, key);
    tsn = session(tper, OPAL_UID_ADMINSP, authority, pin);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_ADMINSP,
                                     OPAL_UID_M_REVERT), OPAL_ST_SUCCESS);
    /* The TPer ended the session itself (Opal 5.1.2.1). */
    assert_session_gone(tper, tsn);
    assert_int_equal(sid_pin_after_revert(tper), 0);
    assert_int_equal(try_session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID,
                                 host_test_config.msid), OPAL_ST_SUCCESS);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, 0, NULL),
                     OPAL_ST_INVALID_PARAMETER);
    return reads_back(tper, 0, key);
}

/*
 * UCT-12 Revert the Locking SP using SID, with Locking SP in Manufactured
 * state
 */
static void test_uct_12_revert_locking_sp_using_sid(void **state)
{
    OpalTPer *tper = *state;
    uint8_t key[OPAL_MEDIA_KEY_LEN];
    uint32_t tsn;

    uct04_activate(tper);
    write_magic(tper, 0, 0, 64, key);
    tsn = session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_LOCKINGSP,
                                     OPAL_UID_M_REVERT), OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, 0, NULL),
                     OPAL_ST_INVALID_PARAMETER);
    assert_false(reads_back(tper, 0, key));
}

/*
 * UCT-13 Revert the Admin SP using SID, with Locking SP in
 * Manufactured-Inactive state
 */
static void test_uct_13_revert_admin_sp_using_sid_inactive(void **state)
{
    uct03_take_ownership(*state);
    assert_true(revert_admin_sp(*state, OPAL_UID_AUTH_SID, HOST_SID_PIN));
}

/*
 * UCT-14 Revert the Admin SP using SID, with Locking SP in Manufactured
 * state
 */
static void test_uct_14_revert_admin_sp_using_sid(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn;

    uct04_activate(tper);
    /* Determining support for Revert: its MethodID row answers a Get. */
    tsn = anybody_session(tper, OPAL_UID_ADMINSP);
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_M_REVERT, 0, 0, &r),
                     OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
    assert_false(revert_admin_sp(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN));
}

/* UCT-15 Revert Admin SP using Admin1, with Locking SP in Manufactured state */
static void test_uct_15_revert_admin_sp_using_admin1(void **state)
{
    uct04_activate(*state);
    assert_false(revert_admin_sp(*state, OPAL_UID_ADMINSP_ADMIN(1),
                                 ADMINSP_ADMIN1_PIN));
}

/* UCT-16 Revert Admin SP using PSID, with Locking SP in Manufactured state */
static void test_uct_16_revert_admin_sp_using_psid(void **state)
{
    uct04_activate(*state);
    assert_false(revert_admin_sp(*state, OPAL_UID_AUTH_PSID,
                                 host_test_config.psid));
}

/* ---- Specific Functionality Tests ---- */

/* SPF-02 IF-RECV Behavior Tests */
static void test_spf_02_if_recv_behavior(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    uint8_t one_block[512];
    uint32_t tsn, need;

    /* Case 1: an IF-RECV while the TPer awaits an IF-SEND. */
    assert_no_further_data(tper);

    /* Case 2: 1024 DataStore rows for an IF-RECV of one block. */
    uct04_activate(tper);
    tsn = admin1_session(tper);
    host_call_begin(b, OPAL_UID_TABLE_DATASTORE, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 1, 0);
    host_put_named_uint(b, 2, 1023);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    host_send(tper, tsn, b);
    assert_int_equal(opal_if_recv(tper, 0x01, OPAL_BASE_COMID, one_block,
                                  sizeof(one_block)), OPAL_IF_OK);
    /* "Response ready, insufficient transfer length request" (Core 3.3.10.4) */
    need = opal_get_be32(one_block + 12);
    assert_true(need > sizeof(one_block));
    assert_int_equal(opal_get_be32(one_block + 8), need);
    assert_int_equal(opal_get_be32(one_block + 16), 0);
    r = host_receive(tper);
    assert_int_equal(host_status(r), OPAL_ST_SUCCESS);
    assert_int_equal(host_token(r, 1)->len, 1024);
    host_end_session(tper, tsn);
}

/* SPF-03 TryLimit */
static void test_spf_03_trylimit(void **state)
{
    static const struct {
        uint64_t sp, authority, cpin;
        const char *pin;
    } who[] = {
        { OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, OPAL_UID_C_PIN_SID,
          HOST_SID_PIN },
        { OPAL_UID_LOCKINGSP, ADMIN1, OPAL_UID_C_PIN_ADMIN1, ADMIN1_PIN },
        { OPAL_UID_LOCKINGSP, USER1, OPAL_UID_C_PIN_USER(1), USER1_PIN },
    };
    OpalTPer *tper = *state;
    uint64_t limit[G_N_ELEMENTS(who)];
    uint32_t tsn;

    uct05_configure_authorities(tper);
    tsn = session(tper, OPAL_UID_LOCKINGSP, ADMIN1, ADMIN1_PIN);
    limit[1] = get_uint(tper, tsn, who[1].cpin, OPAL_COL_C_PIN_TRY_LIMIT);
    limit[2] = get_uint(tper, tsn, who[2].cpin, OPAL_COL_C_PIN_TRY_LIMIT);
    host_end_session(tper, tsn);
    tsn = session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    limit[0] = get_uint(tper, tsn, who[0].cpin, OPAL_COL_C_PIN_TRY_LIMIT);
    host_end_session(tper, tsn);

    for (size_t i = 0; i < G_N_ELEMENTS(who); i++) {
        assert_true(limit[i] > 0);      /* no step of this case is NA here */
        for (uint64_t n = 0; n < limit[i]; n++) {
            assert_int_equal(try_session(tper, who[i].sp, who[i].authority,
                                         "wrong"), OPAL_ST_NOT_AUTHORIZED);
        }
        assert_int_equal(try_session(tper, who[i].sp, who[i].authority,
                                     who[i].pin),
                         OPAL_ST_AUTHORITY_LOCKED_OUT);
    }
}

/* SPF-04 Tries Reset */
static void test_spf_04_tries_reset(void **state)
{
    static const struct {
        uint64_t sp, authority, cpin, reader;
        const char *pin, *reader_pin;
    } who[] = {
        { OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, OPAL_UID_C_PIN_SID,
          OPAL_UID_AUTH_SID, HOST_SID_PIN, HOST_SID_PIN },
        { OPAL_UID_LOCKINGSP, ADMIN1, OPAL_UID_C_PIN_ADMIN1, ADMIN1,
          ADMIN1_PIN, ADMIN1_PIN },
        { OPAL_UID_LOCKINGSP, USER1, OPAL_UID_C_PIN_USER(1), ADMIN1,
          USER1_PIN, ADMIN1_PIN },
    };
    OpalTPer *tper = *state;
    uint32_t tsn;

    uct05_configure_authorities(tper);
    for (size_t i = 0; i < G_N_ELEMENTS(who); i++) {
        uint64_t limit;

        tsn = session(tper, who[i].sp, who[i].reader, who[i].reader_pin);
        /* Step #1: the case applies to a PIN whose Tries do not persist. */
        assert_int_equal(get_uint(tper, tsn, who[i].cpin,
                                  OPAL_COL_C_PIN_PERSISTENCE), 0);
        limit = get_uint(tper, tsn, who[i].cpin, OPAL_COL_C_PIN_TRY_LIMIT);
        host_end_session(tper, tsn);
        assert_true(limit > 1);
        for (uint64_t n = 0; n + 1 < limit; n++) {
            assert_int_equal(try_session(tper, who[i].sp, who[i].authority,
                                         "wrong"), OPAL_ST_NOT_AUTHORIZED);
        }
        assert_int_equal(try_session(tper, who[i].sp, who[i].authority,
                                     who[i].pin), OPAL_ST_SUCCESS);
        tsn = session(tper, who[i].sp, who[i].reader, who[i].reader_pin);
        assert_int_equal(get_uint(tper, tsn, who[i].cpin,
                                  OPAL_COL_C_PIN_TRIES), 0);
        host_end_session(tper, tsn);
    }
}

/* SPF-05 Tries Reset on Power Cycle */
static void test_spf_05_tries_reset_on_power_cycle(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    uct05_configure_authorities(tper);
    assert_int_equal(try_session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID,
                                 "wrong"), OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, ADMIN1, "wrong"),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, USER1, "wrong"),
                     OPAL_ST_NOT_AUTHORIZED);
    power_cycle(tper);
    tsn = session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_C_PIN_SID,
                              OPAL_COL_C_PIN_TRIES), 0);
    host_end_session(tper, tsn);
    tsn = session(tper, OPAL_UID_LOCKINGSP, ADMIN1, ADMIN1_PIN);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_C_PIN_ADMIN1,
                              OPAL_COL_C_PIN_TRIES), 0);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_C_PIN_USER(1),
                              OPAL_COL_C_PIN_TRIES), 0);
    host_end_session(tper, tsn);
}

/* Table.Next[ Where = @where if not 0, Count = @count if not 0 ]: the UIDs. */
static GArray *next(OpalTPer *tper, uint32_t tsn, uint64_t table,
                    uint64_t where, uint64_t count)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    GArray *uids = g_array_new(false, false, sizeof(uint64_t));

    host_call_begin(b, table, OPAL_UID_M_NEXT);
    if (where) {
        opal_token_put_control(b, OPAL_TK_START_NAME);
        opal_token_put_uint(b, 0);
        opal_token_put_uid(b, where);
        opal_token_put_control(b, OPAL_TK_END_NAME);
    }
    if (count) {
        host_put_named_uint(b, 1, count);
    }
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, &r), OPAL_ST_SUCCESS);
    for (size_t i = 0; i < r->tokens->len; i++) {
        const OpalToken *t = host_token(r, i);

        if (t->type == OPAL_TOKEN_BYTES && t->len == 8) {
            uint64_t uid = opal_get_be64(t->bytes);

            g_array_append_val(uids, uid);
        }
    }
    return uids;
}

/* SPF-06 Next (Case 1, the Locking table, which Opal takes) */
static void test_spf_06_next(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GArray) all = NULL, one = NULL;
    uint64_t max_ranges;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = anybody_session(tper, OPAL_UID_LOCKINGSP);
    max_ranges = get_uint(tper, tsn, OPAL_UID_LOCKINGINFO_OBJ,
                          OPAL_COL_LOCKINGINFO_MAX_RANGES);
    all = next(tper, tsn, OPAL_UID_TABLE_LOCKING, 0, 0);
    assert_int_equal(all->len, max_ranges + 1);
    for (guint i = 0; i < all->len; i++) {
        assert_int_equal(g_array_index(all, uint64_t, i) >> 32, 0x00000802);
    }
    one = next(tper, tsn, OPAL_UID_TABLE_LOCKING,
               g_array_index(all, uint64_t, 0), 1);
    assert_int_equal(one->len, 1);
    assert_int_equal(g_array_index(one, uint64_t, 0),
                     g_array_index(all, uint64_t, 1));
    host_end_session(tper, tsn);
}

/* SPF-07 Host Session Number (HSN) */
static void test_spf_07_host_session_number(void **state)
{
    OpalTPer *tper = *state;
    const uint32_t hsn = g_random_int_range(1, G_MAXINT32);
    g_autoptr(GByteArray) b = g_byte_array_new();
    HostResponse *r;
    uint32_t tsn;

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_START_SESSION);
    opal_token_put_uint(b, hsn);
    opal_token_put_uid(b, OPAL_UID_ADMINSP);
    opal_token_put_uint(b, 1);
    host_put_named_bytes(b, 0, host_test_config.msid,
                         strlen(host_test_config.msid));
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 3);
    opal_token_put_uid(b, OPAL_UID_AUTH_SID);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    host_send(tper, 0, b);
    r = host_receive(tper);
    assert_int_equal(host_status(r), OPAL_ST_SUCCESS);
    assert_int_equal(host_token(r, 4)->uint, hsn);      /* SyncSession's */
    tsn = host_token(r, 5)->uint;
    host_response_free(r);

    g_byte_array_set_size(b, 0);
    host_call_begin(b, OPAL_UID_C_PIN_MSID, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 3, OPAL_COL_C_PIN_PIN);
    host_put_named_uint(b, 4, OPAL_COL_C_PIN_PIN);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    assert_int_equal(host_try_send(tper, tsn, hsn, b), OPAL_IF_OK);
    r = host_receive(tper);
    assert_int_equal(host_status(r), OPAL_ST_SUCCESS);
    assert_int_equal(r->pkt.hsn, hsn);                  /* the Packet's */
    assert_int_equal(r->pkt.tsn, tsn);
    host_response_free(r);

    g_byte_array_set_size(b, 0);
    opal_token_put_control(b, OPAL_TK_END_OF_SESSION);
    assert_int_equal(host_try_send(tper, tsn, hsn, b), OPAL_IF_OK);
    r = host_receive(tper);
    assert_true(opal_token_is(host_token(r, 0), OPAL_TK_END_OF_SESSION));
    host_response_free(r);
}

/*
 * SPF-08 RevertSP: @keep as in revert_sp(); true if the MAGIC_PATTERN
 * written before reads back after.
 */
static bool spf08_case(OpalTPer *tper, int keep)
{
    uint8_t key[OPAL_MEDIA_KEY_LEN];
    uint32_t tsn;

    write_magic(tper, 0, 0, 64, key);
    tsn = admin1_session(tper);
    assert_int_equal(revert_sp(tper, tsn, keep), OPAL_ST_SUCCESS);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, 0, NULL),
                     OPAL_ST_INVALID_PARAMETER);
    return reads_back(tper, 0, key);
}

static void test_spf_08_revertsp(void **state)
{
    OpalTPer *tper = *state;

    uct04_activate(tper);
    assert_false(spf08_case(tper, -1));         /* KeepGlobalRangeKey omitted */
    host_activate(tper);
    assert_false(spf08_case(tper, 0));          /* present, FALSE */
    host_activate(tper);
    assert_true(spf08_case(tper, 1));           /* present, TRUE */
}

/* SPF-09 Range Alignment Verification */
static void test_spf_09_range_alignment_verification(void **state)
{
    OpalTPer *tper = *state;
    uint64_t granularity, lowest;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_LOCKINGINFO_OBJ,
                              OPAL_COL_LOCKINGINFO_ALIGNMENT_REQUIRED), 1);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_LOCKINGINFO_OBJ,
                              OPAL_COL_LOCKINGINFO_LOGICAL_BLOCK_SIZE), 512);
    granularity = get_uint(tper, tsn, OPAL_UID_LOCKINGINFO_OBJ,
                           OPAL_COL_LOCKINGINFO_ALIGNMENT_GRANULARITY);
    lowest = get_uint(tper, tsn, OPAL_UID_LOCKINGINFO_OBJ,
                      OPAL_COL_LOCKINGINFO_LOWEST_ALIGNED_LBA);
    assert_true(granularity > 1);               /* else the case is NA */
    assert_int_equal(set_extent(tper, tsn, OPAL_UID_LOCKING_RANGE(1),
                                lowest + 4 * granularity, 8 * granularity),
                     OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
}

/* SPF-13 Authenticate */
static void test_spf_13_authenticate(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *uid;
    uint64_t result = 0;
    uint32_t tsn;

    host_take_ownership(tper);
    tsn = anybody_session(tper, OPAL_UID_ADMINSP);
    assert_int_equal(host_authenticate(tper, tsn, OPAL_UID_AUTH_SID,
                                       HOST_SID_PIN, &result), OPAL_ST_SUCCESS);
    assert_int_equal(result, 1);
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_C_PIN_SID, 0, 0, &r),
                     OPAL_ST_SUCCESS);
    uid = host_cell(r, 0);
    assert_non_null(uid);
    assert_int_equal(uid->len, 8);
    assert_int_equal(opal_get_be64(uid->bytes), OPAL_UID_C_PIN_SID);
    host_end_session(tper, tsn);
}

/* A Random of 32 bytes in session @tsn into @out. */
static void random32(OpalTPer *tper, uint32_t tsn, uint8_t out[32])
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_RANDOM);
    opal_token_put_uint(b, 32);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, &r), OPAL_ST_SUCCESS);
    assert_int_equal(host_token(r, 1)->len, 32);
    memcpy(out, host_token(r, 1)->bytes, 32);
}

/*
 * SPF-15 Random: only its note was found ("not intended to guarantee the
 * quality of the RNG"); two 32-byte answers that differ, neither all 0s
 * nor all 1s, is as much as a test of it can say.
 */
static void test_spf_15_random(void **state)
{
    static const uint8_t zeros[32], ones[32] = {
        [0 ... 31] = 0xff,
    };
    uint8_t a[32], b[32];
    uint32_t tsn = anybody_session(*state, OPAL_UID_ADMINSP);

    random32(*state, tsn, a);
    random32(*state, tsn, b);
    assert_memory_not_equal(a, b, 32);
    assert_memory_not_equal(a, zeros, 32);
    assert_memory_not_equal(a, ones, 32);
    host_end_session(*state, tsn);
}

/*
 * SPF-20 Data Removal Mechanism: SID reads the active mechanism, one that
 * Level 0 Discovery lists, and sets it (to the one mechanism there is);
 * Anybody reads back what was set.
 */
static void test_spf_20_data_removal_mechanism(void **state)
{
    OpalTPer *tper = *state;
    uint8_t buf[512];
    uint64_t active;
    uint32_t tsn;
    long f;

    uct03_take_ownership(tper);
    discovery(tper, buf, sizeof(buf));
    f = host_find_feature(buf, 0x0404);
    assert_true(f > 0);
    tsn = session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    active = get_uint(tper, tsn, OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
                      OPAL_COL_DATA_REMOVAL_ACTIVE);
    assert_true(active < 8 && (buf[f + 6] & (1u << active)));
    set_uint(tper, tsn, OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
             OPAL_COL_DATA_REMOVAL_ACTIVE, active);
    host_end_session(tper, tsn);
    tsn = anybody_session(tper, OPAL_UID_ADMINSP);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
                              OPAL_COL_DATA_REMOVAL_ACTIVE),
                     active);
    host_end_session(tper, tsn);
}

/*
 * SPF-16 CommonName: only its prerequisite (Admin1 enabled) and expected
 * result (what Get returns is what Set wrote) were found; Admin1's own
 * CommonName, set and read back.
 */
static void test_spf_16_commonname(void **state)
{
    OpalTPer *tper = *state;
    static const char name[] = "conformance";
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *t;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    host_call_begin(b, ADMIN1, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_bytes(b, OPAL_COL_COMMON_NAME, name, strlen(name));
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), OPAL_ST_SUCCESS);
    assert_int_equal(host_get_columns(tper, tsn, ADMIN1, OPAL_COL_COMMON_NAME,
                                      OPAL_COL_COMMON_NAME, &r),
                     OPAL_ST_SUCCESS);
    t = host_cell(r, OPAL_COL_COMMON_NAME);
    assert_non_null(t);
    assert_int_equal(t->len, strlen(name));
    assert_memory_equal(t->bytes, name, t->len);
    host_end_session(tper, tsn);
}

/* SPF-17 Additional DataStore Tables (Case 2: more than one table) */
static void test_spf_17_additional_datastore_tables(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) params = g_byte_array_new();
    uint64_t sizes[OPAL_DATASTORE_MAX_TABLES];
    uint8_t buf[512];
    unsigned max;
    uint32_t alignment, tsn;
    long f;

    discovery(tper, buf, sizeof(buf));
    f = host_find_feature(buf, 0x0202);
    assert_true(f > 0);
    max = opal_get_be16(buf + f + 4 + 2);
    alignment = opal_get_be32(buf + f + 4 + 8);
    assert_true(max > 1 && max <= OPAL_DATASTORE_MAX_TABLES);
    for (unsigned i = 0; i < max; i++) {
        sizes[i] = alignment;
    }
    uct03_take_ownership(tper);
    host_put_named_uint_list(params, OPAL_DS_PARAM_ACTIVATE_SIZES, sizes, max);
    assert_int_equal(host_activate_with(tper, OPAL_UID_LOCKINGSP, params),
                     OPAL_ST_SUCCESS);
    tsn = admin1_session(tper);
    for (unsigned n = 1; n <= max; n++) {
        uint64_t table = OPAL_UID_TABLE_DATASTORE_N(n);

        assert_int_equal(get_uint(tper, tsn, OPAL_UID_TABLE_ROW(table),
                                  OPAL_COL_TABLE_ROWS), alignment);
    }
    host_end_session(tper, tsn);
}

/* SPF-18 Range Crossing Behavior */
static void test_spf_18_range_crossing_behavior(void **state)
{
    OpalTPer *tper = *state;
    uint8_t buf[512];
    uint32_t tsn;
    long f;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    assert_int_equal(set_extent(tper, tsn, OPAL_UID_LOCKING_RANGE(1), 1024,
                                1024), OPAL_ST_SUCCESS);
    host_end_session(tper, tsn);
    discovery(tper, buf, sizeof(buf));
    f = host_find_feature(buf, 0x0203);
    assert_true(f > 0);
    /* Range Crossing Behavior 0: commands may cross ranges, so SUCCEED. */
    assert_int_equal(buf[f + 4 + 4] & 0x01, 0);
    assert_int_equal(media(tper, 2000, 100, true), OPAL_MEDIA_OK);
    assert_int_equal(media(tper, 2000, 100, false), OPAL_MEDIA_OK);
}

/* ---- Error Test Cases ---- */

/* The Locking SP of ETC-01 and ETC-24: the global range locked throughout. */
static uint32_t global_range_locked(OpalTPer *tper)
{
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    set_lock_enables(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE, true, true);
    set_locks(tper, tsn, OPAL_UID_LOCKING_GLOBALRANGE, true, true);
    assert_int_equal(get_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                              OPAL_COL_MBRCONTROL_ENABLE), 0);
    return tsn;
}

/* ETC-01 Native Protocol Read/Write Locked Error Responses */
static void test_etc_01_read_write_locked_error_responses(void **state)
{
    OpalTPer *tper = *state;

    host_end_session(tper, global_range_locked(tper));
    assert_int_equal(media(tper, 12345, 67, true), OPAL_MEDIA_WRITE_LOCKED);
    assert_int_equal(media(tper, 12345, 67, false), OPAL_MEDIA_READ_LOCKED);
}

static void properties_call(GByteArray *b)
{
    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    host_call_end(b);
}

/* ETC-02 General - IF-SEND/IF-RECV Synchronous Protocol */
static void test_etc_02_synchronous_protocol(void **state)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    properties_call(b);
    assert_int_equal(host_try_send(*state, 0, 0, b), OPAL_IF_OK);
    assert_int_equal(host_try_send(*state, 0, 0, b), OPAL_IF_SYNC_VIOLATION);
    r = host_receive(*state);
    assert_int_equal(host_status(r), OPAL_ST_SUCCESS);
}

/*
 * ETC-03 Invalid IF-SEND Transfer Length: only its title was found; an
 * IF-SEND longer than MaxComPacketSize is refused as a transfer length.
 */
static void test_etc_03_invalid_if_send_transfer_length(void **state)
{
    assert_int_equal(host_property(*state, "MaxComPacketSize"),
                     OPAL_MAX_TRANSFER);
    assert_int_equal(opal_if_send_check(*state, 0x01, OPAL_BASE_COMID,
                                        OPAL_MAX_TRANSFER + 512),
                     OPAL_IF_BAD_LENGTH);
}

/* ETC-04 Invalid SessionID - Regular Session */
static void test_etc_04_invalid_sessionid(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn = anybody_session(tper, OPAL_UID_ADMINSP);

    host_call_begin(b, OPAL_UID_C_PIN_MSID, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    host_send(tper, tsn + 1, b);
    assert_no_further_data(tper);
    host_end_session(tper, tsn);
}

/* The Set of User1's Enabled to FALSE, an EndList after its Call if asked. */
static void user1_disable(GByteArray *b, bool end_list_after_call)
{
    host_call_begin(b, USER1, OPAL_UID_M_SET);
    if (end_list_after_call) {
        /* Right after the Call: the method header is broken. */
        b->data[0] = OPAL_TK_END_LIST;
        g_byte_array_prepend(b, (const uint8_t []){ OPAL_TK_CALL }, 1);
    }
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, OPAL_COL_AUTHORITY_ENABLED, 0);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
}

static uint64_t user1_enabled(OpalTPer *tper)
{
    uint32_t tsn = admin1_session(tper);
    uint64_t enabled = get_uint(tper, tsn, USER1, OPAL_COL_AUTHORITY_ENABLED);

    host_end_session(tper, tsn);
    return enabled;
}

static uint32_t user1_enabled_admin1_session(OpalTPer *tper)
{
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    set_uint(tper, tsn, USER1, OPAL_COL_AUTHORITY_ENABLED, 1);
    return tsn;
}

/* ETC-05 Unexpected Token Outside of Method - Regular Session */
static void test_etc_05_unexpected_token_outside_method(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn = user1_enabled_admin1_session(tper);

    opal_token_put_control(b, OPAL_TK_END_LIST);
    user1_disable(b, false);
    host_send(tper, tsn, b);
    if (!no_data_or_close_session(tper, tsn)) {
        host_end_session(tper, tsn);
    }
    assert_int_equal(user1_enabled(tper), 1);
}

/* ETC-06 Unexpected Token in Method Header - Regular Session */
static void test_etc_06_unexpected_token_in_method_header(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    uint32_t tsn = user1_enabled_admin1_session(tper);

    user1_disable(b, true);
    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_non_null(r->tokens);
    if (r->pkt.tsn == tsn) {
        assert_int_equal(host_status(r), OPAL_ST_NOT_AUTHORIZED);
        host_end_session(tper, tsn);
    } else {
        assert_int_equal(opal_get_be64(host_token(r, 2)->bytes),
                         OPAL_UID_SM_CLOSE_SESSION);
    }
    assert_int_equal(user1_enabled(tper), 1);
}

/* ETC-07 Unexpected Token Outside of Method - Control Session */
static void test_etc_07_unexpected_token_outside_method_control(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_take_ownership(tper);
    host_activate(tper);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_START_SESSION);
    opal_token_put_uint(b, HOST_HSN);
    opal_token_put_uid(b, OPAL_UID_LOCKINGSP);
    opal_token_put_uint(b, 0);
    host_call_end(b);
    host_send(tper, 0, b);
    assert_no_further_data(tper);
    assert_int_equal(try_session(tper, OPAL_UID_LOCKINGSP, 0, NULL),
                     OPAL_ST_SUCCESS);
}

/*
 * ETC-08 Unexpected Token in the Method Parameter List - Control Session:
 * only its note was found, expecting "no further data" (Core 3.2.2.4.2
 * items 1 and 4); a Properties whose parameter list opens a stray list.
 */
static void test_etc_08_unexpected_token_in_parameter_list_control(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_call_end(b);
    host_send(tper, 0, b);
    assert_no_further_data(tper);
    assert_int_equal(try_session(tper, OPAL_UID_ADMINSP, 0, NULL),
                     OPAL_ST_SUCCESS);
}

/* A Get with an empty Cellblock of @object: its status, the response. */
static uint64_t get_all(OpalTPer *tper, uint32_t tsn, uint64_t object,
                        HostResponse **r)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, object, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    return host_call(tper, tsn, b, r);
}

/* ETC-10 Invalid Invoking ID - Get (Cases 1 to 4) */
static void test_etc_10_invalid_invoking_id_get(void **state)
{
    OpalTPer *tper = *state;
    HostResponse *r = NULL;
    uint8_t buf[16];
    uint64_t status;
    uint32_t tsn;

    uct04_activate(tper);
    /* Case 1: a row the single-row LockingInfo table does not have. */
    tsn = admin1_session(tper);
    assert_int_equal(get_all(tper, tsn, 0x00000801aabbccddULL, NULL),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
    /* Case 2: the DataStore byte table, which Anybody may not read. */
    tsn = anybody_session(tper, OPAL_UID_LOCKINGSP);
    status = host_read_bytes(tper, tsn, OPAL_UID_TABLE_DATASTORE, 0, buf,
                             sizeof(buf));
    assert_int_equal(status, OPAL_ST_NOT_AUTHORIZED);   /* or an empty list */
    host_end_session(tper, tsn);
    /* Case 3: Admin1's C_PIN: CharSet, TryLimit, Tries but never the PIN. */
    tsn = admin1_session(tper);
    assert_int_equal(host_get_columns(tper, tsn, OPAL_UID_C_PIN_ADMIN1,
                                      OPAL_COL_C_PIN_PIN, OPAL_COL_C_PIN_TRIES,
                                      &r), OPAL_ST_SUCCESS);
    assert_null(host_cell(r, OPAL_COL_C_PIN_PIN));
    assert_non_null(host_cell(r, OPAL_COL_C_PIN_CHAR_SET));
    assert_non_null(host_cell(r, OPAL_COL_C_PIN_TRY_LIMIT));
    assert_non_null(host_cell(r, OPAL_COL_C_PIN_TRIES));
    host_response_free(r);
    host_end_session(tper, tsn);
    /* Case 4: ThisSP, which no AccessControl row lets Get. */
    tsn = anybody_session(tper, OPAL_UID_LOCKINGSP);
    assert_int_equal(get_all(tper, tsn, OPAL_UID_THISSP, &r),
                     OPAL_ST_NOT_AUTHORIZED);
    assert_true(opal_token_is(host_token(r, 1), OPAL_TK_END_LIST));
    host_response_free(r);
    host_end_session(tper, tsn);
}

/* ETC-11 Invalid Invoking ID - Non-Get */
static void test_etc_11_invalid_invoking_id_non_get(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    assert_int_equal(host_set_uint(tper, tsn, 0x0000080100000005ULL, 0, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
}

/* ETC-12 Authorization */
static void test_etc_12_authorization(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = anybody_session(tper, OPAL_UID_LOCKINGSP);
    assert_int_equal(host_set_uint(tper, tsn, USER1,
                                   OPAL_COL_AUTHORITY_ENABLED, 1),
                     OPAL_ST_NOT_AUTHORIZED);
    host_end_session(tper, tsn);
}

/* Admin1's Set of 64 bytes at the DataStore's start, as tokens. */
static void datastore_set(GByteArray *b)
{
    static const uint8_t zeros[64];

    host_call_begin(b, OPAL_UID_TABLE_DATASTORE, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, 0);
    host_put_named_bytes(b, 1, zeros, sizeof(zeros));
    host_call_end(b);
}

/* ETC-13 Malformed ComPacket Header - Regular Session */
static void test_etc_13_malformed_compacket_header(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new(), p = NULL;
    uint8_t buf[2048] = { 0 };
    uint64_t max = host_property(tper, "MaxComPacketSize");
    OpalIfStatus st;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    datastore_set(b);
    p = opal_packet_build(OPAL_BASE_COMID, tsn, HOST_HSN, b->data, b->len);
    memcpy(buf, p->data, p->len);
    /* The ComPacket's Length says more than MaxComPacketSize; the CDB not. */
    opal_put_be32(buf + 16, max + 1);
    st = opal_if_send(tper, 0x01, OPAL_BASE_COMID, buf, sizeof(buf));
    assert_true(st == OPAL_IF_OK || st == OPAL_IF_BAD_LENGTH);
    no_data_or_close_session(tper, tsn);
}

/*
 * @n SubPackets of @tokens in one Packet of session @tsn, sent: the
 * IF-SEND's status.
 */
static OpalIfStatus send_subpackets(OpalTPer *tper, uint32_t tsn,
                                    GByteArray *tokens, unsigned n)
{
    g_autoptr(GByteArray) one = opal_packet_build(OPAL_BASE_COMID, tsn,
                                                  tsn ? HOST_HSN : 0,
                                                  tokens->data, tokens->len);
    const size_t headers = 20 + 24, sub = one->len - headers;
    g_autofree uint8_t *buf = g_malloc0(OPAL_MAX_TRANSFER);
    size_t len = headers + n * sub;

    assert_true(len <= OPAL_MAX_TRANSFER);
    memcpy(buf, one->data, headers);
    for (unsigned i = 0; i < n; i++) {
        memcpy(buf + headers + i * sub, one->data + headers, sub);
    }
    opal_put_be32(buf + 16, len - 20);              /* ComPacket Length */
    opal_put_be32(buf + 20 + 20, len - headers);    /* Packet Length */
    return opal_if_send(tper, 0x01, OPAL_BASE_COMID, buf,
                        MAX(2048, (len + 511) & ~511u));
}

/* ETC-14 Exceed TPer Properties - Regular Session */
static void test_etc_14_exceed_tper_properties(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint64_t max = host_property(tper, "MaxSubpackets");
    uint32_t tsn;

    assert_true(max > 0);
    uct04_activate(tper);
    tsn = admin1_session(tper);
    datastore_set(b);
    assert_int_equal(send_subpackets(tper, tsn, b, max + 1), OPAL_IF_OK);
    assert_true(no_data_or_close_session(tper, tsn));
    /* Step #4 SUCCEEDS only if the TPer ended the session of step #3 */
    tsn = admin1_session(tper);
    host_end_session(tper, tsn);
}

/* ETC-16 Overlapping Locking Ranges */
static void test_etc_16_overlapping_locking_ranges(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    assert_int_equal(set_extent(tper, tsn, OPAL_UID_LOCKING_RANGE(1), 0, 64),
                     OPAL_ST_SUCCESS);
    assert_int_equal(set_extent(tper, tsn, OPAL_UID_LOCKING_RANGE(2), 0, 64),
                     OPAL_ST_INVALID_PARAMETER);
    host_end_session(tper, tsn);
}

/* ETC-17 Invalid Type */
static void test_etc_17_invalid_type(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn;

    uct04_activate(tper);
    tsn = admin1_session(tper);
    assert_int_equal(host_set_uint(tper, tsn, USER1, OPAL_COL_AUTHORITY_ENABLED,
                                   0xaaaa), OPAL_ST_INVALID_PARAMETER);
    host_end_session(tper, tsn);
}

/* ETC-18 RevertSP - GlobalRange Locked */
static void test_etc_18_revertsp_globalrange_locked(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn = global_range_locked(tper);

    assert_int_equal(revert_sp(tper, tsn, 1), OPAL_ST_FAIL);
    host_end_session(tper, tsn);
}

/*
 * ETC-23 Data Removal Mechanism - Set Unsupported Value: Overwrite Data
 * Erase (0), defined but not among the mechanisms Level 0 Discovery lists.
 */
static void test_etc_23_data_removal_set_unsupported(void **state)
{
    OpalTPer *tper = *state;
    uint8_t buf[512];
    uint32_t tsn;
    long f;

    uct03_take_ownership(tper);
    discovery(tper, buf, sizeof(buf));
    f = host_find_feature(buf, 0x0404);
    assert_true(f > 0);
    assert_int_equal(buf[f + 6] & 0x01, 0);
    tsn = session(tper, OPAL_UID_ADMINSP, OPAL_UID_AUTH_SID, HOST_SID_PIN);
    assert_int_equal(host_set_uint(tper, tsn,
                                   OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
                                   OPAL_COL_DATA_REMOVAL_ACTIVE, 0),
                     OPAL_ST_INVALID_PARAMETER);
    host_end_session(tper, tsn);
}

/* ETC-20 StartSession on Inactive Locking SP */
static void test_etc_20_startsession_on_inactive_locking_sp(void **state)
{
    assert_int_equal(try_session(*state, OPAL_UID_LOCKINGSP, 0, NULL),
                     OPAL_ST_INVALID_PARAMETER);
}

/* ETC-21 StartSession with Incorrect HostChallenge */
static void test_etc_21_startsession_incorrect_hostchallenge(void **state)
{
    uct04_activate(*state);
    assert_int_equal(try_session(*state, OPAL_UID_LOCKINGSP, ADMIN1, "wrong"),
                     OPAL_ST_NOT_AUTHORIZED);
}

/*
 * ETC-22 Multiple Sessions, Case 1; Case 2 is NA: Properties names no
 * MaxReadSessions, which the case takes as its reason to skip.
 */
static void test_etc_22_multiple_sessions(void **state)
{
    OpalTPer *tper = *state;
    uint32_t tsn, second;

    uct04_activate(tper);
    assert_true(host_property(tper, "MaxSessions") != 1);
    assert_int_equal(host_property(tper, "MaxReadSessions"), 0);
    tsn = anybody_session(tper, OPAL_UID_LOCKINGSP);
    assert_int_equal(host_start_session(tper, OPAL_UID_LOCKINGSP, true, 0,
                                        NULL, &second), OPAL_ST_SP_BUSY);
    host_end_session(tper, tsn);
}

/* ETC-24 Read Locked and Write Locked Error Responses */
static void test_etc_24_read_locked_and_write_locked_errors(void **state)
{
    OpalTPer *tper = *state;
    uint64_t range1 = OPAL_UID_LOCKING_RANGE(1);
    uint32_t tsn = global_range_locked(tper);

    assert_int_equal(set_extent(tper, tsn, range1, 0, 1024), OPAL_ST_SUCCESS);
    set_locks(tper, tsn, range1, true, true);
    set_lock_enables(tper, tsn, range1, false, true);
    assert_int_equal(media(tper, 0, 1024, false), OPAL_MEDIA_OK);
    assert_int_equal(media(tper, 0, 1024, true), OPAL_MEDIA_WRITE_LOCKED);
    set_lock_enables(tper, tsn, range1, true, false);
    assert_int_equal(media(tper, 0, 1024, false), OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(media(tper, 0, 1024, true), OPAL_MEDIA_OK);
    set_lock_enables(tper, tsn, range1, true, true);
    assert_int_equal(media(tper, 0, 1024, false), OPAL_MEDIA_READ_LOCKED);
    assert_int_equal(media(tper, 0, 1024, true), OPAL_MEDIA_WRITE_LOCKED);
    host_end_session(tper, tsn);
}

/*
 * Not here:
 * - UCT-02, SPF-10, SPF-19, ETC-15: no text of the case was found.
 * - SPF-01 (Transaction), SPF-11 (Stack Reset, within a transaction) and
 *   ETC-09 (Exceeding Transaction Limit): test-transaction.c.
 * - SPF-12 (TPer Reset): test-tper.c, test_spf12_tper_reset.
 * - SPF-14: deprecated by the test cases themselves.
 * - SPF-20 and ETC-23 (Data Removal Mechanism): the drive implements no
 *   DataRemovalMechanism table and announces no Supported Data Removal
 *   Mechanism descriptor (0x0404) in Level 0 Discovery.
 * - ETC-19 (Activate / ATA Security Interaction): ide-opal-hd offers no
 *   ATA Security feature set for Activate to meet.
 */
int main(void)
{
#define T(id, fn) { id, fn, setup, teardown, NULL }
    const struct CMUnitTest tests[] = {
        T("UCT-01", test_uct_01_level0_discovery),
        T("UCT-03", test_uct_03_taking_ownership),
        T("UCT-04", test_uct_04_activate_locking_sp),
        T("UCT-05", test_uct_05_configuring_authorities),
        T("UCT-06", test_uct_06_configuring_locking_objects),
        T("UCT-07", test_uct_07_unlocking_ranges),
        T("UCT-08", test_uct_08_erasing_ranges),
        T("UCT-09", test_uct_09_using_the_datastore_table),
        T("UCT-10", test_uct_10_enable_mbr_shadowing),
        T("UCT-11", test_uct_11_mbr_done),
        T("UCT-12", test_uct_12_revert_locking_sp_using_sid),
        T("UCT-13", test_uct_13_revert_admin_sp_using_sid_inactive),
        T("UCT-14", test_uct_14_revert_admin_sp_using_sid),
        T("UCT-15", test_uct_15_revert_admin_sp_using_admin1),
        T("UCT-16", test_uct_16_revert_admin_sp_using_psid),
        T("SPF-02", test_spf_02_if_recv_behavior),
        T("SPF-03", test_spf_03_trylimit),
        T("SPF-04", test_spf_04_tries_reset),
        T("SPF-05", test_spf_05_tries_reset_on_power_cycle),
        T("SPF-06", test_spf_06_next),
        T("SPF-07", test_spf_07_host_session_number),
        T("SPF-08", test_spf_08_revertsp),
        T("SPF-09", test_spf_09_range_alignment_verification),
        T("SPF-13", test_spf_13_authenticate),
        T("SPF-15", test_spf_15_random),
        T("SPF-16", test_spf_16_commonname),
        T("SPF-17", test_spf_17_additional_datastore_tables),
        T("SPF-18", test_spf_18_range_crossing_behavior),
        T("SPF-20", test_spf_20_data_removal_mechanism),
        T("ETC-01", test_etc_01_read_write_locked_error_responses),
        T("ETC-02", test_etc_02_synchronous_protocol),
        T("ETC-03", test_etc_03_invalid_if_send_transfer_length),
        T("ETC-04", test_etc_04_invalid_sessionid),
        T("ETC-05", test_etc_05_unexpected_token_outside_method),
        T("ETC-06", test_etc_06_unexpected_token_in_method_header),
        T("ETC-07", test_etc_07_unexpected_token_outside_method_control),
        T("ETC-08", test_etc_08_unexpected_token_in_parameter_list_control),
        T("ETC-10", test_etc_10_invalid_invoking_id_get),
        T("ETC-11", test_etc_11_invalid_invoking_id_non_get),
        T("ETC-12", test_etc_12_authorization),
        T("ETC-13", test_etc_13_malformed_compacket_header),
        T("ETC-14", test_etc_14_exceed_tper_properties),
        T("ETC-16", test_etc_16_overlapping_locking_ranges),
        T("ETC-17", test_etc_17_invalid_type),
        T("ETC-18", test_etc_18_revertsp_globalrange_locked),
        T("ETC-20", test_etc_20_startsession_on_inactive_locking_sp),
        T("ETC-21", test_etc_21_startsession_incorrect_hostchallenge),
        T("ETC-22", test_etc_22_multiple_sessions),
        T("ETC-23", test_etc_23_data_removal_set_unsupported),
        T("ETC-24", test_etc_24_read_locked_and_write_locked_errors),
    };

    return cmocka_run_group_tests_name("conformance", tests, NULL, NULL);
}
