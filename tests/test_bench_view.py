"""`webagent view` of a bench directory (issue 14): plots as inline SVG, a table sortable by every column through
pre-rendered pages (no scripts), answer next to what was expected, links from the index to each run and back."""

from __future__ import annotations

import json
import re

from webagent.plots import bars, histogram, lines
from webagent.recorder import Recorder
from webagent.records import Footer, Header
from webagent.view import render_path


def _trajectory(run_dir, task_id: str, answer: str) -> None:
    rec = Recorder(run_dir)
    rec.header(Header({"intent": f"do {task_id}", "start_url": "http://127.0.0.1/", "task_id": task_id,
                       "task": {"eval": {"eval_types": ["string_match"],
                                         "reference_answers": {"must_include": ["42"]}}}}))
    rec.footer(Footer("answered", answer))
    rec.close()


def test_bench_index_plots_sorting_and_links(tmp_path):
    bench = tmp_path / "bench"
    rows = [("t1", "shop", 1.0, 3, 0.002), ("t2", "shop", 0.0, 7, 0.010), ("t3", "wiki", 1.0, 2, 0.001),
            ("t4", "wiki", None, 0, 0.0)]
    lines_ = []
    for tid, site, score, steps, cost in rows:
        _trajectory(bench / tid, tid, "42" if score else "41")
        lines_.append(json.dumps({"task_id": tid, "site": site, "eval_types": ["string_match"], "score": score,
                                  "status": "error" if score is None else "answered", "steps": steps,
                                  "tokens": steps * 100, "cost_usd": cost, "seconds": steps / 2,
                                  "answer": "42" if score else "41", "error": "timed out" if score is None else "",
                                  "trajectory": str(bench / tid / "trajectory.jsonl")}))
    (bench / "results.jsonl").write_text("\n".join(lines_) + "\n")
    index = render_path(bench)
    page = index.read_text()
    assert "<script" not in page.lower()
    assert page.count("<svg") == 3 and "success by site" in page and "steps per task" in page
    assert "cost per task" in page and "2 scored tasks" not in page and "2/3 scored tasks succeeded" in page
    assert "1 errors" in page and "timed out" in page
    assert "must_include: 42" in page  # expected, next to the answer
    # every column header links to a copy sorted by it; the task pages link back to the index
    for col in ("site", "type", "score", "status", "steps", "tokens", "cost", "seconds"):
        assert f'href="index-by-{col}.html"' in page
        assert (bench / f"index-by-{col}.html").exists()
    by_cost = (bench / "index-by-cost.html").read_text()
    order = re.findall(r'href="(t\d)/view.html"', by_cost)
    assert order == ["t2", "t1", "t3", "t4"]
    assert re.findall(r'href="(t\d)/view.html"', page) == ["t1", "t2", "t3", "t4"]
    view = (bench / "t2" / "view.html").read_text()
    assert 'href="../index.html"' in view


def test_plots_are_plain_svg():
    svg = bars("b", [("a", 0.5), ("<x>", 1.0)], y_max=1.0, pct=True)
    assert svg.startswith("<svg") and "&lt;x&gt;" in svg and "50%" in svg
    h = histogram("h", [1, 1, 2, 5])
    assert h.count("<rect") == 5  # one bar per step count 1..5
    curve = lines("success vs compute", {"reactive": [(5, 0.2), (10, 0.3)], "best-first": [(5, 0.4), (10, 0.6)]},
                  x_label="budget")
    assert curve.count("<polyline") == 2 and "best-first" in curve and "60%" in curve
    assert bars("none", []) == "" and histogram("none", []) == ""
