#!/usr/bin/env bash
# Fetches Debian trixie's cryptsetup (2.7, the first with --hw-opal; bookworm has 2.6) and
# exactly the shared libraries it loads, trixie's own glibc and loader included, with the
# private apt view (scripts/apt-private.sh: nothing is installed on this machine). The
# libraries are found from the binaries' ELF NEEDED entries, recursively: a package's
# Depends are fetched only when a library it provides is needed and something is still
# missing. The result is a tree to drop into a guest initramfs:
#   OUTDIR/root/usr/sbin/cryptsetup
#   OUTDIR/root/usr/lib/x86_64-linux-gnu/SONAME...   (real files under their sonames)
#   OUTDIR/root/lib64/ld-linux-x86-64.so.2            (the binaries' PT_INTERP)
#   OUTDIR/packages.txt                               (package version, one a line)
# Usage: cryptsetup-fetch.sh OUTDIR   (cached: an existing OUTDIR/root is left alone)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../scripts/apt-private.sh
source "$here/../../scripts/apt-private.sh"

out=${1:?usage: cryptsetup-fetch.sh OUTDIR}
SUITE=trixie
PROGRAMS="usr/sbin/cryptsetup"
mkdir -p "$out"
out=$(cd "$out" && pwd)
[ -x "$out/root/usr/sbin/cryptsetup" ] && [ -s "$out/packages.txt" ] && exit 0

work=$out/work
rm -rf "$work" "$out/root.tmp"
mkdir -p "$work/debs" "$work/x"
apt_private_init "$out/apt" fetch
apt_private update >/dev/null

# fetch PACKAGE: downloads PACKAGE/trixie (once) and extracts it into $work/x/PACKAGE.
fetch() {
    local p=$1
    [ -d "$work/x/$p" ] && return 0
    echo "cryptsetup-fetch: $p/$SUITE"
    (cd "$work/debs" && apt_private -o APT::Sandbox::User=root download "$p/$SUITE" >/dev/null)
    mkdir -p "$work/x/$p"
    dpkg-deb -x "$work/debs/${p}_"*.deb "$work/x/$p"
}

# Depends and Pre-Depends of a fetched package: names only, first of each alternative.
depends() {
    dpkg-deb -f "$work/debs/${1}_"*.deb Pre-Depends Depends |
        sed -E 's/^[A-Za-z-]+: //' | tr ',' '\n' | sed -E 's/^ +//; s/\|.*//; s/[ (].*//; s/:any$//; /^$/d'
}

# find_lib SONAME: prints "PACKAGE PATH" of the first extracted file with that name in a
# library directory (lib*, usr/lib*, their x86_64-linux-gnu multiarch subdirectories).
find_lib() {
    local f
    f=$(find "$work/x" \( -path '*/lib/x86_64-linux-gnu/*' -o -path '*/lib64/*' \) \
            -name "$1" \( -type f -o -type l \) 2>/dev/null | sort | head -n 1)
    [ -n "$f" ] || return 1
    f=${f#"$work/x/"}
    echo "${f%%/*} ${f#*/}"
}

# closure: resolves every NEEDED entry from the programs on; fills $need_files (package
# and path of each needed file) and $missing (sonames nobody provides yet).
closure() {
    local -A seen=()
    local queue=() file pkg so found interp
    need_files=""
    missing=""
    for file in $PROGRAMS; do queue+=("cryptsetup-bin $file"); done
    while [ ${#queue[@]} -gt 0 ]; do
        read -r pkg file <<<"${queue[0]}"
        queue=("${queue[@]:1}")
        [ -n "${seen[$file]:-}" ] && continue
        seen[$file]=1
        need_files+="$pkg $file"$'\n'
        interp=$(readelf -l "$work/x/$pkg/$file" 2>/dev/null |
            sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
        for so in $(readelf -d "$work/x/$pkg/$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p') \
                ${interp:+$(basename "$interp")}; do
            if found=$(find_lib "$so"); then
                queue+=("$found")
            else
                missing+=" $so"
            fi
        done
    done
}

fetch cryptsetup-bin
for round in 1 2 3 4 5 6; do
    closure
    [ -z "$missing" ] && break
    # Still missing: fetch the Depends of every package that provided something needed.
    for pkg in $(printf '%s' "$need_files" | awk '{print $1}' | sort -u); do
        for dep in $(depends "$pkg"); do
            fetch "$dep"
        done
    done
    [ "$round" = 6 ] && { echo "cryptsetup-fetch: unresolved:$missing" >&2; exit 1; }
done

# The tree: programs at their path, libraries as real files under their sonames in the
# multiarch directory, the loader where PT_INTERP looks for it.
root=$out/root.tmp
mkdir -p "$root/usr/lib/x86_64-linux-gnu" "$root/lib64"
while read -r pkg file; do
    [ -n "$file" ] || continue
    if [[ " $PROGRAMS " == *" $file "* ]]; then
        mkdir -p "$root/$(dirname "$file")"
        cp -L "$work/x/$pkg/$file" "$root/$file"
    elif [[ "$file" == */ld-linux-x86-64.so.2 ]]; then
        cp -L "$work/x/$pkg/$file" "$root/lib64/ld-linux-x86-64.so.2"
    else
        cp -L "$work/x/$pkg/$file" "$root/usr/lib/x86_64-linux-gnu/$(basename "$file")"
    fi
done <<<"$need_files"
for pkg in $(printf '%s' "$need_files" | awk '{print $1}' | sort -u); do
    echo "$pkg $(dpkg-deb -f "$work/debs/${pkg}_"*.deb Version)"
done > "$out/packages.txt.tmp"
rm -rf "$out/root" "$work"
mv "$root" "$out/root"
mv "$out/packages.txt.tmp" "$out/packages.txt"
cat "$out/packages.txt"
