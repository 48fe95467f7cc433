"""A bench run directory on disk: created only when empty, results only ever appended, resumable.

    config.json      the configuration and the task list of the run (what `--resume` re-runs with)
    results.jsonl    one line per finished task, appended and fsynced as each finishes; never rewritten
    summary.json     the summary of every result so far (rewritten at the end of each session)
    <task_id>/       the task's trajectory; an unfinished one is moved to .interrupted/ before the task re-runs
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from webagent.errors import BadInput

CONFIG = "config.json"
RESULTS = "results.jsonl"
SUMMARY = "summary.json"
INTERRUPTED = ".interrupted"


def safe_name(s: str) -> str:
    """A task id as a folder name."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(s))


def create(run_dir: Path, record: dict[str, Any]) -> None:
    """Start a new run in `run_dir` (which must be missing or empty) and write its config.json."""
    if run_dir.exists() and (not run_dir.is_dir() or any(run_dir.iterdir())):
        raise BadInput(f"{run_dir} is not empty; resume it with `webagent bench --resume {run_dir}` "
                       "or give another --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_config(run_dir, record)
    (run_dir / RESULTS).touch()


def write_config(run_dir: Path, record: dict[str, Any]) -> None:
    tmp = run_dir / f".{CONFIG}.tmp"
    tmp.write_text(json.dumps(record, indent=1, ensure_ascii=False))
    os.replace(tmp, run_dir / CONFIG)


def read_config(run_dir: Path) -> dict[str, Any]:
    path = run_dir / CONFIG
    if not run_dir.is_dir():
        raise BadInput(f"--resume {run_dir}: no such directory")
    if not path.exists():
        raise BadInput(f"--resume {run_dir}: not a bench run directory (no {CONFIG})")
    try:
        rec = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}: not valid JSON ({e.msg}, line {e.lineno})") from None
    if not isinstance(rec, dict) or not isinstance(rec.get("tasks"), list):
        raise BadInput(f"{path}: not a bench configuration (no task list)")
    return rec


def read_results(run_dir: Path, warn: bool = True) -> list[dict[str, Any]]:
    """Every complete result line; a line cut by a killed driver (only ever the last) is skipped."""
    path = run_dir / RESULTS
    if not path.exists():
        return []
    out = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            if warn:
                print(f"warning: {path}:{i}: an incomplete result line (cut by a crash) is ignored", file=sys.stderr)
            continue
        if isinstance(r, dict) and "task_id" in r:
            out.append(r)
    return out


def append_result(run_dir: Path, result: dict[str, Any]) -> None:
    """Append one result line, flushed and fsynced. If the file ends in a cut line, start on a new line."""
    path = run_dir / RESULTS
    with open(path, "ab+") as f:
        f.seek(0, os.SEEK_END)
        if f.tell():
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":
                f.write(b"\n")
        f.write((json.dumps(result, ensure_ascii=False) + "\n").encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def pending(run_dir: Path, task_ids: list[str]) -> list[str]:
    """The task ids of the run that have no result yet, in the run's order."""
    done = {str(r["task_id"]) for r in read_results(run_dir, warn=False)}
    return [t for t in task_ids if str(t) not in done]


def set_aside(run_dir: Path, task_id: str) -> Path | None:
    """Move an unfinished task's folder to .interrupted/<task>.<n> so its re-run starts a clean trajectory
    (nothing is deleted). Returns the new place, or None if there was nothing."""
    src = run_dir / safe_name(task_id)
    if not src.exists():
        return None
    dest_dir = run_dir / INTERRUPTED
    dest_dir.mkdir(exist_ok=True)
    n = 1
    while (dest_dir / f"{src.name}.{n}").exists():
        n += 1
    dest = dest_dir / f"{src.name}.{n}"
    os.replace(src, dest)
    return dest
