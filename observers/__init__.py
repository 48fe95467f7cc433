"""Turn a live page into an Observation: accessibility tree text with stable [id]s, elements, screenshot."""

from webagent.observers.extract import ID_ATTR, IdCounter
from webagent.observers.observe import observe
from webagent.observers.options import ObserveOptions
from webagent.observers.types import Element, Node, Observation, Tab

__all__ = ["ID_ATTR", "Element", "IdCounter", "Node", "Observation", "ObserveOptions", "Tab", "observe"]
