/*
 * ide-opal-hd: token encoding and decoding
 *
 * Core 2.01, 3.2.2.3.1 defines four atom encodings, told apart by the first
 * byte's high bits:
 *   tiny    0 S d5..d0              integer in the byte itself
 *   short   1 0 B S L3..L0          up to 15 bytes follow
 *   medium  1 1 0 B S L10..L8 + 1   up to 2047 bytes follow
 *   long    1 1 1 0 0 0 B S + 3     up to 16 MiB follow
 * B = 1 marks a byte sequence, otherwise S = 1 marks a signed integer; for a
 * byte sequence S is the "continued" flag, a stream of fragments this drive
 * does not accept (it announces no use for them).  0xF0..0xFF are control
 * tokens; the empty atom (0xFF) carries nothing and is skipped.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "opal-internal.h"

void opal_token_reader_init(OpalTokenReader *r, const uint8_t *buf, size_t len)
{
    r->pos = buf;
    r->end = buf + len;
    r->error = NULL;
}

static bool read_fail(OpalTokenReader *r, const char *why)
{
    r->error = why;
    r->pos = r->end;
    return false;
}

static bool control_token_valid(uint8_t b)
{
    switch (b) {
    case OPAL_TK_START_LIST:
    case OPAL_TK_END_LIST:
    case OPAL_TK_START_NAME:
    case OPAL_TK_END_NAME:
    case OPAL_TK_CALL:
    case OPAL_TK_END_OF_DATA:
    case OPAL_TK_END_OF_SESSION:
    case OPAL_TK_START_TRANSACTION:
    case OPAL_TK_END_TRANSACTION:
        return true;
    default:
        return false;
    }
}

/* An integer atom's payload: big-endian, at most 64 significant bits. */
static bool read_integer(OpalTokenReader *r, OpalToken *t, const uint8_t *data,
                         size_t len, bool is_signed)
{
    uint64_t v = 0;

    if (len == 0) {
        return read_fail(r, "integer atom of length 0");
    }
    for (size_t i = 0; i < len; i++) {
        if (v >> 56) {
            return read_fail(r, "integer atom wider than 64 bits");
        }
        v = v << 8 | data[i];
    }
    if (is_signed) {
        t->type = OPAL_TOKEN_SINT;
        /* Sign-extend from the atom's own width. */
        t->sint = len >= 8 ? (int64_t)v :
                             (int64_t)(v << (64 - 8 * len)) >> (64 - 8 * len);
    } else {
        t->type = OPAL_TOKEN_UINT;
        t->uint = v;
    }
    return true;
}

bool opal_token_read(OpalTokenReader *r, OpalToken *t)
{
    const uint8_t *p;
    size_t hdr, len;
    bool is_bytes, flag_s;
    uint8_t b;

    do {
        if (r->pos >= r->end) {
            return false;
        }
        b = *r->pos;
        if (b == OPAL_TK_EMPTY) {
            r->pos++;
        }
    } while (b == OPAL_TK_EMPTY);

    memset(t, 0, sizeof(*t));
    p = r->pos;
    if (b < 0x80) {
        /* Tiny atom: a 6-bit integer, signed if bit 6 is set. */
        if (b & 0x40) {
            t->type = OPAL_TOKEN_SINT;
            t->sint = (b & 0x20) ? (int64_t)(b & 0x3f) - 64 : (b & 0x3f);
        } else {
            t->type = OPAL_TOKEN_UINT;
            t->uint = b & 0x3f;
        }
        r->pos++;
        return true;
    }
    if (b >= 0xf0) {
        if (!control_token_valid(b)) {
            return read_fail(r, "reserved control token");
        }
        t->type = OPAL_TOKEN_CONTROL;
        t->control = b;
        r->pos++;
        return true;
    }
    if (b < 0xc0) {                         /* short */
        hdr = 1;
        is_bytes = b & 0x20;
        flag_s = b & 0x10;
        len = b & 0x0f;
    } else if (b < 0xe0) {                  /* medium */
        hdr = 2;
        if (r->end - p < 2) {
            return read_fail(r, "truncated medium atom header");
        }
        is_bytes = b & 0x10;
        flag_s = b & 0x08;
        len = (b & 0x07) << 8 | p[1];
    } else if (b < 0xe4) {                  /* long */
        hdr = 4;
        if (r->end - p < 4) {
            return read_fail(r, "truncated long atom header");
        }
        is_bytes = b & 0x02;
        flag_s = b & 0x01;
        len = (size_t)p[1] << 16 | p[2] << 8 | p[3];
    } else {
        return read_fail(r, "reserved token");
    }
    if ((size_t)(r->end - p) - hdr < len) {
        return read_fail(r, "atom longer than the data");
    }
    r->pos = p + hdr + len;
    if (!is_bytes) {
        return read_integer(r, t, p + hdr, len, flag_s);
    }
    if (flag_s) {
        return read_fail(r, "continued byte sequence");
    }
    t->type = OPAL_TOKEN_BYTES;
    t->bytes = p + hdr;
    t->len = len;
    return true;
}

void opal_token_put_uint(GByteArray *out, uint64_t value)
{
    uint8_t be[8];
    size_t n = 0;

    if (value < 0x40) {
        uint8_t tiny = value;

        g_byte_array_append(out, &tiny, 1);
        return;
    }
    opal_put_be64(be, value);
    while (be[n] == 0) {
        n++;
    }
    {
        uint8_t hdr = 0x80 | (8 - n);

        g_byte_array_append(out, &hdr, 1);
        g_byte_array_append(out, be + n, 8 - n);
    }
}

void opal_token_put_bytes(GByteArray *out, const void *data, size_t len)
{
    uint8_t hdr[4];
    size_t hdr_len;

    g_assert(len < (1u << 24));
    if (len < 16) {
        hdr[0] = 0xa0 | len;
        hdr_len = 1;
    } else if (len < 2048) {
        hdr[0] = 0xd0 | len >> 8;
        hdr[1] = len;
        hdr_len = 2;
    } else {
        hdr[0] = 0xe2;
        hdr[1] = len >> 16;
        hdr[2] = len >> 8;
        hdr[3] = len;
        hdr_len = 4;
    }
    g_byte_array_append(out, hdr, hdr_len);
    g_byte_array_append(out, data, len);
}

void opal_token_put_uid(GByteArray *out, uint64_t uid)
{
    uint8_t be[8];

    opal_put_be64(be, uid);
    opal_token_put_bytes(out, be, sizeof(be));
}

void opal_token_put_control(GByteArray *out, uint8_t control)
{
    g_byte_array_append(out, &control, 1);
}
