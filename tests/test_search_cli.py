"""Planner flags on the command line and in the API."""

from __future__ import annotations

import pytest
from webagent.search import make_planner
from webagent.search.best_first import BestFirstPlanner
from webagent.search.hybrid import HybridPlanner
from webagent.search.world_model import WorldModelPlanner

from webagent.cli import build_parser, main
from webagent.errors import BadInput


def planner_for(*flags):
    from webagent.search.flags import planner_from_args
    parser, _ = build_parser()
    return planner_from_args(parser.parse_args(["run", "--task", "t", "--url", "http://x", *flags]))


def test_planner_flags_reach_the_planners():
    p = planner_for("--planner", "best-first", "--branching", "4", "--depth", "2", "--budget", "7",
                    "--budget-tokens", "9000", "--budget-seconds", "30", "--value-samples", "5", "--commit", "path")
    assert isinstance(p, BestFirstPlanner) and (p.branching, p.depth, p.samples, p.vf.samples) == (4, 2, 8, 5)
    assert (p.budget.nodes, p.budget.tokens, p.budget.seconds, p.commit) == (7, 9000, 30.0, "path")
    w = planner_for("--planner", "world-model", "--sim-samples", "3", "--samples", "10")
    assert isinstance(w, WorldModelPlanner) and w.wm.sim_samples == 3 and w.samples == 10
    h = planner_for("--planner", "hybrid")
    assert isinstance(h, HybridPlanner) and h.prune_k == 2 and h.budget.nodes == 6
    assert planner_for().name == "reactive" and planner_for().samples == 1
    assert make_planner("best_first", samples=1).samples == 6  # one sample would leave nothing to search


def test_bad_planner_flags_are_one_line_errors(capsys):
    with pytest.raises(BadInput):
        planner_for("--planner", "best-first", "--budget", "-1")
    with pytest.raises(SystemExit):
        main(["run", "--task", "t", "--url", "http://x", "--planner", "mcts"])
    assert "invalid choice" in capsys.readouterr().err


def test_value_judge_can_send_the_screenshot():
    from webagent.observers import Observation
    from webagent.search.value import ValueFunction, parse_verdict
    obs = Observation("[1] link 'a'", {}, "http://x/", "t", screenshot=b"\xff\xd8jpegbytes")
    msgs = ValueFunction(images=True).messages("task", [], obs)
    parts = msgs[-1]["content"]
    assert parts[0]["type"] == "text" and parts[2]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert isinstance(ValueFunction().messages("task", [], obs)[-1]["content"], str)
    assert parse_verdict("Status: success") == 1.0 and parse_verdict("Status: failure\nOn the right track: yes") == 0.5
    assert parse_verdict("no idea") is None
