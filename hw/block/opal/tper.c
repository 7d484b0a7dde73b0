/*
 * ide-opal-hd: the TPer and its IF-SEND / IF-RECV dispatch
 *
 * Routes each security protocol to the layer that owns it: protocol 0x00
 * (which protocols exist) is answered here, 0x01 carries Level 0 Discovery
 * and the session ComPackets, 0x02 is ComID management, TPER_RESET and
 * Block SID.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdarg.h>
#include "sp.h"
#include "uid.h"

/*
 * Protocol 0x00 SP Specific values (SPC-4 7.7.1, as ACS-3 TRUSTED RECEIVE uses
 * them).
 */
#define INFO_SUPPORTED_PROTOCOLS    0x0000
#define INFO_CERTIFICATE            0x0001

static const uint8_t supported_protocols[] = {
    OPAL_PROTOCOL_INFO, OPAL_PROTOCOL_TCG, OPAL_PROTOCOL_COMID_MGMT,
};

OpalTPer *opal_tper_new(const OpalConfig *config)
{
    OpalTPer *tper = g_new0(OpalTPer, 1);

    g_assert(config->msid && config->psid && config->crypto);
    tper->config = *config;
    tper->config.msid = g_strdup(config->msid);
    tper->config.psid = g_strdup(config->psid);
    opal_session_init(tper);
    opal_secrets_init(tper);
    opal_transaction_init(tper);
    opal_sps_factory_reset(tper);
    return tper;
}

void opal_tper_free(OpalTPer *tper)
{
    opal_session_abort_all(tper);
    opal_transaction_free(tper);
    opal_sp_free(tper->admin_sp);
    opal_sp_free(tper->locking_sp);
    g_hash_table_destroy(tper->keks);
    opal_sid_value_forget(tper);
    g_free((char *)tper->config.msid);
    /* The PSID is a secret, printed on the label and kept for PSID revert. */
    opal_secret_free((char *)tper->config.psid, strlen(tper->config.psid));
    g_free(tper);
}

void opal_tper_set_trace(OpalTPer *tper, const OpalTraceOps *ops,
                         void *opaque)
{
    tper->trace = ops;
    tper->trace_opaque = opaque;
}

void opal_tper_set_change_listener(OpalTPer *tper, OpalChangeFn *fn,
                                   void *opaque)
{
    tper->changed = fn;
    tper->changed_opaque = opaque;
}

void opal_tper_set_clock(OpalTPer *tper, OpalClockFn *fn, void *opaque)
{
    tper->clock = fn;
    tper->clock_opaque = opaque;
}

int64_t opal_now_ms(OpalTPer *tper)
{
    return tper->clock ? tper->clock(tper->clock_opaque) :
                         g_get_monotonic_time() / 1000;
}

void opal_tper_set_byte_listener(OpalTPer *tper, OpalByteWriteFn *fn,
                                 void *opaque)
{
    tper->byte_written = fn;
    tper->byte_written_opaque = opaque;
}

bool opal_changed(OpalTPer *tper, unsigned changes)
{
    if (changes & OPAL_CHANGE_PERSISTENT) {
        /*
         * New PINs, keys or locks: the keys' wrapped copies follow before any
         * save.
         */
        opal_secrets_rewrap(tper);
    }
    if (opal_transaction_open(tper)) {
        /* Nothing reaches the image or the media before the commit. */
        opal_transaction_defer(tper, changes);
        return true;
    }
    if (tper->changed && changes &&
        !tper->changed(tper->changed_opaque, changes)) {
        opal_explain(tper, "the change could not be saved: it lasts until "
                     "power-off");
        return false;
    }
    return true;
}

void opal_byte_written(OpalTPer *tper, uint64_t table_uid, uint64_t offset,
                       const uint8_t *data, uint64_t len)
{
    uint64_t place;

    /* DataStore tables share one area, each where the one before it ends. */
    if (tper->locking_sp &&
        opal_datastore_place(tper->locking_sp, table_uid, &place)) {
        table_uid = OPAL_UID_TABLE_DATASTORE;
        offset += place;
    }
    if (opal_transaction_open(tper)) {
        opal_transaction_hold_write(tper, table_uid, offset, data, len);
    } else if (tper->byte_written) {
        tper->byte_written(tper->byte_written_opaque, table_uid, offset, data,
                           len);
    }
}

const char *opal_if_status_name(OpalIfStatus status)
{
    static const char *const names[] = {
        [OPAL_IF_OK] = "ok",
        [OPAL_IF_BAD_PROTOCOL] = "security protocol not supported",
        [OPAL_IF_BAD_SP_SPECIFIC] = "ComID/SP Specific not valid",
        [OPAL_IF_BAD_LENGTH] = "transfer length not valid",
        [OPAL_IF_BAD_PAYLOAD] = "malformed data",
        [OPAL_IF_SYNC_VIOLATION] = "synchronous protocol violation",
        [OPAL_IF_NOT_ENABLED] = "command not enabled",
    };

    return status < G_N_ELEMENTS(names) && names[status] ? names[status] : "?";
}

static OpalIfStatus info_recv(uint16_t sp_specific, uint8_t *buf, size_t len)
{
    uint8_t resp[8 + sizeof(supported_protocols)] = { 0 };
    size_t resp_len;

    switch (sp_specific) {
    case INFO_SUPPORTED_PROTOCOLS:
        opal_put_be16(resp + 6, sizeof(supported_protocols));
        memcpy(resp + 8, supported_protocols, sizeof(supported_protocols));
        resp_len = sizeof(resp);
        break;
    case INFO_CERTIFICATE:
        resp_len = 4;   /* a zero certificate length: the drive has none */
        break;
    default:
        return OPAL_IF_BAD_SP_SPECIFIC;
    }
    opal_reply(buf, len, resp, resp_len);
    return OPAL_IF_OK;
}

/*
 * IF-RECV on the base ComID (Core 3.3.10.3): the queued response if the host's
 * buffer holds it; if not, a bare header whose OutstandingData and
 * MinTransfer tell the host how much to ask for, the response staying queued;
 * with nothing queued, a bare header with both zero.
 */
static void recv_response(OpalTPer *tper, uint8_t *buf, size_t len)
{
    GByteArray *resp = tper->response;
    uint8_t hdr[OPAL_COMPACKET_HEADER_LEN] = { 0 };

    if (resp && resp->len <= len) {
        opal_reply(buf, len, resp->data, resp->len);
        g_byte_array_unref(resp);
        tper->response = NULL;
        return;
    }
    opal_put_be16(hdr + 4, OPAL_BASE_COMID);
    if (resp) {
        opal_put_be32(hdr + 8, resp->len);
        opal_put_be32(hdr + 12, resp->len);
        opal_trace(tper, if_refused, OPAL_PROTOCOL_TCG, OPAL_BASE_COMID, len,
                   resp->len, "the response does not fit in the IF-RECV");
    }
    opal_reply(buf, len, hdr, sizeof(hdr));
}

OpalIfStatus opal_if_send_check(const OpalTPer *tper, uint8_t protocol,
                                uint16_t sp_specific, size_t len)
{
    if (len > OPAL_MAX_TRANSFER) {
        return OPAL_IF_BAD_LENGTH;
    }
    switch (protocol) {
    case OPAL_PROTOCOL_COMID_MGMT:
        if (sp_specific == OPAL_COMID_BLOCK_SID) {
            /* The Block SID command needs its Clear Events byte. */
            return len ? OPAL_IF_OK : OPAL_IF_BAD_LENGTH;
        }
        if (sp_specific == OPAL_COMID_TPER_RESET) {
            /*
             * Opal 3.2.3: a non-zero transfer length, and the command
             * aborted at the interface level unless ProgrammaticResetEnable
             * is True.
             */
            if (!len) {
                return OPAL_IF_BAD_LENGTH;
            }
            return opal_tper_reset_enabled(tper) ? OPAL_IF_OK
                                                 : OPAL_IF_NOT_ENABLED;
        }
        /*
         * ComID requests on the base ComID: they are not bound by the
         * synchronous protocol, which applies to protocol 0x01 only
         * (Core 3.3.10).
         */
        return sp_specific == OPAL_BASE_COMID ? OPAL_IF_OK :
                                                OPAL_IF_BAD_SP_SPECIFIC;
    case OPAL_PROTOCOL_TCG:
        if (sp_specific != OPAL_BASE_COMID) {
            return OPAL_IF_BAD_SP_SPECIFIC;
        }
        /*
         * Core 3.3.10: once an IF-SEND's payload was understood, the ComID
         * waits for an IF-RECV to take all of the response; an IF-SEND
         * before that is aborted, and the response stays for the host.
         */
        return tper->response ? OPAL_IF_SYNC_VIOLATION : OPAL_IF_OK;
    default:
        /* Protocol 0x00 only answers questions; others do not exist. */
        return OPAL_IF_BAD_PROTOCOL;
    }
}

OpalIfStatus opal_if_send(OpalTPer *tper, uint8_t protocol,
                          uint16_t sp_specific, const uint8_t *buf, size_t len)
{
    OpalIfStatus status = opal_if_send_check(tper, protocol, sp_specific, len);

    if (status == OPAL_IF_SYNC_VIOLATION) {
        opal_trace(tper, if_refused, protocol, sp_specific, len,
                   tper->response->len,
                   "the response to the last IF-SEND was not retrieved");
    } else if (status == OPAL_IF_NOT_ENABLED) {
        opal_trace(tper, if_refused, protocol, sp_specific, len, 0,
                   "TPER_RESET while TPerInfo's ProgrammaticResetEnable is "
                   "False");
    }
    if (status != OPAL_IF_OK) {
        return status;
    }
    if (protocol == OPAL_PROTOCOL_COMID_MGMT &&
        sp_specific == OPAL_COMID_BLOCK_SID) {
        return opal_block_sid_send(tper, buf, len);
    }
    if (protocol == OPAL_PROTOCOL_COMID_MGMT &&
        sp_specific == OPAL_COMID_TPER_RESET) {
        return opal_tper_reset_send(tper);
    }
    if (protocol == OPAL_PROTOCOL_COMID_MGMT) {
        return opal_comid_send(tper, sp_specific, buf, len);
    }
    opal_session_expire(tper);
    opal_session_receive(tper, buf, len);
    return OPAL_IF_OK;
}

OpalIfStatus opal_if_recv(OpalTPer *tper, uint8_t protocol,
                          uint16_t sp_specific, uint8_t *buf, size_t len)
{
    if (len > OPAL_MAX_TRANSFER) {
        return OPAL_IF_BAD_LENGTH;
    }
    switch (protocol) {
    case OPAL_PROTOCOL_INFO:
        return info_recv(sp_specific, buf, len);
    case OPAL_PROTOCOL_TCG:
        if (sp_specific == OPAL_COMID_DISCOVERY) {
            opal_discovery_encode(tper, buf, len);
        } else if (sp_specific == OPAL_BASE_COMID) {
            opal_session_expire(tper);
            recv_response(tper, buf, len);
        } else {
            return OPAL_IF_BAD_SP_SPECIFIC;
        }
        return OPAL_IF_OK;
    case OPAL_PROTOCOL_COMID_MGMT:
        return opal_comid_recv(tper, sp_specific, buf, len);
    default:
        return OPAL_IF_BAD_PROTOCOL;
    }
}
