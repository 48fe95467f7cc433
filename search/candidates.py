"""Candidate actions for a search node: n policy samples in one request, canonicalised (verb, role and name of the
target, text), de-duplicated, the top b kept with their vote shares as priors, each classed by risk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webagent.observers import Observation
from webagent.search.snapshot import target_for

from webagent.actions import Action
from webagent.policy import Policy, StepSummary
from webagent.resolve import Target
from webagent.risk import classify


@dataclass
class Branch:
    action: Action
    key: str            # canonical form: equal for the same action whatever the element ids
    votes: int
    share: float        # votes / samples
    prior: float        # share renormalised over the kept candidates
    target: Target | None
    risk: str = "read"  # read | reversible | irreversible
    risk_reason: str = ""

    def label(self, obs: Observation | None = None) -> str:
        if self.target is not None:
            return f"{self.action} ({self.target.role} '{self.target.name}')"
        return str(self.action)

    def to_dict(self) -> dict[str, Any]:
        return {"action": str(self.action), "key": self.key, "votes": self.votes, "share": round(self.share, 3),
                "prior": round(self.prior, 3), "target": self.target.to_dict() if self.target else None,
                "risk": self.risk, "risk_reason": self.risk_reason}


def policy_for(base: Policy, model: Any) -> Policy:
    """A copy of `base` that calls `model` (a budgeted wrapper) with the same settings."""
    return Policy(model, temperature=base.temperature, max_tokens=base.max_tokens, constrain=base.constrain,
                  vision=base.vision)


async def propose(policy: Policy, intent: str, obs: Observation, history: list[StepSummary], n: int,
                  branching: int, last_error: str | None = None, notes: list[str] | None = None) -> list[Branch]:
    """The top `branching` distinct actions of `n` samples (one request), most voted first."""
    raw = await policy.propose(intent, obs, history, n=n, last_error=last_error, notes=notes)
    kept = raw[:branching]
    total = sum(c.votes for c in kept) or 1
    out = []
    for c in kept:
        risk, reason = await classify(c.action, obs)
        out.append(Branch(c.action, c.key, c.votes, c.share, c.votes / total, target_for(obs, c.action), risk, reason))
    return out
