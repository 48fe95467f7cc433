"""Planners that choose the next action: reactive, best-first tree search, world model, hybrid."""

from webagent.search.budget import Budget

from webagent.planner import Plan, PlanContext, Planner, ReactivePlanner

__all__ = ["Budget", "Plan", "PlanContext", "Planner", "ReactivePlanner", "make_planner", "PLANNERS"]

PLANNERS = ("reactive", "best-first", "world-model", "hybrid")


def make_planner(name: str = "reactive", *, samples: int | None = None, branching: int | None = None,
                 depth: int | None = None, budget: int | None = None, budget_tokens: int | None = None,
                 budget_seconds: float | None = None, value_samples: int | None = None,
                 sim_samples: int | None = None, commit: str | None = None, comparative: bool = False,
                 top_k: int | None = None, **_ignored) -> Planner:
    """A planner by its CLI name. Unset options take each planner's defaults."""
    name = name.replace("_", "-")
    if name == "reactive":
        return ReactivePlanner(samples=samples or 1)
    kw: dict = {}
    if samples and samples > 1:  # one sample gives one candidate: a search planner keeps its own default
        kw["samples"] = samples
    if branching:
        kw["branching"] = branching
    if value_samples:
        kw["value_samples"] = value_samples
    if budget is not None or budget_tokens is not None or budget_seconds is not None:
        default_nodes = {"best-first": 10, "hybrid": 6, "world-model": None}.get(name)
        kw["budget"] = Budget(nodes=budget if budget is not None else default_nodes, tokens=budget_tokens,
                              seconds=budget_seconds)
    if name == "world-model":
        from webagent.search.world_model import WorldModelPlanner
        if sim_samples:
            kw["sim_samples"] = sim_samples
        return WorldModelPlanner(**kw)
    if depth:
        kw["depth"] = depth
    if commit:
        kw["commit"] = commit
    if comparative:
        kw["comparative"] = True
    if name == "best-first":
        from webagent.search.best_first import BestFirstPlanner
        return BestFirstPlanner(**kw)
    if name == "hybrid":
        from webagent.search.hybrid import HybridPlanner
        if sim_samples:
            kw["sim_samples"] = sim_samples
        if top_k:
            kw["top_k"] = top_k
        return HybridPlanner(**kw)
    from webagent.errors import BadInput
    raise BadInput(f"unknown planner {name!r}; available: {', '.join(PLANNERS)}")
