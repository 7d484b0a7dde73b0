/*
 * Secrets in freed memory: no block the engine frees or moves may still hold
 * a PIN, a key-encryption key (KEK) or a media key
 *
 * This executable interposes free() and realloc(), where glib's g_free() and
 * g_realloc() end.  While a test watches, a freed block is not given back
 * but kept and scanned for every secret the test knows: at once for those it
 * knows then (with a backtrace), and again at the end of the test for those
 * it learnt later - a KEK exists only once its PIN is presented, and the
 * engine may drop a copy of it in the very call that makes it.  realloc()
 * always moves the block, so that a GByteArray that grows leaves its old
 * block to the scan whatever the allocator would have done.
 *
 * The secrets the test knows: the PINs it chose (and the PSID), the media
 * keys of the K_AES_256 rows and the KEKs of tper->keks as it finds them,
 * and the KEK of every known PIN, derived from its C_PIN row's verifier as
 * secrets.c does.  The host helpers (opal-host.c) wipe what they send.
 * libgcrypt's own allocations are not the engine's and are left out (its
 * PBKDF2 frees a scratch block that still holds the derived key).
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <execinfo.h>
#include <link.h>
#include <malloc.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <setjmp.h>
#include <cmocka.h>
#include <gcrypt.h>

#include "libc-alloc.h"
#include "opal-host.h"
#include "sp-tables.h"
#include "uid.h"

#define USER1_PIN       "wipe-user1-pin-5e0b"
#define USER1_NEW_PIN   "wipe-user1-new-pin-77d2"
#define USER2_PIN       "wipe-user2-pin-c4a1"
#define ADMIN1_PIN      "wipe-admin1-pin-91f3"
#define ADMIN1          OPAL_UID_AUTH_ADMIN1
#define RANGE1          OPAL_UID_LOCKING_RANGE(1)

/* PINs whose KEKs the test derives; the MSID is no secret. */
static const char *const known_pins[] = {
    HOST_SID_PIN, USER1_PIN, USER1_NEW_PIN, USER2_PIN, ADMIN1_PIN, "psid-pin",
};

/* ---- the watch on freed memory ---------------------------------------- */

#define MAX_SECRETS     512
#define KEY_MATCH       16      /* bytes of a random key that tell it apart */

typedef struct Secret {
    char what[64];
    uint8_t bytes[64];
    size_t len;
} Secret;

typedef struct Freed {
    void *p;
    size_t len;
    bool reported;
} Freed;

static Secret secrets[MAX_SECRETS];
static size_t nr_secrets;
static Freed *freed;
static size_t nr_freed, freed_room;
static bool watching;
static bool in_hook;            /* the watch's own work is not watched */
static unsigned found;

/* Where libgcrypt's code lies: what it frees is its own business. */
static uintptr_t gcrypt_start[8], gcrypt_end[8];
static int gcrypt_segments = -1;

static int find_gcrypt(struct dl_phdr_info *info, size_t size, void *data)
{
    if (!strstr(info->dlpi_name, "libgcrypt")) {
        return 0;
    }
    for (int i = 0; i < info->dlpi_phnum && gcrypt_segments < 8; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            gcrypt_start[gcrypt_segments] = info->dlpi_addr + ph->p_vaddr;
            gcrypt_end[gcrypt_segments] = gcrypt_start[gcrypt_segments] +
                                          ph->p_memsz;
            gcrypt_segments++;
        }
    }
    return 1;
}

static bool from_gcrypt(const void *caller)
{
    if (gcrypt_segments < 0) {
        gcrypt_segments = 0;
        dl_iterate_phdr(find_gcrypt, NULL);
    }
    for (int i = 0; i < gcrypt_segments; i++) {
        if ((uintptr_t)caller >= gcrypt_start[i] &&
            (uintptr_t)caller < gcrypt_end[i]) {
            return true;
        }
    }
    return false;
}

static const Secret *secret_in(const void *p, size_t len)
{
    for (size_t i = 0; i < nr_secrets; i++) {
        if (memmem(p, len, secrets[i].bytes, secrets[i].len)) {
            return &secrets[i];
        }
    }
    return NULL;
}

/* Keeps @p, freed or moved by realloc(), for the scans. */
static void released(void *p, const char *how)
{
    size_t len = malloc_usable_size(p);
    const Secret *s;

    in_hook = true;
    s = secret_in(p, len);
    if (s) {
        void *frames[16];
        int n = backtrace(frames, G_N_ELEMENTS(frames));

        found++;
        fprintf(stderr, "# %s of a %zu-byte block that holds %s, from:\n",
                how, len, s->what);
        backtrace_symbols_fd(frames, n, 2);
    }
    if (nr_freed == freed_room) {
        freed_room = freed_room ? 2 * freed_room : 4096;
        freed = __libc_realloc(freed, freed_room * sizeof(*freed));
        g_assert(freed);
    }
    freed[nr_freed++] = (Freed) { .p = p, .len = len, .reported = s };
    in_hook = false;
}

void *malloc(size_t size)
{
    return __libc_malloc(size);
}

void free(void *p)
{
    if (!p || !watching || in_hook ||
        from_gcrypt(__builtin_return_address(0))) {
        __libc_free(p);
        return;
    }
    released(p, "free");
}

void *realloc(void *p, size_t size)
{
    void *moved;

    if (!p || !size || !watching || in_hook ||
        from_gcrypt(__builtin_return_address(0))) {
        return __libc_realloc(p, size);
    }
    moved = __libc_malloc(size);
    if (moved) {
        memcpy(moved, p, MIN(size, malloc_usable_size(p)));
        released(p, "realloc");
    }
    return moved;
}

static void watch(void)
{
    nr_secrets = 0;
    found = 0;
    watching = true;
}

/*
 * Scans every block freed since watch() for every secret known now; how many
 * blocks held one, those found at free() included.
 */
static unsigned check_freed(void)
{
    unsigned late = 0;

    for (size_t i = 0; i < nr_freed; i++) {
        const Secret *s = freed[i].reported ? NULL :
                          secret_in(freed[i].p, freed[i].len);

        if (s) {
            late++;
            freed[i].reported = true;
            fprintf(stderr, "# freed block %zu (%zu bytes) held %s\n", i,
                    freed[i].len, s->what);
        }
    }
    return found + late;
}

static void unwatch(void)
{
    watching = false;
    for (size_t i = 0; i < nr_freed; i++) {
        __libc_free(freed[i].p);
    }
    nr_freed = 0;
}

/* ---- the secrets the test knows --------------------------------------- */

static void G_GNUC_PRINTF(3, 4) learn(const void *bytes, size_t len,
                                      const char *fmt, ...)
{
    va_list ap;

    g_assert(len <= sizeof(secrets[0].bytes));
    for (size_t i = 0; i < nr_secrets; i++) {
        if (secrets[i].len == len && !memcmp(secrets[i].bytes, bytes, len)) {
            return;
        }
    }
    g_assert(nr_secrets < MAX_SECRETS);
    memcpy(secrets[nr_secrets].bytes, bytes, len);
    secrets[nr_secrets].len = len;
    va_start(ap, fmt);
    vsnprintf(secrets[nr_secrets].what, sizeof(secrets[0].what), fmt, ap);
    va_end(ap);
    nr_secrets++;
}

static void learn_pins(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(known_pins); i++) {
        learn(known_pins[i], strlen(known_pins[i]), "the PIN \"%s\"",
              known_pins[i]);
    }
}

/* Both halves of every media key in memory (XTS takes two AES keys). */
static void learn_media_keys(OpalTPer *tper)
{
    const OpalTable *keys = opal_sp_table(tper->locking_sp,
                                          OPAL_UID_TABLE_K_AES_256);

    for (guint i = 0; i < keys->rows->len; i++) {
        const OpalRow *row = g_ptr_array_index(keys->rows, i);
        const uint8_t *key;
        size_t len;

        if (opal_row_get_bytes(row, OPAL_COL_K_AES_KEY, &key, &len) &&
            len == OPAL_MEDIA_KEY_LEN) {
            learn(key, KEY_MATCH, "a media key of %016" G_GINT64_MODIFIER "x",
                  row->uid);
            learn(key + OPAL_MEDIA_KEY_LEN / 2, KEY_MATCH,
                  "a media key of %016" G_GINT64_MODIFIER "x", row->uid);
        }
    }
}

static void learn_keks(OpalTPer *tper)
{
    GHashTableIter iter;
    gpointer uid, kek;

    g_hash_table_iter_init(&iter, tper->keks);
    while (g_hash_table_iter_next(&iter, &uid, &kek)) {
        learn(kek, KEY_MATCH, "the KEK of %016" G_GINT64_MODIFIER "x",
              *(uint64_t *)uid);
    }
}

/*
 * The KEK of each known PIN that a C_PIN row of @sp verifies: the second
 * half of PBKDF2-HMAC-SHA256(PIN, salt), the verifier being the first.
 */
static void learn_pin_keks(const OpalSP *sp)
{
    const OpalTable *cpins = opal_sp_table(sp, OPAL_UID_TABLE_C_PIN);

    for (guint i = 0; i < cpins->rows->len; i++) {
        const OpalRow *row = g_ptr_array_index(cpins->rows, i);
        const uint8_t *record;
        size_t len;

        /* version, iterations (BE32), salt (16), verifier (32) */
        if (!opal_row_get_bytes(row, OPAL_COL_C_PIN_VERIFIER, &record, &len) ||
            len != 1 + 4 + 16 + OPAL_KEK_LEN) {
            continue;
        }
        for (size_t p = 0; p < G_N_ELEMENTS(known_pins); p++) {
            uint8_t derived[2 * OPAL_KEK_LEN];

            assert_int_equal(gcry_kdf_derive(known_pins[p],
                                             strlen(known_pins[p]),
                                             GCRY_KDF_PBKDF2, GCRY_MD_SHA256,
                                             record + 5, 16,
                                             opal_get_be32(record + 1),
                                             sizeof(derived), derived), 0);
            if (!memcmp(derived, record + 5 + 16, OPAL_KEK_LEN)) {
                learn(derived + OPAL_KEK_LEN, KEY_MATCH, "the KEK of \"%s\"",
                      known_pins[p]);
            }
            host_wipe(derived, sizeof(derived));
        }
    }
}

/* Learns the secrets @tper holds now. */
static void observe(OpalTPer *tper)
{
    learn_media_keys(tper);
    learn_keks(tper);
    learn_pin_keks(tper->admin_sp);
    learn_pin_keks(tper->locking_sp);
}

static int setup(void **state)
{
    watch();
    learn_pins();
    *state = opal_tper_new(&host_test_config);
    observe(*state);
    return 0;
}

static int teardown(void **state)
{
    if (*state) {
        opal_tper_free(*state);
    }
    unwatch();
    return 0;
}

/* Frees the TPer, as at power-off: no block freed since setup held a secret. */
static void assert_nothing_left(void **state)
{
    observe(*state);
    opal_tper_free(*state);
    *state = NULL;
    assert_int_equal(check_freed(), 0);
}

/* ---- flows that handle secrets ---------------------------------------- */

/* A call that carries a PIN, built with room enough that it never moves. */
static uint64_t call_wiped(OpalTPer *tper, uint32_t tsn, GByteArray *b)
{
    uint64_t status = host_call(tper, tsn, b, NULL);

    host_wipe(b->data, b->len);
    return status;
}

static void set_range1(OpalTPer *tper, uint32_t tsn, uint64_t column,
                       uint64_t value)
{
    assert_int_equal(host_set_uint(tper, tsn, RANGE1, column, value), 0);
}

/* Admin1 gives User1 a PIN and, with the Admins, the right to unlock Range1. */
static void admin1_sets_user1(OpalTPer *tper)
{
    const uint64_t who[] = { OPAL_UID_AUTH_USER1, OPAL_UID_AUTH_ADMINS };
    uint64_t ace = OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(1);
    uint32_t tsn;

    assert_int_equal(host_locking_session(tper, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_uint(tper, tsn, OPAL_UID_USER(1),
                                   OPAL_COL_AUTHORITY_ENABLED, 1), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1),
                                  USER1_PIN), 0);
    assert_int_equal(host_set_ace(tper, tsn, ace, who, 2), 0);
    set_range1(tper, tsn, OPAL_COL_LOCKING_RANGE_START, 4096);
    set_range1(tper, tsn, OPAL_COL_LOCKING_RANGE_LENGTH, 4096);
    set_range1(tper, tsn, OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1);
    host_end_session(tper, tsn);
    observe(tper);
}

/* Take ownership, a user's PIN, Authenticate, a new PIN, a power cycle. */
static void test_pins(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_sized_new(512);
    uint64_t proven = 0;
    uint32_t tsn;

    host_take_ownership(tper);
    observe(tper);
    host_activate(tper);
    observe(tper);
    admin1_sets_user1(tper);

    /* A Set refused after it took the PIN in: the engine drops its copy. */
    assert_int_equal(host_locking_session(tper, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    host_call_begin(b, OPAL_UID_C_PIN_USER(1), OPAL_UID_M_SET);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, 1);                          /* Values */
    opal_token_put_control(b, OPAL_TK_START_LIST);
    host_put_named_bytes(b, OPAL_COL_C_PIN_PIN, USER1_NEW_PIN,
                         strlen(USER1_NEW_PIN));
    host_put_named_uint(b, OPAL_COL_C_PIN_VERIFIER, 1); /* no host's to set */
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    host_call_end(b);
    assert_int_equal(call_wiped(tper, tsn, b), OPAL_ST_INVALID_PARAMETER);
    host_end_session(tper, tsn);

    /* User1 proves its PIN with Authenticate, in a session of Anybody's. */
    assert_int_equal(host_locking_session(tper, 0, NULL, &tsn), 0);
    assert_int_equal(host_authenticate(tper, tsn, OPAL_UID_AUTH_USER1,
                                       USER1_PIN, &proven), 0);
    assert_int_equal(proven, 1);
    observe(tper);
    host_end_session(tper, tsn);

    /* A new PIN for User1: a new KEK replaces the old one. */
    assert_int_equal(host_locking_session(tper, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1),
                                  USER1_NEW_PIN), 0);
    observe(tper);
    host_end_session(tper, tsn);

    /* Power off and on: the KEKs go, and Range1's key; a PIN brings it back. */
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
    observe(tper);
    assert_int_equal(host_locking_session(tper, OPAL_UID_AUTH_USER1,
                                          USER1_NEW_PIN, &tsn), 0);
    observe(tper);
    host_end_session(tper, tsn);
    assert_nothing_left(state);
}

/* Revert of the whole TPer, by SID or by PSID with the label's PSID. */
static void revert_as(OpalTPer *tper, uint64_t authority, const char *pin)
{
    uint32_t tsn;

    assert_int_equal(host_admin_session(tper, authority, pin, &tsn), 0);
    assert_int_equal(host_call_plain(tper, tsn, OPAL_UID_ADMINSP,
                                     OPAL_UID_M_REVERT), 0);
    observe(tper);
}

/* Media keys replaced: GenKey, RevertSP keeping a key, Revert, PSID revert. */
static void test_keys(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    observe(tper);
    assert_int_equal(host_locking_session(tper, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn,
                                     OPAL_UID_K_AES_256_RANGE_KEY(1),
                                     OPAL_UID_M_GENKEY), 0);
    observe(tper);
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP);
    host_put_named_uint(b, 0x060000, 1);        /* KeepGlobalRangeKey */
    host_call_end(b);
    assert_int_equal(host_call(tper, tsn, b, NULL), 0);
    observe(tper);

    host_activate(tper);
    observe(tper);
    revert_as(tper, OPAL_UID_AUTH_SID, HOST_SID_PIN);

    host_take_ownership(tper);
    host_activate(tper);
    observe(tper);
    revert_as(tper, OPAL_UID_AUTH_PSID, host_test_config.psid);

    /* The management interface's PSID revert, without a host. */
    host_take_ownership(tper);
    observe(tper);
    opal_tper_psid_revert(tper);
    assert_nothing_left(state);
}

/* Single User Mode: Erase makes a new key, Reactivate a new Admin1 PIN. */
static void test_erase_reactivate(void **state)
{
    OpalTPer *tper = *state;
    g_autoptr(GByteArray) b = g_byte_array_sized_new(512);
    uint64_t user2 = OPAL_UID_USER(2);
    uint32_t tsn;

    host_take_ownership(tper);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_uint(b, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    opal_token_put_uid(b, RANGE1);
    opal_token_put_control(b, OPAL_TK_END_LIST);
    opal_token_put_control(b, OPAL_TK_END_NAME);
    assert_int_equal(host_activate_with(tper, OPAL_UID_LOCKINGSP, b), 0);
    g_byte_array_set_size(b, 0);
    observe(tper);

    /* Range1 is User2's: it sets its PIN, then presents it. */
    assert_int_equal(host_locking_session(tper, user2, "", &tsn), 0);
    assert_int_equal(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(2),
                                  USER2_PIN), 0);
    host_end_session(tper, tsn);
    assert_int_equal(host_locking_session(tper, user2, USER2_PIN, &tsn), 0);
    observe(tper);
    host_end_session(tper, tsn);

    assert_int_equal(host_locking_session(tper, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    assert_int_equal(host_call_plain(tper, tsn, RANGE1, OPAL_UID_M_ERASE), 0);
    observe(tper);
    /* Reactivate with a new PIN for Admin1: its old KEK goes. */
    host_call_begin(b, OPAL_UID_THISSP, OPAL_UID_M_REACTIVATE);
    host_put_named_bytes(b, OPAL_SUM_PARAM_ADMIN1_PIN, ADMIN1_PIN,
                         strlen(ADMIN1_PIN));
    host_call_end(b);
    assert_int_equal(call_wiped(tper, tsn, b), 0);
    observe(tper);
    assert_int_equal(host_locking_session(tper, ADMIN1, ADMIN1_PIN, &tsn), 0);
    host_end_session(tper, tsn);
    assert_nothing_left(state);
}

/* The saved state, loaded as at power-on, and a migration's running state. */
static void test_state(void **state)
{
    OpalTPer *tper = *state, *copy;
    g_autofree char *error = NULL;
    uint8_t *saved;
    uint32_t tsn;
    size_t len;

    host_take_ownership(tper);
    host_activate(tper);
    admin1_sets_user1(tper);
    copy = opal_tper_new(&host_test_config);
    observe(copy);

    saved = opal_tper_save(tper, &len);
    assert_true(opal_tper_load(copy, saved, len, &error));
    g_free(saved);
    opal_tper_reset(copy, OPAL_RESET_POWER_CYCLE);
    observe(copy);
    assert_int_equal(host_locking_session(copy, ADMIN1, HOST_SID_PIN, &tsn),
                     0);
    observe(copy);
    host_end_session(copy, tsn);

    /* Clear keys and KEKs: the caller frees them wiped. */
    saved = opal_tper_save_running(tper, &len);
    assert_true(opal_tper_load_running(copy, saved, len, &error));
    opal_secret_free(saved, len);
    observe(copy);
    opal_tper_reset(copy, OPAL_RESET_POWER_CYCLE);
    opal_tper_free(copy);
    assert_nothing_left(state);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pins),
        T(test_keys),
        T(test_erase_reactivate),
        T(test_state),
    };

    return cmocka_run_group_tests_name("wipe", tests, NULL, NULL);
}
