"""Drive a browser session one action at a time from outside, with the agent's safety and record.

The agent loop decides for itself; the gymnasium environment (webagent.env) and the MCP server (webagent.mcp_server)
let a caller decide. Both go through a `Controller`: observations have secrets masked as in the agent loop, actions
run through `execute` (allowlist, secret binding, the action policy set on the session), and every step can be
recorded in a run directory that `webagent view` reads like any run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webagent.actions import Action, parse_action
from webagent.browser import BrowserSession
from webagent.errors import NavigationError, PageUnresponsive, ParseError
from webagent.executor import ActionResult, execute
from webagent.observers import Observation, ObserveOptions
from webagent.recorder import Recorder, mask_secrets
from webagent.records import Evaluation, Footer, Header, Step
from webagent.safety import Secrets
from webagent.vision import ext_of


@dataclass
class Outcome:
    """What one action did: ok, or the error the caller reads (kind as in webagent.errors, `parse_error` for text
    that is not an action); `answer` when the action was `stop [answer]`."""

    action: str
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    stopped: bool = False
    answer: str | None = None
    url: str = ""
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "ok": self.ok, "error": self.error, "error_kind": self.error_kind,
                "stopped": self.stopped, "answer": self.answer, "url": self.url, "timings": dict(self.timings)}


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000, 1)


class Controller:
    """One session driven from outside. `observe()` before `act()`: ids are those of the last observation."""

    def __init__(self, session: BrowserSession, *, secrets: Secrets | None = None,
                 options: ObserveOptions | None = None) -> None:
        self.session = session
        self.secrets = secrets or Secrets()
        self.options = options or ObserveOptions()
        self.obs: Observation | None = None
        self.steps = 0
        self.recorder: Recorder | None = None
        self._blocked_seen = 0
        session.secrets = self.secrets
        session.mask_values = list(self.secrets.values.values())

    # -- recording ------------------------------------------------------------------------------------------
    def record_to(self, run_dir: str | Path, task: dict[str, Any], config: dict[str, Any]) -> Path:
        """Record the following steps in `run_dir` (a new run: header now, footer at `finish`)."""
        self.finish("interrupted", None, "a new recording started")
        self.recorder = Recorder(run_dir, self.secrets)
        self.recorder.header(Header(task, {
            "secrets": self.secrets.describe(), "viewport": list(self.session.config.viewport),
            "action_policy": self.session.action_policy.describe() if self.session.action_policy is not None
            else None, **config}))
        self._blocked_seen = len(self.session.blocked_requests)
        return self.recorder.dir

    def finish(self, status: str, answer: str | None, reason: str, evaluation: dict[str, Any] | None = None) -> None:
        """Write the footer of the recording in progress (if any) and close it."""
        rec, self.recorder = self.recorder, None
        if rec is None:
            return
        try:
            url = self.session.page.url if self.session.context is not None else ""
        except NavigationError:
            url = ""
        rec.footer(Footer(status, answer, reason, self.steps, url,
                          evaluation=Evaluation.from_dict(evaluation) if evaluation is not None else None))
        rec.close()

    # -- the page -------------------------------------------------------------------------------------------
    async def open(self, url: str) -> None:
        """Open `url` in the active tab (the first URL that opens in a context seeds its allowlist, as in `run`).
        Raises BadInput for a malformed URL and NavigationError when it cannot be opened or is not allowed."""
        self.obs = None
        seeded = self.session._seeded
        for attempt in range(2):
            try:
                await self.session.goto(url)
                return
            except NavigationError as e:
                # the error page of an earlier failed open can still be committing and cut this navigation short
                if attempt == 0 and "interrupted by another navigation" in str(e):
                    continue
                if not seeded:  # a first page that did not open does not fix the allowlist (a mistyped port)
                    self.session._seeded = False
                raise

    async def observe(self, options: ObserveOptions | None = None) -> Observation:
        """Observe the active tab, with secrets masked in the text and pictures as the agent loop does."""
        obs = await self.session.observe(options or self.options)
        try:
            await self.session.guard(mask_secrets(self.session.page, obs, self.secrets, policy=self.session.policy),
                                     "masking secrets")
        except PageUnresponsive as e:
            obs.screenshot = obs.marked_screenshot = None  # it may show a secret that could not be masked
            obs.notices.append(str(e))
        self.obs = obs
        return obs

    async def act(self, text: str) -> Outcome:
        """Parse and execute one action of the action language on the last observation (observing first when
        there is none). Never raises for a bad action: the outcome carries the error."""
        t0 = time.perf_counter()
        if self.obs is None:
            await self.observe()
        obs = self.obs
        assert obs is not None
        self.steps += 1
        try:
            action = parse_action(text.strip())
        except ParseError as e:
            out = Outcome(text, False, str(e), e.kind, url=obs.url, timings={"act_ms": _ms(t0)})
            self._record(obs, None, None, out)
            return out
        if action.verb == "stop":
            out = Outcome(str(action), True, stopped=True, answer=action.text or "", url=obs.url,
                          timings={"act_ms": _ms(t0)})
            self._record(obs, action, None, out)
            return out
        result = await execute(self.session, obs, action, self.secrets)
        self.obs = None  # ids of the next action come from a new observation
        out = Outcome(str(action), result.ok, self.secrets.redact(result.error), result.error_kind,
                      url=self.secrets.redact(result.url_after), timings={"act_ms": round(result.ms, 1)})
        self._record(obs, action, result, out)
        return out

    def _record(self, obs: Observation, action: Action | None, result: ActionResult | None, out: Outcome) -> None:
        rec = self.recorder
        if rec is None:
            return
        blocked = self.session.blocked_requests
        new_blocked, self._blocked_seen = blocked[self._blocked_seen:], len(blocked)
        rec.step(Step.observed(
            self.steps, obs, action, result, error=out.error,
            timings={"observe_ms": 0.0, "plan_ms": 0.0, "act_ms": out.timings.get("act_ms", 0.0)},
            blocked=new_blocked, screenshot=rec.screenshot(self.steps, obs.screenshot, ext_of(obs.screenshot or b""))))
