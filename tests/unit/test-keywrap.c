/*
 * AES key wrap (RFC 3394) as the engine builds it on OpalCrypto's AES-256
 * block cipher (secrets.c): the RFC's test vectors for a 256-bit KEK, the
 * same bytes as libgcrypt's GCRY_CIPHER_MODE_AESWRAP (which wrapped the keys
 * in images of earlier versions of the drive, so they must still unwrap),
 * and the integrity check that refuses the wrong KEK.
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
#include <gcrypt.h>

#include "opal-host.h"
#include "opal-crypto-gcrypt.h"
#include "sp.h"

static const uint8_t rfc_kek[32] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const uint8_t rfc_data[32] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
};

/* RFC 3394 4.3, 4.5 and 4.6: 128, 192 and 256 bits of key data. */
static const struct {
    size_t len;
    uint8_t wrapped[40];
} rfc_vectors[] = {
    { 16, {
        0x64, 0xe8, 0xc3, 0xf9, 0xce, 0x0f, 0x5b, 0xa2,
        0x63, 0xe9, 0x77, 0x79, 0x05, 0x81, 0x8a, 0x2a,
        0x93, 0xc8, 0x19, 0x1e, 0x7d, 0x6e, 0x8a, 0xe7 } },
    { 24, {
        0xa8, 0xf9, 0xbc, 0x16, 0x12, 0xc6, 0x8b, 0x3f,
        0xf6, 0xe6, 0xf4, 0xfb, 0xe3, 0x0e, 0x71, 0xe4,
        0x76, 0x9c, 0x8b, 0x80, 0xa3, 0x2c, 0xb8, 0x95,
        0x8c, 0xd5, 0xd1, 0x7d, 0x6b, 0x25, 0x4d, 0xa1 } },
    { 32, {
        0x28, 0xc9, 0xf4, 0x04, 0xc4, 0xb8, 0x10, 0xf4,
        0xcb, 0xcc, 0xb3, 0x5c, 0xfb, 0x87, 0xf8, 0x26,
        0x3f, 0x57, 0x86, 0xe2, 0xd8, 0x0e, 0xd3, 0x26,
        0xcb, 0xc7, 0xf0, 0xe7, 0x1a, 0x99, 0xf4, 0x3b,
        0xfb, 0x98, 0x8b, 0x9b, 0x7a, 0x02, 0xdd, 0x21 } },
};

static const OpalCrypto *crypto = &opal_crypto_gcrypt;

static void test_rfc3394_vectors(void **state)
{
    for (size_t v = 0; v < G_N_ELEMENTS(rfc_vectors); v++) {
        size_t len = rfc_vectors[v].len;
        uint8_t wrapped[40], data[32];

        assert_true(opal_aes_key_wrap(crypto, rfc_kek, rfc_data, len,
                                      wrapped));
        assert_memory_equal(wrapped, rfc_vectors[v].wrapped, len + 8);
        assert_true(opal_aes_key_unwrap(crypto, rfc_kek,
                                        rfc_vectors[v].wrapped, len, data));
        assert_memory_equal(data, rfc_data, len);
    }
}

/* A media key wrapped as libgcrypt's AESWRAP mode does, and back. */
static void test_same_as_gcrypt(void **state)
{
    for (int round = 0; round < 100; round++) {
        uint8_t kek[OPAL_KEK_LEN], key[OPAL_MEDIA_KEY_LEN];
        uint8_t ours[OPAL_MEDIA_KEY_LEN + 8], theirs[OPAL_MEDIA_KEY_LEN + 8];
        uint8_t back[OPAL_MEDIA_KEY_LEN];
        gcry_cipher_hd_t h;

        assert_true(crypto->random_bytes(kek, sizeof(kek)));
        assert_true(crypto->random_bytes(key, sizeof(key)));
        assert_int_equal(gcry_cipher_open(&h, GCRY_CIPHER_AES256,
                                          GCRY_CIPHER_MODE_AESWRAP, 0), 0);
        assert_int_equal(gcry_cipher_setkey(h, kek, sizeof(kek)), 0);
        assert_int_equal(gcry_cipher_encrypt(h, theirs, sizeof(theirs), key,
                                             sizeof(key)), 0);
        gcry_cipher_close(h);

        assert_true(opal_aes_key_wrap(crypto, kek, key, sizeof(key), ours));
        assert_memory_equal(ours, theirs, sizeof(ours));
        assert_true(opal_aes_key_unwrap(crypto, kek, theirs, sizeof(key),
                                        back));
        assert_memory_equal(back, key, sizeof(key));
    }
}

/* The wrong KEK, or one flipped bit, fails the check and leaves zeros. */
static void test_integrity(void **state)
{
    uint8_t wrapped[32 + 8], data[32], zeros[32] = { 0 }, kek[32];

    assert_true(opal_aes_key_wrap(crypto, rfc_kek, rfc_data, 32, wrapped));
    memcpy(kek, rfc_kek, sizeof(kek));
    kek[31] ^= 1;
    memset(data, 0x55, sizeof(data));
    assert_false(opal_aes_key_unwrap(crypto, kek, wrapped, 32, data));
    assert_memory_equal(data, zeros, sizeof(data));
    for (size_t bit = 0; bit < 8 * sizeof(wrapped); bit += 37) {
        wrapped[bit / 8] ^= 1 << (bit % 8);
        memset(data, 0x55, sizeof(data));
        assert_false(opal_aes_key_unwrap(crypto, rfc_kek, wrapped, 32, data));
        assert_memory_equal(data, zeros, sizeof(data));
        wrapped[bit / 8] ^= 1 << (bit % 8);
    }
    assert_true(opal_aes_key_unwrap(crypto, rfc_kek, wrapped, 32, data));
    assert_memory_equal(data, rfc_data, sizeof(data));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3394_vectors),
        cmocka_unit_test(test_same_as_gcrypt),
        cmocka_unit_test(test_integrity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
