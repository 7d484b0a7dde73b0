/*
 * ide-opal-hd: the QOM device
 *
 * An IDE/SATA hard disk whose IDENTIFY DEVICE data announces the Trusted
 * Computing feature set, attached to a TCG Storage engine (the TPer).
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "qemu/timer.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/runstate.h"
#include "crypto/secret_common.h"
#include "qemu/error-report.h"
#include "qemu/log.h"
#include "system/block-backend.h"
#include "ide-internal.h"
#include "opal-hd.h"
#include "trace.h"

/* Geometry feature: ranges align to 4 KiB, the usual physical sector. */
#define OPAL_ALIGNMENT_BLOCKS   8
#define OPAL_ADMINS             4

/*
 * Bounds of the configurable sizes: the Opal SSC's minimums (8 users and 8
 * ranges, a 128 MiB MBR) and maxima that keep the tables modest.
 */
#define OPAL_MIN_USERS          8
#define OPAL_MAX_USERS          64
#define OPAL_MIN_RANGES         8
#define OPAL_MAX_RANGES         64
#define OPAL_MIN_MBR_SIZE       (128 * MiB)
#define OPAL_MAX_MBR_SIZE       (4 * GiB)
#define OPAL_MAX_DATASTORE_SIZE (1 * GiB)
#define OPAL_MAX_CREDENTIAL_LEN 32

static bool ide_opal_check_config(IDEOpalDrive *d, Error **errp)
{
    if (d->users < OPAL_MIN_USERS || d->users > OPAL_MAX_USERS) {
        error_setg(errp, "users must be between %d and %d", OPAL_MIN_USERS,
                   OPAL_MAX_USERS);
        return false;
    }
    if (d->ranges < OPAL_MIN_RANGES || d->ranges > OPAL_MAX_RANGES) {
        error_setg(errp, "ranges must be between %d and %d", OPAL_MIN_RANGES,
                   OPAL_MAX_RANGES);
        return false;
    }
    if (d->mbr_size < OPAL_MIN_MBR_SIZE || d->mbr_size > OPAL_MAX_MBR_SIZE) {
        error_setg(errp, "mbr-size must be between 128 MiB and 4 GiB");
        return false;
    }
    if (d->datastore_size < 1 || d->datastore_size > OPAL_MAX_DATASTORE_SIZE) {
        error_setg(errp, "datastore-size must be between 1 byte and 1 GiB");
        return false;
    }
    return true;
}

IDEOpalDrive *ide_opal_drive(IDEState *s)
{
    IDEDevice *dev = s->unit ? s->bus->slave : s->bus->master;

    return IDE_OPAL_HD(dev);
}

IDEState *ide_opal_ide_state(IDEOpalDrive *d)
{
    IDEDevice *dev = IDE_DEVICE(d);

    return &IDE_BUS(qdev_get_parent_bus(DEVICE(d)))->ifs[dev->unit];
}

/*
 * IDENTIFY DEVICE words that make a host treat the disk as a trusted-computing
 * drive (ACS-3, 7.12.7).  Linux needs all of them: it ignores word 48 unless
 * word 80 claims a major version above ATA-7, and it reads the Security page of
 * the IDENTIFY DEVICE data log through General Purpose Logging.
 */
static void ide_opal_identify(IDEDevice *dev, uint16_t *words)
{
    /* Word 48: bit 0 Trusted Computing supported; bits 15:14 = 01b (valid). */
    words[48] = cpu_to_le16(0x4001);
    /* Word 80: ATA-4 .. ACS-3; word 81: minor version not reported. */
    words[80] = cpu_to_le16(0x07f0);
    words[81] = 0;
    /* Words 84/87 bit 5: General Purpose Logging supported / enabled. */
    words[84] |= cpu_to_le16(1 << 5);
    words[87] |= cpu_to_le16(1 << 5);
    /*
     * Words 119/120 are valid (word 86 bit 15) and announce nothing beyond
     * 01b in bits 15:14: notably not READ LOG DMA EXT (bit 3), which we lack.
     */
    words[86] |= cpu_to_le16(1 << 15);
    words[119] = cpu_to_le16(0x4000);
    words[120] = cpu_to_le16(0x4000);
    /*
     * Word 78 bit 7: NCQ Autosense (SATA 3.2, 13.2.2): a refused queued
     * command's NCQ Command Error log entry carries sense data (opal-logs.c).
     */
    if (le16_to_cpu(words[76]) & (1 << 8)) {
        words[78] |= cpu_to_le16(1 << 7);
        /*
         * Word 93 is the PATA cable report; a SATA drive leaves it 0 (ACS-3,
         * 7.12.7.43).  QEMU fills it for every drive, and Linux then takes the
         * drive for a PATA disk behind a SATA bridge and caps its requests at
         * 128 KiB ("applying bridge limits"; plain ide-hd escapes through a
         * quirk entry for its model name).  Word 76 bit 8 (NCQ) says we sit
         * on AHCI, i.e. SATA.
         */
        words[93] = 0;
    }
}

static IDECmdHandler *ide_opal_find_cmd(IDEDevice *dev, uint8_t cmd)
{
    switch (cmd) {
    case ATA_READ_LOG_EXT:
        return ide_opal_cmd_read_log_ext;
    case ATA_TRUSTED_NON_DATA:
    case ATA_TRUSTED_RECEIVE:
    case ATA_TRUSTED_RECEIVE_DMA:
    case ATA_TRUSTED_SEND:
    case ATA_TRUSTED_SEND_DMA:
        return ide_opal_cmd_trusted;
    default:
        return NULL;
    }
}

/*
 * The engine's account of what it does and refuses, one trace event each.
 * It hands over numbers and string literals only: nothing is formatted
 * unless the event is on.
 */
static void ide_opal_trace_session_start(void *opaque, uint32_t tsn,
                                         uint32_t hsn, uint64_t sp, bool write,
                                         uint64_t authority)
{
    trace_ide_opal_tper_session_start(opaque, tsn, hsn, sp, write, authority);
}

static void ide_opal_trace_session_refused(void *opaque, uint32_t hsn,
                                           uint64_t sp, uint64_t authority,
                                           uint8_t status, const char *why)
{
    trace_ide_opal_tper_session_refused(opaque, hsn, sp, authority, status,
                                        opal_status_name(status), why);
}

static void ide_opal_trace_session_end(void *opaque, uint32_t tsn,
                                       uint32_t hsn, const char *why)
{
    trace_ide_opal_tper_session_end(opaque, tsn, hsn, why);
}

static void ide_opal_trace_authenticate(void *opaque, uint64_t sp,
                                        uint64_t authority, bool proven,
                                        const char *why)
{
    trace_ide_opal_tper_authenticate(opaque, sp, authority, proven, why);
}

static void ide_opal_trace_method(void *opaque, uint32_t tsn, uint64_t sp,
                                  uint64_t object, uint64_t method,
                                  const char *name, uint8_t status,
                                  const char *why)
{
    trace_ide_opal_tper_method(opaque, tsn, sp, object, method, name, status,
                               opal_status_name(status), why);
}

static void ide_opal_trace_if_refused(void *opaque, uint8_t protocol,
                                      uint16_t comid, uint32_t len,
                                      uint32_t pending, const char *why)
{
    trace_ide_opal_tper_if_refused(opaque, protocol, comid, len, pending, why);
}

static void ide_opal_trace_packet_dropped(void *opaque, uint32_t tsn,
                                          uint32_t hsn, const char *why)
{
    /* Malformed, or for no session: the guest's TCG stack is at fault. */
    qemu_log_mask(LOG_GUEST_ERROR, "ide-opal-hd: ComPacket for session "
                  "%u/%u dropped: %s\n", tsn, hsn, why);
    trace_ide_opal_tper_packet_dropped(opaque, tsn, hsn, why);
}

static void ide_opal_trace_transaction(void *opaque, uint32_t tsn,
                                       const char *what, unsigned depth,
                                       uint8_t status)
{
    trace_ide_opal_tper_transaction(opaque, tsn, what, depth, status,
                                    opal_status_name(status));
}

static void ide_opal_trace_reset(void *opaque, int type, bool applied)
{
    trace_ide_opal_tper_reset(opaque, type, applied);
}

static void ide_opal_trace_tper_event(void *opaque, uint64_t uid,
                                      const char *what)
{
    trace_ide_opal_tper_event(opaque, uid, what);
}

static const OpalTraceOps ide_opal_trace_ops = {
    .session_start = ide_opal_trace_session_start,
    .session_refused = ide_opal_trace_session_refused,
    .session_end = ide_opal_trace_session_end,
    .authenticate = ide_opal_trace_authenticate,
    .method = ide_opal_trace_method,
    .if_refused = ide_opal_trace_if_refused,
    .packet_dropped = ide_opal_trace_packet_dropped,
    .transaction = ide_opal_trace_transaction,
    .reset = ide_opal_trace_reset,
    .tper_event = ide_opal_trace_tper_event,
};

/* Session timeouts follow the guest's time: a paused VM's sessions wait. */
static int64_t ide_opal_clock_ms(void *opaque)
{
    return qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL);
}

/* A credential in a C string: wiped when freed. */
typedef char IDEOpalSecretStr;

static void ide_opal_secret_str_free(IDEOpalSecretStr *str)
{
    opal_secret_free(str, str ? strlen(str) : 0);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IDEOpalSecretStr, ide_opal_secret_str_free)

/*
 * A factory credential (to ide_opal_secret_str_free()): the property
 * @value, or the -object
 * secret its *-secret property names (QEMU's way to pass secrets), or -
 * like a real drive's, different between drives and the same across
 * restarts - @prefix and the serial number.  It stays out of the property,
 * where info qtree would show it.
 */
static char *ide_opal_credential(IDEDevice *dev, const char *value,
                                 const char *secret_id, const char *name,
                                 const char *prefix, Error **errp)
{
    char *cred;

    if (value && secret_id) {
        error_setg(errp, "give %s or %s-secret, not both", name, name);
        return NULL;
    }
    if (secret_id) {
        cred = qcrypto_secret_lookup_as_utf8(secret_id, errp);
    } else {
        cred = value ? g_strdup(value)
                     : g_strdup_printf("%s%s", prefix, dev->serial);
    }
    /* A C_PIN's PIN is a max_bytes_32 (Opal SSC 4.2.1.8): no longer. */
    if (cred && strlen(cred) > OPAL_MAX_CREDENTIAL_LEN) {
        error_setg(errp, "%s must be at most %d bytes long", name,
                   OPAL_MAX_CREDENTIAL_LEN);
        opal_secret_free(cred, strlen(cred));
        cred = NULL;
    }
    return cred;
}

static void ide_opal_realize(IDEDevice *dev, Error **errp)
{
    ERRP_GUARD();
    IDEOpalDrive *d = IDE_OPAL_HD(dev);
    IDEBus *bus = DO_UPCAST(IDEBus, qbus, dev->qdev.parent_bus);
    BlockBackend *blk = dev->conf.blk;
    g_autoptr(IDEOpalSecretStr) msid = NULL;
    g_autoptr(IDEOpalSecretStr) psid = NULL;
    int64_t image_size;
    uint64_t reserved;
    OpalConfig config;

    /* Tell it apart from ide-hd in a guest, unless the user names it. */
    if (!dev->model) {
        dev->model = g_strdup("QEMU OPAL HARDDISK");
    }
    if (!ide_opal_check_config(d, errp)) {
        return;
    }
    image_size = blk && blk_bs(blk) ? blk_getlength(blk) : -ENOMEDIUM;
    if (image_size < 0) {
        error_setg_errno(errp, -image_size,
                         "ide-opal-hd needs a drive with a medium");
        return;
    }
    /*
     * The guest sees the image up to the state region, through the media gate.
     */
    if (d->state_blk) {
        reserved = 0;
        if (blk_set_perm(d->state_blk,
                         BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE,
                         BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED,
                         errp) < 0) {
            return;
        }
    } else {
        reserved = ide_opal_state_reserved(d, image_size, errp);
        if (!reserved) {
            return;
        }
    }
    if (!ide_opal_media_attach(d, reserved, errp)) {
        return;
    }
    ide_dev_initfn(dev, IDE_HD, errp);
    if (*errp) {
        return;
    }
    msid = ide_opal_credential(dev, d->msid, d->msid_secret, "msid", "MSID",
                               errp);
    psid = msid ? ide_opal_credential(dev, d->psid, d->psid_secret, "psid",
                                      "PSID", errp)
                : NULL;
    if (!psid) {
        return;
    }
    config = (OpalConfig) {
        .nb_blocks = bus->ifs[dev->unit].nb_sectors,
        .logical_block_size = BDRV_SECTOR_SIZE,
        .alignment_granularity = OPAL_ALIGNMENT_BLOCKS,
        .nr_admins = OPAL_ADMINS,
        .nr_users = d->users,
        .nr_ranges = d->ranges,
        .mbr_size = d->mbr_size,
        .datastore_size = d->datastore_size,
        .msid = msid,
        .psid = psid,
        .locking_pin_try_limit = d->pin_try_limit,
        .crypto = &ide_opal_crypto,
    };
    d->tper = opal_tper_new(&config);
    opal_tper_set_trace(d->tper, &ide_opal_trace_ops, d);
    opal_tper_set_clock(d->tper, ide_opal_clock_ms, d);
    if (runstate_check(RUN_STATE_INMIGRATE)) {
        /* The source still runs on the image: the TPer's state migrates. */
        ide_opal_state_attach(d, image_size - reserved);
    } else if (!ide_opal_state_open(d, image_size - reserved, errp)) {
        return;
    } else {
        /* What the image holds, as a drive that was just powered on. */
        opal_tper_reset(d->tper, OPAL_RESET_POWER_CYCLE);
    }
    opal_tper_set_byte_listener(d->tper, ide_opal_state_byte_written, d);
    opal_tper_set_change_listener(d->tper, ide_opal_engine_changed, d);
    ide_opal_media_publish(d, ide_opal_media_new(d));
    ide_opal_engine_init(d);
}

/* ---- migration and snapshots --------------------------------------------- */

/* The running state holds clear keys and KEKs. */
static void ide_opal_migration_state_free(IDEOpalDrive *d)
{
    opal_secret_free(d->migration_state, d->migration_state_len);
    d->migration_state = NULL;
    d->migration_state_len = 0;
}

static int ide_opal_pre_save(void *opaque)
{
    IDEOpalDrive *d = opaque;
    size_t len;

    ide_opal_engine_quiesce(d);
    ide_opal_migration_state_free(d);
    /*
     * savevm writes this into the image: without the KEKs, open sessions
     * and the keys of read-locked ranges, which only a PIN may bring back.
     */
    d->migration_state = runstate_check(RUN_STATE_SAVE_VM) ?
                         opal_tper_save_snapshot(d->tper, &len) :
                         opal_tper_save_running(d->tper, &len);
    d->migration_state_len = len;
    d->migration_generation = ide_opal_state_generation(d);
    return 0;
}

static int ide_opal_post_save(void *opaque)
{
    IDEOpalDrive *d = opaque;

    ide_opal_migration_state_free(d);
    return 0;
}

static int ide_opal_post_load(void *opaque, int version_id)
{
    IDEOpalDrive *d = opaque;
    g_autofree char *why = NULL;
    bool ok = opal_tper_load_running(d->tper, d->migration_state,
                                     d->migration_state_len, &why);

    ide_opal_migration_state_free(d);
    if (!ok) {
        error_report("ide-opal-hd: the migrated Opal state cannot be taken: %s",
                     why);
        return -EINVAL;
    }
    ide_opal_state_set_generation(d, d->migration_generation);
    ide_opal_media_publish(d, ide_opal_media_new(d));
    return 0;
}

/*
 * Everything the running drive holds - tables, clear keys of unlocked ranges,
 * KEKs, open sessions, a queued response - travels as the engine's running
 * state (opal_tper_save_running); the image, state region included, travels
 * as storage does (shared, or copied by the block layer).  A snapshot
 * (savevm) lands in the image itself, so it keeps less
 * (opal_tper_save_snapshot): loadvm finds the sessions closed and the
 * ranges that were read-locked without their keys.
 */
/*
 * A TRUSTED command between its issue and its data phase travels with the
 * drive: IDE's own state brings a PIO phase's buffer and the armed bus
 * master, this brings the decoded command and a pending DMA receive's data.
 */
static bool ide_opal_trusted_needed(void *opaque)
{
    IDEOpalDrive *d = opaque;

    return d->trusted.pending;
}

static int ide_opal_trusted_pre_save(void *opaque)
{
    IDEOpalDrive *d = opaque;
    IDEState *s = ide_opal_ide_state(d);

    g_clear_pointer(&d->trusted_data, g_free);
    d->trusted_data_len = 0;
    if (d->trusted.dma && d->trusted.receive) {
        d->trusted_data = g_memdup2(s->io_buffer, d->trusted.len);
        d->trusted_data_len = d->trusted.len;
    }
    return 0;
}

static int ide_opal_trusted_post_save(void *opaque)
{
    IDEOpalDrive *d = opaque;

    g_clear_pointer(&d->trusted_data, g_free);
    d->trusted_data_len = 0;
    return 0;
}

static int ide_opal_trusted_post_load(void *opaque, int version_id)
{
    IDEOpalDrive *d = opaque;
    const IDEOpalTrusted *t = &d->trusted;
    uint32_t data_len = t->dma && t->receive ? t->len : 0;

    if (!t->pending || t->len == 0 || t->len > OPAL_MAX_TRANSFER ||
        t->len % BDRV_SECTOR_SIZE || d->trusted_data_len != data_len) {
        error_report("ide-opal-hd: migrated TRUSTED command is not valid");
        return -EINVAL;
    }
    return 0;
}

static const VMStateDescription vmstate_ide_opal_trusted = {
    .name = "ide-opal-hd/trusted",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = ide_opal_trusted_needed,
    .pre_save = ide_opal_trusted_pre_save,
    .post_save = ide_opal_trusted_post_save,
    .post_load = ide_opal_trusted_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BOOL(trusted.pending, IDEOpalDrive),
        VMSTATE_BOOL(trusted.receive, IDEOpalDrive),
        VMSTATE_BOOL(trusted.dma, IDEOpalDrive),
        VMSTATE_UINT8(trusted.protocol, IDEOpalDrive),
        VMSTATE_UINT16(trusted.sp_specific, IDEOpalDrive),
        VMSTATE_UINT32(trusted.len, IDEOpalDrive),
        VMSTATE_UINT32(trusted_data_len, IDEOpalDrive),
        VMSTATE_VBUFFER_ALLOC_UINT32(trusted_data, IDEOpalDrive, 0, NULL,
                                     trusted_data_len),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_ide_opal = {
    .name = "ide-opal-hd",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = ide_opal_pre_save,
    .post_save = ide_opal_post_save,
    .post_load = ide_opal_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(migration_state_len, IDEOpalDrive),
        VMSTATE_VBUFFER_ALLOC_UINT32(migration_state, IDEOpalDrive, 0, NULL,
                                     migration_state_len),
        VMSTATE_UINT64(migration_generation, IDEOpalDrive),
        VMSTATE_BOOL(ncq_error.pending, IDEOpalDrive),
        VMSTATE_UINT8(ncq_error.tag, IDEOpalDrive),
        VMSTATE_UINT64(ncq_error.lba, IDEOpalDrive),
        VMSTATE_UINT64(ncq_error.count, IDEOpalDrive),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription * const []) {
        &vmstate_ide_opal_trusted,
        NULL
    },
};

void ide_opal_power_cycle(IDEOpalDrive *d)
{
    trace_ide_opal_power_cycle(d);
    ide_opal_engine_quiesce(d);
    d->ncq_error.pending = false;
    opal_tper_reset(d->tper, OPAL_RESET_POWER_CYCLE);
}

/*
 * A system reset (a guest reboot) reaches the drive as a hardware reset: it
 * keeps power, so ranges stay unlocked and MBR Done stays set unless
 * LockOnReset/DoneOnReset say otherwise - how a pre-boot image unlocks the
 * drive and reboots into the real OS.  Open sessions end (a TCG reset).
 */
static void ide_opal_reset(DeviceState *dev)
{
    IDEOpalDrive *d = IDE_OPAL_HD(dev);

    if (d->tper) {
        ide_opal_engine_quiesce(d);
        opal_tper_reset(d->tper, OPAL_RESET_HARDWARE);
    }
}

static void ide_opal_finalize(Object *obj)
{
    IDEOpalDrive *d = IDE_OPAL_HD(obj);

    ide_opal_engine_cleanup(d);
    g_clear_pointer(&d->tper, opal_tper_free);
    g_clear_pointer(&d->media, ide_opal_media_unref);
    g_clear_pointer(&d->state, ide_opal_state_free);
    ide_opal_migration_state_free(d);
}

/*
 * The PSID reverts the drive with no other credential; unlike the MSID,
 * which any host may read from the drive (Opal SSC 4.2.1.8), it is
 * write-only: neither info qtree nor qom-get shows it.  psid-secret keeps
 * it off the command line too.
 */
static void set_write_only_str(Object *obj, Visitor *v, const char *name,
                               void *opaque, Error **errp)
{
    char **ptr = object_field_prop_ptr(obj, opaque);
    char *str;

    if (!visit_type_str(v, name, &str, errp)) {
        return;
    }
    opal_secret_free(*ptr, *ptr ? strlen(*ptr) : 0);
    *ptr = str;
}

static void release_write_only_str(Object *obj, const char *name,
                                   void *opaque)
{
    char **ptr = object_field_prop_ptr(obj, opaque);

    opal_secret_free(*ptr, *ptr ? strlen(*ptr) : 0);
    *ptr = NULL;
}

static const PropertyInfo ide_opal_prop_write_only_str = {
    .type = "str",
    .description = "write-only string",
    .set = set_write_only_str,
    .release = release_write_only_str,
};

static const Property ide_opal_properties[] = {
    DEFINE_IDE_DEV_PROPERTIES(),
    DEFINE_BLOCK_CHS_PROPERTIES(IDEDrive, dev.conf),
    DEFINE_PROP_UINT16("rotation_rate", IDEDrive, dev.rotation_rate, 0),
    DEFINE_PROP_BOOL("encrypt", IDEOpalDrive, encrypt, true),
    DEFINE_PROP_STRING("msid", IDEOpalDrive, msid),
    DEFINE_PROP("psid", IDEOpalDrive, psid, ide_opal_prop_write_only_str,
                char *),
    DEFINE_PROP_STRING("msid-secret", IDEOpalDrive, msid_secret),
    DEFINE_PROP_STRING("psid-secret", IDEOpalDrive, psid_secret),
    DEFINE_PROP_BOOL("reformat-state", IDEOpalDrive, reformat_state, false),
    DEFINE_PROP_DRIVE("state-drive", IDEOpalDrive, state_blk),
    DEFINE_PROP_UINT16("users", IDEOpalDrive, users, OPAL_MIN_USERS),
    DEFINE_PROP_UINT16("ranges", IDEOpalDrive, ranges, OPAL_MIN_RANGES),
    DEFINE_PROP_SIZE("mbr-size", IDEOpalDrive, mbr_size, OPAL_MIN_MBR_SIZE),
    DEFINE_PROP_SIZE("datastore-size", IDEOpalDrive, datastore_size, 10 * MiB),
    DEFINE_PROP_UINT32("pin-try-limit", IDEOpalDrive, pin_try_limit, 0),
};

static void ide_opal_power_cycle_obj(Object *obj)
{
    ide_opal_power_cycle(IDE_OPAL_HD(obj));
}

static void ide_opal_psid_revert_obj(Object *obj)
{
    IDEOpalDrive *d = IDE_OPAL_HD(obj);

    trace_ide_opal_psid_revert(d);
    ide_opal_engine_quiesce(d);
    opal_tper_psid_revert(d->tper);
}

static OpalResetTypeList *reset_types(uint64_t set)
{
    OpalResetTypeList *list = NULL;

    for (int t = OPAL_RESET_TYPE__MAX - 1; t >= 0; t--) {
        if (set & (1ULL << t)) {
            QAPI_LIST_PREPEND(list, t);
        }
    }
    return list;
}

static OpalSecurityProvider qapi_sp(OpalSpName sp)
{
    return sp == OPAL_SP_ADMIN ? OPAL_SECURITY_PROVIDER_ADMIN_SP :
                                 OPAL_SECURITY_PROVIDER_LOCKING_SP;
}

static OpalLifeCycleState qapi_life_cycle(OpalSpLifeCycle state)
{
    return state == OPAL_SP_MANUFACTURED_INACTIVE ?
           OPAL_LIFE_CYCLE_STATE_MANUFACTURED_INACTIVE :
           OPAL_LIFE_CYCLE_STATE_MANUFACTURED;
}

/* The engine's status report, in QAPI's terms (query-opal, info opal). */
static OpalInfo *ide_opal_query_obj(Object *obj)
{
    IDEOpalDrive *d = IDE_OPAL_HD(obj);
    OpalStatusReport *r;
    OpalInfo *info = g_new0(OpalInfo, 1);

    ide_opal_engine_quiesce(d);
    r = opal_tper_status(d->tper);

    /*
     * OpalReset and OpalResetType number the reset types alike (Core 5.1.3.58).
     */
    QEMU_BUILD_BUG_ON((int)OPAL_RESET_TYPE_PROGRAMMATIC !=
                      (int)OPAL_RESET_PROGRAMMATIC);
    info->admin_sp = qapi_life_cycle(r->admin_sp);
    info->locking_sp = qapi_life_cycle(r->locking_sp);
    for (int i = r->sessions->len - 1; i >= 0; i--) {
        const OpalSessionStatus *s =
            &g_array_index(r->sessions, OpalSessionStatus, i);
        OpalSessionInfo *q = g_new0(OpalSessionInfo, 1);

        *q = (OpalSessionInfo) { .tsn = s->tsn, .hsn = s->hsn,
                                 .sp = qapi_sp(s->sp), .write = s->write };
        for (int a = g_strv_length(s->authorities) - 1; a >= 0; a--) {
            QAPI_LIST_PREPEND(q->authorities, g_strdup(s->authorities[a]));
        }
        QAPI_LIST_PREPEND(info->sessions, q);
    }
    for (int i = r->ranges->len - 1; i >= 0; i--) {
        const OpalRangeStatus *s =
            &g_array_index(r->ranges, OpalRangeStatus, i);
        OpalLockingRange *q = g_new0(OpalLockingRange, 1);

        *q = (OpalLockingRange) {
            .number = s->number, .start = s->start, .length = s->length,
            .read_lock_enabled = s->read_lock_enabled,
            .write_lock_enabled = s->write_lock_enabled,
            .read_locked = s->read_locked, .write_locked = s->write_locked,
            .lock_on_reset = reset_types(s->lock_on_reset),
            .key_in_memory = s->key_in_memory,
            .owner = s->owner ? g_strdup_printf("User%u", s->owner) : NULL,
        };
        QAPI_LIST_PREPEND(info->ranges, q);
    }
    for (int i = r->authorities->len - 1; i >= 0; i--) {
        const OpalAuthorityStatus *s =
            &g_array_index(r->authorities, OpalAuthorityStatus, i);
        OpalAuthority *q = g_new0(OpalAuthority, 1);

        *q = (OpalAuthority) {
            .sp = qapi_sp(s->sp),
            .name = g_strdup(s->name), .uid = s->uid, .enabled = s->enabled,
            .has_tries = s->has_pin, .tries = s->tries,
            .has_try_limit = s->has_pin, .try_limit = s->try_limit,
            .locked_out = s->locked_out,
        };
        QAPI_LIST_PREPEND(info->authorities, q);
    }
    info->mbr = g_new0(OpalMbrControl, 1);
    *info->mbr = (OpalMbrControl) {
        .enable = r->mbr_enable, .done = r->mbr_done,
        .done_on_reset = reset_types(r->mbr_done_on_reset), .size = r->mbr_size,
    };
    for (int i = r->datastore_tables->len - 1; i >= 0; i--) {
        QAPI_LIST_PREPEND(info->datastore_tables,
                          g_array_index(r->datastore_tables, uint64_t, i));
    }
    opal_status_report_free(r);
    return info;
}

/* What -device ide-opal-hd,help says of the drive's own properties. */
static void ide_opal_describe_properties(ObjectClass *klass)
{
    static const struct {
        const char *name;
        const char *description;
    } descriptions[] = {
        { "encrypt", "AES-256-XTS encrypt user data, a key per locking "
          "range (off: the image holds it in the clear)" },
        { "msid", "the factory SID password (C_PIN_MSID), which any host "
          "may read from the drive; default: MSID and the serial number" },
        { "msid-secret", "the id of an -object secret holding msid" },
        { "psid", "the PSID printed on a real drive's label, for PSID "
          "revert; write-only, prefer psid-secret; default: PSID and "
          "the serial number" },
        { "psid-secret", "the id of an -object secret holding the PSID "
          "(keeps it off the command line)" },
        { "reformat-state", "lay the Opal state region out anew: the drive "
          "comes back from the factory, its data is lost" },
        { "state-drive", "a drive for the Opal state (default: the last "
          "MiBs of the drive's own image, hidden from the guest)" },
        { "users", "Locking SP User authorities (8 to 64)" },
        { "ranges", "locking ranges besides the global range (8 to 64)" },
        { "mbr-size", "bytes of the shadow MBR table (128 MiB to 4 GiB)" },
        { "datastore-size", "bytes of all DataStore tables (up to 1 GiB)" },
        { "pin-try-limit", "failed tries that lock a Locking SP Admin or "
          "User out until the next power cycle (0: no limit); taken with "
          "the factory state" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(descriptions); i++) {
        object_class_property_set_description(klass, descriptions[i].name,
                                              descriptions[i].description);
    }
}

static void ide_opal_class_init(ObjectClass *klass, void *data)
{
    OpalDriveClass *oc = OPAL_DRIVE_CLASS(klass);
    DeviceClass *dc = DEVICE_CLASS(klass);
    IDEDeviceClass *k = IDE_DEVICE_CLASS(klass);

    k->realize = ide_opal_realize;
    k->find_cmd = ide_opal_find_cmd;
    k->identify = ide_opal_identify;
    k->reset = ide_opal_trusted_reset;
    k->restart = ide_opal_trusted_restart;
    k->pio_out_done = ide_opal_trusted_pio_done;
    k->media_access = ide_opal_media_access;
    oc->power_cycle = ide_opal_power_cycle_obj;
    oc->psid_revert = ide_opal_psid_revert_obj;
    oc->query = ide_opal_query_obj;
    dc->fw_name = "drive";
    dc->desc = "emulated TCG Opal 2 self-encrypting IDE/SATA disk";
    device_class_set_legacy_reset(dc, ide_opal_reset);
    dc->vmsd = &vmstate_ide_opal;
    device_class_set_props(dc, ide_opal_properties);
    ide_opal_describe_properties(klass);
}

static const TypeInfo ide_opal_info = {
    .name = TYPE_IDE_OPAL_HD,
    .parent = TYPE_IDE_DEVICE,
    .instance_size = sizeof(IDEOpalDrive),
    .instance_finalize = ide_opal_finalize,
    .class_init = ide_opal_class_init,
    .interfaces = (InterfaceInfo[]) {
        { TYPE_OPAL_DRIVE },
        { }
    },
};

static void ide_opal_register_types(void)
{
    type_register_static(&ide_opal_info);
}

type_init(ide_opal_register_types)
