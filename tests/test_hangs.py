"""No page can hang a run: every call into the page has a deadline, a page that stops answering is stopped, and
the agent reads what happened (issue 10)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.scripted import ScriptedChat, act
from webagent.agent import Agent, AgentConfig


@pytest.fixture
def quick_deadlines(session):
    cfg = session.config
    saved = cfg.page_deadline_ms, cfg.action_timeout_ms
    cfg.page_deadline_ms, cfg.action_timeout_ms = 3000, 2000
    yield session
    cfg.page_deadline_ms, cfg.action_timeout_ms = saved


def steps_of(run_dir):
    records = [json.loads(line) for line in (run_dir / "trajectory.jsonl").read_text().splitlines()]
    return [r for r in records if r["type"] == "step"], records[-1]


async def test_a_page_that_loops_after_load_does_not_hang_the_run(quick_deadlines, site, tmp_path):
    session = quick_deadlines
    model = ScriptedChat([lambda p: "stop [saw " + ("Busy page" if "Busy page" in p else "nothing") + "]"])
    t0 = time.monotonic()
    result = await Agent(model, config=AgentConfig(max_steps=3)).run(
        "read the page", site.url + "/fidelity/hang-after-load.html", session, tmp_path / "run")
    assert time.monotonic() - t0 < 30
    assert result.status == "answered" and result.answer == "saw Busy page", result.reason
    steps, footer = steps_of(tmp_path / "run")
    assert len(steps) == 1 and footer["status"] == "answered"
    assert any("did not answer" in n and "stopped" in n for n in steps[0]["notices"]), steps[0]["notices"]


async def test_the_first_tab_is_no_news(browser_session, site):
    await browser_session.new_context()
    await browser_session.goto(site.url + "/about.html")
    obs = await browser_session.observe()
    assert not any("new tab" in n for n in obs.notices), obs.notices


async def test_a_click_that_loops_forever_is_an_error_and_the_run_goes_on(quick_deadlines, site, tmp_path):
    session = quick_deadlines
    model = ScriptedChat([act("click [{id}]", "button", "Freeze"), act("click [{id}]", "button", "Storm"),
                          "stop [done]"])
    t0 = time.monotonic()
    result = await Agent(model, config=AgentConfig(max_steps=4)).run(
        "click", site.url + "/fidelity/hang-on-click.html", session, tmp_path / "run")
    assert time.monotonic() - t0 < 30
    assert result.status == "answered", result.reason
    steps, _ = steps_of(tmp_path / "run")
    assert [s["action"].split()[0] for s in steps] == ["click", "click", "stop"]
    first = steps[0]["result"]
    assert not first["ok"] and first["error_kind"] == "page_unresponsive" and "stopped" in first["error"], first
    assert steps[1]["result"]["ok"], steps[1]["result"]  # the page answers again after its script was stopped
    storm = [n for n in steps[2]["notices"] if "spam" in n]
    assert storm == ["a alert dialog said 'spam'; it was accepted 16 times"], steps[2]["notices"]


class StuckChat(ScriptedChat):
    """Answers the first call, then never answers again (a hung endpoint)."""

    async def complete(self, messages, **kw):
        if self.prompts:
            await asyncio.sleep(3600)
        return await super().complete(messages, **kw)


async def test_the_run_watchdog_ends_a_run_that_takes_too_long(session, site, tmp_path):
    t0 = time.monotonic()
    result = await Agent(StuckChat(["scroll [down]"]), config=AgentConfig(max_steps=5, max_seconds=20)).run(
        "scroll", site.url + "/index.html", session, tmp_path / "run")
    assert time.monotonic() - t0 < 30
    assert result.status == "timeout" and "watchdog" in result.reason
    steps, footer = steps_of(tmp_path / "run")
    assert footer["status"] == "timeout" and len(steps) == 1  # the step done before the watchdog fired is kept
