"""The run directory: `trajectory.jsonl` appended and flushed every step, plus screenshots."""

from __future__ import annotations

import json
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from webagent.safety import Secrets

FORMAT_VERSION = 1


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": platform.python_version()}
    for pkg in ("webagent", "playwright", "openai", "llama-cpp-python"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def new_run_dir(base: str | Path = "runs", label: str = "run") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in label)[:40].strip("-") or "run"
    path = Path(base) / f"{stamp}-{safe}"
    n = 1
    while path.exists():
        n += 1
        path = Path(base) / f"{stamp}-{safe}-{n}"
    return path


class Recorder:
    """Writes one run. Every record is a JSON line, flushed and fsynced, with secrets redacted first."""

    def __init__(self, run_dir: str | Path, secrets: Secrets | None = None) -> None:
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "screenshots").mkdir(exist_ok=True)
        self.secrets = secrets or Secrets()
        self.path = self.dir / "trajectory.jsonl"
        self._f = self.path.open("a", encoding="utf-8")

    def _write(self, record: dict[str, Any]) -> None:
        line = json.dumps(self.secrets.redact(record), ensure_ascii=False, default=str)
        self._f.write(line + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def header(self, task: dict[str, Any], config: dict[str, Any]) -> None:
        self._write({"type": "header", "format": FORMAT_VERSION, "created": time.time(),
                     "task": task, "config": config, "versions": versions()})

    def screenshot(self, step: int, data: bytes | None, ext: str = "jpg") -> str | None:
        if not data:
            return None
        rel = f"screenshots/step_{step:03d}.{ext}"
        (self.dir / rel).write_bytes(data)
        return rel

    def step(self, record: dict[str, Any]) -> None:
        self._write({"type": "step", **record})

    def footer(self, record: dict[str, Any]) -> None:
        self._write({"type": "footer", **record})

    def close(self) -> None:
        if not self._f.closed:
            self._f.close()
