"""Bundled tasks as gymnasium environments: `gymnasium.make("webagent/shop_001")` after `import webagent.env`.

`BundledTask` is the `webagent.env.TaskSource` of a task of the suite (or any WebArena-format task on the bundled
sites): it starts the sites the task uses on free loopback ports, resets them to their seed data at every episode,
logs in when the task requires it, and scores with the suite's evaluators. `register_envs` (the `webagent.gym`
entry point) registers every task of the bundled suite.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from webagent.tasks.spec import Task, load_tasks, select, url_map

from webagent.browser import BrowserSession
from webagent.errors import BadInput

if TYPE_CHECKING:
    from webagent.env import Episode, WebEnv

# webagent.env is imported where it is used: importing it runs the `webagent.gym` entry point, which is
# register_envs below, so importing it here at the top would be circular.

NAMESPACE = "webagent"


class BundledTask:
    """A task on the bundled sites. `judge`: a ChatModel for `fuzzy_match` checks (without one they are not
    scorable, and the reward is 0)."""

    def __init__(self, task: Task | str, judge: Any = None) -> None:
        if isinstance(task, str):
            found = select(load_tasks("local"), None, [task])
            if not found:
                raise BadInput(f"no bundled task {task!r}; see tasks/suite/*.json for the task ids")
            task = found[0]
        if not task.local_sites:
            raise BadInput(f"task {task.task_id} uses no bundled site")
        self.task, self.judge = task, judge
        self.group: Any = None
        self.urls: dict[str, str] = {}
        self.bound: Task | None = None
        self._auth: Path | None = None
        self._states: Any = None

    async def start(self) -> list[str]:
        from webagent.tasks.sites.server import SiteGroup

        group = SiteGroup(self.task.local_sites)
        await asyncio.to_thread(group.start)
        self.group = group
        self.urls = url_map({}, env={}, local=group.urls)
        self.bound = self.task.bind(self.urls)
        return sorted({urlsplit(u).hostname or "" for u in group.urls.values()})

    async def begin(self, session: BrowserSession) -> Episode:
        from webagent.tasks.login import StateCache

        from webagent.env import Episode

        assert self.group is not None and self.bound is not None
        await asyncio.to_thread(self.group.reset, self.task.local_sites)
        storage = None
        if self.task.require_login:
            if self._states is None:
                self._auth = Path(tempfile.mkdtemp(prefix="webagent-gym-auth-"))
                self._states = StateCache(session._browser, self.group.urls, self._auth)
            storage = await self._states.state_for_sites(self.task.local_sites)
        b = self.bound
        meta = {"intent": b.intent, "start_url": b.start_urls[0], "task_id": b.task_id, "sites": b.sites,
                "task": b.to_dict(), "placeholder_urls": self.urls}
        return Episode(b.intent, b.start_urls, storage, meta)

    async def score(self, answer: str | None, session: BrowserSession) -> dict[str, Any]:
        from webagent.tasks.evaluators import evaluate

        assert self.bound is not None
        res = await evaluate(self.bound.eval, answer=answer, url=session.page.url, page=session.page,
                             intent=self.bound.intent, model=self.judge, sites=self.urls,
                             benchmark=self.task.benchmark)
        return res.to_dict()

    async def close(self) -> None:
        if self.group is not None:
            await asyncio.to_thread(self.group.stop)
            self.group = None
        if self._auth is not None:
            shutil.rmtree(self._auth, ignore_errors=True)
            self._auth = None


def make_env(task_id: str, judge: Any = None, **kwargs: Any) -> WebEnv:
    """The environment of one bundled task (gymnasium's entry point for `webagent/<task_id>`); `kwargs` go to
    WebEnv / AsyncWebEnv (max_steps, reward, browser, options, secrets, action_policy, record_dir, render_mode)."""
    from webagent.env import WebEnv
    return WebEnv(BundledTask(task_id, judge), **kwargs)


def register_envs() -> None:
    """Register `webagent/<task_id>` for every task of the bundled suite (nondeterministic: a real browser's
    timings and pixels are not bit-for-bit repeatable, though the sites restart from the same data)."""
    import gymnasium

    for t in load_tasks("local"):
        env_id = f"{NAMESPACE}/{t.task_id}"
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(env_id, entry_point="webagent.tasks.gym:make_env", kwargs={"task_id": t.task_id},
                           nondeterministic=True)
