"""WebDreamer complete, on the real shop with scripted doubles (they know the answers: these tests prove the
plumbing, not the quality): multi-step imagination (--sim-depth), the candidate filter (--filter-candidates), the
world model given the action history, unparseable predictions and judge replies reported with counts, the world
model's and the hybrid's budgets, and the hybrid never executing an irreversible candidate while exploring."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from webagent.search import Budget
from webagent.search.hybrid import HybridPlanner
from webagent.search.world_model import WorldModelPlanner

from testkit.doubles_search import SearchDouble, field_of, find_id, outcome_json, spread, verdict
from webagent.agent import Agent, AgentConfig
from webagent.llm.metered import MeteredChat
from webagent.planner import PlanContext, parse_note
from webagent.policy import Policy, StepSummary

TASK = "How many items are in the Cameras & Photo category?"


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


def root_policy(prompt, n, rng):
    """Beauty & Health most voted, Electronics next, the search box last (those of them on the page)."""
    ids = [(3, "link", "Beauty & Health", "click [{}]"), (2, "link", "Electronics", "click [{}]"),
           (1, "searchbox", "Search", "type [{}] [cameras] [1]")]
    got = [(w, form.format(find_id(prompt, role, name))) for w, role, name, form in ids
           if find_id(prompt, role, name) is not None]
    return spread(n, got or [(1, "stop [N/A]")])


def wm(prompt, n, rng):
    """Electronics leads to its category, then Cameras & Photo to the answer; Beauty to its category."""
    action = field_of(prompt, "ACTION") or ""
    if "Cameras" in action:
        return [outcome_json("/category/electronics?cat=11", "Cameras & Photo, 21 items")] * n
    if "Electronics" in action:
        return [outcome_json("/category/electronics", "the Electronics category")] * n
    if "Beauty" in action:
        return [outcome_json("/category/beauty-health", "the Beauty & Health category")] * n
    return [outcome_json("/catalogsearch/result/?q=cameras", "search results for cameras")] * n


def sim_policy(prompt, n, rng):
    """Inside the imagined Electronics page: Cameras & Photo; anywhere else: give up."""
    steps = prompt.split("IMAGINED STEPS", 1)[1]
    if "/category/electronics" in steps:
        return [json.dumps({"verb": "click", "target": "link 'Cameras & Photo'", "text": ""})] * n
    return [json.dumps({"verb": "stop", "target": "", "text": "N/A"})] * n


def judge(prompt, n, rng):
    """Judges the final imagined state: the Cameras page is success; Beauty looks on track one step deep; a give-up
    or the bare Electronics page is a failure."""
    imagined = field_of(prompt, "IMAGINED OUTCOME") or ""
    if "answers: 'N/A'" in imagined:
        return [verdict(False, False)] * n
    if "cat=11" in imagined:
        return [verdict(True, True)] * n
    return [verdict(False, "beauty" in imagined)] * n


async def _ctx(session, shop, double, history=None):
    await session.goto(shop.url + "/")
    obs = await session.observe()
    return PlanContext(TASK, obs, history or [], Policy(MeteredChat(double)), session)


async def test_sim_depth_2_rolls_each_candidate_out_and_scores_the_imagined_trajectory(session, shop):
    double = SearchDouble(root_policy, judge, wm)
    shallow = await WorldModelPlanner(branching=2, value_samples=1).choose(await _ctx(session, shop, double))
    beauty_id = find_id(double.calls[0]["prompt"], "link", "Beauty & Health")
    assert shallow.actions[0].id == beauty_id  # one step deep, Beauty looks best
    assert shallow.tree["candidates"][0]["value"] == 0.5

    double = SearchDouble(root_policy, judge, wm)
    double.handlers["sim_policy"] = sim_policy
    hist = [StepSummary("click [2]", "link 'Home'")]
    plan = await WorldModelPlanner(branching=2, value_samples=1, sim_depth=2).choose(
        await _ctx(session, shop, double, hist))
    tree = plan.tree
    assert tree["params"]["sim_depth"] == 2
    by_name = {c["target"]["name"]: c for c in tree["candidates"]}
    elec, beauty = by_name["Electronics"], by_name["Beauty & Health"]
    # two steps deep, Electronics -> Cameras & Photo reaches the answer and wins
    assert plan.actions[0].id == find_id(double.calls[0]["prompt"], "link", "Electronics")
    assert [s["action"] for s in elec["rollouts"][0]] == [elec["action"] + " (link 'Electronics')",
                                                          "click (link 'Cameras & Photo')"]
    assert elec["value"] == 1.0 and beauty["value"] == 0.0
    assert beauty["rollouts"][0][-1]["action"] == "stop [N/A]"
    # the imagined policy saw the first prediction; the second prediction saw the imagined step; the judge the
    # whole imagined trajectory; the world model the action history
    sims = [c for c in double.calls if c["kind"] == "sim_policy"]
    assert len(sims) == 2 and all("IMAGINED STEPS SINCE THIS PAGE" in c["prompt"] for c in sims)
    assert all(c["json_schema"] for c in double.calls if c["kind"] in ("sim_policy", "world_model", "value"))
    second = [c for c in double.calls if c["kind"] == "world_model" and "Cameras" in (field_of(c["prompt"], "ACTION")
                                                                                     or "")]
    assert len(second) == 1 and "url -> /category/electronics" in second[0]["prompt"]
    assert all("PREVIOUS ACTIONS:\n1. click [2] on link 'Home'" in c["prompt"]
               for c in double.calls if c["kind"] == "world_model")
    judged = [c["prompt"] for c in double.calls if c["kind"] == "value" and "Cameras" in c["prompt"]]
    assert judged and "IMAGINED STEPS" in judged[0] and "Electronics" in judged[0]
    assert tree["parse"] == {"world_model": {"parsed": 3, "unparsed": 0}, "sim_policy": {"parsed": 2, "unparsed": 0},
                             "judge": {"parsed": 2, "unparsed": 0}}


def filter_keep_not_beauty(prompt, n, rng):
    listed = re.findall(r"^(\d+)\. (.*)$", prompt.split("CANDIDATES:", 1)[1], re.M)
    keep = [int(i) for i, label in listed if "Beauty" not in label]
    return [json.dumps({"keep": keep})] * n


async def test_the_candidate_filter_drops_implausible_candidates_before_simulation(session, shop):
    double = SearchDouble(root_policy, judge, wm)
    double.handlers["filter"] = filter_keep_not_beauty
    plan = await WorldModelPlanner(branching=3, value_samples=1, filter_candidates=True).choose(
        await _ctx(session, shop, double))
    f = plan.tree["filter"]
    assert len(f["dropped"]) == 1 and len(f["kept"]) == 2 and f["parsed"]
    assert plan.tree["params"]["filter_candidates"] is True
    assert double.count("filter") == 1 and double.count("world_model") == 2
    assert not any("Beauty" in (field_of(c["prompt"], "ACTION") or "") for c in double.calls
                   if c["kind"] == "world_model")
    assert {c["target"]["name"] for c in plan.tree["candidates"]} == {"Electronics", "Search"}

    double = SearchDouble(root_policy, judge, wm)  # a reply that does not parse keeps every candidate, and says so
    double.handlers["filter"] = lambda p, n, r: ["keep them all"] * n
    plan = await WorldModelPlanner(branching=3, value_samples=1, filter_candidates=True).choose(
        await _ctx(session, shop, double))
    assert plan.tree["filter"]["note"] == "the reply did not parse: all kept" and double.count("world_model") == 3
    assert plan.tree["parse"]["filter"] == {"parsed": 0, "unparsed": 1}
    assert parse_note(plan.tree) == "unparsed: 1 of 1 filter replies"


async def test_unparseable_predictions_and_judge_replies_are_reported_with_counts(session, shop, tmp_path):
    def bad_wm(prompt, n, rng):  # Beauty's prediction is prose, not JSON
        if "Beauty" in (field_of(prompt, "ACTION") or ""):
            return ["I think a category page opens."] * n
        return wm(prompt, n, rng)

    def half_judge(prompt, n, rng):  # every other reply is garbage: left out of the mean, counted
        return [verdict(False, True) if i % 2 == 0 else "no idea" for i in range(n)]

    double = SearchDouble(root_policy, half_judge, bad_wm)
    notes = []
    result = await Agent(double, WorldModelPlanner(branching=2, value_samples=2), AgentConfig(max_steps=1),
                         on_step=lambda s: notes.append(s.note)).run(TASK, shop.url + "/", session, tmp_path / "r")
    step = [json.loads(x) for x in (tmp_path / "r" / "trajectory.jsonl").read_text().splitlines()][1]
    tree = step["search_tree"]
    by_name = {c["target"]["name"]: c for c in tree["candidates"]}
    assert by_name["Beauty & Health"]["error"] == "no prediction parsed" and by_name["Beauty & Health"]["value"] is None
    assert by_name["Electronics"]["value"] == 0.5  # the mean of the parsed reply only, not (0.5 + 0) / 2
    assert "1 of 2 judge replies did not parse" in by_name["Electronics"]["error"]
    assert tree["parse"] == {"world_model": {"parsed": 1, "unparsed": 1}, "judge": {"parsed": 1, "unparsed": 1}}
    assert notes == ["unparsed: 1 of 2 predictions, 1 of 2 judge replies"]
    assert "/category/electronics" in result.final_url  # the unparsed candidate was not guessed to be best


async def test_world_model_and_hybrid_keep_to_their_token_and_node_budgets(session, shop):
    double = SearchDouble(root_policy, judge, wm)
    free = await WorldModelPlanner(branching=3, value_samples=2).choose(await _ctx(session, shop, double))
    spent = free.tree["budget"]["tokens"]
    cap = spent // 2
    double = SearchDouble(root_policy, judge, wm, delay=0.02)  # concurrent calls: each reserves its estimate
    plan = await WorldModelPlanner(branching=3, value_samples=2, budget=Budget(nodes=None, tokens=cap)).choose(
        await _ctx(session, shop, double))
    b = plan.tree["budget"]
    assert b["tokens"] <= cap and b["stop_reason"] == "tokens"
    assert any(c["error"] == "tokens budget exhausted" for c in plan.tree["candidates"])

    hybrid = HybridPlanner(branching=3, depth=2, top_k=2, budget=Budget(nodes=2), value_samples=1)
    plan = await hybrid.choose(await _ctx(session, shop, SearchDouble(root_policy, judge, wm)))
    b = plan.tree["budget"]
    assert b["nodes"] == 2 and b["stop_reason"] == "nodes"
    assert sum(1 for n in plan.tree["nodes"][1:] if n["status"] != "pending") == 2
    free = b["tokens"]
    hybrid = HybridPlanner(branching=3, depth=2, top_k=2, budget=Budget(nodes=None, tokens=free // 2),
                           value_samples=1)
    plan = await hybrid.choose(await _ctx(session, shop, SearchDouble(root_policy, judge, wm)))
    assert plan.tree["budget"]["tokens"] <= free // 2 and plan.tree["budget"]["stop_reason"] == "tokens"


def cart_items(shop) -> int:
    db = sqlite3.connect(shop.db_path)
    try:
        return db.execute("SELECT COUNT(*) FROM cart_items").fetchone()[0]
    finally:
        db.close()


async def test_the_hybrid_simulates_an_irreversible_candidate_and_never_runs_it_while_exploring(session, shop):
    def policy(prompt, n, rng):
        return spread(n, [(1, f"click [{find_id(prompt, 'button', 'Add to Cart')}]"),
                          (2, f"click [{find_id(prompt, 'link', 'Electronics')}]")])

    def cart_wm(prompt, n, rng):
        if "Add to Cart" in (field_of(prompt, "ACTION") or ""):
            return [outcome_json("/checkout/cart", "the cart holds the laptop", irreversible=True, form=True)] * n
        return [outcome_json("/category/electronics", "the Electronics category")] * n

    def cart_judge(prompt, n, rng):
        return [verdict(False, "cart" in (field_of(prompt, "IMAGINED OUTCOME") or ""))] * n

    double = SearchDouble(policy, cart_judge, cart_wm)
    double.handlers["filter"] = lambda p, n, r: [json.dumps({"keep": [1, 2]})] * n
    await session.goto(shop.url + "/product/corvex-active-laptop-mini")
    obs = await session.observe()
    before, blocked = cart_items(shop), len(session.blocked_requests)
    planner = HybridPlanner(branching=2, depth=1, top_k=1, budget=Budget(nodes=3), value_samples=1,
                            filter_candidates=True)
    plan = await planner.choose(PlanContext("Add the Corvex Active Laptop Mini to the cart", obs, [],
                                            Policy(MeteredChat(double)), session))
    nodes = plan.tree["nodes"]
    assert nodes[0]["filtered"]["kept"] and not nodes[0]["filtered"]["dropped"]
    cart = next(n for n in nodes[1:] if n["target"]["name"] == "Add to Cart")
    assert cart["risk"] == "irreversible" and cart["status"] == "simulated" and cart["value"] == 0.5
    assert not nodes[0].get("pruned")  # top_k 1 keeps the best safe candidate, and the irreversible one is never pruned
    assert any(n["status"] == "executed" and n["target"]["name"] == "Electronics" for n in nodes[1:])
    assert cart_items(shop) == before and len(session.blocked_requests) == blocked  # never even attempted
    committed_on = plan.observation or obs  # the search moved the browser: the action is re-bound to the root
    assert committed_on.elements[plan.actions[0].id].name == "Add to Cart"
