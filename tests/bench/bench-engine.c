/*
 * The media gate's own costs, without QEMU: how long the engine takes to
 * decide whether a command may touch its blocks (with 64 locking ranges set
 * up), and how fast AES-256-XTS runs on one core of this machine with
 * 512-byte data units, the drive's encryption (and, for comparison, with
 * 4 KiB units).  `make bench` prints them
 * next to the device benchmark, so the crypto's share of the cost is visible.
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
#include <gcrypt.h>
#include <stdio.h>
#include <time.h>

#include "opal-host.h"
#include "sp-tables.h"
#include "uid.h"

#define NR_RANGES   64
#define NB_BLOCKS   (1ULL << 31)            /* 1 TiB of 512-byte blocks */
#define CHECKS      (10 * 1000 * 1000)
#define XTS_BUFFER  (16 * 1024 * 1024)
#define XTS_ROUNDS  32

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * 64 ranges of 16 Mi blocks, every other one read-locked, gaps for the global
 * range.
 */
static OpalMediaMap *map_with_ranges(OpalTPer *tper)
{
    uint32_t tsn;

    host_take_ownership(tper);
    host_activate(tper);
    host_locking_session(tper, OPAL_UID_AUTH_ADMIN1, HOST_SID_PIN, &tsn);
    for (unsigned n = 1; n <= NR_RANGES; n++) {
        uint64_t uid = OPAL_UID_LOCKING_RANGE(n);

        host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_RANGE_START,
                      (uint64_t)n << 25);
        host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_RANGE_LENGTH,
                      1ULL << 24);
        host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_READ_LOCK_ENABLED, 1);
        host_set_uint(tper, tsn, uid, OPAL_COL_LOCKING_READ_LOCKED, n % 2);
    }
    host_end_session(tper, tsn);
    return opal_media_map_new(tper);
}

static void bench_gate(void)
{
    OpalConfig config = host_test_config;
    OpalTPer *tper;
    OpalMediaMap *map;
    uint64_t lba = 12345, locked = 0;
    double t;

    config.nb_blocks = NB_BLOCKS;
    config.nr_ranges = NR_RANGES;
    tper = opal_tper_new(&config);
    map = map_with_ranges(tper);
    t = now();
    for (int i = 0; i < CHECKS; i++) {
        lba = (lba * 6364136223846793005ULL + 1442695040888963407ULL);
        locked += opal_media_check(map, (lba >> 20) % (NB_BLOCKS - 256), 256,
                                   false) != OPAL_MEDIA_OK;
    }
    t = now() - t;
    printf("ENGINE-BENCH gate_check_ns=%.1f ranges=%d "
           "extents_locked_share=%.2f\n",
           t * 1e9 / CHECKS, NR_RANGES, (double)locked / CHECKS);
    opal_media_map_free(map);
    opal_tper_free(tper);
}

static void bench_xts(unsigned unit)
{
    static uint8_t key[OPAL_MEDIA_KEY_LEN];
    uint8_t *buf = g_malloc0(XTS_BUFFER);
    gcry_cipher_hd_t h;
    double t;

    gcry_randomize(key, sizeof(key), GCRY_WEAK_RANDOM);
    gcry_cipher_open(&h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_XTS, 0);
    gcry_cipher_setkey(h, key, sizeof(key));
    t = now();
    for (int r = 0; r < XTS_ROUNDS; r++) {
        for (uint64_t lba = 0; lba < XTS_BUFFER / unit; lba++) {
            uint64_t tweak[2] = { lba, 0 };

            gcry_cipher_setiv(h, tweak, sizeof(tweak));
            gcry_cipher_decrypt(h, buf + lba * unit, unit, NULL, 0);
        }
    }
    t = now() - t;
    printf("ENGINE-BENCH xts_mbps=%.0f unit=%u libgcrypt=%s\n",
           (double)XTS_BUFFER * XTS_ROUNDS / t / 1e6, unit,
           gcry_check_version(NULL));
    gcry_cipher_close(h);
    g_free(buf);
}

int main(void)
{
    gcry_check_version(NULL);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    bench_gate();
    bench_xts(512);
    /* For comparison: the data unit the drive does not use (4 KiB). */
    bench_xts(4096);
    return 0;
}
