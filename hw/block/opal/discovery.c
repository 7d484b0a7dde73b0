/*
 * ide-opal-hd: Level 0 Discovery
 *
 * The host's first question to a TCG drive (Core 2.01, 3.3.6): a 48-byte
 * header followed by one descriptor per feature the drive supports.  Each
 * descriptor is built by a small function in the table below; a feature set
 * is listed here only once the engine implements all of it.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

#define DISCOVERY_HEADER_LEN    48
#define FEATURE_HEADER_LEN      4
#define FEATURE_MAX_LEN         0x20    /* the longest body: 0x0404's */

/*
 * Feature codes (Core 3.3.6.x, Opal SSC 2.02 3.1.1, Opal Feature Set:
 * DataStore).
 */
enum {
    FEATURE_TPER = 0x0001,
    FEATURE_LOCKING = 0x0002,
    FEATURE_GEOMETRY = 0x0003,
    FEATURE_SINGLE_USER_MODE = 0x0201,
    FEATURE_DATASTORE = 0x0202,
    FEATURE_OPAL_V2 = 0x0203,
    FEATURE_BLOCK_SID = 0x0402,
    FEATURE_DATA_REMOVAL = 0x0404,
};

/*
 * TPer feature flags (Core 3.3.6.4).  Opal SSC 2.01/2.02, 3.1.1.2: Sync
 * Supported and Streaming Supported shall be 1; Async, ACK/NAK and Buffer
 * Management are VU (this TPer has none of them); ComID Management is VU
 * too (3.1.1.2), and not announced: it would promise dynamic ComIDs, which
 * this TPer does not issue (comid.c; protocol 0x02 serves the static one).
 */
#define TPER_SYNC_SUPPORTED             0x01
#define TPER_STREAMING_SUPPORTED        0x10

/* Locking feature flags (Core 3.3.6.5). */
#define LOCKING_SUPPORTED               0x01
#define LOCKING_ENABLED                 0x02
#define LOCKING_LOCKED                  0x04
#define LOCKING_MEDIA_ENCRYPTION        0x08
#define LOCKING_MBR_ENABLED             0x10
#define LOCKING_MBR_DONE                0x20
/*
 * Opal SSC 2.02, 3.1.1.3 asks for version 1 "or any version that supports
 * the defined features"; version 2 adds bit 6, MBR Shadowing Not Supported
 * (0 here: the shadow MBR is implemented), and version 3 (Opal SSC 2.30)
 * bit 7: Hardware Reset may be listed in LockOnReset/DoneOnReset (locking.c).
 */
#define LOCKING_HW_RESET_FOR_LOR_DOR    0x80

/*
 * Single User Mode feature (SUM FS 1.00, Level 0 Discovery), byte 4 of the
 * body.
 */
#define SUM_ANY     0x01    /* some Locking object is single-user */
#define SUM_ALL     0x02    /* every Locking object is */
#define SUM_POLICY  0x04    /* RangeStart/RangeLength: the Admins' */

/* Block SID Authentication feature (version 1). */
#define BLOCK_SID_VALUE_STATE   0x01  /* C_PIN_SID's PIN is not MSID's */
#define BLOCK_SID_BLOCKED_STATE 0x02  /* SID Authentication Blocked State */
#define BLOCK_SID_HW_RESET      0x01  /* byte 1: last command's Clear Events */

typedef struct Feature {
    uint16_t code;
    uint8_t version;    /* byte 2, bits 7-4 */
    uint8_t minor;      /* byte 2, bits 3-0: reserved but in Opal SSC V2 */
    uint8_t length;     /* bytes after the 4-byte feature header */
    void (*fill)(const OpalTPer *tper, uint8_t *body);
} Feature;

static void fill_tper(const OpalTPer *tper, uint8_t *body)
{
    body[0] = TPER_SYNC_SUPPORTED | TPER_STREAMING_SUPPORTED;
}

static bool cell_set(const OpalRow *row, uint32_t column)
{
    uint64_t v = 0;

    return row && opal_row_get_uint(row, column, &v) && v;
}

/* Whether any range, the global one included, is locked for reads or writes. */
static bool any_range_locked(const OpalSP *sp)
{
    const OpalTable *ranges = opal_sp_table(sp, OPAL_UID_TABLE_LOCKING);

    for (guint i = 0; i < ranges->rows->len; i++) {
        const OpalRow *r = g_ptr_array_index(ranges->rows, i);

        if ((cell_set(r, OPAL_COL_LOCKING_READ_LOCK_ENABLED) &&
             cell_set(r, OPAL_COL_LOCKING_READ_LOCKED)) ||
            (cell_set(r, OPAL_COL_LOCKING_WRITE_LOCK_ENABLED) &&
             cell_set(r, OPAL_COL_LOCKING_WRITE_LOCKED))) {
            return true;
        }
    }
    return false;
}

/* The LockingSP's state as a host sees it before any session (Core 3.3.6.5). */
static void fill_locking(const OpalTPer *tper, uint8_t *body)
{
    const OpalRow *mbr = opal_sp_row(tper->locking_sp, OPAL_UID_MBRCONTROL_OBJ);

    body[0] = LOCKING_SUPPORTED | LOCKING_MEDIA_ENCRYPTION |
              LOCKING_HW_RESET_FOR_LOR_DOR;
    if (!opal_locking_sp_active(tper)) {
        return;         /* Manufactured-Inactive: nothing is enabled yet */
    }
    body[0] |= LOCKING_ENABLED;
    if (any_range_locked(tper->locking_sp)) {
        body[0] |= LOCKING_LOCKED;
    }
    if (cell_set(mbr, OPAL_COL_MBRCONTROL_ENABLE)) {
        body[0] |= LOCKING_MBR_ENABLED;
    }
    if (cell_set(mbr, OPAL_COL_MBRCONTROL_DONE)) {
        body[0] |= LOCKING_MBR_DONE;
    }
}

/* Geometry Reporting (Opal SSC 2.02, 3.1.1.4): ranges must be aligned. */
static void fill_geometry(const OpalTPer *tper, uint8_t *body)
{
    body[0] = 0x01; /* ALIGN: range boundaries must respect the granularity */
    opal_put_be32(body + 8, tper->config.logical_block_size);
    opal_put_be64(body + 12, tper->config.alignment_granularity);
    opal_put_be64(body + 20, 0);        /* lowest aligned LBA */
}

/*
 * Single User Mode: how many Locking objects can be single-user (the global
 * range and the ranges with a User n+1 to own them, sum.c), whether any or
 * all of them are, and whether the Admins own their start and length (with
 * no single-user range there is no policy in force: 0).
 */
static void fill_sum(const OpalTPer *tper, uint8_t *body)
{
    unsigned nr_objects = tper->config.nr_ranges + 1u;
    uint64_t objects =
        opal_locking_sp_active(tper) ? tper->locking_sp->sum_objects : 0;

    opal_put_be32(body, opal_sum_max_objects(&tper->config));
    if (objects) {
        body[4] |= SUM_ANY;
        if (tper->locking_sp->sum_admins_own_range) {
            body[4] |= SUM_POLICY;
        }
    }
    if (nr_objects <= 64 && objects == (nr_objects == 64 ? UINT64_MAX :
                                        (1ULL << nr_objects) - 1)) {
        body[4] |= SUM_ALL;
    }
}

/*
 * Additional DataStore Tables feature set, 4.2.1: how many DataStore tables
 * Activate may ask for, their maximum total size (the datastore-size
 * property), and the alignment of the additional tables' sizes (datastore.c).
 */
static void fill_datastore(const OpalTPer *tper, uint8_t *body)
{
    opal_put_be16(body + 2, OPAL_DATASTORE_MAX_TABLES);
    opal_put_be32(body + 4, tper->config.datastore_size);
    opal_put_be32(body + 8, OPAL_DATASTORE_ALIGNMENT);
}

/*
 * Opal SSC V2 feature (Opal SSC 2.02, 3.1.1.5, Table 6).  Opal 2.02 made
 * the descriptor's version 2 and gave the low nibble of byte 2 to the SSC
 * Minor Version Number (Table 8: 0x0 v2.00, 0x1 v2.01, 0x2 v2.02), which
 * earlier versions reserved; this TPer follows 2.02 (Block SID, PSID,
 * Additional DataStore Tables), so 2 and 2.  Range Crossing Behavior 0:
 * a command may span unlocked ranges (the media gate checks each range).
 */
static void fill_opal_v2(const OpalTPer *tper, uint8_t *body)
{
    opal_put_be16(body + 0, OPAL_BASE_COMID);
    opal_put_be16(body + 2, 1);                 /* number of ComIDs */
    body[4] = 0;                                /* commands may cross ranges */
    opal_put_be16(body + 5, tper->config.nr_admins);
    opal_put_be16(body + 7, tper->config.nr_users);
    body[9] = 0x00;     /* initial C_PIN_SID PIN is C_PIN_MSID's */
    body[10] = 0x00;    /* after a TPer Revert, SID's PIN is MSID's again */
}

/*
 * Block SID Authentication: whether SID still has the MSID's PIN (the
 * firmware need not block a drive that is owned already, but blocks anyway),
 * whether SID is blocked now, and the Clear Events of the last Block SID
 * command since power-on.  Version 1: no claim of the LockingSP Freeze Lock
 * of version 2, which this drive does not implement.
 */
static void fill_block_sid(const OpalTPer *tper, uint8_t *body)
{
    if (tper->sid_value_differs) {
        body[0] |= BLOCK_SID_VALUE_STATE;
    }
    if (tper->sid_blocked) {
        body[0] |= BLOCK_SID_BLOCKED_STATE;
    }
    body[1] = tper->sid_block_clear_events & OPAL_BLOCK_SID_CLEAR_HW_RESET ?
              BLOCK_SID_HW_RESET : 0;
}

/*
 * Supported Data Removal Mechanism (Opal SSC 2.02, 3.1.1.6, Table 8): the
 * one mechanism of the DataRemovalMechanism table, Cryptographic Erase,
 * and its worst-case time for the whole medium in units of 2 seconds
 * (Table 11): a new key and a state save, under a second here.  No removal
 * is ever in progress or interrupted as Discovery sees it: Revert, RevertSP
 * and GenKey end before the drive answers anything else, and a power loss
 * leaves the state saved before or after them (crash-safe saves).
 */
static void fill_data_removal(const OpalTPer *tper, uint8_t *body)
{
    body[2] = OPAL_DATA_REMOVAL_SUPPORTED;
    /* Byte 7, time formats: 0, seconds.  Bytes 12-13: bit 2's time. */
    opal_put_be16(body + 12 - FEATURE_HEADER_LEN, 1);
}

/* In increasing feature code order (Core 3.3.6). */
static const Feature features[] = {
    { FEATURE_TPER,      1, 0, 0x0c, fill_tper },
    { FEATURE_LOCKING,   3, 0, 0x0c, fill_locking },
    { FEATURE_GEOMETRY,  1, 0, 0x1c, fill_geometry },
    { FEATURE_SINGLE_USER_MODE, 1, 0, 0x0c, fill_sum },
    { FEATURE_DATASTORE, 1, 0, 0x0c, fill_datastore },
    { FEATURE_OPAL_V2,   2, 2, 0x10, fill_opal_v2 },
    { FEATURE_BLOCK_SID, 1, 0, 0x0c, fill_block_sid },
    { FEATURE_DATA_REMOVAL, 2, 0, FEATURE_MAX_LEN, fill_data_removal },
};

size_t opal_discovery_encode(OpalTPer *tper, uint8_t *buf, size_t len)
{
    uint8_t resp[DISCOVERY_HEADER_LEN +
                 G_N_ELEMENTS(features) *
                 (FEATURE_HEADER_LEN + FEATURE_MAX_LEN)];
    size_t pos = DISCOVERY_HEADER_LEN;
    OpalTPer view;
    const OpalTPer *committed;

    memset(resp, 0, sizeof(resp));
    /*
     * Brings tper->sid_value_differs up to date (once per PIN: a PBKDF2 run).
     * On the live TPer, which owns the reference it keeps: a transaction's
     * view shares the live TPer's pointers and must not change them.
     */
    opal_sid_value_differs(tper);
    /*
     * What an open transaction changed is not the drive's yet (Core 3.2.6):
     * Discovery shows the ranges' locks and MBR Done as the media gate
     * applies them, committed.
     */
    committed = opal_committed(tper, &view);
    for (size_t i = 0; i < G_N_ELEMENTS(features); i++) {
        const Feature *f = &features[i];

        g_assert(f->length <= FEATURE_MAX_LEN);
        opal_put_be16(resp + pos, f->code);
        resp[pos + 2] = f->version << 4 | f->minor;
        resp[pos + 3] = f->length;
        f->fill(committed, resp + pos + FEATURE_HEADER_LEN);
        pos += FEATURE_HEADER_LEN + f->length;
    }
    /* The length field counts what follows it (Core 3.3.6.3). */
    opal_put_be32(resp, pos - 4);
    opal_put_be32(resp + 4, 0x00000001);        /* data structure revision */

    opal_reply(buf, len, resp, pos);
    return pos;
}
