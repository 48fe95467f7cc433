"""Typed trajectory records: what older or newer files hold reads back with defaults and keeps unknown keys, and the
result of `run_task_sync` carries its steps as those records, saved and loaded again."""

from __future__ import annotations

import json

import pytest

from tests.scripted import ScriptedChat, act
from webagent.agent import AgentConfig, RunResult, run_task_sync
from webagent.browser import BrowserConfig
from webagent.errors import BadInput
from webagent.records import Evaluation, Footer, Step, StepResult, StepTarget
from webagent.trajectory import load


def _write(d, records):
    d.mkdir(parents=True, exist_ok=True)
    (d / "trajectory.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return d


def test_missing_keys_get_defaults_and_unknown_keys_survive_a_round_trip(tmp_path):
    run = _write(tmp_path / "r", [
        {"type": "header", "format": 2, "task": {"intent": "t", "start_url": "http://127.0.0.1:1/"}, "config": {},
         "from_the_future": 1},
        {"type": "step", "step": 1, "url": "http://127.0.0.1:1/", "action": "click [3]",
         "target": {"role": "link", "name": "Next", "bbox": [1, 2, 3, 4], "nth": 2},
         "result": {"ok": False, "error": "gone", "download": "a.pdf"}, "llm_calls": [{"outputs": ["click [3]"],
                                                                                      "usage": {"prompt_tokens": 7}}],
         "new_field": {"x": 1}},
        {"type": "footer", "status": "answered", "answer": "a"},
        {"type": "evaluation", "evaluation": {"score": 1.0, "judge": "exact"}},
    ])
    traj = load(run)
    s = traj.steps[0]
    assert isinstance(s, Step) and isinstance(s.target, StepTarget) and isinstance(s.result, StepResult)
    assert (s.observation, s.title, s.screenshot, s.crops, s.tokens, s.search_tree) == ("", "", None, {}, 0, None)
    assert s.target.name == "Next" and s.target.bbox == [1, 2, 3, 4] and s.target.extra == {"nth": 2}
    assert not s.ok and s.result.error == "gone" and s.result.details == {"download": "a.pdf"}
    assert s.llm_calls[0].outputs == ["click [3]"] and s.llm_calls[0].usage.prompt_tokens == 7
    assert traj.usage().prompt_tokens == 7 and traj.llm_outputs() == [["click [3]"]]
    assert isinstance(traj.footer, Footer) and traj.footer.final_url == "" and traj.footer.usage.total_tokens == 0
    assert isinstance(traj.evaluation, Evaluation) and traj.score == 1.0 and traj.evaluation.extra == {"judge": "exact"}
    # what this version does not know is written back as it was read
    assert s.to_dict()["new_field"] == {"x": 1} and s.to_dict()["target"]["nth"] == 2
    assert s.to_dict()["result"]["download"] == "a.pdf" and traj.header.to_dict()["from_the_future"] == 1
    assert Step.from_dict(s.to_dict()) == s


def test_run_task_sync_result_carries_the_typed_steps_and_saves_and_loads(site, tmp_path):
    model = ScriptedChat([act("click [{id}]", "link", "Order form"), "```stop [done]```"])
    result = run_task_sync("Open the order form", site.url + "/index.html", model, run_dir=tmp_path / "run",
                           config=AgentConfig(max_steps=4), browser=BrowserConfig(allowed_domains=["127.0.0.1"]))
    assert result.status == "answered" and result.steps == 2 == len(result.history)
    first, last = result.history
    assert isinstance(first, Step) and first.action.startswith("click") and first.ok
    assert first.target is not None and (first.target.role, first.target.name) == ("link", "Order form")
    assert first.llm_calls and first.llm_calls[0].outputs and first.tokens > 0
    assert last.action == "stop [done]" and last.url.endswith("/form.html")
    assert result.history == load(result.run_dir).steps  # the records as the recorder wrote them
    saved = result.save(tmp_path / "result.json")
    again = RunResult.load(saved)
    assert again.history == result.history and (again.status, again.answer, again.steps) == ("answered", "done", 2)
    assert again.usage == result.usage and again.run_dir == result.run_dir
    from_dir = RunResult.load(result.run_dir)
    assert from_dir.history == result.history and from_dir.answer == "done" and from_dir.final_url == result.final_url
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(BadInput, match=r"bad.json: not a saved run result"):
        RunResult.load(tmp_path / "bad.json")
