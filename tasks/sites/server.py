"""Start, reset and stop the local sites as subprocesses on loopback ports.

Each site is seeded once into a cache file (~/.cache/webagent/sites/<name>-<version>.sqlite; the version hashes
the site's code, so a code change rebuilds it). Every `SiteServer` copies that seed into its own per-run working
DB, runs `python -m webagent.tasks.sites.serve` on it, and `reset()` copies the seed back over the working DB with
sqlite3's online backup API, which is safe while the server is running (the apps open one connection per request).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import fcntl
import hashlib
import inspect
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import ModuleType

from webagent.tasks.procs import child_env
from webagent.tasks.sites import registry

from webagent.errors import SetupError

SITES_DIR = Path(__file__).resolve().parent
REPO_ROOT = SITES_DIR.parent.parent
START_TIMEOUT = 60.0  # generous: a loaded 2-core machine can take tens of seconds to import Flask


def cache_dir() -> Path:
    base = os.environ.get("WEBAGENT_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "webagent")
    return Path(base) / "sites"


def site_version(name: str, mod: ModuleType | None = None) -> str:
    """A short hash of everything that determines a site's seed: its package, the package its seed() comes from,
    the shared helpers (tasks/sites/common, tasks/sites/_*.py) and an optional SCHEMA_VERSION."""
    mod = mod or registry.load(name)
    dirs = {Path(mod.__file__).resolve().parent}
    seed_mod = inspect.getmodule(mod.seed)
    if seed_mod is not None and getattr(seed_mod, "__file__", None):
        d = Path(seed_mod.__file__).resolve().parent
        dirs.add(d if d != SITES_DIR else Path(seed_mod.__file__).resolve())
    files: set[Path] = set(SITES_DIR.glob("_*.py")) | set((SITES_DIR / "common").glob("*.py"))
    for d in dirs:
        files |= {d} if d.is_file() else {p for p in d.rglob("*") if p.suffix in (".py", ".sql", ".json", ".txt")}
    h = hashlib.sha256(f"{name}:{getattr(mod, 'SCHEMA_VERSION', '')}".encode())
    for f in sorted(files):
        if "__pycache__" in f.parts:
            continue
        h.update(str(f.relative_to(REPO_ROOT) if f.is_relative_to(REPO_ROOT) else f.name).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def ensure_seed(name: str) -> Path:
    """The cached seed DB of a site, building it (once, under a file lock) if the site's code changed."""
    mod = registry.load(name)
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{name}-{site_version(name, mod)}.sqlite"
    if path.exists():
        return path
    with open(d / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.exists():
            return path
        tmp = d / f".{path.name}.{os.getpid()}.tmp"
        try:
            mod.seed(str(tmp))
            os.replace(tmp, path)
        except Exception as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise SetupError(f"site {name!r}: seeding failed: {type(e).__name__}: {e}") from e
        for old in d.glob(f"{name}-*.sqlite"):  # previous versions of this site's seed
            if old != path and old.name[len(name) + 1:-7].isalnum():
                with contextlib.suppress(OSError):
                    old.unlink()
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as werkzeug does
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def copy_db(src: Path | str, dst: Path | str) -> None:
    """Overwrite dst's content with src's using the online backup API (safe while others use dst)."""
    s = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    d = sqlite3.connect(str(dst), timeout=30)
    try:
        s.backup(d)
    finally:
        d.close()
        s.close()


class SiteServer:
    """One site in its own subprocess on 127.0.0.1: `.start()`, `.url`, `.reset()`, `.stop()`; also a context manager."""

    def __init__(self, name: str, port: int | None = None, *, start_timeout: float = START_TIMEOUT,
                 shared_db: Path | str | None = None):
        self.name = name
        self.shared_db = Path(shared_db) if shared_db else None  # serve another server's working DB (no copy)
        self.module = registry.load(name)  # SetupError for an unknown / unimportable site
        self.requested_port = port
        self.port: int | None = None
        self.start_timeout = start_timeout
        self.seed_path: Path | None = None
        self.db_path: Path | None = None
        self.proc: subprocess.Popen | None = None
        self._tmp: str | None = None
        self._stderr = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise SetupError(f"site {self.name!r} is not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def accounts(self) -> dict[str, str]:
        return dict(getattr(self.module, "ACCOUNTS", {}))

    def start(self) -> SiteServer:
        if self.proc is not None:
            return self
        if self.requested_port is not None and not port_is_free(self.requested_port):
            raise SetupError(f"port {self.requested_port} is already in use; cannot start site {self.name!r} there "
                             f"(choose another port or stop whatever listens on it)")
        self._tmp = tempfile.mkdtemp(prefix=f"webagent-site-{self.name}-")
        # a private copy of the seed: another process may rebuild the cache (and delete this version) meanwhile
        self.seed_path = Path(self._tmp) / "seed.sqlite"
        shutil.copyfile(ensure_seed(self.name), self.seed_path)
        if self.shared_db is not None:
            self.db_path = self.shared_db
        else:
            self.db_path = Path(self._tmp) / f"{self.name}.sqlite"
            shutil.copyfile(self.seed_path, self.db_path)
        self.port = self.requested_port or free_port()
        self._stderr = open(Path(self._tmp) / "stderr.log", "w+b")  # noqa: SIM115 (closed in stop())
        env = child_env()  # the server dies with this process (serve.py watches its parent)
        env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env["PYTHONUNBUFFERED"] = "1"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "webagent.tasks.sites.serve", "--site", self.name, "--port", str(self.port),
             "--db", str(self.db_path), "--quiet"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._stderr, env=env, cwd=str(REPO_ROOT))
        atexit.register(self.stop)  # never leave a server behind if the caller forgets stop()
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _stderr_tail(self, n: int = 12) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return " | ".join(lines[-n:])

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            rc = self.proc.poll()
            if rc is not None:
                raise SetupError(f"site {self.name!r} exited with status {rc} before answering on {self.url}: "
                                 f"{self._stderr_tail() or '(no stderr)'}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered HTTP, even if with an error status
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise SetupError(f"site {self.name!r} did not answer on {self.url} within {self.start_timeout:.0f}s: "
                                 f"{self._stderr_tail() or '(no stderr)'}")
            time.sleep(0.05)

    def reset(self) -> float:
        """Restore the working DB to the seed state; returns the seconds it took."""
        if self.db_path is None or self.seed_path is None:
            raise SetupError(f"site {self.name!r} is not started; nothing to reset")
        t0 = time.perf_counter()
        try:
            copy_db(self.seed_path, self.db_path)
        except sqlite3.Error as e:
            raise SetupError(f"site {self.name!r}: reset failed: {e}") from e
        return time.perf_counter() - t0

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=5)
            self.proc = None
            atexit.unregister(self.stop)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self.port = None
        self.db_path = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def __aenter__(self) -> SiteServer:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        return f"SiteServer({self.name!r}, url={self.url if self.port else None!r})"


class SiteGroup:
    """Several sites started in parallel: `urls`, `reset(names=None)`, `stop()`; a sync and async context manager.

    `port` (optional) is the first port: sites get port, port+1, ... in the order given.
    When both `shop` and `shop_admin` are in the group, the admin serves the shop's working DB (their seeds are the
    same data), so an order placed in the shop shows up in the admin, as in WebArena."""

    SHARED = {"shop_admin": "shop"}  # site -> the site whose working DB it serves when both are in a group

    def __init__(self, names: list[str] | tuple[str, ...], port: int | None = None):
        if not names:
            raise SetupError("no sites to start")
        if len(set(names)) != len(names):
            raise SetupError(f"a site is listed twice: {', '.join(names)}")
        self.servers: dict[str, SiteServer] = {
            n: SiteServer(n, None if port is None else port + i) for i, n in enumerate(names)}

    @property
    def urls(self) -> dict[str, str]:
        return {n: s.url for n, s in self.servers.items()}

    def __getitem__(self, name: str) -> SiteServer:
        return self.servers[name]

    def start(self) -> SiteGroup:
        errors: list[BaseException] = []
        owners = {o for n, o in self.SHARED.items() if n in self.servers and o in self.servers}
        for o in owners:  # start DB owners first so the sharers can point at their working DB
            try:
                self.servers[o].start()
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
        if errors:
            self.stop()
            raise errors[0]
        for n, o in self.SHARED.items():
            if n in self.servers and o in self.servers:
                self.servers[n].shared_db = self.servers[o].db_path
        with ThreadPoolExecutor(max_workers=len(self.servers)) as pool:
            futures = {n: pool.submit(s.start) for n, s in self.servers.items() if n not in owners}
            for _n, f in futures.items():
                try:
                    f.result()
                except BaseException as e:  # noqa: BLE001 (collect, then stop the others)
                    errors.append(e)
        if errors:
            self.stop()
            raise errors[0]
        return self

    def reset(self, names: list[str] | None = None) -> dict[str, float]:
        names = list(self.servers) if names is None else names
        unknown = [n for n in names if n not in self.servers]
        if unknown:
            raise SetupError(f"site(s) {', '.join(unknown)} not in this group ({', '.join(self.servers)})")
        out: dict[str, float] = {}
        done: set[Path | None] = set()
        for n in names:  # a DB shared by two sites is reset once
            s = self.servers[n]
            out[n] = 0.0 if (s.db_path in done and s.db_path is not None) else s.reset()
            done.add(s.db_path)
        return out

    def stop(self) -> None:
        for s in self.servers.values():
            s.stop()

    def __enter__(self) -> SiteGroup:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    async def __aenter__(self) -> SiteGroup:
        return await asyncio.to_thread(self.start)

    async def __aexit__(self, *exc) -> None:
        await asyncio.to_thread(self.stop)


def sites_up(names: list[str] | None = None, port: int | None = None) -> None:
    """Start the given sites (default: every available one), print `name  url` lines, block until Ctrl-C."""
    names = list(names) if names else registry.available()
    if not names:
        raise SetupError("no local sites are available")
    group = SiteGroup(names, port=port)
    group.start()
    try:
        width = max(len(n) for n in names)
        for n, url in group.urls.items():
            accounts = ", ".join(f"{u} / {p}" for u, p in group[n].accounts.items())
            print(f"{n:<{width}}  {url}" + (f"    (login: {accounts})" if accounts else ""), flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while True:
            for n, s in group.servers.items():
                if s.proc is not None and s.proc.poll() is not None:
                    raise SetupError(f"site {n!r} exited unexpectedly: {s._stderr_tail() or '(no stderr)'}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        group.stop()
