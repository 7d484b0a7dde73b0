#!/usr/bin/env bash
# Demo: boots Debian's 6.12 kernel on a fresh ide-opal-hd and shows, readably, what the guest
# kernel sees: libata's Trust feature, sd's "supports TCG Opal", the Level 0 Discovery
# features (IOC_OPAL_DISCOVERY) and the sed-opal status flags (IOC_OPAL_GET_STATUS).
# Usage: [QEMU=...] demo.sh BUILDDIR   (QEMU defaults to BUILDDIR/qemu-system-x86_64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: demo.sh BUILDDIR}
build=$(cd "$build" && pwd)
export QEMU=${QEMU:-$build/qemu-system-x86_64}
work=$build/tests-guest
series=6.12
device=ide-opal-hd

"$here/prepare.sh" "$work" "$series" >/dev/null
echo "Booting Debian's Linux $(cat "$work/kernels/$series/kernel-version") under TCG on a fresh $device..."
rc=0
checks=$("$here/run.sh" "$work" "$series" "$device" 2>&1) || rc=$?
log=$work/log-$series-$device-ahci.txt
if [ "$rc" != 0 ]; then
    printf '%s\n' "$checks"
    echo "demo: the guest did not see a working Opal drive (details above)" >&2
    exit 1
fi

# Lines of one kind from the console log; none is not an error here.
guest() { grep -a "$1" "$log" | tr -d '\r' || true; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

echo
echo "The guest kernel's own messages:"
guest '^GUEST-DMESG ' | sed 's/^GUEST-DMESG \[[ 0-9.]*\] //' |
    grep -E 'ata[0-9]+\.00: (ATA-|Features:)|\[sda\] (supports TCG Opal|[0-9]+ 512-byte)' | sed 's/^/  /'

echo
echo "Level 0 Discovery as returned by IOC_OPAL_DISCOVERY on /dev/sda:"
guest '^OPAL-PROBE discovery-header ' | sed 's/^OPAL-PROBE discovery-header /  header: /'
guest '^OPAL-PROBE feature ' | while read -r line; do
    code=$(field code <<<"$line")
    printf '  0x%s  %-15s version %s, %s bytes\n' "$code" "$(field name <<<"$line")" \
        "$(field version <<<"$line")" "$(field length <<<"$line")"
    # Decoded fields of the descriptors the probe knows.
    guest "^OPAL-PROBE feature-detail code=$code " |
        sed "s/^OPAL-PROBE feature-detail code=$code /          /"
done

echo
echo "sed-opal status from IOC_OPAL_GET_STATUS:"
status=$(guest '^OPAL-PROBE status ')
flags=$(field flags <<<"$status")
echo "  flags $flags"
for pair in 0x01:SUPPORTED 0x02:LOCKING_SUPPORTED 0x04:LOCKING_ENABLED 0x08:LOCKED \
            0x10:MBR_ENABLED 0x20:MBR_DONE 0x40:SUM_SUPPORTED; do
    if (( flags & ${pair%%:*} )); then
        echo "    set    OPAL_FL_${pair#*:}"
    else
        echo "    clear  OPAL_FL_${pair#*:}"
    fi
done

echo
echo "Checks (as in run-all.sh):"
printf '%s\n' "$checks" | grep -E '^  (ok|skip):' | sed 's/^  /  /'
