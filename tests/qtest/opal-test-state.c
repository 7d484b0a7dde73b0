/*
 * QTest testcase for ide-opal-hd: the state in the image (restarts,
 * refusals, migration, snapshots, SIGKILL).
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 *
 * You should have received a copy of the GNU General Public License
 * along with this program; if not, see <http://www.gnu.org/licenses/>.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/resource.h>
#include "opal-test-util.h"

/*** The state in the image: restarts, refusals, SIGKILL ***/

static void get_mbr(OpalTestState *s, uint64_t offset, void *buf, size_t len)
{
    g_assert_cmpuint(get_table(s, UID_TABLE_MBR, offset, buf, len), ==, 0);
}

/*
 * A QEMU restart is a power cycle of a drive that kept its state: the
 * owner's SID PIN, the ranges with their keys (data reads back once
 * unlocked), the MBR table; Range1 is locked again and MBR Done is 0.
 */
static void test_state_restart(void)
{
    OpalTestState *s = opal_boot(RESTART_DEVICE);
    uint8_t mbr[BLOCK_SIZE], buf[BLOCK_SIZE];

    /* A drive nobody took ownership of keeps its data too. */
    write_pattern(s, RR2_START, 8, 2);
    opal_shutdown(s);
    s = opal_restart(RESTART_DEVICE);
    expect_pattern(s, RR2_START, 8, 2, "unowned drive after restart");
    take_ownership_and_activate(s);

    memset(mbr, 0x5C, sizeof(mbr));
    admin1_session(s);
    g_assert_cmpuint(set_mbr(s, 0, mbr, sizeof(mbr)), ==, 0);
    set_range(s, 1, RR1_START, R1_LEN, false, false);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_ENABLE, 1), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_DONE, 1), ==, 0);
    end_session(s);
    write_pattern(s, RR1_START, 8, 3);
    write_pattern(s, RR2_START, 8, 4);
    opal_shutdown(s);

    s = opal_restart(RESTART_DEVICE);
    g_assert_cmphex(locking_flags(s), ==,
                    L0_LOCKING_SUPPORTED | L0_LOCKING_ENABLED | L0_LOCKED |
                    L0_MEDIA_ENCRYPTION | L0_MBR_ENABLED);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, TEST_MSID), ==,
                     0x01 /* NOT_AUTHORIZED */);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN), ==,
                     0);
    end_session(s);
    expect_read_refused(s, &dma_read, RR1_START, 8);
    expect_pattern(s, RR2_START, 8, 4, "global range after restart");
    assert_success(io_exec(s, &dma_read, 0, 1, buf), BLOCK_SIZE);
    g_assert_cmpmem(buf, BLOCK_SIZE, mbr, BLOCK_SIZE);

    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_READ_LOCKED, 0), ==,
                     0);
    end_session(s);
    expect_pattern(s, RR1_START, 8, 3, "Range1 unlocked after restart");
    opal_shutdown(s);
}

/* The LockingSP's Admin1 as query-opal shows it: tries, limit, lock-out. */
static void assert_admin1_tries(QTestState *qts, int64_t tries,
                                int64_t limit, bool locked_out)
{
    QDict *rsp;
    QDict *admin1 = NULL;
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(query_opal0(qts, &rsp),
                                        "authorities"), e) {
        QDict *a = qobject_to(QDict, qlist_entry_obj(e));

        /* The AdminSP has an Admin1 of its own. */
        if (!strcmp(qdict_get_str(a, "sp"), "locking-sp") &&
            !strcmp(qdict_get_str(a, "name"), "Admin1")) {
            admin1 = a;
        }
    }
    g_assert_nonnull(admin1);
    g_assert_cmpint(qdict_get_int(admin1, "tries"), ==, tries);
    g_assert_cmpint(qdict_get_int(admin1, "try-limit"), ==, limit);
    g_assert_cmpint(qdict_get_bool(admin1, "locked-out"), ==, locked_out);
    qobject_unref(rsp);
}

/*
 * pin-try-limit=3: three wrong passwords lock Admin1 out, so that even the
 * right one gets AUTHORITY_LOCKED_OUT through AHCI; query-opal and info
 * opal say so, and opal-power-cycle ends it (Persistence False).  A
 * restart with another pin-try-limit keeps the limit in the drive's state.
 */
static void test_pin_try_limit(void)
{
    OpalTestState *s = opal_boot_owned(",pin-try-limit=3");
    QTestState *qts = s->ahci->parent->qts;
    g_autofree char *hmp = NULL;
    int i;

    assert_admin1_tries(qts, 0, 3, false);
    for (i = 0; i < 3; i++) {
        g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_ADMIN1,
                                       "wrong"), ==, 0x01 /* NOT_AUTHORIZED */);
    }
    g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_ADMIN1, SID_PIN),
                     ==, 0x12 /* AUTHORITY_LOCKED_OUT */);
    assert_admin1_tries(qts, 3, 3, true);
    hmp = qtest_hmp(qts, "info opal opal0");
    g_assert_nonnull(strstr(hmp, "3 failed tries (limit 3), LOCKED OUT"));
    /* Each authority counts its own tries: SID still opens the AdminSP. */
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN),
                     ==, 0);
    end_session(s);

    opal_power_cycle(s);
    assert_admin1_tries(qts, 0, 3, false);
    admin1_session(s);
    end_session(s);
    g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_ADMIN1,
                                   "wrong"), ==, 0x01);
    assert_admin1_tries(qts, 1, 3, false);
    opal_shutdown(s);

    /* A restart is a power cycle; the limit stays the one in the state. */
    s = opal_restart(RESTART_DEVICE ",pin-try-limit=0");
    qts = s->ahci->parent->qts;
    assert_admin1_tries(qts, 0, 3, false);
    admin1_session(s);
    end_session(s);
    opal_shutdown(s);
}

static bool image_contains(const void *needle, size_t n)
{
    g_autofree char *data = NULL;
    gsize len;

    g_assert_true(g_file_get_contents(image_path, &data, &len, NULL));
    for (gsize i = 0; i + n <= len; i++) {
        if (!memcmp(data + i, needle, n)) {
            return true;
        }
    }
    return false;
}

/* Neither the owner's PIN nor a user's is anywhere in the image. */
static void test_state_no_pins_in_image(void)
{
    static const char user_pin[] = "user1-pin-in-image?";
    OpalTestState *s = opal_boot_owned("%s", "");

    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_AUTH_USER(1), 5 /* Enabled */, 1), ==, 0);
    g_assert_cmpuint(set_pin(s, UID_C_PIN_USER(1), user_pin), ==, 0);
    end_session(s);
    opal_shutdown(s);
    g_assert_false(image_contains(SID_PIN, strlen(SID_PIN)));
    g_assert_false(image_contains(user_pin, strlen(user_pin)));
    /* The MSID is public (Anybody reads it), and the state does hold it. */
    g_assert_true(image_contains(TEST_MSID, strlen(TEST_MSID)));
}

/*
 * QEMU, run for @device on the test image, must fail with a message holding
 * @expected.
 */
static void expect_start_refused(const char *device, const char *expected)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *drive = g_strdup_printf("if=none,id=d0,file=%s,format=raw",
                                             image_path);
    g_autofree char *err = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;
    const char *argv[] = {
        qemu, "-M", "q35", "-nodefaults", "-display", "none", "-S",
        "-drive", drive, "-device", device, NULL
    };

    g_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL,
                          NULL, NULL, NULL, &err, &status, &gerr));
    g_assert_no_error(gerr);
    g_test_message("%s", err);
    g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    g_assert_nonnull(strstr(err, expected));
}

/*
 * The drive never overwrites what is not its own state: other data where
 * the state belongs, another layout, corrupted copies, too small an image
 * stop QEMU with a message; reformat-state=on is the way to start afresh.
 */
static void test_state_refusals(void)
{
    static const char *const device = "ide-opal-hd,drive=d0";
    OpalTestState *s;
    int fd;

    fresh_image();
    fd = open(image_path, O_WRONLY);
    g_assert_cmpint(pwrite(fd, "a filesystem", 12, TEST_IMAGE_SIZE - 100 * MiB),
                    ==, 12);
    close(fd);
    expect_start_refused(device,
                         "hold other data; reformat-state=on overwrites them");

    s = opal_restart(RESTART_DEVICE ",reformat-state=on");
    take_ownership_and_activate(s);     /* a factory drive: the MSID opens it */
    opal_shutdown(s);
    /*
     * A DataStore 4 KiB larger: the region's size, so its place, stays the
     * same.
     */
    expect_start_refused("ide-opal-hd,drive=d0,datastore-size=10244K",
                         "laid out for another mbr-size or datastore-size");
    expect_start_refused("ide-opal-hd,drive=d0,mbr-size=256M",
                         "hold other data");
    /*
     * A PIN is at most 32 bytes: a longer MSID would make a state none loads.
     */
    expect_start_refused("ide-opal-hd,drive=d0,"
                         "msid=0123456789abcdef0123456789abcdef0",
                         "msid must be at most 32 bytes long");

    /* Grown by more than the region: the region's new place is all zeros. */
    g_assert(truncate(image_path, TEST_IMAGE_SIZE + 256 * MiB) == 0);
    expect_start_refused(device,
                         "the image was resized: its Opal state is at byte");
    g_assert(truncate(image_path, TEST_IMAGE_SIZE) == 0);

    /* A superblock of another layout version (byte 8) */
    fd = open(image_path, O_RDWR);
    g_assert_cmpint(pwrite(fd, "\x01", 1, TEST_CAPACITY + 8), ==, 1);
    expect_start_refused(device,
                         "laid out by another version of ide-opal-hd (layout "
                         "version 1; this one reads version 2)");
    g_assert_cmpint(pwrite(fd, "\x02", 1, TEST_CAPACITY + 8), ==, 1);
    close(fd);

    /* Both slots (after the 64 KiB superblock) spoilt */
    fd = open(image_path, O_WRONLY);
    for (int slot = 0; slot < 2; slot++) {
        g_assert_cmpint(pwrite(fd, "XX", 2,
                               TEST_CAPACITY + 64 * KiB + slot * 4 * MiB + 600),
                        ==, 2);
    }
    close(fd);
    expect_start_refused(device,
                         "both copies of the drive's Opal state in the image are "
                         "corrupted");

    g_assert(truncate(image_path, 0) == 0 &&
             truncate(image_path, 100 * MiB) == 0);
    expect_start_refused(device, "the image is too small");
    fresh_image();
}

/* The guest's capacity in blocks, from IDENTIFY DEVICE words 100-103 */
static uint64_t capacity(OpalTestState *s)
{
    uint16_t id[256];

    assert_success(ata_identify(s, id), BLOCK_SIZE);
    return id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32 |
           (uint64_t)id[103] << 48;
}

/*
 * state-drive= keeps the state on a drive of its own: the guest sees all of
 * the image, and the state comes back from the other drive at a restart.
 */
static void test_state_drive(void)
{
    g_autofree char *state_path = NULL;
    g_autofree char *device = NULL;
    OpalTestState *s;
    int fd = g_file_open_tmp("opal-state-XXXXXX.raw", &state_path, NULL);

    g_assert(fd >= 0);
    g_assert(ftruncate(fd, STATE_REGION_SIZE) == 0);
    close(fd);
    device = g_strdup_printf("-drive if=none,id=s0,file=%s,format=raw "
                             RESTART_DEVICE ",state-drive=s0", state_path);
    s = opal_boot("%s", device);
    g_assert_cmpuint(capacity(s), ==, TEST_IMAGE_SIZE / BLOCK_SIZE);
    take_ownership_and_activate(s);
    write_pattern(s, TEST_IMAGE_SIZE / BLOCK_SIZE - 8, 8, 8);
    opal_shutdown(s);

    s = opal_restart("%s", device);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN), ==,
                     0);
    end_session(s);
    expect_pattern(s, TEST_IMAGE_SIZE / BLOCK_SIZE - 8, 8, 8,
                   "the image's last blocks");
    opal_shutdown(s);
    unlink(state_path);
}

/*
 * msid-secret= and psid-secret= take the factory credentials from -object
 * secret.
 */
static void test_state_secrets(void)
{
    OpalTestState *s =
        opal_boot("-object secret,id=msid0,data=MSID-FROM-SECRET "
                  "-object secret,id=psid0,data=PSID-FROM-SECRET "
                  "-device ide-opal-hd,drive=d0,bus=ide.0,id=opal0,"
                  "msid-secret=msid0,psid-secret=psid0");
    g_autoptr(HostResponse) r = NULL;
    const HostToken *pin;

    g_assert_cmpuint(start_session(s, UID_ADMINSP, 0, NULL), ==, 0);
    g_assert_cmpuint(get_columns(s, UID_C_PIN_MSID, COL_PIN, COL_PIN, &r), ==,
                     0);
    pin = resp_cell(r, COL_PIN);
    g_assert_cmpmem(pin->bytes, pin->len, "MSID-FROM-SECRET", 16);
    end_session(s);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_PSID,
                                   "PSID-FROM-SECRET"),
                     ==, 0);
    end_session(s);
    opal_shutdown(s);
    expect_start_refused("ide-opal-hd,drive=d0,msid=x,msid-secret=nosuch",
                         "give msid or msid-secret, not both");
}

/*
 * Live migration of a drive mid-life (shared storage): the open session, the
 * unlocked range with its key, the locked one and the data all arrive; the
 * destination goes on saving the state where the source left it.
 */
static void test_state_migrate(void)
{
    g_autofree char *sock = g_strdup_printf("%s/opal-migrate-%d.sock",
                                            g_get_tmp_dir(), (int)getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    OpalTestState *src = opal_boot_owned("%s", "");
    OpalTestState *dst = g_new0(OpalTestState, 1);
    AHCIQState *to = g_new0(AHCIQState, 1);
    QOSState *parent;
    QPCIDevice *dev;

    admin1_session(src);
    set_range(src, 1, RR1_START, R1_LEN, false, false);
    set_range(src, 2, RR2_START, R1_LEN, false, false);
    end_session(src);
    write_pattern(src, RR1_START, 8, 5);
    write_pattern(src, RR2_START, 8, 6);
    admin1_session(src);
    g_assert_cmpuint(set_uint(src, UID_LOCKING_RANGE(2), COL_READ_LOCKED, 1),
                     ==, 0);

    to->parent = qtest_pc_boot("-M q35 -drive if=none,id=d0,file=%s,format=raw "
                               RESTART_DEVICE " -incoming %s", image_path, uri);
    to->dev = get_ahci_device(to->parent->qts, &to->fingerprint);
    migrate(src->ahci->parent, to->parent, uri);
    /*
     * As ahci-test's ahci_migrate(): the AHCI state carries over, the handles
     * do not.
     */
    parent = to->parent;
    dev = to->dev;
    memcpy(to, src->ahci, sizeof(*to));
    to->parent = parent;
    to->dev = dev;
    parent = src->ahci->parent;
    dev = src->ahci->dev;
    memset(src->ahci, 0, sizeof(*src->ahci));
    src->ahci->parent = parent;
    src->ahci->dev = dev;
    *dst = (OpalTestState) { .ahci = to, .port = src->port, .tsn = src->tsn };
    src->tsn = 0;
    opal_shutdown(src);

    /* Admin1's session goes on on the destination. */
    g_assert_cmpuint(set_uint(dst, UID_LOCKING_RANGE(1), COL_WRITE_LOCKED, 1),
                     ==, 0);
    end_session(dst);
    expect_pattern(dst, RR1_START, 8, 5, "Range1 after migration");
    expect_write_refused(dst, &dma_write, RR1_START, 8, 2);
    expect_read_refused(dst, &dma_read, RR2_START, 8);
    opal_shutdown(dst);
    unlink(sock);

    /* What the destination saved is what a restart finds: Range2's key too. */
    dst = opal_restart(RESTART_DEVICE);
    admin1_session(dst);
    g_assert_cmpuint(set_uint(dst, UID_LOCKING_RANGE(2), COL_READ_LOCKED, 0),
                     ==, 0);
    end_session(dst);
    expect_pattern(dst, RR2_START, 8, 6, "Range2 after migration and restart");
    opal_shutdown(dst);
}

/*
 * A snapshot (savevm) is written into the image: it must not hold what
 * decrypts a range that was read-locked then, nor the KEKs of the open
 * session.  loadvm finds Range1 (unlocked) readable, Range2 (read-locked)
 * without its key and the session closed; Admin1's password brings
 * Range2's data back.
 */
static void test_state_savevm(void)
{
    g_autofree char *raw_path = image_path;
    g_autofree char *qcow_path = g_strdup_printf("%s.qcow2", raw_path);
    g_autofree char *cmd = NULL;
    g_autofree char *out = NULL;
    OpalTestState *s;
    QDict *rsp, *range;

    cmd = g_strdup_printf("%s create -q -f qcow2 %s %llu",
                          g_getenv("QTEST_QEMU_IMG"), qcow_path,
                          (unsigned long long)TEST_IMAGE_SIZE);
    g_assert_cmpint(system(cmd), ==, 0);
    image_path = qcow_path;
    drive_format = "qcow2";

    s = opal_restart(RESTART_DEVICE);
    take_ownership_and_activate(s);
    admin1_session(s);
    set_range(s, 1, RR1_START, R1_LEN, false, false);
    set_range(s, 2, RR2_START, R1_LEN, false, false);
    end_session(s);
    write_pattern(s, RR1_START, 8, 5);
    write_pattern(s, RR2_START, 8, 6);
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(2), COL_READ_LOCKED, 1),
                     ==, 0);

    out = qtest_hmp(s->ahci->parent->qts, "savevm opal-snap");
    g_assert_cmpstr(out, ==, "");
    g_clear_pointer(&out, g_free);
    out = qtest_hmp(s->ahci->parent->qts, "loadvm opal-snap");
    g_assert_cmpstr(out, ==, "");
    s->tsn = 0;

    range = query_range(s->ahci->parent->qts, 1, &rsp);
    g_assert_true(qdict_get_bool(range, "key-in-memory"));
    qobject_unref(rsp);
    range = query_range(s->ahci->parent->qts, 2, &rsp);
    g_assert_false(qdict_get_bool(range, "key-in-memory"));
    g_assert_true(qdict_get_bool(range, "read-locked"));
    qobject_unref(rsp);
    g_assert_true(qlist_empty(qdict_get_qlist(
                      query_opal0(s->ahci->parent->qts, &rsp), "sessions")));
    qobject_unref(rsp);

    expect_pattern(s, RR1_START, 8, 5, "Range1 after loadvm");
    expect_read_refused(s, &dma_read, RR2_START, 8);
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(2), COL_READ_LOCKED, 0),
                     ==, 0);
    end_session(s);
    expect_pattern(s, RR2_START, 8, 6, "Range2 unlocked after loadvm");
    opal_shutdown(s);

    unlink(qcow_path);
    image_path = g_steal_pointer(&raw_path);
    drive_format = "raw";
}

/*
 * No command waits on the machine: persistent changes and PBA-sized shadow
 * MBR writes (each made durable before it answers) interleaved with queued
 * reads the drive accepts and refuses.  The drive once wrote its state
 * synchronously from the vCPU thread, whose nested event loop could swallow
 * the main loop's wakeup and stall a guest for good; every command here
 * must finish within a second.
 */
#define STRESS_ROUNDS       4
#define STRESS_MBR_BYTES    (2 * MiB)       /* a small PBA image */
#define STRESS_MBR_CHUNK    (32 * KiB)
#define STALL_LIMIT_US      G_USEC_PER_SEC

typedef struct StallWatch {
    int64_t start;
    int64_t worst;
    const char *worst_what;
} StallWatch;

static void stall_start(StallWatch *w)
{
    w->start = g_get_monotonic_time();
}

static void stall_stop(StallWatch *w, const char *what)
{
    int64_t took = g_get_monotonic_time() - w->start;

    if (took > w->worst) {
        w->worst = took;
        w->worst_what = what;
    }
}

static void test_stress_no_stall(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    g_autofree uint8_t *chunk = g_malloc(STRESS_MBR_CHUNK);
    uint8_t buf[8 * BLOCK_SIZE];
    StallWatch w = { 0 };
    NcqResult r;

    write_pattern(s, GLOBAL_LBA, 8, 1);
    setup_range1(s, R1_START, 16, true, true);
    for (int round = 0; round < STRESS_ROUNDS; round++) {
        stall_start(&w);
        admin1_session(s);
        stall_stop(&w, "StartSession as Admin1");
        for (uint64_t off = 0; off < STRESS_MBR_BYTES;
             off += STRESS_MBR_CHUNK) {
            uint64_t n = off / STRESS_MBR_CHUNK;

            memset(chunk, round + n, STRESS_MBR_CHUNK);
            stall_start(&w);
            g_assert_cmpuint(set_mbr(s, off, chunk, STRESS_MBR_CHUNK), ==, 0);
            stall_stop(&w, "MBR Set");
            if (n % 8 == 0) {
                /* A table cell: the whole state is saved again. */
                stall_start(&w);
                g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1),
                                          COL_RANGE_LENGTH,
                                          16 + 8 * (n / 8 % 2)), ==, 0);
                stall_stop(&w, "Range1 Set");
            }
        }
        end_session(s);

        stall_start(&w);
        r = ncq_exec(s, false, round % 32, GLOBAL_LBA, 8, buf);
        stall_stop(&w, "accepted NCQ read");
        assert_success(r.ata, r.ata.xfer);
        stall_start(&w);
        r = ncq_exec(s, false, (round + 7) % 32, R1_START, 8, buf);
        stall_stop(&w, "refused NCQ read");
        g_assert_cmphex(r.ata.status, ==, MEDIA_STATUS);
    }
    g_test_message("slowest command: %s, %" PRId64 " us", w.worst_what,
                   w.worst);
    g_assert_cmpint(w.worst, <, STALL_LIMIT_US);
    check_owned_usable(s);
    opal_shutdown(s);
}

/*
 * SIGKILL at random moments of a stream of state-changing methods: after
 * each restart, the state is the one before the interrupted method or the
 * one after it, never a mix, and never older than what was acknowledged.
 * Step k (from 1) sets Range1's RangeStart to 8k if k is odd (the tables),
 * and writes MBR_BLOCK bytes of value k at MBR offset 0 if k is even (a
 * byte table, which the drive journals), so the state names its step.
 */
#define KILL_STEPS          40
#define MBR_BLOCK           1024

static void kill_step(OpalTestState *s, uint64_t k)
{
    uint8_t block[MBR_BLOCK];

    if (k % 2) {
        g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_RANGE_START,
                                  8 * k),
                         ==, 0);
    } else {
        memset(block, k & 0xff, sizeof(block));
        stq_le_p(block, k);
        g_assert_cmpuint(set_mbr(s, 0, block, sizeof(block)), ==, 0);
    }
}

/* Which step the drive's state is after, or -1 if it is no step's state. */
static int64_t kill_state(OpalTestState *s)
{
    g_autoptr(HostResponse) r = NULL;
    uint8_t block[MBR_BLOCK];
    uint64_t start, odd, even;
    const HostToken *t;

    g_assert_cmpuint(get_columns(s, UID_LOCKING_RANGE(1), COL_RANGE_START,
                                 COL_RANGE_START, &r), ==, 0);
    t = resp_cell(r, COL_RANGE_START);
    g_assert_nonnull(t);
    start = t->uint;
    get_mbr(s, 0, block, sizeof(block));
    odd = start / 8;
    even = ldq_le_p(block);
    for (size_t i = 8; i < sizeof(block); i++) {
        if (block[i] != (even & 0xff)) {
            return -1;                      /* a torn MBR write */
        }
    }
    if (start % 8 || (odd && odd % 2 == 0) || even % 2 ||
        MAX(odd, even) - MIN(odd, even) != 1) {
        return odd == 0 && even == 0 ? 0 : -1;
    }
    return MAX(odd, even);
}

/* One run: restart, report the state, then @steps steps, reporting each. */
static void G_NORETURN kill_child(int fd, int steps)
{
    OpalTestState *s;
    int64_t k;

    s = opal_restart(RESTART_DEVICE);
    dprintf(fd, "pid %d\n", (int)qtest_pid(s->ahci->parent->qts));
    admin1_session(s);
    k = kill_state(s);
    dprintf(fd, "state %" PRId64 "\n", k);
    for (int i = 1; k >= 0 && i <= steps; i++) {
        dprintf(fd, "send %" PRId64 "\n", k + i);
        kill_step(s, k + i);
        dprintf(fd, "ack %" PRId64 "\n", k + i);
    }
    end_session(s);
    opal_shutdown(s);
    dprintf(fd, "done\n");
    _exit(0);
}

typedef struct KillRun {
    pid_t qemu;
    int64_t state;              /* what the restarted drive held */
    int64_t sent, acked;        /* the last step sent, acknowledged */
    bool done;
    int64_t stream_us;          /* state report to end of stream */
} KillRun;

/*
 * Runs kill_child() for @steps steps; kills its QEMU @delay_us after the
 * stream starts (< 0: never).
 */
static KillRun kill_run(int64_t delay_us, int steps)
{
    KillRun run = { .state = -2, .sent = -1, .acked = -1 };
    g_autofree char *line = NULL, *log_path = NULL;
    size_t cap = 0;
    int fds[2], status, log;
    pid_t child;
    FILE *in;

    log = g_file_open_tmp("opal-kill-XXXXXX", &log_path, NULL);
    g_assert(log >= 0);
    g_assert(pipe(fds) == 0);
    child = fork();
    g_assert(child >= 0);
    if (child == 0) {
        struct rlimit no_core = { 0, 0 };

        /*
         * It dies with its QEMU, as loudly as libqtest makes it: keep that
         * out of the test's output, but at hand should the restart fail.
         */
        setrlimit(RLIMIT_CORE, &no_core);
        dup2(log, STDERR_FILENO);
        dup2(log, STDOUT_FILENO);
        close(fds[0]);
        kill_child(fds[1], steps);
    }
    close(log);
    close(fds[1]);
    in = fdopen(fds[0], "r");
    while (getline(&line, &cap, in) > 0) {
        if (sscanf(line, "pid %d", &run.qemu) == 1) {
            continue;
        }
        if (sscanf(line, "state %" SCNd64, &run.state) == 1) {
            run.stream_us = -g_get_monotonic_time();
            if (delay_us >= 0) {
                g_usleep(delay_us);
                kill(run.qemu, SIGKILL);
            }
            continue;
        }
        if (sscanf(line, "send %" SCNd64, &run.sent) != 1 &&
            sscanf(line, "ack %" SCNd64, &run.acked) != 1) {
            run.done |= !strcmp(line, "done\n");
            run.stream_us += run.done ? g_get_monotonic_time() : 0;
        }
    }
    fclose(in);
    g_assert(waitpid(child, &status, 0) == child);
    if (run.state == -2) {
        g_autofree char *said = NULL;

        g_file_get_contents(log_path, &said, NULL, NULL);
        g_test_message("the restarted drive reported no state; its test "
                       "process and QEMU said:");
        g_test_message("%s", said ? said : "");
    }
    unlink(log_path);
    return run;
}

static void test_state_sigkill(void)
{
    const char *rounds_env = g_getenv("OPAL_KILL_ROUNDS");
    int rounds = rounds_env ? atoi(rounds_env) : 200;
    int64_t sent = 0, acked = 0, window_us;
    int kills = 0, mid_method = 0;
    KillRun run;
    OpalTestState *s;

    s = opal_boot_owned("%s", "");
    /* owned: Range1 starts at 0, the MBR is zeros (step 0) */
    opal_shutdown(s);

    /*
     * A stream of KILL_STEPS methods, timed: kills land uniformly within that
     * long of streams that go on until the kill, however slow the machine.
     */
    run = kill_run(-1, KILL_STEPS);
    window_us = run.stream_us;
    g_assert_true(run.done);
    g_assert_cmpint(run.state, ==, 0);
    acked = sent = run.acked;
    g_assert_cmpint(acked, ==, KILL_STEPS);

    for (int i = 0; kills < rounds && i < rounds + 10; i++) {
        run = kill_run(g_test_rand_int_range(0, window_us), 100 * KILL_STEPS);
        /*
         * The state before or after the interrupted method; never less than
         * acknowledged.
         */
        if (run.state != acked && run.state != sent) {
            g_test_message("round %d: state %" PRId64 " after step %" PRId64
                           " was acknowledged and %" PRId64 " sent",
                           i, run.state, acked, sent);
            g_assert_not_reached();
        }
        if (!run.done) {
            kills++;
            mid_method += run.sent > run.acked;
        }
        sent = run.sent >= 0 ? run.sent : run.state;
        acked = run.acked >= 0 ? run.acked : run.state;
    }
    run = kill_run(-1, KILL_STEPS);
    g_assert_true(run.state == acked || run.state == sent);
    g_assert_true(run.done);
    g_test_message("%d kills, each in the first %" PRId64 " us of a stream "
                   "of methods (the time %d methods take), %d of them with a "
                   "method in flight", kills, window_us, KILL_STEPS,
                   mid_method);
    g_assert_cmpint(kills, >=, rounds);
}

void opal_test_register_state(void)
{
    qtest_add_func("/opal/state/restart", test_state_restart);
    qtest_add_func("/opal/state/pin-try-limit", test_pin_try_limit);
    qtest_add_func("/opal/state/no-pins-in-image", test_state_no_pins_in_image);
    qtest_add_func("/opal/state/refusals", test_state_refusals);
    qtest_add_func("/opal/state/state-drive", test_state_drive);
    qtest_add_func("/opal/state/secrets", test_state_secrets);
    qtest_add_func("/opal/state/migrate", test_state_migrate);
    qtest_add_func("/opal/state/savevm", test_state_savevm);
    qtest_add_func("/opal/state/sigkill", test_state_sigkill);
    qtest_add_func("/opal/state/stress-no-stall", test_stress_no_stall);
}
