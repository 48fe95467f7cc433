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
    """The text of every element matching a CSS selector, joined by spaces."""
    return await page.evaluate("(s) => [...document.querySelectorAll(s)].map(e => e.innerText).join(' ')", selector)


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
