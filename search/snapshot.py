"""Snapshot and restore of a browser state, for backtracking without relaunching or replaying.

A snapshot keeps the URL, the context's storage state (cookies, localStorage), the values of form fields the user
changed, the scroll offset, and the *state key* of the observation: a digest of the URL and the observation text with
element ids removed (ids are session-wide counters, so the same page observed twice gets new ids; the plain
a digest of the text with ids would never match after a reload).

`restore` goes back in the same context: cookies replaced, extra tabs closed, URL opened, localStorage put back,
form values re-filled, scroll re-applied; then it observes and compares the state key. Only when the key differs
(client-side state the snapshot cannot capture, a one-shot flash message, ...) does it fall back to replaying the
action prefix in a fresh context from the search root's snapshot, and it reports which way it went.
"""

from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Error as PlaywrightError
from webagent.observers import Observation, ObserveOptions
from webagent.observers.identity import state_key  # noqa: F401 (re-exported)

from webagent.actions import Action
from webagent.browser import BrowserSession, settle
from webagent.errors import UnknownElement
from webagent.executor import execute
from webagent.resolve import Target, bind, matches, rebind, target_for  # noqa: F401 (re-exported)
from webagent.safety import Secrets

_FORMS_JS = """() => [...document.querySelectorAll('input, textarea, select')].map((e, i) => {
  const t = (e.type || '').toLowerCase();
  if (['hidden','submit','button','image','reset','file','password'].includes(t)) return null;
  if (t === 'checkbox' || t === 'radio') return e.checked !== e.defaultChecked ? [i, e.name, null, e.checked] : null;
  if (e.tagName === 'SELECT') {
    const changed = [...e.options].some(o => o.selected !== o.defaultSelected);
    return changed ? [i, e.name, e.value, null] : null;
  }
  return e.value !== e.defaultValue ? [i, e.name, e.value, null] : null;
}).filter(x => x)"""

_FILL_JS = """(items) => {
  const all = [...document.querySelectorAll('input, textarea, select')];
  let n = 0;
  for (const [i, name, value, checked] of items) {
    const e = all[i];
    if (!e || (e.name || '') !== (name || '')) continue;
    if (checked !== null) e.checked = checked; else e.value = value;
    e.dispatchEvent(new Event('input', {bubbles: true}));
    e.dispatchEvent(new Event('change', {bubbles: true}));
    n++;
  }
  return n;
}"""


_FOCUS_JS = """() => {
  const a = document.activeElement;
  if (!a || a === document.body || a === document.documentElement) return null;
  return [...document.querySelectorAll('*')].indexOf(a);
}"""


@dataclass
class PathStep:
    """One action of a path, with the target it had (for re-binding after the page is reloaded)."""

    action: Action
    target: Target | None = None


@dataclass
class Snapshot:
    url: str
    storage: dict[str, Any]
    forms: list[list[Any]]
    scroll: tuple[int, int]
    key: str
    focus: int | None = None  # index of the focused element in document order
    path: list[PathStep] = field(default_factory=list)  # the actions from the search root to this state
    ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "key": self.key, "forms": len(self.forms), "scroll": list(self.scroll),
                "path": [str(s.action) for s in self.path]}


@dataclass
class RestoreResult:
    obs: Observation
    method: str  # "current" (already there), "restore", "replay", "replay-mismatch"
    ms: float
    key: str

    @property
    def matched(self) -> bool:
        return self.method != "replay-mismatch"


async def take_snapshot(session: BrowserSession, obs: Observation, path: list[PathStep] | None = None) -> Snapshot:
    t0 = time.perf_counter()
    page = session.page
    try:
        forms = await page.evaluate(_FORMS_JS)
        scroll = tuple(await page.evaluate("() => [Math.round(scrollX), Math.round(scrollY)]"))
        focus = await page.evaluate(_FOCUS_JS)
        storage = await session.context.storage_state()
    except PlaywrightError:
        forms, scroll, storage, focus = [], (0, 0), {"cookies": [], "origins": []}, None
    return Snapshot(page.url, storage, forms, scroll, state_key(obs), focus, list(path or []),
                    (time.perf_counter() - t0) * 1000)


_PUT_STORAGE_JS = """(items) => {
  const want = JSON.stringify(items.map(i => [i.name, i.value]).sort());
  const have = JSON.stringify(Object.keys(localStorage).map(k => [k, localStorage.getItem(k)]).sort());
  if (want === have) return false;
  localStorage.clear();
  for (const {name, value} of items) localStorage.setItem(name, value);
  return true;
}"""


def _origin(url: str) -> str | None:
    m = re.match(r"^[a-z]+://[^/]+", url or "")
    return m.group(0) if m else None


async def _put_storage(page, snap: Snapshot) -> bool:
    """`snap`'s localStorage for its origin (none kept: empty) on `page`, which is at that origin; True when that
    changed anything."""
    origin = _origin(snap.url)
    if origin is None or _origin(page.url) != origin:
        return False
    items = next((o.get("localStorage") or [] for o in snap.storage.get("origins", []) if o.get("origin") == origin),
                 [])
    return bool(await page.evaluate(_PUT_STORAGE_JS, items))


async def _refill(page, snap: Snapshot) -> None:
    """Form values, focus and scroll of `snap` on the page just opened at its URL."""
    if snap.forms:
        await page.evaluate(_FILL_JS, snap.forms)
    if snap.focus is not None:
        await page.evaluate("(i) => { const e = document.querySelectorAll('*')[i]; "
                            "if (e && e.focus) e.focus({preventScroll: true}); }", snap.focus)
    if snap.scroll != (0, 0):
        await page.evaluate("([x, y]) => scrollTo(x, y)", list(snap.scroll))


async def _apply(session: BrowserSession, snap: Snapshot) -> None:
    ctx = session.context
    for p in session.pages[:-1]:
        await p.close()
    page = session.page
    await ctx.clear_cookies()
    if snap.storage.get("cookies"):
        await ctx.add_cookies(snap.storage["cookies"])
    with contextlib.suppress(PlaywrightError):  # localStorage before the load, so the page's scripts read it
        await _put_storage(page, snap)
    try:  # a URL the session already visited: no domain check, and a short settle (restore is on the hot path)
        await page.goto(snap.url, wait_until="domcontentloaded")
    except PlaywrightError:
        await session.goto(snap.url)  # raises NavigationError with a clear message
    try:  # a late navigation (a script of the previous page) can destroy the context: the key check decides
        if await _put_storage(page, snap):  # came from another origin: its storage is set now, load again
            await page.reload(wait_until="domcontentloaded")
        await _refill(page, snap)
    except PlaywrightError:
        await settle(page, quiet_ms=50, max_ms=1000)
        try:
            await _refill(page, snap)
        except PlaywrightError:
            pass
    await settle(page, quiet_ms=30, max_ms=500)  # never raises


async def observe_masked(session: BrowserSession, options: ObserveOptions | None = None,
                  secrets: Secrets | None = None) -> Observation:
    """Observe as the agent does: secret values in the text become their {{NAME}} placeholders (so prompts never
    hold them, and state keys match the agent's masked observation)."""
    obs = await session.observe(options)
    if secrets is not None and secrets.values:
        obs.text, obs.title, obs.url = secrets.redact(obs.text), secrets.redact(obs.title), secrets.redact(obs.url)
    return obs


async def act_and_observe(session: BrowserSession, obs: Observation, action: Action,
                          options: ObserveOptions | None = None, secrets: Secrets | None = None):
    """Execute and observe. A navigation a script starts after the action returned (a select that submits its
    form on change) can be caught half-way: when the URL moved since the action ended, settle and observe again."""
    result = await execute(session, obs, action, secrets)
    after = await observe_masked(session, options, secrets)
    if after.url != result.url_after:
        await settle(session.page, quiet_ms=50, max_ms=1000)
        after = await observe_masked(session, options, secrets)
    return result, after


async def replay_path(session: BrowserSession, root: Snapshot, path: list[PathStep], options: ObserveOptions | None = None,
                 block_mutations: bool = True, secrets: Secrets | None = None) -> Observation:
    """A fresh context from the root snapshot, then the path's actions re-bound by role and name."""
    await session.restart_context(storage_state=root.storage)  # the same episode, a fresh context
    await _apply(session, Snapshot(root.url, root.storage, root.forms, root.scroll, root.key, root.focus))
    async with session.exploring() if block_mutations else contextlib.nullcontext():
        obs = await observe_masked(session, options, secrets)
        for step in path:
            try:
                action = rebind(step.action, obs, step.target)
            except UnknownElement:
                break
            _, obs = await act_and_observe(session, obs, action, options, secrets)
    return obs


async def restore(session: BrowserSession, snap: Snapshot, root: Snapshot | None = None,
                  options: ObserveOptions | None = None, current_key: str | None = None,
                  allow_replay: bool = True, secrets: Secrets | None = None) -> RestoreResult:
    """Bring the browser back to `snap`, verified by the state key; replay the path from `root` on a mismatch."""
    t0 = time.perf_counter()
    if current_key is not None and current_key == snap.key:
        obs = await observe_masked(session, options, secrets)
        if state_key(obs) == snap.key:
            return RestoreResult(obs, "current", (time.perf_counter() - t0) * 1000, snap.key)
    await _apply(session, snap)
    obs = await observe_masked(session, options, secrets)
    key = state_key(obs)
    if key == snap.key or not allow_replay or root is None:
        method = "restore" if key == snap.key else "replay-mismatch"
        return RestoreResult(obs, method, (time.perf_counter() - t0) * 1000, key)
    obs = await replay_path(session, root, snap.path, options, secrets=secrets)
    key = state_key(obs)
    return RestoreResult(obs, "replay" if key == snap.key else "replay-mismatch",
                         (time.perf_counter() - t0) * 1000, key)


async def switch_to(session: BrowserSession, page: Any, snap: Snapshot, options: ObserveOptions | None = None,
                    secrets: Secrets | None = None) -> RestoreResult:
    """Make a live tab kept by the search (search.tabpool) active again: no page load, only the context-wide state
    (cookies, the page origin's localStorage) put back to `snap`'s, then observed and checked by the state key.
    Method "tab" when the key matches, else "tab-mismatch" (the caller restores instead)."""
    t0 = time.perf_counter()
    await session.activate(page)
    ctx = session.context
    await ctx.clear_cookies()
    if snap.storage.get("cookies"):
        await ctx.add_cookies(snap.storage["cookies"])
    origin = re.match(r"^[a-z]+://[^/]+", snap.url)
    for o in snap.storage.get("origins", []):
        if origin and o.get("origin") == origin.group(0):
            with contextlib.suppress(PlaywrightError):
                await page.evaluate("(items) => { localStorage.clear(); for (const {name, value} of items) "
                                    "localStorage.setItem(name, value); }", o.get("localStorage") or [])
    obs = await observe_masked(session, options, secrets)
    key = state_key(obs)
    return RestoreResult(obs, "tab" if key == snap.key else "tab-mismatch", (time.perf_counter() - t0) * 1000, key)
