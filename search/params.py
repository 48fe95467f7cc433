"""The search planners' options and their defaults, each planner's in one dataclass (its flags come from here).
Light on purpose: the CLI reads them to build its flags without importing the planners (and Playwright)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from webagent.options import opt

if TYPE_CHECKING:
    from webagent.search.budget import Budget


@dataclass
class BestFirstParams:
    """The best-first planner's options and their defaults (the only place they are written; flags come from here)."""

    branching: int = opt(3, minimum=1, help="candidates kept per node")
    depth: int = opt(3, minimum=1, help="search depth")
    samples: int | None = opt(None, minimum=1, help="policy samples per step, one request with n (default 2x "
                                                    "branching; 1 keeps that default: one sample leaves nothing "
                                                    "to search)")
    budget: int | None = opt(10, minimum=0, help="nodes evaluated per step (0 = no search)")
    budget_tokens: int | None = opt(None, minimum=0, help="LLM tokens per step, a hard cap")
    budget_seconds: float | None = opt(None, minimum=0, help="seconds of search per step")
    value_samples: int = opt(3, minimum=1, help="judge samples per value")
    commit: str = opt("first", choices=("first", "path"),
                      help="commit the first action and re-plan, or the whole best path, checked state by state")
    comparative: bool = opt(False, help="score all children of a node in one judge call")
    tabs: int = opt(2, minimum=0, help="live tabs kept for frontier states, so backtracking to one is a tab "
                                       "switch instead of a page load (0 = none)")

    def budget_obj(self) -> Budget:
        from webagent.search.budget import Budget
        return Budget(nodes=self.budget, tokens=self.budget_tokens, seconds=self.budget_seconds)

    def search_samples(self) -> int | None:
        return self.samples if self.samples and self.samples > 1 else None


@dataclass
class WorldModelParams:
    """The world-model planner's options and their defaults (the only place they are written)."""

    branching: int = opt(3, minimum=1, help="candidates kept per node")
    samples: int | None = opt(None, minimum=1, help="policy samples per step (default 2x branching)")
    sim_samples: int = opt(1, minimum=1, help="world-model predictions per candidate")
    value_samples: int = opt(3, minimum=1, help="judge samples per value")
    budget: int | None = opt(None, minimum=0, help="nodes evaluated per step (0 = no search)")
    budget_tokens: int | None = opt(None, minimum=0, help="LLM tokens per step, a hard cap")
    budget_seconds: float | None = opt(None, minimum=0, help="seconds of search per step")
    sim_depth: int = opt(1, minimum=1, help="imagined steps per candidate: the policy acts inside the predicted "
                                            "state and the world model predicts again (WebDreamer multi-step)")
    filter_candidates: bool = opt(False, help="one LLM call drops implausible candidates before simulation "
                                              "(WebDreamer self-refine)")


@dataclass
class HybridParams(BestFirstParams):
    """Best-first's options with the hybrid's own defaults, plus the world model's (the only place they are written)."""

    branching: int = opt(5, minimum=1, help="candidates kept per node")
    depth: int = opt(2, minimum=1, help="search depth")
    budget: int | None = opt(6, minimum=0, help="nodes evaluated per step (0 = no search)")
    sim_samples: int = opt(1, minimum=1, help="world-model predictions per candidate")
    top_k: int = opt(2, minimum=1, help="candidates the world model keeps for real exploration (hybrid)")
    sim_depth: int = opt(1, minimum=1, help="imagined steps per candidate: the policy acts inside the predicted "
                                            "state and the world model predicts again (WebDreamer multi-step)")
    filter_candidates: bool = opt(False, help="one LLM call drops implausible candidates before simulation "
                                              "(WebDreamer self-refine)")
