/*
 * ide-opal-hd: well-known UIDs of the TCG Storage engine
 *
 * Every UID is 8 bytes on the wire; here it is the 64-bit value of those
 * bytes read big-endian (so 00 00 00 09 00 03 00 01 is 0x0000000900030001).
 * A UID is a table part (high 4 bytes) and a row part (low 4 bytes): a
 * table's own UID has row part 0, and its descriptor row in the Table table
 * is 0x00000001_<high 4 bytes of the table UID>.
 *
 * References:
 *   Core   TCG Storage Architecture Core Specification 2.01
 *          (5.2 Session Manager, 5.3 Base template, 5.4 Admin template,
 *          5.7 Locking template; assigned UIDs in the UID appendix)
 *   Opal   TCG Storage SSC: Opal 2.01 / 2.02 (4.1 Session Manager,
 *          4.2 Admin SP preconfiguration, 4.3 Locking SP preconfiguration,
 *          5.1 SSC-specific methods)
 *   SUM    Opal SSC Feature Set: Single User Mode 1.00
 *   PSID   Opal SSC Feature Set: PSID 1.00
 *   DSFS   Opal SSC Feature Set: Additional DataStore Tables 1.00
 *
 * Each value was checked against at least two independent public sources
 * (specification text or public client/firmware code); values marked
 * "verify" were found in only one.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_BLOCK_OPAL_UID_H
#define HW_BLOCK_OPAL_UID_H

#include <stdint.h>

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* The table part of any UID (row part cleared). */
#define OPAL_UID_TABLE_OF(uid)      ((uint64_t)(uid) & 0xffffffff00000000ULL)

/* The row in the Table table that describes table @tbl (a table UID). */
#define OPAL_UID_TABLE_ROW(tbl)     (0x0000000100000000ULL | \
                                     ((uint64_t)(tbl) >> 32))

/* The null UID, and the all-ones UID some clients use for "omitted". */
#define OPAL_UID_NULL               0x0000000000000000ULL
#define OPAL_UID_HEXFF              0xffffffffffffffffULL

/* ------------------------------------------------------------------------ */
/* Session Manager (Core 5.2; Opal 4.1)                                     */
/* ------------------------------------------------------------------------ */

#define OPAL_UID_THISSP             0x0000000000000001ULL   /* Core 5.1.2 */
#define OPAL_UID_SMUID              0x00000000000000ffULL   /* Core 5.2 */

/* Session Manager methods (invoked on SMUID). */
#define OPAL_UID_SM_PROPERTIES              0x000000000000ff01ULL
#define OPAL_UID_SM_START_SESSION           0x000000000000ff02ULL
#define OPAL_UID_SM_SYNC_SESSION            0x000000000000ff03ULL
#define OPAL_UID_SM_START_TRUSTED_SESSION   0x000000000000ff04ULL
#define OPAL_UID_SM_SYNC_TRUSTED_SESSION    0x000000000000ff05ULL
#define OPAL_UID_SM_CLOSE_SESSION           0x000000000000ff06ULL

/* ------------------------------------------------------------------------ */
/* SPs: rows of the Admin SP's SP table (Opal 4.2.3.3)                      */
/* ------------------------------------------------------------------------ */

#define OPAL_UID_ADMINSP            0x0000020500000001ULL
#define OPAL_UID_LOCKINGSP          0x0000020500000002ULL
/* (Enterprise SSC uses 0x0000020500010001 for its Locking SP; not Opal.) */

/* ------------------------------------------------------------------------ */
/* Methods: rows of the MethodID table (Core 5.3.2.x, Opal 4.2.1.4,          */
/* 4.3.1.5).  Opal 1 / Enterprise Get 0x..06, Set 0x..07 and Authenticate    */
/* 0x..0C are obsolete in Core 2 and not used by Opal 2: not defined here.  */
/* ------------------------------------------------------------------------ */

/* Base template (Core 5.3.3) */
#define OPAL_UID_M_DELETESP         0x0000000600000001ULL   /* not in Opal */
#define OPAL_UID_M_CREATETABLE      0x0000000600000002ULL   /* not in Opal */
#define OPAL_UID_M_DELETE           0x0000000600000003ULL   /* not in Opal */
#define OPAL_UID_M_CREATEROW        0x0000000600000004ULL   /* not in Opal */
#define OPAL_UID_M_DELETEROW        0x0000000600000005ULL   /* not in Opal */
#define OPAL_UID_M_NEXT             0x0000000600000008ULL
#define OPAL_UID_M_GETFREESPACE     0x0000000600000009ULL   /* not in Opal */
#define OPAL_UID_M_GETFREEROWS      0x000000060000000aULL   /* not in Opal */
#define OPAL_UID_M_DELETEMETHOD     0x000000060000000bULL   /* not in Opal */
#define OPAL_UID_M_GETACL           0x000000060000000dULL
#define OPAL_UID_M_ADDACE           0x000000060000000eULL   /* not in Opal */
#define OPAL_UID_M_REMOVEACE        0x000000060000000fULL   /* not in Opal */
#define OPAL_UID_M_GENKEY           0x0000000600000010ULL
#define OPAL_UID_M_REVERTSP         0x0000000600000011ULL   /* Opal 5.1.3 */
#define OPAL_UID_M_GETPACKAGE       0x0000000600000012ULL   /* not in Opal */
#define OPAL_UID_M_SETPACKAGE       0x0000000600000013ULL   /* not in Opal */
#define OPAL_UID_M_GET              0x0000000600000016ULL
#define OPAL_UID_M_SET              0x0000000600000017ULL
#define OPAL_UID_M_AUTHENTICATE     0x000000060000001cULL
/* Admin template (Core 5.4; Opal 5.1) */
#define OPAL_UID_M_ISSUESP          0x0000000600000201ULL   /* not in Opal */
#define OPAL_UID_M_REVERT           0x0000000600000202ULL   /* Opal 5.1.2 */
#define OPAL_UID_M_ACTIVATE         0x0000000600000203ULL   /* Opal 5.1.1 */
/* Crypto template (Core 5.6) */
#define OPAL_UID_M_RANDOM           0x0000000600000601ULL
/* Locking template, SSC-specific (SUM feature set) */
#define OPAL_UID_M_REACTIVATE       0x0000000600000801ULL   /* SUM */
#define OPAL_UID_M_ERASE            0x0000000600000803ULL   /* SUM */

/* ------------------------------------------------------------------------ */
/* Tables (the table objects, row part 0).  Descriptor rows in the Table     */
/* table are OPAL_UID_TABLE_ROW(x); the common ones are spelled out below.  */
/* ------------------------------------------------------------------------ */

/* Base template tables (Core 5.3.2) */
#define OPAL_UID_TABLE_TABLE        0x0000000100000000ULL
#define OPAL_UID_TABLE_SPINFO       0x0000000200000000ULL
#define OPAL_UID_TABLE_SPTEMPLATES  0x0000000300000000ULL
#define OPAL_UID_TABLE_COLUMN       0x0000000400000000ULL   /* not in Opal */
#define OPAL_UID_TABLE_TYPE         0x0000000500000000ULL   /* Opal: (N) */
#define OPAL_UID_TABLE_METHODID     0x0000000600000000ULL
#define OPAL_UID_TABLE_ACCESSCONTROL 0x0000000700000000ULL
#define OPAL_UID_TABLE_ACE          0x0000000800000000ULL
#define OPAL_UID_TABLE_AUTHORITY    0x0000000900000000ULL
#define OPAL_UID_TABLE_CERTIFICATES 0x0000000a00000000ULL   /* not in Opal */
#define OPAL_UID_TABLE_C_PIN        0x0000000b00000000ULL
#define OPAL_UID_TABLE_SECRETPROTECT 0x0000001d00000000ULL  /* Locking SP */
/* Admin template tables (Core 5.4.2) */
#define OPAL_UID_TABLE_TPERINFO     0x0000020100000000ULL
#define OPAL_UID_TABLE_CRYPTOSUITE  0x0000020300000000ULL   /* not in Opal */
#define OPAL_UID_TABLE_TEMPLATE     0x0000020400000000ULL
#define OPAL_UID_TABLE_SP           0x0000020500000000ULL
/* Opal's own Admin SP table (Opal SSC 2.02, 4.2.6.1, 4.2.7.1) */
#define OPAL_UID_TABLE_DATA_REMOVAL_MECHANISM 0x0000110100000000ULL
/* Locking template tables (Core 5.7.2) */
#define OPAL_UID_TABLE_LOCKINGINFO  0x0000080100000000ULL
#define OPAL_UID_TABLE_LOCKING      0x0000080200000000ULL
#define OPAL_UID_TABLE_MBRCONTROL   0x0000080300000000ULL
#define OPAL_UID_TABLE_MBR          0x0000080400000000ULL   /* byte table */
#define OPAL_UID_TABLE_K_AES_128    0x0000080500000000ULL
#define OPAL_UID_TABLE_K_AES_256    0x0000080600000000ULL
/* Non-template table of the Locking SP (Opal 4.3.7.1): a byte table. */
#define OPAL_UID_TABLE_DATASTORE    0x0000100100000000ULL
/*
 * Additional DataStore tables (DSFS 4.4.2.1): DataStore n (2 <= n <= 128) is
 * 0x00001000_00000000 + n << 32, i.e. DataStore2 = 0x0000100200000000; n = 1
 * gives DataStore itself.
 */
#define OPAL_UID_TABLE_DATASTORE_N(n) \
    (0x0000100000000000ULL + ((uint64_t)(n) << 32))

/* Descriptor rows in the Table table (Opal 4.2.1.3, 4.3.1.3) */
#define OPAL_UID_TABLEROW_TABLE         0x0000000100000001ULL
#define OPAL_UID_TABLEROW_SPINFO        0x0000000100000002ULL
#define OPAL_UID_TABLEROW_SPTEMPLATES   0x0000000100000003ULL
#define OPAL_UID_TABLEROW_COLUMN        0x0000000100000004ULL
#define OPAL_UID_TABLEROW_TYPE          0x0000000100000005ULL
#define OPAL_UID_TABLEROW_METHODID      0x0000000100000006ULL
#define OPAL_UID_TABLEROW_ACCESSCONTROL 0x0000000100000007ULL
#define OPAL_UID_TABLEROW_ACE           0x0000000100000008ULL
#define OPAL_UID_TABLEROW_AUTHORITY     0x0000000100000009ULL
#define OPAL_UID_TABLEROW_CERTIFICATES  0x000000010000000aULL
#define OPAL_UID_TABLEROW_C_PIN         0x000000010000000bULL
#define OPAL_UID_TABLEROW_SECRETPROTECT 0x000000010000001dULL
#define OPAL_UID_TABLEROW_TPERINFO      0x0000000100000201ULL
#define OPAL_UID_TABLEROW_CRYPTOSUITE   0x0000000100000203ULL
#define OPAL_UID_TABLEROW_TEMPLATE      0x0000000100000204ULL
#define OPAL_UID_TABLEROW_SP            0x0000000100000205ULL
#define OPAL_UID_TABLEROW_DATA_REMOVAL_MECHANISM 0x0000000100001101ULL
#define OPAL_UID_TABLEROW_LOCKINGINFO   0x0000000100000801ULL
#define OPAL_UID_TABLEROW_LOCKING       0x0000000100000802ULL
#define OPAL_UID_TABLEROW_MBRCONTROL    0x0000000100000803ULL
#define OPAL_UID_TABLEROW_MBR           0x0000000100000804ULL
#define OPAL_UID_TABLEROW_K_AES_128     0x0000000100000805ULL
#define OPAL_UID_TABLEROW_K_AES_256     0x0000000100000806ULL
#define OPAL_UID_TABLEROW_DATASTORE     0x0000000100001001ULL

/* ------------------------------------------------------------------------ */
/* Single-row and fixed objects                                             */
/* ------------------------------------------------------------------------ */

#define OPAL_UID_SPINFO_OBJ         0x0000000200000001ULL   /* both SPs */
#define OPAL_UID_SPTEMPLATES_1      0x0000000300000001ULL   /* "Base" */
#define OPAL_UID_SPTEMPLATES_2      0x0000000300000002ULL   /* Admin/Locking */
#define OPAL_UID_TPERINFO_OBJ       0x0000020100030001ULL   /* Opal 4.2.3.1 */
/* The one row of DataRemovalMechanism (Opal SSC 2.02, 4.2.7.1) */
#define OPAL_UID_DATA_REMOVAL_MECHANISM_OBJ 0x0000110100000001ULL
#define OPAL_UID_TEMPLATE_BASE      0x0000020400000001ULL   /* Opal 4.2.3.2 */
#define OPAL_UID_TEMPLATE_ADMIN     0x0000020400000002ULL
#define OPAL_UID_TEMPLATE_LOCKING   0x0000020400000006ULL
#define OPAL_UID_LOCKINGINFO_OBJ    0x0000080100000001ULL   /* Opal 4.3.5.1 */
#define OPAL_UID_MBRCONTROL_OBJ     0x0000080300000001ULL   /* Opal 4.3.5.3 */

/* SecretProtect rows (Opal 4.3.1.10): one per supported media key table. */
#define OPAL_UID_SECRETPROTECT_K_AES_128 0x0000001d0000001dULL
#define OPAL_UID_SECRETPROTECT_K_AES_256 0x0000001d0000001eULL

/* ------------------------------------------------------------------------ */
/* Authorities (Core 5.3.2.10; Opal 4.2.1.7, 4.3.1.8)                       */
/* ------------------------------------------------------------------------ */

/* Base template authorities, in every SP where the SSC lists them. */
#define OPAL_UID_AUTH_ANYBODY       0x0000000900000001ULL
#define OPAL_UID_AUTH_ADMINS        0x0000000900000002ULL   /* class */
#define OPAL_UID_AUTH_MAKERS        0x0000000900000003ULL   /* class, AdminSP */
#define OPAL_UID_AUTH_SID           0x0000000900000006ULL   /* Admin SP */
#define OPAL_UID_AUTH_TPERSIGN      0x0000000900000007ULL   /* not in Opal */
#define OPAL_UID_AUTH_TPEREXCH      0x0000000900000008ULL   /* not in Opal */
/* PSID authority (PSID feature set), Admin SP. */
#define OPAL_UID_AUTH_PSID          0x000000090001ff01ULL

/*
 * Admin SP Admin authorities (Opal 2, optional; Opal 4.2.1.7): Admin n is
 * 0x00000009_00000200 + n.  (The same UIDs are the Admin template's Issuers,
 * Editors, ... in Core; Opal reuses them.)
 */
#define OPAL_UID_ADMINSP_ADMIN(n)   (0x0000000900000200ULL + (uint64_t)(n))

/* Locking SP (Opal 4.3.1.8): Admin n = 0x00000009_0001nnnn, User n likewise. */
#define OPAL_UID_AUTH_USERS         0x0000000900030000ULL   /* class */
#define OPAL_UID_ADMIN(n)           (0x0000000900010000ULL + (uint64_t)(n))
#define OPAL_UID_USER(n)            (0x0000000900030000ULL + (uint64_t)(n))
#define OPAL_UID_AUTH_ADMIN1        OPAL_UID_ADMIN(1)
#define OPAL_UID_AUTH_USER1         OPAL_UID_USER(1)

/* ------------------------------------------------------------------------ */
/* C_PIN rows (Core 5.3.2.12; Opal 4.2.1.8, 4.3.1.9)                        */
/* ------------------------------------------------------------------------ */

#define OPAL_UID_C_PIN_SID          0x0000000b00000001ULL   /* Admin SP */
#define OPAL_UID_C_PIN_MSID         0x0000000b00008402ULL   /* Admin SP */
#define OPAL_UID_C_PIN_PSID         0x0000000b0001ff01ULL   /* PSID FS */
#define OPAL_UID_ADMINSP_C_PIN_ADMIN(n) (0x0000000b00000200ULL + (uint64_t)(n))
#define OPAL_UID_C_PIN_ADMIN(n)     (0x0000000b00010000ULL + (uint64_t)(n))
#define OPAL_UID_C_PIN_USER(n)      (0x0000000b00030000ULL + (uint64_t)(n))
#define OPAL_UID_C_PIN_ADMIN1       OPAL_UID_C_PIN_ADMIN(1)

/* ------------------------------------------------------------------------ */
/* Locking SP objects (Opal 4.3.5)                                          */
/* ------------------------------------------------------------------------ */

/* Locking table rows: the global range, then Range n = 0x00000802_0003nnnn. */
#define OPAL_UID_LOCKING_GLOBALRANGE 0x0000080200000001ULL
#define OPAL_UID_LOCKING_RANGE(n)   (0x0000080200030000ULL + (uint64_t)(n))

/* Media keys (K_AES_128 or K_AES_256 table; Opal 4.3.5.5). */
#define OPAL_UID_K_AES_128_GLOBALRANGE_KEY 0x0000080500000001ULL
#define OPAL_UID_K_AES_128_RANGE_KEY(n) (0x0000080500030000ULL + (uint64_t)(n))
#define OPAL_UID_K_AES_256_GLOBALRANGE_KEY 0x0000080600000001ULL
#define OPAL_UID_K_AES_256_RANGE_KEY(n) (0x0000080600030000ULL + (uint64_t)(n))

/* ------------------------------------------------------------------------ */
/* ACEs of the Admin SP (Opal 4.2.1.6)                                      */
/* ------------------------------------------------------------------------ */

#define OPAL_UID_ACE_ANYBODY        0x0000000800000001ULL   /* both SPs */
#define OPAL_UID_ACE_ADMIN          0x0000000800000002ULL   /* both SPs */
#define OPAL_UID_ACE_SET_ENABLED    0x0000000800030001ULL   /* SID: Enabled */
#define OPAL_UID_ACE_SP_SID         0x0000000800030002ULL   /* SID: All */
#define OPAL_UID_ACE_TPERINFO_SET_PROGRAMMATICRESETENABLE 0x0000000800030003ULL
/* Opal SSC 2.02, 4.2.1.6: Admins OR SID: ActiveDataRemovalMechanism */
#define OPAL_UID_ACE_DATAREMOVALMECHANISM_SET_ACTIVE 0x0000000800050001ULL
#define OPAL_UID_ACE_C_PIN_SID_GET_NOPIN 0x0000000800008c02ULL
#define OPAL_UID_ACE_C_PIN_SID_SET_PIN  0x0000000800008c03ULL
#define OPAL_UID_ACE_C_PIN_MSID_GET_PIN 0x0000000800008c04ULL
/* Same UID as the Locking SP's row; Admin SP: "Admins OR SID", PIN. */
#define OPAL_UID_ACE_C_PIN_ADMINS_SET_PIN 0x000000080003a001ULL
/* PSID feature set */
#define OPAL_UID_ACE_SP_PSID        0x00000008000100e0ULL   /* verify */
#define OPAL_UID_ACE_C_PIN_GET_PSID_NOPIN 0x00000008000100e1ULL /* verify */
/* Data removal mechanism (Pyrite 2.x; Opal 2.02 only if it adopts it) */
#define OPAL_UID_ACE_DATAREMOVALMECHANISM_SET_ACTIVE 0x0000000800050001ULL

/* ------------------------------------------------------------------------ */
/* ACEs of the Locking SP (Opal 4.3.1.7)                                    */
/* ------------------------------------------------------------------------ */

/* Base and CommonName ACEs (Opal 2) */
#define OPAL_UID_ACE_ANYBODY_GET_COMMONNAME 0x0000000800000003ULL
#define OPAL_UID_ACE_ADMINS_SET_COMMONNAME  0x0000000800000004ULL
/* ACE table */
#define OPAL_UID_ACE_ACE_GET_ALL            0x0000000800038000ULL
#define OPAL_UID_ACE_ACE_SET_BOOLEANEXPRESSION 0x0000000800038001ULL
/* Authority table */
#define OPAL_UID_ACE_AUTHORITY_GET_ALL      0x0000000800039000ULL
#define OPAL_UID_ACE_AUTHORITY_SET_ENABLED  0x0000000800039001ULL
/* ACE_Usern_Set_CommonName, n >= 1 (Opal 2) */
#define OPAL_UID_ACE_USER_SET_COMMONNAME(n) \
    (0x0000000800044000ULL + (uint64_t)(n))
/* C_PIN table */
#define OPAL_UID_ACE_C_PIN_ADMINS_GET_ALL_NOPIN 0x000000080003a000ULL
/* (OPAL_UID_ACE_C_PIN_ADMINS_SET_PIN above: 0x000000080003a001) */
/* ACE_C_PIN_Usern_Set_PIN, n >= 1 */
#define OPAL_UID_ACE_C_PIN_USER_SET_PIN(n) \
    (0x000000080003a800ULL + (uint64_t)(n))

/*
 * Per-range families: n = 0 is the global range (..._GlobalRange_...),
 * n >= 1 is Range n.  E.g. ACE_Locking_Range1_Set_RdLocked = 0x...0003e001.
 */
#define OPAL_UID_ACE_K_AES_128_RANGE_GENKEY(n) \
    (0x000000080003b000ULL + (uint64_t)(n))
#define OPAL_UID_ACE_K_AES_256_RANGE_GENKEY(n) \
    (0x000000080003b800ULL + (uint64_t)(n))
#define OPAL_UID_ACE_LOCKING_RANGE_GET_RANGESTARTTOACTIVEKEY(n) \
    (0x000000080003d000ULL + (uint64_t)(n))
#define OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(n) \
    (0x000000080003e000ULL + (uint64_t)(n))
#define OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(n) \
    (0x000000080003e800ULL + (uint64_t)(n))

#define OPAL_UID_ACE_K_AES_128_GLOBALRANGE_GENKEY 0x000000080003b000ULL
#define OPAL_UID_ACE_K_AES_256_GLOBALRANGE_GENKEY 0x000000080003b800ULL
/* Anybody: Mode column of every K_AES_* key object (Opal 2) */
#define OPAL_UID_ACE_K_AES_MODE             0x000000080003bfffULL
#define OPAL_UID_ACE_LOCKING_GLOBALRANGE_GET_RANGESTARTTOACTIVEKEY \
    0x000000080003d000ULL
#define OPAL_UID_ACE_LOCKING_GLOBALRANGE_SET_RDLOCKED 0x000000080003e000ULL
#define OPAL_UID_ACE_LOCKING_GLOBALRANGE_SET_WRLOCKED 0x000000080003e800ULL
/* Admins: RLE, WLE, RL, WL, LockOnReset of the global range */
#define OPAL_UID_ACE_LOCKING_GLOBALRANGE_ADMINS_SET   0x000000080003f000ULL
/* Admins: RangeStart..LockOnReset of every non-global range */
#define OPAL_UID_ACE_LOCKING_ADMINS_RANGESTARTTOLOR   0x000000080003f001ULL
/* MBRControl */
#define OPAL_UID_ACE_MBRCONTROL_ADMINS_SET  0x000000080003f800ULL
#define OPAL_UID_ACE_MBRCONTROL_SET_DONETODOR 0x000000080003f801ULL
/* DataStore */
#define OPAL_UID_ACE_DATASTORE_GET_ALL      0x000000080003fc00ULL
#define OPAL_UID_ACE_DATASTORE_SET_ALL      0x000000080003fc01ULL
/*
 * Additional DataStore n, 2 <= n <= 128 (DSFS 4.4.2.3): Get = fc00 + 2(n-1),
 * Set = +1
 */
#define OPAL_UID_ACE_DATASTORE_N_GET_ALL(n) \
    (0x000000080003fc00ULL + 2 * ((uint64_t)(n) - 1))
#define OPAL_UID_ACE_DATASTORE_N_SET_ALL(n) \
    (0x000000080003fc01ULL + 2 * ((uint64_t)(n) - 1))

/* Single User Mode feature set ACEs (n = 0 global where it applies) */
#define OPAL_UID_ACE_LOCKING_RANGE_SET_READTOLOR(n) \
    (0x0000000800040000ULL + (uint64_t)(n))               /* verify */
#define OPAL_UID_ACE_LOCKING_RANGE_SET_RANGE(n) \
    (0x0000000800041000ULL + (uint64_t)(n))               /* verify, n >= 1 */
#define OPAL_UID_ACE_C_PIN_ANYBODY_GET_NOPIN 0x0000000800042000ULL /* verify */
#define OPAL_UID_ACE_SP_REACTIVATE_ADMIN     0x0000000800042001ULL /* verify */
#define OPAL_UID_ACE_LOCKING_RANGE_ERASE(n) \
    (0x0000000800043000ULL + (uint64_t)(n))               /* verify */

/* ------------------------------------------------------------------------ */
/* BooleanExpr encoding (Core 5.1.3.x, boolean_ACE / AC_element types)      */
/* ------------------------------------------------------------------------ */

/*
 * An ACE's BooleanExpr is a list, in postfix order, of name-value pairs whose
 * name is a 4-byte "half UID" (the row part of a Type table UID):
 *   { Half-UID_AuthorityObjectRef : <authority UID, 8 bytes> }
 *   { Half-UID_BooleanACE : 0 = And, 1 = Or, 2 = Not }
 * The full Type table UIDs are 0x00000005_<half>.
 */
#define OPAL_HALF_UID_AUTHORITY_OBJECT_REF  0x00000c05U
#define OPAL_HALF_UID_BOOLEAN_ACE           0x0000040eU
#define OPAL_UID_TYPE_AUTHORITY_OBJECT_REF  0x0000000500000c05ULL
#define OPAL_UID_TYPE_BOOLEAN_ACE           0x000000050000040eULL
#define OPAL_UID_TYPE_LIFE_CYCLE_STATE      0x0000000500000405ULL

enum {
    OPAL_BOOLEAN_AND = 0,
    OPAL_BOOLEAN_OR = 1,
    OPAL_BOOLEAN_NOT = 2,
};

#endif
