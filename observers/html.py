"""The cleaned-HTML observation: the pruned tree written back as compact HTML with lxml, elements carrying the same
ids as the text mode in a `bid` attribute (`<button bid="12">Add to Cart</button>`)."""

from __future__ import annotations

import re

from lxml import etree
from webagent.observers.types import Node

# the tag a node is written as when the walker did not record one (trees built by hand, text mode extractions)
ROLE_TAGS = {
    "link": "a", "button": "button", "textbox": "input", "searchbox": "input", "checkbox": "input",
    "radio": "input", "combobox": "select", "listbox": "select", "option": "option", "heading": "h2",
    "img": "img", "navigation": "nav", "main": "main", "banner": "header", "contentinfo": "footer",
    "complementary": "aside", "form": "form", "region": "section", "article": "article", "list": "ul",
    "listitem": "li", "table": "table", "row": "tr", "cell": "td", "columnheader": "th", "rowheader": "th",
    "paragraph": "p", "iframe": "iframe", "dialog": "dialog", "label": "label", "slider": "input",
    "spinbutton": "input", "code": "code", "strong": "b", "emphasis": "i",
}
TAG_ROLES = {v: k for k, v in ROLE_TAGS.items()} | {f"h{i}": "heading" for i in range(1, 7)} | {
    "ol": "list", "textarea": "textbox", "th": "columnheader", "b": "strong", "i": "emphasis", "pre": "code",
    "section": "region", "summary": "button", "dl": "list", "dt": "term", "dd": "definition", "tbody": "rowgroup",
    "thead": "rowgroup", "p": "paragraph", "input": "textbox", "select": "combobox"}
VOID = frozenset({"input", "img", "br", "hr"})
_BID_RE = re.compile(r'<[a-z][a-z0-9-]* bid="(\d+)"')
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _s(v: str) -> str:
    return _XML_BAD.sub("", v)


def _tag(n: Node) -> str:
    t = (n.tag or ROLE_TAGS.get(n.role) or "div").lower()
    if t in ("svg",):
        return "img"
    if not re.fullmatch(r"[a-z][a-z0-9-]*", t):
        return "div"
    return t


def _element(n: Node) -> etree._Element:
    tag = _tag(n)
    el = etree.Element(tag)
    if n.id is not None:
        el.set("bid", str(n.id))
    attrs = n.attrs or {}
    if (n.role not in ("generic", "text") and TAG_ROLES.get(tag) != n.role and tag != "select"
            and not (tag == "input" and "type" in attrs)):
        el.set("role", n.role)
    for k, v in attrs.items():
        if k == "role" or (k == "href" and v.startswith("javascript:")):
            continue
        el.set(k, _s(v))
    if n.value not in (None, ""):
        el.set("value", _s(n.value))
    for k, v in n.states.items():
        if k in ("level", "haspopup", "current"):
            continue
        if v is True:
            el.set(k, "")
        elif v is False and k in ("expanded", "pressed"):
            el.set(f"aria-{k}", "false")
    labelled = {attrs.get(k) for k in ("aria-label", "alt", "title", "placeholder", "value")}
    if n.name and n.name not in labelled:
        if not n.children and tag not in VOID and (n.name_from_content or tag == "option"):
            el.text = _s(n.name)
        elif tag == "img":
            el.set("alt", _s(n.name))
        elif not n.name_from_content or not n.children:
            el.set("aria-label", _s(n.name))
    if n.suffix:
        el.set("data-options", _s(n.suffix.removeprefix("options: ")))
    last = None
    for c in n.children:
        if c.role == "text":
            if last is None:
                el.text = (el.text + " " if el.text else "") + _s(c.name)
            else:
                last.tail = (last.tail + " " if last.tail else "") + _s(c.name)
            continue
        last = _element(c)
        el.append(last)
    return el


def render_html(root: Node, max_chars: int | None = None) -> tuple[str, list[int]]:
    """The tree (root excluded) as cleaned HTML, one top-level element per line, cut at `max_chars` at element
    boundaries; returns the text and the ids it shows."""
    parts: list[str] = []
    total = 0
    cut = 0
    for c in root.children:
        s = _s(c.name) if c.role == "text" else etree.tostring(_element(c), encoding="unicode", method="html")
        if max_chars is not None and total + len(s) + 1 > max_chars:
            cut += 1
            continue
        parts.append(s)
        total += len(s) + 1
    if cut:
        parts.append(f"<!-- {cut} more elements not shown; scroll or use a more specific page -->")
    text = "\n".join(parts)
    return text, [int(m) for m in _BID_RE.findall(text)]
