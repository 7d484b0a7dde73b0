/*
 * libFuzzer target: a TPer in one of several starting states, driven through
 * its transport interface
 *
 * The input's first byte picks the drive the operations start from (modulo
 * the number of states):
 *
 *   0  factory: as shipped
 *   1  owned (SID's PIN is FUZZ_SID_PIN) and the LockingSP activated
 *   2  as 1, with a read-write LockingSP session open as Admin1 (TSN 0x1003),
 *      in which Admin1 set its PIN (FUZZ_ADMIN1_PIN), placed Range1 (locked,
 *      LockOnReset power cycle) and Range2 (unlocked) past the shadow MBR
 *      area (RANGE1_START, RANGE2_START), made the global range
 *      lockable, enabled User1 and User2 with PINs, gave User1 Range1's
 *      RdLocked/WrLocked ACEs and DataStore's Get ACE, enabled MBR shadowing
 *      and wrote bytes to the MBR and DataStore tables
 *   3  as 2, but that session closed and one open as User1 (TSN 0x1004)
 *   4  owned, the LockingSP activated in Single User Mode for Range1 (its
 *      owner User2, RangeStartRangeLengthPolicy 0) with two DataStore
 *      tables, and a read-write LockingSP session open as User2 (TSN 0x1003),
 *      in which User2 set its PIN and placed and locked Range1
 *
 * Each state is built once per process (LLVMFuzzerInitialize), through the
 * transport as a host does it (tests/unit/opal-host.c), and kept as a running
 * state: opal_tper_save_running, the migration format, which keeps open
 * sessions, KEKs and clear media keys.  An input in state 0 runs on a new
 * TPer; the others load their state onto one TPer the process keeps
 * (FUZZ_TPER_CHECK_RESTORE=1 checks that this gives exactly the state).  The
 * rest of the input is a sequence of operations, each a 6-byte header
 *
 *   byte 0     op:  bit 0     0 = IF-SEND, 1 = IF-RECV
 *                   bits 3:1  0-5: protocol/ComID from the table below
 *                             (the header's own values are ignored),
 *                             6: the header's raw protocol and SP Specific,
 *                             7: no transfer but an event (byte 1, below)
 *                   bit 4     length window near OPAL_MAX_TRANSFER:
 *                             len = OPAL_MAX_TRANSFER - 256 + (raw len & 0x1ff)
 *                   bits 7:5  ignored
 *   byte 1     protocol (raw); for an event, bits 3:0 its number (enum Event)
 *              and for a media access bits 7:4 its size (2^n blocks)
 *   bytes 2-3  SP Specific / ComID (raw, big-endian)
 *   bytes 4-5  transfer length in bytes (big-endian)
 *              (for a media access, bytes 2-5: its LBA, big-endian)
 *
 * followed, for IF-SEND, by that many payload bytes (zeros once the input
 * runs out).  tests/fuzz/make-seeds.py writes inputs in this format.
 *
 * Each operation is issued as the ATA transport does it (hw/ide/opal-trusted.c)
 * and every IF-RECV is checked for invariants that hold for any input.  The
 * events are what the device does around the engine - session timeouts on
 * its clock, resets, migration, savevm/loadvm, a save and power-on - each
 * with its invariants (a state saves as it loads).  The listeners the device
 * sets are set and checked: the media map it builds on every media change
 * covers the medium, byte-table writes stay in their table.  The management
 * view (query-opal) is checked at the end of each input.  The clock is the
 * harness's, so that a run is deterministic.  A TPer an input made is freed
 * at its end so that LeakSanitizer sees what it leaks.
 *
 * FUZZ_TPER_TRACE=1 prints the engine's explanations of what an input does.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "hw/opal/opal.h"
#include "opal-host.h"
#include "opal-crypto-gcrypt.h"
#include "sp.h"
#include "uid.h"
#include "fuzz-target.h"

#define OP_HEADER_LEN       6
#define GUARD_LEN           64
#define GUARD_BYTE          0x5a
#define FILL_BYTE           0xa5
#define COMPACKET_HDR_LEN   20

/* The protocol / SP Specific pairs that reach real code. */
static const struct {
    uint8_t protocol;
    uint16_t sp_specific;
} targets[] = {
    { 0x00, 0x0000 },   /* supported security protocols */
    { 0x00, 0x0001 },   /* certificate */
    { 0x01, 0x0001 },   /* Level 0 Discovery */
    { 0x01, OPAL_BASE_COMID },  /* sessions */
    { 0x02, 0x0000 },   /* GET_COMID */
    { 0x02, OPAL_BASE_COMID },  /* VERIFY_COMID_VALID, STACK_RESET */
};

/*
 * What the device does to the engine: an operation whose bits 3:1 are
 * EVENT_TARGET.  Saving and loading cost more than all the rest, so an
 * input gets at most MAX_SAVES of EV_MIGRATE, EV_SNAPSHOT and EV_POWER_ON
 * (the others are skipped), to keep the fuzzer's pace.
 */
#define EVENT_TARGET        7
#define MAX_SAVES           1

enum Event {
    EV_NONE,
    EV_CLOCK_SHORT,     /* 1.5 s pass: past the shortest session timeout */
    EV_CLOCK_LONG,      /* a day passes: every timeout expires */
    EV_HARDWARE_RESET,  /* a guest reboot (ide_opal_reset) */
    EV_POWER_CYCLE,     /* the power-cycle command, without a reload */
    EV_MIGRATE,         /* to a new drive: save_running, load_running */
    EV_SNAPSHOT,        /* savevm, then loadvm: save_snapshot, load_running */
    EV_POWER_ON,        /* the state saved, loaded back and powered on */
    EV_PSID_REVERT,     /* the host's psid-revert command */
    EV_MEDIA_READ,      /* a guest read via the media gate, shadow MBR too */
    EV_MEDIA_WRITE,     /* a guest write through the media gate */
    EV_STATUS,          /* query-opal (also run at the end of every input) */
    /* 12-15: nothing */
};

/* ms: far from 0, so that 0 stands out */
#define CLOCK_START         1000000
#define CLOCK_SHORT         1500
#define CLOCK_LONG          (25LL * 3600 * 1000)

/* A drive like the one QEMU's default ide-opal-hd presents. */
static const OpalConfig config = {
    .nb_blocks = 2 * 1024 * 1024,
    .logical_block_size = 512,
    .alignment_granularity = 8,
    .nr_admins = 4,
    .nr_users = 8,
    .nr_ranges = 8,
    .mbr_size = 128 * 1024 * 1024,
    .datastore_size = 10 * 1024 * 1024,
    .msid = "msid-pin",
    .psid = "psid-pin",
    /* speed: the fuzzer is after parsing, not PBKDF2 */
    .kdf_iterations = 1,
    .crypto = &opal_crypto_gcrypt,
};

/* The starting states' PINs and sessions: make-seeds.py uses the same. */
#define FUZZ_SID_PIN        "sid"
#define FUZZ_ADMIN1_PIN     "admin1"
#define FUZZ_USER1_PIN      "user1"
#define FUZZ_USER2_PIN      "user2"

/* Where the states put their ranges: past the shadow MBR's 256 Ki blocks. */
#define RANGE1_START        (1 << 20)
#define RANGE2_START        (3 << 19)

enum State {
    STATE_FACTORY,
    STATE_OWNED,
    STATE_ADMIN1,
    STATE_USER1,
    STATE_SUM,
    NR_STATES
};

/*
 * The TSN of the session each state leaves open (0: none), as the seeds address
 * it.
 */
static const uint32_t state_tsn[NR_STATES] = {
    [STATE_ADMIN1] = 0x1003, [STATE_USER1] = 0x1004, [STATE_SUM] = 0x1003,
};

static struct {
    uint8_t *buf;
    size_t len;
} snapshots[NR_STATES];

#define CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz-tper: invariant failed: %s: ", #cond); \
            fprintf(stderr, __VA_ARGS__); \
            fputc('\n', stderr); \
            abort(); \
        } \
    } while (0)

static uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)p[0] << 8 | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

/* ---- the device's side: clock and listeners ------------------------------ */

static int64_t fuzz_clock;

static int64_t clock_ms(void *opaque)
{
    return fuzz_clock;
}

/*
 * Every string of a trace event is whole (the device hands it to a trace
 * event).  FUZZ_TPER_TRACE=1 prints the events (the inputs', not the
 * set-up's), to see what an input does.
 */
static bool print_trace;
/*
 * FUZZ_TPER_CHECK_RESTORE=1: check that each input starts from its state
 * exactly.
 */
static bool check_restore;

static void trace_str(const char *s)
{
    /* volatile: reads the whole of @s, for ASan, even when not printed */
    volatile size_t len = strlen(s);

    (void)len;
}

static void G_GNUC_PRINTF(1, 2) trace_print(const char *fmt, ...)
{
    va_list ap;

    if (print_trace) {
        va_start(ap, fmt);
        fputs("fuzz-tper: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
    }
}

static void trace_session_start(void *opaque, uint32_t tsn, uint32_t hsn,
                                uint64_t sp, bool write, uint64_t authority)
{
    trace_print("session %u/%u started: SP %016" PRIx64 " write %d "
                "authority %016" PRIx64, tsn, hsn, sp, write, authority);
}

static void trace_session_refused(void *opaque, uint32_t hsn, uint64_t sp,
                                  uint64_t authority, uint8_t status,
                                  const char *why)
{
    trace_str(why);
    trace_print("StartSession %u refused: SP %016" PRIx64 " authority %016"
                PRIx64 " %s: %s", hsn, sp, authority, opal_status_name(status),
                why);
}

static void trace_session_end(void *opaque, uint32_t tsn, uint32_t hsn,
                              const char *why)
{
    trace_str(why);
    trace_print("session %u/%u ended: %s", tsn, hsn, why);
}

static void trace_authenticate(void *opaque, uint64_t sp, uint64_t authority,
                               bool proven, const char *why)
{
    trace_str(why);
    trace_print("authentication of %016" PRIx64 " in SP %016" PRIx64
                ": proven %d %s", authority, sp, proven, why);
}

static void trace_method(void *opaque, uint32_t tsn, uint64_t sp,
                         uint64_t object, uint64_t method, const char *name,
                         uint8_t status, const char *why)
{
    trace_str(name);
    trace_str(why);
    trace_print("session %u SP %016" PRIx64 ": %s (%016" PRIx64 ") on %016"
                PRIx64 ": %s %s", tsn, sp, name, method, object,
                opal_status_name(status), why);
}

static void trace_if_refused(void *opaque, uint8_t protocol, uint16_t comid,
                             uint32_t len, uint32_t pending, const char *why)
{
    trace_str(why);
    trace_print("IF-SEND/RECV protocol 0x%02x ComID 0x%04x %u bytes "
                "(%u pending) refused: %s", protocol, comid, len, pending,
                why);
}

static void trace_packet_dropped(void *opaque, uint32_t tsn, uint32_t hsn,
                                 const char *why)
{
    trace_str(why);
    trace_print("packet of session %u/%u dropped: %s", tsn, hsn, why);
}

static void trace_transaction(void *opaque, uint32_t tsn, const char *what,
                              unsigned depth, uint8_t status)
{
    trace_str(what);
    trace_print("session %u: transaction %s (%u open): %s", tsn, what, depth,
                opal_status_name(status));
}

static void trace_reset(void *opaque, int type, bool applied)
{
    trace_print("reset type %d, LockOnReset/DoneOnReset applied %d", type,
                applied);
}

static void trace_tper_event(void *opaque, uint64_t uid, const char *what)
{
    trace_str(what);
    trace_print("%016" PRIx64 ": %s", uid, what);
}

static const OpalTraceOps trace_ops = {
    .session_start = trace_session_start,
    .session_refused = trace_session_refused,
    .session_end = trace_session_end,
    .authenticate = trace_authenticate,
    .method = trace_method,
    .if_refused = trace_if_refused,
    .packet_dropped = trace_packet_dropped,
    .transaction = trace_transaction,
    .reset = trace_reset,
    .tper_event = trace_tper_event,
};

/*
 * The media map covers the whole medium with contiguous extents of known
 * ranges.
 */
static void check_media_map(const OpalTPer *tper)
{
    OpalMediaMap *map = opal_media_map_new(tper);
    uint64_t lba = 0;
    unsigned extents = 0;

    while (lba < config.nb_blocks) {
        const OpalMediaExtent *e = opal_media_lookup(map, lba);

        CHECK(e, "no extent holds LBA %" PRIu64, lba);
        CHECK(e->start == lba && e->end > e->start &&
                  e->end <= config.nb_blocks,
              "extent [%" PRIu64 ", %" PRIu64 ") after LBA %" PRIu64, e->start,
              e->end, lba);
        CHECK(e->range <= config.nr_ranges, "extent of range %u", e->range);
        CHECK(++extents <= 2u * config.nr_ranges + 1, "%u extents", extents);
        lba = e->end;
    }
    CHECK(!opal_media_lookup(map, config.nb_blocks), "an extent past the end");
    CHECK(opal_media_nr_keys(map) == config.nr_ranges + 1u, "%u keys",
          opal_media_nr_keys(map));
    CHECK(opal_media_shadow_blocks(map) * config.logical_block_size <=
              config.mbr_size,
          "%" PRIu64 " shadow blocks", opal_media_shadow_blocks(map));
    opal_media_map_free(map);
}

/*
 * A guest's access of @count blocks at @lba, as the device's data path makes
 * it (hw/ide/opal-media.c): the gate's verdict agrees with the extents it
 * covers and the shadow MBR, and a read of the shadow area reads the MBR.
 */
static void media_access(const OpalTPer *tper, uint64_t lba, uint64_t count,
                         bool write)
{
    OpalMediaMap *map = opal_media_map_new(tper);
    OpalMediaVerdict v = opal_media_check(map, lba, count, write);
    uint64_t shadow = opal_media_shadow_blocks(map);
    uint64_t from = lba;
    bool locked = false;

    CHECK(strcmp(opal_media_verdict_name(v), "?") != 0, "verdict %d", v);
    if (lba >= config.nb_blocks || count > config.nb_blocks - lba) {
        CHECK(v == OPAL_MEDIA_OUT_OF_RANGE, "%" PRIu64 "+%" PRIu64 ": %s", lba,
              count, opal_media_verdict_name(v));
        opal_media_map_free(map);
        return;
    }
    if (lba < shadow) {
        /*
         * Reads of the shadow area ignore the ranges' locks; writes are
         * refused.
         */
        if (write) {
            CHECK(v == OPAL_MEDIA_SHADOWED,
                  "write at %" PRIu64 " below %" PRIu64 ": %s", lba, shadow,
                  opal_media_verdict_name(v));
            opal_media_map_free(map);
            return;
        } else {
            uint64_t n = MIN(MIN(count, shadow - lba), 64);
            uint8_t *buf = g_malloc(n * config.logical_block_size);

            opal_tper_mbr_read(tper, lba * config.logical_block_size, buf,
                               n * config.logical_block_size);
            g_free(buf);
            from = MIN(lba + count, shadow);
        }
    }
    for (const OpalMediaExtent *e = opal_media_lookup(map, from);
         e && from < lba + count && e->start < lba + count;
         e = opal_media_lookup(map, e->end)) {
        CHECK(opal_media_key(map, e->range), "no key for range %u", e->range);
        locked |= write ? e->write_locked : e->read_locked;
    }
    CHECK(v == (!locked ? OPAL_MEDIA_OK :
                write ? OPAL_MEDIA_WRITE_LOCKED : OPAL_MEDIA_READ_LOCKED),
          "%s of %" PRIu64 "+%" PRIu64 " (shadow %" PRIu64
          "): %s, but %slocked",
          write ? "write" : "read", lba, count, shadow,
          opal_media_verdict_name(v), locked ? "" : "not ");
    opal_media_map_free(map);
}

/*
 * The device rebuilds its media map on every media change
 * (hw/ide/opal-media.c).
 */
static bool changed(void *opaque, unsigned changes)
{
    CHECK(!(changes & ~(OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA)),
          "changes 0x%x", changes);
    if (changes & OPAL_CHANGE_MEDIA) {
        check_media_map(opaque);
    }
    return true;
}

/* Byte-table writes stay inside their table. */
static void byte_written(void *opaque, uint64_t table, uint64_t offset,
                         const uint8_t *data, uint64_t len)
{
    uint64_t size = table == OPAL_TABLE_UID_MBR ? config.mbr_size :
                    table == OPAL_TABLE_UID_DATASTORE ? config.datastore_size :
                    0;

    CHECK(size, "a write to table %016" PRIx64, table);
    CHECK(offset <= size && len <= size - offset,
          "%" PRIu64 " bytes at %" PRIu64 " of table %016" PRIx64, len, offset,
          table);
    if (data && len) {
        /* volatile: the reads stay, for ASan to check the bounds */
        volatile uint8_t sink = data[0] ^ data[len - 1];

        (void)sink;
    }
}

static OpalTPer *new_tper(void)
{
    OpalTPer *tper = opal_tper_new(&config);

    opal_tper_set_trace(tper, &trace_ops, NULL);
    opal_tper_set_clock(tper, clock_ms, NULL);
    opal_tper_set_change_listener(tper, changed, tper);
    opal_tper_set_byte_listener(tper, byte_written, NULL);
    return tper;
}

/* ---- building the starting states ---------------------------------------- */

#define SETUP(call) \
    do { \
        uint64_t st_ = (call); \
        if (st_ != OPAL_ST_SUCCESS) { \
            fprintf(stderr, "fuzz-tper: set-up step failed (status 0x%" \
                    PRIx64 "): %s\n", st_, #call); \
            abort(); \
        } \
    } while (0)

/* Object.Set [ Where = @where, Values = @len bytes ] of a byte table. */
static uint64_t set_bytes(OpalTPer *tper, uint32_t tsn, uint64_t table,
                          uint64_t where, const void *data, size_t len)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    host_call_begin(b, table, OPAL_UID_M_SET);
    host_put_named_uint(b, 0, where);
    host_put_named_bytes(b, 1, data, len);
    host_call_end(b);
    return host_call(tper, tsn, b, NULL);
}

/*
 * A Locking range placed and its locks set, as Admin1 (or its single user)
 * does.
 */
static void set_range(OpalTPer *tper, uint32_t tsn, unsigned n, uint64_t start,
                      uint64_t length, bool locked)
{
    uint64_t uid = n ? OPAL_UID_LOCKING_RANGE(n) : OPAL_UID_LOCKING_GLOBALRANGE;

    if (n) {
        SETUP(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_RANGE_START,
                            start));
        SETUP(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_RANGE_LENGTH,
                            length));
    }
    SETUP(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1));
    SETUP(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_WRITE_LOCK_ENABLED,
                        1));
    SETUP(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_READ_LOCKED, locked));
    SETUP(host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_WRITE_LOCKED, locked));
}

/* sed-opal's take-ownership: MSID read as Anybody, then SID's PIN set. */
static void take_ownership(OpalTPer *tper)
{
    uint32_t tsn;

    SETUP(host_admin_session(tper, 0, NULL, &tsn));
    SETUP(host_get_columns(tper, tsn, OPAL_UID_C_PIN_MSID, 3, 3, NULL));
    host_end_session(tper, tsn);
    SETUP(host_admin_session(tper, OPAL_UID_AUTH_SID, config.msid, &tsn));
    SETUP(host_set_pin(tper, tsn, OPAL_UID_C_PIN_SID, FUZZ_SID_PIN));
    host_end_session(tper, tsn);
}

/*
 * SID's Activate of the LockingSP with the parameters in @params (may be
 * empty).
 */
static void activate(OpalTPer *tper, const GByteArray *params)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint32_t tsn;

    SETUP(host_admin_session(tper, OPAL_UID_AUTH_SID, FUZZ_SID_PIN, &tsn));
    host_call_begin(b, OPAL_UID_LOCKINGSP, OPAL_UID_M_ACTIVATE);
    g_byte_array_append(b, params->data, params->len);
    host_call_end(b);
    SETUP(host_call(tper, tsn, b, NULL));
    host_end_session(tper, tsn);
}

static void setup_owned(OpalTPer *tper)
{
    g_autoptr(GByteArray) none = g_byte_array_new();

    take_ownership(tper);
    activate(tper, none);
}

/*
 * Admin1 sets the drive up as a host's management tool does; the session stays
 * open.
 */
static uint32_t setup_admin1(OpalTPer *tper)
{
    static const uint64_t power_cycle[] = { OPAL_RESET_POWER_CYCLE };
    const uint64_t range1_who[] = { OPAL_UID_AUTH_ADMINS, OPAL_UID_AUTH_USER1 };
    uint8_t block[512], store[256];
    uint32_t tsn;

    for (size_t i = 0; i < sizeof(block); i++) {
        block[i] = i * 7 + 1;
    }
    block[510] = 0x55;
    block[511] = 0xaa;
    for (size_t i = 0; i < sizeof(store); i++) {
        store[i] = i;
    }
    SETUP(host_locking_session(tper, OPAL_UID_AUTH_ADMIN1, FUZZ_SID_PIN, &tsn));
    SETUP(host_set_pin(tper, tsn, OPAL_UID_C_PIN_ADMIN1, FUZZ_ADMIN1_PIN));
    set_range(tper, tsn, 0, 0, 0, false);
    set_range(tper, tsn, 1, RANGE1_START, 4096, true);
    SETUP(host_set_uint_list(tper, tsn, OPAL_UID_LOCKING_RANGE(1),
                             OPAL_COL_LOCKING_LOCK_ON_RESET, power_cycle, 1));
    set_range(tper, tsn, 2, RANGE2_START, 8192, false);
    SETUP(host_set_uint(tper, tsn, OPAL_UID_AUTH_USER1,
                        OPAL_COL_AUTHORITY_ENABLED, 1));
    SETUP(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(1), FUZZ_USER1_PIN));
    SETUP(host_set_uint(tper, tsn, OPAL_UID_USER(2), OPAL_COL_AUTHORITY_ENABLED,
                        1));
    SETUP(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(2), FUZZ_USER2_PIN));
    SETUP(host_set_ace(tper, tsn, OPAL_UID_ACE_LOCKING_RANGE_SET_RDLOCKED(1),
                       range1_who, 2));
    SETUP(host_set_ace(tper, tsn, OPAL_UID_ACE_LOCKING_RANGE_SET_WRLOCKED(1),
                       range1_who, 2));
    SETUP(host_set_ace(tper, tsn, OPAL_UID_ACE_DATASTORE_GET_ALL, range1_who,
                       2));
    SETUP(host_set_uint(tper, tsn, OPAL_UID_MBRCONTROL_OBJ,
                        OPAL_COL_MBRCONTROL_ENABLE, 1));
    SETUP(set_bytes(tper, tsn, OPAL_UID_TABLE_MBR, 0, block, sizeof(block)));
    SETUP(set_bytes(tper, tsn, OPAL_UID_TABLE_DATASTORE, 0, store,
                    sizeof(store)));
    return tsn;
}

static uint32_t setup_user1(OpalTPer *tper, uint32_t admin1_tsn)
{
    uint32_t tsn;

    host_end_session(tper, admin1_tsn);
    SETUP(host_locking_session(tper, OPAL_UID_AUTH_USER1, FUZZ_USER1_PIN,
                               &tsn));
    return tsn;
}

/* Single User Mode for Range1 (User2's) and DataStore in two tables. */
static uint32_t setup_sum(OpalTPer *tper)
{
    static const uint64_t datastores[] = { 1 << 20, 64 << 10 };
    g_autoptr(GByteArray) params = g_byte_array_new();
    uint32_t tsn;

    take_ownership(tper);
    opal_token_put_control(params, OPAL_TK_START_NAME);
    opal_token_put_uint(params, OPAL_SUM_PARAM_SELECTION_LIST);
    opal_token_put_control(params, OPAL_TK_START_LIST);
    opal_token_put_uid(params, OPAL_UID_LOCKING_RANGE(1));
    opal_token_put_control(params, OPAL_TK_END_LIST);
    opal_token_put_control(params, OPAL_TK_END_NAME);
    host_put_named_uint(params, OPAL_SUM_PARAM_POLICY, 0);
    host_put_named_uint_list(params, OPAL_DS_PARAM_ACTIVATE_SIZES, datastores,
                             G_N_ELEMENTS(datastores));
    activate(tper, params);

    /* The owner's PIN is the factory's empty one until the owner sets it. */
    SETUP(host_locking_session(tper, OPAL_SUM_OWNER(1), "", &tsn));
    SETUP(host_set_pin(tper, tsn, OPAL_UID_C_PIN_USER(2), FUZZ_USER2_PIN));
    set_range(tper, tsn, 1, RANGE1_START, 8192, true);
    return tsn;
}

/*
 * The running state of @tper as the snapshot of @state; its session is checked.
 */
static void keep(OpalTPer *tper, enum State state, uint32_t tsn)
{
    uint8_t *again;
    size_t len;
    OpalTPer *copy;
    char *error = NULL;

    CHECK(tsn == state_tsn[state],
          "state %d: session %u open, the seeds expect %u", state, tsn,
          state_tsn[state]);
    snapshots[state].buf = opal_tper_save_running(tper, &snapshots[state].len);
    /*
     * A loaded snapshot saves as the same bytes: every input starts from the
     * same drive.
     */
    copy = new_tper();
    CHECK(opal_tper_load_running(copy, snapshots[state].buf,
                                 snapshots[state].len, &error),
          "state %d does not load: %s", state, error);
    again = opal_tper_save_running(copy, &len);
    CHECK(len == snapshots[state].len &&
              !memcmp(again, snapshots[state].buf, len),
          "state %d changes when loaded", state);
    opal_secret_free(again, len);
    opal_tper_free(copy);
}

static void build_states(void)
{
    OpalTPer *tper;
    uint32_t tsn;

    if (snapshots[0].buf) {
        return;
    }
    fuzz_clock = CLOCK_START;
    tper = new_tper();
    keep(tper, STATE_FACTORY, 0);
    setup_owned(tper);
    keep(tper, STATE_OWNED, 0);
    tsn = setup_admin1(tper);
    keep(tper, STATE_ADMIN1, tsn);
    tsn = setup_user1(tper, tsn);
    keep(tper, STATE_USER1, tsn);
    opal_tper_free(tper);

    tper = new_tper();
    tsn = setup_sum(tper);
    keep(tper, STATE_SUM, tsn);
    opal_tper_free(tper);
    print_trace = g_strcmp0(g_getenv("FUZZ_TPER_TRACE"), "1") == 0;
    check_restore = g_strcmp0(g_getenv("FUZZ_TPER_CHECK_RESTORE"), "1") == 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    build_states();
    return 0;
}

/* ---- the transport's side ------------------------------------------------ */

/*
 * Every outcome is one of the enum's: opal_if_status_name() names each, and
 * nothing else (the transport maps them all to its errors).
 */
static bool status_valid(OpalIfStatus s)
{
    return strcmp(opal_if_status_name(s), "?") != 0;
}

/* IF-SEND as the transport issues it: refuse early, then hand over the data. */
static void do_send(OpalTPer *tper, uint8_t protocol, uint16_t sp,
                    const uint8_t *payload, size_t avail, size_t len)
{
    OpalIfStatus s;
    uint8_t *buf;

    if (len == 0) {
        s = opal_if_send(tper, protocol, sp, NULL, 0);
        CHECK(status_valid(s), "send status %d", s);
        return;
    }
    s = opal_if_send_check(tper, protocol, sp, len);
    CHECK(status_valid(s), "send_check status %d", s);
    CHECK(len <= OPAL_MAX_TRANSFER || s == OPAL_IF_BAD_LENGTH,
          "send_check of %zu bytes: %s", len, opal_if_status_name(s));
    if (s != OPAL_IF_OK) {
        return;
    }
    /* Exactly len bytes on the heap, so that ASan sees any over-read. */
    buf = calloc(1, len);
    memcpy(buf, payload, avail < len ? avail : len);
    s = opal_if_send(tper, protocol, sp, buf, len);
    CHECK(status_valid(s), "send status %d", s);
    free(buf);
}

static void do_recv(OpalTPer *tper, uint8_t protocol, uint16_t sp, size_t len)
{
    /* The response buffer, then a guard region the engine must not touch. */
    uint8_t *buf = malloc(len + GUARD_LEN);
    OpalIfStatus s;

    memset(buf, FILL_BYTE, len);
    memset(buf + len, GUARD_BYTE, GUARD_LEN);
    s = opal_if_recv(tper, protocol, sp, buf, len);
    CHECK(status_valid(s), "recv status %d", s);
    for (size_t i = 0; i < GUARD_LEN; i++) {
        CHECK(buf[len + i] == GUARD_BYTE,
              "recv (0x%02x, 0x%04x, %zu) wrote byte %zu past the end",
              protocol, sp, len, i);
    }
    if (len > OPAL_MAX_TRANSFER) {
        CHECK(s == OPAL_IF_BAD_LENGTH, "recv of %zu bytes: %s", len,
              opal_if_status_name(s));
    }
    /* A ComPacket must fit the transfer it is delivered in. */
    if (s == OPAL_IF_OK && protocol == 0x01 && sp == OPAL_BASE_COMID &&
        len >= COMPACKET_HDR_LEN) {
        uint32_t length = get_be32(buf + 16);

        CHECK((uint64_t)length + COMPACKET_HDR_LEN <= len,
              "ComPacket Length %u in a %zu-byte transfer", length, len);
    }
    free(buf);
}

/* The management view (query-opal) names everything it lists. */
static void check_status(const OpalTPer *tper)
{
    OpalStatusReport *r = opal_tper_status(tper);

    CHECK(r->admin_sp == OPAL_SP_MANUFACTURED, "the Admin SP is not in use");
    CHECK(r->ranges->len == config.nr_ranges + 1u, "%u ranges", r->ranges->len);
    CHECK(r->sessions->len <= OPAL_MAX_SESSIONS, "%u sessions",
          r->sessions->len);
    for (guint i = 0; i < r->authorities->len; i++) {
        const OpalAuthorityStatus *a =
            &g_array_index(r->authorities, OpalAuthorityStatus, i);

        CHECK(a->name, "authority %016" PRIx64 " without a name", a->uid);
        CHECK(a->sp == OPAL_SP_ADMIN || a->sp == OPAL_SP_LOCKING,
              "authority %016" PRIx64 " of no SP", a->uid);
    }
    for (guint i = 0; i < r->sessions->len; i++) {
        const OpalSessionStatus *s =
            &g_array_index(r->sessions, OpalSessionStatus, i);

        CHECK(s->tsn && s->authorities &&
              (s->sp == OPAL_SP_ADMIN || s->sp == OPAL_SP_LOCKING),
              "session %u", s->tsn);
    }
    opal_status_report_free(r);
    check_media_map(tper);
}

/* Whether @tper's running state is the one saved in @buf. */
static bool same_state(const OpalTPer *tper, const uint8_t *buf, size_t len)
{
    size_t now_len;
    uint8_t *now = opal_tper_save_running(tper, &now_len);
    bool same = now_len == len && !memcmp(now, buf, len);

    opal_secret_free(now, now_len);
    return same;
}

/* Starting state @state onto @tper, a drive that has run: what loadvm does. */
static void restore(OpalTPer *tper, enum State state)
{
    char *error = NULL;

    CHECK(opal_tper_load_running(tper, snapshots[state].buf,
                                 snapshots[state].len, &error),
          "state %d does not load: %s", state, error);
}

/* A migration: the running state onto a new drive, which carries on. */
static OpalTPer *migrate(const OpalTPer *tper)
{
    OpalTPer *dest = new_tper();
    char *error = NULL;
    uint8_t *saved;
    size_t len;

    saved = opal_tper_save_running(tper, &len);
    CHECK(opal_tper_load_running(dest, saved, len, &error),
          "a running state does not migrate: %s", error);
    CHECK(same_state(dest, saved, len),
          "a running state changes when migrated");
    opal_secret_free(saved, len);
    return dest;
}

/*
 * savevm and loadvm: a snapshot (what an image may keep) loads back, and
 * what it loads saves as the same snapshot.
 */
static void snapshot(OpalTPer *tper)
{
    uint8_t *saved, *again;
    size_t len, relen;
    char *error = NULL;

    saved = opal_tper_save_snapshot(tper, &len);
    CHECK(opal_tper_load_running(tper, saved, len, &error),
          "a snapshot does not load: %s", error);
    again = opal_tper_save_snapshot(tper, &relen);
    CHECK(relen == len && !memcmp(saved, again, len),
          "a snapshot changes when loaded");
    opal_secret_free(saved, len);
    opal_secret_free(again, relen);
}

/* The non-volatile state saved, loaded back as at power-on, and powered on. */
static void power_on(OpalTPer *tper)
{
    g_autofree uint8_t *saved = NULL, *again = NULL;
    size_t len, relen;
    char *error = NULL;

    saved = opal_tper_save(tper, &len);
    CHECK(opal_tper_load(tper, saved, len, &error),
          "a saved state does not load: %s", error);
    again = opal_tper_save(tper, &relen);
    CHECK(relen == len && !memcmp(saved, again, len),
          "a saved state changes when loaded");
    opal_tper_reset(tper, OPAL_RESET_POWER_CYCLE);
}

/*
 * The drive inputs run on, reused: loading a starting state replaces all of
 * it (FUZZ_TPER_CHECK_RESTORE=1 checks that), and is cheaper than a new
 * drive.  The factory state is a new drive, cheaper still.
 */
static OpalTPer *drive;

/* @ev happens to *@tper, which a migration replaces. */
static void do_event(OpalTPer **tper, enum Event ev)
{
    OpalTPer *dest;

    switch (ev) {
    case EV_NONE:
        break;
    case EV_CLOCK_SHORT:
        fuzz_clock += CLOCK_SHORT;
        break;
    case EV_CLOCK_LONG:
        fuzz_clock += CLOCK_LONG;
        break;
    case EV_HARDWARE_RESET:
        opal_tper_reset(*tper, OPAL_RESET_HARDWARE);
        break;
    case EV_POWER_CYCLE:
        opal_tper_reset(*tper, OPAL_RESET_POWER_CYCLE);
        break;
    case EV_MIGRATE:
        dest = migrate(*tper);
        if (*tper != drive) {
            opal_tper_free(*tper);
        }
        *tper = dest;
        break;
    case EV_SNAPSHOT:
        snapshot(*tper);
        break;
    case EV_POWER_ON:
        power_on(*tper);
        break;
    case EV_PSID_REVERT:
        opal_tper_psid_revert(*tper);
        break;
    case EV_STATUS:
        check_status(*tper);
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    OpalTPer *tper;
    enum State state;
    unsigned saves = 0;

    if (size < 1) {
        return 0;
    }
    build_states();
    state = data[0] % NR_STATES;
    data++;
    size--;
    fuzz_clock = CLOCK_START;
    if (state == STATE_FACTORY) {
        tper = new_tper();
    } else {
        if (!drive) {
            drive = new_tper();
        }
        tper = drive;
        restore(tper, state);
        CHECK(!check_restore ||
                  same_state(tper, snapshots[state].buf, snapshots[state].len),
              "state %d restored onto the last input's drive is not state %d",
              state, state);
    }

    while (size >= OP_HEADER_LEN) {
        const uint8_t *head = data;
        uint8_t op = head[0];
        unsigned sel = (op >> 1) & 7;
        uint8_t protocol = data[1];
        uint16_t sp = get_be16(data + 2);
        size_t len = get_be16(data + 4);

        data += OP_HEADER_LEN;
        size -= OP_HEADER_LEN;
        if (sel == EVENT_TARGET) {
            enum Event ev = protocol & 15;

            if (ev >= EV_MIGRATE && ev <= EV_POWER_ON && saves++ >= MAX_SAVES) {
                continue;
            }
            if (ev == EV_MEDIA_READ || ev == EV_MEDIA_WRITE) {
                media_access(tper, get_be32(head + 2), 1u << (protocol >> 4),
                             ev == EV_MEDIA_WRITE);
            } else {
                do_event(&tper, ev);
            }
            continue;
        }
        if (sel < sizeof(targets) / sizeof(targets[0])) {
            protocol = targets[sel].protocol;
            sp = targets[sel].sp_specific;
        }
        if (op & 0x10) {
            len = OPAL_MAX_TRANSFER - 256 + (len & 0x1ff);
        }

        if (op & 1) {
            do_recv(tper, protocol, sp, len);
        } else {
            size_t avail = len < size ? len : size;

            do_send(tper, protocol, sp, data, avail, len);
            data += avail;
            size -= avail;
        }
    }
    check_status(tper);
    if (tper != drive) {
        opal_tper_free(tper);
    }
    return 0;
}
