/*
 * QTest testcase for ide-opal-hd: the media gate, LBA commands against
 * the Locking SP's ranges; the shadow MBR, encryption, resets.
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

/*** Helpers of the media tests ***/

#define RESET_POWER_CYCLE           0
#define RESET_PROGRAMMATIC          3

/* Object.Set of a list of uintegers (LockOnReset) */
static uint64_t set_uint_list(OpalTestState *s, uint64_t object,
                              uint64_t column, const uint64_t *values,
                              size_t n)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    size_t i;

    call_begin(b, object, UID_M_SET);
    tk_control(b, TK_START_NAME);
    tk_uint(b, 1);
    tk_control(b, TK_START_LIST);
    tk_control(b, TK_START_NAME);
    tk_uint(b, column);
    tk_control(b, TK_START_LIST);
    for (i = 0; i < n; i++) {
        tk_uint(b, values[i]);
    }
    tk_control(b, TK_END_LIST);
    tk_control(b, TK_END_NAME);
    tk_control(b, TK_END_LIST);
    tk_control(b, TK_END_NAME);
    call_end(b);
    return host_call(s, b, NULL);
}

/*** The media gate: LBA commands against the Locking SP ***/

static const IoCmd read_cmds[] = {
    { CMD_READ_PIO,              "READ SECTORS",           false, false },
    { CMD_READ_PIO_EXT,          "READ SECTORS EXT",       false, true },
    { ATA_CMD_READ_MULTIPLE,     "READ MULTIPLE",          false, false },
    { ATA_CMD_READ_MULTIPLE_EXT, "READ MULTIPLE EXT",      false, true },
    { CMD_READ_DMA,              "READ DMA",               false, false },
    { CMD_READ_DMA_EXT,          "READ DMA EXT",           false, true },
    { READ_FPDMA_QUEUED,         "READ FPDMA QUEUED",      false, true, true },
};

static const IoCmd write_cmds[] = {
    { CMD_WRITE_PIO,              "WRITE SECTORS",         true, false },
    { CMD_WRITE_PIO_EXT,          "WRITE SECTORS EXT",     true, true },
    { ATA_CMD_WRITE_MULTIPLE,     "WRITE MULTIPLE",        true, false },
    { ATA_CMD_WRITE_MULTIPLE_EXT, "WRITE MULTIPLE EXT",    true, true },
    { CMD_WRITE_DMA,              "WRITE DMA",             true, false },
    { CMD_WRITE_DMA_EXT,          "WRITE DMA EXT",         true, true },
    { WRITE_FPDMA_QUEUED,         "WRITE FPDMA QUEUED",    true, true, true },
};

/* @len bytes of the image file at @offset, as the host sees them */
static void read_image(uint64_t offset, void *buf, size_t len)
{
    int fd = open(image_path, O_RDONLY);

    g_assert(fd >= 0);
    g_assert_cmpint(pread(fd, buf, len, offset), ==, len);
    close(fd);
}

/*
 * Every read and write path refuses a locked range; the same commands work
 * on the (unlocked) global range, so the refusals are the lock's doing.
 */
static void test_media_locked_range(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t buf[8 * BLOCK_SIZE];
    int i;

    write_pattern(s, GLOBAL_LBA, 8 * ARRAY_SIZE(write_cmds), 1);
    setup_range1(s, R1_START, R1_LEN, true, true);
    g_assert_cmphex(locking_flags(s) & L0_LOCKED, ==, L0_LOCKED);

    for (i = 0; i < ARRAY_SIZE(read_cmds); i++) {
        expect_read_refused(s, &read_cmds[i], R1_START + 8, 8);
        expect_read_refused(s, &read_cmds[i], R1_START + R1_LEN - 1, 1);

        assert_success(io_exec(s, &read_cmds[i], GLOBAL_LBA, 8, buf),
                       sizeof(buf));
        check_pattern(buf, GLOBAL_LBA, 8, 1, read_cmds[i].name);
    }
    for (i = 0; i < ARRAY_SIZE(write_cmds); i++) {
        expect_write_refused(s, &write_cmds[i], R1_START + 8 * i, 8, 2);

        fill_pattern(buf, GLOBAL_LBA + 8 * i, 8, 3);
        assert_success(io_exec(s, &write_cmds[i], GLOBAL_LBA + 8 * i, 8, buf),
                       sizeof(buf));
    }
    check_owned_usable(s);

    /* Unlocked again: none of the refused writes reached the medium */
    lock_range(s, UID_LOCKING_RANGE(1), false, false);
    expect_pattern(s, R1_START, R1_LEN, 1, "Range1 after refused writes");
    expect_pattern(s, GLOBAL_LBA, 8 * ARRAY_SIZE(write_cmds), 3,
                   "global range after writes");
    opal_shutdown(s);
}

/* ReadLocked = 0, WriteLocked = 1: a read-only range */
static void test_media_read_only_range(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t buf[8 * BLOCK_SIZE];
    int i;

    setup_range1(s, R1_START, 64, false, true);

    for (i = 0; i < ARRAY_SIZE(read_cmds); i++) {
        assert_success(io_exec(s, &read_cmds[i], R1_START + 8 * i, 8, buf),
                       sizeof(buf));
        check_pattern(buf, R1_START + 8 * i, 8, 1, read_cmds[i].name);
    }
    for (i = 0; i < ARRAY_SIZE(write_cmds); i++) {
        expect_write_refused(s, &write_cmds[i], R1_START + 8 * i, 8, 2);
    }
    expect_pattern(s, R1_START, 64, 1, "read-only range after writes");

    /* WriteLockEnabled = 0: WriteLocked no longer counts */
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_WRITE_LOCK_ENABLED,
                              0), ==, 0);
    end_session(s);
    write_pattern(s, R1_START, 8, 4);
    expect_pattern(s, R1_START, 8, 4, "range with WriteLockEnabled = 0");
    opal_shutdown(s);
}

/*
 * Range1 = [R1_START, R1_START + R1_LEN) locked: the LBAs just outside
 * work, the first and last inside do not, and a command that crosses
 * either edge fails whole, moving nothing.
 */
static void test_media_range_boundaries(void)
{
    static const struct {
        int64_t lba;        /* relative to R1_START */
        uint16_t nsect;
        bool ok;
    } cases[] = {
        { -1, 1, true },
        { -8, 8, true },
        { 0, 1, false },
        { -1, 2, false },
        { -4, 8, false },
        { R1_LEN - 1, 1, false },
        { R1_LEN - 4, 8, false },
        { R1_LEN, 1, true },
        { R1_LEN, 8, true },
        { -8, R1_LEN + 16, false },
    };
    const IoCmd *readers[] = { &dma_read, &pio_read, &ncq_read };
    const IoCmd *writers[] = { &dma_write, &write_cmds[1], &write_cmds[6] };
    OpalTestState *s = opal_boot_owned("%s", "");
    g_autofree uint8_t *buf = g_malloc((R1_LEN + 16) * BLOCK_SIZE);
    int i, j;

    /* One write across both edges: two extents, two keys */
    setup_range1(s, R1_START - 8, R1_LEN + 16, true, true);

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        uint64_t lba = R1_START + cases[i].lba;
        uint16_t n = cases[i].nsect;
        bool ok = cases[i].ok;
        const char *expected = ok ? "success" : "refusal";

        for (j = 0; j < ARRAY_SIZE(readers); j++) {
            g_test_message("%s LBA %" PRIu64 "+%u, expected %s",
                           readers[j]->name, lba, n, expected);
            if (ok) {
                assert_success(io_exec(s, readers[j], lba, n, buf),
                               (size_t)n * BLOCK_SIZE);
                check_pattern(buf, lba, n, 1, readers[j]->name);
            } else {
                expect_read_refused(s, readers[j], lba, n);
            }
        }
        for (j = 0; j < ARRAY_SIZE(writers); j++) {
            fill_pattern(buf, lba, n, 2);
            g_test_message("%s LBA %" PRIu64 "+%u, expected %s",
                           writers[j]->name, lba, n, expected);
            if (ok) {
                /* Write back what is there, so that the next case sees it */
                fill_pattern(buf, lba, n, 1);
                assert_success(io_exec(s, writers[j], lba, n, buf),
                               (size_t)n * BLOCK_SIZE);
            } else {
                expect_write_refused(s, writers[j], lba, n, 2);
            }
        }
    }

    /* The unlocked halves of the refused spanning writes are intact */
    expect_pattern(s, R1_START - 8, 8, 1, "below Range1");
    expect_pattern(s, R1_START + R1_LEN, 8, 1, "above Range1");
    lock_range(s, UID_LOCKING_RANGE(1), false, false);
    expect_pattern(s, R1_START - 8, R1_LEN + 16, 1, "Range1 and its edges");
    opal_shutdown(s);
}

/*
 * A refused queued command: TFES, the NCQ Command Error log names its tag
 * and LBA (once: reading the log clears it), and after the host's error
 * recovery the port takes queued commands again.
 */
static void test_media_ncq_error(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t buf[8 * BLOCK_SIZE];
    uint8_t log[BLOCK_SIZE];
    NcqResult r;

    write_pattern(s, GLOBAL_LBA, 8, 1);
    setup_range1(s, R1_START, 16, true, true);

    read_ncq_log(s, log);
    g_assert_cmphex(log[0], ==, NCQ_LOG_NQ);

    r = ncq_exec(s, false, 5, R1_START + 3, 5, buf);
    g_assert_cmphex(r.ata.status, ==, MEDIA_STATUS);
    g_assert_cmphex(r.ata.error, ==, MEDIA_ERROR);
    g_assert_cmphex(r.sdb_status & ATA_STAT_ERR, ==, ATA_STAT_ERR);
    assert_untouched(buf, 5 * BLOCK_SIZE);

    read_ncq_log(s, log);
    check_ncq_log(log, 5, R1_START + 3, 5);
    read_ncq_log(s, log);
    g_assert_cmphex(log[0], ==, NCQ_LOG_NQ);

    /* The port works again, with the same tag and with another one */
    r = ncq_exec(s, false, 5, GLOBAL_LBA, 8, buf);
    assert_success(r.ata, r.ata.xfer);
    check_pattern(buf, GLOBAL_LBA, 8, 1, "NCQ read after the error");
    r = ncq_exec(s, false, 0, GLOBAL_LBA, 8, buf);
    g_assert_cmphex(r.ata.status & ATA_STAT_ERR, ==, 0);
    check_pattern(buf, GLOBAL_LBA, 8, 1, "NCQ read, tag 0");

    /* A queued write, a high tag, an LBA above 16 bits */
    fill_pattern(buf, R1_START + R1_LEN - 8, 8, 2);
    r = ncq_exec(s, true, 30, R1_START + R1_LEN - 8, 8, buf);
    g_assert_cmphex(r.ata.status, ==, MEDIA_STATUS);
    g_assert_cmphex(r.ata.error, ==, MEDIA_ERROR);
    read_ncq_log(s, log);
    check_ncq_log(log, 30, R1_START + R1_LEN - 8, 8);

    /* A non-queued refusal does not touch the NCQ log */
    expect_read_refused(s, &dma_read, R1_START, 1);
    read_ncq_log(s, log);
    g_assert_cmphex(log[0], ==, NCQ_LOG_NQ);

    lock_range(s, UID_LOCKING_RANGE(1), false, false);
    expect_pattern(s, R1_START, 16, 1, "Range1 after the refused NCQ write");
    check_owned_usable(s);
    opal_shutdown(s);
}

/*
 * A queued command right after a refused non-queued one is accepted with a
 * clean status and completes (patch 0008: QEMU's AHCI used to acknowledge it
 * with the refused command's ERR: TFES raised, PxCI kept).
 */
static void test_media_ncq_after_error(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t buf[8 * BLOCK_SIZE];
    NcqResult r;

    write_pattern(s, GLOBAL_LBA, 8, 1);
    setup_range1(s, R1_START, 8, true, true);
    expect_read_refused(s, &dma_read, R1_START, 8);
    r = ncq_exec(s, false, 3, GLOBAL_LBA, 8, buf);
    assert_success(r.ata, r.ata.xfer);
    check_pattern(buf, GLOBAL_LBA, 8, 1, "NCQ read after a refused READ DMA");
    opal_shutdown(s);
}

/* DATA SET MANAGEMENT with one TRIM range entry */
static AtaResult ata_trim(OpalTestState *s, uint64_t lba, uint16_t count)
{
    RegH2DFIS fis = {
        .command = ATA_CMD_DSM,
        .feature_low = ATA_DSM_TRIM,
        .device = ATA_DEVICE_LBA,
        .count = 1,
    };
    uint8_t list[BLOCK_SIZE] = { 0 };

    stq_le_p(list, lba | ((uint64_t)count << 48));
    return ata_exec(s, &fis, XFER_OUT, list, sizeof(list));
}

static void test_media_trim_verify(void)
{
    static const IoCmd verify = { ATA_CMD_VERIFY, "READ VERIFY SECTORS" };
    static const IoCmd verify_ext = {
        ATA_CMD_VERIFY_EXT, "READ VERIFY SECTORS EXT", false, true
    };
    OpalTestState *s = opal_boot_owned("%s", "");
    AtaResult r;

    setup_range1(s, R1_START, 64, true, true);

    /*
     * The range list must be read before the LBAs are known: the list may
     * have moved, the command must fail all the same.
     */
    r = ata_trim(s, R1_START + 8, 16);
    g_assert_cmphex(r.status, ==, MEDIA_STATUS);
    assert_abort_after_data(r, BLOCK_SIZE);
    r = ata_trim(s, R1_START - 8, 16);          /* crosses into Range1 */
    g_assert_cmphex(r.status, ==, MEDIA_STATUS);
    assert_abort_after_data(r, BLOCK_SIZE);
    assert_success(ata_trim(s, GLOBAL_LBA, 8), BLOCK_SIZE);

    assert_refused(io_exec(s, &verify, R1_START + 8, 8, NULL));
    assert_refused(io_exec(s, &verify_ext, R1_START + R1_LEN - 1, 2, NULL));
    assert_refused(io_exec(s, &verify_ext, R1_START - 1, 2, NULL));
    assert_success(io_exec(s, &verify, GLOBAL_LBA, 8, NULL), 0);
    assert_success(io_exec(s, &verify_ext, R1_START + R1_LEN, 8, NULL), 0);

    /* Write-locked only: VERIFY reads, so it passes; TRIM still fails */
    lock_range(s, UID_LOCKING_RANGE(1), false, true);
    assert_success(io_exec(s, &verify, R1_START + 8, 8, NULL), 0);
    assert_success(io_exec(s, &verify_ext, R1_START, 8, NULL), 0);
    r = ata_trim(s, R1_START + 8, 16);
    g_assert_cmphex(r.status, ==, MEDIA_STATUS);
    assert_abort_after_data(r, BLOCK_SIZE);

    lock_range(s, UID_LOCKING_RANGE(1), false, false);
    expect_pattern(s, R1_START, 64, 1, "Range1 after refused TRIMs");
    check_owned_usable(s);
    opal_shutdown(s);
}

/*
 * StartTransaction or EndTransaction with @status, alone in a packet of
 * the open session (Core 3.2.6); the status the TPer answers it with.
 */
static uint64_t transaction_token(OpalTestState *s, uint8_t token,
                                  uint64_t status)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    tk_control(b, token);
    tk_uint(b, status);
    r = host_exchange(s, s->tsn, HOST_HSN, b);
    g_assert_cmpuint(r->tokens->len, ==, 2);
    g_assert_cmpint(resp_token(r, 0)->control, ==, token);
    return resp_token(r, 1)->uint;
}

/*
 * A range locked inside a transaction stays readable until the commit:
 * the media gate sees committed state only.  Aborted, the lock never
 * reaches it; committed, reads are refused.
 */
static void test_media_transaction(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");

    setup_range1(s, R1_START, 8, false, false);
    for (int commit = 0; commit < 2; commit++) {
        admin1_session(s);
        g_assert_cmpuint(transaction_token(s, TK_START_TRANSACTION, 0), ==,
                         0);
        g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_READ_LOCKED,
                                  1), ==, 0);
        expect_pattern(s, R1_START, 8, 1, "Range1 in the transaction");
        /* A host's abort is answered with its own status */
        g_assert_cmpuint(transaction_token(s, TK_END_TRANSACTION, !commit),
                         ==, !commit);
        end_session(s);
        if (commit) {
            expect_read_refused(s, &dma_read, R1_START, 8);
        } else {
            expect_pattern(s, R1_START, 8, 1, "Range1 after the abort");
        }
    }
    opal_shutdown(s);
}

/*
 * A PIO WRITE SECTORS moves each block through the command list.  The
 * drive's throttling (on the virtual clock under qtest) holds one block's
 * write in flight while the host stops and restarts the port, which takes
 * the command away.  When the write completes, the next block must not be
 * fetched through the list that went away: upstream QEMU read the command
 * header through a NULL pointer there (patch 0012).  The device waits for
 * data that never comes, as a real one would, until the host resets the
 * port; then the drive works.
 */
static void test_media_pio_port_restart(void)
{
    uint8_t buf[4 * BLOCK_SIZE], back[4 * BLOCK_SIZE];
    OpalTestState *s;
    AHCIQState *ahci;
    AHCICommand *cmd;
    uint64_t gbuf;
    uint32_t tfd;

    drive_opts = ",throttling.iops-total=1";
    s = opal_boot_default();
    drive_opts = "";
    ahci = s->ahci;

    fill_pattern(buf, GLOBAL_LBA, 4, 3);
    gbuf = ahci_alloc(ahci, sizeof(buf));
    qtest_bufwrite(ahci->parent->qts, gbuf, buf, sizeof(buf));
    cmd = ahci_command_create(CMD_WRITE_PIO);
    ahci_command_set_buffer(cmd, gbuf);
    ahci_command_set_size(cmd, sizeof(buf));
    ahci_command_set_offset(cmd, GLOBAL_LBA);
    ahci_command_commit(ahci, cmd, s->port);
    ahci_command_issue_async(ahci, cmd);

    ahci_px_clr(ahci, s->port, AHCI_PX_CMD, AHCI_PX_CMD_ST);
    ahci_px_set(ahci, s->port, AHCI_PX_CMD, AHCI_PX_CMD_ST);
    qtest_clock_step(ahci->parent->qts, 10 * G_USEC_PER_SEC * 1000LL);
    g_assert_cmphex(ahci_px_rreg(ahci, s->port, AHCI_PX_CI), ==, 0);
    tfd = ahci_px_rreg(ahci, s->port, AHCI_PX_TFD);
    ASSERT_BIT_SET(tfd & AHCI_PX_TFD_STS, ATA_STAT_DRQ);

    /* COMRESET (AHCI 1.3 section 10.4.2) */
    ahci_px_wreg(ahci, s->port, AHCI_PX_SCTL, 1);
    ahci_px_wreg(ahci, s->port, AHCI_PX_SCTL, 0);
    ahci_px_wreg(ahci, s->port, AHCI_PX_SERR, 0xffffffff);
    ahci_px_wreg(ahci, s->port, AHCI_PX_IS, 0xffffffff);
    ahci_command_free(cmd);
    ahci_free(ahci, gbuf);

    write_pattern(s, GLOBAL_LBA, 4, 4);
    assert_success(io_exec(s, &read_cmds[0], GLOBAL_LBA, 4, back),
                   sizeof(back));
    check_pattern(back, GLOBAL_LBA, 4, 4, "after the port reset");
    opal_shutdown(s);
}

/*
 * TRIM of an unlocked range, on a drive whose backend discards
 * (discard=unmap), must reach the image as ide-hd's does: the sectors
 * become a hole.  Today the opal-media filter node is opened without
 * BDRV_O_UNMAP, so the block layer drops the discard before it reaches
 * the filter (the command still succeeds): reported as incomplete.
 */
static void test_media_trim_discards(void)
{
    static const char *const devs[] = { "ide-hd", "ide-opal-hd" };
    uint8_t raw[8 * BLOCK_SIZE], zero[8 * BLOCK_SIZE] = { 0 };
    bool discarded[ARRAY_SIZE(devs)];
    int i;

    drive_opts = ",discard=unmap";
    for (i = 0; i < ARRAY_SIZE(devs); i++) {
        OpalTestState *s = opal_boot("-device %s,drive=d0,bus=ide.0",
                                     devs[i]);

        write_pattern(s, GLOBAL_LBA, 8, 1);
        read_image(GLOBAL_LBA * BLOCK_SIZE, raw, sizeof(raw));
        g_assert_cmpint(memcmp(raw, zero, sizeof(raw)), !=, 0);
        assert_success(ata_trim(s, GLOBAL_LBA, 8), BLOCK_SIZE);
        read_image(GLOBAL_LBA * BLOCK_SIZE, raw, sizeof(raw));
        discarded[i] = !memcmp(raw, zero, sizeof(raw));
        g_test_message("%s: TRIM %s the image", devs[i],
                       discarded[i] ? "reached" : "did not reach");
        opal_shutdown(s);
    }
    drive_opts = "";
    if (!discarded[0]) {
        g_test_skip("the host file system does not punch holes");
    } else if (!discarded[1]) {
        g_test_incomplete("ide-opal-hd drops TRIM before the image");
    }
}

/*
 * Shadow MBR: with MBRControl Enable = 1 and Done = 0, LBA 0 on reads the
 * MBR table (whatever the global range's read lock), and refuses writes;
 * past the shadow area the global range's locks apply.  Done = 1 shows the
 * real LBA 0 again.
 */
static void test_media_shadow_mbr(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t mbr[2 * BLOCK_SIZE];
    uint8_t buf[4 * BLOCK_SIZE];
    uint8_t zero[2 * BLOCK_SIZE] = { 0 };
    int i;

    write_pattern(s, 0, 4, 1);
    write_pattern(s, SHADOW_BLOCKS - 8, 16, 1);
    for (i = 0; i < sizeof(mbr); i++) {
        mbr[i] = i * 3 + 0x5C;
    }
    memcpy(mbr, "PBA IMAGE", 9);

    admin1_session(s);
    g_assert_cmpuint(set_mbr(s, 0, mbr, sizeof(mbr)), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_GLOBALRANGE,
                              COL_READ_LOCK_ENABLED, 1), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_GLOBALRANGE,
                              COL_READ_LOCKED, 1), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_ENABLE, 1), ==, 0);
    end_session(s);
    g_assert_cmphex(locking_flags(s) & (L0_MBR_ENABLED | L0_MBR_DONE), ==,
                    L0_MBR_ENABLED);

    /* LBA 0..3 through three paths: the MBR table, then its zeroes */
    for (i = 0; i < 3; i++) {
        const IoCmd *c = i == 0 ? &dma_read :
                         i == 1 ? &read_cmds[0] : &ncq_read;

        g_test_message("%s of the shadow MBR", c->name);
        assert_success(io_exec(s, c, 0, 4, buf), sizeof(buf));
        g_assert_cmpmem(buf, sizeof(mbr), mbr, sizeof(mbr));
        g_assert_cmpmem(buf + sizeof(mbr), sizeof(zero), zero, sizeof(zero));
    }
    /* The last shadowed LBA reads; the first past the area is read-locked */
    assert_success(io_exec(s, &dma_read, SHADOW_BLOCKS - 1, 1, buf),
                   BLOCK_SIZE);
    expect_read_refused(s, &dma_read, SHADOW_BLOCKS, 1);
    expect_read_refused(s, &dma_read, SHADOW_BLOCKS - 2, 4);

    /* Shadowed LBAs are read-only though the global range is writable */
    expect_write_refused(s, &dma_write, 0, 1, 2);
    expect_write_refused(s, &write_cmds[0], 1, 1, 2);
    expect_write_refused(s, &write_cmds[6], SHADOW_BLOCKS - 1, 1, 2);
    expect_write_refused(s, &dma_write, SHADOW_BLOCKS - 4, 8, 2);
    write_pattern(s, SHADOW_BLOCKS, 8, 3);

    /* Done: the real LBA 0, behind the global range's read lock */
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_DONE, 1), ==, 0);
    end_session(s);
    g_assert_cmphex(locking_flags(s) & (L0_MBR_ENABLED | L0_MBR_DONE), ==,
                    L0_MBR_ENABLED | L0_MBR_DONE);
    expect_read_refused(s, &dma_read, 0, 1);
    lock_range(s, UID_LOCKING_GLOBALRANGE, false, false);
    expect_pattern(s, 0, 4, 1, "LBA 0 after MBR Done");
    expect_pattern(s, SHADOW_BLOCKS - 8, 8, 1, "end of the shadow area");
    expect_pattern(s, SHADOW_BLOCKS, 8, 3, "past the shadow area");
    write_pattern(s, 0, 1, 4);
    expect_pattern(s, 0, 1, 4, "LBA 0 written after MBR Done");
    opal_shutdown(s);
}

/* With mbr-size larger than the medium, the whole medium is shadowed */
static void test_media_shadow_mbr_capped(void)
{
    OpalTestState *s;
    /* A 256 MiB MBR table leaves the guest 512 - 275 MiB of the image. */
    uint64_t nb = (TEST_IMAGE_SIZE - 275 * MiB) / BLOCK_SIZE;
    uint8_t buf[BLOCK_SIZE];
    uint8_t zero[BLOCK_SIZE] = { 0 };

    s = opal_boot_owned(",mbr-size=%" PRIu64, (uint64_t)256 * MiB);
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_ENABLE, 1), ==, 0);
    end_session(s);
    assert_success(io_exec(s, &dma_read, nb - 1, 1, buf), BLOCK_SIZE);
    g_assert_cmpmem(buf, BLOCK_SIZE, zero, BLOCK_SIZE);
    expect_write_refused(s, &dma_write, nb - 1, 1, 2);
    /* Past the medium is still past the medium */
    assert_abort(io_exec(s, &dma_read, nb, 1, buf));
    opal_shutdown(s);
}

/*
 * User data is stored encrypted: what a guest writes is not in the image
 * file, and reads back as written.  With encrypt=off it is.
 */
static void do_test_media_encryption(bool encrypt)
{
    static const char marker[] = "OPAL PLAINTEXT MARKER";
    OpalTestState *s = opal_boot_owned(",encrypt=%s", encrypt ? "on" : "off");
    g_autofree uint8_t *plain = g_malloc(16 * BLOCK_SIZE);
    g_autofree uint8_t *raw = g_malloc(16 * BLOCK_SIZE);
    g_autofree uint8_t *back = g_malloc(16 * BLOCK_SIZE);
    size_t i;

    /* Every sector the same: the marker over and over */
    memset(plain, 0, 16 * BLOCK_SIZE);
    for (i = 0; i + sizeof(marker) <= BLOCK_SIZE; i += sizeof(marker)) {
        memcpy(plain + i, marker, sizeof(marker));
    }
    for (i = 1; i < 16; i++) {
        memcpy(plain + i * BLOCK_SIZE, plain, BLOCK_SIZE);
    }

    assert_success(io_exec(s, &dma_write, GLOBAL_LBA, 16, plain),
                   16 * BLOCK_SIZE);
    assert_success(io_exec(s, &dma_read, GLOBAL_LBA, 16, back),
                   16 * BLOCK_SIZE);
    g_assert_cmpmem(back, 16 * BLOCK_SIZE, plain, 16 * BLOCK_SIZE);

    read_image(GLOBAL_LBA * BLOCK_SIZE, raw, 16 * BLOCK_SIZE);
    if (encrypt) {
        g_assert_null(memmem(raw, 16 * BLOCK_SIZE, marker, 8));
        /* Same plaintext, different LBAs: different ciphertext (XTS tweak) */
        g_assert_cmpint(memcmp(raw, raw + BLOCK_SIZE, BLOCK_SIZE), !=, 0);
    } else {
        g_assert_cmpmem(raw, 16 * BLOCK_SIZE, plain, 16 * BLOCK_SIZE);
    }
    opal_shutdown(s);
}

static void test_media_encrypted(void)
{
    do_test_media_encryption(true);
}

static void test_media_encrypt_off(void)
{
    do_test_media_encryption(false);
}

/*
 * GenKey on Range1's key is a crypto erase: Range1's data reads back as
 * something else, the global range's is untouched, and the ciphertext on
 * the medium did not change (nothing was rewritten).
 */
static void test_media_genkey(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    g_autofree uint8_t *raw1 = g_malloc(8 * BLOCK_SIZE);
    g_autofree uint8_t *raw2 = g_malloc(8 * BLOCK_SIZE);
    g_autofree uint8_t *buf = g_malloc(8 * BLOCK_SIZE);
    g_autofree uint8_t *ref = g_malloc(8 * BLOCK_SIZE);
    int k;

    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_RANGE_START,
                              R1_START), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_RANGE_LENGTH,
                              R1_LEN), ==, 0);
    end_session(s);

    write_pattern(s, R1_START, 8, 1);
    write_pattern(s, GLOBAL_LBA, 8, 1);
    expect_pattern(s, R1_START, 8, 1, "Range1 before GenKey");
    read_image(R1_START * BLOCK_SIZE, raw1, 8 * BLOCK_SIZE);

    admin1_session(s);
    g_assert_cmpuint(call_plain(s, UID_K_AES_256_RANGE_KEY(1), UID_M_GENKEY),
                     ==, 0);
    end_session(s);

    assert_success(io_exec(s, &dma_read, R1_START, 8, buf), 8 * BLOCK_SIZE);
    fill_pattern(ref, R1_START, 8, 1);
    for (k = 0; k < 8; k++) {
        g_assert_cmpint(memcmp(buf + k * BLOCK_SIZE, ref + k * BLOCK_SIZE,
                               BLOCK_SIZE), !=, 0);
    }
    read_image(R1_START * BLOCK_SIZE, raw2, 8 * BLOCK_SIZE);
    g_assert_cmpmem(raw1, 8 * BLOCK_SIZE, raw2, 8 * BLOCK_SIZE);
    expect_pattern(s, GLOBAL_LBA, 8, 1, "global range after Range1's GenKey");

    /* New data under the new key reads back fine */
    write_pattern(s, R1_START, 8, 2);
    expect_pattern(s, R1_START, 8, 2, "Range1 after GenKey");
    opal_shutdown(s);
}

/*
 * Unlocked ranges and MBR Done survive a hardware reset (QMP system_reset,
 * a guest reboot) whatever their LockOnReset: a pre-boot image unlocks and
 * reboots into the real OS.  Only Power Cycle and Programmatic may be in
 * LockOnReset, neither of which a hardware reset is.
 */
static void test_media_hardware_reset(void)
{
    static const uint64_t lor_pc_prog[] = {
        RESET_POWER_CYCLE, RESET_PROGRAMMATIC
    };
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t mbr[BLOCK_SIZE];

    memset(mbr, 0x6B, sizeof(mbr));
    write_pattern(s, 0, 8, 1);

    admin1_session(s);
    g_assert_cmpuint(set_mbr(s, 0, mbr, sizeof(mbr)), ==, 0);
    set_range(s, 1, RR1_START, R1_LEN, false, false);
    set_range(s, 2, RR2_START, R1_LEN, false, false);
    g_assert_cmpuint(set_uint_list(s, UID_LOCKING_RANGE(2), COL_LOCK_ON_RESET,
                                   lor_pc_prog, 2), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_ENABLE, 1), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_DONE, 1), ==, 0);
    end_session(s);
    write_pattern(s, RR1_START, 8, 1);
    write_pattern(s, RR2_START, 8, 1);
    g_assert_cmphex(locking_flags(s), ==,
                    L0_LOCKING_SUPPORTED | L0_LOCKING_ENABLED |
                    L0_MEDIA_ENCRYPTION | L0_MBR_ENABLED | L0_MBR_DONE);

    system_reset(s);

    g_assert_cmphex(locking_flags(s), ==,
                    L0_LOCKING_SUPPORTED | L0_LOCKING_ENABLED |
                    L0_MEDIA_ENCRYPTION | L0_MBR_ENABLED | L0_MBR_DONE);
    expect_pattern(s, 0, 8, 1, "LBA 0 after a hardware reset");
    expect_pattern(s, RR1_START, 8, 1, "Range1 after a hardware reset");
    expect_pattern(s, RR2_START, 8, 1, "Range2 after a hardware reset");
    write_pattern(s, RR1_START, 8, 2);
    expect_pattern(s, RR1_START, 8, 2, "Range1 written after the reset");

    /* Locks survive too: a locked range stays locked */
    lock_range(s, UID_LOCKING_RANGE(1), true, true);
    system_reset(s);
    expect_read_refused(s, &dma_read, RR1_START, 8);
    opal_shutdown(s);
}

/* The management interface refuses what is not an Opal drive. */
static void test_media_qmp_errors(void)
{
    OpalTestState *s = opal_boot("-device ide-opal-hd,drive=d0,bus=ide.0,"
                                 "id=opal0");
    QTestState *qts = s->ahci->parent->qts;
    QDict *rsp, *err;

    rsp = qtest_qmp(qts, "{ 'execute': 'opal-power-cycle',"
                    " 'arguments': { 'id': 'ahci' } }");
    err = qdict_get_qdict(rsp, "error");
    g_assert_nonnull(err);
    g_assert_cmpstr(qdict_get_str(err, "class"), ==, "DeviceNotFound");
    qobject_unref(rsp);
    opal_shutdown(s);
}

/*
 * A power cycle relocks ranges whose LockOnReset holds Power Cycle (the
 * factory value) and clears MBR Done (DoneOnReset = Power Cycle): the
 * shadow MBR shows again.  LockOnReset = {} keeps its range unlocked.
 */
static void test_media_power_cycle(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t mbr[BLOCK_SIZE];
    uint8_t buf[BLOCK_SIZE];

    memset(mbr, 0x6B, sizeof(mbr));
    write_pattern(s, 0, 8, 1);

    admin1_session(s);
    g_assert_cmpuint(set_mbr(s, 0, mbr, sizeof(mbr)), ==, 0);
    set_range(s, 1, RR1_START, R1_LEN, false, false);
    set_range(s, 2, RR2_START, R1_LEN, false, false);
    g_assert_cmpuint(set_uint_list(s, UID_LOCKING_RANGE(2), COL_LOCK_ON_RESET,
                                   NULL, 0), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_ENABLE, 1), ==, 0);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_DONE, 1), ==, 0);
    end_session(s);
    write_pattern(s, RR1_START, 8, 1);
    write_pattern(s, RR2_START, 8, 1);
    expect_pattern(s, 0, 8, 1, "LBA 0 before the power cycle");

    opal_power_cycle(s);

    g_assert_cmphex(locking_flags(s), ==,
                    L0_LOCKING_SUPPORTED | L0_LOCKING_ENABLED | L0_LOCKED |
                    L0_MEDIA_ENCRYPTION | L0_MBR_ENABLED);
    expect_read_refused(s, &dma_read, RR1_START, 8);
    expect_write_refused(s, &dma_write, RR1_START, 8, 2);
    expect_pattern(s, RR2_START, 8, 1, "Range2 (LockOnReset {})");
    assert_success(io_exec(s, &dma_read, 0, 1, buf), BLOCK_SIZE);
    g_assert_cmpmem(buf, BLOCK_SIZE, mbr, BLOCK_SIZE);
    expect_write_refused(s, &dma_write, 0, 1, 2);

    /* The pre-boot flow: unlock, Done, and the real data is there */
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_READ_LOCKED, 0),
                     ==, 0);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_WRITE_LOCKED, 0),
                     ==, 0);
    g_assert_cmpuint(set_uint(s, UID_MBRCONTROL, COL_MBR_DONE, 1), ==, 0);
    end_session(s);
    expect_pattern(s, RR1_START, 8, 1, "Range1 unlocked after power cycle");
    expect_pattern(s, 0, 8, 1, "LBA 0 after Done");
    opal_shutdown(s);
}

void opal_test_register_media(void)
{
    qtest_add_func("/opal/media/locked-range", test_media_locked_range);
    qtest_add_func("/opal/media/read-only-range", test_media_read_only_range);
    qtest_add_func("/opal/media/range-boundaries", test_media_range_boundaries);
    qtest_add_func("/opal/media/ncq-error", test_media_ncq_error);
    qtest_add_func("/opal/media/ncq-after-error", test_media_ncq_after_error);
    qtest_add_func("/opal/media/trim-verify", test_media_trim_verify);
    qtest_add_func("/opal/media/trim-discards", test_media_trim_discards);
    qtest_add_func("/opal/media/pio-port-restart", test_media_pio_port_restart);
    qtest_add_func("/opal/media/transaction", test_media_transaction);
    qtest_add_func("/opal/media/shadow-mbr", test_media_shadow_mbr);
    qtest_add_func("/opal/media/shadow-mbr/capped",
                   test_media_shadow_mbr_capped);
    qtest_add_func("/opal/media/encrypted", test_media_encrypted);
    qtest_add_func("/opal/media/encrypt-off", test_media_encrypt_off);
    qtest_add_func("/opal/media/genkey", test_media_genkey);
    qtest_add_func("/opal/media/hardware-reset", test_media_hardware_reset);
    qtest_add_func("/opal/media/power-cycle", test_media_power_cycle);
    qtest_add_func("/opal/media/qmp-errors", test_media_qmp_errors);
}
