#!/usr/bin/env bash
# The guest test: boots Debian's 6.1 and 6.12 kernels under TCG on ide-opal-hd and on plain
# ide-hd and checks what the guest kernel sees (see run.sh). Prints TAP-style lines and a
# closing "guest: N passed, N failed"; exits non-zero if any case failed.
# Usage: [QEMU=...] run-all.sh BUILDDIR   (QEMU defaults to BUILDDIR/qemu-system-x86_64;
#        kernels, initramfs images and console logs go to BUILDDIR/tests-guest/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-all.sh BUILDDIR}
build=$(cd "$build" && pwd)
export QEMU=${QEMU:-$build/qemu-system-x86_64}
work=$build/tests-guest
SERIES=(6.1 6.12)
DEVICES=(ide-opal-hd ide-hd)

# Setup problems count as one failed case so that the closing line is always printed.
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "guest: QEMU binary $QEMU not found (build first, or set QEMU=)" >&2
    echo "guest: 0 passed, 1 failed"
    exit 1
fi
if ! "$here/prepare.sh" "$work" "${SERIES[@]}"; then
    echo "guest: could not prepare kernels/initramfs" >&2
    echo "guest: 0 passed, 1 failed"
    exit 1
fi

# Every kernel on both devices over SATA (AHCI); the newest kernel also over legacy IDE
# (PIIX), where TRUSTED DMA goes through bus-master DMA instead of AHCI's command tables.
# On ide-opal-hd over AHCI the same boot then runs the Opal lifecycle (run.sh "lifecycle"),
# and a second machine checks what locking does to I/O over a reboot (run.sh "media").
CASES=()
for series in "${SERIES[@]}"; do
    for device in "${DEVICES[@]}"; do
        if [ "$device" = ide-opal-hd ]; then
            CASES+=("$series $device ahci lifecycle" "$series $device ahci media")
        else
            CASES+=("$series $device ahci")
        fi
    done
done
CASES+=("${SERIES[-1]} ide-opal-hd piix")
# No guest may stall (issue 13): MBR writes and lock calls against NCQ reads and a timer.
CASES+=("${SERIES[-1]} ide-opal-hd ahci stress")
# The pre-boot authentication walkthrough of opal.rst, run from the document's text: SeaBIOS
# boots a PBA (syslinux + the newest kernel) from the shadow MBR, then the real disk.
CASES+=("${SERIES[-1]} ide-opal-hd ahci pba")
# cryptsetup 2.7's --hw-opal-only and --hw-opal running the guide's commands (cryptsetup-run.sh);
# cryptsetup's OPAL support needs Linux 6.4+, so the newest kernel only.
CASES+=("${SERIES[-1]} ide-opal-hd ahci cryptsetup")

passed=0
failed=0
n=0
echo "1..${#CASES[@]}"
for c in "${CASES[@]}"; do
    read -r series device controller mode <<<"$c"
    n=$((n + 1))
    start=$(date +%s)
    cmd=("$here/run.sh" "$work" "$series" "$device" "$controller" ${mode:+"$mode"})
    [ "$mode" = pba ] && cmd=("$here/pba/run-pba.sh" "$build")
    [ "$mode" = cryptsetup ] && cmd=("$here/cryptsetup-run.sh" "$work" "$series")
    if out=$("${cmd[@]}" 2>&1); then
        status="ok"
        passed=$((passed + 1))
    else
        status="not ok"
        failed=$((failed + 1))
    fi
    # run.sh's details as TAP comments.
    printf '%s\n' "$out" | sed 's/^/# /'
    echo "$status $n - linux $series on $device via $controller${mode:+ + $mode} ($(( $(date +%s) - start ))s)"
done
echo "guest: $passed passed, $failed failed"
[ "$failed" = 0 ]
