/*
 * ide-opal-hd: TRUSTED SEND / TRUSTED RECEIVE, the ATA transport of the TPer
 *
 * SIIS 1.08, 3.3 maps IF-SEND and IF-RECV onto ATA (ACS-3, 7.49-7.53):
 *   Feature        security protocol
 *   LBA 23:8       SP Specific (the ComID for protocols 0x01 and 0x02)
 *   Count, LBA 7:0 transfer length bits 7:0 and 15:8, in 512-byte blocks
 *   LBA 24         TRUSTED NON-DATA only: 1 = receive, 0 = send
 * Every error the TPer reports at this level ends the command aborted.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "ide-internal.h"
#include "opal-hd.h"
#include "trace.h"

#define TRUSTED_BLOCK_SIZE  512

/* The engine fills or reads the whole transfer in the IDE I/O buffer. */
QEMU_BUILD_BUG_ON(OPAL_MAX_TRANSFER > IDE_DMA_BUF_SECTORS * BDRV_SECTOR_SIZE);

typedef struct TrustedCmd {
    bool receive;
    bool dma;
    uint8_t protocol;
    uint16_t sp_specific;
    uint32_t len;           /* bytes */
} TrustedCmd;

static TrustedCmd trusted_decode(IDEState *s, uint8_t cmd)
{
    TrustedCmd t = {
        .receive = cmd == ATA_TRUSTED_RECEIVE || cmd == ATA_TRUSTED_RECEIVE_DMA ||
                   (cmd == ATA_TRUSTED_NON_DATA && (s->select & 0x01)),
        .dma = cmd == ATA_TRUSTED_RECEIVE_DMA || cmd == ATA_TRUSTED_SEND_DMA,
        .protocol = s->feature,
        .sp_specific = s->lcyl | (s->hcyl << 8),
    };

    if (cmd != ATA_TRUSTED_NON_DATA) {
        t.len = ((s->sector << 8) | (s->nsector & 0xff)) * TRUSTED_BLOCK_SIZE;
    }
    return t;
}

static void trusted_abort(IDEState *s, OpalIfStatus status)
{
    trace_ide_opal_trusted_abort(s, opal_if_status_name(status));
    ide_abort_command(s);
}

/* The end of a data-out phase: hand what the host sent to the TPer. */
static OpalIfStatus trusted_deliver(IDEState *s, const TrustedCmd *t)
{
    return opal_if_send(ide_opal_drive(s)->tper, t->protocol, t->sp_specific,
                        s->io_buffer, t->len);
}

static void trusted_send_pio_done(IDEState *s)
{
    TrustedCmd t = trusted_decode(s, ATA_TRUSTED_SEND);
    OpalIfStatus status = trusted_deliver(s, &t);

    ide_transfer_stop(s);
    if (status != OPAL_IF_OK) {
        trusted_abort(s, status);
    }
    ide_bus_set_irq(s->bus);
}

static void trusted_dma_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    TrustedCmd t = trusted_decode(s, s->dma_cmd == IDE_DMA_WRITE ?
                                  ATA_TRUSTED_SEND_DMA : ATA_TRUSTED_RECEIVE_DMA);
    OpalIfStatus status = OPAL_IF_OK;

    s->io_buffer_index = 0;
    s->io_buffer_size = t.len;
    /* rw_buf's is_write means "write to guest memory" (device to host). */
    if (ret < 0 || !s->bus->dma->ops->rw_buf(s->bus->dma, t.receive)) {
        ide_dma_error(s);
        return;
    }
    if (!t.receive) {
        status = trusted_deliver(s, &t);
    }
    if (status != OPAL_IF_OK) {
        trusted_abort(s, status);
    } else {
        s->status = READY_STAT | SEEK_STAT;
    }
    ide_bus_set_irq(s->bus);
    ide_set_inactive(s, false);
}

bool ide_opal_cmd_trusted(IDEState *s, uint8_t cmd)
{
    OpalTPer *tper = ide_opal_drive(s)->tper;
    TrustedCmd t = trusted_decode(s, cmd);
    OpalIfStatus status;

    trace_ide_opal_trusted(s, cmd, t.receive ? "receive" : "send", t.protocol,
                           t.sp_specific, t.len);
    if (t.receive) {
        status = opal_if_recv(tper, t.protocol, t.sp_specific, s->io_buffer, t.len);
        if (status != OPAL_IF_OK) {
            trusted_abort(s, status);
            return true;
        }
    } else {
        /* Refuse before the data phase: a refused command moves nothing. */
        status = t.len ? opal_if_send_check(tper, t.protocol, t.sp_specific, t.len)
                       : opal_if_send(tper, t.protocol, t.sp_specific, NULL, 0);
        if (status != OPAL_IF_OK) {
            trusted_abort(s, status);
            return true;
        }
    }
    if (t.len == 0) {
        return true;
    }

    /*
     * The completions decode the command again from the registers, which keep
     * their values for the whole data phase; dma_cmd tells DMA's direction.
     */
    if (t.dma) {
        s->dma_cmd = t.receive ? IDE_DMA_READ : IDE_DMA_WRITE;
        ide_start_dma(s, trusted_dma_cb);
    } else if (t.receive) {
        s->status = READY_STAT | SEEK_STAT;
        ide_transfer_start(s, s->io_buffer, t.len, ide_transfer_stop);
        ide_bus_set_irq(s->bus);
    } else {
        s->status = READY_STAT | SEEK_STAT;
        ide_transfer_start(s, s->io_buffer, t.len, trusted_send_pio_done);
        ide_bus_set_irq(s->bus);
    }
    return false;
}
