"""Lazy package exports (PEP 562), in the lowest layer so that every layer may use it: a package names what it
exports and where, and each module is imported on first attribute access. Keeps `import webagent` and `webagent --help` from paying for Playwright, the OpenAI SDK or
llama.cpp. Packages using it also import every export under TYPE_CHECKING, so type checkers and IDEs see them
(tests/test_imports.py checks the two lists agree)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, resolving `name` from the module `exports[name]`."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later accesses skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *exports})

    return __getattr__, __dir__
