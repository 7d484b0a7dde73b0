/*
 * ide-opal-hd: access control (Core 5.3.4.3)
 *
 * A method may run on an object only if an AccessControl rule names the pair
 * and one ACE of its ACL is satisfied by the session's authorities; the
 * satisfied ACEs' Columns say which cells it may touch.  When the answer is
 * no, the reason is spelled out for the trace: a real drive only says
 * NOT_AUTHORIZED, this one says which ACE wanted whom.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "uid.h"

#define ALL_COLUMNS     UINT32_MAX

void opal_name_uid(const OpalSP *sp, uint64_t uid, GString *s)
{
    const OpalRow *row = sp ? opal_sp_row(sp, uid) : NULL;
    const OpalTable *table = sp ? opal_sp_table(sp, uid) : NULL;
    const uint8_t *name;
    size_t len;

    if (uid == OPAL_UID_THISSP) {
        g_string_append(s, "ThisSP");
    } else if (uid == OPAL_UID_ADMINSP || uid == OPAL_UID_LOCKINGSP) {
        g_string_append(s, uid == OPAL_UID_ADMINSP ? "AdminSP" : "LockingSP");
    } else if (row && opal_row_get_bytes(row, 1, &name, &len) && len) {
        g_string_append_len(s, (const char *)name, len);
    } else if (table) {
        g_string_append_printf(s, "%s table", table->def->name);
    } else if (row) {
        /* A row with no Name column, such as MBRControl's only row: its table's name. */
        const OpalTable *own = opal_sp_table(sp, row->def->uid);

        if (own && own->rows->len == 1) {
            g_string_append(s, row->def->name);
        } else {
            g_string_append_printf(s, "%s row %016" G_GINT64_MODIFIER "x", row->def->name, uid);
        }
    } else {
        g_string_append_printf(s, "%016" G_GINT64_MODIFIER "x", uid);
    }
}

/* Whether the session holds authority @ref, itself or through its class. */
static bool holds_authority(const OpalSP *sp, const OpalAuthSet *auth, uint64_t ref)
{
    if (ref == OPAL_UID_AUTH_ANYBODY) {
        return true;
    }
    for (size_t i = 0; i < auth->n; i++) {
        const OpalRow *row = opal_sp_row(sp, auth->uids[i]);
        uint64_t class;

        if (auth->uids[i] == ref ||
            (row && opal_row_get_uid(row, OPAL_COL_AUTHORITY_CLASS, &class) && class == ref)) {
            return true;
        }
    }
    return false;
}

/*
 * Evaluates a postfix BooleanExpr cell (validated when it was stored); with
 * @describe, writes it in infix words ("Admins OR User1").
 */
static bool eval_expr(const OpalSP *sp, const OpalRow *ace, const OpalAuthSet *auth,
                      GString *describe)
{
    bool stack[32];
    GPtrArray *words = g_ptr_array_new_with_free_func(g_free);
    size_t depth = 0;
    OpalTokenReader r;
    OpalToken t[4];
    gsize len;
    const uint8_t *data;
    bool result;

    if (!ace->cells[OPAL_COL_ACE_BOOLEAN_EXPR]) {
        g_ptr_array_unref(words);
        return false;
    }
    data = g_bytes_get_data(ace->cells[OPAL_COL_ACE_BOOLEAN_EXPR], &len);
    opal_token_reader_init(&r, data, len);
    opal_token_read(&r, &t[0]);                         /* StartList */
    while (opal_token_read(&r, &t[0]) && t[0].control != OPAL_TK_END_LIST) {
        opal_token_read(&r, &t[1]);                     /* half-UID */
        opal_token_read(&r, &t[2]);                     /* authority or operator */
        opal_token_read(&r, &t[3]);                     /* EndName */
        if (t[2].type == OPAL_TOKEN_BYTES && depth < G_N_ELEMENTS(stack)) {
            uint64_t ref = (uint64_t)opal_get_be32(t[2].bytes) << 32 |
                           opal_get_be32(t[2].bytes + 4);
            g_autoptr(GString) w = g_string_new(NULL);

            stack[depth++] = holds_authority(sp, auth, ref);
            opal_name_uid(sp, ref, w);
            g_ptr_array_add(words, g_string_free(g_steal_pointer(&w), false));
        } else if (t[2].uint == 2 && depth >= 1) {          /* NOT */
            stack[depth - 1] = !stack[depth - 1];
            g_ptr_array_add(words, g_strdup_printf("NOT %s",
                            (char *)g_ptr_array_steal_index(words, words->len - 1)));
        } else if (depth >= 2) {                            /* AND, OR */
            g_autofree char *b = g_ptr_array_steal_index(words, words->len - 1);
            g_autofree char *a = g_ptr_array_steal_index(words, words->len - 1);

            depth--;
            stack[depth - 1] = t[2].uint ? (stack[depth - 1] || stack[depth])
                                         : (stack[depth - 1] && stack[depth]);
            g_ptr_array_add(words, g_strdup_printf("%s %s %s", a,
                                                   t[2].uint ? "OR" : "AND", b));
        }
    }
    result = depth == 1 && stack[0];
    if (describe) {
        g_string_append(describe, words->len ? (char *)g_ptr_array_index(words, 0)
                                             : "nobody");
    }
    g_ptr_array_unref(words);
    return result;
}

bool opal_ace_satisfied(const OpalSP *sp, const OpalRow *ace, const OpalAuthSet *auth)
{
    return eval_expr(sp, ace, auth, NULL);
}

/* The ACE's Columns as a bit mask; an empty list means every column. */
static uint32_t ace_columns(const OpalRow *ace)
{
    uint32_t mask = opal_cell_uint_set(ace->cells[OPAL_COL_ACE_COLUMNS]);

    return mask ? mask : ALL_COLUMNS;
}

const OpalAccessRule *opal_sp_rule(const OpalSP *sp, uint64_t invoking, uint64_t method)
{
    for (guint i = 0; i < sp->rules->len; i++) {
        const OpalAccessRule *rule = &g_array_index(sp->rules, OpalAccessRule, i);

        if (rule->invoking == invoking && rule->method == method) {
            return rule;
        }
    }
    return NULL;
}

bool opal_access_check(const OpalSP *sp, const OpalAuthSet *auth, uint64_t invoking,
                       uint64_t method, uint32_t *columns, GString *why)
{
    const OpalAccessRule *rule = opal_sp_rule(sp, invoking, method);
    bool granted = false;

    *columns = 0;
    if (!rule) {
        if (why) {
            g_string_append(why, "no access control entry for this method on ");
            opal_name_uid(sp, invoking, why);
        }
        return false;
    }
    for (size_t i = 0; i < rule->nr_acl; i++) {
        const OpalRow *ace = opal_sp_row(sp, rule->acl[i]);

        if (ace && opal_ace_satisfied(sp, ace, auth)) {
            granted = true;
            *columns |= ace_columns(ace);
        }
    }
    if (!granted && why) {
        g_string_append(why, "session authorities {Anybody");
        for (size_t i = 0; i < auth->n; i++) {
            g_string_append(why, ", ");
            opal_name_uid(sp, auth->uids[i], why);
        }
        g_string_append(why, "} satisfy none of");
        for (size_t i = 0; i < rule->nr_acl; i++) {
            const OpalRow *ace = opal_sp_row(sp, rule->acl[i]);

            g_string_append(why, i ? "; " : " ");
            opal_name_uid(sp, rule->acl[i], why);
            if (ace) {
                g_string_append(why, " = ");
                eval_expr(sp, ace, auth, why);
            }
        }
    }
    return granted;
}
