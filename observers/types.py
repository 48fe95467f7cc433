"""The data an observation is made of: a tree of nodes, the actionable elements, and the page around them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from webagent.observers.identity import state_key


@dataclass(slots=True)
class Node:
    """One node of the page's accessibility tree. `text` nodes have role 'text' and only a name."""

    role: str
    name: str = ""
    id: int | None = None
    states: dict[str, Any] = field(default_factory=dict)
    value: str | None = None
    bbox: tuple[int, int, int, int] | None = None  # x, y, width, height in main-viewport CSS pixels
    children: list[Node] = field(default_factory=list)
    visible: bool = True
    name_from_content: bool = False
    frame: str = ""  # frame path: "" for the main frame, "0", "0.1" for nested iframes
    content_offset: tuple[int, int] | None = None  # for iframes: where the frame's content starts
    actionable: bool = False  # the walker judged it something the agent can act on (it then has an id)
    occluded: bool = False  # its centre (and four inner points) are covered by another element
    tag: str | None = None  # HTML tag name (only when extracted for the cleaned-HTML mode)
    attrs: dict[str, str] | None = None  # a few HTML attributes (html mode only)
    inline: bool = False  # render this node and everything below it on one line (table rows)
    suffix: str = ""  # appended to the node's line, e.g. `options: a; b; c`
    frame_url: str | None = None  # for iframes: the URL of the document inside (matches it to its Playwright frame)
    frame_empty: bool = False  # for iframes: a same-origin document with an empty body (not walked)

    def walk(self):
        """Yield this node and every descendant, depth first."""
        stack = [self]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))


@dataclass(frozen=True)
class Element:
    """An element the agent can act on, as the action executor needs it."""

    id: int
    role: str
    name: str
    bbox: tuple[int, int, int, int] | None
    frame: str
    frame_url: str
    selector: str
    value: str | None = None
    states: dict[str, Any] = field(default_factory=dict)
    options: tuple[str, ...] = ()  # a list's own option texts, in order (a <select>, a listbox holding its options)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "role": self.role, "name": self.name, "bbox": list(self.bbox) if self.bbox else None,
            "frame": self.frame, "frame_url": self.frame_url, "selector": self.selector,
            "value": self.value, "states": self.states, **({"options": list(self.options)} if self.options else {}),
        }


@dataclass(frozen=True)
class Tab:
    index: int
    url: str
    title: str
    active: bool


@dataclass(frozen=True)
class Crop:
    """A cut-out of the page around one element (`id`) or an information-dense region (`id` None), with the text
    line the policy sees for that element. `bbox` is the cut-out in page CSS pixels (x, y, width, height)."""

    id: int | None
    kind: str  # "element" or "dense"
    bbox: tuple[int, int, int, int]
    line: str
    image: bytes
    format: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "bbox": list(self.bbox), "line": self.line, "format": self.format,
                "bytes": len(self.image)}


@dataclass
class Observation:
    """What the agent sees at one step."""

    text: str
    elements: dict[int, Element]
    url: str
    title: str
    tabs: list[Tab] = field(default_factory=list)
    screenshot: bytes | None = None
    focused: int | None = None
    scroll: tuple[int, int] = (0, 0)
    page_size: tuple[int, int] = (0, 0)
    viewport: tuple[int, int] = (0, 0)
    notices: list[str] = field(default_factory=list)  # dialogs, downloads, new tabs since the last step
    timings: dict[str, float] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)
    tree: Node | None = None
    frames: dict[str, Any] = field(default_factory=dict, repr=False)  # frame path -> live Playwright Frame
    crops: list[Crop] = field(default_factory=list, repr=False)  # element and information-dense crops
    marked_screenshot: bytes | None = field(default=None, repr=False)  # set-of-marks overlay, same ids as text

    def ids(self) -> list[int]:
        return list(self.elements)

    def to_dict(self, with_tree: bool = False) -> dict[str, Any]:
        d = {
            "url": self.url, "title": self.title, "text": self.text, "state_key": state_key(self),
            "tabs": [t.__dict__ for t in self.tabs], "focused": self.focused, "scroll": list(self.scroll),
            "page_size": list(self.page_size), "viewport": list(self.viewport), "notices": self.notices,
            "elements": [e.to_dict() for e in self.elements.values()],
        }
        return d
