"""The agent loop end to end with a scripted model: a multi-page task, errors fed back, loop breaker, records."""

from __future__ import annotations

import json

from tests.scripted import ScriptedChat, act, closed_port
from webagent.agent import Agent, AgentConfig


def read_trajectory(run_dir):
    return [json.loads(line) for line in (run_dir / "trajectory.jsonl").read_text().splitlines()]


async def test_multi_page_task_completes(session, site, tmp_path):
    model = ScriptedChat([
        act("click [{id}]", "link", "Order form"),
        act("type [{id}] [Alice] [0]", "textbox", "Your name"),
        act("select [{id}] [Large]", "combobox", "Size"),
        act("click [{id}]", "button", "Place order"),
        "Looking at the page, the order is placed.\n```stop [Thanks, Alice]```",
    ])
    agent = Agent(model, config=AgentConfig(max_steps=8))
    result = await agent.run("Order a large item for Alice", site.url + "/index.html", session, tmp_path / "run")
    assert result.status == "answered" and result.answer == "Thanks, Alice", result.reason
    assert site.app.config["orders"][-1] == ("Alice", "Large")
    records = read_trajectory(tmp_path / "run")
    assert records[0]["type"] == "header" and records[0]["task"]["intent"].startswith("Order")
    steps = [r for r in records if r["type"] == "step"]
    assert [s["action"].split()[0] for s in steps] == ["click", "type", "select", "click", "stop"]
    assert steps[1]["target"]["role"] == "textbox" and steps[1]["target"]["name"] == "Your name"
    assert all(s["llm_calls"] and s["tokens"] > 0 for s in steps)
    assert all((tmp_path / "run" / s["screenshot"]).exists() for s in steps)
    assert records[-1]["type"] == "footer" and records[-1]["status"] == "answered"
    # the prompt marks page content as untrusted and the model was constrained to the ids on the page
    assert "<<<PAGE" in model.prompts[0] and "untrusted" in model.prompts[0]
    assert model.calls[0]["grammar"] and "root ::=" in model.calls[0]["grammar"]


async def test_errors_reach_the_agent_and_bad_replies_are_retried(session, site, tmp_path):
    model = ScriptedChat([
        "click [424242]",                       # unknown id: an error the agent sees next step
        "I am not sure what to do",             # not an action: re-asked once in the same step
        "scroll [down]",
        "stop [done]",
    ])
    result = await Agent(model).run("anything", site.url + "/index.html", session, tmp_path / "r")
    assert result.status == "answered"
    assert "there is no element [424242]" in model.prompts[1]
    assert "not a valid action" in model.prompts[2]
    steps = [r for r in read_trajectory(tmp_path / "r") if r["type"] == "step"]
    assert steps[0]["result"]["error_kind"] == "unknown_element"


async def test_loop_breaker_ends_a_stuck_run(session, site, tmp_path):
    model = ScriptedChat(["scroll [up]"] * 5)
    result = await Agent(model, config=AgentConfig(max_steps=10, loop_limit=3)).run(
        "stuck", site.url + "/about.html", session, tmp_path / "l")
    assert result.status == "loop" and "repeated 3 times" in result.reason
    assert result.steps == 3


async def test_max_steps_and_unreachable_start(session, site, tmp_path):
    result = await Agent(ScriptedChat(["scroll [down]", "scroll [up]"]), config=AgentConfig(max_steps=2)).run(
        "t", site.url + "/index.html", session, tmp_path / "m")
    assert result.status == "max_steps" and result.steps == 2
    bad = await Agent(ScriptedChat([])).run("t", f"http://127.0.0.1:{closed_port()}/", session, tmp_path / "u")
    assert bad.status == "navigation_error" and "connection refused" in bad.reason
    footer = read_trajectory(tmp_path / "u")[-1]
    assert footer["type"] == "footer" and footer["status"] == "navigation_error"


async def test_secrets_reach_the_page_but_not_the_trajectory(session, site, tmp_path):
    from webagent.safety import Secrets
    model = ScriptedChat([
        act("click [{id}]", "link", "Order form"),
        act("type [{id}] [{{{{NAME}}}}] [0]", "textbox", "Your name"),
        act("click [{id}]", "button", "Place order"),
        "stop [ok]",
    ])
    result = await Agent(model, secrets=Secrets({"NAME": "Zyxwvu-Secret"})).run(
        "order", site.url + "/index.html", session, tmp_path / "s")
    assert result.status == "answered"
    assert site.app.config["orders"][-1][0] == "Zyxwvu-Secret"
    text = (tmp_path / "s" / "trajectory.jsonl").read_text()
    assert "Zyxwvu-Secret" not in text and "{{NAME}}" in text
