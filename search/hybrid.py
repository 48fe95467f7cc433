"""The hybrid planner: at every expansion the world model imagines and scores all candidates (concurrently), prunes
them to the top-k safe ones, and best-first explores only those for real; irreversible candidates are never
executed while exploring, their imagined value stands in for a real one."""

from __future__ import annotations

from webagent.search.best_first import BestFirstPlanner
from webagent.search.budget import Budget
from webagent.search.world_model import WorldModel


class HybridPlanner(BestFirstPlanner):
    name = "hybrid"

    def __init__(self, branching: int = 5, depth: int = 2, budget: Budget | None = None, samples: int | None = None,
                 value_samples: int = 3, sim_samples: int = 1, top_k: int = 2, **kw) -> None:
        super().__init__(branching=branching, depth=depth, budget=budget if budget is not None else Budget(nodes=6),
                         samples=samples, value_samples=value_samples, world_model=WorldModel(sim_samples),
                         prune_k=top_k, **kw)
