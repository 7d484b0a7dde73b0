/*
 * QTest testcase for ide-opal-hd: Opal methods end to end, Single User
 * Mode, the DataStore tables, the PSID.
 *
 * Copyright (c) 2026 The ide-opal-hd authors
 *
 * This program is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 *
 * You should have received a copy of the GNU General Public License
 * along with this program; if not, see <http://www.gnu.org/licenses/>.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <sys/resource.h>
#include "opal-test-util.h"

/*** Opal methods end to end ***/

/* The PSID reverts the drive: info qtree and qom-get must not show it. */
static void test_psid_write_only(void)
{
    QTestState *qts = qtest_initf("-M q35 -drive if=none,id=d0,"
                                  "driver=null-co,size=1G,read-zeroes=on "
                                  "-device ide-opal-hd,drive=d0,bus=ide.0,"
                                  "psid=LABEL-PSID-1234,id=opal0");
    g_autofree char *qtree = NULL;
    QDict *rsp;

    qtree = qtest_hmp(qts, "info qtree");
    g_assert_null(strstr(qtree, "LABEL-PSID-1234"));
    rsp = qtest_qmp(qts, "{ 'execute': 'qom-get', 'arguments': "
                    "{ 'path': 'opal0', 'property': 'psid' } }");
    g_assert_true(qdict_haskey(rsp, "error"));
    qobject_unref(rsp);
    qtest_quit(qts);
}

/*
 * SID takes ownership and activates the Locking SP with one optional
 * parameter, @param = [ @n UIDs (@uids) or uintegers ].
 */
static void own_and_activate_with(OpalTestState *s, uint64_t param,
                                  const uint64_t *items, size_t n, bool uids)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, TEST_MSID), ==,
                     0);
    g_assert_cmpuint(set_pin(s, UID_C_PIN_SID, SID_PIN), ==, 0);
    end_session(s);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, SID_PIN), ==,
                     0);
    call_begin(b, UID_LOCKINGSP, UID_M_ACTIVATE);
    tk_control(b, TK_START_NAME);
    tk_uint(b, param);
    tk_control(b, TK_START_LIST);
    for (size_t i = 0; i < n; i++) {
        if (uids) {
            tk_uid(b, items[i]);
        } else {
            tk_uint(b, items[i]);
        }
    }
    tk_control(b, TK_END_LIST);
    tk_control(b, TK_END_NAME);
    call_end(b);
    g_assert_cmpuint(host_call(s, b, NULL), ==, 0);
    end_session(s);
}

static void test_single_user_mode(void)
{
    OpalTestState *s = opal_boot(RESTART_DEVICE);
    uint8_t buf[8 * BLOCK_SIZE], ref[8 * BLOCK_SIZE];
    g_autofree char *hmp = NULL;
    QDict *rsp, *range1;
    size_t off;

    /* SingleUserSelectionList */
    own_and_activate_with(s, 0x060000,
                          (const uint64_t[]){ UID_LOCKING_RANGE(1) }, 1, true);
    off = l0_feature(s, 0x0201, buf);
    g_assert_cmphex(buf[off + 8], ==, 0x01); /* Any, policy: the user's */

    g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_USER(2), ""), ==,
                     0);
    g_assert_cmpuint(set_pin(s, UID_C_PIN_USER(2), "user2-pin"), ==, 0);
    set_range(s, 1, R1_START, R1_LEN, false, false);
    end_session(s);
    write_pattern(s, R1_START, 8, 5);
    g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_USER(2),
                                   "user2-pin"),
                     ==, 0);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_READ_LOCKED, 1), ==,
                     0);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_WRITE_LOCKED, 1), ==,
                     0);
    end_session(s);
    opal_shutdown(s);

    s = opal_restart(RESTART_DEVICE);
    expect_read_refused(s, &dma_read, R1_START, 8);
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_READ_LOCKED, 0), ==,
                     0x01);
    range1 = query_range(s->ahci->parent->qts, 1, &rsp);
    g_assert_cmpstr(qdict_get_str(range1, "owner"), ==, "User2");
    /* Admin1's PIN: no key */
    g_assert_false(qdict_get_bool(range1, "key-in-memory"));
    qobject_unref(rsp);
    range1 = query_range(s->ahci->parent->qts, 2, &rsp);
    g_assert_false(qdict_haskey(range1, "owner"));
    qobject_unref(rsp);
    hmp = qtest_hmp(s->ahci->parent->qts, "info opal opal0");
    g_assert_nonnull(strstr(hmp, "key wrapped, single-user: User2's"));
    end_session(s);
    g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_USER(2),
                                   "user2-pin"),
                     ==, 0);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_READ_LOCKED, 0), ==,
                     0);
    end_session(s);
    expect_pattern(s, R1_START, 8, 5, "Range1 unlocked by its owner");

    admin1_session(s);
    g_assert_cmpuint(call_plain(s, UID_LOCKING_RANGE(1),
                                0x0000000600000803ULL /* Erase */),
                     ==, 0);
    g_assert_cmpuint(call_plain(s, UID_LOCKING_RANGE(2), 0x0000000600000803ULL),
                     ==, 0x01);
    end_session(s);
    assert_success(io_exec(s, &dma_read, R1_START, 8, buf), sizeof(buf));
    fill_pattern(ref, R1_START, 8, 5);
    g_assert_true(memcmp(buf, ref, sizeof(buf)) != 0);
    opal_shutdown(s);
}

/*
 * Additional DataStore Tables: SID's Activate splits the DataStore space into
 * DataStore (1 MiB) and DataStore2 (64 KiB), as Level 0 Discovery allows
 * (check_feature_datastore); what Admin1 writes to each is
 * there after a QEMU restart, DataStore2 ends where its size says, and
 * query-opal and info opal list both sizes.
 */
static void test_datastore_tables(void)
{
    OpalTestState *s = opal_boot(RESTART_DEVICE);
    static const char one[] = "DataStore data", two[] = "DataStore2 data";
    uint64_t ds2 = 0x0000100200000000ULL, ds1 = 0x0000100100000000ULL;
    uint8_t buf[BLOCK_SIZE];
    g_autofree char *hmp = NULL;
    QDict *rsp;
    QList *tables;

    /* DataStoreTableSizes */
    own_and_activate_with(s, 0x060002, (const uint64_t[]){ 1 * MiB, 64 * KiB },
                          2, false);

    admin1_session(s);
    g_assert_cmpuint(set_table(s, ds1, 1 * MiB - sizeof(one), one, sizeof(one)),
                     ==, 0);
    g_assert_cmpuint(set_table(s, ds2, 4000, two, sizeof(two)), ==, 0);
    g_assert_cmpuint(set_table(s, ds2, 64 * KiB - 1, "xy", 2), ==, 0x0c);
    end_session(s);
    opal_shutdown(s);

    s = opal_restart(RESTART_DEVICE);
    admin1_session(s);
    g_assert_cmpuint(get_table(s, ds2, 4000, buf, sizeof(two)), ==, 0);
    g_assert_cmpmem(buf, sizeof(two), two, sizeof(two));
    g_assert_cmpuint(get_table(s, ds1, 1 * MiB - sizeof(one), buf, sizeof(one)),
                     ==, 0);
    g_assert_cmpmem(buf, sizeof(one), one, sizeof(one));
    g_assert_cmpuint(get_table(s, ds2, 64 * KiB - 8, buf, 9), ==, 0x0c);
    end_session(s);
    tables = qdict_get_qlist(query_opal0(s->ahci->parent->qts, &rsp),
                             "datastore-tables");
    g_assert_cmpuint(qlist_size(tables), ==, 2);
    g_assert_cmpuint(qnum_get_uint(qobject_to(QNum, qlist_peek(tables))), ==,
                     1 * MiB);
    qobject_unref(rsp);
    hmp = qtest_hmp(s->ahci->parent->qts, "info opal opal0");
    g_assert_nonnull(strstr(hmp, "DataStore tables (bytes): 1048576 65536\r"));
    opal_shutdown(s);
}

void opal_test_register_methods(void)
{
    qtest_add_func("/opal/sum/owner-restart-erase", test_single_user_mode);
    qtest_add_func("/opal/datastore/tables-restart", test_datastore_tables);
    qtest_add_func("/opal/psid-write-only", test_psid_write_only);
}
