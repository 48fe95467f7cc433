"""Pruning stages: named, ordered, toggleable pure functions from a tree to a smaller tree.

Each stage takes the tree and a `PruneContext` (the page geometry and the options) and returns a new tree; the input
is never modified (unchanged subtrees are shared). A stage tells the context how many nodes and how many characters
of rendered text it removed, and `prune` reports that per stage (tokens estimated as characters / 4).

Every node that carries an id survives every stage except `visibility` (outside the observed window), `occlusion`
(covered by another element) and `budget` (cut to fit); the ids left in the tree are exactly the ids shown."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from webagent.observers.render import inline_text, node_line
from webagent.observers.types import Node

# Roles that say nothing on their own: without a name, an id or a state, their children take their place.
WRAPPER_ROLES = frozenset({
    "generic", "none", "presentation", "paragraph", "label", "strong", "emphasis", "code", "list", "listitem",
    "rowgroup", "group", "region", "article", "form", "figure", "blockquote", "term", "definition", "caption",
    "legend", "status", "search", "section", "LineBreak", "separator",
})
# Wrappers that `collapse` may replace by their only child even when they are landmarks.
COLLAPSIBLE_ROLES = WRAPPER_ROLES | {"navigation", "main", "banner", "contentinfo", "complementary", "dialog",
                                     "listbox", "menu", "menubar", "toolbar", "tablist", "tabpanel"}
INLINE_ROLES = frozenset({"strong", "emphasis"})
STRUCTURAL_ROLES = frozenset({"table", "grid", "row", "cell", "gridcell", "columnheader", "rowheader", "heading"})
DETAIL_NAME_CAP = {"low": 60, "normal": 150, "high": 300}
DETAIL_OPTIONS = {"low": 5, "normal": 8, "high": 30}
DROPPED_STATES = {"low": {"haspopup", "level", "current", "readonly", "required", "invalid"},
                  "normal": {"haspopup", "level"}, "high": set()}
NOTE_CUT = "... {n} more lines not shown; scroll or use a more specific page"
# Text made only of these is a separator between links (`Home | About`, `a, b`, `»`): dropped when it stands alone.
# Other punctuation (quotes, `?`, `*` marking a required field, `%`, currency) says something and stays.
SEPARATOR_CHARS = frozenset(" |·•‧∙–—-/\\,.;:»«›‹<>()[]{}")
# Roles whose value is what they hold: their text children never become their name.
VALUE_ROLES = frozenset({"textbox", "searchbox", "combobox", "spinbutton", "listbox", "slider"})


def est_tokens(chars: int) -> int:
    """Token estimate used inside the pipeline (about 4 characters a token); bench/observe.py counts real ones."""
    return (chars + 3) // 4


@dataclass
class PruneContext:
    """What stages may look at besides the tree, and where they report what they removed."""

    viewport: tuple[int, int] = (1280, 720)
    scope: str = "page"  # "page": the whole page; "viewport": the viewport plus `margin` pixels above and below
    margin: int = 720
    detail: str = "normal"  # "low", "normal", "high"
    max_chars: int | None = None
    skipped: tuple[int, int] = (0, 0)  # actionable elements the walker skipped above / below the window
    removed_nodes: int = 0
    removed_chars: int = 0
    notes: dict[str, int] = field(default_factory=dict)

    def removed(self, nodes: int, chars: int) -> None:
        self.removed_nodes += nodes
        self.removed_chars += chars


@dataclass(frozen=True)
class Stage:
    name: str
    fn: Callable[[Node, PruneContext], Node]
    enabled: bool = True
    modes: tuple[str, ...] = ("text", "html")  # observation modes the stage applies to


def _rebuild(node: Node, children: list[Node]) -> Node:
    """`node` with new children; the node itself when nothing below it changed (stages share structure)."""
    old = node.children
    if len(old) == len(children) and all(a is b for a, b in zip(old, children, strict=True)):
        return node
    return replace(node, children=children)


def _line_len(n: Node) -> int:
    return len(node_line(n)) + 1


def _size(n: Node) -> tuple[int, int]:
    """Nodes and rendered characters of a subtree (for reporting what a stage dropped)."""
    nodes = chars = 0
    for x in n.walk():
        nodes += 1
        chars += _line_len(x)
    return nodes, chars


# S1 ----------------------------------------------------------------------------------------------------------------
def drop_ignored(root: Node, ctx: PruneContext) -> Node:
    """Replace nameless, id-less, state-less wrappers (generic, presentation, list, paragraph, ...) by their children;
    drop nameless images and separators (BrowserGym / WebArena's ignored-node rule)."""
    def go(n: Node) -> list[Node]:
        kids = [k for c in n.children for k in go(c)] if n.children else []
        if n.id is None and not n.name and not n.states and not n.value:
            if n.role in WRAPPER_ROLES or (n.role in ("img", "presentation") and not kids):
                ctx.removed(1, _line_len(n))
                return kids
        return [_rebuild(n, kids)]
    return _rebuild(root, [k for c in root.children for k in go(c)])


# S2 ----------------------------------------------------------------------------------------------------------------
def visibility(root: Node, ctx: PruneContext) -> Node:
    """Drop what a user cannot see: invisible nodes without ids (their visible children stay), and in the
    "viewport" scope everything outside the viewport +- margin, with "N more elements above / below" hints."""
    vh = ctx.viewport[1]
    window = (-ctx.margin, vh + ctx.margin) if ctx.scope == "viewport" else None
    above, below = ctx.skipped

    def outside(box: tuple[int, int, int, int] | None) -> int:
        """-1 above the window, 1 below, 0 inside (or unknown)."""
        if window is None or box is None:
            return 0
        if box[1] + box[3] < window[0]:
            return -1
        if box[1] > window[1]:
            return 1
        return 0

    def go(n: Node, ctx_box: tuple[int, int, int, int] | None) -> list[Node]:
        nonlocal above, below
        box = n.bbox or ctx_box
        side = outside(n.bbox) if n.role != "text" else outside(ctx_box)
        if side:
            nodes, chars = _size(n)
            ids = sum(1 for x in n.walk() if x.id is not None)
            if side < 0:
                above += ids
            else:
                below += ids
            ctx.removed(nodes, chars)
            return []
        kids: list[Node] = []
        last = None
        for c in n.children:
            if c.role == "text":
                kids.extend(go(c, last or box))
            else:
                kids.extend(go(c, box))
                if c.bbox is not None:
                    last = (c.bbox[0], c.bbox[1] + c.bbox[3] - 1, c.bbox[2], 1)
        if not n.visible and n.id is None and n.role != "text":
            ctx.removed(1, _line_len(n))
            return kids
        return [_rebuild(n, kids)]

    kids = [k for c in root.children for k in go(c, None)]
    if above:
        kids.insert(0, Node("note", f"^ {above} more elements above; scroll up to see them", frame=root.frame))
    if below:
        kids.append(Node("note", f"v {below} more elements below; scroll down to see them", frame=root.frame))
    ctx.notes["above"], ctx.notes["below"] = above, below
    return _rebuild(root, kids)


# S3 ----------------------------------------------------------------------------------------------------------------
def occlusion(root: Node, ctx: PruneContext) -> Node:
    """Drop elements another element covers (the walker hit-tests their centre and four inner points with
    elementFromPoint): a modal's backdrop hides the page behind it. Uncovered elements inside stay."""
    def keep_uncovered(n: Node) -> list[Node]:
        out = []
        for c in n.children:
            if c.id is not None and not c.occluded:
                out.append(c)
            elif c.children:
                out.extend(keep_uncovered(c))
        return out

    def go(n: Node) -> list[Node]:
        if n.occluded:
            kept = keep_uncovered(n)
            nodes, chars = _size(n)
            knodes, kchars = (sum(a) for a in zip(*(_size(k) for k in kept), strict=True)) if kept else (0, 0)
            ctx.removed(nodes - knodes, chars - kchars)
            return kept
        if not n.children:
            return [n]
        return [_rebuild(n, [k for c in n.children for k in go(c)])]
    return _rebuild(root, [k for c in root.children for k in go(c)])


# S4 ----------------------------------------------------------------------------------------------------------------
def _names_a_neighbour(children: list[Node], i: int, t: str) -> bool:
    """The text at `i` is the name of the element right before or after it (a control's <label>)."""
    return any(0 <= j < len(children) and children[j].id is not None and children[j].name.lower() == t
               for j in (i - 1, i + 1))


def text_dedupe(root: Node, ctx: PruneContext) -> Node:
    """Drop text that repeats its element's name (a link's label), the name of the element next to it (a control's
    <label>), one of the last three text lines, or that is only a separator (`|`, `»`); a lone
    text becomes the name of its nameless parent, the leading text the name of a nameless clickable.

    The page title (the root's name) and an element's name elsewhere on the page never hide text: a person reads
    `Password` next to the field even when the title is `Enter Password Task`. Texts stay apart: the walker
    already joined what flows inline, so separate texts come from separate blocks (lines on the page)."""
    recent: list[str] = []

    def go(n: Node) -> Node:
        name = n.name.lower() if n.role not in ("RootWebArea", "iframe") else ""
        kids: list[Node] = []
        for i, c in enumerate(n.children):
            if c.role in INLINE_ROLES and c.id is None and not c.children and c.name:
                c = replace(c, role="text")  # bold or italic words are part of the sentence around them
            if c.role == "text":
                t = c.name.lower()
                # a repeated short text (a count, a price) is data, not boilerplate: only longer lines are deduped
                if ((name and (n.name_from_content or t == name)) or _names_a_neighbour(n.children, i, t)
                        or (n.value and t == n.value.lower())
                        or (kids and kids[-1].name == c.name) or (len(c.name) >= 20 and c.name in recent)
                        or all(ch in SEPARATOR_CHARS for ch in t)):
                    ctx.removed(1, _line_len(c))
                    continue
                kids.append(c)
                recent.append(c.name)
                if len(recent) > 3:
                    recent.pop(0)
            else:
                if (c.id is None and not c.children and c.name and name and c.role not in STRUCTURAL_ROLES
                        and c.role != "option" and (c.name.lower() == name
                                                    or (n.name_from_content and c.name.lower() in name))):
                    ctx.removed(1, _line_len(c))  # a child that repeats its parent's name (an image in a link)
                    continue
                if c.name:
                    recent.append(c.name)
                    if len(recent) > 3:
                        recent.pop(0)
                c = go(c) if c.children else c
                if (c.role in WRAPPER_ROLES and c.id is None and c.name and not c.states and c.children
                        and c.children[0].role == "heading" and c.children[0].name == c.name):
                    ctx.removed(1, _line_len(c))  # a region named by its own heading: the heading says it
                    kids.extend(c.children)
                    continue
                kids.append(c)
        if (len(kids) == 1 and n.id is None and n.name and kids[0].name == n.name and kids[0].role != "text"
                and n.role not in ("row", "RootWebArea", "iframe")):
            ctx.removed(0, len(n.name) + 3)  # a heading that only wraps a link of the same name: say it once
            return replace(n, name="", children=kids)
        if (len(kids) == 1 and kids[0].role == "text" and not n.name and n.role not in ("row", "RootWebArea")
                and n.role != "text" and n.role not in VALUE_ROLES):
            ctx.removed(1, 0)
            return replace(n, name=kids[0].name, children=[], name_from_content=True)
        if (len(kids) > 1 and kids[0].role == "text" and n.id is not None and not n.name
                and n.role not in VALUE_ROLES):
            ctx.removed(1, 0)  # a clickable tree item `Docs` with its own clickable children: named by its text
            return replace(n, name=kids[0].name, children=kids[1:], name_from_content=True)
        return _rebuild(n, kids)
    return go(root)


# S5 ----------------------------------------------------------------------------------------------------------------
def collapse(root: Node, ctx: PruneContext) -> Node:
    """A nameless, id-less, state-less wrapper with a single child is replaced by that child (Playwright's
    unwrapSingleChildGenerics, extended to landmarks)."""
    def go(n: Node) -> Node:
        kids = []
        for c in n.children:
            c = go(c) if c.children else c
            while (c.id is None and not c.states and len(c.children) == 1 and c.role not in STRUCTURAL_ROLES
                   and ((not c.name and c.role in COLLAPSIBLE_ROLES)
                        or (c.name and c.children[0].name == c.name and c.role != "iframe"))):
                ctx.removed(1, _line_len(c))
                c = c.children[0]
            kids.append(c)
        return _rebuild(n, kids)
    return go(root)


# S6 ----------------------------------------------------------------------------------------------------------------
def restructure(root: Node, ctx: PruneContext) -> Node:
    """Tables as rows (one line per row, cells joined by ' | ', ids kept inline) and the options of a select on its
    line (`options: a; b; c`, the first N by detail)."""
    max_opts = DETAIL_OPTIONS.get(ctx.detail, 8)

    def flat(n: Node) -> list[Node]:
        out = []
        for c in n.children:
            if c.role in ("rowgroup", "generic") and c.id is None:
                out.extend(flat(c))
            else:
                out.append(c)
        return out

    def go(n: Node) -> Node:
        if n.role in ("table", "grid"):
            kids = flat(n)
            if any(c.role == "row" for c in kids):
                nodes, chars = _size(n)
                new = replace(n, children=[replace(c, inline=True) if c.role == "row" else go(c) for c in kids])
                n_nodes, n_chars = 0, 0
                for c in new.children:
                    if c.inline:
                        n_nodes, n_chars = n_nodes + 1, n_chars + len(inline_text(c)) + 1
                    else:
                        a, b = _size(c)
                        n_nodes, n_chars = n_nodes + a, n_chars + b
                ctx.removed(nodes - 1 - n_nodes, max(0, chars - _line_len(n) - n_chars))
                return new
        if n.role in ("combobox", "listbox") and n.children and all(
                c.role == "option" and c.id is None and not c.children for c in n.children):
            names = [c.name for c in n.children if c.name]
            shown = "; ".join(names[:max_opts]) + (f" (+{len(names) - max_opts} more)" if len(names) > max_opts else "")
            new = replace(n, children=[], suffix=f"options: {shown}")
            ctx.removed(len(n.children), sum(_line_len(c) for c in n.children) - len(new.suffix))
            return new
        if not n.children:
            return n
        return _rebuild(n, [go(c) for c in n.children])
    return go(root)


# S7 ----------------------------------------------------------------------------------------------------------------
def props(root: Node, ctx: PruneContext) -> Node:
    """Keep the properties that change what an action does (field type, multiline, multiselectable, focused,
    checked, selected, pressed, expanded, disabled, required, readonly, invalid, current); drop the rest, and
    `checked=false` (absent means not checked) below high detail; cap names by detail (and text lines at low
    detail)."""
    drop = DROPPED_STATES.get(ctx.detail, DROPPED_STATES["normal"])
    cap = DETAIL_NAME_CAP.get(ctx.detail, 150)
    # absent `checked` on a checkbox means unchecked; `pressed=false` stays: it is what marks a toggle button
    false_dropped = () if ctx.detail == "high" else ("checked",)

    def go(n: Node) -> Node:
        kids = [go(c) for c in n.children] if n.children else n.children
        states = n.states
        if states and (drop & states.keys() or False in states.values()):
            # a switch keeps `checked=false`: off is the state that says it is a switch to turn on
            states = {k: v for k, v in states.items()
                      if k not in drop and not (v is False and k in false_dropped and n.role != "switch")}
        name = n.name
        limit = (80 if ctx.detail == "low" else None) if n.role == "text" else cap
        if limit is not None and len(name) > limit:
            name = name[:limit - 1] + "…"
        if states is n.states and name is n.name:
            return _rebuild(n, kids)
        new = replace(n, states=states, name=name, children=kids)
        ctx.removed(0, _line_len(n) - _line_len(new))
        return new
    return go(root)


# S8 ----------------------------------------------------------------------------------------------------------------
def id_policy(root: Node, ctx: PruneContext) -> Node:
    """Ids are printed only on elements the agent can act on: an id on a node the walker did not judge actionable
    is removed (the walker only hands out ids to actionable elements and iframes, so this is a guard)."""
    def go(n: Node) -> Node:
        kids = [go(c) for c in n.children] if n.children else n.children
        if n.id is not None and not n.actionable and n.role != "iframe":
            ctx.removed(0, len(str(n.id)) + 3)
            return replace(n, id=None, children=kids)
        return _rebuild(n, kids)
    return go(root)


# S9 ----------------------------------------------------------------------------------------------------------------
def budget(root: Node, ctx: PruneContext) -> Node:
    """Fit the text in `ctx.max_chars`: lines are kept by priority (in the viewport first, then interactive elements,
    then the rest, each in page order), with the ancestors that give them context; a note says how many were cut."""
    if ctx.max_chars is None:
        return root
    vh = ctx.viewport[1]
    entries: list[tuple[Node, int, int, int]] = []  # node, parent entry index, cost, priority
    total = 0
    reserve = len(NOTE_CUT) + 12

    def visit(n: Node, parent: int, depth: int, box) -> None:
        nonlocal total
        for c in n.children:
            cost = depth + (len(inline_text(c)) if c.inline else len(node_line(c))) + 1
            b = c.bbox or box
            in_view = b is not None and b[1] < vh and b[1] + b[3] > 0
            has_id = c.id is not None or (c.inline and any(x.id is not None for x in c.walk()))
            pri = 0 if in_view or c.role == "note" else (1 if has_id else 2)
            entries.append((c, parent, cost, pri))
            total += cost
            me = len(entries) - 1
            if c.children and not c.inline:
                visit(c, me, depth + 1, b)

    visit(root, -1, 0, None)
    if total <= ctx.max_chars:
        return root
    limit = ctx.max_chars - reserve
    keep = bytearray(len(entries))
    used = 0
    for pri in (0, 1, 2):
        for i, (_n, parent, cost, p) in enumerate(entries):
            if p != pri or keep[i]:
                continue
            need = cost
            chain = []
            j = parent
            while j >= 0 and not keep[j]:
                chain.append(j)
                need += entries[j][2]
                j = entries[j][1]
            if used + need > limit:
                continue
            used += need
            keep[i] = 1
            for j in chain:
                keep[j] = 1
    kept_ids = {id(entries[i][0]) for i in range(len(entries)) if keep[i]}
    cut = len(entries) - len(kept_ids)

    def go(n: Node) -> Node:
        if n.inline or not n.children:
            return n
        return _rebuild(n, [go(c) for c in n.children if id(c) in kept_ids])

    new = go(root)
    ctx.removed(cut, total - used)
    ctx.notes["cut_lines"] = cut
    if cut:
        new = replace(new, children=[*new.children, Node("note", NOTE_CUT.format(n=cut), frame=root.frame)])
    return new


DEFAULT_STAGES: tuple[Stage, ...] = (
    Stage("drop_ignored", drop_ignored),
    Stage("visibility", visibility),
    Stage("occlusion", occlusion),
    Stage("text_dedupe", text_dedupe),
    Stage("collapse", collapse),
    Stage("restructure", restructure, modes=("text",)),
    Stage("props", props),
    Stage("id_policy", id_policy),
    Stage("budget", budget),
)
STAGE_NAMES = tuple(s.name for s in DEFAULT_STAGES)


def stages_without(*names: str, stages: tuple[Stage, ...] = DEFAULT_STAGES) -> tuple[Stage, ...]:
    """`stages` with the named ones switched off (unknown names raise ValueError)."""
    unknown = set(names) - {s.name for s in stages}
    if unknown:
        raise ValueError(f"unknown pruning stage(s) {sorted(unknown)}; stages: {[s.name for s in stages]}")
    return tuple(replace(s, enabled=False) if s.name in names else s for s in stages)


def count(root: Node) -> int:
    return sum(1 for _ in root.walk())


def prune(root: Node, stages: tuple[Stage, ...] = DEFAULT_STAGES, ctx: PruneContext | None = None,
          mode: str = "text") -> tuple[Node, list[dict]]:
    """Apply the enabled stages in order; report, per stage, the nodes and (estimated) tokens it removed and its
    time in ms."""
    import time
    ctx = ctx or PruneContext()
    report = []
    enabled = gc.isenabled()
    gc.disable()
    try:
        for st in stages:
            if not st.enabled or mode not in st.modes:
                continue
            n0, c0 = ctx.removed_nodes, ctx.removed_chars
            t0 = time.perf_counter()
            root = st.fn(root, ctx)
            report.append({"stage": st.name, "removed_nodes": ctx.removed_nodes - n0,
                           "removed_tokens": est_tokens(ctx.removed_chars - c0),
                           "ms": round((time.perf_counter() - t0) * 1000, 2)})
    finally:
        if enabled:
            gc.enable()
    return root, report
