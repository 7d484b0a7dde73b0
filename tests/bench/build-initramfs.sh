#!/usr/bin/env bash
# Builds the benchmark's initramfs: static busybox, the AHCI/SCSI disk modules of one kernel
# (the directory tests/guest/fetch-kernels.sh fills), the static opal-bench and an /init that
# waits for /dev/sda, prints what the guest kernel made of the disk (NCQ depth, write cache,
# queue limits, clock source), runs opal-bench on it and powers off.
# tests/guest/build-initramfs.sh has its own fixed /init (the Opal checks), hence this one.
# The sizes come from the kernel command line (bench_mib=MiB bench_secs=SECONDS), so one
# image serves every run. With bench_stall=loop|baseline it runs the stall measurement of
# run-stall.sh instead (opal-bench stall) on two disks: the one that supports TCG Opal, and
# the other one, which it reads.
# Usage: build-initramfs.sh KERNELDIR OPAL_BENCH OUTPUT.cpio.gz
set -euo pipefail
usage="usage: build-initramfs.sh KERNELDIR OPAL_BENCH OUTPUT.cpio.gz"
kdir=${1:?$usage}
bench=${2:?$usage}
output=${3:?$usage}

# Lines for run-bench.sh start with BENCH; everything else is console noise to it.
init=$(mktemp)
trap 'rm -f "$init"' EXIT
cat > "$init" <<'INIT'
#!/bin/busybox sh
. /bin/boot-disk.sh
boot_disk BENCH-GUEST

# What decides the numbers: NCQ depth and transfer limits (libata), write cache (sd), the queue limits that may
# split a 1 MiB request, and the guest's clock source (reading it costs a VM exit or not).
dmesg | grep -E 'ata[0-9]+\.00:|Write cache|clocksource' | sed 's/^/BENCH-DMESG /'
stall=$(sed -n 's/.*bench_stall=\([a-z]*\).*/\1/p' /proc/cmdline)
if [ -n "$stall" ]; then
    # Two disks: wait (up to 30 s) until sd has attached the second one too.
    n=0
    while [ $n -lt 150 ] && [ "$(dmesg | grep -c 'Attached SCSI disk')" -lt 2 ]; do
        usleep 200000
        n=$((n + 1))
    done
    opal=$(dmesg | sed -n 's/.*\[\(sd[a-z]\)\] supports TCG Opal.*/\1/p' | head -n 1)
    other=sdb
    [ "$opal" != sdb ] || other=sda
    for d in sda sdb; do
        echo none > /sys/block/$d/queue/scheduler 2>/dev/null
    done
    echo madvise > /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
    secs=$(sed -n 's/.*bench_secs=\([0-9.]*\).*/\1/p' /proc/cmdline)
    if [ -n "$opal" ] && [ -b /dev/$other ]; then
        opal-bench stall /dev/$opal /dev/$other "${secs:-30}" "$stall"
        echo "BENCH-EXIT rc=$?"
    else
        echo "BENCH-ERROR msg=no Opal disk and second disk (opal='$opal')"
    fi
elif [ -b /dev/sda ]; then
    # No I/O scheduler: with one CPU under TCG every guest instruction counts, and the
    # benchmark wants the device's speed, not mq-deadline's.
    echo none > /sys/block/sda/queue/scheduler 2>/dev/null
    # Transparent huge pages for opal-bench's buffer (it asks with madvise): 4 KiB pages
    # land wherever the allocator finds room, and a 1 MiB request in scattered pages needs
    # 256 scatter-gather entries, more than AHCI's 168, so whether it went to the drive as
    # one command or two changed from boot to boot.
    echo madvise > /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
    q=/sys/block/sda/queue
    echo "BENCH-QUEUE scheduler=$(sed 's/.*\[\(.*\)\].*/\1/' $q/scheduler)" \
         "queue_depth=$(cat /sys/block/sda/device/queue_depth 2>/dev/null)" \
         "max_sectors_kb=$(cat $q/max_sectors_kb) max_segments=$(cat $q/max_segments)" \
         "max_segment_size=$(cat $q/max_segment_size)" \
         "thp=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
    mib=$(sed -n 's/.*bench_mib=\([0-9]*\).*/\1/p' /proc/cmdline)
    secs=$(sed -n 's/.*bench_secs=\([0-9.]*\).*/\1/p' /proc/cmdline)
    opal-bench /dev/sda "${mib:-1024}" "${secs:-5}"
    echo "BENCH-EXIT rc=$?"
else
    echo "BENCH-ERROR msg=/dev/sda did not appear"
fi
poweroff -f
INIT

# The program keeps its name inside: /init calls it by that name.
prog=$(mktemp -d)
trap 'rm -rf "$init" "$prog"' EXIT
cp "$bench" "$prog/opal-bench"
"$(dirname "$0")/../guest/pack-initramfs.sh" "$kdir" "$init" "$output" "$prog/opal-bench"
