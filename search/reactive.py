"""The reactive planner: ask the policy, execute its top-voted action."""

from __future__ import annotations

from search.base import Plan, PlanContext


class ReactivePlanner:
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
