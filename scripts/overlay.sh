#!/usr/bin/env bash
# Links this repository's own files into the QEMU working tree (build/src/qemu), so that
# QEMU's build compiles them where upstream's meson.build files expect them. Run by
# configure and by every `make`, so that files added since configure are picked up.
# Usage: scripts/overlay.sh TREE PRISTINE
set -euo pipefail
srcdir=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: overlay.sh TREE PRISTINE}
pristine=${2:?usage: overlay.sh TREE PRISTINE}

# Our files: the device, the engine, the qtests, the device set and the two manuals' pages.
ours=(hw/ide/opal-* hw/block/opal include/hw/opal qapi/opal.json tests/qtest/opal-*.[ch] configs
      docs/system/devices/opal.rst docs/devel/opal-engine-reference.rst)

cd "$srcdir"
if git rev-parse --git-dir >/dev/null 2>&1; then
    files=$(git ls-files -co --exclude-standard -- "${ours[@]}")
else
    files=$(find "${ours[@]}" -type f 2>/dev/null)
fi
for f in $files; do
    [ -f "$f" ] || continue
    if [ -e "$pristine/$f" ]; then
        echo "overlay: $f would replace an upstream file; change it with a patch" >&2
        exit 1
    fi
    mkdir -p "$tree/$(dirname "$f")"
    ln -sfn "$srcdir/$f" "$tree/$f"
done
