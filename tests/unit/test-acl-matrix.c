/*
 * An allow/deny matrix for the access control the Opal SSC 2.02 preconfigures,
 * written from docs/devel/opal-engine-reference.rst sections 4.2 (Admin SP ACE
 * and AccessControl tables) and 5.3-5.4 (Locking SP), NOT from sp-admin.c or
 * sp-locking.c: each case is one (SP, invoking UID, method, authority) and
 * what the reference says the answer is, including, for allowed Get/Set, the
 * columns the satisfied ACEs grant (the union over the ACL, Core 5.3.4.3).
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "opal-host.h"
#include "sp-tables.h"
#include "uid.h"

#define NOBODY      0       /* a session that authenticated no one: Anybody only */

/* Authorities, by their UIDs in the SP they belong to. */
#define SID         OPAL_UID_AUTH_SID
#define PSID        OPAL_UID_AUTH_PSID
#define SP_ADMIN1   OPAL_UID_ADMINSP_ADMIN(1)       /* Admin SP Admin1, class Admins */
#define ADMIN1      OPAL_UID_AUTH_ADMIN1            /* Locking SP Admin1, class Admins */
#define ADMIN4      OPAL_UID_ADMIN(4)
#define USER1       OPAL_UID_USER(1)                /* class Users */
#define USER8       OPAL_UID_USER(8)

enum { ADMIN_SP, LOCKING_SP };

typedef enum Expect {
    DENY,
    ALLOW,
    EITHER,         /* optional in the SSC: only the column constraints apply */
} Expect;

#define C(n)        OPAL_COLS(n)
#define CR(lo, hi)  ((uint32_t)(((hi) >= 31 ? UINT32_MAX : (1u << ((hi) + 1)) - 1) & \
                                ~((1u << (lo)) - 1)))

/* Column sets the reference names. */
#define NOPIN       (C(0) | C(4) | C(5) | C(6) | C(7))     /* UID, CharSet..Persistence */
#define PIN         C(3)
#define UID_CN      (C(0) | C(2))                           /* UID, CommonName */
#define CN          C(2)
#define ENABLED     C(5)
#define RS_TO_AK    CR(3, 10)                               /* RangeStart..ActiveKey */
#define RS_TO_LOR   CR(3, 9)                                /* RangeStart..LockOnReset */
#define GR_ADMINS   CR(5, 9)                                /* RLE, WLE, RL, WL, LOR */
#define RL          C(7)
#define WL          C(8)
#define MODE        C(4)
#define BOOLEXPR    C(3)

typedef struct Case {
    const char *text;
    int sp;
    uint64_t invoking;
    uint64_t method;
    uint64_t who;
    Expect expect;
    uint32_t exact;         /* if allowed: the granted columns, exactly (0: unchecked) */
    uint32_t required;      /* if allowed: columns that must be granted */
    uint32_t forbidden;     /* if allowed: columns that must not be granted */
} Case;

/* # right here, where the arguments are still spelled as written. */
#define CASE(sp, inv, m, who, exp, exact, req, forb) \
    { #sp ": " #inv "." #m " by " #who, sp, inv, OPAL_UID_M_##m, who, exp, \
      exact, req, forb }
#define Y(sp, inv, m, who) \
    { #sp ": " #inv "." #m " by " #who, sp, inv, OPAL_UID_M_##m, who, ALLOW, 0, 0, 0 }
#define YX(sp, inv, m, who, exact) \
    { #sp ": " #inv "." #m " by " #who, sp, inv, OPAL_UID_M_##m, who, ALLOW, exact, 0, 0 }
#define YR(sp, inv, m, who, req, forb) \
    { #sp ": " #inv "." #m " by " #who, sp, inv, OPAL_UID_M_##m, who, ALLOW, \
      0, req, forb }
#define N(sp, inv, m, who) \
    { #sp ": " #inv "." #m " by " #who, sp, inv, OPAL_UID_M_##m, who, DENY, 0, 0, 0 }

/* ---- Locking SP families (reference 5.3, 5.4) ------------------------------------ */

/*
 * Locking_Range{n} (n >= 1) and its key.  Get: RangeStartToActiveKey
 * (Admins, 3-10) + Anybody_Get_CommonName (UID, CommonName).  Set:
 * Admins_RangeStartToLOR (3-9) + Range{n}_Set_RdLocked/WrLocked (Admins in
 * the factory state) + Admins_Set_CommonName; nothing grants ActiveKey.
 */
#define RANGE_FAMILY(n) \
    YX(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), GET, NOBODY, UID_CN), \
    YX(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), GET, USER1, UID_CN), \
    YX(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), GET, ADMIN1, UID_CN | RS_TO_AK), \
    YX(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), SET, ADMIN1, CN | RS_TO_LOR), \
    YX(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), SET, ADMIN4, CN | RS_TO_LOR), \
    N(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), SET, NOBODY), \
    N(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), SET, USER1), \
    N(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), SET, USER8), \
    N(LOCKING_SP, OPAL_UID_LOCKING_RANGE(n), SET, SID), \
    Y(LOCKING_SP, OPAL_UID_K_AES_256_RANGE_KEY(n), GENKEY, ADMIN1), \
    N(LOCKING_SP, OPAL_UID_K_AES_256_RANGE_KEY(n), GENKEY, USER1), \
    N(LOCKING_SP, OPAL_UID_K_AES_256_RANGE_KEY(n), GENKEY, NOBODY), \
    YX(LOCKING_SP, OPAL_UID_K_AES_256_RANGE_KEY(n), GET, NOBODY, MODE), \
    YX(LOCKING_SP, OPAL_UID_K_AES_256_RANGE_KEY(n), GET, ADMIN1, MODE), \
    N(LOCKING_SP, OPAL_UID_K_AES_256_RANGE_KEY(n), SET, ADMIN1), \
    /* Personalizable ACEs of the range: their BooleanExpr, by Admins. */ \
    YX(LOCKING_SP, OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n), SET, ADMIN1, BOOLEXPR), \
    YX(LOCKING_SP, OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(n), SET, ADMIN1, BOOLEXPR), \
    YX(LOCKING_SP, OPAL_UID_ACE_LOCKING_RANGE_GET_RANGESTARTTOACTIVEKEY(n), SET, ADMIN1, \
       BOOLEXPR), \
    YX(LOCKING_SP, OPAL_UID_ACE_K_AES_256_RANGE_GENKEY(n), SET, ADMIN1, BOOLEXPR), \
    N(LOCKING_SP, OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n), SET, USER1), \
    N(LOCKING_SP, OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(n), SET, NOBODY), \
    N(LOCKING_SP, OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n), GET, NOBODY), \
    Y(LOCKING_SP, OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n), GET, ADMIN1)

/*
 * User{n} of the Locking SP.  C_PIN_User{n}: Get = C_PIN_Admins_Get_All_NOPIN;
 * Set = C_PIN_User{n}_Set_PIN = "Admins OR User{n}", PIN.  User{n}: Set =
 * Authority_Set_Enabled (Admins) + User{n}_Set_CommonName.  @other: another
 * user, who must get nothing of User{n}'s.
 */
#define USER_FAMILY(n, other) \
    YX(LOCKING_SP, OPAL_UID_C_PIN_USER(n), SET, ADMIN1, PIN), \
    YX(LOCKING_SP, OPAL_UID_C_PIN_USER(n), SET, OPAL_UID_USER(n), PIN), \
    N(LOCKING_SP, OPAL_UID_C_PIN_USER(n), SET, other), \
    N(LOCKING_SP, OPAL_UID_C_PIN_USER(n), SET, NOBODY), \
    N(LOCKING_SP, OPAL_UID_C_PIN_USER(n), SET, SID), \
    YX(LOCKING_SP, OPAL_UID_C_PIN_USER(n), GET, ADMIN1, NOPIN), \
    N(LOCKING_SP, OPAL_UID_C_PIN_USER(n), GET, OPAL_UID_USER(n)), \
    N(LOCKING_SP, OPAL_UID_C_PIN_USER(n), GET, NOBODY), \
    YX(LOCKING_SP, OPAL_UID_USER(n), SET, ADMIN1, ENABLED | CN), \
    N(LOCKING_SP, OPAL_UID_USER(n), SET, other), \
    N(LOCKING_SP, OPAL_UID_USER(n), SET, NOBODY), \
    /* \
     * ACE_User{n}_Set_CommonName is "Admins" (Opal SSC 2.02, 4.3.1.7, \
     * Table 39): in the factory state a user may neither rename nor enable \
     * itself; only an Admin's personalization of that ACE lets it rename. \
     */ \
    N(LOCKING_SP, OPAL_UID_USER(n), SET, OPAL_UID_USER(n)), \
    YX(LOCKING_SP, OPAL_UID_USER(n), GET, NOBODY, UID_CN), \
    YX(LOCKING_SP, OPAL_UID_USER(n), GET, OPAL_UID_USER(n), UID_CN), \
    YR(LOCKING_SP, OPAL_UID_USER(n), GET, ADMIN1, CR(0, 18), 0), \
    YX(LOCKING_SP, OPAL_UID_ACE_C_PIN_USER_SET_PIN(n), SET, ADMIN1, BOOLEXPR), \
    N(LOCKING_SP, OPAL_UID_ACE_C_PIN_USER_SET_PIN(n), SET, OPAL_UID_USER(n)), \
    YX(LOCKING_SP, OPAL_UID_ACE_USER_SET_COMMONNAME(n), SET, ADMIN1, BOOLEXPR), \
    N(LOCKING_SP, OPAL_UID_ACE_USER_SET_COMMONNAME(n), SET, OPAL_UID_USER(n))

static const Case cases[] = {
    /* ================= Admin SP (reference 4.2) ================= */

    /* Table / SPInfo / SPTemplates / MethodID / ACE / Authority: Next, Get by Anybody. */
    Y(ADMIN_SP, OPAL_UID_TABLE_TABLE, NEXT, NOBODY),
    Y(ADMIN_SP, OPAL_UID_TABLEROW_C_PIN, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_TABLEROW_SP, GET, NOBODY),
    N(ADMIN_SP, OPAL_UID_TABLEROW_C_PIN, SET, SID),
    Y(ADMIN_SP, OPAL_UID_SPINFO_OBJ, GET, NOBODY),
    N(ADMIN_SP, OPAL_UID_SPINFO_OBJ, SET, SID),
    Y(ADMIN_SP, OPAL_UID_TABLE_SPTEMPLATES, NEXT, NOBODY),
    Y(ADMIN_SP, OPAL_UID_SPTEMPLATES_1, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_SPTEMPLATES_2, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_TABLE_METHODID, NEXT, NOBODY),
    Y(ADMIN_SP, OPAL_UID_M_ACTIVATE, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_TABLE_ACE, NEXT, NOBODY),
    Y(ADMIN_SP, OPAL_UID_ACE_SP_SID, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_ACE_C_PIN_SID_SET_PIN, GET, NOBODY),
    N(ADMIN_SP, OPAL_UID_ACE_SP_SID, SET, SID),
    Y(ADMIN_SP, OPAL_UID_TABLE_AUTHORITY, NEXT, NOBODY),
    Y(ADMIN_SP, OPAL_UID_AUTH_SID, GET, NOBODY),
    Y(ADMIN_SP, SP_ADMIN1, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_AUTH_PSID, GET, NOBODY),

    /* Makers, AdminXX: Set = ACE_Set_Enabled (SID, Enabled). */
    YX(ADMIN_SP, SP_ADMIN1, SET, SID, ENABLED),
    YX(ADMIN_SP, OPAL_UID_ADMINSP_ADMIN(4), SET, SID, ENABLED),
    YX(ADMIN_SP, OPAL_UID_AUTH_MAKERS, SET, SID, ENABLED),
    N(ADMIN_SP, SP_ADMIN1, SET, NOBODY),
    N(ADMIN_SP, SP_ADMIN1, SET, SP_ADMIN1),
    N(ADMIN_SP, SP_ADMIN1, SET, PSID),
    N(ADMIN_SP, OPAL_UID_AUTH_MAKERS, SET, SP_ADMIN1),
    N(ADMIN_SP, OPAL_UID_AUTH_SID, SET, SID),         /* no rule for SID's own row */

    /* C_PIN table and rows. */
    Y(ADMIN_SP, OPAL_UID_TABLE_C_PIN, NEXT, NOBODY),
    YX(ADMIN_SP, OPAL_UID_C_PIN_MSID, GET, NOBODY, C(0) | PIN),
    YX(ADMIN_SP, OPAL_UID_C_PIN_MSID, GET, SID, C(0) | PIN),
    N(ADMIN_SP, OPAL_UID_C_PIN_MSID, SET, SID),
    YX(ADMIN_SP, OPAL_UID_C_PIN_SID, GET, SID, NOPIN),
    YX(ADMIN_SP, OPAL_UID_C_PIN_SID, GET, SP_ADMIN1, NOPIN),   /* Admins OR SID */
    N(ADMIN_SP, OPAL_UID_C_PIN_SID, GET, NOBODY),
    N(ADMIN_SP, OPAL_UID_C_PIN_SID, GET, PSID),
    YX(ADMIN_SP, OPAL_UID_C_PIN_SID, SET, SID, PIN),
    N(ADMIN_SP, OPAL_UID_C_PIN_SID, SET, SP_ADMIN1),
    N(ADMIN_SP, OPAL_UID_C_PIN_SID, SET, NOBODY),
    N(ADMIN_SP, OPAL_UID_C_PIN_SID, SET, PSID),
    N(ADMIN_SP, OPAL_UID_C_PIN_SID, SET, ADMIN1),        /* the Locking SP's Admin1 */
    YX(ADMIN_SP, OPAL_UID_ADMINSP_C_PIN_ADMIN(1), GET, SID, NOPIN),
    YX(ADMIN_SP, OPAL_UID_ADMINSP_C_PIN_ADMIN(1), GET, SP_ADMIN1, NOPIN),
    N(ADMIN_SP, OPAL_UID_ADMINSP_C_PIN_ADMIN(1), GET, NOBODY),
    YX(ADMIN_SP, OPAL_UID_ADMINSP_C_PIN_ADMIN(1), SET, SID, PIN),
    YX(ADMIN_SP, OPAL_UID_ADMINSP_C_PIN_ADMIN(4), SET, SP_ADMIN1, PIN),
    N(ADMIN_SP, OPAL_UID_ADMINSP_C_PIN_ADMIN(1), SET, NOBODY),
    N(ADMIN_SP, OPAL_UID_ADMINSP_C_PIN_ADMIN(1), SET, PSID),
    /*
     * C_PIN_PSID: Get = ACE_C_PIN_Get_PSID_NoPIN = Anybody; UID, CharSet,
     * TryLimit, Tries, Persistence (PSID FS 1.00, Tables 4 and 5): never its
     * PIN, never Set.
     */
    YX(ADMIN_SP, OPAL_UID_C_PIN_PSID, GET, NOBODY, NOPIN),
    YX(ADMIN_SP, OPAL_UID_C_PIN_PSID, GET, PSID, NOPIN),
    YX(ADMIN_SP, OPAL_UID_C_PIN_PSID, GET, SID, NOPIN),
    N(ADMIN_SP, OPAL_UID_C_PIN_PSID, SET, PSID),
    N(ADMIN_SP, OPAL_UID_C_PIN_PSID, SET, SID),

    /* TPerInfo: Get Anybody; Set = SID, ProgrammaticResetEnable. */
    Y(ADMIN_SP, OPAL_UID_TPERINFO_OBJ, GET, NOBODY),
    YX(ADMIN_SP, OPAL_UID_TPERINFO_OBJ, SET, SID,
       C(OPAL_COL_TPERINFO_PROGRAMMATIC_RESET_ENABLE)),
    N(ADMIN_SP, OPAL_UID_TPERINFO_OBJ, SET, NOBODY),
    N(ADMIN_SP, OPAL_UID_TPERINFO_OBJ, SET, PSID),
    N(ADMIN_SP, OPAL_UID_TPERINFO_OBJ, SET, SP_ADMIN1),

    /* Template, SP tables. */
    Y(ADMIN_SP, OPAL_UID_TABLE_TEMPLATE, NEXT, NOBODY),
    Y(ADMIN_SP, OPAL_UID_TEMPLATE_LOCKING, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_TABLE_SP, NEXT, NOBODY),
    Y(ADMIN_SP, OPAL_UID_LOCKINGSP, GET, NOBODY),
    Y(ADMIN_SP, OPAL_UID_ADMINSP, GET, NOBODY),
    N(ADMIN_SP, OPAL_UID_LOCKINGSP, SET, SID),

    /* ThisSP. */
    Y(ADMIN_SP, OPAL_UID_THISSP, AUTHENTICATE, NOBODY),
    Y(ADMIN_SP, OPAL_UID_THISSP, RANDOM, NOBODY),
    N(ADMIN_SP, OPAL_UID_THISSP, REVERTSP, SID),         /* a Locking SP method */

    /* SP rows: Activate = ACE_SP_SID; Revert = ACE_SP_SID (+ ACE_SP_PSID on AdminSP). */
    Y(ADMIN_SP, OPAL_UID_LOCKINGSP, ACTIVATE, SID),
    Y(ADMIN_SP, OPAL_UID_ADMINSP, ACTIVATE, SID),         /* SUCCESS, no effect (2.8) */
    N(ADMIN_SP, OPAL_UID_LOCKINGSP, ACTIVATE, NOBODY),
    N(ADMIN_SP, OPAL_UID_LOCKINGSP, ACTIVATE, PSID),
    N(ADMIN_SP, OPAL_UID_LOCKINGSP, ACTIVATE, SP_ADMIN1),
    N(ADMIN_SP, OPAL_UID_LOCKINGSP, ACTIVATE, ADMIN1),    /* the Locking SP's Admin1 */
    Y(ADMIN_SP, OPAL_UID_LOCKINGSP, REVERT, SID),
    Y(ADMIN_SP, OPAL_UID_ADMINSP, REVERT, SID),
    Y(ADMIN_SP, OPAL_UID_ADMINSP, REVERT, PSID),
    N(ADMIN_SP, OPAL_UID_LOCKINGSP, REVERT, PSID),
    N(ADMIN_SP, OPAL_UID_ADMINSP, REVERT, NOBODY),
    N(ADMIN_SP, OPAL_UID_LOCKINGSP, REVERT, NOBODY),
    N(ADMIN_SP, OPAL_UID_ADMINSP, REVERT, ADMIN1),        /* the Locking SP's Admin1 */
    /* ACE_Admin on Revert is optional (O): either answer. */
    CASE(ADMIN_SP, OPAL_UID_LOCKINGSP, REVERT, SP_ADMIN1, EITHER, 0, 0, 0),

    /* ================= Locking SP (reference 5.3, 5.4) ================= */

    /* ThisSP. */
    Y(LOCKING_SP, OPAL_UID_THISSP, AUTHENTICATE, NOBODY),
    Y(LOCKING_SP, OPAL_UID_THISSP, RANDOM, NOBODY),
    Y(LOCKING_SP, OPAL_UID_THISSP, REVERTSP, ADMIN1),
    Y(LOCKING_SP, OPAL_UID_THISSP, REVERTSP, ADMIN4),
    N(LOCKING_SP, OPAL_UID_THISSP, REVERTSP, USER1),
    N(LOCKING_SP, OPAL_UID_THISSP, REVERTSP, NOBODY),
    /* SID is an Admin SP authority */
    N(LOCKING_SP, OPAL_UID_THISSP, REVERTSP, SID),

    /* Table / SPTemplates / MethodID tables, their rows; SPInfo. */
    Y(LOCKING_SP, OPAL_UID_TABLE_TABLE, NEXT, NOBODY),
    Y(LOCKING_SP, OPAL_UID_TABLEROW_LOCKING, GET, NOBODY),
    Y(LOCKING_SP, OPAL_UID_TABLEROW_MBR, GET, NOBODY),
    Y(LOCKING_SP, OPAL_UID_TABLEROW_DATASTORE, GET, NOBODY),
    N(LOCKING_SP, OPAL_UID_TABLEROW_DATASTORE, SET, ADMIN1),
    Y(LOCKING_SP, OPAL_UID_TABLE_SPTEMPLATES, NEXT, NOBODY),
    Y(LOCKING_SP, OPAL_UID_SPTEMPLATES_1, GET, NOBODY),
    Y(LOCKING_SP, OPAL_UID_TABLE_METHODID, NEXT, NOBODY),
    Y(LOCKING_SP, OPAL_UID_M_GENKEY, GET, NOBODY),
    Y(LOCKING_SP, OPAL_UID_SPINFO_OBJ, GET, NOBODY),
    N(LOCKING_SP, OPAL_UID_SPINFO_OBJ, SET, ADMIN1),

    /* ACE table: Next Anybody; rows Get = ACE_ACE_Get_All (Admins, All). */
    Y(LOCKING_SP, OPAL_UID_TABLE_ACE, NEXT, NOBODY),
    YR(LOCKING_SP, OPAL_UID_ACE_ADMIN, GET, ADMIN1, CR(0, 4), 0),
    YR(LOCKING_SP, OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR, GET, ADMIN1, CR(0, 4), 0),
    N(LOCKING_SP, OPAL_UID_ACE_ADMIN, GET, NOBODY),
    N(LOCKING_SP, OPAL_UID_ACE_ADMIN, GET, USER1),
    /* Personalizable ACEs: Set = ACE_ACE_Set_BooleanExpression (Admins, BooleanExpr). */
    YX(LOCKING_SP, OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR, SET, ADMIN1, BOOLEXPR),
    YX(LOCKING_SP, OPAL_UID_ACE_DATASTORE_GET_ALL, SET, ADMIN1, BOOLEXPR),
    YX(LOCKING_SP, OPAL_UID_ACE_DATASTORE_SET_ALL, SET, ADMIN1, BOOLEXPR),
    YX(LOCKING_SP, OPAL_UID_ACE_AUTHORITY_GET_ALL, SET, ADMIN1, BOOLEXPR),
    N(LOCKING_SP, OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR, SET, USER1),
    N(LOCKING_SP, OPAL_UID_ACE_DATASTORE_SET_ALL, SET, NOBODY),
    /* ... and the ones that are not personalizable. */
    N(LOCKING_SP, OPAL_UID_ACE_ADMIN, SET, ADMIN1),
    N(LOCKING_SP, OPAL_UID_ACE_ANYBODY, SET, ADMIN1),
    N(LOCKING_SP, OPAL_UID_ACE_ACE_SET_BOOLEANEXPRESSION, SET, ADMIN1),
    N(LOCKING_SP, OPAL_UID_ACE_LOCKING_ADMINS_RANGESTARTTOLOR, SET, ADMIN1),
    N(LOCKING_SP, OPAL_UID_ACE_MBRCONTROL_ADMINS_SET, SET, ADMIN1),

    /* Authority table and rows. */
    Y(LOCKING_SP, OPAL_UID_TABLE_AUTHORITY, NEXT, NOBODY),
    YX(LOCKING_SP, OPAL_UID_AUTH_ADMIN1, GET, NOBODY, UID_CN),
    YX(LOCKING_SP, OPAL_UID_AUTH_ADMINS, GET, USER1, UID_CN),
    YR(LOCKING_SP, OPAL_UID_AUTH_ADMIN1, GET, ADMIN1, CR(0, 18), 0),
    YR(LOCKING_SP, OPAL_UID_AUTH_USERS, GET, ADMIN1, CR(0, 18), 0),
    YX(LOCKING_SP, OPAL_UID_ADMIN(2), SET, ADMIN1, ENABLED | CN),
    YX(LOCKING_SP, OPAL_UID_ADMIN(1), SET, ADMIN4, ENABLED | CN),
    N(LOCKING_SP, OPAL_UID_ADMIN(2), SET, USER1),
    N(LOCKING_SP, OPAL_UID_ADMIN(2), SET, NOBODY),
    N(LOCKING_SP, OPAL_UID_ADMIN(2), SET, SID),

    /* C_PIN table; C_PIN_Admin{n}. */
    Y(LOCKING_SP, OPAL_UID_TABLE_C_PIN, NEXT, NOBODY),
    YX(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(1), GET, ADMIN1, NOPIN),
    YX(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(4), GET, ADMIN1, NOPIN),
    N(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(1), GET, USER1),
    N(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(1), GET, NOBODY),
    YX(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(1), SET, ADMIN1, PIN),
    YX(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(2), SET, ADMIN4, PIN),
    N(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(1), SET, USER1),
    N(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(1), SET, NOBODY),
    N(LOCKING_SP, OPAL_UID_C_PIN_ADMIN(1), SET, SID),

    /* Users. */
    USER_FAMILY(1, USER8),
    USER_FAMILY(8, USER1),

    /* SecretProtect, LockingInfo, Locking table. */
    Y(LOCKING_SP, OPAL_UID_TABLE_SECRETPROTECT, NEXT, NOBODY),
    Y(LOCKING_SP, OPAL_UID_SECRETPROTECT_K_AES_256, GET, NOBODY),
    N(LOCKING_SP, OPAL_UID_SECRETPROTECT_K_AES_256, SET, ADMIN1),
    Y(LOCKING_SP, OPAL_UID_LOCKINGINFO_OBJ, GET, NOBODY),
    N(LOCKING_SP, OPAL_UID_LOCKINGINFO_OBJ, SET, ADMIN1),
    Y(LOCKING_SP, OPAL_UID_TABLE_LOCKING, NEXT, NOBODY),

    /*
     * GlobalRange.  Get as a range; Set = GlobalRange_Admins_Set (5-9) +
     * Set_RdLocked/WrLocked + Admins_Set_CommonName: never RangeStart,
     * RangeLength or ActiveKey.
     */
    YX(LOCKING_SP, OPAL_UID_LOCKING_GLOBALRANGE, GET, NOBODY, UID_CN),
    YX(LOCKING_SP, OPAL_UID_LOCKING_GLOBALRANGE, GET, USER1, UID_CN),
    YX(LOCKING_SP, OPAL_UID_LOCKING_GLOBALRANGE, GET, ADMIN1, UID_CN | RS_TO_AK),
    YX(LOCKING_SP, OPAL_UID_LOCKING_GLOBALRANGE, SET, ADMIN1, CN | GR_ADMINS),
    N(LOCKING_SP, OPAL_UID_LOCKING_GLOBALRANGE, SET, USER1),
    N(LOCKING_SP, OPAL_UID_LOCKING_GLOBALRANGE, SET, NOBODY),
    N(LOCKING_SP, OPAL_UID_LOCKING_GLOBALRANGE, SET, SID),
    Y(LOCKING_SP, OPAL_UID_K_AES_256_GLOBALRANGE_KEY, GENKEY, ADMIN1),
    N(LOCKING_SP, OPAL_UID_K_AES_256_GLOBALRANGE_KEY, GENKEY, USER1),
    N(LOCKING_SP, OPAL_UID_K_AES_256_GLOBALRANGE_KEY, GENKEY, NOBODY),
    YX(LOCKING_SP, OPAL_UID_K_AES_256_GLOBALRANGE_KEY, GET, NOBODY, MODE),
    YX(LOCKING_SP, OPAL_UID_ACE_LOCKING_GLOBALRANGE_SET_RDLOCKED, SET, ADMIN1, BOOLEXPR),
    YX(LOCKING_SP, OPAL_UID_ACE_LOCKING_GLOBALRANGE_SET_WRLOCKED, SET, ADMIN1, BOOLEXPR),
    YX(LOCKING_SP, OPAL_UID_ACE_LOCKING_GLOBALRANGE_GET_RANGESTARTTOACTIVEKEY,
       SET, ADMIN1,
       BOOLEXPR),
    YX(LOCKING_SP, OPAL_UID_ACE_K_AES_256_GLOBALRANGE_GENKEY, SET, ADMIN1, BOOLEXPR),
    N(LOCKING_SP, OPAL_UID_ACE_LOCKING_GLOBALRANGE_SET_RDLOCKED, SET, USER1),
    N(LOCKING_SP, OPAL_UID_ACE_LOCKING_GLOBALRANGE_ADMINS_SET, SET, ADMIN1),

    /* Ranges 1 and 8. */
    RANGE_FAMILY(1),
    RANGE_FAMILY(8),

    /* MBRControl: Get Anybody; Set = Admins_Set (1-3) + Set_DoneToDOR (2-3). */
    YR(LOCKING_SP, OPAL_UID_MBRCONTROL_OBJ, GET, NOBODY, CR(0, 3), 0),
    YX(LOCKING_SP, OPAL_UID_MBRCONTROL_OBJ, SET, ADMIN1,
       C(OPAL_COL_MBRCONTROL_ENABLE) | C(OPAL_COL_MBRCONTROL_DONE) |
       C(OPAL_COL_MBRCONTROL_DONE_ON_RESET)),
    N(LOCKING_SP, OPAL_UID_MBRCONTROL_OBJ, SET, USER1),
    N(LOCKING_SP, OPAL_UID_MBRCONTROL_OBJ, SET, NOBODY),
    N(LOCKING_SP, OPAL_UID_MBRCONTROL_OBJ, SET, SID),

    /* MBR: Get Anybody, Set Admins; DataStore: Get and Set Admins. */
    Y(LOCKING_SP, OPAL_UID_TABLE_MBR, GET, NOBODY),
    Y(LOCKING_SP, OPAL_UID_TABLE_MBR, SET, ADMIN1),
    N(LOCKING_SP, OPAL_UID_TABLE_MBR, SET, USER1),
    N(LOCKING_SP, OPAL_UID_TABLE_MBR, SET, NOBODY),
    Y(LOCKING_SP, OPAL_UID_TABLE_DATASTORE, GET, ADMIN1),
    Y(LOCKING_SP, OPAL_UID_TABLE_DATASTORE, SET, ADMIN1),
    N(LOCKING_SP, OPAL_UID_TABLE_DATASTORE, GET, NOBODY),
    N(LOCKING_SP, OPAL_UID_TABLE_DATASTORE, GET, USER1),
    N(LOCKING_SP, OPAL_UID_TABLE_DATASTORE, SET, USER1),
    N(LOCKING_SP, OPAL_UID_TABLE_DATASTORE, SET, NOBODY),
};

static const char *expect_name(Expect e)
{
    return e == ALLOW ? "allowed" : e == DENY ? "denied" : "either";
}

static void test_matrix(void **state)
{
    OpalSP *sps[2];
    unsigned failures = 0;

    (void)state;
    sps[ADMIN_SP] = opal_admin_sp_new(&host_test_config,
                                      (const uint8_t *)host_test_config.msid,
                                      strlen(host_test_config.msid),
                                      (const uint8_t *)host_test_config.psid,
                                      strlen(host_test_config.psid));
    sps[LOCKING_SP] = opal_locking_sp_new(&host_test_config);

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const Case *c = &cases[i];
        OpalAuthSet auth = { .n = c->who != NOBODY };
        g_autoptr(GString) why = g_string_new(NULL);
        g_autoptr(GString) problem = g_string_new(NULL);
        uint32_t columns = 0;
        bool allowed;

        auth.uids[0] = c->who;
        allowed = opal_access_check(sps[c->sp], &auth, c->invoking, c->method,
                                    &columns, why);

        if (c->expect != EITHER && allowed != (c->expect == ALLOW)) {
            g_string_printf(problem, "expected %s, got %s", expect_name(c->expect),
                            allowed ? "allowed" : "denied");
        } else if (allowed && c->exact && columns != c->exact) {
            g_string_printf(problem, "columns 0x%08x, expected exactly 0x%08x", columns,
                            c->exact);
        } else if (allowed && (columns & c->required) != c->required) {
            g_string_printf(problem, "columns 0x%08x lack 0x%08x", columns,
                            c->required & ~columns);
        } else if (allowed && (columns & c->forbidden)) {
            g_string_printf(problem, "columns 0x%08x include forbidden 0x%08x", columns,
                            columns & c->forbidden);
        }
        if (problem->len) {
            g_autoptr(GString) names = g_string_new(NULL);

            opal_name_uid(sps[c->sp], c->invoking, names);
            g_string_append(names, " by ");
            if (c->who) {
                opal_name_uid(sps[c->sp], c->who, names);
            } else {
                g_string_append(names, "Anybody");
            }
            print_error("FAIL case %zu [%s] (%s): %s%s%s\n", i, c->text, names->str,
                        problem->str, why->len ? "; why: " : "", why->str);
            failures++;
        }
    }
    print_message("%zu access cases, %u failed\n", G_N_ELEMENTS(cases), failures);

    opal_sp_free(sps[ADMIN_SP]);
    opal_sp_free(sps[LOCKING_SP]);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
