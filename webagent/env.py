"""A gymnasium environment over a browser session and a task: `reset()` opens the task's start page, `step(text)`
executes one action of the action language (`click [12]`), rewards come from the task's evaluator.

`WebEnv` is the `gymnasium.Env` (synchronous; it runs the async browser on its own event-loop thread, so it works
from scripts, notebooks and inside another event loop alike); `AsyncWebEnv` is the same environment for callers
with their own asyncio loop (`await env.reset()`, `await env.step(...)`). Where the episode comes from is a
`TaskSource`: `UrlTask` (a URL and an intent, here) or a bundled task (webagent.tasks.gym, which registers
`webagent/<task_id>` with gymnasium through the `webagent.gym` plugin group when this module is imported).

Needs the `gym` extra: pip install 'webagent[gym]'.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

try:
    import gymnasium
    import numpy as np
    from gymnasium import spaces
except ImportError:  # pragma: no cover - depends on the installed extras
    from webagent.errors import SetupError
    raise SetupError("webagent.env needs gymnasium: pip install 'webagent[gym]'") from None

from webagent import plugins
from webagent.action_policy import ActionPolicy
from webagent.browser import BrowserConfig, BrowserSession
from webagent.control import Controller, Outcome
from webagent.errors import BadInput
from webagent.observers import IdCounter, Observation, ObserveOptions
from webagent.safety import Secrets

T = TypeVar("T")
MAX_TEXT = 1_000_000  # characters of the observation text a space admits
MAX_ID = 2**31 - 1


# ------------------------------------------------------------------------------------------------ spaces

class FreeText(spaces.Text):
    """Any string up to `max_length` characters (gymnasium's Text admits only its charset; pages hold any)."""

    def __init__(self, max_length: int = MAX_TEXT, min_length: int = 0) -> None:
        super().__init__(max_length, min_length=min_length)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length


SAMPLE_WORDS = ("laptop", "mug", "red", "hello", "2", "Kestrel", "search")


class ActionSpace(FreeText):
    """Actions in the action language, as text. `sample()` draws a random action over the ids of the current
    observation (the environment keeps `ids` up to date): click, hover, type a word, scroll, go back or forward,
    and now and then `stop` with a word."""

    def __init__(self, max_length: int = 4000) -> None:
        super().__init__(max_length, min_length=1)
        self.ids: tuple[int, ...] = ()

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        rng = self.np_random
        word = str(rng.choice(SAMPLE_WORDS))
        page = ["scroll [down]", "scroll [up]", "go_back", "go_forward", f"stop [{word}]"]
        if not self.ids:
            return str(rng.choice(page))
        i = int(rng.choice(self.ids))
        verbs = [f"click [{i}]", f"click [{i}]", f"hover [{i}]", f"type [{i}] [{word}] [{int(rng.integers(2))}]"]
        pool = verbs * 3 + page
        return str(pool[int(rng.integers(len(pool)))])


def observation_space(viewport: tuple[int, int], max_width: int = 1280) -> spaces.Dict:
    """The observation: text with [ids], the elements behind the ids, the viewport screenshot (RGB array), the
    URL, the tabs and the last action's error ("" when it succeeded)."""
    h, w = screenshot_shape(viewport, max_width)
    element = spaces.Dict({
        "id": spaces.Discrete(MAX_ID), "role": FreeText(200), "name": FreeText(10_000), "value": FreeText(100_000),
        "bbox": spaces.Box(np.iinfo(np.int32).min, np.iinfo(np.int32).max, (4,), np.int32),
    })
    tab = spaces.Dict({"index": spaces.Discrete(1024), "url": FreeText(10_000), "title": FreeText(10_000),
                       "active": spaces.Discrete(2)})
    return spaces.Dict({
        "text": FreeText(), "url": FreeText(10_000), "elements": spaces.Sequence(element),
        "screenshot": spaces.Box(0, 255, (h, w, 3), np.uint8), "tabs": spaces.Sequence(tab),
        "last_action_error": FreeText(10_000),
    })


def screenshot_shape(viewport: tuple[int, int], max_width: int = 1280) -> tuple[int, int]:
    """(height, width) of the screenshot array: the viewport, scaled down to `max_width` as observations are."""
    w, h = viewport
    if w > max_width:
        h, w = round(h * max_width / w), max_width
    return h, w


def screenshot_array(data: bytes | None, shape: tuple[int, int]) -> np.ndarray:
    """The screenshot as an (H, W, 3) uint8 RGB array; black when there is none (the page did not answer)."""
    if not data:
        return np.zeros((*shape, 3), np.uint8)
    from PIL import Image
    with Image.open(io.BytesIO(data)) as img:
        rgb = img.convert("RGB")
        if rgb.size != (shape[1], shape[0]):
            rgb = rgb.resize((shape[1], shape[0]))
        return np.asarray(rgb, dtype=np.uint8).copy()


def to_observation(obs: Observation, error: str | None, shape: tuple[int, int]) -> dict[str, Any]:
    """The observation dict of `observation_space` (fresh objects every call, as gymnasium asks)."""
    def bbox(b: Any) -> np.ndarray:
        return np.asarray(list(b) if b else [0, 0, 0, 0], dtype=np.int32)
    return {
        "text": obs.text, "url": obs.url,
        "elements": tuple({"id": int(e.id), "role": e.role, "name": e.name, "value": e.value or "",
                           "bbox": bbox(e.bbox)} for e in obs.elements.values()),
        "screenshot": screenshot_array(obs.screenshot, shape),
        "tabs": tuple({"index": t.index, "url": t.url, "title": t.title, "active": int(t.active)} for t in obs.tabs),
        "last_action_error": error or "",
    }


# ------------------------------------------------------------------------------------------------ tasks

@dataclass
class Episode:
    """How an episode starts: its intent, the start pages (the agent starts in the first), a login state, and
    what goes into the trajectory header's task."""

    intent: str
    start_urls: list[str]
    storage_state: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class TaskSource(Protocol):
    """Where episodes come from: started once, begun (sites reset, logins made) at every reset, scored, closed."""

    async def start(self) -> list[str]:
        """Start what the task needs (sites); returns extra allowed domains for the browser."""
        ...

    async def begin(self, session: BrowserSession) -> Episode:
        """Make a fresh episode: reset the sites, log in; `session` is started (its browser makes the logins)."""
        ...

    async def score(self, answer: str | None, session: BrowserSession) -> dict[str, Any]:
        """The evaluation of the episode so far: {"score": float | None, ...} (None: not scorable here)."""
        ...

    async def close(self) -> None:
        """Stop what `start` started."""
        ...


Scorer = Callable[[str | None, BrowserSession], Awaitable[float | None]]


class UrlTask:
    """A URL and an intent. Without a `scorer` every reward is 0 (nothing knows the right answer)."""

    def __init__(self, url: str, intent: str = "", scorer: Scorer | None = None) -> None:
        from webagent.safety import check_url
        self.url, self.intent, self.scorer = check_url(url), intent, scorer

    async def start(self) -> list[str]:
        return []

    async def begin(self, session: BrowserSession) -> Episode:
        return Episode(self.intent, [self.url], meta={"intent": self.intent, "start_url": self.url})

    async def score(self, answer: str | None, session: BrowserSession) -> dict[str, Any]:
        if self.scorer is None:
            return {"score": None, "notices": ["no scorer: the reward is 0"]}
        return {"score": await self.scorer(answer, session)}

    async def close(self) -> None:
        return None


# ------------------------------------------------------------------------------------------------ the environment

class AsyncWebEnv:
    """The environment for callers with their own event loop: `await reset()`, `await step(action)`,
    `await close()`; same spaces, observations and info as `WebEnv`.

    `reward`: "stop" scores the episode when it ends (the agent's `stop [answer]`, or the step budget), as WebArena
    does; "step" scores after every step too (the task's checks on the page as it is; the answer only at stop).
    `record_dir`: each episode is recorded as a run directory under it (`episode_0001/`, ...)."""

    metadata: dict[str, Any] = {"render_modes": ["rgb_array"], "render_fps": 1}

    def __init__(self, task: TaskSource, *, max_steps: int = 15, browser: BrowserConfig | None = None,
                 options: ObserveOptions | None = None, secrets: Secrets | None = None,
                 action_policy: ActionPolicy | None = None, reward: str = "stop",
                 record_dir: str | Path | None = None) -> None:
        if reward not in ("stop", "step"):
            raise BadInput(f"reward must be 'stop' or 'step', not {reward!r}")
        if max_steps < 1:
            raise BadInput("max_steps must be at least 1")
        self.task, self.max_steps, self.reward_mode = task, max_steps, reward
        self.browser = browser or BrowserConfig()
        self.options = options or ObserveOptions()
        self.secrets, self.action_policy = secrets or Secrets(), action_policy
        self.record_dir = Path(record_dir) if record_dir else None
        self.shape = screenshot_shape(self.browser.viewport, self.options.screenshot_max_width)
        self.observation_space = observation_space(self.browser.viewport, self.options.screenshot_max_width)
        self.action_space = ActionSpace()
        self.np_random = np.random.default_rng()
        self.session: BrowserSession | None = None
        self.control: Controller | None = None
        self.episode: Episode | None = None
        self.episodes = 0
        self.steps = 0
        self.done = True
        self.last_screenshot: np.ndarray | None = None
        self._started = False
        self._closed = False

    async def _start(self) -> None:
        if self._started:
            return
        if self._closed:
            raise BadInput("this environment is closed; make a new one")
        extra = await self.task.start()
        self._started = True  # from here on close() has something to stop
        cfg = self.browser
        cfg.allowed_domains = list(dict.fromkeys([*cfg.allowed_domains, *extra]))
        self.session = BrowserSession(cfg)
        await self.session.start()
        self.session.action_policy = self.action_policy
        self.control = Controller(self.session, secrets=self.secrets, options=self.options)

    async def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new episode on freshly reset sites: the start page observed. `seed` seeds `np_random` and the action
        space's sampling (the sites are reset to their seed data whatever it is)."""
        t0 = time.perf_counter()
        if seed is not None:
            self.np_random = np.random.default_rng(seed)
            self.action_space.seed(seed)
        await self._start()
        assert self.session is not None and self.control is not None
        if self.control.recorder is not None:
            self.control.finish("interrupted", None, "reset before the episode ended")
        episode = await self.task.begin(self.session)
        self.session.counter = IdCounter()  # ids count from 1 every episode: equal pages, equal observations
        await self.session.new_context(episode.storage_state)
        self.episode, self.steps, self.done = episode, 0, False
        self.episodes += 1
        self.control.steps = 0
        if self.record_dir is not None:
            self.control.record_to(self.record_dir / f"episode_{self.episodes:04d}", episode.meta,
                                   {"model": "none (actions from the caller)", "planner": "external",
                                    "max_steps": self.max_steps})
        for extra in episode.start_urls[1:]:  # several tabs (" |AND| "): the agent starts in the first
            page = await self.session.new_tab()
            await page.goto(extra, wait_until="domcontentloaded")
        if len(episode.start_urls) > 1:
            await self.session.focus(0)
        await self.control.open(episode.start_urls[0])
        t_open = time.perf_counter()
        obs = await self.control.observe()
        self.action_space.ids = tuple(obs.elements)
        info = {"intent": episode.intent, "url": obs.url, "step": 0, "notices": list(obs.notices),
                "timings": {"reset_ms": round((t_open - t0) * 1000, 1),
                            "observe_ms": round((time.perf_counter() - t_open) * 1000, 1)}}
        out = to_observation(obs, None, self.shape)
        self.last_screenshot = out["screenshot"].copy()
        return out, info

    async def step(self, action: str) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        """Execute one action (text, e.g. `click [12]`); returns (observation, reward, terminated, truncated,
        info). A bad action is not an exception: the next observation's `last_action_error` and info's
        `error_kind` say what went wrong."""
        if self.done or self.control is None:
            raise gymnasium.error.ResetNeeded("call reset() before step(): the episode has ended or not begun")
        if not isinstance(action, str):
            raise BadInput(f"an action is text in the action language (e.g. 'click [12]'), not {type(action).__name__}")
        self.steps += 1
        outcome: Outcome = await self.control.act(action)
        t_obs = time.perf_counter()
        obs = await self.control.observe()
        self.action_space.ids = tuple(obs.elements)
        observe_ms = round((time.perf_counter() - t_obs) * 1000, 1)
        terminated = outcome.stopped
        truncated = not terminated and self.steps >= self.max_steps
        evaluation: dict[str, Any] | None = None
        t_score = time.perf_counter()
        if terminated or truncated or self.reward_mode == "step":
            assert self.session is not None
            evaluation = await self.task.score(outcome.answer if terminated else None, self.session)
        reward = float((evaluation or {}).get("score") or 0.0)
        info: dict[str, Any] = {
            "action": outcome.action, "ok": outcome.ok, "error": outcome.error, "error_kind": outcome.error_kind,
            "url": obs.url, "step": self.steps, "notices": list(obs.notices),
            "timings": {**outcome.timings, "observe_ms": observe_ms,
                        **({"score_ms": round((time.perf_counter() - t_score) * 1000, 1)} if evaluation else {})},
        }
        if terminated:
            info["answer"] = outcome.answer
        if evaluation is not None:
            info["evaluation"] = evaluation
        if terminated or truncated:
            self.done = True
            assert self.control is not None
            self.control.finish("answered" if terminated else "max_steps", outcome.answer if terminated else None,
                                "the caller stopped with an answer" if terminated else
                                f"the step budget ({self.max_steps}) ran out", evaluation)
        out = to_observation(obs, outcome.error, self.shape)
        self.last_screenshot = out["screenshot"].copy()
        return out, reward, terminated, truncated, info

    def render(self) -> np.ndarray | None:
        """The last observation's screenshot (render mode `rgb_array`)."""
        return None if self.last_screenshot is None else self.last_screenshot.copy()

    async def close(self) -> None:
        """Close the browser and stop the task's sites; a second close does nothing."""
        if self._closed:
            return
        self._closed = True
        try:
            if self.control is not None:
                self.control.finish("interrupted", None, "the environment was closed")
            if self.session is not None:
                await self.session.close()
        finally:
            if self._started:
                await self.task.close()


class _LoopThread:
    """An event loop on a daemon thread: the synchronous environment runs its coroutines there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="webagent-env", daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class WebEnv(gymnasium.Env):
    """The gymnasium environment: `WebEnv(task)` or `WebEnv(url=..., intent=...)`; see AsyncWebEnv for the
    options. The browser and the task's sites start at the first reset and stop at `close()`."""

    metadata = AsyncWebEnv.metadata

    def __init__(self, task: TaskSource | None = None, *, url: str | None = None, intent: str = "",
                 render_mode: str | None = None, **kwargs: Any) -> None:
        if task is None:
            if not url:
                raise BadInput("WebEnv needs a task, or a url (and an intent)")
            task = UrlTask(url, intent)
        if render_mode not in (None, "rgb_array"):
            raise BadInput(f"render_mode must be None or 'rgb_array', not {render_mode!r}")
        self.render_mode = render_mode
        self.env = AsyncWebEnv(task, **kwargs)
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space
        self._loop: _LoopThread | None = None

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            self._loop = _LoopThread()
        return self._loop.run(coro)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        super().reset(seed=seed)
        if seed is not None:
            self.action_space.seed(seed)
        return self._run(self.env.reset(options=options))

    def step(self, action: str) -> tuple[dict[str, Any], float, bool, bool, dict[str, Any]]:
        return self._run(self.env.step(action))

    def render(self) -> np.ndarray | None:  # type: ignore[override]
        return self.env.render()

    def close(self) -> None:
        if self._loop is None:
            self.env._closed = True
            return
        try:
            self._run(self.env.close())
        finally:
            self._loop.stop()
            self._loop = None
            self.env._closed = True


def _register_plugins() -> None:
    """Let the higher layers register their environments (webagent.tasks: `webagent/<task_id>`)."""
    for _name, register in plugins.load(plugins.GYM):
        register()


_register_plugins()
