/*
 * ide-opal-hd: life cycle of the SPs and their media keys
 *
 * Opal 5.1: the LockingSP leaves the factory Manufactured-Inactive; SID's
 * Activate makes it Manufactured (and gives Admin1 SID's PIN); Revert puts an
 * SP - or, on the AdminSP, the whole TPer - back to the factory state, and
 * RevertSP lets the LockingSP's Admins do that to their own SP.  A LockingSP
 * that goes back to the factory state gets new media keys: the old data is
 * gone (cryptographic erase), which is also what GenKey does to one range.
 * One that is Manufactured-Inactive already is left alone, keys included
 * (Opal 5.1.2.2).
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

/* XTS-AES-256 takes two 256-bit keys (IEEE 1619). */
#define MEDIA_KEY_LEN       64
#define KEY_COLUMN          3       /* K_AES_256.Key (Core 5.6.2.x) */

/* RevertSP's KeepGlobalRangeKey (Opal 5.1.3). */
#define REVERTSP_KEEP_GLOBAL_RANGE_KEY  0x060000

static OpalRow *locking_sp_object(const OpalTPer *tper)
{
    return opal_sp_row(tper->admin_sp, OPAL_UID_LOCKINGSP);
}

bool opal_locking_sp_active(const OpalTPer *tper)
{
    uint64_t state = 0;

    return opal_row_get_uint(locking_sp_object(tper), OPAL_COL_SP_LIFE_CYCLE,
                             &state) &&
           state == OPAL_LIFE_CYCLE_MANUFACTURED;
}

static void new_media_key(const OpalConfig *config, OpalRow *key)
{
    uint8_t bytes[MEDIA_KEY_LEN];

    if (!config->crypto->random_bytes(bytes, sizeof(bytes))) {
        /* As libgcrypt's own generator does: no drive without keys. */
        g_error("ide-opal-hd: no random bytes for a media key");
    }
    opal_row_set_bytes(key, KEY_COLUMN, bytes, sizeof(bytes));
    /*
     * Copies of the old key are worthless now; opal_secrets_rewrap() makes new
     * ones.
     */
    g_clear_pointer(&key->cells[OPAL_COL_K_AES_WRAPPED], g_bytes_unref);
    opal_wipe(bytes, sizeof(bytes));                /* the stack copy */
}

/* A fresh LockingSP: factory tables, every range with a new key. */
static OpalSP *new_locking_sp(OpalTPer *tper)
{
    OpalSP *sp = opal_locking_sp_new(&tper->config);
    OpalTable *keys = opal_sp_table(sp, OPAL_UID_TABLE_K_AES_256);

    for (guint i = 0; i < keys->rows->len; i++) {
        new_media_key(&tper->config, g_ptr_array_index(keys->rows, i));
    }
    return sp;
}

/* Sessions whose SP goes away end without notice (Core 3.3.7.4). */
static void abort_sessions_on(OpalTPer *tper, uint64_t sp_uid,
                              const OpalSession *keep)
{
    for (int i = 0; i < OPAL_MAX_SESSIONS; i++) {
        OpalSession *s = &tper->sessions[i];

        if (s->tsn && s->sp_uid == sp_uid && s != keep) {
            memset(s, 0, sizeof(*s));
        }
    }
}

void opal_sps_factory_reset(OpalTPer *tper)
{
    const OpalConfig *c = &tper->config;

    opal_sp_free(tper->admin_sp);
    opal_sp_free(tper->locking_sp);
    /* every PIN is the factory's again */
    g_hash_table_remove_all(tper->keks);
    tper->admin_sp =
        opal_admin_sp_new(c, (const uint8_t *)c->msid, strlen(c->msid),
                          (const uint8_t *)c->psid, strlen(c->psid));
    tper->locking_sp = new_locking_sp(tper);
    opal_sid_value_note(tper, false);           /* SID's PIN is MSID's again */
    /* A factory drive is unlocked: its keys are saved under the public KEK. */
    opal_secrets_rewrap(tper);
}

/*
 * Revert of the LockingSP alone: back to Manufactured-Inactive, all data gone.
 * Its sessions end, except @caller's, which RevertSP answers first.
 */
/*
 * A store that keeps the LockingSP's byte tables apart hears that they are
 * zeros again.
 */
static void erase_byte_tables(OpalTPer *tper)
{
    const OpalSP *sp = tper->locking_sp;

    for (guint i = 0; i < sp->tables->len; i++) {
        const OpalTable *table = g_ptr_array_index(sp->tables, i);

        if (table->def->kind == OPAL_TABLE_BYTE) {
            opal_byte_written(tper, table->def->uid, 0, NULL, table->byte_size);
        }
    }
}

/* KEKs of authorities that are not the AdminSP's: those of the LockingSP. */
static gboolean kek_of_locking_sp(gpointer uid, gpointer kek, gpointer tper)
{
    return !opal_sp_row(((OpalTPer *)tper)->admin_sp, *(uint64_t *)uid);
}

static void revert_locking_sp(OpalTPer *tper, const OpalSession *caller,
                              const uint8_t *keep_key, size_t keep_len)
{
    g_hash_table_foreach_remove(tper->keks, kek_of_locking_sp, tper);
    erase_byte_tables(tper);
    opal_sp_free(tper->locking_sp);
    tper->locking_sp = new_locking_sp(tper);
    if (keep_key) {
        opal_row_set_bytes(opal_sp_row(tper->locking_sp,
                                       OPAL_UID_K_AES_256_GLOBALRANGE_KEY),
                           KEY_COLUMN, keep_key, keep_len);
    }
    opal_row_set_uint(locking_sp_object(tper), OPAL_COL_SP_LIFE_CYCLE,
                      OPAL_LIFE_CYCLE_MANUFACTURED_INACTIVE);
    abort_sessions_on(tper, OPAL_UID_LOCKINGSP, caller);
}

/* Whether the reset_types list in @column of @row holds @type. */
static bool resets_on(const OpalRow *row, uint32_t column, OpalReset type)
{
    return opal_cell_uint_set(row->cells[column]) & (1ULL << type);
}

/*
 * Core 5.3.2.12: a C_PIN row whose Persistence is False counts its failed
 * Tries since the last success or power cycle, whichever came last; so a
 * power cycle ends the lock-out of an authority whose Tries reached its
 * TryLimit.  Returns how many rows had failed tries.
 */
static unsigned reset_tries(OpalSP *sp)
{
    const OpalTable *cpins = opal_sp_table(sp, OPAL_UID_TABLE_C_PIN);
    unsigned n = 0;

    for (guint i = 0; i < cpins->rows->len; i++) {
        OpalRow *cpin = g_ptr_array_index(cpins->rows, i);
        uint64_t tries = 0, persistence = 0;

        opal_row_get_uint(cpin, OPAL_COL_C_PIN_TRIES, &tries);
        opal_row_get_uint(cpin, OPAL_COL_C_PIN_PERSISTENCE, &persistence);
        if (tries && !persistence) {
            opal_row_set_uint(cpin, OPAL_COL_C_PIN_TRIES, 0);
            n++;
        }
    }
    return n;
}

void opal_tper_reset(OpalTPer *tper, OpalReset type)
{
    const OpalTable *ranges;
    OpalRow *mbr;
    unsigned changes = 0, tries = 0;

    /* First, for an open transaction's abort puts other SPs in place. */
    opal_session_abort_all(tper);
    ranges = opal_sp_table(tper->locking_sp, OPAL_UID_TABLE_LOCKING);
    mbr = opal_sp_row(tper->locking_sp, OPAL_UID_MBRCONTROL_OBJ);
    opal_block_sid_reset(tper, type);
    if (type == OPAL_RESET_POWER_CYCLE) {
        tries = reset_tries(tper->admin_sp) + reset_tries(tper->locking_sp);
    }
    if (tries) {
        opal_trace(tper, tper_event, 0,
                   "power cycle: Tries back to 0, ending any lock-out");
        changes = OPAL_CHANGE_PERSISTENT;
    }
    if (!opal_locking_sp_active(tper)) {
        /* Manufactured-Inactive: nothing is locked or shadowed. */
        opal_trace(tper, reset, type, false);
        if (type == OPAL_RESET_POWER_CYCLE) {
            opal_changed(tper, changes);
            opal_secrets_power_on(tper);
        }
        return;
    }
    /* Core 5.7.2.2.10: a listed reset sets both locks, whatever RLE/WLE say. */
    for (guint i = 0; i < ranges->rows->len; i++) {
        OpalRow *r = g_ptr_array_index(ranges->rows, i);

        if (resets_on(r, OPAL_COL_LOCKING_LOCK_ON_RESET, type)) {
            opal_row_set_uint(r, OPAL_COL_LOCKING_READ_LOCKED, 1);
            opal_row_set_uint(r, OPAL_COL_LOCKING_WRITE_LOCKED, 1);
            changes = OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA;
        }
    }
    if (resets_on(mbr, OPAL_COL_MBRCONTROL_DONE_ON_RESET, type)) {
        opal_row_set_uint(mbr, OPAL_COL_MBRCONTROL_DONE, 0);
        changes = OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA;
    }
    opal_trace(tper, reset, type, changes & OPAL_CHANGE_MEDIA);
    if (type == OPAL_RESET_POWER_CYCLE) {
        /*
         * The state, wrapped copies included, is saved before memory is lost.
         */
        opal_changed(tper, changes);
        opal_secrets_power_on(tper);
        changes = OPAL_CHANGE_MEDIA;
    }
    opal_changed(tper, changes);
}

OpalStatus opal_method_activate(MethodContext *m)
{
    OpalRow *admin1_pin, *sid_pin;
    uint64_t sid = OPAL_UID_AUTH_SID, sum_objects;
    uint64_t ds_sizes[OPAL_DATASTORE_MAX_TABLES];
    size_t nr_ds;
    bool admins_own_range;
    const uint8_t *kek;
    const OpalValue *ds_list =
        opal_call_optional(m->call, OPAL_DS_PARAM_ACTIVATE_SIZES);
    size_t params =
        !!opal_call_optional(m->call, OPAL_SUM_PARAM_SELECTION_LIST) +
        !!opal_call_optional(m->call, OPAL_SUM_PARAM_POLICY) + !!ds_list;
    OpalStatus status;

    /*
     * Single User Mode's SingleUserSelectionList and
     * RangeStartRangeLengthPolicy (SUM FS, Activate) and the Additional
     * DataStore Tables' DataStoreTableSizes (DSFS 3.1.2.1) are the optional
     * parameters this TPer takes, all of them about the LockingSP.
     */
    if (m->call->nr_required || m->call->nr_optional != params) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Activate takes no "
                           "required parameter, and only the optional "
                           "0x060000-0x060002 (Single User Mode, DataStore "
                           "tables)");
    }
    if (params && m->call->invoking_uid != OPAL_UID_LOCKINGSP) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Activate's optional "
                           "parameters are about the LockingSP only");
    }
    /* These two trace their own reasons. */
    status = opal_sum_parse(m->tper, m->call, &sum_objects, &admins_own_range);
    if (status == OPAL_ST_SUCCESS) {
        status = opal_datastore_parse(m->tper, ds_list, ds_sizes, &nr_ds);
    }
    if (status != OPAL_ST_SUCCESS) {
        return status;
    }
    if (m->call->invoking_uid != OPAL_UID_LOCKINGSP ||
        opal_locking_sp_active(m->tper)) {
        /* nothing to activate: no effect (Opal 5.1.1) */
        return OPAL_ST_SUCCESS;
    }
    sid_pin = opal_sp_row(m->tper->admin_sp, OPAL_UID_C_PIN_SID);
    admin1_pin = opal_sp_row(m->tper->locking_sp, OPAL_UID_C_PIN_ADMIN(1));
    if (!sid_pin || !admin1_pin) {
        return opal_refuse(m, OPAL_ST_FAIL, "C_PIN_SID or the LockingSP's "
                           "C_PIN_Admin1 is missing");
    }
    /* The same PIN: the same verifier, salt included, and so the same KEK. */
    g_clear_pointer(&admin1_pin->cells[OPAL_COL_C_PIN_VERIFIER], g_bytes_unref);
    if (sid_pin->cells[OPAL_COL_C_PIN_VERIFIER]) {
        admin1_pin->cells[OPAL_COL_C_PIN_VERIFIER] =
            g_bytes_ref(sid_pin->cells[OPAL_COL_C_PIN_VERIFIER]);
    }
    kek = g_hash_table_lookup(m->tper->keks, &sid);
    if (kek) {
        opal_secrets_learn(m->tper, OPAL_UID_ADMIN(1),
                           g_memdup2(kek, OPAL_KEK_LEN));
    }
    opal_row_set_uint(locking_sp_object(m->tper), OPAL_COL_SP_LIFE_CYCLE,
                      OPAL_LIFE_CYCLE_MANUFACTURED);
    opal_sum_apply(&m->tper->config, m->tper->locking_sp, sum_objects,
                   admins_own_range);
    opal_datastore_apply(m->tper->locking_sp, ds_sizes, nr_ds);
    opal_explain(m->tper, sum_objects ?
                 "LockingSP activated, Admin1 has SID's PIN, Single User Mode "
                 "for the selected Locking objects" :
                 "LockingSP activated, Admin1 has SID's PIN");
    return OPAL_ST_SUCCESS;
}

/*
 * Reactivate (SUM FS, Reactivate), by the LockingSP's Admins while it is in
 * Single User Mode: the LockingSP starts over as Activate left it - every
 * table back to its factory values, every range with a new key, so no user's
 * data survives a change of owners [verify: the FS may keep the data of ranges
 * whose owner stays] - with the new selection and policy, and Admin1 keeping
 * its PIN, or taking Admin1PIN if given.  Then the session ends, as after
 * RevertSP: every table it worked with is new.
 */
OpalStatus opal_method_reactivate(MethodContext *m)
{
    OpalTPer *tper = m->tper;
    const OpalValue *pin_v =
        opal_call_optional(m->call, OPAL_SUM_PARAM_ADMIN1_PIN);
    const OpalColumn *pin_column =
        opal_table_column(&opal_tdef_c_pin, OPAL_COL_C_PIN_PIN);
    const OpalValue *ds_list =
        opal_call_optional(m->call, OPAL_DS_PARAM_REACTIVATE_SIZES);
    size_t known =
        !!opal_call_optional(m->call, OPAL_SUM_PARAM_SELECTION_LIST) +
        !!opal_call_optional(m->call, OPAL_SUM_PARAM_POLICY) + !!pin_v +
        !!ds_list;
    uint64_t admin1 = OPAL_UID_AUTH_ADMIN1, sum_objects;
    uint64_t ds_sizes[OPAL_DATASTORE_MAX_TABLES];
    size_t nr_ds;
    g_autoptr(GBytes) verifier = NULL;
    uint8_t *kek = NULL;
    const uint8_t *pin = NULL, *old_kek;
    size_t pin_len = 0;
    bool admins_own_range;
    OpalStatus status;
    OpalRow *cpin;

    if (m->call->invoking_uid != OPAL_UID_THISSP) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Reactivate is a "
                           "method of ThisSP");
    }
    if (m->call->nr_required || m->call->nr_optional != known) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Reactivate takes no "
                           "required parameter, and only the optional "
                           "0x060000-0x060003");
    }
    if (pin_v && (!opal_value_bytes(pin_v, &pin, &pin_len) ||
                  pin_len > pin_column->max)) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Admin1PIN is not "
                           "bytes that fit C_PIN's PIN column");
    }
    status = opal_sum_parse(tper, m->call, &sum_objects, &admins_own_range);
    if (status == OPAL_ST_SUCCESS) {
        /*
         * Absent: one table of the whole size, whatever there was (DSFS
         * 3.1.2.2).
         */
        status = opal_datastore_parse(tper, ds_list, ds_sizes, &nr_ds);
    }
    if (status != OPAL_ST_SUCCESS) {
        return status;
    }
    cpin = opal_sp_row(m->sp, OPAL_UID_C_PIN_ADMIN1);
    if (cpin && cpin->cells[OPAL_COL_C_PIN_VERIFIER]) {
        verifier = g_bytes_ref(cpin->cells[OPAL_COL_C_PIN_VERIFIER]);
    }
    old_kek = g_hash_table_lookup(tper->keks, &admin1);
    kek = old_kek ? g_memdup2(old_kek, OPAL_KEK_LEN) : NULL;

    revert_locking_sp(tper, m->session, NULL, 0);
    opal_row_set_uint(locking_sp_object(tper), OPAL_COL_SP_LIFE_CYCLE,
                      OPAL_LIFE_CYCLE_MANUFACTURED);
    cpin = opal_sp_row(tper->locking_sp, OPAL_UID_C_PIN_ADMIN1);
    if (pin_v) {
        uint8_t *new_kek = opal_pin_store(&tper->config, cpin, pin, pin_len);

        if (new_kek) {
            opal_secrets_learn(tper, admin1, new_kek);
        }
    } else {
        g_clear_pointer(&cpin->cells[OPAL_COL_C_PIN_VERIFIER], g_bytes_unref);
        cpin->cells[OPAL_COL_C_PIN_VERIFIER] = g_steal_pointer(&verifier);
        if (kek) {
            opal_secrets_learn(tper, admin1, g_steal_pointer(&kek));
        }
    }
    /* The old KEK, if a new PIN made it useless. */
    opal_secret_free(kek, OPAL_KEK_LEN);
    opal_sum_apply(&tper->config, tper->locking_sp, sum_objects,
                   admins_own_range);
    /* New tables, their ACEs back to Admins (DSFS 4.4.1). */
    opal_datastore_apply(tper->locking_sp, ds_sizes, nr_ds);
    m->session->end_after_response = true;
    m->sp = NULL;
    opal_explain(tper, sum_objects ?
                 "LockingSP reactivated, all its data erased, new ranges in "
                 "Single User Mode" :
                 "LockingSP reactivated, all its data erased, no range in "
                 "Single User Mode");
    return OPAL_ST_SUCCESS;
}

/*
 * Erase (SUM FS, Erase) on a single-user Locking object, by the Admins or its
 * owner: the range's data is gone (a new key), its locks are off and its
 * LockOnReset back to Power Cycle, and its owner's PIN is the empty one again
 * - the range is as Activate left it, ready for a new user.  Its place on the
 * media stays.  Outside Single User Mode no AccessControl row names Erase, so
 * it never gets here: NOT_AUTHORIZED (Core 5.3.4.3).
 */
OpalStatus opal_method_erase(MethodContext *m)
{
    OpalRow *range = opal_sp_row(m->sp, m->call->invoking_uid), *key = NULL;
    OpalRow *cpin;
    uint64_t key_uid;
    unsigned n;

    if (m->call->nr_required || m->call->nr_optional) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Erase takes no "
                           "parameter");
    }
    if (range && OPAL_UID_TABLE_OF(range->uid) == OPAL_UID_TABLE_LOCKING &&
        opal_row_get_uid(range, OPAL_COL_LOCKING_ACTIVE_KEY, &key_uid)) {
        key = opal_sp_row(m->sp, key_uid);
    }
    if (!key) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Erase is for a "
                           "Locking object with a media key");
    }
    n = opal_range_number(range);
    if (n >= 64 || !(m->sp->sum_objects & (1ULL << n))) {
        return opal_refuse(m, OPAL_ST_NOT_AUTHORIZED, "the Locking object is "
                           "not single-user");
    }
    new_media_key(&m->tper->config, key);
    opal_row_set_uint(range, OPAL_COL_LOCKING_READ_LOCK_ENABLED, false);
    opal_row_set_uint(range, OPAL_COL_LOCKING_WRITE_LOCK_ENABLED, false);
    opal_row_set_uint(range, OPAL_COL_LOCKING_READ_LOCKED, false);
    opal_row_set_uint(range, OPAL_COL_LOCKING_WRITE_LOCKED, false);
    opal_row_set_uint_list(range, OPAL_COL_LOCKING_LOCK_ON_RESET,
                           (const uint64_t[]){ OPAL_RESET_POWER_CYCLE }, 1);
    cpin = opal_sp_row(m->sp, OPAL_UID_C_PIN_USER(n + 1));
    if (cpin) {
        opal_secret_free(opal_pin_store(&m->tper->config, cpin, NULL, 0),
                         OPAL_KEK_LEN);
        opal_row_set_uint(cpin, OPAL_COL_C_PIN_TRIES, 0);
    }
    opal_secrets_forget_kek(m->tper, OPAL_SUM_OWNER(n));
    opal_explain(m->tper, "the range has a new key, no locks, and its User "
                 "the empty PIN");
    return OPAL_ST_SUCCESS;
}

/* KEKs of the AdminSP's authorities (SID, PSID, its Admins). */
static gboolean kek_of_admin_sp(gpointer uid, gpointer kek, gpointer tper)
{
    return !kek_of_locking_sp(uid, kek, tper);
}

/*
 * Revert of the whole TPer (Opal SSC 2.01/2.02, 5.1.2): every SP back to
 * its factory state, except that an SP already Manufactured-Inactive "is
 * not affected", and user data is removed only if the LockingSP is not
 * Manufactured-Inactive (5.1.2.2).  So with an inactive LockingSP only the
 * AdminSP starts over (SID's PIN is MSID's again, Opal SSC V2 feature byte
 * 14 = 0x00): the LockingSP keeps its tables and its keys, and the media
 * its data - the global range's, for one, after a RevertSP that kept its
 * key (5.1.3).  Returns whether user data was erased.
 */
static bool revert_tper(OpalTPer *tper)
{
    const OpalConfig *c = &tper->config;

    if (opal_locking_sp_active(tper)) {
        erase_byte_tables(tper);
        opal_sps_factory_reset(tper);
        return true;
    }
    g_hash_table_foreach_remove(tper->keks, kek_of_admin_sp, tper);
    opal_sp_free(tper->admin_sp);
    /* Its SP table says the LockingSP is Manufactured-Inactive: it still is. */
    tper->admin_sp = opal_admin_sp_new(c, (const uint8_t *)c->msid,
                                       strlen(c->msid),
                                       (const uint8_t *)c->psid,
                                       strlen(c->psid));
    opal_sid_value_note(tper, false);
    opal_secrets_rewrap(tper);
    return false;
}

static const char *reverted_how(bool erased)
{
    return erased ? "TPer reverted to its factory state, all data erased" :
           "TPer reverted to its factory state, the LockingSP was "
           "Manufactured-Inactive: it and the data are kept";
}

void opal_tper_psid_revert(OpalTPer *tper)
{
    bool erased;

    opal_session_abort_all(tper);
    erased = revert_tper(tper);
    /* From the host side: no method, no session to carry it. */
    opal_trace(tper, tper_event, OPAL_UID_ADMINSP, reverted_how(erased));
    opal_changed(tper, OPAL_CHANGE_PERSISTENT | OPAL_CHANGE_MEDIA);
}

OpalStatus opal_method_revert(MethodContext *m)
{
    bool erased;

    if (m->call->nr_required || m->call->nr_optional) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Revert takes no "
                           "parameter (Opal 5.1.2)");
    }
    if (m->call->invoking_uid == OPAL_UID_LOCKINGSP) {
        /* Manufactured-Inactive: no effect, no data removed (5.1.2.2). */
        if (opal_locking_sp_active(m->tper)) {
            revert_locking_sp(m->tper, NULL, NULL, 0);
            opal_explain(m->tper, "LockingSP reverted: its data is erased");
        } else {
            opal_explain(m->tper, "Revert of the Manufactured-Inactive "
                         "LockingSP: no effect, its data is kept");
        }
        return OPAL_ST_SUCCESS;
    }
    if (m->call->invoking_uid != OPAL_UID_ADMINSP) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "Revert is for the "
                           "AdminSP's and the LockingSP's objects in the SP "
                           "table");
    }
    /* The whole TPer to its factory state; this session ends once answered. */
    erased = revert_tper(m->tper);
    abort_sessions_on(m->tper, OPAL_UID_LOCKINGSP, NULL);
    abort_sessions_on(m->tper, OPAL_UID_ADMINSP, m->session);
    m->session->end_after_response = true;
    m->sp = NULL;
    opal_explain(m->tper, reverted_how(erased));
    return OPAL_ST_SUCCESS;
}

OpalStatus opal_method_revert_sp(MethodContext *m)
{
    const OpalValue *keep_v =
        opal_call_optional(m->call, REVERTSP_KEEP_GLOBAL_RANGE_KEY);
    OpalRow *global = opal_sp_row(m->sp, OPAL_UID_LOCKING_GLOBALRANGE);
    uint8_t *key_copy = NULL;
    uint64_t keep = 0, rl = 0, wl = 0;
    const uint8_t *key;
    size_t len = 0;

    if (m->call->invoking_uid != OPAL_UID_THISSP) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "RevertSP is a method "
                           "of ThisSP");
    }
    if (m->call->nr_required || m->call->nr_optional != !!keep_v ||
        (keep_v && !opal_value_uint(keep_v, &keep)) || keep > 1) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "RevertSP takes only "
                           "the optional KeepGlobalRangeKey (0x060000, a "
                           "boolean) (Opal 5.1.3)");
    }
    if (keep && (m->sp->sum_objects & 1)) {
        /*
         * The global range is single-user: its key belongs to its User, and
         * kept by an inactive LockingSP it would leave that User's data
         * readable by anyone - the Admins would regain the range.
         */
        return opal_refuse(m, OPAL_ST_FAIL, "KeepGlobalRangeKey while the "
                           "global range is single-user (Single User Mode)");
    }
    if (keep) {
        opal_row_get_uint(global, OPAL_COL_LOCKING_READ_LOCKED, &rl);
        opal_row_get_uint(global, OPAL_COL_LOCKING_WRITE_LOCKED, &wl);
        if (rl && wl) {
            /*
             * Keeping the key of a locked range would keep it unreadable (Opal
             * 5.1.3).
             */
            return opal_refuse(m, OPAL_ST_FAIL, "KeepGlobalRangeKey while the "
                               "global range is read- and write-locked");
        }
        if (!opal_row_get_bytes(opal_sp_row(m->sp,
                                            OPAL_UID_K_AES_256_GLOBALRANGE_KEY),
                                KEY_COLUMN, &key, &len)) {
            return opal_refuse(m, OPAL_ST_FAIL, "KeepGlobalRangeKey, but the "
                               "global range's key is not unwrapped (it came "
                               "up read-locked)");
        }
        key_copy = g_memdup2(key, len);
    }
    revert_locking_sp(m->tper, m->session, key_copy, len);
    opal_secret_free(key_copy, len);
    m->session->end_after_response = true;
    m->sp = NULL;
    opal_explain(m->tper, keep ?
                 "LockingSP reverted by its Admins, global range kept" :
                 "LockingSP reverted by its Admins");
    return OPAL_ST_SUCCESS;
}

OpalStatus opal_method_gen_key(MethodContext *m)
{
    OpalRow *key = opal_sp_row(m->sp, m->call->invoking_uid);

    /*
     * PublicExponent and PinLength are for other credential types (Core
     * 5.3.3.16).
     */
    if (m->call->nr_required || m->call->nr_optional) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "GenKey on a media "
                           "key takes no parameter");
    }
    if (!key || OPAL_UID_TABLE_OF(key->uid) != OPAL_UID_TABLE_K_AES_256) {
        return opal_refuse(m, OPAL_ST_INVALID_PARAMETER, "GenKey is for the "
                           "K_AES_256 media keys");
    }
    new_media_key(&m->tper->config, key);
    opal_explain(m->tper, "new media key: its range's data is erased");
    return OPAL_ST_SUCCESS;
}
