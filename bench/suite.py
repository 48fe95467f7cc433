"""Benchmark of the task suite's machinery: reset time per site, render time of each site's heaviest page,
and the wall time to replay the whole gold suite through the real agent loop (one browser, one SiteGroup).

    .venv/bin/python bench/suite.py [--repeat 5]
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

from webagent.tasks.runner import BenchConfig, Worker  # noqa: E402
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


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(ap.parse_args().repeat))
