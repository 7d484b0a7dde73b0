/*
 * ide-opal-hd: an emulated TCG Opal 2 self-encrypting SATA drive
 *
 * The device is ide-hd plus the ATA commands a trusted-computing drive adds:
 * READ LOG EXT for the logs a host reads to find the feature (opal-logs.c) and
 * TRUSTED SEND/RECEIVE, the transport of the TCG Storage engine
 * (opal-trusted.c, engine in hw/block/opal/).
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_IDE_OPAL_HD_H
#define HW_IDE_OPAL_HD_H

#include "hw/ide/ide-dev.h"
#include "hw/opal/opal.h"
#include "qom/object.h"
#include "qapi/qapi-types-opal.h"
#include "qemu/coroutine.h"
#include "block/thread-pool.h"
#include "system/runstate.h"

/* What the management interface (opal-qmp.c) may do to any Opal drive. */
#define TYPE_OPAL_DRIVE "opal-drive"
typedef struct OpalDriveClass {
    InterfaceClass parent_class;
    void (*power_cycle)(Object *obj);
    void (*psid_revert)(Object *obj);
    OpalInfo *(*query)(Object *obj);
} OpalDriveClass;
DECLARE_CLASS_CHECKERS(OpalDriveClass, OPAL_DRIVE, TYPE_OPAL_DRIVE)

#define TYPE_IDE_OPAL_HD "ide-opal-hd"
OBJECT_DECLARE_SIMPLE_TYPE(IDEOpalDrive, IDE_OPAL_HD)

/* ATA command codes this device adds (ACS-3, Table B.2). */
enum {
    ATA_READ_LOG_EXT = 0x2f,
    ATA_TRUSTED_NON_DATA = 0x5b,
    ATA_TRUSTED_RECEIVE = 0x5c,
    ATA_TRUSTED_RECEIVE_DMA = 0x5d,
    ATA_TRUSTED_SEND = 0x5e,
    ATA_TRUSTED_SEND_DMA = 0x5f,
};

/*
 * The error register of a command the media gate refuses: aborted, as SIIS
 * maps a locked range's Data Protection Error to ATA.
 */
#define IDE_OPAL_MEDIA_ERROR    ABRT_ERR

/*
 * Where the drive keeps its Opal state: a region of its image (opal-state.c).
 */
typedef struct IDEOpalState IDEOpalState;

/*
 * The media gate's view: the engine's media map and a cipher per range
 * (opal-media.c).
 */
typedef struct IDEOpalMedia IDEOpalMedia;

/* A TRUSTED SEND the engine works on in the drive's thread (opal-engine.c). */
typedef struct IDEOpalEngine IDEOpalEngine;
typedef struct IDEOpalJob IDEOpalJob;

/* The next state slot, taken from the TPer, to be written (opal-state.c). */
typedef struct IDEOpalSlotWrite IDEOpalSlotWrite;

/* The queued command the NCQ Command Error log reports (ACS-3, A.13). */
typedef struct IDEOpalNcqError {
    bool pending;       /* false: the log says NQ (no queued command failed) */
    uint8_t tag;
    uint64_t lba;
    uint64_t count;
} IDEOpalNcqError;

/*
 * A TRUSTED command that has a data phase to come, decoded and checked
 * once when it was issued (opal-trusted.c).
 */
typedef struct IDEOpalTrusted {
    bool pending;       /* issued, its data phase not over */
    bool receive;
    bool dma;
    uint8_t protocol;
    uint16_t sp_specific;
    uint32_t len;       /* bytes, at most OPAL_MAX_TRANSFER */
} IDEOpalTrusted;

struct IDEOpalDrive {
    IDEDrive parent_obj;
    OpalTPer *tper;
    bool encrypt;       /* off: user data stays in the clear on the image */
    IDEOpalMedia *media;
    IDEOpalNcqError ncq_error;
    IDEOpalTrusted trusted;
    /* A pending TRUSTED RECEIVE DMA's data, in migration only */
    uint8_t *trusted_data;
    uint32_t trusted_data_len;
    /*
     * In migration (VMState): the running TPer's state and the state slot's
     * generation.
     */
    uint8_t *migration_state;
    uint32_t migration_state_len;
    uint64_t migration_generation;
    IDEOpalState *state;
    bool save_failing;          /* the last save failed (reported once) */
    IDEOpalJob *job;            /* owns the TPer while set */
    CoQueue engine_waiters;     /* coroutines waiting for the job to end */
    IDEOpalEngine *engine;      /* the drive's processor: a thread */
    VMChangeStateEntry *vm_state;
    /* state-drive: the state apart from the image */
    BlockBackend *state_blk;
    /* reformat-state: lay the state region out anew, whatever it holds */
    bool reformat_state;
    char *msid;         /* C_PIN_MSID: the factory SID password */
    char *psid;         /* the PSID of a real drive's label */
    char *msid_secret;  /* or the IDs of -object secret that hold them */
    char *psid_secret;
    uint16_t users;     /* LockingSP User authorities */
    uint16_t ranges;    /* locking ranges besides the global range */
    uint64_t mbr_size;  /* bytes of the shadow MBR table */
    uint64_t datastore_size;
    uint32_t pin_try_limit;     /* LockingSP PINs' factory TryLimit (0: none) */
};

/*
 * A power cycle of the drive alone (the host-side action; a QEMU restart is
 * one too): LockOnReset and DoneOnReset apply for Power Cycle.
 */
void ide_opal_power_cycle(IDEOpalDrive *d);

/* The drive behind an IDEState that belongs to an ide-opal-hd, and back. */
IDEOpalDrive *ide_opal_drive(IDEState *s);
IDEState *ide_opal_ide_state(IDEOpalDrive *d);

bool ide_opal_cmd_read_log_ext(IDEState *s, uint8_t cmd);

/*
 * The state region (opal-state.c): how many bytes at the end of an image of
 * @image_size it takes (0 with @errp set if it does not fit); opening it
 * after the TPer exists loads the state, or lays out a new region for a new
 * image; saving makes the TPer's state durable.
 */
uint64_t ide_opal_state_reserved(IDEOpalDrive *d, uint64_t image_size,
                                 Error **errp);
bool ide_opal_state_open(IDEOpalDrive *d, uint64_t start, Error **errp);
/*
 * An incoming migration's drive: the region is the source's until the
 * migration ends, so it is neither read nor laid out; the migrated state
 * brings the TPer and the newest slot's @generation.
 */
void ide_opal_state_attach(IDEOpalDrive *d, uint64_t start);
uint64_t ide_opal_state_generation(IDEOpalDrive *d);
void ide_opal_state_set_generation(IDEOpalDrive *d, uint64_t generation);
bool ide_opal_state_save(IDEOpalDrive *d, Error **errp);
/*
 * A save in two steps: the next slot's contents, taken from the TPer by
 * whoever holds it; then its writes, in a coroutine in the main loop.
 */
IDEOpalSlotWrite *ide_opal_state_prepare(IDEOpalDrive *d);
int coroutine_fn ide_opal_state_co_write(IDEOpalSlotWrite *w);
const Error *ide_opal_slot_write_error(const IDEOpalSlotWrite *w);
void ide_opal_slot_write_free(IDEOpalSlotWrite *w);
OpalByteWriteFn ide_opal_state_byte_written;
void ide_opal_state_free(IDEOpalState *st);

/* The engine's crypto on QEMU's crypto API (opal-crypto.c). */
extern const OpalCrypto ide_opal_crypto;

/*
 * The media gate (opal-media.c): puts the filter node between the device and
 * its drive, hiding the last @reserved bytes of the image from it, and takes
 * a new view of the Locking SP after each change.
 */
bool ide_opal_media_attach(IDEOpalDrive *d, uint64_t reserved, Error **errp);
/* A view of the TPer as it is now (its holder's), and its publication. */
IDEOpalMedia *ide_opal_media_new(IDEOpalDrive *d);
void ide_opal_media_publish(IDEOpalDrive *d, IDEOpalMedia *media);
void ide_opal_media_unref(IDEOpalMedia *media);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(IDEOpalMedia, ide_opal_media_unref)
/* IDEDeviceClass.media_access: may a command touch these sectors? */
bool ide_opal_media_access(IDEDevice *dev, uint64_t sector, uint64_t nb_sectors,
                           bool write, int ncq_tag);
bool ide_opal_cmd_trusted(IDEState *s, uint8_t cmd);

/*
 * The engine off the main loop (opal-engine.c).  ide_opal_engine_send runs
 * an IF-SEND in the drive's thread and calls @done in the main loop once its
 * changes are durable and visible to the media gate; false if a job is in
 * flight already (only after a reset dropped the command that began it).
 */
typedef void IDEOpalSendDone(IDEOpalDrive *d, OpalIfStatus status);
void ide_opal_engine_init(IDEOpalDrive *d);
void ide_opal_engine_cleanup(IDEOpalDrive *d);
bool ide_opal_engine_send(IDEOpalDrive *d, uint8_t protocol,
                          uint16_t sp_specific, const uint8_t *data,
                          uint32_t len, IDEOpalSendDone *done);
bool ide_opal_engine_busy(IDEOpalDrive *d);
/* A reset dropped the command: the job ends without completing it. */
void ide_opal_engine_orphan(IDEOpalDrive *d);
/* Wait until no job holds the TPer: main loop, or a coroutine. */
void ide_opal_engine_quiesce(IDEOpalDrive *d);
void coroutine_fn ide_opal_engine_co_quiesce(IDEOpalDrive *d);
OpalChangeFn ide_opal_engine_changed;
/*
 * Runs @run(@arg) in the drive's thread, then @done(@opaque, its result)
 * in the main loop.  (Device fuzzing replaces it to wait for the work.)
 */
void ide_opal_engine_submit(IDEOpalDrive *d, ThreadPoolFunc *run, void *arg,
                            BlockCompletionFunc *done, void *opaque);
/* IDEDeviceClass hooks for the TRUSTED command in its data phase. */
void ide_opal_trusted_reset(IDEDevice *dev);
bool ide_opal_trusted_restart(IDEDevice *dev);
void ide_opal_trusted_pio_done(IDEDevice *dev);

#endif
