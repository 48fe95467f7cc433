"""The agent loop: observe, plan, act, record, until the agent stops, runs out of steps or loops."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from webagent import errors
from webagent.actions import Action
from webagent.browser import BrowserConfig, BrowserSession
from webagent.errors import (
    BadInput,
    ImagesUnsupported,
    LLMError,
    NavigationError,
    PageUnresponsive,
    ParseError,
)
from webagent.executor import ActionResult, execute
from webagent.llm.base import ChatModel, Usage
from webagent.llm.metered import MeteredChat
from webagent.observers import Observation, ObserveOptions
from webagent.observers.identity import state_key
from webagent.planner import Plan, PlanContext, Planner, ReactivePlanner, parse_note
from webagent.policy import Policy, StepSummary
from webagent.recorder import TRAJECTORY, Recorder, mask_secrets, new_run_dir, redact_artifacts
from webagent.records import Footer, Header, LLMCall, Step, usage_of
from webagent.resolve import as_seen
from webagent.runconfig import AgentConfig, RunConfig
from webagent.safety import Secrets
from webagent.server_state import ServerSnapshots
from webagent.stoprules import Stop, StopRules
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
    """What a run did: how it ended, the answer, usage, and `history`, its steps as recorded (typed records,
    secrets redacted). `save(path)` writes it to one JSON file; `RunResult.load` reads that file or a run
    directory back."""

    status: str  # answered | max_steps | loop | errors | llm_error | navigation_error | timeout | interrupted
    answer: str | None
    steps: int
    reason: str
    run_dir: Path
    usage: Usage
    final_url: str = ""
    seconds: float = 0.0
    recorder: Recorder | None = None  # the run's recorder (closed): an evaluation made afterwards goes through it
    history: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "answered"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "answer": self.answer, "steps": self.steps, "reason": self.reason,
                "run_dir": str(self.run_dir), "usage": self.usage.to_dict(), "final_url": self.final_url,
                "seconds": self.seconds, "history": [s.to_dict() for s in self.history]}

    def save(self, path: str | Path) -> Path:
        """Write the result with its history to one JSON file (the steps as the trajectory holds them)."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> RunResult:
        """A result from a file `save` wrote, or from a run directory (its trajectory: footer and steps). Anything
        else is a one-line BadInput."""
        from webagent.trajectory import load as load_trajectory
        path = Path(path)
        if path.is_dir() or path.name == TRAJECTORY:
            traj = load_trajectory(path)
            f = traj.footer or Footer(reason="the run did not finish", steps=len(traj.steps))
            return cls(traj.status, f.answer, f.steps, f.reason, traj.run_dir, f.usage, f.final_url, f.seconds,
                       history=traj.steps)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(d["status"]), d.get("answer"), int(d["steps"]), str(d.get("reason") or ""),
                       Path(d["run_dir"]), usage_of(d.get("usage")), str(d.get("final_url") or ""),
                       float(d.get("seconds") or 0.0),
                       history=[Step.from_dict(s) for s in d.get("history") or []])
        except OSError as e:
            raise BadInput(f"{path}: cannot read a run result ({e.strerror})") from None
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            raise BadInput(f"{path}: not a saved run result ({type(e).__name__}: {e})") from None


@dataclass
class _Episode:
    """The state one `Agent.run` shares between its step phases."""

    intent: str
    session: BrowserSession
    rec: Recorder
    rules: StopRules
    observe: ObserveOptions
    t_start: float
    blocked_start: int
    blocked_seen: int
    history: list[StepSummary] = field(default_factory=list)  # what the prompt shows of earlier steps
    records: list[Step] = field(default_factory=list)  # the steps as recorded
    notes: list[str] = field(default_factory=list)
    last_error: str | None = None
    pending: tuple[Plan, int] | None = None  # a multi-action plan being committed, and its next index
    step: int = 0
    status: str = ""
    reason: str = ""
    answer: str | None = None

    def end(self, status: str, reason: str, answer: str | None = None) -> None:
        self.status, self.reason, self.answer = status, reason, answer


@dataclass
class _Clock:
    """The phase boundaries of one step (perf_counter seconds)."""

    start: float
    observed: float = 0.0
    planned: float = 0.0
    acted: float | None = None

    def timings(self) -> dict[str, float]:
        acted = self.acted or self.planned
        return {"observe_ms": round((self.observed - self.start) * 1000, 1),
                "plan_ms": round((self.planned - self.observed) * 1000, 1),
                "act_ms": round((acted - self.planned) * 1000, 1)}


class Agent:
    """Runs one task in one browser session. `on_step` is called after every step (the CLI prints it).

    A step is observe (with secrets masked and crops added), plan, stop rules, execute, record: one method each,
    so `run` is the loop and the endings."""

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

    async def run(self, intent: str, start_url: str | None, session: BrowserSession,
                  run_dir: str | Path | None = None, task_meta: dict[str, Any] | None = None) -> RunResult:
        """Run the task from `start_url` in `session`; the run directory keeps every finished step. `start_url`
        None: the task starts on the page the session already shows (the caller opened and prepared it, e.g. a
        MiniWoB++ episode started in its page)."""
        prepared = start_url is None
        start_url = session.page.url if start_url is None else start_url
        ep = self._start(intent, start_url, session, run_dir, task_meta)
        masked_before, session.mask_values = session.mask_values, list(self.secrets.values.values())
        watchdog = _Watchdog(self.config.max_seconds)
        try:
            try:
                if not prepared:
                    await session.goto(start_url)
            except NavigationError as e:
                ep.end("navigation_error", str(e))
                return self._finish(ep)
            for ep.step in range(1, self.config.max_steps + 1):
                if await self._step(ep):
                    break
            else:
                out = ep.rules.out_of_steps()
                ep.end(out.status, out.reason)
        except ImagesUnsupported as e:  # a set-up problem, not the agent's failure: the caller says it in one line
            ep.end("llm_error", str(e))
            self._finish(ep)
            raise
        except LLMError as e:
            ep.end("llm_error", str(e))
        except (asyncio.CancelledError, KeyboardInterrupt):
            if not watchdog.claim():
                ep.end("interrupted", "interrupted by the user")
                self._finish(ep)
                raise
            ep.end("timeout", f"the run's watchdog stopped it after {self.config.max_seconds:g} s (in step {ep.step})")
        except Exception as e:  # a bug or an unexpected failure: the trajectory still gets its footer
            ep.end("crashed", f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            self._finish(ep)
            raise
        finally:
            watchdog.stop()
            session.mask_values = masked_before
        return self._finish(ep)

    def _start(self, intent: str, start_url: str, session: BrowserSession, run_dir: str | Path | None,
               task_meta: dict[str, Any] | None) -> _Episode:
        """Open the run directory, write the header, point the session's downloads and secrets at this run."""
        rec = Recorder(run_dir or new_run_dir("runs", intent[:30]), self.secrets)
        session.downloads_dir = session.config.downloads_dir or rec.dir / "downloads"  # this run's, not a former's
        session.secrets = self.secrets
        blocked = len(session.blocked_requests)
        ep = _Episode(intent, session, rec, StopRules.of(self.config),
                      observe_options(self.config.vision.mode, self.config.observe), time.perf_counter(), blocked,
                      blocked)
        rec.header(Header({"intent": intent, "start_url": start_url, **(task_meta or {})},
                          self._config_dict(session)))
        return ep

    async def _step(self, ep: _Episode) -> bool:
        """One step; True when the run ends with it (its status and reason set on `ep`)."""
        clock = _Clock(time.perf_counter())
        obs = await self._observe(ep)
        clock.observed = time.perf_counter()
        try:
            plan = await self._plan(ep, obs)
        except ParseError as e:
            ep.last_error = f"your reply was not a valid action: {e}"
            clock.planned = time.perf_counter()
            self._record(ep, obs, None, None, None, clock, ep.last_error)
            ep.history.append(StepSummary("(invalid reply)", ok=False, error=str(e), url=obs.url))
            return self._stop_if(ep, ep.rules.invalid_reply())
        clock.planned = time.perf_counter()
        action = plan.actions[0]
        if action.verb == "stop":
            self._record(ep, obs, action, None, plan, clock, None)
            ep.end("answered", "the agent stopped with an answer", action.text or "")
            return True
        if action.verb == "note":
            ep.notes.append(action.text or "")
        bound_to = plan.observation or obs  # a search planner may have reloaded the page (new ids)
        result = await execute(ep.session, bound_to, action, self.secrets)
        clock.acted = time.perf_counter()
        self._record(ep, obs, as_seen(action, bound_to, obs), result, plan, clock, None, executed=action)
        target = f"{result.target.role} {result.target.name!r}" if result.target else ""
        ep.history.append(StepSummary(str(action), target, result.ok, result.error, obs.url, obs.text, action.id))
        ep.last_error = result.error
        return self._stop_if(ep, ep.rules.acted(str(action), state_key(obs), result.ok, result.error))

    async def _observe(self, ep: _Episode) -> Observation:
        """The page as the model will see it: observed, secrets masked, crops added with --images crops."""
        session = ep.session
        obs = await session.observe(ep.observe)
        try:  # the model, the record, the screenshot
            await session.guard(mask_secrets(session.page, obs, self.secrets, policy=session.policy),
                                "masking secrets")
        except PageUnresponsive as e:
            obs.screenshot = None  # it may show a secret that could not be masked
            obs.notices.append(str(e))
        if self.config.vision.mode == "crops":
            await self._add_crops(session, obs, ep.history, ep.observe)
        return obs

    async def _plan(self, ep: _Episode, obs: Observation) -> Plan:
        """The next action of a committed path when the page is what search saw, else the planner's choice.
        Raises ParseError when the model's reply is not an action."""
        if ep.pending is not None:
            plan, i = ep.pending
            nxt = plan.continue_at(i, obs)
            ep.pending = (plan, i + 1) if nxt is not None else None
            if nxt is not None:
                return nxt
        ctx = PlanContext(ep.intent, obs, ep.history, self.policy, ep.session, ep.last_error, ep.notes, ep.observe,
                          self.secrets, self.server)
        plan = await self.planner.choose(ctx)
        ep.pending = (plan, 1) if len(plan.actions) > 1 else None
        return plan

    @staticmethod
    def _stop_if(ep: _Episode, stop: Stop | None) -> bool:
        """Apply a stop rule's verdict: the run ends when there is one."""
        if stop is None:
            return False
        ep.end(stop.status, stop.reason)
        return True

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

    def _finish(self, ep: _Episode) -> RunResult:
        """Write the footer and close the run directory."""
        session = ep.session
        try:
            url = session.page.url
        except NavigationError:
            url = ""
        secs = time.perf_counter() - ep.t_start
        written = ep.rec.footer(Footer(ep.status, ep.answer, ep.reason, ep.step, url, self.model.usage,
                                       self.model.n_calls, round(secs, 2), session.blocked_requests[ep.blocked_start:],
                                       self.model.image_usage() if self.model.image_bytes else None))
        ep.rec.close()
        # as written (redacted): the CLI prints the reason, answer and final URL, and RunResult.save keeps them
        return RunResult(ep.status, written.answer, ep.step, written.reason, ep.rec.dir, self.model.usage,
                         written.final_url, secs, ep.rec,
                         ep.records)

    def _record(self, ep: _Episode, obs: Observation, action: Action | None, result: ActionResult | None,
                plan: Plan | None, clock: _Clock, error: str | None, executed: Action | None = None) -> None:
        """Write the step (through the recorder, which redacts it) and tell `on_step`. `action` is in the ids of
        `obs` (what the record shows); `executed` is the same action as run on the page a planner restored, whose
        ids may differ (recorded as `executed_action` then)."""
        element = None
        if executed is not None and action is not None and str(executed) != str(action) and result is not None \
                and result.target is not None:
            element = obs.elements.get(action.id) if action.id is not None else None  # as in the screenshot
        blocked = ep.session.blocked_requests
        new_blocked, ep.blocked_seen = blocked[ep.blocked_seen:], len(blocked)
        written = ep.rec.step(Step.observed(
            ep.step, obs, action, result, error=error, timings=clock.timings(),
            llm_calls=[LLMCall.from_dict(c) for c in self.model.drain()], blocked=new_blocked,
            screenshot=ep.rec.screenshot(ep.step, obs.screenshot, ext_of(obs.screenshot or b"")),
            candidates=plan.candidates if plan else None, search_tree=plan.tree if plan else None,
            executed=executed, element=element))
        ep.records.append(written)
        tokens = written.tokens
        if self.on_step:
            ok = result.ok if result else error is None
            err = result.error if result else error
            self.on_step(StepRecord(ep.step, str(action) if action else "(invalid reply)",
                                    self.secrets.redact(obs.url), ((clock.acted or clock.planned) - clock.start) * 1000,
                                    tokens, ok, self.secrets.redact(err), parse_note(plan.tree) if plan else None))

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
    fresh = not run_dir.exists() or not any(run_dir.iterdir())
    agent = Agent(model, planner, config, secrets, on_step, run_config, server)
    unstarted = True  # the run never got past set-up: its directory is removed
    try:
        async with BrowserSession(browser) as session:
            session.action_policy = action_policy
            result = await agent.run(intent, url, session, run_dir, task_meta)
            unstarted = result.status == "navigation_error" and result.steps == 0
            return result
    except BaseException as e:
        unstarted = isinstance(e, errors.SetupError | errors.BadInput | ImagesUnsupported)  # a crash or Ctrl-C keeps it
        raise
    finally:
        if fresh and unstarted and not _has_steps(run_dir):
            shutil.rmtree(run_dir, ignore_errors=True)
        else:
            redact_artifacts(run_dir, secrets)


def _has_steps(run_dir: Path) -> bool:
    """Whether the run recorded at least one step (a run that failed in set-up recorded none)."""
    try:
        with (run_dir / "trajectory.jsonl").open(encoding="utf-8") as f:
            return any('"type": "step"' in line for line in f)
    except OSError:
        return False


def run_task_sync(intent: str, url: str, model: ChatModel, **kwargs: Any) -> RunResult:
    """`run_task` for synchronous callers."""
    return asyncio.run(run_task(intent, url, model, **kwargs))
