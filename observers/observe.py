"""`observe(page)`: turn a live page into the Observation the policy reads."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from observers.extract import IdCounter, extract
from observers.prune import DEFAULT_STAGES, Stage, prune
from observers.render import render
from observers.types import Observation, Tab

_ID_RE = re.compile(r"^\t*\[(\d+)\]", re.M)


@dataclass(frozen=True)
class ObserveOptions:
    """How much to show. `max_chars` bounds the text (about 4 characters a token)."""

    screenshot: bool = True
    screenshot_format: str = "jpeg"
    screenshot_quality: int = 70
    max_chars: int | None = 24_000
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    keep_tree: bool = False


async def tabs_of(page: Page) -> list[Tab]:
    tabs = []
    for i, p in enumerate(page.context.pages):
        try:
            title = await p.title()
        except PlaywrightError:
            title = ""
        tabs.append(Tab(i, p.url, title, p is page))
    return tabs


async def observe(page: Page, counter: IdCounter | None = None, options: ObserveOptions | None = None) -> Observation:
    """Observe `page`: pruned accessibility tree text with ids, elements by id, screenshot, tabs."""
    options = options or ObserveOptions()
    counter = counter or IdCounter()
    t0 = time.perf_counter()
    raw, elements, metrics, frames = await extract(page, counter)
    t1 = time.perf_counter()
    pruned, report = prune(raw, options.stages)
    text, cut = render(pruned, options.max_chars)
    shown = {int(m) for m in _ID_RE.findall(text)}
    visible_elements = {i: e for i, e in elements.items() if i in shown}
    t2 = time.perf_counter()
    shot = None
    if options.screenshot:
        try:
            kw = {"type": options.screenshot_format}
            if options.screenshot_format == "jpeg":
                kw["quality"] = options.screenshot_quality
            shot = await page.screenshot(**kw, timeout=10_000)
        except PlaywrightError:
            shot = None
    t3 = time.perf_counter()
    focused = next((e.id for e in visible_elements.values() if e.states.get("focused")), None)
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
        viewport=tuple(metrics.get("viewport", (0, 0))),
        timings={"extract_ms": (t1 - t0) * 1000, "prune_ms": (t2 - t1) * 1000, "screenshot_ms": (t3 - t2) * 1000},
        stats={"raw_nodes": sum(1 for _ in raw.walk()), "pruning": report, "cut_lines": cut,
               "elements_total": len(elements)},
        tree=pruned if options.keep_tree else None,
        frames=frames,
    )
