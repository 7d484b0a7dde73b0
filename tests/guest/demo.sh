#!/usr/bin/env bash
# Demo: boots Debian's 6.12 kernel on a fresh ide-opal-hd and shows, readably, what the guest
# kernel sees: libata's Trust feature, sd's "supports TCG Opal", the Level 0 Discovery
# features (IOC_OPAL_DISCOVERY) and the sed-opal status flags (IOC_OPAL_GET_STATUS).
# Then the whole story on another drive, told by the guest's own sed-opal calls and the
# drive's trace: take ownership, lock a range, see I/O refused, unlock, see the data;
# restart QEMU and find the drive locked again, refusing a wrong password and explaining
# why, until the right one unlocks the data it kept.
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

# ---- the story: run.sh's "media" case (two boots, then a restart of QEMU) ----------------
echo
echo "The story, on a second drive (Linux's sed-opal ioctls in the guest; a few minutes)..."
rc=0
story=$("$here/run.sh" "$work" "$series" "$device" ahci media 2>&1) || rc=$?
mlog=$work/log-$series-$device-ahci-media.txt
rlog=$work/log-$series-$device-ahci-media-restart.txt
mtrace=$work/trace-$series-$device-ahci-media.txt
rtrace=$work/trace-$series-$device-ahci-media-restart.txt
step() { grep -a -m1 -E "^OPAL-(MEDIA|LIFE) step=$2( |\$)" "$1" | tr -d '\r' | sed 's/^OPAL-[A-Z]* step=//' || true; }
say() { printf '  %-58s %s\n' "$1" "$2"; }
say "take ownership (SID password set):" "$(step "$mlog" take-ownership)"
say "activate the Locking SP:" "$(step "$mlog" activate-lsp)"
say "set up Range1 and write data into it:" "$(step "$mlog" write-range1)"
say "lock Range1 (read and write locked):" "$(step "$mlog" lock-lk)"
say "read Range1: refused by the drive" "$(step "$mlog" locked-read)"
echo "    the drive's trace says:"
grep -a -m1 'ide_opal_media_refused' "$mtrace" | sed 's/^[0-9@.:]* *//; s/^/      /' || true
say "unlock Range1 (Admin1's password):" "$(step "$mlog" lock-rw)"
say "read Range1 again:" "$(step "$mlog" rw-read)"
echo "  ...QEMU stops; a new QEMU starts on the same image:"
grep -a -m1 'ide_opal_state_loaded' "$rtrace" | sed 's/^[0-9@.:]* *//; s/^/      /' || true
say "read Range1 after the restart (locked again):" "$(step "$rlog" restart-read-range1)"
say "unlock with a wrong password:" "$(step "$rlog" restart-unlock-wrong-pw)"
echo "    the drive explains:"
grep -a 'ide_opal_tper_' "$rtrace" | grep -a -m2 -E 'wrong password|refused' |
    sed 's/^[0-9@.:]* *//; s/^/      /' || true
say "unlock with Admin1's password:" "$(step "$rlog" restart-unlock)"
say "read Range1: the data written before the restart" "$(step "$rlog" restart-read-range1-unlocked)"
if [ "$rc" != 0 ]; then
    printf '%s\n' "$story" | grep -E 'FAIL' | sed 's/^/  /'
    echo "demo: the story did not go as it should (details: $mlog, $rlog)" >&2
    exit 1
fi
echo "  (all $(printf '%s\n' "$story" | grep -c '^  ok:') checks of run.sh's media case passed)"

