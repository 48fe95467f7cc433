"""The Planner seam: given the state of a step, choose the action(s) to execute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from observers import Observation
from webagent.actions import Action
from webagent.browser import BrowserSession
from webagent.policy import Policy, StepSummary


@dataclass
class PlanContext:
    """Everything a planner may use for one step."""

    intent: str
    obs: Observation
    history: list[StepSummary]
    policy: Policy
    session: BrowserSession
    last_error: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """The actions to commit (usually one) and the search tree that led to them, for the trajectory."""

    actions: list[Action]
    tree: dict[str, Any] | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)


class Planner(Protocol):
    name: str

    async def choose(self, ctx: PlanContext) -> Plan: ...
