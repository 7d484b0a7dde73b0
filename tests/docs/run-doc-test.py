#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Runs what docs/system/devices/opal.rst shows, so that the device guide cannot drift.

- Every unnamed ``console`` block runs on the host, in one scratch directory, with the
  built ``qemu-system-x86_64`` and ``qemu-img`` first in PATH. A QEMU command line must
  start the machine (paused, with a QMP socket appended) and quit cleanly; ``-device
  ...,help`` must list the device's properties.
- A named block (``guest-...`` or ``host-...``) is run by another test: it must be named in
  one of tests/ (other than this directory), or the block is exercised by nothing.
- Every ``-> {...}`` QMP example and ``(qemu) ...`` HMP example runs against a drive with
  ``id=opal0``; the answer must be a success and have the shape the example shows.
- The state region of a drive QEMU just laid out is checked against the Layout section:
  magic strings and standard CRC-32C checksums, computed here independently.

Usage: run-doc-test.py BUILDDIR [DOC]
Prints TAP lines and "docs: N passed, N failed"; exits 1 if anything failed.
"""
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from doc_blocks import blocks, commands  # noqa: E402

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
QEMU_TIMEOUT = 60


class Qmp:
    """A QEMU started paused with a QMP socket; commands return the parsed answer."""

    def __init__(self, argv, workdir):
        self.path = os.path.join(workdir, "qmp.sock")
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.proc = subprocess.Popen(
            argv + ["-S", "-qmp", f"unix:{self.path},server=on,wait=off"],
            cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + QEMU_TIMEOUT
        while not os.path.exists(self.path):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                out = self.proc.communicate()[0]
                raise RuntimeError(f"QEMU did not start (exit {self.proc.returncode}): "
                                   f"{out.strip()}")
            time.sleep(0.05)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(QEMU_TIMEOUT)
        self.sock.connect(self.path)
        self.replies = self.sock.makefile("r")
        json.loads(self.replies.readline())
        self.execute({"execute": "qmp_capabilities"})

    def execute(self, command):
        self.sock.sendall(json.dumps(command).encode() + b"\n")
        for line in self.replies:
            msg = json.loads(line)
            if "return" in msg or "error" in msg:
                return msg
        raise RuntimeError("QEMU closed its monitor")

    def hmp(self, line):
        return self.execute({"execute": "human-monitor-command",
                             "arguments": {"command-line": line}})

    def quit(self):
        """Quits QEMU; returns (exit status, what it printed)."""
        try:
            self.execute({"execute": "quit"})
        except (OSError, RuntimeError):
            pass
        try:
            out = self.proc.communicate(timeout=QEMU_TIMEOUT)[0]
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out = self.proc.communicate()[0] + "\n(killed: QEMU did not quit)"
        self.sock.close()
        return self.proc.returncode, out


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print(f"ok {self.passed + self.failed} - {what}")
        else:
            self.failed += 1
            print(f"not ok {self.passed + self.failed} - {what}")
            for line in str(detail).strip().splitlines():
                print(f"#   {line}")
        sys.stdout.flush()


def run_qemu_line(argv, workdir):
    """Starts a QEMU command line from the doc, paused, and quits it. Returns (ok, detail)."""
    if any(a.endswith(",help") or a == "help" for a in argv):
        p = subprocess.run(argv, cwd=workdir, capture_output=True, text=True,
                           timeout=QEMU_TIMEOUT)
        ok = p.returncode == 0 and "ide-opal-hd options" in p.stdout
        return ok, p.stdout[-2000:] + p.stderr
    if "-nographic" not in argv:
        argv = argv + ["-display", "none"]
    try:
        qemu = Qmp(argv, workdir)
    except RuntimeError as e:
        return False, str(e)
    status = qemu.execute({"execute": "query-status"})
    rc, out = qemu.quit()
    ok = rc == 0 and "return" in status and "rror" not in out
    return ok, f"exit {rc}; {status}; {out}"


def run_host_block(block, workdir, results, env):
    for cmd in commands(block.text):
        what = f"line {block.line}: {cmd}"
        argv = shlex.split(cmd)
        if argv and argv[0] == "qemu-system-x86_64":
            argv[0] = env["QEMU"]
            ok, detail = run_qemu_line(argv, workdir)
        else:
            p = subprocess.run(["bash", "-e", "-c", cmd], cwd=workdir, env=env,
                               capture_output=True, text=True, timeout=QEMU_TIMEOUT)
            ok, detail = p.returncode == 0, f"exit {p.returncode}: {p.stdout}{p.stderr}"
        results.check(ok, what, detail)


def example_keys(text):
    return set(re.findall(r'"([a-z][a-z-]*)"\s*:', text))


def all_keys(value):
    if isinstance(value, dict):
        return set(value) | set().union(*(all_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(all_keys(v) for v in value))
    return set()


def run_monitor_examples(examples, qemu, results):
    """QMP "-> ..." (with the "<- ..." that follows) and HMP "(qemu) ..." examples."""
    for block in examples:
        lines = block.text.split("\n")
        i = 0
        while i < len(lines):
            line = lines[i]
            i += 1
            if line.startswith("-> "):
                request = line[3:]
                answer = ""
                while i < len(lines) and lines[i] and not lines[i].startswith("-> "):
                    answer += lines[i][3:] if lines[i].startswith("<- ") else lines[i]
                    i += 1
                reply = qemu.execute(json.loads(request))
                missing = example_keys(answer) - {"return"} - all_keys(reply.get("return"))
                results.check("return" in reply and not missing,
                              f"line {block.line}: QMP {request}",
                              f"reply {reply}; keys shown but absent: {sorted(missing)}")
            elif line.startswith("(qemu) "):
                shown = []
                while i < len(lines) and lines[i].strip() and not lines[i].startswith("(qemu) "):
                    shown.append(lines[i])
                    i += 1
                reply = qemu.hmp(line[7:])
                out = reply.get("return", "")
                # Each example line's label must appear, except the open session's: the
                # fresh drive here has none.
                labels = [re.split(r"[ :]", s.strip(), maxsplit=1)[0] for s in shown
                          if s.strip() != "..." and not s.strip().startswith("session ")]
                absent = [lab for lab in labels if not re.search(rf"^\s*{re.escape(lab)}\b",
                                                                 out, re.M)]
                ok = ("return" in reply and not absent and "rror" not in out
                      and "unknown command" not in out)
                results.check(ok, f"line {block.line}: HMP {line[7:]}",
                              f"output:\n{out}\nlabels shown but absent: {absent}")


CRC32C_TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    CRC32C_TABLE.append(c)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def check_state_layout(workdir, env, results):
    """Lays out a new drive's region and checks it as the Layout section describes it."""
    img = os.path.join(workdir, "layout.raw")
    with open(img, "wb") as f:
        f.truncate(256 << 20)
    argv = [env["QEMU"], "-M", "q35", "-display", "none", "-nic", "none",
            "-drive", f"if=none,id=d0,file={img},format=raw",
            "-device", "ide-opal-hd,drive=d0,bus=ide.0"]
    try:
        rc, out = Qmp(argv, workdir).quit()
    except RuntimeError as e:
        rc, out = -1, str(e)
    results.check(rc == 0, "Layout: QEMU lays out a new drive's state region", out)
    results.check(crc32c(b"123456789") == 0xE3069283, "Layout: CRC-32C check value")
    with open(img, "rb") as f:
        data = f.read()
    start = next((off for off in range(0, len(data), 1 << 20)
                  if data[off:off + 8] == b"QEMUOPAL"), None)
    results.check(start is not None, "Layout: superblock QEMUOPAL at a 1 MiB boundary")
    if start is None:
        return
    le = lambda off, n: int.from_bytes(data[off:off + n], "little")  # noqa: E731

    def header_ok(off):
        sector = bytearray(data[off:off + 512])
        sector[12:16] = bytes(4)
        return crc32c(sector) == le(off + 12, 4)

    results.check(header_ok(start), "Layout: superblock CRC-32C (checksum field as zero)")
    region, slot_size = le(start + 16, 8), le(start + 24, 8)
    results.check(start + region == len(data),
                  f"Layout: the region ({region >> 20} MiB) ends the image")
    # A new region's first save is generation 1, so it lands in slot 1 (n mod 2).
    slot = start + (64 << 10) + slot_size
    results.check(data[slot:slot + 8] == b"OPALSLOT" and header_ok(slot) and
                  le(slot + 16, 8) == 1, "Layout: slot 1 header: magic, CRC-32C, generation 1")
    length = le(slot + 24, 4) + le(slot + 28, 4)
    payload = data[slot + 512:slot + 512 + length]
    results.check(0 < length <= slot_size - 512 and crc32c(payload) == le(slot + 32, 4),
                  f"Layout: slot 1 payload ({length} bytes) CRC-32C")
    results.check(payload[:8] == b"OPALSTAT", "Layout: the payload is an OPALSTAT state")


def named_block_users(name):
    """Programs of tests/ outside tests/docs that name a block (prose does not run it)."""
    users = []
    for root, _, files in os.walk(os.path.join(TOP, "tests")):
        if os.path.abspath(root).startswith(os.path.join(TOP, "tests", "docs")):
            continue
        for f in files:
            if f.endswith((".md", ".txt", ".rst")):
                continue
            path = os.path.join(root, f)
            try:
                with open(path, encoding="utf-8") as fh:
                    if re.search(rf"\b{re.escape(name)}\b", fh.read()):
                        users.append(os.path.relpath(path, TOP))
            except (UnicodeDecodeError, OSError):
                pass
    return users


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    build = os.path.abspath(argv[1])
    doc = argv[2] if len(argv) == 3 else os.path.join(TOP, "docs/system/devices/opal.rst")
    env = dict(os.environ, PATH=f"{build}:{os.environ['PATH']}",
               QEMU=os.path.join(build, "qemu-system-x86_64"))
    results = Results()
    found = blocks(doc)
    with tempfile.TemporaryDirectory(prefix="opal-doc-") as workdir:
        for block in found:
            if block.kind != "console":
                continue
            if block.name:
                users = named_block_users(block.name)
                results.check(bool(users), f"line {block.line}: block {block.name} is run by "
                              f"{', '.join(users) or 'no test'}")
            else:
                run_host_block(block, workdir, results, env)
        examples = [b for b in found if b.kind == "literal" and
                    re.search(r"^(-> |\(qemu\) )", b.text, re.M)]
        img = os.path.join(workdir, "monitor.qcow2")
        subprocess.run([os.path.join(build, "qemu-img"), "create", "-q", "-f", "qcow2",
                        img, "1G"], check=True)
        qemu = Qmp([env["QEMU"], "-M", "q35", "-display", "none", "-nic", "none",
                    "-drive", f"if=none,id=d0,file={img}",
                    "-device", "ide-opal-hd,drive=d0,bus=ide.0,id=opal0"], workdir)
        run_monitor_examples(examples, qemu, results)
        rc, out = qemu.quit()
        results.check(rc == 0, "the monitor examples' QEMU quits cleanly", out)
        check_state_layout(workdir, env, results)
    print(f"1..{results.passed + results.failed}")
    print(f"docs: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
