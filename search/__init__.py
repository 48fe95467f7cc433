"""Planners that choose the next action: reactive, best-first tree search, world model, hybrid."""

from search.base import Plan, PlanContext, Planner
from search.reactive import ReactivePlanner

__all__ = ["Plan", "PlanContext", "Planner", "ReactivePlanner", "make_planner"]


def make_planner(name: str = "reactive", **kwargs) -> Planner:
    """A planner by its CLI name."""
    if name == "reactive":
        return ReactivePlanner(**{k: v for k, v in kwargs.items() if k == "samples"})
    from webagent.errors import BadInput
    raise BadInput(f"unknown planner {name!r}; available: reactive")
