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

#ifndef OPAL_TEST_UTIL_H
#define OPAL_TEST_UTIL_H

#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "libqos/libqos-pc.h"
#include "libqos/ahci.h"
#include "libqos/pci-pc.h"

#define ATA_STAT_ERR                0x01
#define ATA_STAT_DRQ                0x08
#define ATA_STAT_DRDY               0x40
#define ATA_STAT_BSY                0x80
#define ATA_ERR_ABRT                0x04

#define ATA_LOG_DIRECTORY           0x00
#define ATA_LOG_NCQ_ERROR           0x10
#define ATA_LOG_IDENTIFY            0x30
#define ATA_LOG_IDENTIFY_PAGES      7
#define ATA_LOG_IDENTIFY_SECURITY   0x06

#define BLOCK_SIZE                  512

#define SECP_INFO                   0x00
#define SECP_TCG                    0x01
#define SECP_COMID_MGMT             0x02

#define COMID_DISCOVERY             0x0001
#define COMID_BLOCK_SID             0x0005      /* protocol 0x02 */
#define OPAL_BASE_COMID             0x07FE
#define OPAL_MAX_TRANSFER_BLOCKS    128

#define L0_HEADER_SIZE              48

/*
 * The drive keeps its state in the image's last 147 MiB (with the default
 * 128 MiB MBR and 10 MiB DataStore); what is left for the guest is larger
 * than the 128 MiB shadow MBR area, so that LBAs past it exist.
 */
#define TEST_IMAGE_SIZE             (512 * MiB)
#define STATE_REGION_SIZE           (147 * MiB)
#define TEST_CAPACITY               (TEST_IMAGE_SIZE - STATE_REGION_SIZE)
#define TEST_SERIAL                 "OPALTEST123"
#define FILL_BYTE                   0xA5
#define PRD_BYTES                   (64 * KiB)
#define CMD_TIMEOUT_US              (30 * G_USEC_PER_SEC)
/* Do not read back more than this much of a failed transfer's buffer */
#define MAX_READBACK                (64 * KiB + 4 * BLOCK_SIZE)

typedef struct OpalTestState {
    AHCIQState *ahci;
    uint8_t port;
    uint32_t tsn;       /* the open TCG session, 0 if none */
    bool dropped;       /* ata_in_flight reset the machine under the command */
} OpalTestState;

typedef enum XferDir {
    XFER_NONE,
    XFER_IN,
    XFER_OUT,
} XferDir;

/* Outcome of one ATA command, as seen through the AHCI port registers */
typedef struct AtaResult {
    uint8_t status;
    uint8_t error;
    uint32_t xfer;      /* PRDBC: bytes moved */
} AtaResult;

/*
 * Just enough of a host (Core spec 3.2, 3.3, 5.2) to own, activate and
 * configure the drive the way sed-opal or sedutil would, so that the media
 * gate can be tested through what a guest really sends.  It mirrors the
 * engine's unit-test host (tests/unit/opal-host.c).
 */

#define TK_START_LIST               0xF0
#define TK_END_LIST                 0xF1
#define TK_START_NAME               0xF2
#define TK_END_NAME                 0xF3
#define TK_CALL                     0xF8
#define TK_END_OF_DATA              0xF9
#define TK_END_OF_SESSION           0xFA
#define TK_START_TRANSACTION        0xFB
#define TK_END_TRANSACTION          0xFC
#define TK_EMPTY                    0xFF

#define UID_SMUID                   0x00000000000000FFULL
#define UID_SM_START_SESSION        0x000000000000FF02ULL
#define UID_SM_SYNC_SESSION         0x000000000000FF03ULL
#define UID_ADMINSP                 0x0000020500000001ULL
#define UID_LOCKINGSP               0x0000020500000002ULL
#define UID_AUTH_SID                0x0000000900000006ULL
#define UID_AUTH_ADMIN1             0x0000000900010001ULL
#define UID_AUTH_PSID               0x000000090001FF01ULL
#define UID_AUTH_USER(n)            (0x0000000900030000ULL + (n))
#define UID_C_PIN_USER(n)           (0x0000000B00030000ULL + (n))
#define UID_C_PIN_SID               0x0000000B00000001ULL
#define UID_C_PIN_MSID              0x0000000B00008402ULL
#define UID_M_GENKEY                0x0000000600000010ULL
#define UID_M_GET                   0x0000000600000016ULL
#define UID_M_SET                   0x0000000600000017ULL
#define UID_M_ACTIVATE              0x0000000600000203ULL
#define UID_LOCKING_GLOBALRANGE     0x0000080200000001ULL
#define UID_LOCKING_RANGE(n)        (0x0000080200030000ULL + (n))
#define UID_K_AES_256_GLOBAL_KEY    0x0000080600000001ULL
#define UID_K_AES_256_RANGE_KEY(n)  (0x0000080600030000ULL + (n))
#define UID_MBRCONTROL              0x0000080300000001ULL
#define UID_TABLE_MBR               0x0000080400000000ULL

#define COL_PIN                     3       /* C_PIN */
#define COL_RANGE_START             3       /* Locking */
#define COL_RANGE_LENGTH            4
#define COL_READ_LOCK_ENABLED       5
#define COL_WRITE_LOCK_ENABLED      6
#define COL_READ_LOCKED             7
#define COL_WRITE_LOCKED            8
#define COL_LOCK_ON_RESET           9
#define COL_MBR_ENABLE              1       /* MBRControl */
#define COL_MBR_DONE                2

/* Range1 for most tests: aligned to the 8-block granularity */
#define R1_START                    4096
#define R1_LEN                      2048

#define HOST_HSN                    0x41
#define TEST_MSID                   "MSID" TEST_SERIAL  /* the default */
#define SID_PIN                     "sid-secret"
/* IF-RECV size: far more than any response these tests provoke */
#define HOST_RECV_BLOCKS            4

typedef struct HostToken {
    int control;            /* the control token, or -1 for an atom */
    bool is_bytes;
    uint64_t uint;          /* integer atoms */
    const uint8_t *bytes;   /* byte atoms: points into HostResponse.buf */
    size_t len;
} HostToken;

typedef struct HostResponse {
    uint8_t buf[HOST_RECV_BLOCKS * BLOCK_SIZE];
    uint32_t tsn;
    uint32_t hsn;
    GArray *tokens;
} HostResponse;

/* The Locking feature's flags byte of a Level 0 Discovery */
#define L0_HW_RESET_FOR_LOR_DOR     0x80    /* a capability, not state */

#define L0_LOCKING_SUPPORTED        0x01
#define L0_LOCKING_ENABLED          0x02
#define L0_LOCKED                   0x04
#define L0_MEDIA_ENCRYPTION         0x08
#define L0_MBR_ENABLED              0x10
#define L0_MBR_DONE                 0x20

/* The error register of a command the media gate refuses */
#define MEDIA_ERROR                 ATA_ERR_ABRT
#define MEDIA_STATUS                (ATA_STAT_DRDY | ATA_STAT_ERR)

#define ATA_CMD_DSM                 0x06
#define ATA_DSM_TRIM                0x01
#define ATA_CMD_READ_MULTIPLE       0xC4
#define ATA_CMD_WRITE_MULTIPLE      0xC5
#define ATA_CMD_READ_MULTIPLE_EXT   0x29
#define ATA_CMD_WRITE_MULTIPLE_EXT  0x39
#define ATA_CMD_VERIFY              0x40
#define ATA_CMD_VERIFY_EXT          0x42

#define SDB_FIS_OFFSET              0x58
#define ATA_STAT_SENSE_AVAILABLE    0x02
#define SENSE_KEY_DATA_PROTECT      0x07
#define ASC_ACCESS_DENIED           0x20
#define ASCQ_NO_ACCESS_RIGHTS       0x02
#define NCQ_LOG_NQ                  0x80

/* Somewhere in the global range, away from Range1 */
#define GLOBAL_LBA                  1024
#define SHADOW_BLOCKS               (128 * MiB / BLOCK_SIZE)

typedef struct IoCmd {
    uint8_t cmd;
    const char *name;
    bool write;
    bool lba48;
    bool ncq;
} IoCmd;

/* Outcome of a queued command: the task file, and what the SDB FIS said */
typedef struct NcqResult {
    AtaResult ata;
    uint8_t sdb_status;
    uint8_t sdb_error;
    uint32_t sdb_sactive;
} NcqResult;

/*
 * The reset tests' ranges lie past the shadow MBR area, where reads see
 * the ranges' locks even while the MBR is shadowed
 */
#define RR1_START                   (SHADOW_BLOCKS + R1_START)
#define RR2_START                   (RR1_START + R1_LEN)

#define RESTART_DEVICE \
    "-device ide-opal-hd,drive=d0,bus=ide.0,id=opal0,serial=" TEST_SERIAL

extern char *image_path;
extern const char *drive_opts;
extern const char *drive_format;
extern void (*ata_in_flight)(OpalTestState *s);
extern const IoCmd dma_read;
extern const IoCmd dma_write;
extern const IoCmd pio_read;
extern const IoCmd ncq_read;

void fresh_image(void);
G_GNUC_PRINTF(2, 0)
OpalTestState *opal_vboot(bool fresh, const char *device_fmt, va_list ap);
G_GNUC_PRINTF(1, 2)
OpalTestState *opal_boot(const char *device_fmt, ...);
G_GNUC_PRINTF(1, 2)
OpalTestState *opal_restart(const char *device_fmt, ...);
OpalTestState *opal_boot_default(void);
void opal_shutdown(OpalTestState *s);
void ahci_port_recover(OpalTestState *s);
uint64_t ata_buffer(OpalTestState *s, XferDir dir, const void *buf,
                    size_t len);
void ata_buffer_done(OpalTestState *s, uint64_t gbuf, XferDir dir,
                     void *buf, size_t len, const AtaResult *res);
void ata_clean_slate(OpalTestState *s);
AtaResult ata_run(OpalTestState *s, AHCICommand *cmd, XferDir dir,
                  void *buf, size_t len);
AtaResult ata_exec(OpalTestState *s, const RegH2DFIS *fis_in,
                   XferDir dir, void *buf, size_t len);
uint16_t be16(const uint8_t *p);
uint32_t be32(const uint8_t *p);
void assert_success(AtaResult r, size_t bytes);
void assert_abort(AtaResult r);
void assert_abort_after_data(AtaResult r, size_t bytes);
void assert_bytes(const uint8_t *buf, size_t start, size_t end,
                  uint8_t val, const char *what);
void assert_untouched(const uint8_t *buf, size_t len);
AtaResult ata_identify(OpalTestState *s, uint16_t id[256]);
AtaResult ata_read_log(OpalTestState *s, uint8_t ide_cmd, uint8_t log,
                       uint16_t page, uint16_t count, void *buf);
AtaResult read_log(OpalTestState *s, uint8_t log, uint8_t page,
                   uint16_t count, void *buf);
AtaResult trusted(OpalTestState *s, uint8_t ide_cmd, uint8_t proto,
                  uint16_t comid, uint16_t blocks, XferDir dir,
                  void *buf);
AtaResult trusted_recv(OpalTestState *s, bool dma, uint8_t proto,
                       uint16_t comid, uint16_t blocks, void *buf);
AtaResult trusted_send(OpalTestState *s, bool dma, uint8_t proto,
                       uint16_t comid, uint16_t blocks, void *buf);
void host_response_free(HostResponse *r);
void tk_control(GByteArray *b, uint8_t control);
void tk_uint(GByteArray *b, uint64_t v);
void tk_bytes(GByteArray *b, const void *data, size_t len);
void tk_uid(GByteArray *b, uint64_t uid);
void tk_named_uint(GByteArray *b, uint64_t name, uint64_t value);
void tk_named_bytes(GByteArray *b, uint64_t name, const void *data,
                    size_t len);
void call_begin(GByteArray *b, uint64_t invoking, uint64_t method);
void call_end(GByteArray *b);
void parse_tokens(HostResponse *r, const uint8_t *p, size_t n);
const HostToken *resp_token(HostResponse *r, size_t i);
uint8_t *host_compacket(uint32_t tsn, uint32_t hsn, GByteArray *tokens,
                        uint16_t *blocks);
void host_send(OpalTestState *s, uint32_t tsn, uint32_t hsn,
               GByteArray *tokens);
HostResponse *host_exchange(OpalTestState *s, uint32_t tsn,
                            uint32_t hsn, GByteArray *tokens);
uint64_t resp_status(HostResponse *r);
const HostToken *resp_cell(HostResponse *r, uint64_t column);
void start_session_call(GByteArray *b, uint64_t sp,
                        uint64_t authority, const char *pin);
uint64_t start_session(OpalTestState *s, uint64_t sp,
                       uint64_t authority, const char *pin);
void end_session(OpalTestState *s);
uint64_t host_call(OpalTestState *s, GByteArray *b, HostResponse **out);
uint64_t call_plain(OpalTestState *s, uint64_t object, uint64_t method);
uint64_t set_uint(OpalTestState *s, uint64_t object, uint64_t column,
                  uint64_t value);
uint64_t set_pin(OpalTestState *s, uint64_t cpin, const char *pin);
uint64_t set_table(OpalTestState *s, uint64_t table, uint64_t where,
                   const void *data, size_t len);
uint64_t set_mbr(OpalTestState *s, uint64_t where, const void *data,
                 size_t len);
uint64_t get_columns(OpalTestState *s, uint64_t object, uint64_t first,
                     uint64_t last, HostResponse **r);
void take_ownership_and_activate(OpalTestState *s);
void admin1_session(OpalTestState *s);
void set_range(OpalTestState *s, unsigned n, uint64_t start,
               uint64_t len, bool read_locked, bool write_locked);
void setup_range1(OpalTestState *s, uint64_t lba, unsigned nsect,
                  bool read_locked, bool write_locked);
void lock_range(OpalTestState *s, uint64_t uid, bool read_locked,
                bool write_locked);
size_t l0_feature(OpalTestState *s, uint16_t code, uint8_t *buf);
uint8_t locking_flags(OpalTestState *s);
void check_owned_usable(OpalTestState *s);
NcqResult ncq_exec(OpalTestState *s, bool write, uint8_t tag,
                   uint64_t lba, uint16_t nsect, void *buf);
void assert_refused(AtaResult r);
void read_ncq_log(OpalTestState *s, uint8_t *buf);
void check_ncq_log(const uint8_t *log, uint8_t tag, uint64_t lba,
                   uint16_t count);
bool io_cmd_raw(const IoCmd *c);
AtaResult io_exec(OpalTestState *s, const IoCmd *c, uint64_t lba,
                  uint16_t nsect, void *buf);
void fill_pattern(uint8_t *buf, uint64_t lba, unsigned nsect,
                  uint8_t seed);
void check_pattern(const uint8_t *buf, uint64_t lba, unsigned nsect,
                   uint8_t seed, const char *what);
void write_pattern(OpalTestState *s, uint64_t lba, unsigned nsect,
                   uint8_t seed);
void expect_pattern(OpalTestState *s, uint64_t lba, unsigned nsect,
                    uint8_t seed, const char *what);
void expect_read_refused(OpalTestState *s, const IoCmd *c,
                         uint64_t lba, uint16_t nsect);
void expect_write_refused(OpalTestState *s, const IoCmd *c,
                          uint64_t lba, uint16_t nsect, uint8_t seed);
G_GNUC_PRINTF(1, 2)
OpalTestState *opal_boot_owned(const char *extra_fmt, ...);
void system_reset(OpalTestState *s);
void opal_power_cycle(OpalTestState *s);
QDict *query_opal0(QTestState *qts, QDict **rsp);
uint64_t get_table(OpalTestState *s, uint64_t table, uint64_t offset,
                   void *buf, size_t len);
QDict *query_range(QTestState *qts, int64_t number, QDict **rsp);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HostResponse, host_response_free)

/* The tests of each topic, in opal-test-<topic>.c */
void opal_test_register_protocol(void);
void opal_test_register_media(void);
void opal_test_register_qmp(void);
void opal_test_register_methods(void);
void opal_test_register_state(void);

#endif
