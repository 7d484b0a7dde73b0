/*
 * QTest testcase for ide-opal-hd on legacy IDE: the PIIX3 controller of
 * the pc machine, whose bus master DMA waits for the guest to start it
 * after the command is issued.  What a guest may do in that window - reset
 * the drive, rewrite the registers, migrate - must never size a transfer
 * or lose a command.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"

#include "libqtest.h"
#include "libqos/libqos-pc.h"
#include "libqos/pci-pc.h"
#include "hw/pci/pci_ids.h"
#include "hw/pci/pci_regs.h"

#define IDE_PCI_DEVFN       QPCI_DEVFN(1, 1)
#define IDE_BASE            0x1f0
#define IDE_CONTROL         0x3f6
#define IDE_CTRL_SRST       0x04

enum {
    REG_DATA = 0,
    REG_FEATURE = 1,
    REG_ERROR = 1,
    REG_NSECTOR = 2,
    REG_LBA_LOW = 3,
    REG_LBA_MID = 4,
    REG_LBA_HIGH = 5,
    REG_DEVICE = 6,
    REG_STATUS = 7,
    REG_COMMAND = 7,
};

enum {
    BM_REG_CMD = 0,
    BM_REG_STATUS = 2,
    BM_REG_PRDT = 4,
    BM_CMD_START = 0x01,
    BM_CMD_TO_MEMORY = 0x08,
    BM_STS_ACTIVE = 0x01,
    BM_STS_INTR = 0x04,
};

#define STAT_ERR            0x01
#define STAT_DRQ            0x08
#define STAT_BSY            0x80
#define ERR_ABRT            0x04
#define DEVICE_LBA          0x40

#define ATA_TRUSTED_RCV     0x5c
#define ATA_TRUSTED_RCV_DMA 0x5d
#define ATA_TRUSTED_SND     0x5e
#define ATA_TRUSTED_SND_DMA 0x5f

#define SECP_TCG            0x01
#define SECP_COMID_MGMT     0x02
#define COMID_DISCOVERY     0x0001
#define OPAL_BASE_COMID     0x07fe
#define COMID_REQ_STACK_RESET   2

#define BLOCK_SIZE          512
#define IMAGE_SIZE          (512 * MiB)
#define PRD_BYTES           (64 * KiB)
/* A PRD table that can move 32 MiB, all of it through one guest buffer. */
#define PRD_ENTRIES         512
#define PRD_EOT             0x80000000u
#define GUEST_FILL          0x5a
#define BM_TIMEOUT_US       (10 * G_USEC_PER_SEC)
/* Guest-physical memory that is no RAM: DMA there needs a bounce buffer */
#define NOT_RAM             0xd0000000u
#define ATA_READ_DMA        0xc8

static char *image_path;

typedef struct IdeOpal {
    QOSState *qs;
    QPCIDevice *dev;
    QPCIBar cmd_bar;
    QPCIBar bm_bar;
    uint64_t buf;           /* PRD_BYTES of guest memory */
    uint64_t prdt;
} IdeOpal;

static void ide_opal_attach(IdeOpal *t, QOSState *qs)
{
    t->qs = qs;
    t->dev = qpci_device_find(qs->pcibus, IDE_PCI_DEVFN);
    g_assert(t->dev);
    g_assert_cmphex(qpci_config_readw(t->dev, PCI_DEVICE_ID), ==,
                    PCI_DEVICE_ID_INTEL_82371SB_1);
    t->bm_bar = qpci_iomap(t->dev, 4, NULL);
    t->cmd_bar = qpci_legacy_iomap(t->dev, IDE_BASE);
    qpci_device_enable(t->dev);
}

/*
 * A pc machine with the drive as primary master; with @uri, a migration's
 * destination at @uri, whose guest memory comes from the source.
 */
static IdeOpal *ide_opal_boot(const char *uri)
{
    IdeOpal *t = g_new0(IdeOpal, 1);
    g_autofree char *incoming = uri ? g_strdup_printf("-incoming %s", uri)
                                    : g_strdup("");
    uint32_t prd[PRD_ENTRIES * 2];

    ide_opal_attach(t, qtest_pc_boot("-M pc -nodefaults -drive if=none,"
                                     "id=d0,file=%s,format=raw -device "
                                     "ide-opal-hd,drive=d0,bus=ide.0,"
                                     "serial=IDEOPAL %s",
                                     image_path, incoming));
    if (uri) {
        return t;
    }
    t->buf = guest_alloc(&t->qs->alloc, PRD_BYTES);
    t->prdt = guest_alloc(&t->qs->alloc, sizeof(prd));
    for (int i = 0; i < PRD_ENTRIES; i++) {
        /* 0 in the count field means 64 KiB */
        prd[2 * i] = cpu_to_le32(t->buf);
        prd[2 * i + 1] = cpu_to_le32(i == PRD_ENTRIES - 1 ? PRD_EOT : 0);
    }
    qtest_memwrite(t->qs->qts, t->prdt, prd, sizeof(prd));
    qtest_memset(t->qs->qts, t->buf, GUEST_FILL, PRD_BYTES);
    return t;
}

static void ide_opal_shutdown(IdeOpal *t)
{
    g_free(t->dev);
    qtest_pc_shutdown(t->qs);
    g_free(t);
}

static uint8_t inb_reg(IdeOpal *t, int reg)
{
    return qpci_io_readb(t->dev, t->cmd_bar, reg);
}

static void outb_reg(IdeOpal *t, int reg, uint8_t val)
{
    qpci_io_writeb(t->dev, t->cmd_bar, reg, val);
}

static uint8_t wait_not_busy(IdeOpal *t)
{
    uint8_t status;

    do {
        status = inb_reg(t, REG_STATUS);
    } while (status & STAT_BSY);
    return status;
}

/* Issue a TRUSTED command of @blocks 512-byte blocks; DMA stays unstarted. */
static void trusted_issue(IdeOpal *t, uint8_t cmd, uint8_t protocol,
                          uint16_t comid, uint16_t blocks)
{
    outb_reg(t, REG_DEVICE, DEVICE_LBA);
    qpci_io_writeb(t->dev, t->bm_bar, BM_REG_CMD, 0);
    qpci_io_writeb(t->dev, t->bm_bar, BM_REG_STATUS, BM_STS_INTR);
    qpci_io_writel(t->dev, t->bm_bar, BM_REG_PRDT, t->prdt);
    outb_reg(t, REG_FEATURE, protocol);
    outb_reg(t, REG_NSECTOR, blocks & 0xff);
    outb_reg(t, REG_LBA_LOW, blocks >> 8);
    outb_reg(t, REG_LBA_MID, comid & 0xff);
    outb_reg(t, REG_LBA_HIGH, comid >> 8);
    outb_reg(t, REG_COMMAND, cmd);
}

/*
 * Start the bus master and wait for the command to end, at most
 * BM_TIMEOUT_US; the ATA status.
 */
static uint8_t bm_run(IdeOpal *t, bool to_memory)
{
    int64_t deadline = g_get_monotonic_time() + BM_TIMEOUT_US;
    uint8_t bm;

    qpci_io_writeb(t->dev, t->bm_bar, BM_REG_CMD,
                   BM_CMD_START | (to_memory ? BM_CMD_TO_MEMORY : 0));
    do {
        bm = qpci_io_readb(t->dev, t->bm_bar, BM_REG_STATUS);
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
    } while ((bm & (BM_STS_ACTIVE | BM_STS_INTR)) == BM_STS_ACTIVE);
    qpci_io_writeb(t->dev, t->bm_bar, BM_REG_CMD, 0);
    return wait_not_busy(t);
}

/* Software reset through the Device Control register (ACS-3, 6.2.2). */
static void soft_reset(IdeOpal *t)
{
    qtest_outb(t->qs->qts, IDE_CONTROL, IDE_CTRL_SRST);
    qtest_outb(t->qs->qts, IDE_CONTROL, 0);
    wait_not_busy(t);
}

/* Level 0 Discovery's header and first descriptor, the TPer feature. */
static void assert_discovery(const uint8_t *buf)
{
    g_assert_cmpuint(ldl_be_p(buf), >=, 48 + 16);
    g_assert_cmphex(lduw_be_p(buf + 6), ==, 0x0001);
    g_assert_cmphex(lduw_be_p(buf + 48), ==, 0x0001);
}

/* The drive still answers: a Level 0 Discovery through bus master DMA. */
static void assert_discovery_dma(IdeOpal *t)
{
    uint8_t buf[BLOCK_SIZE];

    trusted_issue(t, ATA_TRUSTED_RCV_DMA, SECP_TCG, COMID_DISCOVERY, 1);
    g_assert_cmphex(bm_run(t, true) & STAT_ERR, ==, 0);
    qtest_memread(t->qs->qts, t->buf, buf, sizeof(buf));
    assert_discovery(buf);
}

static void assert_aborted(IdeOpal *t, uint8_t status)
{
    g_assert_cmphex(status & STAT_ERR, ==, STAT_ERR);
    g_assert_cmphex(inb_reg(t, REG_ERROR) & ERR_ABRT, ==, ERR_ABRT);
}

static void assert_guest_buffer_untouched(IdeOpal *t)
{
    g_autofree uint8_t *buf = g_malloc(PRD_BYTES);

    qtest_memread(t->qs->qts, t->buf, buf, PRD_BYTES);
    for (size_t i = 0; i < PRD_BYTES; i++) {
        g_assert_cmphex(buf[i], ==, GUEST_FILL);
    }
}

/*
 * A one-block TRUSTED DMA (@cmd), a software reset before the bus master
 * starts and, with @rewrite, the largest length the registers can say: the
 * command is gone with the reset, so starting the bus master moves nothing,
 * neither into the drive's buffer nor, for a receive, out of it.
 */
static void srst_case(uint8_t cmd, bool rewrite)
{
    bool receive = cmd == ATA_TRUSTED_RCV_DMA;
    IdeOpal *t = ide_opal_boot(NULL);

    trusted_issue(t, cmd, receive ? SECP_TCG : SECP_COMID_MGMT,
                  receive ? COMID_DISCOVERY : OPAL_BASE_COMID, 1);
    soft_reset(t);
    if (rewrite) {
        outb_reg(t, REG_NSECTOR, 0xff);
        outb_reg(t, REG_LBA_LOW, 0xff);
    }
    assert_aborted(t, bm_run(t, receive));
    if (receive) {
        assert_guest_buffer_untouched(t);
    }
    assert_discovery_dma(t);
    ide_opal_shutdown(t);
}

static void test_srst_then_bigger_send(void)
{
    srst_case(ATA_TRUSTED_SND_DMA, true);
}

static void test_srst_then_bigger_receive(void)
{
    srst_case(ATA_TRUSTED_RCV_DMA, true);
}

/*
 * With the registers as a software reset leaves them (a count of 1 and an
 * LBA of 1, which would say 257 blocks).
 */
static void test_srst_then_start(void)
{
    srst_case(ATA_TRUSTED_RCV_DMA, false);
}

/* A destination QEMU for @src's migration; @src is shut down. */
static IdeOpal *migrate_to_new(IdeOpal *src)
{
    g_autofree char *sock = g_strdup_printf("%s/opal-ide-migrate-%d.sock",
                                            g_get_tmp_dir(), (int)getpid());
    g_autofree char *uri = g_strdup_printf("unix:%s", sock);
    IdeOpal *dst = ide_opal_boot(uri);

    migrate(src->qs, dst->qs, uri);
    unlink(sock);
    /* Guest memory came along: the source's buffers are the ones in use. */
    dst->buf = src->buf;
    dst->prdt = src->prdt;
    ide_opal_shutdown(src);
    return dst;
}

/*
 * A TRUSTED RECEIVE DMA issued on the source and started on the
 * destination delivers the TPer's answer, not sectors of the disk.
 */
static void test_migrate_armed_receive_dma(void)
{
    IdeOpal *t = ide_opal_boot(NULL);
    uint8_t buf[BLOCK_SIZE];

    trusted_issue(t, ATA_TRUSTED_RCV_DMA, SECP_TCG, COMID_DISCOVERY, 1);
    t = migrate_to_new(t);
    g_assert_cmphex(bm_run(t, true) & STAT_ERR, ==, 0);
    qtest_memread(t->qs->qts, t->buf, buf, sizeof(buf));
    assert_discovery(buf);
    ide_opal_shutdown(t);
}

static void comid_request(uint8_t *buf, uint32_t code)
{
    memset(buf, 0, BLOCK_SIZE);
    stw_be_p(buf, OPAL_BASE_COMID);
    stl_be_p(buf + 4, code);
}

static void pio_out(IdeOpal *t, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i += 2) {
        qpci_io_writew(t->dev, t->cmd_bar, REG_DATA, lduw_le_p(buf + i));
    }
}

static void pio_in(IdeOpal *t, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i += 2) {
        stw_le_p(buf + i, qpci_io_readw(t->dev, t->cmd_bar, REG_DATA));
    }
}

/* Stack Reset's answer (Core 3.3.4.3.2): the request was carried out. */
static void assert_stack_reset_done(IdeOpal *t)
{
    uint8_t buf[BLOCK_SIZE];

    trusted_issue(t, ATA_TRUSTED_RCV, SECP_COMID_MGMT, OPAL_BASE_COMID, 1);
    g_assert_cmphex(wait_not_busy(t) & (STAT_ERR | STAT_DRQ), ==, STAT_DRQ);
    pio_in(t, buf, sizeof(buf));
    g_assert_cmphex(lduw_be_p(buf), ==, OPAL_BASE_COMID);
    g_assert_cmpuint(ldl_be_p(buf + 4), ==, COMID_REQ_STACK_RESET);
    g_assert_cmpuint(lduw_be_p(buf + 10), ==, 4);
    g_assert_cmpuint(ldl_be_p(buf + 12), ==, 0);
}

/*
 * A TRUSTED SEND PIO half sent on the source, finished on the destination:
 * the TPer gets the whole request.
 */
static void test_migrate_pio_send(void)
{
    IdeOpal *t = ide_opal_boot(NULL);
    uint8_t buf[BLOCK_SIZE];

    comid_request(buf, COMID_REQ_STACK_RESET);
    trusted_issue(t, ATA_TRUSTED_SND, SECP_COMID_MGMT, OPAL_BASE_COMID, 1);
    g_assert_cmphex(wait_not_busy(t) & (STAT_ERR | STAT_DRQ), ==, STAT_DRQ);
    pio_out(t, buf, BLOCK_SIZE / 2);
    t = migrate_to_new(t);
    pio_out(t, buf + BLOCK_SIZE / 2, BLOCK_SIZE / 2);
    g_assert_cmphex(wait_not_busy(t) & (STAT_ERR | STAT_DRQ), ==, 0);
    assert_stack_reset_done(t);
    ide_opal_shutdown(t);
}

/* A TRUSTED SEND DMA armed on the source, started on the destination. */
static void test_migrate_armed_send_dma(void)
{
    IdeOpal *t = ide_opal_boot(NULL);
    uint8_t buf[BLOCK_SIZE];

    comid_request(buf, COMID_REQ_STACK_RESET);
    qtest_memwrite(t->qs->qts, t->buf, buf, sizeof(buf));
    trusted_issue(t, ATA_TRUSTED_SND_DMA, SECP_COMID_MGMT,
                  OPAL_BASE_COMID, 1);
    t = migrate_to_new(t);
    g_assert_cmphex(bm_run(t, false) & STAT_ERR, ==, 0);
    assert_stack_reset_done(t);
    ide_opal_shutdown(t);
}

/* READ DMA of @blocks blocks from LBA 0 through the PRD table @prd. */
static uint8_t read_dma(IdeOpal *t, const uint32_t *prd, size_t prd_len,
                        uint8_t blocks)
{
    qtest_memwrite(t->qs->qts, t->prdt, prd, prd_len);
    qpci_io_writeb(t->dev, t->bm_bar, BM_REG_CMD, 0);
    qpci_io_writeb(t->dev, t->bm_bar, BM_REG_STATUS, BM_STS_INTR);
    qpci_io_writel(t->dev, t->bm_bar, BM_REG_PRDT, t->prdt);
    outb_reg(t, REG_DEVICE, DEVICE_LBA);
    outb_reg(t, REG_NSECTOR, blocks);
    outb_reg(t, REG_LBA_LOW, 0);
    outb_reg(t, REG_LBA_MID, 0);
    outb_reg(t, REG_LBA_HIGH, 0);
    outb_reg(t, REG_COMMAND, ATA_READ_DMA);
    return bm_run(t, true);
}

/*
 * A PRD table whose mapping stops at an odd byte count: 100 bytes of RAM,
 * then memory that is no RAM, more than the bus master's one 4 KiB bounce
 * buffer holds.  The DMA helpers trim the mapping to whole sectors; they
 * must give the bounce buffer back when they do (upstream QEMU kept it,
 * and every later DMA to such memory waited forever: patch 0011).
 */
static void test_unaligned_bounce(void)
{
    IdeOpal *t = ide_opal_boot(NULL);
    const uint32_t split[] = {
        cpu_to_le32(t->buf), cpu_to_le32(100),
        cpu_to_le32(NOT_RAM), cpu_to_le32(4096),
        cpu_to_le32(NOT_RAM + 4096), cpu_to_le32(412 | PRD_EOT),
    };
    const uint32_t bounce_only[] = {
        cpu_to_le32(NOT_RAM), cpu_to_le32(BLOCK_SIZE | PRD_EOT),
    };
    const uint32_t ram_only[] = {
        cpu_to_le32(t->buf), cpu_to_le32(BLOCK_SIZE | PRD_EOT),
    };
    uint8_t expected[100], head[100];

    g_assert_cmphex(read_dma(t, ram_only, sizeof(ram_only), 1) & STAT_ERR,
                    ==, 0);
    qtest_memread(t->qs->qts, t->buf, expected, sizeof(expected));
    qtest_memset(t->qs->qts, t->buf, GUEST_FILL, sizeof(head));

    g_assert_cmphex(read_dma(t, split, sizeof(split), 9) & STAT_ERR, ==, 0);
    qtest_memread(t->qs->qts, t->buf, head, sizeof(head));
    g_assert_cmpmem(head, sizeof(head), expected, sizeof(expected));
    g_assert_cmphex(read_dma(t, bounce_only, sizeof(bounce_only), 1) &
                    STAT_ERR, ==, 0);
    ide_opal_shutdown(t);
}

int main(int argc, char **argv)
{
    int fd, ret;

    g_test_init(&argc, &argv, NULL);

    fd = g_file_open_tmp("opal-ide-test-XXXXXX", &image_path, NULL);
    g_assert(fd >= 0);
    g_assert(ftruncate(fd, IMAGE_SIZE) == 0);
    close(fd);

    qtest_add_func("/opal-ide/trusted-dma/srst-then-bigger-send",
                   test_srst_then_bigger_send);
    qtest_add_func("/opal-ide/trusted-dma/srst-then-bigger-receive",
                   test_srst_then_bigger_receive);
    qtest_add_func("/opal-ide/trusted-dma/srst-then-start",
                   test_srst_then_start);
    qtest_add_func("/opal-ide/migrate/armed-receive-dma",
                   test_migrate_armed_receive_dma);
    qtest_add_func("/opal-ide/migrate/armed-send-dma",
                   test_migrate_armed_send_dma);
    qtest_add_func("/opal-ide/migrate/pio-send", test_migrate_pio_send);
    qtest_add_func("/opal-ide/bus-master/unaligned-bounce",
                   test_unaligned_bounce);

    ret = g_test_run();
    unlink(image_path);
    g_free(image_path);
    return ret;
}
