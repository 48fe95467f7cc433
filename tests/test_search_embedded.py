"""A planner with the embedded Gemma 3 270M for real (one step, two nodes, on a small page; the model is slow on 2
cores): the judge is asked under its JSON schema, and the step reports how many of its replies parsed, never a
silent guess."""

from __future__ import annotations

import json

import pytest
from webagent.search import Budget
from webagent.search.best_first import BestFirstPlanner

from webagent.agent import Agent, AgentConfig
from webagent.planner import parse_note

pytest.importorskip("llama_cpp", reason="the embedded model needs webagent[local]; scripts/setup.sh installs it")


@pytest.mark.slow
async def test_a_search_with_the_embedded_model_reports_parsed_and_unparsed_judge_replies(session, site, tmp_path):
    from webagent.llm.embedded import EmbeddedLlama

    notes = []
    planner = BestFirstPlanner(branching=2, samples=2, depth=1, budget=Budget(nodes=2), value_samples=2,
                               confirm=False)
    await Agent(EmbeddedLlama(), planner, AgentConfig(max_steps=1), on_step=lambda s: notes.append(s.note)).run(
        "Open the about page", site.url + "/index.html", session, tmp_path / "run")
    step = [json.loads(x) for x in (tmp_path / "run" / "trajectory.jsonl").read_text().splitlines()][1]
    tree = step["search_tree"]
    if "note" in tree:  # the only candidate was stop: nothing searched, nothing judged
        pytest.skip(f"no search ({tree['note']})")
    judged = [c for c in step["llm_calls"] if c["purpose"] == "value"]
    assert judged, [(n.get("action"), n["status"], n.get("error")) for n in tree["nodes"]]
    assert all(c["constrained"] == "json_schema" for c in judged)
    counts = tree["parse"]["judge"]
    assert counts["parsed"] + counts["unparsed"] == 2 * len(judged)  # every reply counted, parsed or not
    verdicts = [v for n in tree["nodes"] for v in n.get("verdicts", []) if "samples" in v]
    assert sum(len(v["samples"]) for v in verdicts) == counts["parsed"]
    assert sum(v["unparsed"] for v in verdicts) == counts["unparsed"]
    assert notes == [parse_note(tree)]
    print(f"embedded model: judge {counts}; printed note: {notes[0]}")
