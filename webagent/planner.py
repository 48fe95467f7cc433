"""The Planner seam (given the state of a step, choose the action(s) to execute) and the default reactive planner.

Search planners in `webagent.search` implement this protocol; the agent loop knows only this module. They reach the
CLI and replay through a `PlannerProvider` registered in the `webagent.planners` plugin group (webagent.plugins);
without one, only the reactive planner is offered."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from webagent import plugins
from webagent.actions import Action
from webagent.errors import BadInput, UnknownElement
from webagent.observers.identity import state_key
from webagent.resolve import Target, rebind

if TYPE_CHECKING:  # types only: the CLI imports this module, and these pull in Playwright
    from webagent.browser import BrowserSession
    from webagent.observers import Observation, ObserveOptions
    from webagent.policy import Policy, StepSummary
    from webagent.safety import Secrets


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
    observe: ObserveOptions | None = None  # how the agent observes (planners that re-observe must match it)
    secrets: Secrets | None = None  # typed as placeholders; masked in what planners observe


@dataclass
class Plan:
    """The actions to commit (usually one) and the search tree that led to them, for the trajectory.

    A planner that moved the browser while searching returns the page back in its root state and sets
    `observation` to the fresh observation its first action is bound to (element ids change on a reload).
    A multi-action plan (commit the whole path) also gives, for every action, the target it was chosen on and the
    state key the search saw before it: the agent executes action i only when the live page has that key, re-bound
    by role and name, and re-plans otherwise."""

    actions: list[Action]
    tree: dict[str, Any] | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    observation: Observation | None = None
    targets: list[Target | None] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def continue_at(self, i: int, obs: Observation) -> Plan | None:
        """A one-action plan for action i on `obs`, or None when the page is not the state the search saw there."""
        if i >= len(self.actions) or i >= len(self.expected):
            return None
        key = state_key(obs)
        if key != self.expected[i]:
            return None
        try:
            action = rebind(self.actions[i], obs, self.targets[i] if i < len(self.targets) else None)
        except UnknownElement:
            return None
        return Plan([action], tree={"committed_path": {"index": i, "of": len(self.actions), "state_key": key}})


class Planner(Protocol):
    name: str

    async def choose(self, ctx: PlanContext) -> Plan: ...


class ReactivePlanner:
    """Ask the policy, execute its top-voted action."""

    name = "reactive"

    def __init__(self, samples: int = 1) -> None:
        self.samples = samples

    def params(self) -> dict:
        return {"samples": self.samples}

    async def choose(self, ctx: PlanContext) -> Plan:
        cands = await ctx.policy.propose(ctx.intent, ctx.obs, ctx.history, n=self.samples,
                                         last_error=ctx.last_error, notes=ctx.notes)
        return Plan([cands[0].action], candidates=[
            {"action": str(c.action), "votes": c.votes, "share": round(c.share, 3)} for c in cands])


class PlannerProvider(Protocol):
    """The planners a layer offers: their names, their command-line flags, and a factory by name."""

    names: tuple[str, ...]

    def add_flags(self, parser: argparse.ArgumentParser) -> None:
        """Add `--planner` and every planner option to a command's parser."""
        ...

    def from_args(self, args: argparse.Namespace) -> Planner:
        """The planner the parsed flags ask for; BadInput for a bad value."""
        ...

    def make(self, name: str, **params: Any) -> Planner:
        """A planner by name with these parameters (unset ones take the planner's defaults)."""
        ...


class ReactiveOnly:
    """The provider when no search layer is installed: the reactive planner and its `--samples`."""

    names = ("reactive",)

    def add_flags(self, parser: argparse.ArgumentParser) -> None:
        g = parser.add_argument_group("planner")
        g.add_argument("--planner", default="reactive", choices=self.names, help="reactive: the top-voted action")
        g.add_argument("--samples", type=int, default=None, help="policy samples per step (default 1)")

    def from_args(self, args: argparse.Namespace) -> Planner:
        if args.samples is not None and args.samples < 1:
            raise BadInput("--samples must be at least 1")
        return self.make(args.planner, samples=args.samples)

    def make(self, name: str, **params: Any) -> Planner:
        if name != "reactive":
            raise BadInput(f"unknown planner {name!r}; available: reactive (search planners need webagent.search)")
        return ReactivePlanner(samples=params.get("samples") or 1)


def planners() -> PlannerProvider:
    """The registered planner provider (the last one wins), else the reactive planner alone."""
    return plugins.last(plugins.PLANNERS) or ReactiveOnly()
