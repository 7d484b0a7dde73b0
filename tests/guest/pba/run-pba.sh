#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The pre-boot authentication (PBA) walkthrough of docs/system/devices/opal.rst ("Pre-boot
# authentication: booting from the shadow MBR"), run from the document's own text: the
# blocks guest-pba-unlock and guest-pba-setup become the PBA's and the setup guest's
# scripts, and the host blocks host-pba-build, host-pba-setup and host-pba-boot run
# verbatim with bash -e in a fresh directory, with the built QEMU and tests/guest/pba on
# PATH. During host-pba-boot this script plays the user at the PBA's password prompt on
# QEMU's serial stdin: a wrong password first, then the right one. Then it asserts what the
# console showed, in order: syslinux started from the shadow MBR, the PBA prompted, refused
# the wrong password, unlocked with the right one and set Done, and after the reboot the
# firmware booted the real disk, whose boot sector read the (formerly locked) LBA 1. A
# second run of host-pba-boot (a power cycle) must find the PBA again.
# Usage: [QEMU=...] [PBA_TIMEOUT=seconds] run-pba.sh BUILDDIR
#   (logs: BUILDDIR/tests-guest/log-host-pba-*.txt and trace-host-pba-boot.txt)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
build=$(cd "${1:?usage: run-pba.sh BUILDDIR}" && pwd)
doc=$repo/docs/system/devices/opal.rst
# QEMU (as for run-all.sh) picks the qemu-system-x86_64 the blocks run; qemu-img from build.
qemu_dir=$(dirname "${QEMU:-$build/qemu-system-x86_64}")
timeout_s=${PBA_TIMEOUT:-900}
logs=$build/tests-guest
mkdir -p "$logs"
work=$(mktemp -d "$logs/pba.XXXXXX")
# This run's logs, copied to $logs at the end: another run in the same build directory (a
# concurrent make check) then cannot change them under this one's checks.
run=$work/logs
mkdir "$run"
feeder=""
cleanup() {
    [ -n "$feeder" ] && kill "$feeder" 2>/dev/null
    cp "$run"/* "$logs"/ 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

block() { python3 "$repo/tests/docs/doc_blocks.py" "$doc" "$1"; }
# The document's passwords: the setup's take-ownership line says which one is right.
block guest-pba-unlock >"$work/unlock.sh"
block guest-pba-setup >"$work/setup.sh"
password=$(sed -n 's/^opal-probe [^ ]* take-ownership \([^ ]*\)$/\1/p' "$work/setup.sh")
[ -n "$password" ] || { echo "pba: no take-ownership line in guest-pba-setup" >&2; exit 1; }

failed=0
pass() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; failed=1; }

# run_host NAME [STDIN [LOG]]: the block NAME with bash -e in the work directory; its
# console goes to LOG (default log-NAME.txt in the logs), and each line with the seconds
# since the start to LOG.timed (so a slow run shows where its time went). Prints the exit
# status, the time taken and when the first and the last line came.
run_host() {
    local name=$1 input=${2:-/dev/null} log=${3:-$run/log-$1.txt} rc=0 start now
    block "$name" >"$work/$name.sh"
    start=$(date +%s)
    # tee passes output on as it comes (the PBA's prompt has no newline until answered).
    (cd "$work" && PATH=$qemu_dir:$build:$here:$PATH timeout "$timeout_s" bash -e "$name.sh") \
        <"$input" 2>&1 | tee "$log" | while IFS= read -r line; do
            printf -v now '%(%s)T' -1
            echo "$((now - start))s $line"
        done >"$log.timed" || rc=$?
    echo "  $name: exit $rc after $(( $(date +%s) - start ))s (lines from $(head -n1 "$log.timed" |
        cut -d' ' -f1) to $(tail -n1 "$log.timed" | cut -d' ' -f1)), log $logs/${log##*/}"
    return "$rc"
}

# boot LOG PASSWORD...: runs host-pba-boot as the user at the keyboard: QEMU's stdin is a
# FIFO that gets the Nth password once the PBA's Nth prompt is on the console.
boot() {
    local log=$1 rc=0
    shift
    rm -f "$log" "$work/keyboard"
    mkfifo "$work/keyboard"
    (
        exec 3>"$work/keyboard"
        typed=0
        for pw in "$@"; do
            until [ "$(grep -ao 'Opal PBA: password' "$log" 2>/dev/null | wc -l)" -gt "$typed" ]; do
                sleep 0.5
            done
            printf '%s\r' "$pw" >&3
            typed=$((typed + 1))
        done
        while sleep 1; do :; done   # keeps the FIFO open until QEMU has exited
    ) &
    feeder=$!
    run_host host-pba-boot "$work/keyboard" "$log" || rc=$?
    kill "$feeder" 2>/dev/null || true
    feeder=""
    return "$rc"
}

# in_order LOG PATTERN...: every extended regex matches a line, each after the previous one.
in_order() {
    local log=$1 from=0 n pattern
    shift
    for pattern in "$@"; do
        n=$(tail -n +"$((from + 1))" "$log" | tr -d '\r' | grep -n -E -m1 -- "$pattern" | cut -d: -f1 || true)
        if [ -z "$n" ]; then
            fail "not seen (after line $from of ${log##*/}): $pattern"
            return
        fi
        from=$((from + n))
        # Without the terminal control sequences SeaBIOS and syslinux send.
        pass "line $from: $(sed -n "${from}p" "$log" | tr -d '\r' |
            sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' | cut -c1-110)"
    done
}

echo "pba: doc blocks from $doc, work directory $work"
run_host host-pba-build || fail "host-pba-build failed: $(tail -n 5 "$run/log-host-pba-build.txt")"
grep -a 'build-pba:' "$run/log-host-pba-build.txt" | sed 's/^/  /' || true

if [ "$failed" = 0 ]; then
    run_host host-pba-setup || fail "host-pba-setup: QEMU did not exit cleanly"
    log=$run/log-host-pba-setup.txt
    grep -aq '^SETUP-OK' "$log" || fail "the setup guest's script failed (no SETUP-OK)"
    for cmd in take-ownership activate-lsp setup-range write-mbr mbr-enable; do
        l=$(grep -a "^OPAL-CMD step=$cmd " "$log" | tr -d '\r' || true)
        if [[ "$l" == *" ok" ]]; then pass "setup: ${l#OPAL-CMD step=}"; else fail "setup $cmd: ${l:-no output}"; fi
    done
fi

if [ "$failed" = 0 ]; then
    log=$run/log-host-pba-boot.txt
    rm -f "$run/trace-host-pba-boot.txt"
    boot "$log" not-the-password "$password" || fail "host-pba-boot: QEMU did not exit cleanly"
    cp "$work/pba-trace.log" "$run/trace-host-pba-boot.txt" 2>/dev/null || true
    in_order "$log" \
        '^SYSLINUX 6\.[0-9]+ EDD' \
        'PBA kernel ' \
        'Opal PBA: password for /dev/sda' \
        'OPAL-CMD step=lock rc=1 .* refused: TCG status NOT_AUTHORIZED' \
        'Opal PBA: wrong password' \
        'Opal PBA: password for /dev/sda' \
        'OPAL-CMD step=lock rc=0 .* ok' \
        'OPAL-CMD step=mbr-done rc=0 .* ok' \
        'Booted the real disk' \
        'LBA 1 of the real disk: the data behind the lock'
    # The drive's side (-trace 'ide_opal_tper_*', -D pba-trace.log): the power-on is a
    # power cycle, the PBA's reboots are hardware resets (type 1), which leave the range
    # unlocked.  Admin1 is 0x0000000900010001, Set 0x0000000600000017, the global range
    # 0x0000080200000001 and MBRControl 0x0000080300000001.
    trace=$run/trace-host-pba-boot.txt
    in_order "$trace" \
        'ide_opal_tper_reset .*reset type 0 ended every session, LockOnReset/DoneOnReset applied 1$' \
        'ide_opal_tper_authenticate .*authority 0x0000000900010001 proven 0: wrong password$' \
        'ide_opal_tper_method .*object 0x0000080200000001 method 0x0000000600000017 Set: status 0x00 SUCCESS' \
        'ide_opal_tper_method .*object 0x0000080300000001 method 0x0000000600000017 Set: status 0x00 SUCCESS' \
        'ide_opal_tper_reset .*reset type 1 ended every session, LockOnReset/DoneOnReset applied 0$'
    # The real disk's boot sector must not have run before the PBA unlocked the drive.
    first_real=$(grep -an 'Booted the real disk' "$log" | head -n1 | cut -d: -f1 || true)
    first_ok=$(grep -an 'OPAL-CMD step=mbr-done rc=0' "$log" | head -n1 | cut -d: -f1 || true)
    if [ -n "$first_real" ] && [ -n "$first_ok" ] && [ "$first_real" -gt "$first_ok" ]; then
        pass "the real disk booted only after the PBA set Done"
    else
        fail "the real disk's boot sector ran before the PBA set Done"
    fi

    # The next power-on (a new QEMU): locked again, so the firmware finds the PBA again.
    log=$run/log-host-pba-boot-again.txt
    boot "$log" "$password" || fail "host-pba-boot again: QEMU did not exit cleanly"
    in_order "$log" \
        '^SYSLINUX 6\.[0-9]+ EDD' \
        'Opal PBA: password for /dev/sda' \
        'OPAL-CMD step=lock rc=0 .* ok' \
        'Booted the real disk' \
        'LBA 1 of the real disk: the data behind the lock'
fi

if [ "$failed" != 0 ]; then
    for f in build setup boot boot-again; do
        [ -s "$run/log-host-pba-$f.txt" ] || continue
        echo "---- last lines of $logs/log-host-pba-$f.txt ----"
        tail -n 20 "$run/log-host-pba-$f.txt"
    done
    exit 1
fi
