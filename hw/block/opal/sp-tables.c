/*
 * ide-opal-hd: the tables of the Opal SPs and helpers to fill them
 *
 * Column layouts follow Core 5.3.2 (Base template), 5.4.2 (Admin template)
 * and 5.7.2 (Locking template) as the Opal SSC 2.02 uses them (4.2.1, 4.3.1,
 * 4.3.5).  OPAL_COL_READONLY marks the columns no Opal ACE ever lets a host
 * set, in any row: identity, description and state the TPer alone keeps.
 * Columns some ACE may grant (CommonName, Enabled, PIN, the lock columns...)
 * are left to the access rules.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp-tables.h"
#include "uid.h"

#define RO                  OPAL_COL_READONLY
#define COL_UID             { 0, "UID", OPAL_T_UIDREF, 0, RO }
#define COL_NAME(n)         { n, "Name", OPAL_T_BYTES, OPAL_NAME_MAX, RO }
#define COL_COMMON_NAME(f)  { 2, "CommonName", OPAL_T_BYTES, OPAL_NAME_MAX, f }

#define TABLE_DEF(var, table_uid, table_name, kind_, cols)          \
    const OpalTableDef var = {                                      \
        .uid = table_uid, .name = table_name, .kind = kind_,        \
        .columns = cols, .nr_columns = G_N_ELEMENTS(cols),          \
    }

/* Core 5.3.2: Table.  The TPer describes its own tables; none is settable. */
static const OpalColumn table_columns[] = {
    COL_UID,
    COL_NAME(1),
    COL_COMMON_NAME(RO),
    { 3, "TemplateID", OPAL_T_UIDREF, 0, RO },
    { 4, "Kind", OPAL_T_ENUM, OPAL_TABLE_BYTE, RO },
    { 5, "Column", OPAL_T_UIDREF, 0, RO },
    { 6, "NumColumns", OPAL_T_UINT, 0, RO },
    { 7, "Rows", OPAL_T_UINT, 0, RO },
    { 8, "RowsFree", OPAL_T_UINT, 0, RO },
    { 9, "RowBytes", OPAL_T_UINT, 0, RO },
    { 10, "LastID", OPAL_T_UIDREF, 0, RO },
    { 11, "MinSize", OPAL_T_UINT, 0, RO },
    { 12, "MaxSize", OPAL_T_UINT, 0, RO },
    { 13, "MandatoryWriteGranularity", OPAL_T_UINT, 0, RO },
    { 14, "RecommendedAccessGranularity", OPAL_T_UINT, 0, RO },
};
TABLE_DEF(opal_tdef_table, OPAL_UID_TABLE_TABLE, "Table", OPAL_TABLE_OBJECT,
          table_columns);

/* Core 5.3.2: SPInfo. */
static const OpalColumn spinfo_columns[] = {
    COL_UID,
    { 1, "SPID", OPAL_T_UIDREF, 0, RO },
    COL_NAME(2),
    { 3, "Size", OPAL_T_UINT, 0, RO },
    { 4, "SizeInUse", OPAL_T_UINT, 0, RO },
    { 5, "SPSessionTimeout", OPAL_T_UINT, 0, RO },
    { 6, "Enabled", OPAL_T_BOOL, 0, RO },
};
TABLE_DEF(opal_tdef_spinfo, OPAL_UID_TABLE_SPINFO, "SPInfo", OPAL_TABLE_OBJECT,
          spinfo_columns);

/* Core 5.3.2: SPTemplates. */
static const OpalColumn sptemplates_columns[] = {
    COL_UID,
    { 1, "TemplateID", OPAL_T_UIDREF, 0, RO },
    COL_NAME(2),
    { 3, "Version", OPAL_T_BYTES, 4, RO },
};
TABLE_DEF(opal_tdef_sptemplates, OPAL_UID_TABLE_SPTEMPLATES, "SPTemplates",
          OPAL_TABLE_OBJECT, sptemplates_columns);

/* Core 5.3.2: MethodID. */
static const OpalColumn methodid_columns[] = {
    COL_UID,
    COL_NAME(1),
    COL_COMMON_NAME(0),
    { 3, "TemplateID", OPAL_T_UIDREF, 0, RO },
};
TABLE_DEF(opal_tdef_methodid, OPAL_UID_TABLE_METHODID, "MethodID",
          OPAL_TABLE_OBJECT, methodid_columns);

/*
 * Core 5.3.2: AccessControl.  Its rows live in OpalSP.rules; Opal has no
 * AddACE/RemoveACE, so every column is fixed.
 */
static const OpalColumn accesscontrol_columns[] = {
    COL_UID,
    { 1, "InvokingID", OPAL_T_UIDREF, 0, RO },
    { 2, "MethodID", OPAL_T_UIDREF, 0, RO },
    { 3, "CommonName", OPAL_T_BYTES, OPAL_NAME_MAX, RO },
    { 4, "ACL", OPAL_T_UID_LIST, 0, RO },
    { 5, "Log", OPAL_T_ENUM, 3, RO },
    { 6, "AddACEACL", OPAL_T_UID_LIST, 0, RO },
    { 7, "RemoveACEACL", OPAL_T_UID_LIST, 0, RO },
    { 8, "GetACLACL", OPAL_T_UID_LIST, 0, RO },
    { 9, "DeleteMethodACL", OPAL_T_UID_LIST, 0, RO },
    { 10, "AddACELog", OPAL_T_ENUM, 3, RO },
    { 11, "RemoveACELog", OPAL_T_ENUM, 3, RO },
    { 12, "GetACLLog", OPAL_T_ENUM, 3, RO },
    { 13, "DeleteMethodLog", OPAL_T_ENUM, 3, RO },
    { 14, "LogTo", OPAL_T_UIDREF, 0, RO },
};
TABLE_DEF(opal_tdef_accesscontrol, OPAL_UID_TABLE_ACCESSCONTROL,
          "AccessControl", OPAL_TABLE_OBJECT, accesscontrol_columns);

/*
 * Core 5.3.2: ACE.  Opal personalizes BooleanExpr only, never Columns.  The
 * Name holds the SSC's ACE names for traces; some exceed Core's 32 bytes.
 */
static const OpalColumn ace_columns[] = {
    COL_UID,
    { 1, "Name", OPAL_T_BYTES, 64, RO },
    COL_COMMON_NAME(0),
    { 3, "BooleanExpr", OPAL_T_ACE_EXPR, 0, 0 },
    { 4, "Columns", OPAL_T_ENUM_LIST, OPAL_MAX_COLUMNS - 1, RO },
};
TABLE_DEF(opal_tdef_ace, OPAL_UID_TABLE_ACE, "ACE", OPAL_TABLE_OBJECT,
          ace_columns);

/* Core 5.3.2: Authority.  Opal ACEs grant CommonName and Enabled only. */
static const OpalColumn authority_columns[] = {
    COL_UID,
    COL_NAME(1),
    COL_COMMON_NAME(0),
    { 3, "IsClass", OPAL_T_BOOL, 0, RO },
    { 4, "Class", OPAL_T_UIDREF, 0, RO },
    { 5, "Enabled", OPAL_T_BOOL, 0, 0 },
    { 6, "Secure", OPAL_T_ENUM, 255, RO },              /* messaging_type */
    { 7, "HashAndSign", OPAL_T_ENUM, 15, RO },          /* hash_protocol */
    { 8, "PresentCertificate", OPAL_T_BOOL, 0, RO },
    { 9, "Operation", OPAL_T_ENUM, 7, RO },             /* auth_method */
    { 10, "Credential", OPAL_T_UIDREF, 0, RO },
    { 11, "ResponseSign", OPAL_T_UIDREF, 0, RO },
    { 12, "ResponseExch", OPAL_T_UIDREF, 0, RO },
    { 13, "ClockStart", OPAL_T_ANY, 0, RO },            /* date */
    { 14, "ClockEnd", OPAL_T_ANY, 0, RO },
    { 15, "Limit", OPAL_T_UINT, 0, RO },
    { 16, "Uses", OPAL_T_UINT, 0, RO },
    { 17, "Log", OPAL_T_ENUM, 3, RO },
    { 18, "LogTo", OPAL_T_UIDREF, 0, RO },
};
TABLE_DEF(opal_tdef_authority, OPAL_UID_TABLE_AUTHORITY, "Authority",
          OPAL_TABLE_OBJECT, authority_columns);

/*
 * Core 5.3.2: C_PIN.  Opal ACEs grant PIN only; Tries changes as a side
 * effect of authentication (Core 5.3.4.1), never through Set.
 */
static const OpalColumn c_pin_columns[] = {
    COL_UID,
    COL_NAME(1),
    COL_COMMON_NAME(0),
    { 3, "PIN", OPAL_T_BYTES, OPAL_NAME_MAX, 0 },
    { 4, "CharSet", OPAL_T_UIDREF, 0, RO },
    { 5, "TryLimit", OPAL_T_UINT, 0, RO },
    { 6, "Tries", OPAL_T_UINT, 0, RO },
    { 7, "Persistence", OPAL_T_BOOL, 0, RO },
    /*
     * Not the spec's: the PIN's verifier (secrets.c), which no host sees or
     * sets.
     */
    { OPAL_COL_C_PIN_VERIFIER, "Verifier", OPAL_T_BYTES, 64,
      RO | OPAL_COL_SECRET },
};
TABLE_DEF(opal_tdef_c_pin, OPAL_UID_TABLE_C_PIN, "C_PIN", OPAL_TABLE_OBJECT,
          c_pin_columns);

/* Core 5.4.2: TPerInfo, with Opal's ProgrammaticResetEnable (Opal 4.2.3.1). */
static const OpalColumn tperinfo_columns[] = {
    COL_UID,
    { 1, "Bytes", OPAL_T_UINT, 0, RO },
    { 2, "GUDID", OPAL_T_BYTES, 12, RO },
    { 3, "Generation", OPAL_T_UINT, 0, RO },
    { 4, "FirmwareVersion", OPAL_T_UINT, 0, RO },
    { 5, "ProtocolVersion", OPAL_T_UINT, 0, RO },
    { 6, "SpaceForIssuance", OPAL_T_UINT, 0, RO },
    { 7, "SSC", OPAL_T_ANY, 0, RO },                    /* list of SSC names */
    { 8, "ProgrammaticResetEnable", OPAL_T_BOOL, 0, 0 },
};
TABLE_DEF(opal_tdef_tperinfo, OPAL_UID_TABLE_TPERINFO, "TPerInfo",
          OPAL_TABLE_OBJECT, tperinfo_columns);

/* Core 5.4.2: Template. */
static const OpalColumn template_columns[] = {
    COL_UID,
    COL_NAME(1),
    { 2, "RevisionNumber", OPAL_T_UINT, 0, RO },
    { 3, "Instances", OPAL_T_UINT, 0, RO },
    { 4, "MaxInstances", OPAL_T_UINT, 0, RO },
};
TABLE_DEF(opal_tdef_template, OPAL_UID_TABLE_TEMPLATE, "Template",
          OPAL_TABLE_OBJECT, template_columns);

/*
 * Core 5.4.2: SP.  Only Activate and Revert change LifeCycleState (Opal 5.1).
 */
static const OpalColumn sp_columns[] = {
    COL_UID,
    COL_NAME(1),
    { 2, "ORG", OPAL_T_UIDREF, 0, RO },
    { 3, "EffectiveAuth", OPAL_T_ANY, 0, RO },
    { 4, "DateOfIssue", OPAL_T_ANY, 0, RO },            /* date */
    { 5, "Bytes", OPAL_T_UINT, 0, RO },
    { 6, "LifeCycleState", OPAL_T_ENUM, 15, RO },
    { 7, "Frozen", OPAL_T_BOOL, 0, RO },
};
TABLE_DEF(opal_tdef_sp, OPAL_UID_TABLE_SP, "SP", OPAL_TABLE_OBJECT, sp_columns);

/*
 * Opal SSC 2.02, 4.2.6.1: DataRemovalMechanism.  Its one row says which of
 * the supported mechanisms Revert, RevertSP and GenKey use; a Set to any
 * other value of data_removal_mechanism (0..7) is INVALID_PARAMETER.
 */
static const OpalColumn data_removal_mechanism_columns[] = {
    COL_UID,
    { OPAL_COL_DATA_REMOVAL_ACTIVE, "ActiveDataRemovalMechanism",
      OPAL_T_ENUM_SUPPORTED, OPAL_DATA_REMOVAL_SUPPORTED, 0 },
};
TABLE_DEF(opal_tdef_data_removal_mechanism,
          OPAL_UID_TABLE_DATA_REMOVAL_MECHANISM, "DataRemovalMechanism",
          OPAL_TABLE_OBJECT, data_removal_mechanism_columns);

/* Core 5.3.2: SecretProtect (Opal 4.3.1.10). */
static const OpalColumn secretprotect_columns[] = {
    COL_UID,
    { 1, "Table", OPAL_T_UIDREF, 0, RO },
    { 2, "ColumnNumber", OPAL_T_UINT, 0, RO },
    { 3, "ProtectMechanisms", OPAL_T_ENUM_LIST, 255, RO },
};
TABLE_DEF(opal_tdef_secretprotect, OPAL_UID_TABLE_SECRETPROTECT,
          "SecretProtect", OPAL_TABLE_OBJECT, secretprotect_columns);

/* Core 5.7.2: LockingInfo (Opal 4.3.5.1): what the TPer can do, read-only. */
static const OpalColumn lockinginfo_columns[] = {
    COL_UID,
    COL_NAME(1),
    { 2, "Version", OPAL_T_UINT, 0, RO },
    { 3, "EncryptSupport", OPAL_T_ENUM, 1, RO },
    { 4, "MaxRanges", OPAL_T_UINT, 0, RO },
    { 5, "MaxReEncryptions", OPAL_T_UINT, 0, RO },
    { 6, "KeysAvailableCfg", OPAL_T_ENUM, 1, RO },
    { 7, "AlignmentRequired", OPAL_T_BOOL, 0, RO },
    { 8, "LogicalBlockSize", OPAL_T_UINT, 0, RO },
    { 9, "AlignmentGranularity", OPAL_T_UINT, 0, RO },
    { 10, "LowestAlignedLBA", OPAL_T_UINT, 0, RO },
};
TABLE_DEF(opal_tdef_lockinginfo, OPAL_UID_TABLE_LOCKINGINFO, "LockingInfo",
          OPAL_TABLE_OBJECT, lockinginfo_columns);

/*
 * Core 5.7.2: Locking (Opal 4.3.5.2).  RangeStart and RangeLength of the
 * global range are guarded by its ACEs, not by flags.  Opal has no
 * re-encryption: ActiveKey and columns 11..19 never change through Set.
 */
static const OpalColumn locking_columns[] = {
    COL_UID,
    COL_NAME(1),
    COL_COMMON_NAME(0),
    { 3, "RangeStart", OPAL_T_UINT, 0, 0 },
    { 4, "RangeLength", OPAL_T_UINT, 0, 0 },
    { 5, "ReadLockEnabled", OPAL_T_BOOL, 0, 0 },
    { 6, "WriteLockEnabled", OPAL_T_BOOL, 0, 0 },
    { 7, "ReadLocked", OPAL_T_BOOL, 0, 0 },
    { 8, "WriteLocked", OPAL_T_BOOL, 0, 0 },
    { 9, "LockOnReset", OPAL_T_ENUM_LIST, 3, 0 },       /* reset_types */
    { 10, "ActiveKey", OPAL_T_UIDREF, 0, RO },
    { 11, "NextKey", OPAL_T_UIDREF, 0, RO },
    { 12, "ReEncryptState", OPAL_T_ENUM, 15, RO },
    { 13, "ReEncryptRequest", OPAL_T_ENUM, 15, RO },
    { 14, "AdvKeyMode", OPAL_T_ENUM, 15, RO },
    { 15, "VerifyMode", OPAL_T_ENUM, 15, RO },
    { 16, "ContOnReset", OPAL_T_ENUM_LIST, 3, RO },
    { 17, "LastReEncryptLBA", OPAL_T_UINT, 0, RO },
    { 18, "LastReEncStat", OPAL_T_ENUM, 15, RO },
    { 19, "GeneralStatus", OPAL_T_ENUM_LIST, 63, RO },
};
TABLE_DEF(opal_tdef_locking, OPAL_UID_TABLE_LOCKING, "Locking",
          OPAL_TABLE_OBJECT, locking_columns);

/* Core 5.7.2: MBRControl (Opal 4.3.5.3). */
static const OpalColumn mbrcontrol_columns[] = {
    COL_UID,
    { 1, "Enable", OPAL_T_BOOL, 0, 0 },
    { 2, "Done", OPAL_T_BOOL, 0, 0 },
    { 3, "DoneOnReset", OPAL_T_ENUM_LIST, 3, 0 },       /* reset_types */
};
TABLE_DEF(opal_tdef_mbrcontrol, OPAL_UID_TABLE_MBRCONTROL, "MBRControl",
          OPAL_TABLE_OBJECT, mbrcontrol_columns);

/*
 * Core 5.7.2: K_AES_256 (Opal 4.3.5.5).  Key is never returned; only GenKey
 * changes it.  It holds 32 bytes, or 64 for a mode with two keys (XTS).
 */
static const OpalColumn k_aes_256_columns[] = {
    COL_UID,
    COL_NAME(1),
    COL_COMMON_NAME(0),
    { 3, "Key", OPAL_T_BYTES, 64, RO | OPAL_COL_SECRET | OPAL_COL_VOLATILE },
    { 4, "Mode", OPAL_T_ENUM, 23, RO },     /* symmetric_mode_media */
    /*
     * Not the spec's: the key wrapped for those who may unlock it (secrets.c).
     */
    { OPAL_COL_K_AES_WRAPPED, "WrappedKeys", OPAL_T_BYTES, 16384,
      RO | OPAL_COL_SECRET },
};
TABLE_DEF(opal_tdef_k_aes_256, OPAL_UID_TABLE_K_AES_256, "K_AES_256",
          OPAL_TABLE_OBJECT, k_aes_256_columns);

/* Byte tables (Core 5.7.2.5 MBR; Opal 4.3.7.1 DataStore): no columns. */
const OpalTableDef opal_tdef_mbr = {
    .uid = OPAL_UID_TABLE_MBR, .name = "MBR", .kind = OPAL_TABLE_BYTE,
};
const OpalTableDef opal_tdef_datastore = {
    .uid = OPAL_UID_TABLE_DATASTORE,
    .name = "DataStore",
    .kind = OPAL_TABLE_BYTE,
};

/* ---- building blocks of the factory state -------------------------------- */

void opal_factory_add_tables(OpalSP *sp, const OpalTableDef *const *defs,
                             size_t n)
{
    for (size_t i = 0; i < n; i++) {
        opal_sp_add_table(sp, defs[i], 0);
    }
}

OpalRow *opal_factory_row(OpalSP *sp, uint64_t uid, const char *name_fmt, ...)
{
    OpalTable *table = opal_sp_table(sp, OPAL_UID_TABLE_OF(uid));
    OpalRow *row;

    g_assert(table);
    row = opal_table_add_row(sp, table, uid);
    if (name_fmt) {
        g_autofree char *name = NULL;
        va_list ap;

        va_start(ap, name_fmt);
        name = g_strdup_vprintf(name_fmt, ap);
        va_end(ap);
        opal_row_set_string(row, OPAL_COL_NAME, name);
    }
    return row;
}

void opal_factory_add_ace(OpalSP *sp, const OpalAceDef *ace)
{
    OpalRow *row = opal_factory_row(sp, ace->uid, "%s", ace->name);
    uint64_t columns[OPAL_MAX_COLUMNS];
    size_t n = 0;

    opal_row_set_ace_any_of(row, OPAL_COL_ACE_BOOLEAN_EXPR, ace->who,
                            ace->who[1] ? 2 : 1);
    for (uint32_t c = 0; c < OPAL_MAX_COLUMNS; c++) {
        if (ace->columns & OPAL_COLS(c)) {
            columns[n++] = c;
        }
    }
    /*
     * An empty list stands for every column of the table (Opal 4.2.1.6 "All").
     */
    opal_row_set_uint_list(row, OPAL_COL_ACE_COLUMNS, columns, n);
}

void opal_factory_add_aces(OpalSP *sp, const OpalAceDef *aces, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        opal_factory_add_ace(sp, &aces[i]);
    }
}

void opal_factory_add_authority(OpalSP *sp, uint64_t uid, const char *name,
                                bool is_class, uint64_t class, bool enabled,
                                uint64_t credential)
{
    OpalRow *row = opal_factory_row(sp, uid, "%s", name);

    /* Opal 4.2.1.7, 4.3.1.8: no secure messaging, certificates or signing. */
    opal_row_set_string(row, OPAL_COL_COMMON_NAME, "");
    opal_row_set_uint(row, OPAL_COL_AUTHORITY_IS_CLASS, is_class);
    opal_row_set_uid(row, OPAL_COL_AUTHORITY_CLASS, class);
    opal_row_set_uint(row, OPAL_COL_AUTHORITY_ENABLED, enabled);
    opal_row_set_uint(row, OPAL_COL_AUTHORITY_SECURE, 0);
    opal_row_set_uint(row, OPAL_COL_AUTHORITY_HASH_AND_SIGN, 0);
    opal_row_set_uint(row, OPAL_COL_AUTHORITY_PRESENT_CERTIFICATE, 0);
    opal_row_set_uint(row, OPAL_COL_AUTHORITY_OPERATION,
                      credential ? OPAL_AUTH_METHOD_PASSWORD :
                                   OPAL_AUTH_METHOD_NONE);
    opal_row_set_uid(row, OPAL_COL_AUTHORITY_CREDENTIAL, credential);
    opal_row_set_uid(row, OPAL_COL_AUTHORITY_RESPONSE_SIGN, OPAL_UID_NULL);
    opal_row_set_uid(row, OPAL_COL_AUTHORITY_RESPONSE_EXCH, OPAL_UID_NULL);
}

void opal_factory_add_c_pin(OpalSP *sp, const OpalConfig *config, uint64_t uid,
                            const char *name, const void *pin, size_t pin_len,
                            uint64_t try_limit)
{
    OpalRow *row = opal_factory_row(sp, uid, "%s", name);

    opal_row_set_string(row, OPAL_COL_COMMON_NAME, "");
    /* Nobody presented this PIN: its KEK is of no use yet, but a secret. */
    opal_secret_free(opal_pin_store(config, row, pin, pin_len), OPAL_KEK_LEN);
    opal_row_set_uid(row, OPAL_COL_C_PIN_CHAR_SET, OPAL_UID_NULL);
    opal_row_set_uint(row, OPAL_COL_C_PIN_TRY_LIMIT, try_limit);
    opal_row_set_uint(row, OPAL_COL_C_PIN_TRIES, 0);
    opal_row_set_uint(row, OPAL_COL_C_PIN_PERSISTENCE, false);
}

void opal_factory_allow_rows(OpalSP *sp, uint64_t table_uid, uint64_t method,
                             const uint64_t *acl, size_t n)
{
    const OpalTable *table = opal_sp_table(sp, table_uid);

    for (guint i = 0; i < table->rows->len; i++) {
        const OpalRow *row = g_ptr_array_index(table->rows, i);

        opal_sp_allow(sp, row->uid, method, acl, n);
    }
}

void opal_factory_allow_browse(OpalSP *sp, uint64_t table_uid)
{
    OPAL_ALLOW(sp, table_uid, OPAL_UID_M_NEXT, OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW_ROWS(sp, table_uid, OPAL_UID_M_GET, OPAL_UID_ACE_ANYBODY);
}

/* Opal 4.2.1.6, 4.3.1.7: the first two ACEs of every SP. */
static const OpalAceDef base_aces[] = {
    { OPAL_UID_ACE_ANYBODY, "ACE_Anybody", { OPAL_UID_AUTH_ANYBODY }, 0 },
    { OPAL_UID_ACE_ADMIN, "ACE_Admin", { OPAL_UID_AUTH_ADMINS }, 0 },
};

void opal_factory_add_base(OpalSP *sp, const char *sp_name,
                           uint64_t template_uid, const char *template_name,
                           const OpalNamedUid *methods, size_t nr_methods)
{
    /* Opal 4.2.1.2, 4.3.1.2: both templates at version 2 (bytes_4). */
    static const uint8_t version[4] = { 0, 0, 0, 2 };
    const OpalNamedUid templates[] = {
        { OPAL_UID_TEMPLATE_BASE, "Base" },
        { template_uid, template_name },
    };
    OpalRow *row = opal_factory_row(sp, OPAL_UID_SPINFO_OBJ, NULL);

    opal_row_set_uid(row, OPAL_COL_SPINFO_SPID, sp->uid);
    opal_row_set_string(row, OPAL_COL_SPINFO_NAME, sp_name);
    opal_row_set_uint(row, OPAL_COL_SPINFO_ENABLED, true);
    for (size_t i = 0; i < G_N_ELEMENTS(templates); i++) {
        row = opal_factory_row(sp, OPAL_UID_SPTEMPLATES_1 + i, NULL);
        opal_row_set_uid(row, OPAL_COL_SPTEMPLATES_TEMPLATE_ID,
                         templates[i].uid);
        opal_row_set_string(row, OPAL_COL_SPTEMPLATES_NAME, templates[i].name);
        opal_row_set_bytes(row, OPAL_COL_SPTEMPLATES_VERSION, version,
                           sizeof(version));
    }
    for (size_t i = 0; i < nr_methods; i++) {
        opal_factory_row(sp, methods[i].uid, "%s", methods[i].name);
    }
    opal_factory_add_aces(sp, base_aces, G_N_ELEMENTS(base_aces));
    opal_factory_add_authority(sp, OPAL_UID_AUTH_ANYBODY, "Anybody", false,
                               OPAL_UID_NULL, true, OPAL_UID_NULL);
    opal_factory_add_authority(sp, OPAL_UID_AUTH_ADMINS, "Admins", true,
                               OPAL_UID_NULL, true, OPAL_UID_NULL);

    /* Opal 4.2.1.5, 4.3.1.6: the rows every SP lets Anybody use. */
    OPAL_ALLOW(sp, OPAL_UID_THISSP, OPAL_UID_M_AUTHENTICATE,
               OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW(sp, OPAL_UID_THISSP, OPAL_UID_M_RANDOM, OPAL_UID_ACE_ANYBODY);
    /*
     * GetACL is guarded by the GetACLACL of the row it asks about, which the
     * SSC sets to ACE_Anybody in every AccessControl row (Opal 4.2.1.5,
     * 4.3.1.6): one rule on the AccessControl table stands for all of them.
     */
    OPAL_ALLOW(sp, OPAL_UID_TABLE_ACCESSCONTROL, OPAL_UID_M_GETACL,
               OPAL_UID_ACE_ANYBODY);
    OPAL_ALLOW(sp, OPAL_UID_SPINFO_OBJ, OPAL_UID_M_GET, OPAL_UID_ACE_ANYBODY);
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_SPTEMPLATES);
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_METHODID);
}

static OpalRow *describe_row(OpalSP *sp, const OpalTableDef *def)
{
    OpalRow *row =
        opal_factory_row(sp, OPAL_UID_TABLE_ROW(def->uid), "%s", def->name);

    opal_row_set_string(row, OPAL_COL_COMMON_NAME, "");
    opal_row_set_uint(row, OPAL_COL_TABLE_KIND, def->kind);
    return row;
}

void opal_factory_describe_table(OpalSP *sp, const OpalTableDef *def)
{
    OPAL_ALLOW(sp, describe_row(sp, def)->uid, OPAL_UID_M_GET,
               OPAL_UID_ACE_ANYBODY);
}

void opal_factory_count_rows(OpalSP *sp)
{
    for (guint i = 0; i < sp->tables->len; i++) {
        const OpalTable *table = g_ptr_array_index(sp->tables, i);
        OpalRow *row = opal_sp_row(sp, OPAL_UID_TABLE_ROW(table->def->uid));
        uint64_t granularity = 0;
        uint64_t rows;

        if (!row) {
            continue;
        }
        if (table->def->kind == OPAL_TABLE_BYTE) {
            /*
             * A byte table's rows are its bytes (Core 5.3.2, Table table);
             * Linux reads Rows to bound its MBR and DataStore writes.  Any
             * offset and length may be written: granularity 1 [VU].
             */
            rows = table->byte_size;
            granularity = 1;
            opal_row_set_uint(row, OPAL_COL_TABLE_MAX_SIZE, rows);
        } else if (table->def->uid == OPAL_UID_TABLE_ACCESSCONTROL) {
            rows = sp->rules->len;
        } else {
            rows = table->rows->len;
        }
        opal_row_set_uint(row, OPAL_COL_TABLE_ROWS, rows);
        opal_row_set_uint(row, OPAL_COL_TABLE_MANDATORY_WRITE_GRANULARITY,
                          granularity);
        opal_row_set_uint(row, OPAL_COL_TABLE_RECOMMENDED_ACCESS_GRANULARITY,
                          granularity);
    }
}

void opal_factory_describe_tables(OpalSP *sp)
{
    guint nr_tables = sp->tables->len;

    for (guint i = 0; i < nr_tables; i++) {
        describe_row(sp, ((OpalTable *)g_ptr_array_index(sp->tables, i))->def);
    }
    opal_factory_allow_browse(sp, OPAL_UID_TABLE_TABLE);
    /* Now that every row and rule is in place, count them. */
    opal_factory_count_rows(sp);
}
