/*
 * What the ide-opal-hd qtests share: machine setup, the AHCI command
 * path on libqos, a minimal TCG host, media I/O.
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

/*** Test harness parameters ***/

char *image_path;
/* Extra -drive options for the next boots ("" or ",opt=value...") */
const char *drive_opts = "";
/* The image's format for the next boots */
const char *drive_format = "raw";

/*** Machine setup / teardown ***/

/* A new, empty (sparse) image: the next drive comes fresh from the factory. */
void fresh_image(void)
{
    g_assert(truncate(image_path, 0) == 0);
    g_assert(truncate(image_path, TEST_IMAGE_SIZE) == 0);
}

G_GNUC_PRINTF(2, 0)
OpalTestState *opal_vboot(bool fresh, const char *device_fmt, va_list ap)
{
    OpalTestState *s = g_new0(OpalTestState, 1);
    AHCIQState *ahci = g_new0(AHCIQState, 1);
    g_autofree char *device = g_strdup_vprintf(device_fmt, ap);

    if (fresh) {
        fresh_image();
    }

    ahci->parent = qtest_pc_boot("-M q35 "
                                 "-drive if=none,id=d0,file=%s,format=%s%s "
                                 "%s", image_path, drive_format, drive_opts,
                                 device);
    alloc_set_flags(&ahci->parent->alloc, ALLOC_LEAK_ASSERT);
    ahci->dev = get_ahci_device(ahci->parent->qts, &ahci->fingerprint);

    ahci_pci_enable(ahci);
    ahci_hba_enable(ahci);
    s->ahci = ahci;
    s->port = ahci_port_select(ahci);
    g_assert_cmpuint(s->port, ==, 0);
    ahci_port_clear(ahci, s->port);
    g_assert_cmphex(ahci_px_rreg(ahci, s->port, AHCI_PX_SIG), ==,
                    AHCI_SIGNATURE_DISK);
    return s;
}

/* A machine with a drive on a new image */
G_GNUC_PRINTF(1, 2)
OpalTestState *opal_boot(const char *device_fmt, ...)
{
    OpalTestState *s;
    va_list ap;

    va_start(ap, device_fmt);
    s = opal_vboot(true, device_fmt, ap);
    va_end(ap);
    return s;
}

/* A machine with a drive on the image the last one left: a restart */
G_GNUC_PRINTF(1, 2)
OpalTestState *opal_restart(const char *device_fmt, ...)
{
    OpalTestState *s;
    va_list ap;

    va_start(ap, device_fmt);
    s = opal_vboot(false, device_fmt, ap);
    va_end(ap);
    return s;
}

OpalTestState *opal_boot_default(void)
{
    return opal_boot("-device ide-opal-hd,drive=d0,bus=ide.0");
}

void opal_shutdown(OpalTestState *s)
{
    AHCIQState *ahci = s->ahci;
    QOSState *qs = ahci->parent;

    ahci_clean_mem(ahci);
    free_ahci_device(ahci->dev);
    g_free(ahci);
    qtest_shutdown(qs);
    g_free(s);
}

/*** Low level command execution ***/

/* AHCI 1.3 section 6.2.2.1: stop the port, clear errors, restart */
void ahci_port_recover(OpalTestState *s)
{
    AHCIQState *ahci = s->ahci;
    uint8_t port = s->port;
    gint64 deadline;

    ahci_px_clr(ahci, port, AHCI_PX_CMD, AHCI_PX_CMD_ST);
    deadline = g_get_monotonic_time() + G_USEC_PER_SEC / 2;
    while (ahci_px_rreg(ahci, port, AHCI_PX_CMD) & AHCI_PX_CMD_CR) {
        g_assert(g_get_monotonic_time() < deadline);
        g_usleep(50);
    }
    ahci_px_wreg(ahci, port, AHCI_PX_IS, ahci_px_rreg(ahci, port, AHCI_PX_IS));
    ahci_px_set(ahci, port, AHCI_PX_CMD, AHCI_PX_CMD_ST);
}

/*
 * Called once, right after the next command is issued (and then forgotten):
 * what the host does while the drive works on it.
 */
void (*ata_in_flight)(OpalTestState *s);

/*
 * The guest buffer of a command moving @len bytes in direction @dir: for
 * XFER_OUT, @buf (or zeroes if NULL); for XFER_IN, FILL_BYTE everywhere, so
 * that what the drive wrote shows.  0 if nothing moves.
 */
uint64_t ata_buffer(OpalTestState *s, XferDir dir, const void *buf,
                    size_t len)
{
    QTestState *qts = s->ahci->parent->qts;
    uint64_t gbuf;

    g_assert(dir != XFER_NONE || len == 0);
    if (!len) {
        return 0;
    }
    gbuf = ahci_alloc(s->ahci, len);
    g_assert(gbuf);
    if (dir == XFER_OUT && buf) {
        qtest_bufwrite(qts, gbuf, buf, len);
    } else {
        qtest_memset(qts, gbuf, dir == XFER_OUT ? 0 : FILL_BYTE, len);
    }
    return gbuf;
}

/*
 * Copy a data-in command's guest buffer back to @buf (at most MAX_READBACK
 * bytes when the command failed) and free it.
 */
void ata_buffer_done(OpalTestState *s, uint64_t gbuf, XferDir dir,
                     void *buf, size_t len, const AtaResult *res)
{
    if (dir == XFER_IN && buf && len) {
        size_t n = len;

        if ((res->status & ATA_STAT_ERR) && n > MAX_READBACK) {
            n = MAX_READBACK;
        }
        qtest_bufread(s->ahci->parent->qts, gbuf, buf, n);
    }
    if (gbuf) {
        ahci_free(s->ahci, gbuf);
    }
}

/* No pending interrupts and an empty FIS area: what the command shows */
void ata_clean_slate(OpalTestState *s)
{
    AHCIQState *ahci = s->ahci;

    ahci_px_wreg(ahci, s->port, AHCI_PX_IS,
                 ahci_px_rreg(ahci, s->port, AHCI_PX_IS));
    qtest_memset(ahci->parent->qts, ahci->port[s->port].fb, 0, 0x100);
}

/*
 * Run @cmd, made by libqos (ahci_command_create() and its set_* helpers),
 * on the test port and free it.  @len bytes move in direction @dir: for
 * XFER_OUT @buf (or zeroes if NULL) is sent; for XFER_IN, @buf (if not
 * NULL) receives the guest buffer, which starts as FILL_BYTE.
 *
 * A failure is an answer here, not an error of the test: libqos checks
 * the AHCI side either way (the D2H FIS agrees with the task file, no
 * SATA errors, BSY and DRQ clear, TFES if and only if ERR, the interrupts
 * and byte count of a success) and recovers the port after a failure, so
 * that it accepts new commands.  The ATA outcome is for the test to judge.
 */
AtaResult ata_run(OpalTestState *s, AHCICommand *cmd, XferDir dir,
                  void *buf, size_t len)
{
    AHCIQState *ahci = s->ahci;
    uint64_t gbuf = ata_buffer(s, dir, buf, len);
    AHCICommandResult r;
    AtaResult res;

    ahci_command_set_buffer(cmd, gbuf);
    ahci_command_set_sizes(cmd, len, PRD_BYTES);
    ata_clean_slate(s);
    ahci_command_commit(ahci, cmd, s->port);
    ahci_command_issue_async(ahci, cmd);
    if (ata_in_flight) {
        void (*in_flight)(OpalTestState *s) = ata_in_flight;

        ata_in_flight = NULL;
        in_flight(s);
        if (s->dropped) {
            /* Its table went with the reset (ahci_clean_mem), not its data */
            s->dropped = false;
            ahci_command_free(cmd);
            if (gbuf) {
                ahci_free(ahci, gbuf);
            }
            return (AtaResult) { 0 };
        }
    }
    ahci_command_wait(ahci, cmd);
    ahci_command_verify_result(ahci, cmd, &r);
    ahci_command_free(cmd);

    res = (AtaResult) {
        .status = r.status, .error = r.error, .xfer = r.prdbc,
    };
    ata_buffer_done(s, gbuf, dir, buf, len, &res);
    return res;
}

/*
 * Issue one non-NCQ command that libqos does not describe (READ/WRITE
 * MULTIPLE, READ VERIFY SECTORS, DATA SET MANAGEMENT), given as @fis_in,
 * and wait for it: ata_run() with the same checks, made here.
 */
AtaResult ata_exec(OpalTestState *s, const RegH2DFIS *fis_in,
                   XferDir dir, void *buf, size_t len)
{
    AHCIQState *ahci = s->ahci;
    QTestState *qts = ahci->parent->qts;
    uint8_t port = s->port;
    AHCICommandHeader hdr = { 0 };
    RegH2DFIS fis = *fis_in;
    RegD2HFIS d2h;
    unsigned prdtl = DIV_ROUND_UP(len, PRD_BYTES);
    uint64_t gbuf = ata_buffer(s, dir, buf, len), table;
    uint32_t tfd, is, ci;
    AtaResult res;
    gint64 deadline;
    uint8_t slot;
    unsigned i;

    g_assert(!ata_in_flight);
    slot = ahci_pick_cmd(ahci, port);
    table = ahci_alloc(ahci, CMD_TBL_SIZ(prdtl));
    g_assert(table);
    g_assert_cmphex(table & 0x7F, ==, 0);
    qtest_memset(qts, table, 0, CMD_TBL_SIZ(prdtl));

    fis.fis_type = REG_H2D_FIS;
    fis.flags = REG_H2D_FIS_CMD;
    fis.count = cpu_to_le16(fis.count);
    qtest_memwrite(qts, table, &fis, sizeof(fis));

    if (prdtl) {
        g_autofree PRD *prds = g_new0(PRD, prdtl);
        size_t remaining = len;

        for (i = 0; i < prdtl; i++) {
            size_t chunk = MIN(remaining, PRD_BYTES);

            prds[i].dba = cpu_to_le64(gbuf + (uint64_t)i * PRD_BYTES);
            prds[i].dbc = cpu_to_le32((chunk - 1) | 0x80000000);
            remaining -= chunk;
        }
        qtest_memwrite(qts, table + 0x80, prds, prdtl * sizeof(PRD));
    }

    hdr.flags = 5 | CMDH_CLR_BSY | (dir == XFER_OUT ? CMDH_WRITE : 0);
    hdr.prdtl = prdtl;
    hdr.prdbc = 0;
    hdr.ctba = table;
    ahci_set_command_header(ahci, port, slot, &hdr);
    ahci->port[port].ctba[slot] = table;
    ahci->port[port].prdtl[slot] = prdtl;

    ata_clean_slate(s);
    ahci_px_wreg(ahci, port, AHCI_PX_CI, 1u << slot);

    deadline = g_get_monotonic_time() + CMD_TIMEOUT_US;
    for (;;) {
        /*
         * CI before IS: the command may end between the two reads, and the
         * interrupt status must not be older than the CI that says so.
         */
        ci = ahci_px_rreg(ahci, port, AHCI_PX_CI);
        is = ahci_px_rreg(ahci, port, AHCI_PX_IS);
        if ((is & AHCI_PX_IS_TFES) || !(ci & (1u << slot))) {
            break;
        }
        if (g_get_monotonic_time() > deadline) {
            g_test_message("command 0x%02x did not complete", fis_in->command);
            g_assert_not_reached();
        }
        g_usleep(50);
    }

    tfd = ahci_px_rreg(ahci, port, AHCI_PX_TFD);
    res.status = tfd & AHCI_PX_TFD_STS;
    res.error = (tfd & AHCI_PX_TFD_ERR) >> 8;
    ahci_get_command_header(ahci, port, slot, &hdr);
    res.xfer = hdr.prdbc;

    /* The final D2H register FIS must agree with the task file */
    qtest_memread(qts, ahci->port[port].fb + 0x40, &d2h, sizeof(d2h));
    g_assert_cmphex(d2h.fis_type, ==, REG_D2H_FIS);
    g_assert_cmphex(d2h.status, ==, res.status);
    g_assert_cmphex(d2h.error, ==, res.error);

    g_assert_cmphex(ahci_px_rreg(ahci, port, AHCI_PX_SERR), ==, 0);
    g_assert_cmphex(res.status & (ATA_STAT_BSY | ATA_STAT_DRQ), ==, 0);

    if (res.status & ATA_STAT_ERR) {
        ASSERT_BIT_SET(is, AHCI_PX_IS_TFES);
        ahci_port_recover(s);
        g_assert_cmphex(ahci_px_rreg(ahci, port, AHCI_PX_CI) & (1u << slot),
                        ==, 0);
    } else {
        ASSERT_BIT_CLEAR(is, AHCI_PX_IS_TFES);
        ASSERT_BIT_SET(is, AHCI_PX_IS_DHRS);
        g_assert_cmphex(ci & (1u << slot), ==, 0);
    }

    ata_buffer_done(s, gbuf, dir, buf, len, &res);
    return res;
}

/*** Result checks ***/

/* Unsigned big-endian loads (ldl_be_p() returns a signed int) */
uint16_t be16(const uint8_t *p)
{
    return lduw_be_p(p);
}

uint32_t be32(const uint8_t *p)
{
    return (uint32_t)ldl_be_p(p);
}

void assert_success(AtaResult r, size_t bytes)
{
    g_assert_cmphex(r.status & ATA_STAT_ERR, ==, 0);
    g_assert_cmphex(r.status & ATA_STAT_DRDY, ==, ATA_STAT_DRDY);
    g_assert_cmphex(r.error, ==, 0);
    g_assert_cmpuint(r.xfer, ==, bytes);
}

void assert_abort(AtaResult r)
{
    g_assert_cmphex(r.status & ATA_STAT_ERR, ==, ATA_STAT_ERR);
    g_assert_cmphex(r.error, ==, ATA_ERR_ABRT);
    g_assert_cmpuint(r.xfer, ==, 0);
}

/*
 * An abort that can only be decided after the data-out phase (the payload
 * is inspected): the data may have moved, the command must still fail.
 */
void assert_abort_after_data(AtaResult r, size_t bytes)
{
    g_assert_cmphex(r.status & ATA_STAT_ERR, ==, ATA_STAT_ERR);
    g_assert_cmphex(r.error, ==, ATA_ERR_ABRT);
    if (r.xfer != 0) {
        g_assert_cmpuint(r.xfer, ==, bytes);
    }
}

void assert_bytes(const uint8_t *buf, size_t start, size_t end,
                  uint8_t val, const char *what)
{
    size_t i;

    for (i = start; i < end; i++) {
        if (buf[i] != val) {
            g_test_message("%s: byte %zu is 0x%02x, expected 0x%02x",
                           what, i, buf[i], val);
            g_assert_cmphex(buf[i], ==, val);
            return;
        }
    }
}

/* A failed data-in command must have left the guest buffer untouched */
void assert_untouched(const uint8_t *buf, size_t len)
{
    assert_bytes(buf, 0, MIN(len, MAX_READBACK), FILL_BYTE,
                 "buffer after abort");
}

/*** Command helpers ***/

AtaResult ata_identify(OpalTestState *s, uint16_t id[256])
{
    AtaResult r;
    int i;

    r = ata_run(s, ahci_command_create(CMD_IDENTIFY), XFER_IN, id,
                BLOCK_SIZE);
    for (i = 0; i < 256; i++) {
        id[i] = le16_to_cpu(id[i]);
    }
    return r;
}

/*
 * READ LOG EXT / READ LOG DMA EXT of @count pages from @page of log @log.
 * @buf must hold @count pages, or be NULL.
 */
AtaResult ata_read_log(OpalTestState *s, uint8_t ide_cmd, uint8_t log,
                       uint16_t page, uint16_t count, void *buf)
{
    AHCICommand *cmd = ahci_command_create(ide_cmd);

    ahci_command_set_log_page(cmd, log, page);
    return ata_run(s, cmd, XFER_IN, buf, (size_t)count * BLOCK_SIZE);
}

AtaResult read_log(OpalTestState *s, uint8_t log, uint8_t page,
                   uint16_t count, void *buf)
{
    return ata_read_log(s, CMD_READ_LOG_EXT, log, page, count, buf);
}

/*
 * Issue a TRUSTED RECEIVE/SEND/NON-DATA command.  @blocks is the transfer
 * length in 512-byte units; @buf must hold @blocks * 512 bytes or be NULL
 * (SEND: zeroes are sent; RECEIVE: nothing is copied back).  For
 * TRUSTED NON-DATA, @dir selects the receive (XFER_IN) or send (XFER_OUT)
 * flavour and no data moves.
 */
AtaResult trusted(OpalTestState *s, uint8_t ide_cmd, uint8_t proto,
                  uint16_t comid, uint16_t blocks, XferDir dir,
                  void *buf)
{
    AHCICommand *cmd = ahci_command_create(ide_cmd);

    ahci_command_set_trusted(cmd, proto, comid);
    switch (ide_cmd) {
    case CMD_TRUSTED_RECV:
    case CMD_TRUSTED_RECV_DMA:
        g_assert(dir == XFER_IN);
        break;
    case CMD_TRUSTED_SEND:
    case CMD_TRUSTED_SEND_DMA:
        g_assert(dir == XFER_OUT);
        break;
    case CMD_TRUSTED_NON_DATA:
        g_assert(dir != XFER_NONE);
        g_assert_cmpuint(blocks, ==, 0);
        ahci_command_set_trusted_receive(cmd, dir == XFER_IN);
        return ata_run(s, cmd, XFER_NONE, NULL, 0);
    default:
        g_assert_not_reached();
    }
    return ata_run(s, cmd, dir, buf, (size_t)blocks * BLOCK_SIZE);
}

AtaResult trusted_recv(OpalTestState *s, bool dma, uint8_t proto,
                       uint16_t comid, uint16_t blocks, void *buf)
{
    return trusted(s, dma ? CMD_TRUSTED_RECV_DMA : CMD_TRUSTED_RECV,
                   proto, comid, blocks, XFER_IN, buf);
}

AtaResult trusted_send(OpalTestState *s, bool dma, uint8_t proto,
                       uint16_t comid, uint16_t blocks, void *buf)
{
    return trusted(s, dma ? CMD_TRUSTED_SEND_DMA : CMD_TRUSTED_SEND,
                   proto, comid, blocks, XFER_OUT, buf);
}

/*** A minimal TCG host: sessions and methods over IF-SEND/IF-RECV ***/

void host_response_free(HostResponse *r)
{
    g_array_free(r->tokens, true);
    g_free(r);
}

void tk_control(GByteArray *b, uint8_t control)
{
    g_byte_array_append(b, &control, 1);
}

/* Tiny atom below 64, else the shortest short atom */
void tk_uint(GByteArray *b, uint64_t v)
{
    uint8_t atom[9];
    int n = 1, i;

    if (v < 64) {
        tk_control(b, v);
        return;
    }
    while (n < 8 && (v >> (8 * n))) {
        n++;
    }
    atom[0] = 0x80 | n;
    for (i = 0; i < n; i++) {
        atom[1 + i] = v >> (8 * (n - 1 - i));
    }
    g_byte_array_append(b, atom, n + 1);
}

void tk_bytes(GByteArray *b, const void *data, size_t len)
{
    uint8_t hdr[4];

    if (len < 16) {
        hdr[0] = 0xA0 | len;
        g_byte_array_append(b, hdr, 1);
    } else if (len < 2048) {
        hdr[0] = 0xD0 | (len >> 8);
        hdr[1] = len & 0xFF;
        g_byte_array_append(b, hdr, 2);
    } else {
        hdr[0] = 0xE2;
        hdr[1] = len >> 16;
        hdr[2] = len >> 8;
        hdr[3] = len;
        g_byte_array_append(b, hdr, 4);
    }
    g_byte_array_append(b, data, len);
}

void tk_uid(GByteArray *b, uint64_t uid)
{
    uint8_t be[8];

    stq_be_p(be, uid);
    tk_bytes(b, be, sizeof(be));
}

void tk_named_uint(GByteArray *b, uint64_t name, uint64_t value)
{
    tk_control(b, TK_START_NAME);
    tk_uint(b, name);
    tk_uint(b, value);
    tk_control(b, TK_END_NAME);
}

void tk_named_bytes(GByteArray *b, uint64_t name, const void *data,
                    size_t len)
{
    tk_control(b, TK_START_NAME);
    tk_uint(b, name);
    tk_bytes(b, data, len);
    tk_control(b, TK_END_NAME);
}

void call_begin(GByteArray *b, uint64_t invoking, uint64_t method)
{
    tk_control(b, TK_CALL);
    tk_uid(b, invoking);
    tk_uid(b, method);
    tk_control(b, TK_START_LIST);
}

/* Close the argument list, then the status list the host always sends */
void call_end(GByteArray *b)
{
    tk_control(b, TK_END_LIST);
    tk_control(b, TK_END_OF_DATA);
    tk_control(b, TK_START_LIST);
    tk_uint(b, 0);
    tk_uint(b, 0);
    tk_uint(b, 0);
    tk_control(b, TK_END_LIST);
}

void parse_tokens(HostResponse *r, const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t h = p[i];
        HostToken t = { .control = -1 };
        size_t hdr, k;

        if (h < 0x80) {                         /* tiny atom */
            t.uint = h & 0x3F;
            g_array_append_val(r->tokens, t);
            i++;
            continue;
        } else if (h < 0xC0) {                  /* short atom */
            hdr = 1;
            t.len = h & 0x0F;
            t.is_bytes = h & 0x20;
        } else if (h < 0xE0) {                  /* medium atom */
            g_assert_cmpuint(i + 2, <=, n);
            hdr = 2;
            t.len = ((h & 0x07) << 8) | p[i + 1];
            t.is_bytes = h & 0x10;
        } else if (h < 0xE4) {                  /* long atom */
            g_assert_cmpuint(i + 4, <=, n);
            hdr = 4;
            t.len = (p[i + 1] << 16) | (p[i + 2] << 8) | p[i + 3];
            t.is_bytes = h & 0x02;
        } else if (h >= 0xF0) {                 /* control token */
            if (h != TK_EMPTY) {
                t.control = h;
                g_array_append_val(r->tokens, t);
            }
            i++;
            continue;
        } else {
            g_test_message("reserved token 0x%02x at %zu", h, i);
            g_assert_not_reached();
        }
        g_assert_cmpuint(i + hdr + t.len, <=, n);
        t.bytes = p + i + hdr;
        if (!t.is_bytes) {
            g_assert_cmpuint(t.len, <=, 8);
            for (k = 0; k < t.len; k++) {
                t.uint = (t.uint << 8) | t.bytes[k];
            }
        }
        g_array_append_val(r->tokens, t);
        i += hdr + t.len;
    }
}

const HostToken *resp_token(HostResponse *r, size_t i)
{
    g_assert_cmpuint(i, <, r->tokens->len);
    return &g_array_index(r->tokens, HostToken, i);
}

/*
 * Frame @tokens in a ComPacket/Packet/Data SubPacket for session
 * (@tsn, @hsn), IF-SEND it on the base ComID with TRUSTED SEND DMA and
 * IF-RECV (TRUSTED RECEIVE DMA) until the response is there.
 */
/* The IF-SEND half of host_exchange(). */
/* A ComPacket of one Packet of one SubPacket of @tokens, in @blocks */
uint8_t *host_compacket(uint32_t tsn, uint32_t hsn, GByteArray *tokens,
                        uint16_t *blocks)
{
    size_t sub_len = 12 + ROUND_UP(tokens->len, 4);
    size_t total = 20 + 24 + sub_len;
    uint8_t *out;

    *blocks = DIV_ROUND_UP(total, BLOCK_SIZE);
    out = g_malloc0((size_t)*blocks * BLOCK_SIZE);
    stw_be_p(out + 4, OPAL_BASE_COMID);
    stl_be_p(out + 16, 24 + sub_len);           /* ComPacket Length */
    stl_be_p(out + 20, tsn);
    stl_be_p(out + 24, hsn);
    stl_be_p(out + 40, sub_len);                /* Packet Length */
    stw_be_p(out + 44 + 6, 0);                  /* Kind: data */
    stl_be_p(out + 44 + 8, tokens->len);        /* SubPacket Length */
    memcpy(out + 56, tokens->data, tokens->len);
    return out;
}

void host_send(OpalTestState *s, uint32_t tsn, uint32_t hsn,
               GByteArray *tokens)
{
    uint16_t blocks;
    g_autofree uint8_t *out = host_compacket(tsn, hsn, tokens, &blocks);

    assert_success(trusted_send(s, true, SECP_TCG, OPAL_BASE_COMID, blocks,
                                out), (size_t)blocks * BLOCK_SIZE);
}

HostResponse *host_exchange(OpalTestState *s, uint32_t tsn,
                            uint32_t hsn, GByteArray *tokens)
{
    HostResponse *r = g_new0(HostResponse, 1);
    uint32_t clen, plen, dlen;
    int tries;

    host_send(s, tsn, hsn, tokens);

    /* An empty ComPacket means "not yet": ask again */
    for (tries = 0;; tries++) {
        assert_success(trusted_recv(s, true, SECP_TCG, OPAL_BASE_COMID,
                                    HOST_RECV_BLOCKS, r->buf),
                       sizeof(r->buf));
        g_assert_cmphex(be16(r->buf + 4), ==, OPAL_BASE_COMID);
        clen = be32(r->buf + 16);
        if (clen) {
            break;
        }
        g_assert_cmpuint(be32(r->buf + 12), <=, sizeof(r->buf));
        g_assert_cmpint(tries, <, 1000);
        g_usleep(1000);
    }
    g_assert_cmpuint(20 + clen, <=, sizeof(r->buf));
    r->tsn = be32(r->buf + 20);
    r->hsn = be32(r->buf + 24);
    plen = be32(r->buf + 40);
    g_assert_cmpuint(24 + plen, <=, clen);
    g_assert_cmphex(be16(r->buf + 44 + 6), ==, 0);
    dlen = be32(r->buf + 44 + 8);
    g_assert_cmpuint(12 + dlen, <=, plen);

    r->tokens = g_array_new(false, false, sizeof(HostToken));
    parse_tokens(r, r->buf + 56, dlen);
    return r;
}

/* The status code of a method response: EOD [ status 0 0 ] */
uint64_t resp_status(HostResponse *r)
{
    size_t n = r->tokens->len;

    g_assert_cmpuint(n, >=, 6);
    g_assert_cmpint(resp_token(r, n - 6)->control, ==, TK_END_OF_DATA);
    g_assert_cmpint(resp_token(r, n - 5)->control, ==, TK_START_LIST);
    g_assert_cmpint(resp_token(r, n - 1)->control, ==, TK_END_LIST);
    return resp_token(r, n - 4)->uint;
}

/* The value of column @column in a Get response, or NULL */
const HostToken *resp_cell(HostResponse *r, uint64_t column)
{
    size_t i;

    for (i = 0; i + 2 < r->tokens->len; i++) {
        if (resp_token(r, i)->control == TK_START_NAME &&
            resp_token(r, i + 1)->control < 0 &&
            !resp_token(r, i + 1)->is_bytes &&
            resp_token(r, i + 1)->uint == column) {
            return resp_token(r, i + 2);
        }
    }
    return NULL;
}

/* StartSession (Write=1) on @sp, as @authority with @pin unless 0 */
void start_session_call(GByteArray *b, uint64_t sp,
                        uint64_t authority, const char *pin)
{
    call_begin(b, UID_SMUID, UID_SM_START_SESSION);
    tk_uint(b, HOST_HSN);
    tk_uid(b, sp);
    tk_uint(b, 1);
    if (authority) {
        tk_named_bytes(b, 0, pin, strlen(pin));     /* HostChallenge */
        tk_control(b, TK_START_NAME);
        tk_uint(b, 3);                              /* HostSigningAuthority */
        tk_uid(b, authority);
        tk_control(b, TK_END_NAME);
    }
    call_end(b);
}

uint64_t start_session(OpalTestState *s, uint64_t sp,
                       uint64_t authority, const char *pin)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    const HostToken *m;
    uint64_t status;

    g_assert_cmpuint(s->tsn, ==, 0);
    start_session_call(b, sp, authority, pin);
    r = host_exchange(s, 0, 0, b);

    /* SMUID.SyncSession [ HostSessionID, SPSessionID ] */
    g_assert_cmpuint(r->tsn, ==, 0);
    g_assert_cmpint(resp_token(r, 0)->control, ==, TK_CALL);
    m = resp_token(r, 2);
    g_assert_true(m->is_bytes && m->len == 8);
    g_assert_cmphex(ldq_be_p(m->bytes), ==, UID_SM_SYNC_SESSION);
    status = resp_status(r);
    if (status == 0) {
        g_assert_cmpuint(resp_token(r, 4)->uint, ==, HOST_HSN);
        s->tsn = resp_token(r, 5)->uint;
        g_assert_cmpuint(s->tsn, !=, 0);
    }
    return status;
}

void end_session(OpalTestState *s)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;

    tk_control(b, TK_END_OF_SESSION);
    r = host_exchange(s, s->tsn, HOST_HSN, b);
    g_assert_cmpuint(r->tokens->len, >=, 1);
    g_assert_cmpint(resp_token(r, 0)->control, ==, TK_END_OF_SESSION);
    s->tsn = 0;
}

/* One method call in the open session; its status, the response if asked */
uint64_t host_call(OpalTestState *s, GByteArray *b, HostResponse **out)
{
    HostResponse *r;
    uint64_t status;

    g_assert_cmpuint(s->tsn, !=, 0);
    r = host_exchange(s, s->tsn, HOST_HSN, b);
    g_assert_cmpuint(r->tsn, ==, s->tsn);
    g_assert_cmpuint(r->hsn, ==, HOST_HSN);
    status = resp_status(r);
    g_byte_array_set_size(b, 0);
    if (out) {
        *out = r;
    } else {
        host_response_free(r);
    }
    return status;
}

/* A method without arguments (Activate, GenKey) */
uint64_t call_plain(OpalTestState *s, uint64_t object, uint64_t method)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    call_begin(b, object, method);
    call_end(b);
    return host_call(s, b, NULL);
}

/* Object.Set[ Values = [ column = value ] ] */
uint64_t set_uint(OpalTestState *s, uint64_t object, uint64_t column,
                  uint64_t value)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    call_begin(b, object, UID_M_SET);
    tk_control(b, TK_START_NAME);
    tk_uint(b, 1);                                  /* Values */
    tk_control(b, TK_START_LIST);
    tk_named_uint(b, column, value);
    tk_control(b, TK_END_LIST);
    tk_control(b, TK_END_NAME);
    call_end(b);
    return host_call(s, b, NULL);
}

uint64_t set_pin(OpalTestState *s, uint64_t cpin, const char *pin)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    call_begin(b, cpin, UID_M_SET);
    tk_control(b, TK_START_NAME);
    tk_uint(b, 1);
    tk_control(b, TK_START_LIST);
    tk_named_bytes(b, COL_PIN, pin, strlen(pin));
    tk_control(b, TK_END_LIST);
    tk_control(b, TK_END_NAME);
    call_end(b);
    return host_call(s, b, NULL);
}

/* MBR.Set[ Where = @where, Values = @data ] (a byte table) */
/*
 * Table.Set[ Where, Values ] of byte table @table (MBR, DataStore, DataStoreN).
 */
uint64_t set_table(OpalTestState *s, uint64_t table, uint64_t where,
                   const void *data, size_t len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    call_begin(b, table, UID_M_SET);
    tk_named_uint(b, 0, where);
    tk_named_bytes(b, 1, data, len);
    call_end(b);
    return host_call(s, b, NULL);
}

uint64_t set_mbr(OpalTestState *s, uint64_t where, const void *data,
                 size_t len)
{
    return set_table(s, UID_TABLE_MBR, where, data, len);
}

uint64_t get_columns(OpalTestState *s, uint64_t object, uint64_t first,
                     uint64_t last, HostResponse **r)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    call_begin(b, object, UID_M_GET);
    tk_control(b, TK_START_LIST);
    tk_named_uint(b, 3, first);                     /* startColumn */
    tk_named_uint(b, 4, last);                      /* endColumn */
    tk_control(b, TK_END_LIST);
    call_end(b);
    return host_call(s, b, r);
}

/*
 * sed-opal's take ownership and activate: read the MSID as Anybody, make
 * it SID's PIN's replacement, activate the Locking SP (Admin1's PIN then
 * is SID's).
 */
void take_ownership_and_activate(OpalTestState *s)
{
    g_autoptr(HostResponse) r = NULL;
    const HostToken *pin;

    g_assert_cmpuint(start_session(s, UID_ADMINSP, 0, NULL), ==, 0);
    g_assert_cmpuint(get_columns(s, UID_C_PIN_MSID, COL_PIN, COL_PIN, &r),
                     ==, 0);
    pin = resp_cell(r, COL_PIN);
    g_assert_nonnull(pin);
    g_assert_true(pin->is_bytes);
    g_assert_cmpmem(pin->bytes, pin->len, TEST_MSID, strlen(TEST_MSID));
    end_session(s);

    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, TEST_MSID),
                     ==, 0);
    g_assert_cmpuint(set_pin(s, UID_C_PIN_SID, SID_PIN), ==, 0);
    end_session(s);

    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN),
                     ==, 0);
    g_assert_cmpuint(call_plain(s, UID_LOCKINGSP, UID_M_ACTIVATE), ==, 0);
    end_session(s);
}

void admin1_session(OpalTestState *s)
{
    g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_ADMIN1,
                                   SID_PIN), ==, 0);
}

/* Range @n over [@start, @start + @len), both locks enabled */
void set_range(OpalTestState *s, unsigned n, uint64_t start,
               uint64_t len, bool read_locked, bool write_locked)
{
    uint64_t uid = UID_LOCKING_RANGE(n);

    g_assert_cmpuint(set_uint(s, uid, COL_RANGE_START, start), ==, 0);
    g_assert_cmpuint(set_uint(s, uid, COL_RANGE_LENGTH, len), ==, 0);
    g_assert_cmpuint(set_uint(s, uid, COL_READ_LOCK_ENABLED, 1), ==, 0);
    g_assert_cmpuint(set_uint(s, uid, COL_WRITE_LOCK_ENABLED, 1), ==, 0);
    g_assert_cmpuint(set_uint(s, uid, COL_READ_LOCKED, read_locked), ==, 0);
    g_assert_cmpuint(set_uint(s, uid, COL_WRITE_LOCKED, write_locked), ==, 0);
}

/*
 * Range1 over [R1_START, R1_START + R1_LEN), holding pattern 1 in @nsect
 * LBAs from @lba, then locked as asked.  The data must be written once the
 * range exists: it is encrypted with the range's own key, so what the
 * global range's key wrote there before reads back as noise.
 */
void setup_range1(OpalTestState *s, uint64_t lba, unsigned nsect,
                  bool read_locked, bool write_locked)
{
    admin1_session(s);
    set_range(s, 1, R1_START, R1_LEN, false, false);
    end_session(s);
    write_pattern(s, lba, nsect, 1);
    lock_range(s, UID_LOCKING_RANGE(1), read_locked, write_locked);
}

/* In a session of its own, as Admin1: lock or unlock an existing range */
void lock_range(OpalTestState *s, uint64_t uid, bool read_locked,
                bool write_locked)
{
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, uid, COL_READ_LOCKED, read_locked), ==, 0);
    g_assert_cmpuint(set_uint(s, uid, COL_WRITE_LOCKED, write_locked), ==, 0);
    end_session(s);
}

/* Reads Level 0 Discovery into @buf; the offset of feature @code in it */
size_t l0_feature(OpalTestState *s, uint16_t code, uint8_t *buf)
{
    size_t off;

    assert_success(trusted_recv(s, false, SECP_TCG, COMID_DISCOVERY, 1, buf),
                   BLOCK_SIZE);
    for (off = L0_HEADER_SIZE; off + 4 <= be32(buf) + 4;
         off += 4 + buf[off + 3]) {
        if (be16(buf + off) == code) {
            return off;
        }
    }
    g_assert_not_reached();
}

uint8_t locking_flags(OpalTestState *s)
{
    uint8_t buf[BLOCK_SIZE];
    size_t off = l0_feature(s, 0x0002, buf);

    /* check_feature_locking() checks the capability bit. */
    return buf[off + 4] & ~L0_HW_RESET_FOR_LOR_DOR;
}

/* check_usable() for a drive that is no longer factory-fresh */
void check_owned_usable(OpalTestState *s)
{
    uint16_t id[256];

    assert_success(ata_identify(s, id), BLOCK_SIZE);
    g_assert_cmphex(id[48], ==, 0x4001);
    locking_flags(s);
}

/*** The media gate: LBA commands against the Locking SP ***/

const IoCmd dma_read = {
    CMD_READ_DMA_EXT, "READ DMA EXT", false, true
};
const IoCmd dma_write = {
    CMD_WRITE_DMA_EXT, "WRITE DMA EXT", true, true
};
const IoCmd pio_read = {
    CMD_READ_PIO_EXT, "READ SECTORS EXT", false, true
};
const IoCmd ncq_read = {
    READ_FPDMA_QUEUED, "READ FPDMA QUEUED", false, true, true
};

/*
 * Issue one READ/WRITE FPDMA QUEUED with tag @tag, in command slot @tag (as
 * Linux does), and wait for the Set Device Bits FIS that ends it.  Checks
 * the AHCI side of NCQ: PxCI clears once the command is queued; a command
 * that succeeded leaves PxSACT and raises SDBS, one that failed stays in
 * PxSACT and raises TFES.  After a failure the AHCI error recovery runs
 * (stopping the port clears PxSACT and PxCI), as a host would before
 * reading the NCQ Command Error log.
 */
NcqResult ncq_exec(OpalTestState *s, bool write, uint8_t tag,
                   uint64_t lba, uint16_t nsect, void *buf)
{
    AHCIQState *ahci = s->ahci;
    QTestState *qts = ahci->parent->qts;
    uint8_t port = s->port;
    size_t len = (size_t)nsect * BLOCK_SIZE;
    unsigned prdtl = DIV_ROUND_UP(len, PRD_BYTES);
    g_autofree PRD *prds = g_new0(PRD, prdtl);
    AHCICommandHeader hdr = { 0 };
    NCQFIS fis = {
        .fis_type = REG_H2D_FIS,
        .flags = REG_H2D_FIS_CMD,
        .command = write ? WRITE_FPDMA_QUEUED : READ_FPDMA_QUEUED,
        .sector_low = nsect & 0xFF,
        .sector_hi = nsect >> 8,
        .lba_lo = { lba, lba >> 8, lba >> 16 },
        .device = NCQ_DEVICE_MAGIC,
        .lba_hi = { lba >> 24, lba >> 32, lba >> 40 },
        .tag = tag << 3,
    };
    uint8_t sdb[8];
    uint64_t gbuf, table;
    uint32_t is, sact, tfd;
    NcqResult res = { 0 };
    size_t remaining = len;
    gint64 deadline;
    unsigned i;

    g_assert_cmpuint(tag, <, 32);
    g_assert_cmphex(ahci_px_rreg(ahci, port, AHCI_PX_CI) & (1u << tag), ==, 0);
    g_assert_cmphex(ahci_px_rreg(ahci, port, AHCI_PX_SACT), ==, 0);

    ahci_destroy_command(ahci, port, tag);     /* the slot's last table */
    gbuf = ahci_alloc(ahci, len);
    if (write) {
        qtest_bufwrite(qts, gbuf, buf, len);
    } else {
        qtest_memset(qts, gbuf, FILL_BYTE, len);
    }
    table = ahci_alloc(ahci, CMD_TBL_SIZ(prdtl));
    g_assert_cmphex(table & 0x7F, ==, 0);
    qtest_memset(qts, table, 0, CMD_TBL_SIZ(prdtl));
    qtest_memwrite(qts, table, &fis, sizeof(fis));
    for (i = 0; i < prdtl; i++) {
        size_t chunk = MIN(remaining, PRD_BYTES);

        prds[i].dba = cpu_to_le64(gbuf + (uint64_t)i * PRD_BYTES);
        prds[i].dbc = cpu_to_le32(chunk - 1);
        remaining -= chunk;
    }
    qtest_memwrite(qts, table + 0x80, prds, prdtl * sizeof(PRD));

    hdr.flags = 5 | (write ? CMDH_WRITE : 0);
    hdr.prdtl = prdtl;
    hdr.ctba = table;
    ahci_set_command_header(ahci, port, tag, &hdr);
    ahci->port[port].ctba[tag] = table;
    ahci->port[port].prdtl[tag] = prdtl;

    ahci_px_wreg(ahci, port, AHCI_PX_IS, ahci_px_rreg(ahci, port, AHCI_PX_IS));
    qtest_memset(qts, ahci->port[port].fb, 0, 0x100);

    ahci_px_wreg(ahci, port, AHCI_PX_SACT, 1u << tag);
    ahci_px_wreg(ahci, port, AHCI_PX_CI, 1u << tag);

    deadline = g_get_monotonic_time() + CMD_TIMEOUT_US;
    for (;;) {
        /* SACT before IS, for the reason given in ata_exec() */
        sact = ahci_px_rreg(ahci, port, AHCI_PX_SACT);
        is = ahci_px_rreg(ahci, port, AHCI_PX_IS);
        if ((is & AHCI_PX_IS_TFES) || !(sact & (1u << tag))) {
            break;
        }
        g_assert(g_get_monotonic_time() < deadline);
        g_usleep(50);
    }

    tfd = ahci_px_rreg(ahci, port, AHCI_PX_TFD);
    res.ata.status = tfd & AHCI_PX_TFD_STS;
    res.ata.error = (tfd & AHCI_PX_TFD_ERR) >> 8;
    ahci_get_command_header(ahci, port, tag, &hdr);
    res.ata.xfer = hdr.prdbc;

    qtest_memread(qts, ahci->port[port].fb + SDB_FIS_OFFSET, sdb, sizeof(sdb));
    g_assert_cmphex(sdb[0], ==, SDB_FIS);
    res.sdb_status = sdb[2];
    res.sdb_error = sdb[3];
    res.sdb_sactive = ldl_le_p(sdb + 4);
    g_assert_cmphex(res.sdb_status, ==, res.ata.status & 0x77);
    g_assert_cmphex(res.sdb_error, ==, res.ata.error);

    g_assert_cmphex(ahci_px_rreg(ahci, port, AHCI_PX_CI) & (1u << tag), ==, 0);
    g_assert_cmphex(ahci_px_rreg(ahci, port, AHCI_PX_SERR), ==, 0);
    g_assert_cmphex(res.ata.status & (ATA_STAT_BSY | ATA_STAT_DRQ), ==, 0);

    if (res.ata.status & ATA_STAT_ERR) {
        ASSERT_BIT_SET(is, AHCI_PX_IS_TFES);
        /* The failed tag is not completed: it stays outstanding */
        g_assert_cmphex(sact & (1u << tag), ==, 1u << tag);
        g_assert_cmphex(res.sdb_sactive & (1u << tag), ==, 0);
        ahci_port_recover(s);
        g_assert_cmphex(ahci_px_rreg(ahci, port, AHCI_PX_SACT), ==, 0);
    } else {
        ASSERT_BIT_CLEAR(is, AHCI_PX_IS_TFES);
        ASSERT_BIT_SET(is, AHCI_PX_IS_SDBS);
        g_assert_cmphex(res.sdb_sactive, ==, 1u << tag);
    }

    if (!write && buf) {
        qtest_bufread(qts, gbuf, buf, MIN(len, MAX_READBACK));
    }
    ahci_free(ahci, gbuf);
    return res;
}

/* A command the media gate refused: DRDY|ERR, the media error, no data */
void assert_refused(AtaResult r)
{
    g_assert_cmphex(r.status, ==, MEDIA_STATUS);
    g_assert_cmphex(r.error, ==, MEDIA_ERROR);
    g_assert_cmpuint(r.xfer, ==, 0);
}

/* READ LOG EXT of the NCQ Command Error log, checksum checked */
void read_ncq_log(OpalTestState *s, uint8_t *buf)
{
    uint8_t sum = 0;
    int i;

    assert_success(read_log(s, ATA_LOG_NCQ_ERROR, 0, 1, buf), BLOCK_SIZE);
    for (i = 0; i < BLOCK_SIZE; i++) {
        sum += buf[i];
    }
    g_assert_cmphex(sum, ==, 0);
}

void check_ncq_log(const uint8_t *log, uint8_t tag, uint64_t lba,
                   uint16_t count)
{
    uint64_t log_lba = log[4] | (log[5] << 8) | (log[6] << 16) |
                       ((uint64_t)log[8] << 24) | ((uint64_t)log[9] << 32) |
                       ((uint64_t)log[10] << 40);

    g_assert_cmphex(log[0], ==, tag);               /* NQ = 0 */
    /* With NCQ Autosense, SENSE DATA AVAILABLE and the reason, too */
    g_assert_cmphex(log[2] & ~ATA_STAT_SENSE_AVAILABLE, ==, MEDIA_STATUS);
    if (log[2] & ATA_STAT_SENSE_AVAILABLE) {
        g_assert_cmphex(log[14], ==, SENSE_KEY_DATA_PROTECT);
        g_assert_cmphex(log[15], ==, ASC_ACCESS_DENIED);
        g_assert_cmphex(log[16], ==, ASCQ_NO_ACCESS_RIGHTS);
    }
    g_assert_cmphex(log[3], ==, MEDIA_ERROR);
    g_assert_cmpuint(log_lba, ==, lba);
    g_assert_cmpuint(lduw_le_p(log + 12), ==, count);
}

/* The commands of the tables above that libqos does not describe */
bool io_cmd_raw(const IoCmd *c)
{
    switch (c->cmd) {
    case ATA_CMD_READ_MULTIPLE:
    case ATA_CMD_WRITE_MULTIPLE:
    case ATA_CMD_READ_MULTIPLE_EXT:
    case ATA_CMD_WRITE_MULTIPLE_EXT:
    case ATA_CMD_VERIFY:
    case ATA_CMD_VERIFY_EXT:
        return true;
    default:
        return false;
    }
}

/* Any READ/WRITE command of the tables above, or READ VERIFY (no data) */
AtaResult io_exec(OpalTestState *s, const IoCmd *c, uint64_t lba,
                  uint16_t nsect, void *buf)
{
    RegH2DFIS fis = {
        .command = c->cmd,
        .device = ATA_DEVICE_LBA,
        .lba_lo = { lba, lba >> 8, lba >> 16 },
        .count = nsect,
    };
    bool verify = c->cmd == ATA_CMD_VERIFY || c->cmd == ATA_CMD_VERIFY_EXT;

    if (c->ncq) {
        /* Some tag other than 0, to see that the right one is reported */
        NcqResult r = ncq_exec(s, c->write, 7, lba, nsect, buf);
        uint8_t log[BLOCK_SIZE];

        if (r.ata.status & ATA_STAT_ERR) {
            /*
             * As a host does after a queued command failed (and before it
             * queues more: the device is in the NCQ error state until
             * then), read the NCQ Command Error log; it names this one.
             */
            read_ncq_log(s, log);
            check_ncq_log(log, 7, lba, nsect);
            r.ata.xfer = 0;     /* PRDBC need not be valid for NCQ */
        } else {
            r.ata.xfer = (size_t)nsect * BLOCK_SIZE;
        }
        return r.ata;
    }
    if (!io_cmd_raw(c)) {
        AHCICommand *cmd = ahci_command_create(c->cmd);

        ahci_command_set_offset(cmd, lba);
        return ata_run(s, cmd, c->write ? XFER_OUT : XFER_IN, buf,
                       (size_t)nsect * BLOCK_SIZE);
    }
    if (c->lba48) {
        fis.lba_hi[0] = lba >> 24;
        fis.lba_hi[1] = lba >> 32;
        fis.lba_hi[2] = lba >> 40;
    } else {
        g_assert_cmpuint(lba + nsect, <=, 1 << 28);
        g_assert_cmpuint(nsect, <=, 256);
        fis.device |= (lba >> 24) & 0x0F;
    }
    if (verify) {
        return ata_exec(s, &fis, XFER_NONE, NULL, 0);
    }
    return ata_exec(s, &fis, c->write ? XFER_OUT : XFER_IN, buf,
                    (size_t)nsect * BLOCK_SIZE);
}

/* Sector contents that name their LBA and a @seed, never all FILL_BYTE */
void fill_pattern(uint8_t *buf, uint64_t lba, unsigned nsect,
                  uint8_t seed)
{
    unsigned k, i;

    for (k = 0; k < nsect; k++) {
        uint8_t *p = buf + (size_t)k * BLOCK_SIZE;

        for (i = 0; i < BLOCK_SIZE; i++) {
            p[i] = (uint8_t)((lba + k) * 29 + i * 7 + seed * 101 + 1);
        }
        stq_le_p(p, lba + k);
        p[8] = seed;
    }
}

void check_pattern(const uint8_t *buf, uint64_t lba, unsigned nsect,
                   uint8_t seed, const char *what)
{
    g_autofree uint8_t *ref = g_malloc((size_t)nsect * BLOCK_SIZE);
    unsigned k;

    fill_pattern(ref, lba, nsect, seed);
    for (k = 0; k < nsect; k++) {
        if (memcmp(buf + (size_t)k * BLOCK_SIZE, ref + (size_t)k * BLOCK_SIZE,
                   BLOCK_SIZE)) {
            g_test_message("%s: LBA %" PRIu64 " does not hold pattern %u",
                           what, lba + k, seed);
            g_assert_cmpmem(buf + (size_t)k * BLOCK_SIZE, BLOCK_SIZE,
                            ref + (size_t)k * BLOCK_SIZE, BLOCK_SIZE);
        }
    }
}

void write_pattern(OpalTestState *s, uint64_t lba, unsigned nsect,
                   uint8_t seed)
{
    g_autofree uint8_t *buf = g_malloc((size_t)nsect * BLOCK_SIZE);

    fill_pattern(buf, lba, nsect, seed);
    assert_success(io_exec(s, &dma_write, lba, nsect, buf),
                   (size_t)nsect * BLOCK_SIZE);
}

void expect_pattern(OpalTestState *s, uint64_t lba, unsigned nsect,
                    uint8_t seed, const char *what)
{
    g_autofree uint8_t *buf = g_malloc((size_t)nsect * BLOCK_SIZE);

    assert_success(io_exec(s, &dma_read, lba, nsect, buf),
                   (size_t)nsect * BLOCK_SIZE);
    check_pattern(buf, lba, nsect, seed, what);
}

void expect_read_refused(OpalTestState *s, const IoCmd *c,
                         uint64_t lba, uint16_t nsect)
{
    g_autofree uint8_t *buf = g_malloc((size_t)nsect * BLOCK_SIZE);

    g_test_message("%s of LBA %" PRIu64 "+%u: refused", c->name, lba, nsect);
    assert_refused(io_exec(s, c, lba, nsect, buf));
    assert_untouched(buf, (size_t)nsect * BLOCK_SIZE);
}

void expect_write_refused(OpalTestState *s, const IoCmd *c,
                          uint64_t lba, uint16_t nsect, uint8_t seed)
{
    g_autofree uint8_t *buf = g_malloc((size_t)nsect * BLOCK_SIZE);

    AtaResult r;

    g_test_message("%s of LBA %" PRIu64 "+%u: refused", c->name, lba, nsect);
    fill_pattern(buf, lba, nsect, seed);
    r = io_exec(s, c, lba, nsect, buf);
    /* PIO data-out too: refused before the host sends its first block. */
    assert_refused(r);
}

/* A drive with serial TEST_SERIAL, owned, its Locking SP active */
G_GNUC_PRINTF(1, 2)
OpalTestState *opal_boot_owned(const char *extra_fmt, ...)
{
    g_autofree char *extra = NULL;
    OpalTestState *s;
    va_list ap;

    va_start(ap, extra_fmt);
    extra = g_strdup_vprintf(extra_fmt, ap);
    va_end(ap);

    s = opal_boot("-device ide-opal-hd,drive=d0,bus=ide.0,id=opal0,"
                  "serial=%s%s", TEST_SERIAL, extra);
    take_ownership_and_activate(s);
    return s;
}

/* After QMP system_reset: bring the AHCI controller up again */
void system_reset(OpalTestState *s)
{
    AHCIQState *ahci = s->ahci;
    QTestState *qts = ahci->parent->qts;

    qtest_qmp_assert_success(qts, "{ 'execute': 'system_reset' }");
    qtest_qmp_eventwait(qts, "RESET");
    ahci_clean_mem(ahci);
    ahci_pci_enable(ahci);
    ahci_hba_enable(ahci);
    s->port = ahci_port_select(ahci);
    g_assert_cmpuint(s->port, ==, 0);
    ahci_port_clear(ahci, s->port);
    s->tsn = 0;         /* a hardware reset ends every session */
}

/* QMP opal-power-cycle of the drive with id opal0 */
void opal_power_cycle(OpalTestState *s)
{
    QTestState *qts = s->ahci->parent->qts;

    qtest_qmp_assert_success(qts, "{ 'execute': 'opal-power-cycle',"
                             " 'arguments': { 'id': 'opal0' } }");
    s->tsn = 0;
}

/*
 * query-opal for the drive "opal0": its entry, the only one of the list;
 * *@rsp holds it until the caller unrefs it.
 */
QDict *query_opal0(QTestState *qts, QDict **rsp)
{
    QList *drives;
    QDict *info;

    *rsp = qtest_qmp(qts, "{ 'execute': 'query-opal',"
                     " 'arguments': { 'id': 'opal0' } }");
    drives = qdict_get_qlist(*rsp, "return");
    g_assert_nonnull(drives);
    g_assert_cmpuint(qlist_size(drives), ==, 1);
    info = qobject_to(QDict, qlist_peek(drives));
    g_assert_cmpstr(qdict_get_str(info, "id"), ==, "opal0");
    return info;
}

/*** The state in the image: restarts, refusals, SIGKILL ***/

/* @len bytes of the MBR table from @offset (a byte table's rows are bytes) */
/* Table.Get[ startRow, endRow ] of byte table @table into @buf; the status. */
uint64_t get_table(OpalTestState *s, uint64_t table, uint64_t offset,
                   void *buf, size_t len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    g_autoptr(HostResponse) r = NULL;
    const HostToken *t;
    uint64_t status;

    call_begin(b, table, UID_M_GET);
    tk_control(b, TK_START_LIST);
    tk_named_uint(b, 1, offset);                    /* startRow */
    tk_named_uint(b, 2, offset + len - 1);          /* endRow */
    tk_control(b, TK_END_LIST);
    call_end(b);
    status = host_call(s, b, &r);
    if (status == 0) {
        t = resp_token(r, 1);
        g_assert_true(t->is_bytes);
        g_assert_cmpuint(t->len, ==, len);
        memcpy(buf, t->bytes, len);
    }
    return status;
}

/*** -device ide-opal-hd,help ***/

/*
 * Single User Mode through AHCI: SID activates the LockingSP with Range1
 * single-user, so User2 owns it (Opal SSC Feature Set: Single User Mode).
 * User2 sets its own password, places, fills and locks Range1.  After a
 * restart Admin1 can neither unlock it nor bring its key back, query-opal
 * names the owner, User2's password opens it; Erase by Admin1 then gives it a
 * new key: unlocked, the old data noise.
 */
QDict *query_range(QTestState *qts, int64_t number, QDict **rsp)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(query_opal0(qts, rsp), "ranges"), e) {
        QDict *r = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_get_int(r, "number") == number) {
            return r;
        }
    }
    g_assert_not_reached();
}
