/*
 * ide-opal-hd: types shared inside the TCG Storage engine
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_BLOCK_OPAL_INTERNAL_H
#define HW_BLOCK_OPAL_INTERNAL_H

#include <glib.h>
#include <stdbool.h>
#include <string.h>
#include "hw/opal/opal.h"

/* TCG Storage is big-endian on the wire (Core 3.2.2). */
static inline void opal_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8;
    p[1] = v;
}

static inline void opal_put_be32(uint8_t *p, uint32_t v)
{
    opal_put_be16(p, v >> 16);
    opal_put_be16(p + 2, v);
}

static inline void opal_put_be64(uint8_t *p, uint64_t v)
{
    opal_put_be32(p, v >> 32);
    opal_put_be32(p + 4, v);
}

static inline uint16_t opal_get_be16(const uint8_t *p)
{
    return (uint16_t)p[0] << 8 | p[1];
}

static inline uint32_t opal_get_be32(const uint8_t *p)
{
    return (uint32_t)opal_get_be16(p) << 16 | opal_get_be16(p + 2);
}

/* ComID management (protocol 0x02) requests, Core 3.3.4.7. */
typedef enum OpalComIdRequest {
    OPAL_COMID_REQ_NONE = 0,
    OPAL_COMID_REQ_VERIFY_COMID_VALID = 1,
    OPAL_COMID_REQ_STACK_RESET = 2,
} OpalComIdRequest;

struct OpalTPer {
    OpalConfig config;
    /* The last ComID management request, answered by the next IF-RECV. */
    uint32_t comid_request;
};

/* Level 0 Discovery (discovery.c): fills @buf, returns the response's length. */
size_t opal_discovery_encode(const OpalTPer *tper, uint8_t *buf, size_t len);

/* ComID management (comid.c). */
OpalIfStatus opal_comid_send(OpalTPer *tper, uint16_t comid,
                             const uint8_t *buf, size_t len);
OpalIfStatus opal_comid_recv(OpalTPer *tper, uint16_t comid,
                             uint8_t *buf, size_t len);

#endif
