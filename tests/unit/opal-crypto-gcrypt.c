/*
 * ide-opal-hd: the engine's crypto on libgcrypt, for its standalone build
 *
 * The engine itself depends on glib only; the unit tests, the fuzzers and
 * the benchmark give it this libgcrypt implementation of OpalCrypto, where
 * QEMU's device gives it QEMU's crypto API.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <gcrypt.h>
#include "opal-crypto-gcrypt.h"

/* libgcrypt must be initialised once, unless the application did. */
static void gcrypt_init(void)
{
    static gsize done;

    if (g_once_init_enter(&done)) {
        if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
            gcry_check_version(NULL);
            gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
        }
        g_once_init_leave(&done, 1);
    }
}

static bool gcrypt_random_bytes(void *buf, size_t len)
{
    gcrypt_init();
    /*
     * libgcrypt's CSPRNG, seeded from the kernel: the "very strong" level
     * would gather fresh entropy for every key, 50x slower for every drive
     * created or reverted, and no stronger against any real attack here.
     */
    gcry_randomize(buf, len, GCRY_STRONG_RANDOM);
    return true;
}

static bool gcrypt_pbkdf2_sha256(const uint8_t *pass, size_t pass_len,
                                 const uint8_t *salt, size_t salt_len,
                                 unsigned iterations, uint8_t *out,
                                 size_t out_len)
{
    gcrypt_init();
    /*
     * A zero-length passphrase is fine for PBKDF2; libgcrypt wants a pointer
     * anyway.
     */
    return !gcry_kdf_derive(pass_len ? pass : (const uint8_t *)"", pass_len,
                            GCRY_KDF_PBKDF2, GCRY_MD_SHA256, salt, salt_len,
                            iterations, out_len, out);
}

static OpalAes256 *gcrypt_aes256_new(const uint8_t *key)
{
    gcry_cipher_hd_t h;

    gcrypt_init();
    if (gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_ECB, 0)) {
        return NULL;
    }
    if (gcry_cipher_setkey(h, key, 32)) {
        gcry_cipher_close(h);
        return NULL;
    }
    return (OpalAes256 *)h;
}

static bool gcrypt_aes256_ecb(OpalAes256 *aes, bool decrypt,
                              const uint8_t *in, uint8_t *out, size_t len)
{
    gcry_cipher_hd_t h = (gcry_cipher_hd_t)aes;

    return !(decrypt ? gcry_cipher_decrypt(h, out, len, in, len) :
                       gcry_cipher_encrypt(h, out, len, in, len));
}

static void gcrypt_aes256_free(OpalAes256 *aes)
{
    if (aes) {
        gcry_cipher_close((gcry_cipher_hd_t)aes);   /* wipes the schedule */
    }
}

const OpalCrypto opal_crypto_gcrypt = {
    .random_bytes = gcrypt_random_bytes,
    .pbkdf2_sha256 = gcrypt_pbkdf2_sha256,
    .aes256_new = gcrypt_aes256_new,
    .aes256_ecb = gcrypt_aes256_ecb,
    .aes256_free = gcrypt_aes256_free,
};
