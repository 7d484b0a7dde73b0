#!/usr/bin/env bash
# Prepares the guest test's work directory: Debian kernels (cached), the static opal-probe and
# one initramfs per kernel series. Shared by run-all.sh and demo.sh.
# Usage: prepare.sh WORKDIR SERIES...
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${1:?usage: prepare.sh WORKDIR SERIES...}
shift
mkdir -p "$work"

"$here/fetch-kernels.sh" "$work/kernels"

# Built into the work dir, never into the repo; static because the initramfs has no libc.
probe=$work/opal-probe
if [ ! -x "$probe" ] || [ "$here/opal-probe.c" -nt "$probe" ]; then
    gcc -static -O2 -Wall -Wextra -Werror -o "$probe.tmp" "$here/opal-probe.c"
    mv "$probe.tmp" "$probe"
fi

for series in "$@"; do
    # Rebuilt every time: it takes a second and follows any change to the init script.
    "$here/build-initramfs.sh" "$work/kernels/$series" "$probe" "$work/initramfs-$series.cpio.gz"
done
