/*
 * QTest testcase for ide-opal-hd: IDENTIFY, READ LOG EXT and the
 * security protocols (Level 0 Discovery, ComID management, the
 * TRUSTED commands that must fail).
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

/*** Opal definitions ***/

#define SPSP_PROTOCOL_LIST          0x0000
#define SPSP_CERTIFICATE            0x0001

#define COMID_REQ_NONE              0
#define COMID_REQ_VERIFY_VALID      1
#define COMID_REQ_STACK_RESET       2
#define COMID_STATE_ISSUED          2

/*** Result checks ***/

static uint64_t be64(const uint8_t *p)
{
    return ldq_be_p(p);
}

static void assert_zero(const uint8_t *buf, size_t start, size_t end,
                        const char *what)
{
    assert_bytes(buf, start, end, 0, what);
}

/*** Level 0 Discovery ***/

typedef void (*FeatureCheck)(const uint8_t *d);

static void check_feature_tper(const uint8_t *d)
{
    /* Sync, Streaming (Opal SSC 2.02, 3.1.1.2) */
    g_assert_cmphex(d[4] & 0x11, ==, 0x11);
    /* Async, AckNak, Buffer Management, ComID Management not supported */
    g_assert_cmphex(d[4] & 0x4E, ==, 0);
}

static void check_feature_locking(const uint8_t *d)
{
    /*
     * LockingSupported | MediaEncryption | HW Reset for LOR/DOR supported,
     * nothing enabled/locked/MBR
     */
    g_assert_cmphex(d[4], ==, 0x89);
}

static void check_feature_geometry(const uint8_t *d)
{
    g_assert_cmphex(d[4] & 0x01, ==, 0x01);            /* ALIGN */
    g_assert_cmpuint(be32(d + 12), ==, 512);       /* block size */
    g_assert_cmpuint(be64(d + 16), ==, 8);         /* granularity */
    g_assert_cmpuint(be64(d + 24), ==, 0);         /* lowest aligned */
}

/*
 * Additional DataStore Tables (DSFS 4.2.1): 16 tables, 10 MiB in all, sizes in
 * 512 bytes.
 */
static void check_feature_datastore(const uint8_t *d)
{
    g_assert_cmpuint(be16(d + 6), ==, 16);
    g_assert_cmphex(be32(d + 8), ==, 0x00A00000);
    g_assert_cmpuint(be32(d + 12), ==, 512);
}

static void check_feature_opal2(const uint8_t *d)
{
    g_assert_cmphex(d[2], ==, 0x22);        /* version 2, Opal SSC 2.02 */
    g_assert_cmphex(be16(d + 4), ==, OPAL_BASE_COMID);
    g_assert_cmpuint(be16(d + 6), ==, 1);
    g_assert_cmphex(d[8] & 0x01, ==, 0);               /* range crossing */
    g_assert_cmpuint(be16(d + 9), ==, 4);         /* Admin auths */
    g_assert_cmpuint(be16(d + 11), ==, 8);        /* User auths */
    g_assert_cmphex(d[13], ==, 0x00);                  /* C_PIN_SID = MSID */
    g_assert_cmphex(d[14], ==, 0x00);                  /* revert -> MSID */
}

/*
 * Single User Mode, version 1: the global range and Range1..7 may become
 * single-user (User1..8 to own them), none is yet, so no policy either
 */
static void check_feature_sum(const uint8_t *d)
{
    g_assert_cmphex(d[2] >> 4, ==, 1);
    g_assert_cmpuint(be32(d + 4), ==, 8);
    g_assert_cmphex(d[8], ==, 0x00);
}

/* Block SID Authentication, version 1: SID's PIN is MSID's, not blocked */
static void check_feature_block_sid(const uint8_t *d)
{
    g_assert_cmphex(d[2] >> 4, ==, 1);
    g_assert_cmphex(d[4], ==, 0x00);
    g_assert_cmphex(d[5], ==, 0x00);
}

/*
 * Supported Data Removal Mechanism, version 2: nothing in progress or
 * interrupted, Cryptographic Erase only, 2 seconds (Opal SSC 2.02, 3.1.1.6)
 */
static void check_feature_data_removal(const uint8_t *d)
{
    g_assert_cmphex(d[2] >> 4, ==, 2);
    g_assert_cmphex(d[5], ==, 0x00);
    g_assert_cmphex(d[6], ==, 0x04);
    g_assert_cmphex(d[7], ==, 0x00);
    g_assert_cmpuint(be16(d + 12), ==, 1);
}

/* The expected feature descriptors, in the order they must appear */
static const struct {
    uint16_t code;
    uint8_t len;
    const char *name;
    FeatureCheck check;
} expected_features[] = {
    { 0x0001, 0x0C, "TPer",        check_feature_tper },
    { 0x0002, 0x0C, "Locking",     check_feature_locking },
    { 0x0003, 0x1C, "Geometry",    check_feature_geometry },
    { 0x0201, 0x0C, "Single User Mode", check_feature_sum },
    { 0x0202, 0x0C, "DataStore",   check_feature_datastore },
    { 0x0203, 0x10, "Opal SSC v2", check_feature_opal2 },
    { 0x0402, 0x0C, "Block SID",   check_feature_block_sid },
    { 0x0404, 0x20, "Data Removal Mechanism", check_feature_data_removal },
};

/* Validate a factory-fresh Level 0 Discovery response of @len bytes */
static void check_discovery(const uint8_t *buf, size_t len)
{
    size_t total = be32(buf) + 4;
    size_t expected_total = L0_HEADER_SIZE;
    size_t off = L0_HEADER_SIZE;
    unsigned next = 0, i;

    for (i = 0; i < ARRAY_SIZE(expected_features); i++) {
        expected_total += 4 + expected_features[i].len;
    }

    g_assert_cmphex(be32(buf + 4), ==, 0x00000001);
    g_assert_cmpuint(total, <=, len);
    if (total > len) {
        return;
    }

    while (off < total) {
        const uint8_t *d = buf + off;
        uint16_t code = be16(d);
        uint8_t dlen = d[3];

        g_test_message("discovery: feature 0x%04x length 0x%02x at %zu",
                       code, dlen, off);
        g_assert_cmpuint(off + 4 + dlen, <=, total);

        for (i = 0; i < ARRAY_SIZE(expected_features); i++) {
            if (expected_features[i].code == code) {
                break;
            }
        }
        if (i == ARRAY_SIZE(expected_features)) {
            g_test_message("unexpected feature descriptor 0x%04x", code);
            g_assert_not_reached();
        }
        /* In order, each exactly once */
        g_assert_cmpuint(i, ==, next);
        g_assert_cmphex(dlen, ==, expected_features[i].len);
        expected_features[i].check(d);
        next++;
        off += 4 + dlen;
    }
    g_assert_cmpuint(next, ==, ARRAY_SIZE(expected_features));
    g_assert_cmpuint(off, ==, total);
    g_assert_cmpuint(total, ==, expected_total);
    assert_zero(buf, total, len, "discovery padding");
}

/* The device must still answer IDENTIFY and a discovery after an error */
static void check_usable(OpalTestState *s)
{
    uint16_t id[256];
    uint8_t buf[BLOCK_SIZE];

    assert_success(ata_identify(s, id), BLOCK_SIZE);
    g_assert_cmphex(id[48], ==, 0x4001);

    assert_success(trusted_recv(s, false, SECP_TCG, COMID_DISCOVERY, 1, buf),
                   BLOCK_SIZE);
    check_discovery(buf, sizeof(buf));
}

/*** IDENTIFY DEVICE ***/

static void test_identify(void)
{
    OpalTestState *s;
    uint16_t id[256];
    char serial[21];
    int i;

    s = opal_boot("-device ide-opal-hd,drive=d0,bus=ide.0,serial=%s",
                  TEST_SERIAL);
    assert_success(ata_identify(s, id), BLOCK_SIZE);

    /* Trusted Computing supported, bit 14 = 1, bit 15 = 0 */
    g_assert_cmphex(id[48], ==, 0x4001);
    /* Major version: ATA/ATAPI-4 .. ACS-3, nothing newer */
    g_assert_cmphex(id[80], ==, 0x07F0);
    /* GPL supported and enabled; words 84/87 valid */
    g_assert_cmphex(id[84] & (1 << 5), ==, 1 << 5);
    g_assert_cmphex(id[87] & (1 << 5), ==, 1 << 5);
    g_assert_cmphex(id[84] & 0xC000, ==, 0x4000);
    g_assert_cmphex(id[87] & 0xC000, ==, 0x4000);
    /* Words 119/120 valid, READ LOG DMA EXT not advertised */
    g_assert_cmphex(id[86] & 0x8000, ==, 0x8000);
    g_assert_cmphex(id[119], ==, 0x4000);
    g_assert_cmphex(id[120], ==, 0x4000);

    /* Serial number: words 10-19, byte-swapped, space padded */
    for (i = 0; i < 10; i++) {
        serial[2 * i] = id[10 + i] >> 8;
        serial[2 * i + 1] = id[10 + i] & 0xFF;
    }
    serial[20] = '\0';
    g_assert_cmpstr(serial, ==, TEST_SERIAL "         ");

    opal_shutdown(s);
}

/* Stock ide-hd for comparison: no trusted computing, no ACS-3 */
static void test_identify_ide_hd(void)
{
    OpalTestState *s;
    uint16_t id[256];

    s = opal_boot("-device ide-hd,drive=d0,bus=ide.0");
    assert_success(ata_identify(s, id), BLOCK_SIZE);
    g_assert_cmphex(id[48], !=, 0x4001);
    g_assert_cmphex(id[80] & (1 << 10), ==, 0);
    opal_shutdown(s);
}

/*** READ LOG EXT ***/

static void test_log_directory(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];
    int i;

    assert_success(read_log(s, ATA_LOG_DIRECTORY, 0, 1, buf), BLOCK_SIZE);
    for (i = 0; i < 256; i++) {
        uint16_t expected;

        switch (i) {
        case 0:
            expected = 0x0001;                      /* GPL version */
            break;
        case ATA_LOG_NCQ_ERROR:
            expected = 1;
            break;
        case ATA_LOG_IDENTIFY:
            expected = ATA_LOG_IDENTIFY_PAGES;
            break;
        default:
            expected = 0;
            break;
        }
        if (lduw_le_p(buf + 2 * i) != expected) {
            g_test_message("GPL directory word 0x%02x", i);
        }
        g_assert_cmphex(lduw_le_p(buf + 2 * i), ==, expected);
    }
    opal_shutdown(s);
}

static void test_log_identify_page0(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];

    assert_success(read_log(s, ATA_LOG_IDENTIFY, 0x00, 1, buf), BLOCK_SIZE);
    g_assert_cmphex(ldq_le_p(buf), ==, 0x8000000000000001ULL);
    g_assert_cmpuint(buf[8], ==, 2);
    g_assert_cmphex(buf[9], ==, 0x00);
    g_assert_cmphex(buf[10], ==, ATA_LOG_IDENTIFY_SECURITY);
    assert_zero(buf, 11, BLOCK_SIZE, "IDENTIFY log page 0");
    opal_shutdown(s);
}

static void test_log_identify_security(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];
    uint64_t q;

    assert_success(read_log(s, ATA_LOG_IDENTIFY, ATA_LOG_IDENTIFY_SECURITY,
                            1, buf), BLOCK_SIZE);
    g_assert_cmphex(ldq_le_p(buf), ==, 0x8000000000060001ULL);
    q = ldq_le_p(buf + 40);
    g_assert_cmphex(q & (1ULL << 63), ==, 1ULL << 63);
    g_assert_cmphex(q & 1, ==, 1);
    opal_shutdown(s);
}

static void test_log_ncq_error(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];
    uint8_t sum = 0;
    int i;

    assert_success(read_log(s, ATA_LOG_NCQ_ERROR, 0, 1, buf), BLOCK_SIZE);
    for (i = 0; i < BLOCK_SIZE; i++) {
        sum += buf[i];
    }
    g_assert_cmphex(sum, ==, 0);
    g_assert_cmphex(buf[0], ==, 0x80);      /* NQ: no queued command failed */
    opal_shutdown(s);
}

static void test_log_errors(void)
{
    static const struct {
        uint8_t log;
        uint16_t page;
        uint16_t count;
        const char *what;
    } cases[] = {
        { 0x01, 0, 1, "log 0x01 not in directory" },
        { 0x13, 0, 1, "log 0x13 not in directory" },
        { 0x47, 0, 1, "log 0x47 not in directory" },
        { 0xE0, 0, 1, "log 0xE0 not in directory" },
        { 0xFF, 0, 1, "log 0xFF not in directory" },
        { 0x30, 1, 1, "IDENTIFY log page 1" },
        { 0x30, 2, 1, "IDENTIFY log page 2" },
        { 0x30, 3, 1, "IDENTIFY log page 3" },
        { 0x30, 4, 1, "IDENTIFY log page 4" },
        { 0x30, 5, 1, "IDENTIFY log page 5" },
        { 0x30, 7, 1, "IDENTIFY log page 7" },
        { 0x30, 0xFF, 1, "IDENTIFY log page 0xFF" },
        { 0x30, 0, 2, "IDENTIFY log pages 0-1" },
        { 0x30, 6, 2, "IDENTIFY log pages 6-7" },
        { 0x00, 0, 0, "directory, count 0" },
        { 0x30, 0, 0, "IDENTIFY log, count 0" },
        { 0x00, 0, 2, "directory, 2 pages" },
        { 0x00, 1, 1, "directory page 1" },
        { 0x10, 0, 2, "NCQ error log, 2 pages" },
        { 0x10, 1, 1, "NCQ error log page 1" },
        { 0x00, 0x100, 1, "directory page 0x100 (LBA 39:32 = 1)" },
        { 0x30, 0x106, 1, "IDENTIFY log page 0x106 (LBA 39:32 = 1)" },
        { 0x10, 0x8000, 1, "NCQ error log page 0x8000" },
    };
    OpalTestState *s = opal_boot_default();
    uint8_t buf[2 * BLOCK_SIZE];
    int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        g_test_message("READ LOG EXT: %s", cases[i].what);
        assert_abort(ata_read_log(s, CMD_READ_LOG_EXT, cases[i].log,
                                  cases[i].page, cases[i].count, buf));
        assert_untouched(buf, cases[i].count * BLOCK_SIZE);
        check_usable(s);
    }
    opal_shutdown(s);
}

static void test_log_dma_not_supported(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];

    assert_abort(ata_read_log(s, CMD_READ_LOG_DMA_EXT, ATA_LOG_DIRECTORY, 0,
                              1, buf));
    assert_untouched(buf, sizeof(buf));
    check_usable(s);
    opal_shutdown(s);
}

/*** TRUSTED RECEIVE/SEND: protocol 0x00 ***/

static void do_test_protocol_list(bool dma)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];

    assert_success(trusted_recv(s, dma, SECP_INFO, SPSP_PROTOCOL_LIST, 1, buf),
                   BLOCK_SIZE);
    assert_zero(buf, 0, 6, "protocol list header");
    g_assert_cmpuint(be16(buf + 6), ==, 3);
    g_assert_cmphex(buf[8], ==, SECP_INFO);
    g_assert_cmphex(buf[9], ==, SECP_TCG);
    g_assert_cmphex(buf[10], ==, SECP_COMID_MGMT);
    assert_zero(buf, 11, BLOCK_SIZE, "protocol list padding");
    opal_shutdown(s);
}

static void test_protocol_list_pio(void)
{
    do_test_protocol_list(false);
}

static void test_protocol_list_dma(void)
{
    do_test_protocol_list(true);
}

/* No certificate: an all-zero 4-byte header, then zero padding */
static void test_certificate(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];
    int dma;

    for (dma = 0; dma <= 1; dma++) {
        assert_success(trusted_recv(s, dma, SECP_INFO, SPSP_CERTIFICATE, 1,
                                    buf), BLOCK_SIZE);
        assert_zero(buf, 0, BLOCK_SIZE, "certificate");
    }
    opal_shutdown(s);
}

/*** Generic table of commands that must abort ***/

typedef struct AbortCase {
    uint8_t cmd;
    uint8_t proto;
    uint16_t comid;
    uint16_t blocks;
    XferDir dir;        /* only meaningful for TRUSTED NON-DATA */
} AbortCase;

static XferDir trusted_dir(uint8_t cmd, XferDir nd_dir)
{
    switch (cmd) {
    case CMD_TRUSTED_RECV:
    case CMD_TRUSTED_RECV_DMA:
        return XFER_IN;
    case CMD_TRUSTED_SEND:
    case CMD_TRUSTED_SEND_DMA:
        return XFER_OUT;
    default:
        return nd_dir;
    }
}

static const char *nd_suffix(uint8_t cmd, XferDir dir)
{
    if (cmd != CMD_TRUSTED_NON_DATA) {
        return "";
    }
    return dir == XFER_IN ? " (receive)" : " (send)";
}

static void run_abort_cases(const char *name, const AbortCase *cases, int n)
{
    OpalTestState *s = opal_boot_default();
    int i;

    for (i = 0; i < n; i++) {
        const AbortCase *c = &cases[i];
        XferDir dir = trusted_dir(c->cmd, c->dir);
        size_t len = (size_t)c->blocks * BLOCK_SIZE;
        g_autofree uint8_t *buf = g_malloc0(MAX(len, 1));

        g_test_message("%s: cmd 0x%02x protocol 0x%02x comid 0x%04x "
                       "blocks %u%s", name, c->cmd, c->proto, c->comid,
                       c->blocks, nd_suffix(c->cmd, dir));
        /* Do not read back huge buffers: only the first part is checked */
        assert_abort(trusted(s, c->cmd, c->proto, c->comid, c->blocks, dir,
                             len <= MAX_READBACK ? buf : NULL));
        if (dir == XFER_IN && len && len <= MAX_READBACK) {
            assert_untouched(buf, len);
        }
        check_usable(s);
    }
    opal_shutdown(s);
}

static void test_protocol0_errors(void)
{
    static const AbortCase cases[] = {
        { CMD_TRUSTED_RECV,     SECP_INFO, 0x0002, 1 },
        { CMD_TRUSTED_RECV_DMA, SECP_INFO, 0x0002, 1 },
        { CMD_TRUSTED_RECV,     SECP_INFO, 0x0100, 1 },
        { CMD_TRUSTED_RECV,     SECP_INFO, 0x07FE, 1 },
        { CMD_TRUSTED_RECV,     SECP_INFO, 0xFFFF, 1 },
        { CMD_TRUSTED_SEND,     SECP_INFO, 0x0000, 1 },
        { CMD_TRUSTED_SEND_DMA, SECP_INFO, 0x0000, 1 },
        { CMD_TRUSTED_SEND,     SECP_INFO, 0x0001, 1 },
    };

    run_abort_cases("protocol 0", cases, ARRAY_SIZE(cases));
}

/*** TRUSTED RECEIVE: protocol 0x01, Level 0 Discovery ***/

static void do_test_discovery(bool dma)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];

    assert_success(trusted_recv(s, dma, SECP_TCG, COMID_DISCOVERY, 1, buf),
                   BLOCK_SIZE);
    check_discovery(buf, sizeof(buf));
    opal_shutdown(s);
}

static void test_discovery_pio(void)
{
    do_test_discovery(false);
}

static void test_discovery_dma(void)
{
    do_test_discovery(true);
}

/* Asking for more than the discovery needs: the rest is zero padding */
static void test_discovery_padding(void)
{
    static const uint16_t sizes[] = { 2, 4, OPAL_MAX_TRANSFER_BLOCKS };
    OpalTestState *s = opal_boot_default();
    uint8_t ref[BLOCK_SIZE];
    int i, dma;

    assert_success(trusted_recv(s, false, SECP_TCG, COMID_DISCOVERY, 1, ref),
                   BLOCK_SIZE);
    check_discovery(ref, sizeof(ref));

    for (dma = 0; dma <= 1; dma++) {
        for (i = 0; i < ARRAY_SIZE(sizes); i++) {
            size_t len = sizes[i] * BLOCK_SIZE;
            g_autofree uint8_t *buf = g_malloc0(len);

            g_test_message("discovery with %u blocks, %s", sizes[i],
                           dma ? "DMA" : "PIO");
            assert_success(trusted_recv(s, dma, SECP_TCG, COMID_DISCOVERY,
                                        sizes[i], buf), len);
            g_assert_cmpmem(buf, BLOCK_SIZE, ref, BLOCK_SIZE);
            check_discovery(buf, len);
        }
    }
    opal_shutdown(s);
}

static void test_tcg_comid_errors(void)
{
    static const uint16_t comids[] = {
        0x0000, 0x0002, 0x0004, 0x0005, 0x07FD, 0x07FF, 0x1000, 0xFFFF,
    };
    static const uint8_t cmds[] = {
        CMD_TRUSTED_RECV, CMD_TRUSTED_RECV_DMA,
        CMD_TRUSTED_SEND, CMD_TRUSTED_SEND_DMA,
    };
    AbortCase cases[ARRAY_SIZE(comids) * ARRAY_SIZE(cmds)];
    int i, j, n = 0;

    for (i = 0; i < ARRAY_SIZE(comids); i++) {
        for (j = 0; j < ARRAY_SIZE(cmds); j++) {
            cases[n++] = (AbortCase) {
                .cmd = cmds[j], .proto = SECP_TCG, .comid = comids[i],
                .blocks = 1,
            };
        }
    }
    run_abort_cases("protocol 1 bad ComID", cases, n);
}

/* IF-RECV on the base ComID with nothing queued: empty ComPacket header */
static void test_session_comid_empty(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];
    int dma;

    for (dma = 0; dma <= 1; dma++) {
        assert_success(trusted_recv(s, dma, SECP_TCG, OPAL_BASE_COMID, 1, buf),
                       BLOCK_SIZE);
        g_assert_cmphex(be16(buf + 4), ==, OPAL_BASE_COMID);
        g_assert_cmphex(be16(buf + 6), ==, 0);     /* extension */
        g_assert_cmpuint(be32(buf + 8), ==, 0);     /* OutstandingData */
        g_assert_cmpuint(be32(buf + 12), ==, 0);    /* MinTransfer */
        g_assert_cmpuint(be32(buf + 16), ==, 0);    /* Length */
    }
    opal_shutdown(s);
}

/*** TRUSTED RECEIVE/SEND: protocol 0x02, ComID management ***/

static void comid_request(uint8_t *blk, uint16_t comid, uint32_t code)
{
    memset(blk, 0, BLOCK_SIZE);
    stw_be_p(blk, comid);
    stw_be_p(blk + 2, 0);
    stl_be_p(blk + 4, code);
}

/* Check the response header; returns the available data length */
static uint16_t check_comid_response(const uint8_t *buf, uint32_t code)
{
    g_assert_cmphex(be16(buf), ==, OPAL_BASE_COMID);
    g_assert_cmphex(be16(buf + 2), ==, 0);
    g_assert_cmpuint(be32(buf + 4), ==, code);
    return be16(buf + 10);
}

static void test_get_comid(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];
    int dma;

    for (dma = 0; dma <= 1; dma++) {
        assert_success(trusted_recv(s, dma, SECP_COMID_MGMT, 0x0000, 1, buf),
                       BLOCK_SIZE);
        g_assert_cmphex(be16(buf), ==, OPAL_BASE_COMID);
        g_assert_cmphex(be16(buf + 2), ==, 0x0000);
    }
    opal_shutdown(s);
}

static void test_comid_no_request(void)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];

    assert_success(trusted_recv(s, false, SECP_COMID_MGMT, OPAL_BASE_COMID, 1,
                                buf), BLOCK_SIZE);
    g_assert_cmpuint(check_comid_response(buf, COMID_REQ_NONE), ==, 0);
    opal_shutdown(s);
}

static void do_test_verify_comid_valid(bool dma)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];

    comid_request(buf, OPAL_BASE_COMID, COMID_REQ_VERIFY_VALID);
    assert_success(trusted_send(s, dma, SECP_COMID_MGMT, OPAL_BASE_COMID, 1,
                                buf), BLOCK_SIZE);
    assert_success(trusted_recv(s, dma, SECP_COMID_MGMT, OPAL_BASE_COMID, 1,
                                buf), BLOCK_SIZE);
    g_assert_cmpuint(check_comid_response(buf, COMID_REQ_VERIFY_VALID), >=, 4);
    g_assert_cmpuint(be32(buf + 12), ==, COMID_STATE_ISSUED);
    opal_shutdown(s);
}

static void test_verify_comid_valid_pio(void)
{
    do_test_verify_comid_valid(false);
}

static void test_verify_comid_valid_dma(void)
{
    do_test_verify_comid_valid(true);
}

static void do_test_stack_reset(bool dma)
{
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];

    comid_request(buf, OPAL_BASE_COMID, COMID_REQ_STACK_RESET);
    assert_success(trusted_send(s, dma, SECP_COMID_MGMT, OPAL_BASE_COMID, 1,
                                buf), BLOCK_SIZE);
    assert_success(trusted_recv(s, dma, SECP_COMID_MGMT, OPAL_BASE_COMID, 1,
                                buf), BLOCK_SIZE);
    g_assert_cmpuint(check_comid_response(buf, COMID_REQ_STACK_RESET), ==, 4);
    g_assert_cmpuint(be32(buf + 12), ==, 0);
    check_usable(s);
    opal_shutdown(s);
}

static void test_stack_reset_pio(void)
{
    do_test_stack_reset(false);
}

static void test_stack_reset_dma(void)
{
    do_test_stack_reset(true);
}

static void test_comid_mgmt_errors(void)
{
    static const struct {
        uint16_t reg_comid;
        uint16_t payload_comid;
        uint32_t code;
        bool dma;
        const char *what;
    } sends[] = {
        { OPAL_BASE_COMID, 0x07FF, COMID_REQ_VERIFY_VALID, false,
          "payload ComID differs from register" },
        { OPAL_BASE_COMID, 0x0000, COMID_REQ_STACK_RESET, true,
          "payload ComID differs from register" },
        { 0x07FF, OPAL_BASE_COMID, COMID_REQ_VERIFY_VALID, false,
          "register ComID differs from payload" },
        { 0x07FF, 0x07FF, COMID_REQ_VERIFY_VALID, false,
          "unknown ComID" },
        { 0x1234, 0x1234, COMID_REQ_STACK_RESET, true,
          "unknown ComID" },
    };
    static const uint16_t bad_recv_comids[] = { 0x07FF, 0x1234 };
    OpalTestState *s = opal_boot_default();
    uint8_t buf[BLOCK_SIZE];
    AtaResult r;
    int i;

    for (i = 0; i < ARRAY_SIZE(sends); i++) {
        g_test_message("ComID management SEND: %s (register 0x%04x, "
                       "payload 0x%04x)", sends[i].what, sends[i].reg_comid,
                       sends[i].payload_comid);
        comid_request(buf, sends[i].payload_comid, sends[i].code);
        r = trusted_send(s, sends[i].dma, SECP_COMID_MGMT,
                         sends[i].reg_comid, 1, buf);
        if (sends[i].reg_comid == OPAL_BASE_COMID) {
            /* Only the payload is wrong: the device must read it first */
            assert_abort_after_data(r, BLOCK_SIZE);
        } else {
            assert_abort(r);
        }
        check_usable(s);
    }
    for (i = 0; i < ARRAY_SIZE(bad_recv_comids); i++) {
        g_test_message("ComID management RECEIVE on ComID 0x%04x",
                       bad_recv_comids[i]);
        assert_abort(trusted_recv(s, false, SECP_COMID_MGMT,
                                  bad_recv_comids[i], 1, buf));
        assert_untouched(buf, sizeof(buf));
        check_usable(s);
    }
    opal_shutdown(s);
}

/*** Generic TRUSTED error and boundary cases ***/

static void test_bad_protocol(void)
{
    static const uint8_t protos[] = { 0x03, 0x10, 0xEE, 0xEF, 0xFF };
    static const uint8_t cmds[] = {
        CMD_TRUSTED_RECV, CMD_TRUSTED_RECV_DMA,
        CMD_TRUSTED_SEND, CMD_TRUSTED_SEND_DMA,
    };
    AbortCase cases[ARRAY_SIZE(protos) * (ARRAY_SIZE(cmds) + 2)];
    int i, j, n = 0;

    for (i = 0; i < ARRAY_SIZE(protos); i++) {
        for (j = 0; j < ARRAY_SIZE(cmds); j++) {
            cases[n++] = (AbortCase) {
                .cmd = cmds[j], .proto = protos[i], .comid = 0x0000,
                .blocks = 1,
            };
        }
        cases[n++] = (AbortCase) {
            .cmd = CMD_TRUSTED_NON_DATA, .proto = protos[i],
            .comid = 0x0000, .dir = XFER_IN,
        };
        cases[n++] = (AbortCase) {
            .cmd = CMD_TRUSTED_NON_DATA, .proto = protos[i],
            .comid = 0x0000, .dir = XFER_OUT,
        };
    }
    run_abort_cases("bad protocol", cases, n);
}

static void test_bad_protocol_zero_length(void)
{
    static const AbortCase cases[] = {
        { CMD_TRUSTED_RECV,      0x03, 0x0000, 0 },
        { CMD_TRUSTED_RECV_DMA,  0xEE, 0x0000, 0 },
        { CMD_TRUSTED_SEND,      0x03, 0x0000, 0 },
        { CMD_TRUSTED_SEND_DMA,  0xFF, 0x0000, 0 },
        { CMD_TRUSTED_NON_DATA, 0xEF, 0x0000, 0, XFER_IN },
        { CMD_TRUSTED_NON_DATA, 0xFF, 0x0000, 0, XFER_OUT },
    };

    run_abort_cases("bad protocol, length 0", cases, ARRAY_SIZE(cases));
}

static void test_zero_length(void)
{
    static const struct {
        uint8_t cmd;
        uint8_t proto;
        uint16_t comid;
        XferDir dir;
    } cases[] = {
        { CMD_TRUSTED_RECV,      SECP_INFO,       0x0000 },
        { CMD_TRUSTED_RECV_DMA,  SECP_INFO,       0x0000 },
        { CMD_TRUSTED_NON_DATA, SECP_INFO,       0x0000, XFER_IN },
        { CMD_TRUSTED_RECV,      SECP_TCG,        COMID_DISCOVERY },
        { CMD_TRUSTED_RECV_DMA,  SECP_TCG,        COMID_DISCOVERY },
        { CMD_TRUSTED_NON_DATA, SECP_TCG,        COMID_DISCOVERY, XFER_IN },
        { CMD_TRUSTED_RECV,      SECP_TCG,        OPAL_BASE_COMID },
        { CMD_TRUSTED_SEND,      SECP_TCG,        OPAL_BASE_COMID },
        { CMD_TRUSTED_SEND_DMA,  SECP_TCG,        OPAL_BASE_COMID },
        { CMD_TRUSTED_NON_DATA, SECP_TCG,        OPAL_BASE_COMID,
          XFER_OUT },
        { CMD_TRUSTED_RECV,      SECP_COMID_MGMT, 0x0000 },
        { CMD_TRUSTED_RECV_DMA,  SECP_COMID_MGMT, 0x0000 },
        { CMD_TRUSTED_NON_DATA, SECP_COMID_MGMT, 0x0000, XFER_IN },
        { CMD_TRUSTED_RECV,      SECP_COMID_MGMT, OPAL_BASE_COMID },
        { CMD_TRUSTED_SEND,      SECP_COMID_MGMT, OPAL_BASE_COMID },
        { CMD_TRUSTED_SEND_DMA,  SECP_COMID_MGMT, OPAL_BASE_COMID },
        { CMD_TRUSTED_NON_DATA, SECP_COMID_MGMT, OPAL_BASE_COMID,
          XFER_OUT },
    };
    OpalTestState *s = opal_boot_default();
    int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        XferDir dir = trusted_dir(cases[i].cmd, cases[i].dir);

        g_test_message("length 0: cmd 0x%02x protocol 0x%02x comid 0x%04x%s",
                       cases[i].cmd, cases[i].proto, cases[i].comid,
                       nd_suffix(cases[i].cmd, dir));
        assert_success(trusted(s, cases[i].cmd, cases[i].proto,
                               cases[i].comid, 0, dir, NULL), 0);
        check_usable(s);
    }
    opal_shutdown(s);
}

static void test_too_long(void)
{
    static const AbortCase cases[] = {
        { CMD_TRUSTED_RECV,     SECP_TCG,        COMID_DISCOVERY, 129 },
        { CMD_TRUSTED_RECV_DMA, SECP_TCG,        COMID_DISCOVERY, 129 },
        { CMD_TRUSTED_RECV,     SECP_INFO,       0x0000,          256 },
        { CMD_TRUSTED_RECV_DMA, SECP_COMID_MGMT, 0x0000,          0x100 },
        { CMD_TRUSTED_SEND,     SECP_TCG,        OPAL_BASE_COMID, 129 },
        { CMD_TRUSTED_SEND_DMA, SECP_COMID_MGMT, OPAL_BASE_COMID, 129 },
        { CMD_TRUSTED_RECV,     SECP_TCG,        COMID_DISCOVERY, 0xFFFF },
        { CMD_TRUSTED_SEND_DMA, SECP_TCG,        OPAL_BASE_COMID, 0xFFFF },
    };

    run_abort_cases("transfer too long", cases, ARRAY_SIZE(cases));
}

/*** Comparison with the stock ide-hd ***/

static void test_ide_hd_trusted_abort(void)
{
    OpalTestState *s = opal_boot("-device ide-hd,drive=d0,bus=ide.0");
    uint8_t buf[BLOCK_SIZE];
    uint16_t id[256];

    assert_abort(trusted_recv(s, false, SECP_TCG, COMID_DISCOVERY, 1, buf));
    assert_untouched(buf, sizeof(buf));
    assert_success(ata_identify(s, id), BLOCK_SIZE);
    opal_shutdown(s);
}

/*** Block SID Authentication ***/

/* Byte 4 and 5 of the Block SID feature descriptor */
static uint16_t block_sid_flags(OpalTestState *s)
{
    uint8_t buf[BLOCK_SIZE];

    return be16(buf + l0_feature(s, 0x0402, buf) + 4);
}

/* The Block SID command: TRUSTED SEND, protocol 2, ComID 5, Clear Events */
static void block_sid(OpalTestState *s, bool dma, bool hw_reset)
{
    uint8_t buf[BLOCK_SIZE] = { hw_reset ? 0x01 : 0x00 };

    assert_success(trusted_send(s, dma, SECP_COMID_MGMT, COMID_BLOCK_SID, 1,
                                buf), BLOCK_SIZE);
}

/*
 * Block SID, as a host's firmware sends it at boot: SID cannot authenticate
 * (NOT_AUTHORIZED) until a power cycle, or a guest reboot if the command
 * asked; Admin1 of the Locking SP is not blocked.
 */
static void test_block_sid(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    uint8_t buf[BLOCK_SIZE];

    g_assert_cmphex(block_sid_flags(s), ==, 0x0100);   /* SID Value State */
    /* No data: refused; IF-RECV: nothing to tell */
    assert_abort(trusted(s, CMD_TRUSTED_NON_DATA, SECP_COMID_MGMT,
                         COMID_BLOCK_SID, 0, XFER_OUT, NULL));
    assert_success(trusted_recv(s, true, SECP_COMID_MGMT, COMID_BLOCK_SID, 1,
                                buf), BLOCK_SIZE);
    g_assert_cmphex(be16(buf), ==, COMID_BLOCK_SID);
    assert_zero(buf, 2, sizeof(buf), "Block SID IF-RECV");
    g_assert_cmphex(block_sid_flags(s), ==, 0x0100);

    block_sid(s, false, true);
    g_assert_cmphex(block_sid_flags(s), ==, 0x0301);   /* blocked, HW reset */
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN),
                     ==, 0x01);                         /* NOT_AUTHORIZED */
    admin1_session(s);
    end_session(s);
    system_reset(s);
    g_assert_cmphex(block_sid_flags(s), ==, 0x0101);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN),
                     ==, 0);
    end_session(s);

    block_sid(s, true, false);
    system_reset(s);
    g_assert_cmphex(block_sid_flags(s), ==, 0x0300);   /* a reboot: still */
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN),
                     ==, 0x01);
    opal_power_cycle(s);
    g_assert_cmphex(block_sid_flags(s), ==, 0x0100);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN),
                     ==, 0);
    end_session(s);
    opal_shutdown(s);
}

void opal_test_register_protocol(void)
{
    qtest_add_func("/opal/identify", test_identify);
    qtest_add_func("/opal/identify/ide-hd", test_identify_ide_hd);
    qtest_add_func("/opal/read-log/directory", test_log_directory);
    qtest_add_func("/opal/read-log/identify/page0", test_log_identify_page0);
    qtest_add_func("/opal/read-log/identify/security",
                   test_log_identify_security);
    qtest_add_func("/opal/read-log/ncq-error", test_log_ncq_error);
    qtest_add_func("/opal/read-log/errors", test_log_errors);
    qtest_add_func("/opal/read-log/dma-not-supported",
                   test_log_dma_not_supported);
    qtest_add_func("/opal/trusted/protocol0/list/pio", test_protocol_list_pio);
    qtest_add_func("/opal/trusted/protocol0/list/dma", test_protocol_list_dma);
    qtest_add_func("/opal/trusted/protocol0/certificate", test_certificate);
    qtest_add_func("/opal/trusted/protocol0/errors", test_protocol0_errors);
    qtest_add_func("/opal/trusted/discovery/pio", test_discovery_pio);
    qtest_add_func("/opal/trusted/discovery/dma", test_discovery_dma);
    qtest_add_func("/opal/trusted/discovery/padding", test_discovery_padding);
    qtest_add_func("/opal/trusted/protocol1/bad-comid", test_tcg_comid_errors);
    qtest_add_func("/opal/trusted/protocol1/session-comid-empty",
                   test_session_comid_empty);
    qtest_add_func("/opal/trusted/protocol2/get-comid", test_get_comid);
    qtest_add_func("/opal/trusted/protocol2/no-request", test_comid_no_request);
    qtest_add_func("/opal/trusted/protocol2/verify-comid-valid/pio",
                   test_verify_comid_valid_pio);
    qtest_add_func("/opal/trusted/protocol2/verify-comid-valid/dma",
                   test_verify_comid_valid_dma);
    qtest_add_func("/opal/trusted/protocol2/stack-reset/pio",
                   test_stack_reset_pio);
    qtest_add_func("/opal/trusted/protocol2/stack-reset/dma",
                   test_stack_reset_dma);
    qtest_add_func("/opal/trusted/protocol2/errors", test_comid_mgmt_errors);
    qtest_add_func("/opal/trusted/protocol2/block-sid", test_block_sid);
    qtest_add_func("/opal/trusted/bad-protocol", test_bad_protocol);
    qtest_add_func("/opal/trusted/bad-protocol/zero-length",
                   test_bad_protocol_zero_length);
    qtest_add_func("/opal/trusted/zero-length", test_zero_length);
    qtest_add_func("/opal/trusted/too-long", test_too_long);
    qtest_add_func("/opal/trusted/ide-hd", test_ide_hd_trusted_abort);
}
