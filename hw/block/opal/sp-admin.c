/*
 * ide-opal-hd: the Admin SP as it leaves the factory (Opal SSC 2.02, 4.2)
 *
 * Every table, row and access rule the SSC preconfigures in the Admin SP,
 * with the optional Admin1..4 authorities (Opal 4.2.1.7) and the PSID
 * feature set (PSID authority, C_PIN_PSID, ACE_SP_PSID) included.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp-tables.h"
#include "uid.h"

/*
 * C_PIN_SID's and C_PIN_PSID's TryLimit and Tries are VU, Persistence FALSE
 * (Opal SSC 2.02, 4.2.1.8, Table 25; PSID FS 1.00, 4.2.2, Table 3).  We
 * choose a few tries, forgotten at power cycle as Persistence FALSE asks,
 * as drives do: guessing stays slow and the lock-out path is reachable.
 */
#define ADMIN_SP_TRY_LIMIT  5

/* Opal 4.2.1.3 */
static const OpalTableDef *const admin_tables[] = {
    &opal_tdef_table, &opal_tdef_spinfo, &opal_tdef_sptemplates,
    &opal_tdef_methodid, &opal_tdef_accesscontrol, &opal_tdef_ace,
    &opal_tdef_authority, &opal_tdef_c_pin,
    &opal_tdef_tperinfo, &opal_tdef_template, &opal_tdef_sp,
    &opal_tdef_data_removal_mechanism,
};

/* Opal 4.2.1.4 */
static const OpalNamedUid admin_methods[] = {
    { OPAL_UID_M_NEXT, "Next" },
    { OPAL_UID_M_GETACL, "GetACL" },
    { OPAL_UID_M_GET, "Get" },
    { OPAL_UID_M_SET, "Set" },
    { OPAL_UID_M_AUTHENTICATE, "Authenticate" },
    { OPAL_UID_M_REVERT, "Revert" },
    { OPAL_UID_M_ACTIVATE, "Activate" },
    { OPAL_UID_M_RANDOM, "Random" },
};

/* Opal 4.2.1.6 after ACE_Anybody and ACE_Admin; PSID 1.00 for the last two. */
static const OpalAceDef admin_aces[] = {
    { OPAL_UID_ACE_SET_ENABLED, "ACE_Set_Enabled", { OPAL_UID_AUTH_SID },
      OPAL_COLS(OPAL_COL_AUTHORITY_ENABLED) },
    { OPAL_UID_ACE_C_PIN_SID_GET_NOPIN, "ACE_C_PIN_SID_Get_NOPIN",
      { OPAL_UID_AUTH_ADMINS, OPAL_UID_AUTH_SID }, OPAL_C_PIN_NOPIN_COLUMNS },
    { OPAL_UID_ACE_C_PIN_SID_SET_PIN, "ACE_C_PIN_SID_Set_PIN",
      { OPAL_UID_AUTH_SID },
      OPAL_COLS(OPAL_COL_C_PIN_PIN) },
    { OPAL_UID_ACE_C_PIN_MSID_GET_PIN, "ACE_C_PIN_MSID_Get_PIN",
      { OPAL_UID_AUTH_ANYBODY },
      OPAL_COLS(0) | OPAL_COLS(OPAL_COL_C_PIN_PIN) },
    { OPAL_UID_ACE_C_PIN_ADMINS_SET_PIN, "ACE_C_PIN_Admins_Set_PIN",
      { OPAL_UID_AUTH_ADMINS, OPAL_UID_AUTH_SID },
      OPAL_COLS(OPAL_COL_C_PIN_PIN) },
    { OPAL_UID_ACE_TPERINFO_SET_PROGRAMMATICRESETENABLE,
      "ACE_TPerInfo_Set_ProgrammaticResetEnable", { OPAL_UID_AUTH_SID },
      OPAL_COLS(OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE) },
    { OPAL_UID_ACE_SP_SID, "ACE_SP_SID", { OPAL_UID_AUTH_SID }, 0 },
    { OPAL_UID_ACE_DATAREMOVALMECHANISM_SET_ACTIVE,
      "ACE_DataRemovalMechanism_Set_ActiveDataRemovalMechanism",
      { OPAL_UID_AUTH_ADMINS, OPAL_UID_AUTH_SID },
      OPAL_COLS(OPAL_COL_DATA_REMOVAL_ACTIVE) },
    /* PSID FS 1.00, 4.2.3.2, Table 6: PSID, All. */
    { OPAL_UID_ACE_SP_PSID, "ACE_SP_PSID", { OPAL_UID_AUTH_PSID }, 0 },
    /*
     * PSID FS 1.00, 4.2.3.1, Table 5: Anybody; UID, CharSet, TryLimit,
     * Tries, Persistence: the PSID's PIN is never readable (FS 2).
     */
    { OPAL_UID_ACE_C_PIN_GET_PSID_NOPIN, "ACE_C_PIN_Get_PSID_NoPIN",
      { OPAL_UID_AUTH_ANYBODY }, OPAL_C_PIN_NOPIN_COLUMNS },
};

/* Opal 4.2.3.2: Base is instantiated by both SPs, Admin and Locking once. */
static const struct {
    uint64_t uid;
    const char *name;
    uint64_t instances;
} admin_templates[] = {
    { OPAL_UID_TEMPLATE_BASE, "Base", 2 },
    { OPAL_UID_TEMPLATE_ADMIN, "Admin", 1 },
    { OPAL_UID_TEMPLATE_LOCKING, "Locking", 1 },
};

/* Opal 4.2.3.3: the Locking SP ships Manufactured-Inactive, until Activate. */
static const struct {
    uint64_t uid;
    const char *name;
    uint64_t life_cycle;
} admin_sps[] = {
    { OPAL_UID_ADMINSP, "Admin", OPAL_LIFE_CYCLE_MANUFACTURED },
    { OPAL_UID_LOCKINGSP, "Locking", OPAL_LIFE_CYCLE_MANUFACTURED_INACTIVE },
};

/* Opal 4.2.3.1 */
static void add_tperinfo(OpalSP *sp)
{
    /*
     * Opal SSC 2.02, 4.2.3.1, Table 27 *TP3: the SSC column is a list of
     * names and SHALL have "Opal" among them (Core 2.01, 5.1.3.71: a list
     * of names).  "Opal", not "Opal 2": the version is in Level 0 Discovery.
     */
    static const char ssc[] = "Opal";
    const OpalToken tokens[] = {
        { .type = OPAL_TOKEN_CONTROL, .control = OPAL_TK_START_LIST },
        { .type = OPAL_TOKEN_BYTES, .bytes = (const uint8_t *)ssc,
          .len = strlen(ssc) },
        { .type = OPAL_TOKEN_CONTROL, .control = OPAL_TK_END_LIST },
    };
    const OpalValue ssc_list = { tokens, G_N_ELEMENTS(tokens) };
    OpalRow *row = opal_factory_row(sp, OPAL_UID_TPERINFO_OBJ, NULL);

    /* Bytes, GUDID, Generation and FirmwareVersion are VU: left out. */
    opal_row_set_uint(row, OPAL_COL_TPERINFO_PROTOCOL_VERSION, 1);
    /* No row setter takes a list of byte strings: store the encoding. */
    row->cells[OPAL_COL_TPERINFO_SSC] = opal_value_encode(&ssc_list);
    opal_row_set_uint(row, OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE, false);

    OPAL_ALLOW(sp, OPAL_UID_TPERINFO_OBJ, OPAL_UID_M_GET, OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW(sp, OPAL_UID_TPERINFO_OBJ, OPAL_UID_M_SET,
               OPAL_UID_ACE_TPERINFO_SET_PROGRAMMATICRESETENABLE);
}

/*
 * Opal SSC 2.02, 4.2.7.1: exactly one row, its mechanism VU: ours, the only
 * one the drive has (Level 0 Discovery's feature 0x0404 lists it).
 */
static void add_data_removal_mechanism(OpalSP *sp)
{
    OpalRow *row = opal_factory_row(sp, OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ,
                                    NULL);

    opal_row_set_uint(row, OPAL_COL_DATA_REMOVAL_ACTIVE,
                      OPAL_DATA_REMOVAL_CRYPTO_ERASE);
    /* Opal SSC 2.02, 4.2.1.5, Table 22 */
    OPAL_ALLOW(sp, OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ, OPAL_UID_M_GET,
               OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW(sp, OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ, OPAL_UID_M_SET,
               OPAL_UID_ACE_DATAREMOVALMECHANISM_SET_ACTIVE);
}

/* Opal 4.2.3.2, 4.2.3.3 */
static void add_templates_and_sps(OpalSP *sp)
{
    for (size_t i = 0; i < G_N_ELEMENTS(admin_templates); i++) {
        OpalRow *row = opal_factory_row(sp, admin_templates[i].uid, "%s",
                                        admin_templates[i].name);

        opal_row_set_uint(row, OPAL_COL_TEMPLATE_REVISION_NUMBER, 1);
        opal_row_set_uint(row, OPAL_COL_TEMPLATE_INSTANCES,
                          admin_templates[i].instances);
        opal_row_set_uint(row, OPAL_COL_TEMPLATE_MAX_INSTANCES,
                          admin_templates[i].instances);
    }
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_TEMPLATE);

    for (size_t i = 0; i < G_N_ELEMENTS(admin_sps); i++) {
        OpalRow *row =
            opal_factory_row(sp, admin_sps[i].uid, "%s", admin_sps[i].name);

        opal_row_set_uint(row, OPAL_COL_SP_LIFE_CYCLE, admin_sps[i].life_cycle);
        opal_row_set_uint(row, OPAL_COL_SP_FROZEN, false);
        OPAL_ALLOW(sp, admin_sps[i].uid, OPAL_UID_M_ACTIVATE,
                   OPAL_UID_ACE_SP_SID);
    }
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_SP);
    /* Opal 4.2.1.5; the PSID may revert the whole TPer only (PSID 1.00). */
    OPAL_ALLOW(sp, OPAL_UID_ADMINSP, OPAL_UID_M_REVERT,
               OPAL_UID_ACE_SP_SID, OPAL_UID_ACE_ADMIN, OPAL_UID_ACE_SP_PSID);
    OPAL_ALLOW(sp, OPAL_UID_LOCKINGSP, OPAL_UID_M_REVERT,
               OPAL_UID_ACE_SP_SID, OPAL_UID_ACE_ADMIN);
}

/* Opal 4.2.1.7, 4.2.1.8 */
static void add_authorities(OpalSP *sp, const OpalConfig *config,
                            const uint8_t *msid, size_t msid_len,
                            const uint8_t *psid, size_t psid_len)
{
    /*
     * Opal SSC 2.02, 4.2.1.7, Table 24: Makers is a class, Enabled T.  No
     * authority belongs to it and a class cannot authenticate, so it grants
     * nothing; SID may still disable it (ACE_Set_Enabled, Table 22).
     */
    opal_factory_add_authority(sp, OPAL_UID_AUTH_MAKERS, "Makers", true,
                               OPAL_UID_NULL, true, OPAL_UID_NULL);
    opal_factory_add_authority(sp, OPAL_UID_AUTH_SID, "SID", false,
                               OPAL_UID_NULL, true, OPAL_UID_C_PIN_SID);
    opal_factory_add_authority(sp, OPAL_UID_AUTH_PSID, "PSID", false,
                               OPAL_UID_NULL, true, OPAL_UID_C_PIN_PSID);

    /* The SID's first PIN is the MSID, which anyone may read (Opal 4.2.1.8). */
    opal_factory_add_c_pin(sp, config, OPAL_UID_C_PIN_SID, "C_PIN_SID", msid,
                           msid_len, ADMIN_SP_TRY_LIMIT);
    opal_factory_add_c_pin(sp, config, OPAL_UID_C_PIN_MSID, "C_PIN_MSID", msid,
                           msid_len, 0);
    opal_factory_add_c_pin(sp, config, OPAL_UID_C_PIN_PSID, "C_PIN_PSID", psid,
                           psid_len, ADMIN_SP_TRY_LIMIT);
    /* PSID FS 1.00, 4.2.1 Table 1 and 4.2.2 Table 3 name both so. */
    opal_row_set_string(opal_sp_row(sp, OPAL_UID_AUTH_PSID),
                        OPAL_COL_COMMON_NAME, "PhysicalDriveOwner");
    opal_row_set_string(opal_sp_row(sp, OPAL_UID_C_PIN_PSID),
                        OPAL_COL_COMMON_NAME, "PhysicalDriveOwner");
    OPAL_ALLOW(sp, OPAL_UID_AUTH_MAKERS, OPAL_UID_M_SET,
               OPAL_UID_ACE_SET_ENABLED);
    OPAL_ALLOW(sp, OPAL_UID_C_PIN_SID, OPAL_UID_M_GET,
               OPAL_UID_ACE_C_PIN_SID_GET_NOPIN);
    OPAL_ALLOW(sp, OPAL_UID_C_PIN_SID, OPAL_UID_M_SET,
               OPAL_UID_ACE_C_PIN_SID_SET_PIN);
    OPAL_ALLOW(sp, OPAL_UID_C_PIN_MSID, OPAL_UID_M_GET,
               OPAL_UID_ACE_C_PIN_MSID_GET_PIN);
    OPAL_ALLOW(sp, OPAL_UID_C_PIN_PSID, OPAL_UID_M_GET,
               OPAL_UID_ACE_C_PIN_GET_PSID_NOPIN);

    for (unsigned n = 1; n <= OPAL_ADMINSP_ADMINS; n++) {
        uint64_t uid = OPAL_UID_ADMINSP_ADMIN(n),
                 cpin = OPAL_UID_ADMINSP_C_PIN_ADMIN(n);
        g_autofree char *name = g_strdup_printf("Admin%u", n);
        g_autofree char *cpin_name = g_strdup_printf("C_PIN_Admin%u", n);

        /* Optional and disabled until SID enables them. */
        opal_factory_add_authority(sp, uid, name, false, OPAL_UID_AUTH_ADMINS,
                                   false, cpin);
        opal_factory_add_c_pin(sp, config, cpin, cpin_name, "", 0, 0);
        OPAL_ALLOW(sp, uid, OPAL_UID_M_SET, OPAL_UID_ACE_SET_ENABLED);
        OPAL_ALLOW(sp, cpin, OPAL_UID_M_GET, OPAL_UID_ACE_C_PIN_SID_GET_NOPIN);
        OPAL_ALLOW(sp, cpin, OPAL_UID_M_SET, OPAL_UID_ACE_C_PIN_ADMINS_SET_PIN);
    }
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_AUTHORITY);
    OPAL_ALLOW(sp, OPAL_UID_TABLE_C_PIN, OPAL_UID_M_NEXT, OPAL_UID_ACE_ANYBODY);
}

OpalSP *opal_admin_sp_new(const OpalConfig *config, const uint8_t *msid,
                          size_t msid_len, const uint8_t *psid, size_t psid_len)
{
    OpalSP *sp = opal_sp_new(OPAL_UID_ADMINSP);

    opal_factory_add_tables(sp, admin_tables, G_N_ELEMENTS(admin_tables));
    opal_factory_add_base(sp, "Admin", OPAL_UID_TEMPLATE_ADMIN, "Admin",
                          admin_methods, G_N_ELEMENTS(admin_methods));
    opal_factory_add_aces(sp, admin_aces, G_N_ELEMENTS(admin_aces));
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_ACE);
    add_authorities(sp, config, msid, msid_len, psid, psid_len);
    add_tperinfo(sp);
    add_templates_and_sps(sp);
    add_data_removal_mechanism(sp);
    opal_factory_describe_tables(sp);
    return sp;
}
