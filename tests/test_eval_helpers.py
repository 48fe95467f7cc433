"""program_html `func:` helpers: called as WebArena writes them, against the bundled shop's Magento-style REST API."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

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


POSTMILL = """<main id="main"><article><h1><a class="fg-inherit" href="/user/op">op</a></h1>
<span class="vote__net-score">5</span><div class="comment__content">the post</div>
<div class="comment__main"><header><h1><span><time datetime="2023-01-01T10:00:00+00:00">x</time></span></h1></header></div>
</article>
{comments}</main>"""


def _comment(user: str, text: str, hour: int, level: int, inner: str = "") -> str:
    return (f'<div class="comment" data-level="{level}"><div class="comment__main"><header><h1><span>'
            f'<a class="fg-inherit" href="/user/{user}">{user}</a> <time datetime="2023-01-01T{hour:02d}:00:00+00:00">'
            f'x</time></span></h1></header><span class="vote__net-score">1</span>'
            f'<div class="comment__content">{text}</div></div>{inner}</div>')


async def test_postmill_comment_helpers_in_a_real_page(session, site):
    await session.goto(site.url + "/")
    comments = (_comment("ann", "first by ann", 11, 1, _comment("bob", "bob answers ann", 12, 2,
                                                                _comment("ann", "ann again", 14, 3)))
                + _comment("cy", "cy says", 13, 1, _comment("bob", "bob answers cy", 15, 2)))
    await session.page.set_content(POSTMILL.format(comments=comments))
    page = session.page
    assert await call_helper("func:reddit_get_latest_comment_content_by_username(__page__, 'ann')", page, "", {}) \
        == "ann again"
    assert await call_helper("func:reddit_get_latest_comment_content_by_username(__page__, 'bob')", page, "", {}) \
        == "bob answers cy"
    assert await call_helper("func:reddit_get_parent_comment_username_of_latest_comment_by_username(__page__, 'bob')",
                             page, "", {}) == "cy"
    assert await call_helper("func:reddit_get_latest_comment_content_by_username(__page__, 'zed')", page, "", {}) == ""
    await session.page.set_content("<p>not a post</p>")
    assert await call_helper("func:reddit_get_latest_comment_content_by_username(__page__, 'ann')", page, "", {}) == ""


ORDER_PAGE = """<table id="my-orders-table">
<tbody><tr><td class="col name"><strong>Tea</strong><dl><dt>Size</dt><dd>Large</dd></dl></td>
<td class="col sku">B01TEA</td><td class="col price">$5.00</td><td class="col qty">Ordered3</td></tr></tbody>
<tbody><tr><td class="col name"><strong>Mug</strong></td><td class="col sku">B02MUG</td>
<td class="col price">$9.00</td><td class="col qty">Ordered1</td></tr></tbody></table>"""
PRODUCT_PAGE = """<div id="maincontent"><div class="columns"><div><div class="product-info-main">
<div class="product-info-price"><div class="price-box price-final_price"><span><span>$24.50</span></span></div></div>
<div class="rating-result" title="80%"></div></div></div></div></div>
<a id="tab-label-reviews-title">Reviews 12</a>
<table id="productDetails_detailBullets_sections1"><tbody><tr><th>Item Weight</th><td>1.2 pounds</td></tr>
<tr><th>Manufacturer</th><td>Acme</td></tr></tbody></table>"""


async def test_magento_page_helpers_in_a_real_page(session, site):
    await session.goto(site.url + "/")
    page = session.page
    await page.set_content(ORDER_PAGE)

    async def h(call: str) -> Any:
        return await call_helper("func:" + call, page, "", {})
    assert await h("shopping_get_order_product_quantity(__page__, 'B01TEA')") == 3
    assert await h("shopping_get_order_product_quantity(__page__, 'X |OR| B02MUG')") == 1
    assert await h("shopping_get_order_product_option(__page__, 'B01TEA', 'Size')") == "Large"
    assert (await h("shopping_get_order_product_name_list(__page__)")).startswith("Tea")
    await page.set_content(PRODUCT_PAGE)
    assert await h("shopping_get_product_price(__page__)") == 24.5
    assert await h("shopping_get_num_reviews(__page__)") == 12
    assert await h("shopping_get_rating_as_percentage(__page__)") == 80
    assert await h("shopping_get_product_attributes(__page__, 'weight |OR| manufacturer')") == "1.2 pounds, Acme"
    await page.set_content("<p>no product</p>")
    assert await h("shopping_get_product_price(__page__)") == 0
    assert await h("shopping_get_order_product_quantity(__page__, 'B01TEA')") == 0
