"""`observe(page)`: turn a live page into the Observation the policy reads."""

from __future__ import annotations

import time
from dataclasses import replace

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page
from webagent.observers.extract import IdCounter, extract
from webagent.observers.options import ObserveOptions
from webagent.observers.prune import PruneContext, prune
from webagent.observers.render import node_line, render
from webagent.observers.types import Crop, Element, Node, Observation, Tab


async def tabs_of(page: Page) -> list[Tab]:
    tabs = []
    shown = [p for p in page.context.pages if not getattr(p, "webagent_hidden", False)]  # planners' spare tabs
    for i, p in enumerate(shown):
        try:
            title = await p.title()
        except PlaywrightError:
            title = ""
        tabs.append(Tab(i, p.url, title, p is page))
    return tabs


def text_of(tree: Node, options: ObserveOptions) -> tuple[str, list[int]]:
    """The text the policy reads and the ids it shows, in page order."""
    if options.mode == "html":
        from webagent.observers.html import render_html
        return render_html(tree, options.max_chars)
    text, _ = render(tree, None)
    return text, [n.id for n in tree.walk() if n.id is not None and n is not tree]


async def observe(page: Page, counter: IdCounter | None = None, options: ObserveOptions | None = None) -> Observation:
    """Observe `page`: pruned accessibility tree text with ids, elements by id, screenshot and crops, tabs."""
    options = options or ObserveOptions()
    counter = counter or IdCounter()
    t0 = time.perf_counter()
    early = None  # the plain screenshot, taken while the DOM is read when it needs nothing from it
    if options.screenshot:
        from webagent.observers import screenshots
        early = screenshots.early_shot(page, options)
    try:
        raw, elements, metrics, frames = await extract(
            page, counter, options.max_text, margin=options.margin if options.scope == "viewport" else None,
            html=options.mode == "html", far_after=options.far_after_elements if options.max_chars else None,
            far_cap=max(50, (options.max_chars or 0) // 24), far_margin=options.margin)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    t1 = time.perf_counter()
    viewport = tuple(metrics.get("viewport", (0, 0))) or (1280, 720)
    ctx = PruneContext(viewport=viewport, scope=options.scope, margin=options.margin, detail=options.detail,
                       max_chars=options.max_chars, skipped=tuple(metrics.get("skipped", (0, 0))))
    pruned, report = prune(raw, options.active_stages(), ctx, options.mode)
    text, ids = text_of(pruned, options)
    shown = set(ids)
    visible_elements = {i: e for i, e in elements.items() if i in shown}
    t2 = time.perf_counter()
    focused = next((e.id for e in visible_elements.values() if e.states.get("focused")), None)
    shot = marked = None
    crops: list[Crop] = []
    drawn: list[int] = []
    if options.screenshot or options.crop_ids or options.crop_focused or options.set_of_marks or options.dense_crop:
        from webagent.observers import screenshots
        want = list(options.crop_ids) + ([focused] if options.crop_focused and focused is not None else [])
        lines = {n.id: node_line(n) for n in pruned.walk() if n.id is not None and n.id in want}
        try:
            shot, marked, crops = await screenshots.capture(
                page, options, visible_elements, want, lines, raw,
                scroll=tuple(metrics.get("scroll", (0, 0))), viewport=viewport,
                page_size=tuple(metrics.get("size", (0, 0))), drawn=drawn, early=early)
        except PlaywrightError:
            shot = None
    t3 = time.perf_counter()
    return Observation(
        text=text,
        elements=visible_elements,
        url=page.url,
        title=metrics.get("title", ""),
        tabs=await tabs_of(page),
        screenshot=shot,
        focused=focused,
        scroll=tuple(metrics.get("scroll", (0, 0))),
        page_size=tuple(metrics.get("size", (0, 0))),
        viewport=viewport,
        timings={"extract_ms": (t1 - t0) * 1000, "prune_ms": (t2 - t1) * 1000, "screenshot_ms": (t3 - t2) * 1000},
        stats={"raw_nodes": sum(1 for _ in raw.walk()), "pruning": report, "cut_lines": ctx.notes.get("cut_lines", 0),
               "elements_total": len(elements) + sum(metrics.get("skipped", (0, 0))),
               "elements_extracted": len(elements), "more_above": ctx.notes.get("above", 0),
               "more_below": ctx.notes.get("below", 0), **({"som_ids": drawn} if marked else {})},
        tree=pruned if options.keep_tree else None,
        frames=frames,
        crops=crops,
        marked_screenshot=marked,
    )


async def crop_elements(page: Page, obs: Observation, ids: list[int], options: ObserveOptions | None = None
                        ) -> list[Crop]:
    """Crops of the elements `ids` of an observation just made of `page` (the page has not changed since), each
    paired with the line of the observation's text that shows its id; ids not in the observation are skipped."""
    from webagent.observers import screenshots
    options = options or ObserveOptions()
    want = [i for i in dict.fromkeys(ids) if i in obs.elements]
    if not want:
        return []
    lines = {i: line_of(obs.text, i) for i in want}
    opts = replace(options, screenshot=False, set_of_marks=False, dense_crop=False)
    try:
        _, _, crops = await screenshots.capture(page, opts, obs.elements, want, lines, None, obs.scroll,
                                                obs.viewport, obs.page_size)
    except PlaywrightError:
        return []
    return crops


def line_of(text: str, element_id: int) -> str:
    """The line of an observation's text that shows `[element_id]` (stripped), or "" when none does."""
    tag = f"[{element_id}]"
    for line in text.splitlines():
        if tag in line:
            return line.strip()
    return ""


def element_line(obs: Observation, el: Element) -> str:
    """The line an element has in an observation's text (for pairing crops or describing targets)."""
    return node_line(Node(el.role, el.name, el.id, dict(el.states), el.value))
