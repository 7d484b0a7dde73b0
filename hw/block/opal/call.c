/*
 * ide-opal-hd: method invocations
 *
 * Core 2.01, 3.2.4.1 gives the token stream of a method call:
 *   Call InvokingUID MethodUID StartList args... EndList EndOfData
 *   StartList status reserved reserved EndList
 * The arguments are checked to be well nested here, once, so that method
 * handlers only ever see complete values.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "opal-internal.h"

/* Lists nest; the spec sets no depth, real calls use three or four levels. */
#define MAX_NESTING 16


static bool call_fail(const char **why, const char *reason)
{
    *why = reason;
    return false;
}

/* The extent of the value starting at tokens[i] (an atom, list or name). */
static bool value_extent(GArray *tokens, size_t i, size_t *count,
                         const char **why)
{
    const OpalToken *t = &g_array_index(tokens, OpalToken, i);
    uint8_t stack[MAX_NESTING];
    size_t depth = 0, j = i;

    if (t->type != OPAL_TOKEN_CONTROL) {
        *count = 1;
        return true;
    }
    do {
        t = &g_array_index(tokens, OpalToken, j);
        if (t->type == OPAL_TOKEN_CONTROL) {
            switch (t->control) {
            case OPAL_TK_START_LIST:
            case OPAL_TK_START_NAME:
                if (depth == MAX_NESTING) {
                    return call_fail(why, "values nested too deeply");
                }
                stack[depth++] = t->control + 1;      /* its closing token */
                break;
            case OPAL_TK_END_LIST:
            case OPAL_TK_END_NAME:
                if (depth == 0 || stack[--depth] != t->control) {
                    return call_fail(why, "unbalanced list or name");
                }
                break;
            default:
                return call_fail(why, "control token inside a value");
            }
        }
        j++;
    } while (depth > 0 && j < tokens->len);
    if (depth > 0) {
        return call_fail(why, "unterminated list or name");
    }
    *count = j - i;
    return true;
}

static bool read_uid(OpalTokenReader *r, uint64_t *uid)
{
    OpalToken t;
    OpalValue v = { &t, 1 };

    return opal_token_read(r, &t) && opal_value_uid(&v, uid);
}

static bool expect_control(OpalTokenReader *r, uint8_t control)
{
    OpalToken t;

    return opal_token_read(r, &t) && opal_token_is(&t, control);
}

/* Splits the argument tokens into required values and named optional ones. */
static bool split_args(OpalCall *call, const char **why)
{
    GArray *tokens = call->tokens;
    size_t i = 0, count;

    while (i < tokens->len) {
        const OpalToken *t = &g_array_index(tokens, OpalToken, i);
        bool named = opal_token_is(t, OPAL_TK_START_NAME);

        if (!value_extent(tokens, i, &count, why)) {
            return false;
        }
        if (!named) {
            if (call->nr_optional > 0) {
                return call_fail(why,
                                 "required argument after an optional one");
            }
            if (call->nr_required == OPAL_MAX_ARGS) {
                return call_fail(why, "too many arguments");
            }
            call->required[call->nr_required++] = (OpalValue) { t, count };
        } else {
            /*
             * StartName name value EndName: a name atom and exactly one value.
             */
            size_t value_count;

            if (count < 4 || t[1].type == OPAL_TOKEN_CONTROL ||
                !value_extent(tokens, i + 2, &value_count, why) ||
                value_count != count - 3) {
                return call_fail(why, "malformed optional argument");
            }
            if (call->nr_optional == OPAL_MAX_ARGS) {
                return call_fail(why, "too many arguments");
            }
            call->optional[call->nr_optional].name = &t[1];
            call->optional[call->nr_optional].value =
                (OpalValue) { &t[2], value_count };
            call->nr_optional++;
        }
        i += count;
    }
    return true;
}

bool opal_call_parse(OpalCall *call, const uint8_t *data, size_t len,
                     const char **why)
{
    OpalTokenReader r;
    OpalToken t;
    size_t depth = 0;

    memset(call, 0, sizeof(*call));
    call->tokens = g_array_new(false, false, sizeof(OpalToken));
    opal_token_reader_init(&r, data, len);

    if (!expect_control(&r, OPAL_TK_CALL)) {
        return call_fail(why, r.error ? r.error : "no Call token");
    }
    if (!read_uid(&r, &call->invoking_uid) ||
        !read_uid(&r, &call->method_uid)) {
        return call_fail(why, r.error ?
                                  r.error :
                                  "invoking or method UID is not 8 bytes");
    }
    if (!expect_control(&r, OPAL_TK_START_LIST)) {
        return call_fail(why, r.error ? r.error : "no argument list");
    }
    /* Collect the argument tokens up to the list's own EndList. */
    for (;;) {
        if (!opal_token_read(&r, &t)) {
            return call_fail(why,
                             r.error ? r.error : "argument list not closed");
        }
        if (opal_token_is(&t, OPAL_TK_END_LIST) && depth == 0) {
            break;
        }
        if (opal_token_is(&t, OPAL_TK_START_LIST) ||
            opal_token_is(&t, OPAL_TK_START_NAME)) {
            depth++;
        } else if (opal_token_is(&t, OPAL_TK_END_LIST) ||
                   opal_token_is(&t, OPAL_TK_END_NAME)) {
            if (depth == 0) {
                return call_fail(why, "unbalanced list or name");
            }
            depth--;
        }
        g_array_append_val(call->tokens, t);
    }
    if (!expect_control(&r, OPAL_TK_END_OF_DATA)) {
        return call_fail(why, r.error ? r.error :
                                        "no EndOfData after the arguments");
    }
    /* The host's status list: three integers, the first 0 (Core 3.2.4.2). */
    if (!expect_control(&r, OPAL_TK_START_LIST)) {
        return call_fail(why, r.error ? r.error : "no status list");
    }
    for (int i = 0; i < 3; i++) {
        if (!opal_token_read(&r, &t) || t.type != OPAL_TOKEN_UINT) {
            return call_fail(why, r.error ? r.error : "malformed status list");
        }
    }
    if (!expect_control(&r, OPAL_TK_END_LIST)) {
        return call_fail(why, r.error ? r.error : "status list not closed");
    }
    call->len = r.pos - data;
    return split_args(call, why);
}

void opal_call_clear(OpalCall *call)
{
    if (call->tokens) {
        g_array_free(call->tokens, true);
    }
    memset(call, 0, sizeof(*call));
}

const OpalValue *opal_call_optional(const OpalCall *call, uint64_t name)
{
    for (size_t i = 0; i < call->nr_optional; i++) {
        const OpalToken *n = call->optional[i].name;

        if (n->type == OPAL_TOKEN_UINT && n->uint == name) {
            return &call->optional[i].value;
        }
    }
    return NULL;
}

bool opal_value_uint(const OpalValue *v, uint64_t *out)
{
    if (v->count != 1 || v->tokens[0].type != OPAL_TOKEN_UINT) {
        return false;
    }
    *out = v->tokens[0].uint;
    return true;
}

bool opal_value_bytes(const OpalValue *v, const uint8_t **bytes, size_t *len)
{
    if (v->count != 1 || v->tokens[0].type != OPAL_TOKEN_BYTES) {
        return false;
    }
    *bytes = v->tokens[0].bytes;
    *len = v->tokens[0].len;
    return true;
}

bool opal_value_uid(const OpalValue *v, uint64_t *uid)
{
    const uint8_t *b;
    size_t len;

    if (!opal_value_bytes(v, &b, &len) || len != 8) {
        return false;
    }
    *uid = (uint64_t)opal_get_be32(b) << 32 | opal_get_be32(b + 4);
    return true;
}

bool opal_value_parse(const uint8_t *data, size_t len, GArray *tokens,
                      OpalValue *value, const char **why)
{
    OpalTokenReader r;
    OpalToken t;
    size_t count;

    g_array_set_size(tokens, 0);
    opal_token_reader_init(&r, data, len);
    while (opal_token_read(&r, &t)) {
        g_array_append_val(tokens, t);
    }
    if (r.error) {
        return call_fail(why, r.error);
    }
    if (!tokens->len) {
        return call_fail(why, "no value");
    }
    if (!value_extent(tokens, 0, &count, why)) {
        return false;
    }
    if (count != tokens->len) {
        return call_fail(why, "more than one value");
    }
    value->tokens = &g_array_index(tokens, OpalToken, 0);
    value->count = count;
    return true;
}
