"""Where the CPU goes in a gold replay: one worker replays N gold tasks in a child process while this script reads
every process's CPU time from /proc (Linux) ten times a second; prints the wall time, the machine's busy share of
its cores, and CPU seconds per task for each kind of process (Chromium renderers, Chromium's browser process, its GPU
process, Playwright's driver, webagent's Python, the bundled sites, the kernel's threads). Run by hand:

    .venv/bin/python bench/cpu.py [--tasks 40]

With one worker keeping U cores busy, W workers on C cores can reach at most C / U times one worker's rate."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICK = os.sysconf("SC_CLK_TCK")


def snapshot() -> dict[str, tuple[str, float]]:
    """pid -> (command line, CPU seconds so far) for every process."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[pid] = (cmd, (int(fields[11]) + int(fields[12])) / TICK)
    return out


def kind(cmd: str, driver_pid: str, pid: str) -> str:
    if "chromium" in cmd or "chrome" in cmd:
        t = [a.removeprefix("--type=") for a in cmd.split() if a.startswith("--type=")]
        return f"chromium {t[0]}" if t else "chromium browser"
    if "playwright/driver" in cmd:
        return "playwright driver"
    if "webagent.tasks.sites.serve" in cmd:
        return "bundled sites"
    if pid == driver_pid:
        return "webagent (python)"
    return "kernel (whole machine)" if not cmd.strip() else "other"


def busy() -> tuple[int, int]:
    v = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


async def replay(n: int) -> None:
    sys.path.insert(0, str(ROOT))
    from webagent.tasks.runner import BenchConfig, Worker
    from webagent.tasks.sites.server import SiteGroup
    from webagent.tasks.spec import load_tasks

    from webagent.browser import BrowserConfig, BrowserSession
    tasks = load_tasks("local")[:n]
    group = SiteGroup(["shop", "shop_admin", "forum", "codehost", "wiki"])
    group.start()
    try:
        async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1"])) as session:
            w = Worker(BenchConfig(gold=True), Path(tempfile.mkdtemp(prefix="bench-cpu-")), list(group.servers), {},
                       group=group, session=session)
            await w.start()
            print("ready", flush=True)
            for task in tasks:
                await w.run_task(task)
    finally:
        group.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=40)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        asyncio.run(replay(a.tasks))
        return
    p = subprocess.Popen([sys.executable, __file__, "--child", "--tasks", str(a.tasks)], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout is not None
    p.stdout.readline()  # "ready": sites and browser started, the replay begins now
    base, (b0, t0), w0 = snapshot(), busy(), time.perf_counter()
    last: dict[str, tuple[str, float]] = {}
    while p.poll() is None:
        for pid, (cmd, cpu) in snapshot().items():  # an exited process keeps its last reading; a zombie has no
            last[pid] = (cmd.strip() or last.get(pid, ("", 0.0))[0], cpu)  # command line, so keep the one seen
        time.sleep(0.1)
    wall, (b1, t1) = time.perf_counter() - w0, busy()
    per: Counter[str] = Counter()
    for pid, (cmd, cpu) in last.items():
        per[kind(cmd, str(p.pid), pid)] += cpu - base.get(pid, ("", 0.0))[1]
    total = sum(per.values())
    cores = os.cpu_count() or 1
    print(f"{a.tasks} gold tasks in {wall:.1f} s ({wall / a.tasks:.2f} s per task); machine busy "
          f"{100 * (b1 - b0) / max(1, t1 - t0):.0f}% of {cores} cores; {total:.1f} CPU s "
          f"({total / a.tasks:.2f} per task, {total / wall:.2f} cores in use)")
    for k, v in per.most_common():
        if v > 0.05:
            print(f"  {k:<22} {v / a.tasks:6.3f} CPU s per task")
    print(f"bound for {cores} workers on {cores} cores: {cores / (total / wall):.2f}x one worker")


if __name__ == "__main__":
    main()
