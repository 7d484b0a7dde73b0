/*
 * ide-opal-hd: transactions
 *
 * Core 2.01, 3.2.6: a host brackets method calls of a session with a
 * StartTransaction token and an EndTransaction token, each followed by a
 * status uinteger - 0 to start; 0 to commit, any other value to abort - and
 * the TPer answers each with the same token and the outcome: 0 if the
 * transaction started or committed.  What the methods inside change takes
 * effect all together at the commit, or not at all.  Transactions nest up
 * to MaxTransactionLimit (Properties; Opal SSC 2.01, 4.1.1): an inner one's
 * commit hands its changes to the one around it, its abort undoes only its
 * own.  One still open when its session ends - EndOfSession, a session
 * aborted or timed out, a reset, a method that ends its session - aborts.
 *
 * Each level keeps a copy of the SPs, byte tables included, and of the KEKs
 * as they were when it started (opal_state_copy), and its abort puts that
 * copy back.  Until the outermost commit the listeners hear nothing: the
 * state in the image and the media gate's view stay the committed ones,
 * and the commit reaches the transport as one save, which it makes
 * crash-safe as it makes any method's.  Meanwhile whoever reads the state
 * from outside (saves, the media view, the shadow MBR, the status) reads
 * the committed one (opal_committed).
 *
 * Isolation is the simplest there is: while a session holds a transaction,
 * no other session may start or invoke a method (SP_BUSY), so nothing but
 * the transaction changes the state.  Two things are not undone by an
 * abort: the session's own authentications (a session layer matter), and
 * the C_PIN rows' Tries - a failed guess inside an aborted transaction still
 * counts, or aborting would reset TryLimit.  A PIN presented inside an
 * aborted transaction must be presented again for the keys it unwrapped.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

/* A byte-table write the byte listener hears at the commit. */
typedef struct HeldWrite {
    uint64_t area_uid;          /* OPAL_TABLE_UID_MBR or _DATASTORE */
    uint64_t offset;
    uint64_t len;
    bool zeros;                 /* no bytes: a Revert's zeros */
    uint8_t data[];
} HeldWrite;

void opal_transaction_init(OpalTPer *tper)
{
    tper->txn.writes = g_ptr_array_new_with_free_func(g_free);
}

void opal_transaction_free(OpalTPer *tper)
{
    g_ptr_array_unref(tper->txn.writes);
}

bool opal_transaction_open(const OpalTPer *tper)
{
    return tper->txn.depth;
}

bool opal_transaction_busy(const OpalTPer *tper, const OpalSession *s)
{
    return tper->txn.depth && (!s || s->tsn != tper->txn.tsn);
}

const OpalTPer *opal_committed(const OpalTPer *tper, OpalTPer *view)
{
    const OpalTransactionLevel *base = &tper->txn.levels[0];

    if (!tper->txn.depth) {
        return tper;
    }
    *view = *tper;
    view->admin_sp = base->admin_sp;
    view->locking_sp = base->locking_sp;
    view->keks = base->keks;
    view->txn.depth = 0;
    return view;
}

void opal_transaction_defer(OpalTPer *tper, unsigned changes)
{
    tper->txn.changes |= changes;
}

bool opal_transaction_may_write(const OpalTPer *tper, uint64_t len)
{
    return !tper->txn.depth ||
           (len <= OPAL_TRANSACTION_MAX_WRITE &&
            tper->txn.written + len + OPAL_TRANSACTION_WRITE_COST <=
            OPAL_TRANSACTION_MAX_WRITE);
}

void opal_transaction_hold_write(OpalTPer *tper, uint64_t area_uid,
                                 uint64_t offset, const uint8_t *data,
                                 uint64_t len)
{
    HeldWrite *w = g_malloc(sizeof(*w) + (data ? len : 0));

    *w = (HeldWrite){
        .area_uid = area_uid, .offset = offset, .len = len, .zeros = !data
    };
    if (data) {
        memcpy(w->data, data, len);
        tper->txn.written += len;
    }
    tper->txn.written += OPAL_TRANSACTION_WRITE_COST;
    g_ptr_array_add(tper->txn.writes, w);
}

/* ---- rolling back -------------------------------------------------------- */

static void level_free(OpalTransactionLevel *level)
{
    opal_sp_free(level->admin_sp);
    opal_sp_free(level->locking_sp);
    g_clear_pointer(&level->keks, g_hash_table_destroy);
    level->admin_sp = level->locking_sp = NULL;
}

/* Failed tries count whatever becomes of the transaction (see the top). */
static void keep_tries(const OpalSP *from, OpalSP *to)
{
    const OpalTable *cpins = opal_sp_table(from, OPAL_UID_TABLE_C_PIN);

    for (guint i = 0; i < cpins->rows->len; i++) {
        const OpalRow *cpin = g_ptr_array_index(cpins->rows, i);
        OpalRow *old = opal_sp_row(to, cpin->uid);
        uint64_t tries = 0;

        if (old && opal_row_get_uint(cpin, OPAL_COL_C_PIN_TRIES, &tries)) {
            opal_row_set_uint(old, OPAL_COL_C_PIN_TRIES, tries);
        }
    }
}

/* The state becomes @level's again, which is used up. */
static void level_restore(OpalTPer *tper, OpalTransactionLevel *level)
{
    OpalTransactionLevel now = {
        .admin_sp = tper->admin_sp,
        .locking_sp = tper->locking_sp,
        .keks = tper->keks,
    };

    keep_tries(tper->admin_sp, level->admin_sp);
    keep_tries(tper->locking_sp, level->locking_sp);
    tper->admin_sp = level->admin_sp;
    tper->locking_sp = level->locking_sp;
    tper->keks = level->keks;
    level->admin_sp = level->locking_sp = NULL;
    level->keks = NULL;
    level_free(&now);
    g_ptr_array_set_size(tper->txn.writes, level->writes);
    tper->txn.written = level->written;
}

/* Aborts every transaction from level @from inwards. */
static void abort_from(OpalTPer *tper, unsigned from)
{
    while (tper->txn.depth > from + 1) {
        level_free(&tper->txn.levels[--tper->txn.depth]);
    }
    level_restore(tper, &tper->txn.levels[from]);
    tper->txn.depth = from;
    if (!from) {
        /*
         * The listeners heard nothing of it: the image and the media are as
         * before.
         */
        tper->txn.changes = 0;
    }
}

void opal_transaction_session_ended(OpalTPer *tper, const OpalSession *s)
{
    if (tper->txn.depth && (!s || s->tsn == tper->txn.tsn)) {
        opal_trace(tper, transaction, tper->txn.tsn,
                   "aborted: its session ended", 0,
                   OPAL_ST_TRANSACTION_FAILURE);
        abort_from(tper, 0);
    }
}

/* ---- committing ---------------------------------------------------------- */

/*
 * @len bytes at @offset of area @area_uid as @sp has them (see
 * OpalByteWriteFn).
 */
static void area_read(const OpalSP *sp, uint64_t area_uid, uint64_t offset,
                      uint8_t *buf, uint64_t len)
{
    uint64_t place = 0;

    memset(buf, 0, len);
    for (unsigned n = 1; n <= OPAL_DATASTORE_MAX_TABLES; n++) {
        uint64_t uid = area_uid == OPAL_TABLE_UID_MBR ?
                           OPAL_TABLE_UID_MBR :
                           OPAL_UID_TABLE_DATASTORE_N(n);
        const OpalTable *table = opal_sp_table(sp, uid);
        uint64_t from, to;

        if (!table) {
            return;
        }
        from = MAX(offset, place);
        to = MIN(offset + len, place + table->byte_size);
        if (from < to) {
            opal_table_read(table, from - place, buf + (from - offset),
                            to - from);
        }
        if (area_uid == OPAL_TABLE_UID_MBR) {
            return;
        }
        place += table->byte_size;
    }
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

/*
 * The save of a commit failed, maybe after some of its @writes reached the
 * store: the byte listener hears the bytes the drive went back to, so that
 * the store's tables agree with the state again at its next save.
 */
static void unwrite(OpalTPer *tper, const GPtrArray *writes)
{
    g_autofree uint8_t *buf = g_malloc(OPAL_BYTE_TABLE_CHUNK);

    for (guint i = 0; i < writes->len; i++) {
        const HeldWrite *w = g_ptr_array_index(writes, i);

        for (uint64_t off = 0; off < w->len; off += OPAL_BYTE_TABLE_CHUNK) {
            uint64_t n = MIN(w->len - off, OPAL_BYTE_TABLE_CHUNK);

            area_read(tper->locking_sp, w->area_uid, w->offset + off, buf, n);
            tper->byte_written(tper->byte_written_opaque, w->area_uid,
                               w->offset + off, all_zero(buf, n) ? NULL : buf,
                               n);
        }
    }
}

/*
 * The outermost commit: the listeners hear it all, and it lasts or it is
 * undone.
 */
static OpalStatus commit(OpalTPer *tper)
{
    g_autoptr(GPtrArray) writes = tper->txn.writes;
    unsigned changes = tper->txn.changes;

    opal_transaction_init(tper);
    tper->txn.written = 0;
    tper->txn.depth = 0;
    tper->txn.changes = 0;
    for (guint i = 0; tper->byte_written && i < writes->len; i++) {
        const HeldWrite *w = g_ptr_array_index(writes, i);

        tper->byte_written(tper->byte_written_opaque, w->area_uid, w->offset,
                           w->zeros ? NULL : w->data, w->len);
    }
    if (opal_changed(tper, changes)) {
        level_free(&tper->txn.levels[0]);
        return OPAL_ST_SUCCESS;
    }
    tper->txn.depth = 1;
    abort_from(tper, 0);
    if (tper->byte_written) {
        unwrite(tper, writes);
    }
    /* The media view may have taken the undone state. */
    if (changes & OPAL_CHANGE_MEDIA) {
        opal_changed(tper, OPAL_CHANGE_MEDIA);
    }
    return OPAL_ST_TRANSACTION_FAILURE;
}

/* ---- the tokens ---------------------------------------------------------- */

static void put_answer(GByteArray *out, uint8_t token, uint64_t status)
{
    opal_token_put_control(out, token);
    opal_token_put_uint(out, status);
}

void opal_transaction_start(OpalTPer *tper, OpalSession *s, uint64_t status,
                            GByteArray *out)
{
    OpalTransactionLevel *level;

    if (status) {
        opal_trace(tper, transaction, s->tsn,
                   "StartTransaction refused: its status is not 0",
                   tper->txn.depth, OPAL_ST_INVALID_PARAMETER);
        put_answer(out, OPAL_TK_START_TRANSACTION, OPAL_ST_INVALID_PARAMETER);
        return;
    }
    if (opal_transaction_busy(tper, s)) {
        opal_trace(tper, transaction, s->tsn,
                   "StartTransaction refused: another session holds a "
                   "transaction",
                   tper->txn.depth, OPAL_ST_SP_BUSY);
        put_answer(out, OPAL_TK_START_TRANSACTION, OPAL_ST_SP_BUSY);
        return;
    }
    if (tper->txn.depth == OPAL_MAX_TRANSACTIONS) {
        opal_trace(tper, transaction, s->tsn,
                   "StartTransaction refused: MaxTransactionLimit open already",
                   tper->txn.depth, OPAL_ST_TRANSACTION_FAILURE);
        put_answer(out, OPAL_TK_START_TRANSACTION, OPAL_ST_TRANSACTION_FAILURE);
        return;
    }
    level = &tper->txn.levels[tper->txn.depth];
    if (!opal_state_copy(tper, level)) {
        opal_trace(tper, transaction, s->tsn,
                   "StartTransaction failed: the state does not copy",
                   tper->txn.depth, OPAL_ST_TRANSACTION_FAILURE);
        level_free(level);
        put_answer(out, OPAL_TK_START_TRANSACTION, OPAL_ST_TRANSACTION_FAILURE);
        return;
    }
    level->writes = tper->txn.writes->len;
    level->written = tper->txn.written;
    tper->txn.tsn = s->tsn;
    tper->txn.depth++;
    opal_trace(tper, transaction, s->tsn, "started", tper->txn.depth,
               OPAL_ST_SUCCESS);
    put_answer(out, OPAL_TK_START_TRANSACTION, OPAL_ST_SUCCESS);
}

void opal_transaction_end(OpalTPer *tper, OpalSession *s, uint64_t status,
                          GByteArray *out)
{
    OpalStatus result;

    if (!tper->txn.depth || tper->txn.tsn != s->tsn) {
        opal_trace(tper, transaction, s->tsn,
                   "EndTransaction refused: no transaction of the session is "
                   "open",
                   tper->txn.depth, OPAL_ST_TRANSACTION_FAILURE);
        put_answer(out, OPAL_TK_END_TRANSACTION, OPAL_ST_TRANSACTION_FAILURE);
        return;
    }
    if (status) {
        opal_trace(tper, transaction, s->tsn, "aborted by the host",
                   tper->txn.depth - 1, status);
        abort_from(tper, tper->txn.depth - 1);
        /* The outcome is what the host asked for: its status, not 0. */
        put_answer(out, OPAL_TK_END_TRANSACTION, status);
        return;
    }
    if (tper->txn.depth > 1) {
        /* Its changes are the outer transaction's now. */
        level_free(&tper->txn.levels[--tper->txn.depth]);
        result = OPAL_ST_SUCCESS;
    } else {
        result = commit(tper);
    }
    opal_trace(tper, transaction, s->tsn,
               result == OPAL_ST_SUCCESS ? "committed" :
               "commit failed: not saved, the transaction is undone",
               tper->txn.depth, result);
    put_answer(out, OPAL_TK_END_TRANSACTION, result);
}
