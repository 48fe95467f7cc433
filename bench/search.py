"""Search benchmarks on the local shop; run by hand.

    python bench/search.py [--part restore|tabs|cost|experiment|all] [--seeds 3] [--budgets 0,5,10,20] [--p 0.4]

restore     backtracking cost: snapshot restore vs prefix replay (fresh context from the root snapshot, actions
            re-bound by role and name) at depths 1-4, medians of --reps, both verified by the state key.
tabs        backtracking to a state kept alive in a hidden tab (search --tabs N: the tab pool): tab switch vs
            snapshot restore vs prefix replay, the same states, medians of --reps, all verified by the state key.
cost        LLM calls and tokens per step of each planner at its defaults (noisy doubles, one episode of a task).
experiment  success of reactive, best-first, world-model and hybrid at node budgets --budgets on a handful of shop
            tasks with gold sequences, with a noisy policy double (gold action with probability p among plausible
            distractors) and a noisy value double (true progress along the gold sequence plus Gaussian noise).
            Budget 0 is the reactive choice for every planner. World model at budget c: min(c, 5) candidates,
            each imagined c // 5 times (at least once). The tasks only read (the distractors are links and
            exploration never sends a non-GET request), so the shop is not reset between episodes.
            --tasks suite (default): the bundled suite's read-only shop tasks, scored by the suite's evaluators;
            --tasks own: the four tasks defined below.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webagent.observers import ObserveOptions  # noqa: E402
from webagent.search import Budget, ReactivePlanner, make_planner  # noqa: E402
from webagent.search.best_first import BestFirstPlanner  # noqa: E402
from webagent.search.hybrid import HybridPlanner  # noqa: E402
from webagent.search.snapshot import (  # noqa: E402
    PathStep,
    act_and_observe,
    replay_path,
    restore,
    state_key,
    switch_to,
    take_snapshot,
    target_for,
)
from webagent.search.world_model import WorldModelPlanner  # noqa: E402
from webagent.tasks.sites.server import SiteServer  # noqa: E402

import webagent  # noqa: E402,F401  (import order: webagent before search)
from testkit.doubles_search import GoldStep, GoldTask, NoisyShopDouble  # noqa: E402
from webagent.actions import Action  # noqa: E402
from webagent.agent import Agent, AgentConfig  # noqa: E402
from webagent.browser import BrowserConfig, BrowserSession  # noqa: E402
from webagent.resolve import Target, bind  # noqa: E402

OPTS = ObserveOptions(screenshot=False)

TASKS = [
    GoldTask("price-search", "What is the price of the Corvex Active Laptop Mini?", "/", [
        GoldStep("type", "searchbox", "Search", "Corvex Active Laptop Mini", r"/catalogsearch/result/\?q=Corvex",
                 "/catalogsearch/result/?q=Corvex+Active+Laptop+Mini"),
        GoldStep("click", "link", "Corvex Active Laptop Mini", url=r"/product/corvex-active-laptop-mini$",
                 example="/product/corvex-active-laptop-mini"),
        GoldStep("stop", text="$1,805.99")], "$1,805.99"),
    GoldTask("count-category", "How many items are in the Cameras & Photo category?", "/", [
        GoldStep("click", "link", "Electronics", url=r"/category/electronics$", example="/category/electronics"),
        GoldStep("click", "link", "Cameras & Photo 21 items", url=r"/category/electronics\?cat=11$",
                 example="/category/electronics?cat=11"),
        GoldStep("stop", text="21")], "21"),
    GoldTask("sort-audio", "Show the Audio products sorted by price", "/", [
        GoldStep("click", "link", "Electronics", url=r"/category/electronics$", example="/category/electronics"),
        GoldStep("click", "link", "Audio 21 items", url=r"/category/electronics\?cat=7$",
                 example="/category/electronics?cat=7"),
        GoldStep("select", "combobox", "Sort By", "Price", url=r"/category/electronics\?cat=7&.*product_list_order=price",
                 example="/category/electronics?cat=7&product_list_order=price"),
        GoldStep("stop", text="done")], "done"),
    GoldTask("price-deal", "What is the price of the Ostara Wireless Bluetooth Speaker S?", "/", [
        GoldStep("click", "link", "Ostara Wireless Bluetooth Speaker S",
                 url=r"/product/ostara-wireless-bluetooth-speaker-s$",
                 example="/product/ostara-wireless-bluetooth-speaker-s"),
        GoldStep("stop", text="$158.24")], "$158.24"),
]


async def suite_tasks(session: BrowserSession, base: str) -> tuple[list[GoldTask], dict[str, object]]:
    """The bundled suite's shop tasks that only read (no login, string or URL match, no form posts), turned into
    GoldTasks: the gold sequence is replayed once on the real shop to learn the URL after every step (the value
    double's notion of progress). Returns the tasks and their suite specs (for the suite's own evaluators)."""
    import re

    from webagent.tasks.spec import load_tasks, select, url_map
    out, specs = [], {}
    for t in select(load_tasks("local"), sites=["shop"]):
        if t.require_login or set(t.eval_types) - {"string_match", "url_match"} or not t.gold:
            continue
        if t.local_sites != ["shop"] or any("Add to" in (g.get("target") or {}).get("name", "") for g in t.gold):
            continue
        b = t.bind(url_map(local={"shop": base}))
        start = re.sub(r"^https?://[^/]+", "", b.start_url) or "/"
        await session.new_context()
        await session.goto(b.start_url)
        obs = await session.observe(OPTS)
        steps: list[GoldStep] = []
        for g in b.gold:
            tgt = g.get("target") or {}
            if g["verb"] == "stop":
                steps.append(GoldStep("stop", text=g.get("text") or ""))
                break
            step = GoldStep(g["verb"], tgt.get("role", ""), tgt.get("name", ""), g.get("text") or "")
            r, obs = await act_and_observe(session, obs, gold_action(step, obs, bool(g.get("press_enter"))), OPTS)
            if not r.ok:
                raise RuntimeError(f"{t.task_id}: gold step failed: {r.error}")
            path = re.sub(r"^https?://[^/]+", "", obs.url)
            step.url, step.example = re.escape(path) + "$", path
            steps.append(step)
        refs = (b.eval.get("reference_answers") or {}).get("must_include") or []
        answer = refs[0] if refs else (steps[-1].text if steps[-1].verb == "stop" else "")
        out.append(GoldTask(t.task_id, b.intent, start, steps, answer))
        specs[t.task_id] = b
    return out, specs


async def suite_ok(spec, answer: str | None, final_url: str) -> bool:
    from webagent.tasks.evaluators import evaluate_string, evaluate_url
    checks = []
    if "string_match" in spec.eval_types:
        checks += await evaluate_string(spec.eval, answer, spec.intent)
    if "url_match" in spec.eval_types:
        checks.append(evaluate_url(spec.eval, final_url))
    return bool(checks) and all(c.score == 1 for c in checks)


def gold_action(step: GoldStep, obs, press_enter: bool | None = None) -> Action:
    if step.verb == "stop":
        return Action("stop", text=step.text)
    enter = step.verb == "type" if press_enter is None else press_enter
    a = Action(step.verb, 0, step.text or None, enter)
    return bind(a, obs, Target(step.role, step.name))


async def check_gold(session: BrowserSession, base: str) -> None:
    """Every gold sequence reaches its URLs on the real site and its answer is on the final page."""
    for t in TASKS:
        await session.new_context()
        await session.goto(base + t.start)
        obs = await session.observe(OPTS)
        for s in t.steps:
            if s.verb == "stop":
                assert t.answer == "done" or t.answer in obs.text, (t.id, "answer not on the page")
                break
            r, obs = await act_and_observe(session, obs, gold_action(s, obs), OPTS)
            assert r.ok, (t.id, r.error)
            assert t.progress(obs.url) == t.steps.index(s) + 1, (t.id, obs.url)


# ------------------------------------------------------------------------------------------------ restore
async def bench_restore(session: BrowserSession, base: str, reps: int) -> list[dict]:
    await session.new_context()
    await session.goto(base + "/")
    obs = await session.observe(OPTS)
    root = await take_snapshot(session, obs)
    plan = [GoldStep("click", "link", "Electronics"), GoldStep("click", "link", "Computers 27 items"),
            GoldStep("select", "combobox", "Sort By", "Price"),
            GoldStep("type", "searchbox", "Search", "usb hub")]
    snaps, path = [], []
    for s in plan:
        a = gold_action(s, obs)
        if s.verb == "type":
            a = Action("type", a.id, s.text, False)  # typed, not submitted: a form value to restore
        path.append(PathStep(a, target_for(obs, a)))
        _, obs = await act_and_observe(session, obs, a, OPTS)
        snaps.append(await take_snapshot(session, obs, path))
    rows = []
    for d, snap in enumerate(snaps, 1):
        r_ms, p_ms, r_ok, p_ok = [], [], 0, 0
        for _ in range(reps):
            await session.goto(base + "/cms/faq")
            t0 = time.perf_counter()
            res = await restore(session, snap, root, OPTS, allow_replay=False)
            r_ms.append((time.perf_counter() - t0) * 1000)
            r_ok += res.method == "restore"
            t0 = time.perf_counter()
            out = await replay_path(session, root, snap.path, OPTS)
            p_ms.append((time.perf_counter() - t0) * 1000)
            p_ok += state_key(out) == snap.key
        r, p = statistics.median(r_ms), statistics.median(p_ms)
        rows.append({"depth": d, "restore_ms": round(r), "replay_ms": round(p), "ratio": round(r / p, 2),
                     "restore_verified": f"{r_ok}/{reps}", "replay_verified": f"{p_ok}/{reps}"})
    return rows


# ------------------------------------------------------------------------------------------------ tab pool
async def bench_tabs(session: BrowserSession, base: str, reps: int) -> list[dict]:
    """Per depth: the state is kept in a hidden tab (as search.tabpool parks it) while the active tab is elsewhere;
    then timed: switching back to that tab, restoring the snapshot in the active tab, replaying the prefix."""
    from webagent.browser import hide
    await session.new_context()
    await session.goto(base + "/")
    obs = await session.observe(OPTS)
    root = await take_snapshot(session, obs)
    plan = [GoldStep("click", "link", "Electronics"), GoldStep("click", "link", "Computers 27 items"),
            GoldStep("select", "combobox", "Sort By", "Price"),
            GoldStep("type", "searchbox", "Search", "usb hub")]
    snaps, path = [], []
    for s in plan:
        a = gold_action(s, obs)
        if s.verb == "type":
            a = Action("type", a.id, s.text, False)
        path.append(PathStep(a, target_for(obs, a)))
        _, obs = await act_and_observe(session, obs, a, OPTS)
        snaps.append(await take_snapshot(session, obs, path))
    rows = []
    for d, snap in enumerate(snaps, 1):
        t_ms, r_ms, p_ms, t_ok, r_ok, p_ok = [], [], [], 0, 0, 0
        for _ in range(reps):
            await session.new_context()  # the kept tab: the state restored in a tab, hidden, another tab active
            await restore(session, snap, root, OPTS)
            kept = session.page
            hide(kept, True)
            await session.blank_tab()
            await session.goto(base + "/cms/faq")
            elsewhere = session.page
            t0 = time.perf_counter()
            res = await switch_to(session, kept, snap, OPTS)
            t_ms.append((time.perf_counter() - t0) * 1000)
            t_ok += res.method == "tab"
            await elsewhere.close()
            await session.goto(base + "/cms/faq")
            t0 = time.perf_counter()
            res = await restore(session, snap, root, OPTS, allow_replay=False)
            r_ms.append((time.perf_counter() - t0) * 1000)
            r_ok += res.method == "restore"
            t0 = time.perf_counter()
            out = await replay_path(session, root, snap.path, OPTS)
            p_ms.append((time.perf_counter() - t0) * 1000)
            p_ok += state_key(out) == snap.key
        t, r, p = statistics.median(t_ms), statistics.median(r_ms), statistics.median(p_ms)
        rows.append({"depth": d, "tab_ms": round(t), "restore_ms": round(r), "replay_ms": round(p),
                     "tab/restore": round(t / r, 2), "tab/replay": round(t / p, 2),
                     "verified (tab, restore, replay)": f"{t_ok}, {r_ok}, {p_ok} of {reps}"})
    return rows


# ------------------------------------------------------------------------------------------------ episodes
def planner_at(name: str, budget: int, seed: int):
    if budget == 0 or name == "reactive":
        return ReactivePlanner(samples=6)
    if name == "best-first":
        return BestFirstPlanner(branching=3, depth=3, budget=Budget(nodes=budget), samples=6, seed=seed)
    if name == "hybrid":
        return HybridPlanner(branching=5, depth=2, top_k=2, budget=Budget(nodes=budget), samples=6, seed=seed)
    if name == "world-model":  # c node evaluations: min(c, 5) candidates x c // 5 imagined outcomes each
        return WorldModelPlanner(branching=min(budget, 5), samples=6, sim_samples=max(1, budget // 5))
    raise ValueError(name)


SPECS: dict[str, object] = {}  # task id -> suite Task, when the tasks come from the suite


async def episode(session: BrowserSession, base: str, task: GoldTask, planner, double, max_steps: int) -> dict:
    await session.new_context()
    with tempfile.TemporaryDirectory() as d:
        agent = Agent(double, planner, AgentConfig(max_steps=max_steps, observe=OPTS))
        t0 = time.perf_counter()
        r = await agent.run(task.intent, base + task.start, session, Path(d) / "run")
        secs = time.perf_counter() - t0
        steps = [json.loads(x) for x in (Path(d) / "run" / "trajectory.jsonl").read_text().splitlines()
                 if json.loads(x)["type"] == "step"]
    if task.id in SPECS:  # the suite's own evaluators (string / URL match)
        ok = r.status == "answered" and await suite_ok(SPECS[task.id], r.answer, r.final_url)
    else:
        ok = r.status == "answered" and task.correct(r.answer) and task.progress(r.final_url) >= len(task.steps) - 1
    calls: dict[str, int] = {}
    for s in steps:
        for c in s["llm_calls"]:
            calls[c["purpose"]] = calls.get(c["purpose"], 0) + 1
    return {"ok": ok, "steps": len(steps), "tokens": r.usage.total_tokens, "calls": calls, "seconds": secs}


async def bench_cost(session: BrowserSession, base: str) -> list[dict]:
    rows = []
    for name in ("reactive", "best-first", "world-model", "hybrid"):
        planner = make_planner(name)
        per = []
        for seed in range(2):
            double = NoisyShopDouble(TASKS, p=0.5, sigma=0.25, seed=seed)
            per.append(await episode(session, base, TASKS[0], planner if seed == 0 else make_planner(name),
                                     double, 6))
        steps = sum(e["steps"] for e in per)
        purposes = sorted({k for e in per for k in e["calls"]})
        calls = {k: round(sum(e["calls"].get(k, 0) for e in per) / steps, 1) for k in purposes}
        rows.append({"planner": name, "steps": steps, "calls/step": round(sum(calls.values()), 1),
                     "by purpose": ", ".join(f"{k} {v}" for k, v in calls.items()),
                     "tokens/step": round(sum(e["tokens"] for e in per) / steps),
                     "s/step": round(sum(e["seconds"] for e in per) / steps, 2)})
    return rows


async def bench_experiment(session: BrowserSession, shop: SiteServer, seeds: int, budgets: list[int], p: float,
                           sigma: float, max_steps: int, tasks: list[GoldTask],
                           planners: tuple[str, ...] = ("best-first", "world-model", "hybrid")) -> tuple[list[dict], dict]:
    results: dict[tuple[str, int], list[bool]] = {}
    extra: dict[tuple[str, int], list[dict]] = {}
    reactive_runs = []
    for task in tasks:
        for seed in range(seeds):
            e = await episode(session, shop.url, task, ReactivePlanner(samples=6),
                              NoisyShopDouble(tasks, p=p, sigma=sigma, seed=seed), max_steps)
            reactive_runs.append(e)
            print(f"  reactive {task.id} seed={seed}: {'ok' if e['ok'] else 'fail'} ({e['steps']} steps)",
                  file=sys.stderr, flush=True)
    for name in ("reactive", *planners):
        results[(name, 0)] = [e["ok"] for e in reactive_runs]
        extra[(name, 0)] = reactive_runs
    for name in planners:
        for b in budgets:
            if b == 0:
                continue
            runs = []
            for task in tasks:
                for seed in range(seeds):
                    runs.append(await episode(session, shop.url, task, planner_at(name, b, seed),
                                              NoisyShopDouble(tasks, p=p, sigma=sigma, seed=seed), max_steps))
                    print(f"  {name} c={b} {task.id} seed={seed}: {'ok' if runs[-1]['ok'] else 'fail'} "
                          f"({runs[-1]['steps']} steps, {runs[-1]['seconds']:.1f} s)", file=sys.stderr, flush=True)
            results[(name, b)] = [e["ok"] for e in runs]
            extra[(name, b)] = runs
    for b in budgets:
        if b != 0:
            results[("reactive", b)] = results[("reactive", 0)]
            extra[("reactive", b)] = extra[("reactive", 0)]
    rows = []
    for name in ("reactive", *planners):
        row = {"planner": name}
        for b in budgets:
            oks = results[(name, b)]
            runs = extra[(name, b)]
            row[f"c={b}"] = f"{sum(oks)}/{len(oks)}"
            row[f"tok c={b}"] = round(sum(e["tokens"] for e in runs) / len(runs))
        rows.append(row)
    return rows, {f"{k[0]}@{k[1]}": v for k, v in results.items()}


def table(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(out)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", default="all", choices=["restore", "tabs", "cost", "experiment", "all"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budgets", default="0,5,10,20")
    ap.add_argument("--p", type=float, default=0.4)
    ap.add_argument("--sigma", type=float, default=0.25)
    ap.add_argument("--max-steps", type=int, default=6)
    ap.add_argument("--tasks", default="suite", choices=["suite", "own"],
                    help="suite: the bundled suite's read-only shop tasks (default); own: the four defined here")
    ap.add_argument("--planners", default="best-first,world-model,hybrid")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()
    out: dict = {}
    with SiteServer("shop") as shop:
        async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1"])) as session:
            await check_gold(session, shop.url)
            print("gold sequences: all reach their states on the real shop", flush=True)
            if args.part in ("restore", "all"):
                rows = await bench_restore(session, shop.url, args.reps)
                out["restore"] = rows
                print(f"\n## Backtracking: snapshot restore vs prefix replay (ms, median of {args.reps})\n")
                print(table(rows), flush=True)
            if args.part in ("tabs", "all"):
                rows = await bench_tabs(session, shop.url, args.reps)
                out["tabs"] = rows
                print(f"\n## Backtracking to a kept tab vs restore vs replay (ms, median of {args.reps})\n")
                print(table(rows), flush=True)
            if args.part in ("cost", "all"):
                rows = await bench_cost(session, shop.url)
                out["cost"] = rows
                print("\n## LLM calls and tokens per step at defaults (task price-search, noisy doubles p=0.5)\n")
                print(table(rows), flush=True)
            if args.part in ("experiment", "all"):
                budgets = [int(x) for x in args.budgets.split(",")]
                tasks = TASKS
                if args.tasks == "suite":
                    tasks, specs = await suite_tasks(session, shop.url)
                    SPECS.update(specs)
                    print(f"suite tasks: {', '.join(t.id for t in tasks)}", flush=True)
                rows, raw = await bench_experiment(session, shop, args.seeds, budgets, args.p, args.sigma,
                                                   args.max_steps, tasks, tuple(args.planners.split(",")))
                out["experiment"] = {"rows": rows, "raw": raw, "p": args.p, "sigma": args.sigma,
                                     "seeds": args.seeds, "tasks": [t.id for t in tasks]}
                print(f"\n## Success vs compute ({len(tasks)} tasks x {args.seeds} seeds, policy p={args.p}, "
                      f"value noise sigma={args.sigma}; tok = mean tokens per episode)\n")
                print(table(rows), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
