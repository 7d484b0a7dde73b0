#!/usr/bin/env bash
# Fetches Debian's current 6.1 (bookworm) and 6.12 (trixie) kernel images with a private apt
# view and extracts vmlinuz plus the modules an AHCI disk needs into OUTDIR/<series>/.
# Usage: fetch-kernels.sh OUTDIR   (cached: a series already extracted is left alone)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../scripts/apt-private.sh
source "$here/../../scripts/apt-private.sh"

out=${1:?usage: fetch-kernels.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# Modules the guest needs for /dev/sda on AHCI; their modules.dep dependencies are added.
# ahci for the q35 (SATA) cases, ata_piix for the legacy IDE case of the pc machine.
# cryptsetup's OPAL case (cryptsetup-run.sh) also needs device-mapper (dm-linear is in dm_mod,
# dm-crypt for --hw-opal) and XTS for dm-crypt's default aes-xts-plain64 (AES and ECB are
# built in; cryptsetup does its keyslots' cryptography itself, with OpenSSL).
WANT_MODULES="scsi_common scsi_mod sd_mod libata libahci ahci ata_piix dm_mod dm_crypt xts"
# suite:series pairs; the series is the directory name the other scripts use.
SUITES="bookworm:6.1 trixie:6.12"

apt_ready=""
apt_ready() {
    [ -n "$apt_ready" ] && return 0
    apt_private_init "$out/apt" fetch
    apt_private update >/dev/null
    apt_ready=1
}

# Name of the linux-image-*-amd64 package the suite's linux-image-amd64 metapackage depends on.
image_package() {
    local suite=$1
    apt-cache "${APT_PRIVATE_OPTS[@]}" show "linux-image-amd64/$suite" |
        awk -F': ' '$1 == "Depends" { print $2; exit }' | tr ',' '\n' |
        sed -E 's/^ +//; s/ .*//' | grep -E '^linux-image-[0-9].*-amd64(-unsigned)?$' | head -n 1
}

# Copies module $1 (and, through modules.dep, its dependencies) decompressed into $dst,
# appending the load order (dependencies first) to $dst/load-order.
add_module() {
    local root=$1 kver=$2 name=$3 dst=$4
    local moddir=$root/lib/modules/$kver
    local line rel deps d base
    grep -qx "$name" "$dst/load-order" 2>/dev/null && return 0
    # modules.dep lines: "kernel/drivers/ata/ahci.ko.xz: kernel/drivers/ata/libahci.ko.xz ..."
    line=$(grep -E "/${name//_/[_-]}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | head -n 1 || true)
    if [ -z "$line" ]; then
        # Built into the kernel: nothing to load.
        if grep -qE "/${name//_/[_-]}\.ko" "$moddir/modules.builtin" 2>/dev/null; then
            return 0
        fi
        echo "fetch-kernels: module $name not found for $kver" >&2
        return 1
    fi
    rel=${line%%:*}
    deps=${line#*:}
    for d in $deps; do
        base=$(basename "$d"); base=${base%%.ko*}
        add_module "$root" "$kver" "$base" "$dst"
    done
    base=$(basename "$rel"); base=${base%%.ko*}
    case "$rel" in
    *.ko.xz) xz -dc "$moddir/$rel" > "$dst/$base.ko" ;;
    *.ko.zst) zstd -q -dc "$moddir/$rel" > "$dst/$base.ko" ;;
    *.ko.gz) gzip -dc "$moddir/$rel" > "$dst/$base.ko" ;;
    *) cp "$moddir/$rel" "$dst/$base.ko" ;;
    esac
    echo "$base" >> "$dst/load-order"
}

for pair in $SUITES; do
    suite=${pair%%:*}
    series=${pair#*:}
    dst=$out/$series
    # A cached series counts only if it was extracted with today's module list.
    if [ -s "$dst/vmlinuz" ] && [ "$(cat "$dst/wanted-modules" 2>/dev/null)" = "$WANT_MODULES" ]; then
        continue
    fi
    rm -rf "$dst"
    apt_ready
    pkg=$(image_package "$suite")
    if [ -z "$pkg" ]; then
        echo "fetch-kernels: no kernel image package found for $suite" >&2
        exit 1
    fi
    echo "fetch-kernels: $suite -> $pkg"
    work=$out/work-$series
    rm -rf "$work" "$dst"
    mkdir -p "$work"
    # The download lands in a root-only build dir: apt's _apt sandbox user need not reach it.
    (cd "$work" && apt_private -o APT::Sandbox::User=root download "$pkg/$suite" >/dev/null)
    dpkg-deb -x "$work"/*.deb "$work/root"
    # trixie's packages install below /usr/lib (merged /usr); bookworm's below /lib.
    if [ ! -d "$work/root/lib/modules" ] && [ -d "$work/root/usr/lib/modules" ]; then
        ln -s usr/lib "$work/root/lib"
    fi
    kver=$(find "$work/root/lib/modules/" -mindepth 1 -maxdepth 1 -printf '%f\n' | head -n 1)
    # The package ships no modules.dep (postinst runs depmod): generate it in the tree.
    depmod -b "$work/root" "$kver"
    case "$kver" in
    "$series".*) ;;
    *) echo "fetch-kernels: $pkg has kernel $kver, expected $series.x" >&2; exit 1 ;;
    esac
    mkdir -p "$dst.tmp/modules"
    rm -f "$dst.tmp/modules/load-order"
    for m in $WANT_MODULES; do
        add_module "$work/root" "$kver" "$m" "$dst.tmp/modules"
    done
    cp "$work/root/boot/vmlinuz-$kver" "$dst.tmp/vmlinuz"
    echo "$kver" > "$dst.tmp/kernel-version"
    echo "$WANT_MODULES" > "$dst.tmp/wanted-modules"
    rm -rf "$work"
    # Rename last so that an interrupted run is not mistaken for a cached one.
    mv "$dst.tmp" "$dst"
done
