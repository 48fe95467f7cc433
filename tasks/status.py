"""The live status of a benchmark run on the terminal: done / running / ETA / tokens / cost, and how long the
longest-running task has gone without writing a step (the model working on a long call shows as a ticking timer
instead of silence).

On a terminal the status is one line on stderr, redrawn every second under the per-task lines; otherwise (a pipe,
a file, CI logs) nothing is redrawn and each task's line carries the status instead."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO


def duration(s: float) -> str:
    s = int(round(max(0.0, s)))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def format_status(done: int, total: int, running: dict[str, float], elapsed: float, tokens: int, cost: float,
                  now: float, quiet_since: dict[str, float] | None = None) -> str:
    """One status line. `running`: task id -> start time; `quiet_since`: task id -> time of its last step record
    (when known), so a long model call shows as the time since that step."""
    eta = f"ETA {duration(elapsed / done * (total - done))}" if done else "ETA --"
    line = f"{done}/{total} done, {len(running)} running, {eta}, {tokens} tok, ${cost:.4f}"
    if running:
        tid, t0 = min(running.items(), key=lambda kv: kv[1])
        line += f" | {tid} {duration(now - t0)}"
        last = (quiet_since or {}).get(tid)
        if last is not None and now - last >= 5:
            line += f", working on a step for {duration(now - last)}"
    return line


class RunStatus:
    """Counts of a run, fed by the executor's on_start / on_result; `run_dir` (where pool workers write each
    task's trajectory) lets it tell how long the current step of a task has taken."""

    def __init__(self, total: int, run_dir: Path | None = None) -> None:
        self.total, self.run_dir = total, run_dir
        self.t0 = time.monotonic()
        self.running: dict[str, float] = {}
        self.done = 0
        self.tokens = 0
        self.cost = 0.0
        self.lock = threading.Lock()

    def started(self, task: Any) -> None:
        with self.lock:
            self.running[task.task_id] = time.monotonic()

    def finished(self, r: dict[str, Any]) -> None:
        with self.lock:
            self.running.pop(r["task_id"], None)
            self.done += 1
            self.tokens += int(r.get("tokens") or 0)
            self.cost += float(r.get("cost_usd") or 0.0)

    def _quiet_since(self, now: float) -> dict[str, float]:
        """task id -> monotonic time of its trajectory's last write (pool workers write into the run directory)."""
        out: dict[str, float] = {}
        if self.run_dir is None:
            return out
        from webagent.tasks.rundir import safe_name
        wall = time.time()
        for tid in self.running:
            try:
                mtime = (self.run_dir / safe_name(tid) / "trajectory.jsonl").stat().st_mtime
            except OSError:
                continue
            out[tid] = now - (wall - mtime)
        return out

    def line(self) -> str:
        now = time.monotonic()
        with self.lock:
            running = dict(self.running)
            return format_status(self.done, self.total, running, now - self.t0, self.tokens, self.cost, now,
                                 self._quiet_since(now))


class LiveStatus:
    """Prints the per-task lines (through `print_fn`) and, on a terminal, keeps the status line redrawn below them
    on `stream` every `interval` seconds. Use as a context manager; `stop()` clears the line."""

    def __init__(self, status: RunStatus, print_fn: Callable[[str], None] = print, stream: TextIO | None = None,
                 interval: float = 1.0, live: bool | None = None) -> None:
        self.status, self.print_fn, self.interval = status, print_fn, interval
        self.stream = stream if stream is not None else sys.stderr
        self.live = _isatty(self.stream) if live is None else live and _isatty(self.stream)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> LiveStatus:
        if self.live:
            self._thread = threading.Thread(target=self._loop, name="bench-status", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def emit(self, text: str, with_status: bool = True) -> None:
        """A line (a finished task's, a notice): printed above the live status line; without one, a task's line
        carries the status."""
        with self._lock:
            if not self.live:
                self.print_fn(f"{text}  | {self.status.line()}" if with_status else text)
                return
            self._clear()
            self.print_fn(text)
            sys.stdout.flush()
            self._draw()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                self._draw()

    def _draw(self) -> None:
        try:
            self.stream.write("\r\x1b[2K" + self.status.line())
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def _clear(self) -> None:
        try:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
        except (OSError, ValueError):
            pass

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        if self.live:
            with self._lock:
                self._clear()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
