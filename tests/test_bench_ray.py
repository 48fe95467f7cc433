"""The Ray executor on a local Ray (issue 14), in one run because each Ray start costs seconds: the whole bundled
gold suite through `webagent bench --executor ray --workers 2`; a Ray actor SIGKILLed mid-task costs one retry;
the driver SIGKILLed mid-run takes its private Ray (GCS, raylet, agents, actors, browsers, sites) down with it;
`--resume` finishes the run on Ray with every task passed exactly once."""

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
from webagent.tasks.rundir import read_results
from webagent.tasks.spec import load_tasks

from tests.bench_helpers import REPO, alive, env, wait_for

pytest.importorskip("ray")


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@pytest.mark.timeout(1500)
def test_ray_gold_suite_survives_a_killed_actor_and_a_killed_driver(tmp_path):
    ids = [t.task_id for t in load_tasks("local")]
    out, log = tmp_path / "run", tmp_path / "driver.log"
    cmd = [sys.executable, "-m", "webagent", "bench", "--suite", "local", "--gold", "--executor", "ray",
           "--workers", "2", "--out", str(out)]
    with open(log, "w") as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, text=True, cwd=REPO, env=env())
    try:
        wait_for(lambda: read_results(out, warn=False) or p.poll() is not None, 600, "a first result")
        assert p.poll() is None, log.read_text()
        actors = [c for c in descendants(p.pid) if _cmdline(c).startswith(b"ray::BenchActor")]
        assert len(actors) == 2, [_cmdline(c)[:60] for c in descendants(p.pid)]
        os.kill(actors[0], signal.SIGKILL)
        wait_for(lambda: "retrying it on a fresh actor" in log.read_text() or p.poll() is not None, 300,
                 "the killed actor's task to be retried")
        n = len(read_results(out, warn=False))
        wait_for(lambda: len(read_results(out, warn=False)) >= n + 3 or p.poll() is not None, 300, "more results")
        assert p.poll() is None, log.read_text()
        family = descendants(p.pid)
        names = b" ".join(_cmdline(c).split(b"\0")[0].rsplit(b"/", 1)[-1] for c in family)
        assert b"gcs_server" in names and b"raylet" in names and b"ray::BenchActor" in names, names
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
    finally:
        p.kill()
    first = log.read_text()
    assert first.count("retrying it on a fresh actor") == 1, first
    time.sleep(10)
    assert alive(family) == [], "processes outlived the SIGKILLed driver"
    before = read_results(out, warn=False)
    assert 3 < len(before) < len(ids)

    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "webagent", "bench", "--resume", str(out)], capture_output=True,
                       text=True, cwd=REPO, env=env(), timeout=1200)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    print(f"resumed session: {len(ids) - len(before)} tasks on Ray x2 in {time.monotonic() - t0:.1f} s")
    after = read_results(out)
    assert sorted(x["task_id"] for x in after) == sorted(ids)  # each exactly once, the retried one included
    assert after[:len(before)] == before
    bad = {x["task_id"]: (x["score"], x.get("error")) for x in after if x["score"] != 1.0}
    assert not bad, bad
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["passed"] == len(ids) and summary["overall"]["errors"] == 0
