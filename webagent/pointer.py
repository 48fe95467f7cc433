"""Pointer actions that land on the element they name: pick a visible, unobstructed point of the element (probing
points across its client rects with elementFromPoint, through iframes), press there, and check what was hit."""

from __future__ import annotations

import asyncio

from playwright.async_api import ElementHandle, Frame, Locator, Page
from playwright.async_api import Error as PlaywrightError

from webagent.errors import ElementCovered, ElementNotActionable

# Describe an element as the agent would recognise it: its [id] if the observation gave it one, role and name.
_DESCRIBE_JS = """const describe = (n) => {
  if (!n) return 'nothing';
  const id = n.closest && n.closest('[data-wa-id]');
  const tag = n.tagName.toLowerCase();
  const implicit = {a: 'link', button: 'button', select: 'combobox', textarea: 'textbox', img: 'image',
                    input: 'textbox', iframe: 'iframe', dialog: 'dialog', nav: 'navigation', header: 'banner'};
  const role = n.getAttribute('role') || implicit[tag] || tag;
  let name = n.getAttribute('aria-label') || n.getAttribute('title') || n.getAttribute('alt') ||
             (n.innerText || n.textContent || '').trim().replace(/\\s+/g, ' ');
  if (name.length > 40) name = name.slice(0, 40) + '…';
  let out = role + (name ? " '" + name + "'" : '') + (role !== tag ? ' <' + tag + '>' : '');
  if (id && id !== n) out += ' inside [' + id.getAttribute('data-wa-id') + ']';
  else if (id) out = '[' + id.getAttribute('data-wa-id') + '] ' + out;
  return out;
};"""

# In the element's frame: the element's visible part (client rects cut by the frame's viewport), probe points over it
# (centre first, then a grid from the middle outwards), and the first point where the element itself (or something
# inside it, or its own <label>) is on top. Arms a one-shot capture listener that records what the press really hits.
_PROBE_JS = """(el, arm) => {
  DESCRIBE
  const hits = (h) => {
    for (let n = h; n; n = n.parentNode || n.host) { if (n === el) return true; }
    const label = h && h.closest && h.closest('label');
    return !!(label && label.control === el);
  };
  const root = el.getRootNode();
  const doc = el.ownerDocument;
  // the frame's viewport (in quirks mode documentElement measures the whole document, not the viewport)
  const std = doc.compatMode === 'CSS1Compat', win = doc.defaultView || window;
  const vw = std ? doc.documentElement.clientWidth : win.innerWidth;
  const vh = std ? doc.documentElement.clientHeight : win.innerHeight;
  let rects = [...el.getClientRects()].filter(r => r.width > 0 && r.height > 0);
  if (!rects.length) return {state: 'invisible'};
  const inView = r => Math.min(r.right, vw) - Math.max(r.left, 0) >= 1 && Math.min(r.bottom, vh) - Math.max(r.top, 0) >= 1;
  if (!rects.some(inView)) {  // scrolled away: bring it to the middle first (saves a round trip)
    el.scrollIntoView({block: 'center', inline: 'center'});
    rects = [...el.getClientRects()].filter(r => r.width > 0 && r.height > 0);
  }
  const fr = [0.5, 0.3, 0.7, 0.15, 0.85, 0.03, 0.97];
  let cover = null, anyInView = false;
  for (const r of rects) {
    const x0 = Math.max(r.left, 0), x1 = Math.min(r.right, vw), y0 = Math.max(r.top, 0), y1 = Math.min(r.bottom, vh);
    if (x1 - x0 < 1 || y1 - y0 < 1) continue;
    anyInView = true;
    for (const fy of fr) for (const fx of fr) {
      const x = x0 + (x1 - x0) * fx, y = y0 + (y1 - y0) * fy;
      const h = (root.elementFromPoint ? root : doc).elementFromPoint(x, y);
      if (h && hits(h)) {
        if (!arm) return {state: 'ok', x, y};
        window.__waHit = false;
        const rec = (e) => {
          const path = e.composedPath();
          const label = path.find(n => n.tagName === 'LABEL');
          window.__waHit = {ok: path.includes(el) || !!(label && label.control === el), what: describe(path[0])};
          window.removeEventListener('pointerdown', rec, true);
          window.removeEventListener('mousedown', rec, true);
        };
        window.addEventListener('pointerdown', rec, true);
        window.addEventListener('mousedown', rec, true);
        return {state: 'ok', x, y};
      }
      if (!cover && h) cover = describe(h);
    }
  }
  if (!anyInView) return {state: 'outside'};
  return {state: 'covered', cover: cover || 'nothing'};
}""".replace("DESCRIBE", _DESCRIBE_JS)

_CHECK_JS = "() => { const h = window.__waHit; window.__waHit = undefined; return h === undefined ? 'gone' : h; }"

# In a parent frame: is the <iframe> element itself on top at this point of its own viewport?
_FRAME_ON_TOP_JS = """(iframe, [x, y]) => {
  DESCRIBE
  const h = iframe.ownerDocument.elementFromPoint(x, y);
  return h === iframe ? null : describe(h);
}""".replace("DESCRIBE", _DESCRIBE_JS)


async def _frame_chain(frame: Frame) -> list[tuple[Frame, ElementHandle, float, float]]:
    """From `frame` up to the top page: each parent, the <iframe> element in it and where that iframe's viewport
    starts in the parent's viewport (innermost first)."""
    chain: list[tuple[Frame, ElementHandle, float, float]] = []
    f = frame
    while f.parent_frame is not None:
        handle = await f.frame_element()
        dx, dy = await handle.evaluate(
            "e => { const r = e.getBoundingClientRect(), s = getComputedStyle(e);"
            " return [r.left + e.clientLeft + parseFloat(s.paddingLeft), r.top + e.clientTop + parseFloat(s.paddingTop)]; }")
        chain.append((f.parent_frame, handle, dx, dy))
        f = f.parent_frame
    return chain


async def aim(loc: Locator, frame: Frame, label: str, timeout_ms: int, arm: bool = True) -> tuple[float, float]:
    """A point in the top page's viewport where a press reaches the element, after scrolling it into view.

    Retries for a moment (covers that fade or slide away); raises ElementCovered naming what is on top."""
    if frame.parent_frame is not None:  # the iframe itself may be scrolled away in its parents
        try:
            await loc.scroll_into_view_if_needed(timeout=timeout_ms)
        except PlaywrightError:
            pass  # a fixed or zero-size element: the probe says what is wrong
    last = None
    for attempt in range(4):
        if attempt:
            await asyncio.sleep(0.15)
        probe = await loc.evaluate(_PROBE_JS, arm, timeout=timeout_ms)
        last = probe
        if probe["state"] == "ok":
            x, y = probe["x"], probe["y"]
            covered = None
            for _parent, iframe, dx, dy in await _frame_chain(frame):
                x, y = x + dx, y + dy
                covered = await iframe.evaluate(_FRAME_ON_TOP_JS, [x, y])
                if covered:
                    break
            if not covered:
                return x, y
            last = {"state": "covered", "cover": covered}
        elif probe["state"] == "outside":
            try:
                await loc.evaluate("e => e.scrollIntoView({block: 'center', inline: 'center'})", timeout=timeout_ms)
            except PlaywrightError:
                pass
    assert last is not None
    if last["state"] == "invisible":
        raise ElementNotActionable(f"{label} is not visible (it has no size on the page)")
    if last["state"] == "outside":
        raise ElementNotActionable(f"{label} cannot be scrolled into view")
    raise ElementCovered(f"{label} is covered by {last['cover']} at every point; act on what is on top "
                         "(close or dismiss it) first")


async def press(page: Page, loc: Locator, frame: Frame, label: str, timeout_ms: int, *, hover_only: bool = False,
                modifiers: tuple[str, ...] = ()) -> None:
    """Click (or only hover) the element at a point where it is on top, then verify the press reached it."""
    x, y = await aim(loc, frame, label, timeout_ms, arm=not hover_only)
    if hover_only:
        await page.mouse.move(x, y)
        return
    for key in modifiers:
        await page.keyboard.down(key)
    try:
        await page.mouse.click(x, y)
    finally:
        for key in modifiers:
            await page.keyboard.up(key)
    try:
        hit = await frame.evaluate(_CHECK_JS)
    except PlaywrightError:
        return  # the click navigated or removed the frame: it reached the element chosen a moment before
    if hit == "gone":
        return  # a new document: the click navigated
    if hit is False:
        raise ElementCovered(f"the click meant for {label} did not reach it (something moved on top of it)")
    if not hit["ok"]:
        raise ElementCovered(f"the click meant for {label} landed on {hit['what']} (something moved on top of it)")
