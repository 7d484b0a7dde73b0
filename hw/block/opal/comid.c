/*
 * ide-opal-hd: ComID management (security protocol 0x02)
 *
 * Core 2.01, 3.3.4.7: GET_COMID is an IF-RECV at ComID 0; VERIFY_COMID_VALID
 * and STACK_RESET are requests sent by IF-SEND to a ComID, whose answer the
 * host then fetches by IF-RECV from the same ComID.  The drive has a single
 * static ComID (the base ComID), which is always issued.
 *
 * It has no dynamic ComIDs (Core 3.3.4.3.1: GET_COMID allocating one of
 * 0x1000-0xFFFF, which a TPER_RESET returns to Inactive, Opal 3.2.3).
 * Opal leaves ComID management vendor unique (Opal SSC 2.01, 3.1.1.2: ComID
 * Mgmt Supported = VU; 3.2.1: only its support is reported) and no Opal
 * test case uses it; what Opal requires is a static ComID kept Active
 * (3.3.3), STACK_RESET (3.2.2) and TPER_RESET (3.2.3).  So Level 0
 * Discovery should not claim ComID Mgmt Supported; IF-SEND and IF-RECV on
 * 0x1000-0xFFFF are refused as unsupported ComIDs, with "Other Invalid
 * Command Parameter" (Opal 3.3.3's first choice).  A host that sends
 * GET_COMID all the same gets the one ComID it can use - the static one,
 * extension 0, always Issued - rather than an error: go-tcg-storage opens
 * its control session with GET_COMID unless told a ComID.
 *
 * Protocol 0x02 also carries two commands at ComIDs of their own: TPER_RESET
 * (Opal 3.2.3) at 0x0004, and Block SID (TCG Storage Feature Set: Block SID
 * Authentication) at 0x0005.  A host's firmware sends Block SID at every
 * boot: until the next power cycle nobody can authenticate as SID, the
 * AdminSP's owner, so that malware cannot take ownership of a drive whose
 * SID PIN is still the MSID anybody can read - the firmware has "closed the
 * door" before the OS runs.  The state is volatile.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp-tables.h"
#include "uid.h"

#define COMID_REQUEST_LEN       8       /* ComID, extension, request code */
#define COMID_RESPONSE_HDR_LEN  12      /* ... plus reserved and data length */

/*
 * ComID states reported by VERIFY_COMID_VALID (Core 3.3.4.7.4): 0 Invalid,
 * 1 Inactive, 2 Issued, 3 Associated.  The static ComID is Issued, one of
 * the two Active states Opal 3.3.3 keeps it in, whatever its sessions.
 */
#define COMID_STATE_ISSUED      2

/*
 * VERIFY_COMID_VALID data: state, then three 10-byte times (allocation,
 * expiry, last reset) left zero: a static ComID is never allocated and
 * never expires.
 */
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
    if (opal_get_be32(buf + 4) == OPAL_COMID_REQ_STACK_RESET) {
        /*
         * The ComID's sessions and queued responses go (Core 3.3.4.7.5),
         * before the request is noted: its own answer stays.
         */
        opal_session_abort_all(tper);
    }
    tper->comid_request = opal_get_be32(buf + 4);
    return OPAL_IF_OK;
}

OpalIfStatus opal_comid_recv(OpalTPer *tper, uint16_t comid,
                             uint8_t *buf, size_t len)
{
    uint8_t resp[COMID_RESPONSE_HDR_LEN + VERIFY_COMID_DATA_LEN] = { 0 };
    size_t resp_len;

    if (comid == 0x0000) {
        /* GET_COMID: no dynamic ComIDs; the static one, extension 0. */
        opal_put_be16(resp, OPAL_BASE_COMID);
        resp_len = 4;
    } else if (comid == OPAL_COMID_BLOCK_SID) {
        /*
         * The Block SID command has no response: the host gets what a ComID
         * with no request pending gives (request code 0, no data).
         */
        opal_put_be16(resp, comid);
        resp_len = COMID_RESPONSE_HDR_LEN;
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

/* ---- TPER_RESET ---------------------------------------------------------- */

/*
 * TPerInfo's ProgrammaticResetEnable (Opal 4.2.3.1): False as shipped, and
 * only SID may set it, so that no software below the owner's can reset the
 * TPer - which relocks ranges and clears MBR Done - unless the owner says so.
 */
bool opal_tper_reset_enabled(const OpalTPer *tper)
{
    const OpalRow *info = opal_sp_row(tper->admin_sp, OPAL_UID_TPERINFO_OBJ);
    uint64_t enabled = 0;

    return info &&
           opal_row_get_uint(info, OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE,
                             &enabled) && enabled;
}

/*
 * Called when enabled, with data (opal_if_send_check); the data is ignored.
 * Opal 3.2.3 lists what happens before the next IF-SEND or IF-RECV, all of
 * it a TCG reset of type Programmatic (opal_tper_reset): sessions aborted
 * (no transaction or dynamic ComID exists to abort), the synchronous
 * protocol back to "Awaiting IF-SEND" with every response and ComID request
 * dropped, host properties back to their initial values, ReadLocked and
 * WriteLocked set where LockOnReset lists Programmatic, MBRControl.Done
 * cleared if DoneOnReset does.  The Block SID state stays (it ends on power
 * cycles and, if asked, hardware resets only).  No response follows.
 */
OpalIfStatus opal_tper_reset_send(OpalTPer *tper)
{
    opal_trace(tper, tper_event, 0,
               "TPER_RESET: a Programmatic reset of the TPer");
    opal_tper_reset(tper, OPAL_RESET_PROGRAMMATIC);
    return OPAL_IF_OK;
}

/* ---- Block SID Authentication -------------------------------------------- */

/*
 * Called with @len >= 1 (opal_if_send_check); bytes after the first are
 * reserved.
 */
OpalIfStatus opal_block_sid_send(OpalTPer *tper, const uint8_t *buf, size_t len)
{
    /*
     * Clear Events bits other than Hardware Reset are reserved: ignored, as a
     * later version of the feature set may define them.  A second command
     * while blocked only replaces the Clear Events (the last one counts).
     */
    tper->sid_block_clear_events = buf[0] & OPAL_BLOCK_SID_CLEAR_HW_RESET;
    tper->sid_blocked = true;
    opal_trace(tper, tper_event, OPAL_UID_AUTH_SID,
               tper->sid_block_clear_events ?
               "Block SID: authentication as SID blocked until the next power "
               "cycle or hardware reset" :
               "Block SID: authentication as SID blocked until the next power "
               "cycle");
    return OPAL_IF_OK;
}

/*
 * Block SID Authentication feature set: a power cycle always ends the
 * blocked state (and forgets the Clear Events), a hardware reset only if the
 * command's Clear Events asked for it; other resets leave it.
 */
void opal_block_sid_reset(OpalTPer *tper, OpalReset type)
{
    bool hw = tper->sid_block_clear_events & OPAL_BLOCK_SID_CLEAR_HW_RESET;

    if (type == OPAL_RESET_POWER_CYCLE) {
        if (tper->sid_blocked) {
            opal_trace(tper, tper_event, OPAL_UID_AUTH_SID,
                       "Block SID: the power cycle ends the SID "
                       "Authentication Blocked State");
        }
        tper->sid_blocked = false;
        tper->sid_block_clear_events = 0;
    } else if (type == OPAL_RESET_HARDWARE && hw && tper->sid_blocked) {
        opal_trace(tper, tper_event, OPAL_UID_AUTH_SID,
                   "Block SID: the hardware reset ends the SID Authentication "
                   "Blocked State (Clear Events: Hardware Reset)");
        tper->sid_blocked = false;
    }
}

/*
 * Only SID, in the AdminSP, is blocked: the PSID (a PSID revert) and every
 * authority of the LockingSP still authenticate.
 */
bool opal_block_sid_blocks(const OpalTPer *tper, const OpalSP *sp,
                           uint64_t authority)
{
    return tper->sid_blocked && sp == tper->admin_sp &&
           authority == OPAL_UID_AUTH_SID;
}
