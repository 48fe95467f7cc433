"""The local process-pool executor: N worker processes, each with its own sites and Chromium, fed one task at a time.

Isolation is enforced from the driver, outside the task's process: every task has a wall-clock deadline; a worker
that misses it is killed with its whole process tree (browser, site servers) and the task is recorded as `error`
with the reason; a worker that dies mid-task (crash, OOM kill, a signal) costs only that task, which is retried once
on a fresh worker and then recorded as `error`. Workers exit on their own when the driver dies (a watchdog on the
parent pid, tasks.procs), and so do their site servers and browsers, so a killed run leaves no orphans.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from webagent.tasks.procs import exit_with_parent, kill_tree
from webagent.tasks.results import error_result, one_line
from webagent.tasks.spec import Task

from webagent.errors import BadInput, SetupError

WORKER_START_TIMEOUT = 600.0  # seconds for a worker to start its sites and browser (slow on a loaded 2-core box)
UNHEALTHY_EXIT = 3  # a worker exits with this after reporting a task whose browser or site died under it


def describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"


# ------------------------------------------------------------------------------------------------ in the worker

def worker_main(conn: Connection, parent: int, make_worker: Callable[..., Any], cfg: Any, run_dir: str,
                sites: list[str], external: dict[str, str]) -> None:
    """Entry point of a worker process: `make_worker(cfg, run_dir, sites, external)` (the runner's Worker: it
    starts sites and a browser), then run the tasks the driver sends."""
    exit_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle; it stops us
    try:
        code = asyncio.run(_serve(conn, make_worker(cfg, Path(run_dir), sites, external)))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        code = 0
    os._exit(code)


async def _serve(conn: Connection, w: Any) -> int:
    try:
        await w.start()
    except Exception as e:  # noqa: BLE001 (reported to the driver as one line)
        conn.send(("setup_error", str(e) or type(e).__name__))
        await _close_quietly(w)
        return 2
    conn.send(("ready", os.getpid()))
    try:
        while True:
            msg = await asyncio.to_thread(conn.recv)
            if msg[0] != "task":
                return 0
            task: Task = msg[1]
            t0 = time.perf_counter()
            try:
                result = (await w.run_task(task)).to_dict()
            except Exception as e:  # noqa: BLE001 (one task's failure is that task's error, never the run's)
                result = error_result(task, one_line("running", e), time.perf_counter() - t0)
            conn.send(("result", result))
            problem = w.health()
            if problem:
                conn.send(("unhealthy", problem))
                return UNHEALTHY_EXIT
    finally:
        await _close_quietly(w)


async def _close_quietly(w: Any) -> None:
    try:
        await asyncio.wait_for(w.close(), 20)
    except Exception:  # noqa: BLE001 (we are exiting anyway; the driver kills what is left)
        pass


# ------------------------------------------------------------------------------------------------ in the driver

@dataclass
class _Slot:
    proc: Any
    conn: Connection
    born: float
    ready: bool = False
    task: Task | None = None
    attempt: int = 0
    started: float = 0.0
    deadline: float = math.inf
    dead: bool = False


class PoolExecutor:
    """Runs tasks on `workers` processes with a per-task deadline (`timeout_for(task)` seconds) and one retry of a
    task whose worker died under it. The driver alone writes results: `on_result(dict)` per task, as it finishes."""

    def __init__(self, make_worker: Callable[..., Any], workers: int = 1,
                 timeout_for: Callable[[Task], float] | None = None, retries: int = 1,
                 notice: Callable[[str], None] | None = None) -> None:
        if workers < 1:
            raise BadInput("--workers must be at least 1")
        self.make_worker = make_worker  # picklable (a class or top-level function): it travels to the workers
        self.workers = workers
        self.timeout_for = timeout_for or (lambda t: 600.0)
        self.retries = retries
        self.notice = notice or (lambda s: None)
        self._ctx = mp.get_context("spawn")

    def _spawn(self, args: tuple) -> _Slot:
        parent_end, child_end = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(target=worker_main, args=(child_end, os.getpid(), *args), daemon=True,
                                 name="webagent-bench-worker")
        proc.start()
        child_end.close()
        return _Slot(proc, parent_end, time.monotonic())

    def run(self, cfg: Any, run_dir: Path, sites: list[str], external: dict[str, str], tasks: list[Task],
            on_result: Callable[[dict[str, Any]], None],
            on_start: Callable[[Task], None] | None = None) -> None:
        if not tasks:
            return
        args = (self.make_worker, cfg, str(run_dir), sites, external)
        queue: deque[tuple[Task, int]] = deque((t, 0) for t in tasks)
        remaining = len(tasks)
        setup_failures = 0
        want = min(self.workers, len(tasks))
        slots = [self._spawn(args) for _ in range(want)]

        def finish(slot: _Slot, result: dict[str, Any]) -> None:
            nonlocal remaining
            slot.task, slot.deadline = None, math.inf
            remaining -= 1
            on_result(result)

        def lost(slot: _Slot, why: str) -> None:
            """The slot's worker is gone; its task (if any) is retried once, then recorded as error."""
            slot.dead = True
            task = slot.task
            if task is None:
                return
            if slot.attempt < self.retries:
                self.notice(f"task {task.task_id}: {why}; retrying it on a fresh worker")
                queue.appendleft((task, slot.attempt + 1))
                slot.task = None
            else:
                finish(slot, error_result(task, why, time.monotonic() - slot.started))

        try:
            while remaining:
                now = time.monotonic()
                for s in slots:  # hand out work
                    if s.ready and not s.dead and s.task is None and queue:
                        task, attempt = queue.popleft()
                        s.task, s.attempt, s.started = task, attempt, now
                        s.deadline = now + self.timeout_for(task)
                        s.conn.send(("task", task))
                        if on_start:
                            on_start(task)
                deadlines = [s.deadline if s.ready else s.born + WORKER_START_TIMEOUT for s in slots if not s.dead]
                timeout = max(0.0, min(deadlines, default=now + 1.0) - now)
                waitables = [s.conn for s in slots if not s.dead] + [s.proc.sentinel for s in slots if not s.dead]
                wait(waitables, timeout=min(timeout, 5.0))
                for s in slots:
                    if s.dead:
                        continue
                    try:
                        while s.conn.poll():
                            kind, payload = s.conn.recv()
                            if kind == "ready":
                                s.ready = True
                            elif kind == "result":
                                finish(s, payload)
                            elif kind == "unhealthy":
                                self.notice(f"worker {s.proc.pid}: {payload}; starting a fresh one")
                            elif kind == "setup_error":  # transient on a loaded machine: try a fresh one
                                setup_failures += 1
                                if setup_failures >= 2 * self.workers:
                                    raise SetupError(f"a bench worker could not start: {payload}")
                                self.notice(f"a worker could not start ({payload}); starting another")
                                s.dead = True
                                break
                    except (EOFError, OSError):
                        pass
                    if s.dead:
                        kill_tree(s.proc.pid)
                        continue
                    if s.proc.exitcode is not None or not s.proc.is_alive():
                        s.proc.join(1)
                        lost(s, f"its worker process died ({describe_exit(s.proc.exitcode)})")
                        kill_tree(s.proc.pid)  # its browser and sites, if they outlived it
                        continue
                    now = time.monotonic()
                    if s.task is not None and now > s.deadline:
                        limit = s.deadline - s.started
                        kill_tree(s.proc.pid)
                        s.proc.join(5)
                        s.dead = True
                        self.notice(f"task {s.task.task_id}: no result after {limit:.0f} s; killed its worker")
                        finish(s, error_result(s.task, f"timed out: no result within the {limit:.0f} s deadline "
                                                       "(--task-timeout); its worker was killed",
                                               now - s.started))
                    elif not s.ready and now > s.born + WORKER_START_TIMEOUT:
                        raise SetupError(f"a bench worker did not start its sites and browser within "
                                         f"{WORKER_START_TIMEOUT:.0f} s")
                for s in slots:
                    if s.dead:
                        s.conn.close()
                slots = [s for s in slots if not s.dead]
                busy = sum(1 for s in slots if s.task is not None)
                while len(slots) < min(self.workers, busy + len(queue)):
                    slots.append(self._spawn(args))
        except BaseException:
            self._stop(slots, grace=0.0)
            raise
        self._stop(slots)

    def _stop(self, slots: list[_Slot], grace: float = 15.0) -> None:
        """Ask idle workers to close their browser and sites; kill whatever is still alive after `grace` s."""
        for s in slots:
            try:
                s.conn.send(("stop", None))
            except (OSError, ValueError):
                pass
        end = time.monotonic() + grace
        for s in slots:
            s.proc.join(max(0.1, end - time.monotonic()))
            if s.proc.is_alive():
                kill_tree(s.proc.pid)
                s.proc.join(5)
            try:
                s.conn.close()
            except OSError:
                pass


class InlineExecutor:
    """Runs the tasks in this process, one after another, with no deadline and no isolation: for debugging and
    for tests that look inside the run (BenchConfig(executor="inline")); the CLI offers only local and ray."""

    def __init__(self, make_worker: Callable[..., Any]) -> None:
        self.make_worker = make_worker

    def run(self, cfg: Any, run_dir: Path, sites: list[str], external: dict[str, str], tasks: list[Task],
            on_result: Callable[[dict[str, Any]], None],
            on_start: Callable[[Task], None] | None = None) -> None:
        async def go() -> None:
            async with self.make_worker(cfg, run_dir, sites, external) as w:
                for t in tasks:
                    if on_start:
                        on_start(t)
                    t0 = time.perf_counter()
                    try:
                        r = (await w.run_task(t)).to_dict()
                    except Exception as e:  # noqa: BLE001
                        r = error_result(t, one_line("running", e), time.perf_counter() - t0)
                    on_result(r)
        asyncio.run(go())
