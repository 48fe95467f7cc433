"""Per-step overhead outside the LLM (observe + act) on a typical and a heavy page; run by hand.

    python bench/step.py [--n 20]

Prints median and p95 in ms of observe, act and their sum, and the same-run baseline of Playwright's own
`aria_snapshot()` of the page (a bare accessibility snapshot with no ids, frames or screenshot), as a ratio.
Then a delayed-menu page (its menu renders 300 ms after the click and fades in): how often the observation taken
right after `click` shows the menu open, and what that click step costs; and the shop's `Sort By` list, whose change
reloads the page: the select step against loading the URL it leads to with `goto` (the same navigation and settle)."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webagent.tasks.sites.server import SiteServer  # noqa: E402

from testkit.fixture_site import FixtureServer  # noqa: E402
from webagent.actions import parse_action  # noqa: E402
from webagent.browser import BrowserConfig, BrowserSession  # noqa: E402
from webagent.executor import execute  # noqa: E402


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


async def measure(session: BrowserSession, url: str, n: int) -> dict[str, list[float]]:
    await session.goto(url)
    out: dict[str, list[float]] = {"observe": [], "act": [], "step": [], "aria_snapshot": []}
    for i in range(n + 2):
        t0 = time.perf_counter()
        obs = await session.observe()
        t1 = time.perf_counter()
        action = parse_action("scroll [down]" if i % 2 == 0 else "scroll [up]")
        res = await execute(session, obs, action)
        t2 = time.perf_counter()
        assert res.ok, res.error
        await session.page.locator("body").aria_snapshot(timeout=60_000)
        t3 = time.perf_counter()
        if i >= 2:  # warm-up
            out["observe"].append((t1 - t0) * 1000)
            out["act"].append((t2 - t1) * 1000)
            out["step"].append((t2 - t0) * 1000)
            out["aria_snapshot"].append((t3 - t2) * 1000)
    out["elements"] = [float(obs.stats["elements_total"])]
    return out


async def act_on(session: BrowserSession, role: str, name: str, action: str) -> float:
    """Observe, run `action` ({id} stands for the element with that role and name); the action's ms."""
    obs = await session.observe()
    target = next(e.id for e in obs.elements.values() if e.role == role and e.name == name)
    t0 = time.perf_counter()
    res = await execute(session, obs, parse_action(action.format(id=target)))
    assert res.ok, res.error
    return (time.perf_counter() - t0) * 1000


async def delayed_menu(session: BrowserSession, url: str, n: int) -> tuple[int, list[float]]:
    """Click the menu button n times on a fresh load; count observations that show the menu, time the clicks."""
    seen, act = 0, []
    for _ in range(n):
        await session.goto(url)
        act.append(await act_on(session, "button", "Menu", "click [{id}]"))
        after = await session.observe()
        seen += "menuitem 'Settings'" in after.text
    return seen, act


async def reloading_select(session: BrowserSession, url: str, n: int) -> tuple[list[float], list[float]]:
    """Sort a shop category by a <select> that reloads the page, alternating options; then load the URL it led to."""
    act, load = [], []
    await session.goto(url)
    for i in range(n):
        act.append(await act_on(session, "combobox", "Sort By", f"select [{{id}}] [{'Price' if i % 2 == 0 else 'Position'}]"))
        t0 = time.perf_counter()
        await session.goto(session.page.url)
        load.append((time.perf_counter() - t0) * 1000)
    return act, load


async def main(n: int) -> None:
    with FixtureServer() as site, SiteServer("shop") as shop:
        async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1", "localhost"])) as s:
            pages = {"fixture home": site.url + "/index.html",
                     "shop category (typical)": shop.url + "/category/electronics",
                     "shop search results": shop.url + "/catalogsearch/result/?q=laptop",
                     "heavy (6000 rows)": site.url + "/heavy?n=6000"}
            print(f"{'page':<24} {'elements':>8} {'observe p50/p95':>16} {'act p50/p95':>14} "
                  f"{'step p50/p95':>14} {'aria p50':>9} {'observe/aria':>12}")
            for name, url in pages.items():
                r = await measure(s, url, n)
                med = {k: statistics.median(v) for k, v in r.items()}
                print(f"{name:<24} {int(med['elements']):>8} "
                      f"{med['observe']:>7.0f}/{pct(r['observe'], .95):<7.0f} {med['act']:>6.0f}/{pct(r['act'], .95):<6.0f} "
                      f"{med['step']:>6.0f}/{pct(r['step'], .95):<6.0f} {med['aria_snapshot']:>9.0f} "
                      f"{med['observe'] / med['aria_snapshot']:>12.2f}")
            seen, act = await delayed_menu(s, site.url + "/fidelity/delayed-menu.html", max(5, n // 2))
            print(f"delayed menu (opens 300 ms after the click): open in the next observation {seen}/{len(act)}, "
                  f"click step p50 {statistics.median(act):.0f} ms")
            act, load = await reloading_select(s, shop.url + "/category/electronics", max(5, n // 2))
            print(f"select that reloads the page: step p50 {statistics.median(act):.0f} ms, goto of the same URL p50 "
                  f"{statistics.median(load):.0f} ms, ratio {statistics.median(act) / statistics.median(load):.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20)
    asyncio.run(main(ap.parse_args().n))
