"""When is the page settled after an action? When what the action set going is done: its short timers (menus and
autocompletes that open 150-400 ms later), the requests it started, running CSS transitions and animations, and
the DOM has been quiet for a moment, with a cap. An init script tracks timers and requests in every document."""

from __future__ import annotations

import time
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

REDIRECT_MARK = "webagent-redirect"  # the stub page by which the network guard passes on a checked redirect hop
SHORT_TIMER_MS = 500  # timers up to this delay are UI reacting to the action; longer ones are background work
CHAIN_DEPTH = 3  # a timer set by a tracked timer's callback is tracked, up to this depth (not endless polling)

# Installed in every document before its scripts run. Records, for each pending short timer and each fetch/XHR,
# the wall-clock time it was created, so settle can wait for those created after the action began.
TRACKER_JS = """(() => {
  if (window.__waSettle) return;
  const st = {timers: new Map(), reqs: new Map(), depth: 0, next: 1,
              setTimeout: window.setTimeout.bind(window), clearTimeout: window.clearTimeout.bind(window)};
  Object.defineProperty(window, '__waSettle', {value: st, enumerable: false});
  const now = () => performance.timeOrigin + performance.now();
  window.setTimeout = function (fn, delay, ...args) {
    const d = Number(delay) || 0;
    if (typeof fn !== 'function' || d > SHORT || st.depth >= DEPTH) return st.setTimeout(fn, delay, ...args);
    const depth = st.depth + 1;
    let id;
    id = st.setTimeout(function () {
      st.timers.delete(id);
      const saved = st.depth; st.depth = depth;
      try { return fn.apply(this, args); } finally { st.depth = saved; }
    }, delay);
    st.timers.set(id, now());
    return id;
  };
  window.clearTimeout = function (id) { st.timers.delete(id); return st.clearTimeout(id); };
  const track = () => { const k = st.next++; st.reqs.set(k, now()); return () => st.reqs.delete(k); };
  if (window.fetch) {
    const fetch0 = window.fetch;
    window.fetch = function (...a) {
      const done = track();
      const p = fetch0.apply(this, a);
      p.then(done, done);
      return p;
    };
  }
  const send0 = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...a) {
    const done = track();
    this.addEventListener('loadend', done, {once: true});
    try { return send0.apply(this, a); } catch (e) { done(); throw e; }
  };
})();""".replace("SHORT", str(SHORT_TIMER_MS)).replace("DEPTH", str(CHAIN_DEPTH))

# Resolve once nothing the action started is pending and the DOM has been quiet for `quiet` ms, or at `cap` ms;
# at once with "stub" on a redirect stub (the next page is on its way). Runs on the tracker's saved setTimeout so
# its own polling is not tracked.
_SETTLE_JS = """([quiet, cap, since]) => new Promise((resolve) => {
  if (document.querySelector('meta[name=MARK]')) { resolve('stub'); return; }
  const st = window.__waSettle;
  const tick = st ? st.setTimeout : setTimeout;
  const t0 = performance.now();
  let last = t0;
  const obs = new MutationObserver(() => { last = performance.now(); });
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  const pending = () => {
    if (st && since !== null) {
      for (const t of st.timers.values()) if (t >= since) return true;
      for (const t of st.reqs.values()) if (t >= since) return true;
    }
    if (document.getAnimations) {
      for (const a of document.getAnimations()) {
        if (a.playState !== 'running') continue;
        const end = a.effect && a.effect.getComputedTiming().endTime;
        if (Number.isFinite(end)) return true;  // a finite transition or animation; spinners loop forever
      }
    }
    return false;
  };
  const check = () => {
    const t = performance.now();
    if (t - t0 >= cap || (t - last >= quiet && !pending())) { obs.disconnect(); resolve(); return; }
    tick(check, 20);
  };
  tick(check, quiet);
})""".replace("MARK", REDIRECT_MARK)


def now_ms() -> float:
    """Wall-clock milliseconds, the clock the tracker stamps timers and requests with."""
    return time.time() * 1000


async def settle(page: Page, quiet_ms: int = 50, max_ms: int = 1500, since: float | None = None) -> None:
    """Wait until the page has loaded, what was started at or after `since` (wall-clock ms; None: only
    animations) is done and the DOM stopped changing for `quiet_ms`, at most `max_ms` per document.

    A navigation that a page script starts during the wait (a select whose change submits its form) destroys the
    document being watched: then wait for the new page to load and go quiet instead."""
    started: list[Any] = []
    committed: list[str] = []
    if since is not None:
        since -= 5  # the page's clock and ours may disagree by a few ms

    def on_request(req: Any) -> None:
        try:
            if req.is_navigation_request() and req.frame == page.main_frame:
                started.append(req)
        except PlaywrightError:  # a service-worker request has no frame
            pass

    def on_navigated(frame: Any) -> None:
        if frame == page.main_frame:
            committed.append(frame.url)

    page.on("request", on_request)
    page.on("framenavigated", on_navigated)
    try:
        for _ in range(6):
            try:
                await page.wait_for_load_state("load", timeout=max_ms * 2)
            except PlaywrightError:
                pass
            try:
                if await page.evaluate(_SETTLE_JS, [quiet_ms, max_ms, since]) == "stub":
                    await page.wait_for_event("framenavigated", timeout=max_ms * 3)  # a checked redirect hop
                    continue
            except PlaywrightError:
                continue  # navigated mid-wait: settle on the new document
            if len(started) > len(committed):  # a script started a navigation that has not arrived yet
                try:
                    await page.wait_for_event("framenavigated", timeout=max_ms * 3)
                except PlaywrightError:
                    return
                continue
            return
    finally:
        page.remove_listener("request", on_request)
        page.remove_listener("framenavigated", on_navigated)
