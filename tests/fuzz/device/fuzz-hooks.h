/*
 * ide-opal-hd device fuzzing: what fuzz-hooks.c wraps and calls.
 *
 * The linker's --wrap=SYMBOL sends calls of SYMBOL to __wrap_SYMBOL and
 * makes the original __real_SYMBOL; no header of QEMU's declares either,
 * and the device's own functions are declared in hw/ide/opal-hd.h, which
 * is not on the include path of a file outside hw/ide.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef TESTS_FUZZ_DEVICE_FUZZ_HOOKS_H
#define TESTS_FUZZ_DEVICE_FUZZ_HOOKS_H

#include "block/aio.h"
#include "block/thread-pool.h"
#include "system/runstate.h"
#include "crypto/pbkdf.h"

void __real_qemu_system_reset(ShutdownCause reason);
void __wrap_qemu_system_reset(ShutdownCause reason);
/* hw/ide/opal-qmp.c (QMP's opal-psid-revert) */
void qmp_opal_psid_revert(const char *id, Error **errp);
/* hw/ide/opal-state.c: the two ways a state is saved (opal-hd.h) */
typedef struct IDEOpalDrive IDEOpalDrive;
typedef struct IDEOpalSlotWrite IDEOpalSlotWrite;
/* hw/ide/opal-engine.c: work for the drive's thread (opal-hd.h) */
void __real_ide_opal_engine_submit(IDEOpalDrive *d, ThreadPoolFunc *func,
                                   void *arg, BlockCompletionFunc *cb,
                                   void *opaque);
void __wrap_ide_opal_engine_submit(IDEOpalDrive *d, ThreadPoolFunc *func,
                                   void *arg, BlockCompletionFunc *cb,
                                   void *opaque);
bool __real_ide_opal_state_save(IDEOpalDrive *d, Error **errp);
bool __wrap_ide_opal_state_save(IDEOpalDrive *d, Error **errp);
IDEOpalSlotWrite *__real_ide_opal_state_prepare(IDEOpalDrive *d);
IDEOpalSlotWrite *__wrap_ide_opal_state_prepare(IDEOpalDrive *d);

/* crypto/pbkdf.c: the drive's PBKDF2 (hw/ide/opal-crypto.c) */
int __real_qcrypto_pbkdf2(QCryptoHashAlgo hash, const uint8_t *key,
                          size_t nkey, const uint8_t *salt, size_t nsalt,
                          uint64_t iterations, uint8_t *out, size_t nout,
                          Error **errp);
int __wrap_qcrypto_pbkdf2(QCryptoHashAlgo hash, const uint8_t *key,
                          size_t nkey, const uint8_t *salt, size_t nsalt,
                          uint64_t iterations, uint8_t *out, size_t nout,
                          Error **errp);

#endif
