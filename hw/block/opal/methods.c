/*
 * ide-opal-hd: the methods of the SPs
 *
 * Core 5.3.3 (Get, Set, Next, GetACL, Authenticate), Opal 4.2.6/4.3.4
 * (Random).  opal_method_invoke() is the one gate: it finds the method, asks
 * access control whether the session may invoke it on that object and which
 * columns it may touch, runs it, and frames results and status (Core
 * 3.2.4.2); a failed method returns an empty result list.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

/* Cellblock names (Core 5.1.3.9) and Set's parameter names (Core 5.3.3.7). */
enum {
    CELL_TABLE = 0,
    CELL_START_ROW = 1,
    CELL_END_ROW = 2,
    CELL_START_COLUMN = 3,
    CELL_END_COLUMN = 4,
};
enum {
    SET_WHERE = 0,
    SET_VALUES = 1,
};
enum {
    NEXT_WHERE = 0,
    NEXT_COUNT = 1,
};

#define RANDOM_MAX_COUNT    32      /* Opal 4.2.6.1: at least 32 bytes */

/*
 * The ComPacket a method's results travel in: the three headers, then the
 * results with their list's two tokens, EndOfData and the 5-byte status list,
 * padded to 4 bytes.  Linux sizes its DataStore reads (1981 bytes) so that this
 * is exactly its 2048-byte buffer.
 */
static size_t response_size(size_t results_len)
{
    return OPAL_COMPACKET_HEADER_LEN + OPAL_PACKET_HEADER_LEN +
           OPAL_SUBPACKET_HEADER_LEN +
           ((results_len + 2 + 1 + 5 + 3) & ~(size_t)3);
}


/*
 * Runs @fn for each StartName name value EndName of the list @v; false if
 * malformed.
 */
static bool for_each_named(const OpalValue *v,
                           bool (*fn)(void *opaque, uint64_t name,
                                      const OpalValue *value),
                           void *opaque)
{
    const OpalToken *t = v->tokens;
    size_t i = 1;

    if (v->count < 2 || !opal_token_is(&t[0], OPAL_TK_START_LIST)) {
        return false;
    }
    while (i < v->count - 1) {
        size_t end = i + 2;
        int depth = 0;
        OpalValue value;

        if (!opal_token_is(&t[i], OPAL_TK_START_NAME) ||
            t[i + 1].type != OPAL_TOKEN_UINT) {
            return false;
        }
        /* The value runs to the EndName that closes this name. */
        for (; end < v->count - 1; end++) {
            if (opal_token_is(&t[end], OPAL_TK_START_LIST) ||
                opal_token_is(&t[end], OPAL_TK_START_NAME)) {
                depth++;
            } else if (opal_token_is(&t[end], OPAL_TK_END_LIST) ||
                       (opal_token_is(&t[end], OPAL_TK_END_NAME) &&
                        depth > 0)) {
                depth--;
            } else if (opal_token_is(&t[end], OPAL_TK_END_NAME)) {
                break;
            }
        }
        if (end >= v->count - 1 || end == i + 2) {
            return false;
        }
        value = (OpalValue) { &t[i + 2], end - i - 2 };
        if (!fn(opaque, t[i + 1].uint, &value)) {
            return false;
        }
        i = end + 1;
    }
    return true;
}

/* ---- Get ----------------------------------------------------------------- */

typedef struct Cellblock {
    bool has[CELL_END_COLUMN + 1];
    uint64_t value[CELL_END_COLUMN + 1];
} Cellblock;

static bool cellblock_element(void *opaque, uint64_t name,
                              const OpalValue *value)
{
    Cellblock *cb = opaque;

    if (name > CELL_END_COLUMN || cb->has[name]) {
        return false;
    }
    cb->has[name] = true;
    return name == CELL_TABLE ? opal_value_uid(value, &cb->value[name])
                              : opal_value_uint(value, &cb->value[name]);
}

static OpalStatus get_bytes(MethodContext *m, OpalTable *table,
                            const Cellblock *cb)
{
    uint64_t size = table->byte_size;
    g_autofree uint8_t *buf = NULL;
    uint64_t start = cb->has[CELL_START_ROW] ? cb->value[CELL_START_ROW] : 0;
    uint64_t end = cb->has[CELL_END_ROW] ? cb->value[CELL_END_ROW] : size - 1;

    /*
     * Rows of a byte table are bytes, and endRow is inclusive (Opal 5.3.1.2.2).
     */
    if (cb->has[CELL_TABLE] || cb->has[CELL_START_COLUMN] ||
        cb->has[CELL_END_COLUMN] || start > end || end >= size) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER,
                           "the cell block is not rows within the byte table");
    }
    /*
     * Bounded by the host's MaxComPacketSize before it is ever sent (see
     * below).
     */
    if (end - start + 1 > OPAL_MAX_TRANSFER) {
        return opal_refuse(m, OPAL_ST_RESPONSE_OVERFLOW, "more bytes asked "
                           "for than a response can carry");
    }
    buf = g_malloc(end - start + 1);
    opal_table_read(table, start, buf, end - start + 1);
    opal_token_put_bytes(m->results, buf, end - start + 1);
    return OPAL_ST_SUCCESS;
}

/* Whether @row has column @number: a cell of its table, or one computed. */
static bool row_has_column(const OpalRow *row, uint64_t number)
{
    return (number < OPAL_MAX_COLUMNS && opal_table_column(row->def, number)) ||
           opal_sum_info_column(row, number);
}

static OpalStatus get_row(MethodContext *m, OpalRow *row, const Cellblock *cb)
{
    uint64_t first =
        cb->has[CELL_START_COLUMN] ? cb->value[CELL_START_COLUMN] : 0;
    /* No endColumn: to the last column, SSC-numbered ones included. */
    uint64_t last = cb->has[CELL_END_COLUMN] ? cb->value[CELL_END_COLUMN]
                                             : UINT64_MAX;

    /* An object's Get names columns only (Core 5.3.3.6.3). */
    if (cb->has[CELL_TABLE] || cb->has[CELL_START_ROW] ||
        cb->has[CELL_END_ROW] || first > last ||
        (cb->has[CELL_START_COLUMN] && !row_has_column(row, first)) ||
        (cb->has[CELL_END_COLUMN] && !row_has_column(row, last))) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "the cell block is "
                           "not columns of the object");
    }
    opal_token_put_control(m->results, OPAL_TK_START_LIST);
    for (size_t i = 0; i < row->def->nr_columns; i++) {
        const OpalColumn *c = &row->def->columns[i];

        /* Cells the ACEs do not grant, secrets and empty cells are left out. */
        if (c->number < first || c->number > last || !row->cells[c->number] ||
            (c->flags & OPAL_COL_SECRET) || !(m->columns & (1u << c->number))) {
            continue;
        }
        opal_token_put_control(m->results, OPAL_TK_START_NAME);
        opal_token_put_uint(m->results, c->number);
        g_byte_array_append(m->results,
                            g_bytes_get_data(row->cells[c->number], NULL),
                            g_bytes_get_size(row->cells[c->number]));
        opal_token_put_control(m->results, OPAL_TK_END_NAME);
    }
    /* LockingInfo's Single User Mode columns, for an ACE that grants All. */
    if (row->uid == OPAL_UID_LOCKINGINFO_OBJ && m->columns == UINT32_MAX) {
        opal_sum_info_get(&m->tper->config, m->sp, first, last, m->results);
    }
    opal_token_put_control(m->results, OPAL_TK_END_LIST);
    return OPAL_ST_SUCCESS;
}

static OpalStatus method_get(MethodContext *m)
{
    const OpalCall *call = m->call;
    Cellblock cb = { 0 };
    OpalRow *row = opal_sp_row(m->sp, call->invoking_uid);
    OpalTable *table = opal_sp_table(m->sp, call->invoking_uid);

    if (call->nr_required != 1 || call->nr_optional) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Get takes one "
                           "parameter, a Cellblock (Core 5.3.3.6)");
    }
    if (!for_each_named(&call->required[0], cellblock_element, &cb)) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "the Cellblock is not "
                           "a list of distinct names 0-4 with uinteger values "
                           "(startRow/endRow) or a UID (Table)");
    }
    if (row) {
        return get_row(m, row, &cb);
    }
    if (table && table->chunks) {
        return get_bytes(m, table, &cb);
    }
    return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "no row or byte table of "
                       "this SP has that UID");
}

/* ---- Set ----------------------------------------------------------------- */

typedef struct RowValues {
    MethodContext *m;
    OpalRow *row;
    GBytes *cells[OPAL_MAX_COLUMNS];
    bool seen[OPAL_MAX_COLUMNS];
    OpalStatus status;
} RowValues;

static bool row_value(void *opaque, uint64_t number, const OpalValue *value)
{
    RowValues *rv = opaque;
    const OpalColumn *c = number < OPAL_MAX_COLUMNS ?
                          opal_table_column(rv->row->def, number) : NULL;

    if (!c || rv->seen[number] || (c->flags & OPAL_COL_READONLY) ||
        !opal_column_accepts(c, value)) {
        const char *reason;

        if (!c) {
            reason = "Set names no such column";
        } else if (rv->seen[number]) {
            reason = "Set gives a column twice";
        } else if (c->flags & OPAL_COL_READONLY) {
            reason = "Set names a read-only column";
        } else {
            reason = "a Set value does not fit its column's type";
        }
        rv->status = opal_refuse(rv->m, OPAL_ST_INVALID_PARAMETER, reason);
        return false;
    }
    if (!(rv->m->columns & (1u << number))) {
        /*
         * Set is all or nothing: one ungranted cell refuses it (Core
         * 5.3.4.2.6).
         */
        rv->status = opal_refuse(rv->m, OPAL_ST_NOT_AUTHORIZED, "no ACE of Set "
                                 "grants a column it names to the session's "
                                 "authorities");
        return false;
    }
    rv->seen[number] = true;
    rv->cells[number] = opal_value_encode(value);
    return true;
}

/* A new PIN: the drive keeps its verifier, and its KEK while powered. */
static void set_pin(MethodContext *m, OpalRow *cpin)
{
    /*
     * The PIN stays in its cell, held here while opal_pin_store() empties
     * the row's: no copy to wipe, and the cell wipes itself once let go.
     */
    /* Held, not read: the PIN stays where it is until it is a verifier. */
    G_GNUC_UNUSED g_autoptr(GBytes) cell =
        g_bytes_ref(cpin->cells[OPAL_COL_C_PIN_PIN]);
    const uint8_t *pin;
    uint64_t owner = opal_credential_owner(m->sp, cpin->uid);
    uint8_t *kek;
    size_t len;

    opal_row_get_bytes(cpin, OPAL_COL_C_PIN_PIN, &pin, &len);
    kek = opal_pin_store(&m->tper->config, cpin, pin, len);
    if (cpin->uid == OPAL_UID_C_PIN_SID && m->sp == m->tper->admin_sp) {
        /* The PIN is at hand: the SID Value State without a PBKDF2 run. */
        const uint8_t *msid = NULL;
        size_t msid_len = 0;

        opal_row_get_bytes(opal_sp_row(m->sp, OPAL_UID_C_PIN_MSID),
                           OPAL_COL_C_PIN_PIN, &msid, &msid_len);
        opal_sid_value_note(m->tper,
                            len != msid_len || (len && memcmp(pin, msid, len)));
    }
    if (kek && owner) {
        opal_secrets_learn(m->tper, owner, kek);
    } else {
        opal_secret_free(kek, OPAL_KEK_LEN);
        opal_secrets_forget_kek(m->tper, owner);
    }
}

static OpalStatus set_row(MethodContext *m, OpalRow *row,
                          const OpalValue *values)
{
    RowValues rv = { .m = m, .row = row, .status = OPAL_ST_INVALID_PARAMETER };
    bool ok = for_each_named(values, row_value, &rv);

    if (!ok) {
        /* Unless row_value() said why already. */
        opal_refuse(m, rv.status, "Values is not a list of column = value "
                    "pairs (Core 5.3.3.7)");
    }
    if (ok) {
        rv.status = opal_locking_check_set(m->tper, m->sp, row, rv.cells);
        ok = rv.status == OPAL_ST_SUCCESS;
    }

    for (int i = 0; i < OPAL_MAX_COLUMNS; i++) {
        if (ok && rv.cells[i]) {
            g_clear_pointer(&row->cells[i], g_bytes_unref);
            row->cells[i] = g_steal_pointer(&rv.cells[i]);
        }
        g_clear_pointer(&rv.cells[i], g_bytes_unref);
    }
    if (ok && row->def == &opal_tdef_c_pin && row->cells[OPAL_COL_C_PIN_PIN]) {
        set_pin(m, row);
    }
    return ok ? OPAL_ST_SUCCESS : rv.status;
}

static OpalStatus set_bytes(MethodContext *m, OpalTable *table,
                            const OpalValue *where, const OpalValue *values)
{
    uint64_t offset = 0;
    const uint8_t *data;
    size_t len;

    if ((where && !opal_value_uint(where, &offset)) ||
        !opal_value_bytes(values, &data, &len) ||
        offset > table->byte_size || len > table->byte_size - offset) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Set of a byte table "
                           "is not bytes within it");
    }
    if (!opal_transaction_may_write(m->tper, len)) {
        return opal_refuse(m, OPAL_ST_INSUFFICIENT_SPACE, "the transaction has "
                           "written what one may: commit it first");
    }
    opal_table_write(table, offset, data, len);
    opal_byte_written(m->tper, table->def->uid, offset, data, len);
    return OPAL_ST_SUCCESS;
}

static OpalStatus method_set(MethodContext *m)
{
    const OpalCall *call = m->call;
    const OpalValue *where = opal_call_optional(call, SET_WHERE);
    const OpalValue *values = opal_call_optional(call, SET_VALUES);
    OpalRow *row = opal_sp_row(m->sp, call->invoking_uid);
    OpalTable *table = opal_sp_table(m->sp, call->invoking_uid);

    if (call->nr_required ||
        call->nr_optional != (size_t)(!!where + !!values)) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Set takes only the "
                           "optional Where (0) and Values (1) (Core 5.3.3.7)");
    }
    if (!values) {
        return OPAL_ST_SUCCESS;     /* nothing to set (Core 5.3.3.7.2) */
    }
    if (row && !where) {
        return set_row(m, row, values);
    }
    if (table && table->chunks) {
        return set_bytes(m, table, where, values);
    }
    return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, row ?
                       "Where is for byte tables, not for an object's Set" :
                       "no row or byte table of this SP has that UID");
}

/* ---- Next, GetACL, Authenticate, Random ---------------------------------- */

static OpalStatus method_next(MethodContext *m)
{
    const OpalCall *call = m->call;
    const OpalValue *where = opal_call_optional(call, NEXT_WHERE);
    const OpalValue *count_v = opal_call_optional(call, NEXT_COUNT);
    OpalTable *table = opal_sp_table(m->sp, call->invoking_uid);
    uint64_t after = 0, count = UINT64_MAX;
    guint i = 0;

    if (!table || !table->rows) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Next is for object "
                           "tables");
    }
    if (call->nr_required ||
        call->nr_optional != (size_t)(!!where + !!count_v) ||
        (where && !opal_value_uid(where, &after)) ||
        (count_v && !opal_value_uint(count_v, &count))) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Next takes only the "
                           "optional Where (0, a UID) and Count (1, a "
                           "uinteger) (Core 5.3.3.8)");
    }
    if (where) {
        /* The listing starts after Where, which must be a row of this table. */
        for (; i < table->rows->len; i++) {
            const OpalRow *row = g_ptr_array_index(table->rows, i);

            if (row->uid == after) {
                break;
            }
        }
        if (i == table->rows->len) {
            return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Where is not a "
                               "row of this table");
        }
        i++;
    }
    opal_token_put_control(m->results, OPAL_TK_START_LIST);
    for (; i < table->rows->len && count; i++, count--) {
        opal_token_put_uid(m->results,
                           ((OpalRow *)g_ptr_array_index(table->rows, i))->uid);
    }
    opal_token_put_control(m->results, OPAL_TK_END_LIST);
    return OPAL_ST_SUCCESS;
}

static OpalStatus method_get_acl(MethodContext *m)
{
    const OpalCall *call = m->call;
    const OpalAccessRule *rule;
    uint64_t invoking, method;

    if (call->nr_required != 2 || call->nr_optional ||
        !opal_value_uid(&call->required[0], &invoking) ||
        !opal_value_uid(&call->required[1], &method)) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "GetACL takes two "
                           "UIDs, InvokingID and MethodID (Core 5.3.3.13)");
    }
    rule = opal_sp_rule(m->sp, invoking, method);
    if (!rule) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "no AccessControl row "
                           "for that method on that object");
    }
    opal_token_put_control(m->results, OPAL_TK_START_LIST);
    for (size_t i = 0; i < rule->nr_acl; i++) {
        opal_token_put_uid(m->results, rule->acl[i]);
    }
    opal_token_put_control(m->results, OPAL_TK_END_LIST);
    return OPAL_ST_SUCCESS;
}

/* opal_authenticate(), but for the trace: @why says why it is not proven. */
static OpalStatus check_proof(OpalTPer *tper, OpalSP *sp, uint64_t authority,
                              const uint8_t *proof, size_t proof_len,
                              bool *proven, const char **why)
{
    OpalRow *auth = opal_sp_row(sp, authority), *cpin = NULL;
    uint64_t is_class = 0, enabled = 0, operation = 0, credential, limit = 0,
             tries = 0;
    uint8_t *kek = NULL;

    *proven = false;
    if (!auth || OPAL_UID_TABLE_OF(authority) != OPAL_UID_TABLE_AUTHORITY ||
        (opal_row_get_uint(auth, OPAL_COL_AUTHORITY_IS_CLASS, &is_class) &&
         is_class)) {
        *why = "not an individual authority of this SP";
        return OPAL_ST_INVALID_PARAMETER;
    }
    if (opal_block_sid_blocks(tper, sp, authority)) {
        /*
         * Block SID Authentication feature set, 4.2/4.3: in the SID
         * Authentication Blocked State the TPer fails every authentication
         * of SID.  It fails it the way it fails a wrong password - SUCCESS
         * here, so Authenticate answers False and StartSession's SyncSession
         * carries NOT_AUTHORIZED - because that is the answer every host
         * already handles for an authority it could not prove, and it tells
         * a prober nothing about the PIN.  Not AUTHORITY_LOCKED_OUT:
         * that status says the Tries limit was reached and a host may tell
         * its user to revert the drive, whereas the block ends by itself at
         * the next power cycle.  No PIN is examined, so nothing is learnt
         * about it, and Tries does not count the attempt.
         */
        *why = tper->sid_block_clear_events & OPAL_BLOCK_SID_CLEAR_HW_RESET ?
               "blocked by Block SID until the next power cycle or hardware "
               "reset" :
               "blocked by Block SID until the next power cycle";
        return OPAL_ST_SUCCESS;
    }
    opal_row_get_uint(auth, OPAL_COL_AUTHORITY_ENABLED, &enabled);
    opal_row_get_uint(auth, OPAL_COL_AUTHORITY_OPERATION, &operation);
    if (!enabled) {
        *why = "the authority is disabled";
        return OPAL_ST_SUCCESS;
    }
    if (operation == OPAL_AUTH_METHOD_NONE) {
        *proven = true;         /* Anybody needs no proof */
        return OPAL_ST_SUCCESS;
    }
    if (operation == OPAL_AUTH_METHOD_PASSWORD &&
        opal_row_get_uid(auth, OPAL_COL_AUTHORITY_CREDENTIAL, &credential)) {
        cpin = opal_sp_row(sp, credential);
    }
    if (!cpin) {
        *why = "the authority has no password";
        return OPAL_ST_SUCCESS;
    }
    opal_row_get_uint(cpin, OPAL_COL_C_PIN_TRY_LIMIT, &limit);
    opal_row_get_uint(cpin, OPAL_COL_C_PIN_TRIES, &tries);
    if (limit && tries >= limit) {
        *why = "locked out: Tries reached TryLimit";
        return OPAL_ST_AUTHORITY_LOCKED_OUT;
    }
    /* A password authority needs a proof, even for an empty PIN. */
    *proven = proof &&
              opal_pin_check(&tper->config, cpin, proof, proof_len, &kek);
    /* Tries counts failures since the last success (Core 5.3.2.12). */
    if (*proven) {
        unsigned changes = kek ? opal_secrets_learn(tper, authority, kek) : 0;

        if (tries) {
            opal_row_set_uint(cpin, OPAL_COL_C_PIN_TRIES, 0);
            changes |= OPAL_CHANGE_PERSISTENT;
        }
        opal_changed(tper, changes);
    } else {
        *why = "wrong password";
        if (limit) {
            opal_row_set_uint(cpin, OPAL_COL_C_PIN_TRIES, tries + 1);
            opal_changed(tper, OPAL_CHANGE_PERSISTENT);
        }
    }
    return OPAL_ST_SUCCESS;
}

OpalStatus opal_authenticate(OpalTPer *tper, OpalSP *sp, uint64_t authority,
                             const uint8_t *proof, size_t proof_len,
                             bool *proven)
{
    const char *why = "";
    OpalStatus status = check_proof(tper, sp, authority, proof, proof_len,
                                    proven, &why);

    if (*why) {
        opal_explain(tper, why);
    }
    opal_trace(tper, authenticate, sp->uid, authority, *proven, why);
    return status;
}

static OpalStatus method_authenticate(MethodContext *m)
{
    const OpalCall *call = m->call;
    const OpalValue *proof_v = opal_call_optional(call, 0);
    const uint8_t *proof = NULL;
    size_t proof_len = 0;
    uint64_t authority;
    OpalAuthSet *auth = &m->session->auth;
    OpalStatus status;
    bool proven;

    if (call->nr_required != 1 || call->nr_optional != !!proof_v ||
        !opal_value_uid(&call->required[0], &authority) ||
        (proof_v && !opal_value_bytes(proof_v, &proof, &proof_len))) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Authenticate takes "
                           "an authority's UID and the optional Proof (0, "
                           "bytes) (Core 5.3.3.12)");
    }
    status =
        opal_authenticate(m->tper, m->sp, authority, proof, proof_len, &proven);
    if (status != OPAL_ST_SUCCESS) {
        /* opal_authenticate() gave the reason. */
        return opal_refuse(m, status, status == OPAL_ST_AUTHORITY_LOCKED_OUT ?
                           "the authority is locked out" :
                           "not an individual authority of this SP");
    }
    if (proven && authority != OPAL_UID_AUTH_ANYBODY) {
        bool known = false;

        for (size_t i = 0; i < auth->n; i++) {
            known |= auth->uids[i] == authority;
        }
        if (!known && auth->n == OPAL_MAX_AUTHENTICATIONS) {
            opal_explain(m->tper, "MaxAuthentications reached");
            proven = false;
        } else if (!known) {
            auth->uids[auth->n++] = authority;
        }
    }
    opal_token_put_uint(m->results, proven);
    return OPAL_ST_SUCCESS;
}

static OpalStatus method_random(MethodContext *m)
{
    uint8_t buf[RANDOM_MAX_COUNT];
    uint64_t count;

    if (m->call->nr_required != 1 || m->call->nr_optional ||
        !opal_value_uint(&m->call->required[0], &count)) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Random takes one "
                           "uinteger, Count (Opal 4.2.6.1)");
    }
    if (count > RANDOM_MAX_COUNT) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER,
                           "Count is above " G_STRINGIFY(RANDOM_MAX_COUNT));
    }
    if (!m->tper->config.crypto->random_bytes(buf, count)) {
        return opal_refuse(m, OPAL_ST_FAIL, "no random bytes from the "
                           "crypto library");
    }
    opal_token_put_bytes(m->results, buf, count);
    return OPAL_ST_SUCCESS;
}

/* ---- dispatch ------------------------------------------------------------ */

OpalStatus opal_refuse(MethodContext *m, OpalStatus status, const char *why)
{
    opal_explain(m->tper, why);
    return status;
}

#define PERSISTENT  OPAL_CHANGE_PERSISTENT
#define BOTH        (OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA)

static const struct {
    uint64_t uid;
    const char *name;
    MethodFn *fn;
    unsigned changes;           /* what it changes when it succeeds */
} methods[] = {
    { OPAL_UID_M_GET, "Get", method_get, 0 },
    { OPAL_UID_M_SET, "Set", method_set, BOTH },
    { OPAL_UID_M_NEXT, "Next", method_next, 0 },
    { OPAL_UID_M_GETACL, "GetACL", method_get_acl, 0 },
    { OPAL_UID_M_AUTHENTICATE, "Authenticate", method_authenticate, 0 },
    { OPAL_UID_M_RANDOM, "Random", method_random, 0 },
    { OPAL_UID_M_ACTIVATE, "Activate", opal_method_activate, BOTH },
    { OPAL_UID_M_REVERT, "Revert", opal_method_revert, BOTH },
    { OPAL_UID_M_REVERTSP, "RevertSP", opal_method_revert_sp, BOTH },
    { OPAL_UID_M_GENKEY, "GenKey", opal_method_gen_key, BOTH },
    { OPAL_UID_M_REACTIVATE, "Reactivate", opal_method_reactivate, BOTH },
    { OPAL_UID_M_ERASE, "Erase", opal_method_erase, BOTH },
};

const char *opal_method_name(uint64_t uid)
{
    for (size_t i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (methods[i].uid == uid) {
            return methods[i].name;
        }
    }
    return "?";
}

void opal_method_invoke(OpalTPer *tper, OpalSession *s, const OpalCall *call,
                        GByteArray *out)
{
    g_autoptr(GByteArray) results = g_byte_array_new();
    MethodContext m = {
        .tper = tper,
        .session = s,
        .sp = opal_session_sp(tper, s->sp_uid),
        .call = call,
        .results = results,
    };
    OpalStatus status = OPAL_ST_NOT_AUTHORIZED;
    size_t i;

    tper->why = NULL;
    for (i = 0; i < G_N_ELEMENTS(methods); i++) {
        if (methods[i].uid == call->method_uid) {
            break;
        }
    }
    if (!m.sp) {
        opal_explain(tper, "the session's SP is gone");
        status = OPAL_ST_FAIL;
    } else if (i == G_N_ELEMENTS(methods)) {
        opal_explain(tper, "not a method of this SP");
    } else if ((methods[i].changes & OPAL_CHANGE_PERSISTENT) && !s->write) {
        /*
         * StartSession's Write (Core 5.2.3.1): a read-only session changes
         * nothing.
         */
        opal_explain(tper, "the session is read-only");
    } else if (!opal_access_check(m.sp, &s->auth, call->invoking_uid,
                                  call->method_uid, &m.columns, NULL)) {
        /* The session's authorities are in its session_start event. */
        opal_explain(tper, opal_sp_rule(m.sp, call->invoking_uid,
                                        call->method_uid) ?
                     "the session's authorities satisfy no ACE of the ACL" :
                     "no ACL for this method on the object");
    } else {
        status = methods[i].fn(&m);
        if (status == OPAL_ST_SUCCESS && s->end_after_response &&
            opal_transaction_open(tper)) {
            /*
             * It ends its session, which aborts the transaction: what it did
             * cannot last.  Undone now, so that no EndTransaction after it in
             * the packet commits it.
             */
            opal_transaction_session_ended(tper, s);
            status = opal_refuse(&m, OPAL_ST_TRANSACTION_FAILURE, "it ends "
                                 "the session, whose transaction aborts: "
                                 "undone");
        }
        if (status == OPAL_ST_SUCCESS &&
            !opal_changed(tper, methods[i].changes)) {
            /* A failure, whatever the method said of its success. */
            tper->why = "its changes could not be saved: they last until "
                        "power-off";
            status = OPAL_ST_TPER_MALFUNCTION;
        }
    }
    /* A response must fit what the host said it can take (Opal 3.3.1). */
    if (status == OPAL_ST_SUCCESS &&
        response_size(results->len) >
            tper->host_properties[OPAL_HP_MAX_COMPACKET_SIZE]) {
        tper->why = "the results exceed the host's MaxComPacketSize";
        status = OPAL_ST_RESPONSE_OVERFLOW;
    }
    opal_trace(tper, method, s->tsn, s->sp_uid, call->invoking_uid,
               call->method_uid, opal_method_name(call->method_uid), status,
               tper->why ?: "");
    opal_token_put_control(out, OPAL_TK_START_LIST);
    if (status == OPAL_ST_SUCCESS) {
        g_byte_array_append(out, results->data, results->len);
    }
    opal_token_put_control(out, OPAL_TK_END_LIST);
    opal_put_status(out, status);
}
