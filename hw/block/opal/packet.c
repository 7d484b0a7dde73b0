/*
 * ide-opal-hd: ComPacket, Packet and SubPacket framing
 *
 * Core 2.01, 3.2.3.  Every length field is checked against the bytes that
 * really arrived before anything is read through it; the IF-SEND transfer is
 * usually longer than the ComPacket (padded to whole 512-byte blocks).
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "opal-internal.h"

#define SUBPACKET_KIND_DATA     0x0000

/* SubPacket payloads are padded to a multiple of 4 bytes (Core 3.2.3.4). */
static size_t pad4(size_t len)
{
    return (len + 3) & ~(size_t)3;
}

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

static bool parse_fail(const char **why, const char *reason)
{
    *why = reason;
    return false;
}

bool opal_packet_parse(const uint8_t *buf, size_t len, uint16_t comid,
                       OpalPacket *pkt, const char **why)
{
    const uint8_t *packet, *sub;
    uint32_t compacket_len, packet_len, sub_len;

    if (len < OPAL_COMPACKET_HEADER_LEN) {
        return parse_fail(why, "shorter than a ComPacket header");
    }
    if (opal_get_be16(buf + 4) != comid || opal_get_be16(buf + 6) != 0) {
        return parse_fail(why, "ComPacket for another ComID");
    }
    compacket_len = opal_get_be32(buf + 16);
    if (compacket_len > len - OPAL_COMPACKET_HEADER_LEN) {
        return parse_fail(why, "ComPacket length beyond the transfer");
    }
    if (compacket_len < OPAL_PACKET_HEADER_LEN) {
        return parse_fail(why, "ComPacket holds no Packet");
    }

    packet = buf + OPAL_COMPACKET_HEADER_LEN;
    /* Whatever is wrong further in, the Packet says whose it is. */
    pkt->tsn = opal_get_be32(packet);
    pkt->hsn = opal_get_be32(packet + 4);
    packet_len = opal_get_be32(packet + 20);
    if (packet_len > compacket_len - OPAL_PACKET_HEADER_LEN) {
        return parse_fail(why, "Packet length beyond the ComPacket");
    }
    if (!all_zero(packet + OPAL_PACKET_HEADER_LEN + packet_len,
                  compacket_len - OPAL_PACKET_HEADER_LEN - packet_len)) {
        return parse_fail(why, "more than one Packet (MaxPackets is 1)");
    }
    if (packet_len < OPAL_SUBPACKET_HEADER_LEN) {
        return parse_fail(why, "Packet holds no SubPacket");
    }

    sub = packet + OPAL_PACKET_HEADER_LEN;
    sub_len = opal_get_be32(sub + 8);
    if (opal_get_be16(sub + 6) != SUBPACKET_KIND_DATA) {
        return parse_fail(why, "SubPacket is not a data SubPacket");
    }
    if (sub_len > packet_len - OPAL_SUBPACKET_HEADER_LEN) {
        return parse_fail(why, "SubPacket length beyond the Packet");
    }
    if (!all_zero(sub + OPAL_SUBPACKET_HEADER_LEN + sub_len,
                  packet_len - OPAL_SUBPACKET_HEADER_LEN - sub_len)) {
        return parse_fail(why, "more than one SubPacket (MaxSubpackets is 1)");
    }

    pkt->seq_number = opal_get_be32(packet + 8);
    pkt->data = sub + OPAL_SUBPACKET_HEADER_LEN;
    pkt->len = sub_len;
    return true;
}

GByteArray *opal_packet_build(uint16_t comid, uint32_t tsn, uint32_t hsn,
                              const uint8_t *tokens, size_t len)
{
    size_t sub_len = OPAL_SUBPACKET_HEADER_LEN + pad4(len);
    size_t packet_len = OPAL_PACKET_HEADER_LEN + sub_len;
    size_t total = OPAL_COMPACKET_HEADER_LEN + packet_len;
    GByteArray *out = g_byte_array_sized_new(total);
    uint8_t *p;

    g_byte_array_set_size(out, total);
    p = out->data;
    memset(p, 0, total);
    opal_put_be16(p + 4, comid);
    opal_put_be32(p + 16, packet_len);
    p += OPAL_COMPACKET_HEADER_LEN;
    opal_put_be32(p, tsn);
    opal_put_be32(p + 4, hsn);
    opal_put_be32(p + 20, sub_len);
    p += OPAL_PACKET_HEADER_LEN;
    opal_put_be16(p + 6, SUBPACKET_KIND_DATA);
    opal_put_be32(p + 8, len);
    memcpy(p + OPAL_SUBPACKET_HEADER_LEN, tokens, len);
    return out;
}
