#!/usr/bin/env bash
# `make bench`: boots a small Linux guest (Debian's 6.12 kernel, TCG) once per configuration
# and run, lets tests/bench/opal-bench measure the disk through real AHCI commands, and
# prints the medians, the ratios between configurations and the targets (see README.md).
# Missing a target is a result, not a failure; a run that produced no results is an error
# (exit status 1, after the table).
# Usage: [ENV...] run-bench.sh [BUILDDIR]     (BUILDDIR defaults to the repository's build/)
#   BENCH_RUNS=3        boots per configuration (the table shows the median)
#   BENCH_IMG_MIB=1024  disk size; the write test fills BENCH_SEQ_MIB of it (default: all)
#   BENCH_SECS=5        seconds for each read test (seqread, randread QD1, randread QD32)
#   BENCH_SMP=1         guest CPUs (-smp)
#   BENCH_CONFIGS="a b c d"   which rows of CONFIGS below to run
#   BENCH_TIMEOUT=300   seconds before a boot counts as hung
#   QEMU=..., QEMU_IMG=...    binaries (default BUILDDIR/qemu-system-x86_64, BUILDDIR/qemu-img)
# The ceiling printed with the ratios needs BUILDDIR/engine/bench-engine (make engine).
# Work files (initramfs, console logs log-CONFIG-RUN.txt, results.txt) go to BUILDDIR/bench/;
# the kernel is shared with the guest test (BUILDDIR/tests-guest/kernels/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
mkdir -p "$build"
build=$(cd "$build" && pwd)
QEMU=${QEMU:-$build/qemu-system-x86_64}
QEMU_IMG=${QEMU_IMG:-$build/qemu-img}
RUNS=${BENCH_RUNS:-3}
IMG_MIB=${BENCH_IMG_MIB:-1024}
SEQ_MIB=${BENCH_SEQ_MIB:-$IMG_MIB}
SECS=${BENCH_SECS:-5}
SMP=${BENCH_SMP:-1}
SELECTED=${BENCH_CONFIGS:-a b c d}
TIMEOUT=${BENCH_TIMEOUT:-300}
SERIES=6.12
work=$build/bench
kdir=$build/tests-guest/kernels/$SERIES

# The configurations: ID, backing image format, -device option string (drive=d0,bus=ahci.0
# is appended), description. Every one runs as
#   -M q35 -device ahci,id=ahci -blockdev <raw|luks over file> -device DEVICE,drive=d0,bus=ahci.0
# The ratios printed are c/a, c/b and d/a (summarize.py, RATIOS).
CONFIGS="
a  raw   ide-hd                    ide-hd on a raw image
b  luks  ide-hd                    ide-hd on QEMU's luks driver (aes-256-xts-plain64)
c  raw   ide-opal-hd               ide-opal-hd, encryption on (the default)
d  raw   ide-opal-hd,encrypt=off   ide-opal-hd,encrypt=off
"
# Only a benchmark secret: the LUKS image lives and dies with one run.
LUKS_SECRET=opal-bench

die() { echo "bench: $*" >&2; exit 1; }
for n in "$RUNS" "$IMG_MIB" "$SEQ_MIB" "$SMP" "$TIMEOUT"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS, BENCH_IMG_MIB, BENCH_SEQ_MIB, BENCH_SMP and BENCH_TIMEOUT must be positive integers"
done
[[ "$SECS" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "BENCH_SECS must be a number of seconds"
[ "$SEQ_MIB" -le "$IMG_MIB" ] || die "BENCH_SEQ_MIB ($SEQ_MIB) exceeds BENCH_IMG_MIB ($IMG_MIB)"
for b in "$QEMU" "$QEMU_IMG"; do
    [ -x "$b" ] || die "$b not found (build first: make, or set QEMU= / QEMU_IMG=)"
done
command -v python3 >/dev/null || die "python3 not found"

declare -A BACKING DEVICE DESC
ids=()
while read -r id backing device desc; do
    [ -n "$id" ] || continue
    BACKING[$id]=$backing
    DEVICE[$id]=$device
    DESC[$id]=$desc
    ids+=("$id")
done <<<"$CONFIGS"
for id in $SELECTED; do
    [ -n "${DEVICE[$id]:-}" ] || die "BENCH_CONFIGS: no configuration '$id' (have: ${ids[*]})"
done

mkdir -p "$work"
rm -f "$work"/log-*.txt "$work"/disk-*.img "$work/results.txt"
# One image exists at a time; its blocks are really allocated by the write test.
avail_mib=$(df -Pm "$work" | awk 'NR == 2 { print $4 }')
if [ "$avail_mib" -lt $((SEQ_MIB + 512)) ]; then
    die "$work has ${avail_mib} MiB free; the disk image needs ${SEQ_MIB} MiB plus room (lower BENCH_IMG_MIB)"
fi

# Kernel (cached, shared with the guest test), guest program, initramfs.
"$here/../guest/fetch-kernels.sh" "$build/tests-guest/kernels" >&2
gcc -static -O2 -Wall -Wextra -Werror -o "$work/opal-bench" "$here/opal-bench.c"
"$here/build-initramfs.sh" "$kdir" "$work/opal-bench" "$work/initramfs-$SERIES.cpio.gz"

# The cipher's speed on one core of this machine (tests/bench/bench-engine.c), for the
# ceiling that summarize.py prints next to the ratios.
xts_mbps=0
if [ -x "$build/engine/bench-engine" ]; then
    xts_mbps=$("$build/engine/bench-engine" | sed -n 's/.*xts_mbps=\([0-9]*\) unit=512 .*/\1/p')
    xts_mbps=${xts_mbps:-0}
else
    echo "bench: no $build/engine/bench-engine (make engine): no ceiling in the table" >&2
fi

img=""
cleanup() { [ -z "$img" ] || rm -f "$img"; }
trap cleanup EXIT

# Prefixes every console line with the host's wall clock, so that summarize.py can compare
# the guest's CLOCK_MONOTONIC with it (does guest time track host time under TCG?).
stamp_lines() {
    local line
    while IFS= read -r line || [ -n "$line" ]; do
        printf '%s %s\n' "$EPOCHREALTIME" "${line%$'\r'}"
    done
}

# One boot of configuration $1, run $2; the console log (with QEMU's own errors) goes to $3.
boot() {
    local id=$1 run=$2 log=$3
    local blockdev=() rc
    img=$work/disk-$id.img
    rm -f "$img"
    case "${BACKING[$id]}" in
    raw)
        # Sparse: the write test allocates what the reads then find.
        truncate -s "${IMG_MIB}M" "$img"
        blockdev=(-blockdev "driver=raw,node-name=d0,file.driver=file,file.filename=$img")
        ;;
    luks)
        # iter-time=10: the key derivation (2 s by default at every open) is not what is
        # measured here; the data path's cipher does not depend on it.
        "$QEMU_IMG" create -q --object "secret,id=sec0,data=$LUKS_SECRET" -f luks \
            -o key-secret=sec0,iter-time=10 "$img" "${IMG_MIB}M"
        blockdev=(-object "secret,id=sec0,data=$LUKS_SECRET"
                  -blockdev "driver=luks,key-secret=sec0,node-name=d0,file.driver=file,file.filename=$img")
        ;;
    *) die "configuration $id: unknown backing '${BACKING[$id]}'" ;;
    esac
    {
        # The host's load and the binary's identity: a build running next to the benchmark
        # (or replacing QEMU under it) shows in the numbers, so the summary points it out.
        echo "BENCH-HOST config=$id run=$run device=${DEVICE[$id]} backing=${BACKING[$id]} smp=$SMP" \
             "load=$(cut -d' ' -f1 /proc/loadavg) qemu=$(stat -L -c %Y-%s "$QEMU")"
        # quiet keeps the serial console (slow under TCG) out of the way.
        timeout "$TIMEOUT" "$QEMU" -accel tcg -smp "$SMP" -m 512 -nographic -no-reboot -nic none \
            -kernel "$kdir/vmlinuz" -initrd "$work/initramfs-$SERIES.cpio.gz" \
            -append "console=ttyS0 panic=-1 quiet bench_mib=$SEQ_MIB bench_secs=$SECS" \
            -M q35 -device ahci,id=ahci "${blockdev[@]}" \
            -device "${DEVICE[$id]},drive=d0,bus=ahci.0" </dev/null 2>&1 && rc=0 || rc=$?
        echo "BENCH-HOST qemu-exit=$rc"
    } | stamp_lines >"$log"
    rm -f "$img"
    img=""
}

echo "bench: Linux $(cat "$kdir/kernel-version") under TCG -smp $SMP; ${IMG_MIB} MiB disk," \
     "${SEQ_MIB} MiB sequential, ${SECS}s per read test, $RUNS run(s) of: $SELECTED"
# Runs are interleaved (a b c d a b c d ...) so that a slow spell of the host hits every
# configuration alike instead of one.
declare -A broken
for run in $(seq 1 "$RUNS"); do
    for id in $SELECTED; do
        log=$work/log-$id-$run.txt
        if [ -n "${broken[$id]:-}" ]; then
            continue
        fi
        start=$(date +%s)
        boot "$id" "$run" "$log"
        if grep -q ' BENCH-DONE$' "$log"; then
            echo "bench: $id run $run: done in $(( $(date +%s) - start ))s"
        else
            echo "bench: $id run $run: FAILED after $(( $(date +%s) - start ))s (log $log)"
            # QEMU that never started the guest fails the same way every time: skip the rest.
            grep -q ' BENCH-GUEST kernel ' "$log" || broken[$id]=1
        fi
    done
done

# summarize.py's exit status is the script's.
args=()
for id in $SELECTED; do
    args+=("$id=${DEVICE[$id]} [${BACKING[$id]}]: ${DESC[$id]}")
done
python3 "$here/summarize.py" --work "$work" --runs "$RUNS" --smp "$SMP" \
    --kernel "$(cat "$kdir/kernel-version")" --img-mib "$IMG_MIB" --seq-mib "$SEQ_MIB" \
    --secs "$SECS" --xts-mbps "$xts_mbps" --cores "$(nproc)" "${args[@]}" | tee "$work/results.txt.tmp"
rc=${PIPESTATUS[0]}
mv "$work/results.txt.tmp" "$work/results.txt"
echo "bench: results in $work/results.txt, console logs in $work/log-*.txt"
exit "$rc"
