/*
 * ide-opal-hd: General Purpose Logging (READ LOG EXT)
 *
 * A host learns that a SATA disk supports Trusted Computing from the Security
 * page of the IDENTIFY DEVICE data log (ACS-3, 9.10.8); Linux reads it, and
 * the log directory, before it sends any TRUSTED command.  The logs offered
 * are exactly those listed in the directory: anything else is aborted, so a
 * host never reads a log this drive does not really keep.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/log.h"
#include "ide-internal.h"
#include "opal-hd.h"
#include "trace.h"

#define LOG_PAGE_SIZE           512

/*
 * Status bit 1 (ACS-3, 6.2.9) and the sense data of a locked range
 * (SPC-4, 4.5.6).
 */
#define ATA_SENSE_DATA_AVAILABLE    0x02
#define SENSE_KEY_DATA_PROTECT      0x07
#define ASC_ACCESS_DENIED           0x20
#define ASCQ_NO_ACCESS_RIGHTS       0x02

/* Log addresses (ACS-3, Table A.2). */
#define LOG_DIRECTORY           0x00
#define LOG_NCQ_COMMAND_ERROR   0x10
#define LOG_IDENTIFY_DEVICE     0x30

/* IDENTIFY DEVICE data log pages (ACS-3, Table A.9). */
#define IDENTIFY_PAGE_LIST      0x00
#define IDENTIFY_PAGE_SECURITY  0x06

typedef struct LogSpec {
    uint8_t address;
    uint16_t nr_pages;
    /* Fills one page; false if the page is not supported. */
    bool (*fill)(IDEOpalDrive *d, uint16_t page, uint8_t *buf);
} LogSpec;

static bool fill_directory(IDEOpalDrive *d, uint16_t page, uint8_t *buf);
static bool fill_ncq_command_error(IDEOpalDrive *d, uint16_t page,
                                   uint8_t *buf);
static bool fill_identify_device(IDEOpalDrive *d, uint16_t page, uint8_t *buf);

static const LogSpec logs[] = {
    { LOG_DIRECTORY, 1, fill_directory },
    { LOG_NCQ_COMMAND_ERROR, 1, fill_ncq_command_error },
    /*
     * Pages 0..6 exist as far as the directory says; only 0 and 6 are filled.
     */
    { LOG_IDENTIFY_DEVICE, IDENTIFY_PAGE_SECURITY + 1, fill_identify_device },
};

static const LogSpec *find_log(uint8_t address)
{
    for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
        if (logs[i].address == address) {
            return &logs[i];
        }
    }
    return NULL;
}

/* General Purpose Log Directory (ACS-3, A.2): version, then pages per log. */
static bool fill_directory(IDEOpalDrive *d, uint16_t page, uint8_t *buf)
{
    stw_le_p(buf, 0x0001);
    for (size_t i = 0; i < ARRAY_SIZE(logs); i++) {
        if (logs[i].address != LOG_DIRECTORY) {
            stw_le_p(buf + 2 * logs[i].address, logs[i].nr_pages);
        }
    }
    return true;
}

/*
 * NCQ Command Error log (ACS-3, A.13): the queued command the media gate
 * refused last, or NQ (bit 7 of byte 0) when none failed.  With NCQ Autosense
 * (IDENTIFY word 78 bit 7) it also says why: SENSE DATA AVAILABLE in the
 * status and the sense key and code in bytes 14-16, DATA PROTECT / ACCESS
 * DENIED - NO ACCESS RIGHTS.  A host that knows why does not count a locked
 * range against the drive's health (Linux would otherwise turn NCQ off and
 * reset the link after a few).  Reading the log clears it, as on a real
 * drive: the host reads it once per error to learn which tag failed.
 */
static bool fill_ncq_command_error(IDEOpalDrive *d, uint16_t page, uint8_t *buf)
{
    IDEOpalNcqError *e = &d->ncq_error;
    uint8_t sum = 0;

    if (e->pending) {
        trace_ide_opal_ncq_error_log(d, e->tag, e->lba);
        buf[0] = e->tag;
        buf[2] = READY_STAT | ERR_STAT | ATA_SENSE_DATA_AVAILABLE;
        buf[3] = IDE_OPAL_MEDIA_ERROR;
        buf[4] = e->lba;
        buf[5] = e->lba >> 8;
        buf[6] = e->lba >> 16;
        buf[7] = ATA_DEV_LBA;
        buf[8] = e->lba >> 24;
        buf[9] = e->lba >> 32;
        buf[10] = e->lba >> 40;
        buf[12] = e->count;
        buf[13] = e->count >> 8;
        buf[14] = SENSE_KEY_DATA_PROTECT;
        buf[15] = ASC_ACCESS_DENIED;
        buf[16] = ASCQ_NO_ACCESS_RIGHTS;
        e->pending = false;
    } else {
        buf[0] = 0x80;
    }
    for (int i = 0; i < LOG_PAGE_SIZE - 1; i++) {
        sum += buf[i];
    }
    buf[LOG_PAGE_SIZE - 1] = -sum;
    return true;
}

/*
 * Every IDENTIFY DEVICE data log page starts with this header (ACS-3, 9.10.1).
 */
static void identify_page_header(uint8_t *buf, uint8_t page)
{
    stq_le_p(buf, (1ULL << 63) | ((uint64_t)page << 16) | 0x0001);
}

static bool fill_identify_device(IDEOpalDrive *d, uint16_t page, uint8_t *buf)
{
    switch (page) {
    case IDENTIFY_PAGE_LIST:
        identify_page_header(buf, page);
        buf[8] = 2;                             /* number of entries */
        buf[9] = IDENTIFY_PAGE_LIST;
        buf[10] = IDENTIFY_PAGE_SECURITY;
        return true;
    case IDENTIFY_PAGE_SECURITY:
        identify_page_header(buf, page);
        /* Trusted Computing qword: bit 63 valid, bit 0 supported. */
        stq_le_p(buf + 40, (1ULL << 63) | 1);
        return true;
    default:
        return false;
    }
}

/* Fills @count pages of @log from @page into @buf; false to abort. */
static bool read_log(IDEOpalDrive *d, uint8_t address, uint16_t page,
                     uint16_t count, uint8_t *buf, const char **reason)
{
    const LogSpec *log = find_log(address);

    if (!log) {
        /* The log directory says which: asking for another is a probe. */
        qemu_log_mask(LOG_UNIMP, "ide-opal-hd: READ LOG EXT of log 0x%02x, "
                      "not supported\n", address);
        *reason = "log not supported";
        return false;
    }
    if (count == 0 || page >= log->nr_pages || count > log->nr_pages - page) {
        qemu_log_mask(LOG_GUEST_ERROR, "ide-opal-hd: READ LOG EXT of log "
                      "0x%02x pages %u+%u, outside its %u pages\n", address,
                      page, count, log->nr_pages);
        *reason = "pages outside the log";
        return false;
    }
    memset(buf, 0, count * LOG_PAGE_SIZE);
    for (uint16_t i = 0; i < count; i++) {
        if (!log->fill(d, page + i, buf + i * LOG_PAGE_SIZE)) {
            *reason = "page not supported";
            return false;
        }
    }
    return true;
}

/*
 * READ LOG EXT (ACS-3, 7.24): LBA 7:0 = log address, LBA 15:8 and 39:32 =
 * page number, COUNT = pages (48-bit command: the full 16 bits).
 */
bool ide_opal_cmd_read_log_ext(IDEState *s, uint8_t cmd)
{
    uint8_t address = s->sector;
    uint16_t page = s->lcyl | (s->hob_lcyl << 8);
    uint16_t count = (s->nsector | (s->hob_nsector << 8)) & 0xffff;
    const char *reason = NULL;

    trace_ide_opal_read_log(s, address, page, count);
    if (!read_log(ide_opal_drive(s), address, page, count, s->io_buffer,
                  &reason)) {
        trace_ide_opal_read_log_abort(s, address, page, count, reason);
        ide_abort_command(s);
        return true;
    }
    s->status = READY_STAT | SEEK_STAT;
    ide_transfer_start(s, s->io_buffer, count * LOG_PAGE_SIZE,
                       ide_transfer_stop);
    ide_bus_set_irq(s->bus);
    return false;
}
