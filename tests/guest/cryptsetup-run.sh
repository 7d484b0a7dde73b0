#!/usr/bin/env bash
# The cryptsetup case of the guest test: Debian trixie's cryptsetup 2.7 (cryptsetup-fetch.sh)
# formats, opens, closes and reopens LUKS2 volumes on ide-opal-hd with --hw-opal-only
# (/dev/sda1: the drive's encryption alone, behind a dm-linear mapping) and --hw-opal
# (/dev/sda2: dm-crypt on top of the drive's), in a Linux 6.12 guest, running the device
# guide's own commands: the guest-cryptsetup-* console blocks of docs/system/devices/opal.rst,
# extracted with tests/docs/doc_blocks.py and run verbatim (each in `sh -e`, after the block
# guest-cryptsetup-secrets that defines $PASSPHRASE and $ADMIN_PIN). Two QEMU runs on one
# image: the second is a power cycle, after which the ranges must come up locked.
# Usage: [QEMU=...] [GUEST_TIMEOUT=seconds] cryptsetup-run.sh WORKDIR [SERIES]
#   WORKDIR as for run.sh (kernels/SERIES from fetch-kernels.sh); SERIES defaults to 6.12
#   (cryptsetup's OPAL support needs Linux 6.4+). Logs: WORKDIR/log-SERIES-cryptsetup*.txt,
#   the engine's trace WORKDIR/trace-SERIES-cryptsetup*.txt.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=${1:?usage: cryptsetup-run.sh WORKDIR [SERIES]}
series=${2:-6.12}
qemu=${QEMU:-qemu-system-x86_64}
timeout_s=${GUEST_TIMEOUT:-300}
doc=$top/docs/system/devices/opal.rst
kdir=$work/kernels/$series
[ -s "$kdir/vmlinuz" ] || { echo "cryptsetup-run: missing $kdir/vmlinuz (run prepare.sh)" >&2; exit 1; }

# The blocks of the guide, in the order the guest runs them; boot 2 is the power cycle.
BOOT1_BLOCKS=(guest-cryptsetup-format guest-cryptsetup-dump guest-cryptsetup-open
    guest-cryptsetup-write guest-cryptsetup-close guest-cryptsetup-locked
    guest-cryptsetup-wrong guest-cryptsetup-read guest-cryptsetup-hw-format
    guest-cryptsetup-hw-use)
BOOT2_BLOCKS=(guest-cryptsetup-locked guest-cryptsetup-read guest-cryptsetup-hw-read)

"$here/cryptsetup-fetch.sh" "$work/cryptsetup" >/dev/null
probe=$work/opal-probe
[ -x "$probe" ] || { echo "cryptsetup-run: missing $probe (run prepare.sh)" >&2; exit 1; }

# ---- the initramfs: pack-initramfs.sh's image, then a second cpio archive with cryptsetup
# and its libraries (the kernel unpacks concatenated archives in turn) ----
tmp=$(mktemp -d "$work/cryptsetup-initramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/blocks"
for b in guest-cryptsetup-secrets "${BOOT1_BLOCKS[@]}" "${BOOT2_BLOCKS[@]}"; do
    python3 "$top/tests/docs/doc_blocks.py" "$doc" "$b" >"$tmp/blocks/$b"
done
cat >"$tmp/init" <<'INIT'
#!/bin/busybox sh
. /bin/boot-disk.sh
boot_disk GUEST
# trixie's cryptsetup with trixie's libraries and loader (the second archive); no udev here,
# so libdevmapper makes the /dev/mapper nodes itself.
export PATH=/usr/sbin:/bin LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu DM_DISABLE_UDEV=1
mkdir -p /run/cryptsetup
# The device-mapper table of an open volume, from sysfs (there is no dmsetup here).
dmsetup_table() {
    for d in /sys/block/dm-*; do
        [ "$(cat "$d/dm/name" 2>/dev/null)" = "$1" ] && echo "${d##*/} $(cat "$d/size") sectors"
    done
}
echo "GUEST $(cryptsetup --version)"

# doc BLOCK: one of the guide's blocks, verbatim, in sh -e after the secrets block.
doc() {
    echo "CS-BEGIN $1"
    sh -e -c ". /bin/guest-cryptsetup-secrets; . /bin/$1" </dev/null 2>&1
    echo "CS-END $1 rc=$?"
}

if grep -qw 'opal_cs_boot=2' /proc/cmdline; then
    for b in @BOOT2_BLOCKS@; do doc "$b"; done
    # Not in the guide's commands: Admin1, with the OPAL admin password alone, unlocks Range1
    # (cryptsetup leaves Admins in ACE_Locking_Range1_Set_RangeStartToLOR), then locks it.
    (
        . /bin/guest-cryptsetup-secrets
        opal-probe /dev/sda lock 1 rw "$ADMIN_PIN"
        echo "GUEST admin-unlocked sda1: $(dd if=/dev/sda1 bs=1M skip=16 count=1 iflag=direct 2>/dev/null | head -n 1)"
        opal-probe /dev/sda lock 1 lk "$ADMIN_PIN"
    )
else
    # Two 64 MiB partitions: /dev/sda1 for --hw-opal-only, /dev/sda2 for --hw-opal.
    printf 'o\nn\np\n1\n2048\n+64M\nn\np\n2\n133120\n+64M\nw\n' | fdisk /dev/sda >/dev/null 2>&1
    i=0
    while [ $i -lt 50 ] && ! { [ -b /dev/sda1 ] && [ -b /dev/sda2 ]; }; do usleep 100000; i=$((i + 1)); done
    echo "GUEST partitions $(grep -o 'sda[0-9]*$' /proc/partitions | tr '\n' ' ')"
    for b in @BOOT1_BLOCKS@; do
        doc "$b"
        if [ "$b" = guest-cryptsetup-open ]; then
            # Stop here rather than let the next block write a regular file in /dev/mapper.
            [ -b /dev/mapper/opaldata ] || break
            echo "GUEST opened /dev/mapper/opaldata is a block device: $(dmsetup_table opaldata)"
        fi
    done
    # Not in the guide: what each volume's unlocked range holds, read past the mapping.
    # --hw-opal-only maps it with dm-linear: the drive decrypts, the plaintext is there;
    # --hw-opal puts dm-crypt on top: the range holds dm-crypt's ciphertext.
    (
        . /bin/guest-cryptsetup-secrets
        printf '%s\n' "$PASSPHRASE" | cryptsetup open /dev/sda1 layer1 &&
        printf '%s\n' "$PASSPHRASE" | cryptsetup open /dev/sda2 layer2 || exit 1
        # first BYTES of DEVICE from MiB SKIP (the LUKS2 header takes the first 16 MiB)
        first() { dd if="$1" bs=1M skip="$3" count=1 iflag=direct 2>/dev/null | head -c "$2" | od -An -c | tr -s ' \n' ' '; }
        echo "GUEST layer sda1-raw:$(first /dev/sda1 33 16)"
        echo "GUEST layer sda2-raw:$(first /dev/sda2 23 16)"
        echo "GUEST layer sda2-mapped:$(first /dev/mapper/layer2 23 0)"
        cryptsetup close layer1
        cryptsetup close layer2
    )
fi
echo "GUEST dmesg-begin"
dmesg | grep -E 'I/O error|[Oo]pal|device-mapper|dm-[0-9]|critical' | sed 's/^/GUEST-DMESG /'
echo "GUEST dmesg-end"
echo "GUEST-DONE"
poweroff -f
INIT
sed -i "s/@BOOT1_BLOCKS@/${BOOT1_BLOCKS[*]}/; s/@BOOT2_BLOCKS@/${BOOT2_BLOCKS[*]}/" "$tmp/init"
initrd=$work/initramfs-$series-cryptsetup.cpio.gz
"$here/pack-initramfs.sh" "$kdir" "$tmp/init" "$initrd.tmp" "$tmp"/blocks/* "$probe"
(cd "$work/cryptsetup/root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --quiet -R 0:0) | gzip -n -6 >>"$initrd.tmp"
mv "$initrd.tmp" "$initrd"

# ---- the two runs ----
log=$work/log-$series-cryptsetup.txt
log2=$work/log-$series-cryptsetup-restart.txt
trace=$work/trace-$series-cryptsetup.txt
trace2=$work/trace-$series-cryptsetup-restart.txt
info=$work/info-opal-$series-cryptsetup.json
info2=$work/info-opal-$series-cryptsetup-restart.json
img=$work/disk-$series-cryptsetup.img
qmp_sock=$work/qmp-$series-cryptsetup.sock
rm -f "$img" "$qmp_sock"
# 512 MiB: the drive keeps its state in the last 147 MiB, the guest sees the rest.
truncate -s 512M "$img"

# run LOG TRACE INFO APPEND: one QEMU run; when the guest has powered off (-no-shutdown keeps
# QEMU up), the drive's state is taken with HMP "info opal" into INFO and QEMU is told to quit.
run() {
    local log=$1 trace=$2 info=$3 append=$4 rc=0 start watcher
    rm -f "$qmp_sock"
    (
        for _ in $(seq $((timeout_s * 5))); do
            if grep -aq '^GUEST-DONE' "$log" 2>/dev/null && [ -S "$qmp_sock" ]; then
                sleep 1
                "$here/qmp-command.py" "$qmp_sock" '{"execute": "human-monitor-command",
                    "arguments": {"command-line": "info opal opal0"}}' >"$info" 2>&1 || true
                "$here/qmp-command.py" "$qmp_sock" '{"execute": "quit"}' >/dev/null 2>&1 || true
                exit
            fi
            sleep 0.2
        done
    ) &
    watcher=$!
    start=$(date +%s)
    timeout "$timeout_s" "$qemu" -accel tcg -smp 1 -m 1024 -nographic -no-reboot -no-shutdown \
        -nic none -kernel "$kdir/vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 quiet $append" \
        -qmp "unix:$qmp_sock,server=on,wait=off" -D "$trace" -trace 'ide_opal_tper_*' \
        -drive if=none,id=d0,file="$img",format=raw -M q35 -device ahci,id=ahci \
        -device ide-opal-hd,drive=d0,bus=ahci.0,serial=OPALCRYPT1,id=opal0 \
        </dev/null >"$log" 2>&1 || rc=$?
    # A QEMU that ended by itself (crashed, timed out) leaves the watcher waiting in vain.
    kill "$watcher" 2>/dev/null || true
    wait "$watcher" 2>/dev/null || true
    echo "run: QEMU exited $rc after $(( $(date +%s) - start ))s, log $log"
    return $rc
}

rc1=0; rc2=0
rm -f "$info" "$info2"
run "$log" "$trace" "$info" "" || rc1=$?
run "$log2" "$trace2" "$info2" "opal_cs_boot=2" || rc2=$?
# The drive encrypts what it stores: the image must not hold the text written in the guest.
at_rest=0
grep -aq -e 'data behind an Opal locking range' -e 'dm-crypt on top of Opal' "$img" && at_rest=1
rm -f "$img" "$qmp_sock"

# ---- the checks ----
failed=0
pass() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; failed=1; }

# The checks run under pipefail: a grep that finds nothing, or one cut short by head or
# grep -q (SIGPIPE), fails its pipeline, so patterns are matched in here-strings and
# lookups end in "|| true".
# block_out LOG BLOCK: what BLOCK printed (its first run in LOG); block_rc its exit status.
block_out() {
    tr -d '\r' <"$1" | awk -v b="$2" '$0 == "CS-BEGIN " b { k++; on = (k == 1); next }
        on && index($0, "CS-END " b " ") == 1 { on = 0 } on'
}
block_rc() {
    { grep -a -m 1 "^CS-END $2 rc=" "$1" || true; } | sed 's/.* rc=//' | tr -d '\r'
}
# expect_block LOG BLOCK RC [PATTERN]: the block exited RC and printed a line matching PATTERN.
expect_block() {
    local log=$1 b=$2 want=$3 pat=${4:-} rc out
    rc=$(block_rc "$log" "$b")
    out=$(block_out "$log" "$b")
    if [ "$rc" != "$want" ]; then
        fail "$b: exit status ${rc:-none}, want $want; it printed:"
        printf '%s\n' "$out" | tail -n 15 | sed 's/^/      /'
    elif [ -n "$pat" ] && ! grep -qE -- "$pat" <<<"$out"; then
        fail "$b: no line matching '$pat'; it printed:"
        printf '%s\n' "$out" | tail -n 15 | sed 's/^/      /'
    else
        pass "$b${pat:+: $(grep -m 1 -E -- "$pat" <<<"$out")}"
    fi
}

# check_info FILE WHEN: the drive's own view (HMP info opal): User2 and User3 enabled, Range1
# over sda1's data area (sda1 starts at LBA 2048, the LUKS2 header takes 16 MiB = 32768
# sectors, the data the remaining 48 MiB = 98304 sectors), Range2 likewise over sda2, both
# locked for reading and writing.
check_info() {
    local text l want
    if ! text=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["return"])' "$1" 2>/dev/null); then
        fail "HMP info opal $2: no answer ($(cat "$1" 2>/dev/null))"
        return
    fi
    for want in "LockingSP User2 +enabled" "LockingSP User3 +enabled" \
            "Range1: LBA 34816\+98304, read locked, write locked" \
            "Range2: LBA 165888\+98304, read locked, write locked"; do
        l=$(grep -m 1 -E "$want" <<<"$text" | sed 's/^ *//' || true)
        if [ -n "$l" ]; then
            pass "info opal $2: $l"
        else
            fail "info opal $2: no line matching '$want'; it says:"
            grep -E 'User[23]|Range[12]:' <<<"$text" | sed 's/^/      /' || true
        fi
    done
}

echo "== boot 1: luksFormat, open, write, close, locked, wrong passphrase, reopen; --hw-opal"
[ "$rc1" = 0 ] || fail "QEMU exited $rc1 (124: timed out after ${timeout_s}s)"
grep -aq '^GUEST-DONE' "$log" || fail "the guest did not finish (no GUEST-DONE)"
grep -a '^GUEST cryptsetup' "$log" | tr -d '\r' | sed 's/^GUEST /  /' || true
if grep -aq '^GUEST partitions sda sda1 sda2' "$log"; then pass "partitions sda1 and sda2"
else fail "partitions: $(grep -a '^GUEST partitions' "$log" | tr -d '\r')"; fi
expect_block "$log" guest-cryptsetup-format 0
expect_block "$log" guest-cryptsetup-dump 0 '^ *0: hw-opal$'
expect_block "$log" guest-cryptsetup-dump 0 'cipher: *\(no SW encryption\)'
expect_block "$log" guest-cryptsetup-dump 0 'OPAL segment number: *1$'
expect_block "$log" guest-cryptsetup-open 0 'encryption: *HW OPAL only'
if grep -aq '^GUEST opened /dev/mapper/opaldata is a block device' "$log"; then
    pass "/dev/mapper/opaldata is a block device"
else fail "no block device /dev/mapper/opaldata after open"; fi
expect_block "$log" guest-cryptsetup-write 0
expect_block "$log" guest-cryptsetup-close 0
expect_block "$log" guest-cryptsetup-locked 0 'read refused'
expect_block "$log" guest-cryptsetup-locked 0 '^dd: .*/dev/sda1: .*I/O error'
kerr=$(grep -a '^GUEST-DMESG' "$log" | grep -E 'critical target error, dev sda|I/O error, dev sda' |
    head -n 1 | tr -d '\r' | sed 's/^GUEST-DMESG \[[ 0-9.]*\] //' || true)
if [ -n "$kerr" ]; then pass "guest kernel: $kerr"
else fail "guest kernel reported no I/O error on sda while the range was locked"; fi
expect_block "$log" guest-cryptsetup-wrong 0 'No key available with this passphrase'
expect_block "$log" guest-cryptsetup-wrong 0 'wrong passphrase refused'
expect_block "$log" guest-cryptsetup-read 0 '^data behind an Opal locking range$'
expect_block "$log" guest-cryptsetup-hw-format 0
expect_block "$log" guest-cryptsetup-hw-use 0 'encryption: *dm-crypt over HW OPAL'
expect_block "$log" guest-cryptsetup-hw-use 0 'cipher: *aes-xts-plain64'
if [ "$at_rest" = 0 ]; then pass "the image holds neither text written in the guest (the drive encrypts at rest)"
else fail "the image holds the plaintext written in the guest"; fi
# The layers (see /init): od -c of the first bytes of each range read directly, while open.
plain1=$(printf '%s' 'data behind an Opal locking range' | od -An -c | tr -s ' \n' ' ')
plain2=$(printf '%s' 'dm-crypt on top of Opal' | od -An -c | tr -s ' \n' ' ')
layer() { grep -a "^GUEST layer $1:" "$log" | tr -d '\r' | sed "s/^GUEST layer $1://"; }
if [ "$(layer sda1-raw)" = "$plain1" ]; then
    pass "--hw-opal-only: Range1 read directly while open holds the plaintext"
else fail "--hw-opal-only: Range1 read directly while open: '$(layer sda1-raw)', want '$plain1'"; fi
if [ "$(layer sda2-mapped)" = "$plain2" ] && [ -n "$(layer sda2-raw)" ] && [ "$(layer sda2-raw)" != "$plain2" ]; then
    pass "--hw-opal: Range2 read directly while open holds dm-crypt's ciphertext, not the plaintext"
else fail "--hw-opal: raw '$(layer sda2-raw)', mapped '$(layer sda2-mapped)', want mapped '$plain2' and raw different"; fi
check_info "$info" "after boot 1 (volumes closed)"

echo "== boot 2 (a new QEMU on the same image: a power cycle)"
[ "$rc2" = 0 ] || fail "QEMU exited $rc2 (124: timed out after ${timeout_s}s)"
grep -aq '^GUEST-DONE' "$log2" || fail "the guest did not finish (no GUEST-DONE)"
expect_block "$log2" guest-cryptsetup-locked 0 'read refused'
expect_block "$log2" guest-cryptsetup-locked 0 '^dd: .*/dev/sda1: .*I/O error'
expect_block "$log2" guest-cryptsetup-read 0 '^data behind an Opal locking range$'
expect_block "$log2" guest-cryptsetup-hw-read 0 '^dm-crypt on top of Opal$'
l=$(grep -a '^GUEST admin-unlocked sda1: ' "$log2" | tr -d '\r' | sed 's/^GUEST admin-unlocked sda1: //' || true)
if [ "$l" = 'data behind an Opal locking range' ] &&
        grep -aq '^OPAL-CMD step=lock rc=0 .*ok' "$log2"; then
    pass "the admin password alone (Admin1) unlocks Range1: '$l'"
else
    fail "Admin1 did not unlock Range1: read '$l'; $(grep -a '^OPAL-CMD' "$log2" | tr -d '\r' | paste -sd';' || true)"
fi
check_info "$info2" "after boot 2"

if [ "$failed" != 0 ]; then
    echo "---- engine refusals and errors (trace: $trace, $trace2) ----"
    grep -a -h -E 'refused|wrong|fail|error|NOT_AUTHORIZED|INVALID' "$trace" "$trace2" 2>/dev/null |
        tail -n 30 || true
    echo "---- last lines of the console ($log, $log2) ----"
    tail -n 25 "$log" | tr -d '\r'
    echo "--"
    tail -n 15 "$log2" | tr -d '\r'
    exit 1
fi
