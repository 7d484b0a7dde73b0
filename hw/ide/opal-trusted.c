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
 * A command is decoded from the registers once, when it is issued, and
 * checked there; its data phase uses only that decoded form.  The guest may
 * rewrite the registers once BSY is clear (after a software reset, say), and
 * on legacy IDE a DMA command waits for the guest to start the bus master:
 * nothing it writes then may size a transfer.  A reset drops the command.
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

#define TRUSTED_BLOCK_SIZE  512

/* The engine fills or reads the whole transfer in the IDE I/O buffer. */
QEMU_BUILD_BUG_ON(OPAL_MAX_TRANSFER > IDE_DMA_BUF_SECTORS * BDRV_SECTOR_SIZE);

static IDEOpalTrusted trusted_decode(IDEState *s, uint8_t cmd)
{
    IDEOpalTrusted t = {
        .receive = cmd == ATA_TRUSTED_RECEIVE ||
                   cmd == ATA_TRUSTED_RECEIVE_DMA ||
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
    /* Protocol 0 lists what the drive takes: anything else is a guest bug. */
    qemu_log_mask(LOG_GUEST_ERROR, "ide-opal-hd: TRUSTED command of "
                  "protocol 0x%02x aborted: %s\n", s->feature,
                  opal_if_status_name(status));
    trace_ide_opal_trusted_abort(s, opal_if_status_name(status));
    ide_abort_command(s);
}

/* The TPer is done with the data the host sent: the command completes. */
static void trusted_send_done(IDEOpalDrive *d, OpalIfStatus status)
{
    IDEState *s = ide_opal_ide_state(d);

    if (status != OPAL_IF_OK) {
        trusted_abort(s, status);
    } else {
        s->status = READY_STAT | SEEK_STAT;
    }
    if (d->trusted.dma) {
        ide_bus_set_irq(s->bus);
        ide_set_inactive(s, false);
    } else {
        ide_transfer_stop(s);
        ide_bus_set_irq(s->bus);
    }
}

/*
 * The end of a data-out phase: hand what the host sent to the TPer, which
 * works on it in the drive's thread (opal-engine.c) while it is busy.
 * The engine keeps a copy; the I/O buffer forgets the PINs it carried.
 */
static void trusted_deliver(IDEOpalDrive *d, IDEState *s)
{
    const IDEOpalTrusted *t = &d->trusted;

    s->status = BUSY_STAT | READY_STAT | SEEK_STAT;
    if (!ide_opal_engine_send(d, t->protocol, t->sp_specific, s->io_buffer,
                              t->len, trusted_send_done)) {
        trusted_send_done(d, OPAL_IF_BAD_SP_SPECIFIC);
    }
    opal_wipe(s->io_buffer, t->len);
}

/* IDEDeviceClass.pio_out_done: the PIO data-out phase is over. */
void ide_opal_trusted_pio_done(IDEDevice *dev)
{
    IDEOpalDrive *d = IDE_OPAL_HD(dev);
    IDEState *s = ide_opal_ide_state(d);
    bool pending = d->trusted.pending;

    d->trusted.pending = false;
    /* The data phase is over; the command is not, until the TPer answers. */
    s->end_transfer_func = ide_transfer_stop;
    s->data_ptr = s->data_end = s->io_buffer;
    s->status &= ~DRQ_STAT;
    if (!pending || d->trusted.receive || d->trusted.dma) {
        /* Only a migration stream can say so; the guest cannot. */
        qemu_log_mask(LOG_GUEST_ERROR, "ide-opal-hd: end of a PIO data-out "
                      "phase with no TRUSTED SEND in flight\n");
        ide_abort_command(s);
        ide_transfer_stop(s);
        ide_bus_set_irq(s->bus);
        return;
    }
    trusted_deliver(d, s);
}

static void trusted_dma_cb(void *opaque, int ret)
{
    IDEState *s = opaque;
    IDEOpalDrive *d = ide_opal_drive(s);
    IDEOpalTrusted t = d->trusted;

    d->trusted.pending = false;
    if (!t.pending || !t.dma) {
        /*
         * The bus master started after a reset dropped the command: the
         * registers hold whatever the guest wrote since, not a command.
         */
        qemu_log_mask(LOG_GUEST_ERROR, "ide-opal-hd: bus master DMA started "
                      "with no TRUSTED command in flight\n");
        ide_dma_error(s);
        return;
    }
    s->io_buffer_index = 0;
    s->io_buffer_size = t.len;
    /* rw_buf's is_write means "write to guest memory" (device to host). */
    if (ret < 0 || !s->bus->dma->ops->rw_buf(s->bus->dma, t.receive)) {
        ide_dma_error(s);
        return;
    }
    if (t.receive) {
        s->status = READY_STAT | SEEK_STAT;
        ide_bus_set_irq(s->bus);
        ide_set_inactive(s, false);
    } else {
        trusted_deliver(d, s);
    }
}

static void trusted_start_dma(IDEOpalDrive *d, IDEState *s)
{
    s->dma_cmd = d->trusted.receive ? IDE_DMA_READ : IDE_DMA_WRITE;
    ide_start_dma(s, trusted_dma_cb);
}

/*
 * IDEDeviceClass.reset: a command waiting for its data phase is gone, and
 * one the TPer works on ends without completing (the TPer still finishes
 * the method: its effects are kept, as on a drive reset mid-command).
 */
void ide_opal_trusted_reset(IDEDevice *dev)
{
    IDEOpalDrive *d = IDE_OPAL_HD(dev);

    d->trusted.pending = false;
    ide_opal_engine_orphan(d);
}

/*
 * IDEDeviceClass.restart: the VM runs again (on a migration's destination)
 * with the bus master armed for a TRUSTED DMA the guest has not started.
 * Arm it again for the same command; a receive's data came along with it.
 */
bool ide_opal_trusted_restart(IDEDevice *dev)
{
    IDEOpalDrive *d = IDE_OPAL_HD(dev);
    IDEState *s = ide_opal_ide_state(d);

    if (!d->trusted.pending || !d->trusted.dma) {
        return false;
    }
    if (d->trusted.receive && d->trusted_data) {
        memcpy(s->io_buffer, d->trusted_data, d->trusted.len);
    }
    g_clear_pointer(&d->trusted_data, g_free);
    d->trusted_data_len = 0;
    if (s->bus->dma->ops->restart_dma) {
        s->bus->dma->ops->restart_dma(s->bus->dma);
    }
    trusted_start_dma(d, s);
    return true;
}

bool ide_opal_cmd_trusted(IDEState *s, uint8_t cmd)
{
    IDEOpalDrive *d = ide_opal_drive(s);
    IDEOpalTrusted t = trusted_decode(s, cmd);
    OpalIfStatus status;

    trace_ide_opal_trusted(s, cmd, t.receive ? "receive" : "send", t.protocol,
                           t.sp_specific, t.len);
    d->trusted.pending = false;
    if (t.len > OPAL_MAX_TRANSFER) {
        trusted_abort(s, OPAL_IF_BAD_LENGTH);
        return true;
    }
    if (ide_opal_engine_busy(d)) {
        /* Only after a reset dropped the command the TPer still works on. */
        qemu_log_mask(LOG_GUEST_ERROR, "ide-opal-hd: TRUSTED command while "
                      "the TPer still works on one a reset dropped\n");
        trace_ide_opal_trusted_abort(s, "TPer busy");
        ide_abort_command(s);
        return true;
    }
    if (t.receive) {
        status = opal_if_recv(d->tper, t.protocol, t.sp_specific,
                              s->io_buffer, t.len);
    } else if (t.len) {
        /* Refuse before the data phase: a refused command moves nothing. */
        status = opal_if_send_check(d->tper, t.protocol, t.sp_specific, t.len);
    } else {
        status = opal_if_send(d->tper, t.protocol, t.sp_specific, NULL, 0);
    }
    if (status != OPAL_IF_OK) {
        trusted_abort(s, status);
        return true;
    }
    if (t.len == 0) {
        return true;
    }

    t.pending = true;
    d->trusted = t;
    if (t.dma) {
        trusted_start_dma(d, s);
    } else if (t.receive) {
        /* The data is in the buffer: the rest is IDE's own PIO data-in. */
        d->trusted.pending = false;
        s->status = READY_STAT | SEEK_STAT;
        ide_transfer_start(s, s->io_buffer, t.len, ide_transfer_stop);
        ide_bus_set_irq(s->bus);
    } else {
        s->status = READY_STAT | SEEK_STAT;
        ide_transfer_start(s, s->io_buffer, t.len, ide_device_pio_out_done);
        ide_bus_set_irq(s->bus);
    }
    return false;
}
