"""The benchmark runner: tasks -> episodes (fresh browser context on freshly reset sites) -> scores.

A run directory (tasks.rundir) holds `<task_id>/trajectory.jsonl` per task (the agent's trajectory plus an
`evaluation` record), `results.jsonl` (one line per task, appended as it finishes) and `summary.json`. Executors run
each task in a worker process with its own sites and Chromium, under a deadline: the process pool (tasks.pool, the
default) and Ray (tasks.ray_executor, `webagent[ray]`).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import webagent.search  # noqa: F401 - registers the search planners (worker processes build them by name)
from webagent.tasks import rundir
from webagent.tasks.evaluators import EvalResult, eval_problems, evaluate
from webagent.tasks.results import TaskResult, one_line
from webagent.tasks.rundir import safe_name
from webagent.tasks.spec import PLACEHOLDERS, Task, load_tasks, placeholders_in, select, url_map

from webagent.errors import BadInput, SetupError
from webagent.records import Evaluation, Step
from webagent.runconfig import RunConfig
from webagent.safety import Secrets

VERIFIED = "webarena-verified"  # the suite name and Task.benchmark of WebArena-Verified tasks (tasks/verified.py)
MINIWOB = "miniwob"  # the suite name and Task.benchmark of MiniWoB++ episodes (tasks/miniwob.py)


@dataclass
class BenchConfig:
    """A benchmark: which tasks, where, and the run configuration every episode gets (`webagent.runconfig`)."""

    suite: str = "local"
    sites: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)
    max_steps: int | None = None  # an explicit --max-steps: it also caps gold runs (default there: len(gold) + 5)
    out: str | None = None
    gold: bool = False
    workers: int = 1
    executor: str = "local"  # local (process pool) | ray
    ray_address: str | None = None
    task_timeout: float | None = None  # seconds per task; default from the step budget (task_timeout())
    site_urls: dict[str, str] = field(default_factory=dict)  # --site-url overrides (NAME -> URL)
    run: RunConfig = field(default_factory=RunConfig)  # agent, observation, planner, browser, model settings
    api_key: str | None = None  # never written to config.json or a trajectory
    secrets: list[str] = field(default_factory=list)  # --secret NAME=VALUE[@HOST]: typed as {{NAME}}, never stored
    overwrite: bool = False  # --overwrite: replace the run directory `out` if it holds a bench run
    judge: bool = True  # use the configured LLM for fuzzy_match / N/A reasons (only if one is configured explicitly)
    bundled_sites: bool = False  # --bundled-sites: run a suite written for other sites on the bundled ones
    subset: str | None = None  # --subset: a named subset of the suite (webarena-verified: `hard`)
    seeds: int = 1  # --seeds: episodes per MiniWoB++ task (seeds 0..N-1)

    def model_kwargs(self) -> dict[str, Any]:
        """`make_model` keyword arguments: the run's model settings and the API key."""
        return {**self.run.model.kwargs(), "api_key": self.api_key}


class PhaseClock:
    """Where a task's time goes, in seconds: site reset, login, browser context, then the agent's steps split into
    observe, plan and act (from the steps' own timings) and the rest of the agent's time (`load_record`: the
    start page's load, screenshots and writing the trajectory), then scoring."""

    PHASES = ("reset", "login", "context", "observe", "plan", "act", "load_record", "scoring")

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = self.laps.get(name, 0.0) + now - self.t
        self.t = now

    def split_agent(self, history: list[Step]) -> dict[str, float]:
        out = {k: v for k, v in self.laps.items() if k != "agent"}
        steps = {"observe": 0.0, "plan": 0.0, "act": 0.0}
        for rec in history:
            for k in steps:
                steps[k] += rec.timings.get(f"{k}_ms", 0.0) / 1000
        out.update(steps)
        out["load_record"] = max(0.0, self.laps.get("agent", 0.0) - sum(steps.values()))
        return {k: round(out.get(k, 0.0), 3) for k in self.PHASES}


class NoModel:
    """The ChatModel of gold runs: the GoldPlanner never asks it."""

    name = "none (gold actions)"

    async def complete(self, *a: Any, **kw: Any) -> Any:
        raise SetupError("gold runs do not call an LLM")


def explicit_model_configured(model_args: dict[str, Any]) -> bool:
    import os
    return bool(model_args.get("model") or model_args.get("base_url") or os.environ.get("WEBAGENT_MODEL")
                or os.environ.get("OPENAI_BASE_URL"))


# ------------------------------------------------------------------------------------------------ planning a run

def is_bundled_suite(suite: str | Path) -> bool:
    """`local` or a file or folder of the bundled suite: tasks written for the bundled sites."""
    from webagent.tasks.spec import SUITE_DIR
    if str(suite) == "local":
        return True
    try:
        return Path(suite).resolve().is_relative_to(SUITE_DIR)
    except OSError:
        return False


def plan_run(cfg: BenchConfig) -> tuple[list[Task], list[str], dict[str, str]]:
    """(tasks, local sites to start, URLs given from outside: placeholder -> URL). Raises BadInput."""
    if cfg.suite == MINIWOB:
        from webagent.tasks.miniwob import plan
        return plan(cfg), [], {}
    if cfg.seeds != 1:
        raise BadInput(f"--seeds is for --suite {MINIWOB}")
    if cfg.suite == VERIFIED:
        from webagent.tasks.verified import load_verified
        loaded = load_verified(cfg.subset)
    elif cfg.subset is not None:
        raise BadInput(f"--subset is for --suite {VERIFIED}")
    else:
        loaded = load_tasks(cfg.suite)
    tasks = select(loaded, cfg.sites or None, cfg.task_ids or None)
    if not tasks:
        raise BadInput("no tasks selected" + (f" for site(s) {', '.join(cfg.sites)}" if cfg.sites else ""))
    bundled = is_bundled_suite(cfg.suite)
    external = url_map(cfg.site_urls, env={} if bundled else None)
    needed: set[str] = set()
    for t in tasks:
        needed |= placeholders_in(t.raw)
    missing = sorted(ph for ph in needed if ph not in external)
    if missing and not bundled and not cfg.bundled_sites:
        names = [PLACEHOLDERS[ph][0] for ph in missing]
        raise BadInput(f"the tasks use {', '.join(missing)} but no URL is given for them: set "
                       f"{', '.join(names)} or pass --site-url {names[0]}=URL (add --bundled-sites to run them on the "
                       "bundled sites, whose data do not match a real benchmark's references)")
    to_start: list[str] = []
    for ph in missing:
        loc = PLACEHOLDERS[ph][1]
        if loc is None:
            raise BadInput(f"tasks use {ph} but there is no bundled site for it; set {PLACEHOLDERS[ph][0]} "
                           f"or pass --site-url {PLACEHOLDERS[ph][0]}=URL")
        to_start.append(loc)
    order = ["shop", "shop_admin", "forum", "codehost", "wiki"]
    return tasks, sorted(to_start, key=lambda s: order.index(s) if s in order else 99), external


# ------------------------------------------------------------------------------------------------ one worker

class Worker:
    """Runs tasks one after another in one Chromium on one SiteGroup (both owned or borrowed)."""

    def __init__(self, cfg: BenchConfig, run_dir: Path, sites: list[str], external: dict[str, str],
                 group: Any = None, session: Any = None) -> None:
        self.cfg, self.run_dir, self.site_names, self.external = cfg, run_dir, sites, external
        self.group, self.session = group, session
        self._own_group = group is None
        self._own_session = session is None
        self.urls: dict[str, str] = {}
        self.states: Any = None
        self.model: Any = None
        self.judge: Any = None
        self.pages: Any = None  # the MiniWoB++ page server (tasks/miniwob.py), for --suite miniwob

    async def __aenter__(self) -> Worker:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def start(self) -> None:
        from webagent.tasks.login import StateCache
        from webagent.tasks.sites.server import SiteGroup

        from webagent.browser import BrowserConfig, BrowserSession

        if self.group is None and self.site_names:
            self.group = SiteGroup(self.site_names)
            await asyncio.to_thread(self.group.start)
        local = self.group.urls if self.group is not None else {}
        self.urls = url_map(self.external, env={}, local=local)
        if self.cfg.suite == MINIWOB:
            from webagent.tasks.miniwob import PageServer
            self.pages = PageServer()
            self.pages.start()
        hosts = sorted({urlsplit(u).hostname or "" for u in self.urls.values()} | {"127.0.0.1", "localhost"})
        if self.session is None:
            browser = self.cfg.run.browser
            self.session = BrowserSession(BrowserConfig(headless=browser.headless,
                                                        allowed_domains=hosts + list(browser.allowed_domains)))
            await self.session.start()
        self.states = StateCache(self.session._browser, local, self.run_dir / ".auth")
        if not self.cfg.gold:
            from webagent.llm.config import make_model
            from webagent.vision import require_vision
            self.model = make_model(**self.cfg.model_kwargs())
            require_vision(self.model, self.cfg.run.agent_config().vision)  # text-only model asked for images
        else:
            self.model = NoModel()
        if self.cfg.judge and explicit_model_configured(self.cfg.model_kwargs()):
            from webagent.llm.config import make_model
            self.judge = self.model if not self.cfg.gold else make_model(**self.cfg.model_kwargs())

    def health(self) -> str:
        """'' when this worker can run another task; else what broke (the browser, a site server)."""
        browser = getattr(self.session, "_browser", None)
        if browser is not None and not browser.is_connected():
            return "its browser is gone"
        for name, srv in (self.group.servers.items() if self.group is not None else []):
            if srv.proc is not None and srv.proc.poll() is not None:
                return f"site {name} exited ({srv.proc.returncode})"
        return ""

    async def close(self) -> None:
        if self.pages is not None:
            self.pages.stop()
        if self._own_session and self.session is not None:
            await self.session.close()
        if self._own_group and self.group is not None:
            await asyncio.to_thread(self.group.stop)

    def _vision(self, task: Task) -> Any:
        """The images setting for a task: the run's mode and the task's own input images (VisualWebArena)."""
        from webagent.tasks.spec import image_sources

        from webagent.vision import Vision, load_images
        if self.cfg.gold:
            return Vision()  # gold actions ask no model
        return Vision(self.cfg.run.observe.images, task_images=load_images(image_sources(task.bind(self.urls))))

    async def run_task(self, task: Task) -> TaskResult:
        from webagent.tasks.gold import GoldPlanner

        from webagent.agent import Agent

        t0 = time.perf_counter()
        clock = PhaseClock()
        bound = task.bind(self.urls)
        local = [s for s in task.local_sites if self.group is not None and s in self.group.servers]
        if local:
            await asyncio.to_thread(self.group.reset, local)
        clock.lap("reset")
        storage = None
        if task.require_login:
            storage = await self.states.state_for_sites(local)
            if storage is None and task.storage_state and Path(task.storage_state).exists():
                storage = task.storage_state
        clock.lap("login")
        s = self.session
        run_dir = self.run_dir / _safe(task.task_id)
        rundir.set_aside(self.run_dir, task.task_id)  # a retried task's cut attempt goes to .interrupted/
        verified = task.benchmark == VERIFIED
        # WebArena-Verified checks the run's network trace: this episode's context records it (written on close).
        s.config.record_har = run_dir / "network.har" if verified else None
        await s.new_context(storage)  # a new episode: notices, blocked requests and downloads start afresh
        urls: list[Any] = bound.start_urls
        intent, miniwob = bound.intent, task.benchmark == MINIWOB
        if miniwob:  # its page starts the seeded episode and gives the utterance; the agent starts there
            from webagent.tasks import miniwob as mw
            intent, urls, task_page = await mw.begin(s, self.pages.url, task), [None], s.page
        for extra in urls[1:]:  # " |AND| ": several tabs; the agent starts in the first
            page = await s.new_tab()
            await page.goto(extra, wait_until="domcontentloaded")
        if len(urls) > 1:
            await s.focus(0)
        if self.cfg.gold:
            if not task.gold:
                raise BadInput(f"{task.path}: task {task.task_id} has no 'gold' actions to replay (--gold)")
            planner: Any = GoldPlanner(bound.gold or [])
        else:
            planner = self.cfg.run.build_planner()
        if miniwob:
            planner = mw.StopWhenDone(planner, task_page)
        max_steps = step_budget(self.cfg, task)
        agent_cfg = replace(self.cfg.run.agent_config(), max_steps=max_steps, vision=self._vision(task))
        secrets = Secrets.parse(self.cfg.secrets)
        server = None
        if local and not self.cfg.gold and self.cfg.run.agent.server_snapshots:
            from webagent.tasks.sites.snapshots import SiteSnapshots
            server = SiteSnapshots.of_group(self.group, local)  # search explores on the sites for real
        agent = Agent(self.model, planner, agent_cfg, secrets=secrets, run_config=self.cfg.run, server=server)
        meta = {"task_id": task.task_id, "sites": task.sites, "task": bound.to_dict(),
                "placeholder_urls": self.urls}
        clock.lap("context")
        try:
            res = await agent.run(intent, urls[0], s, run_dir=run_dir, task_meta=meta)
        finally:
            if server is not None:
                server.close()
        clock.lap("agent")
        error, metrics = "", {}
        try:
            if miniwob:
                reward = await mw.read_reward(task_page)
                ev, metrics = mw.evaluation(reward), reward.metrics()
            elif verified:
                from webagent.tasks import verified as wav
                s.config.record_har = None
                await s.new_context()  # closing the episode's context writes its HAR
                ev = await asyncio.to_thread(wav.score, bound, res.answer, run_dir / "network.har", self.urls)
                if secrets.values:  # scored on the trace as sent; kept with the secrets replaced by {{NAME}}
                    from webagent.recorder import redact_artifacts
                    redact_artifacts(run_dir, secrets)
            else:
                ev = await evaluate(bound.eval, answer=res.answer, url=res.final_url, page=s.page,
                                    intent=bound.intent, model=self.judge, sites=self.urls,
                                    benchmark=task.benchmark)
        except Exception as e:  # noqa: BLE001 (one task's scoring must not sink the run: it is that task's error)
            ev, error = EvalResult(), one_line("scoring", e)
        clock.lap("scoring")
        out = TaskResult(task.task_id, task.site, task.eval_types, None if error else ev.score, res.status,
                         res.steps, res.usage.total_tokens, round(time.perf_counter() - t0, 2),
                         secrets.redact(res.answer), secrets.redact(res.final_url), secrets.redact(res.reason),
                         secrets.redact([c.to_dict() for c in ev.checks]), secrets.redact(ev.notices),
                         str(run_dir / "trajectory.jsonl"), secrets.redact(error),
                         phases=clock.split_agent(res.history),
                         cost_usd=round(res.usage.cost_usd, 6), metrics=metrics)
        # through the run's recorder: redacted like every record, flushed and fsynced
        res.recorder.evaluation(Evaluation(ev.score, [c.to_dict() for c in ev.checks], ev.notices, error))
        return out


_safe = safe_name


def step_budget(cfg: BenchConfig, task: Task) -> int:
    """--max-steps, else the run's agent budget for a model and the gold sequence's length + 5 with --gold."""
    return cfg.max_steps or (len(task.gold or []) + 5 if cfg.gold else cfg.run.agent.max_steps)


GOLD_SECONDS_PER_STEP = 10.0
MODEL_SECONDS_PER_STEP = 240.0  # the embedded model can take minutes per step on 2 cores
TASK_SETUP_SECONDS = 60.0


def task_timeout(cfg: BenchConfig, task: Task) -> float:
    """The task's wall-clock deadline: --task-timeout, else set-up time plus a per-step allowance times its budget."""
    if cfg.task_timeout:
        return float(cfg.task_timeout)
    per_step = GOLD_SECONDS_PER_STEP if cfg.gold else MODEL_SECONDS_PER_STEP
    return TASK_SETUP_SECONDS + per_step * step_budget(cfg, task)


# ------------------------------------------------------------------------------------------------ summary

def summarize(results: list[dict[str, Any]], wall: float) -> dict[str, Any]:
    """Counts per block: passed and failed among scored tasks; errors (no result: timeout, crash) kept apart;
    success_rate = passed / scored."""
    def block(rs: list[dict[str, Any]]) -> dict[str, Any]:
        scored = [r for r in rs if r["score"] is not None]
        ok = sum(1 for r in scored if r["score"] == 1.0)
        return {"tasks": len(rs), "scored": len(scored), "passed": ok, "failed": len(scored) - ok,
                "errors": sum(1 for r in rs if r.get("error")),
                "success_rate": round(ok / len(scored), 4) if scored else None,
                "mean_score": round(sum(r["score"] for r in scored) / len(scored), 4) if scored else None,
                "mean_steps": round(sum(r["steps"] for r in rs) / len(rs), 2) if rs else 0,
                "tokens": sum(r["tokens"] for r in rs), "cost_usd": round(sum(r.get("cost_usd", 0.0) for r in rs), 4),
                "seconds": round(sum(r["seconds"] for r in rs), 1), **mean_metrics(rs)}
    by_site: dict[str, list] = defaultdict(list)
    by_type: dict[str, list] = defaultdict(list)
    for r in results:
        by_site[r["site"]].append(r)
        for t in r["eval_types"]:
            by_type[t].append(r)
    return {"overall": block(results), "by_site": {k: block(v) for k, v in sorted(by_site.items())},
            "by_eval_type": {k: block(v) for k, v in sorted(by_type.items())}, "wall_seconds": round(wall, 1),
            "not_scorable": [r["task_id"] for r in results if r["score"] is None and not r.get("error")],
            "errors": {r["task_id"]: r["error"] for r in results if r.get("error")}}


def mean_metrics(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """`metrics`: the mean of each per-task metric (MiniWoB++'s raw and time-discounted rewards) over the tasks
    that have it; nothing when none has any."""
    sums: dict[str, list[float]] = defaultdict(list)
    for r in rs:
        for k, v in (r.get("metrics") or {}).items():
            sums[k].append(float(v))
    return {"metrics": {k: round(sum(v) / len(v), 4) for k, v in sums.items()}} if sums else {}


def format_summary(s: dict[str, Any]) -> str:
    def pct(b: dict[str, Any]) -> str:
        return "   n/a" if b["success_rate"] is None else f"{100 * b['success_rate']:5.1f}%"
    lines = [f"{'':<24} {'tasks':>5} {'passed':>6} {'failed':>6} {'errors':>6} {'success':>7} {'steps':>6} "
             f"{'tokens':>8} {'seconds':>8}"]

    def row(label: str, b: dict[str, Any]) -> None:
        lines.append(f"{label:<24.24} {b['tasks']:>5} {b['passed']:>6} {b.get('failed', 0):>6} "
                     f"{b.get('errors', 0):>6} {pct(b):>7} {b['mean_steps']:>6.1f} {b['tokens']:>8} "
                     f"{b['seconds']:>8.1f}")
    row("overall", s["overall"])
    lines.append("by site")
    for k, b in s["by_site"].items():
        row("  " + k, b)
    lines.append("by eval type")
    for k, b in s["by_eval_type"].items():
        row("  " + k, b)
    if s["overall"].get("metrics"):
        lines.append("mean " + ", ".join(f"{k} {v:.3f}" for k, v in s["overall"]["metrics"].items()))
    lines.append(f"wall time {s['wall_seconds']:.1f} s")
    if s["not_scorable"]:
        lines.append(f"not scorable (a judge check without a judge, or a page check without a page): "
                     f"{', '.join(s['not_scorable'])}")
    if s.get("errors"):
        lines.append(f"errors ({len(s['errors'])}; not counted as failures, success is over scored tasks):")
        lines += [f"  {k}: {v}" for k, v in s["errors"].items()]
    return "\n".join(lines)


def progress_line(i: int, n: int, r: dict[str, Any]) -> str:
    score = r["score"]
    verdict = "ERROR" if r.get("error") else "SKIP" if score is None else ("PASS" if score == 1.0 else "FAIL")
    sc = "  -- " if score is None else f"{score:4.2f}"
    return (f"[{i:>{len(str(n))}}/{n}] {r['task_id']:<18.18} {r['site']:<20.20} {verdict} {sc}  "
            f"{r['steps']:>2} steps {r['tokens']:>7} tok {r['seconds']:>6.1f} s  {r['status']}"
            + (f"  {r['error']}" if r.get("error") else ""))


# ------------------------------------------------------------------------------------------------ the run

# Fields that decide what a run measures: a resumed run must keep them (or be --force'd). The rest (workers,
# executor, deadline, out, the API key) only decide how it runs and may change between sessions.
RESULT_FIELDS = ("suite", "sites", "task_ids", "max_steps", "gold", "site_urls", "run", "judge", "bundled_sites",
                 "subset", "seeds")


def config_record(cfg: BenchConfig) -> dict[str, Any]:
    """The configuration as stored in config.json: everything but secrets (the API key)."""
    d = {k: v for k, v in asdict(cfg).items() if k not in ("api_key", "secrets")}
    d["run"] = cfg.run.to_dict()
    return d


def config_from_record(rec: dict[str, Any]) -> BenchConfig:
    fields = set(BenchConfig.__dataclass_fields__) - {"run", "api_key", "secrets"}
    cfg = BenchConfig(**{k: v for k, v in rec.items() if k in fields})
    if isinstance(rec.get("run"), dict):
        cfg.run = RunConfig.from_dict(rec["run"], where="config.json")
    return cfg


def resumed_config(recorded: dict[str, Any], asked: BenchConfig, given: set[str], force: bool) -> BenchConfig:
    """The configuration of a resumed run: the recorded one, with the execution options the user gave again.
    A result field given with a different value is refused unless `force` (then the new value is used)."""
    out = config_from_record(recorded)
    rec, asked_rec = config_record(out), config_record(asked)
    diffs = [k for k in RESULT_FIELDS if k in given and asked_rec.get(k) != rec.get(k)]
    if diffs and not force:
        what = ", ".join(k if k == "run" else f"{k}={rec.get(k)!r} (asked {asked_rec.get(k)!r})" for k in diffs)
        raise BadInput(f"this run was recorded with other values of {what}; resume it without those flags, or "
                       "pass --force to resume with the new values")
    for k in diffs:
        setattr(out, k, getattr(asked, k))
    for k in set(BenchConfig.__dataclass_fields__) - set(RESULT_FIELDS):
        if k in given:
            setattr(out, k, getattr(asked, k))
    out.api_key, out.secrets = asked.api_key, asked.secrets  # never recorded: from this invocation
    return out


def make_executor(cfg: BenchConfig, notice: Callable[[str], None]) -> Any:
    if cfg.executor == "ray":
        from webagent.tasks.ray_executor import RayExecutor
        return RayExecutor(Worker, cfg.workers, address=cfg.ray_address, timeout_for=lambda t: task_timeout(cfg, t),
                           notice=notice)
    from webagent.tasks.pool import InlineExecutor, PoolExecutor
    if cfg.executor == "inline":
        return InlineExecutor(Worker)
    return PoolExecutor(Worker, cfg.workers, timeout_for=lambda t: task_timeout(cfg, t), notice=notice)


def run_bench(cfg: BenchConfig, print_fn: Callable[[str], None] = print, *, resume: str | Path | None = None,
              force: bool = False, given: set[str] | None = None) -> tuple[Path, dict[str, Any]]:
    """Run a benchmark (or resume one: `resume` is its directory; `given` names the fields the user set again);
    returns (run directory, summary of every result in the run)."""
    from webagent.recorder import new_run_dir
    if cfg.workers < 1:
        raise BadInput("--workers must be at least 1")
    if cfg.task_timeout is not None and cfg.task_timeout <= 0:
        raise BadInput("--task-timeout must be a positive number of seconds")
    notice = lambda msg: print_fn(f"note: {msg}")  # noqa: E731
    executor = make_executor(cfg, notice)  # before touching the run directory: a missing Ray fails cleanly
    if resume is not None:
        run_dir = Path(resume)
        record = rundir.read_config(run_dir)
        cfg = resumed_config(record.get("config", {}), cfg, given or set(), force)
        all_tasks, sites, external = plan_run(cfg)
        by_id = {t.task_id: t for t in all_tasks}
        missing = [i for i in record["tasks"] if i not in by_id]
        if missing:
            raise BadInput(f"{run_dir}: task(s) {', '.join(missing[:5])} of the run are no longer in the suite")
        todo = rundir.pending(run_dir, record["tasks"])
        for tid in todo:
            rundir.set_aside(run_dir, tid)
        tasks = [by_id[i] for i in todo]
        record["config"] = config_record(cfg)
        record.setdefault("sessions", []).append({"started": time.time(), "tasks": len(tasks)})
        rundir.write_config(run_dir, record)
        print_fn(f"bench: resuming {run_dir}: {len(record['tasks']) - len(todo)} of {len(record['tasks'])} "
                 f"task(s) already have a result; running {len(todo)}")
    else:
        tasks, sites, external = plan_run(cfg)
        if cfg.out and cfg.overwrite:
            from webagent.recorder import prepare_out
            prepare_out(cfg.out, True)  # --overwrite: the run already there goes
        run_dir = Path(cfg.out) if cfg.out else new_run_dir("runs", "bench-gold" if cfg.gold else "bench")
        rundir.create(run_dir, {"config": config_record(cfg), "tasks": [t.task_id for t in tasks],
                                "sites_started": sites, "external_urls": external,
                                "sessions": [{"started": time.time(), "tasks": len(tasks)}]})
        where = "MiniWoB++'s pages" if cfg.suite == MINIWOB else "external sites"
        print_fn(f"bench: {len(tasks)} task(s) on {', '.join(sites) or where}"
                 f"{' (gold actions)' if cfg.gold else ''}; run directory {run_dir}")
    if sites and not is_bundled_suite(cfg.suite):
        print_fn(f"warning: --bundled-sites: running {cfg.suite} on the bundled {', '.join(sites)}; their data do "
                 "not match the benchmark's references, so scores are not comparable with published ones")
    problems = {t.task_id: p for t in tasks if (p := eval_problems(t.eval, t.benchmark))}
    if problems:
        print_fn(f"warning: {len(problems)} task(s) have checks that cannot be scored; they will be errors:")
        for tid, ps in problems.items():
            print_fn(f"  {tid}: {'; '.join(ps)}")
    from webagent.tasks.status import LiveStatus, RunStatus
    t0 = time.perf_counter()
    done = [0]
    status = RunStatus(len(tasks), run_dir)
    live = LiveStatus(status, print_fn, live=print_fn is print)  # the status line: only on a terminal

    def on_result(r: dict[str, Any]) -> None:
        done[0] += 1
        rundir.append_result(run_dir, r)
        status.finished(r)
        live.emit(progress_line(done[0], len(tasks), r))

    if resume is not None:
        executor = make_executor(cfg, notice)  # the resumed configuration may name another executor
    executor.notice = lambda msg: live.emit(f"note: {msg}", with_status=False)
    with live:
        executor.run(cfg, run_dir, sites, external, tasks, on_result, on_start=status.started)
    summary = summarize(rundir.read_results(run_dir), time.perf_counter() - t0)
    (run_dir / rundir.SUMMARY).write_text(json.dumps(summary, indent=1))
    print_fn(format_summary(summary))
    return run_dir, summary
