"""Search budgets in nodes, tokens and seconds, and a chat wrapper that refuses a call the budget cannot afford.

Tokens: before each call the wrapper estimates its worst case (prompt characters / 4, rounded up, plus `n *
max_tokens`) and refuses it (BudgetExhausted) when used + estimate would pass the limit, so the tokens a search spends
never exceed its budget for a backend that counts about 4 characters a token or more; calls in flight hold their
estimate, so concurrent calls (the world model's) cannot all pass the same check. Seconds: the planner runs the
search under `asyncio.timeout`, so work in flight at the deadline is abandoned and the best node so far is used.
Nodes: every evaluated child (executed for real, simulated or merged) is one node.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from webagent.llm.base import Completion, Message
from webagent.llm.metered import MeteredChat


class BudgetExhausted(Exception):
    def __init__(self, which: str) -> None:
        super().__init__(f"{which} budget exhausted")
        self.which = which


@dataclass
class Budget:
    """Limits for one step's search. None: no limit in that unit."""

    nodes: int | None = 10
    tokens: int | None = None
    seconds: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "tokens": self.tokens, "seconds": self.seconds}


def estimate_tokens(messages: list[Message], n: int, max_tokens: int) -> int:
    chars = sum(len(m["content"]) if isinstance(m.get("content"), str) else len(str(m.get("content")))
                for m in messages)
    return math.ceil(chars / 4) + n * max_tokens


class Meter:
    """What one step's search has used so far."""

    def __init__(self, budget: Budget, model: MeteredChat) -> None:
        self.budget = budget
        self.model = model
        self.t0 = time.perf_counter()
        self.tokens0 = model.usage.total_tokens
        self.calls0 = model.n_calls
        self.nodes = 0
        self.reserved = 0  # the estimates of calls in flight: concurrent calls cannot all pass the same check
        self.stop_reason: str | None = None
        self.frozen: float | None = None  # the search's seconds, fixed when it ends (committing comes after)

    def freeze(self) -> None:
        self.frozen = time.perf_counter() - self.t0

    @property
    def tokens(self) -> int:
        return self.model.usage.total_tokens - self.tokens0

    @property
    def calls(self) -> int:
        return self.model.n_calls - self.calls0

    @property
    def seconds(self) -> float:
        return self.frozen if self.frozen is not None else time.perf_counter() - self.t0

    def remaining_seconds(self) -> float | None:
        return None if self.budget.seconds is None else max(0.0, self.budget.seconds - self.seconds)

    def nodes_left(self) -> bool:
        return self.budget.nodes is None or self.nodes < self.budget.nodes

    def check_call(self, estimate: int) -> None:
        if self.budget.tokens is not None and self.tokens + self.reserved + estimate > self.budget.tokens:
            raise BudgetExhausted("tokens")
        if self.budget.seconds is not None and self.seconds >= self.budget.seconds:
            raise BudgetExhausted("seconds")

    def to_dict(self) -> dict[str, Any]:
        return {"limits": self.budget.to_dict(), "nodes": self.nodes, "tokens": self.tokens, "llm_calls": self.calls,
                "seconds": round(self.seconds, 3), "stop_reason": self.stop_reason}


class BudgetedChat:
    """A MeteredChat that checks the meter before every call (same `complete` signature, `purpose` included)."""

    def __init__(self, inner: MeteredChat, meter: Meter | None = None) -> None:
        self.inner = inner
        self.meter = meter
        self.name = inner.name

    @property
    def usage(self):
        return self.inner.usage

    async def complete(self, messages: list[Message], *, n: int = 1, temperature: float = 0.0,
                       max_tokens: int = 256, grammar: str | None = None, json_schema: dict[str, Any] | None = None,
                       purpose: str = "policy") -> Completion:
        meter = self.meter
        est = estimate_tokens(messages, n, max_tokens)
        if meter is not None:
            meter.check_call(est)
            meter.reserved += est
        try:
            return await self.inner.complete(messages, n=n, temperature=temperature, max_tokens=max_tokens,
                                             grammar=grammar, json_schema=json_schema, purpose=purpose)
        finally:
            if meter is not None:
                meter.reserved -= est
