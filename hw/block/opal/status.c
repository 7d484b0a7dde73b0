/*
 * ide-opal-hd: the drive's state as a management interface shows it
 *
 * What a developer debugging an Opal client wants to see and no real drive
 * shows: life cycles, which authorities are enabled or locked out, the
 * ranges and their locks, MBR control, open sessions.  Never a secret: no
 * PIN, verifier, KEK or key leaves this file, only whether a range's key is
 * in memory.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

static char *name_of(const OpalSP *sp, uint64_t uid)
{
    GString *s = g_string_new(NULL);

    opal_name_uid(sp, uid, s);
    return g_string_free(s, false);
}

static bool cell_true(const OpalRow *row, uint32_t column)
{
    uint64_t v = 0;

    return opal_row_get_uint(row, column, &v) && v;
}

static OpalSpLifeCycle life_cycle(const OpalTPer *tper, uint64_t sp_uid)
{
    uint64_t state = 0;

    opal_row_get_uint(opal_sp_row(tper->admin_sp, sp_uid),
                      OPAL_COL_SP_LIFE_CYCLE, &state);
    /* Activate is the only way on, Revert the only way back. */
    return state == OPAL_LIFE_CYCLE_MANUFACTURED_INACTIVE ?
           OPAL_SP_MANUFACTURED_INACTIVE : OPAL_SP_MANUFACTURED;
}

static OpalSpName sp_name(uint64_t sp_uid)
{
    return sp_uid == OPAL_UID_ADMINSP ? OPAL_SP_ADMIN : OPAL_SP_LOCKING;
}

static void add_authorities(const OpalSP *sp, GArray *out)
{
    const OpalTable *auths = opal_sp_table(sp, OPAL_UID_TABLE_AUTHORITY);

    for (guint i = 0; i < auths->rows->len; i++) {
        const OpalRow *a = g_ptr_array_index(auths->rows, i);
        OpalAuthorityStatus st = {
            .uid = a->uid, .name = name_of(sp, a->uid),
            .sp = sp_name(sp->uid),
            .enabled = cell_true(a, OPAL_COL_AUTHORITY_ENABLED),
        };
        uint64_t credential;
        const OpalRow *cpin;

        if (cell_true(a, OPAL_COL_AUTHORITY_IS_CLASS)) {
            g_free(st.name);
            continue;
        }
        cpin = opal_row_get_uid(a, OPAL_COL_AUTHORITY_CREDENTIAL, &credential) ?
               opal_sp_row(sp, credential) : NULL;
        if (cpin) {
            st.has_pin = true;
            opal_row_get_uint(cpin, OPAL_COL_C_PIN_TRIES, &st.tries);
            opal_row_get_uint(cpin, OPAL_COL_C_PIN_TRY_LIMIT, &st.try_limit);
            st.locked_out = st.try_limit && st.tries >= st.try_limit;
        }
        g_array_append_val(out, st);
    }
}

OpalStatusReport *opal_tper_status(const OpalTPer *live)
{
    OpalTPer view;
    /* What an open transaction changed is not the drive's yet. */
    const OpalTPer *tper = opal_committed(live, &view);
    OpalStatusReport *r = g_new0(OpalStatusReport, 1);
    const OpalSP *lsp = tper->locking_sp;
    const OpalTable *ranges = opal_sp_table(lsp, OPAL_UID_TABLE_LOCKING);
    const OpalRow *mbr = opal_sp_row(lsp, OPAL_UID_MBRCONTROL_OBJ);

    r->admin_sp = life_cycle(tper, OPAL_UID_ADMINSP);
    r->locking_sp = life_cycle(tper, OPAL_UID_LOCKINGSP);
    r->authorities = g_array_new(false, true, sizeof(OpalAuthorityStatus));
    r->ranges = g_array_new(false, true, sizeof(OpalRangeStatus));
    r->sessions = g_array_new(false, true, sizeof(OpalSessionStatus));
    add_authorities(tper->admin_sp, r->authorities);
    add_authorities(lsp, r->authorities);
    for (guint i = 0; i < ranges->rows->len; i++) {
        const OpalRow *row = g_ptr_array_index(ranges->rows, i);
        OpalRangeStatus st = {
            .number = opal_range_number(row),
            .read_lock_enabled =
                cell_true(row, OPAL_COL_LOCKING_READ_LOCK_ENABLED),
            .write_lock_enabled =
                cell_true(row, OPAL_COL_LOCKING_WRITE_LOCK_ENABLED),
            .read_locked = cell_true(row, OPAL_COL_LOCKING_READ_LOCKED),
            .write_locked = cell_true(row, OPAL_COL_LOCKING_WRITE_LOCKED),
            .lock_on_reset =
                opal_cell_uint_set(row->cells[OPAL_COL_LOCKING_LOCK_ON_RESET]),
            .key_in_memory = opal_range_key_known(lsp, row),
        };

        if (st.number < 64 && (lsp->sum_objects & (1ULL << st.number))) {
            st.owner = st.number + 1;   /* Single User Mode: User n+1 (sum.c) */
        }

        opal_row_get_uint(row, OPAL_COL_LOCKING_RANGE_START, &st.start);
        opal_row_get_uint(row, OPAL_COL_LOCKING_RANGE_LENGTH, &st.length);
        if (!st.number) {
            /* what the rest of the medium is */
            st.length = tper->config.nb_blocks;
        }
        g_array_append_val(r->ranges, st);
    }
    r->mbr_enable = cell_true(mbr, OPAL_COL_MBRCONTROL_ENABLE);
    r->mbr_done = cell_true(mbr, OPAL_COL_MBRCONTROL_DONE);
    r->mbr_done_on_reset =
        opal_cell_uint_set(mbr->cells[OPAL_COL_MBRCONTROL_DONE_ON_RESET]);
    r->mbr_size = tper->config.mbr_size;
    {
        uint64_t sizes[OPAL_DATASTORE_MAX_TABLES];
        size_t n = opal_datastore_sizes(lsp, sizes);

        r->datastore_tables =
            g_array_sized_new(false, false, sizeof(uint64_t), n);
        g_array_append_vals(r->datastore_tables, sizes, n);
    }
    r->sid_blocked = tper->sid_blocked;
    r->sid_blocked_hw_reset =
        tper->sid_blocked &&
        (tper->sid_block_clear_events & OPAL_BLOCK_SID_CLEAR_HW_RESET);
    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        const OpalSession *s = &tper->sessions[i];
        const OpalSP *sp = s->sp_uid == OPAL_UID_ADMINSP ? tper->admin_sp : lsp;
        OpalSessionStatus st = {
            .tsn = s->tsn, .hsn = s->hsn, .write = s->write,
            .sp = sp_name(s->sp_uid),
        };

        if (!s->tsn) {
            continue;
        }
        st.authorities = g_new0(char *, s->auth.n + 1);
        for (size_t a = 0; a < s->auth.n; a++) {
            st.authorities[a] = name_of(sp, s->auth.uids[a]);
        }
        g_array_append_val(r->sessions, st);
    }
    return r;
}

void opal_status_report_free(OpalStatusReport *r)
{
    if (!r) {
        return;
    }
    for (guint i = 0; i < r->authorities->len; i++) {
        g_free(g_array_index(r->authorities, OpalAuthorityStatus, i).name);
    }
    for (guint i = 0; i < r->sessions->len; i++) {
        g_strfreev(
            g_array_index(r->sessions, OpalSessionStatus, i).authorities);
    }
    g_array_unref(r->authorities);
    g_array_unref(r->ranges);
    g_array_unref(r->datastore_tables);
    g_array_unref(r->sessions);
    g_free(r);
}
