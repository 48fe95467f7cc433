"""Planner sweeps: `webagent bench --planner reactive best-first --budget 5 10 20 --seeds 3` runs the grid of
configurations into one run directory, one ordinary bench run per configuration (`DIR/<label>/`), and writes
`DIR/summary.json` with one row per configuration (how search papers report success against compute).

A budget only applies to planners that have one: `reactive` runs once per seed whatever the budgets."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from dataclasses import fields as dc_fields
from pathlib import Path
from typing import Any

from webagent.tasks import rundir
from webagent.tasks.runner import BenchConfig, config_from_record, config_record, run_bench

from webagent.errors import BadInput
from webagent.planner import planner_entry
from webagent.runconfig import PlannerSettings

SWEEP = "sweep.json"  # in the sweep's directory: the points and their configurations, for `--resume DIR`
HOW = ("workers", "executor", "ray_address", "task_timeout")  # how a point runs, not what it measures


@dataclass(frozen=True)
class Point:
    """One configuration of a sweep."""

    planner: str
    budget: int | None = None
    seed: int | None = None

    @property
    def label(self) -> str:
        return (self.planner + (f"-b{self.budget}" if self.budget is not None else "")
                + (f"-s{self.seed}" if self.seed is not None else ""))


def grid(planners: list[str], budgets: list[int] | None, seeds: int | None) -> list[Point]:
    """Every (planner, budget, seed); a planner without a `budget` option gets one point per seed."""
    if seeds is not None and seeds < 1:
        raise BadInput("--seeds must be at least 1")
    if budgets and any(b < 0 for b in budgets):
        raise BadInput("--budget must be at least 0")
    out: list[Point] = []
    for name in dict.fromkeys(planners):
        has_budget = "budget" in {f.name for f in dc_fields(planner_entry(name).params)}
        for b in (dict.fromkeys(budgets) if budgets and has_budget else [None]):
            for s in (range(seeds) if seeds else [None]):
                out.append(Point(name, b, s))
    if budgets and not any(p.budget is not None for p in out):
        raise BadInput(f"--budget: none of the planners {', '.join(planners)} has a search budget")
    return out


def point_config(base: BenchConfig, p: Point, top: Path, options: dict[str, Any] | None = None) -> BenchConfig:
    """The bench configuration of one point: the base with this planner (given `options` it has), budget and model
    seed, running into `top/<label>`."""
    known = {f.name for f in dc_fields(planner_entry(p.planner).params)}
    params = {k: v for k, v in (options or {}).items() if k in known and k != "budget"}
    if p.budget is not None:
        params["budget"] = p.budget
    run = replace(base.run, planner=PlannerSettings(p.planner, params))
    if p.seed is not None:
        run = replace(run, model=replace(run.model, seed=p.seed))
    return replace(base, run=run, out=str(top / p.label), overwrite=False)


def is_sweep(path: str | Path) -> bool:
    return (Path(path) / SWEEP).exists()


def run_sweep(top: Path, configs: list[tuple[Point, BenchConfig]], print_fn: Callable[[str], None] = print
              ) -> tuple[Path, dict[str, Any]]:
    """Run every point into `top` (missing or empty); returns (top, summary with one row per point)."""
    if top.exists() and (not top.is_dir() or any(top.iterdir())):
        raise BadInput(f"{top} is not empty; resume it with `webagent bench --resume {top}` or give another --out")
    top.mkdir(parents=True, exist_ok=True)
    (top / SWEEP).write_text(json.dumps({"points": [{**p.__dict__, "config": config_record(c)}
                                                    for p, c in configs]}, indent=1))
    return _run(top, configs, print_fn, resume=False)


def resume_sweep(top: Path, invocation: BenchConfig, print_fn: Callable[[str], None] = print
                 ) -> tuple[Path, dict[str, Any]]:
    """Finish a sweep: each point resumes its run (or starts it) with its recorded configuration; how it runs
    (workers, executor, deadline, API key, secrets) comes from this invocation."""
    try:
        rec = json.loads((top / SWEEP).read_text(encoding="utf-8"))
        configs = [(Point(p["planner"], p.get("budget"), p.get("seed")), config_from_record(p["config"]))
                   for p in rec["points"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise BadInput(f"{top / SWEEP}: not a readable sweep record ({e})") from None
    configs = [(p, replace(c, **{k: getattr(invocation, k) for k in (*HOW, "api_key", "secrets")}))
               for p, c in configs]
    return _run(top, configs, print_fn, resume=True)


def _run(top: Path, configs: list[tuple[Point, BenchConfig]], print_fn: Callable[[str], None], resume: bool
         ) -> tuple[Path, dict[str, Any]]:
    print_fn(f"sweep: {len(configs)} configuration(s) into {top}: {', '.join(p.label for p, _ in configs)}")
    t0 = time.perf_counter()
    rows = []
    for i, (p, cfg) in enumerate(configs, 1):
        print_fn(f"sweep [{i}/{len(configs)}] {p.label}")
        sub = top / p.label
        if resume and (sub / rundir.CONFIG).exists():
            _d, s = run_bench(replace(cfg, out=None), print_fn, resume=sub, given=set(HOW))
        else:
            _d, s = run_bench(replace(cfg, out=str(sub)), print_fn)
        rows.append(row(p, s))
    summary = {"sweep": rows, "wall_seconds": round(time.perf_counter() - t0, 1)}
    (top / rundir.SUMMARY).write_text(json.dumps(summary, indent=1))
    print_fn(format_sweep(summary))
    return top, summary


def row(p: Point, s: dict[str, Any]) -> dict[str, Any]:
    o = s["overall"]
    return {"label": p.label, "planner": p.planner, "budget": p.budget, "seed": p.seed, "run": p.label,
            **{k: o[k] for k in ("tasks", "scored", "passed", "failed", "errors", "success_rate", "mean_steps",
                                 "tokens", "cost_usd", "seconds")},
            "tokens_per_task": round(o["tokens"] / o["tasks"], 1) if o["tasks"] else 0.0}


def format_sweep(s: dict[str, Any]) -> str:
    lines = [f"{'configuration':<28} {'tasks':>5} {'passed':>6} {'errors':>6} {'success':>7} {'steps':>6} "
             f"{'tok/task':>9} {'cost $':>8}"]
    for r in s["sweep"]:
        rate = "   n/a" if r["success_rate"] is None else f"{100 * r['success_rate']:5.1f}%"
        lines.append(f"{r['label']:<28.28} {r['tasks']:>5} {r['passed']:>6} {r['errors']:>6} {rate:>7} "
                     f"{r['mean_steps']:>6.1f} {r['tokens_per_task']:>9.1f} {r['cost_usd']:>8.4f}")
    lines.append(f"sweep wall time {s['wall_seconds']:.1f} s")
    return "\n".join(lines)
