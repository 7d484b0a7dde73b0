/*
 * ide-opal-hd: the TCG Storage engine's interface to its transport
 *
 * The engine is the drive's TPer (TCG "trusted peripheral"): it answers the
 * security protocols a host reaches through IF-SEND and IF-RECV, which ATA
 * carries as TRUSTED SEND and TRUSTED RECEIVE.  It depends on glib only, so
 * that it builds, unit-tests and fuzzes without QEMU; the transport (the QEMU
 * device) is a thin layer around it.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_OPAL_OPAL_H
#define HW_OPAL_OPAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <glib.h>

/*
 * Security protocols (TCG Storage Core 2.01, 3.3.4; SPC-4 SECURITY PROTOCOL
 * IN).
 */
enum {
    OPAL_PROTOCOL_INFO = 0x00,          /* security protocol information */
    OPAL_PROTOCOL_TCG = 0x01,           /* Level 0 Discovery, sessions */
    OPAL_PROTOCOL_COMID_MGMT = 0x02,    /* ComID management */
};

/* ComIDs of protocol 0x01 (Core 3.3.4.3.1; Opal SSC 2.02, 3.1.1). */
enum {
    OPAL_COMID_DISCOVERY = 0x0001,      /* Level 0 Discovery */
    OPAL_BASE_COMID = 0x07fe,           /* the one static ComID for sessions */
};

/*
 * ComID of protocol 0x02 for the Block SID command (TCG Storage Feature Set:
 * Block SID Authentication): an IF-SEND whose first byte holds the Clear
 * Events - bit 0, a hardware reset also ends the SID Authentication Blocked
 * State, which otherwise lasts until the next power cycle.
 */
#define OPAL_COMID_BLOCK_SID            0x0005
#define OPAL_BLOCK_SID_CLEAR_HW_RESET   0x01

/*
 * ComID of protocol 0x02 for the TPER_RESET command (Opal SSC 2.01, 3.2.3):
 * an IF-SEND of any non-zero length, whose data is ignored, that resets the
 * TPer as a Programmatic reset - if TPerInfo's ProgrammaticResetEnable is
 * True.  It has no IF-RECV response.
 */
#define OPAL_COMID_TPER_RESET           0x0004

/*
 * The cryptography the engine needs, from whatever library its application
 * uses: QEMU's crypto API in the device (hw/ide/opal-crypto.c), libgcrypt
 * in the standalone build of the engine's tests and fuzzers
 * (tests/unit/opal-crypto-gcrypt.c).  The engine builds AES key wrap (RFC
 * 3394) on @aes256_ecb itself.  Every op returns false when the library
 * fails; the ops may be called from any thread, concurrently.
 */
typedef struct OpalAes256 OpalAes256;     /* an AES-256 key schedule */
typedef struct OpalCrypto {
    /* @len bytes from a cryptographically secure generator */
    bool (*random_bytes)(void *buf, size_t len);
    /* PBKDF2-HMAC-SHA256 (RFC 8018) of @pass and @salt, @out_len bytes */
    bool (*pbkdf2_sha256)(const uint8_t *pass, size_t pass_len,
                          const uint8_t *salt, size_t salt_len,
                          unsigned iterations, uint8_t *out, size_t out_len);
    /* the schedule of a 32-byte AES-256 key; NULL on failure */
    OpalAes256 *(*aes256_new)(const uint8_t *key);
    /* AES-256 of @len bytes (whole blocks) in ECB mode; @out may be @in */
    bool (*aes256_ecb)(OpalAes256 *aes, bool decrypt, const uint8_t *in,
                       uint8_t *out, size_t len);
    /* frees @aes (NULL: nothing), wiping the schedule */
    void (*aes256_free)(OpalAes256 *aes);
} OpalCrypto;

/* What the drive is, as far as the engine needs to know. */
typedef struct OpalConfig {
    uint64_t nb_blocks;                 /* user-addressable logical blocks */
    uint32_t logical_block_size;        /* bytes */
    /* logical blocks per range alignment unit */
    uint64_t alignment_granularity;
    uint16_t nr_admins;                 /* Locking SP Admin authorities */
    /* Locking SP User authorities (Opal: >= 8) */
    uint16_t nr_users;
    /* locking ranges besides the global one (>= 8) */
    uint16_t nr_ranges;
    /* bytes in the MBR table (Opal: >= 128 MiB) */
    uint64_t mbr_size;
    /* bytes in all DataStore tables together */
    uint32_t datastore_size;
    /*
     * C_PIN_MSID's PIN (the factory SID password hosts read from the drive)
     * and the PSID (printed on a real drive's label, for PSID revert).
     */
    const char *msid;
    const char *psid;
    /*
     * PBKDF2 iterations for new PIN verifiers and key-encryption keys
     * (0: OPAL_KDF_ITERATIONS_DEFAULT).  Each verifier records its own, so a
     * drive keeps working when this changes - as long as none records more
     * than max(kdf_iterations, OPAL_KDF_ITERATIONS_DEFAULT), the most this
     * drive would write: a state with such a verifier is refused at load, as
     * a crafted one that would make each PIN check take seconds.
     */
    unsigned kdf_iterations;
    /*
     * TryLimit of the LockingSP's Admin and User PINs (C_PIN_Admin1..,
     * C_PIN_User1..; Core 5.3.2.12), which Opal leaves vendor unique: that
     * many failed authentications in a row lock the authority out
     * (AUTHORITY_LOCKED_OUT) until a power cycle resets Tries, their
     * Persistence being False.  0: no limit.  A cell of the factory state,
     * taken when the LockingSP gets it (a new TPer, Revert, RevertSP,
     * Reactivate, a PSID revert); a loaded state keeps its own.
     */
    uint32_t locking_pin_try_limit;
    /*
     * The crypto library (must be set).  A TPer needs it from the start: a
     * new one makes its media keys and the factory PIN verifiers.
     */
    const OpalCrypto *crypto;
} OpalConfig;

/*
 * About 30 ms per PIN on a 2020s x86 core: slow for a guesser, quick for a
 * host.
 */
#define OPAL_KDF_ITERATIONS_DEFAULT 100000

/* Sizes every transport must accept (announced in Level 0 / Properties). */
#define OPAL_MAX_TRANSFER   (64 * 1024)  /* bytes in one IF-SEND or IF-RECV */

/*
 * How an IF-SEND or IF-RECV ended.  The transport maps each outcome to its own
 * error reporting (for ATA: SIIS 1.08, 3.3; every error is command aborted).
 */
typedef enum OpalIfStatus {
    OPAL_IF_OK = 0,
    OPAL_IF_BAD_PROTOCOL,       /* security protocol not supported */
    OPAL_IF_BAD_SP_SPECIFIC,    /* ComID / SP Specific field not valid */
    OPAL_IF_BAD_LENGTH,         /* transfer length not acceptable */
    OPAL_IF_BAD_PAYLOAD,        /* IF-SEND data malformed for the protocol */
    /*
     * IF-SEND on a ComID whose last response the host has not retrieved
     * (Core 3.3.10; SIIS: "Synchronous Protocol Violation").
     */
    OPAL_IF_SYNC_VIOLATION,
    /*
     * A command the host has not enabled: TPER_RESET while TPerInfo's
     * ProgrammaticResetEnable is False (Opal 3.2.3; SIIS: "Other Invalid
     * Command Parameter").
     */
    OPAL_IF_NOT_ENABLED,
} OpalIfStatus;

typedef struct OpalTPer OpalTPer;

OpalTPer *opal_tper_new(const OpalConfig *config);
void opal_tper_free(OpalTPer *tper);

/*
 * The engine's account of what it does and refuses, for the transport's
 * trace events (QEMU's are typed: each takes numbers and constant strings).
 * Every argument is a number, a UID or a string literal - @why is one of a
 * fixed set of reasons, never built - so that the engine formats nothing:
 * with no ops set, an event costs one NULL test and its arguments are not
 * even evaluated.  Any member may be NULL.  Strings are never NULL; @why is
 * "" when there is nothing to say.  A status is a TCG status code (Core
 * 5.1.5; opal_status_name() names it).
 */
typedef struct OpalTraceOps {
    /* StartSession accepted: session @tsn/@hsn to SP @sp as @authority. */
    void (*session_start)(void *opaque, uint32_t tsn, uint32_t hsn,
                          uint64_t sp, bool write, uint64_t authority);
    /* StartSession refused with SyncSession's @status. */
    void (*session_refused)(void *opaque, uint32_t hsn, uint64_t sp,
                            uint64_t authority, uint8_t status,
                            const char *why);
    /* A session is over: closed by the host, ended by the TPer, aborted. */
    void (*session_end)(void *opaque, uint32_t tsn, uint32_t hsn,
                        const char *why);
    /*
     * An authentication of @authority in SP @sp, by StartSession or
     * Authenticate: @why says why it was not @proven.
     */
    void (*authenticate)(void *opaque, uint64_t sp, uint64_t authority,
                         bool proven, const char *why);
    /*
     * A method's result, in session @tsn to SP @sp: @method (named @name)
     * invoked on @object.  @why says why it failed, or what of note it did.
     */
    void (*method)(void *opaque, uint32_t tsn, uint64_t sp, uint64_t object,
                   uint64_t method, const char *name, uint8_t status,
                   const char *why);
    /*
     * An IF-SEND of @len bytes refused, or an IF-RECV of @len bytes too
     * short for the response; @pending: bytes of the response waiting.
     */
    void (*if_refused)(void *opaque, uint8_t protocol, uint16_t comid,
                       uint32_t len, uint32_t pending, const char *why);
    /* A ComPacket or packet dropped (@tsn 0: before any session). */
    void (*packet_dropped)(void *opaque, uint32_t tsn, uint32_t hsn,
                           const char *why);
    /*
     * A transaction of session @tsn started, ended or was refused (@what),
     * leaving @depth open; @status is what the host gets.
     */
    void (*transaction)(void *opaque, uint32_t tsn, const char *what,
                        unsigned depth, uint8_t status);
    /*
     * A reset of @type (OpalReset) ended every session; @applied: it locked
     * ranges (LockOnReset) or ended MBR shadowing's Done (DoneOnReset).
     */
    void (*reset)(void *opaque, int type, bool applied);
    /* Anything else the TPer did by itself, about object @uid if not 0. */
    void (*tper_event)(void *opaque, uint64_t uid, const char *what);
} OpalTraceOps;

/* @ops (static, or outliving @tper) hears of @tper; NULL: nobody does. */
void opal_tper_set_trace(OpalTPer *tper, const OpalTraceOps *ops,
                         void *opaque);
/* The name of TCG status code @status, as the Core spells it ("?" if none). */
const char *opal_status_name(unsigned status);

/*
 * What an accepted method changed, for whoever keeps the drive's state
 * (persistence) or enforces it on the media (ranges, keys, shadow MBR).
 */
enum {
    /* non-volatile state: tables, PINs, Tries */
    OPAL_CHANGE_PERSISTENT = 0x1,
    /* ranges, locks, media keys or MBR shadowing */
    OPAL_CHANGE_MEDIA = 0x2,
};
/*
 * It returns false if it could not keep the change (persistence failed): the
 * method that made it then fails with TPER_MALFUNCTION, though the change
 * stays in effect until power-off, as on a drive whose flash failed.
 *
 * Inside a TCG transaction (Core 3.2.6) the listeners hear nothing until the
 * commit: then the byte listener hears every write the transaction made to
 * the byte tables, and the change listener once what all its methods
 * changed, so that one save takes the whole transaction.  If that save
 * fails, the commit fails (TRANSACTION_FAILURE) and the drive goes back to
 * the state before the transaction: the byte listener then hears the old
 * bytes of what was written, and the change listener OPAL_CHANGE_MEDIA if
 * the transaction changed the media.  An aborted transaction is never heard
 * of.
 */
typedef bool OpalChangeFn(void *opaque, unsigned changes);
void opal_tper_set_change_listener(OpalTPer *tper, OpalChangeFn *fn,
                                   void *opaque);

/*
 * A store that keeps the byte tables (MBR, DataStore) apart from the rest of
 * the state hears of every write a method makes to them, before the change
 * listener hears of the method: @len bytes at @offset of table @table_uid
 * became @data, or zeros if @data is NULL (a Revert).  The LockingSP's
 * DataStore tables (DataStore, DataStore2, ... of the Additional DataStore
 * Tables feature set) share one area of datastore_size bytes, each where the
 * one before it ends: their writes come as OPAL_TABLE_UID_DATASTORE's, at
 * their offset in that area, and so do the chunk reads of a load.
 */
typedef void OpalByteWriteFn(void *opaque, uint64_t table_uid, uint64_t offset,
                             const uint8_t *data, uint64_t len);
void opal_tper_set_byte_listener(OpalTPer *tper, OpalByteWriteFn *fn,
                                 void *opaque);

/*
 * The clock session timeouts run on, in milliseconds (default: the host's
 * monotonic clock).  QEMU passes its virtual clock: a paused guest's sessions
 * do not time out.
 */
typedef int64_t OpalClockFn(void *opaque);
void opal_tper_set_clock(OpalTPer *tper, OpalClockFn *fn, void *opaque);

/*
 * Reset types (Core 5.1.3.58 reset_types), as LockOnReset and DoneOnReset list
 * them.
 */
typedef enum OpalReset {
    OPAL_RESET_POWER_CYCLE = 0,
    OPAL_RESET_HARDWARE = 1,
    OPAL_RESET_HOTPLUG = 2,
    OPAL_RESET_PROGRAMMATIC = 3,
} OpalReset;

/*
 * The drive saw a reset of @type: every session and queued response is gone
 * (a TCG reset, Core 3.3.4.7.5), ranges whose LockOnReset lists @type lock
 * again, and MBRControl.Done clears if DoneOnReset lists it.
 */
void opal_tper_reset(OpalTPer *tper, OpalReset type);

/*
 * The drive's non-volatile state (persist.c): every table cell of both SPs
 * and the written parts of the MBR and DataStore, in a versioned format.
 * opal_tper_save() returns a buffer to g_free(); opal_tper_load() replaces
 * the TPer's state with a saved one, as at power-on (the caller then applies
 * opal_tper_reset(OPAL_RESET_POWER_CYCLE)), or leaves it untouched and sets
 * *@error (to g_free()) to say why the bytes are not a state it can take.
 */
uint8_t *opal_tper_save(const OpalTPer *tper, size_t *len);
bool opal_tper_load(OpalTPer *tper, const uint8_t *buf, size_t len,
                    char **error);

/*
 * The same, for a store that keeps the byte tables' bytes itself (see
 * OpalByteWriteFn): the state names which 64 KiB chunks of them hold data,
 * and loading reads those through @read (false: the store failed).
 */
#define OPAL_BYTE_TABLE_CHUNK   (64 * 1024)
#define OPAL_TABLE_UID_MBR          0x0000080400000000ULL   /* Core 5.7.2.5 */
#define OPAL_TABLE_UID_DATASTORE    0x0000100100000000ULL   /* Opal 4.3.7.1 */
typedef bool OpalChunkReadFn(void *opaque, uint64_t table_uid, uint64_t offset,
                             uint8_t *buf, size_t len);
uint8_t *opal_tper_save_apart(const OpalTPer *tper, size_t *len);

/*
 * The most bytes opal_tper_save_apart() returns, whatever the hosts did, for
 * the largest drive a transport may configure (64 Users, 64 ranges, a 4 GiB
 * MBR, 1 GiB of DataStore in 16 tables, MSID and PSID of at most 32 bytes):
 * every cell a host may set is bounded, and byte tables go as chunk bitmaps.
 * tests/unit/test-state-bound.c builds that worst case (every BooleanExpr,
 * name, list and PIN at its longest, every key wrapped for every KEK) and
 * measures 0.85 MiB; this leaves about twice that.  A transport that keeps
 * the state in a slot of fixed size must make room for this, plus its own
 * headers and whatever it saves with it (a method's byte-table writes).
 */
#define OPAL_STATE_MAX_SIZE     (2 * 1024 * 1024)

/*
 * The most a TCG transaction may write to the byte tables before its
 * commit, all of which the byte listener hears at once, just before the
 * save that makes the transaction durable: a transport that saves those
 * writes with the state makes room for this beside OPAL_STATE_MAX_SIZE.
 * Each write counts its bytes and OPAL_TRANSACTION_WRITE_COST, room for the
 * transport's record of it.  A Set that would pass it fails with
 * INSUFFICIENT_SPACE, and the host may commit and go on in a new transaction.
 */
#define OPAL_TRANSACTION_MAX_WRITE  (1024 * 1024)
#define OPAL_TRANSACTION_WRITE_COST 32

/*
 * Everything a running drive holds, for live migration: the state above with
 * its byte tables, and the volatile rest - clear media keys, KEKs, open
 * sessions, the queued response.  Secrets in the clear: only for QEMU's
 * migration stream, which carries the guest's memory as well, and never for
 * a file that outlives the guest (a snapshot: see below).  Free the buffer
 * with opal_secret_free(), and wipe any copy made of it, or of a buffer
 * handed to opal_tper_load_running(): a copy left in freed memory would
 * outlive the drive's keys.
 */
uint8_t *opal_tper_save_running(const OpalTPer *tper, size_t *len);
bool opal_tper_load_running(OpalTPer *tper, const uint8_t *buf, size_t len,
                            char **error);
bool opal_tper_load_apart(OpalTPer *tper, const uint8_t *buf, size_t len,
                          OpalChunkReadFn *read, void *opaque, char **error);

/*
 * The running state for a snapshot that is kept in the image (savevm, qcow2
 * internal snapshots), which whoever holds the file can read: it must not
 * hold what decrypts a range that was locked at the time.  Loaded with
 * opal_tper_load_running(); free it with opal_secret_free(), as it still
 * holds clear keys.  It is the running state less:
 *   - every KEK (the key-encryption keys authorities' PINs gave);
 *   - the session layer: the drive resumes as after a stack reset of its
 *     ComID (Core 3.3.4.7.5) - no open session, no queued response or
 *     ComID request, host properties at their initial values.  Ranges do
 *     not lock and MBRControl.Done does not clear: no LockOnReset or
 *     DoneOnReset event happens;
 *   - the clear media key of every range whose ReadLocked is True (and of
 *     any key no range uses).  Such a range stays locked, for writes as
 *     well, until an authority that may unlock it presents its PIN, which
 *     unwraps the key; a range that comes up readable at power-on gets its
 *     key back at load from its public copy, as at power-on.
 * It keeps the clear keys of the other ranges (the restored guest reads on
 * what it had unlocked), the tables with their PIN verifiers and wrapped
 * keys, the MBR and DataStore bytes, Single User Mode and the Block SID
 * state.
 */
uint8_t *opal_tper_save_snapshot(const OpalTPer *tper, size_t *len);

/*
 * What a PSID revert does (Opal PSID feature set), without a host: the whole
 * TPer back in its factory state, every key new, all data erased - what a
 * user does to a real drive whose passwords are lost, with the label's PSID.
 */
void opal_tper_psid_revert(OpalTPer *tper);

/*
 * The drive's state for a management interface (status.c): no secrets, only
 * whether a range's media key is in memory (unwrapped).
 */

/* The two SPs of an Opal drive (Opal SSC 4.2 Admin SP, 4.3 Locking SP). */
typedef enum OpalSpName {
    OPAL_SP_ADMIN,
    OPAL_SP_LOCKING,
} OpalSpName;

/* The life cycle states an Opal SP can be in (Opal SSC 5.2.3). */
typedef enum OpalSpLifeCycle {
    OPAL_SP_MANUFACTURED_INACTIVE,
    OPAL_SP_MANUFACTURED,
} OpalSpLifeCycle;

typedef struct OpalAuthorityStatus {
    uint64_t uid;
    OpalSpName sp;              /* the SP it belongs to */
    char *name;
    bool enabled;
    bool has_pin;               /* a password authority: tries count */
    /* failed tries since the last success; 0: no limit */
    uint64_t tries, try_limit;
    bool locked_out;
} OpalAuthorityStatus;

typedef struct OpalRangeStatus {
    unsigned number;            /* 0: the global range */
    uint64_t start, length;     /* logical blocks */
    bool read_lock_enabled, write_lock_enabled;
    bool read_locked, write_locked;
    uint64_t lock_on_reset; /* bit n: reset type n (OpalReset) */
    bool key_in_memory;     /* false: still wrapped, the range stays locked */
    unsigned owner;         /* n: a single-user range, User n's; 0: not one */
} OpalRangeStatus;

typedef struct OpalSessionStatus {
    uint32_t tsn, hsn;
    OpalSpName sp;
    bool write;
    char **authorities;         /* NULL-terminated names */
} OpalSessionStatus;

typedef struct OpalStatusReport {
    OpalSpLifeCycle admin_sp, locking_sp;
    GArray *authorities;                /* OpalAuthorityStatus */
    GArray *ranges;                     /* OpalRangeStatus */
    bool mbr_enable, mbr_done;
    uint64_t mbr_done_on_reset;
    uint64_t mbr_size;
    GArray *datastore_tables;   /* uint64_t: DataStore, DataStore2, ... sizes */
    GArray *sessions;           /* OpalSessionStatus */
    /*
     * Block SID: authentication as SID refused until a power cycle (or hardware
     * reset)
     */
    bool sid_blocked;
    bool sid_blocked_hw_reset;  /* a hardware reset also ends the block */
} OpalStatusReport;

OpalStatusReport *opal_tper_status(const OpalTPer *tper);
void opal_status_report_free(OpalStatusReport *report);

/*
 * Clears @len bytes at @p in a way no compiler drops as a dead store, as a
 * plain memset() before free() may be.  A transport wipes with it what held
 * a PIN (the IF-SEND buffer of a StartSession, Authenticate or Set) or a key.
 */
void opal_wipe(void *p, size_t len);
/* opal_wipe() then g_free() (@p may be NULL): for buffers that hold secrets. */
void opal_secret_free(void *p, size_t len);

/* Human-readable name of an OpalIfStatus, for traces and error messages. */
const char *opal_if_status_name(OpalIfStatus status);

/*
 * Whether an IF-SEND to @protocol at @sp_specific can be taken at all, so that
 * a transport can refuse it before moving any data.
 */
OpalIfStatus opal_if_send_check(const OpalTPer *tper, uint8_t protocol,
                                uint16_t sp_specific, size_t len);

/*
 * IF-SEND: the host hands @len bytes to @protocol at @sp_specific (the ComID
 * for protocols 0x01 and 0x02).  @len may be 0 (a non-data command).
 */
OpalIfStatus opal_if_send(OpalTPer *tper, uint8_t protocol,
                          uint16_t sp_specific, const uint8_t *buf, size_t len);

/*
 * IF-RECV: the host asks for @len bytes from @protocol at @sp_specific.  The
 * engine fills all of @buf (zero padding after the response).
 */
OpalIfStatus opal_if_recv(OpalTPer *tper, uint8_t protocol,
                          uint16_t sp_specific, uint8_t *buf, size_t len);

/*
 * The media gate's view of the Locking SP (media.c): a snapshot the transport
 * takes whenever the change listener reports OPAL_CHANGE_MEDIA, so that the
 * data path never walks SP tables.
 */

/* XTS-AES-256 media keys: two 256-bit AES keys (IEEE 1619). */
#define OPAL_MEDIA_KEY_LEN  64

/* A run of logical blocks [start, end) that belongs to one locking range. */
typedef struct OpalMediaExtent {
    uint64_t start;
    uint64_t end;
    unsigned range;             /* 0: the global range, n: Locking_RangeN */
    bool read_locked;           /* ReadLockEnabled and ReadLocked */
    bool write_locked;          /* WriteLockEnabled and WriteLocked */
} OpalMediaExtent;

/* What the gate decides for one command. */
typedef enum OpalMediaVerdict {
    OPAL_MEDIA_OK = 0,
    OPAL_MEDIA_OUT_OF_RANGE,    /* past the end of the medium */
    OPAL_MEDIA_READ_LOCKED,     /* a read touches a read-locked range */
    OPAL_MEDIA_WRITE_LOCKED,    /* a write touches a write-locked range */
    OPAL_MEDIA_SHADOWED,        /* a write touches the shadow MBR area */
} OpalMediaVerdict;

typedef struct OpalMediaMap OpalMediaMap;

OpalMediaMap *opal_media_map_new(const OpalTPer *tper);
/* Frees @map and wipes the keys it holds. */
void opal_media_map_free(OpalMediaMap *map);

/*
 * May @count blocks from @lba be read (or written)?  Reads inside the shadow
 * MBR area are allowed whatever the ranges' locks: the MBR table answers them.
 */
OpalMediaVerdict opal_media_check(const OpalMediaMap *map, uint64_t lba,
                                  uint64_t count, bool write);
const char *opal_media_verdict_name(OpalMediaVerdict verdict);

/*
 * The extent holding @lba (NULL past the medium's end); extents are contiguous,
 * so the one after it starts at its end.  O(log ranges).
 */
const OpalMediaExtent *opal_media_lookup(const OpalMediaMap *map, uint64_t lba);

/* Blocks from LBA 0 on that show the MBR table now (0: no shadowing). */
uint64_t opal_media_shadow_blocks(const OpalMediaMap *map);

/*
 * The media key of range @range (OPAL_MEDIA_KEY_LEN bytes), for 0 <= @range <
 * nr_keys.
 */
const uint8_t *opal_media_key(const OpalMediaMap *map, unsigned range);
unsigned opal_media_nr_keys(const OpalMediaMap *map);

/*
 * Reads the MBR table, which the shadow area shows; the range must lie within
 * it.
 */
void opal_tper_mbr_read(const OpalTPer *tper, uint64_t offset, uint8_t *buf,
                        size_t len);

#endif
