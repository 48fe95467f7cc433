"""Planner sweeps (issue 14): `bench --planner A B --budget X Y` runs the grid into one directory with one row per
configuration. The run uses gold actions (a double that knows the answer and ignores the planner): it proves the
grid, the directory layout, the summary and the view, not any planner's quality."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from webagent.tasks.sweep import Point, grid

from tests.bench_helpers import REPO, env
from webagent.errors import BadInput


def test_grid_budgets_apply_only_to_planners_that_have_one():
    pts = grid(["reactive", "best-first"], [5, 10, 20], 3)
    assert [p.label for p in pts if p.planner == "reactive"] == ["reactive-s0", "reactive-s1", "reactive-s2"]
    assert len(pts) == 3 + 9 and Point("best-first", 20, 2) in pts
    assert [p.label for p in grid(["best-first"], [5], None)] == ["best-first-b5"]
    with pytest.raises(BadInput, match="none of the planners"):
        grid(["reactive"], [5, 10], None)
    with pytest.raises(BadInput, match="--seeds"):
        grid(["reactive"], None, 0)


@pytest.mark.timeout(600)
def test_two_planners_by_two_budgets_make_one_summary_with_four_rows(tmp_path):
    out = tmp_path / "sweep"
    r = subprocess.run([sys.executable, "-m", "webagent", "bench", "--suite", "local", "--gold", "--task", "wiki_001",
                        "--planner", "best-first", "hybrid", "--budget", "1", "2", "--out", str(out)],
                       capture_output=True, text=True, cwd=REPO, env=env(), timeout=580)
    assert r.returncode == 0, r.stderr[-2000:]
    labels = ["best-first-b1", "best-first-b2", "hybrid-b1", "hybrid-b2"]
    rows = json.loads((out / "summary.json").read_text())["sweep"]
    assert [x["label"] for x in rows] == labels
    assert [(x["planner"], x["budget"]) for x in rows] == [("best-first", 1), ("best-first", 2), ("hybrid", 1),
                                                           ("hybrid", 2)]
    assert all(x["tasks"] == 1 and x["passed"] == 1 and x["success_rate"] == 1.0 for x in rows)
    printed = r.stdout[r.stdout.rindex("\nconfiguration ") + 1:].splitlines()
    assert [line.split()[0] for line in printed[1:5]] == labels
    for x in rows:  # each configuration is an ordinary bench run with its own recorded planner and budget
        cfg = json.loads((out / x["label"] / "config.json").read_text())["config"]["run"]["planner"]
        assert cfg == {"name": x["planner"], "params": {"budget": x["budget"]}}
    v = subprocess.run([sys.executable, "-m", "webagent", "view", str(out)], capture_output=True, text=True,
                       cwd=REPO, env=env())
    assert v.returncode == 0, v.stderr
    page = (out / "index.html").read_text()
    assert "success vs compute" in page and page.count("<polyline") == 2 and "<script" not in page.lower()
    assert all(f'href="{label}/index.html"' in page for label in labels)
    assert (out / "hybrid-b2" / "index.html").exists()
