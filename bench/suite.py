"""Benchmark of the task suite's machinery: reset time per site, render time of each site's heaviest page,
the wall time to replay the whole gold suite through the real agent loop (one browser, one SiteGroup), then the
same gold suite through `webagent bench` executors: where a task's time goes (mean seconds per phase) and tasks
per minute for the process pool at 1 and 2 workers and for local Ray at 2 (skipped if Ray is not installed).
Walls include starting the workers (sites and browsers), as a user sees them.

    .venv/bin/python bench/suite.py [--repeat 5] [--tasks N] [--skip-machinery | --skip-executors]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webagent.tasks.runner import BenchConfig, PhaseClock, Worker, run_bench  # noqa: E402
from webagent.tasks.sites.server import SiteGroup  # noqa: E402
from webagent.tasks.spec import load_tasks  # noqa: E402

from webagent.browser import BrowserConfig, BrowserSession  # noqa: E402

SITES = ["shop", "shop_admin", "forum", "codehost", "wiki"]
HEAVIEST = {  # site -> (path, needs login)
    "shop": ("/catalogsearch/result/?q=&product_list_limit=48", False),
    "shop_admin": ("/admin/sales/order/?limit=200", True),
    "forum": ("/f/AskReddit/1", False),
    "codehost": ("/byteblaze/dotfiles/-/issues", True),
    "wiki": ("/index", False),
}


async def main(repeat: int) -> None:
    tasks = load_tasks("local")
    group = SiteGroup(SITES)
    t0 = time.perf_counter()
    group.start()
    print(f"start {len(SITES)} sites: {time.perf_counter() - t0:.2f} s")
    try:
        print("reset time per site (median of", repeat, "):")
        for s in SITES:
            ts = [group[s].reset() for _ in range(repeat)]
            print(f"  {s:<11} {1000 * statistics.median(ts):7.1f} ms")
        async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1"])) as session:
            w = Worker(BenchConfig(gold=True), Path(tempfile.mkdtemp(prefix="bench-suite-")), SITES, {},
                       group=group, session=session)
            await w.start()
            print("render time of the heaviest page (goto + load + settle, median of", repeat, "):")
            for s, (path, login) in HEAVIEST.items():
                state = await w.states.state_for_sites([s]) if login else None
                await session.new_context(state)
                ts = []
                for _ in range(repeat):
                    t = time.perf_counter()
                    await session.goto(group[s].url + path)
                    ts.append(time.perf_counter() - t)
                obs = await session.observe()
                print(f"  {s:<11} {path:<48} {1000 * statistics.median(ts):7.1f} ms  "
                      f"({len(obs.elements)} ids, {len(obs.text)} chars observed)")
            t = time.perf_counter()
            scores = []
            for task in tasks:
                scores.append((await w.run_task(task)).score)
            wall = time.perf_counter() - t
            ok = sum(1 for x in scores if x == 1.0)
            print(f"gold suite replay: {len(tasks)} tasks, {ok} scored 1.0, wall {wall:.1f} s "
                  f"({wall / len(tasks):.2f} s per task)")
    finally:
        group.stop()


def executors(n_tasks: int | None) -> None:
    """Gold suite through run_bench: pool x1, pool x2, Ray x2; per-phase means and tasks per minute."""
    ids = [t.task_id for t in load_tasks("local")][:n_tasks]
    runs = [("pool", 1), ("pool", 2), ("ray", 2)]
    try:
        import ray  # noqa: F401
    except ImportError:
        runs = runs[:2]
        print("(Ray is not installed: pip install 'webagent[ray]'; its row is skipped)")
    rates = {}
    for executor, workers in runs:
        out = Path(tempfile.mkdtemp(prefix="bench-exec-")) / "run"
        cfg = BenchConfig(gold=True, task_ids=ids, workers=workers, out=str(out),
                          executor="ray" if executor == "ray" else "local")
        t = time.perf_counter()
        _dir, summary = run_bench(cfg, print_fn=lambda s: None)
        wall = time.perf_counter() - t
        ok = summary["overall"]["passed"]
        rates[(executor, workers)] = len(ids) / wall * 60
        print(f"{executor:<5} x{workers}: {len(ids)} tasks, {ok} passed, {summary['overall']['errors']} errors, "
              f"wall {wall:6.1f} s, {wall / len(ids):.2f} s/task, {rates[(executor, workers)]:6.1f} tasks/min")
        if (executor, workers) == ("pool", 1):
            import json
            results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines() if x.strip()]
            per = {k: statistics.mean(r["phases"].get(k, 0.0) for r in results) for k in PhaseClock.PHASES}
            task_mean = statistics.mean(r["seconds"] for r in results)
            print(f"  mean seconds per gold task in a worker: {task_mean:.3f} "
                  f"(startup and hand-off: {wall / len(ids) - task_mean:.3f} s/task)")
            print("  " + "  ".join(f"{k} {v:.3f}" for k, v in per.items()))
    if ("pool", 2) in rates:
        print(f"speed-up of 2 pool workers over 1: {rates[('pool', 2)] / rates[('pool', 1)]:.2f}x")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--tasks", type=int, default=None, help="only the first N gold tasks in the executor runs")
    ap.add_argument("--skip-machinery", action="store_true", help="only the executor runs")
    ap.add_argument("--skip-executors", action="store_true", help="only the machinery and the in-process replay")
    a = ap.parse_args()
    if not a.skip_machinery:
        asyncio.run(main(a.repeat))
    if not a.skip_executors:
        executors(a.tasks)
