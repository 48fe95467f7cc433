"""Benchmarks that survive their tasks and their driver (issue 14): a per-task deadline enforced from outside the
worker, a worker killed mid-task costing only a retry, no process left behind when the driver is SIGKILLed, resume
after that kill without duplicate results, and a run directory that is never overwritten. All through the real
`webagent bench` command, real sites and real Chromium."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from webagent.tasks.procs import descendants
from webagent.tasks.rundir import append_result, pending, read_results

from tests.bench_helpers import REPO, WIKI, SilentServer, alive, bench, env, hang_suite, wait_for


@pytest.mark.timeout(900)
def test_hanging_task_times_out_and_a_killed_worker_is_retried(tmp_path):
    """A task whose page never loads is killed at its deadline and recorded as `error` with the reason; the worker
    running it is SIGKILLed once mid-task, which costs a retry, not the run; the next task still passes."""
    silent = SilentServer()
    suite = hang_suite(tmp_path, silent.port)
    out = tmp_path / "run"
    p = bench("--suite", str(suite), "--bundled-sites", "--gold", "--task-timeout", "30", "--out", str(out))
    try:
        wait_for(lambda: silent.conns or p.poll() is not None, 300, "the hanging task to start")
        assert p.poll() is None, p.communicate()
        workers = [w for w in descendants(p.pid) if b"spawn_main" in Path(f"/proc/{w}/cmdline").read_bytes()]
        assert len(workers) == 1, workers
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = p.communicate(timeout=400)
    finally:
        p.kill()
        silent.close()
    assert p.returncode == 0, stderr
    results = {r["task_id"]: r for r in read_results(out)}
    assert set(results) == {"hang_1", "wiki_001"}
    h = results["hang_1"]
    assert h["status"] == "error" and h["score"] is None and "timed out" in h["error"], h
    assert 29 <= h["seconds"] < 120, h
    assert "hang_1: its worker process died (killed by SIGKILL); retrying it" in stdout, stdout
    assert results["wiki_001"]["score"] == 1.0
    assert "ERROR" in stdout and "errors" in stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["errors"] == 1 and summary["overall"]["passed"] == 1
    assert summary["overall"]["success_rate"] == 1.0 and "hang_1" in summary["errors"]


@pytest.mark.timeout(900)
def test_sigkill_leaves_no_orphans_and_resume_finishes_without_duplicates(tmp_path):
    out = tmp_path / "run"
    ids = [t["task_id"] for t in WIKI[:5]]
    p = bench("--suite", "local", "--task", *ids, "--gold", "--workers", "2", "--out", str(out))
    try:
        wait_for(lambda: read_results(out, warn=False) or p.poll() is not None, 240, "a first result")
        assert p.poll() is None, p.communicate()
        family = descendants(p.pid)
        assert len(family) >= 6, family  # two workers, each with a browser and a site server
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
    finally:
        p.kill()
    time.sleep(10)
    assert alive(family) == [], "processes outlived the SIGKILLed driver"
    before = read_results(out, warn=False)
    assert 1 <= len(before) < len(ids)

    again = subprocess.run([sys.executable, "-m", "webagent", "bench", "--suite", "local", "--task", *ids,
                            "--gold", "--out", str(out)], capture_output=True, text=True, cwd=REPO, env=env())
    assert again.returncode == 2 and len(again.stderr.strip().splitlines()) == 1, again.stderr
    assert "is not empty" in again.stderr and "--resume" in again.stderr
    changed = subprocess.run([sys.executable, "-m", "webagent", "bench", "--resume", str(out), "--max-steps", "3"],
                             capture_output=True, text=True, cwd=REPO, env=env())
    assert changed.returncode == 2 and "max_steps" in changed.stderr and "--force" in changed.stderr

    r = subprocess.run([sys.executable, "-m", "webagent", "bench", "--resume", str(out)],
                       capture_output=True, text=True, cwd=REPO, env=env(), timeout=400)
    assert r.returncode == 0, r.stderr
    assert f"{len(before)} of {len(ids)} task(s) already have a result" in r.stdout
    after = read_results(out)
    assert sorted(x["task_id"] for x in after) == sorted(ids)  # each exactly once
    assert after[:len(before)] == before  # appended, never rewritten
    assert all(x["score"] == 1.0 for x in after)
    for x in after:  # one header per trajectory: interrupted attempts were moved aside, not appended to
        lines = Path(x["trajectory"]).read_text().splitlines()
        assert sum(json.loads(line)["type"] == "header" for line in lines) == 1
    assert json.loads((out / "summary.json").read_text())["overall"]["passed"] == len(ids)


def test_results_are_appended_after_a_cut_line(tmp_path):
    (tmp_path / "results.jsonl").write_text('{"task_id": "a", "score": 1}\n{"task_id": "b", "sco')
    append_result(tmp_path, {"task_id": "c", "score": 0})
    assert [r["task_id"] for r in read_results(tmp_path, warn=False)] == ["a", "c"]
    assert pending(tmp_path, ["a", "b", "c", "d"]) == ["b", "d"]
