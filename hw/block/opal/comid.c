/*
 * ide-opal-hd: ComID management (security protocol 0x02)
 *
 * Core 2.01, 3.3.4.7: GET_COMID is an IF-RECV at ComID 0; VERIFY_COMID_VALID
 * and STACK_RESET are requests sent by IF-SEND to a ComID, whose answer the
 * host then fetches by IF-RECV from the same ComID.  The drive has a single
 * static ComID (the base ComID), which is always issued.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "opal-internal.h"

#define COMID_REQUEST_LEN       8       /* ComID, extension, request code */
#define COMID_RESPONSE_HDR_LEN  12      /* ... plus reserved and data length */

/* ComID states reported by VERIFY_COMID_VALID (Core 3.3.4.7.4). */
#define COMID_STATE_ISSUED      2

/* VERIFY_COMID_VALID data: state, then three 10-byte times we leave zero. */
#define VERIFY_COMID_DATA_LEN   (4 + 3 * 10)
#define STACK_RESET_DATA_LEN    4

/* Called for the base ComID only (opal_if_send_check). */
OpalIfStatus opal_comid_send(OpalTPer *tper, uint16_t comid,
                             const uint8_t *buf, size_t len)
{
    if (len == 0) {
        return OPAL_IF_OK;
    }
    if (len < COMID_REQUEST_LEN || opal_get_be16(buf) != comid ||
        opal_get_be16(buf + 2) != 0) {
        return OPAL_IF_BAD_PAYLOAD;
    }
    tper->comid_request = opal_get_be32(buf + 4);
    if (tper->comid_request == OPAL_COMID_REQ_STACK_RESET) {
        /* The ComID's sessions and queued responses go (Core 3.3.4.7.5). */
        opal_session_abort_all(tper);
    }
    return OPAL_IF_OK;
}

OpalIfStatus opal_comid_recv(OpalTPer *tper, uint16_t comid,
                             uint8_t *buf, size_t len)
{
    uint8_t resp[COMID_RESPONSE_HDR_LEN + VERIFY_COMID_DATA_LEN] = { 0 };
    size_t resp_len;

    if (comid == 0x0000) {
        /* GET_COMID: hand out the static ComID with extension 0. */
        opal_put_be16(resp, OPAL_BASE_COMID);
        resp_len = 4;
    } else if (comid == OPAL_BASE_COMID) {
        uint16_t data_len = 0;

        opal_put_be16(resp, comid);
        opal_put_be32(resp + 4, tper->comid_request);
        switch (tper->comid_request) {
        case OPAL_COMID_REQ_VERIFY_COMID_VALID:
            opal_put_be32(resp + COMID_RESPONSE_HDR_LEN, COMID_STATE_ISSUED);
            data_len = VERIFY_COMID_DATA_LEN;
            break;
        case OPAL_COMID_REQ_STACK_RESET:
            /* 0 = success: a reset of the only ComID cannot fail. */
            data_len = STACK_RESET_DATA_LEN;
            break;
        }
        opal_put_be16(resp + 10, data_len);
        resp_len = COMID_RESPONSE_HDR_LEN + data_len;
        tper->comid_request = OPAL_COMID_REQ_NONE;
    } else {
        return OPAL_IF_BAD_SP_SPECIFIC;
    }
    opal_reply(buf, len, resp, resp_len);
    return OPAL_IF_OK;
}
