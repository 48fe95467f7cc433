"""Planners that choose the next action: best-first tree search, world model, hybrid (reactive is in webagent).

Importing this package registers them by name in `webagent.planner.PLANNERS`, each with its params dataclass (its
options, defaults and flags in one place), so `make_planner`, `webagent run` and `webagent bench` know them."""

from webagent.search.best_first import BestFirstParams, BestFirstPlanner
from webagent.search.budget import Budget
from webagent.search.hybrid import HybridParams, HybridPlanner
from webagent.search.world_model import WorldModelParams, WorldModelPlanner

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



def register() -> None:
    """Register the search planners by name (idempotent; also the `webagent.planners` plugin entry)."""
    register_planner("best-first", BestFirstParams, BestFirstPlanner.from_params, "tree search over real pages")
    register_planner("world-model", WorldModelParams, WorldModelPlanner.from_params,
                     "simulate each candidate with the LLM, execute the best")
    register_planner("hybrid", HybridParams, HybridPlanner.from_params,
                     "the world model prunes, best-first explores the safe rest")


register()
