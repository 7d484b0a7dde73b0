#!/usr/bin/env bash
# Packs a test initramfs: static busybox, the AHCI/SCSI disk modules of one kernel (from
# fetch-kernels.sh), the given static programs in /bin, INIT as /init, and /bin/boot-disk.sh,
# whose boot_disk function every /init runs first. Shared by the
# guest test (build-initramfs.sh) and the benchmark (tests/bench/build-initramfs.sh), which
# differ only in their /init and programs.
# Usage: pack-initramfs.sh KERNELDIR INIT OUTPUT.cpio.gz|OUTPUT.cpio.xz [PROGRAM...]
set -euo pipefail
usage="usage: pack-initramfs.sh KERNELDIR INIT OUTPUT.cpio.gz [PROGRAM...]"
kdir=${1:?$usage}
init=${2:?$usage}
output=${3:?$usage}
shift 3

busybox=/bin/busybox
# The initramfs has no libc: only a static busybox works there.
ldd_out=$(ldd "$busybox" 2>&1 || true)
if ! grep -qE 'not a dynamic executable|statically linked' <<<"$ldd_out"; then
    echo "pack-initramfs: $busybox is not static (install busybox-static via scripts/install-deps.sh)" >&2
    exit 1
fi
[ -s "$kdir/modules/load-order" ] || { echo "pack-initramfs: no modules in $kdir (run tests/guest/fetch-kernels.sh)" >&2; exit 1; }

root=$(mktemp -d "${output%/*}/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root"/{bin,dev,proc,sys,modules,tmp}
cp "$busybox" "$root/bin/busybox"
for program in "$@"; do
    cp "$program" "$root/bin/"
done
cp "$kdir"/modules/*.ko "$kdir/modules/load-order" "$root/modules/"
cp "$init" "$root/init"
chmod +x "$root/init"
# What every /init does first, as "boot_disk TAG": mounts, console, disk modules, /dev/sda.
cat > "$root/bin/boot-disk.sh" <<'PROLOGUE'
boot_disk() {
    /bin/busybox --install -s /bin
    export PATH=/bin
    mount -t proc proc /proc
    mount -t sysfs sysfs /sys
    mount -t devtmpfs devtmpfs /dev
    # The initramfs has no /dev/console node, so the kernel could not give us one: take it.
    exec </dev/console >/dev/console 2>&1
    echo "$1 kernel $(uname -r)"
    for m in $(cat /modules/load-order); do
        insmod "/modules/$m.ko" || echo "$1 insmod-failed $m"
    done
    # sd creates /dev/sda before it has finished probing (the Opal discovery included) and
    # prints "Attached SCSI disk" only after it: wait for that, up to 30 s.
    boot_wait=0
    while [ $boot_wait -lt 150 ] && ! { [ -b /dev/sda ] && dmesg | grep -q 'Attached SCSI disk'; }; do
        usleep 200000
        boot_wait=$((boot_wait + 1))
    done
}
PROLOGUE

# OUTPUT.xz: xz, for the smallest image (the pre-boot image of tests/guest/pba); the kernel
# takes only xz's CRC32 check.
compress=(gzip -n -6)
[[ "$output" == *.xz ]] && compress=(xz -9e --check=crc32)
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) |
    "${compress[@]}" > "$output.tmp"
mv "$output.tmp" "$output"
