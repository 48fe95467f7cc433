"""Render a (pruned) tree as the text the policy reads: one line per node, `[id]` on actionable elements."""

from __future__ import annotations

from webagent.observers.types import Node

_STATE_ORDER = ("type", "multiline", "multiselectable", "focused", "checked", "selected", "pressed", "expanded",
                "disabled", "required", "readonly", "invalid", "level", "haspopup", "current")
CELL_ROLES = frozenset({"cell", "gridcell", "columnheader", "rowheader"})


def _quote(s: str) -> str:
    return "'" + s.replace("\n", " ") + "'"


def node_line(n: Node) -> str:
    """One node as a line, e.g. `[12] button 'Add to Cart' disabled` or `textbox 'Email' value='a@b.c'`."""
    if n.role in ("text", "note"):
        return n.name
    if n.inline:
        return inline_text(n)
    return _core(n)


def _core(n: Node) -> str:
    parts = []
    if n.id is not None:
        parts.append(f"[{n.id}]")
    parts.append(n.role)
    if n.name:
        parts.append(_quote(n.name))
    if n.value not in (None, "") and n.value != n.name:
        parts.append(f"value={_quote(n.value)}")
    if n.states:
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
    if n.suffix:
        parts.append(n.suffix)
    return " ".join(parts)


def _has_id_below(n: Node) -> bool:
    return any(x.id is not None for c in n.children for x in c.walk())


def _inline(n: Node, out: list[str]) -> None:
    """The content of `n` on one line: text as is, elements with ids as their line, other nodes by name."""
    for c in n.children:
        if c.role == "text":
            out.append(c.name)
        elif c.id is not None:
            out.append(_core(c))
            if c.children and (not c.name_from_content or _has_id_below(c)):
                _inline(c, out)
        elif c.children:
            if c.name and not c.name_from_content:
                out.append(c.name)
            if not c.name or not c.name_from_content or _has_id_below(c):
                _inline(c, out)
            else:
                out.append(c.name)
        elif c.name:
            out.append(c.name)


def _cell(c: Node) -> str:
    if c.id is not None or not c.children:
        out = [_core(c) if c.id is not None else c.name]
        if c.id is not None and c.children and (not c.name_from_content or _has_id_below(c)):
            _inline(c, out)
    else:
        out = []
        _inline(c, out)
    return " ".join(p for p in out if p)


def inline_text(n: Node) -> str:
    """A table row as one line, cells joined by ' | ' (ids of elements inside kept inline); a row that is itself
    clickable or has states (a selected grid row) starts with its own line: `[7] row selected | ... |`."""
    head = _core(n) + " " if n.id is not None or n.states or n.name else ""
    return head + "| " + " | ".join(_cell(c) for c in n.children) + " |"


def render(root: Node, max_chars: int | None = None) -> tuple[str, int]:
    """Text of the tree (root excluded), indented by depth with tabs; cut at `max_chars` with a note.

    Returns the text and the number of lines cut."""
    lines: list[str] = []

    def go(n: Node, depth: int) -> None:
        for c in n.children:
            lines.append("\t" * depth + node_line(c))
            if c.children and not c.inline:
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


def shown_ids(root: Node) -> list[int]:
    """The ids a rendering of `root` shows, in page order (inline rows included)."""
    return [n.id for n in root.walk() if n.id is not None and n is not root]
