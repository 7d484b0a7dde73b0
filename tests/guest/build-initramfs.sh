#!/usr/bin/env bash
# Builds the guest test's initramfs: static busybox, the AHCI/SCSI disk modules of one
# kernel (from fetch-kernels.sh), the static opal-probe and an /init that reports what the
# guest kernel sees on /dev/sda (and, if the kernel command line says opal_life=1, drives
# the drive through its Opal lifecycle; with opal_media=1, checks what locking does to
# I/O over two boots), then powers off.
# Usage: build-initramfs.sh KERNELDIR OPAL_PROBE OUTPUT.cpio.gz
set -euo pipefail
kdir=${1:?usage: build-initramfs.sh KERNELDIR OPAL_PROBE OUTPUT.cpio.gz}
probe=${2:?usage: build-initramfs.sh KERNELDIR OPAL_PROBE OUTPUT.cpio.gz}
output=${3:?usage: build-initramfs.sh KERNELDIR OPAL_PROBE OUTPUT.cpio.gz}

# Output lines start with GUEST so run.sh can tell them from kernel console noise.
init=$(mktemp)
trap 'rm -f "$init"' EXIT
cat > "$init" <<'INIT'
#!/bin/busybox sh
. /bin/boot-disk.sh
boot_disk GUEST
i=$boot_wait
if [ -b /dev/sda ]; then
    echo "GUEST disk /dev/sda present after $((i * 200)) ms"
else
    echo "GUEST disk missing"
fi

# IOC_OPAL_GET_STATUS exists since Linux 6.0, IOC_OPAL_DISCOVERY since 6.4.
ops=status
kv=$(uname -r)
major=${kv%%.*}
minor=${kv#*.}
minor=${minor%%[!0-9]*}
if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 4 ]; }; then
    ops="status discovery"
else
    echo "GUEST skip discovery: IOC_OPAL_DISCOVERY needs Linux 6.4+, this is $kv"
fi
if [ -b /dev/sda ]; then
    # shellcheck disable=SC2086
    opal-probe /dev/sda $ops
    echo "GUEST probe-exit $?"
fi

# The lifecycle (run.sh asks for it with "opal_life=1 opal_psid=PSID" on the kernel command
# line) runs after the fresh-drive checks above: it changes the drive's state.
if [ -b /dev/sda ] && grep -qw 'opal_life=1' /proc/cmdline; then
    psid=$(sed -n 's/.*opal_psid=\([^ ]*\).*/\1/p' /proc/cmdline)
    opal-probe /dev/sda lifecycle "$psid"
    echo "GUEST lifecycle-exit $?"
fi

# The media checks (run.sh asks with "opal_media=1") span two boots: the first ends with
# a reboot, which the drive sees as a hardware reset (see opal-probe.c, media).
media_reboot=0
if [ -b /dev/sda ] && grep -qw 'opal_media=1' /proc/cmdline; then
    # tee, not a redirection: the host must see "power-cycle-please" when it is printed.
    # opal_restart=1: the machine is a new QEMU on the image the first two boots left.
    if grep -qw 'opal_restart=1' /proc/cmdline; then
        opal-probe /dev/sda media-restart | tee /tmp/media.out
    else
        opal-probe /dev/sda media | tee /tmp/media.out
    fi
    grep -q 'step=pba-reboot' /tmp/media.out && media_reboot=1
fi

# The device guide's own command for finding the drive (block guest-find-opal of opal.rst).
sh /bin/guest-find-opal | sed 's/^/GUEST-DOC find-opal /'

# After the probe so that errors the ioctls caused are included.
echo "GUEST dmesg-begin"
dmesg | grep -E 'ata[0-9]|sd [0-9]|scsi|[Oo]pal|TCG|ahci|I/O error' | sed 's/^/GUEST-DMESG /'
echo "GUEST dmesg-end"

# The stress case (run.sh asks with "opal_stress=1"): PBA-sized MBR writes and lock calls
# while other processes read through NCQ and time a timer (opal-probe.c, stress). After
# the dmesg lines above, and with the console quiet: each refused read makes the kernel
# log a page of error recovery.
if [ -b /dev/sda ] && grep -qw 'opal_stress=1' /proc/cmdline; then
    dmesg -n 1
    opal-probe /dev/sda stress
fi
if [ $media_reboot = 1 ]; then
    echo "GUEST-REBOOT"
    reboot -f
fi
echo "GUEST-DONE"
poweroff -f
INIT

# The program keeps its name inside: /init calls it by that name.
prog=$(mktemp -d)
trap 'rm -rf "$init" "$prog"' EXIT
cp "$probe" "$prog/opal-probe"
top=$(cd "$(dirname "$0")/../.." && pwd)
python3 "$top/tests/docs/doc_blocks.py" "$top/docs/system/devices/opal.rst" guest-find-opal \
    >"$prog/guest-find-opal"
"$(dirname "$0")/pack-initramfs.sh" "$kdir" "$init" "$output" "$prog/opal-probe" \
    "$prog/guest-find-opal"
