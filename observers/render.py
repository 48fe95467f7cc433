"""Render a (pruned) tree as the text the policy reads: one line per node, `[id]` on actionable elements."""

from __future__ import annotations

from observers.types import Node

_STATE_ORDER = ("focused", "checked", "selected", "pressed", "expanded", "disabled", "required", "readonly",
                "invalid", "level", "haspopup", "current")


def _quote(s: str) -> str:
    return "'" + s.replace("\n", " ") + "'"


def node_line(n: Node) -> str:
    """One node as a line, e.g. `[12] button 'Add to Cart' disabled` or `textbox 'Email' value='a@b.c'`."""
    if n.role == "text":
        return n.name
    parts = []
    if n.id is not None:
        parts.append(f"[{n.id}]")
    parts.append(n.role)
    if n.name:
        parts.append(_quote(n.name))
    if n.value not in (None, "") and n.value != n.name:
        parts.append(f"value={_quote(n.value)}")
    for k in _STATE_ORDER:
        if k in n.states:
            v = n.states[k]
            if v is True:
                parts.append(k)
            elif v is False:
                if k in ("checked", "expanded", "pressed"):
                    parts.append(f"{k}=false")
            else:
                parts.append(f"{k}={v}")
    return " ".join(parts)


def render(root: Node, max_chars: int | None = None) -> tuple[str, int]:
    """Text of the tree (root excluded), indented by depth with tabs; cut at `max_chars` with a note.

    Returns the text and the number of lines cut."""
    lines: list[str] = []

    def go(n: Node, depth: int) -> None:
        for c in n.children:
            lines.append("\t" * depth + node_line(c))
            if c.children:
                go(c, depth + 1)

    go(root, 0)
    cut = 0
    if max_chars is not None:
        total = 0
        for i, line in enumerate(lines):
            total += len(line) + 1
            if total > max_chars:
                cut = len(lines) - i
                lines = lines[:i] + [f"... {cut} more lines not shown; scroll or use a more specific page"]
                break
    return "\n".join(lines), cut
