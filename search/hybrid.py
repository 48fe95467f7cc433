"""The hybrid planner: at every expansion the world model imagines and scores all candidates (concurrently), prunes
them to the top-k safe ones, and best-first explores only those for real; irreversible candidates are never
executed while exploring, their imagined value stands in for a real one. With `filter_candidates` one LLM call
first drops implausible candidates (WebDreamer's self-refine); `sim_depth` > 1 imagines several steps deep."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from webagent.search.best_first import BestFirstPlanner
from webagent.search.budget import Budget
from webagent.search.params import BestFirstParams, HybridParams
from webagent.search.world_model import WorldModel


class HybridPlanner(BestFirstPlanner):
    name = "hybrid"

    def __init__(self, branching: int = HybridParams.branching, depth: int = HybridParams.depth,
                 budget: Budget | None = None, samples: int | None = None,
                 value_samples: int = HybridParams.value_samples, sim_samples: int = HybridParams.sim_samples,
                 top_k: int = HybridParams.top_k, sim_depth: int = HybridParams.sim_depth,
                 filter_candidates: bool = HybridParams.filter_candidates, **kw) -> None:
        super().__init__(branching=branching, depth=depth,
                         budget=budget if budget is not None else Budget(nodes=HybridParams.budget),
                         samples=samples, value_samples=value_samples,
                         world_model=WorldModel(sim_samples, sim_depth=sim_depth), prune_k=top_k, **kw)
        self.filter = filter_candidates

    def params(self) -> dict[str, Any]:
        base = BestFirstPlanner.params(self)
        return asdict(HybridParams(**base, sim_samples=self.wm.sim_samples if self.wm else 1,
                                   top_k=self.prune_k or HybridParams.top_k,
                                   sim_depth=self.wm.sim_depth if self.wm else 1, filter_candidates=self.filter))

    @classmethod
    def from_params(cls, p: BestFirstParams) -> HybridPlanner:
        assert isinstance(p, HybridParams)
        return cls(branching=p.branching, depth=p.depth, budget=p.budget_obj(), samples=p.search_samples(),
                   value_samples=p.value_samples, sim_samples=p.sim_samples, top_k=p.top_k, commit=p.commit,
                   comparative=p.comparative, sim_depth=p.sim_depth, filter_candidates=p.filter_candidates)
