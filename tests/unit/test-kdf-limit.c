/*
 * PIN verifiers' PBKDF2 iteration counts in a loaded state: no more than
 * this drive would itself write, max(kdf_iterations, the default).  A
 * crafted image asking for 10 million (seconds per PIN check) is refused at
 * load, with the reason, before any PBKDF2 runs.
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
#include "opal-crypto-gcrypt.h"
#include "sp-tables.h"
#include "uid.h"

#define CRAFTED_ITERATIONS  10000000u

/*
 * Every PBKDF2 the engine runs, counted, with the largest iteration count
 * asked for: the tests' drives get the crypto of the other tests with a
 * counter around its PBKDF2.  Loading a state builds the factory's verifiers
 * first, with the drive's own count, but never runs a loaded one: a crafted
 * count would cost seconds there.
 */
static unsigned kdf_runs;
static unsigned long kdf_most_iterations;

static bool counted_pbkdf2(const uint8_t *pass, size_t pass_len,
                           const uint8_t *salt, size_t salt_len,
                           unsigned iterations, uint8_t *out, size_t out_len)
{
    kdf_runs++;
    kdf_most_iterations = MAX(kdf_most_iterations, iterations);
    return opal_crypto_gcrypt.pbkdf2_sha256(pass, pass_len, salt, salt_len,
                                            iterations, out, out_len);
}

static OpalCrypto counted_crypto;
static OpalConfig counted;          /* host_test_config, counted_crypto's */

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++) {
        p[i] = v >> (8 * i);
    }
}

/*
 * Where the iteration count (BE32) of C_PIN_SID's verifier is in @state: its
 * CELL record (kind 1, u64 SP, u64 row, u32 column, u32 length), then the
 * cell's token - a medium atom (Core 3.2.2.3.1.3) of the 53-byte record:
 * version 1, iterations, 16 bytes of salt, the verifier.  The state has no
 * checksum of its own (the store's business), so patching the count is all
 * a crafted state needs.
 */
static size_t sid_iterations_at(const uint8_t *state, size_t len)
{
    uint8_t head[1 + 8 + 8 + 4];
    size_t at = 0, found = 0;

    head[0] = 1;
    put_le(head + 1, OPAL_UID_ADMINSP, 8);
    put_le(head + 9, OPAL_UID_C_PIN_SID, 8);
    put_le(head + 17, OPAL_COL_C_PIN_VERIFIER, 4);
    for (size_t i = 0; i + sizeof(head) <= len; i++) {
        if (!memcmp(state + i, head, sizeof(head))) {
            at = i;
            found++;
        }
    }
    assert_int_equal(found, 1);
    at += sizeof(head);
    assert_true(at + 4 + 2 + 53 <= len);
    assert_int_equal(state[at] | state[at + 1] << 8, 2 + 53);   /* length */
    assert_int_equal(state[at + 4], 0xd0);                      /* bytes, */
    assert_int_equal(state[at + 5], 53);                        /* 53 */
    assert_int_equal(state[at + 6], 1);                         /* version */
    return at + 7;
}

/* An owned drive's saved state, SID's verifier asking for @iterations. */
static uint8_t *crafted_state(const OpalConfig *config, bool running,
                              uint32_t iterations, size_t *len)
{
    OpalTPer *tper = opal_tper_new(config);
    uint8_t *state;
    size_t at;

    host_take_ownership(tper);
    state = running ? opal_tper_save_running(tper, len)
                    : opal_tper_save(tper, len);
    opal_tper_free(tper);
    at = sid_iterations_at(state, *len);
    assert_int_equal(opal_get_be32(state + at), opal_kdf_iterations(config));
    opal_put_be32(state + at, iterations);
    return state;
}

/* Loads @state into a factory drive; NULL if it took it, else the reason. */
static char *load_error(const OpalConfig *config, bool running,
                        const uint8_t *state, size_t len)
{
    OpalTPer *tper = opal_tper_new(config);
    char *error = NULL;
    bool ok;

    kdf_most_iterations = 0;
    ok = running ? opal_tper_load_running(tper, state, len, &error)
                 : opal_tper_load(tper, state, len, &error);
    assert_true(kdf_most_iterations <= opal_kdf_iterations(config));
    assert_true(ok == !error);
    if (!ok) {
        uint32_t tsn;

        /* Refused, the drive is the factory's still: MSID opens it as SID. */
        assert_int_equal(host_admin_session(tper, OPAL_UID_AUTH_SID,
                                            config->msid, &tsn), 0);
        host_end_session(tper, tsn);
    }
    opal_tper_free(tper);
    return error;
}

/* 10 million iterations: refused, saying so, as a saved or a running state. */
static void test_crafted_iterations(void **state)
{
    for (int running = 0; running < 2; running++) {
        size_t len;
        g_autofree uint8_t *crafted = crafted_state(&counted, running,
                                                    CRAFTED_ITERATIONS, &len);
        g_autofree char *error = load_error(&counted, running, crafted,
                                            len);

        assert_non_null(error);
        assert_non_null(strstr(error, "C_PIN"));
        assert_non_null(strstr(error, "10000000 PBKDF2 iterations"));
    }
}

/* Up to max(kdf_iterations, the default), and not one more; never 0. */
static void test_iterations_bound(void **state)
{
    OpalConfig more = counted;
    static const struct {
        unsigned config, iterations;
        bool taken;
    } cases[] = {
        { 1000, 1000, true },                               /* its own */
        { 1000, OPAL_KDF_ITERATIONS_DEFAULT, true },        /* written before */
        { 1000, OPAL_KDF_ITERATIONS_DEFAULT + 1, false },
        { 1000, 0, false },
        { 0, OPAL_KDF_ITERATIONS_DEFAULT, true },
        { 0, OPAL_KDF_ITERATIONS_DEFAULT + 1, false },
        { 250000, 250000, true },
        { 250000, 250001, false },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        size_t len;
        g_autofree uint8_t *crafted = NULL;
        g_autofree char *error = NULL;

        more.kdf_iterations = cases[i].config;
        /* Built with the test's cheap PBKDF2, patched to the count to try. */
        crafted = crafted_state(&counted, false, cases[i].iterations,
                                &len);
        error = load_error(&more, false, crafted, len);
        assert_true(!error == cases[i].taken);
    }
}

/*
 * A drive configured with more than the default loads its own verifiers and
 * checks its PINs with them; one configured with fewer since refuses them.
 */
static void test_own_verifiers(void **state)
{
    OpalConfig slow = counted;
    OpalTPer *tper, *copy;
    g_autofree uint8_t *saved = NULL;
    g_autofree char *error = NULL, *refused = NULL;
    unsigned runs;
    uint32_t tsn;
    size_t len;

    slow.kdf_iterations = OPAL_KDF_ITERATIONS_DEFAULT + 20000;
    tper = opal_tper_new(&slow);
    host_take_ownership(tper);
    saved = opal_tper_save(tper, &len);
    opal_tper_free(tper);

    copy = opal_tper_new(&slow);
    assert_true(opal_tper_load(copy, saved, len, &error));
    runs = kdf_runs;
    assert_int_equal(host_admin_session(copy, OPAL_UID_AUTH_SID, HOST_SID_PIN,
                                        &tsn), 0);
    /* The counter sees the engine's PBKDF2: the PIN check ran one */
    assert_int_equal(kdf_runs, runs + 1);
    host_end_session(copy, tsn);
    opal_tper_free(copy);

    refused = load_error(&counted, false, saved, len);
    assert_non_null(refused);
    assert_non_null(strstr(refused, "120000 PBKDF2 iterations"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crafted_iterations),
        cmocka_unit_test(test_iterations_bound),
        cmocka_unit_test(test_own_verifiers),
    };

    counted_crypto = opal_crypto_gcrypt;
    counted_crypto.pbkdf2_sha256 = counted_pbkdf2;
    counted = host_test_config;
    counted.crypto = &counted_crypto;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
