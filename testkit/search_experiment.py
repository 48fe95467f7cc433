"""The search experiment's parts, shared by bench/search.py and its smoke test: the shop tasks with gold sequences,
an episode with the noisy doubles, a point (one planner, budget and world-model error rate over tasks x seeds) with
its success, 95% Wilson interval and mean tokens, and the chart and table of the results."""

from __future__ import annotations

import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from webagent.observers import ObserveOptions
from webagent.observers.extract import IdCounter
from webagent.search import Budget, ReactivePlanner
from webagent.search.best_first import BestFirstPlanner
from webagent.search.hybrid import HybridPlanner
from webagent.search.world_model import WorldModelPlanner

from testkit.doubles_search import GoldStep, GoldTask, NoisyShopDouble
from webagent.actions import Action
from webagent.agent import Agent, AgentConfig
from webagent.browser import BrowserSession
from webagent.resolve import Target, bind

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



# ------------------------------------------------------------------------------------------------ statistics
def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a success rate k / n (sound for small n and rates near 0 or 1)."""
    if n == 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Point:
    """One planner at one budget and world-model error rate: an episode per (task, seed)."""

    planner: str
    budget: int
    wm_error: float | None  # None: the planner does not use the world model
    oks: list[bool] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)
    steps: list[int] = field(default_factory=list)

    @property
    def success(self) -> float:
        return sum(self.oks) / len(self.oks) if self.oks else 0.0

    @property
    def mean_tokens(self) -> float:
        return sum(self.tokens) / len(self.tokens) if self.tokens else 0.0

    def row(self) -> dict:
        lo, hi = wilson(sum(self.oks), len(self.oks))
        return {"planner": self.planner, "wm error": "-" if self.wm_error is None else f"{self.wm_error:g}",
                "budget": self.budget, "success": f"{sum(self.oks)}/{len(self.oks)} = {self.success:.0%}",
                "95% CI": f"{lo:.0%}-{hi:.0%}", "tokens/episode": round(self.mean_tokens),
                "steps/episode": round(sum(self.steps) / max(1, len(self.steps)), 1)}

    def to_dict(self) -> dict:
        lo, hi = wilson(sum(self.oks), len(self.oks))
        return {"planner": self.planner, "budget": self.budget, "wm_error": self.wm_error, "oks": self.oks,
                "tokens": self.tokens, "steps": self.steps, "success": round(self.success, 4),
                "ci95": [round(lo, 4), round(hi, 4)], "tokens_mean": round(self.mean_tokens, 1)}


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


USES_WORLD_MODEL = {"world-model", "hybrid"}
SPECS: dict[str, object] = {}  # task id -> suite Task, when the tasks come from the suite


async def episode(session: BrowserSession, base: str, task: GoldTask, planner, double, max_steps: int) -> dict:
    await session.new_context()
    session.counter = IdCounter()  # element ids from 1 in every episode: prompts do not depend on earlier episodes
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


@dataclass
class Doubles:
    """The noisy doubles' settings (one NoisyShopDouble per episode, seeded by the episode's seed)."""

    p: float = 0.4
    sigma: float = 0.25
    judge_fp: float = 0.1

    def make(self, tasks: list[GoldTask], seed: int, wm_error: float) -> NoisyShopDouble:
        return NoisyShopDouble(tasks, p=self.p, sigma=self.sigma, wm_error=wm_error, judge_fp=self.judge_fp,
                               seed=seed)


async def run_point(session: BrowserSession, base: str, point: Point, tasks: list[GoldTask], seeds: int,
                    doubles: Doubles, max_steps: int, log: Callable[[str], None] | None = None) -> Point:
    """Fill `point` with one episode per (task, seed), in a fixed order."""
    for task in tasks:
        for seed in range(seeds):
            e = await episode(session, base, task, planner_at(point.planner, point.budget, seed),
                              doubles.make(tasks, seed, point.wm_error or 0.0), max_steps)
            point.oks.append(e["ok"])
            point.tokens.append(e["tokens"])
            point.steps.append(e["steps"])
            if log:
                log(f"  {point.planner} c={point.budget} e={point.wm_error} {task.id} seed={seed}: "
                    f"{'ok' if e['ok'] else 'fail'} ({e['steps']} steps, {e['tokens']} tok, {e['seconds']:.1f} s)")
    return point


async def bench_experiment(session: BrowserSession, base: str, tasks: list[GoldTask], seeds: int,
                           budgets: list[int], wm_errors: list[float], doubles: Doubles, max_steps: int,
                           planners: tuple[str, ...] = ("reactive", "best-first", "world-model", "hybrid"),
                           log: Callable[[str], None] | None = None) -> list[Point]:
    """Reactive once (budget 0), each search planner at each budget > 0, those with a world model at each error
    rate."""
    points = []
    if "reactive" in planners:
        points.append(await run_point(session, base, Point("reactive", 0, None), tasks, seeds, doubles, max_steps,
                                      log))
    for name in (n for n in planners if n != "reactive"):
        for b in (b for b in budgets if b > 0):
            for err in (wm_errors if name in USES_WORLD_MODEL else [None]):
                points.append(await run_point(session, base, Point(name, b, err), tasks, seeds, doubles,
                                              max_steps, log))
    return points


def curves_svg(points: list[Point], wm_error: float) -> str:
    """Success against mean tokens per episode, one line per planner (those without a world model drawn in every
    error rate's chart)."""
    from webagent.plots import lines
    series: dict[str, list[tuple[float, float]]] = {}
    for pt in points:
        if pt.wm_error is None or pt.wm_error == wm_error:
            series.setdefault(pt.planner, []).append((round(pt.mean_tokens), pt.success))
    return lines(f"success vs tokens per episode, world-model error {wm_error:g} (doubles)", series,
                 "mean tokens per episode")


def table(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------ parts
