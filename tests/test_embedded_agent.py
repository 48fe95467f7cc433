"""The shipped default for real: the embedded Gemma 3 270M drives the agent, constrained by the action grammar."""

from __future__ import annotations

import json

import pytest

from webagent.actions import parse_action
from webagent.agent import Agent, AgentConfig

pytest.importorskip("llama_cpp", reason="the embedded model needs webagent[local]; scripts/setup.sh installs it")


@pytest.mark.slow
async def test_embedded_model_runs_steps_that_all_parse(session, site, tmp_path):
    from webagent.llm.embedded import EmbeddedLlama

    agent = Agent(EmbeddedLlama(), config=AgentConfig(max_steps=3, loop_limit=5))
    result = await agent.run("Open the order form and type the name Alice", site.url + "/form.html", session,
                             tmp_path / "run")
    records = [json.loads(x) for x in (tmp_path / "run" / "trajectory.jsonl").read_text().splitlines()]
    steps = [r for r in records if r["type"] == "step"]
    assert result.status in ("answered", "max_steps", "loop"), result.reason
    assert len(steps) >= 2 or result.status == "answered"
    for s in steps:
        assert s["action"] is not None, f"step {s['step']} had no valid action: {s['result']}"
        parse_action(s["action"])
        for call in s["llm_calls"]:
            assert call["constrained"] == "grammar" and call["usage"]["completion_tokens"] > 0
        if s["action_dict"].get("id") is not None:
            assert f"[{s['action_dict']['id']}]" in s["observation"], "the grammar admits only ids on the page"
