#!/usr/bin/env python3
"""The host half of run-stall.sh (see README.md, "Stall"). Standard library only.

  stall-qmp.py fill IMAGE MIB
      writes a MIB MiB image whose every 4 KiB sector starts with its own byte offset
      (little-endian, 8 bytes): what opal-bench's reader checks.
  stall-qmp.py ping --socket S --log L --pid P --out F [--interval-ms 10] [--timeout T]
      connects to QEMU's QMP socket S, negotiates capabilities, waits until the console
      log L shows the guest's "STALL-START ... secs=N", then for N seconds sends
      query-status every interval and times each round trip (time.monotonic_ns) from just
      before the send to its answer. F gets one line per ping: "START_NS RTT_NS", START_NS
      counted from the window's start, then how long (ns) QEMU's main loop, its monitor
      I/O thread, its vCPU and the pinger waited for a host CPU (run queue,
      /proc/.../schedstat) during that round trip. Gives up after T seconds, or when process P (QEMU,
      or its parent: timeout) is gone. F.cpu gets the CPU seconds that QEMU's threads (by
      name), QEMU as a whole and the host's cores (busy, of all) spent in the window.
  stall-qmp.py summary --work DIR [--secs N ...]
      reads DIR/rtt-MODE.txt and DIR/log-MODE.txt of the modes baseline and loop, prints
      the table, the ratio and the targets. Exit status 1 if a run produced no result.
"""
import argparse
import json
import os
import re
import socket
import sys
import time

MODES = ["baseline", "loop"]
# The targets, under the password loop.
RTT_P99_MS = 5.0
RTT_MAX_MS = 20.0
READ_RATIO = 0.90


def fill(path, mib):
    chunk = 1024 * 1024
    block = bytearray(chunk)
    with open(path + ".tmp", "wb") as f:
        for i in range(mib):
            base = i * chunk
            for off in range(0, chunk, 4096):
                block[off:off + 8] = (base + off).to_bytes(8, "little")
            f.write(block)
    os.replace(path + ".tmp", path)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def qemu_pid(pid):
    """P itself if it is QEMU, else P's child (run-stall.sh passes timeout's pid)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                return int(entry)
    return pid


def cpu_sample(pid):
    """CPU seconds: per thread name, QEMU's total, and the host's busy and total time."""
    tick = os.sysconf("SC_CLK_TCK")
    sample = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                head, tail = f.read().rsplit(")", 1)
            name = head.split("(", 1)[1]
            fields = tail.split()
            key = "thread " + name
            sample[key] = sample.get(key, 0) + (int(fields[11]) + int(fields[12])) / tick
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        sample["qemu"] = (int(fields[11]) + int(fields[12])) / tick
    except OSError:
        pass
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    sample["host total"] = sum(cpu[:8]) / tick
    sample["host busy"] = (sum(cpu[:8]) - cpu[3] - cpu[4]) / tick
    return sample


def thread_schedstat(pid, prefix):
    """The schedstat of QEMU's thread whose name starts with PREFIX (-name debug-threads=on)."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().startswith(prefix):
                    return f"/proc/{pid}/task/{tid}/schedstat"
        except OSError:
            pass
    return None


def run_delays(paths):
    """Nanoseconds each thread has spent runnable but waiting for a CPU (schedstat)."""
    out = []
    for path in paths:
        try:
            with open(path) as f:
                out.append(int(f.read().split()[1]))
        except (OSError, TypeError, IndexError):
            out.append(0)
    return out


def ping(a):
    deadline = time.monotonic() + a.timeout

    def check_time(what):
        if time.monotonic() > deadline:
            sys.exit(f"stall-qmp: timed out waiting for {what}")
        if not alive(a.pid):
            sys.exit(f"stall-qmp: QEMU exited while waiting for {what}")

    while not os.path.exists(a.socket):
        check_time("the QMP socket")
        time.sleep(0.02)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(a.timeout)
    sock.connect(a.socket)
    replies = sock.makefile("rb")

    def answer():
        # Events may come first; the answer is the first line with return or error.
        while True:
            line = replies.readline()
            if not line:
                raise EOFError("QEMU closed the monitor")
            msg = json.loads(line)
            if "return" in msg or "error" in msg:
                return msg

    json.loads(replies.readline())              # the greeting
    sock.sendall(b'{"execute": "qmp_capabilities"}\n')
    answer()

    # The window starts when the guest says so on the console.
    marker = re.compile(rb"STALL-START .*secs=([0-9.]+)")
    secs = None
    with open(a.log, "rb") as log:
        pending = b""
        while secs is None:
            check_time("STALL-START on the console")
            data = log.read()
            if not data:
                time.sleep(0.005)
                continue
            pending += data
            m = marker.search(pending)
            if m:
                secs = float(m.group(1))
            pending = pending[pending.rfind(b"\n") + 1:]

    command = b'{"execute": "query-status"}\n'
    interval = a.interval_ms * 1_000_000
    rtts = []
    qpid = qemu_pid(a.pid)
    cpu0 = cpu_sample(qpid)
    # Waiting for a CPU, per ping: QEMU's main loop (it runs the command), its monitor
    # I/O thread (it reads the command and writes the answer), the vCPU (it may hold the
    # BQL), the pinger itself.
    waits = [f"/proc/{qpid}/task/{qpid}/schedstat", thread_schedstat(qpid, "IO mon_iothread"),
             thread_schedstat(qpid, "CPU 0/"), "/proc/thread-self/schedstat"]
    t0 = time.monotonic_ns()
    end = t0 + int(secs * 1e9)
    due = t0
    while True:
        now = time.monotonic_ns()
        if now < due:
            time.sleep((due - now) / 1e9)
        wait0 = run_delays(waits)
        start = time.monotonic_ns()
        if start >= end:
            break
        sock.sendall(command)
        msg = answer()
        rtt = time.monotonic_ns() - start
        wait1 = run_delays(waits)
        if "return" not in msg:
            sys.exit(f"stall-qmp: query-status failed: {msg}")
        rtts.append((start - t0, rtt, *(y - x for x, y in zip(wait0, wait1))))
        # The next ping is due one interval after this one, or now if a stall made it late.
        due = max(due + interval, time.monotonic_ns())
    cpu1 = cpu_sample(qpid)
    sock.close()
    with open(a.out + ".cpu", "w") as f:
        for key, value in cpu1.items():
            f.write(f"{key}\t{value - cpu0.get(key, 0):.2f}\n")
    with open(a.out + ".tmp", "w") as f:
        for fields in rtts:
            f.write(" ".join(map(str, fields)) + "\n")
    os.replace(a.out + ".tmp", a.out)
    print(f"stall-qmp: {len(rtts)} pings in {secs:g} s")


def percentile(sorted_values, p):
    """Nearest rank."""
    k = max(0, min(len(sorted_values) - 1, -(-len(sorted_values) * p // 100) - 1))
    return sorted_values[int(k)]


def kv(text):
    return dict(re.findall(r"(\w[\w-]*)=(\S+)", text))


def slow_waits(work, mode):
    """Of the round trips >= RTT_P99_MS: how many, and how many spent at least half their
    time with one thread (main loop, monitor I/O, vCPU, pinger) waiting for a host CPU."""
    slow = waited = 0
    with open(os.path.join(work, f"rtt-{mode}.txt")) as f:
        for line in f:
            fields = [int(x) for x in line.split()]
            if len(fields) >= 6 and fields[1] >= RTT_P99_MS * 1e6:
                slow += 1
                waited += max(fields[2:6]) * 2 >= fields[1]
    return waited, slow


def read_run(work, mode):
    run = {"error": None}
    try:
        with open(os.path.join(work, f"rtt-{mode}.txt")) as f:
            rtts = sorted(int(line.split()[1]) / 1e6 for line in f if line.strip())
    except FileNotFoundError:
        rtts = []
    if rtts:
        run["slow_waits"] = slow_waits(work, mode)
        run.update(pings=len(rtts), p50=percentile(rtts, 50), p99=percentile(rtts, 99),
                   max=rtts[-1], over=sum(1 for r in rtts if r >= RTT_P99_MS))
    try:
        with open(os.path.join(work, f"rtt-{mode}.txt.cpu")) as f:
            run["cpu"] = {k: float(v) for k, v in (line.rstrip("\n").split("\t") for line in f)}
    except (FileNotFoundError, ValueError):
        pass
    done = False
    try:
        with open(os.path.join(work, f"log-{mode}.txt"), errors="replace") as f:
            for raw in f:
                # A console line may carry escape sequences or other output in front.
                m = re.search(r"(BENCH|STALL-).*", raw)
                body = m.group(0).strip() if m else ""
                if body.startswith("BENCH test=stall-read"):
                    run["mbps"] = float(kv(body)["mbps"])
                    run["avg_req_kib"] = kv(body).get("avg_req_kib")
                elif body.startswith("STALL-LOOP "):
                    run["loop"] = kv(body)
                elif body.startswith("STALL-HOST "):
                    d = kv(body)
                    run.setdefault("load", []).append(d.get("load", "?").split(",")[0])
                    if "qemu-exit" in d:
                        run["qemu_exit"] = int(d["qemu-exit"])
                elif body.startswith("BENCH-ERROR"):
                    run["error"] = body
                elif body.startswith("BENCH-DONE"):
                    done = True
    except FileNotFoundError:
        run["error"] = "no console log"
    if not run["error"]:
        if not done:
            run["error"] = "the guest did not finish (no BENCH-DONE)"
        elif not rtts:
            run["error"] = "no QMP round trips recorded"
    return run


def summary(a):
    runs = {mode: read_run(a.work, mode) for mode in MODES}
    print(f"stall: Linux {a.kernel} under TCG -smp {a.smp}, {a.secs:g} s window; QMP "
          f"query-status every {a.interval_ms:g} ms; the other disk: ide-hd, raw, "
          f"{a.read_mib} MiB, 1 MiB O_DIRECT reads")
    print(f"  qemu: {a.qemu}")

    def cell(run, key, fmt):
        return fmt.format(run[key]) if key in run else "-"

    rows = [
        ("QMP pings", lambda r: cell(r, "pings", "{}")),
        ("QMP RTT p50 (ms)", lambda r: cell(r, "p50", "{:.2f}")),
        ("QMP RTT p99 (ms)", lambda r: cell(r, "p99", "{:.2f}")),
        ("QMP RTT max (ms)", lambda r: cell(r, "max", "{:.2f}")),
        (f"QMP RTTs >= {RTT_P99_MS:g} ms", lambda r: cell(r, "over", "{}")),
        ("  of which waiting for a CPU", lambda r: "{}".format(r["slow_waits"][0])
         if "slow_waits" in r else "-"),
        ("other disk MB/s", lambda r: cell(r, "mbps", "{:.1f}")),
        ("wrong passwords/s", lambda r: r["loop"]["per_sec"] if "loop" in r else "-"),
        ("host load before, after", lambda r: ", ".join(r.get("load", [])) or "-"),
    ]
    print(f"  {'':30} {'baseline':>14} {'loop':>14}")
    for name, get in rows:
        print(f"  {name:30} {get(runs['baseline']):>14} {get(runs['loop']):>14}")
    # Where the CPU went in the window, as % of one core: QEMU's busiest threads, QEMU, the
    # host (of all its cores together).
    names = set()
    for run in runs.values():
        names |= {k for k in run.get("cpu", {}) if k.startswith("thread ")}
    top = sorted(names, key=lambda k: -max(r.get("cpu", {}).get(k, 0) for r in runs.values()))

    def cpu_pct(run, key):
        c = run.get("cpu")
        if not c or key not in c or a.secs <= 0:
            return "-"
        if key == "host busy":
            return f"{100 * c[key] / c['host total']:.0f}% of {os.cpu_count()}"
        return f"{100 * c[key] / a.secs:.0f}%"

    for key in ["qemu"] + top[:4] + ["host busy"]:
        label = {"qemu": "CPU QEMU, all threads", "host busy": "CPU host, busy"}.get(
            key, f"CPU thread '{key[len('thread '):]}'")
        print(f"  {label:30} {cpu_pct(runs['baseline'], key):>14} {cpu_pct(runs['loop'], key):>14}")
    loop = runs["loop"]
    if "loop" in loop:
        d = loop["loop"]
        print(f"  password loop: {d['attempts']} attempts, {d['refused']} refused, "
              f"{d['other']} other outcomes, in {d['secs']} s")
    failed = False
    for mode, run in runs.items():
        if run["error"]:
            print(f"  {mode}: ERROR {run['error']}")
            failed = True
    ratio = None
    if "mbps" in loop and runs["baseline"].get("mbps"):
        ratio = loop["mbps"] / runs["baseline"]["mbps"]
        print(f"  other disk under the loop / alone: {ratio:.3f}")

    def target(name, value, ok, fmt):
        if value is None:
            print(f"  target {name}: no result")
        else:
            print(f"  target {name}: {fmt.format(value)} {'PASS' if ok(value) else 'MISS'}")

    print("targets (under the password loop):")
    target(f"QMP RTT p99 < {RTT_P99_MS:g} ms", loop.get("p99"), lambda v: v < RTT_P99_MS,
           "{:.2f} ms")
    target(f"QMP RTT max < {RTT_MAX_MS:g} ms", loop.get("max"), lambda v: v < RTT_MAX_MS,
           "{:.2f} ms")
    target(f"other disk >= {READ_RATIO:.2f} of alone", ratio, lambda v: v >= READ_RATIO,
           "{:.3f}")
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill")
    f.add_argument("image")
    f.add_argument("mib", type=int)
    p = sub.add_parser("ping")
    p.add_argument("--socket", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--pid", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--interval-ms", type=float, default=10)
    p.add_argument("--timeout", type=float, default=300)
    s = sub.add_parser("summary")
    s.add_argument("--work", required=True)
    s.add_argument("--secs", type=float, default=30)
    s.add_argument("--interval-ms", type=float, default=10)
    s.add_argument("--read-mib", type=int, default=256)
    s.add_argument("--smp", default="1")
    s.add_argument("--kernel", default="?")
    s.add_argument("--qemu", default="?")
    a = ap.parse_args()
    if a.cmd == "fill":
        fill(a.image, a.mib)
        return 0
    if a.cmd == "ping":
        ping(a)
        return 0
    return summary(a)


if __name__ == "__main__":
    sys.exit(main())
