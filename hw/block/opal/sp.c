/*
 * ide-opal-hd: the table store of a Security Provider
 *
 * Rows, cells and byte tables (sp.h).  Cells hold canonical token encodings:
 * the setters below encode, the typed getters decode, and Set stores what
 * opal_value_encode() makes of a value opal_column_accepts() has checked.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "uid.h"

static void row_free(gpointer p)
{
    OpalRow *row = p;

    for (int i = 0; i < OPAL_MAX_COLUMNS; i++) {
        g_clear_pointer(&row->cells[i], g_bytes_unref);
    }
    g_free(row);
}

static void table_free(gpointer p)
{
    OpalTable *table = p;

    g_clear_pointer(&table->rows, g_ptr_array_unref);
    if (table->chunks) {
        for (uint64_t i = 0;
             i < ((table->byte_size + OPAL_BYTE_CHUNK - 1) / OPAL_BYTE_CHUNK);
             i++) {
            g_free(table->chunks[i]);
        }
        g_free(table->chunks);
    }
    g_free(table);
}

OpalSP *opal_sp_new(uint64_t uid)
{
    OpalSP *sp = g_new0(OpalSP, 1);

    sp->uid = uid;
    sp->tables = g_ptr_array_new_with_free_func(table_free);
    /* Keys point at each row's own uid; rows are freed with their table. */
    sp->rows = g_hash_table_new(g_int64_hash, g_int64_equal);
    sp->rules = g_array_new(false, true, sizeof(OpalAccessRule));
    return sp;
}

void opal_sp_free(OpalSP *sp)
{
    if (!sp) {
        return;
    }
    g_hash_table_unref(sp->rows);
    g_ptr_array_unref(sp->tables);
    g_array_unref(sp->rules);
    g_free(sp);
}

OpalTable *opal_sp_add_table(OpalSP *sp, const OpalTableDef *def,
                             size_t byte_size)
{
    OpalTable *table = g_new0(OpalTable, 1);

    table->def = def;
    if (def->kind == OPAL_TABLE_BYTE) {
        table->byte_size = byte_size;
        table->chunks = g_new0(uint8_t *, ((byte_size + OPAL_BYTE_CHUNK - 1) /
                                           OPAL_BYTE_CHUNK));
    } else {
        table->rows = g_ptr_array_new_with_free_func(row_free);
    }
    g_ptr_array_add(sp->tables, table);
    return table;
}

static int row_compare(gconstpointer a, gconstpointer b)
{
    const OpalRow *ra = *(OpalRow *const *)a, *rb = *(OpalRow *const *)b;

    return ra->uid < rb->uid ? -1 : ra->uid > rb->uid;
}

OpalRow *opal_table_add_row(OpalSP *sp, OpalTable *table, uint64_t uid)
{
    OpalRow *row = g_new0(OpalRow, 1);

    g_assert(table->rows && !opal_sp_row(sp, uid));
    row->uid = uid;
    row->def = table->def;
    /* UID is column 0 of every object table (Core 5.1.2). */
    opal_row_set_uid(row, 0, uid);
    g_ptr_array_add(table->rows, row);
    g_ptr_array_sort(table->rows, row_compare);
    g_hash_table_insert(sp->rows, &row->uid, row);
    return row;
}

void opal_table_read(const OpalTable *table, uint64_t offset, uint8_t *buf,
                     size_t len)
{
    g_assert(offset <= table->byte_size && len <= table->byte_size - offset);
    while (len) {
        const uint8_t *chunk = table->chunks[offset / OPAL_BYTE_CHUNK];
        size_t in = offset % OPAL_BYTE_CHUNK,
               n = MIN(len, OPAL_BYTE_CHUNK - in);

        if (chunk) {
            memcpy(buf, chunk + in, n);
        } else {
            memset(buf, 0, n);
        }
        buf += n;
        offset += n;
        len -= n;
    }
}

void opal_table_write(OpalTable *table, uint64_t offset, const uint8_t *buf,
                      size_t len)
{
    g_assert(offset <= table->byte_size && len <= table->byte_size - offset);
    while (len) {
        uint8_t **chunk = &table->chunks[offset / OPAL_BYTE_CHUNK];
        size_t in = offset % OPAL_BYTE_CHUNK,
               n = MIN(len, OPAL_BYTE_CHUNK - in);

        if (!*chunk) {
            *chunk = g_malloc0(OPAL_BYTE_CHUNK);
        }
        memcpy(*chunk + in, buf, n);
        buf += n;
        offset += n;
        len -= n;
    }
}

/* ---- cells --------------------------------------------------------------- */

/* Any cell may hold a PIN or a key for a while: each wipes itself when freed */
static void set_cell(OpalRow *row, uint32_t column, GByteArray *encoded)
{
    g_assert(column < OPAL_MAX_COLUMNS);
    g_clear_pointer(&row->cells[column], g_bytes_unref);
    row->cells[column] = opal_secret_bytes_from_array(encoded);
}

void opal_row_set_uint(OpalRow *row, uint32_t column, uint64_t value)
{
    GByteArray *b = g_byte_array_new();

    opal_token_put_uint(b, value);
    set_cell(row, column, b);
}

void opal_row_set_bytes(OpalRow *row, uint32_t column, const void *data,
                        size_t len)
{
    /* Room for the longest header: a key or PIN never moves, so never copied */
    GByteArray *b = g_byte_array_sized_new(4 + len);

    opal_token_put_bytes(b, data, len);
    set_cell(row, column, b);
}

void opal_row_set_string(OpalRow *row, uint32_t column, const char *s)
{
    opal_row_set_bytes(row, column, s, strlen(s));
}

void opal_row_set_uid(OpalRow *row, uint32_t column, uint64_t uid)
{
    GByteArray *b = g_byte_array_new();

    opal_token_put_uid(b, uid);
    set_cell(row, column, b);
}

static void set_list(OpalRow *row, uint32_t column, const uint64_t *values,
                     size_t n, void (*put)(GByteArray *, uint64_t))
{
    GByteArray *b = g_byte_array_new();

    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (size_t i = 0; i < n; i++) {
        put(b, values[i]);
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    set_cell(row, column, b);
}

void opal_row_set_uint_list(OpalRow *row, uint32_t column,
                            const uint64_t *values, size_t n)
{
    set_list(row, column, values, n, opal_token_put_uint);
}

void opal_row_set_uid_list(OpalRow *row, uint32_t column, const uint64_t *uids,
                           size_t n)
{
    set_list(row, column, uids, n, opal_token_put_uid);
}

/* One BooleanExpr element: StartName half-UID value EndName (Core 5.1.3.3). */
static void put_expr_term(GByteArray *b, uint32_t half_uid, uint64_t uid,
                          bool is_uid)
{
    uint8_t half[4];

    opal_put_be32(half, half_uid);
    opal_token_put_control(b, OPAL_TK_START_NAME);
    opal_token_put_bytes(b, half, sizeof(half));
    if (is_uid) {
        opal_token_put_uid(b, uid);
    } else {
        opal_token_put_uint(b, uid);
    }
    opal_token_put_control(b, OPAL_TK_END_NAME);
}

void opal_row_set_ace_any_of(OpalRow *row, uint32_t column,
                             const uint64_t *authorities, size_t n)
{
    GByteArray *b = g_byte_array_new();

    /* n authorities and n - 1 ORs: no more than a Set may store (sp.h). */
    g_assert(2 * n <= OPAL_ACE_EXPR_MAX_ELEMENTS + 1);
    opal_token_put_control(b, OPAL_TK_START_LIST);
    for (size_t i = 0; i < n; i++) {
        put_expr_term(b, OPAL_HALF_UID_AUTHORITY_OBJECT_REF, authorities[i],
                      true);
        if (i > 0) {
            put_expr_term(b, OPAL_HALF_UID_BOOLEAN_ACE, OPAL_BOOLEAN_OR,
                          false);
        }
    }
    opal_token_put_control(b, OPAL_TK_END_LIST);
    set_cell(row, column, b);
}

void opal_sp_allow(OpalSP *sp, uint64_t invoking, uint64_t method,
                   const uint64_t *aces, size_t n)
{
    OpalAccessRule rule = { .invoking = invoking,
                            .method = method,
                            .nr_acl = n };

    g_assert(n <= OPAL_MAX_ACL);
    memcpy(rule.acl, aces, n * sizeof(*aces));
    g_array_append_val(sp->rules, rule);
}

void opal_sp_allow_replace(OpalSP *sp, uint64_t invoking, uint64_t method,
                           const uint64_t *aces, size_t n)
{
    opal_sp_disallow(sp, invoking, method);
    opal_sp_allow(sp, invoking, method, aces, n);
}

void opal_sp_disallow(OpalSP *sp, uint64_t invoking, uint64_t method)
{
    for (guint i = 0; i < sp->rules->len; i++) {
        const OpalAccessRule *rule =
            &g_array_index(sp->rules, OpalAccessRule, i);

        if (rule->invoking == invoking && rule->method == method) {
            g_array_remove_index(sp->rules, i);
            return;
        }
    }
}

OpalRow *opal_sp_row(const OpalSP *sp, uint64_t uid)
{
    return g_hash_table_lookup(sp->rows, &uid);
}

OpalTable *opal_sp_table(const OpalSP *sp, uint64_t table_uid)
{
    for (guint i = 0; i < sp->tables->len; i++) {
        OpalTable *t = g_ptr_array_index(sp->tables, i);

        if (t->def->uid == table_uid) {
            return t;
        }
    }
    return NULL;
}

const OpalColumn *opal_table_column(const OpalTableDef *def, uint32_t number)
{
    for (size_t i = 0; i < def->nr_columns; i++) {
        if (def->columns[i].number == number) {
            return &def->columns[i];
        }
    }
    return NULL;
}

static void cell_reader(GBytes *cell, OpalTokenReader *r)
{
    gsize len;
    const uint8_t *data = g_bytes_get_data(cell, &len);

    opal_token_reader_init(r, data, len);
}

/* The single token of a one-token cell. */
static bool cell_token(GBytes *cell, OpalToken *t)
{
    OpalTokenReader r;
    OpalToken extra;

    if (!cell) {
        return false;
    }
    cell_reader(cell, &r);
    return opal_token_read(&r, t) && !opal_token_read(&r, &extra);
}

bool opal_cell_get_uint(GBytes *cell, uint64_t *value)
{
    OpalToken t;

    if (!cell_token(cell, &t) || t.type != OPAL_TOKEN_UINT) {
        return false;
    }
    *value = t.uint;
    return true;
}

uint64_t opal_cell_uint_set(GBytes *cell)
{
    OpalTokenReader r;
    OpalToken t;
    uint64_t set = 0;

    if (!cell) {
        return 0;
    }
    cell_reader(cell, &r);
    while (opal_token_read(&r, &t)) {
        if (t.type == OPAL_TOKEN_UINT && t.uint < 64) {
            set |= 1ULL << t.uint;
        }
    }
    return set;
}

static GBytes *row_cell(const OpalRow *row, uint32_t column)
{
    return column < OPAL_MAX_COLUMNS ? row->cells[column] : NULL;
}

bool opal_row_get_uint(const OpalRow *row, uint32_t column, uint64_t *value)
{
    return opal_cell_get_uint(row_cell(row, column), value);
}

bool opal_row_get_bytes(const OpalRow *row, uint32_t column,
                        const uint8_t **data, size_t *len)
{
    OpalToken t;

    if (!cell_token(row_cell(row, column), &t) || t.type != OPAL_TOKEN_BYTES) {
        return false;
    }
    *data = t.bytes;
    *len = t.len;
    return true;
}

bool opal_row_get_uid(const OpalRow *row, uint32_t column, uint64_t *uid)
{
    const uint8_t *b;
    size_t len;

    if (!opal_row_get_bytes(row, column, &b, &len) || len != 8) {
        return false;
    }
    *uid = (uint64_t)opal_get_be32(b) << 32 | opal_get_be32(b + 4);
    return true;
}

/* ---- values from the host ------------------------------------------------ */

static void put_sint(GByteArray *out, int64_t v)
{
    uint8_t be[8];
    size_t n = 8;

    if (v >= -32 && v < 32) {
        uint8_t tiny = 0x40 | (v & 0x3f);

        g_byte_array_append(out, &tiny, 1);
        return;
    }
    opal_put_be64(be, v);
    /* Drop leading bytes that only repeat the sign. */
    while (n > 1 && ((be[8 - n] == 0x00 && !(be[9 - n] & 0x80)) ||
                     (be[8 - n] == 0xff && (be[9 - n] & 0x80)))) {
        n--;
    }
    {
        uint8_t hdr = 0x90 | n;

        g_byte_array_append(out, &hdr, 1);
        g_byte_array_append(out, be + 8 - n, n);
    }
}

GBytes *opal_value_encode(const OpalValue *value)
{
    GByteArray *b;
    size_t room = 0;

    /*
     * A value may be a new PIN: room for the longest encoding of each token
     * (header and bytes, or 9 bytes of integer), so that the array never
     * moves and leaves a copy of it behind.
     */
    for (size_t i = 0; i < value->count; i++) {
        const OpalToken *t = &value->tokens[i];

        room += t->type == OPAL_TOKEN_BYTES ? 4 + t->len : 9;
    }
    b = g_byte_array_sized_new(room);
    for (size_t i = 0; i < value->count; i++) {
        const OpalToken *t = &value->tokens[i];

        switch (t->type) {
        case OPAL_TOKEN_UINT:
            opal_token_put_uint(b, t->uint);
            break;
        case OPAL_TOKEN_SINT:
            put_sint(b, t->sint);
            break;
        case OPAL_TOKEN_BYTES:
            opal_token_put_bytes(b, t->bytes, t->len);
            break;
        case OPAL_TOKEN_CONTROL:
            opal_token_put_control(b, t->control);
            break;
        }
    }
    return opal_secret_bytes_from_array(b);
}


static bool is_uid(const OpalToken *t)
{
    return t->type == OPAL_TOKEN_BYTES && t->len == 8;
}

static bool is_half_uid(const OpalToken *t, uint32_t half)
{
    return t->type == OPAL_TOKEN_BYTES && t->len == 4 &&
           opal_get_be32(t->bytes) == half;
}

/*
 * A list of at most @max_elements elements, each one token that @element_ok
 * accepts.  The bound keeps every cell, and so the saved state, of a size
 * known in advance: the state must always fit its slot (hw/ide/opal-state.c).
 */
static bool flat_list_of(const OpalValue *v, const OpalColumn *c,
                         size_t max_elements,
                         bool (*element_ok)(const OpalToken *,
                                            const OpalColumn *))
{
    const OpalToken *t = v->tokens;

    if (v->count < 2 || !opal_token_is(&t[0], OPAL_TK_START_LIST) ||
        !opal_token_is(&t[v->count - 1], OPAL_TK_END_LIST) ||
        v->count - 2 > max_elements) {
        return false;
    }
    for (size_t i = 1; i + 1 < v->count; i++) {
        if (!element_ok(&t[i], c)) {
            return false;
        }
    }
    return true;
}

static bool enum_element(const OpalToken *t, const OpalColumn *c)
{
    return t->type == OPAL_TOKEN_UINT && t->uint <= c->max;
}

static bool uid_element(const OpalToken *t, const OpalColumn *c)
{
    return is_uid(t);
}

/*
 * ACE BooleanExpr (Core 5.1.3.3 AC_element, 5.3.2 ACE): a postfix list of
 * authority references and AND/OR/NOT; it must reduce to one truth value (or
 * be empty, which is False), with at most OPAL_ACE_EXPR_MAX_ELEMENTS elements
 * and OPAL_ACE_EXPR_MAX_DEPTH operands pending at once, the evaluator's
 * stack (acl.c): every access check walks it.
 */
static bool ace_expr_valid(const OpalValue *v)
{
    const OpalToken *t = v->tokens;
    int depth = 0;
    size_t i;

    if (v->count < 2 || !opal_token_is(&t[0], OPAL_TK_START_LIST) ||
        !opal_token_is(&t[v->count - 1], OPAL_TK_END_LIST) ||
        (v->count - 2) / 4 > OPAL_ACE_EXPR_MAX_ELEMENTS) {
        return false;
    }
    for (i = 1; i + 4 <= v->count - 1; i += 4) {
        if (!opal_token_is(&t[i], OPAL_TK_START_NAME) ||
            !opal_token_is(&t[i + 3], OPAL_TK_END_NAME)) {
            return false;
        }
        if (is_half_uid(&t[i + 1], OPAL_HALF_UID_AUTHORITY_OBJECT_REF) &&
            is_uid(&t[i + 2])) {
            if (++depth > OPAL_ACE_EXPR_MAX_DEPTH) {
                return false;
            }
        } else if (is_half_uid(&t[i + 1], OPAL_HALF_UID_BOOLEAN_ACE) &&
                   t[i + 2].type == OPAL_TOKEN_UINT &&
                   t[i + 2].uint <= OPAL_BOOLEAN_NOT) {
            int operands = t[i + 2].uint == OPAL_BOOLEAN_NOT ? 1 : 2;

            if (depth < operands) {
                return false;
            }
            depth -= operands - 1;
        } else {
            return false;
        }
    }
    return i == v->count - 1 && depth <= 1;
}

bool opal_column_accepts(const OpalColumn *c, const OpalValue *v)
{
    const OpalToken *t = v->tokens;

    switch (c->type) {
    case OPAL_T_UINT:
        return v->count == 1 && t->type == OPAL_TOKEN_UINT &&
               (!c->max || t->uint <= c->max);
    case OPAL_T_BOOL:
        return v->count == 1 && t->type == OPAL_TOKEN_UINT && t->uint <= 1;
    case OPAL_T_ENUM:
        return v->count == 1 && enum_element(t, c);
    case OPAL_T_ENUM_SUPPORTED:
        return v->count == 1 && t->type == OPAL_TOKEN_UINT && t->uint < 64 &&
               (c->max & (1ULL << t->uint));
    case OPAL_T_BYTES:
        return v->count == 1 && t->type == OPAL_TOKEN_BYTES && t->len <= c->max;
    case OPAL_T_UIDREF:
        return v->count == 1 && is_uid(t);
    case OPAL_T_ENUM_LIST:
        /* No longer than a set of the values (Core 5.1.3.58 reset_types) */
        return flat_list_of(v, c, c->max + 1, enum_element);
    case OPAL_T_UID_LIST:
        return flat_list_of(v, c, OPAL_UID_LIST_MAX_ELEMENTS, uid_element);
    case OPAL_T_ACE_EXPR:
        return ace_expr_valid(v);
    case OPAL_T_ANY:
        return true;
    }
    return false;
}
