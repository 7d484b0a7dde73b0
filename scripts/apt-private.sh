#!/usr/bin/env bash
# Private apt configuration for fetching packages from Debian suites this machine does not
# list (trixie for QEMU's source and the 6.12 kernel, bookworm-backports for meson/seabios).
# The mirror is derived from the machine's own apt sources; the system's apt configuration
# is never edited: every file lives under $APT_PRIVATE_DIR (inside build/).
#
# Sourced by configure and the test scripts: apt_private_init DIR MODE, then apt_private ARGS.
set -euo pipefail

# First http(s) URI of a Debian main archive (not the security archive) in the system sources.
apt_private_mirror() {
    local uri=""
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        case "$f" in
        *.sources)
            uri=$(awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" |
                  grep -E '^https?://' | grep -v -- '-security' | grep -E '/debian/?$' | head -n 1 || true) ;;
        *)
            uri=$(awk '$1=="deb" || $1=="deb-src" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\//) { print $i; break } }' "$f" |
                  grep -v -- '-security' | grep -E '/debian/?$' | head -n 1 || true) ;;
        esac
        [ -n "$uri" ] && break
    done
    if [ -z "$uri" ]; then
        echo "apt-private: no Debian archive found in /etc/apt/sources.list{,.d}; pass a QEMU tree with --qemu-src" >&2
        return 1
    fi
    echo "${uri%/}"
}

# apt_private_init DIR MODE
#   MODE=fetch: bookworm, trixie and bookworm-backports (deb + deb-src), for `apt-get source`
#   and `apt-get download` only (QEMU's source, the guest test's kernels): nothing is
#   installed from this view.
#   MODE=install: the system's own sources (read in place) plus bookworm-backports, for
#   `apt-get install -t bookworm-backports`; trixie is not visible, so nothing from it can
#   be installed by accident.
apt_private_init() {
    local dir mode=$2
    mkdir -p "$1"
    dir=$(cd "$1" && pwd)
    local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    mirror=$(apt_private_mirror)
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/parts"
    rm -f "$dir/parts/"*
    local suites="bookworm trixie bookworm-backports"
    [ "$mode" = install ] && suites=bookworm-backports
    cat > "$dir/parts/private.sources" <<SRC
Types: deb deb-src
URIs: $mirror
Suites: $suites
Components: main
Signed-By: $keyring
SRC
    if [ "$mode" = install ]; then
        local f
        [ -r /etc/apt/sources.list ] && ln -sf /etc/apt/sources.list "$dir/parts/system-sources.list"
        for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
            [ -r "$f" ] && ln -sf "$f" "$dir/parts/system-$(basename "$f")"
        done
    fi
    APT_PRIVATE_OPTS=(
        -o "Dir::Etc::SourceParts=$dir/parts"
        -o "Dir::State::Lists=$dir/lists"
        -o "Dir::Cache=$dir/cache"
        -o "Dir::Etc::SourceList=/dev/null"
        -o "Acquire::Languages=none"
    )
}

apt_private() {
    apt-get -q "${APT_PRIVATE_OPTS[@]}" "$@"
}
