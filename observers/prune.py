"""Pruning stages: pure functions from a tree to a smaller tree. Each keeps every node that carries an id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from observers.types import Node

# Roles that say nothing on their own: without a name or an id, their children take their place.
WRAPPER_ROLES = frozenset({
    "generic", "none", "presentation", "paragraph", "label", "strong", "emphasis", "code", "list", "listitem",
    "rowgroup", "group", "region", "article", "form", "figure", "blockquote", "term", "definition", "caption",
    "legend", "status", "search", "section", "LineBreak",
})


@dataclass(frozen=True)
class Stage:
    name: str
    fn: Callable[[Node], Node]


def _rebuild(node: Node, children: list[Node]) -> Node:
    """`node` with new children; the node itself when nothing below it changed (stages share structure)."""
    old = node.children
    if len(old) == len(children) and all(a is b for a, b in zip(old, children, strict=True)):
        return node
    return replace(node, children=children)


def drop_wrappers(root: Node) -> Node:
    """Replace nameless, id-less wrapper nodes by their children (BrowserGym / WebArena's ignored-node rule)."""
    def go(n: Node) -> list[Node]:
        kids = [k for c in n.children for k in go(c)]
        if n.role in WRAPPER_ROLES and n.id is None and not n.name and not n.states:
            return kids
        return [_rebuild(n, kids)]
    return _rebuild(root, [k for c in root.children for k in go(c)])


def drop_redundant_text(root: Node) -> Node:
    """Drop text that only repeats the name of the node it sits in (a link's label, a button's caption) or of
    a sibling element (a form control's <label> text)."""
    def go(n: Node) -> Node:
        kids = []
        name = n.name.lower()
        sibling_names = {c.name.lower() for c in n.children if c.id is not None and c.name}
        for c in n.children:
            if c.role == "text" and name and (n.name_from_content or c.name.lower() in name):
                continue
            if c.role == "text" and c.name.lower() in sibling_names:
                continue
            kids.append(go(c) if c.children else c)
        return _rebuild(n, kids)
    return go(root)


def merge_text(root: Node) -> Node:
    """Join runs of adjacent text nodes into one line, and drop a text that repeats the line before it."""
    def go(n: Node) -> Node:
        kids: list[Node] = []
        for c in n.children:
            c = go(c) if c.children else c
            if c.role == "text" and kids and kids[-1].role == "text":
                prev = kids[-1]
                if c.name == prev.name:
                    continue
                if len(prev.name) + len(c.name) < 400:
                    kids[-1] = replace(prev, name=f"{prev.name} {c.name}")
                    continue
            kids.append(c)
        return _rebuild(n, kids)
    return go(root)


def collapse_single_child(root: Node) -> Node:
    """A nameless, id-less node whose only child is text becomes that text."""
    def go(n: Node) -> Node:
        kids = []
        for c in n.children:
            c = go(c) if c.children else c
            if (c.id is None and not c.name and len(c.children) == 1 and c.children[0].role == "text"
                    and c.role not in ("heading", "cell", "columnheader", "rowheader", "row")):
                c = c.children[0]
            kids.append(c)
        return _rebuild(n, kids)
    return go(root)


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("drop_wrappers", drop_wrappers),
    Stage("drop_redundant_text", drop_redundant_text),
    Stage("merge_text", merge_text),
    Stage("collapse_single_child", collapse_single_child),
)


def count(root: Node) -> int:
    return sum(1 for _ in root.walk())


def prune(root: Node, stages: tuple[Stage, ...] = DEFAULT_STAGES) -> tuple[Node, list[dict]]:
    """Apply stages in order; report how many nodes each removed."""
    report = []
    before = count(root)
    for st in stages:
        root = st.fn(root)
        after = count(root)
        report.append({"stage": st.name, "removed_nodes": before - after})
        before = after
    return root, report
