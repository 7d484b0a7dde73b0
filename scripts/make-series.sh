#!/usr/bin/env bash
# Writes ide-opal-hd as a `git format-patch` series against the upstream QEMU
# release that ./configure laid out in BUILD/src/pristine:
#
#   scripts/make-series.sh [BUILD]        (make series)
#
# The series is described in series/: one file per patch, NN-name.txt, whose
# lines up to "%contents" are the commit message (subject, blank line, body)
# (or "@message-of patches/P": P's Subject: line and message) and whose lines
# after it say what the patch holds, read at run time:
#   file PATH              one of our files, copied as it is now
#   patch P [FILE...]      a patch of patches/ (only the sections of FILEs)
#   diff D                 a diff of series/diffs/ (changes only the series has)
#   maintainers            our MAINTAINERS entry, added to upstream's
# series/LOCAL lists what stays out; any other file of ours or section of a
# patch that is in no patch, or in two, is an error.  series/cover-letter.txt
# is the cover letter (@VERSION@ is the upstream version).
#
# It builds BUILD/series/tree, a git repository of the pristine tree with a
# commit per patch, checks that each patch adding engine files compiles them
# (-fsyntax-only against the headers the series has at that point), writes
# BUILD/series/patches/ and runs QEMU's checkpatch.pl over every patch.
set -euo pipefail

srcdir=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$srcdir/build}")
pristine=$build/src/pristine
tree=$build/series/tree
out=$build/series/patches
desc=$srcdir/series

die() { echo "make-series: error: $*" >&2; exit 1; }
[ -f "$pristine/VERSION" ] || die "no $pristine: run ./configure first"
version=$(cat "$pristine/VERSION")

# The commits' identity: neutral, for the submitter to replace.  Dates are
# those of this repository's HEAD, so that the same sources give the same
# series.
date=$(git -C "$srcdir" log -1 --format=%cI 2>/dev/null || echo 2026-01-01T00:00:00Z)
export GIT_AUTHOR_NAME=ide-opal-hd GIT_AUTHOR_EMAIL=ide-opal-hd@invalid
export GIT_COMMITTER_NAME=ide-opal-hd GIT_COMMITTER_EMAIL=ide-opal-hd@invalid
export GIT_AUTHOR_DATE=$date GIT_COMMITTER_DATE=$date

# The sections of a diff (one per file), as "PATH<TAB>START<TAB>END" lines:
# a section starts at its "---" line (or the "diff" line before it); text
# before the first one (a patch's own message) belongs to none.
sections() {
    awk '
        /^diff / { pending = NR; next }
        /^--- / { start = pending ? pending : NR; pending = 0; next }
        /^\+\+\+ / && start {
            if (path != "") print path "\t" s "\t" start - 1
            path = $2; sub(/^b\//, "", path); sub(/\t.*/, "", path); s = start; start = 0
            next
        }
        !/^diff / { pending = 0 }
        END { if (path != "") print path "\t" s "\t" NR }
    ' "$1"
}

# The sections of FILE... of patch $1 (all of them without FILEs).
extract() {
    local p=$1; shift
    local path s e
    while IFS=$'\t' read -r path s e; do
        if [ $# = 0 ] || printf '%s\n' "$@" | grep -qxF "$path"; then
            sed -n "${s},${e}p" "$p"
        fi
    done < <(sections "$p")
}

# ---- what the series holds, and whether that is everything -----------------
steps=$(cd "$desc" && ls [0-9][0-9]-*.txt)
[ -n "$steps" ] || die "no series/NN-*.txt"
contents() { sed -n '/^%contents$/,$p' "$desc/$1" | sed '1d;/^#/d;/^[[:space:]]*$/d'; }

# Our files are what scripts/overlay.sh links into the QEMU tree: its list, read now.
eval "$(sed -n '/^ours=(/,/)/p' "$srcdir/scripts/overlay.sh")"
[ "${#ours[@]}" -gt 0 ] || die "cannot read the list of our files from scripts/overlay.sh"
local_list=$(sed '/^#/d;/^[[:space:]]*$/d' "$desc/LOCAL")
expected=$( (cd "$srcdir" && git ls-files -co --exclude-standard -- "${ours[@]}" |
                 sed 's/^/file /'
             for p in patches/*.patch; do
                 sections "$p" | cut -f1 | sed "s|^|patch $p |"
             done) | grep -vxF -f <(printf '%s\n' "$local_list" | sed 's/^/file /') |
           grep -v -F -f <(printf '%s\n' "$local_list" | sed 's/^/patch /;s/$/ /') |
           sort)
used=$(for s in $steps; do
           contents "$s" | while read -r kind arg files; do
               case $kind in
               file) echo "file $arg" ;;
               patch)
                   if [ -z "$files" ]; then
                       sections "$srcdir/$arg" | cut -f1 | sed "s|^|patch $arg |"
                   else
                       printf "patch $arg %s\n" $files
                   fi ;;
               esac
           done
       done | sort)
missing=$(comm -23 <(echo "$expected") <(echo "$used"))
extra=$(comm -13 <(echo "$expected") <(echo "$used" | uniq))
twice=$(echo "$used" | uniq -d)
[ -z "$missing" ] || die "in no patch of series/ (add them to one, or to series/LOCAL):
$missing"
[ -z "$extra" ] || die "series/ names what does not exist:
$extra"
[ -z "$twice" ] || die "in two patches of series/:
$twice"

# ---- the tree, a commit per patch ---------------------------------------------
echo "make-series: QEMU $version, $(echo "$steps" | wc -l) patches"
rm -rf "$tree" "$out"
mkdir -p "$(dirname "$tree")"
cp -a "$pristine" "$tree"
git -C "$tree" init -q
git -C "$tree" add -A
git -C "$tree" commit -q -m "upstream QEMU $version"
base=$(git -C "$tree" rev-parse HEAD)

apply() {       # a diff on stdin, to the tree
    patch -d "$tree" -p1 --forward --no-backup-if-mismatch --quiet --fuzz=0 ||
        die "$1 does not apply in $step"
}

# The engine compiles without QEMU: its new files are checked at each step.
engine_cflags="-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror -Iinclude -Ihw/block/opal
               $(pkg-config --cflags glib-2.0 libgcrypt 2>/dev/null || pkg-config --cflags glib-2.0)"

for step in $steps; do
    msg=$(sed '/^%contents$/,$d' "$desc/$step")
    case $msg in
    "@message-of "*)    # the message of a patch of patches/ (Subject: line, body, ---)
        p=$srcdir/${msg#@message-of }
        grep -q '^Subject: ' "$p" || die "$step: ${msg#@message-of } has no Subject: line"
        msg=$(sed -n '/^Subject: /,/^---$/p' "$p" | sed '$d;1s/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//') ;;
    esac
    added=()
    while read -r kind arg files; do
        case $kind in
        file)
            mkdir -p "$tree/$(dirname "$arg")"
            cp "$srcdir/$arg" "$tree/$arg"
            added+=("$arg") ;;
        patch)
            # shellcheck disable=SC2086
            extract "$srcdir/$arg" $files | apply "$arg" ;;
        diff)
            apply "$arg" < "$srcdir/$arg" ;;
        maintainers)
            entry=$(sed -n '/^-----*$/,$p' "$srcdir/MAINTAINERS" | sed '1d')
            [ -n "$entry" ] || die "no entry after the ---- line of MAINTAINERS"
            if [ -n "${SERIES_MAINTAINER:-}" ]; then
                entry=$(echo "$entry" | sed "1a M: $SERIES_MAINTAINER")
            fi
            # After the IDE entry, in the "Storage Drives" part
            awk -v entry="$entry" '
                { print }
                /^IDE$/ { inide = 1 }
                inide && /^$/ { print entry; print ""; inide = 0; done = 1 }
                END { if (!done) exit 1 }
            ' "$tree/MAINTAINERS" > "$tree/MAINTAINERS.new" || die "no IDE entry in MAINTAINERS"
            mv "$tree/MAINTAINERS.new" "$tree/MAINTAINERS" ;;
        *) die "$step: unknown line '$kind $arg'" ;;
        esac
    done < <(contents "$step")
    git -C "$tree" add -A
    git -C "$tree" diff --cached --quiet && die "$step changes nothing"
    git -C "$tree" commit -q -F - <<<"$msg"
    for f in "${added[@]}"; do
        case $f in
        hw/block/opal/*.c)
            # shellcheck disable=SC2086
            (cd "$tree" && ${CC:-cc} -fsyntax-only $engine_cflags "$f") ||
                die "$step: $f does not compile at this point of the series" ;;
        esac
    done
    echo "  $(git -C "$tree" log -1 --format=%s)"
done

# ---- the patches ----------------------------------------------------------------
git -C "$tree" format-patch -q --cover-letter --no-signature -o "$out" "$base..HEAD"
cover=$(ls "$out"/0000-*.patch)
python3 - "$cover" "$desc/cover-letter.txt" "$version" <<'EOF'
import sys
path, letter, version = sys.argv[1:]
subject, _, blurb = open(letter).read().replace('@VERSION@', version).partition('\n')
text = open(path).read()
text = text.replace('*** SUBJECT HERE ***', subject.strip())
text = text.replace('*** BLURB HERE ***', blurb.strip('\n'))
open(path, 'w').write(text)
EOF

# QEMU's checkpatch over each patch, commit message included.  No sign-off
# is expected: that line is the submitter's.
checkpatch=$tree/scripts/checkpatch.pl
errors=0
for p in "$out"/0*.patch; do
    [ "$p" = "$cover" ] && continue
    res=$(perl "$checkpatch" --no-signoff "$p" 2>&1 || true)
    total=$(echo "$res" | grep '^total:' || echo "total: ?")
    printf '  %-60s %s\n' "$(basename "$p")" "$total"
    if ! echo "$total" | grep -q '^total: 0 errors'; then
        errors=1
        echo "$res" | grep -A3 '^ERROR' | sed 's/^/      /'
    fi
done
echo "make-series: $(ls "$out" | wc -l) files in ${out#"$srcdir"/}"
if [ $errors != 0 ]; then
    echo "make-series: checkpatch reports errors (above)" >&2
    [ "${SERIES_ALLOW_STYLE_ERRORS:-}" = 1 ] || exit 1
fi
