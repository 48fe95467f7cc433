"""Site name -> module. Modules are imported lazily, so a missing or broken site only fails when used."""

from __future__ import annotations

import importlib
from types import ModuleType

from webagent.errors import SetupError

SITES: dict[str, str] = {
    "shop": "webagent.tasks.sites.shop",
    "shop_admin": "webagent.tasks.sites.shop_admin",
    "forum": "webagent.tasks.sites.forum",
    "codehost": "webagent.tasks.sites.codehost",
    "wiki": "webagent.tasks.sites.wiki",
}


def names() -> list[str]:
    """Every registered site name, available or not."""
    return list(SITES)


def load(name: str) -> ModuleType:
    """Import a site's module; SetupError with one clear line if the name is unknown or the import fails."""
    if name not in SITES:
        raise SetupError(f"unknown site {name!r}; known sites: {', '.join(SITES)}")
    try:
        return importlib.import_module(SITES[name])
    except ImportError as e:
        raise SetupError(f"site {name!r} is not available: cannot import {SITES[name]} ({e})") from e


def available() -> list[str]:
    """Registered sites whose module imports."""
    out = []
    for name in SITES:
        try:
            load(name)
        except SetupError:
            continue
        out.append(name)
    return out
