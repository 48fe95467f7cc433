"""`func:` helpers of program_html checks, called as WebArena writes them (`func:name(args)`).

Arguments are literals, `__page__` for the page being checked, and `'__last_url__'` inside a string for the URL the
agent ended on. A helper that declares a keyword-only `page` or `sites` (placeholder -> base URL) gets it too.
Helpers may be plain or async functions. The shop helpers speak Magento's REST API, as WebArena's do; the bundled
shop serves the same calls (webagent.tasks.sites.shop.rest).
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from webagent.errors import BadInput, SetupError

# `func:` helpers by name. Arguments are written as WebArena writes them: literals, `__page__` for the page being
# checked, `'__last_url__'` inside a string for the URL the agent ended on. A helper that declares a keyword-only
# `page` or `sites` (placeholder -> base URL) gets it as well. Helpers may be plain or async functions.
HELPERS: dict[str, Callable[..., Any]] = {}


def helper(fn: Callable[..., Any]) -> Callable[..., Any]:
    HELPERS[fn.__name__] = fn
    return fn


@helper
async def get_query_text(page: Any, selector: str) -> str:
    """The textContent of the first element matching a CSS selector, "" when there is none (VisualWebArena's)."""
    from playwright.async_api import Error as PlaywrightError
    try:
        text = await page.evaluate("(s) => { try { return document.querySelector(s).textContent; } "
                                   "catch (e) { return ''; } }", selector)
    except PlaywrightError:
        return ""
    return text if isinstance(text, str) else ""


@helper
async def get_query_text_lowercase(page: Any, selector: str) -> str:
    return (await get_query_text(page, selector)).lower()


@helper
def reddit_get_post_url(url: str) -> str:
    """The post URL a forum URL points into, `scheme://host/f/<forum>/<id>/`; any other URL as it is (WebArena's)."""
    p = urllib.parse.urlparse(url)
    parts = p.path.split("/")
    if len(parts) < 4 or parts[1] != "f":
        return url
    return f"{p.scheme}://{p.netloc}/f/{parts[2]}/{parts[3]}/"


_GITLAB_ROLE_JS = """(acc) => {
  const accounts = [...document.querySelectorAll("td[data-label='Account'] span.gl-avatar-labeled-sublabel")];
  if (accounts.length) {
    const i = accounts.findIndex(e => e.outerText === '@' + acc);
    const roles = document.querySelectorAll("td.col-max-role span");
    return i >= 0 && roles[i] ? roles[i].outerText : "";
  }
  for (const row of document.querySelectorAll('tr')) {
    if (row.innerText.includes(acc)) { const r = row.querySelector('[data-role], .role');
      return r ? r.innerText.trim() : row.innerText; } }
  return "";
}"""


@helper
async def gitlab_get_project_memeber_role(page: Any, account_name: str) -> str:
    """The role of `account_name` on the members page the page shows: GitLab's member table as WebArena reads it;
    on the bundled codehost (no such table), the row naming the account. "" when it is not there."""
    from playwright.async_api import Error as PlaywrightError
    try:
        return str(await page.evaluate(_GITLAB_ROLE_JS, account_name))
    except PlaywrightError:
        return ""


def _parse_func(expr: str, page: Any, last_url: str) -> tuple[Callable[..., Any], list[Any]]:
    src = expr.split("func:", 1)[1].strip()
    try:
        call = ast.parse(src, mode="eval").body
    except SyntaxError:
        raise BadInput(f"program_html: cannot parse helper call {expr!r}") from None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise BadInput(f"program_html: {expr!r} is not a helper call like func:name(args)")
    fn = HELPERS.get(call.func.id)
    if fn is None:
        raise BadInput(f"program_html: unknown helper {call.func.id!r}; known: {', '.join(sorted(HELPERS))}")
    args: list[Any] = []
    for a in call.args:
        if isinstance(a, ast.Name) and a.id in ("__page__", "page"):
            args.append(page)
        else:
            try:
                v = ast.literal_eval(a)
            except ValueError:
                raise BadInput(f"program_html: argument of {expr!r} must be a literal or __page__") from None
            args.append(v.replace("__last_url__", last_url) if isinstance(v, str) else v)
    return fn, args


async def call_helper(expr: str, page: Any, last_url: str, sites: dict[str, str]) -> Any:
    fn, args = _parse_func(expr, page, last_url)
    params = inspect.signature(fn).parameters
    kw = {k: v for k, v in (("page", page), ("sites", sites))
          if k in params and params[k].kind is inspect.Parameter.KEYWORD_ONLY}
    value = fn(*args, **kw)
    return await value if inspect.isawaitable(value) else value


# ------------------------------------------------------------------------------------------------ shop (Magento REST)

def _shop(sites: dict[str, str]) -> str:
    base = sites.get("__SHOPPING__")
    if not base:
        raise BadInput("program_html: the shop helpers need the shop's URL (__SHOPPING__; set SHOPPING or --site-url)")
    return base.rstrip("/")


def _http_json(method: str, url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        raise SetupError(f"shop REST call {method} {url.split('?')[0]} answered HTTP {e.code}") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise SetupError(f"shop REST call {method} {url.split('?')[0]} failed: {e}") from None


async def _shop_get(sites: dict[str, str], path: str, params: dict[str, str] | None = None) -> Any:
    """GET a shop REST path with an admin token (WebArena's shopping_site_admin account unless
    SHOPPING_ADMIN_USERNAME / SHOPPING_ADMIN_PASSWORD say otherwise)."""
    base = _shop(sites)
    creds = {"username": os.environ.get("SHOPPING_ADMIN_USERNAME", "admin"),
             "password": os.environ.get("SHOPPING_ADMIN_PASSWORD", "admin1234")}
    token = await asyncio.to_thread(_http_json, "POST", f"{base}/rest/default/V1/integration/admin/token", creds)
    url = f"{base}{path}" + ("?" + urllib.parse.urlencode(params) if params else "")
    return await asyncio.to_thread(_http_json, "GET", url, None, str(token))


@helper
async def shopping_get_latest_order_url(*, sites: dict[str, str]) -> str:
    """The shop's newest order as WebArena builds its URL: `/sales/order/view/order_id/<int(increment_id)>/`."""
    obj = await _shop_get(sites, "/rest/V1/orders", {"searchCriteria[sortOrders][0][field]": "created_at",
                                                     "searchCriteria[sortOrders][0][direction]": "DESC",
                                                     "searchCriteria[pageSize]": "1"})
    items = obj.get("items") or []
    if not items:
        raise SetupError("shopping_get_latest_order_url: the shop has no orders")
    return f"{_shop(sites)}/sales/order/view/order_id/{int(items[0]['increment_id'])}/"


@helper
async def shopping_get_sku_latest_review_author(sku: str, *, sites: dict[str, str]) -> str:
    """The nickname on the newest review of a product ("" when it has none)."""
    reviews = await _shop_get(sites, f"/rest/V1/products/{urllib.parse.quote(sku)}/reviews")
    return str(reviews[-1]["nickname"]) if reviews else ""


@helper
async def shopping_get_sku_latest_review_rating(sku: str, *, sites: dict[str, str]) -> str:
    """The rating of the newest review of a product as Magento's percent (4 stars -> "80"; "" when none)."""
    reviews = await _shop_get(sites, f"/rest/V1/products/{urllib.parse.quote(sku)}/reviews")
    return str(reviews[-1]["ratings"][0]["percent"]) if reviews else ""


@helper
async def shopping_get_sku_latest_review_text(sku: str, *, sites: dict[str, str]) -> str:
    """The text of the newest review of a product ("" when it has none)."""
    reviews = await _shop_get(sites, f"/rest/V1/products/{urllib.parse.quote(sku)}/reviews")
    return str(reviews[-1]["detail"]) if reviews else ""


# ------------------------------------------------------------------------------------------------ forum (Postmill)

# A post page's comment tree as Postmill marks it up: #main holds the post, `.comment[data-level]` its comments.
_POSTMILL_TREE_JS = """() => {
  const build = (node, level) => ({
    username: node.querySelector('.fg-inherit').outerText,
    net_score: parseInt(node.querySelector('.vote__net-score').outerText),
    content: node.querySelector('.comment__content').outerText,
    time: new Date(node.querySelector('.comment__main > header > h1 > span > time').dateTime),
    children: [...node.querySelectorAll('.comment')]
      .filter(c => parseInt(c.getAttribute('data-level')) === level + 1).map(c => build(c, level + 1)),
  });
  return build(document.querySelector('#main'), 0);
}"""


async def _comment_tree(page: Any) -> dict[str, Any]:
    from playwright.async_api import Error as PlaywrightError
    try:
        return await page.evaluate(_POSTMILL_TREE_JS) or {}
    except PlaywrightError:
        return {}


def latest_comment(tree: dict[str, Any], username: str, parent: bool = False) -> dict[str, Any]:
    """The newest comment by `username` in a comment tree (or, with `parent`, the comment it answers), as
    VisualWebArena picks it: {} when there is none or the tree is not one."""
    import datetime as dt
    latest = dt.datetime.min.replace(tzinfo=dt.UTC)
    found: dict[str, Any] = {}

    def pick(node: dict[str, Any]) -> dict[str, Any]:
        return {k: node[k] for k in ("username", "net_score", "content", "time")}

    def walk(node: dict[str, Any]) -> None:
        nonlocal latest, found
        if not parent and node["username"] == username and node["time"] > latest:
            found, latest = pick(node), node["time"]
        for child in node["children"]:
            if parent and child["username"] == username:
                if child["time"] > latest:
                    found, latest = pick(node), child["time"]
            else:
                walk(child)
    try:
        walk(tree)
    except Exception:  # noqa: BLE001 (not a comment tree: nothing found, as in VisualWebArena)
        return {}
    return found


@helper
async def reddit_get_latest_comment_obj_by_username(page: Any, username: str) -> dict[str, Any]:
    return latest_comment(await _comment_tree(page), username)


@helper
async def reddit_get_latest_comment_content_by_username(page: Any, username: str) -> str:
    """The text of the newest comment `username` wrote on the post page ("" when none)."""
    return str(latest_comment(await _comment_tree(page), username).get("content", ""))


@helper
async def reddit_get_parent_comment_username_of_latest_comment_by_username(page: Any, username: str) -> str:
    """Who wrote the comment that `username`'s newest reply answers ("" when none)."""
    return str(latest_comment(await _comment_tree(page), username, parent=True).get("username", ""))


# ------------------------------------------------------------------------------------------------ shop pages (Magento)

# The items of an order page (#my-orders-table, one tbody per item, a td per column named by its second class;
# the options of an item as dt/dd pairs inside the name cell).
_ORDER_ITEMS_JS = """() => [...document.querySelector('#my-orders-table').getElementsByTagName('tbody')].map(body => {
  const item = {};
  for (const td of body.getElementsByTagName('td')) {
    const key = td.className.split(' ')[1];
    item[key] = td.outerText;
    const dl = td.querySelector('dl');
    if (key === 'name' && dl) {
      const options = {};
      const kids = [...dl.children];
      for (let i = 0; i < kids.length; i += 2) options[kids[i].outerText] = kids[i + 1].outerText;
      item.options = options;
    }
  }
  return item;
})"""


async def _evaluate_or(page: Any, js: str, default: Any, arg: Any = None) -> Any:
    """A page expression's value, or `default` when it throws (the page is not the expected one)."""
    from playwright.async_api import Error as PlaywrightError
    try:
        return await page.evaluate(js, arg)
    except PlaywrightError:
        return default


async def order_items(page: Any) -> list[dict[str, Any]]:
    items = await _evaluate_or(page, _ORDER_ITEMS_JS, [])
    return items if isinstance(items, list) else []


@helper
async def shopping_get_order_product_name_list(page: Any) -> str:
    """The names of an order page's items, as ` |OR| ` alternatives."""
    try:
        return " |OR| ".join(p["name"] for p in await order_items(page))
    except (KeyError, TypeError):
        return ""


@helper
async def shopping_get_order_product_quantity(page: Any, sku: str) -> int:
    """How many of the item with this SKU (or one of ` |OR| ` SKUs) the order page lists (0 when none)."""
    skus = sku.split(" |OR| ") if "|OR|" in sku else [sku]
    try:
        for p in await order_items(page):
            if p["sku"].strip() in skus:
                return int(p["qty"][len("Ordered"):])  # the cell reads "Ordered<n>"
    except (KeyError, TypeError, ValueError, AttributeError):
        return 0
    return 0


@helper
async def shopping_get_order_product_option(page: Any, sku: str, option_name: str) -> str:
    """The value of an item's option (Size, Color, ...) on the order page ("" when none)."""
    try:
        for p in await order_items(page):
            if p["sku"].strip() == sku:
                return p["options"][option_name]
    except (KeyError, TypeError, AttributeError):
        return ""
    return ""


@helper
async def shopping_get_product_attributes(page: Any, attribute: str) -> str:
    """The values of the product details rows whose label contains the attribute (or one of ` |OR| ` ones),
    joined by ", "."""
    js = """(attr) => { try {
      const terms = attr.toLowerCase().split(' |or| ');
      return [...document.querySelector('#productDetails_detailBullets_sections1 > tbody').children]
        .filter(row => terms.some(t => row.children[0].outerText.toLowerCase().includes(t)))
        .map(row => row.children[1].outerText).join(', ');
    } catch (e) { return ''; } }"""
    return await _evaluate_or(page, js, "", attribute)


@helper
async def shopping_get_product_price(page: Any) -> float | int:
    """The product page's final price as a number (0 when there is none)."""
    js = """() => { const p = parseFloat(document.querySelector('#maincontent > div.columns > div > '
      + 'div.product-info-main > div.product-info-price > div.price-box.price-final_price > span > span')
      .outerText.substr(1)); return p ? p : 0; }"""
    return await _evaluate_or(page, js, 0)


@helper
async def shopping_get_num_reviews(page: Any) -> int:
    """The number in the product page's "Reviews N" tab (0 when there is none)."""
    js = """() => { const n = parseInt(document.querySelector('#tab-label-reviews-title').outerText.split(' ')[1]);
      return n ? n : 0; }"""
    return await _evaluate_or(page, js, 0)


@helper
async def shopping_get_rating_as_percentage(page: Any) -> float | int:
    """The product page's rating as a percentage (0 when there is none)."""
    js = """() => { const r = parseFloat(document.querySelector('.rating-result').title.replace('%', ''));
      return r ? r : 0; }"""
    return await _evaluate_or(page, js, 0)
