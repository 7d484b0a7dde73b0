#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the pieces of the pre-boot authentication (PBA) example of docs/system/devices/
# opal.rst, "Pre-boot authentication: booting from the shadow MBR", in the current directory:
#
#   pba.img        the pre-boot image for the drive's shadow MBR: an MBR-partitioned disk
#                  image (syslinux's mbr.bin at LBA 0, one FAT partition holding syslinux,
#                  Debian's 6.12 vmlinuz and an xz initramfs whose /init runs UNLOCK_SCRIPT
#                  with busybox sh and the static opal-probe on PATH, console on ttyS0)
#   real.img       what the real disk starts with: at LBA 0 a boot sector (real-boot.asm)
#                  that prints "Booted the real disk" and the text of LBA 1 on COM1 and
#                  powers off; LBA 1 holds that text
#   vmlinuz, setup.cpio.gz
#                  a kernel and initramfs for the setup guest: its /init runs SETUP_SCRIPT
#                  with sh -ex in a directory holding pba.img and real.img, prints SETUP-OK
#                  or SETUP-FAILED and powers off (the files travel in the initramfs, not
#                  on disks of their own: the guest's disk names would then depend on the
#                  order in which the kernel probes its ports)
#
# Usage: build-pba.sh UNLOCK_SCRIPT SETUP_SCRIPT
#   PBA_KERNEL_DIR: the kernel and modules (default: the guest test's 6.12, fetched into
#   build/tests-guest/kernels by tests/guest/fetch-kernels.sh if missing).
# Needs: syslinux, syslinux-common, mtools, dosfstools, nasm, xz-utils, gcc with static glibc.
set -euo pipefail
usage="usage: build-pba.sh UNLOCK_SCRIPT SETUP_SCRIPT"
unlock=$(realpath "${1:?$usage}")
setup=$(realpath "${2:?$usage}")
here=$(cd "$(dirname "$0")" && pwd)
guest=$(dirname "$here")
kdir=${PBA_KERNEL_DIR:-$guest/../../build/tests-guest/kernels/6.12}
if [ ! -s "$kdir/vmlinuz" ] && [ -z "${PBA_KERNEL_DIR:-}" ]; then
    "$guest/fetch-kernels.sh" "$(dirname "$kdir")" >&2
fi
[ -s "$kdir/vmlinuz" ] || { echo "build-pba: no kernel in $kdir" >&2; exit 1; }
for tool in syslinux mcopy mkfs.fat nasm xz; do
    command -v "$tool" >/dev/null ||
        { echo "build-pba: $tool missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
mbr_bin=/usr/lib/syslinux/mbr/mbr.bin
[ -s "$mbr_bin" ] || { echo "build-pba: $mbr_bin missing (syslinux-common)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# opal-probe, static and stripped: every byte of the image goes through 2 KiB Set calls.
gcc -static -Os -s -Wall -Wextra -Werror -o "$tmp/opal-probe" "$guest/opal-probe.c"

# Only the AHCI disk's modules (the guest test's kernel directory holds more, e.g. for
# cryptsetup): a kernel directory of our own, in the same load order.
pba_modules=" scsi_common scsi_mod sd_mod libata libahci ahci "
mkdir -p "$tmp/kernel/modules"
while read -r m; do
    if [[ "$pba_modules" == *" $m "* ]]; then
        cp "$kdir/modules/$m.ko" "$tmp/kernel/modules/"
        echo "$m" >>"$tmp/kernel/modules/load-order"
    fi
done <"$kdir/modules/load-order"

# ---- the PBA's initramfs: boot_disk (pack-initramfs.sh), then the unlock script ----
cp "$unlock" "$tmp/unlock.sh"
cat > "$tmp/pba-init" <<'INIT'
#!/bin/busybox sh
. /bin/boot-disk.sh
boot_disk PBA
. /bin/unlock.sh
echo "PBA: the unlock script ended without rebooting"
poweroff -f
INIT
"$guest/pack-initramfs.sh" "$tmp/kernel" "$tmp/pba-init" "$tmp/initrd.xz" "$tmp/opal-probe" "$tmp/unlock.sh"

# ---- pba.img: mbr.bin, one bootable FAT partition at LBA 64 with syslinux ----
cat > "$tmp/syslinux.cfg" <<'CFG'
SERIAL 0 115200
DEFAULT pba
PROMPT 0
LABEL pba
  LINUX /vmlinuz
  INITRD /initrd.xz
  APPEND console=ttyS0 quiet panic=-1
CFG
part_lba=64
files=("$kdir/vmlinuz" "$tmp/initrd.xz" "$tmp/syslinux.cfg")
# The files, syslinux's ~150 KiB, FAT overhead and a little slack, in KiB.
part_kib=$(( ($(cat "${files[@]}" | wc -c) / 1024) * 102 / 100 + 512 ))
mkfs.fat -C -n PBA -h "$part_lba" "$tmp/part.img" "$part_kib" >/dev/null
rm -f pba.img
cp "$tmp/part.img" "$tmp/pba.img"
truncate -s "$(( part_kib * 1024 + part_lba * 512 ))" "$tmp/pba.img"
dd if="$tmp/part.img" of="$tmp/pba.img" bs=512 seek="$part_lba" conv=notrunc status=none
dd if=/dev/zero of="$tmp/pba.img" bs=512 count="$part_lba" conv=notrunc status=none
dd if="$mbr_bin" of="$tmp/pba.img" bs=440 count=1 conv=notrunc status=none
# The partition entry (active, FAT16 LBA, CHS fields "use LBA") and the boot signature.
python3 - "$tmp/pba.img" "$part_lba" "$(( part_kib * 2 ))" <<'PY'
import struct, sys
path, start, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x0e, b"\xfe\xff\xff", start, count)
with open(path, "r+b") as f:
    f.seek(446)
    f.write(entry + bytes(48) + b"\x55\xaa")
PY
syslinux --install --offset $(( part_lba * 512 )) "$tmp/pba.img"
for f in "${files[@]}"; do
    mcopy -i "$tmp/pba.img@@$(( part_lba * 512 ))" "$f" "::$(basename "$f")"
done
mv "$tmp/pba.img" pba.img

# ---- real.img: the real disk's boot sector and the text at LBA 1 ----
nasm -f bin -o "$tmp/real-boot.bin" "$here/real-boot.asm"
cp "$tmp/real-boot.bin" real.img
printf 'the data behind the lock' | dd of=real.img bs=512 seek=1 conv=notrunc status=none
truncate -s 1024 real.img

# ---- the setup guest ----
cp "$kdir/vmlinuz" vmlinuz
cp "$setup" "$tmp/setup.sh"
cat > "$tmp/setup-init" <<'INIT'
#!/bin/busybox sh
. /bin/boot-disk.sh
boot_disk SETUP
# pack-initramfs.sh put the files in /bin; the script works where they lie.
mkdir /setup
mv /bin/pba.img /bin/real.img /setup/
cd /setup
if sh -ex /bin/setup.sh; then echo "SETUP-OK"; else echo "SETUP-FAILED"; fi
sync
poweroff -f
INIT
"$guest/pack-initramfs.sh" "$tmp/kernel" "$tmp/setup-init" "$PWD/setup.cpio.gz" "$tmp/opal-probe" \
    "$tmp/setup.sh" pba.img real.img

echo "build-pba: pba.img $(stat -c %s pba.img) bytes (vmlinuz $(stat -c %s "$kdir/vmlinuz"), initrd.xz $(stat -c %s "$tmp/initrd.xz")), real.img, vmlinuz, setup.cpio.gz"
