"""Turn a live page into an Observation: accessibility tree text with stable [id]s, elements, screenshot."""

from observers.extract import ID_ATTR, IdCounter
from observers.observe import ObserveOptions, observe
from observers.types import Element, Node, Observation, Tab

__all__ = ["ID_ATTR", "Element", "IdCounter", "Node", "Observation", "ObserveOptions", "Tab", "observe"]
