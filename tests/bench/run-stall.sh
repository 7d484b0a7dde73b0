#!/usr/bin/env bash
# `make bench`, the stall measurement (README.md, "Stall"): does a guest that hammers the
# drive with wrong passwords stop the machine? Two boots of a Linux guest (Debian's 6.12
# kernel, TCG) with two disks on one AHCI controller: ide-opal-hd and a plain ide-hd on a raw
# image. In each, opal-bench takes ownership of the Opal drive and sets up Range1, then for
# STALL_SECS reads the other disk in 1 MiB O_DIRECT reads while
#   baseline: the Opal drive is idle;
#   loop:     another process asks IOC_OPAL_LOCK_UNLOCK as Admin1 with a wrong password, as
#             fast as the drive answers.
# Meanwhile the host sends QMP query-status every 10 ms and times each round trip
# (stall-qmp.py). Printed: QMP round trip p50/p99/max and the other disk's MB/s of both runs,
# their ratio and the targets. Missing a target is a result, not a failure; a run without
# results is an error (exit status 1).
# Usage: [ENV...] run-stall.sh [BUILDDIR]     (BUILDDIR defaults to the repository's build/)
#   STALL_SECS=30        the measured window of each run
#   STALL_READ_MIB=256   size of the other disk (filled with offset stamps that the guest checks)
#   STALL_PING_MS=10     QMP interval
#   STALL_SMP=1          guest CPUs
#   STALL_TIMEOUT=300    seconds before a boot counts as hung
#   QEMU=...             the binary (default BUILDDIR/qemu-system-x86_64); the kernel, guest
#                        program and initramfs always come from BUILDDIR, so another build
#                        (an older commit's) is measured with the same guest.
# Work files (initramfs, images, console logs log-MODE.txt, round trips rtt-MODE.txt,
# results.txt) go to BUILDDIR/bench-stall/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
QEMU=${QEMU:-$build/qemu-system-x86_64}
SECS=${STALL_SECS:-30}
READ_MIB=${STALL_READ_MIB:-256}
PING_MS=${STALL_PING_MS:-10}
SMP=${STALL_SMP:-1}
TIMEOUT=${STALL_TIMEOUT:-300}
SERIES=6.12
work=$build/bench-stall
kdir=$build/tests-guest/kernels/$SERIES

die() { echo "stall: $*" >&2; exit 1; }
for n in "$READ_MIB" "$SMP" "$TIMEOUT"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "STALL_READ_MIB, STALL_SMP and STALL_TIMEOUT must be positive integers"
done
for n in "$SECS" "$PING_MS"; do
    [[ "$n" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "STALL_SECS and STALL_PING_MS must be numbers"
done
[ "$TIMEOUT" -gt "${SECS%.*}" ] || die "STALL_TIMEOUT must exceed STALL_SECS"
[ -x "$QEMU" ] || die "$QEMU not found (build first: make, or set QEMU=)"
command -v python3 >/dev/null || die "python3 not found"

mkdir -p "$work"
rm -f "$work"/log-*.txt "$work"/rtt-*.txt "$work"/*.img "$work"/*.sock "$work/results.txt"

"$here/../guest/fetch-kernels.sh" "$build/tests-guest/kernels" >&2
gcc -static -O2 -Wall -Wextra -Werror -o "$work/opal-bench" "$here/opal-bench.c"
"$here/build-initramfs.sh" "$kdir" "$work/opal-bench" "$work/initramfs-$SERIES.cpio.gz"

opal_img=$work/opal.img
read_img=$work/read.img
qemu_pid=""
cleanup() {
    [ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null || true
    rm -f "$opal_img" "$read_img" "$work"/*.sock
}
trap cleanup EXIT
# The other disk: every 4 KiB sector stamped with its offset (opal-bench checks each read).
python3 "$here/stall-qmp.py" fill "$read_img" "$READ_MIB"

loadavg() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,; }

echo "stall: Linux $(cat "$kdir/kernel-version") under TCG -smp $SMP, ${SECS}s per run;" \
     "QEMU $QEMU"
rc=0
for mode in baseline loop; do
    log=$work/log-$mode.txt
    sock=$work/qmp-$mode.sock
    rtt=$work/rtt-$mode.txt
    start=$(date +%s)
    # A factory-fresh drive (its state takes the image's last 147 MiB).
    rm -f "$opal_img" "$sock"
    truncate -s 512M "$opal_img"
    echo "STALL-HOST when=before mode=$mode load=$(loadavg) qemu=$(stat -L -c %Y-%s "$QEMU")" >"$log"
    # quiet keeps the serial console (slow under TCG) out of the way.
    timeout "$TIMEOUT" "$QEMU" -accel tcg -smp "$SMP" -m 512 -nographic -no-reboot -nic none \
        -kernel "$kdir/vmlinuz" -initrd "$work/initramfs-$SERIES.cpio.gz" \
        -append "console=ttyS0 panic=-1 quiet bench_stall=$mode bench_secs=$SECS" \
        -M q35 -device ahci,id=ahci \
        -blockdev "driver=raw,node-name=d0,file.driver=file,file.filename=$opal_img" \
        -device ide-opal-hd,drive=d0,bus=ahci.0,serial=STALLOPAL \
        -blockdev "driver=raw,node-name=d1,file.driver=file,file.filename=$read_img" \
        -device ide-hd,drive=d1,bus=ahci.1,serial=STALLREAD \
        -name "stall-$mode,debug-threads=on" \
        -qmp "unix:$sock,server=on,wait=off" </dev/null >>"$log" 2>&1 &
    qemu_pid=$!
    ping_rc=0
    timeout "$TIMEOUT" python3 "$here/stall-qmp.py" ping --socket "$sock" --log "$log" \
        --pid "$qemu_pid" --out "$rtt" --interval-ms "$PING_MS" --timeout "$TIMEOUT" ||
        ping_rc=$?
    qemu_rc=0
    wait "$qemu_pid" || qemu_rc=$?
    qemu_pid=""
    echo "STALL-HOST when=after mode=$mode load=$(loadavg) qemu-exit=$qemu_rc ping-exit=$ping_rc" >>"$log"
    if grep -aq 'BENCH-DONE' "$log" && [ "$ping_rc" = 0 ]; then
        echo "stall: $mode done in $(( $(date +%s) - start ))s"
    else
        echo "stall: $mode FAILED after $(( $(date +%s) - start ))s (log $log)"
        grep -a 'BENCH-ERROR\|qemu-system' "$log" | head -n 5 || true
        rc=1
    fi
done

python3 "$here/stall-qmp.py" summary --work "$work" --secs "$SECS" --interval-ms "$PING_MS" \
    --read-mib "$READ_MIB" --smp "$SMP" --kernel "$(cat "$kdir/kernel-version")" \
    --qemu "$QEMU" | tee "$work/results.txt.tmp" || rc=1
mv "$work/results.txt.tmp" "$work/results.txt"
echo "stall: results in $work/results.txt, console logs and round trips in $work/"
exit "$rc"
