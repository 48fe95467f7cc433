"""`select`: choose one or several options of a <select> (single or multiple), an ARIA listbox or an ARIA combobox,
and verify the options ended up selected.

Several options are written `select [id] [Brazil|Mauritania]`; an option whose own text contains `|` is matched
whole first, so the separator never hides an option."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import ElementHandle, Frame, Locator, Page

from webagent import pointer
from webagent.errors import ElementNotActionable
from webagent.recheck import forget, pin, reread

SEPARATOR = "|"

_NATIVE_JS = """e => e.tagName === 'SELECT' ? {multiple: e.multiple,
  options: [...e.options].map(o => ({text: o.label || o.textContent.trim(), selected: o.selected,
                                     disabled: o.disabled}))} : null"""

# An <input list=...>: its suggestions are a <datalist>, chosen by typing the option's value.
_DATALIST_JS = """e => e.tagName === 'INPUT' && e.list ? [...e.list.options].map(o => ({text: (o.label ||
  o.textContent || o.value).trim(), value: o.value})) : null"""

# The listbox an element is or controls (aria-controls / aria-owns / a descendant), and its options, each marked
# with a data-wa-opt index so they can be clicked. null when the element is not a listbox or combobox.
_ARIA_JS = """e => {
  const role = e.getAttribute('role') || '';
  let box = null;
  if (role === 'listbox') box = e;
  else if (role === 'combobox' || e.getAttribute('aria-haspopup') === 'listbox') {
    const root = e.getRootNode();
    for (const attr of ['aria-controls', 'aria-owns']) {
      for (const id of (e.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)) {
        const c = root.getElementById ? root.getElementById(id) : document.getElementById(id);
        if (c) { box = c.getAttribute('role') === 'listbox' ? c : c.querySelector('[role=listbox]'); if (box) break; }
      }
      if (box) break;
    }
    box = box || e.querySelector('[role=listbox]') ||
      (e.parentElement && e.parentElement.querySelector('[role=listbox]'));
  } else return null;
  if (!box) return {kind: role, multiple: false, options: []};
  const visible = n => { const r = n.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const opts = [...box.querySelectorAll('[role=option]')].filter(visible);
  document.querySelectorAll('[data-wa-opt]').forEach(o => o.removeAttribute('data-wa-opt'));
  opts.forEach((o, i) => o.setAttribute('data-wa-opt', String(i)));
  return {kind: role, multiple: box.getAttribute('aria-multiselectable') === 'true',
          editable: e.tagName === 'INPUT' || e.isContentEditable,
          options: opts.map(o => ({text: (o.getAttribute('aria-label') || o.innerText || o.textContent || '').trim()
                                        .replace(/\\s+/g, ' '),
                                   selected: o.getAttribute('aria-selected') === 'true' ||
                                             o.getAttribute('aria-checked') === 'true',
                                   disabled: o.getAttribute('aria-disabled') === 'true'}))};
}"""

_COMBO_VALUE_JS = """e => (e.value !== undefined && e.tagName === 'INPUT' ? e.value : e.innerText || '').trim()"""


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().casefold()


def _shows(value: str, option: str) -> bool:
    """Whether a combobox's value or text shows `option` as a whole (a label around it is fine: `Country: Brazil`),
    not as part of a longer word (`JavaScript` does not show `Java`)."""
    return re.search(r"(?<!\w)" + re.escape(_norm(option)) + r"(?!\w)", _norm(value)) is not None


def split_options(text: str, available: list[str]) -> list[str]:
    """The options `text` asks for, split on `|`; runs of parts that together are one option's text (an option
    that contains `|` itself) stay whole, longest first."""
    known = {_norm(o) for o in available}
    parts = text.split(SEPARATOR)
    out: list[str] = []
    i = 0
    while i < len(parts):
        j = next((j for j in range(len(parts), i + 1, -1) if _norm(SEPARATOR.join(parts[i:j])) in known), i + 1)
        piece = SEPARATOR.join(parts[i:j]).strip()
        if piece:
            out.append(piece)
        i = j
    return out


def match_options(wanted: list[str], available: list[str], label: str) -> list[int]:
    """Indexes of the wanted options (exact text, then case- and space-insensitive); an unknown one is an error
    that lists the options there are."""
    out = []
    for w in wanted:
        idx = next((i for i, o in enumerate(available) if o == w), None)
        if idx is None:
            idx = next((i for i, o in enumerate(available) if _norm(o) == _norm(w)), None)
        if idx is None:
            shown = "; ".join(available[:15]) + ("; …" if len(available) > 15 else "")
            raise ElementNotActionable(f"{label} has no option {w!r}; options are: {shown or '(none shown)'}")
        out.append(idx)
    return out


async def select(page: Page, frame: Frame, loc: Locator, label: str, text: str, timeout: int,
                 settle: Callable[[], Awaitable[None]]) -> list[str]:
    """Select the options `text` names in the element at `loc`; returns the selected option texts."""
    node = await pin(loc, timeout)
    try:
        return await _choose(page, frame, loc, node, label, text, timeout, settle)
    finally:
        await forget(node)


async def _choose(page: Page, frame: Frame, loc: Locator, node: ElementHandle, label: str, text: str, timeout: int,
                  settle: Callable[[], Awaitable[None]]) -> list[str]:
    native = await loc.evaluate(_NATIVE_JS, timeout=timeout)
    if native is not None:
        return await _native(loc, node, label, text, native, timeout)
    datalist = await loc.evaluate(_DATALIST_JS, timeout=timeout)
    if datalist is not None:
        texts = [o["text"] for o in datalist]
        idx = match_options(split_options(text, texts), texts, label)
        if len(idx) > 1:
            raise ElementNotActionable(f"{label} takes one option, not {len(idx)}; choose one of them")
        value = datalist[idx[0]]["value"]
        await loc.fill(value, timeout=timeout)
        there, holds = await reread(node, "e => e.value")
        if not there:  # the choice navigated or replaced the field: nothing left to check
            return [texts[idx[0]]]
        if holds != value:
            raise ElementNotActionable(f"{label}: after choosing {texts[idx[0]]!r} it holds {holds!r}, not {value!r} "
                                       "(a page script changed it)")
        return [texts[idx[0]]]
    aria = await loc.evaluate(_ARIA_JS, timeout=timeout)
    if aria is None:
        raise ElementNotActionable(f"{label} is not a list of options (<select>, listbox or combobox); "
                                   "click it and then click the option")
    if not aria["options"] and aria["kind"] != "listbox":  # a closed popup: open it as a person would
        await pointer.press(page, loc, frame, label, timeout)
        await settle()
        aria = await loc.evaluate(_ARIA_JS, timeout=timeout)
        if not aria["options"] and aria.get("editable"):  # an autocomplete: typing makes the options appear
            await loc.fill(text.split(SEPARATOR)[0].strip(), timeout=timeout)
            await settle()
            aria = await loc.evaluate(_ARIA_JS, timeout=timeout)
    return await _aria(page, frame, loc, node, label, text, aria, timeout, settle)


async def _native(loc: Locator, node: ElementHandle, label: str, text: str, info: dict, timeout: int
                  ) -> list[str]:
    texts = [o["text"] for o in info["options"]]
    idx = match_options(split_options(text, texts), texts, label)
    if len(idx) > 1 and not info["multiple"]:
        raise ElementNotActionable(f"{label} takes one option, not {len(idx)}; choose one of them")
    disabled = [texts[i] for i in idx if info["options"][i]["disabled"]]
    if disabled:
        raise ElementNotActionable(f"{label}: option {disabled[0]!r} is disabled")
    await loc.select_option(index=idx, timeout=timeout)
    there, after = await reread(node, _NATIVE_JS)
    if not there:  # the choice navigated (a form that submits on change): nothing left to check
        return [texts[i] for i in idx]
    chosen = [o["text"] for o in after["options"] if o["selected"]]
    if sorted(chosen) != sorted(texts[i] for i in idx):
        raise ElementNotActionable(f"{label}: after selecting, the selected options are {chosen or 'none'} "
                                   "(a page script changed them)")
    return chosen


async def _aria(page: Page, frame: Frame, loc: Locator, node: ElementHandle, label: str, text: str, info: dict,
                timeout: int, settle: Callable[[], Awaitable[None]]) -> list[str]:
    texts = [o["text"] for o in info["options"]]
    if not texts:
        raise ElementNotActionable(f"{label} shows no options; click it to open the list, or type to search")
    idx = match_options(split_options(text, texts), texts, label)
    if len(idx) > 1 and not info["multiple"]:
        raise ElementNotActionable(f"{label} takes one option, not {len(idx)}; choose one of them")
    wanted = [texts[i] for i in idx]
    want = set(wanted)
    is_box = info["kind"] == "listbox"
    for n, w in enumerate(wanted):
        if n:  # the list may have changed with the last click: find the option by its text among those shown now
            info = await loc.evaluate(_ARIA_JS, timeout=timeout)
        now = [o["text"] for o in info["options"]]
        i = next((k for k, t in enumerate(now) if t == w), None)
        if i is None:
            raise ElementNotActionable(f"{label}: option {w!r} is no longer shown after clicking {wanted[:n]}")
        if is_box and info["multiple"] and info["options"][i]["selected"]:
            continue
        opt = frame.locator(f'[data-wa-opt="{i}"]').first
        mods = ("ControlOrMeta",) if info["multiple"] and n > 0 else ()
        await pointer.press(page, opt, frame, f"option {w!r} of {label}", timeout, modifiers=mods)
        await settle()
    if is_box and info["multiple"]:  # options selected before and not asked for: toggle them off
        after = await loc.evaluate(_ARIA_JS, timeout=timeout)
        for i, o in enumerate(after["options"]):
            if o["selected"] and o["text"] not in want:
                await pointer.press(page, frame.locator(f'[data-wa-opt="{i}"]').first, frame,
                                    f"option {o['text']!r} of {label}", timeout, modifiers=("ControlOrMeta",))
        await settle()
    return await _verify_aria(loc, node, label, want, is_box, timeout)


async def _verify_aria(loc: Locator, node: ElementHandle, label: str, want: set[str], is_box: bool, timeout: int
                       ) -> list[str]:
    there, after = await reread(node, _ARIA_JS)
    if not there:  # the choice navigated or replaced the widget
        return sorted(want)
    chosen = [o["text"] for o in after["options"] if o["selected"]] if after else []
    if want <= set(chosen):
        return chosen
    if not is_box:  # a combobox whose popup closed: its own value or text shows the choice
        value = await loc.evaluate(_COMBO_VALUE_JS, timeout=timeout)
        if all(_shows(value, w) for w in want):
            return sorted(want)
        raise ElementNotActionable(f"{label}: after clicking {sorted(want)} it shows {value!r}")
    raise ElementNotActionable(f"{label}: after clicking, the selected options are {chosen or 'none'}, "
                               f"not {sorted(want)}")
