"""Committing a whole path onto a page that drifted, and restoring localStorage that a page reads when it loads; on
the fixture site's drift pages (a middle page shows a new random token on every load) with scripted doubles."""

from __future__ import annotations

import json

from webagent.observers import ObserveOptions
from webagent.search import Budget
from webagent.search.best_first import BestFirstPlanner
from webagent.search.snapshot import restore, take_snapshot

from testkit.doubles_search import SearchDouble, field_of, find_id, url_of, verdict
from webagent.agent import Agent, AgentConfig

OPTS = ObserveOptions(screenshot=False)


def drift_policy(prompt, n, rng):
    url = url_of(prompt)
    if url.endswith("/start.html"):
        return [f"click [{find_id(prompt, 'link', 'Continue')}]"] * n
    if url.endswith("/middle.html"):
        return [f"click [{find_id(prompt, 'link', 'Finish')}]"] * n
    return ["stop [42]"] * n


def drift_judge(prompt, n, rng):
    answer = field_of(prompt, "FINAL ANSWER")
    if answer is not None:
        return [verdict(answer == "42", False)] * n
    return [verdict(False, not url_of(prompt).endswith("/start.html"))] * n


async def test_a_committed_path_that_meets_a_different_page_is_replanned_not_followed(session, site, tmp_path):
    planner = BestFirstPlanner(branching=1, depth=3, budget=Budget(nodes=5), samples=2, value_samples=1,
                               commit="path")
    result = await Agent(SearchDouble(drift_policy, drift_judge), planner, AgentConfig(max_steps=5)).run(
        "Find the code", site.url + "/drift/start.html", session, tmp_path / "run")
    assert result.status == "answered" and result.answer == "42"
    steps = [json.loads(x) for x in (tmp_path / "run" / "trajectory.jsonl").read_text().splitlines()
             if json.loads(x)["type"] == "step"]
    assert [s["action"].split()[0] for s in steps] == ["click", "click", "stop"]
    first = steps[0]["search_tree"]
    assert first["best"]["path"][-1] == "stop [42]" and len(first["best"]["path"]) == 3
    # the middle page drew another token than the search saw: its key differs, so step 2 searched again
    assert "committed_path" not in steps[1]["search_tree"] and steps[1]["search_tree"]["nodes"]
    assert steps[1]["llm_calls"] and steps[1]["search_tree"]["best"]["path"][-1] == "stop [42]"


async def test_restore_puts_localstorage_back_before_the_page_reads_it(session, site):
    url = site.url + "/drift/storage.html"
    await session.goto(url)
    await session.page.evaluate("localStorage.setItem('filter', 'red')")
    await session.page.reload()
    obs = await session.observe(OPTS)
    assert "Filter: red" in obs.text
    snap = await take_snapshot(session, obs)
    await session.page.evaluate("localStorage.setItem('filter', 'blue')")
    for elsewhere in (site.url + "/drift/start.html",  # the same origin
                      site.url.replace("127.0.0.1", "localhost") + "/drift/start.html"):  # another origin
        await session.goto(elsewhere)
        res = await restore(session, snap, snap, OPTS, allow_replay=False)
        assert res.method == "restore" and "Filter: red" in res.obs.text, elsewhere
        assert await session.page.evaluate("localStorage.getItem('filter')") == "red"
        await session.page.evaluate("localStorage.setItem('filter', 'blue')")
