/*
 * ide-opal-hd: the rules of the Locking and MBRControl tables
 *
 * A Set that passes access control and the column types can still describe
 * a drive that cannot exist; Opal SSC 2.02, 4.3.5 lists what the TPer must
 * refuse with INVALID_PARAMETER: ranges that are misaligned (the Geometry
 * feature announces alignment), that reach past the medium, that overlap
 * another range, a global range given bounds, and reset-type sets beyond
 * those the drive supports.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "sp.h"
#include "uid.h"

/*
 * A cell's uinteger as it will be after the Set: new value if given, else
 * current.
 */
static uint64_t value_after(const OpalRow *row, GBytes *const *new_cells,
                            uint32_t column)
{
    uint64_t v = 0;

    opal_cell_get_uint(new_cells[column] ? new_cells[column] :
                                           row->cells[column],
                       &v);
    return v;
}

/*
 * Opal 4.3.5.2.2 / 4.3.5.3.1: {Power Cycle} or {Power Cycle, Programmatic},
 * each optionally with Hardware Reset, which this drive supports (and says so
 * in Level 0 Discovery); {} (never) as well.  Hot Plug is not a reset a
 * SATA drive on an emulated AHCI port can tell apart.
 */
static bool reset_types_supported(GBytes *cell)
{
    uint64_t set = opal_cell_uint_set(cell);
    uint64_t power_cycle = 1u << OPAL_RESET_POWER_CYCLE;
    uint64_t allowed = power_cycle | (1u << OPAL_RESET_HARDWARE) |
                       (1u << OPAL_RESET_PROGRAMMATIC);

    return set == 0 || ((set & power_cycle) && !(set & ~allowed));
}

static OpalStatus refuse(OpalTPer *tper, const char *why)
{
    opal_explain(tper, why);
    return OPAL_ST_INVALID_PARAMETER;
}

static OpalStatus check_range(OpalTPer *tper, const OpalSP *sp,
                              const OpalRow *row, GBytes *const *new_cells)
{
    const OpalConfig *c = &tper->config;
    const OpalTable *ranges = opal_sp_table(sp, OPAL_UID_TABLE_LOCKING);
    uint64_t start = value_after(row, new_cells, OPAL_COL_LOCKING_RANGE_START);
    uint64_t length =
        value_after(row, new_cells, OPAL_COL_LOCKING_RANGE_LENGTH);

    if (!reset_types_supported(new_cells[OPAL_COL_LOCKING_LOCK_ON_RESET])) {
        return refuse(tper, "LockOnReset holds a reset type this drive does "
                            "not support");
    }
    if (!opal_range_key_known(sp, row) &&
        ((new_cells[OPAL_COL_LOCKING_READ_LOCKED] &&
          !value_after(row, new_cells, OPAL_COL_LOCKING_READ_LOCKED)) ||
         (new_cells[OPAL_COL_LOCKING_WRITE_LOCKED] &&
          !value_after(row, new_cells, OPAL_COL_LOCKING_WRITE_LOCKED)))) {
        /* Unlocked, it would read and write with no key at all. */
        opal_explain(tper, "the range's media key is wrapped for other "
                     "authorities only; one of them must authenticate first");
        return OPAL_ST_FAIL;
    }
    if (new_cells[OPAL_COL_LOCKING_RANGE_START] ||
        new_cells[OPAL_COL_LOCKING_RANGE_LENGTH]) {
        if (row->uid == OPAL_UID_LOCKING_GLOBALRANGE) {
            return refuse(tper, "the global range has no bounds to set");
        }
        if (start % c->alignment_granularity ||
            length % c->alignment_granularity) {
            return refuse(tper, "range not aligned to the Geometry feature's "
                                "granularity");
        }
        if (start > c->nb_blocks || length > c->nb_blocks - start) {
            return refuse(tper, "range reaches past the end of the medium");
        }
        for (guint i = 0; length && i < ranges->rows->len; i++) {
            const OpalRow *other = g_ptr_array_index(ranges->rows, i);
            uint64_t o_start = 0, o_len = 0;

            if (other == row || other->uid == OPAL_UID_LOCKING_GLOBALRANGE) {
                continue;
            }
            opal_row_get_uint(other, OPAL_COL_LOCKING_RANGE_START, &o_start);
            opal_row_get_uint(other, OPAL_COL_LOCKING_RANGE_LENGTH, &o_len);
            if (o_len && start < o_start + o_len && o_start < start + length) {
                return refuse(tper, "range overlaps another range");
            }
        }
    }
    return OPAL_ST_SUCCESS;
}

OpalStatus opal_locking_check_set(OpalTPer *tper, const OpalSP *sp,
                                  const OpalRow *row, GBytes *const *new_cells)
{
    switch (OPAL_UID_TABLE_OF(row->uid)) {
    case OPAL_UID_TABLE_LOCKING:
        return check_range(tper, sp, row, new_cells);
    case OPAL_UID_TABLE_MBRCONTROL:
        return reset_types_supported(
                   new_cells[OPAL_COL_MBRCONTROL_DONE_ON_RESET]) ?
                   OPAL_ST_SUCCESS :
                   refuse(tper, "DoneOnReset holds a reset type this drive "
                                "does not support");
    default:
        return OPAL_ST_SUCCESS;
    }
}
