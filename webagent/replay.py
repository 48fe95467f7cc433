"""Re-execute a recorded run in a fresh browser and say, step by step, whether the site still behaves the same.

Two modes:
* actions (default): each recorded action is executed again; its element is found by role and name (the recorded
  target), then by selector, never by trusting the recorded id; the result is compared with the recording.
* recorded LLM (`llm="recorded"`): the agent itself runs again with the recorded LLM outputs in place of the model
  (RecordedChat), which reproduces the run exactly when nothing changed.

The sites a run used are re-created through the environment seam (webagent.environment; webagent.tasks registers
the bundled sites): each is started from its seed state (or the caller's server reset), every recorded URL is mapped
from the old origin to the new one, logins and the task's evaluation go through it too. With `har=True` the browser is served from the run's `network.har` instead and every request the HAR
does not hold is aborted.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from webagent.actions import ELEMENT_VERBS, Action, parse_action
from webagent.browser import BrowserConfig, BrowserSession
from webagent.environment import Environment, NoEnvironment, RunningSite, environment
from webagent.errors import BadInput, NavigationError
from webagent.observers import Element, Observation, ObserveOptions
from webagent.recorder import mask_secrets
from webagent.records import Step, StepTarget
from webagent.resolve import Target, matches
from webagent.safety import LOCAL_SCHEMES, Secrets
from webagent.trajectory import Trajectory, load, normalize_observation

MATCHED, DIFFERS, DIVERGED, SKIPPED = "matched", "differs", "diverged", "skipped"
_SECRET_RE = re.compile(r"\{\{([A-Za-z_]\w*)\}\}")


@dataclass
class StepReport:
    step: int
    action: str  # as recorded
    status: str  # matched | differs (page text changed, action still the same) | diverged | skipped
    detail: str = ""
    resolved_by: str | None = None  # role+name | selector | id
    replayed_action: str | None = None
    diff: str | None = None  # observation diff, recorded -> now (set for the first divergence)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class ReplayReport:
    run_dir: Path
    mode: str  # actions | recorded-llm
    steps: list[StepReport] = field(default_factory=list)
    recorded: dict[str, Any] = field(default_factory=dict)  # status, answer, final_url, score
    replayed: dict[str, Any] = field(default_factory=dict)
    outcome_matches: bool = False
    outcome_detail: str = ""
    notices: list[str] = field(default_factory=list)
    evaluation: dict[str, Any] | None = None
    new_run_dir: Path | None = None  # recorded-llm mode: the re-run's own run directory

    @property
    def first_divergence(self) -> StepReport | None:
        return next((s for s in self.steps if s.status == DIVERGED), None)

    def to_dict(self) -> dict[str, Any]:
        return {"run_dir": str(self.run_dir), "mode": self.mode, "steps": [s.to_dict() for s in self.steps],
                "recorded": self.recorded, "replayed": self.replayed, "outcome_matches": self.outcome_matches,
                "outcome_detail": self.outcome_detail, "notices": self.notices, "evaluation": self.evaluation,
                "new_run_dir": str(self.new_run_dir) if self.new_run_dir else None}


class UrlMap:
    """Recorded origins (and WebArena placeholders) -> the origins of this replay."""

    def __init__(self, origins: dict[str, str] | None = None, placeholders: dict[str, str] | None = None) -> None:
        self.origins = {k.rstrip("/"): v.rstrip("/") for k, v in (origins or {}).items() if k and v}
        self.placeholders = placeholders or {}

    def __call__(self, obj: Any) -> Any:
        if isinstance(obj, str):
            for old, new in self.placeholders.items():
                obj = obj.replace(old, new)
            for old, new in self.origins.items():
                obj = obj.replace(old, new)
                obj = obj.replace(old.split("://", 1)[-1], new.split("://", 1)[-1])  # host:port in page text
            return obj
        if isinstance(obj, dict):
            return {k: self(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self(v) for v in obj]
        return obj


def observation_diff(recorded: str, now: str, context: int = 2, limit: int = 40) -> str:
    """A unified diff of two observations with ids and timestamps taken out, at most `limit` lines."""
    a = normalize_observation(recorded).splitlines()
    b = normalize_observation(now).splitlines()
    lines = list(difflib.unified_diff(a, b, "recorded", "replayed", n=context, lineterm=""))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... {len(lines) - limit} more diff lines"]
    return "\n".join(lines)


def resolve_target(obs: Observation, target: StepTarget) -> tuple[Element | None, str]:
    """The element a recorded target names in `obs`: by role and name (among equals, the one with the recorded
    selector, else the one nearest the recorded box), then by selector. (None, "") when neither finds it."""
    role, frame = target.role, target.frame
    if role:
        found = matches(obs, Target(role, target.name, frame=frame))
        if found:
            same = [e for e in found if e.selector == target.selector]
            if same:
                return same[0], "role+name"
            box = target.bbox
            if box and len(found) > 1:
                def dist(e: Element) -> float:
                    if not e.bbox:
                        return float("inf")
                    return abs(e.bbox[0] - box[0]) + abs(e.bbox[1] - box[1])
                return min(found, key=dist), "role+name"
            return found[0], "role+name"
    sel = target.selector
    if sel:
        for el in obs.elements.values():
            if el.selector == sel and (frame is None or el.frame == frame):
                return el, "selector"
    return None, ""


def _with_id(action: Action, element_id: int) -> Action:
    return Action(action.verb, element_id, action.text, action.press_enter, action.key, action.direction,
                  action.url, action.index)


def _recorded_action(step: Step) -> Action | None:
    if step.action_dict:
        return Action.from_dict(step.action_dict)
    if step.action:
        return parse_action(step.action)
    return None


def needed_secrets(traj: Trajectory) -> set[str]:
    names: set[str] = set()
    for s in traj.steps:
        a = s.action_dict or {}
        if a.get("verb") == "type":
            names |= set(_SECRET_RE.findall(str(a.get("text") or "")))
        for c in s.llm_calls:
            for out in c.outputs:
                if out.strip().startswith("type"):
                    names |= set(_SECRET_RE.findall(out))
    return names


def _same_url(a: str | None, b: str | None) -> bool:
    return (a or "").rstrip("/") == (b or "").rstrip("/")


# -- sites ----------------------------------------------------------------------------------------------------------

class _Sites:
    """Starts (or takes from the caller) the sites a run used, through the environment seam, and maps their
    recorded URLs to the ones of this replay."""

    def __init__(self, traj: Trajectory, env: Environment, given: dict[str, RunningSite | str] | None,
                 reset: bool, har: bool, notices: list[str]) -> None:
        self.traj, self.env, self.given, self.reset = traj, env, dict(given or {}), reset
        self.har, self.notices = har, notices
        self.started: AbstractContextManager[dict[str, str]] | None = None
        self.started_urls: dict[str, str] = {}  # the sites started here, name -> URL
        self.urls: dict[str, str] = {}
        self.map = UrlMap()

    async def __aenter__(self) -> _Sites:
        if self.har:
            self.notices.append("served from network.har; requests it does not hold are aborted")
            return self
        wanted = self.env.sites_used(self.traj)
        if not wanted and self.env.name == NoEnvironment.name and _names_sites(self.traj):
            self.notices.append("the run used bundled sites but no environment is installed to start them; "
                                "replaying against the recorded URLs")
        start = [n for n in wanted if n not in self.given]
        for name, srv in self.given.items():
            if wanted and name not in wanted:
                continue  # a server the caller has running for other runs
            if isinstance(srv, str):
                self.urls[name] = srv.rstrip("/")
                self.notices.append(f"site {name} at {srv} (given; not reset)")
            else:
                self.urls[name] = srv.url
                if self.reset:
                    await asyncio.to_thread(srv.reset)
                    self.notices.append(f"site {name} at {srv.url} reset to its seed state")
                else:
                    self.notices.append(f"site {name} at {srv.url} (not reset)")
        if start:
            self.started = self.env.start(start)
            urls = await asyncio.to_thread(self.started.__enter__)
            self.started_urls = dict(urls)
            for n in start:
                self.urls[n] = urls[n]
                self.notices.append(f"site {n} started from its seed state at {self.urls[n]}")
        origins = {old: self.urls[n] for n, old in wanted.items() if old and n in self.urls}
        for n, old in wanted.items():
            if not old:
                self.notices.append(f"site {n}: its recorded URL is unknown (no site_urls in the header); "
                                    "URLs on it are not mapped")
        self.map = UrlMap(origins, self.env.placeholders(self.urls))
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.started is not None:
            await asyncio.to_thread(self.started.__exit__, None, None, None)


def _names_sites(traj: Trajectory) -> bool:
    t = traj.task
    return bool(t.get("site") or t.get("sites") or t.get("site_urls"))


async def _storage_state(session: BrowserSession, traj: Trajectory, sites: _Sites, tmp: Path,
                         notices: list[str]) -> str | None:
    task, cfg = traj.task, traj.config
    path = cfg.get("storage_state") or task.get("storage_state")
    require_login = task.get("require_login") or traj.spec.get("require_login")
    if path and Path(path).exists() and not require_login:
        return str(path)
    if require_login and sites.urls:
        state = await sites.env.login(session._browser, sites.urls, tmp)
        if state:
            notices.append(f"logged in to {', '.join(sites.urls)} as the task requires")
        elif sites.env.name == NoEnvironment.name:
            notices.append("the task requires login but no environment is installed to log in; replaying logged out")
        return state
    return None


async def _evaluate(traj: Trajectory, sites: _Sites, answer: str | None, session: BrowserSession,
                    notices: list[str]) -> dict[str, Any] | None:
    ev = traj.eval_block
    if ev is None:
        return None
    if sites.env.name == NoEnvironment.name:
        notices.append("the task has an eval block but no environment is installed to evaluate it; skipped")
        return None
    try:
        url = session.page.url
    except NavigationError:
        url = ""
    return await sites.env.evaluate(sites.map(ev), answer=answer, url=url, page=session.page,
                                    intent=traj.task.get("intent", ""), sites=sites.map.placeholders)


# -- replay -----------------------------------------------------------------------------------------------------------

async def replay(run_dir: str | Path, *, sites: dict[str, Any] | None = None, reset: bool = True, har: bool = False,
                 secrets: Secrets | None = None, llm: str = "actions", headless: bool = True,
                 out: str | Path | None = None, on_step: Callable[[StepReport], None] | None = None,
                 browser: BrowserConfig | None = None, session: BrowserSession | None = None,
                 env: Environment | None = None, allow: list[str] | None = None) -> ReplayReport:
    """Replay the run in `run_dir`. `sites` maps a site name to a running server (reset first unless
    `reset=False`) or a base URL (used as is); sites not given are started for the replay by `env` (default: the
    registered environment, see webagent.environment). `session` reuses a started BrowserSession (a fresh context
    is made in it) instead of launching Chromium.
    The replay keeps to the recorded run's URL policy (its start origin, its sites and the allowed domains it
    recorded), never to file:, data: or blob: pages unless `allow` names them (`--allow-domain file:`): a
    trajectory is input from somewhere, and a crafted one must not make replay open local files."""
    traj = load(run_dir)
    report = ReplayReport(traj.run_dir, "recorded-llm" if llm == "recorded" else "actions")
    report.notices += traj.warnings
    secrets = secrets or Secrets()
    missing = sorted(needed_secrets(traj) - set(secrets.values))
    if missing:
        raise BadInput(f"the run types {', '.join('{{' + m + '}}' for m in missing)}: give "
                       + " ".join(f"--secret {m}=VALUE" for m in missing))
    if llm not in ("actions", "recorded"):
        raise BadInput(f"--llm {llm!r}: replay knows 'recorded' (the recorded LLM outputs) only")
    har_path = traj.run_dir / "network.har"
    if har and not har_path.exists():
        raise BadInput(f"{traj.run_dir}: no network.har to replay against (record with `webagent run --har`)")
    start_url = str(traj.task.get("start_url") or "").split(" |AND| ")[0]
    if not start_url:
        raise BadInput(f"{traj.path}: the header's task has no start_url")
    final_url = traj.footer.final_url if traj.footer is not None else None
    report.recorded = {"status": traj.status, "answer": traj.answer, "final_url": final_url,
                       "score": traj.score, "steps": len(traj.steps)}
    cfg = browser or BrowserConfig(headless=headless)
    with tempfile.TemporaryDirectory(prefix="webagent-replay-") as tmp:
        async with _Sites(traj, env or environment(), sites, reset, har, report.notices) as st:
            report.recorded["final_url"] = st.map(final_url)
            first = urlsplit(st.map(start_url)).scheme
            if first in LOCAL_SCHEMES and not any(a.lower().rstrip(":") == first for a in allow or []):
                raise BadInput(f"{traj.path}: the run starts at a {first}: URL; replay opens {first}: pages only "
                               f"with --allow-domain {first}:")
            if not cfg.allowed_domains:
                hosts = {u.split("://", 1)[-1].split("/")[0].split(":")[0] for u in [*st.urls.values(),
                                                                                       st.map(start_url)]}
                recorded = traj.config.get("allowed_domains") or []
                recorded = [d for d in recorded if isinstance(d, str) and d.lower().rstrip(":") not in LOCAL_SCHEMES]
                cfg.allowed_domains = sorted({h for h in hosts if h} | set(recorded) | set(allow or []))
            own = session is None
            s = session or BrowserSession(cfg)
            if own:
                await s.start()
            try:
                state = await _storage_state(s, traj, st, Path(tmp), report.notices)
                if state or not own:
                    await s.new_context(storage_state=state)
                if har:
                    await s.context.route_from_har(str(har_path), not_found="abort")
                if llm == "recorded":
                    await _rerun_with_recorded_llm(traj, st, s, secrets, report, out, on_step)
                else:
                    await _replay_actions(traj, st, s, secrets, report, on_step)
                report.evaluation = await _evaluate(traj, st, report.replayed.get("answer"), s, report.notices)
                if report.evaluation is not None:
                    report.replayed["score"] = report.evaluation.get("score")
            finally:
                if own:
                    await s.close()
    _judge(report)
    return report


async def _replay_actions(traj: Trajectory, st: _Sites, session: BrowserSession, secrets: Secrets,
                          report: ReplayReport, on_step: Callable[[StepReport], None] | None) -> None:
    from webagent.executor import execute

    options = ObserveOptions(screenshot=False, max_chars=traj.run_config.observe.max_chars)
    await _open_start(traj, st, session)
    answer: str | None = None
    diff_shown = False
    for rec in traj.steps:
        n = rec.step
        obs = await session.observe(options)
        await mask_secrets(session.page, obs, secrets)
        recorded_text = st.map(rec.observation)
        same_page = normalize_observation(recorded_text) == normalize_observation(obs.text)
        action = _recorded_action(rec)
        r = StepReport(n, rec.action or "(invalid reply)", MATCHED)
        if action is None:
            r.status, r.detail = SKIPPED, "the model's reply was not an action; nothing was executed"
        elif action.verb == "stop":
            answer = action.text or ""
            r.replayed_action = str(action)
        elif action.verb == "note":
            r.replayed_action = str(action)
        else:
            if action.verb == "goto" and action.url:
                action = Action("goto", url=st.map(action.url))
            target = rec.target
            el: Element | None = None
            if action.verb in ELEMENT_VERBS:
                if target:
                    el, r.resolved_by = resolve_target(obs, target)
                    if el is None:
                        r.status = DIVERGED
                        r.detail = (f"no {target.role} named {target.name!r} and nothing at its "
                                    f"selector: the target is gone")
                    elif r.resolved_by == "selector":
                        r.status = DIVERGED
                        r.detail = (f"no {target.role} named {target.name!r} any more; its selector "
                                    f"now holds {el.role} {el.name!r} (executed on that)")
                    elif el.role != target.role or el.name.strip() != target.name.strip():
                        r.detail = f"matched {el.role} {el.name!r}"
                else:
                    r.resolved_by = "id"  # the recording failed on this element too: keep its id
                    el = obs.elements.get(action.id) if action.id is not None else None
            if el is not None:
                action = _with_id(action, el.id)
            if r.status != DIVERGED or el is not None:
                result = await execute(session, obs, action, secrets)
                r.replayed_action = str(action)
                rec_res = rec.result
                if bool(result.ok) != rec_res.ok:
                    r.status = DIVERGED
                    was = "succeeded" if rec_res.ok else f"failed ({rec_res.error})"
                    now = "succeeds" if result.ok else f"fails: {secrets.redact(result.error or '')}"
                    r.detail = (r.detail + "; " if r.detail else "") + f"the action {was} when recorded, now {now}"
                elif result.ok and rec_res.url_after and not _same_url(
                        st.map(secrets.redact(rec_res.url_after)), secrets.redact(result.url_after)):
                    r.status = DIVERGED
                    r.detail = (r.detail + "; " if r.detail else "") + (
                        f"led to {secrets.redact(result.url_after)}, recorded {st.map(rec_res.url_after)}")
        if r.status == MATCHED and not same_page:
            r.status = DIFFERS
            r.detail = r.detail or "the page text differs from the recording (the action still applied the same)"
        if r.status in (DIVERGED, DIFFERS) and not diff_shown and not same_page:
            r.diff = observation_diff(recorded_text, obs.text)
            diff_shown = r.status == DIVERGED
        if r.status == DIVERGED and not r.diff:
            r.diff = "(the page text before this step is the same as recorded)"
            diff_shown = True
        report.steps.append(r)
        if on_step:
            on_step(r)
    report.replayed = {"status": traj.status if traj.complete else "incomplete", "answer": answer,
                       "final_url": secrets.redact(_page_url(session)), "steps": len(report.steps)}
    if traj.footer is not None and traj.status != "answered":
        report.replayed["status"] = traj.status  # the same budget / loop end: actions replay cannot tell otherwise


async def _open_start(traj: Trajectory, st: _Sites, session: BrowserSession) -> None:
    """The start URL; with WebArena's " |AND| " several tabs, the first one active (as the runner does)."""
    urls = [st.map(u.strip()) for u in str(traj.task.get("start_url") or "").split(" |AND| ") if u.strip()]
    await session.goto(urls[0])
    for extra in urls[1:]:
        page = await session.new_tab()
        await page.goto(extra, wait_until="domcontentloaded")
    if len(urls) > 1:
        await session.focus(0)


def _page_url(session: BrowserSession) -> str:
    try:
        return session.page.url
    except NavigationError:
        return ""


async def _rerun_with_recorded_llm(traj: Trajectory, st: _Sites, session: BrowserSession, secrets: Secrets,
                                   report: ReplayReport, out: str | Path | None,
                                   on_step: Callable[[StepReport], None] | None) -> None:
    from dataclasses import replace

    from webagent.agent import Agent
    from webagent.llm.recorded import RecordedChat

    cfg = traj.config
    outputs = traj.llm_outputs()
    if not outputs:
        raise BadInput(f"{traj.path}: the run made no LLM calls, so there is nothing to re-run with --llm recorded; "
                       "replay its actions instead")
    run = traj.run_config
    try:
        planner = run.build_planner()  # the recorded planner with its recorded options
    except BadInput as e:
        raise BadInput(f"the run used planner {run.planner.name!r}, which this webagent cannot build: {e}") from None
    agent_cfg = run.agent_config()  # observes with the recorded observation options
    agent_cfg = replace(agent_cfg, max_steps=max(agent_cfg.max_steps, len(traj.steps)))
    new_dir = Path(out) if out else traj.run_dir.parent / f"{traj.run_dir.name}.replay"
    if new_dir.exists() and any(new_dir.iterdir()):
        import shutil
        shutil.rmtree(new_dir)
    server = None  # a run whose search explored with server snapshots re-runs with them, on the sites started here
    snapshots = getattr(st.env, "snapshots", None)
    if cfg.get("server_snapshots") and snapshots is not None and st.started_urls:
        server = snapshots(st.started_urls)
    agent = Agent(RecordedChat(outputs, name=f"recorded:{cfg.get('model', '?')}"), planner, agent_cfg, secrets,
                  run_config=run, server=server)
    start_url = st.map(str(traj.task.get("start_url") or "").split(" |AND| ")[0])
    task_meta = {k: v for k, v in traj.task.items() if k not in ("intent", "start_url")}
    result = await agent.run(traj.task.get("intent", ""), start_url, session, new_dir, st.map(task_meta))
    report.new_run_dir = new_dir
    new = load(new_dir)
    diff_shown = False
    for i, rec in enumerate(traj.steps):
        n = rec.step
        got = new.steps[i] if i < len(new.steps) else None
        r = StepReport(n, rec.action or "(invalid reply)", MATCHED)
        if got is None:
            r.status, r.detail = DIVERGED, f"the re-run ended before step {n} ({result.status}: {result.reason})"
        else:
            r.replayed_action = got.action
            same_page = normalize_observation(st.map(rec.observation)) == normalize_observation(got.observation)
            rt, gt = rec.target or StepTarget(), got.target or StepTarget()
            if (rec.action or "") != (got.action or ""):
                r.status, r.detail = DIVERGED, f"the agent chose {got.action!r}"
            elif (rt.role, rt.name) != (gt.role, gt.name):
                r.status = DIVERGED
                r.detail = f"the same action hit {gt.role} {gt.name!r}, recorded {rt.role} {rt.name!r}"
            elif rec.result.ok != got.result.ok:
                r.status, r.detail = DIVERGED, f"result now {got.result.to_dict()}"
            elif not same_page:
                r.status, r.detail = DIFFERS, "the page text differs from the recording"
            if r.status != MATCHED and not diff_shown and not same_page:
                r.diff = observation_diff(st.map(rec.observation), got.observation)
                diff_shown = r.status == DIVERGED
        report.steps.append(r)
        if on_step:
            on_step(r)
    if len(new.steps) > len(traj.steps):
        report.notices.append(f"the re-run took {len(new.steps) - len(traj.steps)} more step(s) than recorded")
    report.replayed = {"status": result.status, "answer": result.answer, "final_url": secrets.redact(result.final_url),
                       "steps": result.steps}


def _judge(report: ReplayReport) -> None:
    rec, rep = report.recorded, report.replayed
    problems = []
    if rec.get("score") is not None and rep.get("score") is not None:
        if rec["score"] != rep["score"]:
            problems.append(f"score {rep['score']} (recorded {rec['score']})")
    else:
        if rec.get("status") not in (None, "incomplete") and rep.get("status") != rec.get("status"):
            problems.append(f"status {rep.get('status')} (recorded {rec.get('status')})")
        if rec.get("answer") != rep.get("answer") and rec.get("status") == "answered":
            problems.append(f"answer {rep.get('answer')!r} (recorded {rec.get('answer')!r})")
        if rec.get("final_url") and not _same_url(rec["final_url"], rep.get("final_url")):
            problems.append(f"final URL {rep.get('final_url')} (recorded {rec['final_url']})")
        diverged = [s.step for s in report.steps if s.status == DIVERGED]
        if diverged:
            problems.append(f"diverged at step(s) {', '.join(map(str, diverged))}")
    if rec.get("score") is None and rep.get("score") is not None:
        report.notices.append(f"the recording has no evaluation; the replay scores {rep['score']}")
    report.outcome_matches = not problems
    report.outcome_detail = "; ".join(problems) if problems else (
        f"same score ({rep.get('score')})" if rep.get("score") is not None else
        "same status, answer and final URL, no step diverged")
