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
        /*
         * A row with no Name column, such as MBRControl's only row: its table's
         * name.
         */
        const OpalTable *own = opal_sp_table(sp, row->def->uid);

        if (own && own->rows->len == 1) {
            g_string_append(s, row->def->name);
        } else {
            g_string_append_printf(s, "%s row %016" G_GINT64_MODIFIER "x",
                                   row->def->name, uid);
        }
    } else {
        g_string_append_printf(s, "%016" G_GINT64_MODIFIER "x", uid);
    }
}

/* Whether the session holds authority @ref, itself or through its class. */
static bool holds_authority(const OpalSP *sp, const OpalAuthSet *auth,
                            uint64_t ref)
{
    if (ref == OPAL_UID_AUTH_ANYBODY) {
        return true;
    }
    for (size_t i = 0; i < auth->n; i++) {
        const OpalRow *row = opal_sp_row(sp, auth->uids[i]);
        uint64_t class;

        if (auth->uids[i] == ref ||
            (row && opal_row_get_uid(row, OPAL_COL_AUTHORITY_CLASS, &class) &&
             class == ref)) {
            return true;
        }
    }
    return false;
}

/*
 * An ACE's BooleanExpr, read from its cell (Core 5.1.3.3 AC_element, 5.3.2
 * ACE): authority references and operators in postfix order.  Set and load
 * let no longer one into a cell (sp.c), so it fits on the stack and access
 * checks allocate nothing.
 */
typedef struct ExprElement {
    uint64_t value;             /* an authority's UID, or an OPAL_BOOLEAN_* */
    bool is_ref;
} ExprElement;

typedef struct Expr {
    ExprElement e[OPAL_ACE_EXPR_MAX_ELEMENTS];
    size_t n;
} Expr;

/* Each operator's operands (elements of the Expr), for the description. */
typedef struct ExprTree {
    unsigned lhs[OPAL_ACE_EXPR_MAX_ELEMENTS];   /* AND, OR */
    unsigned rhs[OPAL_ACE_EXPR_MAX_ELEMENTS];   /* AND, OR, NOT */
    unsigned root;
} ExprTree;

/*
 * Reads @ace's BooleanExpr: StartList, StartName half-UID value EndName per
 * element, EndList.  An empty cell is the empty expression (False).  False
 * for anything else, longer expressions included: a stored cell never is,
 * but one that is not an expression must grant nobody.
 */
static bool read_expr(const OpalRow *ace, Expr *x)
{
    GBytes *cell = ace->cells[OPAL_COL_ACE_BOOLEAN_EXPR];
    OpalTokenReader r;
    OpalToken t[4];
    const uint8_t *data;
    gsize len;

    x->n = 0;
    if (!cell) {
        return true;
    }
    data = g_bytes_get_data(cell, &len);
    opal_token_reader_init(&r, data, len);
    if (!opal_token_read(&r, &t[0]) ||
        !opal_token_is(&t[0], OPAL_TK_START_LIST)) {
        return false;
    }
    for (;;) {
        ExprElement *e;

        if (!opal_token_read(&r, &t[0])) {
            return false;
        }
        if (opal_token_is(&t[0], OPAL_TK_END_LIST)) {
            break;
        }
        if (x->n == OPAL_ACE_EXPR_MAX_ELEMENTS ||
            !opal_token_is(&t[0], OPAL_TK_START_NAME) ||
            !opal_token_read(&r, &t[1]) || !opal_token_read(&r, &t[2]) ||
            !opal_token_read(&r, &t[3]) ||
            !opal_token_is(&t[3], OPAL_TK_END_NAME) ||
            t[1].type != OPAL_TOKEN_BYTES || t[1].len != 4) {
            return false;
        }
        e = &x->e[x->n++];
        if (opal_get_be32(t[1].bytes) == OPAL_HALF_UID_AUTHORITY_OBJECT_REF &&
            t[2].type == OPAL_TOKEN_BYTES && t[2].len == 8) {
            e->is_ref = true;
            e->value = opal_get_be64(t[2].bytes);
        } else if (opal_get_be32(t[1].bytes) == OPAL_HALF_UID_BOOLEAN_ACE &&
                   t[2].type == OPAL_TOKEN_UINT &&
                   t[2].uint <= OPAL_BOOLEAN_NOT) {
            e->is_ref = false;
            e->value = t[2].uint;
        } else {
            return false;
        }
    }
    /* Nothing after the EndList. */
    return !opal_token_read(&r, &t[0]);
}

/*
 * One postfix walk of @x: *@result gets its truth value for @auth and, with
 * @tree, each operator's operands are noted for describe_node().  The stack
 * is as deep as sp.c lets a stored expression need, one shared constant; an
 * expression that would overflow or underflow it, or leave other than one
 * value, is malformed (false).  Linear in the expression, and allocates
 * nothing: it runs for every method and, on every persistent change, for
 * every range and KEK.
 */
static bool walk_expr(const OpalSP *sp, const Expr *x, const OpalAuthSet *auth,
                      bool *result, ExprTree *tree)
{
    bool value[OPAL_ACE_EXPR_MAX_DEPTH];
    unsigned node[OPAL_ACE_EXPR_MAX_DEPTH];
    size_t depth = 0;

    *result = false;
    for (unsigned i = 0; i < x->n; i++) {
        const ExprElement *e = &x->e[i];

        if (e->is_ref) {
            if (depth == OPAL_ACE_EXPR_MAX_DEPTH) {
                return false;
            }
            value[depth] = holds_authority(sp, auth, e->value);
            node[depth++] = i;
            continue;
        }
        if (depth < (e->value == OPAL_BOOLEAN_NOT ? 1 : 2)) {
            return false;
        }
        if (e->value == OPAL_BOOLEAN_NOT) {
            value[depth - 1] = !value[depth - 1];
            if (tree) {
                tree->rhs[i] = node[depth - 1];
            }
        } else {
            depth--;
            value[depth - 1] = e->value == OPAL_BOOLEAN_OR ?
                               value[depth - 1] || value[depth] :
                               value[depth - 1] && value[depth];
            if (tree) {
                tree->lhs[i] = node[depth - 1];
                tree->rhs[i] = node[depth];
            }
        }
        node[depth - 1] = i;
    }
    if (depth > 1) {
        return false;
    }
    *result = depth == 1 && value[0];
    if (tree && depth == 1) {
        tree->root = node[0];
    }
    return true;
}

static bool is_binary(const ExprElement *e)
{
    return !e->is_ref && e->value != OPAL_BOOLEAN_NOT;
}

/*
 * Appends element @i of @x and its operands in infix words, in one in-order
 * walk so that the description grows with the expression, not its square.
 * Parentheses only where an operand mixes AND and OR or is negated whole.
 */
static void describe_node(const OpalSP *sp, const Expr *x,
                          const ExprTree *tree, unsigned i, GString *s)
{
    const ExprElement *e = &x->e[i];
    const ExprElement *r = e->is_ref ? NULL : &x->e[tree->rhs[i]];

    if (e->is_ref) {
        opal_name_uid(sp, e->value, s);
    } else if (e->value == OPAL_BOOLEAN_NOT) {
        g_string_append(s, is_binary(r) ? "NOT (" : "NOT ");
        describe_node(sp, x, tree, tree->rhs[i], s);
        g_string_append(s, is_binary(r) ? ")" : "");
    } else {
        const ExprElement *l = &x->e[tree->lhs[i]];
        bool lp = is_binary(l) && l->value != e->value;
        bool rp = is_binary(r) && r->value != e->value;

        g_string_append(s, lp ? "(" : "");
        describe_node(sp, x, tree, tree->lhs[i], s);
        g_string_append(s, lp ? ") " : " ");
        g_string_append(s, e->value == OPAL_BOOLEAN_OR ? "OR " : "AND ");
        g_string_append(s, rp ? "(" : "");
        describe_node(sp, x, tree, tree->rhs[i], s);
        g_string_append(s, rp ? ")" : "");
    }
}

/* Writes @ace's BooleanExpr in infix words ("Admins OR User1"). */
static void describe_ace(const OpalSP *sp, const OpalRow *ace,
                         const OpalAuthSet *auth, GString *s)
{
    Expr x;
    ExprTree tree;
    bool result;

    if (!read_expr(ace, &x) || !walk_expr(sp, &x, auth, &result, &tree)) {
        g_string_append(s, "a malformed expression");
    } else if (!x.n) {
        g_string_append(s, "nobody");
    } else {
        describe_node(sp, &x, &tree, tree.root, s);
    }
}

bool opal_ace_satisfied(const OpalSP *sp, const OpalRow *ace,
                        const OpalAuthSet *auth)
{
    Expr x;
    bool result;

    return read_expr(ace, &x) && walk_expr(sp, &x, auth, &result, NULL) &&
           result;
}

/* The ACE's Columns as a bit mask; an empty list means every column. */
static uint32_t ace_columns(const OpalRow *ace)
{
    uint32_t mask = opal_cell_uint_set(ace->cells[OPAL_COL_ACE_COLUMNS]);

    return mask ? mask : ALL_COLUMNS;
}

const OpalAccessRule *opal_sp_rule(const OpalSP *sp, uint64_t invoking,
                                   uint64_t method)
{
    for (guint i = 0; i < sp->rules->len; i++) {
        const OpalAccessRule *rule =
            &g_array_index(sp->rules, OpalAccessRule, i);

        if (rule->invoking == invoking && rule->method == method) {
            return rule;
        }
    }
    return NULL;
}

bool opal_access_check(const OpalSP *sp, const OpalAuthSet *auth,
                       uint64_t invoking, uint64_t method, uint32_t *columns,
                       GString *why)
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
                describe_ace(sp, ace, auth, why);
            }
        }
    }
    return granted;
}
