/*
 * ide-opal-hd: the engine's crypto on QEMU's crypto API
 *
 * The TCG Storage engine (hw/block/opal) depends on glib only and asks its
 * application for cryptography through OpalCrypto (hw/opal/opal.h); the
 * device answers with whichever backend QEMU was configured with (gnutls,
 * nettle or libgcrypt).  The engine builds AES key wrap (RFC 3394), which
 * QEMU lacks, on the block cipher below; the media gate (opal-media.c) uses
 * QEMU's XTS itself.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "crypto/cipher.h"
#include "crypto/pbkdf.h"
#include "crypto/random.h"
#include "opal-hd.h"

#define AES_BLOCK_LEN   16

static bool opal_crypto_random_bytes(void *buf, size_t len)
{
    Error *err = NULL;

    if (qcrypto_random_bytes(buf, len, &err) < 0) {
        error_report_err(err);
        return false;
    }
    return true;
}

static bool opal_crypto_pbkdf2_sha256(const uint8_t *pass, size_t pass_len,
                                      const uint8_t *salt, size_t salt_len,
                                      unsigned iterations, uint8_t *out,
                                      size_t out_len)
{
    Error *err = NULL;

    /* An empty passphrase is fine for PBKDF2; a backend may want a pointer. */
    if (qcrypto_pbkdf2(QCRYPTO_HASH_ALGO_SHA256,
                       pass_len ? pass : (const uint8_t *)"", pass_len,
                       salt, salt_len, iterations, out, out_len, &err) < 0) {
        error_report_err(err);
        return false;
    }
    return true;
}

/*
 * AES-256 blocks are enciphered in CBC mode with a zero IV, one block at a
 * time, which is ECB: QEMU's gnutls backend fakes ECB with a new gnutls
 * cipher for every block and keeps a copy of the key that it frees without
 * wiping, where its CBC handle wipes its key schedule when freed.
 */
static OpalAes256 *opal_crypto_aes256_new(const uint8_t *key)
{
    Error *err = NULL;
    QCryptoCipher *cipher = qcrypto_cipher_new(QCRYPTO_CIPHER_ALGO_AES_256,
                                               QCRYPTO_CIPHER_MODE_CBC,
                                               key, 32, &err);

    if (!cipher) {
        error_report_err(err);
    }
    return (OpalAes256 *)cipher;
}

static bool opal_crypto_aes256_ecb(OpalAes256 *aes, bool decrypt,
                                   const uint8_t *in, uint8_t *out,
                                   size_t len)
{
    static const uint8_t zero_iv[AES_BLOCK_LEN];
    QCryptoCipher *cipher = (QCryptoCipher *)aes;
    Error *err = NULL;

    g_assert(len % AES_BLOCK_LEN == 0);
    for (size_t off = 0; off < len; off += AES_BLOCK_LEN) {
        int ret = qcrypto_cipher_setiv(cipher, zero_iv, sizeof(zero_iv),
                                       &err);

        if (!ret) {
            ret = decrypt ? qcrypto_cipher_decrypt(cipher, in + off, out + off,
                                                   AES_BLOCK_LEN, &err) :
                            qcrypto_cipher_encrypt(cipher, in + off, out + off,
                                                   AES_BLOCK_LEN, &err);
        }
        if (ret < 0) {
            error_report_err(err);
            return false;
        }
    }
    return true;
}

static void opal_crypto_aes256_free(OpalAes256 *aes)
{
    qcrypto_cipher_free((QCryptoCipher *)aes);
}

const OpalCrypto ide_opal_crypto = {
    .random_bytes = opal_crypto_random_bytes,
    .pbkdf2_sha256 = opal_crypto_pbkdf2_sha256,
    .aes256_new = opal_crypto_aes256_new,
    .aes256_ecb = opal_crypto_aes256_ecb,
    .aes256_free = opal_crypto_aes256_free,
};
