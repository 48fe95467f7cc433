"""The agent loop: observe, plan, act, record, until the agent stops, runs out of steps or loops."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from webagent.actions import Action
from webagent.browser import BrowserConfig, BrowserSession
from webagent.errors import ImagesUnsupported, LLMError, NavigationError, PageUnresponsive, ParseError
from webagent.executor import ActionResult, execute
from webagent.llm.base import ChatModel, Usage
from webagent.llm.metered import MeteredChat
from webagent.observers import Observation, ObserveOptions
from webagent.observers.identity import state_key
from webagent.planner import Plan, PlanContext, Planner, ReactivePlanner, parse_note
from webagent.policy import Policy, StepSummary
from webagent.recorder import Recorder, mask_secrets, new_run_dir, redact_artifacts
from webagent.runconfig import AgentConfig, RunConfig
from webagent.safety import Secrets
from webagent.server_state import ServerSnapshots
from webagent.stoprules import StopRules
from webagent.vision import crop_candidates, ext_of, load_images, observe_options, require_vision


@dataclass
class StepRecord:
    """What the CLI prints for a step, as it happens."""

    step: int
    action: str
    url: str
    ms: float
    tokens: int
    ok: bool
    error: str | None = None
    note: str | None = None  # e.g. the search's model replies that did not parse


@dataclass
class RunResult:
    status: str  # answered | max_steps | loop | errors | llm_error | navigation_error | timeout | interrupted
    answer: str | None
    steps: int
    reason: str
    run_dir: Path
    usage: Usage
    final_url: str = ""
    seconds: float = 0.0
    recorder: Recorder | None = None  # the run's recorder (closed): an evaluation made afterwards goes through it

    @property
    def ok(self) -> bool:
        return self.status == "answered"


class Agent:
    """Runs one task in one browser session. `on_step` is called after every step (the CLI prints it)."""

    def __init__(self, model: ChatModel, planner: Planner | None = None, config: AgentConfig | None = None,
                 secrets: Secrets | None = None, on_step: Callable[[StepRecord], None] | None = None,
                 run_config: RunConfig | None = None, server: ServerSnapshots | None = None) -> None:
        self.run_config = run_config  # what the caller built (its model settings go into the header)
        self.model = model if isinstance(model, MeteredChat) else MeteredChat(model)
        self.planner = planner or (run_config.build_planner() if run_config else ReactivePlanner())
        self.config = config or (run_config.agent_config() if run_config else AgentConfig())
        self.secrets = secrets or Secrets()
        self.model.secrets = self.secrets  # every prompt (policy, value, world model) is redacted
        require_vision(self.model, self.config.vision)  # a text-only model asked for images: one line, at start
        self.policy = Policy(self.model, temperature=self.config.temperature, constrain=self.config.constrain,
                             vision=self.config.vision)
        self.on_step = on_step
        # snapshots of the sites' state for search to explore with; off with config.server_snapshots=False
        self.server = server if getattr(self.config, "server_snapshots", True) else None
        self._session: BrowserSession | None = None
        self._blocked_seen = 0

    async def run(self, intent: str, start_url: str | None, session: BrowserSession,
                  run_dir: str | Path | None = None, task_meta: dict[str, Any] | None = None) -> RunResult:
        """Run the task from `start_url` in `session`; the run directory keeps every finished step. `start_url`
        None: the task starts on the page the session already shows (the caller opened and prepared it, e.g. a
        MiniWoB++ episode started in its page)."""
        t_start = time.perf_counter()
        rec = Recorder(run_dir or new_run_dir("runs", intent[:30]), self.secrets)
        session.downloads_dir = session.config.downloads_dir or rec.dir / "downloads"  # this run's, not a former's
        session.secrets = self.secrets
        self._session = session
        self._blocked_seen = self._blocked_start = len(session.blocked_requests)
        prepared = start_url is None
        start_url = session.page.url if start_url is None else start_url
        rec.header({"intent": intent, "start_url": start_url, **(task_meta or {})}, self._config_dict(session))
        history: list[StepSummary] = []
        notes: list[str] = []
        last_error: str | None = None
        rules = StopRules.of(self.config)
        vision = self.config.vision
        observe_opts = observe_options(vision.mode, self.config.observe)
        masked_before, session.mask_values = session.mask_values, list(self.secrets.values.values())
        pending: tuple[Plan, int] | None = None  # a multi-action plan being committed, and its next index
        answer, step = None, 0
        status, reason = rules.out_of_steps().status, rules.out_of_steps().reason
        watchdog = _Watchdog(self.config.max_seconds)
        try:
            try:
                if not prepared:
                    await session.goto(start_url)
            except NavigationError as e:
                status, reason = "navigation_error", str(e)
                return self._finish(rec, status, None, reason, 0, session, t_start)
            for step in range(1, self.config.max_steps + 1):
                t0 = time.perf_counter()
                obs = await session.observe(observe_opts)
                try:  # the model, the record, the screenshot
                    await session.guard(mask_secrets(session.page, obs, self.secrets, policy=session.policy),
                                        "masking secrets")
                except PageUnresponsive as e:
                    obs.screenshot = None  # it may show a secret that could not be masked
                    obs.notices.append(str(e))
                if vision.mode == "crops":
                    await self._add_crops(session, obs, history, observe_opts)
                t_obs = time.perf_counter()
                ctx = PlanContext(intent, obs, history, self.policy, session, last_error, notes, observe_opts,
                                  self.secrets, self.server)
                plan: Plan | None = None
                if pending is not None:  # the next action of a committed path, only if the page is what search saw
                    plan = pending[0].continue_at(pending[1], obs)
                    pending = (pending[0], pending[1] + 1) if plan is not None else None
                try:
                    if plan is None:
                        plan = await self.planner.choose(ctx)
                        pending = (plan, 1) if len(plan.actions) > 1 else None
                except ParseError as e:
                    last_error = f"your reply was not a valid action: {e}"
                    stop = rules.invalid_reply()
                    self._record_step(rec, step, obs, None, None, None, t0, t_obs, time.perf_counter(), last_error)
                    history.append(StepSummary("(invalid reply)", ok=False, error=str(e), url=obs.url))
                    if stop is not None:
                        status, reason = stop.status, stop.reason
                        break
                    continue
                t_plan = time.perf_counter()
                action = plan.actions[0]
                if action.verb == "stop":
                    self._record_step(rec, step, obs, action, None, plan, t0, t_obs, t_plan, None)
                    status, answer, reason = "answered", action.text or "", "the agent stopped with an answer"
                    break
                if action.verb == "note":
                    notes.append(action.text or "")
                result = await execute(session, plan.observation or obs, action, self.secrets)
                t_act = time.perf_counter()
                self._record_step(rec, step, obs, action, result, plan, t0, t_obs, t_plan, None, t_act)
                target = f"{result.target.role} {result.target.name!r}" if result.target else ""
                history.append(StepSummary(str(action), target, result.ok, result.error, obs.url, obs.text,
                                           action.id))
                last_error = result.error
                stop = rules.acted(str(action), state_key(obs), result.ok, result.error)
                if stop is not None:
                    status, reason = stop.status, stop.reason
                    break
        except ImagesUnsupported as e:  # a set-up problem, not the agent's failure: the caller says it in one line
            self._finish(rec, "llm_error", None, str(e), step, session, t_start)
            raise
        except LLMError as e:
            status, reason = "llm_error", str(e)
        except (asyncio.CancelledError, KeyboardInterrupt):
            if not watchdog.claim():
                status, reason = "interrupted", "interrupted by the user"
                self._finish(rec, status, None, reason, step, session, t_start)
                raise
            status, answer = "timeout", None
            reason = f"the run's watchdog stopped it after {self.config.max_seconds:g} s (in step {step})"
        except Exception as e:  # a bug or an unexpected failure: the trajectory still gets its footer
            self._finish(rec, "crashed", None, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
                         step, session, t_start)
            raise
        finally:
            watchdog.stop()
            session.mask_values = masked_before
        return self._finish(rec, status, answer, reason, step, session, t_start)

    async def _add_crops(self, session: BrowserSession, obs: Observation, history: list[StepSummary],
                         options: ObserveOptions) -> None:
        """--images crops: crop what the previous step acted on, the focused element and what is new since then
        (the dense crop of a tall page came with the observation), within the image budget."""
        prev = history[-1] if history else None
        acted = [prev.target_id] if prev is not None and prev.target_id is not None else []
        dense = [c for c in obs.crops if c.kind == "dense"]
        limit = max(0, self.config.vision.budget.max_images - len(dense))
        ids = crop_candidates(obs, prev.page if prev is not None and prev.url == obs.url else None, acted, [], limit)
        obs.crops = (await session.crop_elements(obs, ids, options) if ids else []) + dense

    def _finish(self, rec: Recorder, status: str, answer: str | None, reason: str, steps: int,
                session: BrowserSession, t_start: float) -> RunResult:
        try:
            url = session.page.url
        except NavigationError:
            url = ""
        secs = time.perf_counter() - t_start
        rec.footer({"status": status, "answer": answer, "reason": reason, "steps": steps, "final_url": url,
                    "blocked_requests": session.blocked_requests[getattr(self, "_blocked_start", 0):],
                    "usage": self.model.usage.to_dict(), "llm_calls": self.model.n_calls, "seconds": round(secs, 2),
                    **({"images": self.model.image_usage()} if self.model.image_bytes else {})})
        rec.close()
        return RunResult(status, answer, steps, reason, rec.dir, self.model.usage, url, secs, rec)

    def _record_step(self, rec: Recorder, step: int, obs: Observation, action: Action | None,
                     result: ActionResult | None, plan: Plan | None, t0: float, t_obs: float, t_plan: float,
                     error: str | None, t_act: float | None = None) -> None:
        calls = self.model.drain()
        tokens = sum(c["usage"]["prompt_tokens"] + c["usage"]["completion_tokens"] for c in calls)
        t_act = t_act or t_plan
        target = None
        if result is not None and result.target is not None:
            target = {k: v for k, v in result.target.to_dict().items() if k in ("id", "role", "name", "frame",
                                                                                   "selector", "bbox")}
        record = {
            "step": step, "url": obs.url, "title": obs.title, "obs_hash": state_key(obs), "observation": obs.text,
            "tabs": [t.__dict__ for t in obs.tabs], "notices": obs.notices,
            "action": str(action) if action else None, "action_dict": action.to_dict() if action else None,
            "target": target, "result": result.to_dict() if result else {"ok": error is None, "error": error},
            "timings": {"observe_ms": round((t_obs - t0) * 1000, 1), "plan_ms": round((t_plan - t_obs) * 1000, 1),
                        "act_ms": round((t_act - t_plan) * 1000, 1), **{k: round(v, 1) for k, v in
                                                                         obs.timings.items()}},
            "llm_calls": calls, "tokens": tokens, "blocked_requests": self._new_blocked(),
            "screenshot": rec.screenshot(step, obs.screenshot, ext_of(obs.screenshot or b"")),
            "candidates": plan.candidates if plan else [], "search_tree": plan.tree if plan else None,
        }
        rec.step(record)
        if self.on_step:
            ok = result.ok if result else error is None
            err = result.error if result else error
            self.on_step(StepRecord(step, str(action) if action else "(invalid reply)", self.secrets.redact(obs.url),
                                    (t_act - t0) * 1000, tokens, ok, self.secrets.redact(err),
                                    parse_note(plan.tree) if plan else None))

    def _new_blocked(self) -> list[str]:
        """Requests the network policy refused since the last step (method and URL; secrets redacted on write)."""
        blocked = self._session.blocked_requests if self._session else []
        out, self._blocked_seen = blocked[self._blocked_seen:], len(blocked)
        return out

    def _config_dict(self, session: BrowserSession) -> dict[str, Any]:
        """The header's configuration: the run configuration as it really is (`run`, what replay rebuilds the
        agent from) and facts about this run (the model's name, the viewport, the names of the secrets, the
        action policy)."""
        run = RunConfig.describe(self.run_config, self.config, self.planner, session.config)
        return {"run": run.to_dict(), "model": self.model.name, "planner": run.planner.name,
                "planner_params": run.planner.params, "viewport": list(session.config.viewport),
                "secrets": self.secrets.describe(),
                "server_snapshots": list(self.server.origins) if self.server is not None else None,
                "action_policy": session.action_policy.describe() if session.action_policy is not None else None,
                "image_budget": asdict(self.config.vision.budget),
                "task_images": len(self.config.vision.task_images)}


class _Watchdog:
    """Cancels the running task after `seconds`; `claim` tells the cancellation it caused from any other."""

    def __init__(self, seconds: float | None) -> None:
        self.fired = False
        self.task = asyncio.current_task()
        self.handle = asyncio.get_running_loop().call_later(seconds, self._fire) if seconds else None

    def _fire(self) -> None:
        self.fired = True
        if self.task is not None:
            self.task.cancel()

    def claim(self) -> bool:
        """True when the watchdog caused the cancellation (which it then takes back)."""
        if self.fired and self.task is not None and self.task.cancelling():
            self.task.uncancel()
            return True
        return False

    def stop(self) -> None:
        if self.handle is not None:
            self.handle.cancel()


async def run_task(intent: str, url: str, model: ChatModel, *, planner: Planner | None = None,
                   config: AgentConfig | None = None, browser: BrowserConfig | None = None,
                   run_dir: str | Path | None = None, secrets: Secrets | None = None,
                   on_step: Callable[[StepRecord], None] | None = None, trace: bool = False, har: bool = False,
                   task_meta: dict[str, Any] | None = None, images: list[str | Path | bytes] | None = None,
                   image_mode: str | None = None, action_policy: Any = None,
                   run_config: RunConfig | None = None, server: ServerSnapshots | None = None) -> RunResult:
    """Run one task against `url` with a fresh browser. The Python API's main entry point.

    `images`: files (or bytes) that come with the task; they go in the user message of every step (the model
    must take images). `image_mode`: "none", "screenshot", "som" or "crops" (see webagent.vision); it overrides
    `config.vision.mode`.

    `trace` / `har` also write `trace.zip` / `network.har` into the run directory (when the browser closes, so a
    killed process leaves neither); secrets in them are replaced by `{{NAME}}`. `task_meta` goes into the
    header's task (e.g. `site` and `site_urls`, which let `webagent replay` restart a bundled site).
    `action_policy` (a webagent.action_policy.ActionPolicy) allows, denies or confirms each action. `run_config`
    (see webagent.runconfig) supplies the planner and agent settings not given and is recorded in the header.
    `server` (webagent.server_state): snapshots of the sites' state, with which search explores for real."""
    secrets = secrets or Secrets()
    run_dir = Path(run_dir) if run_dir else new_run_dir("runs", intent[:30])
    browser = browser or BrowserConfig()
    if trace:
        browser.record_trace = run_dir / "trace.zip"
        browser.trace_screenshots = not secrets.values  # screencast frames would show typed secrets
    if har:
        browser.record_har = run_dir / "network.har"
    config = config or (run_config.agent_config() if run_config else AgentConfig())
    if images or image_mode:
        config = replace(config, vision=replace(
            config.vision, mode=image_mode or config.vision.mode,
            task_images=[*config.vision.task_images, *load_images(list(images or []))]))
    agent = Agent(model, planner, config, secrets, on_step, run_config, server)
    try:
        async with BrowserSession(browser) as session:
            session.action_policy = action_policy
            return await agent.run(intent, url, session, run_dir, task_meta)
    finally:
        redact_artifacts(run_dir, secrets)


def run_task_sync(intent: str, url: str, model: ChatModel, **kwargs: Any) -> RunResult:
    """`run_task` for synchronous callers."""
    return asyncio.run(run_task(intent, url, model, **kwargs))
