/*
 * opal-probe: runs inside the test guest and asks the kernel's own sed-opal layer what it
 * sees on a disk, printing one machine-readable "OPAL-PROBE ..." line per fact.
 *
 *   opal-probe DEVICE OP...     OP: status (IOC_OPAL_GET_STATUS, Linux >= 6.0)
 *                                   discovery (IOC_OPAL_DISCOVERY, Linux >= 6.4)
 *
 * The structures and ioctl numbers are defined here (from include/uapi/linux/sed-opal.h)
 * because the build host's headers may predate IOC_OPAL_DISCOVERY.
 * Exit status: 0 when every requested ioctl succeeded, 1 otherwise, 2 on usage errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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

/* One detail line for the descriptors whose fields a reader of the demo cares about. */
static void print_feature_detail(uint16_t code, const uint8_t *d, unsigned len)
{
    switch (code) {
    case 0x0001:
        if (len >= 1) {
            printf("OPAL-PROBE feature-detail code=0001 sync=%d async=%d comid_mgmt=%d\n",
                   d[0] & 1, (d[0] >> 1) & 1, (d[0] >> 6) & 1);
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
            printf("OPAL-PROBE feature-detail code=0003 align=%d logical_block_size=%u "
                   "alignment_granularity=%llu lowest_aligned_lba=%llu\n", d[0] & 1,
                   be32(d + 8), (unsigned long long)be64(d + 12),
                   (unsigned long long)be64(d + 20));
        }
        break;
    case 0x0202:
        if (len >= 12) {
            printf("OPAL-PROBE feature-detail code=0202 max_tables=%u max_total_size=%u "
                   "size_alignment=%u\n", be16(d + 2), be32(d + 4), be32(d + 8));
        }
        break;
    case 0x0203:
        if (len >= 9) {
            printf("OPAL-PROBE feature-detail code=0203 base_comid=0x%04x num_comids=%u "
                   "admin_authorities=%u user_authorities=%u\n", be16(d), be16(d + 2),
                   be16(d + 5), be16(d + 7));
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
     * The kernel copies min(size, header length field) bytes and returns the header's
     * length field; the descriptors start after the 48-byte header.
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

        printf("OPAL-PROBE feature code=%04x name=%s version=%u length=%u\n", code,
               feature_name(code), buf[pos + 2] >> 4, len);
        /*
         * Linux copies only "length" bytes (the header's length field, which does not
         * count its own 4 bytes), so the last descriptor may be cut short: decode what
         * arrived, each decoder checks it has the bytes it reads.
         */
        print_feature_detail(code, buf + pos + 4, len < total - pos - 4 ? len : total - pos - 4);
    }
    printf("OPAL-PROBE discovery size=%d features=", ret);
    for (pos = 48; pos + 4 <= total; pos += 4 + buf[pos + 3]) {
        printf("%s%04x", first ? "" : ",", be16(buf + pos));
        first = 0;
    }
    printf("%s\n", first ? "none" : "");
    return 0;
}

int main(int argc, char **argv)
{
    int fd, i, failed = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s DEVICE status|discovery...\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    fd = open(argv[1], O_RDONLY | O_NONBLOCK);
    if (fd < 0) {
        printf("OPAL-PROBE open errno=%d (%s)\n", errno, strerror(errno));
        return 1;
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
