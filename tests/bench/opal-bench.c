/*
 * opal-bench: the guest half of `make bench` (see tests/bench/README.md).
 *
 * Runs on /dev/sda inside a tiny Linux guest and measures what the disk does
 * through real AHCI commands: O_DIRECT so that the guest page cache never
 * answers for the disk, and raw native AIO syscalls (no libaio in the
 * initramfs) for queue depth 32, which libata turns into NCQ
 * (READ FPDMA QUEUED) commands.
 *
 *   opal-bench DEV SEQ_MIB RAND_SECONDS
 *
 * 1. seqwrite      SEQ_MIB MiB from LBA 0 in 1 MiB writes (also the prefill
 *                  of the reads: reads of never-written sectors would measure
 *                  QEMU's sparse-file holes, and on an encrypting drive
 *                  return noise)
 *    flush         fdatasync (FLUSH CACHE), timed separately: it measures the
 *                  host's disk, not the emulated drive
 *    rewrite       the same pass again, over blocks the host has allocated
 * 2. seqread       the same range in 1 MiB reads, whole passes until
 *                  RAND_SECONDS are over
 *    seqread-qd4   the same with 4 reads in flight (io_submit/io_getevents)
 * 3. randread-qd1  4 KiB reads at random 4 KiB-aligned offsets in that range,
 *                  one at a time, for RAND_SECONDS
 * 4. randread-qd32 the same with 32 reads in flight
 *
 * Every 4 KiB sector written carries its own byte offset in its first 8 bytes,
 * and every read checks it: a benchmark of a drive that returns the wrong data
 * (say, a broken encryption path) must not look like a good result.
 *
 * Output, one line per result on stdout (the serial console):
 *   BENCH test=NAME bytes=B ios=N secs=S mbps=M iops=I avg_req_kib=K
 *   BENCH-CLOCK mark=start|end mono=SECONDS
 *                     (the host compares these with its own clock)
 *   BENCH-VERIFY errors=N
 *   BENCH-DONE | BENCH-ERROR msg=...
 * mbps is 10^6 bytes per second. avg_req_kib is the average size of the
 * requests the disk completed (from /sys/block/DEV/stat): it shows whether a
 * 1 MiB read reached the drive as one command or was split by the block
 * layer.
 *
 *   opal-bench stall OPAL_DEV READ_DEV SECONDS loop|baseline
 *
 * The stall measurement (tests/bench/run-stall.sh): takes ownership of OPAL_DEV
 * through the kernel's sed-opal ioctls, activates the Locking SP and sets up
 * Range1; then prints "STALL-START" and for SECONDS a child process reads
 * READ_DEV (another disk, filled with run-stall.sh's offset stamps) in 1 MiB
 * O_DIRECT reads, checked like the reads above, while with "loop" this process
 * asks IOC_OPAL_LOCK_UNLOCK as Admin1 with a wrong password as fast as the
 * drive answers. Output: BENCH test=stall-read ... (as above), STALL-LOOP
 * attempts=N refused=N other=N secs=S per_sec=R, then BENCH-DONE.
 *
 * Copyright (c) the ide-opal-hd authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <linux/sed-opal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEQ_REQ     (1024 * 1024)
#define RAND_REQ    4096
#define SECTOR      4096            /* granularity of the offset stamps */
#define QD          32
#define SEQ_QD      4               /* 1 MiB reads in flight, seqread-qd4 */
/*
 * Reading the clock is not free under TCG: look at it every this many requests.
 */
#define CLOCK_EVERY 16

static const char *dev_name;        /* "sda": for /sys/block/NAME/stat */
static uint64_t verify_errors;

static void die(const char *fmt, ...)
{
    va_list ap;

    printf("BENCH-ERROR msg=");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    exit(1);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: cheap, and good enough to scatter offsets. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

/* Completed I/Os and sectors, reads or writes, from /sys/block/NAME/stat. */
struct dstat {
    uint64_t ios, sectors;
};

static struct dstat disk_stat(int write)
{
    char path[64];
    uint64_t f[8] = { 0 };
    struct dstat s = { 0, 0 };
    FILE *fp;

    snprintf(path, sizeof(path), "/sys/block/%s/stat", dev_name);
    fp = fopen(path, "r");
    if (!fp) {
        return s;
    }
    if (fscanf(fp, "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
               " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
               &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]) == 8) {
        s.ios = write ? f[4] : f[0];
        s.sectors = write ? f[6] : f[2];
    }
    fclose(fp);
    return s;
}

static void report(const char *test, uint64_t bytes, uint64_t ios, double secs,
                   struct dstat before, struct dstat after)
{
    uint64_t dios = after.ios - before.ios;
    double avg_kib =
        dios ? (after.sectors - before.sectors) * 512.0 / dios / 1024 : 0;

    printf("BENCH test=%s bytes=%" PRIu64 " ios=%" PRIu64 " secs=%.3f"
           " mbps=%.1f iops=%.0f avg_req_kib=%.0f\n",
           test, bytes, ios, secs, bytes / secs / 1e6, ios / secs, avg_kib);
    fflush(stdout);
}

static void stamp(uint8_t *buf, size_t len, uint64_t off)
{
    for (size_t i = 0; i < len; i += SECTOR) {
        uint64_t v = off + i;
        memcpy(buf + i, &v, sizeof(v));
    }
}

static void check(const uint8_t *buf, size_t len, uint64_t off)
{
    for (size_t i = 0; i < len; i += SECTOR) {
        uint64_t v;
        memcpy(&v, buf + i, sizeof(v));
        if (v != off + i) {
            if (verify_errors < 5) {
                printf("BENCH-MISMATCH offset=%" PRIu64 " found=0x%016"
                       PRIx64 "\n", off + i, v);
            }
            verify_errors++;
        }
    }
}

/*
 * A 2 MiB-aligned buffer that asks for a transparent huge page where the guest
 * allows it: physically contiguous memory keeps a 1 MiB request under AHCI's
 * 168 scatter-gather entries, so the block layer need not split it (avg_req_kib
 * shows whether it did).
 */
static uint8_t *alloc_buf(size_t len)
{
    size_t huge = 2 * 1024 * 1024;
    size_t map = (len + huge - 1) / huge * huge;
    void *p;

    if (posix_memalign(&p, huge, map)) {
        die("out of memory");
    }
    madvise(p, map, MADV_HUGEPAGE);
    /* Random content: nothing along the way may treat the data as zeroes. */
    for (size_t i = 0; i < map; i += 8) {
        uint64_t v = rng();
        memcpy((uint8_t *)p + i, &v, 8);
    }
    return p;
}

/*
 * Writes: one pass, which is also the prefill. Reads: whole passes until at
 * least @secs have gone by: a 1 GiB pass can take well under a second, too
 * short to time reliably.
 */
static void seq(const char *test, int fd, uint8_t *buf, uint64_t bytes,
                int write, double secs)
{
    struct dstat before = disk_stat(write);
    double t0 = now(), t = t0;
    uint64_t done = 0;

    do {
        for (uint64_t off = 0; off < bytes; off += SEQ_REQ) {
            ssize_t n;

            if (write) {
                stamp(buf, SEQ_REQ, off);
                n = pwrite(fd, buf, SEQ_REQ, off);
            } else {
                n = pread(fd, buf, SEQ_REQ, off);
            }
            if (n != SEQ_REQ) {
                die("%s at %" PRIu64 ": %zd (%s)", write ? "write" : "read",
                    off, n, n < 0 ? strerror(errno) : "short");
            }
            if (!write) {
                check(buf, SEQ_REQ, off);
            }
        }
        done += bytes;
        t = now();
    } while (!write && t - t0 < secs);
    report(test, done, done / SEQ_REQ, t - t0, before, disk_stat(write));
}

static uint64_t rand_off(uint64_t bytes)
{
    return (rng() % (bytes / RAND_REQ)) * RAND_REQ;
}

static void randread_qd1(int fd, uint8_t *buf, uint64_t bytes, double secs)
{
    struct dstat before = disk_stat(0);
    double t0 = now(), t = t0;
    uint64_t ios = 0;

    while (t - t0 < secs) {
        uint64_t off = rand_off(bytes);
        ssize_t n = pread(fd, buf, RAND_REQ, off);

        if (n != RAND_REQ) {
            die("read at %" PRIu64 ": %zd (%s)", off, n,
                n < 0 ? strerror(errno) : "short");
        }
        check(buf, RAND_REQ, off);
        if (++ios % CLOCK_EVERY == 0) {
            t = now();
        }
    }
    t = now();
    report("randread-qd1", ios * RAND_REQ, ios, t - t0, before, disk_stat(0));
}

static long io_setup(unsigned nr, aio_context_t *ctx)
{
    return syscall(SYS_io_setup, nr, ctx);
}

static long io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
    return syscall(SYS_io_submit, ctx, n, iocbs);
}

static long io_getevents(aio_context_t ctx, long min, long max,
                         struct io_event *ev)
{
    return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

static long io_destroy(aio_context_t ctx)
{
    return syscall(SYS_io_destroy, ctx);
}

/*
 * The next request of an AIO test: at a random 4 KiB-aligned offset, or
 * (@seq_next not NULL) at *@seq_next, which moves on and wraps at @bytes.
 */
static void prep(struct iocb *cb, int fd, uint8_t *buf, uint64_t bytes,
                 size_t req, uint64_t *seq_next)
{
    memset(cb, 0, sizeof(*cb));
    cb->aio_lio_opcode = IOCB_CMD_PREAD;
    cb->aio_fildes = fd;
    cb->aio_buf = (uintptr_t)buf;
    cb->aio_nbytes = req;
    if (seq_next) {
        cb->aio_offset = *seq_next;
        *seq_next = (*seq_next + req) % (bytes / req * req);
    } else {
        cb->aio_offset = rand_off(bytes);
    }
    cb->aio_data = (uintptr_t)cb;
}

/*
 * Keeps @qd reads of @req bytes in flight (buffers @req apart from @bufs on):
 * every completion is checked and replaced at once.  Random offsets, or
 * sequential ones if @sequential.
 */
static void aio_reads(const char *test, int fd, uint8_t *bufs, uint64_t bytes,
                      double secs, int qd, size_t req, int sequential)
{
    aio_context_t ctx = 0;
    struct iocb cbs[QD], *ready[QD];
    struct io_event ev[QD];
    struct dstat before;
    uint64_t ios = 0, next = 0;
    uint64_t *seq_next = sequential ? &next : NULL;
    int inflight = 0, stopping = 0;
    double t0, t;

    if (io_setup(qd, &ctx) < 0) {
        die("io_setup: %s", strerror(errno));
    }
    before = disk_stat(0);
    t0 = t = now();
    for (int i = 0; i < qd; i++) {
        prep(&cbs[i], fd, bufs + i * req, bytes, req, seq_next);
        ready[i] = &cbs[i];
    }
    if (io_submit(ctx, qd, ready) != qd) {
        die("io_submit: %s", strerror(errno));
    }
    inflight = qd;
    while (inflight) {
        long n = io_getevents(ctx, 1, qd, ev);
        int nready = 0;

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("io_getevents: %s", strerror(errno));
        }
        for (long i = 0; i < n; i++) {
            struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].data;

            if (ev[i].res != (int64_t)req) {
                die("aio read at %" PRIu64 ": %" PRId64,
                    (uint64_t)cb->aio_offset, (int64_t)ev[i].res);
            }
            check((uint8_t *)(uintptr_t)cb->aio_buf, req, cb->aio_offset);
            ios++;
            inflight--;
            if (!stopping) {
                prep(cb, fd, (uint8_t *)(uintptr_t)cb->aio_buf, bytes, req,
                     seq_next);
                ready[nready++] = cb;
            }
        }
        /*
         * Completions arrive in batches: one clock read per batch is cheap
         * enough.
         */
        t = now();
        if (t - t0 >= secs) {
            /*
             * Drain: the in-flight reads count, so the clock stops after the
             * last one.
             */
            stopping = 1;
            nready = 0;
        }
        if (nready) {
            if (io_submit(ctx, nready, ready) != nready) {
                die("io_submit: %s", strerror(errno));
            }
            inflight += nready;
        }
    }
    t = now();
    io_destroy(ctx);
    report(test, ios * req, ios, t - t0, before, disk_stat(0));
}

/* ---- stall: wrong passwords on one disk against reads of another ---- */

/* SID's PIN, and so Admin1's after activation */
#define STALL_SID_PW    "stall-sid-pw"
#define STALL_WRONG_PW  "not-the-pin"

static void stall_key(struct opal_key *k, uint8_t lr, const char *pw)
{
    memset(k, 0, sizeof(*k));
    k->lr = lr;
    k->key_len = strlen(pw);
    memcpy(k->key, pw, k->key_len);
}

static void stall_ioctl(int fd, const char *what, unsigned long req, void *arg)
{
    int ret = ioctl(fd, req, arg);

    if (ret != 0) {
        die("%s: rc=%d (%s)", what, ret,
            ret < 0 ? strerror(errno) : "TCG status");
    }
}

/*
 * A fresh drive: owned, Locking SP active, Range1 (1 MiB at LBA 2048)
 * lock-enabled.
 */
static void stall_setup(int fd)
{
    struct opal_key key;
    struct opal_lr_act act;
    struct opal_user_lr_setup lr;

    stall_key(&key, 0, STALL_SID_PW);
    stall_ioctl(fd, "take-ownership", IOC_OPAL_TAKE_OWNERSHIP, &key);
    memset(&act, 0, sizeof(act));
    stall_key(&act.key, 0, STALL_SID_PW);
    act.num_lrs = 1;            /* Linux 6.1 wants 1..9 ranges named */
    stall_ioctl(fd, "activate-lsp", IOC_OPAL_ACTIVATE_LSP, &act);
    memset(&lr, 0, sizeof(lr));
    lr.range_start = 2048;
    lr.range_length = 2048;
    lr.RLE = lr.WLE = 1;
    lr.session.who = OPAL_ADMIN1;
    stall_key(&lr.session.opal_key, 1, STALL_SID_PW);
    stall_ioctl(fd, "lr-setup", IOC_OPAL_LR_SETUP, &lr);
}

/*
 * 1 MiB O_DIRECT reads in passes over the whole disk, the clock read after
 * each.
 */
static void stall_reader(const char *dev, double secs)
{
    uint64_t size, off = 0, ios = 0;
    struct dstat before;
    uint8_t *buf;
    double t0, t;
    int fd = open(dev, O_RDONLY | O_DIRECT);

    if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0 || size < SEQ_REQ) {
        die("reader: %s: %s", dev, fd < 0 ? strerror(errno) : "no size");
    }
    dev_name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
    buf = alloc_buf(SEQ_REQ);
    before = disk_stat(0);
    t0 = t = now();
    while (t - t0 < secs) {
        ssize_t n = pread(fd, buf, SEQ_REQ, off);

        if (n != SEQ_REQ) {
            die("reader: read at %" PRIu64 ": %zd (%s)", off, n,
                n < 0 ? strerror(errno) : "short");
        }
        check(buf, SEQ_REQ, off);
        ios++;
        off = off + 2 * SEQ_REQ > size ? 0 : off + SEQ_REQ;
        t = now();
    }
    report("stall-read", ios * SEQ_REQ, ios, t - t0, before, disk_stat(0));
    printf("BENCH-VERIFY errors=%" PRIu64 "\n", verify_errors);
    fflush(stdout);
    exit(verify_errors != 0);
}

/*
 * IOC_OPAL_LOCK_UNLOCK of Range1 as Admin1 with a wrong password, back to back.
 */
static int stall_passwords(int fd, double secs)
{
    struct opal_lock_unlock lk;
    uint64_t attempts = 0, refused = 0, other = 0;
    int last_other = 0;
    double t0, t;

    memset(&lk, 0, sizeof(lk));
    lk.session.who = OPAL_ADMIN1;
    stall_key(&lk.session.opal_key, 1, STALL_WRONG_PW);
    lk.l_state = OPAL_RW;
    t0 = t = now();
    while (t - t0 < secs) {
        int ret = ioctl(fd, IOC_OPAL_LOCK_UNLOCK, &lk);

        attempts++;
        if (ret > 0) {
            refused++;          /* a TCG status: NOT_AUTHORIZED */
        } else {
            other++;
            last_other = ret < 0 ? -errno : 0;
        }
        t = now();
    }
    printf("STALL-LOOP attempts=%" PRIu64 " refused=%" PRIu64 " other=%" PRIu64
           " last_other=%d secs=%.3f per_sec=%.1f\n",
           attempts, refused, other, last_other, t - t0, attempts / (t - t0));
    return other == 0;
}

static int stall(char **argv)
{
    double secs = strtod(argv[4], NULL);
    int loop = !strcmp(argv[5], "loop"), status, ok = 1;
    int fd = open(argv[2], O_RDWR);
    pid_t pid;

    if (fd < 0) {
        die("open %s: %s", argv[2], strerror(errno));
    }
    if (secs <= 0 || (!loop && strcmp(argv[5], "baseline"))) {
        die("stall: SECONDS must be positive, the mode loop or baseline");
    }
    stall_setup(fd);
    printf("STALL-START mode=%s secs=%g opal=%s reader=%s\n", argv[5], secs,
           argv[2], argv[3]);
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        die("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        stall_reader(argv[3], secs);
    }
    if (loop) {
        ok = stall_passwords(fd, secs);
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        die("the reader failed");
    }
    printf(ok ? "BENCH-DONE\n" :
           "BENCH-ERROR msg=wrong-password unlocks not refused by the drive "
           "(STALL-LOOP)\n");
    fflush(stdout);
    return !ok;
}

int main(int argc, char **argv)
{
    uint64_t size, bytes;
    double secs;
    uint8_t *buf;
    double t;
    int fd;

    if (argc == 6 && !strcmp(argv[1], "stall")) {
        return stall(argv);
    }
    if (argc != 4) {
        fprintf(stderr, "usage: opal-bench DEV SEQ_MIB RAND_SECONDS\n"
                        "       opal-bench stall OPAL_DEV READ_DEV SECONDS loop|baseline\n");
        return 2;
    }
    dev_name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
    if (sscanf(argv[2], "%" SCNu64, &bytes) != 1) {
        fprintf(stderr, "opal-bench: SEQ_MIB must be a number\n");
        return 2;
    }
    bytes *= SEQ_REQ;
    secs = strtod(argv[3], NULL);

    fd = open(argv[1], O_RDWR | O_DIRECT);
    if (fd < 0) {
        die("open %s: %s", argv[1], strerror(errno));
    }
    if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
        /* A regular file: lets the program be tried on the host. */
        struct stat st;

        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            die("BLKGETSIZE64: %s", strerror(errno));
        }
        size = st.st_size;
    }
    if (bytes > size / SEQ_REQ * SEQ_REQ) {
        bytes = size / SEQ_REQ * SEQ_REQ;
    }
    if (bytes == 0 || secs <= 0) {
        die("nothing to do: %" PRIu64 " bytes, %g seconds", bytes, secs);
    }
    printf("BENCH-CONFIG dev=%s size=%" PRIu64 " seq_bytes=%" PRIu64
           " rand_secs=%g qd=%d\n",
           argv[1], size, bytes, secs, QD);
    buf = alloc_buf(SEQ_QD * SEQ_REQ);

    printf("BENCH-CLOCK mark=start mono=%.6f\n", now());
    fflush(stdout);

    seq("seqwrite", fd, buf, bytes, 1, 0);
    t = now();
    if (fdatasync(fd) < 0) {
        die("fdatasync: %s", strerror(errno));
    }
    printf("BENCH test=flush secs=%.3f\n", now() - t);

    /* The same pass again, over blocks the host has allocated by now. */
    seq("rewrite", fd, buf, bytes, 1, 0);
    seq("seqread", fd, buf, bytes, 0, secs);
    aio_reads("seqread-qd4", fd, buf, bytes, secs, SEQ_QD, SEQ_REQ, 1);
    randread_qd1(fd, buf, bytes, secs);
    /* 32 x 4 KiB fits in the same buffer. */
    aio_reads("randread-qd32", fd, buf, bytes, secs, QD, RAND_REQ, 0);

    printf("BENCH-CLOCK mark=end mono=%.6f\n", now());
    printf("BENCH-VERIFY errors=%" PRIu64 "\n", verify_errors);
    printf(verify_errors ?
           "BENCH-ERROR msg=data read back differs from data written\n" :
           "BENCH-DONE\n");
    fflush(stdout);
    close(fd);
    return verify_errors != 0;
}
