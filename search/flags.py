"""Planner options for command lines (`webagent run`, and any runner that wants the same flags)."""

from __future__ import annotations

import argparse
from typing import Any

from webagent.search import PLANNERS, Planner, make_planner


def add_planner_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("planner")
    g.add_argument("--planner", default="reactive", choices=PLANNERS,
                   help="reactive (default): the top-voted action; best-first: tree search over real pages; "
                        "world-model: simulate each candidate with the LLM; hybrid: the world model prunes, "
                        "best-first explores the safe rest")
    g.add_argument("--samples", type=int, default=None,
                   help="policy samples per step (one request with n); default 1 for reactive, 2x branching else")
    g.add_argument("--branching", type=int, help="candidates kept per node (default 3; hybrid 5)")
    g.add_argument("--depth", type=int, help="search depth (default 3; hybrid 2)")
    g.add_argument("--budget", type=int, help="nodes evaluated per step (default 10; hybrid 6; 0 = no search)")
    g.add_argument("--budget-tokens", type=int, help="LLM tokens per step, a hard cap")
    g.add_argument("--budget-seconds", type=float, help="seconds of search per step")
    g.add_argument("--value-samples", type=int, help="judge samples per value (default 3)")
    g.add_argument("--sim-samples", type=int, help="world-model predictions per candidate (default 1)")
    g.add_argument("--commit", choices=("first", "path"),
                   help="commit the first action and re-plan (default) or the whole best path, checked state by state")
    g.add_argument("--comparative", action="store_true", help="score all children of a node in one judge call")


def planner_from_args(args: argparse.Namespace) -> Planner:
    for flag in ("branching", "depth", "value_samples", "sim_samples", "samples"):
        v = getattr(args, flag, None)
        if v is not None and v < 1:
            from webagent.errors import BadInput
            raise BadInput(f"--{flag.replace('_', '-')} must be at least 1")
    for flag in ("budget", "budget_tokens", "budget_seconds"):
        v = getattr(args, flag, None)
        if v is not None and v < 0:
            from webagent.errors import BadInput
            raise BadInput(f"--{flag.replace('_', '-')} cannot be negative")
    return make_planner(args.planner, samples=args.samples, branching=args.branching, depth=args.depth,
                        budget=args.budget, budget_tokens=args.budget_tokens, budget_seconds=args.budget_seconds,
                        value_samples=args.value_samples, sim_samples=args.sim_samples, commit=args.commit,
                        comparative=args.comparative)


class SearchPlanners:
    """The planners of webagent.search for the CLI and replay (webagent.planner.PlannerProvider), registered as
    the `search` entry point of the `webagent.planners` group."""

    names = PLANNERS

    def add_flags(self, parser: argparse.ArgumentParser) -> None:
        add_planner_flags(parser)

    def from_args(self, args: argparse.Namespace) -> Planner:
        return planner_from_args(args)

    def make(self, name: str, **params: Any) -> Planner:
        return make_planner(name, **params)


PROVIDER = SearchPlanners()
