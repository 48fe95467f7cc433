"""Settings dataclasses whose fields carry their command-line flag: one place declares a setting, its default, its
flag, its help and its bounds; `add_flags` puts them on an argparse parser, `values_from_args` reads them back,
`check` enforces the bounds with a one-line BadInput naming the flag.

    @dataclass
    class ObserveSettings:
        scope: str = opt("page", choices=("page", "viewport"), help="whole page or the viewport")
        max_chars: int = opt(24_000, minimum=200, help="text budget")
        stages: list[str] = opt(default_factory=list, flag=False)   # a setting without a flag
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import MISSING, dataclass, field
from typing import Any

from webagent.errors import BadInput


@dataclass(frozen=True)
class Flag:
    """How a settings field appears on the command line."""

    help: str = ""
    name: str | None = None  # default: --field-name
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    metavar: str | None = None
    const: Any = None  # a flag without a value that stores this (e.g. --headful stores headless=False)


def opt(default: Any = MISSING, *, default_factory: Any = MISSING, help: str = "", flag: bool = True,
        name: str | None = None, choices: tuple[Any, ...] | None = None, minimum: float | None = None,
        metavar: str | None = None, const: Any = None) -> Any:
    """A dataclass field with its flag (flag=False: a setting files and the API may set, without a flag)."""
    meta = {"flag": Flag(help, name, tuple(choices) if choices else None, minimum, metavar, const) if flag else None,
            "minimum": minimum, "choices": tuple(choices) if choices else None}
    if default_factory is not MISSING:
        return field(default_factory=default_factory, metadata=meta)
    return field(default=default, metadata=meta)


def flag_of(f: dataclasses.Field) -> Flag | None:
    return f.metadata.get("flag")


def flag_name(f: dataclasses.Field) -> str:
    fl = flag_of(f)
    return (fl.name if fl and fl.name else None) or "--" + f.name.replace("_", "-")


def _base_type(hint: Any) -> tuple[type, bool]:
    """(scalar type, is a list) of a field's annotation: `int | None` -> (int, False), `list[str]` -> (str, True)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        hint = args[0] if len(args) == 1 else str
    if typing.get_origin(hint) is list:
        return (typing.get_args(hint) or (str,))[0], True
    return (hint if isinstance(hint, type) else str), False


def field_types(cls: type) -> dict[str, tuple[type, bool]]:
    hints = typing.get_type_hints(cls)
    return {f.name: _base_type(hints[f.name]) for f in dataclasses.fields(cls)}


def default_of(f: dataclasses.Field) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return None


def add_flags(group: Any, cls: type, defaults_help: dict[str, str] | None = None, seen: set[str] | None = None
              ) -> None:
    """Add a flag for every flagged field of `cls` to `group` (a parser or an argument group). Every flag's
    default is None, so that `values_from_args` can tell a given flag from an absent one (and a config file's
    value survives an absent flag). `defaults_help` replaces the '(default X)' note; `seen` skips flags added
    already (planners share option names)."""
    types_ = field_types(cls)
    for f in dataclasses.fields(cls):
        fl = flag_of(f)
        if fl is None or (seen is not None and f.name in seen):
            continue
        if seen is not None:
            seen.add(f.name)
        typ, is_list = types_[f.name]
        d = default_of(f)
        note = (defaults_help or {}).get(f.name)
        if note is None and d not in (None, False, [], ""):
            note = f"default {d}"
        help_ = fl.help + (f" ({note})" if note and "default" not in fl.help else "")
        kw: dict[str, Any] = {"dest": f.name, "default": None, "help": help_ or None}
        if fl.const is not None:
            kw.update(action="store_const", const=fl.const)
        elif typ is bool:
            kw.update(action="store_const", const=True)
        elif is_list:
            kw.update(action="append", type=typ, metavar=fl.metavar)
        else:
            kw.update(type=typ, choices=fl.choices, metavar=fl.metavar)
        group.add_argument(flag_name(f), **kw)


def values_from_args(cls: type, args: argparse.Namespace) -> dict[str, Any]:
    """The fields of `cls` whose flags were given (not None) in `args`."""
    out = {}
    for f in dataclasses.fields(cls):
        if flag_of(f) is None:
            continue
        v = getattr(args, f.name, None)
        if v is not None:
            out[f.name] = v
    return out


def check(obj: Any) -> None:
    """BadInput naming the flag of the first field below its minimum or outside its choices."""
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if v is None:
            continue
        m = f.metadata.get("minimum")
        if m is not None and isinstance(v, int | float) and not isinstance(v, bool) and v < m:
            raise BadInput(f"{flag_name(f)} must be at least {m:g}, got {v}")
        ch = f.metadata.get("choices")
        if ch and v not in ch:
            raise BadInput(f"{flag_name(f)} must be one of {', '.join(map(str, ch))}, got {v!r}")


def build(cls: type, values: dict[str, Any], where: str) -> Any:
    """An instance of `cls` from a dict (a config file section, a recorded header): unknown keys and values of the
    wrong type are one-line BadInputs that say `where` and name the known keys."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise BadInput(f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    types_ = field_types(cls)
    clean = {}
    for k, v in values.items():
        typ, is_list = types_[k]
        if v is None:  # unset: the default
            continue
        ok = isinstance(v, list) and all(_is(x, typ) for x in v) if is_list else _is(v, typ)
        if not ok:
            want = f"a list of {typ.__name__}" if is_list else typ.__name__
            raise BadInput(f"{where}: {k} must be {want}, got {v!r}")
        clean[k] = float(v) if typ is float else v
    obj = cls(**clean)
    check(obj)
    return obj


def _is(v: Any, typ: type) -> bool:
    if typ is float:
        return isinstance(v, int | float) and not isinstance(v, bool)
    if typ is int:
        return isinstance(v, int) and not isinstance(v, bool)
    return isinstance(v, typ)
