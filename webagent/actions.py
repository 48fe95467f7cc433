"""The action language: one action per step in WebArena's text form, parsed without eval, exported as grammars.

    click [id]   type [id] [text] [press_enter 0|1]   select [id] [option|option...]   hover [id]
    press [key combo]   scroll [up|down]   goto [url]   go_back   go_forward
    new_tab   tab_focus [i]   close_tab   note [text]   stop [answer]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from webagent.errors import ParseError

ELEMENT_VERBS = ("click", "type", "select", "hover")
VERBS = (
    "click", "type", "select", "hover", "press", "scroll", "goto", "go_back", "go_forward",
    "new_tab", "tab_focus", "close_tab", "note", "stop",
)
NO_ARG_VERBS = ("go_back", "go_forward", "new_tab", "close_tab")
# Actions that end the episode or only annotate it; they do not touch the page.
META_VERBS = ("note", "stop")
KEY_RE = re.compile(r"^(?:(?:Control|Ctrl|Shift|Alt|Meta|ControlOrMeta)\+)*[A-Za-z0-9]+$|^[A-Za-z]\w*$")


@dataclass(frozen=True)
class Action:
    """One parsed action. Only the fields its verb uses are set."""

    verb: str
    id: int | None = None
    text: str | None = None
    press_enter: bool = False
    key: str | None = None
    direction: str | None = None
    url: str | None = None
    index: int | None = None

    def __str__(self) -> str:
        return format_action(self)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, False) or k == "verb"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def format_action(a: Action) -> str:
    """The canonical text form, which `parse_action` reads back to an equal Action."""
    v = a.verb
    if v == "click" or v == "hover":
        return f"{v} [{a.id}]"
    if v == "type":
        return f"type [{a.id}] [{a.text}] [{1 if a.press_enter else 0}]"
    if v == "select":
        return f"select [{a.id}] [{a.text}]"
    if v == "press":
        return f"press [{a.key}]"
    if v == "scroll":
        return f"scroll [{a.direction}]"
    if v == "goto":
        return f"goto [{a.url}]"
    if v == "tab_focus":
        return f"tab_focus [{a.index}]"
    if v in ("note", "stop"):
        return f"{v} [{a.text or ''}]"
    return v


_ACTION_RE = re.compile(r"^\s*([a-z_]+)\s*(.*?)\s*$", re.S)


FREE_TEXT_ARG = {"type": 1, "select": 1, "note": 0, "stop": 0, "goto": 0}  # verb -> index of a text argument


def _args(rest: str, verb: str) -> list[str]:
    """Split `[a] [b] [c]` into its bracketed arguments. A free-text argument runs to the last `]`, so it may
    itself contain brackets (type's optional trailing `[0|1]` is split off first)."""
    args: list[str] = []
    s = rest.strip()
    while s:
        if not s.startswith("["):
            raise ParseError(f"expected '[' in arguments of {verb!r}, got {s[:30]!r}")
        if FREE_TEXT_ARG.get(verb) == len(args):
            m = re.match(r"^\[(.*)\]\s*\[([^\[\]]{0,8})\]\s*$", s, re.S) if verb == "type" else None
            if m:
                return args + [m.group(1), m.group(2)]
            end = s.rfind("]")
            if end < 0:
                raise ParseError(f"unclosed '[' in {verb!r}")
            args.append(s[1:end])
            s = s[end + 1:].strip()
            continue
        end = s.find("]")
        if end < 0:
            raise ParseError(f"unclosed '[' in {verb!r}")
        args.append(s[1:end])
        s = s[end + 1:].strip()
    return args


def _int(value: str, what: str, verb: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ParseError(f"{verb}: {what} must be a number, got {value!r}") from None


def parse_action(text: str) -> Action:
    """Parse exactly one action in text form. Raises ParseError naming what is wrong."""
    m = _ACTION_RE.match(text or "")
    if not m or not m.group(1):
        raise ParseError(f"not an action: {text[:80]!r}; expected e.g. 'click [12]'")
    verb, rest = m.group(1), m.group(2)
    if verb not in VERBS:
        raise ParseError(f"unknown action {verb!r}; valid actions: {', '.join(VERBS)}")
    args = _args(rest, verb)

    def need(n_min: int, n_max: int | None = None) -> None:
        n_max = n_min if n_max is None else n_max
        if not n_min <= len(args) <= n_max:
            want = str(n_min) if n_min == n_max else f"{n_min}-{n_max}"
            raise ParseError(f"{verb} takes {want} bracketed argument(s), got {len(args)}: {text[:80]!r}")

    if verb in NO_ARG_VERBS:
        need(0)
        return Action(verb)
    if verb in ("click", "hover"):
        need(1)
        return Action(verb, id=_int(args[0], "id", verb))
    if verb == "type":
        need(2, 3)
        enter = args[2].strip() if len(args) == 3 else "1"
        if enter not in ("0", "1"):
            raise ParseError(f"type: press_enter must be 0 or 1, got {enter!r}")
        return Action(verb, id=_int(args[0], "id", verb), text=args[1], press_enter=enter == "1")
    if verb == "select":
        need(2)
        return Action(verb, id=_int(args[0], "id", verb), text=args[1])
    if verb == "press":
        need(1)
        key = args[0].strip()
        if not key or not KEY_RE.match(key):
            raise ParseError(f"press: not a key combo: {key!r}; e.g. 'press [Enter]' or 'press [Control+a]'")
        return Action(verb, key=key)
    if verb == "scroll":
        need(1)
        d = args[0].strip().lower()
        if d not in ("up", "down"):
            raise ParseError(f"scroll: direction must be up or down, got {d!r}")
        return Action(verb, direction=d)
    if verb == "goto":
        need(1)
        url = args[0].strip()
        if not url:
            raise ParseError("goto: empty URL")
        return Action(verb, url=url)
    if verb == "tab_focus":
        need(1)
        return Action(verb, index=_int(args[0], "tab index", verb))
    need(0, 1)  # note, stop
    return Action(verb, text=(args[0] if args else "").strip())


_FENCE_RE = re.compile(r"```(?:[a-z]*\n)?(.*?)```", re.S)


def extract_action(reply: str) -> Action:
    """Find the action in a model reply: the last fenced block, else the last line that parses.

    Chain-of-thought models write reasoning first (WebArena's "the next action I will perform is ```...```")."""
    reply = (reply or "").strip()
    blocks = [b.strip() for b in _FENCE_RE.findall(reply) if b.strip()]
    candidates = list(reversed(blocks)) + [reply] + list(reversed(reply.splitlines()))
    first_error: ParseError | None = None
    for cand in candidates:
        cand = cand.strip().strip("`").strip()
        for prefix in ("Action:", "action:", "ACTION:"):
            if cand.startswith(prefix):
                cand = cand[len(prefix):].strip()
        if not cand:
            continue
        try:
            return parse_action(cand)
        except ParseError as e:
            first_error = first_error or e
    raise ParseError(f"no valid action in the reply ({first_error}); reply was: {reply[:120]!r}")


def canonical(action: Action, role: str | None = None, name: str | None = None) -> str:
    """A key that is equal for actions that do the same thing (verb + target role/name + text), for dedup."""
    parts = [action.verb, role or "", (name or "").strip().lower()]
    if action.id is not None and not role and not name:
        parts.append(f"#{action.id}")
    for v in (action.text, action.key, action.direction, action.url, action.index):
        if v is not None:
            parts.append(str(v).strip())
    if action.press_enter:
        parts.append("enter")
    return "|".join(parts)


def _gbnf_alt(values: Iterable[str]) -> str:
    return " | ".join(json.dumps(v) for v in values)


def action_gbnf(ids: Iterable[int] | None = None, verbs: Iterable[str] = VERBS) -> str:
    """A GBNF grammar for llama.cpp that admits exactly the action language.

    With `ids`, only those element ids are admitted, so a small model cannot name an element
    that is not on the page."""
    verbs = list(verbs)
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:  # nothing on the page to act on: no element verbs at all
            verbs = [v for v in verbs if v not in ELEMENT_VERBS]
    id_rule = _gbnf_alt(str(i) for i in ids) if ids else "[0-9]{1,6}"
    rules = {
        "click": '"click [" id "]"',
        "hover": '"hover [" id "]"',
        "type": '"type [" id "] [" text "] [" [01] "]"',
        "select": '"select [" id "] [" option ("|" option)* "]"',
        "press": '"press [" key "]"',
        "scroll": '"scroll [" ("up" | "down") "]"',
        "goto": '"goto [" url "]"',
        "go_back": '"go_back"',
        "go_forward": '"go_forward"',
        "new_tab": '"new_tab"',
        "tab_focus": '"tab_focus [" [0-9] "]"',
        "close_tab": '"close_tab"',
        "note": '"note [" text "]"',
        "stop": '"stop [" text "]"',
    }
    lines = ["root ::= " + " | ".join(v.replace("_", "-") for v in verbs)]
    for v in verbs:
        lines.append(f"{v.replace('_', '-')} ::= {rules[v]}")
    lines += [
        f"id ::= {id_rule}",
        'text ::= [^\\]\\n]{0,200}',
        'option ::= [^\\]|\\n]{1,200}',
        'key ::= ([A-Z][a-z]* "+"){0,2} [A-Za-z0-9]{1,12}',
        'url ::= [^\\] \\n]{1,300}',
    ]
    return "\n".join(lines) + "\n"


def action_json_schema(ids: Iterable[int] | None = None) -> dict[str, Any]:
    """A JSON schema for structured-output endpoints; `from_json` turns a conforming object into an Action."""
    id_schema: dict[str, Any] = {"type": "integer"}
    if ids:
        id_schema["enum"] = sorted(set(ids))
    return {
        "type": "object",
        "properties": {
            "verb": {"type": "string", "enum": list(VERBS)},
            "id": id_schema,
            "text": {"type": "string", "description": "type: the text; select: the option, or several options "
                     "of a multi-select separated by |; note/stop: the note or answer"},
            "press_enter": {"type": "boolean"},
            "key": {"type": "string"},
            "direction": {"type": "string", "enum": ["up", "down"]},
            "url": {"type": "string"},
            "index": {"type": "integer"},
        },
        "required": ["verb"],
        "additionalProperties": False,
    }


def from_json(data: str | dict[str, Any]) -> Action:
    """Validate an action given as JSON (structured output) by round-tripping it through the text parser."""
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as e:
            raise ParseError(f"action JSON does not parse: {e}") from None
    if not isinstance(data, dict) or "verb" not in data:
        raise ParseError("action JSON must be an object with a 'verb'")
    try:
        action = Action.from_dict(data)
    except TypeError as e:
        raise ParseError(f"bad action JSON: {e}") from None
    return parse_action(format_action(action))
