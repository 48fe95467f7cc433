"""Registration seams through which higher layers plug into `webagent` without `webagent` importing them.

Layering is `observers <- webagent <- search <- tasks`: a lower layer never imports a higher one. Where `webagent`
needs something only a higher layer knows (the CLI's `bench`/`sites`/`eval` commands and planner flags, replay's
bundled sites), it names a group here; the higher layer declares an entry point in that group (pyproject.toml,
`[project.entry-points."webagent.commands"]` etc.) or calls `register()` at run time. `webagent` loads the group by
name and never by module, so a stray `tasks.py` in the working directory cannot shadow or drop anything.

Groups:
* `webagent.commands`: `add_commands(subparsers, add_model_flags) -> {command: handler}` (see webagent.cli).
* `webagent.planners`: a callable that registers planners (`webagent.planner.register_planner`: name, params
  dataclass with the options and their flags, factory); see `webagent.planner.load_planners`.
* `webagent.environments`: a `webagent.environment.ReplayEnvironment` (what replay needs from the world).
* `webagent.gym`: a callable that registers gymnasium environments (`webagent/<task_id>`); `webagent.env` calls
  each when it is imported.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from typing import Any

from webagent.errors import SetupError

COMMANDS = "webagent.commands"
PLANNERS = "webagent.planners"
ENVIRONMENTS = "webagent.environments"
GYM = "webagent.gym"
GROUPS = (COMMANDS, PLANNERS, ENVIRONMENTS, GYM)

_registered: dict[str, list[tuple[str, Any]]] = {g: [] for g in GROUPS}
_loaded: dict[str, list[tuple[str, Any]]] = {}


def register(group: str, name: str, obj: Any) -> None:
    """Add `obj` to `group` at run time (embedding, tests); it comes after, and replaces, an entry point of that
    name."""
    if group not in GROUPS:
        raise ValueError(f"unknown plugin group {group!r}; known: {', '.join(GROUPS)}")
    _registered[group] = [(n, o) for n, o in _registered[group] if n != name] + [(name, obj)]


def unregister(group: str, name: str) -> None:
    _registered[group] = [(n, o) for n, o in _registered[group] if n != name]


def _load(ep: EntryPoint) -> Any:
    try:
        return ep.load()
    except Exception as e:  # noqa: BLE001 - a broken plugin is a set-up problem, said in one line
        raise SetupError(f"plugin {ep.name!r} ({ep.value}, group {ep.group}) does not load: "
                         f"{type(e).__name__}: {e}; reinstall webagent (pip install -e .)") from None


def load(group: str) -> list[tuple[str, Any]]:
    """(name, object) of every plugin in `group`: installed entry points (by name) then run-time registrations."""
    if group not in GROUPS:
        raise ValueError(f"unknown plugin group {group!r}; known: {', '.join(GROUPS)}")
    if group not in _loaded:
        eps = sorted(entry_points(group=group), key=lambda ep: ep.name)
        _loaded[group] = [(ep.name, _load(ep)) for ep in eps]
    names = {n for n, _ in _registered[group]}
    return [(n, o) for n, o in _loaded[group] if n not in names] + list(_registered[group])


def last(group: str) -> Any | None:
    """The plugin that wins in a group that needs one (the last registered, else the last entry point)."""
    found = load(group)
    return found[-1][1] if found else None
