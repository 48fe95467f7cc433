"""Server snapshots on the real shop (best-first with scripted LLM doubles): a search explored for real leaves the
shop's database as it was (dump and page bytes), an order is even placed for real while exploring and undone;
without snapshots, what a GET writes (the shop's search log) stays; a root that cannot be restored makes the
planner choose again on the real page instead of committing the search's choice onto another page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from webagent.search import Budget
from webagent.search.best_first import BestFirstPlanner
from webagent.tasks.sites.snapshots import SiteSnapshots

from testkit.doubles_search import SearchDouble, field_of, find_id, spread, url_of, verdict
from webagent.llm.metered import MeteredChat
from webagent.planner import PlanContext
from webagent.policy import Policy

TERM = "corvex lamp"


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


def db_state(shop) -> tuple[list[str], bytes, bytes]:
    """(SQL dump, the file's bytes after its 100-byte header, the header without its bookkeeping counters)."""
    con = sqlite3.connect(shop.db_path)
    try:
        dump = list(con.iterdump())
    finally:
        con.close()
    raw = Path(shop.db_path).read_bytes()
    head = bytearray(raw[:100])
    for a, b in ((24, 28), (40, 44), (92, 96)):  # change counter, schema cookie, version-valid-for
        head[a:b] = b"\0" * (b - a)
    return dump, raw[100:], bytes(head)


def scalar(shop, sql: str, *args) -> int:
    con = sqlite3.connect(shop.db_path)
    try:
        return con.execute(sql, args).fetchone()[0]
    finally:
        con.close()


def logged(shop) -> int:
    return scalar(shop, "SELECT COUNT(*) FROM search_terms WHERE query=?", TERM)


def click(prompt: str, role: str, name: str) -> str:
    i = find_id(prompt, role, name)
    assert i is not None, f"no {role} {name!r} on {url_of(prompt)}"
    return f"click [{i}]"


def search_or_browse(prompt, n, rng):
    """At the home page: mostly a category link, else a search (a GET the shop logs, explored last, so only the
    commit's restore can undo it); nothing deeper."""
    if url_of(prompt).rstrip("/").count("/") == 2:
        box = find_id(prompt, "searchbox", "Search")
        return spread(n, [(3, click(prompt, "link", "Electronics")), (2, f"type [{box}] [{TERM}] [1]")])
    return ["stop [N/A]"] * n


async def _choose(session, shop, url: str, double, server, intent="Find a lamp", **kw):
    await session.goto(url)
    obs = await session.observe()
    planner = BestFirstPlanner(**{"branching": 2, "depth": 1, "budget": Budget(nodes=2), **kw})
    ctx = PlanContext(intent, obs, [], Policy(MeteredChat(double)), session, server=server)
    return await planner.choose(ctx), obs


async def test_a_search_explored_for_real_leaves_the_database_as_it_was(session, shop):
    shop.reset()
    before = db_state(shop)
    seen: list[int] = []

    def value(prompt, n, rng):
        seen.append(logged(shop))  # judged while the search explores: on the results page the term is logged
        return [verdict(False, "/category/" in url_of(prompt))] * n

    server = SiteSnapshots({Path(shop.db_path): [shop.url]})
    try:
        plan, obs = await _choose(session, shop, shop.url + "/", SearchDouble(search_or_browse, value), server)
    finally:
        server.close()
    nodes = plan.tree["nodes"]
    searched = next(n for n in nodes if "catalogsearch" in n["url"])
    assert searched["status"] == "executed" and 1 in seen  # the search really ran, and the shop logged it
    assert "Electronics" in str(plan.actions[0]) or plan.actions[0].verb == "click"
    assert db_state(shop) == before  # ... and the shop is back, byte for byte below the file header
    assert plan.tree["server_snapshots"]["tokens"] >= 2 and server.stats.writes >= 1


async def test_without_snapshots_get_requests_run_and_what_they_write_stays(session, shop):
    """The live-site guarantee (README): nothing but GETs leave the browser while exploring, and they run for
    real: the shop's search log keeps the term searched while exploring."""
    shop.reset()
    orders = scalar(shop, "SELECT COUNT(*) FROM orders")
    plan, _ = await _choose(session, shop, shop.url + "/", SearchDouble(
        search_or_browse, lambda p, n, r: [verdict(False, "/category/" in url_of(p))] * n), None)
    assert "server_snapshots" not in plan.tree
    assert logged(shop) == 1 and scalar(shop, "SELECT COUNT(*) FROM orders") == orders


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


async def test_an_order_is_placed_for_real_while_exploring_and_undone(session, shop):
    shop.reset()
    await _login_and_fill_cart(session, shop)
    before = db_state(shop)
    n_orders = scalar(shop, "SELECT COUNT(*) FROM orders")
    seen: dict[str, int] = {}

    def policy(prompt, n, rng):
        if url_of(prompt).endswith("/checkout/"):
            return spread(n, [(3, click(prompt, "link", "Electronics")), (2, click(prompt, "button", "Place Order"))])
        return ["stop [done]"] * n

    def value(prompt, n, rng):
        seen[url_of(prompt)] = scalar(shop, "SELECT COUNT(*) FROM orders")
        return [verdict(False, "success" in url_of(prompt))] * n

    server = SiteSnapshots({Path(shop.db_path): [shop.url]})
    try:
        plan, _ = await _choose(session, shop, shop.url + "/checkout/", SearchDouble(policy, value), server,
                                intent="Place the order")
    finally:
        server.close()
    place = next(n for n in plan.tree["nodes"] if n.get("risk") == "irreversible")
    assert place["status"] == "executed" and "/checkout/onepage/success" in place["url"]  # run, not simulated
    assert seen[place["url"]] == n_orders + 1  # the order existed while the search judged its page
    assert db_state(shop) == before and scalar(shop, "SELECT COUNT(*) FROM orders") == n_orders
    # the best path places the order: the agent commits it on the restored checkout page, not the search
    assert plan.tree["best"]["node"] == place["id"]
    assert plan.observation.elements[plan.actions[0].id].name == "Place Order"


async def test_a_root_that_cannot_be_restored_is_replanned_on_the_real_page(session, shop):
    """The root shows a one-shot flash message ("You are signed out."), which no restore brings back: the search
    must not commit its choice (made on the flashed page) but choose again on the page the agent is really on."""
    def policy(prompt, n, rng):
        url = url_of(prompt)
        if "signed out" in prompt:
            return spread(n, [(3, click(prompt, "link", "Beauty & Health")), (2, click(prompt, "link", "Electronics"))])
        if url.rstrip("/").count("/") == 2:  # the home page without the flash
            return [click(prompt, "link", "Sports & Outdoors")] * n
        return ["stop [N/A]"] * n

    def value(prompt, n, rng):
        return [verdict(False, "beauty" in url_of(prompt))] * n

    double = SearchDouble(policy, value)
    plan, root_obs = await _choose(session, shop, shop.url + "/customer/account/logout/", double, None)
    assert "You are signed out." in root_obs.text
    assert plan.tree["final_restore"]["method"] == "replay-mismatch"
    assert plan.tree["replanned"]["root_key"] != plan.tree["replanned"]["real_key"]
    assert plan.tree["best"]["path"][0].startswith("click")  # the search chose Beauty & Health on the flashed page
    action = plan.actions[0]
    assert plan.observation is not None and "signed out" not in plan.observation.text
    assert plan.observation.elements[action.id].name == "Sports & Outdoors"  # chosen again, on the real page
    assert field_of(double.calls[-1]["prompt"], "URL") is not None and double.calls[-1]["kind"] == "policy"


def test_snapshots_are_on_by_default_and_off_with_the_flag(tmp_path):
    from webagent.tasks.environment import BUNDLED

    from tests.scripted import ScriptedChat
    from webagent.agent import Agent
    from webagent.cli import build_parser
    from webagent.runconfig import config_from_args

    parser, _ = build_parser()
    on = config_from_args(parser.parse_args(["run", "--task", "t", "--url", "http://x"]))
    off = config_from_args(parser.parse_args(["run", "--task", "t", "--url", "http://x", "--no-server-snapshots"]))
    assert on.agent.server_snapshots and not off.agent.server_snapshots
    with BUNDLED.start(["wiki"]) as urls:  # what `run --site` gets from the environment
        snaps = BUNDLED.snapshots(urls)
        assert snaps is not None and snaps.origins == [urls["wiki"]]
        assert Agent(ScriptedChat([]), run_config=on, server=snaps).server is snaps
        assert Agent(ScriptedChat([]), run_config=off, server=snaps).server is None
        token = snaps.snapshot_sync()
        snaps.restore_sync(token)
        assert snaps.stats.copies == 1 and snaps.stats.writes == 0  # nothing written: nothing copied back
        snaps.close()
    assert BUNDLED.snapshots(urls) is None  # stopped


async def test_while_exploring_only_the_snapshotted_origins_take_state_changing_requests(session, shop, site):
    await session.goto(shop.url + "/")
    post = "(u) => fetch(u, {method: 'POST', body: 'x=1', mode: 'no-cors'}).then(() => 'sent', () => 'failed')"
    async with session.exploring([shop.url]):
        assert await session.page.evaluate(post, shop.url + "/cms/faq") == "sent"
        assert await session.page.evaluate(post, site.url + "/form.html") == "failed"
        async with session.exploring():  # nested (a path replay): the same origins
            assert await session.page.evaluate(post, shop.url + "/cms/faq") == "sent"
    assert session.blocked_requests == [f"POST {site.url}/form.html"]
