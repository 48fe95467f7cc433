"""Run the in-page walker in every frame and stitch the frames into one tree with session-unique ids."""

from __future__ import annotations

import asyncio
import gc
import json
from importlib.resources import files
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Frame, Page
from webagent.observers.types import Element, Node

ID_ATTR = "data-wa-id"
_WALKER = files("webagent.observers").joinpath("extract.js").read_text()


class IdCounter:
    """Session-wide source of element ids, so ids never collide across frames, tabs or navigations."""

    def __init__(self, start: int = 1) -> None:
        self.next = start


def _decode(raw: Any, frame_path: str, frame_url: str, out: dict[int, Element], parent_clickable: bool = False) -> Node:
    if isinstance(raw, str):
        return Node("text", raw, frame=frame_path)
    role, name, nid, states, value, bbox, children, flags = raw[:8]
    extra = raw[8] if len(raw) > 8 else None
    node = Node(role, name or "", nid, states or {}, value, tuple(bbox) if bbox else None, [], bool(flags & 1),
                bool(flags & 2), frame_path, None, bool(flags & 8), bool(flags & 4))
    if extra:
        co = extra.get("co")
        node.content_offset = tuple(co) if co else None
        node.frame_url = extra.get("u")
        node.frame_empty = bool(extra.get("fe"))
        node.tag = extra.get("tag")
        node.attrs = extra.get("at")
    if children:
        node.children = [_decode(c, frame_path, frame_url, out) for c in children]
    if nid is not None and nid not in out:
        out[nid] = Element(
            id=nid, role=role, name=node.name, bbox=node.bbox, frame=frame_path, frame_url=frame_url,
            selector=f'[{ID_ATTR}="{nid}"]', value=value, states=node.states, options=_options_of(node),
        )
    return node


LIST_ROLES = ("combobox", "listbox")


def _options_of(node: Node) -> tuple[str, ...]:
    """The option texts a list holds in its own subtree (options in a popup elsewhere are not known here)."""
    if node.role not in LIST_ROLES:
        return ()
    return tuple(n.name for n in node.walk() if n.role == "option" and n.name)


def _decode_all(items: list, frame_path: str, frame_url: str, out: dict[int, Element]) -> list[Node]:
    """Decode a frame's tree; the cyclic GC is paused meanwhile (tens of thousands of small objects, no cycles)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [_decode(c, frame_path, frame_url, out) for c in items]
    finally:
        if enabled:
            gc.enable()


async def _walk_frame(frame: Frame, counter: IdCounter, offset: tuple[int, int], max_text: int,
                      window: tuple[int, int] | None = None, html: bool = False, far: dict | None = None,
                      block: tuple[int, int] | None = None) -> dict | None:
    """Run the walker in `frame`. New ids come from `counter`, or from `block` (start, limit) when frames are
    walked concurrently; the caller then moves the counter past what was used."""
    args = {"nextId": block[0] if block else counter.next, "idLimit": block[1] if block else None,
            "offset": list(offset), "maxText": max_text, "html": html, **(far or {}),
            "window": [window[0] - offset[1], window[1] - offset[1]] if window else None}
    try:
        text = await frame.evaluate(_WALKER, args)
        enabled = gc.isenabled()
        gc.disable()
        try:
            result = json.loads(text)
        finally:
            if enabled:
                gc.enable()
    except PlaywrightError:
        return None  # detached or navigating frame: it shows as an empty iframe this step
    if block is None:
        counter.next = max(counter.next, result["nextId"])
    return result


async def _frame_ids(frames: list[Frame]) -> dict[Frame, int | None]:
    """Map child frames to the data-wa-id of their <iframe> element (two round trips each, run concurrently): only
    for frames their URL did not match."""
    async def one(f: Frame) -> tuple[Frame, int | None]:
        try:
            el = await f.frame_element()
            v = await el.get_attribute(ID_ATTR)
            return f, int(v) if v else None
        except (PlaywrightError, ValueError):
            return f, None
    pairs = await asyncio.gather(*(one(f) for f in frames))
    return dict(pairs)


async def _match_frames(parent: Frame, hosts: list[Node], hidden: list[str]) -> dict[Frame, Node | None]:
    """Which <iframe> node of `parent`'s tree holds each child frame: by URL when it is unique among the parent's
    iframes, None (not walked) for frames that are only hidden or empty same-origin iframes, else by asking
    Playwright for the frame's element."""
    by_url: dict[str, list[Node]] = {}
    for h in hosts:
        by_url.setdefault(h.frame_url or "", []).append(h)
    kids = parent.child_frames
    n_url: dict[str, int] = {}
    for f in kids:
        n_url[f.url] = n_url.get(f.url, 0) + 1
    out: dict[Frame, Node | None] = {}
    ask = []
    for f in kids:
        cands = by_url.get(f.url, [])
        if len(cands) == 1 and n_url[f.url] == 1 and f.url not in hidden:
            out[f] = cands[0]
        elif (cands and all(c.frame_empty for c in cands)) or (not cands and f.url in hidden):
            out[f] = None  # empty ad slots, hidden trackers: nothing to read
        else:
            ask.append(f)
    if ask:
        ids = await _frame_ids(ask)
        by_id = {h.id: h for h in hosts}
        out.update({f: by_id.get(i) for f, i in ids.items()})
    return out


async def extract(page: Page, counter: IdCounter, max_text: int = 300, *, margin: int | None = None,
                  html: bool = False, far_after: int | None = None, far_cap: int = 1000, far_margin: int = 720
                  ) -> tuple[Node, dict[int, Element], dict, dict[str, Frame]]:
    """The (unpruned) tree of the page with all its frames, the elements by id, page metrics, frames by path.

    `margin` None walks the whole page; a number walks only the viewport plus that many pixels above and below
    (subtrees outside are skipped in the page, their actionable elements counted in metrics["skipped"]).
    `html` also collects tag names and a few attributes for the cleaned-HTML mode.
    `far_after`: on a page (main document) with more elements than this, only the viewport +- `far_margin` px is
    walked in full; farther away only actionable elements are kept, at most `far_cap`, the rest counted."""
    elements: dict[int, Element] = {}
    frames: dict[str, Frame] = {"": page.main_frame}
    main = page.main_frame
    window = None
    if margin is not None:
        vh = (page.viewport_size or {}).get("height") or 720
        window = (-margin, vh + margin)
    far = {"farAfter": far_after, "farCap": far_cap, "farMargin": far_margin} if far_after and margin is None else None
    top = await _walk_frame(main, counter, (0, 0), max_text, window, html, far)
    if top is None:
        top = {"tree": [], "scroll": [0, 0], "size": [0, 0], "viewport": [0, 0], "title": "", "skipped": [0, 0]}
    root = Node("RootWebArea", top.get("title", ""), frame="")
    root.children = _decode_all(top["tree"], "", main.url, elements)
    if len(page.frames) > 1:
        await _stitch_frames(page, main, root, counter, elements, max_text, frames, window, html, top)
    return root, elements, top, frames


FRAME_ID_BLOCK = 64  # new ids reserved per frame walked concurrently (a frame needing more is walked again)


async def _stitch_frames(page: Page, main: Frame, root: Node, counter: IdCounter,
                         elements: dict[int, Element], max_text: int, frames: dict[str, Frame],
                         window: tuple[int, int] | None = None, html: bool = False, top: dict | None = None) -> None:
    """Walk child frames level by level, the frames of one level concurrently (pages with dozens of ad iframes
    paid one round trip per frame, twice more to find each frame's <iframe>), and hang each frame's tree under
    its <iframe> node. Empty and hidden frames are not walked."""
    level: list[tuple[Frame, Frame, str]] = [(main, f, str(i)) for i, f in enumerate(main.child_frames)]
    parents: dict[Frame, tuple[list[Node], list[str]]] = {
        main: ([n for n in root.walk() if n.role == "iframe" and n.id is not None], (top or {}).get("hidden", []))}
    while level:
        matched: dict[Frame, Node | None] = {}
        for parent in {p for p, _, _ in level}:
            hosts, hidden = parents[parent]
            matched.update(await _match_frames(parent, hosts, hidden))
        todo = [(f, path, h) for _, f, path in level if (h := matched.get(f)) is not None and h.visible
                and not h.frame_empty]
        base = counter.next
        blocks = [(base + k * FRAME_ID_BLOCK, base + (k + 1) * FRAME_ID_BLOCK) for k in range(len(todo))]
        results = await asyncio.gather(*(
            _walk_frame(f, counter, h.content_offset or (0, 0), max_text, window, html, block=b)
            for (f, _, h), b in zip(todo, blocks, strict=True)))
        counter.next = max([counter.next, *(r["nextId"] for r in results if r)])
        next_level = []
        for (f, fpath, host), res in zip(todo, results, strict=True):
            if res is not None and res.get("overflow"):
                res = await _walk_frame(f, counter, host.content_offset or (0, 0), max_text, window, html)
            if res is None:
                continue
            frames[fpath] = f
            if top is not None and "skipped" in res:
                top["skipped"] = [a + b for a, b in zip(top.get("skipped", [0, 0]), res["skipped"], strict=True)]
            host.children = _decode_all(res["tree"], fpath, f.url, elements)
            parents[f] = ([n for n in host.walk() if n.role == "iframe" and n.id is not None and n is not host],
                          res.get("hidden", []))
            next_level += [(f, cf, f"{fpath}.{j}") for j, cf in enumerate(f.child_frames)]
        level = next_level
