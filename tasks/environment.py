"""The bundled-sites environment: implements webagent.environment.Environment for `run --site` and `replay`.

Registered as the `bundled` entry point of the `webagent.environments` group (pyproject.toml). Site-name inference
for a recorded run (our names, WebArena's names, the recorded origins) lives here and only here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from webagent.tasks.sites import registry
from webagent.tasks.spec import LOCAL_TO_PLACEHOLDER, PLACEHOLDER_RE, PLACEHOLDERS, load_tasks, local_site

from webagent.trajectory import Trajectory


class BundledSites:
    """The WebArena-style sites of webagent.tasks.sites, their logins and the suite's evaluators."""

    name = "bundled"

    def __init__(self) -> None:
        self._running: dict[tuple[tuple[str, str], ...], Any] = {}  # started groups, by their URLs

    def site_names(self) -> list[str]:
        return registry.names()

    def sites_used(self, traj: Trajectory) -> dict[str, str | None]:
        return sites_used(traj)

    @contextmanager
    def start(self, names: list[str]) -> Iterator[dict[str, str]]:
        from webagent.tasks.sites.server import SiteGroup

        with SiteGroup(names) as group:
            key = tuple(sorted(group.urls.items()))
            self._running[key] = group
            try:
                yield group.urls
            finally:
                self._running.pop(key, None)

    def snapshots(self, urls: dict[str, str]) -> Any:
        """Server snapshots (webagent.server_state) of the sites `start` is running at `urls`; None if it is not."""
        from webagent.tasks.sites.snapshots import SiteSnapshots

        group = self._running.get(tuple(sorted(urls.items())))
        return SiteSnapshots.of_group(group) if group is not None else None

    def placeholders(self, urls: dict[str, str]) -> dict[str, str]:
        return {LOCAL_TO_PLACEHOLDER[n]: u for n, u in urls.items() if n in LOCAL_TO_PLACEHOLDER}

    async def login(self, browser: Any, urls: dict[str, str], workdir: Path) -> str | None:
        from webagent.tasks.login import StateCache

        return await StateCache(browser, urls, workdir).state_for_sites(list(urls))

    async def evaluate(self, eval_block: dict[str, Any], *, answer: str | None, url: str, page: Any,
                       intent: str, sites: dict[str, str] | None = None) -> dict[str, Any]:
        from webagent.tasks.evaluators import evaluate

        res = await evaluate(eval_block, answer=answer, url=url, page=page, intent=intent, sites=sites)
        return res.to_dict()


BUNDLED = BundledSites()


def sites_used(traj: Trajectory) -> dict[str, str | None]:
    """Bundled sites a recorded run used -> the base URL they had when recorded (None when unknown).

    From the task's `site_urls` {name: url}, else its `site` (one name) or `sites` (WebArena names such as
    `shopping` are mapped to the bundled site that plays them), with the start URL's origin for a single site."""
    task = traj.task
    start = str(task.get("start_url") or "").split(" |AND| ")[0]
    origin = _origin(start)
    urls = task.get("site_urls") or traj.config.get("site_urls") or {}
    names: list[str] = []
    if task.get("site"):
        names.append(str(task["site"]))
    for s in task.get("sites") or []:
        names.append(str(s))
    known = registry.names()
    out: dict[str, str | None] = {}
    for n in [*urls, *names]:
        local = local_site(n)
        if local in known and local not in out:
            out[local] = urls.get(n) or urls.get(local)
    if len(out) == 1:
        (only,) = out
        out[only] = out[only] or origin
    elif any(v is None for v in out.values()):
        for name, url in _origins_from_suite(traj).items():
            if out.get(name) is None and name in out:
                out[name] = url
    return out


def _origins_from_suite(traj: Trajectory) -> dict[str, str]:
    """Recorded base URL of each site of a multi-site task: align the suite's task (with placeholders) against the
    bound copy the header holds. Empty when the task is not in the installed suite."""
    spec, tid = traj.spec, traj.task.get("task_id")
    if tid is None:
        return {}
    try:
        raw = next((t.raw for t in load_tasks("local") if str(t.task_id) == str(tid)), None)
    except Exception:  # noqa: BLE001 - a broken suite: nothing to infer from
        return {}
    if raw is None:
        return {}
    found: dict[str, str] = {}

    def walk(r: Any, b: Any) -> None:
        if isinstance(r, str) and isinstance(b, str) and PLACEHOLDER_RE.search(r):
            parts = PLACEHOLDER_RE.split(r)
            names = PLACEHOLDER_RE.findall(r)
            pattern = "".join(re.escape(p) + (f"(?P<g{i}>https?://[^/]+)" if i < len(names) else "")
                              for i, p in enumerate(parts))
            m = re.fullmatch(pattern, b)
            if m:
                for i, ph in enumerate(names):
                    local = PLACEHOLDERS.get(ph, (None, None))[1]
                    if local:
                        found.setdefault(local, m.group(f"g{i}"))
        elif isinstance(r, dict) and isinstance(b, dict):
            for k in r:
                if k in b:
                    walk(r[k], b[k])
        elif isinstance(r, list) and isinstance(b, list):
            for x, y in zip(r, b, strict=False):
                walk(x, y)
    walk(raw, spec)
    return found


def _origin(url: str) -> str | None:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}" if p.scheme in ("http", "https") and p.netloc else None
