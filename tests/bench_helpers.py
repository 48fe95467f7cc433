"""Helpers of the bench tests: the `webagent bench` command as a subprocess, a server that never answers (a task
that hangs), and process-table checks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIKI = json.loads((REPO / "tasks/suite/wiki.json").read_text())


def env() -> dict[str, str]:
    e = dict(os.environ)
    for k in ("SHOPPING", "SHOPPING_ADMIN", "REDDIT", "GITLAB", "WIKIPEDIA"):
        e.pop(k, None)
    return e


def bench(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "webagent", "bench", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO, env=env())


class SilentServer:
    """Accepts TCP connections and never answers: a page load that hangs. Counts the connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def alive(pids: list[int]) -> list[str]:
    out = []
    for p in pids:
        try:
            state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
            comm = Path(f"/proc/{p}/comm").read_text().strip()
        except OSError:
            continue
        if state != "Z":
            out.append(f"{p} {comm}")
    return out


def wait_for(cond, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.2)


def hang_suite(tmp_path: Path, port: int) -> Path:
    """A suite file: a task whose start page (on the SilentServer at `port`) never loads, then wiki_001."""
    hang = {"task_id": "hang_1", "sites": ["wikipedia"], "start_url": f"http://127.0.0.1:{port}/",
            "intent": "Wait for a page that never comes", "require_login": False,
            "eval": {"eval_types": ["string_match"], "reference_answers": {"must_include": ["x"]}},
            "gold": [{"verb": "stop", "text": "x"}]}
    suite = tmp_path / "suite.json"
    suite.write_text(json.dumps([hang, WIKI[0]]))
    return suite


def procs_matching(needle: bytes) -> list[int]:
    """Pids whose command line contains `needle`."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if needle in Path(f"/proc/{name}/cmdline").read_bytes():
                    out.append(int(name))
            except OSError:
                pass
    return out
