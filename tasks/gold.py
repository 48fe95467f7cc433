"""GoldPlanner: replays a task's gold action sequence through the real agent loop.

Each gold action names its element by role and name; at every step the planner binds the next gold action to the
id that element has in the current observation (webagent.resolve.bind), so the real executor, recorder and
evaluators run exactly as they do for a model. A target that is not on the page is reported like an invalid reply
(the agent loop records it and asks again on the next observation, which may have finished loading)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webagent.actions import Action
from webagent.errors import BadInput, ParseError, UnknownElement
from webagent.planner import Plan, PlanContext, register_planner
from webagent.resolve import Target, bind


def gold_action(d: dict[str, Any]) -> tuple[Action, Target | None]:
    """A gold action dict -> (Action without id, Target or None)."""
    target = Target.from_dict(d["target"]) if d.get("target") else None
    action = Action(d["verb"], None, d.get("text"), bool(d.get("press_enter", False)), d.get("key"),
                    d.get("direction"), d.get("url"), d.get("index"))
    return action, target


class GoldPlanner:
    name = "gold"

    def __init__(self, gold: list[dict[str, Any]], stop_when_done: bool = True) -> None:
        self.gold = list(gold)
        self.i = 0
        self.stop_when_done = stop_when_done

    async def choose(self, ctx: PlanContext) -> Plan:
        if self.i >= len(self.gold):
            if not self.stop_when_done:
                raise ParseError("the gold sequence is exhausted")
            return Plan([Action("stop", text="")], candidates=[{"action": "stop []", "gold_step": None}])
        d = self.gold[self.i]
        action, target = gold_action(d)
        try:
            bound = bind(action, ctx.obs, target)
        except UnknownElement as e:
            raise ParseError(f"gold step {self.i}: {e}") from None
        self.i += 1
        return Plan([bound], candidates=[{"action": str(bound), "gold_step": self.i - 1,
                                          "target": target.to_dict() if target else None}])


@dataclass
class GoldParams:
    """The gold planner has no options: its actions come from the task, not from the run configuration."""


def _build_gold(_params: GoldParams) -> GoldPlanner:
    raise BadInput("the gold planner replays a task's gold sequence: run it with `webagent bench --gold`")


def register() -> None:
    """Make `gold` a known planner name (the `webagent.planners` entry point), so that the run configuration of a
    gold run, recorded in its trajectory header, reads back."""
    register_planner("gold", GoldParams, _build_gold, "replay a task's gold action sequence (bench --gold)",
                     cli=False)
