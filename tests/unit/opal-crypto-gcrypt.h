/*
 * ide-opal-hd: the engine's crypto on libgcrypt, for its standalone build
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef OPAL_CRYPTO_GCRYPT_H
#define OPAL_CRYPTO_GCRYPT_H

#include "hw/opal/opal.h"

/*
 * OpalConfig.crypto for the unit tests, fuzzers and benchmark; QEMU's device
 * has its own, on QEMU's crypto API (hw/ide/opal-crypto.c).
 */
extern const OpalCrypto opal_crypto_gcrypt;

#endif
