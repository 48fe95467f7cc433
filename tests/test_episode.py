"""`BrowserSession.new_context()` starts an episode (notices, blocked requests and the downloads folder start afresh);
`restart_context()` is a fresh context inside the same episode; `exploring()` turns the mutation guard on for a
block. On the fixture site in the real Chromium."""

from __future__ import annotations

from tests.scripted import ScriptedChat, act
from webagent.agent import Agent, AgentConfig


async def test_new_context_starts_an_episode_and_restart_context_keeps_it(browser_session, site, tmp_path):
    s = browser_session
    await s.new_context(downloads_dir=tmp_path / "first")
    await s.goto(site.url + "/form.html")
    async with s.exploring():
        assert s.block_mutations
        async with s.exploring():  # nests: the inner exit leaves the outer block guarded
            pass
        assert s.block_mutations
        await s.page.get_by_label("Your name").fill("Eve")
        await s.page.get_by_role("button", name="Place order").click()
        await s.page.wait_for_timeout(300)
    assert not s.block_mutations
    assert s.blocked_requests and s.blocked_requests[-1].startswith("POST ")
    assert site.app.config["orders"][-1:] != [("Eve", "")] and all(o[0] != "Eve" for o in site.app.config["orders"])
    s.notices.append("something the agent has not read yet")
    await s.restart_context()  # backtracking inside a search: the episode goes on
    assert s.blocked_requests and s.notices and s.downloads_dir == tmp_path / "first"
    await s.new_context()  # a new episode: nothing of the last one leaks into it
    assert s.blocked_requests == [] and s.notices == [] and s.downloads_dir is None


async def test_one_session_two_runs_each_keeps_its_own_downloads(browser_session, site, tmp_path):
    """What a bench worker does: one session, a new context per task, one agent run per task. Each run's download
    lands in that run's directory (it used to land in the first run's)."""
    for name in ("task1", "task2"):
        await browser_session.new_context()
        model = ScriptedChat([act("click [{id}]", "link", "Download report"), "stop [done]"])
        result = await Agent(model, config=AgentConfig(max_steps=3)).run(
            "download the report", site.url + "/index.html", browser_session, tmp_path / name)
        assert result.status == "answered", result.reason
    for name in ("task1", "task2"):
        assert (tmp_path / name / "downloads" / "report.txt").read_text() == "report body\n"
