/*
 * ide-opal-hd: Security Providers, their tables and access control
 *
 * An SP (Core 4.2) is a set of tables.  Object tables hold rows identified by
 * UIDs; byte tables (MBR, DataStore) hold plain bytes.  Every cell stores its
 * value as the canonical token encoding of that value (Core 3.2.2.3), exactly
 * what Get returns and Set receives, so the generic methods, persistence and
 * the fuzzer share one representation; typed accessors decode the few cells
 * the engine itself acts on (ReadLocked, PIN, LifeCycleState, ...).
 *
 * Who may do what is data too (Core 5.3.4.3): an access rule ties an
 * (invoking UID, method UID) pair to an ACL, a list of ACE rows; an ACE holds
 * a BooleanExpr over authorities and the columns it covers.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_BLOCK_OPAL_SP_H
#define HW_BLOCK_OPAL_SP_H

#include "opal-internal.h"

/* Column types, as far as the Opal SSC's tables use them (Core 5.1.3). */
typedef enum OpalType {
    /* uinteger, at most OpalColumn.max (0: any 64-bit) */
    OPAL_T_UINT,
    OPAL_T_BOOL,            /* boolean: uinteger 0 or 1 */
    OPAL_T_ENUM,            /* uinteger in 0..max */
    /*
     * uinteger n with bit n of max set: an enumeration of which the TPer
     * supports only some values (data_removal_mechanism)
     */
    OPAL_T_ENUM_SUPPORTED,
    /* byte sequence of at most max bytes (names, PINs) */
    OPAL_T_BYTES,
    OPAL_T_UIDREF,          /* 8-byte UID */
    /* list of uintegers in 0..max (LockOnReset, ACE Columns) */
    OPAL_T_ENUM_LIST,
    OPAL_T_UID_LIST,        /* list of 8-byte UIDs */
    /* ACE BooleanExpr: postfix list of authority refs and ops */
    OPAL_T_ACE_EXPR,
    /* any well-formed value (read-only descriptive columns) */
    OPAL_T_ANY,
} OpalType;

/* Column flags. */
/* no Set may change it, whatever the ACEs say */
#define OPAL_COL_READONLY   0x1
#define OPAL_COL_SECRET     0x2     /* never returned by Get (keys) */
/* held in memory only, never saved (clear keys) */
#define OPAL_COL_VOLATILE   0x4

typedef struct OpalColumn {
    uint32_t number;
    const char *name;
    OpalType type;
    uint64_t max;
    uint32_t flags;
} OpalColumn;

typedef enum OpalTableKind {
    OPAL_TABLE_OBJECT = 1,
    OPAL_TABLE_BYTE = 2,
} OpalTableKind;

typedef struct OpalTableDef {
    uint64_t uid;           /* the table's own UID, e.g. 0x0000080200000000 */
    const char *name;
    OpalTableKind kind;
    const OpalColumn *columns;
    size_t nr_columns;
} OpalTableDef;

#define OPAL_MAX_COLUMNS    20

typedef struct OpalRow {
    uint64_t uid;
    const OpalTableDef *def;
    GBytes *cells[OPAL_MAX_COLUMNS];    /* by column number; NULL: empty */
} OpalRow;

/*
 * Byte tables are large (the MBR is 128 MiB) and mostly zero: they are kept
 * in chunks that exist only once written.
 */
#define OPAL_BYTE_CHUNK     (64 * 1024)

typedef struct OpalTable {
    const OpalTableDef *def;
    GPtrArray *rows;        /* object tables: OpalRow *, in UID order (Next) */
    uint64_t byte_size;     /* byte tables: their size, and their chunks */
    uint8_t **chunks;       /* NULL chunk: all zeros */
} OpalTable;

#define OPAL_MAX_ACL        8

/*
 * Bounds of an ACE's BooleanExpr (Core 5.1.3.3 AC_element, 5.3.2 ACE): its
 * authority references and operators, and the operands pending at once in
 * its postfix order, which is the depth of the evaluator's stack (acl.c).
 * Access control evaluates ACEs on every method, and on every persistent
 * change for every range and KEK, so what an Admin may store must stay
 * cheap: Set (Core 5.3.3.7) refuses a longer or deeper expression with
 * INVALID_PARAMETER, and a saved state that holds one is refused at load.
 * Real hosts need far less: Linux's sed-opal ORs two authorities (three
 * elements, depth 2), as do the SSC's preconfigured ACEs.
 */
#define OPAL_ACE_EXPR_MAX_ELEMENTS  64
#define OPAL_ACE_EXPR_MAX_DEPTH     16

/*
 * Longest list of UIDs a cell may hold (ACLs: the SSC's have one or two
 * ACEs).  A list of enumeration values is no longer than the set of them.
 */
#define OPAL_UID_LIST_MAX_ELEMENTS  OPAL_MAX_ACL

/*
 * One row of the AccessControl table (Core 5.3.2.8), reduced to what Opal uses.
 */
typedef struct OpalAccessRule {
    uint64_t invoking;
    uint64_t method;
    uint64_t acl[OPAL_MAX_ACL];         /* ACE UIDs: any satisfied one grants */
    size_t nr_acl;
} OpalAccessRule;

struct OpalSP {
    uint64_t uid;       /* OPAL_UID_ADMINSP or OPAL_UID_LOCKINGSP */
    GPtrArray *tables;  /* OpalTable * */
    GHashTable *rows;   /* row UID -> OpalRow *, every object table */
    GArray *rules;      /* OpalAccessRule */
    /*
     * Locking SP in Single User Mode (sum.c): bit n set if Locking object n (0:
     * the global range) is a single-user range, and whether its
     * RangeStart/RangeLength belong to the Admins (RangeStartRangeLengthPolicy
     * 1).
     */
    uint64_t sum_objects;
    bool sum_admins_own_range;
};

/* ---- building an SP (factory state) -------------------------------------- */

OpalSP *opal_sp_new(uint64_t uid);
void opal_sp_free(OpalSP *sp);
/* @byte_size: bytes of a byte table, 0 for object tables. */
OpalTable *opal_sp_add_table(OpalSP *sp, const OpalTableDef *def,
                             size_t byte_size);
OpalRow *opal_table_add_row(OpalSP *sp, OpalTable *table, uint64_t uid);

/* Byte table access; the range must lie within byte_size. */
void opal_table_read(const OpalTable *table, uint64_t offset, uint8_t *buf,
                     size_t len);
void opal_table_write(OpalTable *table, uint64_t offset, const uint8_t *buf,
                      size_t len);

void opal_row_set_uint(OpalRow *row, uint32_t column, uint64_t value);
void opal_row_set_bytes(OpalRow *row, uint32_t column, const void *data,
                        size_t len);
void opal_row_set_string(OpalRow *row, uint32_t column, const char *s);
void opal_row_set_uid(OpalRow *row, uint32_t column, uint64_t uid);
void opal_row_set_uint_list(OpalRow *row, uint32_t column,
                            const uint64_t *values, size_t n);
void opal_row_set_uid_list(OpalRow *row, uint32_t column, const uint64_t *uids,
                           size_t n);
/* An ACE BooleanExpr granting any one of @authorities: a1 a2 OR a3 OR ... */
void opal_row_set_ace_any_of(OpalRow *row, uint32_t column,
                             const uint64_t *authorities, size_t n);

/* Adds the AccessControl row for (@invoking, @method) with ACL @aces. */
void opal_sp_allow(OpalSP *sp, uint64_t invoking, uint64_t method,
                   const uint64_t *aces, size_t n);
/* The same, replacing the ACL of an existing row. */
void opal_sp_allow_replace(OpalSP *sp, uint64_t invoking, uint64_t method,
                           const uint64_t *aces, size_t n);
/* Removes the AccessControl row for (@invoking, @method), if any. */
void opal_sp_disallow(OpalSP *sp, uint64_t invoking, uint64_t method);

/* ---- the factory state of the two SPs (sp-admin.c, sp-locking.c) --------- */

/*
 * Column numbers the engine itself acts on (Core 5.3.2, 5.7.2; Opal 4.2, 4.3).
 */
enum {
    OPAL_COL_AUTHORITY_IS_CLASS = 3,
    OPAL_COL_AUTHORITY_CLASS = 4,
    OPAL_COL_AUTHORITY_ENABLED = 5,
    OPAL_COL_AUTHORITY_OPERATION = 9,
    OPAL_COL_AUTHORITY_CREDENTIAL = 10,
    OPAL_COL_ACE_BOOLEAN_EXPR = 3,
    OPAL_COL_ACE_COLUMNS = 4,
    OPAL_COL_C_PIN_PIN = 3,
    OPAL_COL_C_PIN_TRY_LIMIT = 5,
    OPAL_COL_C_PIN_TRIES = 6,
    OPAL_COL_C_PIN_PERSISTENCE = 7,
    /* this drive's own: what it keeps of a PIN */
    OPAL_COL_C_PIN_VERIFIER = 19,
    OPAL_COL_K_AES_WRAPPED = 19,        /* this drive's own: the key, wrapped */
    OPAL_COL_SP_LIFE_CYCLE = 6,
    OPAL_COL_LOCKING_RANGE_START = 3,
    OPAL_COL_LOCKING_RANGE_LENGTH = 4,
    OPAL_COL_LOCKING_READ_LOCK_ENABLED = 5,
    OPAL_COL_LOCKING_WRITE_LOCK_ENABLED = 6,
    OPAL_COL_LOCKING_READ_LOCKED = 7,
    OPAL_COL_LOCKING_WRITE_LOCKED = 8,
    OPAL_COL_LOCKING_LOCK_ON_RESET = 9,
    OPAL_COL_LOCKING_ACTIVE_KEY = 10,
    OPAL_COL_MBRCONTROL_ENABLE = 1,
    OPAL_COL_MBRCONTROL_DONE = 2,
    OPAL_COL_MBRCONTROL_DONE_ON_RESET = 3,
};

/* SP life cycle states (SP table LifeCycleState, Opal 5.2.3). */
enum {
    OPAL_LIFE_CYCLE_MANUFACTURED_INACTIVE = 8,
    OPAL_LIFE_CYCLE_MANUFACTURED = 9,
};

/* Authority.Operation values (Core 5.3.2.10 auth_method). */
enum {
    OPAL_AUTH_METHOD_NONE = 0,
    OPAL_AUTH_METHOD_PASSWORD = 1,
};

/*
 * The SPs as they leave the factory (Opal SSC 2.02, 4.2 and 4.3): every table,
 * row and access rule the SSC preconfigures.  @msid is C_PIN_MSID's PIN (and
 * C_PIN_SID's initial PIN), @psid C_PIN_PSID's.
 */
OpalSP *opal_admin_sp_new(const OpalConfig *config, const uint8_t *msid,
                          size_t msid_len, const uint8_t *psid,
                          size_t psid_len);
OpalSP *opal_locking_sp_new(const OpalConfig *config);

/* ---- reading the model --------------------------------------------------- */

OpalRow *opal_sp_row(const OpalSP *sp, uint64_t uid);
OpalTable *opal_sp_table(const OpalSP *sp, uint64_t table_uid);
const OpalColumn *opal_table_column(const OpalTableDef *def, uint32_t number);

/* Decoders of one cell: a uinteger (false if empty or another shape)... */
bool opal_cell_get_uint(GBytes *cell, uint64_t *value);
/*
 * ... and a list of uintegers as a bit set (ACE Columns, reset types; 0 if
 * empty).
 */
uint64_t opal_cell_uint_set(GBytes *cell);

/* Typed reads of a cell; false if the cell is empty or of another shape. */
bool opal_row_get_uint(const OpalRow *row, uint32_t column, uint64_t *value);
bool opal_row_get_bytes(const OpalRow *row, uint32_t column,
                        const uint8_t **data, size_t *len);
bool opal_row_get_uid(const OpalRow *row, uint32_t column, uint64_t *uid);

/* The canonical encoding of a well-formed value (for storing it in a cell). */
GBytes *opal_value_encode(const OpalValue *value);
/* Whether @value fits @column's type (Set's INVALID_PARAMETER check). */
bool opal_column_accepts(const OpalColumn *column, const OpalValue *value);

/* ---- methods (methods.c, lifecycle.c) ------------------------------------ */

/* One method invocation, as its implementation sees it. */
typedef struct MethodContext {
    OpalTPer *tper;
    OpalSession *session;
    OpalSP *sp;
    const OpalCall *call;
    uint32_t columns;               /* what access control lets it touch */
    GByteArray *results;            /* inside the result list */
} MethodContext;

typedef OpalStatus MethodFn(MethodContext *m);

/*
 * Refuses the method with @status, saying @why (a string literal, see
 * opal_explain()).  Returns @status.
 */
OpalStatus opal_refuse(MethodContext *m, OpalStatus status, const char *why);

/*
 * Table rules beyond types (locking.c): may @row take @new_cells (NULL:
 * unchanged)?
 */
OpalStatus opal_locking_check_set(OpalTPer *tper, const OpalSP *sp,
                                  const OpalRow *row, GBytes *const *new_cells);

MethodFn opal_method_activate;
MethodFn opal_method_revert;
MethodFn opal_method_revert_sp;
MethodFn opal_method_gen_key;
MethodFn opal_method_reactivate;
MethodFn opal_method_erase;

/* ---- Single User Mode feature set (sum.c) -------------------------------- */

/*
 * Activate's and Reactivate's parameters of the feature set (SUM FS 1.00,
 * Activate).
 */
#define OPAL_SUM_PARAM_SELECTION_LIST   0x060000
#define OPAL_SUM_PARAM_POLICY           0x060001
#define OPAL_SUM_PARAM_ADMIN1_PIN       0x060002    /* Reactivate only */
/* Reactivate; Activate's is 0x060002 */
#define OPAL_SUM_PARAM_DATASTORE_SIZES  0x060003

/* Locking objects that may be single-user: each needs its owner, User n+1. */
unsigned opal_sum_max_objects(const OpalConfig *config);
/*
 * Reads SingleUserSelectionList and RangeStartRangeLengthPolicy from @call:
 * *@objects gets the selected Locking objects (0 if the list is absent),
 * *@admins_own_range the policy.  INVALID_PARAMETER for a malformed list or
 * policy, a UID that is not a Locking object or the Locking table, a
 * duplicate, or an object this drive cannot make single-user.
 */
OpalStatus opal_sum_parse(OpalTPer *tper, const OpalCall *call,
                          uint64_t *objects, bool *admins_own_range);
/*
 * Puts @objects of the Locking SP @sp into Single User Mode: the ACEs and
 * access rules that make User n+1 the owner of Locking object n.
 */
void opal_sum_apply(const OpalConfig *config, OpalSP *sp, uint64_t objects,
                    bool admins_own_range);
/*
 * LockingInfo's columns of the feature set (SUM FS, LockingInfo): beyond
 * the cells a row keeps (OPAL_MAX_COLUMNS), so Get computes them from the
 * SP's selection and policy.
 */
#define OPAL_SUM_COL_RANGES             0x060000    /* SingleUserModeRanges */
#define OPAL_SUM_COL_POLICY             0x060001    /* RangeStartLengthPolicy */
/* Whether @column of @row is one of those columns. */
bool opal_sum_info_column(const OpalRow *row, uint64_t column);
/* Appends the columns among @first..@last as Get's name-value pairs. */
void opal_sum_info_get(const OpalConfig *config, const OpalSP *sp,
                       uint64_t first, uint64_t last, GByteArray *out);
/*
 * The owner of Locking object @n (0: the global range) in Single User Mode:
 * User n+1, as Linux's sed-opal authenticates for range n with sum set.
 */
#define OPAL_SUM_OWNER(n)   OPAL_UID_USER((uint64_t)(n) + 1)

/* ---- Additional DataStore Tables feature set (datastore.c) --------------- */

/* DataStoreTableSizes: Activate's (DSFS 3.1.2.1), Reactivate's (3.1.2.2). */
#define OPAL_DS_PARAM_ACTIVATE_SIZES    0x060002
#define OPAL_DS_PARAM_REACTIVATE_SIZES  OPAL_SUM_PARAM_DATASTORE_SIZES
/*
 * What Level 0 Discovery announces (DSFS 4.2.1): DataStore and DataStore2..16.
 */
#define OPAL_DATASTORE_MAX_TABLES       16
#define OPAL_DATASTORE_ALIGNMENT        512 /* bytes, additional tables only */

/*
 * Whether @n tables of @sizes fit this drive: SUCCESS, INSUFFICIENT_SPACE
 * (too many, too large in all) or INVALID_PARAMETER (none, empty, misaligned),
 * with *@why in words.
 */
OpalStatus opal_datastore_check(const OpalConfig *config, const uint64_t *sizes,
                                size_t n, const char **why);
/*
 * Reads DataStoreTableSizes @list (NULL: absent, one table of the whole size)
 * into @sizes (room for OPAL_DATASTORE_MAX_TABLES) and *@n, or refuses it.
 */
OpalStatus opal_datastore_parse(OpalTPer *tper, const OpalValue *list,
                                uint64_t *sizes, size_t *n);
/* Gives the new Locking SP @sp its DataStore tables, ACEs and access rules. */
void opal_datastore_apply(OpalSP *sp, const uint64_t *sizes, size_t n);
/* The sizes of @sp's DataStore tables, in order; returns how many. */
size_t opal_datastore_sizes(const OpalSP *sp, uint64_t *sizes);
/*
 * Where DataStore table @table_uid begins in the area the tables share; false:
 * not one.
 */
bool opal_datastore_place(const OpalSP *sp, uint64_t table_uid,
                          uint64_t *offset);

/* 0 for the global range, n for Locking_RangeN (media.c). */
unsigned opal_range_number(const OpalRow *range);

/* ---- secrets (secrets.c): PIN verifiers, KEKs, wrapped media keys -------- */

#define OPAL_KEK_LEN        32      /* an AES-256 key-encryption key */

unsigned opal_kdf_iterations(const OpalConfig *config);
/*
 * Makes @pin the PIN of C_PIN row @cpin: a verifier for it, or the PIN itself
 * for C_PIN_MSID.  Returns the PIN's KEK (to g_free()), NULL if it has none.
 */
uint8_t *opal_pin_store(const OpalConfig *config, OpalRow *cpin,
                        const uint8_t *pin, size_t len);
/*
 * Whether @proof is @cpin's PIN; if so *@kek gets its KEK (or NULL), to
 * g_free().
 */
bool opal_pin_check(const OpalConfig *config, const OpalRow *cpin,
                    const uint8_t *proof, size_t len, uint8_t **kek);
/*
 * AES key wrap and unwrap (RFC 3394, its default IV) under the 32-byte
 * AES-256 key @kek, on @crypto's block cipher: @len bytes (a multiple of 8,
 * at least 16) of @in into @len + 8 bytes at @out, and back from @len + 8
 * bytes at @in into @len bytes at @out.  Unwrap fails (and leaves @out
 * zeroed) if its integrity check does: the wrong KEK, or damaged data.
 */
bool opal_aes_key_wrap(const OpalCrypto *crypto, const uint8_t *kek,
                       const uint8_t *in, size_t len, uint8_t *out);
bool opal_aes_key_unwrap(const OpalCrypto *crypto, const uint8_t *kek,
                         const uint8_t *in, size_t len, uint8_t *out);
/*
 * Whether saved bytes can be a verifier record of this drive (if not,
 * appends why to @why) / a wrapped-keys cell.  No verifier asks for more
 * PBKDF2 iterations than opal_kdf_iterations_max(), the most the drive
 * writes.
 */
unsigned opal_kdf_iterations_max(const OpalConfig *config);
bool opal_pin_record_valid(const OpalConfig *config, const uint8_t *record,
                           size_t len, GString *why);
bool opal_wrapped_keys_valid(const uint8_t *entries, size_t len);
/* The authority whose Credential is @cpin_uid, or 0. */
uint64_t opal_credential_owner(const OpalSP *sp, uint64_t cpin_uid);

void opal_secrets_init(OpalTPer *tper);
/*
 * @authority presented its PIN, whose KEK is @kek (taken over): unwraps the
 * keys it holds copies of.  Returns the OPAL_CHANGE_* this makes.
 */
unsigned opal_secrets_learn(OpalTPer *tper, uint64_t authority, uint8_t *kek);
void opal_secrets_forget_kek(OpalTPer *tper, uint64_t authority);
/*
 * Brings every key's wrapped copies up to date (after each persistent
 * change); true if any changed.
 */
bool opal_secrets_rewrap(OpalTPer *tper);
/*
 * Power-on: no KEK is known, keys of ranges that come up read-locked are
 * forgotten, the others unwrapped from their public copies.
 */
void opal_secrets_power_on(OpalTPer *tper);
/*
 * Snapshots (opal_tper_save_snapshot): whether one may hold K_AES_256 row
 * @key's clear key (only if every range using it is not read-locked); and,
 * after loading a running state, the keys left out that have a public copy
 * are unwrapped from it, the others wait for a PIN.
 */
bool opal_secrets_snapshot_keeps(const OpalSP *sp, const OpalRow *key);
void opal_secrets_resume(OpalTPer *tper);
/* Whether the K_AES_256 row @key / locking range @range's key is in memory. */
bool opal_media_key_known(const OpalRow *key);
bool opal_range_key_known(const OpalSP *sp, const OpalRow *range);

/* ---- access control (acl.c) ---------------------------------------------- */

/* The AccessControl rule of (@invoking, @method), or NULL. */
const OpalAccessRule *opal_sp_rule(const OpalSP *sp, uint64_t invoking,
                                   uint64_t method);

/* Appends a readable name for @uid: the row's Name, a table's name, or hex. */
void opal_name_uid(const OpalSP *sp, uint64_t uid, GString *s);

/*
 * Whether (@invoking, @method) may run for @auth and which columns it may
 * touch: false if no rule exists or no ACE of its ACL is satisfied;
 * otherwise @columns gets a bit per permitted column (all bits: every column).
 * Refused, it appends the reason in words to @why, unless @why is NULL:
 * only then are the words made.
 */
bool opal_access_check(const OpalSP *sp, const OpalAuthSet *auth,
                       uint64_t invoking, uint64_t method, uint32_t *columns,
                       GString *why);

/* Whether the ACE row @ace's BooleanExpr holds for @auth. */
bool opal_ace_satisfied(const OpalSP *sp, const OpalRow *ace,
                        const OpalAuthSet *auth);

#endif
