/*
 * ide-opal-hd: the Locking SP as it leaves the factory (Opal SSC 2.02, 4.3)
 *
 * Every table, row and access rule the SSC preconfigures in the Locking SP:
 * the global range and config->nr_ranges ranges with their K_AES_256
 * keys, config->nr_admins Admins (Admin1 enabled) and config->nr_users Users
 * (disabled), the MBR shadow, the DataStore, and the per-range and per-user
 * ACE families.  The SP row in the Admin SP keeps it Manufactured-Inactive
 * until Activate.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp-tables.h"
#include "uid.h"

/*
 * K_AES_256 Mode is VU (Opal SSC 2.02, 4.3.5.5, Table 48); its type is
 * symmetric_mode_media (Core 2.01, 5.1.3.73, Table 136), where 23 is "Media
 * Encryption" and 7 "XTS".  We report 23: the media cipher is the crypto
 * layer's business, and no client reads this column to pick one.
 */
#define K_AES_MODE_MEDIA_ENCRYPTION     23

/* Opal 4.3.1.3, K_AES_256 being the media key table this TPer chose. */
static const OpalTableDef *const locking_tables[] = {
    &opal_tdef_table, &opal_tdef_spinfo, &opal_tdef_sptemplates,
    &opal_tdef_methodid, &opal_tdef_accesscontrol, &opal_tdef_ace,
    &opal_tdef_authority, &opal_tdef_c_pin,
    &opal_tdef_secretprotect, &opal_tdef_lockinginfo, &opal_tdef_locking,
    &opal_tdef_mbrcontrol, &opal_tdef_k_aes_256,
};

/* Opal 4.3.1.5, and the Single User Mode feature set's Reactivate and Erase. */
static const OpalNamedUid locking_methods[] = {
    { OPAL_UID_M_NEXT, "Next" },
    { OPAL_UID_M_GETACL, "GetACL" },
    { OPAL_UID_M_GENKEY, "GenKey" },
    { OPAL_UID_M_REVERTSP, "RevertSP" },
    { OPAL_UID_M_GET, "Get" },
    { OPAL_UID_M_SET, "Set" },
    { OPAL_UID_M_AUTHENTICATE, "Authenticate" },
    { OPAL_UID_M_RANDOM, "Random" },
    { OPAL_UID_M_REACTIVATE, "Reactivate" },
    { OPAL_UID_M_ERASE, "Erase" },
};

/*
 * LockOnReset and DoneOnReset as shipped: reset_types Power Cycle (Opal 4.3.5).
 */
static const uint64_t power_cycle[] = { 0 };

/* Locking columns RangeStart..LockOnReset and RangeStart..ActiveKey. */
#define RANGE_START_TO_LOR \
    (OPAL_COLS(3) | OPAL_COLS(4) | OPAL_COLS(5) | OPAL_COLS(6) | \
     OPAL_COLS(7) | OPAL_COLS(8) | OPAL_COLS(9))
#define RANGE_START_TO_ACTIVE_KEY   (RANGE_START_TO_LOR | OPAL_COLS(10))

/* Opal 4.3.1.7 but for ACE_Anybody, ACE_Admin and the families below. */
static const OpalAceDef locking_aces[] = {
    { OPAL_UID_ACE_ANYBODY_GET_COMMONNAME, "ACE_Anybody_Get_CommonName",
      { OPAL_UID_AUTH_ANYBODY },
      OPAL_COLS(0) | OPAL_COLS(OPAL_COL_COMMON_NAME) },
    { OPAL_UID_ACE_ADMINS_SET_COMMONNAME, "ACE_Admins_Set_CommonName",
      { OPAL_UID_AUTH_ADMINS }, OPAL_COLS(OPAL_COL_COMMON_NAME) },
    { OPAL_UID_ACE_ACE_GET_ALL, "ACE_ACE_Get_All",
      { OPAL_UID_AUTH_ADMINS }, 0 },
    { OPAL_UID_ACE_ACE_SET_BOOLEANEXPRESSION, "ACE_ACE_Set_BooleanExpression",
      { OPAL_UID_AUTH_ADMINS }, OPAL_COLS(OPAL_COL_ACE_BOOLEAN_EXPR) },
    { OPAL_UID_ACE_AUTHORITY_GET_ALL, "ACE_Authority_Get_All",
      { OPAL_UID_AUTH_ADMINS }, 0 },
    { OPAL_UID_ACE_AUTHORITY_SET_ENABLED, "ACE_Authority_Set_Enabled",
      { OPAL_UID_AUTH_ADMINS }, OPAL_COLS(OPAL_COL_AUTHORITY_ENABLED) },
    { OPAL_UID_ACE_C_PIN_ADMINS_GET_ALL_NOPIN, "ACE_C_PIN_Admins_Get_All_NOPIN",
      { OPAL_UID_AUTH_ADMINS }, OPAL_C_PIN_NOPIN_COLUMNS },
    { OPAL_UID_ACE_C_PIN_ADMINS_SET_PIN, "ACE_C_PIN_Admins_Set_PIN",
      { OPAL_UID_AUTH_ADMINS }, OPAL_COLS(OPAL_COL_C_PIN_PIN) },
    { OPAL_UID_ACE_K_AES_MODE, "ACE_K_AES_Mode", { OPAL_UID_AUTH_ANYBODY },
      OPAL_COLS(OPAL_COL_K_AES_MODE) },
    { OPAL_UID_ACE_LOCKING_GLOBALRANGE_ADMINS_SET,
      "ACE_Locking_GlobalRange_Admins_Set", { OPAL_UID_AUTH_ADMINS },
      RANGE_START_TO_LOR & ~(OPAL_COLS(3) | OPAL_COLS(4)) },
    { OPAL_UID_ACE_LOCKING_ADMINS_RANGESTARTTOLOR,
      "ACE_Locking_Admins_RangeStartToLOR",
      { OPAL_UID_AUTH_ADMINS }, RANGE_START_TO_LOR },
    { OPAL_UID_ACE_MBRCONTROL_ADMINS_SET, "ACE_MBRControl_Admins_Set",
      { OPAL_UID_AUTH_ADMINS },
      OPAL_COLS(OPAL_COL_MBRCONTROL_ENABLE) |
      OPAL_COLS(OPAL_COL_MBRCONTROL_DONE) |
      OPAL_COLS(OPAL_COL_MBRCONTROL_DONE_ON_RESET) },
    { OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR, "ACE_MBRControl_Set_DoneToDOR",
      { OPAL_UID_AUTH_ADMINS },
      OPAL_COLS(OPAL_COL_MBRCONTROL_DONE) |
      OPAL_COLS(OPAL_COL_MBRCONTROL_DONE_ON_RESET) },
    { OPAL_UID_ACE_DATASTORE_GET_ALL, "ACE_DataStore_Get_All",
      { OPAL_UID_AUTH_ADMINS }, 0 },
    { OPAL_UID_ACE_DATASTORE_SET_ALL, "ACE_DataStore_Set_All",
      { OPAL_UID_AUTH_ADMINS }, 0 },
};

/*
 * ACEs whose BooleanExpr an Admin may change to grant Users a share
 * (Opal 4.3.1.6) [verify the list for 2.02]; every member of the families
 * below is personalizable too.
 */
static const uint64_t personalizable_aces[] = {
    OPAL_UID_ACE_AUTHORITY_GET_ALL,
    OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR,
    OPAL_UID_ACE_DATASTORE_GET_ALL,
    OPAL_UID_ACE_DATASTORE_SET_ALL,
};

/* A family of ACEs, one per range or per user: UID first + n, name by label. */
typedef struct AceFamily {
    uint64_t first;
    const char *name_fmt;       /* %s: "GlobalRange", "Range1", "User1", ... */
    uint32_t columns;
    bool member_too;            /* "Admins OR <member>", else "Admins" */
} AceFamily;

/* Opal 4.3.1.7: granted to Admins in the factory. */
static const AceFamily range_families[] = {
    { OPAL_UID_ACE_K_AES_256_RANGE_GENKEY(0), "ACE_K_AES_256_%s_GenKey", 0,
      false },
    { OPAL_UID_ACE_LOCKING_RANGE_GET_RANGESTARTTOACTIVEKEY(0),
      "ACE_Locking_%s_Get_RangeStartToActiveKey", RANGE_START_TO_ACTIVE_KEY,
      false },
    { OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(0), "ACE_Locking_%s_Set_RdLocked",
      OPAL_COLS(OPAL_COL_LOCKING_READ_LOCKED), false },
    { OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(0), "ACE_Locking_%s_Set_WrLocked",
      OPAL_COLS(OPAL_COL_LOCKING_WRITE_LOCKED), false },
};

/*
 * Opal SSC 2.02, 4.3.1.7, Table 39: ACE_User{n}_Set_CommonName is "Admins"
 * (a User may not rename itself until an Admin personalizes the ACE, which
 * Table 38 lets ACE_ACE_Set_BooleanExpression do); ACE_C_PIN_User{n}_Set_PIN
 * is "Admins OR User{n}" (*ACE1), so a User may change its own PIN.
 */
static const AceFamily user_families[] = {
    { OPAL_UID_ACE_USER_SET_COMMONNAME(0), "ACE_%s_Set_CommonName",
      OPAL_COLS(OPAL_COL_COMMON_NAME), false },
    { OPAL_UID_ACE_C_PIN_USER_SET_PIN(0), "ACE_C_PIN_%s_Set_PIN",
      OPAL_COLS(OPAL_COL_C_PIN_PIN), true },
};

/*
 * Member @n of every family: Admins, or Admins OR @member for the families
 * that name it; Admins may change it.
 */
static void add_ace_families(OpalSP *sp, const AceFamily *families,
                             size_t nr_families, unsigned n, const char *label,
                             uint64_t member)
{
    for (size_t i = 0; i < nr_families; i++) {
        g_autofree char *name = g_strdup_printf(families[i].name_fmt, label);
        const OpalAceDef ace = {
            families[i].first + n,
            name,
            { OPAL_UID_AUTH_ADMINS,
              families[i].member_too ? member : OPAL_UID_NULL },
            families[i].columns,
        };

        opal_factory_add_ace(sp, &ace);
        OPAL_ALLOW(sp, ace.uid, OPAL_UID_M_SET,
                   OPAL_UID_ACE_ACE_SET_BOOLEANEXPRESSION);
    }
}

/*
 * Range @n (0: the global range), its media key and their ACEs and rules
 * (Opal 4.3.1.6, 4.3.5.2, 4.3.5.5).
 */
static void add_range(OpalSP *sp, unsigned n)
{
    uint64_t uid = n ? OPAL_UID_LOCKING_RANGE(n) : OPAL_UID_LOCKING_GLOBALRANGE;
    uint64_t key = n ? OPAL_UID_K_AES_256_RANGE_KEY(n) :
                       OPAL_UID_K_AES_256_GLOBALRANGE_KEY;
    g_autofree char *label =
        n ? g_strdup_printf("Range%u", n) : g_strdup("GlobalRange");
    OpalRow *row;

    add_ace_families(sp, range_families, G_N_ELEMENTS(range_families), n, label,
                     OPAL_UID_NULL);

    /* An empty, unlocked range; the global one covers every other LBA. */
    row = opal_factory_row(sp, uid, "Locking_%s", label);
    opal_row_set_string(row, OPAL_COL_COMMON_NAME, "");
    opal_row_set_uint(row, OPAL_COL_LOCKING_RANGE_START, 0);
    opal_row_set_uint(row, OPAL_COL_LOCKING_RANGE_LENGTH, 0);
    opal_row_set_uint(row, OPAL_COL_LOCKING_READ_LOCK_ENABLED, false);
    opal_row_set_uint(row, OPAL_COL_LOCKING_WRITE_LOCK_ENABLED, false);
    opal_row_set_uint(row, OPAL_COL_LOCKING_READ_LOCKED, false);
    opal_row_set_uint(row, OPAL_COL_LOCKING_WRITE_LOCKED, false);
    opal_row_set_uint_list(row, OPAL_COL_LOCKING_LOCK_ON_RESET, power_cycle,
                           G_N_ELEMENTS(power_cycle));
    opal_row_set_uid(row, OPAL_COL_LOCKING_ACTIVE_KEY, key);
    OPAL_ALLOW(sp, uid, OPAL_UID_M_GET,
               OPAL_UID_ACE_LOCKING_RANGE_GET_RANGESTARTTOACTIVEKEY(n),
               OPAL_UID_ACE_ANYBODY_GET_COMMONNAME);
    /* The global range's start and length are not settable (Opal 4.3.5.2). */
    OPAL_ALLOW(sp, uid, OPAL_UID_M_SET,
               n ? OPAL_UID_ACE_LOCKING_ADMINS_RANGESTARTTOLOR
                 : OPAL_UID_ACE_LOCKING_GLOBALRANGE_ADMINS_SET,
               OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n),
               OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(n),
               OPAL_UID_ACE_ADMINS_SET_COMMONNAME);

    /*
     * The Key cell stays empty: media keys belong to the crypto layer, which
     * generates them (GenKey, Activate, Revert) and keeps them out of Get.
     */
    row = opal_factory_row(sp, key, "K_AES_256_%s_Key", label);
    opal_row_set_string(row, OPAL_COL_COMMON_NAME, "");
    opal_row_set_uint(row, OPAL_COL_K_AES_MODE, K_AES_MODE_MEDIA_ENCRYPTION);
    OPAL_ALLOW(sp, key, OPAL_UID_M_GENKEY,
               OPAL_UID_ACE_K_AES_256_RANGE_GENKEY(n));
}

/*
 * Admin @n or User @n: Authority and C_PIN rows, their ACEs and rules (Opal
 * 4.3.1.6-9).
 */
static void add_member(OpalSP *sp, const OpalConfig *config, bool user,
                       unsigned n)
{
    uint64_t uid = user ? OPAL_UID_USER(n) : OPAL_UID_ADMIN(n);
    uint64_t cpin = user ? OPAL_UID_C_PIN_USER(n) : OPAL_UID_C_PIN_ADMIN(n);
    g_autofree char *name = g_strdup_printf("%s%u", user ? "User" : "Admin", n);
    g_autofree char *cpin_name = g_strdup_printf("C_PIN_%s", name);

    if (user) {
        add_ace_families(sp, user_families, G_N_ELEMENTS(user_families), n,
                         name, uid);
    }
    /* Only Admin1 is enabled; Activate gives it SID's PIN (Opal 5.1.1). */
    opal_factory_add_authority(sp, uid, name, false,
                               user ? OPAL_UID_AUTH_USERS :
                                      OPAL_UID_AUTH_ADMINS,
                               !user && n == 1, cpin);
    /*
     * TryLimit is VU in Opal (4.3.1.9); Pyrite 2.01 and Opalite 1.00 spell
     * out 0, no limit, the default.  Drives that ship one reset Tries at
     * power cycle (Persistence False), as SID's (sp-admin.c).  No ACE of the
     * SSC grants the column: a host cannot change it.
     */
    opal_factory_add_c_pin(sp, config, cpin, cpin_name, "", 0,
                           config->locking_pin_try_limit);
    OPAL_ALLOW(sp, uid, OPAL_UID_M_SET, OPAL_UID_ACE_AUTHORITY_SET_ENABLED,
               user ? OPAL_UID_ACE_USER_SET_COMMONNAME(n)
                    : OPAL_UID_ACE_ADMINS_SET_COMMONNAME);
    OPAL_ALLOW(sp, cpin, OPAL_UID_M_SET,
               user ? OPAL_UID_ACE_C_PIN_USER_SET_PIN(n) :
                      OPAL_UID_ACE_C_PIN_ADMINS_SET_PIN);
}

/* Opal 4.3.1.8, 4.3.1.9 */
static void add_authorities(OpalSP *sp, const OpalConfig *config)
{
    opal_factory_add_authority(sp, OPAL_UID_AUTH_USERS, "Users", true,
                               OPAL_UID_NULL, true, OPAL_UID_NULL);
    for (unsigned n = 1; n <= config->nr_admins; n++) {
        add_member(sp, config, false, n);
    }
    for (unsigned n = 1; n <= config->nr_users; n++) {
        add_member(sp, config, true, n);
    }
    OPAL_ALLOW(sp, OPAL_UID_TABLE_AUTHORITY, OPAL_UID_M_NEXT,
               OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW_ROWS(sp, OPAL_UID_TABLE_AUTHORITY, OPAL_UID_M_GET,
                    OPAL_UID_ACE_AUTHORITY_GET_ALL,
                    OPAL_UID_ACE_ANYBODY_GET_COMMONNAME);
    OPAL_ALLOW(sp, OPAL_UID_TABLE_C_PIN, OPAL_UID_M_NEXT, OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW_ROWS(sp, OPAL_UID_TABLE_C_PIN, OPAL_UID_M_GET,
                    OPAL_UID_ACE_C_PIN_ADMINS_GET_ALL_NOPIN);
}

/* Opal 4.3.1.10, 4.3.5.1, 4.3.5.3 */
static void add_locking_info(OpalSP *sp, const OpalConfig *config)
{
    /*
     * ProtectMechanisms is VU (Opal SSC 2.02, 4.3.1.10, Table 42 and its
     * note).  Its type, protect_types (Core 2.01, 5.1.3.64, Table 123), is a
     * set whose empty value means "not hidden"; Core leaves the set values
     * to another document.  We report { 1 }, a non-empty set, because the
     * Key column is hidden: no ACE grants it and Get never returns it.
     */
    static const uint64_t protect_mechanisms[] = { 1 };
    OpalRow *row = opal_factory_row(sp, OPAL_UID_SECRETPROTECT_K_AES_256, NULL);

    opal_row_set_uid(row, OPAL_COL_SECRETPROTECT_TABLE,
                     OPAL_UID_TABLE_K_AES_256);
    opal_row_set_uint(row, OPAL_COL_SECRETPROTECT_COLUMN_NUMBER,
                      OPAL_COL_K_AES_KEY);
    opal_row_set_uint_list(row, OPAL_COL_SECRETPROTECT_PROTECT_MECHANISMS,
                           protect_mechanisms,
                           G_N_ELEMENTS(protect_mechanisms));
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_SECRETPROTECT);

    /* As the Geometry feature tells (discovery.c): alignment is required. */
    row = opal_factory_row(sp, OPAL_UID_LOCKINGINFO_OBJ, "%s", "");
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_VERSION, 1);
    /* media */
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_ENCRYPT_SUPPORT, 1);
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_MAX_RANGES, config->nr_ranges);
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_MAX_RE_ENCRYPTIONS, 0);
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_KEYS_AVAILABLE_CFG, 0);
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_ALIGNMENT_REQUIRED, true);
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_LOGICAL_BLOCK_SIZE,
                      config->logical_block_size);
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_ALIGNMENT_GRANULARITY,
                      config->alignment_granularity);
    opal_row_set_uint(row, OPAL_COL_LOCKINGINFO_LOWEST_ALIGNED_LBA, 0);
    OPAL_ALLOW(sp, OPAL_UID_LOCKINGINFO_OBJ, OPAL_UID_M_GET,
               OPAL_UID_ACE_ANYBODY);

    /* No shadowing until an Admin enables it. */
    row = opal_factory_row(sp, OPAL_UID_MBRCONTROL_OBJ, NULL);
    opal_row_set_uint(row, OPAL_COL_MBRCONTROL_ENABLE, false);
    opal_row_set_uint(row, OPAL_COL_MBRCONTROL_DONE, false);
    opal_row_set_uint_list(row, OPAL_COL_MBRCONTROL_DONE_ON_RESET, power_cycle,
                           G_N_ELEMENTS(power_cycle));
    OPAL_ALLOW(sp, OPAL_UID_MBRCONTROL_OBJ, OPAL_UID_M_GET,
               OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW(sp, OPAL_UID_MBRCONTROL_OBJ, OPAL_UID_M_SET,
               OPAL_UID_ACE_MBRCONTROL_ADMINS_SET,
               OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR);
}

OpalSP *opal_locking_sp_new(const OpalConfig *config)
{
    OpalSP *sp = opal_sp_new(OPAL_UID_LOCKINGSP);

    opal_factory_add_tables(sp, locking_tables, G_N_ELEMENTS(locking_tables));
    /* Opal 4.3.5.4, 4.3.7.1: the shadow MBR anyone may read, the DataStore. */
    opal_sp_add_table(sp, &opal_tdef_mbr, config->mbr_size);
    opal_sp_add_table(sp, &opal_tdef_datastore, config->datastore_size);
    OPAL_ALLOW(sp, OPAL_UID_TABLE_MBR, OPAL_UID_M_GET, OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW(sp, OPAL_UID_TABLE_MBR, OPAL_UID_M_SET, OPAL_UID_ACE_ADMIN);
    OPAL_ALLOW(sp, OPAL_UID_TABLE_DATASTORE, OPAL_UID_M_GET,
               OPAL_UID_ACE_DATASTORE_GET_ALL);
    OPAL_ALLOW(sp, OPAL_UID_TABLE_DATASTORE, OPAL_UID_M_SET,
               OPAL_UID_ACE_DATASTORE_SET_ALL);

    opal_factory_add_base(sp, "Locking", OPAL_UID_TEMPLATE_LOCKING, "Locking",
                          locking_methods, G_N_ELEMENTS(locking_methods));
    OPAL_ALLOW(sp, OPAL_UID_THISSP, OPAL_UID_M_REVERTSP, OPAL_UID_ACE_ADMIN);

    opal_factory_add_aces(sp, locking_aces, G_N_ELEMENTS(locking_aces));
    for (size_t i = 0; i < G_N_ELEMENTS(personalizable_aces); i++) {
        OPAL_ALLOW(sp, personalizable_aces[i], OPAL_UID_M_SET,
                   OPAL_UID_ACE_ACE_SET_BOOLEANEXPRESSION);
    }
    for (unsigned n = 0; n <= config->nr_ranges; n++) {
        add_range(sp, n);
    }
    OPAL_ALLOW(sp, OPAL_UID_TABLE_LOCKING, OPAL_UID_M_NEXT,
               OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW_ROWS(sp, OPAL_UID_TABLE_K_AES_256, OPAL_UID_M_GET,
                    OPAL_UID_ACE_K_AES_MODE);

    add_authorities(sp, config);
    add_locking_info(sp, config);

    /* Last, so that it covers the families added above. */
    OPAL_ALLOW(sp, OPAL_UID_TABLE_ACE, OPAL_UID_M_NEXT, OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW_ROWS(sp, OPAL_UID_TABLE_ACE, OPAL_UID_M_GET,
                    OPAL_UID_ACE_ACE_GET_ALL);
    opal_factory_describe_tables(sp);
    return sp;
}
