/*
 * libFuzzer target: one fresh TPer driven through its transport interface
 *
 * The input is a sequence of operations, each a 6-byte header
 *
 *   byte 0     op:  bit 0     0 = IF-SEND, 1 = IF-RECV
 *                   bits 3:1  0-5: protocol/ComID from the table below
 *                             (the header's own values are ignored),
 *                             6-7: the header's raw protocol and SP Specific
 *                   bit 4     length window near OPAL_MAX_TRANSFER:
 *                             len = OPAL_MAX_TRANSFER - 256 + (raw len & 0x1ff)
 *                   bits 7:5  ignored
 *   byte 1     protocol (raw)
 *   bytes 2-3  SP Specific / ComID (raw, big-endian)
 *   bytes 4-5  transfer length in bytes (big-endian)
 *
 * followed, for IF-SEND, by that many payload bytes (zeros once the input
 * runs out).  tests/fuzz/make-seeds.py writes inputs in this format.
 *
 * Each operation is issued as the ATA transport does it (hw/ide/opal-trusted.c)
 * and every IF-RECV is checked for invariants that hold for any input.  The
 * TPer is freed at the end so that LeakSanitizer sees what it leaks.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/opal/opal.h"

#define OP_HEADER_LEN       6
#define GUARD_LEN           64
#define GUARD_BYTE          0x5a
#define FILL_BYTE           0xa5
#define COMPACKET_HDR_LEN   20

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The protocol / SP Specific pairs that reach real code. */
static const struct {
    uint8_t protocol;
    uint16_t sp_specific;
} targets[] = {
    { 0x00, 0x0000 },   /* supported security protocols */
    { 0x00, 0x0001 },   /* certificate */
    { 0x01, 0x0001 },   /* Level 0 Discovery */
    { 0x01, OPAL_BASE_COMID },  /* sessions */
    { 0x02, 0x0000 },   /* GET_COMID */
    { 0x02, OPAL_BASE_COMID },  /* VERIFY_COMID_VALID, STACK_RESET */
};

/* A drive like the one QEMU's default ide-opal-hd presents. */
static const OpalConfig config = {
    .nb_blocks = 2 * 1024 * 1024,
    .logical_block_size = 512,
    .alignment_granularity = 8,
    .nr_admins = 4,
    .nr_users = 8,
    .nr_ranges = 8,
    .mbr_size = 128 * 1024 * 1024,
    .datastore_size = 10 * 1024 * 1024,
    .msid = "msid-pin",
    .psid = "psid-pin",
    .kdf_iterations = 1,        /* speed: the fuzzer is after parsing, not PBKDF2 */
};

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz-tper: invariant failed: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            abort(); \
        } \
    } while (0)

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)p[0] << 8 | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

/* Every outcome is one of the enum's, with a name for the transport's traces. */
static bool status_valid(OpalIfStatus s)
{
    return (s == OPAL_IF_OK || s == OPAL_IF_BAD_PROTOCOL ||
            s == OPAL_IF_BAD_SP_SPECIFIC || s == OPAL_IF_BAD_LENGTH ||
            s == OPAL_IF_BAD_PAYLOAD) && strcmp(opal_if_status_name(s), "?") != 0;
}

/* IF-SEND as the transport issues it: refuse early, then hand over the data. */
static void do_send(OpalTPer *tper, uint8_t protocol, uint16_t sp,
                    const uint8_t *payload, size_t avail, size_t len)
{
    OpalIfStatus s;
    uint8_t *buf;

    if (len == 0) {
        s = opal_if_send(tper, protocol, sp, NULL, 0);
        CHECK(status_valid(s), "send status %d", s);
        return;
    }
    s = opal_if_send_check(tper, protocol, sp, len);
    CHECK(status_valid(s), "send_check status %d", s);
    CHECK(len <= OPAL_MAX_TRANSFER || s == OPAL_IF_BAD_LENGTH,
          "send_check of %zu bytes: %s", len, opal_if_status_name(s));
    if (s != OPAL_IF_OK) {
        return;
    }
    /* Exactly len bytes on the heap, so that ASan sees any over-read. */
    buf = calloc(1, len);
    memcpy(buf, payload, avail < len ? avail : len);
    s = opal_if_send(tper, protocol, sp, buf, len);
    CHECK(status_valid(s), "send status %d", s);
    free(buf);
}

static void do_recv(OpalTPer *tper, uint8_t protocol, uint16_t sp, size_t len)
{
    /* The response buffer, then a guard region the engine must not touch. */
    uint8_t *buf = malloc(len + GUARD_LEN);
    OpalIfStatus s;

    memset(buf, FILL_BYTE, len);
    memset(buf + len, GUARD_BYTE, GUARD_LEN);
    s = opal_if_recv(tper, protocol, sp, buf, len);
    CHECK(status_valid(s), "recv status %d", s);
    for (size_t i = 0; i < GUARD_LEN; i++) {
        CHECK(buf[len + i] == GUARD_BYTE, "recv (0x%02x, 0x%04x, %zu) wrote byte %zu past the end",
              protocol, sp, len, i);
    }
    if (len > OPAL_MAX_TRANSFER) {
        CHECK(s == OPAL_IF_BAD_LENGTH, "recv of %zu bytes: %s", len,
              opal_if_status_name(s));
    }
    /* A ComPacket must fit the transfer it is delivered in. */
    if (s == OPAL_IF_OK && protocol == 0x01 && sp == OPAL_BASE_COMID &&
        len >= COMPACKET_HDR_LEN) {
        uint32_t length = get_be32(buf + 16);

        CHECK((uint64_t)length + COMPACKET_HDR_LEN <= len,
              "ComPacket Length %u in a %zu-byte transfer", length, len);
    }
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    OpalTPer *tper = opal_tper_new(&config);

    while (size >= OP_HEADER_LEN) {
        uint8_t op = data[0];
        unsigned sel = (op >> 1) & 7;
        uint8_t protocol = data[1];
        uint16_t sp = get_be16(data + 2);
        size_t len = get_be16(data + 4);

        data += OP_HEADER_LEN;
        size -= OP_HEADER_LEN;
        if (sel < sizeof(targets) / sizeof(targets[0])) {
            protocol = targets[sel].protocol;
            sp = targets[sel].sp_specific;
        }
        if (op & 0x10) {
            len = OPAL_MAX_TRANSFER - 256 + (len & 0x1ff);
        }

        if (op & 1) {
            do_recv(tper, protocol, sp, len);
        } else {
            size_t avail = len < size ? len : size;

            do_send(tper, protocol, sp, data, avail, len);
            data += avail;
            size -= avail;
        }
    }
    opal_tper_free(tper);
    return 0;
}
