/*
 * ide-opal-hd: the TCG Storage engine at work off the main loop
 *
 * A TRUSTED SEND can take long: a password check is PBKDF2 (about 30 ms),
 * a Revert two of them, and a persistent change is made durable (writes
 * and flushes) before the method answers.  A real drive does this on its
 * own processor; here the method runs in a thread of the drive's own, the
 * state is written by a coroutine in the main loop, and the vCPU and the
 * main loop go on meanwhile.  The command stays BSY (outstanding on AHCI)
 * until all of it is done.
 *
 * What a real drive computes on its own hardware takes the host's CPU
 * here, and the machine's vCPUs and I/O must not wait for it: a guest that
 * tries wrong passwords in a loop must not slow its other disks down.
 * Two measures, both needed (make bench-stall: a quarter of a core at
 * normal priority still cost the other disk 15-20% of its throughput):
 * - the thread runs at nice 10, so that the block layer's workers and the
 *   main loop, when they wake, take the CPU from it at once.  Not at the
 *   lowest priority, nice 19: a host busy with other work would leave it
 *   almost nothing (2 s for a password check under a parallel build) and
 *   the guest's commands would time out;
 * - like a drive's own processor, slower than the host's, it takes at most
 *   a quarter of a core: after each job it rests three times as long as
 *   the job kept it busy.  A guest then checks some 8 passwords a second.
 * (QEMU's thread pool would not do: its threads also do the block layer's
 * I/O, which must neither rest nor yield.)
 *
 * Who may touch the TPer (d->tper):
 * - while d->job is set, only the drive's thread;
 * - otherwise whoever holds the BQL.
 * So the main loop's users of the TPer (QMP, system reset, migration) wait
 * for a job first (ide_opal_engine_quiesce), a read of the shadow MBR waits
 * in its coroutine (ide_opal_engine_co_quiesce), and a stopping VM waits,
 * so that no command is in flight in a migration or a snapshot.
 *
 * In the worker, the change listener takes the state to save from the
 * TPer, hands the writes to a coroutine in the main loop and waits for
 * them: whether they reached the image decides the method's status.  A
 * new media view is built in the worker and published in the main loop,
 * before the command completes.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#ifdef CONFIG_LINUX
#include <sys/resource.h>
#endif
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/coroutine.h"
#include "qemu/main-loop.h"
#include "qemu/thread.h"
#include "block/aio-wait.h"
#include "block/thread-pool.h"
#include "system/runstate.h"
#include "ide-internal.h"
#include "opal-hd.h"
#include "trace.h"

/* The drive's processor: one thread, one piece of work at a time. */
struct IDEOpalEngine {
    QemuThread thread;
    QemuSemaphore posted;       /* work, or the end, is posted */
    bool exit;
    ThreadPoolFunc *run;
    void *arg;
    BlockCompletionFunc *done;
    void *opaque;
    int ret;
};

static void engine_done_bh(void *opaque)
{
    IDEOpalEngine *e = opaque;

    e->done(e->opaque, e->ret);
}

/* The CPU time this thread has used, in microseconds (0 if unknown). */
static int64_t thread_cpu_us(void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
    struct timespec ts;

    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
        return ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
    }
#endif
    return 0;
}

/* The thread's niceness (setpriority(2)): below the rest of QEMU's. */
#define ENGINE_NICE         10
/* The rest after a job, per unit of the job's CPU time: 1/4 duty. */
#define ENGINE_REST_FACTOR  3
/* The longest rest after a job: a job never costs the next one more. */
#define ENGINE_REST_MAX_US  (G_USEC_PER_SEC / 2)

static void *engine_thread(void *opaque)
{
    IDEOpalEngine *e = opaque;
    int64_t busy_us;

#ifdef CONFIG_LINUX
    /* On Linux, each thread has a niceness of its own: this one's. */
    if (setpriority(PRIO_PROCESS, qemu_get_thread_id(), ENGINE_NICE) < 0) {
        trace_ide_opal_engine_priority(errno);
    }
#endif
    for (;;) {
        qemu_sem_wait(&e->posted);
        if (qatomic_read(&e->exit)) {
            return NULL;
        }
        busy_us = -thread_cpu_us();
        e->ret = e->run(e->arg);
        busy_us += thread_cpu_us();
        aio_bh_schedule_oneshot(qemu_get_aio_context(), engine_done_bh, e);
        /* The answer is out; the next job waits for the rest. */
        g_usleep(MIN(busy_us * ENGINE_REST_FACTOR, ENGINE_REST_MAX_US));
    }
}

void ide_opal_engine_submit(IDEOpalDrive *d, ThreadPoolFunc *run, void *arg,
                            BlockCompletionFunc *done, void *opaque)
{
    IDEOpalEngine *e = d->engine;

    e->run = run;
    e->arg = arg;
    e->done = done;
    e->opaque = opaque;
    qemu_sem_post(&e->posted);
}

struct IDEOpalJob {
    IDEOpalDrive *d;
    uint8_t protocol;
    uint16_t sp_specific;
    uint8_t *data;              /* a copy of the IF-SEND data (PINs) */
    uint32_t len;
    OpalIfStatus status;
    IDEOpalSendDone *done;
    bool orphaned;              /* a reset dropped the command */
    bool media_changed;
    IDEOpalMedia *media;        /* the view to publish, built by the worker */
    IDEOpalSlotWrite *slot;     /* the save the worker waits for */
    bool saved;
    QemuEvent save_done;
};

/*
 * A failed save is reported once, not once per method: a guest must not
 * be able to flood the host's log while the image keeps failing.
 */
static void report_save(IDEOpalDrive *d, bool saved, const Error *err)
{
    if (!saved) {
        trace_ide_opal_state_save_failed(d, error_get_pretty(err));
        if (!d->save_failing) {
            error_report("ide-opal-hd: %s (reported once until a save "
                         "succeeds again)", error_get_pretty(err));
        }
    }
    d->save_failing = !saved;
}

static void coroutine_fn job_save_co(void *opaque)
{
    IDEOpalJob *job = opaque;

    job->saved = ide_opal_state_co_write(job->slot) >= 0;
    report_save(job->d, job->saved, ide_opal_slot_write_error(job->slot));
    qemu_event_set(&job->save_done);
}

static void job_save_bh(void *opaque)
{
    qemu_coroutine_enter(qemu_coroutine_create(job_save_co, opaque));
}

/* In the worker: the writes go to the main loop; wait for their outcome. */
static bool job_save(IDEOpalJob *job)
{
    job->slot = ide_opal_state_prepare(job->d);
    qemu_event_reset(&job->save_done);
    aio_bh_schedule_oneshot(qemu_get_aio_context(), job_save_bh, job);
    qemu_event_wait(&job->save_done);
    g_clear_pointer(&job->slot, ide_opal_slot_write_free);
    return job->saved;
}

/*
 * The engine's change listener: what an accepted method changed is in the
 * image before the host hears of success, and reaches the media gate
 * before the next command.
 */
bool ide_opal_engine_changed(void *opaque, unsigned changes)
{
    IDEOpalDrive *d = opaque;
    IDEOpalJob *job = bql_locked() ? NULL : d->job;
    Error *err = NULL;
    bool saved = true;

    /*
     * Until an incoming migration completes, the image (and the state in
     * it) is the source's, and the migrated state will replace this one.
     */
    if ((changes & OPAL_CHANGE_PERSISTENT) &&
        !runstate_check(RUN_STATE_INMIGRATE)) {
        if (job) {
            saved = job_save(job);
        } else {
            saved = ide_opal_state_save(d, &err);
            report_save(d, saved, err);
            error_free(err);
        }
    }
    if (changes & OPAL_CHANGE_MEDIA) {
        if (job) {
            job->media_changed = true;
        } else {
            ide_opal_media_publish(d, ide_opal_media_new(d));
        }
    }
    return saved;
}

static int job_run(void *opaque)
{
    IDEOpalJob *job = opaque;

    job->status = opal_if_send(job->d->tper, job->protocol, job->sp_specific,
                               job->data, job->len);
    if (job->media_changed) {
        job->media = ide_opal_media_new(job->d);
    }
    return 0;
}

static void job_done(void *opaque, int ret)
{
    IDEOpalJob *job = opaque;
    IDEOpalDrive *d = job->d;

    if (job->media) {
        ide_opal_media_publish(d, job->media);
    }
    d->job = NULL;
    qemu_co_queue_restart_all(&d->engine_waiters);
    aio_wait_kick();
    trace_ide_opal_engine_done(d, opal_if_status_name(job->status),
                               job->orphaned);
    if (!job->orphaned) {
        job->done(d, job->status);
    }
    opal_secret_free(job->data, job->len);
    qemu_event_destroy(&job->save_done);
    g_free(job);
}

bool ide_opal_engine_send(IDEOpalDrive *d, uint8_t protocol,
                          uint16_t sp_specific, const uint8_t *data,
                          uint32_t len, IDEOpalSendDone *done)
{
    IDEOpalJob *job;

    if (d->job) {
        return false;
    }
    job = g_new0(IDEOpalJob, 1);
    job->d = d;
    job->protocol = protocol;
    job->sp_specific = sp_specific;
    job->data = g_memdup2(data, len);
    job->len = len;
    job->done = done;
    qemu_event_init(&job->save_done, false);
    d->job = job;
    trace_ide_opal_engine_start(d, protocol, sp_specific, len);
    ide_opal_engine_submit(d, job_run, job, job_done, job);
    return true;
}

bool ide_opal_engine_busy(IDEOpalDrive *d)
{
    return d->job;
}

void ide_opal_engine_orphan(IDEOpalDrive *d)
{
    if (d->job) {
        d->job->orphaned = true;
    }
}

void ide_opal_engine_quiesce(IDEOpalDrive *d)
{
    AIO_WAIT_WHILE(NULL, d->job);
}

void coroutine_fn ide_opal_engine_co_quiesce(IDEOpalDrive *d)
{
    while (d->job) {
        qemu_co_queue_wait(&d->engine_waiters, NULL);
    }
}

/* No command may be in flight in a stopped VM: migration, savevm, stop. */
static void engine_vm_state_change(void *opaque, bool running, RunState state)
{
    if (!running) {
        ide_opal_engine_quiesce(opaque);
    }
}

void ide_opal_engine_init(IDEOpalDrive *d)
{
    IDEOpalEngine *e = g_new0(IDEOpalEngine, 1);

    qemu_sem_init(&e->posted, 0);
    qemu_thread_create(&e->thread, "opal-engine", engine_thread, e,
                       QEMU_THREAD_JOINABLE);
    d->engine = e;
    qemu_co_queue_init(&d->engine_waiters);
    d->vm_state = qemu_add_vm_change_state_handler(engine_vm_state_change, d);
}

void ide_opal_engine_cleanup(IDEOpalDrive *d)
{
    if (d->vm_state) {
        ide_opal_engine_quiesce(d);
        qemu_del_vm_change_state_handler(d->vm_state);
        d->vm_state = NULL;
    }
    if (d->engine) {
        qatomic_set(&d->engine->exit, true);
        qemu_sem_post(&d->engine->posted);
        qemu_thread_join(&d->engine->thread);
        qemu_sem_destroy(&d->engine->posted);
        g_clear_pointer(&d->engine, g_free);
    }
}
