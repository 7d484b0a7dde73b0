/*
 * opal-probe: runs inside the test guest and asks the kernel's own sed-opal
 * layer what it sees on a disk, printing one machine-readable "OPAL-PROBE ..."
 * line per fact.
 *
 *   opal-probe DEVICE OP...
 *       OP: status (IOC_OPAL_GET_STATUS, Linux >= 6.0)
 *           discovery (IOC_OPAL_DISCOVERY, Linux >= 6.4)
 *   opal-probe DEVICE lifecycle [PSID]
 *       drives a factory-fresh drive through its whole life with the kernel's
 *       own sed-opal client (take ownership ... PSID revert) and prints one
 *       "OPAL-LIFE step=NAME rc=N errno=E [details]" line per ioctl, or
 *       "OPAL-LIFE step=NAME skip=REASON"; it goes on after failures. rc is the
 *       ioctl's return value: negative for a kernel error (errno set), positive
 *       for a TCG method status the drive returned (1 = NOT_AUTHORIZED...).
 *       Which outcome each step must have is run.sh's business.
 *   opal-probe DEVICE COMMAND ARGS...
 *       one sed-opal ioctl per call, for scripts (the pre-boot image of
 *       tests/guest/pba): take-ownership, activate-lsp, setup-range, lock,
 *       mbr-enable, write-mbr, mbr-done (see usage()); one "OPAL-CMD
 *       step=COMMAND rc=N errno=E VERDICT" line.
 *
 * The structures and ioctl numbers are defined here (from
 * include/uapi/linux/sed-opal.h) because the build host's headers may predate
 * IOC_OPAL_DISCOVERY. Their sizes are the same in 6.1 and 6.12 (later kernels
 * only renamed padding bytes: key_type, flags).
 * Exit status: 0 when every requested ioctl succeeded, 1 otherwise, 2 on
 * usage errors (lifecycle: always 0 once it ran; the verdict is run.sh's).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE         /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

struct probe_opal_status {
    uint32_t flags;
    uint32_t reserved;
};

struct probe_opal_discovery {
    uint64_t data;
    uint64_t size;
};

#define PROBE_IOC_OPAL_GET_STATUS _IOR('p', 236, struct probe_opal_status)
#define PROBE_IOC_OPAL_DISCOVERY  _IOW('p', 239, struct probe_opal_discovery)

static const struct {
    uint32_t bit;
    const char *name;
} status_flags[] = {
    { 0x01, "SUPPORTED" },
    { 0x02, "LOCKING_SUPPORTED" },
    { 0x04, "LOCKING_ENABLED" },
    { 0x08, "LOCKED" },
    { 0x10, "MBR_ENABLED" },
    { 0x20, "MBR_DONE" },
    { 0x40, "SUM_SUPPORTED" },
};

static const struct {
    uint16_t code;
    const char *name;
} feature_names[] = {
    { 0x0001, "TPer" },
    { 0x0002, "Locking" },
    { 0x0003, "Geometry" },
    { 0x0100, "Enterprise" },
    { 0x0200, "OpalV1" },
    { 0x0201, "SingleUserMode" },
    { 0x0202, "DataStore" },
    { 0x0203, "OpalV2" },
    { 0x0301, "Opalite" },
    { 0x0302, "PyriteV1" },
    { 0x0303, "PyriteV2" },
    { 0x0304, "Ruby" },
    { 0x0402, "BlockSID" },
    { 0x0404, "DataRemovalMechanism" },
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static const char *feature_name(uint16_t code)
{
    size_t i;

    for (i = 0; i < sizeof(feature_names) / sizeof(feature_names[0]); i++) {
        if (feature_names[i].code == code) {
            return feature_names[i].name;
        }
    }
    return "unknown";
}

static int probe_status(int fd)
{
    struct probe_opal_status st;
    size_t i;
    int first = 1;

    memset(&st, 0, sizeof(st));
    if (ioctl(fd, PROBE_IOC_OPAL_GET_STATUS, &st) < 0) {
        printf("OPAL-PROBE status errno=%d (%s)\n", errno, strerror(errno));
        return 1;
    }
    printf("OPAL-PROBE status flags=0x%x names=", st.flags);
    for (i = 0; i < sizeof(status_flags) / sizeof(status_flags[0]); i++) {
        if (st.flags & status_flags[i].bit) {
            printf("%s%s", first ? "" : ",", status_flags[i].name);
            first = 0;
        }
    }
    printf("%s\n", first ? "none" : "");
    return 0;
}

/*
 * One detail line for the descriptors whose fields a reader of the demo cares
 * about.
 */
static void print_feature_detail(uint16_t code, const uint8_t *d, unsigned len)
{
    switch (code) {
    case 0x0001:
        if (len >= 1) {
            printf("OPAL-PROBE feature-detail code=0001 sync=%d async=%d "
                   "comid_mgmt=%d\n", d[0] & 1, (d[0] >> 1) & 1,
                   (d[0] >> 6) & 1);
        }
        break;
    case 0x0002:
        if (len >= 1) {
            printf("OPAL-PROBE feature-detail code=0002 locking_supported=%d "
                   "locking_enabled=%d locked=%d media_encryption=%d mbr_enabled=%d "
                   "mbr_done=%d\n", d[0] & 1, (d[0] >> 1) & 1, (d[0] >> 2) & 1,
                   (d[0] >> 3) & 1, (d[0] >> 4) & 1, (d[0] >> 5) & 1);
        }
        break;
    case 0x0003:
        if (len >= 28) {
            printf("OPAL-PROBE feature-detail code=0003 align=%d "
                   "logical_block_size=%u alignment_granularity=%llu "
                   "lowest_aligned_lba=%llu\n",
                   d[0] & 1, be32(d + 8), (unsigned long long)be64(d + 12),
                   (unsigned long long)be64(d + 20));
        }
        break;
    case 0x0202:
        if (len >= 12) {
            printf("OPAL-PROBE feature-detail code=0202 max_tables=%u "
                   "max_total_size=%u size_alignment=%u\n",
                   be16(d + 2), be32(d + 4), be32(d + 8));
        }
        break;
    case 0x0203:
        if (len >= 9) {
            printf("OPAL-PROBE feature-detail code=0203 base_comid=0x%04x "
                   "num_comids=%u admin_authorities=%u user_authorities=%u\n",
                   be16(d), be16(d + 2), be16(d + 5), be16(d + 7));
        }
        break;
    default:
        break;
    }
}

static int probe_discovery(int fd)
{
    static uint8_t buf[4096];
    struct probe_opal_discovery disc;
    unsigned total, pos;
    int ret;
    int first = 1;

    memset(buf, 0, sizeof(buf));
    disc.data = (uintptr_t)buf;
    disc.size = sizeof(buf);
    ret = ioctl(fd, PROBE_IOC_OPAL_DISCOVERY, &disc);
    if (ret < 0) {
        printf("OPAL-PROBE discovery errno=%d (%s)\n", errno, strerror(errno));
        return 1;
    }
    /*
     * The kernel copies min(size, header length field) bytes and returns the
     * header's length field; the descriptors start after the 48-byte header.
     */
    total = (unsigned)ret;
    if (total > sizeof(buf)) {
        total = sizeof(buf);
    }
    printf("OPAL-PROBE discovery-header length=%u version=%u.%u\n", be32(buf),
           be16(buf + 4), be16(buf + 6));
    for (pos = 48; pos + 4 <= total; pos += 4 + buf[pos + 3]) {
        uint16_t code = be16(buf + pos);
        unsigned len = buf[pos + 3];

        printf("OPAL-PROBE feature code=%04x name=%s version=%u length=%u\n",
               code, feature_name(code), buf[pos + 2] >> 4, len);
        /*
         * Linux copies only "length" bytes (the header's length field, which
         * does not count its own 4 bytes), so the last descriptor may be cut
         * short: decode what arrived, each decoder checks it has the bytes it
         * reads.
         */
        print_feature_detail(code, buf + pos + 4,
                             len < total - pos - 4 ? len : total - pos - 4);
    }
    printf("OPAL-PROBE discovery size=%d features=", ret);
    for (pos = 48; pos + 4 <= total; pos += 4 + buf[pos + 3]) {
        printf("%s%04x", first ? "" : ",", be16(buf + pos));
        first = 0;
    }
    printf("%s\n", first ? "none" : "");
    return 0;
}

/* ---- lifecycle: the sed-opal ioctls of a real host, in a drive's life ---- */

struct life_key {
    uint8_t lr;
    uint8_t key_len;
    uint8_t key_type;           /* 6.12: OPAL_INCLUDED = 0; 6.1: padding */
    uint8_t pad[5];
    uint8_t key[256];
};

struct life_lr_act {
    struct life_key key;
    uint32_t sum;
    uint8_t num_lrs;
    uint8_t lr[9];
    uint8_t pad[2];
};

struct life_session_info {
    uint32_t sum;
    uint32_t who;
    struct life_key opal_key;
};

struct life_user_lr_setup {
    uint64_t range_start;
    uint64_t range_length;
    uint32_t rle;
    uint32_t wle;
    struct life_session_info session;
};

struct life_lr_status {
    struct life_session_info session;
    uint64_t range_start;
    uint64_t range_length;
    uint32_t rle;
    uint32_t wle;
    uint32_t l_state;
    uint8_t pad[4];
};

struct life_lock_unlock {
    struct life_session_info session;
    uint32_t l_state;
    uint16_t flags;             /* 6.12: OPAL_SAVE_FOR_LOCK; 6.1: padding */
    uint8_t pad[2];
};

struct life_new_pw {
    struct life_session_info session;
    struct life_session_info new_user_pw;
};

struct life_mbr_data {
    struct life_key key;
    uint8_t enable_disable;
    uint8_t pad[7];
};

struct life_mbr_done {
    struct life_key key;
    uint8_t done_flag;
    uint8_t pad[7];
};

struct life_shadow_mbr {
    struct life_key key;
    uint64_t data;
    uint64_t offset;
    uint64_t size;
};

struct life_read_write_table {
    struct life_key key;
    uint64_t data;
    uint8_t table_uid[8];
    uint64_t offset;
    uint64_t size;
    uint64_t flags;
    uint64_t priv;
};

struct life_geometry {
    uint8_t align;
    uint32_t logical_block_size;
    uint64_t alignment_granularity;
    uint64_t lowest_aligned_lba;
    uint8_t pad[3];
};

struct life_revert_lsp {
    struct life_key key;
    uint32_t options;
    uint32_t pad;
};

/* The ioctl numbers encode the sizes: they must be the kernel's. */
_Static_assert(sizeof(struct life_key) == 264, "opal_key");
_Static_assert(sizeof(struct life_lr_act) == 280, "opal_lr_act");
_Static_assert(sizeof(struct life_session_info) == 272, "opal_session_info");
_Static_assert(sizeof(struct life_user_lr_setup) == 296, "opal_user_lr_setup");
_Static_assert(sizeof(struct life_lr_status) == 304, "opal_lr_status");
_Static_assert(sizeof(struct life_lock_unlock) == 280, "opal_lock_unlock");
_Static_assert(sizeof(struct life_new_pw) == 544, "opal_new_pw");
_Static_assert(sizeof(struct life_mbr_data) == 272, "opal_mbr_data");
_Static_assert(sizeof(struct life_mbr_done) == 272, "opal_mbr_done");
_Static_assert(sizeof(struct life_shadow_mbr) == 288, "opal_shadow_mbr");
_Static_assert(sizeof(struct life_read_write_table) == 312,
               "opal_read_write_table");
_Static_assert(sizeof(struct life_geometry) == 32, "opal_geometry");
_Static_assert(sizeof(struct life_revert_lsp) == 272, "opal_revert_lsp");

#define LIFE_IOC_LOCK_UNLOCK        _IOW('p', 221, struct life_lock_unlock)
#define LIFE_IOC_TAKE_OWNERSHIP     _IOW('p', 222, struct life_key)
#define LIFE_IOC_ACTIVATE_LSP       _IOW('p', 223, struct life_lr_act)
#define LIFE_IOC_SET_PW             _IOW('p', 224, struct life_new_pw)
#define LIFE_IOC_ACTIVATE_USR       _IOW('p', 225, struct life_session_info)
#define LIFE_IOC_REVERT_TPR         _IOW('p', 226, struct life_key)
#define LIFE_IOC_LR_SETUP           _IOW('p', 227, struct life_user_lr_setup)
#define LIFE_IOC_ADD_USR_TO_LR      _IOW('p', 228, struct life_lock_unlock)
#define LIFE_IOC_ENABLE_DISABLE_MBR _IOW('p', 229, struct life_mbr_data)
#define LIFE_IOC_ERASE_LR           _IOW('p', 230, struct life_session_info)
#define LIFE_IOC_SECURE_ERASE_LR    _IOW('p', 231, struct life_session_info)
#define LIFE_IOC_PSID_REVERT_TPR    _IOW('p', 232, struct life_key)
#define LIFE_IOC_MBR_DONE           _IOW('p', 233, struct life_mbr_done)
#define LIFE_IOC_WRITE_SHADOW_MBR   _IOW('p', 234, struct life_shadow_mbr)
#define LIFE_IOC_GENERIC_TABLE_RW   _IOW('p', 235, struct life_read_write_table)
#define LIFE_IOC_GET_LR_STATUS      _IOW('p', 237, struct life_lr_status)
#define LIFE_IOC_GET_GEOMETRY       _IOR('p', 238, struct life_geometry)
#define LIFE_IOC_REVERT_LSP         _IOW('p', 240, struct life_revert_lsp)

enum { LIFE_ADMIN1 = 0, LIFE_USER1 = 1 };
enum { LIFE_RO = 1, LIFE_RW = 2, LIFE_LK = 4 };
enum { LIFE_MBR_ENABLE = 0, LIFE_MBR_DISABLE = 1 };
#define LIFE_TABLE_READ  1
#define LIFE_TABLE_WRITE 2

#define SID_PW      "sidpass1"
#define SID_PW2     "sidpass2"
#define ADMIN1_PW   "admin1pw"
#define USER1_PW    "user1pw"
#define WRONG_PW    "wrongpass"
#define SUM_PW      "sumuser2"

static const uint8_t datastore_uid[8] = { 0x00, 0x00, 0x10, 0x01,
                                          0x00, 0x00, 0x00, 0x00 };

static void life_set_key(struct life_key *k, uint8_t lr, const char *pw)
{
    size_t n = strlen(pw);

    memset(k, 0, sizeof(*k));
    k->lr = lr;
    k->key_len = (uint8_t)n;
    memcpy(k->key, pw, n);
}

static void life_set_session(struct life_session_info *s, uint32_t who,
                             uint8_t lr, const char *pw)
{
    memset(s, 0, sizeof(*s));
    s->who = who;
    life_set_key(&s->opal_key, lr, pw);
}

/*
 * One ioctl, one line. Without a newline when the caller appends details; the
 * caller then ends the line. Returns the ioctl's return value.
 */
static int life_fd = -1;
static const char *life_tag = "OPAL-LIFE";
static int life_errno;          /* errno of the last life_ioctl */
/* command mode: the caller ends every line (command()) */
static bool life_line_open;

static int life_ioctl(const char *step, unsigned long req, void *arg, int more)
{
    int ret = ioctl(life_fd, req, arg);

    life_errno = ret < 0 ? errno : 0;
    printf("%s step=%s rc=%d errno=%d%s", life_tag, step, ret, life_errno,
           more || life_line_open ? "" : "\n");
    return ret;
}

static void life_skip(const char *step, const char *why)
{
    printf("OPAL-LIFE step=%s skip=%s\n", step, why);
}

static int life_take_ownership(const char *step, const char *pw)
{
    struct life_key k;

    life_set_key(&k, 0, pw);
    return life_ioctl(step, LIFE_IOC_TAKE_OWNERSHIP, &k, 0);
}

static int life_activate_lsp(const char *step, const char *sid_pw)
{
    struct life_lr_act act;

    memset(&act, 0, sizeof(act));
    life_set_key(&act.key, 0, sid_pw);
    /* Not in Single User Mode; 6.1 still insists on 1..9 ranges being named. */
    act.num_lrs = 1;
    return life_ioctl(step, LIFE_IOC_ACTIVATE_LSP, &act, 0);
}

static int life_set_pw(const char *step, uint32_t as, const char *as_pw,
                       uint32_t who, const char *new_pw)
{
    struct life_new_pw pw;

    memset(&pw, 0, sizeof(pw));
    life_set_session(&pw.session, as, 0, as_pw);
    life_set_session(&pw.new_user_pw, who, 0, new_pw);
    return life_ioctl(step, LIFE_IOC_SET_PW, &pw, 0);
}

/*
 * A session of Single User Mode: sed-opal then authenticates as User lr+1 for
 * range lr.
 */
static void life_set_session_sum(struct life_session_info *s, uint8_t lr,
                                 const char *pw)
{
    /* who: ignored with sum, but checked */
    life_set_session(s, LIFE_USER1, lr, pw);
    s->sum = 1;
}

/* what the last successful LOCK_UNLOCK of Range1 set */
static int life_lock_state;

static int life_lock_range(const char *step, uint32_t who, uint8_t lr,
                           const char *pw, uint32_t state, int more)
{
    struct life_lock_unlock lk;

    memset(&lk, 0, sizeof(lk));
    life_set_session(&lk.session, who, lr, pw);
    lk.l_state = state;
    return life_ioctl(step, LIFE_IOC_LOCK_UNLOCK, &lk, more);
}

static int life_lock(const char *step, uint32_t who, const char *pw,
                     uint32_t state)
{
    int ret = life_lock_range(step, who, 1, pw, state, 0);

    if (ret == 0) {
        life_lock_state = (int)state;
    }
    return ret;
}

static int life_add_user(const char *step, uint32_t state)
{
    struct life_lock_unlock lk;

    memset(&lk, 0, sizeof(lk));
    life_set_session(&lk.session, LIFE_USER1, 1, ADMIN1_PW);
    lk.l_state = state;
    return life_ioctl(step, LIFE_IOC_ADD_USR_TO_LR, &lk, 0);
}

static int life_mbr_enable(const char *step, const char *pw, uint8_t what)
{
    struct life_mbr_data m;

    memset(&m, 0, sizeof(m));
    life_set_key(&m.key, 0, pw);
    m.enable_disable = what;
    return life_ioctl(step, LIFE_IOC_ENABLE_DISABLE_MBR, &m, 0);
}

static int life_mbr_done(const char *step, const char *pw, uint8_t done)
{
    struct life_mbr_done m;

    memset(&m, 0, sizeof(m));
    life_set_key(&m.key, 0, pw);
    m.done_flag = done;
    return life_ioctl(step, LIFE_IOC_MBR_DONE, &m, 0);
}

static void life_status(const char *step)
{
    struct probe_opal_status st;

    memset(&st, 0, sizeof(st));
    if (life_ioctl(step, PROBE_IOC_OPAL_GET_STATUS, &st, 1) == 0) {
        printf(" flags=0x%x\n", st.flags);
    } else {
        printf("\n");
    }
}

static void life_lr_status(const char *step, uint32_t who, const char *pw)
{
    struct life_lr_status st;

    memset(&st, 0, sizeof(st));
    life_set_session(&st.session, who, 1, pw);
    if (life_ioctl(step, LIFE_IOC_GET_LR_STATUS, &st, 1) == 0) {
        printf(" start=%llu length=%llu rle=%u wle=%u l_state=%u "
               "want_l_state=%d\n",
               (unsigned long long)st.range_start,
               (unsigned long long)st.range_length, st.rle, st.wle, st.l_state,
               life_lock_state);
    } else {
        printf("\n");
    }
}

static void life_discovery(const char *step)
{
    static uint8_t buf[2048];
    struct probe_opal_discovery disc;
    unsigned total, pos;
    int ret;

    memset(buf, 0, sizeof(buf));
    disc.data = (uintptr_t)buf;
    disc.size = sizeof(buf);
    /* Success returns the discovery length: reported as rc=0 size=N. */
    ret = ioctl(life_fd, PROBE_IOC_OPAL_DISCOVERY, &disc);
    if (ret < 0) {
        printf("OPAL-LIFE step=%s rc=%d errno=%d\n", step, ret, errno);
        return;
    }
    printf("OPAL-LIFE step=%s rc=0 errno=0 size=%d", step, ret);
    total = (unsigned)ret < sizeof(buf) ? (unsigned)ret : sizeof(buf);
    for (pos = 48; pos + 5 <= total; pos += 4 + buf[pos + 3]) {
        if (be16(buf + pos) == 0x0002) {
            uint8_t f = buf[pos + 4];

            printf(" locking_enabled=%d locked=%d mbr_enabled=%d mbr_done=%d\n",
                   (f >> 1) & 1, (f >> 2) & 1, (f >> 4) & 1, (f >> 5) & 1);
            return;
        }
    }
    printf(" locking=absent\n");
}

static int life_kernel_at_least(int want_major, int want_minor)
{
    struct utsname u;
    int major = 0, minor = 0;

    if (uname(&u) != 0 || sscanf(u.release, "%d.%d", &major, &minor) != 2) {
        return 0;
    }
    return major > want_major || (major == want_major && minor >= want_minor);
}

static void lifecycle(int fd, const char *psid)
{
    /* 6.4 added GET_LR_STATUS, GET_GEOMETRY, DISCOVERY and REVERT_LSP. */
    int new_ioctls = life_kernel_at_least(6, 4);
    static uint8_t mbr[5000], table_out[3000], table_in[3000];
    struct life_user_lr_setup setup;
    struct life_session_info si;
    struct life_lr_act act;
    struct life_new_pw pw;
    struct life_lock_unlock lk;
    struct life_shadow_mbr shadow;
    struct life_read_write_table rw;
    struct life_geometry geo;
    struct life_revert_lsp rev;
    struct life_key k;
    size_t i;

    life_fd = fd;
    printf("OPAL-LIFE begin new_ioctls=%d psid=%s\n", new_ioctls, psid);

    /* 1. Ownership: the kernel reads MSID as Anybody, then sets SID's PIN. */
    life_take_ownership("take-ownership", SID_PW);

    /* 2. Activate the LockingSP: a wrong SID password first. */
    life_activate_lsp("activate-lsp-wrong-sid", WRONG_PW);
    life_activate_lsp("activate-lsp", SID_PW);

    /*
     * 3. Range1 as Admin1, whose PIN is SID's after activation (Opal SSC
     * 5.2.2.1).
     */
    memset(&setup, 0, sizeof(setup));
    setup.range_start = 2048;
    setup.range_length = 4096;
    setup.rle = 1;
    setup.wle = 1;
    life_set_session(&setup.session, LIFE_ADMIN1, 1, SID_PW);
    life_ioctl("lr-setup", LIFE_IOC_LR_SETUP, &setup, 0);

    /* 4. Passwords. */
    life_set_pw("set-pw-admin1", LIFE_ADMIN1, SID_PW, LIFE_ADMIN1, ADMIN1_PW);
    life_set_pw("set-pw-user1", LIFE_ADMIN1, ADMIN1_PW, LIFE_USER1, USER1_PW);

    /*
     * 5. User1 on Range1. ADD_USR_TO_LR writes ONE ACE per call:
     * ACE_Locking_Range1_Set_WrLocked for OPAL_RW, ..._Set_RdLocked for
     * OPAL_RO (6.12 also rewrites ACE_Locking_Range1_Get_RangeStartToActiveKey
     * to Admin1 OR User1). LOCK_UNLOCK sets ReadLocked and WriteLocked
     * together, so User1 needs both calls.
     */
    life_set_session(&si, LIFE_USER1, 0, ADMIN1_PW);
    life_ioctl("activate-user1", LIFE_IOC_ACTIVATE_USR, &si, 0);
    life_add_user("add-user1-lr1-rw", LIFE_RW);
    life_add_user("add-user1-lr1-ro", LIFE_RO);

    /*
     * 6. Lock and unlock. The Rd/WrLocked ACEs now name User1 alone, but Admin1
     * still may: ACE_Locking_Range1_Set_RangeStartToLOR (Admins) covers
     * ReadLocked and WriteLocked too.
     */
    life_lock("lock-lk-user1", LIFE_USER1, USER1_PW, LIFE_LK);
    life_lock("lock-rw-user1", LIFE_USER1, USER1_PW, LIFE_RW);
    life_lock("lock-ro-admin1", LIFE_ADMIN1, ADMIN1_PW, LIFE_RO);
    life_lock("lock-user1-wrong-pw", LIFE_USER1, WRONG_PW, LIFE_LK);

    /*
     * 7. Shadow MBR. ENABLE sets Done=1 then Enable=1; DISABLE sets Done=0 then
     * Enable=0.
     */
    life_mbr_enable("mbr-enable", ADMIN1_PW, LIFE_MBR_ENABLE);
    for (i = 0; i < sizeof(mbr); i++) {
        mbr[i] = (uint8_t)(i * 7 + 3);
    }
    memset(&shadow, 0, sizeof(shadow));
    life_set_key(&shadow.key, 0, ADMIN1_PW);
    shadow.data = (uintptr_t)mbr;
    shadow.offset = 0;
    shadow.size = sizeof(mbr);
    life_ioctl("mbr-write-shadow", LIFE_IOC_WRITE_SHADOW_MBR, &shadow, 0);
    life_mbr_done("mbr-done-1", ADMIN1_PW, 1);
    life_mbr_done("mbr-done-0", ADMIN1_PW, 0);
    life_mbr_enable("mbr-disable", ADMIN1_PW, LIFE_MBR_DISABLE);

    /*
     * 8. DataStore through GENERIC_TABLE_RW (since 5.7, so on 6.1 too), status
     * ioctls.
     */
    for (i = 0; i < sizeof(table_out); i++) {
        table_out[i] = (uint8_t)((i * 13 + 5) ^ 0x5a);
    }
    memset(&rw, 0, sizeof(rw));
    life_set_key(&rw.key, 0, ADMIN1_PW);
    memcpy(rw.table_uid, datastore_uid, sizeof(datastore_uid));
    rw.data = (uintptr_t)table_out;
    rw.offset = 0;
    rw.size = sizeof(table_out);
    rw.flags = LIFE_TABLE_WRITE;
    life_ioctl("datastore-write", LIFE_IOC_GENERIC_TABLE_RW, &rw, 0);
    memset(table_in, 0, sizeof(table_in));
    rw.data = (uintptr_t)table_in;
    rw.flags = LIFE_TABLE_READ;
    if (life_ioctl("datastore-read", LIFE_IOC_GENERIC_TABLE_RW, &rw, 1) == 0) {
        size_t diff = 0;

        while (diff < sizeof(table_in) && table_in[diff] == table_out[diff]) {
            diff++;
        }
        if (diff == sizeof(table_in)) {
            printf(" match=1\n");
        } else {
            printf(" match=0 first_difference=%zu\n", diff);
        }
    } else {
        printf("\n");
    }
    life_status("status-activated");
    if (new_ioctls) {
        life_lr_status("lr-status-admin1", LIFE_ADMIN1, ADMIN1_PW);
        /*
         * 6.12's extra ACE (Get RangeStart..ActiveKey = Admin1 OR User1) allows
         * this.
         */
        life_lr_status("lr-status-user1", LIFE_USER1, USER1_PW);
        memset(&geo, 0, sizeof(geo));
        if (life_ioctl("geometry", LIFE_IOC_GET_GEOMETRY, &geo, 1) == 0) {
            printf(" align=%u logical_block_size=%u alignment_granularity=%llu "
                   "lowest_aligned_lba=%llu\n",
                   geo.align, geo.logical_block_size,
                   (unsigned long long)geo.alignment_granularity,
                   (unsigned long long)geo.lowest_aligned_lba);
        } else {
            printf("\n");
        }
        life_discovery("discovery-activated");
    } else {
        life_skip("lr-status-admin1", "IOC_OPAL_GET_LR_STATUS-needs-6.4");
        life_skip("lr-status-user1", "IOC_OPAL_GET_LR_STATUS-needs-6.4");
        life_skip("geometry", "IOC_OPAL_GET_GEOMETRY-needs-6.4");
        life_skip("discovery-activated", "IOC_OPAL_DISCOVERY-needs-6.4");
    }

    /*
     * 9. Erase Range1. SECURE_ERASE_LR: Get ActiveKey of Range1, GenKey on that
     * key. ERASE_LR: the Single User Mode method Erase
     * (00 00 00 06 00 00 08 03) on Range1, which is not single-user: no access
     * control entry names Erase, NOT_AUTHORIZED.
     */
    life_set_session(&si, LIFE_ADMIN1, 1, ADMIN1_PW);
    life_ioctl("secure-erase-lr1", LIFE_IOC_SECURE_ERASE_LR, &si, 0);
    life_set_session(&si, LIFE_ADMIN1, 1, ADMIN1_PW);
    life_ioctl("erase-lr1", LIFE_IOC_ERASE_LR, &si, 0);

    /*
     * 10. LockingSP.RevertSP as Admin1 (KeepGlobalRangeKey = False), activate
     * again.
     */
    if (new_ioctls) {
        memset(&rev, 0, sizeof(rev));
        life_set_key(&rev.key, 0, ADMIN1_PW);
        rev.options = 0;
        life_ioctl("revert-lsp", LIFE_IOC_REVERT_LSP, &rev, 0);
        life_activate_lsp("activate-lsp-again", SID_PW);
    } else {
        life_skip("revert-lsp", "IOC_OPAL_REVERT_LSP-needs-6.4");
        life_skip("activate-lsp-again", "IOC_OPAL_REVERT_LSP-needs-6.4");
    }

    /*
     * 11. Back to factory with SID, own it again from MSID, back to factory
     * with PSID.
     */
    life_set_key(&k, 0, SID_PW);
    life_ioctl("revert-tpr", LIFE_IOC_REVERT_TPR, &k, 0);
    life_take_ownership("take-ownership-again", SID_PW2);
    life_set_key(&k, 0, WRONG_PW);
    life_ioctl("psid-revert-wrong", LIFE_IOC_PSID_REVERT_TPR, &k, 0);
    life_set_key(&k, 0, psid);
    life_ioctl("psid-revert", LIFE_IOC_PSID_REVERT_TPR, &k, 0);
    life_status("status-factory");
    /* Factory again: MSID must be the SID password once more. */
    life_take_ownership("take-ownership-after-psid", SID_PW);

    /*
     * 12. Single User Mode: SID activates the LockingSP with Range1 single-user
     * (sum = 1, SingleUserSelectionList = [Locking_Range1]), so User2 owns it -
     * sed-opal, told sum, authenticates as User lr+1 and sets C_PIN_User lr+1.
     * User2, enabled with an empty PIN, sets its own password, places Range1
     * and locks and unlocks it. Admin1 (SID's PIN since Activate) may neither
     * lock it nor set User2's password: NOT_AUTHORIZED. Admin1 erases it
     * (Erase, 00 00 00 06 00 00 08 03), which empties User2's PIN again; Range2
     * is not single-user, and no access control entry names Erase there. Then
     * back to the factory and owned, as before this pass.
     */
    memset(&act, 0, sizeof(act));
    life_set_key(&act.key, 0, SID_PW);
    act.sum = 1;
    act.num_lrs = 1;
    act.lr[0] = 1;
    life_ioctl("sum-activate", LIFE_IOC_ACTIVATE_LSP, &act, 0);
    memset(&pw, 0, sizeof(pw));
    life_set_session_sum(&pw.session, 1, "");
    life_set_session_sum(&pw.new_user_pw, 1, SUM_PW);
    life_ioctl("sum-set-pw-user2", LIFE_IOC_SET_PW, &pw, 0);
    memset(&setup, 0, sizeof(setup));
    setup.range_start = 2048;
    setup.range_length = 4096;
    setup.rle = 1;
    setup.wle = 1;
    life_set_session_sum(&setup.session, 1, SUM_PW);
    life_ioctl("sum-lr-setup", LIFE_IOC_LR_SETUP, &setup, 0);
    memset(&lk, 0, sizeof(lk));
    life_set_session_sum(&lk.session, 1, SUM_PW);
    lk.l_state = LIFE_LK;
    life_ioctl("sum-lock-lk-user2", LIFE_IOC_LOCK_UNLOCK, &lk, 0);
    lk.l_state = LIFE_RW;
    life_ioctl("sum-lock-rw-user2", LIFE_IOC_LOCK_UNLOCK, &lk, 0);
    life_lock_range("sum-lock-admin1", LIFE_ADMIN1, 1, SID_PW, LIFE_LK, 0);
    memset(&pw, 0, sizeof(pw));
    life_set_session(&pw.session, LIFE_ADMIN1, 1, SID_PW);
    life_set_session_sum(&pw.new_user_pw, 1, WRONG_PW);
    life_ioctl("sum-set-pw-user2-admin1", LIFE_IOC_SET_PW, &pw, 0);
    life_set_session(&si, LIFE_ADMIN1, 1, SID_PW);
    life_ioctl("sum-erase-lr1", LIFE_IOC_ERASE_LR, &si, 0);
    memset(&lk, 0, sizeof(lk));
    life_set_session_sum(&lk.session, 1, SUM_PW);
    lk.l_state = LIFE_LK;
    life_ioctl("sum-lock-user2-old-pw", LIFE_IOC_LOCK_UNLOCK, &lk, 0);
    life_set_session(&si, LIFE_ADMIN1, 2, SID_PW);
    life_ioctl("sum-erase-lr2", LIFE_IOC_ERASE_LR, &si, 0);
    life_set_key(&k, 0, SID_PW);
    life_ioctl("sum-revert-tpr", LIFE_IOC_REVERT_TPR, &k, 0);
    life_take_ownership("sum-take-ownership", SID_PW);
    printf("OPAL-LIFE end\n");
}

/*
 * ---- media: what the drive's locking does to reads and writes
 * --------------------------
 *
 * "opal-probe DEVICE media" runs in two boots of the same machine (run.sh's
 * "media" mode). The first boot (the drive's Locking SP not yet active) sets
 * Range1 up, checks locked, read-only and unlocked I/O, the shadow MBR and
 * crypto erase, then plays the pre-boot image: it finds the drive locked with
 * the shadow MBR showing, unlocks, sets MBR Done and reboots (a hardware
 * reset). The second boot must find the range still unlocked and the real LBA
 * 0; it then asks the host for a power cycle of the drive and checks that
 * Range1 locked again and the shadow MBR came back. One "OPAL-MEDIA step=NAME
 * ..." line per check: io=ok|eio|ERRNO for I/O, data=same|differs for content,
 * rc= for ioctls (life_ioctl).
 */
#define MEDIA_BLOCK     4096
/*
 * Past the 128 MiB shadow MBR area, where reads ignore locks while MBR Done
 * is 0.
 */
#define MEDIA_R1_LBA    294912                  /* Range1: 144 MiB + 2 MiB */
#define MEDIA_R1_LEN    4096
#define MEDIA_OUT_LBA   311296                  /* in no range: 152 MiB */

static int media_fd = -1;
static uint8_t media_buf[MEDIA_BLOCK] __attribute__((aligned(4096)));

static void media_pattern(uint8_t *buf, uint64_t lba, const char *tag)
{
    for (size_t i = 0; i < MEDIA_BLOCK; i++) {
        buf[i] = (uint8_t)(i * 31 + lba);
    }
    snprintf((char *)buf, 32, "%s@%llu", tag, (unsigned long long)lba);
}

/*
 * EIO is what Linux makes of a bare ABRT; EREMOTEIO of ABRT with sense data
 * DATA PROTECT (the drive's NCQ autosense), which the SCSI layer treats as a
 * target failure.
 */
static const char *media_errno_name(ssize_t n)
{
    if (n >= 0) {
        return "short";
    }
    return errno == EIO ? "eio" :
           errno == EREMOTEIO ? "eremoteio" : strerror(errno);
}

/*
 * One 4 KiB O_DIRECT read or write at @lba; prints io=ok or the errno's name.
 */
static int media_io(const char *step, uint64_t lba, int write,
                    const uint8_t *data, int more)
{
    ssize_t n;

    if (write) {
        memcpy(media_buf, data, MEDIA_BLOCK);
        n = pwrite(media_fd, media_buf, MEDIA_BLOCK, (off_t)lba * 512);
    } else {
        memset(media_buf, 0, MEDIA_BLOCK);
        n = pread(media_fd, media_buf, MEDIA_BLOCK, (off_t)lba * 512);
    }
    printf("OPAL-MEDIA step=%s io=%s", step,
           n == MEDIA_BLOCK ? "ok" : media_errno_name(n));
    if (!more || n != MEDIA_BLOCK) {
        printf("\n");
    }
    return n == MEDIA_BLOCK ? 0 : -1;
}

/* Reads @lba and says whether it holds @want. */
static void media_expect(const char *step, uint64_t lba, const uint8_t *want)
{
    if (media_io(step, lba, 0, NULL, 1) == 0) {
        printf(" data=%s\n",
               memcmp(media_buf, want, MEDIA_BLOCK) ? "differs" : "same");
    }
}

/*
 * busybox dd, as a user would run it: its exit status and its first line of
 * complaint.
 */
static void media_dd(const char *step, uint64_t lba)
{
    char cmd[160], msg[160] = "";
    FILE *f;
    int rc;

    snprintf(cmd, sizeof(cmd),
             "dd if=/dev/sda of=/dev/null bs=%d count=1 skip=%llu "
             "iflag=direct 2>/tmp/dd.err",
             MEDIA_BLOCK, (unsigned long long)(lba * 512 / MEDIA_BLOCK));
    fflush(stdout);
    rc = system(cmd);
    f = fopen("/tmp/dd.err", "r");
    if (f) {
        if (fgets(msg, sizeof(msg), f)) {
            msg[strcspn(msg, "\n")] = 0;
        }
        fclose(f);
    }
    printf("OPAL-MEDIA step=%s dd_exit=%d dd_says=\"%s\"\n", step,
           WIFEXITED(rc) ? WEXITSTATUS(rc) : -1, msg);
}

static int media_lock(const char *step, uint32_t state)
{
    return life_lock(step, LIFE_ADMIN1, SID_PW, state);
}

/* Ownership (Admin1's PIN is SID's) and Range1, both locks enabled. */
static void media_own_with_range1(void)
{
    struct life_user_lr_setup setup;

    life_take_ownership("take-ownership", SID_PW);
    life_activate_lsp("activate-lsp", SID_PW);
    memset(&setup, 0, sizeof(setup));
    setup.range_start = MEDIA_R1_LBA;
    setup.range_length = MEDIA_R1_LEN;
    setup.rle = 1;
    setup.wle = 1;
    life_set_session(&setup.session, LIFE_ADMIN1, 1, SID_PW);
    life_ioctl("lr-setup", LIFE_IOC_LR_SETUP, &setup, 0);
}

static void media_first_boot(void)
{
    static uint8_t r1[MEDIA_BLOCK], out[MEDIA_BLOCK];
    static uint8_t lba0[MEDIA_BLOCK], pba[MEDIA_BLOCK];
    struct life_shadow_mbr shadow;
    struct life_session_info si;

    media_pattern(r1, MEDIA_R1_LBA, "RANGE1");
    media_pattern(out, MEDIA_OUT_LBA, "OUTSIDE");
    media_pattern(lba0, 0, "REAL-LBA0");
    media_pattern(pba, 0, "PBA-IMAGE");

    /*
     * Data first, as on a disk in use; then ownership and Range1 over it
     * (Admin1 = SID's PIN).
     */
    media_io("write-lba0", 0, 1, lba0, 0);
    media_io("write-outside", MEDIA_OUT_LBA, 1, out, 0);
    media_own_with_range1();
    media_io("write-range1", MEDIA_R1_LBA, 1, r1, 0);
    media_expect("read-range1", MEDIA_R1_LBA, r1);

    /*
     * Locked: Range1 refuses both ways, the rest of the disk works, including
     * its neighbours.
     */
    media_lock("lock-lk", LIFE_LK);
    media_io("locked-read", MEDIA_R1_LBA, 0, NULL, 0);
    media_io("locked-read-last", MEDIA_R1_LBA + MEDIA_R1_LEN - 8, 0, NULL, 0);
    media_io("locked-write", MEDIA_R1_LBA, 1, out, 0);
    media_dd("locked-dd", MEDIA_R1_LBA);
    media_io("locked-read-before", MEDIA_R1_LBA - 8, 0, NULL, 0);
    media_io("locked-read-after", MEDIA_R1_LBA + MEDIA_R1_LEN, 0, NULL, 0);
    media_expect("locked-read-outside", MEDIA_OUT_LBA, out);
    media_io("locked-write-outside", MEDIA_OUT_LBA, 1, out, 0);

    /* Read-only: reads come back exact, writes are refused. */
    media_lock("lock-ro", LIFE_RO);
    media_expect("ro-read", MEDIA_R1_LBA, r1);
    media_io("ro-write", MEDIA_R1_LBA, 1, out, 0);
    media_lock("lock-rw", LIFE_RW);
    media_io("rw-write", MEDIA_R1_LBA, 1, r1, 0);
    media_expect("rw-read", MEDIA_R1_LBA, r1);

    /*
     * Shadow MBR: sed-opal's ENABLE also sets Done, so clear Done to see the
     * shadow.
     */
    life_mbr_enable("mbr-enable", SID_PW, LIFE_MBR_ENABLE);
    memset(&shadow, 0, sizeof(shadow));
    life_set_key(&shadow.key, 0, SID_PW);
    shadow.data = (uintptr_t)pba;
    shadow.size = sizeof(pba);
    life_ioctl("mbr-write-shadow", LIFE_IOC_WRITE_SHADOW_MBR, &shadow, 0);
    life_mbr_done("mbr-done-0", SID_PW, 0);
    media_expect("shadow-read-lba0", 0, pba);
    media_io("shadow-write-lba0", 0, 1, lba0, 0);
    life_mbr_done("mbr-done-1", SID_PW, 1);
    media_expect("done-read-lba0", 0, lba0);

    /*
     * Crypto erase: a new key for Range1, whose old data then reads back as
     * noise.
     */
    life_set_session(&si, LIFE_ADMIN1, 1, SID_PW);
    life_ioctl("secure-erase-lr1", LIFE_IOC_SECURE_ERASE_LR, &si, 0);
    media_expect("erased-read", MEDIA_R1_LBA, r1);
    media_io("rewrite-range1", MEDIA_R1_LBA, 1, r1, 0);

    /*
     * As after power-on: Range1 locked, shadow MBR showing. Now the pre-boot
     * image's job.
     */
    media_lock("pba-power-on-state", LIFE_LK);
    life_mbr_done("pba-power-on-done-0", SID_PW, 0);
    media_expect("pba-sees-shadow", 0, pba);
    media_io("pba-range1-locked", MEDIA_R1_LBA, 0, NULL, 0);
    media_lock("pba-unlock", LIFE_RW);
    life_mbr_done("pba-done", SID_PW, 1);
    printf("OPAL-MEDIA step=pba-reboot\n");
}

static void media_second_boot(void)
{
    static uint8_t r1[MEDIA_BLOCK], lba0[MEDIA_BLOCK], pba[MEDIA_BLOCK];
    int i;

    media_pattern(r1, MEDIA_R1_LBA, "RANGE1");
    media_pattern(lba0, 0, "REAL-LBA0");
    media_pattern(pba, 0, "PBA-IMAGE");
    /* A reboot is a hardware reset: Range1 stays unlocked, Done stays set. */
    media_expect("reboot-read-lba0", 0, lba0);
    media_expect("reboot-read-range1", MEDIA_R1_LBA, r1);

    /*
     * The host power-cycles the drive (QMP opal-power-cycle) when it sees this
     * line.
     */
    printf("OPAL-MEDIA power-cycle-please\n");
    fflush(stdout);
    /*
     * Range1 refuses reads once the drive has been power-cycled (GET_STATUS may
     * be cached).
     */
    for (i = 0; i < 300; i++) {
        if (pread(media_fd, media_buf, MEDIA_BLOCK, (off_t)MEDIA_R1_LBA * 512) <
            0) {
            break;
        }
        usleep(100000);
    }
    printf("OPAL-MEDIA step=power-cycle-seen locked=%d\n", i < 300);
    media_io("cycled-read-range1", MEDIA_R1_LBA, 0, NULL, 0);
    media_expect("cycled-read-lba0", 0, pba);
}

/*
 * A third boot, in a new QEMU process on the same image (run.sh starts it
 * after the machine of the first two powered off): what the drive kept.
 * Its state and data came back, and the restart was a power cycle: Range1
 * is locked again and the shadow MBR shows until Done.
 */
static void media_restart(void)
{
    static uint8_t r1[MEDIA_BLOCK], out[MEDIA_BLOCK];
    static uint8_t lba0[MEDIA_BLOCK], pba[MEDIA_BLOCK];

    media_pattern(r1, MEDIA_R1_LBA, "RANGE1");
    media_pattern(out, MEDIA_OUT_LBA, "OUTSIDE");
    media_pattern(lba0, 0, "REAL-LBA0");
    media_pattern(pba, 0, "PBA-IMAGE");
    media_io("restart-read-range1", MEDIA_R1_LBA, 0, NULL, 0);
    media_expect("restart-read-lba0", 0, pba);
    media_expect("restart-read-outside", MEDIA_OUT_LBA, out);
    life_lock("restart-unlock-wrong-pw", LIFE_ADMIN1, WRONG_PW, LIFE_RW);
    media_io("restart-still-locked", MEDIA_R1_LBA, 0, NULL, 0);
    media_lock("restart-unlock", LIFE_RW);
    media_expect("restart-read-range1-unlocked", MEDIA_R1_LBA, r1);
    life_mbr_done("restart-done", SID_PW, 1);
    media_expect("restart-read-lba0-done", 0, lba0);
}

static void media(int fd, const char *device, bool restart)
{
    struct probe_opal_status st;

    life_fd = fd;
    media_fd = open(device, O_RDWR | O_DIRECT);
    if (media_fd < 0) {
        printf("OPAL-MEDIA open errno=%d\n", errno);
        return;
    }
    memset(&st, 0, sizeof(st));
    ioctl(fd, PROBE_IOC_OPAL_GET_STATUS, &st);
    /* LOCKING_ENABLED: the first boot activated the Locking SP. */
    if (restart) {
        printf("OPAL-MEDIA begin boot=restart\n");
        media_restart();
    } else if (st.flags & 0x04) {
        printf("OPAL-MEDIA begin boot=2\n");
        media_second_boot();
    } else {
        printf("OPAL-MEDIA begin boot=1\n");
        media_first_boot();
    }
    close(media_fd);
}

/*
 * ---- commands: one sed-opal ioctl each, for scripts such as a pre-boot image
 * ----------
 *
 * "opal-probe DEVICE COMMAND ARGS..." (see usage()) prints one line,
 * "OPAL-CMD step=COMMAND rc=N errno=E ok|refused: TCG status NAME|failed:
 * ERROR", and exits 0 when the ioctl succeeded, 1 otherwise. Everything is done
 * as Admin1 (whose PIN is SID's after activate-lsp) or, for take-ownership and
 * activate-lsp, as SID.
 */
static const char *tcg_status_name(int st)
{
    static const char *const names[] = {
        [1] = "NOT_AUTHORIZED",      [3] = "SP_BUSY",
        [4] = "SP_FAILED",           [5] = "SP_DISABLED",
        [6] = "SP_FROZEN",           [7] = "NO_SESSIONS_AVAILABLE",
        [8] = "UNIQUENESS_CONFLICT", [9] = "INSUFFICIENT_SPACE",
        [10] = "INSUFFICIENT_ROWS",  [12] = "INVALID_PARAMETER",
        [15] = "TPER_MALFUNCTION",   [16] = "TRANSACTION_FAILURE",
        [17] = "RESPONSE_OVERFLOW",  [18] = "AUTHORITY_LOCKED_OUT",
    };

    if (st == 63) {
        return "FAIL";
    }
    return st > 0 && st < (int)(sizeof(names) / sizeof(names[0])) && names[st] ?
               names[st] :
               "?";
}

static int on_off(const char *arg)
{
    return strcmp(arg, "on") == 0 ? 1 : strcmp(arg, "off") == 0 ? 0 : -1;
}

/*
 * The whole of FILE (a regular file or a block device) in memory; NULL on
 * errors.
 */
static uint8_t *read_whole(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY);
    off_t end = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
    uint8_t *buf = end > 0 ? malloc((size_t)end) : NULL;
    size_t got = 0;

    while (buf && got < (size_t)end) {
        ssize_t n = pread(fd, buf + got, (size_t)end - got, (off_t)got);

        if (n <= 0) {
            free(buf);
            buf = NULL;
        } else {
            got += (size_t)n;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    *size = got;
    return buf;
}

/*
 * stress: no guest may ever stall.  The drive once saved its state with a
 * synchronous write from the vCPU thread, whose nested event loop could
 * swallow the main loop's wakeup: the guest then stopped for good, its
 * timer overdue.  Here PBA-sized shadow MBR writes (each Set made durable)
 * and lock/unlock calls run while a second process reads, through NCQ, a
 * block the drive serves and one of Range1 (refused while it is locked),
 * and a third one measures how late its 20 ms timer fires.  Every read
 * must end, and every timer fire, within STRESS_LIMIT_MS; the host checks
 * each TRUSTED command from the drive's trace (run.sh).  A sed-opal call
 * makes many commands (a 64 KiB MBR write, 32 Set calls): it only must
 * not take STRESS_CALL_LIMIT_MS, a stall's mark.
 */
#define STRESS_PBA_BYTES    (2 * 1024 * 1024)
#define STRESS_PBA_IMAGES   4
#define STRESS_CHUNK        (64 * 1024)
#define STRESS_TICK_MS      20
#define STRESS_LIMIT_MS     1000
#define STRESS_CALL_LIMIT_MS 10000

struct stress_shared {
    /* volatile: set by the parent, read by its children (MAP_SHARED) */
    volatile int stop;
    double worst_read_ms, worst_late_ms;
    long reads_ok, reads_refused, reads_bad, ticks;
};

static double stress_now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void stress_read(struct stress_shared *sh, int fd, uint8_t *buf,
                        uint64_t lba, bool may_refuse)
{
    double t0 = stress_now_ms(), took;
    ssize_t n = pread(fd, buf, MEDIA_BLOCK, (off_t)lba * 512);

    took = stress_now_ms() - t0;
    if (took > sh->worst_read_ms) {
        sh->worst_read_ms = took;
    }
    if (n == MEDIA_BLOCK) {
        sh->reads_ok++;
    } else if (may_refuse && (errno == EIO || errno == EREMOTEIO)) {
        sh->reads_refused++;
    } else {
        sh->reads_bad++;
    }
}

static void stress_reader(struct stress_shared *sh, const char *device)
{
    int fd = open(device, O_RDONLY | O_DIRECT);
    void *buf;

    if (fd < 0 || posix_memalign(&buf, MEDIA_BLOCK, MEDIA_BLOCK)) {
        sh->reads_bad++;
        _exit(1);
    }
    /* Refused reads are rarer: each costs the guest an error recovery. */
    for (long i = 0; !sh->stop; i++) {
        stress_read(sh, fd, buf, i % 8 ? MEDIA_OUT_LBA : MEDIA_R1_LBA,
                    i % 8 == 0);
    }
    _exit(0);
}

static void stress_ticker(struct stress_shared *sh)
{
    struct timespec tick = { 0, STRESS_TICK_MS * 1000000L };

    while (!sh->stop) {
        double t0 = stress_now_ms(), late;

        nanosleep(&tick, NULL);
        late = stress_now_ms() - t0 - STRESS_TICK_MS;
        if (late > sh->worst_late_ms) {
            sh->worst_late_ms = late;
        }
        sh->ticks++;
    }
    _exit(0);
}

static double stress_worst_ioctl_ms;
static int stress_ioctl_failures;

/* One timed sed-opal call; its outcome on a line of its own. */
static void stress_timed(const char *step, int ret, double t0)
{
    double took = stress_now_ms() - t0;

    if (took > stress_worst_ioctl_ms) {
        stress_worst_ioctl_ms = took;
    }
    if (ret != 0) {
        stress_ioctl_failures++;
        printf("OPAL-STRESS step=%s failed rc=%d errno=%d\n", step, ret,
               life_errno);
    }
}

static void stress(int fd, const char *device)
{
    struct stress_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    static uint8_t pba[STRESS_CHUNK];
    struct life_shadow_mbr shadow;
    pid_t reader, ticker;
    double t0;
    int calls = 0, ret;

    life_fd = fd;
    if (sh == MAP_FAILED) {
        printf("OPAL-STRESS mmap errno=%d\n", errno);
        return;
    }
    memset(sh, 0, sizeof(*sh));
    media_own_with_range1();

    reader = fork();
    if (reader == 0) {
        stress_reader(sh, device);
    }
    ticker = fork();
    if (ticker == 0) {
        stress_ticker(sh);
    }
    life_line_open = false;
    for (int image = 0; image < STRESS_PBA_IMAGES; image++) {
        for (uint64_t off = 0; off < STRESS_PBA_BYTES; off += STRESS_CHUNK) {
            memset(pba, image * 64 + (int)(off / STRESS_CHUNK), sizeof(pba));
            memset(&shadow, 0, sizeof(shadow));
            life_set_key(&shadow.key, 0, SID_PW);
            shadow.data = (uintptr_t)pba;
            shadow.offset = off;
            shadow.size = sizeof(pba);
            t0 = stress_now_ms();
            ret = ioctl(life_fd, LIFE_IOC_WRITE_SHADOW_MBR, &shadow);
            life_errno = ret < 0 ? errno : 0;
            stress_timed("write-mbr", ret, t0);
            if (++calls % 8 == 0) {
                t0 = stress_now_ms();
                stress_timed("lock", life_lock_range("lock", LIFE_ADMIN1, 1,
                                                     SID_PW, calls % 16 ?
                                                     LIFE_LK : LIFE_RW, 1),
                             t0);
                printf("\n");
            }
        }
        printf("OPAL-STRESS image=%d written\n", image + 1);
    }
    sh->stop = 1;
    waitpid(reader, NULL, 0);
    waitpid(ticker, NULL, 0);
    printf("OPAL-STRESS result calls=%d failures=%d worst_ioctl_ms=%.0f "
           "reads_ok=%ld reads_refused=%ld reads_bad=%ld worst_read_ms=%.0f "
           "ticks=%ld worst_late_ms=%.0f limit_ms=%d call_limit_ms=%d\n",
           calls, stress_ioctl_failures, stress_worst_ioctl_ms, sh->reads_ok,
           sh->reads_refused, sh->reads_bad, sh->worst_read_ms, sh->ticks,
           sh->worst_late_ms, STRESS_LIMIT_MS, STRESS_CALL_LIMIT_MS);
    printf("OPAL-STRESS end\n");
}

static int command(int argc, char **argv)
{
    const char *cmd = argv[2], *pw = argv[argc - 1];
    static const char *const locks[] = { "ro", "rw",
                                         "lk" }; /* OPAL_RO=1, RW=2, LK=4 */
    struct life_user_lr_setup setup;
    struct life_shadow_mbr shadow;
    struct timespec t0, t1;
    uint8_t *data = NULL;
    size_t size = 0;
    int ret, state = 0, i;

    life_tag = "OPAL-CMD";
    life_line_open = true;
    if (strcmp(cmd, "take-ownership") == 0 && argc == 4) {
        ret = life_take_ownership(cmd, pw);
    } else if (strcmp(cmd, "activate-lsp") == 0 && argc == 4) {
        ret = life_activate_lsp(cmd, pw);
    } else if (strcmp(cmd, "setup-range") == 0 && argc == 7) {
        /*
         * RANGE START LEN: Range0, the global range, has no bounds (give 0 0).
         */
        uint64_t start = 0, length = 0;

        memset(&setup, 0, sizeof(setup));
        sscanf(argv[4], "%" SCNu64, &start);
        sscanf(argv[5], "%" SCNu64, &length);
        setup.range_start = start;
        setup.range_length = length;
        setup.rle = 1;
        setup.wle = 1;
        life_set_session(&setup.session, LIFE_ADMIN1, (uint8_t)atoi(argv[3]),
                         pw);
        ret = life_ioctl(cmd, LIFE_IOC_LR_SETUP, &setup, 1);
    } else if (strcmp(cmd, "lock") == 0 && argc == 6) {
        for (i = 0; i < 3; i++) {
            if (strcmp(argv[4], locks[i]) == 0) {
                state = 1 << i;
            }
        }
        if (!state) {
            return -1;
        }
        ret = life_lock_range(cmd, LIFE_ADMIN1, (uint8_t)atoi(argv[3]), pw,
                              state, 1);
    } else if ((strcmp(cmd, "mbr-enable") == 0 ||
                strcmp(cmd, "mbr-done") == 0) &&
               argc == 5 && on_off(argv[3]) >= 0) {
        /* sed-opal's "enable" also sets Done, its "disable" also clears it. */
        ret = cmd[4] == 'e' ?
                  life_mbr_enable(cmd, pw,
                                  on_off(argv[3]) ? LIFE_MBR_ENABLE :
                                                    LIFE_MBR_DISABLE) :
                  life_mbr_done(cmd, pw, (uint8_t)on_off(argv[3]));
    } else if (strcmp(cmd, "write-mbr") == 0 && argc == 5) {
        data = read_whole(argv[3], &size);
        if (!data) {
            printf("OPAL-CMD step=%s cannot read %s: %s\n", cmd, argv[3],
                   strerror(errno));
            return 1;
        }
        /*
         * One ioctl: the kernel sends it to the drive in Set calls of up to ~2
         * KiB.
         */
        memset(&shadow, 0, sizeof(shadow));
        life_set_key(&shadow.key, 0, pw);
        shadow.data = (uintptr_t)data;
        shadow.size = size;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ret = life_ioctl(cmd, LIFE_IOC_WRITE_SHADOW_MBR, &shadow, 1);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        printf(" bytes=%zu seconds=%.1f", size,
               (double)(t1.tv_sec - t0.tv_sec) +
                   (t1.tv_nsec - t0.tv_nsec) / 1e9);
        free(data);
    } else {
        return -1;
    }
    if (ret == 0) {
        printf(" ok\n");
    } else if (ret > 0) {
        printf(" refused: TCG status %s\n", tcg_status_name(ret));
    } else {
        printf(" failed: %s\n", strerror(life_errno));
    }
    return ret != 0;
}

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s DEVICE status|discovery...\n"
            "       %s DEVICE lifecycle [PSID]\n"
            "       %s DEVICE media|media-restart|stress\n"
            "       %s DEVICE take-ownership SID_PW      (SID's PIN from MSID to SID_PW)\n"
            "       %s DEVICE activate-lsp SID_PW        (Admin1's PIN becomes SID_PW)\n"
            "       %s DEVICE setup-range RANGE START LENGTH PW  (RLE and WLE on; RANGE 0 "
            "is the global range: START LENGTH 0 0)\n"
            "       %s DEVICE lock RANGE rw|ro|lk PW\n"
            "       %s DEVICE mbr-enable on|off PW\n"
            "       %s DEVICE write-mbr FILE PW          (FILE into the shadow MBR at 0)\n"
            "       %s DEVICE mbr-done on|off PW\n",
            argv0, argv0, argv0, argv0, argv0, argv0, argv0, argv0, argv0,
            argv0);
    return 2;
}

int main(int argc, char **argv)
{
    int fd, i, failed = 0;

    if (argc < 3) {
        return usage(argv[0]);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    fd = open(argv[1], O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        printf("OPAL-PROBE open errno=%d (%s)\n", errno, strerror(errno));
        return 1;
    }
    if (strcmp(argv[2], "media") == 0 ||
        strcmp(argv[2], "media-restart") == 0) {
        media(fd, argv[1], strcmp(argv[2], "media-restart") == 0);
        close(fd);
        return 0;
    }
    if (strcmp(argv[2], "stress") == 0) {
        stress(fd, argv[1]);
        close(fd);
        return 0;
    }
    if (strcmp(argv[2], "lifecycle") == 0) {
        lifecycle(fd, argc > 3 ? argv[3] : "PSIDOPALGUEST1");
        close(fd);
        return 0;
    }
    if (strcmp(argv[2], "status") != 0 && strcmp(argv[2], "discovery") != 0) {
        life_fd = fd;
        failed = command(argc, argv);
        close(fd);
        return failed < 0 ? usage(argv[0]) : failed;
    }
    for (i = 2; i < argc; i++) {
        if (strcmp(argv[i], "status") == 0) {
            failed |= probe_status(fd);
        } else if (strcmp(argv[i], "discovery") == 0) {
            failed |= probe_discovery(fd);
        } else {
            fprintf(stderr, "opal-probe: unknown operation %s\n", argv[i]);
            return 2;
        }
    }
    close(fd);
    return failed;
}
