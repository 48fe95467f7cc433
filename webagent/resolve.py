"""Find an element of an observation by what it is (role and name) rather than by its id, which changes between
runs: used by gold action sequences, replay and any recorded target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webagent.actions import ELEMENT_VERBS, Action
from webagent.errors import UnknownElement
from webagent.observers import Element, Observation


@dataclass(frozen=True)
class Target:
    """How a recorded action names its element. `nth` picks among equal matches in page order;
    `exact=False` accepts a name that contains `name` (case-insensitive)."""

    role: str
    name: str
    nth: int = 0
    exact: bool = True
    frame: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Target:
        return cls(d["role"], d.get("name", ""), int(d.get("nth", 0)), bool(d.get("exact", True)), d.get("frame"))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "name": self.name}
        if self.nth:
            d["nth"] = self.nth
        if not self.exact:
            d["exact"] = False
        if self.frame is not None:
            d["frame"] = self.frame
        return d


def matches(obs: Observation, target: Target) -> list[Element]:
    """Elements of `obs` that fit `target`, in page order (ids grow in document order on first sight)."""
    want = target.name.strip().lower()
    out = []
    for el in obs.elements.values():
        if el.role != target.role:
            continue
        if target.frame is not None and el.frame != target.frame:
            continue
        name = el.name.strip().lower()
        if (name == want) if target.exact else (want in name):
            out.append(el)
    return out


def find_element(obs: Observation, target: Target) -> Element:
    """The element `target` names, or UnknownElement listing near misses."""
    found = matches(obs, target)
    if len(found) > target.nth:
        return found[target.nth]
    same_role = [e.name for e in obs.elements.values() if e.role == target.role][:10]
    raise UnknownElement(f"no {target.role} named {target.name!r} (#{target.nth}) on {obs.url}; "
                         f"{target.role}s here: {same_role}")


def bind(action: Action, obs: Observation, target: Target | None) -> Action:
    """`action` with its id replaced by the id `target` has in `obs`."""
    if target is None:
        return action
    el = find_element(obs, target)
    return Action(action.verb, el.id, action.text, action.press_enter, action.key, action.direction, action.url,
                  action.index)


def target_for(obs: Observation, action: Action) -> Target | None:
    """How to find the action's element again in a later observation of the same page (role, name, nth)."""
    if action.verb not in ELEMENT_VERBS or action.id is None:
        return None
    el = obs.elements.get(action.id)
    if el is None:
        return None
    same = matches(obs, Target(el.role, el.name))
    nth = next((i for i, e in enumerate(same) if e.id == el.id), 0)
    return Target(el.role, el.name, nth)


def rebind(action: Action, obs: Observation, target: Target | None) -> Action:
    """`action` with its id moved to `obs` (raises UnknownElement when the target is gone)."""
    return bind(action, obs, target) if target is not None else action


def as_seen(action: Action, bound_to: Observation, seen: Observation) -> Action:
    """`action`, bound to an element of `bound_to`, written in the ids of `seen`: the same page observed before a
    reload renumbered its elements (search restores pages). Unchanged when the element is not found in `seen`."""
    if bound_to is seen:
        return action
    try:
        return rebind(action, seen, target_for(bound_to, action))
    except UnknownElement:
        return action
