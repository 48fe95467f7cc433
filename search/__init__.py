"""Planners that choose the next action: best-first tree search, world model, hybrid (reactive is in webagent).

Importing this package registers them by name in `webagent.planner.PLANNERS`, each with its params dataclass
(search/params.py: options, defaults and flags in one place), so `make_planner`, `webagent run` and `webagent bench`
know them. The planner modules themselves (and Playwright) load only when a planner is built."""

from typing import Any

from webagent.search.budget import Budget
from webagent.search.params import BestFirstParams, HybridParams, WorldModelParams

from webagent.planner import (
    PLANNERS,
    Plan,
    PlanContext,
    Planner,
    ReactivePlanner,
    make_planner,
    register_planner,
)

__all__ = ["Budget", "Plan", "PlanContext", "Planner", "ReactivePlanner", "make_planner", "PLANNERS"]


def _best_first(p: Any) -> Planner:
    from webagent.search.best_first import BestFirstPlanner
    return BestFirstPlanner.from_params(p)


def _world_model(p: Any) -> Planner:
    from webagent.search.world_model import WorldModelPlanner
    return WorldModelPlanner.from_params(p)


def _hybrid(p: Any) -> Planner:
    from webagent.search.hybrid import HybridPlanner
    return HybridPlanner.from_params(p)


def register() -> None:
    """Register the search planners by name (idempotent; also the `webagent.planners` plugin entry)."""
    register_planner("best-first", BestFirstParams, _best_first, "tree search over real pages")
    register_planner("world-model", WorldModelParams, _world_model,
                     "simulate each candidate with the LLM, execute the best")
    register_planner("hybrid", HybridParams, _hybrid, "the world model prunes, best-first explores the safe rest")


register()
