"""Carry out one action on the live page, validated against the observation it was chosen from."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator
from playwright.async_api import TimeoutError as PlaywrightTimeout

from webagent import choose, fields, pointer
from webagent.actions import VERB_TABLE, Action
from webagent.browser import BrowserSession, explain_navigation_error
from webagent.errors import (
    ActionError,
    ActionTimeout,
    BadInput,
    BadTab,
    DisallowedURL,
    ElementNotActionable,
    NavigationError,
    SecretRefused,
    UnknownElement,
)
from webagent.observers import Element, Observation
from webagent.safety import Secrets, check_url
from webagent.settle import now_ms, settle

_EDITABLE_JS = """e => {
  const text = e.isContentEditable || e.tagName === 'TEXTAREA' ||
    (e.tagName === 'INPUT' && !['checkbox','radio','submit','button','reset','image','file','hidden','range','color']
      .includes((e.type || '').toLowerCase()));
  if (!text) return 'no';
  return (e.disabled || e.readOnly) ? 'locked' : 'yes';
}"""


@dataclass
class ActionResult:
    """What happened: ok, or the typed error the agent will read in its next observation."""

    action: Action
    ok: bool
    error: str | None = None
    error_kind: str | None = None
    target: Element | None = None
    ms: float = 0.0
    url_before: str = ""
    url_after: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "error": self.error, "error_kind": self.error_kind, "ms": round(self.ms, 1),
            "url_before": self.url_before, "url_after": self.url_after, **self.details,
        }


def target_of(obs: Observation, action: Action) -> Element:
    """The element an action names, or UnknownElement when the id is not in the observation."""
    el = obs.elements.get(action.id) if action.id is not None else None
    if el is None:
        raise UnknownElement(f"there is no element [{action.id}] in the current observation; "
                             "use one of the [ids] shown")
    return el


SECRET_FIELD = "data-webagent-secret-field"  # set on a field a secret was typed into: masked, checked on submit
_FORM_TARGET_JS = """e => {
  const f = e.form || e.closest('form');
  if (!f) return null;
  const names = [...f.querySelectorAll('[SECRET_FIELD]')].map((x) => x.getAttribute('SECRET_FIELD'));
  const own = e.getAttribute('SECRET_FIELD');
  if (own) names.push(own);
  const action = (e.formAction && e.hasAttribute('formaction')) ? e.formAction : f.action;
  return {action: action || document.URL, names};
}""".replace("SECRET_FIELD", SECRET_FIELD)


async def _check_secret_destination(session: BrowserSession, secrets: Secrets, names: list[str], frame_url: str,
                                    form: dict[str, Any] | None, what: str) -> None:
    """Refuse (SecretRefused) when a secret would be typed into a frame, or a form would send it, to a host the
    secret is not bound to (a cross-origin iframe, a form posting into an iframe at another host)."""
    for name in dict.fromkeys(names):
        bound = secrets.bound_to(name, session.policy)
        for url, where in ((frame_url, "the page or frame"), ((form or {}).get("action") or "", "the form")):
            if url and not bound.allows(url):
                host = urlsplit(url).hostname or urlsplit(url).scheme
                raise SecretRefused(f"{what}: {{{{{name}}}}} may only go to {bound.describe()}, and {where} "
                                    f"is at {host}; the secret was not used")


def _locator(obs: Observation, el: Element) -> Locator:
    frame = obs.frames.get(el.frame)
    if frame is None or frame.is_detached():
        raise ElementNotActionable(f"element [{el.id}] was in a frame that is gone")
    return frame.locator(el.selector)


async def _act_on_element(session: BrowserSession, obs: Observation, action: Action, el: Element,
                          secrets: Secrets, timeout: int) -> dict[str, Any]:
    """Carry out an element action; returns what the result should add (e.g. the options selected)."""
    details: dict[str, Any] = {}
    loc = _locator(obs, el)
    if await loc.count() == 0:
        raise ElementNotActionable(f"element [{el.id}] ({el.role} {el.name!r}) is no longer on the page; "
                                   "read the new observation")
    loc = loc.first
    verb = action.verb
    if verb != "hover" and el.states.get("disabled") and await loc.is_disabled():
        raise ElementNotActionable(f"element [{el.id}] ({el.role} {el.name!r}) is disabled")
    frame = obs.frames.get(el.frame)
    names = secrets.names_in(action.text or "") if verb == "type" else []
    if verb in ("click", "type") and secrets.values:
        form = await loc.evaluate(_FORM_TARGET_JS, timeout=timeout)
        if verb == "click" or action.press_enter:  # submit-like: the form's fields with secrets go to its action
            await _check_secret_destination(session, secrets, (form or {}).get("names", []), "", form,
                                            f"{verb} [{el.id}]")
        if names:
            await _check_secret_destination(session, secrets, names, frame.url if frame else "", form,
                                            f"type [{el.id}]")
    handler = ELEMENT_HANDLERS.get(verb)
    if handler is None:
        raise ActionError(f"{verb}: this webagent cannot execute that action")
    try:
        details.update(await handler(session, obs, loc, el, action, secrets, timeout) or {})
    except PlaywrightTimeout:
        raise ActionTimeout(f"{verb} on [{el.id}] ({el.role} {el.name!r}) did not complete in {timeout} ms; "
                            "the element may be hidden, disabled or covered") from None
    except PlaywrightError as e:
        msg = str(e).splitlines()[0]
        if "not attached" in msg or "detached" in msg:
            raise ElementNotActionable(f"element [{el.id}] was removed from the page during the action") from None
        raise ElementNotActionable(f"{verb} on [{el.id}] failed: {msg}") from None
    return details


def _label(el: Element) -> str:
    return f"[{el.id}] {el.role} {el.name!r}" if el.name else f"[{el.id}] {el.role}"


async def _point(session: BrowserSession, obs: Observation, loc: Locator, el: Element, action: Action,
                 secrets: Secrets, timeout: int) -> None:
    await pointer.press(session.page, loc, obs.frames[el.frame], _label(el), timeout,
                        hover_only=action.verb == "hover")


async def _type(session: BrowserSession, obs: Observation, loc: Locator, el: Element, action: Action,
                secrets: Secrets, timeout: int) -> None:
    kind = await loc.evaluate(_EDITABLE_JS, timeout=timeout)
    if kind == "no":
        raise ElementNotActionable(f"element [{el.id}] is a {el.role}, not a text field; type into a textbox")
    if kind == "locked":
        raise ElementNotActionable(f"element [{el.id}] ({el.role} {el.name!r}) is disabled or read-only")
    names = secrets.names_in(action.text or "")
    if names:  # marked first: the field is masked even if the page rejects or rewrites what is typed
        await loc.evaluate(f"(e, n) => e.setAttribute('{SECRET_FIELD}', n)", names[0])
    await fields.type_verified(loc, _label(el), secrets.fill(action.text or ""), timeout, secrets.redact)
    if action.press_enter:
        await loc.press("Enter", timeout=timeout)


async def _select(session: BrowserSession, obs: Observation, loc: Locator, el: Element, action: Action,
                  secrets: Secrets, timeout: int) -> dict[str, Any]:
    chosen = await choose.select(session.page, obs.frames[el.frame], loc, _label(el), action.text or "",
                                 timeout, lambda: settle(session.page, since=now_ms() - 50))
    return {"selected": chosen}


async def _press(session: BrowserSession, action: Action, timeout: int) -> None:
    key = (action.key or "").replace("Ctrl+", "Control+").replace("Cmd+", "Meta+")
    try:
        await session.page.keyboard.press(key)
    except PlaywrightError as e:
        raise ActionError(f"press [{action.key}]: not a key Playwright knows ({str(e).splitlines()[0]})") from None


async def _scroll(session: BrowserSession, action: Action, timeout: int) -> None:
    page = session.page
    h = session.config.viewport[1]
    await page.mouse.move(session.config.viewport[0] / 2, h / 2)
    await page.mouse.wheel(0, h * 0.8 if action.direction == "down" else -h * 0.8)


async def _goto(session: BrowserSession, action: Action, timeout: int) -> None:
    try:
        url = check_url(action.url or "")
    except BadInput as e:
        raise ActionError(str(e)) from None
    if not session.policy.allows(url):
        raise DisallowedURL(f"{url} is outside the allowed domains ({session.policy.describe()})")
    try:
        await session.page.goto(url, wait_until="domcontentloaded")
    except PlaywrightError as e:
        raise NavigationError(explain_navigation_error(url, e)) from None


async def _history(session: BrowserSession, action: Action, timeout: int) -> None:
    page = session.page
    back = action.verb == "go_back"
    try:
        resp = await (page.go_back() if back else page.go_forward())
    except PlaywrightError as e:
        raise NavigationError(explain_navigation_error(page.url, e)) from None
    if resp is None and back:
        session.notices.append("go_back: there was no earlier page in this tab")


async def _new_tab(session: BrowserSession, action: Action, timeout: int) -> None:
    await session.new_tab()


async def _tab_focus(session: BrowserSession, action: Action, timeout: int) -> None:
    n = len(session.pages)
    if action.index is None or not 0 <= action.index < n:
        raise BadTab(f"there is no tab {action.index}; open tabs are 0..{n - 1}")
    await session.focus(action.index)


async def _close_tab(session: BrowserSession, action: Action, timeout: int) -> None:
    if len(session.pages) <= 1:
        raise BadTab("cannot close the last tab")
    await session.page.close()
    await session.focus(len(session.pages) - 1)


async def _act_on_page(session: BrowserSession, action: Action, timeout: int) -> None:
    handler = PAGE_HANDLERS.get(action.verb)
    if handler is None:
        raise ActionError(f"{action.verb}: this webagent cannot execute that action")
    await handler(session, action, timeout)


ElementHandler = Callable[[BrowserSession, Observation, Locator, Element, Action, Secrets, int],
                          Awaitable[dict[str, Any] | None]]
PageHandler = Callable[[BrowserSession, Action, int], Awaitable[None]]
# The executor's half of the action table: one handler per verb of scope `element` / `page` (meta verbs do nothing).
ELEMENT_HANDLERS: dict[str, ElementHandler] = {"click": _point, "hover": _point, "type": _type, "select": _select}
PAGE_HANDLERS: dict[str, PageHandler] = {"press": _press, "scroll": _scroll, "goto": _goto, "go_back": _history,
                                         "go_forward": _history, "new_tab": _new_tab, "tab_focus": _tab_focus,
                                         "close_tab": _close_tab}


def missing_handlers() -> list[str]:
    """Verbs of the action table that the executor has no handler for (a test keeps this empty)."""
    handlers = {"element": ELEMENT_HANDLERS, "page": PAGE_HANDLERS}
    return [v for v, s in VERB_TABLE.items() if s.scope != "meta" and v not in handlers.get(s.scope, {})]


async def _check_final_urls(session: BrowserSession) -> None:
    """After every action: no tab may rest on a page outside the allowed domains (a blob: or data: page, a hop the
    network guard could not see). Such a tab goes back (or is closed) and the agent reads DisallowedURL."""
    for page in session.pages:
        url = page.url
        if session.policy.allows(url):
            continue
        try:
            back = await page.go_back()
            if back is None or not session.policy.allows(page.url):
                await page.goto("about:blank")
        except PlaywrightError:
            pass
        raise DisallowedURL(f"the action led to {url[:200]}, outside the allowed domains "
                            f"({session.policy.describe()}); the page was left")


async def _carry_out(session: BrowserSession, obs: Observation, action: Action, result: ActionResult,
                     secrets: Secrets, timeout: int, since: float, blocked_before: int) -> None:
    """The action itself and the wait for the page to settle after it."""
    if result.target is not None:
        result.details.update(await _act_on_element(session, obs, action, result.target, secrets, timeout))
    else:
        await _act_on_page(session, action, timeout)
    await settle(session.page, since=since)
    if len(session.blocked_requests) > blocked_before and session.page.url.startswith("chrome-error:"):
        await session.page.go_back()  # leave the error page of the blocked navigation
        raise DisallowedURL(f"{session.blocked_requests[-1].split(' ', 1)[1]} is outside the allowed "
                            "domains; the navigation was blocked")
    await _check_final_urls(session)


async def execute(session: BrowserSession, obs: Observation, action: Action, secrets: Secrets | None = None,
                  timeout_ms: int | None = None) -> ActionResult:
    """Execute `action` chosen from `obs`. Never raises for the agent's mistakes: they come back as errors."""
    secrets = secrets or Secrets()
    timeout = timeout_ms or session.config.action_timeout_ms
    t0 = time.perf_counter()
    since = now_ms()
    result = ActionResult(action=action, ok=True, url_before=obs.url)
    blocked_before = len(session.blocked_requests)
    try:
        if session.action_policy is not None:
            await session.action_policy.check(action, obs, exploring=session.block_mutations)
        scope = VERB_TABLE[action.verb].scope if action.verb in VERB_TABLE else "page"
        if scope == "element":
            el = target_of(obs, action)
            result.target = el
        if scope != "meta":
            deadline = timeout + session.config.page_deadline_ms
            await session.guard(_carry_out(session, obs, action, result, secrets, timeout, since, blocked_before),
                                f"carrying out {action}", deadline)
    except ActionError as e:
        result.ok, result.error, result.error_kind = False, str(e), e.kind
    except NavigationError as e:
        result.ok, result.error, result.error_kind = False, str(e), "navigation"
    except PlaywrightError as e:  # anything else the browser says: the agent sees it, the run goes on
        result.ok, result.error, result.error_kind = False, str(e).splitlines()[0], "browser"
    result.ms = (time.perf_counter() - t0) * 1000
    try:
        result.url_after = session.page.url
    except NavigationError:
        result.url_after = ""
    return result
