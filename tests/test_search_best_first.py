"""Best-first search on the real shop with scripted LLM doubles: recovery from a dead end, committing a whole path,
the checkout that is never placed while exploring, and exact budgets."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest
import pytest_asyncio
from webagent.observers import ObserveOptions
from webagent.search import Budget, ReactivePlanner
from webagent.search.best_first import BestFirstPlanner

from testkit.doubles_search import SearchDouble, field_of, find_id, outcome_json, spread, url_of, verdict
from webagent.agent import Agent, AgentConfig
from webagent.browser import BrowserConfig, BrowserSession
from webagent.planner import PlanContext

PRODUCT = "Corvex Active Laptop Mini"
PRICE = "$1,805.99"
TASK = f"What is the price of the {PRODUCT}?"


@pytest_asyncio.fixture(scope="module")
async def other():
    """A second browser for the tests of concurrent episodes (each starts a fresh context in it)."""
    async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1"])) as s:
        yield s


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


def click(prompt: str, role: str, name: str) -> str:
    i = find_id(prompt, role, name)
    assert i is not None, f"no {role} {name!r} on {url_of(prompt)}"
    return f"click [{i}]"


def dead_end_policy(prompt: str, n: int, rng) -> list[str]:
    """Most votes go to a category that does not hold the product (a dead end, where it gives up)."""
    url = url_of(prompt)
    if url.endswith("/"):
        box = find_id(prompt, "searchbox", "Search")
        return spread(n, [(3, click(prompt, "link", "Beauty & Health")), (2, f"type [{box}] [{PRODUCT}] [1]")])
    if "/category/beauty" in url:
        return spread(n, [(4, "stop [N/A]"), (1, "go_back")])
    if "/catalogsearch/" in url:
        return [click(prompt, "link", PRODUCT)] * n
    if "/product/" in url:
        return [f"stop [{PRICE}]"] * n
    return ["stop [N/A]"] * n


def progress_value(prompt: str, n: int, rng) -> list[str]:
    url, answer = url_of(prompt), field_of(prompt, "FINAL ANSWER")
    if answer is not None:
        return [verdict(PRICE in answer, False)] * n
    on_track = "/catalogsearch/" in url and "Corvex" in url or "/product/corvex-active-laptop-mini" in url
    return [verdict(False, on_track)] * n


def assert_ids_are_the_observations(steps) -> None:
    """Each recorded action's id is the id its target has in that step's recorded observation (search reloads
    pages while exploring, which renumbers them; the action is still written in the observation's ids)."""
    import re
    for s in steps:
        m = re.match(r"\w+ \[(\d+)\]", s["action"] or "")
        if m and s["target"]:
            line = next((x for x in s["observation"].splitlines() if f"[{m.group(1)}] " in x), "")
            assert f"{s['target']['role']} '{s['target']['name']}" in line, (s["action"], s["target"], line)
            assert s["action_dict"]["id"] == int(m.group(1))


def steps_of(run_dir):
    return [json.loads(x) for x in (run_dir / "trajectory.jsonl").read_text().splitlines()
            if json.loads(x)["type"] == "step"]


async def test_best_first_recovers_from_a_dead_end_where_reactive_fails(session, shop, tmp_path):
    reactive = Agent(SearchDouble(dead_end_policy, progress_value), ReactivePlanner(samples=5),
                     AgentConfig(max_steps=6))
    r = await reactive.run(TASK, shop.url + "/", session, tmp_path / "reactive")
    assert r.status == "answered" and r.answer == "N/A"

    await session.new_context()
    double = SearchDouble(dead_end_policy, progress_value)
    planner = BestFirstPlanner(branching=3, depth=3, budget=Budget(nodes=10), value_samples=3)
    result = await Agent(double, planner, AgentConfig(max_steps=6)).run(TASK, shop.url + "/", session,
                                                                        tmp_path / "bf")
    assert result.status == "answered" and result.answer == PRICE, result.reason
    steps = steps_of(tmp_path / "bf")
    header = json.loads((tmp_path / "bf" / "trajectory.jsonl").read_text().splitlines()[0])
    assert header["config"]["planner"] == "best-first" and header["config"]["planner_params"]["branching"] == 3
    tree = steps[0]["search_tree"]
    nodes = {n["id"]: n for n in tree["nodes"]}
    first = [nodes[i] for i in nodes[0]["children"]]
    # the most-voted first action was explored and judged a dead end; the search went on and found the answer
    assert first[0]["votes"] > first[1]["votes"] and "Beauty" in first[0]["target"]["name"] and first[0]["value"] == 0.0
    assert tree["budget"]["stop_reason"] == "threshold"
    assert any(n["status"] == "stop" and n["value"] == 1.0 for n in tree["nodes"])
    assert any(n.get("restore") == "restore" for n in tree["nodes"])  # backtracked by snapshot, not replay
    assert steps[0]["action"].startswith("type [")  # committed the first action of the best path only
    assert_ids_are_the_observations(steps)
    assert tree["restores"].get("replay", 0) == 0
    assert steps[0]["llm_calls"] and {c["purpose"] for c in steps[0]["llm_calls"]} == {"policy", "value"}
    # later steps re-plan, and the caches answer for states already judged
    assert steps[1]["search_tree"]["caches"]["hits"]["values"] >= 1


async def test_committing_the_whole_path_checks_the_state_before_each_action(session, shop, tmp_path):
    double = SearchDouble(dead_end_policy, progress_value)
    planner = BestFirstPlanner(branching=3, depth=3, budget=Budget(nodes=10), commit="path")
    result = await Agent(double, planner, AgentConfig(max_steps=6)).run(TASK, shop.url + "/", session,
                                                                        tmp_path / "p")
    assert result.status == "answered" and result.answer == PRICE
    steps = steps_of(tmp_path / "p")
    assert [s["action"].split()[0] for s in steps] == ["type", "click", "stop"]
    assert steps[0]["search_tree"]["nodes"] and steps[1]["search_tree"]["committed_path"]["index"] == 1
    assert steps[2]["search_tree"]["committed_path"]["index"] == 2
    # one search, then the path committed without asking the policy again
    assert sum(1 for s in steps for c in s["llm_calls"]) == len(steps[0]["llm_calls"])


def orders(shop) -> int:
    db = sqlite3.connect(shop.db_path)
    try:
        return db.execute("SELECT COUNT(*) FROM orders").fetchone()[0]
    finally:
        db.close()


async def _login_and_fill_cart(session, shop) -> None:
    page = session.page
    await page.goto(shop.url + "/customer/account/login/")
    await page.get_by_label("Email").fill("emma.lopez@example.com")
    await page.get_by_label("Password").fill("Password.123")
    await page.get_by_role("button", name="Sign In").click()
    await page.wait_for_url("**/customer/account/")
    await page.goto(shop.url + "/product/norvik-ultraslim-desktop-pc")
    await page.get_by_role("button", name="Add to Cart", exact=True).click()
    await page.get_by_role("status").filter(has_text="You added").wait_for()


async def test_exploring_a_checkout_places_no_order_until_the_commit(session, shop, tmp_path, monkeypatch):
    shop.reset()
    await _login_and_fill_cart(session, shop)
    before = orders(shop)
    seen: list[int] = []

    def policy(prompt, n, rng):
        url = url_of(prompt)
        if "/checkout/onepage/success" in url:
            return ["stop [order placed]"] * n
        if url.endswith("/checkout/"):
            return spread(n, [(3, click(prompt, "button", "Place Order")), (2, click(prompt, "link", "Electronics"))])
        return ["go_back"] * n

    def value(prompt, n, rng):
        seen.append(orders(shop))  # the judge runs while the search explores: nothing may be ordered yet
        if (field_of(prompt, "PROPOSED ACTION") or "").find("Place Order") >= 0:
            return [verdict(True, True)] * n
        if field_of(prompt, "FINAL ANSWER") is not None:
            return [verdict("/success" in url_of(prompt), True)] * n
        return [verdict(False, False)] * n

    planner = BestFirstPlanner(branching=2, depth=2, budget=Budget(nodes=4))
    result = await Agent(SearchDouble(policy, value), planner, AgentConfig(max_steps=3)).run(
        "Place the order for the items in my cart", shop.url + "/checkout/", session, tmp_path / "c")
    assert result.status == "answered", result.reason
    assert seen and all(n == before for n in seen)
    assert orders(shop) == before + 1  # placed once, on the committed path
    tree = steps_of(tmp_path / "c")[0]["search_tree"]
    place = next(n for n in tree["nodes"] if n.get("action", "").startswith("click") and n["risk"] == "irreversible")
    assert place["status"] == "simulated"


async def test_the_network_guard_blocks_a_misclassified_order_while_exploring(session, shop, tmp_path, monkeypatch):
    """Second line of defence: even if an order button were classed harmless, exploring it sends no POST."""
    import webagent.search.best_first as bf

    async def harmless(action, obs):
        return "read", "pretend"
    monkeypatch.setattr(bf, "classify", harmless)
    monkeypatch.setattr("webagent.search.candidates.classify", harmless)
    shop.reset()
    await _login_and_fill_cart(session, shop)
    before = orders(shop)

    def policy(prompt, n, rng):
        if url_of(prompt).endswith("/checkout/"):
            return spread(n, [(3, click(prompt, "button", "Place Order")), (1, "scroll [down]")])
        return ["stop [x]"] * n

    def value(prompt, n, rng):
        return [verdict(False, True)] * n

    from webagent.llm.metered import MeteredChat
    from webagent.planner import PlanContext
    from webagent.policy import Policy
    await session.goto(shop.url + "/checkout/")
    obs = await session.observe()
    planner = BestFirstPlanner(branching=2, depth=1, budget=Budget(nodes=2))
    plan = await planner.choose(PlanContext("Look at the checkout", obs, [], Policy(MeteredChat(
        SearchDouble(policy, value))), session))
    blocked = [n for n in plan.tree["nodes"] if n["status"] == "blocked"]
    assert blocked and "POST" in blocked[0]["error"] and blocked[0]["risk"] == "irreversible"
    assert orders(shop) == before
    assert session.block_mutations is False  # the guard is off again for the committed path


# ----------------------------------------------------------------------------------------------- budgets
def wide_policy(prompt, n, rng):
    """Five distinct safe links everywhere, never an answer."""
    links = [x for x in ("Electronics", "Home & Kitchen", "Clothing, Shoes & Jewelry", "Beauty & Health",
                         "Sports & Outdoors") if find_id(prompt, "link", x) is not None]
    return spread(n, [(5 - i, click(prompt, "link", x)) for i, x in enumerate(links)] or [(1, "scroll [down]")])


def lukewarm(prompt, n, rng):
    return [verdict(False, True)] * n


async def _plan_once(session, shop, planner, double):
    from webagent.llm.metered import MeteredChat
    from webagent.planner import PlanContext
    from webagent.policy import Policy
    await session.goto(shop.url + "/")
    obs = await session.observe()
    metered = MeteredChat(double)
    plan = await planner.choose(PlanContext("Find something", obs, [], Policy(metered), session))
    return plan, metered


async def test_node_budget_is_respected_exactly(session, shop):
    for c in (1, 4):
        planner = BestFirstPlanner(branching=5, depth=3, budget=Budget(nodes=c), value_samples=2)
        plan, metered = await _plan_once(session, shop, planner, SearchDouble(wide_policy, lukewarm))
        evaluated = [n for n in plan.tree["nodes"] if n["id"] != 0]
        assert len(evaluated) == c == plan.tree["budget"]["nodes"]
        assert plan.tree["budget"]["stop_reason"] == "nodes"


async def test_token_budget_is_respected_exactly(session, shop):
    for limit in (6000, 12000):
        planner = BestFirstPlanner(branching=5, depth=3, budget=Budget(nodes=None, tokens=limit), value_samples=2)
        double = SearchDouble(wide_policy, lukewarm)
        plan, metered = await _plan_once(session, shop, planner, double)
        b = plan.tree["budget"]
        assert b["stop_reason"] == "tokens" and b["tokens"] <= limit
        assert metered.usage.total_tokens == b["tokens"] <= limit
        assert b["nodes"] >= 1


async def test_seconds_budget_is_respected(session, shop):
    planner = BestFirstPlanner(branching=5, depth=3, budget=Budget(nodes=None, seconds=1.0), value_samples=2)
    double = SearchDouble(wide_policy, lukewarm, delay=0.05)
    plan, _ = await _plan_once(session, shop, planner, double)
    b = plan.tree["budget"]
    # The search stops on its clock; a node already in flight may finish after it (by far more on a busy machine).
    assert b["stop_reason"] == "seconds" and 1.0 <= b["seconds"] <= 1.0 + 2.0
    assert plan.actions and plan.tree["ms"] + 1 >= b["seconds"] * 1000, (plan.tree["ms"], b)


async def test_budget_zero_is_the_reactive_choice(session, shop):
    planner = BestFirstPlanner(branching=5, budget=Budget(nodes=0))
    double = SearchDouble(wide_policy, lukewarm)
    plan, metered = await _plan_once(session, shop, planner, double)
    assert double.count("policy") == 1 and double.count("value") == 0
    assert "Electronics" in json.dumps(plan.tree["root"]["candidates"][0])


async def test_identical_states_reached_by_different_paths_are_merged(session, shop):
    def policy(prompt, n, rng):
        return spread(n, [(2, click(prompt, "link", "Shop Electronics")), (1, click(prompt, "link", "Electronics"))])
    planner = BestFirstPlanner(branching=2, depth=1, budget=Budget(nodes=2))
    double = SearchDouble(policy, lukewarm)
    plan, _ = await _plan_once(session, shop, planner, double)
    a, b = plan.tree["nodes"][1:]
    # Seen failing once in a loaded full-suite run (b executed, not merged); the nodes say where each path led.
    assert a["status"] == "executed" and b["status"] == "merged" and b["merged_into"] == a["id"], (a, b)
    assert b["key"] == a["key"] and b["value"] == a["value"]
    assert double.count("value") == 1  # the merged state was not judged again


def three_children_policy(prompt: str, n: int, rng) -> list[str]:
    """The root proposes two categories and the search; below it the agent gives up."""
    if not url_of(prompt).endswith("/"):
        return ["stop [N/A]"] * n
    box = find_id(prompt, "searchbox", "Search")
    return spread(n, [(3, click(prompt, "link", "Beauty & Health")), (2, click(prompt, "link", "Electronics")),
                      (1, f"type [{box}] [{PRODUCT}] [1]")])


async def test_comparative_mode_scores_all_children_in_one_shuffled_call(session, shop):
    import re

    orders: list[list[str]] = []

    def compare(prompt, n, rng):
        blocks = re.findall(r"^OPTION (\d+):\n<<<PAGE \S+\nACTION (.*)\n  RESULTING URL: (\S*)", prompt, re.M)
        orders.append([a for _, a, _ in blocks])
        return ["\n".join(f"OPTION {k}: {0.5 if 'catalogsearch' in u else 0}" for k, _, u in blocks)] * n

    double = SearchDouble(three_children_policy, lukewarm, compare=compare)
    planner = BestFirstPlanner(branching=3, depth=1, budget=Budget(nodes=3), comparative=True, seed=3)
    plan, _ = await _plan_once(session, shop, planner, double)
    assert double.count("compare") == 1 and double.count("value") == 0 and len(orders[0]) == 3
    values = {n["target"]["name"]: n["value"] for n in plan.tree["nodes"][1:]}
    assert values == {"Beauty & Health": 0.0, "Electronics": 0.0, "Search": 0.5}
    assert "type [" in str(plan.actions[0])
    shown = [next(x for x in ("Beauty", "Electronics", "Search") if x in a) for a in orders[0]]
    assert sorted(shown) == ["Beauty", "Electronics", "Search"]
    assert shown != ["Beauty", "Electronics", "Search"]  # shuffled (against position bias), mapped back right


async def test_secrets_are_typed_while_exploring_but_never_reach_a_prompt(session, shop, tmp_path):
    from webagent.safety import Secrets

    def policy(prompt, n, rng):
        url = url_of(prompt)
        if url.endswith("/") and "value='{{Q}}'" in prompt:
            return ["scroll [down]"] * n
        if url.endswith("/"):
            box = find_id(prompt, "searchbox", "Search")
            return spread(n, [(2, f"type [{box}] [{{{{Q}}}}] [0]"), (1, click(prompt, "link", "Electronics"))])
        return ["stop [N/A]"] * n

    def value(prompt, n, rng):
        return [verdict(False, "/category/" in url_of(prompt) and field_of(prompt, "FINAL ANSWER") is None)] * n

    double = SearchDouble(policy, value)
    planner = BestFirstPlanner(branching=2, depth=2, budget=Budget(nodes=4))
    await Agent(double, planner, AgentConfig(max_steps=1), secrets=Secrets({"Q": "Zyxwvu-Secret"})).run(
        "Find something", shop.url + "/", session, tmp_path / "s")
    assert not any("Zyxwvu" in c["prompt"] for c in double.calls)
    assert any("value='{{Q}}'" in c["prompt"] for c in double.calls)  # it was typed, then masked
    tree = steps_of(tmp_path / "s")[0]["search_tree"]
    typed_child = next(n for n in tree["nodes"] if n.get("action") == "scroll [down]")
    # the masked state key matched after re-filling the secret (or switching back to the tab that kept it)
    assert typed_child["restore"] in ("restore", "tab")


def test_outcome_json_is_valid():
    assert json.loads(outcome_json("/x"))["url_change"] == "/x"


async def _root_context(session, url: str, delay: float) -> PlanContext:
    from webagent.llm.metered import MeteredChat
    from webagent.policy import Policy

    await session.goto(url)
    obs = await session.observe(ObserveOptions(screenshot=False))
    policy = Policy(MeteredChat(SearchDouble(dead_end_policy, progress_value, delay=delay)))
    return PlanContext(TASK, obs, [], policy, session, observe=ObserveOptions(screenshot=False))


def _shape(plan) -> list[tuple]:
    return [(n.get("canonical"), n["status"], n["value"], n["depth"]) for n in plan.tree["nodes"]]  # ids differ


async def test_one_planner_instance_serves_two_concurrent_episodes(session, shop, other):
    """All search state of a step lives in a per-call BestFirstSearch: two choose() calls on one planner, each
    driving its own browser, interleave (the doubles answer after a delay) and build the same tree a lone call
    builds, and the planner object holds no per-step state afterwards."""
    planner = BestFirstPlanner(branching=3, depth=3, budget=Budget(nodes=10), value_samples=1)
    alone = await planner.choose(await _root_context(session, shop.url + "/", 0.0))
    planner.caches = type(planner.caches)()  # the concurrent pair starts from cold caches too
    await other.new_context()
    ctx_a = await _root_context(session, shop.url + "/", 0.02)
    ctx_b = await _root_context(other, shop.url + "/", 0.02)
    a, b = await asyncio.gather(planner.choose(ctx_a), planner.choose(ctx_b))
    assert str(b.actions[0]).split()[0] == "type" and b.observation is not None
    assert b.observation.url.startswith(shop.url) and other.page.url.rstrip("/") == shop.url  # B's browser
    assert _shape(a) == _shape(b) == _shape(alone) and len(_shape(alone)) > 3
    assert str(a.actions[0]).split()[0] == "type"
    assert not [k for k in vars(planner) if k in ("_nodes", "_frontier", "_table", "_ctx", "_cur_obs")]


async def test_comparative_shuffle_is_drawn_per_step_not_from_the_shared_planner(session, shop, other):
    """The comparative judge's option order comes from a generator each step's search seeds (planner seed, task,
    page): the same step shows the same order alone and while another episode uses the same planner."""
    import re

    from webagent.llm.metered import MeteredChat
    from webagent.policy import Policy

    orders: list[list[str]] = []

    def compare(prompt, n, rng):
        blocks = re.findall(r"^OPTION (\d+):\n<<<PAGE \S+\nACTION (.*)\n  RESULTING URL: (\S*)", prompt, re.M)
        orders.append([re.sub(r"\[\d+\]", "[]", a) for _, a, _ in blocks])  # ids differ between browsers
        return ["\n".join(f"OPTION {k}: 0.5" for k, _, _ in blocks)] * n

    async def ctx(s):
        await s.goto(shop.url + "/")
        obs = await s.observe(ObserveOptions(screenshot=False))
        double = SearchDouble(three_children_policy, lambda p, n, r: [verdict(False, True)] * n, compare=compare,
                              delay=0.02)
        return PlanContext(TASK, obs, [], Policy(MeteredChat(double)), s, observe=ObserveOptions(screenshot=False))

    planner = BestFirstPlanner(branching=3, depth=1, budget=Budget(nodes=3), comparative=True, seed=5)
    await planner.choose(await ctx(session))
    await other.new_context()
    await asyncio.gather(planner.choose(await ctx(session)), planner.choose(await ctx(other)))
    assert len(orders) == 3 and len(orders[0]) == 3
    assert orders[1] == orders[0] and orders[2] == orders[0], orders
    assert not hasattr(planner, "rng")
