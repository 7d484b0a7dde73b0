#!/usr/bin/env bash
# Installs what building and testing ide-opal-hd needs on Debian 12 (bookworm).
# meson >= 1.5, python3-pycotap and SeaBIOS 1.16.3 come from bookworm-backports through the
# private apt view of scripts/apt-private.sh; everything else from the system's own sources.
# As root it installs what is missing; otherwise it prints the exact command to run.
# Usage: install-deps.sh PRIVATE_APT_DIR [fuzz]   (fuzz: also clang and libFuzzer)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=apt-private.sh
source "$here/apt-private.sh"
aptdir=${1:?usage: install-deps.sh PRIVATE_APT_DIR [fuzz]}

# Plain bookworm packages: compilers, QEMU's build dependencies (both crypto backends the
# device is tested with: gnutls, QEMU's default, for build/qemu, libgcrypt for the ASan
# build), the engine's test framework, what the guest test needs to assemble an initramfs
# from Debian's kernel packages, and to build the bootable pre-boot image of tests/guest/pba
# (syslinux, mtools, mkfs.fat, nasm), and Sphinx for QEMU's manuals (make manual).
BOOKWORM_PKGS="build-essential pkg-config ninja-build python3-venv python3-setuptools
    libglib2.0-dev libpixman-1-dev libgcrypt20-dev libgnutls28-dev libcmocka-dev flex bison
    ccache lib32gcc-12-dev dpkg-dev xz-utils zstd cpio busybox-static kmod
    syslinux syslinux-common mtools dosfstools nasm
    python3-sphinx python3-sphinx-rtd-theme"
# `make fuzz` only: libFuzzer ships in clang's runtime package, which clang merely recommends.
[ "${2:-}" = fuzz ] && BOOKWORM_PKGS="$BOOKWORM_PKGS clang libclang-rt-14-dev"
# From bookworm-backports (minimum versions that QEMU 10 and a non-stalling AHCI boot need).
BACKPORTS_PKGS="meson python3-pycotap seabios"

missing_pkgs() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed || echo "$p"
    done
}

# meson, pycotap and seabios count as present only in their backports versions.
backports_ok() {
    dpkg --compare-versions "$(dpkg-query -W -f='${Version}' meson 2>/dev/null || echo 0)" ge 1.5 &&
    dpkg --compare-versions "$(dpkg-query -W -f='${Version}' seabios 2>/dev/null || echo 0)" ge 1.16.3 &&
    dpkg-query -W python3-pycotap >/dev/null 2>&1
}

# shellcheck disable=SC2086
need=$(missing_pkgs $BOOKWORM_PKGS | tr '\n' ' ')
bp=""
backports_ok || bp=$BACKPORTS_PKGS
if [ -z "$need" ] && [ -z "$bp" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages. As root, run:" >&2
    [ -n "$need" ] && echo "  apt-get install $need" >&2
    [ -n "$bp" ] && echo "  apt-get install -t bookworm-backports $bp   (with bookworm-backports in your sources)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt_private_init "$aptdir" install
apt_private update >/dev/null
# shellcheck disable=SC2086
apt_private install -y --no-install-recommends $need
if [ -n "$bp" ]; then
    # shellcheck disable=SC2086
    apt_private install -y --no-install-recommends -t bookworm-backports $bp
fi
