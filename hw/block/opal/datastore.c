/*
 * ide-opal-hd: the Additional DataStore Tables feature set
 *
 * TCG Storage Opal SSC Feature Set: Additional DataStore Tables, version
 * 1.00 ("DSFS" below).  The space the drive sets aside for the LockingSP's
 * DataStore table (the datastore-size property) may be split, when Activate
 * or Reactivate says so, into DataStore, DataStore2, ... DataStoreN: byte
 * tables like the first, each with its own pair of ACEs, so that different
 * owners can keep their data apart (DSFS 2).
 *
 * DataStoreTableSizes (Activate: parameter 0x060002, DSFS 3.1.2.1;
 * Reactivate: 0x060003, 3.1.2.2) lists the tables' sizes in bytes, the first
 * being DataStore's own; without it there is one table of the whole size.
 * What this drive accepts, as Level 0 Discovery announces it (DSFS 4.2.1):
 *   at most OPAL_DATASTORE_MAX_TABLES tables (more: INSUFFICIENT_SPACE),
 *   in total at most datastore-size bytes (more: INSUFFICIENT_SPACE),
 *   each table after the first a multiple of OPAL_DATASTORE_ALIGNMENT bytes
 *   (the alignment concerns only the additional tables, DSFS 4.2.1.7; else
 *   INVALID_PARAMETER, 3.1.2.1).
 * Not a list of positive uintegers (an empty list, a table of no bytes):
 * INVALID_PARAMETER - this drive's choice, the FS says nothing of them.
 *
 * DataStoreN (2 <= N <= 128) is table 00 00 10 00 + N (DSFS 4.4.2.1), with
 * ACE_DataStoreN_Get_All and _Set_All at 00 03 FC 00 + 2(N-1) and + 1
 * (4.4.2.3): Admins, all columns, personalizable (their Set rule is
 * ACE_ACE_Set_BooleanExpression, 4.4.2.2), as for the first table.
 *
 * The tables share the DataStore area of the drive's store: table N starts
 * where table N-1 ends (opal_datastore_place), which is how writes to them
 * reach the store (OpalByteWriteFn), so its layout does not change.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "sp-tables.h"
#include "uid.h"

#define ADDITIONAL(n) \
    { \
        .uid = OPAL_UID_TABLE_DATASTORE_N(n), .name = "DataStore" #n, \
        .kind = OPAL_TABLE_BYTE \
    }

/* DataStore2 ... DataStore16. */
static const OpalTableDef additional_tables[] = {
    ADDITIONAL(2),  ADDITIONAL(3),  ADDITIONAL(4),  ADDITIONAL(5),
    ADDITIONAL(6),  ADDITIONAL(7),  ADDITIONAL(8),  ADDITIONAL(9),
    ADDITIONAL(10), ADDITIONAL(11), ADDITIONAL(12), ADDITIONAL(13),
    ADDITIONAL(14), ADDITIONAL(15), ADDITIONAL(16),
};
G_STATIC_ASSERT(G_N_ELEMENTS(additional_tables) ==
                OPAL_DATASTORE_MAX_TABLES - 1);

OpalStatus opal_datastore_check(const OpalConfig *config, const uint64_t *sizes,
                                size_t n, const char **why)
{
    uint64_t total = 0;

    if (!n) {
        *why = "no table at all";
        return OPAL_ST_INVALID_PARAMETER;
    }
    for (size_t i = 0; i < n; i++) {
        if (!sizes[i]) {
            *why = "a table of no bytes";
            return OPAL_ST_INVALID_PARAMETER;
        }
        if (i && sizes[i] % OPAL_DATASTORE_ALIGNMENT) {
            *why =
                "an additional table's size is not a multiple of the alignment";
            return OPAL_ST_INVALID_PARAMETER;
        }
        total = sizes[i] > UINT64_MAX - total ? UINT64_MAX : total + sizes[i];
    }
    if (n > OPAL_DATASTORE_MAX_TABLES) {
        *why = "more tables than this drive has";
        return OPAL_ST_INSUFFICIENT_SPACE;
    }
    if (total > config->datastore_size) {
        *why = "more bytes than the DataStore space holds";
        return OPAL_ST_INSUFFICIENT_SPACE;
    }
    return OPAL_ST_SUCCESS;
}

OpalStatus opal_datastore_parse(OpalTPer *tper, const OpalValue *list,
                                uint64_t *sizes, size_t *n)
{
    g_autofree uint64_t *all = NULL;
    const char *why = NULL;
    OpalStatus status;
    size_t count;

    if (!list) {
        /* One table of the maximum total size (DSFS 3.1.2.1, 3.1.2.2). */
        sizes[0] = tper->config.datastore_size;
        *n = 1;
        return OPAL_ST_SUCCESS;
    }
    if (list->count < 2 ||
        !opal_token_is(&list->tokens[0], OPAL_TK_START_LIST)) {
        opal_explain(tper, "DataStoreTableSizes is not a list");
        return OPAL_ST_INVALID_PARAMETER;
    }
    count = list->count - 2;
    all = g_new0(uint64_t, count + 1);
    for (size_t i = 0; i < count; i++) {
        const OpalValue element = { &list->tokens[i + 1], 1 };

        if (!opal_value_uint(&element, &all[i])) {
            opal_explain(tper, "DataStoreTableSizes holds a value that is not "
                         "a uinteger");
            return OPAL_ST_INVALID_PARAMETER;
        }
    }
    status = opal_datastore_check(&tper->config, all, count, &why);
    if (status != OPAL_ST_SUCCESS) {
        opal_explain(tper, why);
        return status;
    }
    memcpy(sizes, all, count * sizeof(*sizes));
    *n = count;
    return OPAL_ST_SUCCESS;
}

static void add_table(OpalSP *sp, unsigned number, uint64_t size)
{
    const OpalTableDef *def = &additional_tables[number - 2];
    g_autofree char *get_name =
        g_strdup_printf("ACE_DataStore%u_Get_All", number);
    g_autofree char *set_name =
        g_strdup_printf("ACE_DataStore%u_Set_All", number);
    const OpalAceDef aces[] = {
        { OPAL_UID_ACE_DATASTORE_N_GET_ALL(number),
          get_name,
          { OPAL_UID_AUTH_ADMINS },
          0 },
        { OPAL_UID_ACE_DATASTORE_N_SET_ALL(number),
          set_name,
          { OPAL_UID_AUTH_ADMINS },
          0 },
    };

    opal_sp_add_table(sp, def, size);
    opal_factory_describe_table(sp, def);
    for (size_t i = 0; i < G_N_ELEMENTS(aces); i++) {
        opal_factory_add_ace(sp, &aces[i]);
        OPAL_ALLOW(sp, aces[i].uid, OPAL_UID_M_GET, OPAL_UID_ACE_ACE_GET_ALL);
        OPAL_ALLOW(sp, aces[i].uid, OPAL_UID_M_SET,
                   OPAL_UID_ACE_ACE_SET_BOOLEANEXPRESSION);
    }
    OPAL_ALLOW(sp, def->uid, OPAL_UID_M_GET, aces[0].uid);
    OPAL_ALLOW(sp, def->uid, OPAL_UID_M_SET, aces[1].uid);
}

void opal_datastore_apply(OpalSP *sp, const uint64_t *sizes, size_t n)
{
    OpalTable *first = opal_sp_table(sp, OPAL_UID_TABLE_DATASTORE);
    uint64_t nr_chunks = (sizes[0] + OPAL_BYTE_CHUNK - 1) / OPAL_BYTE_CHUNK;

    if (n == 1 && sizes[0] == first->byte_size) {
        return;                         /* the factory's one table */
    }
    /*
     * A LockingSP being activated holds no DataStore data (its tables are
     * new since the last Revert), unless a crafted state put some there:
     * the new layout starts empty either way.
     */
    for (uint64_t i = 0;
         i < (first->byte_size + OPAL_BYTE_CHUNK - 1) / OPAL_BYTE_CHUNK; i++) {
        g_free(first->chunks[i]);
    }
    g_free(first->chunks);
    first->byte_size = sizes[0];
    first->chunks = g_new0(uint8_t *, nr_chunks);
    for (size_t i = 1; i < n; i++) {
        add_table(sp, i + 1, sizes[i]);
    }
    opal_factory_count_rows(sp);
}

size_t opal_datastore_sizes(const OpalSP *sp, uint64_t *sizes)
{
    size_t n = 0;

    for (unsigned number = 1; number <= OPAL_DATASTORE_MAX_TABLES; number++) {
        const OpalTable *table =
            opal_sp_table(sp, OPAL_UID_TABLE_DATASTORE_N(number));

        if (!table) {
            break;
        }
        sizes[n++] = table->byte_size;
    }
    return n;
}

bool opal_datastore_place(const OpalSP *sp, uint64_t table_uid,
                          uint64_t *offset)
{
    uint64_t place = 0;

    for (unsigned number = 1; number <= OPAL_DATASTORE_MAX_TABLES; number++) {
        const OpalTable *table =
            opal_sp_table(sp, OPAL_UID_TABLE_DATASTORE_N(number));

        if (!table) {
            break;
        }
        if (table_uid == table->def->uid) {
            *offset = place;
            return true;
        }
        place += table->byte_size;
    }
    return false;
}
