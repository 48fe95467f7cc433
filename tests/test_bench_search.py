"""A cheap smoke test of bench/search.py's parts (testkit/search_experiment.py; nothing imports bench/, so its command
line runs as a subprocess): the same episode twice gives the same numbers, the doubles' seeds ignore the site's
port, the fence token and element ids, the intervals are Wilson's, and the report reads back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.doubles_search import request_seed
from testkit.search_experiment import TASKS, Doubles, Point, curves_svg, run_point, table, wilson

BENCH = Path(__file__).resolve().parents[1] / "bench" / "search.py"


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


async def test_the_same_seeds_give_the_same_numbers_twice(session, shop):
    task = [t for t in TASKS if t.id == "price-deal"]  # two gold steps: the cheapest episode
    runs = []
    for _ in range(2):  # the world model's episode asks every double: policy, world model and judge
        p = await run_point(session, shop.url, Point("world-model", 2, 0.4), task, 1, Doubles(), 3)
        runs.append((p.oks, p.tokens, p.steps))
    assert runs[0] == runs[1] and runs[0][1][0] > 0


def test_the_doubles_seeds_ignore_port_fence_token_and_element_ids():
    a = "TASK: x\n<<<PAGE 0123456789abcdef\nURL: http://127.0.0.1:41234/p\n[12] link 'A'\n0123456789abcdef PAGE>>>"
    b = "TASK: x\n<<<PAGE fedcba9876543210\nURL: http://127.0.0.1:50001/p\n[7] link 'A'\nfedcba9876543210 PAGE>>>"
    assert request_seed(3, "policy", a, 0) == request_seed(3, "policy", b, 0)
    assert request_seed(3, "policy", a, 0) != request_seed(4, "policy", a, 0)  # the seed matters
    assert request_seed(3, "policy", a, 0) != request_seed(3, "policy", a, 1)  # so does a repeated request
    assert request_seed(3, "policy", a, 0) != request_seed(3, "policy", a.replace("'A'", "'B'"), 0)


def test_wilson_intervals_and_the_report(tmp_path):
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-3) and hi == pytest.approx(0.7634, abs=1e-3)
    lo, hi = wilson(10, 10)
    assert hi == 1.0 and lo == pytest.approx(0.7225, abs=1e-3)
    pts = [Point("reactive", 0, None, [True, False], [100, 120], [3, 5]),
           Point("world-model", 5, 0.4, [True, True], [900, 1100], [3, 3])]
    assert pts[1].row()["success"] == "2/2 = 100%" and pts[1].row()["tokens/episode"] == 1000
    assert table([p.row() for p in pts]).count("\n") == 3
    assert "<polyline" in curves_svg(pts, 0.4)
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"experiment": {"points": [p.to_dict() for p in pts], "seeds": 1, "tasks": ["t"],
                                            "doubles": {"p": 0.4, "sigma": 0.25, "judge_fp": 0.1}}}))
    run = subprocess.run([sys.executable, str(BENCH), "--merge", str(f), "--svg", str(tmp_path / "c{e}.svg")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "| world-model | 0.4 | 5 | 2/2 = 100% | 34%-100% | 1000 | 3.0 |" in run.stdout
    assert (tmp_path / "c0.4.svg").read_text().startswith("<svg")
