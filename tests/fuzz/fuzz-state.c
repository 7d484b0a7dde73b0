/*
 * libFuzzer target: a saved TPer state, as read back from a disk image
 *
 * The state region lives in the user's image, and an image can come from
 * anyone: opal_tper_load() must refuse any bytes that are not a state, with a
 * reason and the drive untouched, and never crash.  The same holds for the
 * running state a migration stream carries (opal_tper_load_running).  What it
 * accepts must save back to the same bytes' meaning: a second load of the saved
 * form succeeds and saves identically.  So must a snapshot
 * (opal_tper_save_snapshot, what savevm keeps in an image) of a drive loaded
 * from a running state.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdlib.h>
#include <string.h>
#include <glib.h>

#include "hw/opal/opal.h"
#include "opal-crypto-gcrypt.h"
#include "fuzz-target.h"

static const OpalConfig config = {
    .nb_blocks = 1 << 20,
    .logical_block_size = 512,
    .alignment_granularity = 8,
    .nr_admins = 4,
    .nr_users = 8,
    .nr_ranges = 8,
    .mbr_size = 1 << 20,        /* small, so that chunk records can fill it */
    .datastore_size = 1 << 16,
    .msid = "msid",
    .psid = "psid",
    .kdf_iterations = 1,
    .crypto = &opal_crypto_gcrypt,
};

typedef uint8_t *SaveFn(const OpalTPer *tper, size_t *len);
typedef bool LoadFn(OpalTPer *tper, const uint8_t *buf, size_t len,
                    char **error);

/*
 * Bytes @load refuses are refused with a reason; bytes it takes save, load
 * again and save to the same bytes.
 */
static void check(OpalTPer *tper, OpalTPer *again, SaveFn *save, LoadFn *load,
                  const uint8_t *data, size_t size)
{
    char *error = NULL;
    uint8_t *saved, *resaved;
    size_t len, relen;

    if (!load(tper, data, size, &error)) {
        if (!error) {
            abort();                    /* a refusal always says why */
        }
        g_free(error);
        return;
    }
    saved = save(tper, &len);
    if (!load(again, saved, len, &error)) {
        abort();
    }
    resaved = save(again, &relen);
    if (len != relen || memcmp(saved, resaved, len)) {
        abort();
    }
    /* They may hold clear keys: wiped, as the engine asks of every copy. */
    opal_secret_free(saved, len);
    opal_secret_free(resaved, relen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static OpalTPer *tper, *again;

    if (!tper) {
        tper = opal_tper_new(&config);
        again = opal_tper_new(&config);
    }
    /*
     * As read from an image, as a migration stream carries it, as savevm keeps
     * it.
     */
    check(tper, again, opal_tper_save, opal_tper_load, data, size);
    check(tper, again, opal_tper_save_running, opal_tper_load_running, data,
          size);
    check(tper, again, opal_tper_save_snapshot, opal_tper_load_running, data,
          size);
    return 0;
}
