"""World-model and hybrid planners on the real shop with doubles: the best imagined outcome is executed, every call
of a step runs concurrently, and the hybrid explores for real only what the world model kept."""

from __future__ import annotations

import json

import pytest
from webagent.search import Budget
from webagent.search.hybrid import HybridPlanner
from webagent.search.world_model import WorldModelPlanner

from testkit.doubles_search import SearchDouble, field_of, find_id, outcome_json, spread, url_of, verdict
from webagent.agent import Agent, AgentConfig

TASK = "What is the price of the Corvex Active Laptop Mini?"


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


def policy(prompt, n, rng):
    url = url_of(prompt)
    if url.endswith("/"):
        return spread(n, [(3, f"click [{find_id(prompt, 'link', 'Beauty & Health')}]"),
                          (2, f"click [{find_id(prompt, 'link', 'Electronics')}]"),
                          (1, f"type [{find_id(prompt, 'searchbox', 'Search')}] [Corvex Active Laptop Mini] [1]")])
    if "/catalogsearch/" in url:
        return [f"click [{find_id(prompt, 'link', 'Corvex Active Laptop Mini')}]"] * n
    return ["stop [N/A]"] * n


def world_model(prompt, n, rng):
    action = field_of(prompt, "ACTION") or ""
    if action.startswith("type"):
        return [outcome_json("/catalogsearch/result/?q=Corvex+Active+Laptop+Mini", "search results")] * n
    if "Beauty" in action:
        return [outcome_json("/category/beauty-health", "the beauty category")] * n
    return [outcome_json("/category/electronics", "the electronics category, 90 items")] * n


def judge(prompt, n, rng):
    imagined = field_of(prompt, "IMAGINED OUTCOME") or ""
    if "catalogsearch" in imagined or "/catalogsearch/" in url_of(prompt) and not imagined:
        return [verdict(False, True)] * n
    if "electronics" in imagined:
        return spread(n, [(1, verdict(False, True)), (2, verdict(False, False))])
    return [verdict(False, False)] * n


async def test_world_model_executes_the_best_imagined_candidate_with_concurrent_calls(session, shop, tmp_path):
    double = SearchDouble(policy, judge, world_model, delay=0.25)
    planner = WorldModelPlanner(branching=3, sim_samples=2, value_samples=3)
    result = await Agent(double, planner, AgentConfig(max_steps=1)).run(TASK, shop.url + "/", session,
                                                                        tmp_path / "wm")
    step = [json.loads(x) for x in (tmp_path / "wm" / "trajectory.jsonl").read_text().splitlines()][1]
    assert step["action"].startswith("type [")  # imagined best, although the least voted
    assert "/catalogsearch/result/" in result.final_url  # and executed for real
    tree = step["search_tree"]
    values = {c["target"]["name"]: c["value"] for c in tree["candidates"]}
    assert values == {"Search": 0.5, "Electronics": pytest.approx(1 / 6, abs=1e-3), "Beauty & Health": 0.0}
    assert all(c["imagined"] and "url_change" in c["imagined"][0] for c in tree["candidates"])
    # 1 policy call, then 3 predictions (n=2 each) and 6 judgements all in flight together, not one by one
    assert double.count("world_model") == 3 and double.count("value") == 6
    assert double.max_in_flight >= 6  # (the speed-up itself is a figure for bench/, not a timed assertion here)


async def test_world_model_respects_its_node_budget(session, shop):
    from webagent.llm.metered import MeteredChat
    from webagent.planner import PlanContext
    from webagent.policy import Policy
    await session.goto(shop.url + "/")
    obs = await session.observe()
    double = SearchDouble(policy, judge, world_model)
    plan = await WorldModelPlanner(branching=3, budget=Budget(nodes=2)).choose(
        PlanContext(TASK, obs, [], Policy(MeteredChat(double)), session))
    assert len(plan.tree["candidates"]) == 2 and double.count("world_model") == 2
    double = SearchDouble(policy, judge, world_model)
    plan = await WorldModelPlanner(branching=3, budget=Budget(nodes=0)).choose(
        PlanContext(TASK, obs, [], Policy(MeteredChat(double)), session))
    assert double.count("world_model") == 0 and "Beauty" in plan.candidates[0]["target"]["name"]


async def test_hybrid_explores_for_real_only_the_candidates_the_world_model_keeps(session, shop, tmp_path):
    double = SearchDouble(policy, judge, world_model)
    planner = HybridPlanner(branching=3, depth=2, top_k=1, budget=Budget(nodes=4))
    await Agent(double, planner, AgentConfig(max_steps=1)).run(TASK, shop.url + "/", session, tmp_path / "h")
    step = [json.loads(x) for x in (tmp_path / "h" / "trajectory.jsonl").read_text().splitlines()][1]
    tree = step["search_tree"]
    root = tree["nodes"][0]
    pruned = {p["target"]["name"] for p in root["pruned"]}
    assert pruned == {"Beauty & Health", "Electronics"}
    executed = [n for n in tree["nodes"][1:] if n["status"] == "executed"]
    assert executed and all(n["depth"] > 1 or n["target"]["name"] == "Search" for n in executed)
    assert step["action"].startswith("type [")
    # the committed action is written in the ids of the step's observation (the search reloaded the page)
    from tests.test_search_best_first import assert_ids_are_the_observations
    assert_ids_are_the_observations([step])
    assert step["action"].split("]")[0] == root_action_of(tree, "Search")


def root_action_of(tree, name: str) -> str:
    """`verb [id` of the root candidate targeting `name`, as the search tree shows it."""
    cand = next(c for c in tree["root"]["candidates"] if (c.get("target") or {}).get("name") == name)
    return cand["action"].split("]")[0]
