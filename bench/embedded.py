"""Step time of the embedded model (Gemma 3 270M through llama.cpp) on the bundled shop; run by hand.

    python bench/embedded.py [--steps 6] [--rounds 2] [--config page-full --config viewport ...] [--json OUT]

Runs the README's first task on the shop once per configuration and round, configurations interleaved so that
machine load hits them alike, and prints per configuration the median over all steps of: prompt tokens, prompt
tokens evaluated (the rest came from llama.cpp's KV cache), prefill ms, generate ms, the model call and the whole
step (observe + model + act), and the run's wall time. Configurations:

- page-full: whole-page observation, every prompt evaluated from scratch (no prefix reuse): the old behaviour's cost
- page: whole-page observation, prefix reuse
- viewport-720: the viewport and 720 px above and below, prefix reuse
- viewport: the viewport alone, prefix reuse (the embedded default of `webagent run`, EMBEDDED_OBSERVE)
- viewport-1t: as viewport with one prefill thread (to show what the thread split buys)
- viewport-library: as viewport, decoded by llama-cpp-python's sampler chain (grammar over the whole vocabulary
  per token) instead of webagent/llm/greedy.py

It also prints the quartiles of the step time, a 95% interval for its median (runs resampled) and which vector instructions the installed llama.cpp was built for
(scripts/setup.sh builds it for this CPU's).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from webagent.observers import ObserveOptions  # noqa: E402
from webagent.tasks.sites.server import SiteServer  # noqa: E402

from webagent.agent import run_task  # noqa: E402
from webagent.llm.embedded import EmbeddedLlama  # noqa: E402
from webagent.runconfig import EMBEDDED_OBSERVE, AgentConfig  # noqa: E402
from webagent.trajectory import load  # noqa: E402

TASK = "Search for Kestrel laptops and tell me the price of the first result"
CONFIGS = {
    "page-full": {"scope": "page", "reuse": False, "batch_threads": None},
    "page": {"scope": "page", "reuse": True, "batch_threads": None},
    "viewport-720": {"scope": "viewport", "margin": 720, "reuse": True, "batch_threads": None},
    "viewport": {**EMBEDDED_OBSERVE, "reuse": True, "batch_threads": None},
    "viewport-1t": {**EMBEDDED_OBSERVE, "reuse": True, "batch_threads": 1},
    "viewport-library": {**EMBEDDED_OBSERVE, "reuse": True, "batch_threads": None, "greedy_first": False},
}


def steps_of(run_dir: Path) -> list[dict[str, float]]:
    """Per step: the model calls' tokens and timings and the step's own time (observe + plan + act)."""
    out = []
    for step in load(run_dir).steps:
        t = {"prompt_tokens": 0.0, "evaluated_tokens": 0.0, "prefill_ms": 0.0, "generate_ms": 0.0, "model_ms": 0.0}
        for c in step.llm_calls:
            t["prompt_tokens"] += c.usage.prompt_tokens
            t["model_ms"] += c.ms
            for k in ("evaluated_tokens", "prefill_ms", "generate_ms"):
                t[k] += c.timings.get(k, 0.0)
        t["step_ms"] = sum(step.timings.get(k, 0.0) for k in ("observe_ms", "plan_ms", "act_ms"))
        out.append(t)
    return out


async def one_run(url: str, name: str, steps: int, out: Path) -> dict:
    c = CONFIGS[name]
    options = {"greedy_first": c["greedy_first"]} if "greedy_first" in c else {}
    model = EmbeddedLlama(reuse_prefix=c["reuse"], n_threads_batch=c["batch_threads"], **options)
    model.load().reset()  # an empty KV cache: each run takes the same path whatever ran before it
    base = AgentConfig(max_steps=steps)
    config = replace(base, observe=replace(ObserveOptions(), scope=c["scope"], margin=c.get("margin", 720)))
    t0 = time.perf_counter()
    res = await run_task(TASK, url, model, config=config, run_dir=out)
    wall = time.perf_counter() - t0
    return {"config": name, "wall_s": wall, "status": res.status, "steps": steps_of(out)}


def median_interval(runs: list[list[float]], draws: int = 2000) -> tuple[float, float]:
    """A 95% interval for the median step: runs drawn with replacement (a run's steps depend on each other: the
    prompt's random fence code steers the small model), their steps pooled, the median of each draw."""
    rng = random.Random(0)
    medians = sorted(statistics.median([x for r in rng.choices(runs, k=len(runs)) for x in r] or [0.0])
                     for _ in range(draws))
    return medians[int(0.025 * draws)], medians[int(0.975 * draws) - 1]


def summarise(runs: list[dict]) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for name in dict.fromkeys(r["config"] for r in runs):
        steps = [s for r in runs if r["config"] == name for s in r["steps"]]
        walls = [r["wall_s"] for r in runs if r["config"] == name]
        row = {k: statistics.median(s[k] for s in steps) for k in steps[0]} if steps else {}
        if len(steps) > 1:
            q = statistics.quantiles([s["step_ms"] for s in steps], n=4)
            row["step_p25_ms"], row["step_p75_ms"] = q[0], q[2]
            row["median_lo_ms"], row["median_hi_ms"] = median_interval([[s["step_ms"] for s in r["steps"]]
                                                                         for r in runs if r["config"] == name])
        row["steps"] = len(steps)
        row["run_wall_s"] = statistics.median(walls)
        table[name] = row
    return table


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=6, help="steps per run")
    ap.add_argument("--rounds", type=int, default=2, help="runs per configuration (interleaved)")
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS), help="configurations (default: all)")
    ap.add_argument("--json", metavar="OUT", help="also write the per-run figures here")
    args = ap.parse_args()
    names = args.config or list(CONFIGS)
    import llama_cpp
    features = [f.split("=")[0].strip() for f in llama_cpp.llama_print_system_info().decode().split("|")
                if f.strip().endswith("= 1")]
    print(f"llama.cpp {llama_cpp.__version__} built for: {' '.join(features)}", file=sys.stderr)
    EmbeddedLlama().load()  # load once, outside the timings
    runs = []
    with SiteServer("shop").start() as site, tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name in names:
                runs.append(asyncio.run(one_run(site.url, name, args.steps, Path(tmp) / f"{name}-{r}")))
                print(f"  {name} round {r + 1}: {runs[-1]['wall_s']:.1f} s, {runs[-1]['status']}", file=sys.stderr)
    table = summarise(runs)
    cols = ["steps", "prompt_tokens", "evaluated_tokens", "prefill_ms", "generate_ms", "model_ms", "step_ms",
            "step_p25_ms", "step_p75_ms", "median_lo_ms", "median_hi_ms", "run_wall_s"]
    print(f"{'config':<18}" + "".join(f"{c:>17}" for c in cols))
    for name, row in table.items():
        print(f"{name:<18}" + "".join(f"{row.get(c, 0):>17.1f}" for c in cols))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": runs, "median": table}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
