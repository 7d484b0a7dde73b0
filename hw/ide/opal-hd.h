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

struct IDEOpalDrive {
    IDEDrive parent_obj;
    OpalTPer *tper;
    char *msid;         /* C_PIN_MSID: the factory SID password */
    char *psid;         /* the PSID of a real drive's label */
    uint16_t users;     /* LockingSP User authorities */
    uint16_t ranges;    /* locking ranges besides the global range */
    uint64_t mbr_size;  /* bytes of the shadow MBR table */
    uint64_t datastore_size;
};

/* The drive behind an IDEState that belongs to an ide-opal-hd. */
IDEOpalDrive *ide_opal_drive(IDEState *s);

bool ide_opal_cmd_read_log_ext(IDEState *s, uint8_t cmd);
bool ide_opal_cmd_trusted(IDEState *s, uint8_t cmd);

#endif
