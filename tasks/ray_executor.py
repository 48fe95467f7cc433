"""The Ray executor (`webagent bench --executor ray`, `pip install 'webagent[ray]'`): one actor per worker, each
holding a Chromium and its own group of sites, on this machine (a private Ray head that dies with the driver,
tasks.ray_local) or a cluster (`--ray-address`).

Actors run a task in a private scratch folder and send back the result with the task's trajectory folder packed as
a tar: the driver alone writes the run directory, so it works when actors run on other machines. The driver keeps
one task in flight per actor under the task's deadline; an actor that misses it is killed and the task recorded as
`error`; an actor that dies mid-task (its process killed, its node lost) costs that task one retry on a fresh actor,
then `error`.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import os
import shutil
import tarfile
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webagent.tasks.results import error_result, one_line
from webagent.tasks.rundir import safe_name
from webagent.tasks.spec import Task

from webagent.errors import BadInput, SetupError

ACTOR_START_TIMEOUT = 600.0


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SetupError("--executor ray needs Ray: pip install 'webagent[ray]' (or use the default process pool, "
                         "--executor local)") from None
    return ray


def _reload_auth() -> None:
    """Make an already imported Ray re-read RAY_AUTH_MODE / RAY_AUTH_TOKEN (it caches them at first use)."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
        Config.initialize("")
        AuthenticationTokenLoader.instance().reset_cache()
    except (ImportError, AttributeError):  # another Ray version: it reads them at ray.init
        pass


class BenchActor:
    """Runs tasks one at a time in its own event loop, Chromium and SiteGroup (made a Ray actor by RayExecutor)."""

    def __init__(self, make_worker: Callable[..., Any], cfg: Any, sites: list[str], external: dict[str, str]) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="webagent-ray-"))
        self.loop = asyncio.new_event_loop()
        self.worker = make_worker(cfg, self.scratch, sites, external)
        self.loop.run_until_complete(self.worker.start())

    def pid(self) -> int:
        return os.getpid()

    def run(self, task: Task) -> tuple[dict[str, Any], bytes]:
        """(result, the task's folder as a tar) for one task; an exception is the task's error, never the actor's."""
        t0 = time.perf_counter()
        try:
            result = self.loop.run_until_complete(self.worker.run_task(task)).to_dict()
        except Exception as e:  # noqa: BLE001
            result = error_result(task, one_line("running", e), time.perf_counter() - t0)
        folder = self.scratch / safe_name(task.task_id)
        buf = io.BytesIO()
        if folder.exists():
            with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                tar.add(folder, arcname=folder.name)
            shutil.rmtree(folder, ignore_errors=True)
        return result, buf.getvalue()

    def health(self) -> str:
        return self.worker.health()

    def close(self) -> None:
        try:
            self.loop.run_until_complete(asyncio.wait_for(self.worker.close(), 20))
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)


def unpack(run_dir: Path, result: dict[str, Any], blob: bytes) -> dict[str, Any]:
    """Write a task's folder sent by an actor into the run directory; point the result at its trajectory."""
    if blob:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
            tar.extractall(run_dir, filter="data")
    folder = run_dir / safe_name(result["task_id"])
    if (folder / "trajectory.jsonl").exists():
        result = {**result, "trajectory": str(folder / "trajectory.jsonl")}
    return result


class RayExecutor:
    """`workers` Ray actors fed one task at a time, under deadlines, with one retry of a task whose actor died."""

    def __init__(self, make_worker: Callable[..., Any], workers: int = 1, address: str | None = None,
                 timeout_for: Callable[[Task], float] | None = None, retries: int = 1,
                 notice: Callable[[str], None] | None = None) -> None:
        if workers < 1:
            raise BadInput("--workers must be at least 1")
        self.ray = _ray()
        self.make_worker = make_worker
        self.workers, self.address, self.retries = workers, address, retries
        self.timeout_for = timeout_for or (lambda t: 600.0)
        self.notice = notice or (lambda s: None)
        self._local: Any = None  # the LocalRay this run started (none with --ray-address)
        self._saved_env: dict[str, str | None] = {}

    def _init(self) -> None:
        """Connect to --ray-address, else start a private local Ray head that dies with this process."""
        ray = self.ray
        if ray.is_initialized():
            return
        address = self.address
        if not address:
            from webagent.tasks.ray_local import LocalRay
            self._local = LocalRay(max(self.workers, os.cpu_count() or 1))
            address = self._local.start()
            self._saved_env = {k: os.environ.get(k) for k in self._local.auth}
            os.environ.update(self._local.auth)
            _reload_auth()
        # the workers import webagent from this checkout / installation, not from a packaged runtime_env
        try:
            ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
        except Exception as e:  # noqa: BLE001 (connection refused, version mismatch, ...)
            self._shutdown()
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray instance"
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise SetupError(f"cannot connect to {where}: {msg}") from None

    def _shutdown(self) -> None:
        try:
            self.ray.shutdown()
        except Exception:  # noqa: BLE001
            pass
        if self._local is not None:
            self._local.stop()
            self._local = None
            for k, v in self._saved_env.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
            _reload_auth()

    def run(self, cfg: Any, run_dir: Path, sites: list[str], external: dict[str, str], tasks: list[Task],
            on_result: Callable[[dict[str, Any]], None],
            on_start: Callable[[Task], None] | None = None) -> None:
        if not tasks:
            return
        ray = self.ray
        make_worker = self.make_worker
        self._init()
        actor_cls = ray.remote(num_cpus=1, max_restarts=0, max_task_retries=0)(BenchActor)
        queue: deque[tuple[Task, int]] = deque((t, 0) for t in tasks)
        remaining = len(tasks)
        start_failures = 0

        class Slot:
            def __init__(self) -> None:
                self.actor = actor_cls.remote(make_worker, cfg, sites, external)
                self.ref: Any = self.actor.pid.remote()  # resolves once the actor has started
                self.born = time.monotonic()
                self.ready = False
                self.task: Task | None = None
                self.attempt = 0
                self.started = 0.0
                self.deadline = math.inf

            def kill(self) -> None:
                try:
                    ray.kill(self.actor, no_restart=True)
                except Exception:  # noqa: BLE001 (already dead)
                    pass

        def finish(s: Slot, result: dict[str, Any]) -> None:
            nonlocal remaining
            s.task, s.ref, s.deadline = None, None, math.inf
            remaining -= 1
            on_result(result)

        slots = [Slot() for _ in range(min(self.workers, len(tasks)))]
        try:
            while remaining:
                now = time.monotonic()
                for s in slots:
                    if s.ready and s.task is None and queue:
                        s.task, s.attempt = queue.popleft()
                        s.started, s.deadline = now, now + self.timeout_for(s.task)
                        s.ref = s.actor.run.remote(s.task)
                        if on_start:
                            on_start(s.task)
                refs = [s.ref for s in slots if s.ref is not None]
                limits = [s.deadline if s.ready else s.born + ACTOR_START_TIMEOUT for s in slots]
                timeout = max(0.0, min(min(limits, default=now + 1), now + 5.0) - now)
                done, _ = ray.wait(refs, num_returns=1, timeout=timeout) if refs else ([], [])
                dead: list[Slot] = []
                for s in slots:
                    if s.ref is None or s.ref not in done:
                        continue
                    try:
                        value = ray.get(s.ref)
                    except Exception as e:  # noqa: BLE001 (RayActorError and friends: the actor died)
                        why = f"its Ray actor died ({type(e).__name__})"
                        dead.append(s)
                        if not s.ready:
                            start_failures += 1
                            if start_failures >= 2 * self.workers:
                                raise SetupError(f"a Ray bench actor could not start: "
                                                 f"{str(e).strip().splitlines()[-1] if str(e).strip() else why}") \
                                    from None
                            self.notice(f"a Ray actor could not start ({why}); starting another")
                        elif s.task is not None and s.attempt < self.retries:
                            self.notice(f"task {s.task.task_id}: {why}; retrying it on a fresh actor")
                            queue.appendleft((s.task, s.attempt + 1))
                        elif s.task is not None:
                            finish(s, error_result(s.task, why, time.monotonic() - s.started))
                        continue
                    if not s.ready:
                        s.ready, s.ref = True, None
                        continue
                    result, blob = value
                    finish(s, unpack(run_dir, result, blob))
                now = time.monotonic()
                for s in slots:
                    if s in dead:
                        continue
                    if s.task is not None and now > s.deadline:
                        limit = s.deadline - s.started
                        self.notice(f"task {s.task.task_id}: no result after {limit:.0f} s; killed its actor")
                        finish(s, error_result(s.task, f"timed out: no result within the {limit:.0f} s deadline "
                                                       "(--task-timeout); its actor was killed", now - s.started))
                        dead.append(s)
                    elif not s.ready and now > s.born + ACTOR_START_TIMEOUT:
                        raise SetupError(f"a Ray bench actor did not start within {ACTOR_START_TIMEOUT:.0f} s "
                                         "(is there a free CPU for it in the cluster?)")
                for s in dead:
                    s.kill()
                slots = [s for s in slots if s not in dead]
                busy = sum(1 for s in slots if s.task is not None)
                while len(slots) < min(self.workers, busy + len(queue)):
                    slots.append(Slot())
        finally:
            for s in slots:
                if s.ready and s.task is None:  # a busy actor would only close after its task: just kill it
                    try:
                        ray.get(s.actor.close.remote(), timeout=30)
                    except Exception:  # noqa: BLE001
                        pass
                s.kill()
            self._shutdown()
