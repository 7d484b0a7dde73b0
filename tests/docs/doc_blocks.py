#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The command blocks of an .rst document, so that tests run what the document shows.

Every ``.. code-block:: console`` block is a list of shell commands. A block with
``:name: guest-...`` runs inside a guest, one with ``:name: host-...`` on the host, each
by a test that names the block; unnamed blocks are run by tests/docs/run-doc-test.py.

    doc_blocks.py FILE NAME     print block NAME (dedented), for a test to run
    doc_blocks.py FILE --list   print every block's name (or "-") and first line
"""
import re
import sys
from dataclasses import dataclass


@dataclass
class Block:
    kind: str       # the code-block language ("console"), or "literal" for a "::" block
    name: str       # the :name: option, "" if none
    line: int       # 1-based line of the directive
    text: str       # the content, dedented, ending with a newline


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _content(lines, i, base):
    """Collects the indented content starting at lines[i]; returns (text, next index)."""
    body = []
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > base):
        body.append(lines[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()
    while body and not body[0].strip():
        body.pop(0)
    strip = min((_indent(l) for l in body if l.strip()), default=0)
    return "".join(l[strip:] + "\n" if l.strip() else "\n" for l in body), i


def blocks(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)\.\. code-block::\s*(\S+)\s*$", line)
        if m:
            base = len(m.group(1))
            start = i + 1
            i += 1
            name = ""
            while i < len(lines) and re.match(r"^\s+:\w+:", lines[i]) and _indent(lines[i]) > base:
                opt = re.match(r"^\s+:name:\s*(\S+)", lines[i])
                if opt:
                    name = opt.group(1)
                i += 1
            text, i = _content(lines, i, base)
            found.append(Block(m.group(2), name, start, text))
            continue
        if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            base = _indent(line)
            start = i + 1
            text, i = _content(lines, i + 1, base)
            if text:
                found.append(Block("literal", "", start, text))
            continue
        i += 1
    return found


def commands(text):
    """Splits a console block into commands, joining backslash-continued lines."""
    out, cur = [], ""
    for line in text.split("\n"):
        if cur:
            cur += " " + line.strip()
        elif line.strip():
            cur = line.strip()
        else:
            continue
        if cur.endswith("\\"):
            cur = cur[:-1].rstrip()
        else:
            out.append(cur)
            cur = ""
    if cur:
        out.append(cur)
    return out


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    found = blocks(argv[1])
    if argv[2] == "--list":
        for b in found:
            print(f"{b.line}: {b.kind} {b.name or '-'}: {b.text.splitlines()[0]}")
        return 0
    for b in found:
        if b.name == argv[2]:
            sys.stdout.write(b.text)
            return 0
    print(f"doc_blocks: no block named {argv[2]} in {argv[1]}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
