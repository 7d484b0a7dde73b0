#!/usr/bin/env bash
# Fuzz ide-opal-hd through QEMU's own generic-fuzz target, in a sanitizer build of QEMU
# (clang, libFuzzer, ASan + UBSan) of its own: build/qemu-fuzz.  The same build gives an
# ASan + UBSan qemu-system-x86_64 and the opal qtests for `make check-asan`.
#
#   scripts/fuzz-device.sh BUILD build                    configure (once) and build
#   scripts/fuzz-device.sh BUILD run q35|pc SECONDS [ARGS] fuzz; corpus in BUILD/fuzz-device
#   scripts/fuzz-device.sh BUILD replay q35|pc            run the committed corpus once
#   scripts/fuzz-device.sh BUILD merge q35|pc             minimise a corpus into the committed one
#   scripts/fuzz-device.sh BUILD env q35|pc               print the environment of a machine
#
# Machines: q35 puts the drive on the ICH9 AHCI controller and fuzzes its ABAR and index/data
# pair (QEMU_FUZZ_OBJECTS='*ahci*'); pc puts it on PIIX3 IDE and fuzzes the legacy command
# and control ports and the bus master (QEMU_FUZZ_OBJECTS='*ide* *bmdma*').  The drive's
# image is a 512 MiB null-co device reading zeroes: writes vanish, nothing reaches the
# host's disk, and every run starts with a factory-fresh drive (the state region reads as
# blank and is formatted at realize).  generic-fuzz's machine reset at the end of each input
# is a hardware reset for the drive, which keeps its owner and passwords: fuzz-hooks.c
# PSID-reverts it after every input that changed them, so that each input starts from the
# factory state and what crashes once crashes again (see fuzz-hooks.c for its other hooks).
# Runs use libFuzzer's fork mode with one worker: a crash, timeout or out-of-memory input is
# written to BUILD/fuzz-device/artifacts/ and the run goes on for all its time.
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:?usage: fuzz-device.sh BUILD build|run|replay|merge|env ...}")
cmd=${2:?usage: fuzz-device.sh BUILD build|run|replay|merge|env ...}
shift 2

qbuild=$build/qemu-fuzz
tree=$build/src/qemu
work=$build/fuzz-device
fuzzer=$qbuild/qemu-fuzz-x86_64
hooks_obj=$qbuild/fuzz-device-hooks.o
dict=$srcdir/tests/fuzz/device/ide-opal-hd.dict
# What ./configure passes to QEMU's configure (DEVICE_SET and all), plus the sanitizers and
# fuzzing.  libFuzzer's link flags come through LIB_FUZZING_ENGINE, so that our hooks
# (tests/fuzz/device/fuzz-hooks.c: wait for the TPer's worker, a factory-fresh drive for
# every input, one PBKDF2 iteration) go into qemu-fuzz-x86_64 alone; with LIB_FUZZING_ENGINE
# set QEMU leaves -fsanitize=fuzzer-no-link to us.  Crypto: libgcrypt, where build/qemu
# has QEMU's default backend (gnutls on Debian; ./configure --crypto), so that `make check`
# runs the qtests with both.
DEVICE_SET=$(sed -n 's/^DEVICE_SET=//p' "$srcdir/configure")
QEMU_FLAGS=(--target-list=x86_64-softmmu
            --without-default-devices --with-devices-x86_64="$DEVICE_SET"
            --enable-gcrypt --disable-nettle --disable-gnutls
            --disable-download --disable-install-blobs --disable-docs
            --python=/usr/bin/python3 --cc="ccache clang" --cxx="ccache clang++"
            --enable-fuzzing --enable-asan --enable-ubsan
            --extra-cflags=-fsanitize=fuzzer-no-link --extra-ldflags=-fsanitize=fuzzer-no-link)
FUZZING_ENGINE="-fsanitize=fuzzer -Wl,--wrap=ide_opal_engine_submit -Wl,--wrap=qemu_system_reset"
FUZZING_ENGINE+=" -Wl,--wrap=ide_opal_state_save -Wl,--wrap=ide_opal_state_prepare"
FUZZING_ENGINE+=" -Wl,--wrap=qcrypto_pbkdf2 $hooks_obj"

die() { echo "fuzz-device: $*" >&2; exit 1; }

machine_env() {
    local machine=$1 args objects
    local drive="-drive if=none,id=d0,driver=null-co,size=512M,read-zeroes=on"
    local dev="ide-opal-hd,id=opal0,drive=d0,bus=ide.0,serial=OPAL0001,msid=msid-pin,psid=psid-pin"
    case "$machine" in
    q35) args="-M q35 -nodefaults $drive -device $dev"; objects='*ahci*' ;;
    pc)  args="-M pc -nodefaults $drive -device $dev"; objects='*ide* *bmdma*' ;;
    *) die "FUZZ_MACHINE must be q35 or pc, not '$machine'" ;;
    esac
    # -L: SeaBIOS for the machine's ROM (the guest never runs under qtest).
    export QEMU_FUZZ_ARGS="-L /usr/share/seabios $args"
    export QEMU_FUZZ_OBJECTS="$objects"
    # As QEMU's predefined generic-fuzz configs: a DMA region is filled once per operation.
    export QEMU_AVOID_DOUBLE_FETCH=1
    # UBSan: every finding stops the run with a stack trace, as ASan's do, but upstream
    # QEMU's own (tests/fuzz/device/ubsan-suppressions.txt).
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1:suppressions=$srcdir/tests/fuzz/device/ubsan-suppressions.txt}
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
    # LSan: leaks are findings too, but upstream QEMU's own (lsan-suppressions.txt).
    export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$srcdir/tests/fuzz/device/lsan-suppressions.txt:print_suppressions=0}
}

do_build() {
    if [ ! -f "$qbuild/build.ninja" ] ||
       [ "$(cat "$qbuild/.fuzz-device-flags" 2>/dev/null)" != "${QEMU_FLAGS[*]} $FUZZING_ENGINE" ]; then
        [ -f "$tree/configure" ] || die "no QEMU tree in $tree: run ./configure first"
        mkdir -p "$qbuild"
        echo "fuzz-device: configuring QEMU in $qbuild (log: $build/qemu-fuzz-configure.log)"
        (cd "$qbuild" && LIB_FUZZING_ENGINE="$FUZZING_ENGINE" "$tree/configure" "${QEMU_FLAGS[@]}" \
            >"$build/qemu-fuzz-configure.log" 2>&1) ||
            { tail -n 30 "$build/qemu-fuzz-configure.log"; die "QEMU's configure failed"; }
        echo "${QEMU_FLAGS[*]} $FUZZING_ENGINE" >"$qbuild/.fuzz-device-flags"
    fi
    "$srcdir/scripts/overlay.sh" "$tree" "$build/src/pristine"
    # Everything but the fuzzer first: that also generates the headers the hooks include
    # (config-poison.h and others), which a fresh build tree does not have yet.
    ninja -C "$qbuild" qemu-system-x86_64 qemu-img tests/qtest/opal-test tests/qtest/opal-ide-test
    # The hooks, compiled as QEMU compiles its own files (same flags, headers, config).
    if [ ! -f "$hooks_obj" ] || [ "$srcdir/tests/fuzz/device/fuzz-hooks.c" -nt "$hooks_obj" ] ||
       [ "$srcdir/tests/fuzz/device/fuzz-hooks.h" -nt "$hooks_obj" ] ||
       [ "$qbuild/build.ninja" -nt "$hooks_obj" ]; then
    python3 - "$qbuild" "$srcdir/tests/fuzz/device/fuzz-hooks.c" "$hooks_obj" <<'EOF'
import json, shlex, subprocess, sys
qbuild, src, obj = sys.argv[1:]
for c in json.load(open(qbuild + "/compile_commands.json")):
    if c["file"].endswith("hw/ide/opal-engine.c") or c["file"].endswith("hw/ide/core.c"):
        args = shlex.split(c["command"])
        break
else:
    sys.exit("fuzz-device: no compile command for hw/ide in compile_commands.json")
out = []
skip = False
for a in args:
    if skip:
        skip = False
        continue
    if a in ("-o", "-MF", "-MQ", "-c"):
        skip = True
        continue
    if a in ("-MD",) or a.endswith(".c"):
        continue
    out.append(a)
subprocess.run(out + ["-c", src, "-o", obj], cwd=qbuild, check=True)
EOF
    fi
    # The hooks are not one of meson's inputs: relink when it is newer than the fuzzer.
    if [ -f "$fuzzer" ] && [ "$hooks_obj" -nt "$fuzzer" ]; then
        rm -f "$fuzzer"
    fi
    ninja -C "$qbuild" qemu-fuzz-x86_64
    # Firmware for qemu-system-x86_64 run from its build tree (check-asan's qtests).
    local datadir=""
    for datadir in "$qbuild"/qemu-bundle/*/share/qemu "$qbuild"/qemu-bundle/*/*/share/qemu ""; do
        [ -d "$datadir" ] && break
    done
    if [ -n "$datadir" ]; then
        ln -sfn /usr/share/seabios/bios-256k.bin "$datadir/bios-256k.bin"
        ln -sfn /usr/share/seabios/vgabios-stdvga.bin "$datadir/vgabios-stdvga.bin"
        for rom in "$build"/qemu/pc-bios/optionrom/*.bin; do
            if [ -f "$rom" ]; then ln -sfn "$rom" "$datadir/${rom##*/}"; fi
        done
    fi
}

# The summary line of a libFuzzer log (fork mode's status lines, "#RUNS: cov: ... time: Ns"):
# executions and their rate over the run, coverage, findings, corpus.
summary() {
    local log=$1 corpus=$2 last
    last=$(grep -E '^#[0-9]+: cov:' "$log" | tail -n 1)
    echo "fuzz-device: $(echo "$last" | sed -E 's/^#([0-9]+):.* time: ([0-9]+)s.*/\1 executions in \2s, \1 \2/' |
                         awk '{ printf "%s %s %s %s %d exec/s", $1, $2, $3, $4, $5 / ($6 ? $6 : 1) }')," \
         "$(echo "$last" | grep -o 'cov: [0-9]* ft: [0-9]*')," \
         "$(echo "$last" | grep -o 'oom/timeout/crash: [0-9/]*')," \
         "corpus $(find "$corpus" -type f | wc -l) inputs" \
         "($(du -sk "$corpus" | cut -f1) KiB), log $log"
}

do_run() {
    local machine=${1:?machine} seconds=${2:?seconds}
    shift 2
    machine_env "$machine"
    [ -x "$fuzzer" ] || die "$fuzzer is missing: make fuzz-device-build"
    local corpus=$work/corpus-$machine log=$work/fuzz-$machine.log
    mkdir -p "$corpus" "$work/artifacts"
    cp -n "$srcdir/tests/fuzz/device/corpus-$machine"/* "$corpus"/ 2>/dev/null || true
    echo "fuzz-device: $machine for ${seconds}s; QEMU_FUZZ_ARGS='$QEMU_FUZZ_ARGS'" \
         "QEMU_FUZZ_OBJECTS='$QEMU_FUZZ_OBJECTS'"
    local rc=0 start=$SECONDS before after
    before=$(ls "$work/artifacts")
    # Fork mode, one worker: a crash, a timeout or running out of memory is written to
    # artifacts/ and the run goes on for all of its time, each job in a fresh process (a
    # generic-fuzz machine's virtual clock and memory outlive its resets).
    # -rss_limit_mb: ASan's shadow and QEMU's 512 MiB of guest RAM are more than the default.
    "$fuzzer" --fuzz-target=generic-fuzz -max_total_time="$seconds" \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_len=16384 -rss_limit_mb=4096 -timeout=60 -dict="$dict" \
        -artifact_prefix="$work/artifacts/$machine-" "$@" "$corpus" >"$log" 2>&1 || rc=$?
    echo "fuzz-device: $machine ran $((SECONDS - start))s, exit status $rc"
    summary "$log" "$corpus"
    after=$(ls "$work/artifacts")
    if [ "$before" != "$after" ]; then
        echo "fuzz-device: new in $work/artifacts:" >&2
        comm -13 <(echo "$before") <(echo "$after") >&2
        grep -E '^(SUMMARY|.*runtime error)' "$log" | sort | uniq -c >&2
        # Crashes fail the run; timeouts and out-of-memory inputs are reported only.
        comm -13 <(echo "$before") <(echo "$after") | grep -q -- '-crash-\|-leak-' && rc=1
    fi
    return "$rc"
}

# Each committed input once: a regression test for what fuzzing found and fixed.
do_replay() {
    local machine=${1:?machine}
    machine_env "$machine"
    [ -x "$fuzzer" ] || die "$fuzzer is missing: make fuzz-device-build"
    local corpus=$srcdir/tests/fuzz/device/corpus-$machine log=$work/replay-$machine.log
    mkdir -p "$work"
    local files=("$corpus"/*)
    [ -f "${files[0]}" ] || die "no corpus in $corpus"
    local rc=0 start=$SECONDS
    "$fuzzer" --fuzz-target=generic-fuzz -runs=1 -rss_limit_mb=4096 "${files[@]}" >"$log" 2>&1 ||
        rc=$?
    local ran
    ran=$(grep -c '^Executed ' "$log" || true)
    echo "fuzz-device: replayed $ran of ${#files[@]} $machine inputs in $((SECONDS - start))s," \
         "exit status $rc (log $log)"
    if [ "$rc" != 0 ] || [ "$ran" != "${#files[@]}" ]; then
        grep -E '^(==|SUMMARY|Running:|.*runtime error)' "$log" | tail -n 30 >&2
        return 1
    fi
}

# Minimise what runs found into the committed corpus: the seeds of make-seeds.py, and the
# fewest inputs (libFuzzer's -merge=1 on edges alone, without hit counts or comparisons)
# that add the coverage of the committed corpus and of build/fuzz-device/corpus-MACHINE.
do_merge() {
    local machine=${1:?machine}
    machine_env "$machine"
    local committed=$srcdir/tests/fuzz/device/corpus-$machine new=$work/merge-$machine
    rm -rf "$new" && mkdir -p "$new" "$committed" "$work/corpus-$machine" "$work/artifacts"
    "$srcdir/tests/fuzz/device/make-seeds.py" "$machine" "$new"
    "$fuzzer" --fuzz-target=generic-fuzz -merge=1 -use_counters=0 -use_cmp=0 -max_len=16384 \
        -rss_limit_mb=4096 -artifact_prefix="$work/artifacts/merge-$machine-" \
        "$new" "$committed" "$work/corpus-$machine" >"$work/merge-$machine.log" 2>&1 ||
        { tail -n 20 "$work/merge-$machine.log"; die "merge failed"; }
    rm -f "$committed"/*
    cp "$new"/* "$committed/"
    echo "fuzz-device: $machine corpus: $(ls "$committed" | wc -l) inputs," \
         "$(du -sk "$committed" | cut -f1) KiB"
}

case "$cmd" in
build) do_build ;;
run) do_run "$@" ;;
replay) do_replay "$@" ;;
merge) do_merge "$@" ;;
env) machine_env "${1:?machine}"; env | grep -E '^(QEMU_FUZZ|QEMU_AVOID|UBSAN|ASAN|LSAN)_' ;;
*) die "unknown command '$cmd'" ;;
esac
