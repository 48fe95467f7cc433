"""Turn a live page into an Observation: accessibility tree text with stable [id]s, elements, screenshot.

Exports load on first use (observers/lazy.py): the data types import without Playwright."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webagent.observers.lazy import lazy_exports

EXPORTS = {
    "ID_ATTR": "webagent.observers.extract", "IdCounter": "webagent.observers.extract",
    "observe": "webagent.observers.pipeline", "ObserveOptions": "webagent.observers.options",
    "Element": "webagent.observers.types", "Node": "webagent.observers.types",
    "Observation": "webagent.observers.types", "Tab": "webagent.observers.types",
}
__all__ = ["ID_ATTR", "Element", "IdCounter", "Node", "Observation", "ObserveOptions", "Tab", "observe"]
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)

if TYPE_CHECKING:
    from webagent.observers.extract import ID_ATTR, IdCounter
    from webagent.observers.options import ObserveOptions
    from webagent.observers.pipeline import observe
    from webagent.observers.types import Element, Node, Observation, Tab
