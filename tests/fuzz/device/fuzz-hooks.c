/*
 * ide-opal-hd device fuzzing: hooks that make QEMU's generic-fuzz target fit
 * a drive with a worker thread, a state that outlives a reset and a
 * deliberately slow password check.
 *
 * This file is linked into qemu-fuzz-x86_64 alone (scripts/fuzz-device.sh
 * passes it in LIB_FUZZING_ENGINE with -Wl,--wrap=...), never into
 * qemu-system-x86_64; QEMU's sources stay as they are.
 *
 * 1. Waiting for the TPer (--wrap=ide_opal_engine_submit).
 *    ide-opal-hd runs a TRUSTED SEND's method in a thread of the drive's
 *    own (hw/ide/opal-engine.c): the command stays BSY until the thread is
 *    done, which takes a PBKDF2 or two when a password is checked.
 *    generic-fuzz never waits for a worker - it runs its next operation at
 *    once, and resets the machine at the end of the input - so whether a
 *    command that follows a TRUSTED SEND runs, and with which DMA contents,
 *    would depend on the host's timing, and every input would end at its
 *    first password check.  Here the submitting MMIO/PIO access runs the
 *    work in a thread of its own, as the drive would (without the BQL, so the
 *    engine takes its worker path: the state is saved by a coroutine in the
 *    main loop, which this polls meanwhile), waits for it, and schedules the
 *    completion as a bottom half, which generic-fuzz runs before its next
 *    operation.  The device sees what it sees with a fast worker: the
 *    command completes after the submitting access returns.
 *    QEMU_FUZZ_OPAL_ENGINE=async leaves the drive's thread alone (the shipped
 *    timing; inputs then are not reproducible); QEMU_FUZZ_OPAL_ENGINE=inline
 *    runs the work in the submitting thread itself, with the BQL (to tell a
 *    finding from an effect of the polling above).
 *
 * 2. A factory-fresh drive for every input (--wrap=qemu_system_reset, and
 *    --wrap=ide_opal_state_save,ide_opal_state_prepare to see changes).
 *    generic-fuzz ends each input with a system reset, which reaches the
 *    drive as a hardware reset: it keeps power, and its owner, passwords,
 *    ranges and keys.  An input that took ownership with a mutated password
 *    would change what every later input does, and an input that crashed
 *    would not crash again on its own.  After a reset that ends an input
 *    which changed the drive's persistent state (it saved its state), the
 *    drive named by QEMU_FUZZ_OPAL_ID (default opal0) is PSID-reverted, as
 *    QMP's opal-psid-revert does it - only then, as a revert costs a PBKDF2
 *    and a save.  Whatever else an input changed is volatile, and the reset
 *    ends it.  QEMU_FUZZ_OPAL_REVERT=0 keeps the state.
 *
 * 3. One PBKDF2 iteration (--wrap=qcrypto_pbkdf2).
 *    The drive derives a PIN's verifier and KEK with PBKDF2 at a cost meant
 *    to slow down guessing (about 30 ms): an input that takes ownership
 *    checks three or four PINs, plus the revert above, and fuzzing would
 *    spend nearly all its time in PBKDF2.  Here every derivation runs
 *    one iteration, whatever the verifier record says: the drive derives and
 *    checks alike, so what it accepts and refuses does not change, and the
 *    iteration count still goes through its bounds checks.
 *    QEMU_FUZZ_OPAL_KDF=real keeps the real count.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/thread.h"
#include "qemu/atomic.h"
#include "fuzz-hooks.h"

int __wrap_qcrypto_pbkdf2(QCryptoHashAlgo hash, const uint8_t *key,
                          size_t nkey, const uint8_t *salt, size_t nsalt,
                          uint64_t iterations, uint8_t *out, size_t nout,
                          Error **errp)
{
    static int real = -1;

    if (real < 0) {
        real = !g_strcmp0(g_getenv("QEMU_FUZZ_OPAL_KDF"), "real");
    }
    return __real_qcrypto_pbkdf2(hash, key, nkey, salt, nsalt,
                                 real ? iterations : 1, out, nout, errp);
}

/* The drive's persistent state changed since the last revert. */
static bool state_changed;

bool __wrap_ide_opal_state_save(IDEOpalDrive *d, Error **errp)
{
    state_changed = true;
    return __real_ide_opal_state_save(d, errp);
}

IDEOpalSlotWrite *__wrap_ide_opal_state_prepare(IDEOpalDrive *d)
{
    state_changed = true;
    return __real_ide_opal_state_prepare(d);
}

typedef struct WaitedWork {
    ThreadPoolFunc *func;
    void *arg;
    BlockCompletionFunc *cb;
    void *opaque;
    AioContext *ctx;
    int ret;
    bool done;
} WaitedWork;

static void *waited_work_thread(void *opaque)
{
    WaitedWork *w = opaque;

    w->ret = w->func(w->arg);
    qatomic_store_release(&w->done, true);
    aio_notify(w->ctx);
    return NULL;
}

static void waited_work_complete(void *opaque)
{
    WaitedWork *w = opaque;

    if (w->cb) {
        w->cb(w->opaque, w->ret);
    }
    g_free(w);
}

void __wrap_ide_opal_engine_submit(IDEOpalDrive *d, ThreadPoolFunc *func,
                                   void *arg, BlockCompletionFunc *cb,
                                   void *opaque)
{
    static int async = -1;
    WaitedWork *w;
    QemuThread thread;

    if (async < 0) {
        async = !g_strcmp0(g_getenv("QEMU_FUZZ_OPAL_ENGINE"), "async");
    }
    if (async) {
        __real_ide_opal_engine_submit(d, func, arg, cb, opaque);
        return;
    }
    w = g_new0(WaitedWork, 1);
    *w = (WaitedWork) {
        .func = func, .arg = arg, .cb = cb, .opaque = opaque,
        .ctx = qemu_get_current_aio_context(),
    };
    if (!g_strcmp0(g_getenv("QEMU_FUZZ_OPAL_ENGINE"), "inline")) {
        w->ret = func(arg);
        aio_bh_schedule_oneshot(w->ctx, waited_work_complete, w);
        return;
    }
    qemu_thread_create(&thread, "fuzz-worker", waited_work_thread, w,
                       QEMU_THREAD_JOINABLE);
    while (!qatomic_load_acquire(&w->done)) {
        aio_poll(w->ctx, true);
    }
    qemu_thread_join(&thread);
    aio_bh_schedule_oneshot(w->ctx, waited_work_complete, w);
}

void __wrap_qemu_system_reset(ShutdownCause reason)
{
    static int revert = -1;
    static const char *id;
    Error *err = NULL;

    __real_qemu_system_reset(reason);
    if (revert < 0) {
        revert = g_strcmp0(g_getenv("QEMU_FUZZ_OPAL_REVERT"), "0") != 0;
        id = g_getenv("QEMU_FUZZ_OPAL_ID") ?: "opal0";
    }
    if (revert && state_changed) {
        /* No drive of that id (another generic-fuzz config): nothing to do. */
        qmp_opal_psid_revert(id, &err);
        error_free(err);
        state_changed = false;
    }
}
