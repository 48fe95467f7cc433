"""Search benchmarks on the local shop; run by hand.

    python bench/search.py [--part restore|tabs|cost|experiment|all] [--seeds 5] [--budgets 5,15] [--wm-errors 0.1,0.4]

restore     backtracking cost: snapshot restore vs prefix replay (fresh context from the root snapshot, actions
            re-bound by role and name) at depths 1-4, medians of --reps, both verified by the state key.
tabs        backtracking to a state kept alive in a hidden tab (search --tabs N: the tab pool): tab switch vs
            snapshot restore vs prefix replay, the same states, medians of --reps, all verified by the state key.
cost        LLM calls and tokens per step of each planner at its defaults (noisy doubles, one episode of a task).
experiment  success against compute (tokens per episode) of reactive, best-first, world-model and hybrid at node
            budgets --budgets and world-model error rates --wm-errors, on shop tasks with gold sequences, with the
            noisy doubles of testkit/doubles_search.py: a policy that proposes the gold action with probability p
            among plausible distractors, a judge with Gaussian noise and false positives (--judge-fp), a world
            model that is wrong with probability --wm-errors in plausible ways. Every point is --seeds seeds x the
            tasks, its success a mean with a 95% Wilson interval. The doubles are seeded by the seed and the
            request (task, state, history), never the site's port: the same flags give the same numbers.
            These are doubles: the figures show how the planners respond to model error, not how a real model
            performs. World model at budget c: min(c, 5) candidates, each imagined max(1, c // 5) times. The
            tasks only read (exploration never sends a non-GET request), so the shop is not reset in between.
            --tasks suite (default): the bundled suite's read-only shop tasks (--task-limit: the first N),
            scored by the suite's evaluators; --tasks own: the four tasks defined below.

Parts register in PARTS (`@part(name)`): each takes the shared Bench (browser session, shop, flags) and returns
what goes into --json. The experiment's pieces (tasks, episode, Point, Wilson interval) are in
testkit/search_experiment.py, where its smoke test can import them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webagent.search import make_planner  # noqa: E402
from webagent.search.snapshot import (  # noqa: E402
    PathStep,
    Snapshot,
    act_and_observe,
    replay_path,
    restore,
    state_key,
    switch_to,
    take_snapshot,
    target_for,
)
from webagent.tasks.sites.server import SiteServer  # noqa: E402

import webagent  # noqa: E402,F401  (import order: webagent before search)
from testkit.doubles_search import GoldStep, GoldTask, NoisyShopDouble  # noqa: E402
from testkit.search_experiment import (  # noqa: E402,F401  (the experiment's parts live in testkit, for its test)
    OPTS,
    SPECS,
    TASKS,
    USES_WORLD_MODEL,
    Doubles,
    Point,
    bench_experiment,
    curves_svg,
    episode,
    gold_action,
    planner_at,
    run_point,
    table,
    wilson,
)
from webagent.actions import Action  # noqa: E402
from webagent.browser import BrowserConfig, BrowserSession  # noqa: E402


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
async def shop_states(session: BrowserSession, base: str) -> tuple[Snapshot, list[Snapshot]]:
    """The shop's home page snapshot and snapshots of four states reached from it (two clicks, a sort, a typed but
    unsubmitted search): what the restore and tab-pool timings go back to."""
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
    return root, snaps


async def restore_then_replay(session: BrowserSession, base: str, root: Snapshot,
                              snap: Snapshot) -> tuple[float, bool, float, bool]:
    """From another page: ms to restore `snap` and whether it was a restore, then ms to replay its path from the
    root and whether that reached the same state."""
    await session.goto(base + "/cms/faq")
    t0 = time.perf_counter()
    res = await restore(session, snap, root, OPTS, allow_replay=False)
    r_ms = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    out = await replay_path(session, root, snap.path, OPTS)
    return r_ms, res.method == "restore", (time.perf_counter() - t0) * 1000, state_key(out) == snap.key


async def bench_restore(session: BrowserSession, base: str, reps: int) -> list[dict]:
    root, snaps = await shop_states(session, base)
    rows = []
    for d, snap in enumerate(snaps, 1):
        r_ms, p_ms, r_ok, p_ok = [], [], 0, 0
        for _ in range(reps):
            r, r_good, p, p_good = await restore_then_replay(session, base, root, snap)
            r_ms.append(r)
            p_ms.append(p)
            r_ok += r_good
            p_ok += p_good
        r, p = statistics.median(r_ms), statistics.median(p_ms)
        rows.append({"depth": d, "restore_ms": round(r), "replay_ms": round(p), "ratio": round(r / p, 2),
                     "restore_verified": f"{r_ok}/{reps}", "replay_verified": f"{p_ok}/{reps}"})
    return rows

# ------------------------------------------------------------------------------------------------ tab pool
async def bench_tabs(session: BrowserSession, base: str, reps: int) -> list[dict]:
    """Per depth: the state is kept in a hidden tab (as search.tabpool parks it) while the active tab is elsewhere;
    then timed: switching back to that tab, restoring the snapshot in the active tab, replaying the prefix."""
    from webagent.browser import hide
    root, snaps = await shop_states(session, base)
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
            r, r_good, p, p_good = await restore_then_replay(session, base, root, snap)
            r_ms.append(r)
            p_ms.append(p)
            r_ok += r_good
            p_ok += p_good
        t, r, p = statistics.median(t_ms), statistics.median(r_ms), statistics.median(p_ms)
        rows.append({"depth": d, "tab_ms": round(t), "restore_ms": round(r), "replay_ms": round(p),
                     "tab/restore": round(t / r, 2), "tab/replay": round(t / p, 2),
                     "verified (tab, restore, replay)": f"{t_ok}, {r_ok}, {p_ok} of {reps}"})
    return rows


@dataclass
class Bench:
    """What every part shares: the browser session, the shop, the command line."""

    session: BrowserSession
    shop: SiteServer
    args: argparse.Namespace


PARTS: dict[str, Callable[[Bench], Awaitable[object]]] = {}


def part(name: str) -> Callable:
    def deco(fn: Callable[[Bench], Awaitable[object]]) -> Callable[[Bench], Awaitable[object]]:
        PARTS[name] = fn
        return fn
    return deco


@part("restore")
async def part_restore(b: Bench) -> object:
    rows = await bench_restore(b.session, b.shop.url, b.args.reps)
    print(f"\n## Backtracking: snapshot restore vs prefix replay (ms, median of {b.args.reps})\n")
    print(table(rows), flush=True)
    return rows


async def bench_cost(session: BrowserSession, base: str) -> list[dict]:
    rows = []
    for name in ("reactive", "best-first", "world-model", "hybrid"):
        per = []
        for seed in range(2):
            double = NoisyShopDouble(TASKS, p=0.5, sigma=0.25, seed=seed)
            per.append(await episode(session, base, TASKS[0], make_planner(name), double, 6))
        steps = sum(e["steps"] for e in per)
        purposes = sorted({k for e in per for k in e["calls"]})
        calls = {k: round(sum(e["calls"].get(k, 0) for e in per) / steps, 1) for k in purposes}
        rows.append({"planner": name, "steps": steps, "calls/step": round(sum(calls.values()), 1),
                     "by purpose": ", ".join(f"{k} {v}" for k, v in calls.items()),
                     "tokens/step": round(sum(e["tokens"] for e in per) / steps),
                     "s/step": round(sum(e["seconds"] for e in per) / steps, 2)})
    return rows


@part("tabs")
async def part_tabs(b: Bench) -> object:
    rows = await bench_tabs(b.session, b.shop.url, b.args.reps)
    print(f"\n## Backtracking to a kept tab vs restore vs replay (ms, median of {b.args.reps})\n")
    print(table(rows), flush=True)
    return rows


@part("cost")
async def part_cost(b: Bench) -> object:
    rows = await bench_cost(b.session, b.shop.url)
    print("\n## LLM calls and tokens per step at defaults (task price-search, noisy doubles p=0.5)\n")
    print(table(rows), flush=True)
    return rows


@part("experiment")
async def part_experiment(b: Bench) -> object:
    a = b.args
    tasks = TASKS
    if a.tasks == "suite":
        tasks, specs = await suite_tasks(b.session, b.shop.url)
        tasks = tasks[: a.task_limit] if a.task_limit else tasks
        SPECS.update(specs)
    print(f"tasks: {', '.join(t.id for t in tasks)}", flush=True)
    doubles = Doubles(a.p, a.sigma, a.judge_fp)
    budgets = [int(x) for x in a.budgets.split(",")]
    errors = [float(x) for x in a.wm_errors.split(",")]
    points = await bench_experiment(b.session, b.shop.url, tasks, a.seeds, budgets, errors, doubles, a.max_steps,
                                    tuple(a.planners.split(",")), lambda m: print(m, file=sys.stderr, flush=True))
    report(points, f"\n## Success vs compute ({len(tasks)} tasks x {a.seeds} seeds per point; doubles: policy "
           f"p={a.p}, judge noise sigma={a.sigma}, judge false positives {a.judge_fp}; 95% Wilson intervals)", a.svg)
    return {"points": [pt.to_dict() for pt in points], "doubles": vars(doubles), "seeds": a.seeds,
            "tasks": [t.id for t in tasks], "budgets": budgets, "wm_errors": errors}


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description="search benchmarks on the local shop (see the module doc)")
    ap.add_argument("--part", default="all", choices=[*PARTS, "all"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budgets", default="5,15", help="node budgets of the search planners (reactive is budget 0)")
    ap.add_argument("--wm-errors", default="0.1,0.4", help="world-model error rates")
    ap.add_argument("--p", type=float, default=0.4, help="probability a policy sample is the gold action")
    ap.add_argument("--sigma", type=float, default=0.25, help="the judge's Gaussian noise on progress")
    ap.add_argument("--judge-fp", type=float, default=0.1, help="the judge's false-positive rate")
    ap.add_argument("--max-steps", type=int, default=6)
    ap.add_argument("--tasks", default="suite", choices=["suite", "own"],
                    help="suite: the bundled suite's read-only shop tasks (default); own: the four defined here")
    ap.add_argument("--task-limit", type=int, default=0, help="only the first N suite tasks (0: all)")
    ap.add_argument("--planners", default="reactive,best-first,world-model,hybrid")
    ap.add_argument("--json", help="also write the results here")
    ap.add_argument("--svg", help="write one success-vs-tokens chart per error rate here ({e}: the error rate)")
    ap.add_argument("--merge", help="no runs: print the experiment table (and --svg) of these --json files, "
                                    "comma-separated (e.g. planners run in separate processes)")
    return ap


def report(points: list[Point], header: str, svg: str | None) -> None:
    print(header + "\n")
    print(table([pt.row() for pt in points]), flush=True)
    if svg:
        for err in sorted({pt.wm_error for pt in points if pt.wm_error is not None}):
            path = Path(svg.replace("{e}", f"{err:g}"))
            path.write_text(curves_svg(points, err))
            print(f"figure: {path}")


def merge(files: list[str], svg: str | None) -> dict:
    """The experiment parts of several --json files as one table."""
    points, meta = [], {}
    for f in files:
        exp = json.loads(Path(f).read_text())["experiment"]
        meta = {k: v for k, v in exp.items() if k != "points"}
        for d in exp["points"]:
            points.append(Point(d["planner"], d["budget"], d["wm_error"], d["oks"], d["tokens"], d["steps"]))
    dbl = meta.get("doubles", {})
    report(points, f"## Success vs compute ({len(meta.get('tasks', []))} tasks x {meta.get('seeds')} seeds per point; "
           f"doubles: policy p={dbl.get('p')}, judge noise sigma={dbl.get('sigma')}, judge false positives "
           f"{dbl.get('judge_fp')}; 95% Wilson intervals)", svg)
    return {"points": [pt.to_dict() for pt in points], **meta}


async def main(argv: list[str] | None = None) -> dict:
    args = parser().parse_args(argv)
    if args.merge:
        return merge(args.merge.split(","), args.svg)
    out: dict = {}
    with SiteServer("shop") as shop:
        async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1"])) as session:
            await check_gold(session, shop.url)
            print("gold sequences: all reach their states on the real shop", flush=True)
            bench = Bench(session, shop, args)
            for name, fn in PARTS.items():
                if args.part in (name, "all"):
                    out[name] = await fn(bench)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    asyncio.run(main())
