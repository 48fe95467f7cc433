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
        node.tag = extra.get("tag")
        node.attrs = extra.get("at")
    if children:
        node.children = [_decode(c, frame_path, frame_url, out) for c in children]
    if nid is not None and nid not in out:
        out[nid] = Element(
            id=nid, role=role, name=node.name, bbox=node.bbox, frame=frame_path, frame_url=frame_url,
            selector=f'[{ID_ATTR}="{nid}"]', value=value, states=node.states,
        )
    return node


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
                      window: tuple[int, int] | None = None, html: bool = False, far: dict | None = None
                      ) -> dict | None:
    args = {"nextId": counter.next, "offset": list(offset), "maxText": max_text, "html": html, **(far or {}),
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
    counter.next = max(counter.next, result["nextId"])
    return result


async def _frame_ids(page: Page) -> dict[Frame, int | None]:
    """Map each child frame to the data-wa-id of its <iframe> element in the parent."""
    async def one(f: Frame) -> tuple[Frame, int | None]:
        try:
            el = await f.frame_element()
            v = await el.get_attribute(ID_ATTR)
            return f, int(v) if v else None
        except (PlaywrightError, ValueError):
            return f, None
    pairs = await asyncio.gather(*(one(f) for f in page.frames if f.parent_frame is not None))
    return dict(pairs)


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


async def _stitch_frames(page: Page, main: Frame, root: Node, counter: IdCounter,
                         elements: dict[int, Element], max_text: int, frames: dict[str, Frame],
                         window: tuple[int, int] | None = None, html: bool = False, top: dict | None = None) -> None:
    """Walk child frames breadth first and hang each one's tree under its <iframe> node."""
    frame_ids = await _frame_ids(page)
    hosts = {n.id: n for n in root.walk() if n.role == "iframe" and n.id is not None}
    pending = [(f, str(i)) for i, f in enumerate(main.child_frames)]
    while pending:
        f, fpath = pending.pop(0)
        host = hosts.get(frame_ids.get(f))
        if host is None or not host.visible:
            continue  # hidden or detached iframe
        res = await _walk_frame(f, counter, host.content_offset or (0, 0), max_text, window, html)
        if res is None:
            continue
        frames[fpath] = f
        if top is not None and "skipped" in res:
            top["skipped"] = [a + b for a, b in zip(top.get("skipped", [0, 0]), res["skipped"], strict=True)]
        host.children = _decode_all(res["tree"], fpath, f.url, elements)
        hosts.update({n.id: n for n in host.walk() if n.role == "iframe" and n.id is not None and n is not host})
        pending += [(cf, f"{fpath}.{j}") for j, cf in enumerate(f.child_frames)]
