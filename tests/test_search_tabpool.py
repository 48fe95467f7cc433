"""The tab pool on the real shop: best-first keeps frontier states alive in hidden tabs and switches back to them
instead of reloading, with the same search tree as without it, and leaves the agent one visible tab."""

from __future__ import annotations

import pytest
from webagent.search import Budget
from webagent.search.best_first import BestFirstPlanner

from testkit.doubles_search import SearchDouble, find_id, spread, url_of, verdict
from webagent.llm.metered import MeteredChat
from webagent.planner import PlanContext
from webagent.policy import Policy


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


def link(prompt: str, name: str) -> str:
    i = find_id(prompt, "link", name)
    assert i is not None, f"no link {name!r} on {url_of(prompt)}"
    return f"click [{i}]"


def two_branches(prompt, n, rng):
    """Two categories from the home page, then three equally voted links from each: with every state on track,
    best-first opens both categories, then goes back to the first one's children (node 3: a switch to its kept
    tab), then to the second's."""
    if url_of(prompt).rstrip("/").count("/") == 2:
        return spread(n, [(3, link(prompt, "Electronics")), (2, link(prompt, "Home & Kitchen"))])
    return spread(n, [(1, link(prompt, x)) for x in ("Beauty & Health", "Sports & Outdoors",
                                                     "Clothing, Shoes & Jewelry")])


async def _plan(session, shop, tabs: int):
    await session.new_context()
    await session.goto(shop.url + "/")
    obs = await session.observe()
    planner = BestFirstPlanner(branching=3, depth=2, budget=Budget(nodes=3), value_samples=1, tabs=tabs)
    return await planner.choose(PlanContext("Browse the shop", obs, [], Policy(MeteredChat(
        SearchDouble(two_branches, lambda p, n, r: [verdict(False, True)] * n))), session))


def _shape(plan) -> list[tuple]:
    return [(n["id"], n["parent"], n["status"], n.get("action", "").split(" [")[0], n["url"].split(":", 2)[-1],
             n["value"]) for n in plan.tree["nodes"]]


async def test_backtracking_switches_to_kept_tabs_with_the_same_tree(session, shop):
    plain = await _plan(session, shop, tabs=0)
    pooled = await _plan(session, shop, tabs=2)
    assert _shape(pooled) == _shape(plain)  # the same search, only the way back differs
    methods = [n.get("restore") for n in pooled.tree["nodes"] if n.get("restore")]
    assert methods[:2] == ["restore", "tab"] and "tab" not in [n.get("restore") for n in plain.tree["nodes"]]
    stats = pooled.tree["tabs"]
    assert stats["parked"] >= 1 and stats["switches"] >= 1
    switched = [n["restore_ms"] for n in pooled.tree["nodes"] if n.get("restore") == "tab"]
    assert all(ms >= 0 for ms in switched)
    # the agent is left with one tab, the root page, and its observation lists no kept tab
    assert len(session.context.pages) == 1 and len(session.pages) == 1
    assert len(pooled.observation.tabs) <= 1 and pooled.observation.url == shop.url + "/"
    assert str(pooled.actions[0]).split(" [")[0] == str(plain.actions[0]).split(" [")[0]
