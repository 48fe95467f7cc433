"""Typing that is verified: human dates and times converted to what date/time inputs take, and after typing the
field must hold what was typed (modulo its own formatting), or a TypingMismatch says what it holds and needs."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Locator

from webagent.errors import TypingMismatch
from webagent.recheck import forget, pin, reread

# What each typed input needs, in the words of the error the agent reads.
NEEDS = {
    "date": "a date, e.g. 2017-10-20, 10/20/2017 or Oct 20 2017",
    "time": "a time, e.g. 15:30 or 3:30 pm",
    "datetime-local": "a date and time, e.g. 2017-10-20 15:30 or 10/20/2017 3:30 pm",
    "month": "a month, e.g. 2017-10 or October 2017",
    "week": "a week, e.g. 2017-W42",
    "number": "a number, e.g. 42 or 3.5 (no thousands separators or units)",
    "email": "an e-mail address, e.g. name@example.com",
}

_DATE_FORMATS = (
    "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y", "%d.%m.%Y", "%d/%m/%Y",
    "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%a %b %d %Y", "%A %B %d %Y", "%b %d", "%B %d",
    "%Y%m%d",
)
_TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%I:%M %p", "%I:%M:%S %p", "%I %p", "%H%M", "%H.%M", "%H")


def _clean(text: str) -> str:
    t = text.strip().replace(",", " ")
    t = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", t)  # 20th October
    t = re.sub(r"(?i)\b([ap])\.?m\.?(?=\s|$)", lambda m: m.group(1).upper() + "M", t)  # 3 p.m. -> 3 PM
    t = re.sub(r"(?i)(\d)\s*([AP]M)\b", r"\1 \2", t)  # 3:30pm -> 3:30 PM
    t = re.sub(r"(?i)\b(sept)\b", "Sep", t)
    return re.sub(r"\s+", " ", t).strip()


def parse_date(text: str, today: date | None = None) -> date | None:
    """A calendar date from the ways people write one (US month-first when ambiguous, day-first when it must be)."""
    t = _clean(text)
    for fmt in _DATE_FORMATS:
        try:
            d = datetime.strptime(t, fmt)
        except ValueError:
            continue
        if "%Y" not in fmt and "%y" not in fmt:
            d = d.replace(year=(today or date.today()).year)
        return d.date()
    return None


def parse_time(text: str) -> time | None:
    """A time of day from 15:30, 3:30 pm, 3pm, 15:30:45 ..."""
    t = _clean(text).upper()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(t, fmt).time()
        except ValueError:
            continue
    return None


def _fmt_time(t: time) -> str:
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def _split_datetime(text: str) -> tuple[str, str] | None:
    t = _clean(text)
    m = re.match(r"^(\d{4}-\d{2}-\d{2})[T ](.+)$", t)
    if m:
        return m.group(1), m.group(2)
    m = re.match(r"^(.+?)\s+(?:at\s+)?(\d{1,2}(?::\d{2}){0,2}(?:\s?[AP]M)?)$", t, re.I)
    return (m.group(1), m.group(2)) if m else None


def to_input_value(kind: str, text: str, today: date | None = None) -> str:
    """The value an <input type=kind> takes for `text`; unchanged for kinds without a fixed format.

    Raises ValueError (with the format needed) when `text` is not a date/time/... of that kind."""
    kind = (kind or "text").lower()
    text = text.strip() if kind in ("date", "time", "datetime-local", "month", "week", "number") else text
    if kind == "date":
        d = parse_date(text, today)
        if d:
            return d.isoformat()
    elif kind == "time":
        t = parse_time(text)
        if t:
            return _fmt_time(t)
    elif kind == "datetime-local":
        parts = _split_datetime(text)
        if parts:
            d, t = parse_date(parts[0], today), parse_time(parts[1])
            if d and t:
                return f"{d.isoformat()}T{_fmt_time(t)}"
    elif kind == "month":
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return text
        for fmt in ("%B %Y", "%b %Y", "%m/%Y", "%m-%Y", "%Y/%m"):
            try:
                return datetime.strptime(_clean(text), fmt).strftime("%Y-%m")
            except ValueError:
                continue
    elif kind == "week":
        m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text.upper().replace(" ", ""))
        if m:
            return f"{m.group(1)}-W{int(m.group(2)):02d}"
        d = parse_date(text, today)
        if d:
            y, w, _ = d.isocalendar()
            return f"{y}-W{w:02d}"
    elif kind == "number":
        if re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
            return text
    else:
        return text
    raise ValueError(f"{text!r} is not {NEEDS[kind]}")


def holds(kind: str, typed: str, value: str) -> bool:
    """Whether a field's value is what was typed, modulo the field's own formatting: a number's notation, masks
    that add spaces or punctuation (phone numbers, card numbers), an inline completion after the typed text."""
    if value == typed or value.strip() == typed.strip():
        return True
    if kind == "number":
        try:
            return float(value) == float(typed)
        except ValueError:
            return False
    squash = lambda s: re.sub(r"[\W_]+", "", s).lower()  # noqa: E731
    # a mask's punctuation, or an inline autocomplete that appended the rest of a suggestion
    return bool(squash(typed)) and squash(value).startswith(squash(typed))


_FIELD_JS = """e => ({kind: e.isContentEditable ? 'contenteditable' : (e.tagName === 'INPUT' ? (e.type || 'text') :
  e.tagName.toLowerCase()), value: e.isContentEditable ? e.innerText.replace(/\\n$/, '') : e.value,
  max: e.maxLength > 0 ? e.maxLength : null, invalid: !!(e.validity && !e.validity.valid && e.value)})"""


async def field_state(loc: Locator, timeout: int) -> dict:
    """The field's kind (input type, textarea, contenteditable), current value and constraints."""
    return await loc.evaluate(_FIELD_JS, timeout=timeout)


def _shown(kind: str, value: str, redact: Callable[[str], str]) -> str:
    if kind == "password":
        return f"{len(value)} characters"
    return repr(redact(value)) if value else "nothing (it is empty)"


async def type_verified(loc: Locator, label: str, text: str, timeout: int, redact: Callable[[str], str] = str) -> str:
    """Type `text` into the field (converted for date/time inputs), check the field holds it; returns the value.

    `redact` hides secrets in messages. A field that reformats, masks or refuses the text -> TypingMismatch."""
    info = await field_state(loc, timeout)
    kind = info["kind"]
    try:
        value = to_input_value(kind, text)
    except ValueError as e:
        raise TypingMismatch(f"{label} is a {kind} field and needs {NEEDS[kind]}; {redact(str(e))}") from None
    node = await pin(loc, timeout)
    try:
        await loc.fill(value, timeout=timeout)
        there, info = await reread(node, _FIELD_JS)
    except PlaywrightError as e:
        if kind in NEEDS and ("Malformed" in str(e) or "Cannot type" in str(e)):
            raise TypingMismatch(f"{label} is a {kind} field and needs {NEEDS[kind]}; "
                                 f"it refused {redact(text)!r}") from None
        raise
    finally:
        await forget(node)
    if not there:  # typing navigated or replaced the field (a search-as-you-type page)
        return value
    if holds(kind, value, info["value"]):
        return info["value"]
    # a script rewrote the value (masked or controlled inputs): type it key by key, as a person would
    await loc.fill("", timeout=timeout)
    await loc.press_sequentially(value, timeout=timeout)
    info = await field_state(loc, timeout)
    if holds(kind, value, info["value"]):
        return info["value"]
    why = ""
    if info["max"] is not None and len(value) > info["max"]:
        why = f" (it takes at most {info['max']} characters)"
    elif kind in NEEDS:
        why = f" (it needs {NEEDS[kind]})"
    raise TypingMismatch(f"after typing {redact(text)!r}, {label} holds {_shown(kind, info['value'], redact)}{why}")
