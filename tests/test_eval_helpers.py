"""program_html `func:` helpers: called as WebArena writes them, against the bundled shop's Magento-style REST API."""

from __future__ import annotations

import re
import sqlite3

import pytest
from webagent.tasks.eval_helpers import HELPERS, _parse_func, call_helper
from webagent.tasks.sites.server import SiteGroup

from tests import webarena_reference as wref
from webagent.errors import BadInput, SetupError


@pytest.fixture(scope="module")
def shop():
    with SiteGroup(["shop"]) as g:
        yield g


def _db(shop) -> sqlite3.Connection:
    return sqlite3.connect(shop["shop"].db_path)


async def test_shop_helpers_as_webarena_calls_them(shop):
    sites = {"__SHOPPING__": shop.urls["shop"]}
    db = _db(shop)
    try:
        newest = db.execute("SELECT increment_id FROM orders ORDER BY created_at DESC, id DESC LIMIT 1").fetchone()[0]
        sku, nick, rating = db.execute(
            "SELECT p.sku, r.nickname, r.rating FROM reviews r JOIN products p ON p.id=r.product_id "
            "ORDER BY r.created_at DESC, r.id DESC LIMIT 1").fetchone()
        latest = db.execute("SELECT r.nickname FROM reviews r JOIN products p ON p.id=r.product_id WHERE p.sku=? "
                            "ORDER BY r.created_at DESC, r.id DESC LIMIT 1", (sku,)).fetchone()[0]
        bare = db.execute("SELECT sku FROM products WHERE id NOT IN (SELECT product_id FROM reviews) LIMIT 1").fetchone()
    finally:
        db.close()
    url = await call_helper("func:shopping_get_latest_order_url()", None, "", sites)
    assert url == f"{shop.urls['shop']}/sales/order/view/order_id/{int(newest)}/"
    assert await call_helper(f"func:shopping_get_sku_latest_review_author('{sku}')", None, "", sites) == latest == nick
    assert await call_helper(f"func:shopping_get_sku_latest_review_rating('{sku}')", None, "", sites) == str(rating * 20)
    if bare:
        assert await call_helper(f"func:shopping_get_sku_latest_review_author('{bare[0]}')", None, "", sites) == ""


async def test_shop_helper_errors_are_one_line(shop, monkeypatch):
    with pytest.raises(BadInput, match="__SHOPPING__"):
        await call_helper("func:shopping_get_latest_order_url()", None, "", {})
    monkeypatch.setenv("SHOPPING_ADMIN_PASSWORD", "wrong")
    with pytest.raises(SetupError, match="HTTP 401") as e:
        await call_helper("func:shopping_get_latest_order_url()", None, "", {"__SHOPPING__": shop.urls["shop"]})
    assert "\n" not in str(e.value)


def test_every_helper_webarena_uses_exists_and_parses():
    try:
        tasks = wref.raw_tasks()
    except ImportError:
        pytest.skip(wref.SKIP_REASON)
    calls = set()
    for t in tasks:
        for p in t["eval"].get("program_html") or []:
            for field in (p["url"], p["locator"]):
                if field.startswith("func:"):
                    calls.add(field)
    names = {re.match(r"func:(\w+)", c).group(1) for c in calls}
    assert names == {"reddit_get_post_url", "gitlab_get_project_memeber_role", "shopping_get_latest_order_url",
                     "shopping_get_sku_latest_review_author", "shopping_get_sku_latest_review_rating"}
    page = object()
    for c in calls:
        fn, args = _parse_func(c, page, "http://forum.test/f/a/1/x")
        assert fn is HELPERS[re.match(r"func:(\w+)", c).group(1)]
        if "__page__" in c:
            assert args[0] is page
        if "__last_url__" in c:
            assert args == ["http://forum.test/f/a/1/x"]
