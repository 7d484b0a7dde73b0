/*
 * ide-opal-hd: what the drive keeps of its secrets
 *
 * Two rules, so that a copy of the drive's non-volatile state says nothing a
 * thief could use (the failure Meijer and van Gastel found in real drives,
 * "Self-encrypting deception", IEEE S&P 2019):
 *
 * - No PIN is kept.  A C_PIN row keeps a verifier instead, in a column of
 *   its own that no host can read or write: a random salt, the PBKDF2
 *   iteration count and the first half of PBKDF2-HMAC-SHA256(PIN, salt).
 *   The second half is the authority's key-encryption key (KEK): the drive
 *   can only compute it while a host presents the PIN.  Only C_PIN_MSID keeps
 *   its PIN in the clear: Anybody may read it (Opal SSC 2.02, 4.2.1.8).
 *
 * - No media key is kept.  Each K_AES_256 row keeps its key wrapped (AES key
 *   wrap, RFC 3394) once for every authority that may unlock its range - that
 *   may Set the range's ReadLocked - whose KEK the drive has learnt since
 *   power-on (from an Authenticate or a PIN change).  A range that comes up
 *   readable at power-on needs its key without any PIN; only then is the key
 *   wrapped under a fixed, public KEK as well, which protects nothing and is
 *   not meant to: the range is not locked.
 *
 * So the clear keys and the KEKs live in memory only (the Key column and
 * tper->keks), until a power cycle forgets those of ranges that come up
 * read-locked; a host then has to present a PIN again, which brings back the
 * KEK, which unwraps the key.
 *
 * Nor does a copy outlive its use in freed memory, where the next allocation,
 * a core dump or a bug that reads the heap would find it: whatever held a
 * PIN, a KEK or a clear media key is wiped before it is freed (opal_wipe(),
 * opal_secret_free()).  Every table cell wipes itself when its last reference
 * goes (opal_secret_bytes_new()): any cell may hold a secret for a while - a
 * new PIN before it becomes a verifier, a clear key - and a few bytes of
 * memset are cheaper than a list of which do.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

#define SALT_LEN            16
/* verifier, KEK: the halves of PBKDF2's output */
#define HALF_LEN            OPAL_KEK_LEN
#define VERIFIER_VERSION    1

/* Verifier record: version, iterations (BE32), salt, verifier. */
#define VERIFIER_RECORD_LEN (1 + 4 + SALT_LEN + HALF_LEN)

/*
 * Wrapped-key entry: the authority's UID (BE64; 0 = the public KEK), the
 * wrapped key.
 */
#define WRAPPED_KEY_LEN     (OPAL_MEDIA_KEY_LEN + 8)
#define WRAP_ENTRY_LEN      (8 + WRAPPED_KEY_LEN)
#define PUBLIC_KEK_OWNER    0

static const uint8_t public_kek[HALF_LEN];

unsigned opal_kdf_iterations(const OpalConfig *config)
{
    return config->kdf_iterations ? config->kdf_iterations :
                                    OPAL_KDF_ITERATIONS_DEFAULT;
}

/* PBKDF2-HMAC-SHA256 of @pin: verifier || KEK. */
static void derive(const OpalConfig *config, const uint8_t *pin, size_t len,
                   const uint8_t *salt, unsigned iterations,
                   uint8_t out[2 * HALF_LEN])
{
    bool ok = config->crypto->pbkdf2_sha256(pin, len, salt, SALT_LEN,
                                            iterations, out, 2 * HALF_LEN);

    g_assert(ok);       /* only bad arguments fail, and these are fixed */
}

/* ---- wiping: no copy of a secret outlives its use in freed memory ---- */

/*
 * memset() called through a volatile pointer: the compiler cannot tell that
 * it is memset(), so it cannot drop it as a dead store before a free().
 */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void opal_wipe(void *p, size_t len)
{
    if (len) {
        wipe_memset(p, 0, len);
    }
}

void opal_secret_free(void *p, size_t len)
{
    if (p) {
        opal_wipe(p, len);
        g_free(p);
    }
}

typedef struct SecretBytes {
    void *data;
    size_t len;
} SecretBytes;

static void secret_bytes_free(gpointer p)
{
    SecretBytes *s = p;

    opal_secret_free(s->data, s->len);
    g_free(s);
}

/* A GBytes of @data (taken over), wiped when its last reference goes. */
static GBytes *secret_bytes_take(void *data, size_t len)
{
    SecretBytes *s = g_new(SecretBytes, 1);

    s->data = data;
    s->len = len;
    return g_bytes_new_with_free_func(data, len, secret_bytes_free, s);
}

GBytes *opal_secret_bytes_new(const void *data, size_t len)
{
    return secret_bytes_take(g_memdup2(data, len), len);
}

GBytes *opal_secret_bytes_from_array(GByteArray *b)
{
    size_t len = b->len;

    return secret_bytes_take(g_byte_array_free(b, false), len);
}

/*
 * Constant-time comparison: how long it takes says nothing about the verifier.
 */
static bool equal_ct(const uint8_t *a, const uint8_t *b, size_t len)
{
    uint8_t diff = 0;

    for (size_t i = 0; i < len; i++) {
        diff |= a[i] ^ b[i];
    }
    return diff == 0;
}

uint64_t opal_credential_owner(const OpalSP *sp, uint64_t cpin_uid)
{
    const OpalTable *auths = opal_sp_table(sp, OPAL_UID_TABLE_AUTHORITY);
    uint64_t credential;

    for (guint i = 0; auths && i < auths->rows->len; i++) {
        const OpalRow *a = g_ptr_array_index(auths->rows, i);

        if (opal_row_get_uid(a, OPAL_COL_AUTHORITY_CREDENTIAL, &credential) &&
            credential == cpin_uid) {
            return a->uid;
        }
    }
    return 0;
}

uint8_t *opal_pin_store(const OpalConfig *config, OpalRow *cpin,
                        const uint8_t *pin, size_t len)
{
    uint8_t record[VERIFIER_RECORD_LEN], derived[2 * HALF_LEN];
    unsigned iterations = opal_kdf_iterations(config);
    uint8_t *kek;

    g_clear_pointer(&cpin->cells[OPAL_COL_C_PIN_PIN], g_bytes_unref);
    if (cpin->uid == OPAL_UID_C_PIN_MSID) {
        opal_row_set_bytes(cpin, OPAL_COL_C_PIN_PIN, pin, len);
        return NULL;
    }
    if (!len) {
        /* The empty PIN is no secret: nothing to hide, no KEK worth having. */
        g_clear_pointer(&cpin->cells[OPAL_COL_C_PIN_VERIFIER], g_bytes_unref);
        return NULL;
    }
    record[0] = VERIFIER_VERSION;
    opal_put_be32(record + 1, iterations);
    if (!config->crypto->random_bytes(record + 5, SALT_LEN)) {
        g_error("ide-opal-hd: no random bytes for a PIN's salt");
    }
    derive(config, pin, len, record + 5, iterations, derived);
    memcpy(record + 5 + SALT_LEN, derived, HALF_LEN);
    opal_row_set_bytes(cpin, OPAL_COL_C_PIN_VERIFIER, record, sizeof(record));
    kek = g_memdup2(derived + HALF_LEN, HALF_LEN);
    opal_wipe(derived, sizeof(derived));
    return kek;
}

bool opal_pin_check(const OpalConfig *config, const OpalRow *cpin,
                    const uint8_t *proof, size_t len, uint8_t **kek)
{
    uint8_t derived[2 * HALF_LEN];
    const uint8_t *record;
    size_t record_len;
    bool match;

    *kek = NULL;
    if (!opal_row_get_bytes(cpin, OPAL_COL_C_PIN_VERIFIER, &record,
                            &record_len)) {
        return len == 0;        /* no verifier: the PIN is empty */
    }
    if (record_len != VERIFIER_RECORD_LEN || record[0] != VERIFIER_VERSION) {
        return false;           /* opal_pin_record_valid() keeps these out */
    }
    derive(config, proof, len, record + 5, opal_get_be32(record + 1),
           derived);
    match = equal_ct(derived, record + 5 + SALT_LEN, HALF_LEN);
    if (match) {
        *kek = g_memdup2(derived + HALF_LEN, HALF_LEN);
    }
    opal_wipe(derived, sizeof(derived));
    return match;
}

/*
 * The most PBKDF2 iterations a verifier on this drive can ask for: what the
 * drive writes itself (opal_pin_store()), or the default, which a drive
 * configured with fewer may have written before.  A real drive's firmware
 * fixes its count; a verifier asking for more was not written by this
 * drive, and a crafted image must not make every Authenticate take seconds
 * (and hold the TPer, and the guest's TRUSTED SEND, that long).
 */
unsigned opal_kdf_iterations_max(const OpalConfig *config)
{
    return MAX(config->kdf_iterations, OPAL_KDF_ITERATIONS_DEFAULT);
}

bool opal_pin_record_valid(const OpalConfig *config, const uint8_t *record,
                           size_t len, GString *why)
{
    unsigned max = opal_kdf_iterations_max(config);
    uint32_t iterations;

    if (len != VERIFIER_RECORD_LEN || record[0] != VERIFIER_VERSION) {
        g_string_append(why, "not a PIN verifier record");
        return false;
    }
    iterations = opal_get_be32(record + 1);
    if (iterations < 1 || iterations > max) {
        g_string_append_printf(why, "its PIN verifier asks for %u PBKDF2 "
                               "iterations, where this drive writes 1 to %u "
                               "(a crafted image, or kdf-iterations set "
                               "lower than when the PIN was set?)",
                               (unsigned)iterations, max);
        return false;
    }
    return true;
}

bool opal_wrapped_keys_valid(const uint8_t *entries, size_t len)
{
    return len % WRAP_ENTRY_LEN == 0;
}

/* ---- media keys ---------------------------------------------------------- */

/*
 * AES key wrap (RFC 3394, 2.2.1 and 2.2.2) on the library's AES block cipher:
 * byte for byte what libgcrypt's GCRY_CIPHER_MODE_AESWRAP makes, which
 * wrapped the keys in images of earlier versions of the drive.
 */
static const uint8_t wrap_iv[8] = {
    0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6,
};

static void wrap_xor_t(uint8_t *a, uint64_t t)
{
    for (int i = 7; i >= 0; i--, t >>= 8) {
        a[i] ^= t & 0xff;
    }
}

bool opal_aes_key_wrap(const OpalCrypto *crypto, const uint8_t *kek,
                       const uint8_t *in, size_t len, uint8_t *out)
{
    OpalAes256 *aes;
    size_t n = len / 8;
    uint8_t b[16];
    bool ok = true;

    g_assert(len % 8 == 0 && n >= 2);
    aes = crypto->aes256_new(kek);
    if (!aes) {
        return false;
    }
    memcpy(b, wrap_iv, 8);                          /* A */
    memmove(out + 8, in, len);                      /* R[1..n] */
    for (unsigned j = 0; j <= 5 && ok; j++) {
        for (size_t i = 1; i <= n && ok; i++) {
            memcpy(b + 8, out + 8 * i, 8);
            ok = crypto->aes256_ecb(aes, false, b, b, sizeof(b));
            wrap_xor_t(b, n * j + i);
            memcpy(out + 8 * i, b + 8, 8);
        }
    }
    memcpy(out, b, 8);
    crypto->aes256_free(aes);
    opal_wipe(b, sizeof(b));
    if (!ok) {
        opal_wipe(out, len + 8);
    }
    return ok;
}

bool opal_aes_key_unwrap(const OpalCrypto *crypto, const uint8_t *kek,
                         const uint8_t *in, size_t len, uint8_t *out)
{
    OpalAes256 *aes;
    size_t n = len / 8;
    uint8_t b[16];
    bool ok = true;

    g_assert(len % 8 == 0 && n >= 2);
    aes = crypto->aes256_new(kek);
    if (!aes) {
        return false;
    }
    memcpy(b, in, 8);                               /* A */
    memmove(out, in + 8, len);                      /* R[1..n] */
    for (int j = 5; j >= 0 && ok; j--) {
        for (size_t i = n; i >= 1 && ok; i--) {
            wrap_xor_t(b, n * j + i);
            memcpy(b + 8, out + 8 * (i - 1), 8);
            ok = crypto->aes256_ecb(aes, true, b, b, sizeof(b));
            memcpy(out + 8 * (i - 1), b + 8, 8);
        }
    }
    crypto->aes256_free(aes);
    /* The integrity check: the wrong KEK does not give back the IV. */
    ok = ok && equal_ct(b, wrap_iv, 8);
    opal_wipe(b, sizeof(b));
    if (!ok) {
        opal_wipe(out, len);
    }
    return ok;
}

static bool key_wrap(const OpalCrypto *crypto, const uint8_t *kek,
                     const uint8_t *key, uint8_t *out, bool unwrap)
{
    /* unwrapping under the wrong KEK fails its integrity check */
    return unwrap ? opal_aes_key_unwrap(crypto, kek, key, OPAL_MEDIA_KEY_LEN,
                                        out) :
                    opal_aes_key_wrap(crypto, kek, key, OPAL_MEDIA_KEY_LEN,
                                      out);
}

/* The K_AES_256 row that holds the media key of locking range @range. */
static OpalRow *key_of(const OpalSP *sp, const OpalRow *range)
{
    uint64_t key_uid;

    return opal_row_get_uid(range, OPAL_COL_LOCKING_ACTIVE_KEY, &key_uid) ?
           opal_sp_row(sp, key_uid) : NULL;
}

/*
 * Whether @range comes up read-locked at power-on: then only a PIN may bring
 * its key.
 */
static bool locked_at_power_on(const OpalRow *range)
{
    uint64_t rle = 0, rl = 0;

    opal_row_get_uint(range, OPAL_COL_LOCKING_READ_LOCK_ENABLED, &rle);
    opal_row_get_uint(range, OPAL_COL_LOCKING_READ_LOCKED, &rl);
    return rle &&
           (rl ||
            (opal_cell_uint_set(range->cells[OPAL_COL_LOCKING_LOCK_ON_RESET]) &
             (1u << OPAL_RESET_POWER_CYCLE)));
}

/* Whether @authority may unlock @range for reading: Set on its ReadLocked. */
static bool may_unlock(const OpalSP *sp, const OpalRow *range,
                       uint64_t authority)
{
    OpalAuthSet auth = { .uids = { authority }, .n = 1 };
    uint32_t columns;

    return opal_access_check(sp, &auth, range->uid, OPAL_UID_M_SET, &columns,
                             NULL) &&
           (columns & (1u << OPAL_COL_LOCKING_READ_LOCKED));
}

bool opal_media_key_known(const OpalRow *key)
{
    return key && key->cells[OPAL_COL_K_AES_KEY];
}

bool opal_range_key_known(const OpalSP *sp, const OpalRow *range)
{
    return opal_media_key_known(key_of(sp, range));
}

static void append_entry(const OpalCrypto *crypto, GByteArray *out,
                         uint64_t owner, const uint8_t *kek,
                         const uint8_t *key)
{
    uint8_t entry[WRAP_ENTRY_LEN];

    opal_put_be64(entry, owner);
    if (key_wrap(crypto, kek, key, entry + 8, false)) {
        g_byte_array_append(out, entry, sizeof(entry));
    }
}

/*
 * The wrapped copies @range's key should have now: one per authority with a
 * known KEK that may unlock it, the entries of other authorities that still
 * may (their KEKs are not at hand, their copies are still good), and the
 * public one if the range comes up readable - or if no PIN could bring the
 * key back, which would lose the range's data (traced: it is not protected).
 */
static bool rewrap_range(OpalTPer *tper, const OpalSP *sp, const OpalRow *range)
{
    OpalRow *key_row = key_of(sp, range);
    g_autoptr(GByteArray) entries = g_byte_array_new();
    const uint8_t *key, *old = NULL;
    size_t key_len, old_len = 0;
    GHashTableIter iter;
    gpointer uid_p, kek;

    if (!key_row ||
        !opal_row_get_bytes(key_row, OPAL_COL_K_AES_KEY, &key, &key_len) ||
        key_len != OPAL_MEDIA_KEY_LEN) {
        return false;   /* not in memory: its wrapped copies stay as they are */
    }
    opal_row_get_bytes(key_row, OPAL_COL_K_AES_WRAPPED, &old, &old_len);
    g_hash_table_iter_init(&iter, tper->keks);
    while (g_hash_table_iter_next(&iter, &uid_p, &kek)) {
        uint64_t uid = *(uint64_t *)uid_p;

        if (may_unlock(sp, range, uid)) {
            append_entry(tper->config.crypto, entries, uid, kek, key);
        }
    }
    for (size_t off = 0; off + WRAP_ENTRY_LEN <= old_len;
         off += WRAP_ENTRY_LEN) {
        uint64_t uid = opal_get_be64(old + off);

        if (uid != PUBLIC_KEK_OWNER &&
            !g_hash_table_contains(tper->keks, &uid) &&
            may_unlock(sp, range, uid)) {
            g_byte_array_append(entries, old + off, WRAP_ENTRY_LEN);
        }
    }
    if (!locked_at_power_on(range) || !entries->len) {
        if (locked_at_power_on(range)) {
            opal_trace(tper, tper_event, range->uid,
                       "the range comes up locked, but no authority that may "
                       "unlock it has presented a PIN since power-on: its "
                       "key stays unprotected");
        }
        append_entry(tper->config.crypto, entries, PUBLIC_KEK_OWNER,
                     public_kek, key);
    }
    if (old_len == entries->len && !memcmp(old, entries->data, old_len)) {
        return false;   /* AES key wrap is deterministic: the same copies */
    }
    opal_row_set_bytes(key_row, OPAL_COL_K_AES_WRAPPED, entries->data,
                       entries->len);
    return true;
}

static const OpalTable *ranges_of(const OpalTPer *tper)
{
    return opal_sp_table(tper->locking_sp, OPAL_UID_TABLE_LOCKING);
}

bool opal_secrets_rewrap(OpalTPer *tper)
{
    const OpalTable *ranges = ranges_of(tper);
    bool changed = false;

    for (guint i = 0; i < ranges->rows->len; i++) {
        changed |= rewrap_range(tper, tper->locking_sp,
                                g_ptr_array_index(ranges->rows, i));
    }
    return changed;
}

/*
 * Unwraps every key @owner holds a copy of under @kek; true if one came back.
 */
static bool unwrap_keys(OpalTPer *tper, uint64_t owner, const uint8_t *kek)
{
    const OpalTable *ranges = ranges_of(tper);
    bool found = false;

    for (guint i = 0; i < ranges->rows->len; i++) {
        OpalRow *key_row =
            key_of(tper->locking_sp, g_ptr_array_index(ranges->rows, i));
        const uint8_t *entries;
        size_t len;

        if (!key_row || opal_media_key_known(key_row) ||
            !opal_row_get_bytes(key_row, OPAL_COL_K_AES_WRAPPED, &entries,
                                &len)) {
            continue;
        }
        for (size_t off = 0; off + WRAP_ENTRY_LEN <= len;
             off += WRAP_ENTRY_LEN) {
            uint8_t key[OPAL_MEDIA_KEY_LEN];

            if (opal_get_be64(entries + off) == owner &&
                key_wrap(tper->config.crypto, kek, entries + off + 8, key,
                         true)) {
                opal_row_set_bytes(key_row, OPAL_COL_K_AES_KEY, key,
                                   sizeof(key));
                opal_wipe(key, sizeof(key));
                found = true;
                break;
            }
        }
    }
    return found;
}

unsigned opal_secrets_learn(OpalTPer *tper, uint64_t authority, uint8_t *kek)
{
    uint64_t *uid = g_memdup2(&authority, sizeof(authority));

    g_hash_table_replace(tper->keks, uid, kek);
    /*
     * New keys in memory change the media; new wrapped copies, the saved state.
     */
    return (unwrap_keys(tper, authority, kek) ? OPAL_CHANGE_MEDIA : 0) |
           (opal_secrets_rewrap(tper) ? OPAL_CHANGE_PERSISTENT : 0);
}

void opal_secrets_forget_kek(OpalTPer *tper, uint64_t authority)
{
    g_hash_table_remove(tper->keks, &authority);
}

void opal_secrets_power_on(OpalTPer *tper)
{
    const OpalTable *ranges = ranges_of(tper);

    g_hash_table_remove_all(tper->keks);
    for (guint i = 0; i < ranges->rows->len; i++) {
        const OpalRow *range = g_ptr_array_index(ranges->rows, i);
        OpalRow *key_row = key_of(tper->locking_sp, range);

        if (key_row && locked_at_power_on(range)) {
            g_clear_pointer(&key_row->cells[OPAL_COL_K_AES_KEY], g_bytes_unref);
        }
    }
    unwrap_keys(tper, PUBLIC_KEK_OWNER, public_kek);
}

/*
 * A snapshot resumes the drive where it was, so a readable range needs its
 * clear key; but the snapshot is kept in the image, which must not hold what
 * decrypts a range that was locked at the time.  So a key is kept only if
 * no range using it has ReadLocked True - even one whose ReadLockEnabled is
 * False: that range reads, but nothing is lost by leaving its key out, as
 * such a range comes up readable at power-on and its key has a public copy,
 * which opal_secrets_resume() unwraps.  A key no range uses has no reader.
 */
bool opal_secrets_snapshot_keeps(const OpalSP *sp, const OpalRow *key)
{
    const OpalTable *ranges = opal_sp_table(sp, OPAL_UID_TABLE_LOCKING);
    bool used = false;

    for (guint i = 0; ranges && i < ranges->rows->len; i++) {
        const OpalRow *range = g_ptr_array_index(ranges->rows, i);
        uint64_t key_uid, rl = 0;

        if (!opal_row_get_uid(range, OPAL_COL_LOCKING_ACTIVE_KEY, &key_uid) ||
            key_uid != key->uid) {
            continue;
        }
        opal_row_get_uint(range, OPAL_COL_LOCKING_READ_LOCKED, &rl);
        if (rl) {
            return false;
        }
        used = true;
    }
    return used;
}

void opal_secrets_resume(OpalTPer *tper)
{
    /*
     * A snapshot left out the keys of read-locked ranges.  Those with a
     * public copy - ranges that come up readable at power-on, which no PIN
     * protects - come back from it, as at power-on; the others wait for a
     * PIN.  Nothing else changes: a migrated drive has every such key
     * already (power-on unwrapped them, and nothing but a power cycle
     * forgets a key).
     */
    unwrap_keys(tper, PUBLIC_KEK_OWNER, public_kek);
}

static void kek_free(gpointer kek)
{
    opal_secret_free(kek, HALF_LEN);
}

void opal_secrets_init(OpalTPer *tper)
{
    tper->keks =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, kek_free);
}

/* ---- the SID Value State (Block SID Authentication, Level 0 Discovery) --- */

void opal_sid_value_forget(OpalTPer *tper)
{
    g_clear_pointer(&tper->sid_value_verifier, g_bytes_unref);
    tper->sid_value_known = false;
}

void opal_sid_value_note(OpalTPer *tper, bool differs)
{
    OpalRow *sid = opal_sp_row(tper->admin_sp, OPAL_UID_C_PIN_SID);
    GBytes *verifier = sid ? sid->cells[OPAL_COL_C_PIN_VERIFIER] : NULL;

    opal_sid_value_forget(tper);
    tper->sid_value_differs = differs;
    if (verifier) {
        /*
         * Held, so that no other verifier can ever be this one at this address.
         */
        tper->sid_value_verifier = g_bytes_ref(verifier);
        tper->sid_value_known = true;
    }
}

bool opal_sid_value_differs(OpalTPer *tper)
{
    OpalRow *sid = opal_sp_row(tper->admin_sp, OPAL_UID_C_PIN_SID);
    OpalRow *msid = opal_sp_row(tper->admin_sp, OPAL_UID_C_PIN_MSID);
    const uint8_t *pin = NULL;
    size_t len = 0;
    uint8_t *kek = NULL;
    bool same;

    if (!sid || !msid) {
        return false;
    }
    opal_row_get_bytes(msid, OPAL_COL_C_PIN_PIN, &pin, &len);
    if (!sid->cells[OPAL_COL_C_PIN_VERIFIER]) {
        /* SID's PIN is empty: it differs unless MSID's is too. */
        opal_sid_value_note(tper, len != 0);
        return len != 0;
    }
    if (tper->sid_value_known &&
        tper->sid_value_verifier == sid->cells[OPAL_COL_C_PIN_VERIFIER]) {
        return tper->sid_value_differs;
    }
    same = opal_pin_check(&tper->config, sid, pin, len, &kek);
    /* A proof of MSID's PIN, which anybody can read; still, none lies about. */
    opal_secret_free(kek, HALF_LEN);
    opal_sid_value_note(tper, !same);
    return !same;
}
