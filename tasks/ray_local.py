"""A local Ray head that dies with the driver that started it, SIGKILL included (`bench --executor ray` without
`--ray-address`).

`ray.init()` would start the GCS, raylet, runtime-env and dashboard agents as children of the driver, and a killed
driver leaves them running (a `ray::RuntimeEnvAgent` was seen surviving for hours). Instead the driver starts a
keeper process (`python -m webagent.tasks.ray_local`) that makes itself a child subreaper, runs `ray start --head`
and so inherits every process Ray leaves behind; when the driver dies, or asks it to stop, the keeper kills its
whole tree and removes the session's temporary folder. The driver then connects with `ray.init(address=...)`,
authenticated with a token made for the run (`LocalRay.auth`, in the driver's environment while connected).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from webagent.tasks.procs import child_env, descendants, kill_tree

from webagent.errors import SetupError

START_TIMEOUT = 180.0  # seconds for `ray start --head` (about 5 s on a quiet 2-core machine; much more when loaded)
OBJECT_STORE_BYTES = 256 * 1024 * 1024  # results and packed trajectory folders only: Ray's default is 30% of RAM
READY = "webagent-ray-ready"
_PR_SET_CHILD_SUBREAPER = 36


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def head_command(num_cpus: int, temp_dir: str, port: int) -> list[str]:
    """`ray start --head` for a private single-machine cluster: loopback, own ports and temp dir (several runs on
    one machine do not collide), no dashboard, no log monitor, no usage stats, a small object store."""
    return [sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--node-ip-address", "127.0.0.1",
            "--port", str(port),
            "--dashboard-agent-listen-port", str(free_port()), "--num-cpus", str(num_cpus),
            "--object-store-memory", str(OBJECT_STORE_BYTES), "--temp-dir", temp_dir,
            "--include-dashboard", "false", "--include-log-monitor", "false", "--disable-usage-stats"]


def _kill_everything_below(grace: float) -> None:
    """SIGTERM every descendant of this process, SIGKILL whatever is left after `grace` seconds."""
    me = os.getpid()
    for p in descendants(me):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(p, signal.SIGTERM)
    end = time.monotonic() + grace
    while descendants(me) and time.monotonic() < end:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        time.sleep(0.1)
    for p in descendants(me):
        kill_tree(p)
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass


def keeper_main(argv: list[str]) -> int:
    """The keeper: `python -m webagent.tasks.ray_local NUM_CPUS TEMP_DIR PORT`. Prints READY once the head is up,
    then waits for stdin to close (the driver stops it or dies) and takes Ray down with it."""
    num_cpus, temp_dir, port = int(argv[0]), argv[1], int(argv[2])
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        print("cannot become a child subreaper (prctl)", file=sys.stderr)
        return 2
    done = threading.Event()

    def stop(*_a: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    parent = os.getppid()  # the driver: when it is gone (any signal), Ray goes

    def watch_parent() -> None:
        while os.getppid() == parent and not done.is_set():
            time.sleep(0.2)
        done.set()

    threading.Thread(target=watch_parent, daemon=True).start()
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("WEBAGENT_PARENT_PID", None)
    log = Path(temp_dir) / "ray-start.log"  # a file, not a pipe: Ray's daemons inherit it and never close it
    try:
        with open(log, "w") as out:
            starter = subprocess.Popen(head_command(num_cpus, temp_dir, port), env=env, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT)
        end = time.monotonic() + START_TIMEOUT
        while starter.poll() is None and not done.is_set():
            if time.monotonic() > end:
                print(f"ray start did not finish within {START_TIMEOUT:.0f} s", file=sys.stderr)
                return 2
            time.sleep(0.1)
        if done.is_set():
            return 0
        if starter.returncode != 0:
            tail = [x for x in log.read_text(errors="replace").splitlines() if x.strip()]
            print(f"ray start failed: {tail[-1] if tail else f'exit status {starter.returncode}'}", file=sys.stderr)
            return 2
        print(READY, flush=True)
        while not done.wait(0.5):
            pass
        return 0
    finally:
        _kill_everything_below(grace=3.0)
        shutil.rmtree(temp_dir, ignore_errors=True)


class LocalRay:
    """A private Ray head on this machine for one run: `start()` returns its address; `stop()` takes it down."""

    def __init__(self, num_cpus: int) -> None:
        self.num_cpus = num_cpus
        # a token of this run's own, so nobody else on the machine can join; ~/.ray/auth_token is left alone
        self.auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
        self.proc: subprocess.Popen | None = None
        self.temp_dir = ""

    def start(self) -> str:
        # short: Ray puts Unix sockets under it, and their paths are limited to 107 bytes
        self.temp_dir = tempfile.mkdtemp(prefix="wa-ray-", dir="/tmp" if Path("/tmp").is_dir() else None)
        port = free_port()
        self.proc = subprocess.Popen([sys.executable, "-m", "webagent.tasks.ray_local", str(self.num_cpus),
                                      self.temp_dir, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env={**child_env(), **self.auth})
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
        reader.start()
        reader.join(START_TIMEOUT + 30)
        line = box[0].strip() if box else ""
        if line != READY:
            err = ""
            if self.proc.poll() is not None and self.proc.stderr is not None:
                err = self.proc.stderr.read().strip()
            self.stop()
            raise SetupError(f"cannot start a local Ray instance: {err.splitlines()[-1] if err else 'no answer'}")
        return f"127.0.0.1:{port}"

    def stop(self) -> None:
        """Ask the keeper to take Ray down and wait for it (it kills what is left after a few seconds)."""
        p = self.proc
        if p is None:
            return
        self.proc = None
        with contextlib.suppress(OSError, ValueError):
            if p.stdin is not None:
                p.stdin.close()
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            kill_tree(p.pid)
            p.wait(5)
        for f in (p.stdout, p.stderr):
            with contextlib.suppress(OSError, ValueError):
                if f is not None:
                    f.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(keeper_main(sys.argv[1:]))
