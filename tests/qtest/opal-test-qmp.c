/*
 * QTest testcase for ide-opal-hd: QMP and HMP, the drive's engine
 * thread, -device help.
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

/*** query-opal, info opal, opal-psid-revert ***/

/*
 * query-opal and info opal show the state without secrets; opal-psid-revert
 * puts the drive back in its factory state and erases its data.
 */
static QDict *list_find(QList *list, const char *key, const char *value)
{
    QListEntry *e;

    QLIST_FOREACH_ENTRY(list, e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(d, key), value)) {
            return d;
        }
    }
    return NULL;
}

static void test_qmp_query_opal(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    QTestState *qts = s->ahci->parent->qts;
    g_autofree char *hmp = NULL;
    QDict *rsp, *info, *sid, *range1 = NULL, *session, *mbr;
    QListEntry *e;

    admin1_session(s);
    set_range(s, 1, RR1_START, R1_LEN, true, false);
    end_session(s);
    g_assert_cmpuint(start_session(s, UID_ADMINSP, UID_AUTH_SID, "wrong"), ==,
                     0x01);
    admin1_session(s);

    info = query_opal0(qts, &rsp);
    g_assert_cmpstr(qdict_get_str(info, "qom-path"), ==,
                    "/machine/peripheral/opal0");
    g_assert_cmpstr(qdict_get_str(info, "locking-sp"), ==, "manufactured");
    sid = list_find(qdict_get_qlist(info, "authorities"), "name", "SID");
    g_assert_nonnull(sid);
    g_assert_cmpint(qdict_get_int(sid, "tries"), ==, 1);
    g_assert_cmpint(qdict_get_int(sid, "try-limit"), ==, 5);
    g_assert_false(qdict_get_bool(sid, "locked-out"));
    QLIST_FOREACH_ENTRY(qdict_get_qlist(info, "ranges"), e) {
        QDict *r = qobject_to(QDict, qlist_entry_obj(e));

        range1 = qdict_get_int(r, "number") == 1 ? r : range1;
    }
    g_assert_nonnull(range1);
    g_assert_cmpint(qdict_get_int(range1, "start"), ==, RR1_START);
    g_assert_true(qdict_get_bool(range1, "read-locked"));
    g_assert_false(qdict_get_bool(range1, "write-locked"));
    g_assert_true(qdict_get_bool(range1, "key-in-memory"));
    mbr = qdict_get_qdict(info, "mbr");
    g_assert_false(qdict_get_bool(mbr, "enable"));
    g_assert_cmpint(qdict_get_int(mbr, "size"), ==, 128 * MiB);
    session = qobject_to(QDict, qlist_peek(qdict_get_qlist(info, "sessions")));
    g_assert_nonnull(session);
    g_assert_cmpstr(qdict_get_str(session, "sp"), ==, "locking-sp");
    g_assert_cmpint(qdict_get_int(session, "tsn"), ==, s->tsn);
    /* No secret: neither the SID's PIN nor the MSID is in the answer. */
    {
        g_autoptr(GString) json = qobject_to_json(QOBJECT(info));

        g_assert_null(strstr(json->str, SID_PIN));
        g_assert_null(strstr(json->str, TEST_MSID));
    }
    qobject_unref(rsp);

    hmp = qtest_hmp(qts, "info opal opal0");
    g_test_message("%s", hmp);
    g_assert_nonnull(strstr(hmp, "LockingSP: manufactured"));
    g_assert_nonnull(strstr(hmp, "Range1: LBA"));
    g_assert_nonnull(strstr(hmp, "1 failed tries (limit 5)"));
    end_session(s);

    /* The HMP form of the power cycle relocks Range1 as QMP's does. */
    admin1_session(s);
    g_assert_cmpuint(set_uint(s, UID_LOCKING_RANGE(1), COL_READ_LOCKED, 0), ==,
                     0);
    end_session(s);
    g_free(hmp);
    hmp = qtest_hmp(qts, "opal_power_cycle opal0");
    g_assert_cmpstr(hmp, ==, "");
    expect_read_refused(s, &dma_read, RR1_START, 8);
    g_free(hmp);
    hmp = qtest_hmp(qts, "opal_psid_revert ahci");
    g_assert_nonnull(strstr(hmp, "is not an Opal drive"));

    /*
     * Host-side PSID revert: the factory drive, its data gone with the old
     * keys.
     */
    write_pattern(s, RR2_START, 8, 7);
    qtest_qmp_assert_success(qts, "{ 'execute': 'opal-psid-revert',"
                             " 'arguments': { 'id': 'opal0' } }");
    g_assert_cmpstr(qdict_get_str(query_opal0(qts, &rsp), "locking-sp"),
                    ==, "manufactured-inactive");
    qobject_unref(rsp);
    take_ownership_and_activate(s);
    {
        uint8_t buf[8 * BLOCK_SIZE], ref[8 * BLOCK_SIZE];

        assert_success(io_exec(s, &dma_read, RR2_START, 8, buf), sizeof(buf));
        fill_pattern(ref, RR2_START, 8, 7);
        g_assert_true(memcmp(buf, ref, sizeof(buf)) != 0);
    }
    rsp = qtest_qmp(qts, "{ 'execute': 'opal-psid-revert',"
                    " 'arguments': { 'id': 'ahci' } }");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "class"), ==,
                    "DeviceNotFound");
    qobject_unref(rsp);
    opal_shutdown(s);
}

/*** query-opal of every drive; the drive's engine thread ***/

/*
 * query-opal without an id lists every Opal drive, each with its ID (if it
 * has one) and QOM path; info opal without an id prints them all.  An id
 * that names no Opal drive is DeviceNotFound.
 */
static void test_qmp_query_opal_all(void)
{
    OpalTestState *s = opal_boot("-device ide-opal-hd,drive=d0,bus=ide.0,"
                                 "id=opal0 "
                                 "-blockdev null-co,node-name=n1,size=1073741824,"
                                 "read-zeroes=on "
                                 "-device ide-opal-hd,drive=n1,bus=ide.1");
    QTestState *qts = s->ahci->parent->qts;
    g_autofree char *hmp = NULL;
    QDict *rsp, *named = NULL, *anonymous = NULL;
    QListEntry *e;

    rsp = qtest_qmp(qts, "{ 'execute': 'query-opal' }");
    g_assert_cmpuint(qlist_size(qdict_get_qlist(rsp, "return")), ==, 2);
    QLIST_FOREACH_ENTRY(qdict_get_qlist(rsp, "return"), e) {
        QDict *d = qobject_to(QDict, qlist_entry_obj(e));

        if (qdict_haskey(d, "id")) {
            named = d;
        } else {
            anonymous = d;
        }
    }
    g_assert_nonnull(named);
    g_assert_nonnull(anonymous);
    g_assert_cmpstr(qdict_get_str(named, "id"), ==, "opal0");
    g_assert_cmpstr(qdict_get_str(named, "qom-path"), ==,
                    "/machine/peripheral/opal0");
    g_assert_true(g_str_has_prefix(qdict_get_str(anonymous, "qom-path"),
                                   "/machine/peripheral-anon/"));
    g_assert_cmpstr(qdict_get_str(anonymous, "locking-sp"), ==,
                    "manufactured-inactive");
    qobject_unref(rsp);

    rsp = qtest_qmp(qts, "{ 'execute': 'query-opal',"
                    " 'arguments': { 'id': 'ahci' } }");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(rsp, "error"), "class"), ==,
                    "DeviceNotFound");
    qobject_unref(rsp);

    hmp = qtest_hmp(qts, "info opal");
    g_test_message("%s", hmp);
    g_assert_nonnull(strstr(hmp, "opal0 (/machine/peripheral/opal0):"));
    g_assert_nonnull(strstr(hmp, "(no id) (/machine/peripheral-anon/"));
    opal_shutdown(s);
}

/*
 * The drive works on a TRUSTED SEND in a worker thread while the machine
 * goes on (a password check is PBKDF2); a QMP command that arrives
 * meanwhile waits for it: query-opal, sent right after StartSession is
 * issued, already shows the session that StartSession opens.
 */
static int64_t in_flight_sessions = -1;

static void query_sessions_in_flight(OpalTestState *s)
{
    QDict *rsp;
    QDict *info = query_opal0(s->ahci->parent->qts, &rsp);

    in_flight_sessions = qlist_size(qdict_get_qlist(info, "sessions"));
    qobject_unref(rsp);
}

static void power_cycle_in_flight(OpalTestState *s)
{
    QDict *rsp = qtest_qmp(s->ahci->parent->qts, "{ 'execute': "
                           "'opal-power-cycle', 'arguments': "
                           "{ 'id': 'opal0' } }");

    g_assert_true(qdict_haskey(rsp, "return"));
    qobject_unref(rsp);
}

/*
 * A power cycle from the host while StartSession is in flight waits for
 * it: the command completes, then the power cycle ends the session it
 * opened and drops its response, as a drive that loses power after
 * answering would.  The drive then works as after any power cycle.
 */
/*
 * Admin1's StartSession, with @in_flight run while the drive works on it;
 * unless @in_flight resets the machine under it (@dropped), the command
 * completes.  Afterwards no response and no session are left, and Admin1
 * opens one.
 */
static void interrupted_start_session(void (*in_flight)(OpalTestState *s),
                                      bool dropped)
{
    OpalTestState *s = opal_boot_owned("%s", "");
    g_autoptr(GByteArray) b = g_byte_array_new();
    uint8_t buf[HOST_RECV_BLOCKS * BLOCK_SIZE];
    g_autofree uint8_t *out = NULL;
    uint16_t blocks;
    AtaResult r;

    start_session_call(b, UID_LOCKINGSP, UID_AUTH_ADMIN1, SID_PIN);
    out = host_compacket(0, 0, b, &blocks);
    ata_in_flight = in_flight;
    r = trusted_send(s, true, SECP_TCG, OPAL_BASE_COMID, blocks, out);
    if (!dropped) {
        assert_success(r, (size_t)blocks * BLOCK_SIZE);
    }
    assert_success(trusted_recv(s, true, SECP_TCG, OPAL_BASE_COMID,
                                HOST_RECV_BLOCKS, buf), sizeof(buf));
    g_assert_cmpuint(be32(buf + 16), ==, 0);     /* no ComPacket left */
    query_sessions_in_flight(s);
    g_assert_cmpint(in_flight_sessions, ==, 0);
    admin1_session(s);
    end_session(s);
    opal_shutdown(s);
}

static void test_engine_power_cycle_in_flight(void)
{
    interrupted_start_session(power_cycle_in_flight, false);
}

/*
 * QEMU's thread named "opal-engine" as proc(5) shows it: its CPU time in
 * clock ticks (utime and stime, the 14th and 15th fields of its stat) and
 * its niceness (the 19th).
 */
static uint64_t engine_thread_ticks(QTestState *qts, int *nice)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task",
                                           qtest_pid(qts));
    g_autoptr(GDir) tasks = g_dir_open(dir, 0, NULL);
    const char *tid;
    uint64_t ticks = 0;
    int found = 0;

    g_assert(tasks);
    while ((tid = g_dir_read_name(tasks))) {
        g_autofree char *comm_path = g_strdup_printf("%s/%s/comm", dir, tid);
        g_autofree char *stat_path = g_strdup_printf("%s/%s/stat", dir, tid);
        g_autofree char *comm = NULL, *stat = NULL;
        g_auto(GStrv) fields = NULL;

        if (!g_file_get_contents(comm_path, &comm, NULL, NULL) ||
            strcmp(g_strchomp(comm), "opal-engine")) {
            continue;
        }
        g_assert(g_file_get_contents(stat_path, &stat, NULL, NULL));
        /* Fields from the 3rd (state) on follow the name's parenthesis */
        fields = g_strsplit(strrchr(stat, ')') + 2, " ", 0);
        g_assert_cmpuint(g_strv_length(fields), >, 19 - 3);
        ticks = g_ascii_strtoull(fields[14 - 3], NULL, 10) +
                g_ascii_strtoull(fields[15 - 3], NULL, 10);
        *nice = atoi(fields[19 - 3]);
        found++;
    }
    g_assert_cmpint(found, ==, 1);
    return ticks;
}

/*
 * The drive's thread yields to the rest of QEMU (nice 10) and takes at
 * most a quarter of a core: after each job it rests three times as long
 * as the job kept it busy, so a guest that loops wrong passwords leaves
 * the host's CPU to the machine's vCPUs and I/O.  Eight guesses then take
 * at least 1 + 3 * 7/8 times the CPU time they cost (the last one's rest
 * comes after its answer); 3 leaves room for the coarse clock ticks the
 * CPU time is counted in.  A loaded host only makes them take longer, and
 * the CPU time is the thread's own, so this holds however busy the host
 * is; without the rests the guesses take their CPU time and little more.
 */
static void test_engine_duty(void)
{
    enum { GUESSES = 8 };
    OpalTestState *s;
    QTestState *qts;
    uint64_t ticks;
    int64_t start_us, elapsed_us, busy_us;
    int nice;
    int i;

    if (!g_file_test("/proc/self/task", G_FILE_TEST_IS_DIR)) {
        g_test_skip("no /proc/PID/task here");
        return;
    }
    s = opal_boot("-name debug-threads=on "
                  "-device ide-opal-hd,drive=d0,bus=ide.0,serial=%s",
                  TEST_SERIAL);
    qts = s->ahci->parent->qts;
    take_ownership_and_activate(s);

    ticks = engine_thread_ticks(qts, &nice);
    g_assert_cmpint(nice, ==, 10);
    start_us = g_get_monotonic_time();
    for (i = 0; i < GUESSES; i++) {
        g_assert_cmpuint(start_session(s, UID_LOCKINGSP, UID_AUTH_ADMIN1,
                                       "wrong"), ==, 0x01 /* NOT_AUTHORIZED */);
    }
    elapsed_us = g_get_monotonic_time() - start_us;
    busy_us = (engine_thread_ticks(qts, &nice) - ticks) * G_USEC_PER_SEC /
              sysconf(_SC_CLK_TCK);

    /* Each guess is a PBKDF2: the thread was busy, and rested longer. */
    g_assert_cmpint(busy_us, >, 0);
    g_assert_cmpint(elapsed_us, >=, busy_us * 3);
    opal_shutdown(s);
}

static void system_reset_in_flight(OpalTestState *s)
{
    system_reset(s);
    s->dropped = true;
}

/*
 * A hardware reset (QMP system_reset) while StartSession is in flight
 * waits for the job, then drops the command: the session it opened ends
 * with the reset, no response is left to read, and the drive works.
 */
static void test_engine_reset_in_flight(void)
{
    interrupted_start_session(system_reset_in_flight, true);
}

static void test_engine_qmp_in_flight(void)
{
    OpalTestState *s = opal_boot_owned("%s", "");

    ata_in_flight = query_sessions_in_flight;
    admin1_session(s);
    g_assert_cmpint(in_flight_sessions, ==, 1);
    end_session(s);
    opal_shutdown(s);
}

/*** -device ide-opal-hd,help ***/

static void test_device_help(void)
{
    const char *qemu = g_getenv("QTEST_QEMU_BINARY");
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) gerr = NULL;
    int status;
    const char *argv[] = {
        qemu, "-machine", "none", "-device", "ide-opal-hd,help", NULL
    };

    g_assert(qemu);
    g_assert(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT,
                          NULL, NULL, &out, &err, &status, &gerr));
    g_assert_no_error(gerr);
    g_test_message("%s", out);
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 0);
    g_assert_nonnull(strstr(out, "ide-opal-hd options:"));
    g_assert_nonnull(strstr(out, "drive="));
    g_assert_nonnull(strstr(out, "serial="));
    /* The drive's own properties say what they are for. */
    g_assert_nonnull(strstr(out, "psid=<str>             - the PSID printed"));
    g_assert_nonnull(strstr(out, "mbr-size=<size>        "
                            "- bytes of the shadow MBR"));
}

void opal_test_register_qmp(void)
{
    qtest_add_func("/opal/qmp/query-opal", test_qmp_query_opal);
    qtest_add_func("/opal/qmp/query-opal-all", test_qmp_query_opal_all);
    qtest_add_func("/opal/engine/qmp-in-flight", test_engine_qmp_in_flight);
    qtest_add_func("/opal/engine/duty", test_engine_duty);
    qtest_add_func("/opal/engine/reset-in-flight", test_engine_reset_in_flight);
    qtest_add_func("/opal/engine/power-cycle-in-flight",
                   test_engine_power_cycle_in_flight);
    qtest_add_func("/opal/device-help", test_device_help);
}
