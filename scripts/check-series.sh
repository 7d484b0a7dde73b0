#!/usr/bin/env bash
# Checks the series of `make series` as a maintainer would take it: applies
# BUILD/series/patches with `git am` to a fresh git repository of the
# pristine upstream tree, configures QEMU there with the options ./configure
# uses for BUILD/qemu (read from ./configure now, not copied), builds it and
# runs the qtests the series adds or extends.
#
#   scripts/check-series.sh [BUILD]       (make check-series)
#
# Layout: BUILD/series-test/src/qemu (the tree) and BUILD/series-test/qemu
# (the build), the same relative layout as BUILD/src/qemu and BUILD/qemu, so
# that with CCACHE_BASEDIR=BUILD (set here) a warm ccache serves it.  Two
# things that are not the series are added to the tree, uncommitted, as
# ./configure adds them to BUILD/src/qemu: series/LOCAL's edk2 build tweak
# (Debian's source tarball has no firmware blobs) and the device set.
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$srcdir/build}")
pristine=$build/src/pristine
patches=$build/series/patches
top=$build/series-test
tree=$top/src/qemu
qbuild=$top/qemu
jobs=${JOBS:-$(nproc)}

die() { echo "check-series: error: $*" >&2; exit 1; }
step() { echo "check-series: $* ($(( $(date +%s) - t0 )) s)"; }
t0=$(date +%s)
[ -f "$pristine/VERSION" ] || die "no $pristine: run ./configure first"
ls "$patches"/0001-*.patch >/dev/null 2>&1 || die "no series in $patches: run make series"

# ---- the tree: pristine upstream, then git am ------------------------------------
rm -rf "$top"
mkdir -p "$top/src"
cp -a "$pristine" "$tree"
export GIT_AUTHOR_NAME=check-series GIT_AUTHOR_EMAIL=check-series@invalid
export GIT_COMMITTER_NAME=check-series GIT_COMMITTER_EMAIL=check-series@invalid
git -C "$tree" init -q
git -C "$tree" add -A
git -C "$tree" commit -q -m "upstream QEMU $(cat "$pristine/VERSION")"
git -C "$tree" am -q \
    $(ls "$patches"/0*.patch | grep -v '/0000-') ||
    die "git am failed (see $tree)"
step "$(git -C "$tree" rev-list --count HEAD^{/^upstream}..HEAD) patches applied with git am"

patch -d "$tree" -p1 --quiet --no-backup-if-mismatch \
    < "$srcdir/patches/0005-build-without-edk2-blobs.patch"
mkdir -p "$tree/configs/devices/x86_64-softmmu"
cp "$srcdir/configs/devices/x86_64-softmmu/opal.mak" "$tree/configs/devices/x86_64-softmmu/"

# ---- configure, as ./configure does it -----------------------------------------------
# The options of ./configure's call of QEMU's configure, from its text: the lines
# after `"$tree/configure" \` up to the one that redirects to the log.
opts=$(sed -n '/"\$tree\/configure" \\$/,/qemu-configure\.log/p' "$srcdir/configure" |
       sed '1d;$d;s/\\$//' | tr '\n' ' ')
DEVICE_SET=$(sed -n 's/^DEVICE_SET=//p' "$srcdir/configure")
cc="ccache cc"
command -v ccache >/dev/null || cc=cc
case $opts in *--target-list=*) ;; *) die "cannot read QEMU's options from ./configure" ;; esac
eval "set -- $opts"
echo "check-series: configure $*"
export CCACHE_BASEDIR=$build CCACHE_NOHASHDIR=1
mkdir -p "$qbuild"
(cd "$qbuild" && "$tree/configure" "$@" > "$top/configure.log" 2>&1) ||
    { tail -n 30 "$top/configure.log"; die "QEMU's configure failed ($top/configure.log)"; }
step "configured"

# ---- build and test ----------------------------------------------------------------------
qtests="opal-test opal-ide-test ahci-test ide-test"
make -C "$qbuild" -j"$jobs" qemu-system-x86_64 qemu-img pc-bios/optionrom/all \
    $(printf 'tests/qtest/%s ' $qtests) > "$top/build.log" 2>&1 ||
    { grep -B2 -A12 -m3 'error' "$top/build.log" | head -n 60; die "build failed ($top/build.log)"; }
step "built"
# Firmware as `make firmware` provides it (Debian's SeaBIOS; our option ROMs)
datadir=$(ls -d "$qbuild"/qemu-bundle/*/share/qemu "$qbuild"/qemu-bundle/*/*/share/qemu \
          2>/dev/null | head -n 1 || true)
[ -d "$datadir" ] || die "no data directory in $qbuild/qemu-bundle"
ln -sfn /usr/share/seabios/bios-256k.bin "$datadir/bios-256k.bin"
ln -sfn /usr/share/seabios/vgabios-stdvga.bin "$datadir/vgabios-stdvga.bin"
for rom in "$qbuild"/pc-bios/optionrom/*.bin; do
    ln -sfn "$rom" "$datadir/${rom##*/}"
done

export QTEST_QEMU_BINARY=$qbuild/qemu-system-x86_64 QTEST_QEMU_IMG=$qbuild/qemu-img
rc=0
run() {
    local t=$1; shift
    echo "check-series: $t $*"
    "$qbuild/tests/qtest/$t" --tap -k "$@" > "$top/$t.tap" 2>&1 || rc=1
    grep -E '^(not ok|# (SKIP|FAIL))' "$top/$t.tap" || true
    echo "check-series: $t: $(grep -c '^ok' "$top/$t.tap") ok," \
         "$(grep -c '^not ok' "$top/$t.tap") not ok ($top/$t.tap)"
}
run opal-test
run opal-ide-test
# The regression tests of the series' fixes
run ahci-test -p /x86_64/ahci/reset/stopped_port_pio
run ide-test -p /x86_64/ide/bmdma/unaligned_bounce
step "done"
[ $rc = 0 ] || die "a qtest failed"
echo "check-series: passed"
