"""The action language: one action per step in WebArena's text form, parsed without eval, exported as grammars.

    click [id]   type [id] [text] [press_enter 0|1]   select [id] [option|option...]   hover [id]
    press [key combo]   scroll [up|down]   goto [url]   go_back   go_forward
    new_tab   tab_focus [i]   close_tab   note [text]   stop [answer]

Every verb is written out ONCE, in `VERB_TABLE` (its arguments, what the prompt says about it, whether it targets an
element, its default risk class, how the executor treats it); the parser, the formatter, the GBNF grammar, the JSON
schema and the prompt's action list are derived from that table, and so are `VERBS`, `ELEMENT_VERBS`, ...
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from webagent.errors import ParseError

KEY_RE = re.compile(r"^(?:(?:Control|Ctrl|Shift|Alt|Meta|ControlOrMeta)\+)*[A-Za-z0-9]+$|^[A-Za-z]\w*$")


# -- argument kinds: how one bracketed argument parses, prints, and is constrained ---------------------------------

def _int(value: str, what: str, verb: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ParseError(f"{verb}: {what} must be a number, got {value!r}") from None


def _parse_key(value: str, verb: str) -> str:
    key = value.strip()
    if not key or not KEY_RE.match(key):
        raise ParseError(f"{verb}: not a key combo: {key!r}; e.g. 'press [Enter]' or 'press [Control+a]'")
    return key


def _parse_direction(value: str, verb: str) -> str:
    d = value.strip().lower()
    if d not in ("up", "down"):
        raise ParseError(f"{verb}: direction must be up or down, got {d!r}")
    return d


def _parse_url(value: str, verb: str) -> str:
    url = value.strip()
    if not url:
        raise ParseError(f"{verb}: empty URL")
    return url


def _parse_enter(value: str, verb: str) -> bool:
    enter = value.strip()
    if enter not in ("0", "1"):
        raise ParseError(f"{verb}: press_enter must be 0 or 1, got {enter!r}")
    return enter == "1"


@dataclass(frozen=True)
class ArgKind:
    """One kind of bracketed argument: the Action field it fills, how it parses and prints, its GBNF rule and JSON
    schema. `free` text runs to the last `]` (it may itself hold brackets)."""

    field: str
    parse: Callable[[str, str], Any]
    gbnf: str
    schema: dict[str, Any]
    fmt: Callable[[Any], str] = str
    free: bool = False


ARG_KINDS: dict[str, ArgKind] = {
    "id": ArgKind("id", lambda v, verb: _int(v, "id", verb), "id", {"type": "integer"}),
    "text": ArgKind("text", lambda v, verb: v, "text", {"type": "string"}, lambda v: v or "", free=True),
    "options": ArgKind("text", lambda v, verb: v, 'option ("|" option)*', {"type": "string"}, lambda v: v or "",
                       free=True),
    "message": ArgKind("text", lambda v, verb: v.strip(), "text", {"type": "string"}, lambda v: v or "", free=True),
    "enter": ArgKind("press_enter", _parse_enter, "[01]", {"type": "boolean"}, lambda v: "1" if v else "0"),
    "key": ArgKind("key", _parse_key, "key", {"type": "string"}),
    "direction": ArgKind("direction", _parse_direction, '("up" | "down")',
                         {"type": "string", "enum": ["up", "down"]}),
    "url": ArgKind("url", _parse_url, "url", {"type": "string"}, free=True),
    "index": ArgKind("index", lambda v, verb: _int(v, "tab index", verb), "[0-9]", {"type": "integer"}),
}


@dataclass(frozen=True)
class Arg:
    """One argument of a verb: its kind, the placeholder the prompt shows, and the value used when it is left out
    (None: required)."""

    kind: str
    shown: str
    default: str | None = None


@dataclass(frozen=True)
class VerbSpec:
    """Everything about one verb. `scope`: `element` (acts on the element `[id]` names), `page` (acts on the
    page or the tabs) or `meta` (does not touch the browser). `risk` is its default risk class for search
    (read / reversible / irreversible); `webagent.search.safety` refines click and press by their target."""

    name: str
    args: tuple[Arg, ...]
    scope: str
    risk: str
    hint: str = ""  # said after the usage in the prompt's action list
    roles: frozenset[str] | None = None  # element roles the verb can act on (None: any); narrows the grammar

    def usage(self) -> str:
        return self.name + "".join(f" [{a.shown}]" for a in self.args)


VERB_TABLE: dict[str, VerbSpec] = {s.name: s for s in (
    VerbSpec("click", (Arg("id", "id"),), "element", "reversible"),
    VerbSpec("type", (Arg("id", "id"), Arg("text", "text"), Arg("enter", "1", default="1")), "element",
             "reversible", "the last bracket: 1 presses Enter after typing, 0 does not",
             frozenset({"textbox", "searchbox", "combobox", "spinbutton"})),
    VerbSpec("select", (Arg("id", "id"), Arg("options", "option")), "element", "reversible",
             "several options of a multi-select list: select [id] [option 1|option 2]",
             frozenset({"combobox", "listbox"})),
    VerbSpec("hover", (Arg("id", "id"),), "element", "reversible"),
    VerbSpec("press", (Arg("key", "key combo"),), "page", "reversible", "e.g. press [Enter], press [Control+a]"),
    VerbSpec("scroll", (Arg("direction", "down|up"),), "page", "read"),
    VerbSpec("goto", (Arg("url", "url"),), "page", "read"),
    VerbSpec("go_back", (), "page", "read"),
    VerbSpec("go_forward", (), "page", "read"),
    VerbSpec("new_tab", (), "page", "read"),
    VerbSpec("tab_focus", (Arg("index", "tab index"),), "page", "read"),
    VerbSpec("close_tab", (), "page", "read"),
    VerbSpec("note", (Arg("message", "text to remember", default=""),), "meta", "read"),
    VerbSpec("stop", (Arg("message", "answer", default=""),), "meta", "read",
             "ends the task with the answer; stop [N/A] if the task cannot be done"),
)}

VERBS = tuple(VERB_TABLE)
ELEMENT_VERBS = tuple(v for v, s in VERB_TABLE.items() if s.scope == "element")
NO_ARG_VERBS = tuple(v for v, s in VERB_TABLE.items() if not s.args)
# Actions that end the episode or only annotate it; they do not touch the page.
META_VERBS = tuple(v for v, s in VERB_TABLE.items() if s.scope == "meta")


def verb_spec(verb: str) -> VerbSpec:
    """The table entry of `verb`; ParseError naming the valid verbs when there is none."""
    spec = VERB_TABLE.get(verb)
    if spec is None:
        raise ParseError(f"unknown action {verb!r}; valid actions: {', '.join(VERB_TABLE)}")
    return spec


def prompt_action_list() -> str:
    """The prompt's list of actions, one line per verb: its usage and, where it helps, a hint."""
    lines = []
    for s in VERB_TABLE.values():
        u = s.usage()
        lines.append(f"{u:<22} ({s.hint})" if s.hint else u)
    return "\n".join(lines)


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
    spec = VERB_TABLE.get(a.verb)
    if spec is None:
        return a.verb
    return a.verb + "".join(f" [{ARG_KINDS[g.kind].fmt(getattr(a, ARG_KINDS[g.kind].field))}]" for g in spec.args)


_ACTION_RE = re.compile(r"^\s*([a-z_]+)\s*(.*?)\s*$", re.S)
_TRAILING_SHORT_RE = re.compile(r"^\[(.*)\]\s*\[([^\[\]]{0,8})\]\s*$", re.S)


def _args(rest: str, spec: VerbSpec) -> list[str]:
    """Split `[a] [b] [c]` into its bracketed arguments. A free-text argument runs to the last `]`, so it may
    itself contain brackets (a short last argument after it, like type's `[0|1]`, is split off first)."""
    verb = spec.name
    free_at = next((i for i, g in enumerate(spec.args) if ARG_KINDS[g.kind].free), None)
    args: list[str] = []
    s = rest.strip()
    while s:
        if not s.startswith("["):
            raise ParseError(f"expected '[' in arguments of {verb!r}, got {s[:30]!r}")
        if free_at == len(args):
            m = _TRAILING_SHORT_RE.match(s) if len(spec.args) == free_at + 2 else None
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


def parse_action(text: str) -> Action:
    """Parse exactly one action in text form. Raises ParseError naming what is wrong."""
    m = _ACTION_RE.match(text or "")
    if not m or not m.group(1):
        raise ParseError(f"not an action: {text[:80]!r}; expected e.g. 'click [12]'")
    spec = verb_spec(m.group(1))
    args = _args(m.group(2), spec)
    n_max = len(spec.args)
    n_min = sum(1 for g in spec.args if g.default is None)
    if not n_min <= len(args) <= n_max:
        want = str(n_min) if n_min == n_max else f"{n_min}-{n_max}"
        raise ParseError(f"{spec.name} takes {want} bracketed argument(s), got {len(args)}: {text[:80]!r}")
    fields: dict[str, Any] = {}
    for i, g in enumerate(spec.args):
        raw = args[i] if i < len(args) else g.default
        kind = ARG_KINDS[g.kind]
        fields[kind.field] = kind.parse(raw, spec.name)
    return Action(spec.name, **fields)


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


def _gbnf_rule(spec: VerbSpec, id_rule: str = "id") -> str:
    return json.dumps(spec.name) + "".join(
        f' " [" {id_rule if g.kind == "id" else ARG_KINDS[g.kind].gbnf} "]"' for g in spec.args)


MAX_CHOICES = 100  # a longer list is left to the free `option` rule (a grammar per country list is not worth it)


def _choosable(options: Iterable[str]) -> list[str]:
    """The options as grammar alternatives, or none (any option text allowed) when one of them cannot be written on
    the action's line (a line break, over 200 chars) or there are more than MAX_CHOICES."""
    opts = [o for o in dict.fromkeys(options) if o]
    if len(opts) > MAX_CHOICES or any("\n" in o or len(o) > 200 for o in opts):
        return []
    return opts


def action_gbnf(ids: Iterable[int] | None = None, verbs: Iterable[str] | None = None,
                roles: Mapping[int, str] | None = None, choices: Mapping[int, Iterable[str]] | None = None) -> str:
    """A GBNF grammar for llama.cpp that admits exactly the action language (every verb of the table, or `verbs`).

    With `ids`, only those element ids are admitted, so a small model cannot name an element that is not on the
    page; with `roles` (id -> role) as well, a verb that acts on some roles only (type, select) admits only the ids
    of those roles, and is left out when the page has none. `choices` (id -> option texts) makes `select` on those
    ids name only their own options."""
    specs = [verb_spec(v) for v in (VERB_TABLE if verbs is None else verbs)]
    narrowed: dict[str, list[int]] = {}
    if ids is not None:
        ids = sorted(set(ids))
        if not ids:  # nothing on the page to act on: no element verbs at all
            specs = [s for s in specs if s.scope != "element"]
        elif roles is not None:
            for s in specs:
                if s.roles is not None:
                    narrowed[s.name] = [i for i in ids if roles.get(i) in s.roles]
            specs = [s for s in specs if narrowed.get(s.name, True)]
    id_rule = _gbnf_alt(str(i) for i in ids) if ids else "[0-9]{1,6}"
    lines = ["root ::= " + " | ".join(s.name.replace("_", "-") for s in specs)]
    for s in specs:
        rule = s.name.replace("_", "-")
        own = f"{rule}-id" if s.name in narrowed else "id"
        targets = narrowed.get(s.name) or ids or []
        listed: dict[int, list[str]] = {}
        if choices and [a.kind for a in s.args] == ["id", "options"]:
            listed = {i: opts for i in targets if i in choices and (opts := _choosable(choices[i]))}
        if listed:  # `select [id] [a|b]` with each listed id's own options; other ids take any option text
            alts = []
            for i, opts in listed.items():
                lines.append(f"{rule}-{i} ::= {_gbnf_alt(opts)}")
                alts.append(f'"{i}] [" {rule}-{i} ("|" {rule}-{i})*')
            free = [i for i in targets if i not in listed]
            if free:
                lines.append(f"{rule}-free ::= {_gbnf_alt(str(i) for i in free)}")
                alts.append(f'{rule}-free "] [" {ARG_KINDS["options"].gbnf}')
            lines.append(f'{rule} ::= {json.dumps(s.name + " [")} ({" | ".join(alts)}) "]"')
            continue
        lines.append(f"{rule} ::= {_gbnf_rule(s, own)}")
        if s.name in narrowed:
            lines.append(f"{own} ::= {_gbnf_alt(str(i) for i in narrowed[s.name])}")
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
    by_field = {ARG_KINDS[g.kind].field: ARG_KINDS[g.kind].schema for s in VERB_TABLE.values() for g in s.args}
    uses: dict[str, list[str]] = {}  # field -> "verb: what it holds", for the description
    for s in VERB_TABLE.values():
        for g in s.args:
            uses.setdefault(ARG_KINDS[g.kind].field, []).append(f"{s.name}: {g.shown}")
    props: dict[str, Any] = {"verb": {"type": "string", "enum": list(VERB_TABLE)}}
    for name in Action.__dataclass_fields__:  # in the Action's field order
        if name in by_field:
            props[name] = dict(by_field[name])
            if len(uses[name]) > 1:
                props[name]["description"] = "; ".join(uses[name])
    if ids and "id" in props:
        props["id"]["enum"] = sorted(set(ids))
    return {"type": "object", "properties": props, "required": ["verb"], "additionalProperties": False}


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
