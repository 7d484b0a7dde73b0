/*
 * Transactions (Core 2.01, 3.2.6): StartTransaction and EndTransaction in a
 * session's packets; what the methods inside change lasts all together at
 * the commit, in one save, or is undone, byte tables, keys and the media
 * view included
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

#define RANGE1      OPAL_UID_LOCKING_RANGE(1)
#define ABORT       0x3f        /* any EndTransaction status but 0 aborts */

/* What the transport heard: change listener calls, and byte-table writes. */
typedef struct Heard {
    unsigned calls;
    unsigned changes;
    unsigned writes;
    bool fail;                  /* the save fails */
} Heard;

static bool heard_change(void *opaque, unsigned changes)
{
    Heard *h = opaque;

    h->calls++;
    h->changes |= changes;
    return !h->fail;
}

static void heard_write(void *opaque, uint64_t table_uid, uint64_t offset,
                        const uint8_t *data, uint64_t len)
{
    ((Heard *)opaque)->writes++;
}

typedef struct Fixture {
    OpalTPer *tper;
    Heard heard;
    uint32_t tsn;               /* Admin1's LockingSP session */
} Fixture;

static int setup(void **state)
{
    Fixture *f = g_new0(Fixture, 1);

    f->tper = opal_tper_new(&host_test_config);
    host_take_ownership(f->tper);
    host_activate(f->tper);
    opal_tper_set_change_listener(f->tper, heard_change, &f->heard);
    opal_tper_set_byte_listener(f->tper, heard_write, &f->heard);
    assert_int_equal(host_locking_session(f->tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &f->tsn),
                     0);
    memset(&f->heard, 0, sizeof(f->heard));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    opal_tper_free(f->tper);
    g_free(f);
    return 0;
}

/*
 * Sends @token with @status alone in a packet; the status of the TPer's answer.
 */
static uint64_t send_token(OpalTPer *tper, uint32_t tsn, uint8_t token,
                           uint64_t status)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    opal_token_put_control(b, token);
    opal_token_put_uint(b, status);
    host_send(tper, tsn, b);
    r = host_receive(tper);
    assert_non_null(r->tokens);
    assert_int_equal(r->tokens->len, 2);
    assert_true(opal_token_is(host_token(r, 0), token));
    assert_int_equal(host_token(r, 1)->type, OPAL_TOKEN_UINT);
    return host_token(r, 1)->uint;
}

static uint64_t start(Fixture *f)
{
    return send_token(f->tper, f->tsn, OPAL_TK_START_TRANSACTION, 0);
}

static uint64_t end(Fixture *f, uint64_t status)
{
    return send_token(f->tper, f->tsn, OPAL_TK_END_TRANSACTION, status);
}

static uint64_t get_uint(OpalTPer *tper, uint32_t tsn, uint64_t object,
                         uint64_t column)
{
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *cell;

    assert_int_equal(host_get_columns(tper, tsn, object, column, column, &r),
                     0);
    cell = host_cell(r, column);
    assert_non_null(cell);
    return cell->uint;
}

static uint64_t set_bytes(OpalTPer *tper, uint32_t tsn, uint64_t table,
                          uint64_t where, const void *data, size_t len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, table, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, where);
    host_put_named_bytes(b, 1, data, len);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

static void get_bytes(OpalTPer *tper, uint32_t tsn, uint64_t table,
                      uint64_t first, void *buf, size_t len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    const OpalToken *t;

    host_call_begin(b, table, OPAL_UID_M_GET);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, 1, first);
    host_put_named_uint(b, 2, first + len - 1);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, &r), 0);
    t = host_token(r, 1);
    assert_int_equal(t->type, OPAL_TOKEN_BYTES);
    assert_int_equal(t->len, len);
    memcpy(buf, t->bytes, len);
}

/* Range1: 4096 blocks at 4096, read-lockable and read-locked. */
static void lock_range1(OpalTPer *tper, uint32_t tsn)
{
    assert_int_equal(host_set_uint(tper, tsn, RANGE1,
                                   OPAL_COL_LOCKING_RANGE_START, 4096),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1,
                                   OPAL_COL_LOCKING_RANGE_LENGTH, 4096),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1,
                                   OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, RANGE1,
                                   OPAL_COL_LOCKING_READ_LOCKED, 1),
                     0);
}

/* Level 0 Discovery's Locking feature (0x0002): its Locked bit. */
static bool discovery_locked(OpalTPer *tper)
{
    uint8_t buf[512];
    long pos;

    assert_int_equal(opal_if_recv(tper, 0x01, 0x0001, buf, sizeof(buf)),
                     OPAL_IF_OK);
    pos = host_find_feature(buf, 0x0002);
    assert_true(pos >= 0);
    return buf[pos + 4] & 0x04;
}

static void test_properties_limit(void **state)
{
    Fixture *f = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    static const char name[] = "MaxTransactionLimit";

    host_call_begin(b, OPAL_UID_SMUID, OPAL_UID_SM_PROPERTIES);
    host_call_end(b);
    host_send(f->tper, 0, b);
    r = host_receive(f->tper);
    for (size_t i = 0; i + 1 < r->tokens->len; i++) {
        const OpalToken *t = host_token(r, i);

        if (t->type == OPAL_TOKEN_BYTES && t->len == strlen(name) &&
            !memcmp(t->bytes, name, t->len)) {
            /* Opal SSC 2.01, 4.1.1: at least 1. */
            assert_int_equal(host_token(r, i + 1)->uint, OPAL_MAX_TRANSACTIONS);
            assert_true(OPAL_MAX_TRANSACTIONS >= 1);
            return;
        }
    }
    fail_msg("Properties has no MaxTransactionLimit");
}

static void test_commit(void **state)
{
    Fixture *f = *state;
    OpalMediaMap *map;
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL;
    OpalTPer *copy = opal_tper_new(&host_test_config);
    size_t len;
    uint32_t tsn;

    assert_int_equal(start(f), 0);
    lock_range1(f->tper, f->tsn);
    assert_int_equal(set_bytes(f->tper, f->tsn, OPAL_UID_TABLE_DATASTORE, 100,
                               "txn", 3),
                     0);
    /* Inside, the session sees its changes; nothing else does yet. */
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_READ_LOCKED),
                     1);
    assert_int_equal(f->heard.calls + f->heard.writes, 0);
    map = opal_media_map_new(f->tper);
    assert_int_equal(opal_media_check(map, 4096, 8, false), OPAL_MEDIA_OK);
    opal_media_map_free(map);
    /* Discovery shows what the media gate applies: nothing locked yet. */
    assert_false(discovery_locked(f->tper));

    assert_int_equal(end(f, 0), 0);
    /* One save for all of it, and the media view follows. */
    assert_int_equal(f->heard.calls, 1);
    assert_int_equal(f->heard.changes,
                     OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA);
    assert_int_equal(f->heard.writes, 1);
    map = opal_media_map_new(f->tper);
    assert_int_equal(opal_media_check(map, 4096, 8, false),
                     OPAL_MEDIA_READ_LOCKED);
    opal_media_map_free(map);
    assert_true(discovery_locked(f->tper));

    saved = opal_tper_save(f->tper, &len);
    assert_true(opal_tper_load(copy, saved, len, &error));
    assert_int_equal(host_locking_session(copy, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(get_uint(copy, tsn, RANGE1, OPAL_COL_LOCKING_RANGE_START),
                     4096);
    assert_int_equal(get_uint(copy, tsn, RANGE1, OPAL_COL_LOCKING_READ_LOCKED),
                     1);
    opal_tper_free(copy);
}

/* Transaction tokens around a call, in the call's own packet. */
static void test_one_packet(void **state)
{
    Fixture *f = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    size_t n;

    opal_token_put_control(b, OPAL_TK_START_TRANSACTION);
    opal_token_put_uint(b, 0);
    host_call_begin(b, RANGE1, OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_uint(b, OPAL_COL_LOCKING_RANGE_START, 8192);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    opal_token_put_control(b, OPAL_TK_END_TRANSACTION);
    opal_token_put_uint(b, 0);
    host_send(f->tper, f->tsn, b);
    r = host_receive(f->tper);
    n = r->tokens->len;
    assert_true(opal_token_is(host_token(r, 0), OPAL_TK_START_TRANSACTION));
    assert_int_equal(host_token(r, 1)->uint, 0);
    assert_true(opal_token_is(host_token(r, n - 8), OPAL_TK_END_OF_DATA));
    assert_int_equal(host_token(r, n - 6)->uint, 0);        /* Set's status */
    assert_true(opal_token_is(host_token(r, n - 2), OPAL_TK_END_TRANSACTION));
    assert_int_equal(host_token(r, n - 1)->uint, 0);
    assert_int_equal(f->heard.calls, 1);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_RANGE_START),
                     8192);
}

static void test_abort_restores(void **state)
{
    Fixture *f = *state;
    static const uint8_t pba[] = "pre-boot image";
    uint8_t mbr[sizeof(pba)], ds[16], zeros[16] = { 0 };
    uint8_t key[OPAL_MEDIA_KEY_LEN];
    uint64_t proven;
    OpalMediaMap *map;
    uint32_t user1;

    /* Before: User1 has a PIN, Range1 a place, the MBR an image. */
    assert_int_equal(host_set_pin(f->tper, f->tsn, OPAL_UID_C_PIN_USER(1),
                                  "user1"),
                     0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, OPAL_UID_USER(1),
                                   OPAL_COL_AUTHORITY_ENABLED, 1), 0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1,
                                   OPAL_COL_LOCKING_RANGE_START, 4096),
                     0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1,
                                   OPAL_COL_LOCKING_RANGE_LENGTH, 4096),
                     0);
    assert_int_equal(set_bytes(f->tper, f->tsn, OPAL_UID_TABLE_MBR, 70000, pba,
                               sizeof(pba)), 0);
    map = opal_media_map_new(f->tper);
    memcpy(key, opal_media_key(map, 1), sizeof(key));
    opal_media_map_free(map);
    memset(&f->heard, 0, sizeof(f->heard));

    assert_int_equal(start(f), 0);
    assert_int_equal(host_set_pin(f->tper, f->tsn, OPAL_UID_C_PIN_USER(1),
                                  "other"),
                     0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1,
                                   OPAL_COL_LOCKING_RANGE_START, 0),
                     0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1,
                                   OPAL_COL_LOCKING_WRITE_LOCK_ENABLED, 1),
                     0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1,
                                   OPAL_COL_LOCKING_WRITE_LOCKED, 1),
                     0);
    assert_int_equal(host_call_plain(f->tper, f->tsn,
                                     OPAL_UID_K_AES_256_RANGE_KEY(1),
                                     OPAL_UID_M_GENKEY),
                     0);
    assert_int_equal(set_bytes(f->tper, f->tsn, OPAL_UID_TABLE_MBR, 70000,
                               "overwritten", 11),
                     0);
    assert_int_equal(set_bytes(f->tper, f->tsn, OPAL_UID_TABLE_DATASTORE, 0,
                               "secret", 6),
                     0);
    assert_int_equal(end(f, ABORT), ABORT);

    /* Nothing was heard, and everything is as before. */
    assert_int_equal(f->heard.calls + f->heard.writes, 0);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_RANGE_START),
                     4096);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_WRITE_LOCKED),
                     0);
    map = opal_media_map_new(f->tper);
    /* data decrypts */
    assert_memory_equal(opal_media_key(map, 1), key, sizeof(key));
    assert_int_equal(opal_media_check(map, 4096, 8, true), OPAL_MEDIA_OK);
    opal_media_map_free(map);
    opal_tper_mbr_read(f->tper, 70000, mbr, sizeof(mbr));
    assert_memory_equal(mbr, pba, sizeof(pba));
    get_bytes(f->tper, f->tsn, OPAL_UID_TABLE_DATASTORE, 0, ds, sizeof(ds));
    assert_memory_equal(ds, zeros, sizeof(ds));
    /* User1's PIN is the old one. */
    host_end_session(f->tper, f->tsn);
    assert_int_equal(host_start_session(f->tper, OPAL_UID_LOCKINGSP, false, 0,
                                        NULL, &user1),
                     0);
    assert_int_equal(host_authenticate(f->tper, user1, OPAL_UID_AUTH_USER1,
                                       "other", &proven),
                     0);
    assert_false(proven);
    assert_int_equal(host_authenticate(f->tper, user1, OPAL_UID_AUTH_USER1,
                                       "user1", &proven),
                     0);
    assert_true(proven);
}

/* A session that ends, any way it does, takes its transaction with it. */
static void test_session_end_aborts(void **state)
{
    Fixture *f = *state;
    g_autoptr(GByteArray) junk = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    assert_int_equal(start(f), 0);
    lock_range1(f->tper, f->tsn);
    host_end_session(f->tper, f->tsn);
    assert_int_equal(host_locking_session(f->tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &f->tsn),
                     0);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_READ_LOCKED),
                     0);

    /* Aborted for a malformed call. */
    assert_int_equal(start(f), 0);
    lock_range1(f->tper, f->tsn);
    opal_token_put_control(junk, OPAL_TK_CALL);
    host_send(f->tper, f->tsn, junk);
    r = host_receive(f->tper);
    assert_int_equal(r->pkt.tsn, 0);                        /* CloseSession */
    assert_int_equal(host_locking_session(f->tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &f->tsn),
                     0);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_READ_LOCKED),
                     0);

    /* A hardware reset. */
    assert_int_equal(start(f), 0);
    lock_range1(f->tper, f->tsn);
    opal_tper_reset(f->tper, OPAL_RESET_HARDWARE);
    assert_int_equal(host_locking_session(f->tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &f->tsn),
                     0);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_READ_LOCK_ENABLED),
                     0);
    assert_int_equal(f->heard.changes & OPAL_CHANGE_MEDIA, 0);
}

static void test_nesting(void **state)
{
    Fixture *f = *state;

    for (int i = 0; i < OPAL_MAX_TRANSACTIONS; i++) {
        assert_int_equal(start(f), 0);
        assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1,
                                       OPAL_COL_LOCKING_RANGE_START,
                                       8 * (i + 1)),
                         0);
    }
    /* One more than MaxTransactionLimit is refused; the others stay open. */
    assert_int_equal(start(f), OPAL_ST_TRANSACTION_FAILURE);
    /* The innermost one's abort undoes only its own changes. */
    assert_int_equal(end(f, ABORT), ABORT);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_RANGE_START),
                     8 * (OPAL_MAX_TRANSACTIONS - 1));
    while (opal_transaction_open(f->tper)) {
        assert_int_equal(f->heard.calls, 0);
        assert_int_equal(end(f, 0), 0);
    }
    assert_int_equal(f->heard.calls, 1);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_RANGE_START),
                     8 * (OPAL_MAX_TRANSACTIONS - 1));
    /* Nothing left to end. */
    assert_int_equal(end(f, 0), OPAL_ST_TRANSACTION_FAILURE);
}

/* A method that fails inside commits nothing, nor ends the transaction. */
static void test_method_failure(void **state)
{
    Fixture *f = *state;

    assert_int_equal(start(f), 0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1,
                                   OPAL_COL_LOCKING_RANGE_START, 64),
                     0);
    assert_int_equal(host_set_uint(f->tper, f->tsn, RANGE1, 99, 1),
                     OPAL_ST_INVALID_PARAMETER);
    assert_int_equal(f->heard.calls, 0);
    assert_true(opal_transaction_open(f->tper));
    assert_int_equal(end(f, ABORT), ABORT);
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_RANGE_START),
                     0);
    assert_int_equal(f->heard.calls, 0);
}

/* The commit's save fails: the commit does too, and the state goes back. */
static void test_commit_not_saved(void **state)
{
    Fixture *f = *state;
    OpalMediaMap *map;

    assert_int_equal(start(f), 0);
    lock_range1(f->tper, f->tsn);
    f->heard.fail = true;
    assert_int_equal(end(f, 0), OPAL_ST_TRANSACTION_FAILURE);
    f->heard.fail = false;
    assert_int_equal(get_uint(f->tper, f->tsn, RANGE1,
                              OPAL_COL_LOCKING_READ_LOCKED),
                     0);
    map = opal_media_map_new(f->tper);
    assert_int_equal(opal_media_check(map, 4096, 8, false), OPAL_MEDIA_OK);
    opal_media_map_free(map);
    assert_false(opal_transaction_open(f->tper));
}

/* Only the transaction's session works until it ends. */
static void test_others_wait(void **state)
{
    Fixture *f = *state;
    uint32_t tsn;

    assert_int_equal(start(f), 0);
    assert_int_equal(host_admin_session(f->tper, OPAL_UID_AUTH_SID,
                                        HOST_SID_PIN, &tsn),
                     OPAL_ST_SP_BUSY);
    assert_int_equal(end(f, 0), 0);
    assert_int_equal(host_admin_session(f->tper, OPAL_UID_AUTH_SID,
                                        HOST_SID_PIN, &tsn),
                     0);
}

/* Failed tries are no part of what an abort undoes: TryLimit holds. */
static void test_tries_survive(void **state)
{
    Fixture *f = *state;
    OpalConfig config = host_test_config;
    OpalTPer *tper;
    uint64_t proven;

    config.locking_pin_try_limit = 2;
    tper = opal_tper_new(&config);
    host_take_ownership(tper);
    host_activate(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1,
                                          HOST_SID_PIN, &f->tsn),
                     0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(send_token(tper, f->tsn, OPAL_TK_START_TRANSACTION, 0),
                         0);
        assert_int_equal(host_authenticate(tper, f->tsn, OPAL_UID_AUTH_ADMIN1,
                                           "wrong", &proven),
                         0);
        assert_false(proven);
        assert_int_equal(send_token(tper, f->tsn, OPAL_TK_END_TRANSACTION,
                                    ABORT),
                         ABORT);
    }
    assert_int_equal(get_uint(tper, f->tsn, OPAL_UID_C_PIN_ADMIN(1),
                              OPAL_COL_C_PIN_TRIES),
                     2);
    assert_int_equal(host_authenticate(tper, f->tsn, OPAL_UID_AUTH_ADMIN1,
                                       HOST_SID_PIN, &proven),
                     OPAL_ST_AUTHORITY_LOCKED_OUT);
    opal_tper_free(tper);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_properties_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_packet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_restores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_end_aborts, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_not_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(test_others_wait, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tries_survive, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
