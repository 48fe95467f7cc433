"""The Planner seam (given the state of a step, choose the action(s) to execute) and the default reactive planner.

Search planners in `webagent.search` implement this protocol; the agent loop knows only this module. Planners are
known by name in `PLANNERS`, each with its params dataclass (options, defaults, flags); a higher layer registers its
own through the `webagent.planners` plugin group (webagent.plugins): `load_planners()` loads that group, whose
entries register on import. Without one, only the reactive planner is offered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any, Protocol

from webagent import plugins
from webagent.actions import Action
from webagent.errors import BadInput, UnknownElement
from webagent.observers.identity import state_key
from webagent.options import build, opt
from webagent.resolve import Target, rebind

if TYPE_CHECKING:  # types only: the CLI imports this module, and these pull in Playwright
    from webagent.browser import BrowserSession
    from webagent.observers import Observation, ObserveOptions
    from webagent.policy import Policy, StepSummary
    from webagent.safety import Secrets
    from webagent.server_state import ServerSnapshots


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
    server: ServerSnapshots | None = None  # snapshots of the sites' state, when the run has them (server_state)


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


PARSE_LABELS = {"judge": "judge replies", "world_model": "predictions", "filter": "filter replies",
                "sim_policy": "imagined actions"}


def parse_note(tree: dict[str, Any] | None) -> str | None:
    """A search step's model replies that did not parse (the tree's `parse` counts), e.g. "2 of 9 judge replies
    unparsed"; None when all parsed, so a small model's failures are never silent."""
    counts = (tree or {}).get("parse") or {}
    bad = [f"{c['unparsed']} of {c['parsed'] + c['unparsed']} {PARSE_LABELS.get(k, k)}"
           for k, c in counts.items() if c.get("unparsed")]
    return "unparsed: " + ", ".join(bad) if bad else None


class Planner(Protocol):
    name: str

    async def choose(self, ctx: PlanContext) -> Plan: ...


@dataclass
class ReactiveParams:
    """The reactive planner's options and their defaults (the only place they are written)."""

    samples: int = opt(1, minimum=1, help="policy samples per step (one request with n)")


class ReactivePlanner:
    """Ask the policy, execute its top-voted action."""

    name = "reactive"

    def __init__(self, samples: int = ReactiveParams.samples) -> None:
        self.samples = samples

    def params(self) -> dict[str, Any]:
        return asdict(ReactiveParams(samples=self.samples))

    async def choose(self, ctx: PlanContext) -> Plan:
        cands = await ctx.policy.propose(ctx.intent, ctx.obs, ctx.history, n=self.samples,
                                         last_error=ctx.last_error, notes=ctx.notes)
        return Plan([cands[0].action], candidates=[
            {"action": str(c.action), "votes": c.votes, "share": round(c.share, 3)} for c in cands])


# -- the registry of planners by name: reactive here, the search planners register from webagent.search -------------

@dataclass(frozen=True)
class PlannerEntry:
    """A planner by name: its params dataclass (options, defaults, flags) and how to build it from them."""

    name: str
    params: type
    build: Callable[[Any], Planner]
    help: str = ""
    cli: bool = True  # offered by `--planner`; False for a name that only has to read back (gold runs)


PLANNERS: dict[str, PlannerEntry] = {}


def register_planner(name: str, params: type, build_fn: Callable[[Any], Planner], help: str = "",
                     cli: bool = True) -> None:
    PLANNERS[name] = PlannerEntry(name, params, build_fn, help, cli)


def planner_names() -> tuple[str, ...]:
    return tuple(PLANNERS)


def load_planners() -> dict[str, PlannerEntry]:
    """Every registered planner, after loading the `webagent.planners` plugins (their import registers them)."""
    for _name, register in plugins.load(plugins.PLANNERS):
        if callable(register):
            register()
    return PLANNERS


def planner_entry(name: str) -> PlannerEntry:
    """The registered planner `name` (`best_first` works for `best-first`); BadInput naming the known ones."""
    key = (name or "").replace("_", "-")
    if key not in PLANNERS:
        load_planners()
    entry = PLANNERS.get(key)
    if entry is None:
        raise BadInput(f"unknown planner {name!r}; available: {', '.join(PLANNERS)}")
    return entry


def make_planner(name: str = "reactive", **options: Any) -> Planner:
    """A planner by its name with `options` (None means: the planner's default). An option the planner does not
    have is a BadInput naming the ones it has; a value out of bounds names its flag."""
    entry = planner_entry(name)
    known = [f.name for f in fields(entry.params)]
    unknown = sorted(k for k in options if k not in known)
    if unknown:
        raise BadInput(f"planner {entry.name} has no option {', '.join(unknown)}; its options: {', '.join(known)}")
    return entry.build(build(entry.params, options, f"planner {entry.name}"))


register_planner("reactive", ReactiveParams, lambda p: ReactivePlanner(samples=p.samples),
                 "the policy's top-voted action")
