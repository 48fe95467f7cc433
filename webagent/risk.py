"""Risk classes of actions, so search never does anything irreversible while it explores, and an action policy
can allow, deny or confirm by class.

read        navigates or looks (links, goto, scroll, back, tabs, note): no state beyond the URL changes
reversible  changes client state only (typing without submitting, selecting, toggling, hover): a snapshot undoes it
irreversible may change server state: submit/buy/pay/post/delete/... buttons, anything that submits a form whose
            method is not GET, Enter in such a form. While exploring these are simulated or skipped; they run only
            on the committed path. The network guard (`async with session.exploring()`) is the second line: any non-GET
            request an "innocent" action still triggers is aborted, and the node is marked `blocked`.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Error as PlaywrightError

from webagent.actions import VERB_TABLE, Action
from webagent.observers import Observation

READ, REVERSIBLE, IRREVERSIBLE = "read", "reversible", "irreversible"

RISKY_WORDS = re.compile(
    r"\b(buy|purchase|order|checkout|check out|pay|payment|submit|post|publish|send|delete|remove|cancel|confirm|"
    r"place|save|update|apply|add to cart|add to wish ?list|subscribe|unsubscribe|sign up|register|create|"
    r"transfer|approve|reject|merge|close|archive|reply|comment|upvote|downvote|vote|follow|unfollow|invite|"
    r"ban|block|refund|ship|invoice|reorder|review)\b", re.I)

_FORM_JS = """e => {
  const f = e.form || e.closest('form');
  const tag = e.tagName.toLowerCase();
  const type = (e.getAttribute('type') || (tag === 'button' ? 'submit' : '')).toLowerCase();
  const submits = !!f && ((tag === 'button' && type === 'submit') || (tag === 'input' && ['submit','image'].includes(type)));
  return {method: f ? (f.getAttribute('method') || 'get').toLowerCase() : null, submits,
          formaction: e.getAttribute('formmethod'), href: e.getAttribute('href'),
          password: !!f && !!f.querySelector('input[type=password]')};
}"""


def classify_static(action: Action, obs: Observation) -> str:
    """The class from the action and its target's role and name only (no page access)."""
    v = action.verb
    spec = VERB_TABLE.get(v)
    default = spec.risk if spec is not None else REVERSIBLE
    if v not in ("click", "press"):  # only these two are refined by their target or key
        return default
    el = obs.elements.get(action.id) if action.id is not None else None
    name = el.name if el else ""
    role = el.role if el else ""
    if v == "click":
        if role == "link":
            if re.search(r"\b(delete|remove|cancel|unsubscribe)\b", name, re.I):
                return IRREVERSIBLE  # some sites mutate on GET links
            return REVERSIBLE if re.search(r"\b(log ?out|sign ?out)\b", name, re.I) else READ
        if role in ("button", "menuitem") and RISKY_WORDS.search(name):
            return IRREVERSIBLE
        return default
    return IRREVERSIBLE if (action.key or "").lower().endswith("enter") else default


async def classify(action: Action, obs: Observation) -> tuple[str, str]:
    """(class, reason). Looks at the live element when it can: a click on a submit control of a POST form, or
    Enter in a POST form, is irreversible whatever its label says; a GET form (search) is only a read."""
    cls = classify_static(action, obs)
    reason = "verb" if cls == READ else ("label" if cls == IRREVERSIBLE else "client-side")
    if action.verb not in ("click", "type") or action.id is None:
        return cls, reason
    el = obs.elements.get(action.id) if action.id is not None else None
    if el is None:
        return cls, reason
    frame = obs.frames.get(el.frame)
    info: dict[str, Any] | None = None
    if frame is not None:
        try:
            loc = frame.locator(el.selector).first
            if await loc.count():
                info = await loc.evaluate(_FORM_JS, timeout=1000)
        except PlaywrightError:
            info = None
    if not info:
        return cls, reason
    method = (info.get("formaction") or info.get("method") or "").lower()
    if action.verb == "click":
        if info.get("submits") and method and method != "get":
            return IRREVERSIBLE, f"submits a {method.upper()} form"
        if info.get("submits") and method == "get":
            return READ, "submits a GET form"
    if action.verb == "type" and action.press_enter and method:
        if method != "get":
            return IRREVERSIBLE, f"Enter submits a {method.upper()} form"
        return READ, "Enter submits a GET form"
    return cls, reason
