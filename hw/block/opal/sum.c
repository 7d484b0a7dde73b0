/*
 * ide-opal-hd: the Single User Mode feature set
 *
 * TCG Storage Opal SSC Feature Set: Single User Mode, version 1.00 ("SUM FS"
 * below).  Activate may name Locking objects (or the whole Locking table) that
 * become single-user: each is then owned by one User authority, which alone may
 * lock and unlock it, set its own PIN and change its key; the Admins keep
 * administering the drive but lose the power to open the range or to take its
 * user's PIN.  RangeStartRangeLengthPolicy says who places the range: its user
 * (0) or the Admins (1).
 *
 * Which User owns which object: Locking_GlobalRange User1, Locking_RangeN
 * User(N+1) - what Linux's sed-opal assumes when a host asks for a single-user
 * range (it authenticates as User lr+1 and sets C_PIN_User lr+1), so a drive
 * needs one more User than ranges for the whole table (opal_sum_max_objects:
 * what Level 0 Discovery reports).
 *
 * What changes for object n owned by User n+1 (SUM FS, "Locking SP changes in
 * Single User Mode" [verify the exact ACE list]):
 * ACE_Locking_RangeN_Set_RdLocked / _Set_WrLocked   User n+1
 * ACE_K_AES_256_RangeN_GenKey                         User n+1
 * ACE_C_PIN_User{n+1}_Set_PIN                         User n+1
 * ACE_Locking_RangeN_Get_RangeStartToActiveKey        Admins OR User n+1
 * ACE_Locking_RangeN_Set_ReadToLOR (new)  RLE, WLE, RL, WL, LockOnReset: User
 * n+1 ACE_Locking_RangeN_Set_Range (new, N >= 1)  RangeStart, RangeLength:
 *                                 User n+1, or Admins if the policy says so
 *   ACE_Locking_RangeN_Erase (new)                      Admins OR User n+1
 * and the range's Set ACL becomes Set_Range, Set_ReadToLOR, Set_RdLocked,
 * Set_WrLocked, Admins_Set_CommonName: ACE_Locking_Admins_RangeStartToLOR (or
 * the global range's Admins_Set) no longer applies to it.  No one may change
 * those ACEs' BooleanExpr any more (the Admins could otherwise give themselves
 * the range back), and User n+1 is enabled, its PIN still the factory's empty
 * one: the first thing its user does is set a PIN.
 *
 * Since media keys are wrapped for exactly the authorities that may unlock
 * their range (secrets.c), the Admins' copies of a single-user range's key go
 * away with their right to unlock it.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

/* Locking columns RLE, WLE, RL, WL, LockOnReset and RangeStart, RangeLength. */
#define READ_TO_LOR \
    (OPAL_COLS(OPAL_COL_LOCKING_READ_LOCK_ENABLED) | \
     OPAL_COLS(OPAL_COL_LOCKING_WRITE_LOCK_ENABLED) | \
     OPAL_COLS(OPAL_COL_LOCKING_READ_LOCKED) | \
     OPAL_COLS(OPAL_COL_LOCKING_WRITE_LOCKED) | \
     OPAL_COLS(OPAL_COL_LOCKING_LOCK_ON_RESET))
#define START_AND_LENGTH \
    (OPAL_COLS(OPAL_COL_LOCKING_RANGE_START) | \
     OPAL_COLS(OPAL_COL_LOCKING_RANGE_LENGTH))

/*
 * Bits of every Locking object, the global range (bit 0) and
 * Range1..@nr_ranges.
 */
static uint64_t all_objects(const OpalConfig *config)
{
    unsigned n = config->nr_ranges + 1;

    return n >= 64 ? UINT64_MAX : (1ULL << n) - 1;
}

unsigned opal_sum_max_objects(const OpalConfig *config)
{
    /* Object n needs User n+1; a 64-bit set holds the selection. */
    return MIN(MIN((unsigned)config->nr_ranges + 1, (unsigned)config->nr_users),
               64u);
}

/* The number of Locking object @uid (0: the global range), if it is one. */
static bool locking_object(const OpalConfig *config, uint64_t uid, unsigned *n)
{
    if (uid == OPAL_UID_LOCKING_GLOBALRANGE) {
        *n = 0;
        return true;
    }
    if (uid > OPAL_UID_LOCKING_RANGE(0) &&
        uid <= OPAL_UID_LOCKING_RANGE(config->nr_ranges)) {
        *n = uid - OPAL_UID_LOCKING_RANGE(0);
        return true;
    }
    return false;
}

OpalStatus opal_sum_parse(OpalTPer *tper, const OpalCall *call,
                          uint64_t *objects, bool *admins_own_range)
{
    const OpalValue *list =
        opal_call_optional(call, OPAL_SUM_PARAM_SELECTION_LIST);
    const OpalValue *policy = opal_call_optional(call, OPAL_SUM_PARAM_POLICY);
    unsigned max = opal_sum_max_objects(&tper->config);
    uint64_t uid, value = 0;

    *objects = 0;
    *admins_own_range = false;
    /* enum { 0: the user, 1: the Admins } (SUM FS, Activate) */
    if (policy && (!opal_value_uint(policy, &value) || value > 1)) {
        opal_explain(tper, "RangeStartRangeLengthPolicy must be 0 or 1");
        return OPAL_ST_INVALID_PARAMETER;
    }
    *admins_own_range = value;
    if (!list) {
        return OPAL_ST_SUCCESS;
    }
    /* typeOr { the Locking table's UID, a list of Locking objects } */
    if (opal_value_uid(list, &uid)) {
        if (uid != OPAL_UID_TABLE_LOCKING) {
            opal_explain(tper, "SingleUserSelectionList's UID is not the "
                         "Locking table");
            return OPAL_ST_INVALID_PARAMETER;
        }
        if (max < tper->config.nr_ranges + 1u) {
            opal_explain(tper, "SingleUserSelectionList: the whole Locking "
                         "table needs a User per range, this drive has "
                         "fewer");
            return OPAL_ST_INVALID_PARAMETER;
        }
        *objects = all_objects(&tper->config);
        return OPAL_ST_SUCCESS;
    }
    if (list->count < 2 ||
        !opal_token_is(&list->tokens[0], OPAL_TK_START_LIST)) {
        opal_explain(tper, "SingleUserSelectionList is neither the Locking "
                     "table nor a list");
        return OPAL_ST_INVALID_PARAMETER;
    }
    for (size_t i = 1; i + 1 < list->count; i++) {
        const OpalValue element = { &list->tokens[i], 1 };
        unsigned n;

        if (!opal_value_uid(&element, &uid) ||
            !locking_object(&tper->config, uid, &n)) {
            opal_explain(tper, "SingleUserSelectionList holds a value that "
                         "is not a Locking object");
            return OPAL_ST_INVALID_PARAMETER;
        }
        if (n >= max) {
            opal_explain(tper, "SingleUserSelectionList: a Locking object "
                         "would need a User this drive does not have");
            return OPAL_ST_INVALID_PARAMETER;
        }
        if (*objects & (1ULL << n)) {
            opal_explain(tper, "SingleUserSelectionList names a Locking "
                         "object twice");
            return OPAL_ST_INVALID_PARAMETER;
        }
        *objects |= 1ULL << n;
    }
    if (!*objects) {
        opal_explain(tper, "SingleUserSelectionList is empty");
        return OPAL_ST_INVALID_PARAMETER;
    }
    return OPAL_ST_SUCCESS;
}

/* ACE @uid granting @who[0] (OR @who[1]) columns @columns: made, or remade. */
static void put_ace(OpalSP *sp, uint64_t uid, const char *name, uint64_t who0,
                    uint64_t who1, uint32_t columns)
{
    const OpalAceDef def = { uid, name, { who0, who1 }, columns };
    OpalRow *row = opal_sp_row(sp, uid);

    if (!row) {
        opal_factory_add_ace(sp, &def);
        OPAL_ALLOW(sp, uid, OPAL_UID_M_GET, OPAL_UID_ACE_ACE_GET_ALL);
        return;
    }
    opal_row_set_ace_any_of(row, OPAL_COL_ACE_BOOLEAN_EXPR, def.who,
                            who1 ? 2 : 1);
}

/* An existing ACE now grants @owner alone, and nobody may change that. */
static void give_ace(OpalSP *sp, uint64_t uid, uint64_t owner)
{
    OpalRow *row = opal_sp_row(sp, uid);

    if (row) {
        opal_row_set_ace_any_of(row, OPAL_COL_ACE_BOOLEAN_EXPR, &owner, 1);
        opal_sp_disallow(sp, uid, OPAL_UID_M_SET);
    }
}

static void apply_object(OpalSP *sp, unsigned n, bool admins_own_range)
{
    uint64_t owner = OPAL_SUM_OWNER(n);
    uint64_t range =
        n ? OPAL_UID_LOCKING_RANGE(n) : OPAL_UID_LOCKING_GLOBALRANGE;
    g_autofree char *label =
        n ? g_strdup_printf("Range%u", n) : g_strdup("GlobalRange");
    g_autofree char *read_to_lor =
        g_strdup_printf("ACE_Locking_%s_Set_ReadToLOR", label);
    g_autofree char *set_range =
        g_strdup_printf("ACE_Locking_%s_Set_Range", label);
    g_autofree char *erase = g_strdup_printf("ACE_Locking_%s_Erase", label);
    OpalRow *user = opal_sp_row(sp, owner);
    uint64_t get_ace = OPAL_UID_ACE_LOCKING_RANGE_GET_RANGESTARTTOACTIVEKEY(n);

    give_ace(sp, OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n), owner);
    give_ace(sp, OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(n), owner);
    give_ace(sp, OPAL_UID_ACE_K_AES_256_RANGE_GENKEY(n), owner);
    give_ace(sp, OPAL_UID_ACE_C_PIN_USER_SET_PIN(n + 1), owner);
    /* Reading where the range lies and which key it uses opens nothing. */
    if (opal_sp_row(sp, get_ace)) {
        put_ace(sp, get_ace, NULL, OPAL_UID_AUTH_ADMINS, owner, 0);
        opal_sp_disallow(sp, get_ace, OPAL_UID_M_SET);
    }

    put_ace(sp, OPAL_UID_ACE_LOCKING_RANGE_SET_READTOLOR(n), read_to_lor, owner,
            0, READ_TO_LOR);
    put_ace(sp, OPAL_UID_ACE_LOCKING_RANGE_ERASE(n), erase,
            OPAL_UID_AUTH_ADMINS, owner, 0);
    if (n) {
        put_ace(sp, OPAL_UID_ACE_LOCKING_RANGE_SET_RANGE(n), set_range,
                admins_own_range ? OPAL_UID_AUTH_ADMINS : owner, 0,
                START_AND_LENGTH);
        OPAL_ALLOW_REPLACE(sp, range, OPAL_UID_M_SET,
                           OPAL_UID_ACE_LOCKING_RANGE_SET_RANGE(n),
                           OPAL_UID_ACE_LOCKING_RANGE_SET_READTOLOR(n),
                           OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n),
                           OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(n),
                           OPAL_UID_ACE_ADMINS_SET_COMMONNAME);
    } else {
        /* The global range has no start and length to set (Opal 4.3.5.2). */
        OPAL_ALLOW_REPLACE(sp, range, OPAL_UID_M_SET,
                           OPAL_UID_ACE_LOCKING_RANGE_SET_READTOLOR(0),
                           OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(0),
                           OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(0),
                           OPAL_UID_ACE_ADMINS_SET_COMMONNAME);
    }
    OPAL_ALLOW_REPLACE(sp, range, OPAL_UID_M_ERASE,
                       OPAL_UID_ACE_LOCKING_RANGE_ERASE(n));
    if (user) {
        opal_row_set_uint(user, OPAL_COL_AUTHORITY_ENABLED, true);
    }
}

void opal_sum_apply(const OpalConfig *config, OpalSP *sp, uint64_t objects,
                    bool admins_own_range)
{
    objects &= all_objects(config);
    sp->sum_objects = objects;
    sp->sum_admins_own_range = admins_own_range;
    if (!objects) {
        return;
    }
    for (unsigned n = 0; n < 64; n++) {
        if (objects & (1ULL << n)) {
            apply_object(sp, n, admins_own_range);
        }
    }
    /*
     * Reactivate: the Admins choose the single-user ranges anew (SUM FS,
     * Reactivate).
     */
    put_ace(sp, OPAL_UID_ACE_SP_REACTIVATE_ADMIN, "ACE_SP_Reactivate_Admin",
            OPAL_UID_AUTH_ADMINS, 0, 0);
    OPAL_ALLOW_REPLACE(sp, OPAL_UID_THISSP, OPAL_UID_M_REACTIVATE,
                       OPAL_UID_ACE_SP_REACTIVATE_ADMIN);
    /* The Table table's Rows of the tables Single User Mode grows. */
    opal_factory_count_rows(sp);
}

bool opal_sum_info_column(const OpalRow *row, uint64_t column)
{
    return row->uid == OPAL_UID_LOCKINGINFO_OBJ &&
           (column == OPAL_SUM_COL_RANGES || column == OPAL_SUM_COL_POLICY);
}

/*
 * SUM FS, LockingInfo: SingleUserModeRanges says which Locking objects are
 * single-user and RangeStartLengthPolicy who places them, so that a host
 * can tell without reading the ACEs.  The ranges take the form Activate's
 * SingleUserSelectionList takes: the Locking table's UID when every
 * Locking object is single-user, else the list of those that are (empty
 * outside Single User Mode) [verify: the FS's wording for the "all"
 * case].  The policy is 0 outside Single User Mode, as in Level 0
 * Discovery (discovery.c).
 */
void opal_sum_info_get(const OpalConfig *config, const OpalSP *sp,
                       uint64_t first, uint64_t last, GByteArray *out)
{
    uint64_t objects = sp->sum_objects & all_objects(config);

    if (first <= OPAL_SUM_COL_RANGES && OPAL_SUM_COL_RANGES <= last) {
        opal_token_put_control(out, OPAL_TK_START_NAME);
        opal_token_put_uint(out, OPAL_SUM_COL_RANGES);
        if (objects && objects == all_objects(config)) {
            opal_token_put_uid(out, OPAL_UID_TABLE_LOCKING);
        } else {
            opal_token_put_control(out, OPAL_TK_START_LIST);
            for (unsigned n = 0; n < 64; n++) {
                if (objects & (1ULL << n)) {
                    opal_token_put_uid(out, n ? OPAL_UID_LOCKING_RANGE(n) :
                                       OPAL_UID_LOCKING_GLOBALRANGE);
                }
            }
            opal_token_put_control(out, OPAL_TK_END_LIST);
        }
        opal_token_put_control(out, OPAL_TK_END_NAME);
    }
    if (first <= OPAL_SUM_COL_POLICY && OPAL_SUM_COL_POLICY <= last) {
        opal_token_put_control(out, OPAL_TK_START_NAME);
        opal_token_put_uint(out, OPAL_SUM_COL_POLICY);
        opal_token_put_uint(out, objects && sp->sum_admins_own_range);
        opal_token_put_control(out, OPAL_TK_END_NAME);
    }
}
