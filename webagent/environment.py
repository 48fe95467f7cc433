"""The environment seam: what `webagent` needs from the world a run acts on, without knowing any site.

`webagent run --site NAME` starts a bundled site; `webagent replay` re-creates the sites a recorded run used (from
their seed state), maps the recorded URLs, logs in when the task requires it and re-runs the task's evaluation. All
of that lives in `webagent.tasks`, which registers an `Environment` in the `webagent.environments` plugin group
(see webagent.plugins). Without one, `NoEnvironment` says plainly what is missing instead of failing deep inside.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from webagent import plugins
from webagent.errors import SetupError

if TYPE_CHECKING:
    from webagent.trajectory import Trajectory


class RunningSite(Protocol):
    """A started site the caller hands in (e.g. a bundled site server): its base URL, and a reset to its seed."""

    url: str

    def reset(self) -> Any: ...


class Environment(Protocol):
    """Bundled sites that can be started, the logins and the evaluation of the tasks that use them."""

    name: str

    def site_names(self) -> list[str]:
        """Every site this environment can start."""
        ...

    def sites_used(self, traj: Trajectory) -> dict[str, str | None]:
        """Sites a recorded run used -> the base URL they had then (None when the recording does not say)."""
        ...

    def start(self, names: list[str]) -> AbstractContextManager[dict[str, str]]:
        """Start these sites from their seed state; the context yields name -> base URL and stops them on exit."""
        ...

    def placeholders(self, urls: dict[str, str]) -> dict[str, str]:
        """URL placeholders a task file may hold (e.g. WebArena's `__SHOPPING__`) -> the base URLs of now."""
        ...

    async def login(self, browser: Any, urls: dict[str, str], workdir: Path) -> str | None:
        """A storage_state file logged in to every site in `urls` (a Playwright Browser makes the logins)."""
        ...

    async def evaluate(self, eval_block: dict[str, Any], *, answer: str | None, url: str, page: Any,
                       intent: str, sites: dict[str, str] | None = None) -> dict[str, Any]:
        """Score an episode against a task's eval block: {"score": float | None, "checks": [...], ...}.
        `sites` maps WebArena placeholders (`__SHOPPING__`) to the URLs of this episode, for `func:` helpers."""
        ...


class NoEnvironment:
    """No environment installed: no bundled sites, no evaluation; every attempt to use them says so in one line."""

    name = "none"

    def site_names(self) -> list[str]:
        return []

    def sites_used(self, traj: Trajectory) -> dict[str, str | None]:
        return {}

    def start(self, names: list[str]) -> AbstractContextManager[dict[str, str]]:
        raise SetupError(f"no environment with bundled sites is installed, so {', '.join(names)} cannot be "
                         "started (install webagent with its tasks package: pip install -e .)")

    def placeholders(self, urls: dict[str, str]) -> dict[str, str]:
        return {}

    async def login(self, browser: Any, urls: dict[str, str], workdir: Path) -> str | None:
        return None

    async def evaluate(self, eval_block: dict[str, Any], *, answer: str | None, url: str, page: Any,
                       intent: str, sites: dict[str, str] | None = None) -> dict[str, Any]:
        raise SetupError("no environment is installed to evaluate tasks with (webagent.tasks)")


def environment() -> Environment:
    """The registered environment (the last one wins), else NoEnvironment."""
    return plugins.last(plugins.ENVIRONMENTS) or NoEnvironment()
