"""MiniWoB++ as a bench suite (`webagent bench --suite miniwob`), from the `miniwob` package (`webagent[miniwob]`).

The package ships each task's page (HTML/JS) and its reward protocol; its own gymnasium environment drives the
pages with Selenium, which we do not use. We serve the package's `html/` folder on loopback and start an episode
as its environment does: `Math.seedrandom(seed)`, `core.setDataMode("train")`, `core.startEpisodeReal()`, then wait
for `WOB_TASK_READY`. The task's utterance (`core.getUtterance()`, the text of `#query`) is the agent's intent.

Scoring reads the page's own flags: `WOB_DONE_GLOBAL`, `WOB_RAW_REWARD_GLOBAL` (the task's reward in [-1, 1]) and
`WOB_REWARD_GLOBAL` (the same reward discounted by the page for the time the episode took, against the task's own
time limit, 10 s for most tasks). An episode the agent leaves unfinished has reward 0, as in the package's
environment. A task's score is max(0, raw reward): 1 is a full success, partial rewards count as such, a wrong
answer (-1) is 0. Both rewards are reported per task (`metrics`) and averaged in the summary.

Two departures from the page as a human sees it, both as BrowserGym does for LLM agents: the page's cut-off
timer (which ends the episode with -1 after the time limit) is pushed out, because a model takes seconds per
step; the discount still uses the task's limit, so a slow agent earns a time-discounted reward near 0. And the
human display beside the task (last reward, countdown, click canvas) is hidden so that the agent observes only
the task. The agent's run ends when the page says the episode is done (`StopWhenDone`).
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import threading
from dataclasses import asdict, dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from webagent.tasks.evaluators import Check, EvalResult
from webagent.tasks.spec import Task

from webagent.actions import Action
from webagent.errors import BadInput, SetupError
from webagent.planner import Plan, PlanContext, Planner

SUITE = "miniwob"
EVAL_TYPE = "miniwob_reward"
INSTALL = "pip install 'webagent[miniwob]'"
DATA_MODE = "train"  # the package environment's default data mode
READY_TIMEOUT_MS = 15_000  # a flight task's page loads its form into an iframe before it is ready
CUTOFF_MS = 2**31 - 1  # the page's end-of-episode timer, pushed out (setTimeout's largest delay, ~24 days)

# Started in the task's page; mirrors the package's SeleniumInstance.begin_task. Returns the utterance.
_START_JS = """async ([seed, mode, cutoff, readyMs]) => {
  Math.seedrandom(seed);
  core.setDataMode(mode);
  core.startEpisodeReal();
  // the page's own cut-off ends the episode with -1 after core.EPISODE_MAX_TIME; an LLM needs longer per step
  if (core.EP_TIMER !== null) clearTimeout(core.EP_TIMER);
  core.EP_TIMER = setTimeout(function () { core.endEpisode(-1, false, 'timed out'); }, cutoff);
  for (const id of ['reward-display', 'click-canvas']) {
    const el = document.getElementById(id);
    if (el) el.style.display = 'none';
  }
  const t0 = Date.now();
  while (!WOB_TASK_READY) {
    if (Date.now() - t0 > readyMs) return null;
    await new Promise((r) => setTimeout(r, 50));
  }
  return core.getUtterance();
}"""

_READ_JS = """() => ({done: !!WOB_DONE_GLOBAL, raw: Number(WOB_RAW_REWARD_GLOBAL), reward: Number(WOB_REWARD_GLOBAL),
  reason: WOB_REWARD_REASON === null || WOB_REWARD_REASON === undefined ? null : String(WOB_REWARD_REASON),
  limit_ms: core.EPISODE_MAX_TIME})"""


# ------------------------------------------------------------------------------------------------ the package

def html_dir() -> Path:
    """The installed package's `html/` folder (found without importing the package)."""
    spec = importlib.util.find_spec("miniwob")
    if spec is None or not spec.submodule_search_locations:
        raise SetupError(f"MiniWoB++ needs its tasks' package: {INSTALL}")
    d = Path(list(spec.submodule_search_locations)[0]) / "html"
    if not (d / "core" / "core.js").is_file():
        raise SetupError(f"the installed miniwob package has no html/core/core.js at {d}; reinstall it: {INSTALL}")
    return d


@functools.cache
def task_names() -> tuple[str, ...]:
    """Every task the installed package registers (its gymnasium ids `miniwob/NAME-v1`), sorted."""
    html_dir()
    try:
        import gymnasium
        import miniwob  # noqa: F401 - registers its environments with gymnasium
    except ImportError as e:
        raise SetupError(f"the miniwob package does not import ({e}); {INSTALL}") from None
    names = sorted(k.split("/", 1)[1].removesuffix("-v1") for k in gymnasium.registry if k.startswith("miniwob/"))
    if not names:
        raise SetupError(f"the installed miniwob package registers no tasks; {INSTALL}")
    return tuple(names)


def page_path(name: str) -> str:
    """A task's page relative to `html/`: `miniwob/NAME.html`, or a flight task's `flight/SITE/wrapper.html`."""
    if name.startswith("flight."):
        return f"flight/{name.split('.', 1)[1]}/wrapper.html"
    return f"miniwob/{name}.html"


def task_id(name: str, seed: int) -> str:
    return f"{name}.{seed}"


def make_task(name: str, seed: int) -> Task:
    """One episode of a MiniWoB++ task as our Task; `start_url` is the page relative to the served `html/`."""
    raw = {"task_id": task_id(name, seed), "sites": [name], "start_url": page_path(name),
           "intent": f"(the utterance of MiniWoB++ task {name}, seed {seed})", "benchmark": SUITE,
           "miniwob": {"task": name, "seed": seed}, "eval": {"eval_types": [EVAL_TYPE]}}
    return Task(task_id=raw["task_id"], sites=[name], intent=raw["intent"], start_url=raw["start_url"],
                eval=raw["eval"], raw=raw, path=SUITE)


def load_suite(seeds: int = 1, only: list[str] | None = None) -> list[Task]:
    """Episodes of the package's tasks, seeds 0..seeds-1 each; `only`: task names (all their seeds) or episode
    ids (`click-button.3`). Raises BadInput naming an unknown task."""
    if seeds < 1:
        raise BadInput("--seeds must be at least 1")
    names = task_names()
    if not only:
        return [make_task(n, s) for n in names for s in range(seeds)]
    out: list[Task] = []
    for want in only:
        if want in names:
            out += [make_task(want, s) for s in range(seeds)]
            continue
        base, _, seed = want.rpartition(".")
        if base in names and seed.isdigit():
            out.append(make_task(base, int(seed)))
            continue
        close = difflib.get_close_matches(base if base in names else want, names, n=3)
        raise BadInput(f"unknown MiniWoB++ task {want!r}" + (f"; did you mean {', '.join(close)}?" if close else
                                                               f"; the package has {len(names)} tasks, e.g. "
                                                               f"{', '.join(names[:5])}"))
    seen: set[str] = set()
    return [t for t in out if not (t.task_id in seen or seen.add(t.task_id))]


def plan(cfg: Any) -> list[Task]:
    """The episodes a bench configuration (tasks.runner.BenchConfig) asks for; BadInput for flags that do not
    apply to MiniWoB++."""
    for given, flag in ((cfg.subset, "--subset"), (cfg.sites, "--site"), (cfg.site_urls, "--site-url"),
                        (cfg.bundled_sites, "--bundled-sites"), (cfg.gold, "--gold")):
        if given:
            raise BadInput(f"{flag} does not apply to --suite {SUITE} (its tasks are pages of the miniwob package"
                           + ("; they have no gold actions)" if flag == "--gold" else ")"))
    return load_suite(cfg.seeds, cfg.task_ids or None)


# ------------------------------------------------------------------------------------------------ serving the pages

class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


class PageServer:
    """The package's `html/` folder over HTTP on 127.0.0.1 (a free port), in a daemon thread of this process:
    `start()` returns the base URL; `stop()` (or the process's end) stops it."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or html_dir()
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise SetupError("the MiniWoB++ page server is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> str:
        if self._httpd is None:
            handler = functools.partial(_Quiet, directory=str(self.directory))
            self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self._httpd.daemon_threads = True
            threading.Thread(target=self._httpd.serve_forever, name="miniwob-pages", daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> PageServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# ------------------------------------------------------------------------------------------------ an episode

def seed_of(task: Task) -> int:
    return int((task.raw.get("miniwob") or {}).get("seed", 0))


async def begin(session: Any, base_url: str, task: Task) -> str:
    """Open the task's page in the session's active tab and start its seeded episode; returns the utterance."""
    await session.goto(f"{base_url.rstrip('/')}/{task.start_url}")
    page = session.page
    utterance = await page.evaluate(_START_JS, [seed_of(task), DATA_MODE, CUTOFF_MS, READY_TIMEOUT_MS])
    if utterance is None:
        raise SetupError(f"MiniWoB++ task {task.task_id}: the page did not say it was ready (WOB_TASK_READY) "
                         f"within {READY_TIMEOUT_MS / 1000:g} s")
    if isinstance(utterance, dict):  # tasks whose getUtterance gives fields as well
        utterance = utterance.get("utterance", "")
    return str(utterance)


@dataclass
class Reward:
    """What the task's page says about its episode."""

    done: bool
    raw: float  # the task's reward in [-1, 1]; 0 until done
    reward: float  # the same, discounted by the page for time against `limit_ms` (time-proportional tasks)
    reason: str | None = None
    limit_ms: float | None = None  # the task's time limit, against which `reward` is discounted
    note: str = ""  # why the flags could not be read (the page left the task), if so

    @property
    def score(self) -> float:
        """Our score in [0, 1]: the raw reward, a failure (-1) counted as 0."""
        return max(0.0, self.raw) if self.done else 0.0

    def metrics(self) -> dict[str, float]:
        return {"raw_reward": self.raw if self.done else 0.0, "reward": self.reward if self.done else 0.0,
                "done": float(self.done)}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


async def read_reward(page: Any) -> Reward:
    """The page's done flag and rewards; a page that is gone or no longer the task's counts as unfinished."""
    try:
        if page.is_closed():
            return Reward(False, 0.0, 0.0, note="the task's tab was closed")
        d = await page.evaluate(_READ_JS)
    except Exception as e:  # noqa: BLE001 (navigated away: the globals are gone with the task's document)
        return Reward(False, 0.0, 0.0, note=f"the task's page is gone ({type(e).__name__}); now at {page.url}")
    return Reward(bool(d["done"]), float(d["raw"]), float(d["reward"]), d.get("reason"), d.get("limit_ms"))


def evaluation(r: Reward) -> EvalResult:
    """The episode's reward as our EvalResult: one check whose score is `r.score`."""
    if r.done:
        detail = (f"done: raw reward {r.raw:g}, time-discounted {r.reward:g}"
                  + (f" ({r.reason})" if r.reason else ""))
    else:
        detail = "not done: the episode did not end (reward 0)" + (f"; {r.note}" if r.note else "")
    return EvalResult([Check(EVAL_TYPE, r.score, detail)])


class StopWhenDone:
    """Wraps the run's planner: once the task's page says the episode is done, the next step is `stop` (MiniWoB++
    tasks end on the page, not with an answer); until then the wrapped planner chooses."""

    def __init__(self, inner: Planner, page: Any) -> None:
        self.inner, self.page = inner, page
        self.name = getattr(inner, "name", type(inner).__name__)

    def params(self) -> dict[str, Any]:
        return self.inner.params() if hasattr(self.inner, "params") else {}

    async def choose(self, ctx: PlanContext) -> Plan:
        r = await read_reward(self.page)
        if r.done:
            return Plan([Action("stop", text="")],
                        candidates=[{"action": "stop []", "episode_done": {"raw_reward": r.raw, "reward": r.reward,
                                                                           "reason": r.reason}}])
        return await self.inner.choose(ctx)
