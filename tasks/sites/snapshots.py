"""Server snapshots for the bundled sites (webagent.server_state.ServerSnapshots): every working database of a
SiteGroup copied into memory with SQLite's online backup API, and copied back on restore.

Consistency: the backup reads the database in one read transaction (a request that is writing, inside its
`BEGIN IMMEDIATE`, is either wholly in the copy or not at all), and the restore writes it back in one write
transaction, so a request sees the database before or after a restore, never half of it; the apps keep no data in
memory (one connection per request). Copies are skipped when nothing was written: in rollback-journal mode (the
sites' mode) SQLite bumps the file header's change counter on every commit that changes the file, so an unchanged
counter means an unchanged database. In WAL mode the counter is not kept, and every snapshot and restore copies.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webagent.errors import SetupError


def header_counter(path: Path) -> bytes | None:
    """The change counter of a rollback-journal database (header bytes 24-27); None in WAL mode or if unreadable."""
    try:
        with open(path, "rb") as f:
            head = f.read(100)
    except OSError:
        return None
    if len(head) < 100 or head[18] == 2:  # file format write version 2: WAL
        return None
    return head[24:28]


@dataclass
class _Copy:
    """One in-memory copy of one database, shared by every token taken while the database did not change."""

    mem: sqlite3.Connection
    users: int = 0


@dataclass
class _Live:
    """What we know about a working database: it holds `copy`'s content as long as its counter reads `counter`."""

    copy: _Copy | None = None
    counter: bytes | None = None


@dataclass
class SnapshotStats:
    snapshots: int = 0
    copies: int = 0  # snapshots that had to copy (the database had changed)
    restores: int = 0
    writes: int = 0  # restores that had to write (the database had changed)
    ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"snapshots": self.snapshots, "copies": self.copies, "restores": self.restores,
                "writes": self.writes, "ms": round(self.ms, 1)}


@dataclass
class SiteSnapshots:
    """Snapshots of the working databases `dbs` (path -> the origins that serve it: a database shared by the shop
    and its admin is copied once)."""

    dbs: dict[Path, list[str]]
    stats: SnapshotStats = field(default_factory=SnapshotStats)

    def __post_init__(self) -> None:
        self._tokens: dict[str, dict[Path, _Copy]] = {}
        self._live: dict[Path, _Live] = {p: _Live() for p in self.dbs}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()  # one operation at a time, even when a cancelled caller left a thread running

    @classmethod
    def of_group(cls, group: Any, names: list[str] | None = None) -> SiteSnapshots:
        """The databases of a started SiteGroup's sites (all, or `names`)."""
        dbs: dict[Path, list[str]] = {}
        for name, srv in group.servers.items():
            if names is not None and name not in names:
                continue
            if srv.db_path is None or srv.port is None:
                raise SetupError(f"site {name!r} is not started; its database cannot be snapshotted")
            dbs.setdefault(Path(srv.db_path), []).append(srv.url)
        return cls(dbs)

    @property
    def origins(self) -> list[str]:
        return [o for urls in self.dbs.values() for o in urls]

    # -- the seam --------------------------------------------------------------------------------------------
    async def snapshot(self) -> str:
        return await asyncio.to_thread(self.snapshot_sync)

    async def restore(self, token: str) -> None:
        await asyncio.to_thread(self.restore_sync, token)

    async def discard(self, token: str) -> None:
        await asyncio.to_thread(self.discard_sync, token)

    # -- the work (in a thread) --------------------------------------------------------------------------
    def snapshot_sync(self) -> str:
        with self._lock:
            t0 = time.perf_counter()
            token = f"s{next(self._ids)}"
            held: dict[Path, _Copy] = {}
            for path, live in self._live.items():
                counter = header_counter(path)  # read before the copy: a write after it makes the next one copy
                if live.copy is None or counter is None or counter != live.counter:
                    mem = sqlite3.connect(":memory:", check_same_thread=False)
                    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
                    try:
                        src.backup(mem)
                    except sqlite3.Error as e:
                        mem.close()
                        raise SetupError(f"snapshot of {path.name} failed: {e}") from e
                    finally:
                        src.close()
                    self._drop_if_unused(live.copy)
                    live.copy, live.counter = _Copy(mem), counter
                    self.stats.copies += 1
                live.copy.users += 1
                held[path] = live.copy
            self._tokens[token] = held
            self.stats.snapshots += 1
            self.stats.ms += (time.perf_counter() - t0) * 1000
            return token

    def restore_sync(self, token: str) -> None:
        with self._lock:
            t0 = time.perf_counter()
            held = self._tokens.get(token)
            if held is None:
                raise SetupError(f"unknown or discarded server snapshot {token!r}")
            for path, copy in held.items():
                live = self._live[path]
                counter = header_counter(path)
                if live.copy is copy and counter is not None and counter == live.counter:
                    continue  # nothing was written since it held this copy
                dst = sqlite3.connect(str(path), timeout=30)
                try:
                    dst.execute("PRAGMA synchronous=OFF")  # a scratch database: no fsync on the hot path
                    copy.mem.backup(dst)
                except sqlite3.Error as e:
                    live.copy = None
                    raise SetupError(f"restore of {path.name} failed: {e}") from e
                finally:
                    dst.close()
                if live.copy is not copy:
                    self._drop_if_unused(live.copy)
                live.copy, live.counter = copy, header_counter(path)
                self.stats.writes += 1
            self.stats.restores += 1
            self.stats.ms += (time.perf_counter() - t0) * 1000

    def discard_sync(self, token: str) -> None:
        with self._lock:
            for path, copy in self._tokens.pop(token, {}).items():
                copy.users -= 1
                if copy.users <= 0 and self._live[path].copy is not copy:
                    copy.mem.close()

    @staticmethod
    def _drop_if_unused(copy: _Copy | None) -> None:
        if copy is not None and copy.users <= 0:
            copy.mem.close()

    def close(self) -> None:
        """Free every copy (tokens still held become unknown)."""
        with self._lock:
            for held in self._tokens.values():
                for copy in held.values():
                    copy.mem.close()
            for live in self._live.values():
                if live.copy is not None:
                    live.copy.mem.close()
                live.copy = None
            self._tokens.clear()
