#!/usr/bin/env bash
# Boots one Debian kernel under TCG on a fresh disk attached as DEVICE (ide-opal-hd or
# ide-hd) and asserts what the guest kernel itself reports about TCG Opal on it.
# Usage: [QEMU=...] [GUEST_TIMEOUT=seconds] run.sh WORKDIR SERIES DEVICE [CONTROLLER]
#   WORKDIR holds kernels/SERIES/vmlinuz and initramfs-SERIES.cpio.gz (see run-all.sh);
#   CONTROLLER is ahci (SATA on q35, the default) or piix (legacy IDE on the pc machine);
#   the console log is written to WORKDIR/log-SERIES-DEVICE-CONTROLLER.txt.
# Exit status 0 when every expectation held.
set -euo pipefail
work=${1:?usage: run.sh WORKDIR SERIES DEVICE}
series=${2:?usage: run.sh WORKDIR SERIES DEVICE}
device=${3:?usage: run.sh WORKDIR SERIES DEVICE}
controller=${4:-ahci}
qemu=${QEMU:-qemu-system-x86_64}
timeout_s=${GUEST_TIMEOUT:-240}

kernel=$work/kernels/$series/vmlinuz
initrd=$work/initramfs-$series.cpio.gz
log=$work/log-$series-$device-$controller.txt
img=$work/disk-$series-$device-$controller.img
for f in "$kernel" "$initrd"; do
    [ -s "$f" ] || { echo "run: missing $f (run run-all.sh first)" >&2; exit 1; }
done
case "$device" in
ide-opal-hd) expect_opal=1 ;;
ide-hd) expect_opal=0 ;;
*) echo "run: DEVICE must be ide-opal-hd or ide-hd" >&2; exit 1 ;;
esac

# A factory-fresh drive every time: no state may leak between cases.
rm -f "$img"
truncate -s 64M "$img"

start=$(date +%s)
rc=0
# quiet keeps the serial console fast; /init prints the dmesg lines the checks need.
case "$controller" in
ahci) attach=(-M q35 -device "ahci,id=ahci" -device "$device,drive=d0,bus=ahci.0") ;;
piix) attach=(-M pc -device "$device,drive=d0,bus=ide.0") ;;
*) echo "run: CONTROLLER must be ahci or piix" >&2; exit 1 ;;
esac
timeout "$timeout_s" "$qemu" -accel tcg -smp 1 -m 512 -nographic -no-reboot -nic none \
    -kernel "$kernel" -initrd "$initrd" -append 'console=ttyS0 panic=-1 quiet' \
    -drive if=none,id=d0,file="$img",format=raw "${attach[@]}" </dev/null >"$log" 2>&1 || rc=$?
elapsed=$(( $(date +%s) - start ))
rm -f "$img"
echo "run: $series $device on $controller: QEMU exited $rc after ${elapsed}s, log $log"

failed=0
pass() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; failed=1; }
# expect ACTUAL WANTED OK-MESSAGE FAIL-MESSAGE
expect() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$4"; fi; }

# Guest kernel messages as printed by /init (after the probe, so ioctl errors are in them).
dmesg_lines=$(grep -a '^GUEST-DMESG ' "$log" | sed 's/^GUEST-DMESG //' | tr -d '\r' || true)
probe_lines=$(grep -a '^OPAL-PROBE ' "$log" | tr -d '\r' || true)

if [ "$rc" = 124 ]; then
    fail "timed out after ${timeout_s}s"
elif [ "$rc" != 0 ]; then
    fail "QEMU exited with status $rc"
fi
if grep -aq '^GUEST-DONE' "$log"; then
    pass "guest init ran to the end"
else
    fail "guest init did not finish (no GUEST-DONE)"
fi
if grep -aq '^GUEST disk /dev/sda present' "$log"; then
    pass "/dev/sda appeared"
else
    fail "/dev/sda did not appear"
fi

features=$(printf '%s\n' "$dmesg_lines" | grep -E 'ata[0-9]+\.00: Features:' || true)
trust=0
printf '%s\n' "$features" | grep -qw 'Trust' && trust=1
opal_sd=0
printf '%s\n' "$dmesg_lines" | grep -qE 'sd [0-9:]+: \[sda\] supports TCG Opal' && opal_sd=1

status_line=$(printf '%s\n' "$probe_lines" | grep '^OPAL-PROBE status ' || true)
disc_line=$(printf '%s\n' "$probe_lines" | grep '^OPAL-PROBE discovery \(size\|errno\)' || true)
has_discovery=0
grep -aq '^GUEST skip discovery' "$log" || has_discovery=1

if [ "$expect_opal" = 1 ]; then
    expect "$trust" 1 "libata: ${features#*] }" \
        "libata did not report the Trust feature (Features line: '${features:-none}')"
    expect "$opal_sd" 1 "sd: supports TCG Opal" "sd did not print 'supports TCG Opal'"
    # GET_STATUS: Opal supported, locking supported; factory state: nothing enabled or locked.
    if [[ "$status_line" =~ flags=0x([0-9a-f]+) ]]; then
        flags=$((16#${BASH_REMATCH[1]}))
        if (( (flags & 0x3) == 0x3 && (flags & (0x4 | 0x8 | 0x10)) == 0 )); then
            pass "GET_STATUS ${status_line#OPAL-PROBE status }"
        else
            fail "GET_STATUS flags wrong for a fresh drive: ${status_line#OPAL-PROBE status }"
        fi
    else
        fail "GET_STATUS did not succeed: '${status_line:-no output}'"
    fi
    if [ "$has_discovery" = 1 ]; then
        if [[ "$disc_line" =~ features=([0-9a-f,]+) ]]; then
            list=,${BASH_REMATCH[1]},
            missing=""
            for code in 0001 0002 0003 0202 0203; do
                [[ "$list" == *",$code,"* ]] || missing="$missing $code"
            done
            if [ -z "$missing" ]; then
                pass "DISCOVERY features ${BASH_REMATCH[1]}"
            else
                fail "DISCOVERY lacks feature(s)$missing: ${BASH_REMATCH[1]}"
            fi
        else
            fail "DISCOVERY did not succeed: '${disc_line:-no output}'"
        fi
    else
        echo "  skip: IOC_OPAL_DISCOVERY (not in Linux $series; added in 6.4)"
    fi
else
    expect "$trust" 0 "libata: no Trust feature" "libata reports Trust on plain ide-hd: $features"
    expect "$opal_sd" 0 "sd: no 'supports TCG Opal'" "sd reports TCG Opal on plain ide-hd"
    if [[ "$status_line" == *errno=* ]]; then
        pass "GET_STATUS fails: ${status_line#OPAL-PROBE status }"
    else
        fail "GET_STATUS did not fail: '${status_line:-no output}'"
    fi
    if [ "$has_discovery" = 1 ]; then
        if [[ "$disc_line" == *errno=* ]]; then
            pass "DISCOVERY fails: ${disc_line#OPAL-PROBE discovery }"
        else
            fail "DISCOVERY did not fail: '${disc_line:-no output}'"
        fi
    else
        echo "  skip: IOC_OPAL_DISCOVERY (not in Linux $series; added in 6.4)"
    fi
fi

if [ "$failed" != 0 ]; then
    # What the guest kernel said about the disk is what explains a failure.
    echo "---- $log: probe output and guest kernel messages about ATA/SCSI/Opal ----"
    grep -a -E '^(GUEST|OPAL-PROBE)' "$log" | grep -v '^GUEST-DMESG' || true
    printf '%s\n' "$dmesg_lines" | grep -vE 'ata[0-9]+: SATA link down|scsi host[0-9]+: ahci$' || true
    echo "---- last lines of the console ----"
    tail -n 15 "$log"
    echo "----"
    exit 1
fi
