/*
 * ide-opal-hd: the tables of the Opal SPs and helpers to fill them
 *
 * The column layouts of every table the Admin SP and the Locking SP hold
 * (Core 5.3.2, 5.4.2, 5.7.2; Opal SSC 2.02, 4.2 and 4.3), and the building
 * blocks sp-admin.c and sp-locking.c share to lay out their factory state.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_BLOCK_OPAL_SP_TABLES_H
#define HW_BLOCK_OPAL_SP_TABLES_H

#include "sp.h"

/* Admin authorities of the Admin SP (Opal 4.2.1.7; optional, 4 is common). */
#define OPAL_ADMINSP_ADMINS     4

/* Longest PIN, Name or CommonName (Core 5.1.3: max_bytes_32). */
#define OPAL_NAME_MAX           32

/* Column numbers the factory state fills beyond those sp.h names. */
enum {
    OPAL_COL_NAME = 1,                  /* every table with a Name but these: */
    OPAL_COL_SPINFO_SPID = 1,
    OPAL_COL_SPINFO_NAME = 2,
    OPAL_COL_SPINFO_ENABLED = 6,
    OPAL_COL_SPTEMPLATES_TEMPLATE_ID = 1,
    OPAL_COL_SPTEMPLATES_NAME = 2,
    OPAL_COL_SPTEMPLATES_VERSION = 3,
    OPAL_COL_COMMON_NAME = 2,           /* every table with a CommonName */
    OPAL_COL_TABLE_KIND = 4,
    OPAL_COL_TABLE_ROWS = 7,
    OPAL_COL_TABLE_MAX_SIZE = 12,
    OPAL_COL_TABLE_MANDATORY_WRITE_GRANULARITY = 13,
    OPAL_COL_TABLE_RECOMMENDED_ACCESS_GRANULARITY = 14,
    OPAL_COL_AUTHORITY_SECURE = 6,
    OPAL_COL_AUTHORITY_HASH_AND_SIGN = 7,
    OPAL_COL_AUTHORITY_PRESENT_CERTIFICATE = 8,
    OPAL_COL_AUTHORITY_RESPONSE_SIGN = 11,
    OPAL_COL_AUTHORITY_RESPONSE_EXCH = 12,
    OPAL_COL_C_PIN_CHAR_SET = 4,
    OPAL_COL_TPERINFO_PROTOCOL_VERSION = 5,
    OPAL_COL_TPERINFO_SSC = 7,
    OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE = 8,
    OPAL_COL_TEMPLATE_REVISION_NUMBER = 2,
    OPAL_COL_TEMPLATE_INSTANCES = 3,
    OPAL_COL_TEMPLATE_MAX_INSTANCES = 4,
    OPAL_COL_SP_FROZEN = 7,
    OPAL_COL_DATA_REMOVAL_ACTIVE = 1,   /* ActiveDataRemovalMechanism */
    OPAL_COL_SECRETPROTECT_TABLE = 1,
    OPAL_COL_SECRETPROTECT_COLUMN_NUMBER = 2,
    OPAL_COL_SECRETPROTECT_PROTECT_MECHANISMS = 3,
    OPAL_COL_LOCKINGINFO_VERSION = 2,
    OPAL_COL_LOCKINGINFO_ENCRYPT_SUPPORT = 3,
    OPAL_COL_LOCKINGINFO_MAX_RANGES = 4,
    OPAL_COL_LOCKINGINFO_MAX_RE_ENCRYPTIONS = 5,
    OPAL_COL_LOCKINGINFO_KEYS_AVAILABLE_CFG = 6,
    OPAL_COL_LOCKINGINFO_ALIGNMENT_REQUIRED = 7,
    OPAL_COL_LOCKINGINFO_LOGICAL_BLOCK_SIZE = 8,
    OPAL_COL_LOCKINGINFO_ALIGNMENT_GRANULARITY = 9,
    OPAL_COL_LOCKINGINFO_LOWEST_ALIGNED_LBA = 10,
    OPAL_COL_K_AES_KEY = 3,
    OPAL_COL_K_AES_MODE = 4,
};

/* Every table of the two SPs (sp-tables.c). */
extern const OpalTableDef opal_tdef_table;
extern const OpalTableDef opal_tdef_spinfo;
extern const OpalTableDef opal_tdef_sptemplates;
extern const OpalTableDef opal_tdef_methodid;
extern const OpalTableDef opal_tdef_accesscontrol;
extern const OpalTableDef opal_tdef_ace;
extern const OpalTableDef opal_tdef_authority;
extern const OpalTableDef opal_tdef_c_pin;
extern const OpalTableDef opal_tdef_tperinfo;
extern const OpalTableDef opal_tdef_template;
extern const OpalTableDef opal_tdef_sp;
extern const OpalTableDef opal_tdef_data_removal_mechanism;

/*
 * data_removal_mechanism (Opal SSC 2.02, 4.2.5.1, Table 31).  The drive
 * erases cryptographically: a new media key (Table 10, bit 2, which every
 * Opal 2.02 TPer SHALL support); it overwrites nothing.
 */
enum {
    OPAL_DATA_REMOVAL_CRYPTO_ERASE = 2,
};
#define OPAL_DATA_REMOVAL_SUPPORTED (1ULL << OPAL_DATA_REMOVAL_CRYPTO_ERASE)
extern const OpalTableDef opal_tdef_secretprotect;
extern const OpalTableDef opal_tdef_lockinginfo;
extern const OpalTableDef opal_tdef_locking;
extern const OpalTableDef opal_tdef_mbrcontrol;
extern const OpalTableDef opal_tdef_mbr;
extern const OpalTableDef opal_tdef_k_aes_256;
extern const OpalTableDef opal_tdef_datastore;

/* ---- building blocks of the factory state -------------------------------- */

/* A bit per column number, for OpalAceDef.columns. */
#define OPAL_COLS(n)            (1u << (n))

/*
 * C_PIN columns the *_NOPIN ACEs show: UID, CharSet, TryLimit, Tries,
 * Persistence.
 */
#define OPAL_C_PIN_NOPIN_COLUMNS \
    (OPAL_COLS(0) | OPAL_COLS(OPAL_COL_C_PIN_CHAR_SET) | \
     OPAL_COLS(OPAL_COL_C_PIN_TRY_LIMIT) | OPAL_COLS(OPAL_COL_C_PIN_TRIES) | \
     OPAL_COLS(OPAL_COL_C_PIN_PERSISTENCE))

/* One ACE row: BooleanExpr "who[0]" or "who[0] OR who[1]", Columns. */
typedef struct OpalAceDef {
    uint64_t uid;
    const char *name;
    uint64_t who[2];            /* authorities; who[1] = 0 if only one */
    uint32_t columns;           /* OPAL_COLS() bits; 0: all columns */
} OpalAceDef;

typedef struct OpalNamedUid {
    uint64_t uid;
    const char *name;
} OpalNamedUid;

/* Adds the object tables @defs (empty) to @sp. */
void opal_factory_add_tables(OpalSP *sp, const OpalTableDef *const *defs,
                             size_t n);

/*
 * Adds row @uid to the table its UID names (Core 5.1.2: the high four bytes)
 * and, if @name_fmt is not NULL, sets its Name (column 1).
 */
OpalRow *opal_factory_row(OpalSP *sp, uint64_t uid, const char *name_fmt, ...)
    G_GNUC_PRINTF(3, 4);

void opal_factory_add_ace(OpalSP *sp, const OpalAceDef *ace);
void opal_factory_add_aces(OpalSP *sp, const OpalAceDef *aces, size_t n);

/*
 * An Authority row: a class if @is_class, else a member of @class (0: none)
 * proving itself with the password of C_PIN row @credential (0: none).
 */
void opal_factory_add_authority(OpalSP *sp, uint64_t uid, const char *name,
                                bool is_class, uint64_t class, bool enabled,
                                uint64_t credential);

/*
 * A C_PIN row with its Tries count at 0 and not persistent across power
 * cycles; its PIN is kept as a verifier (secrets.c).
 */
void opal_factory_add_c_pin(OpalSP *sp, const OpalConfig *config, uint64_t uid,
                            const char *name, const void *pin, size_t pin_len,
                            uint64_t try_limit);

/*
 * What every SP of the Opal SSC holds alike (Opal 4.2.1, 4.3.1): its SPInfo
 * row, its SPTemplates rows (Base and @template), its MethodID rows,
 * ACE_Anybody and ACE_Admin, the Anybody and Admins authorities, and the
 * rules letting Anybody read the first three and call Authenticate and Random.
 */
void opal_factory_add_base(OpalSP *sp, const char *sp_name,
                           uint64_t template_uid, const char *template_name,
                           const OpalNamedUid *methods, size_t nr_methods);

/* Next on table @table_uid and Get on each of its rows, for Anybody. */
void opal_factory_allow_browse(OpalSP *sp, uint64_t table_uid);

/* The rule (row, @method) -> @acl for every row of table @table_uid. */
void opal_factory_allow_rows(OpalSP *sp, uint64_t table_uid, uint64_t method,
                             const uint64_t *acl, size_t n);

/*
 * Last step of the factory state: one Table-table row describing every table
 * (Rows counts what the SP holds by now), readable by Anybody.
 */
void opal_factory_describe_tables(OpalSP *sp);
/*
 * The same for one table added later (Additional DataStore Tables), and the
 * recount.
 */
void opal_factory_describe_table(OpalSP *sp, const OpalTableDef *def);
/* Rows of every table described in the Table table: how many it holds now. */
void opal_factory_count_rows(OpalSP *sp);

/*
 * opal_sp_allow() and opal_factory_allow_rows() with the ACL spelled inline:
 * the array and its length, each one macro argument.
 */
#define OPAL_ACL(...)       ((const uint64_t[]){ __VA_ARGS__ })
#define OPAL_ACL_LEN(...)   G_N_ELEMENTS(OPAL_ACL(__VA_ARGS__))
#define OPAL_ALLOW(sp, invoking, method, ...) \
    opal_sp_allow((sp), (invoking), (method), OPAL_ACL(__VA_ARGS__), \
                  OPAL_ACL_LEN(__VA_ARGS__))
#define OPAL_ALLOW_REPLACE(sp, invoking, method, ...) \
    opal_sp_allow_replace((sp), (invoking), (method), OPAL_ACL(__VA_ARGS__), \
                          OPAL_ACL_LEN(__VA_ARGS__))
#define OPAL_ALLOW_ROWS(sp, table, method, ...) \
    opal_factory_allow_rows((sp), (table), (method), OPAL_ACL(__VA_ARGS__), \
                            OPAL_ACL_LEN(__VA_ARGS__))

#endif
