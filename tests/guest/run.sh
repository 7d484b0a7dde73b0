#!/usr/bin/env bash
# Boots one Debian kernel under TCG on a fresh disk attached as DEVICE (ide-opal-hd or
# ide-hd) and asserts what the guest kernel itself reports about TCG Opal on it.
# Usage: [QEMU=...] [GUEST_TIMEOUT=seconds] run.sh WORKDIR SERIES DEVICE [CONTROLLER [lifecycle|media|stress]]
#   WORKDIR holds kernels/SERIES/vmlinuz and initramfs-SERIES.cpio.gz (see run-all.sh);
#   CONTROLLER is ahci (SATA on q35, the default) or piix (legacy IDE on the pc machine);
#   the console log is written to WORKDIR/log-SERIES-DEVICE-CONTROLLER[-MODE].txt.
#   "lifecycle" (ide-opal-hd only): after the fresh-drive checks the same boot drives the drive
#   through its whole Opal life with the guest kernel's sed-opal ioctls (opal-probe lifecycle)
#   and every step's outcome is asserted (check_lifecycle below). The drive gets
#   serial=OPALGUEST1, so its PSID is PSIDOPALGUEST1, and QEMU runs with
#   -trace 'ide_opal_tper_*': the engine's account of every session and call. The trace goes
#   to QEMU's stderr, i.e. into the console log in order with the guest's OPAL-LIFE lines,
#   so each step's explanations are the trace lines just before its line; they are also
#   copied to WORKDIR/trace-SERIES-DEVICE-CONTROLLER-lifecycle.txt.
# Exit status 0 when every expectation held.
set -euo pipefail
work=${1:?usage: run.sh WORKDIR SERIES DEVICE}
series=${2:?usage: run.sh WORKDIR SERIES DEVICE}
device=${3:?usage: run.sh WORKDIR SERIES DEVICE}
controller=${4:-ahci}
mode=${5:-}
qemu=${QEMU:-qemu-system-x86_64}
timeout_s=${GUEST_TIMEOUT:-240}

kernel=$work/kernels/$series/vmlinuz
initrd=$work/initramfs-$series.cpio.gz
log=$work/log-$series-$device-$controller${mode:+-$mode}.txt
img=$work/disk-$series-$device-$controller${mode:+-$mode}.img
for f in "$kernel" "$initrd"; do
    [ -s "$f" ] || { echo "run: missing $f (run run-all.sh first)" >&2; exit 1; }
done
case "$device" in
ide-opal-hd) expect_opal=1 ;;
ide-hd) expect_opal=0 ;;
*) echo "run: DEVICE must be ide-opal-hd or ide-hd" >&2; exit 1 ;;
esac
trace=$work/trace-$series-$device-$controller${mode:+-$mode}.txt
here=$(cd "$(dirname "$0")" && pwd)
life=0
media=0
stress=0
noreboot=-no-reboot
devprops=""
append='console=ttyS0 panic=-1 quiet'
extra=()
case "$mode" in
"") ;;
lifecycle)
    [ "$device" = ide-opal-hd ] || { echo "run: lifecycle needs ide-opal-hd" >&2; exit 1; }
    life=1
    psid=PSIDOPALGUEST1
    devprops=",serial=OPALGUEST1"
    append="$append opal_life=1 opal_psid=$psid"
    # QEMU's "log" trace backend writes to stderr unless -D names a file; stderr keeps the
    # lines in order with the serial console (both go to the console log).
    extra=(-trace 'ide_opal_tper_*')
    ;;
media)
    # Two boots: the guest reboots once (a hardware reset for the drive), so no -no-reboot;
    # the host power-cycles the drive over QMP when the guest asks (opal-probe media).
    [ "$device" = ide-opal-hd ] || { echo "run: media needs ide-opal-hd" >&2; exit 1; }
    media=1
    noreboot=""
    devprops=",serial=OPALGUEST1,id=opal0"
    append="$append opal_media=1"
    qmp_sock=$work/qmp-$series-$controller.sock
    qmp_log=$work/qmp-$series-$controller.txt
    rm -f "$qmp_sock" "$qmp_log"
    # The device's trace goes to its own file (-D): in the console it could split guest lines.
    rm -f "$trace"
    extra=(-qmp "unix:$qmp_sock,server=on,wait=off" -D "$trace"
           -trace 'ide_opal_media_refused' -trace 'ide_opal_ncq_error_log'
           -trace 'ide_opal_power_cycle')
    ;;
stress)
    # No guest may stall: MBR writes and lock calls against NCQ reads and a timer
    # (opal-probe stress). The media checks' Range1 needs the larger image.
    [ "$device" = ide-opal-hd ] || { echo "run: stress needs ide-opal-hd" >&2; exit 1; }
    stress=1
    append="$append opal_stress=1"
    # Each TRUSTED SEND's start and end in the drive's trace, with timestamps.
    rm -f "$trace"
    extra=(-msg timestamp=on -D "$trace" -trace 'ide_opal_engine_start'
           -trace 'ide_opal_engine_done')
    ;;
*) echo "run: the 5th argument must be 'lifecycle', 'media', 'stress' or absent" >&2; exit 1 ;;
esac

# A factory-fresh drive every time: no state may leak between cases.
rm -f "$img"
# The drive keeps its state in the image's last 147 MiB; the media checks need LBAs beyond
# the 128 MiB shadow MBR area (mbr-size's default) in what is left.
truncate -s "$([ "$media" = 1 ] || [ "$stress" = 1 ] && echo 512M || echo 256M)" "$img"

start=$(date +%s)
rc=0
# quiet keeps the serial console fast; /init prints the dmesg lines the checks need.
case "$controller" in
ahci) attach=(-M q35 -device "ahci,id=ahci" -device "$device,drive=d0,bus=ahci.0$devprops") ;;
piix) attach=(-M pc -device "$device,drive=d0,bus=ide.0$devprops") ;;
*) echo "run: CONTROLLER must be ahci or piix" >&2; exit 1 ;;
esac
if [ "$media" = 1 ]; then
    # Answers the guest's "power-cycle-please" with QMP opal-power-cycle.
    (
        for _ in $(seq $((timeout_s * 5))); do
            if grep -aq 'power-cycle-please' "$log" 2>/dev/null; then
                "$here/qmp-command.py" "$qmp_sock" \
                    '{"execute": "opal-power-cycle", "arguments": {"id": "opal0"}}' >"$qmp_log" 2>&1
                exit
            fi
            sleep 0.2
        done
    ) &
    watcher=$!
fi
timeout "$timeout_s" "$qemu" -accel tcg -smp 1 -m 512 -nographic $noreboot -nic none \
    -kernel "$kernel" -initrd "$initrd" -append "$append" "${extra[@]}" \
    -drive if=none,id=d0,file="$img",format=raw "${attach[@]}" </dev/null >"$log" 2>&1 || rc=$?
# The watcher holds our stdout open: a caller reading it (run-all.sh) would wait for it.
[ -z "${watcher:-}" ] || kill "$watcher" 2>/dev/null || true
elapsed=$(( $(date +%s) - start ))
echo "run: $series $device on $controller${mode:+ ($mode)}: QEMU exited $rc after ${elapsed}s, log $log"
if [ "$media" = 1 ]; then
    # A new QEMU on the same image: the drive's state and data must have survived.
    restart_log=${log%.txt}-restart.txt
    restart_rc=0
    timeout "$timeout_s" "$qemu" -accel tcg -smp 1 -m 512 -nographic -no-reboot -nic none \
        -kernel "$kernel" -initrd "$initrd" -append "$append opal_restart=1" \
        -D "${trace%.txt}-restart.txt" -trace 'ide_opal_state_loaded' \
        -trace 'ide_opal_tper_*' -trace 'ide_opal_media_refused' \
        -drive if=none,id=d0,file="$img",format=raw "${attach[@]}" </dev/null \
        >"$restart_log" 2>&1 || restart_rc=$?
    echo "run: restart on the same image: QEMU exited $restart_rc, log $restart_log"
fi
rm -f "$img"

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
# What the device guide's command (block guest-find-opal of opal.rst) found in the guest:
# 1 if it showed both the libata Trust line and sd's TCG Opal line.
doc_lines=$(grep -a '^GUEST-DOC find-opal ' "$log" | tr -d '\r' || true)
doc_found=0
grep -qE 'ata[0-9.]+: Features:.*Trust' <<<"$doc_lines" &&
    grep -q 'supports TCG Opal' <<<"$doc_lines" && doc_found=1

if [ "$expect_opal" = 1 ]; then
    expect "$trust" 1 "libata: ${features#*] }" \
        "libata did not report the Trust feature (Features line: '${features:-none}')"
    expect "$opal_sd" 1 "sd: supports TCG Opal" "sd did not print 'supports TCG Opal'"
    expect "$doc_found" 1 "the guide's dmesg | grep finds Trust and TCG Opal" \
        "the guide's dmesg | grep did not find both lines: '${doc_lines:-nothing}'"
    if [ "$controller" = ahci ]; then
        # A SATA drive (IDENTIFY word 93 = 0): no 128 KiB cap as for a PATA disk behind a bridge.
        bridge=$(printf '%s\n' "$dmesg_lines" | grep -E 'ata1\.00: applying bridge limits' || true)
        expect "$bridge" "" "libata: SATA drive, no bridge limits" "libata: $bridge"
    fi
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
    expect "$doc_found" 0 "the guide's dmesg | grep finds no Opal drive" \
        "the guide's dmesg | grep finds an Opal drive on plain ide-hd: '$doc_lines'"
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

# ---- lifecycle ----
# Expected outcome of every step: ok (rc=0) or fail (rc != 0: the drive or the kernel refused);
# fail=N: the drive refused with TCG status N (the ioctl returns it).
# "new" marks the ioctls Linux added in 6.4 (the probe prints skip=... on older kernels).
LIFE_STEPS=(
    "take-ownership ok"
    "activate-lsp-wrong-sid fail"
    "activate-lsp ok"
    "lr-setup ok"
    "set-pw-admin1 ok"
    "set-pw-user1 ok"
    "activate-user1 ok"
    "add-user1-lr1-rw ok"
    "add-user1-lr1-ro ok"
    "lock-lk-user1 ok"
    "lock-rw-user1 ok"
    # ADD_USR_TO_LR replaced ACE_Locking_Range1_Set_{Rd,Wr}Locked "Admins" by User1 alone,
    # but ACE_Locking_Range1_Set_RangeStartToLOR (Admins, columns 3..9) still lets Admin1.
    "lock-ro-admin1 ok"
    "lock-user1-wrong-pw fail"
    "mbr-enable ok"
    "mbr-write-shadow ok"
    "mbr-done-1 ok"
    "mbr-done-0 ok"
    "mbr-disable ok"
    "datastore-write ok"
    "datastore-read ok"
    "status-activated ok"
    "lr-status-admin1 ok new"
    "lr-status-user1 ok new"
    "geometry ok new"
    "discovery-activated ok new"
    "secure-erase-lr1 ok"
    # Erase is a Single User Mode method: Range1 is not single-user, no access control
    # entry names Erase on it, so NOT_AUTHORIZED (status 1), the refusal Core 5.3.4.3 gives.
    "erase-lr1 fail=1"
    "revert-lsp ok new"
    "activate-lsp-again ok new"
    "revert-tpr ok"
    "take-ownership-again ok"
    "psid-revert-wrong fail"
    "psid-revert ok"
    "status-factory ok"
    "take-ownership-after-psid ok"
    # Single User Mode: Range1 User2's, Admin1 refused (NOT_AUTHORIZED), Erase by Admin1.
    "sum-activate ok"
    "sum-set-pw-user2 ok"
    "sum-lr-setup ok"
    "sum-lock-lk-user2 ok"
    "sum-lock-rw-user2 ok"
    "sum-lock-admin1 fail=1"
    "sum-set-pw-user2-admin1 fail=1"
    "sum-erase-lr1 ok"
    # Erase emptied User2's PIN: its old password is wrong now.
    "sum-lock-user2-old-pw fail"
    "sum-erase-lr2 fail=1"
    "sum-revert-tpr ok"
    "sum-take-ownership ok"
)

tcg_status_name() {
    case "$1" in
    1) echo NOT_AUTHORIZED ;; 3) echo SP_BUSY ;; 4) echo SP_FAILED ;; 5) echo SP_DISABLED ;;
    6) echo SP_FROZEN ;; 7) echo NO_SESSIONS_AVAILABLE ;; 8) echo UNIQUENESS_CONFLICT ;;
    9) echo INSUFFICIENT_SPACE ;; 10) echo INSUFFICIENT_ROWS ;; 12) echo INVALID_PARAMETER ;;
    15) echo TPER_MALFUNCTION ;; 16) echo TRANSACTION_FAILURE ;; 17) echo RESPONSE_OVERFLOW ;;
    18) echo AUTHORITY_LOCKED_OUT ;; 63) echo FAIL ;; *) echo "?" ;;
    esac
}

# "rc=N errno=E" in words: a positive rc is the TCG method status the drive returned.
describe_rc() {
    local rc=$1 errno=$2
    if (( rc > 0 )); then
        echo "rc=$rc (TCG status $(tcg_status_name "$rc"))"
    elif (( rc < 0 )); then
        echo "rc=$rc errno=$errno ($(perl -e '$!=shift; print "$!"' "$errno" 2>/dev/null || echo ?))"
    else
        echo "rc=0"
    fi
}

check_lifecycle() {
    # Each step's engine trace lines: those logged since the previous OPAL-LIFE line.
    local -A step_line step_trace
    local buf="" line name
    while IFS= read -r line; do
        line=${line%$'\r'}
        if [[ "$line" == *ide_opal_tper_* ]]; then
            buf+="      ${line}"$'\n'
        elif [[ "$line" =~ ^OPAL-LIFE\ step=([^ ]+) ]]; then
            name=${BASH_REMATCH[1]}
            step_line[$name]=$line
            step_trace[$name]=$buf
            buf=""
        fi
    done < <(grep -a -E 'ide_opal_tper_|^OPAL-LIFE ' "$log")
    grep -a 'ide_opal_tper_' "$log" | tr -d '\r' >"$trace" || true

    if ! grep -aq '^OPAL-LIFE end' "$log"; then
        fail "lifecycle did not finish (no 'OPAL-LIFE end')"
    fi
    local entry want want_rc new l rc errno detail bad why
    for entry in "${LIFE_STEPS[@]}"; do
        read -r name want new <<<"$entry"
        want_rc=""
        if [[ "$want" == fail=* ]]; then
            want_rc=${want#fail=}
            want=fail
        fi
        l=${step_line[$name]:-}
        if [ -z "$l" ]; then
            fail "lifecycle $name: no output"
            continue
        fi
        if [[ "$l" == *" skip="* ]]; then
            if [ "$new" = new ] && [ "$series" = 6.1 ]; then
                echo "  skip: lifecycle $name (${l##* skip=})"
            else
                fail "lifecycle $name skipped: $l"
            fi
            continue
        fi
        [[ "$l" =~ rc=(-?[0-9]+)\ errno=([0-9]+) ]] || { fail "lifecycle $name: bad line $l"; continue; }
        rc=${BASH_REMATCH[1]}
        errno=${BASH_REMATCH[2]}
        detail=${l#*errno=$errno}
        detail=${detail# }
        bad=""
        if [ "$want" = ok ] && [ "$rc" != 0 ]; then
            bad="expected rc=0, got $(describe_rc "$rc" "$errno")"
        elif [ "$want" = fail ] && [ "$rc" = 0 ]; then
            bad="expected a refusal, got rc=0"
        elif [ -n "$want_rc" ] && [ "$rc" != "$want_rc" ]; then
            bad="expected TCG status $(tcg_status_name "$want_rc") (rc=$want_rc), got $(describe_rc "$rc" "$errno")"
        elif [ "$rc" = 0 ]; then
            # Content checks of the successful steps that return data.
            case "$name" in
            datastore-read)
                [[ "$detail" == *"match=1"* ]] || bad="read back differs: $detail" ;;
            status-activated)
                if [[ "$detail" =~ flags=0x([0-9a-f]+) ]] && (( (16#${BASH_REMATCH[1]} & 0x7) == 0x7 )); then :
                else bad="LOCKING_ENABLED (0x4) not set with SUPPORTED|LOCKING_SUPPORTED: $detail"; fi ;;
            status-factory)
                if [[ "$detail" =~ flags=0x([0-9a-f]+) ]] && (( (16#${BASH_REMATCH[1]} & 0x3) == 0x3 &&
                        (16#${BASH_REMATCH[1]} & 0x3c) == 0 )); then :
                else bad="not a factory state (want SUPPORTED|LOCKING_SUPPORTED only): $detail"; fi ;;
            lr-status-*)
                if [[ "$detail" =~ start=([0-9]+)\ length=([0-9]+)\ rle=([0-9]+)\ wle=([0-9]+)\ l_state=([0-9]+)\ want_l_state=([0-9]+) ]] &&
                    [ "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]} ${BASH_REMATCH[4]}" = "2048 4096 1 1" ] &&
                    [ "${BASH_REMATCH[5]}" = "${BASH_REMATCH[6]}" ]; then :
                else bad="want start=2048 length=4096 rle=1 wle=1 l_state=want_l_state: $detail"; fi ;;
            geometry)
                [[ "$detail" == "align=1 logical_block_size=512 alignment_granularity=8 lowest_aligned_lba=0" ]] ||
                    bad="want align=1 logical_block_size=512 alignment_granularity=8 lowest_aligned_lba=0: $detail" ;;
            discovery-activated)
                [[ "$detail" == *"locking_enabled=1"* ]] || bad="Locking feature not enabled: $detail" ;;
            esac
        fi
        if [ -z "$bad" ]; then
            if [ "$want" = fail ]; then
                # The engine's reason, without the routine session lines.
                why=$(printf '%s' "${step_trace[$name]}" | sed 's/^ *//; s/^[0-9]*@[0-9.]*://' |
                    grep -v -E 'started:|ended: closed by the host|ended: the TPer ended it|SUCCESS: $|proven 1: $|_reset ' |
                    sed 's/^ide_opal_tper_[a-z_]* ide-opal-hd 0x[0-9a-f]*: //' | paste -sd';' || true)
                pass "lifecycle $name refused: $(describe_rc "$rc" "$errno")${detail:+ $detail}${why:+ -- engine: $why}"
            else
                pass "lifecycle $name${detail:+ $detail}"
            fi
        else
            fail "lifecycle $name: $bad"
            if [ -n "${step_trace[$name]}" ]; then
                echo "    engine trace for $name:"
                printf '%s' "${step_trace[$name]}"
            else
                echo "    engine trace for $name: (none)"
            fi
        fi
    done
    echo "  lifecycle: engine trace in $trace ($(wc -l <"$trace") lines)"
}

# ---- media ----
# What each step's line must say: io=ok|eremoteio for a 4 KiB O_DIRECT read or write, data=
# same|differs for what a read returned, rc=0 for a sed-opal ioctl, the busybox dd exit status.
# A refused queued command carries sense data DATA PROTECT / ACCESS DENIED (NCQ autosense),
# which Linux turns into EREMOTEIO, with no retry, reset or NCQ fallback (checked below).
MEDIA_STEPS=(
    "write-lba0 io=ok" "write-outside io=ok"
    "take-ownership rc=0" "activate-lsp rc=0" "lr-setup rc=0"
    "write-range1 io=ok" "read-range1 data=same"
    # Locked (RLE/WLE on, ReadLocked/WriteLocked set): EIO, the neighbours work.
    "lock-lk rc=0" "locked-read io=eremoteio" "locked-read-last io=eremoteio" "locked-write io=eremoteio"
    "locked-dd dd_exit=1" "locked-read-before io=ok" "locked-read-after io=ok"
    "locked-read-outside data=same" "locked-write-outside io=ok"
    # Read-only: reads exact, writes refused.
    "lock-ro rc=0" "ro-read data=same" "ro-write io=eremoteio"
    "lock-rw rc=0" "rw-write io=ok" "rw-read data=same"
    # Shadow MBR: LBA 0 shows the MBR table and refuses writes until Done.
    "mbr-enable rc=0" "mbr-write-shadow rc=0" "mbr-done-0 rc=0"
    "shadow-read-lba0 data=same" "shadow-write-lba0 io=eremoteio"
    "mbr-done-1 rc=0" "done-read-lba0 data=same"
    # Crypto erase: a new key, the old data is noise.
    "secure-erase-lr1 rc=0" "erased-read data=differs" "rewrite-range1 io=ok"
    # The pre-boot image: locked drive, shadow MBR; unlock, Done, reboot.
    "pba-power-on-state rc=0" "pba-power-on-done-0 rc=0" "pba-sees-shadow data=same"
    "pba-range1-locked io=eremoteio" "pba-unlock rc=0" "pba-done rc=0"
    # After the reboot (a hardware reset): still unlocked, real LBA 0.
    "reboot-read-lba0 data=same" "reboot-read-range1 data=same"
    # After the host's power cycle: locked again, shadow MBR back.
    "power-cycle-seen locked=1" "cycled-read-range1 io=eremoteio" "cycled-read-lba0 data=same"
)

# The third boot, in a new QEMU: state and data kept, locked again, shadow MBR back.
RESTART_STEPS=(
    "restart-read-range1 io=eremoteio" "restart-read-lba0 data=same"
    "restart-read-outside data=same"
    "restart-unlock-wrong-pw rc=1" "restart-still-locked io=eremoteio" "restart-unlock rc=0"
    "restart-read-range1-unlocked data=same" "restart-done rc=0"
    "restart-read-lba0-done data=same"
)

check_media() {
    local entry name want l err=eremoteio
    # Linux 6.1 applies the NCQ error log's sense data to zoned (ZAC) drives only: for it a
    # refusal is a bare ABRT, which it retries, counts against the drive and answers with EIO.
    [ "$series" = 6.1 ] && err=eio
    grep -aq '^OPAL-MEDIA begin boot=2' "$log" || fail "media: the guest did not come back after its reboot"
    for entry in "${MEDIA_STEPS[@]}"; do
        read -r name want <<<"$entry"
        want=${want/eremoteio/$err}
        l=$(grep -a -E "^OPAL-(MEDIA|LIFE) step=$name( |\$)" "$log" | tr -d '\r' | head -n1 || true)
        if [ -z "$l" ]; then
            fail "media $name: no output"
        elif [[ " $l " == *" $want "* ]]; then
            pass "media $name: $want"
        else
            fail "media $name: want $want, got: ${l#* step=$name }"
        fi
    done
    # Knowing why (the sense data), Linux neither retries nor holds the refusals against the
    # drive: each refused command reached the device once, and NCQ and the link stayed up.
    local refused resets
    refused=$(grep -ac 'ide_opal_media_refused' "$trace" || true)
    resets=$(grep -a -E 'NCQ disabled|hard resetting link|limiting (speed|SATA link)' "$log" | head -n 3 || true)
    if [ "$err" = eremoteio ]; then
        # 8 refused I/Os above, and the read that told the guest the power cycle happened.
        expect "$refused" 9 "media: 9 refused commands, each seen once (no retries)" \
            "media: the device refused $refused commands, want 9 (one per refused I/O)"
        expect "$resets" "" "media: no link reset, no NCQ fallback" "media: libata escalated: $resets"
    else
        echo "  note: Linux $series retried: $refused refusals for 9 refused I/Os; it says:"
        printf '%s\n' "$resets" | sed 's/^/    /'
    fi
    # The restart: a new QEMU found the state, the data, and the drive locked again.
    expect "$restart_rc" 0 "restart: QEMU exited 0" "restart: QEMU exited $restart_rc"
    grep -aq '^OPAL-MEDIA begin boot=restart' "$restart_log" ||
        fail "restart: the probe did not run (log $restart_log)"
    for entry in "${RESTART_STEPS[@]}"; do
        read -r name want <<<"$entry"
        want=${want/eremoteio/$err}
        l=$(grep -a -E "^OPAL-(MEDIA|LIFE) step=$name( |\$)" "$restart_log" | tr -d '\r' | head -n1 || true)
        if [[ -n "$l" && " $l " == *" $want "* ]]; then
            pass "restart $name: $want"
        else
            fail "restart $name: want $want, got: ${l:-no output}"
        fi
    done
    if grep -aq 'ide_opal_state_loaded' "${trace%.txt}-restart.txt"; then
        pass "restart: $(grep -a -o 'Opal state generation.*' "${trace%.txt}-restart.txt")"
    else
        fail "restart: the drive did not load a saved state"
    fi
    if [ -s "${qmp_log:-}" ]; then
        pass "QMP opal-power-cycle: $(cat "$qmp_log")"
    else
        fail "QMP opal-power-cycle was not sent"
    fi
    # What the device said about refused commands: one line per refusal, with the reason.
    echo "  media: $refused commands refused by the media gate (trace: $trace), e.g."
    # -m, not head: head exiting first would kill grep with SIGPIPE, failing under pipefail.
    grep -a -m 3 'ide_opal_media_refused' "$trace" | sed 's/^/    /'
}

# The stress case: every call, read and timer fire within the limit, nothing failed that
# should not have, and the reads met Range1 both locked and unlocked.
check_stress() {
    local result
    result=$(grep -a '^OPAL-STRESS result ' "$log" | tr -d '\r' || true)
    if [ -z "$result" ]; then
        fail "stress: no result (the guest stalled or the probe died)"
        return
    fi
    echo "  stress: ${result#OPAL-STRESS result }"
    declare -A v
    local kv
    for kv in ${result#OPAL-STRESS result }; do
        v[${kv%%=*}]=${kv#*=}
    done
    expect "${v[failures]}" 0 "stress: ${v[calls]} MBR writes and the lock calls all succeeded" \
        "stress: ${v[failures]} sed-opal calls failed"
    expect "${v[reads_bad]}" 0 "stress: no read failed but the refused ones" \
        "stress: ${v[reads_bad]} reads failed unexpectedly"
    if (( v[reads_ok] > 0 && v[reads_refused] > 0 )); then
        pass "stress: reads served (${v[reads_ok]}) and refused (${v[reads_refused]})"
    else
        fail "stress: reads served ${v[reads_ok]}, refused ${v[reads_refused]}: want both"
    fi
    local what
    for what in worst_read_ms worst_late_ms; do
        if (( v[$what] < v[limit_ms] )); then
            pass "stress: $what ${v[$what]} < ${v[limit_ms]}"
        else
            fail "stress: $what ${v[$what]} >= ${v[limit_ms]}: something waited on the machine"
        fi
    done
    if (( v[worst_ioctl_ms] < v[call_limit_ms] )); then
        pass "stress: slowest sed-opal call ${v[worst_ioctl_ms]} ms"
    else
        fail "stress: a sed-opal call took ${v[worst_ioctl_ms]} ms: a stall"
    fi
    # Every TRUSTED SEND, from the drive starting on it to its end, from the trace's
    # timestamps (pid@seconds.micros:event): commands run one at a time, so pairs follow.
    local cmds
    cmds=$(awk -F'[@: ]' '
        /:ide_opal_engine_start / { start = $2 }
        /:ide_opal_engine_done / && start != "" {
            ms = ($2 - start) * 1000; n++
            if (ms > worst) worst = ms
            start = ""
        }
        END { printf "%d %.0f\n", n, worst }' "$trace")
    read -r n worst <<<"$cmds"
    if (( n > 0 && worst < v[limit_ms] )); then
        pass "stress: $n TRUSTED SEND commands, the slowest $worst ms"
    else
        fail "stress: $n TRUSTED SEND commands traced, the slowest $worst ms (limit ${v[limit_ms]})"
    fi
}

if [ "$life" = 1 ]; then
    check_lifecycle
fi
if [ "$stress" = 1 ]; then
    check_stress
fi
if [ "$media" = 1 ]; then
    check_media
fi

if [ "$failed" != 0 ]; then
    # What the guest kernel said about the disk is what explains a failure.
    echo "---- $log: probe output and guest kernel messages about ATA/SCSI/Opal ----"
    grep -a -E '^(GUEST|OPAL-PROBE)' "$log" | grep -v '^GUEST-DMESG' || true
    # (OPAL-LIFE lines are summarised above, one ok/FAIL line per step.)
    printf '%s\n' "$dmesg_lines" | grep -vE 'ata[0-9]+: SATA link down|scsi host[0-9]+: ahci$' || true
    echo "---- last lines of the console ----"
    tail -n 15 "$log"
    echo "----"
    exit 1
fi
