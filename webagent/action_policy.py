"""The action policy (`--policy FILE`, `--confirm irreversible`): which actions the agent may carry out at all.

Rules are tried in order; the first that matches decides (`allow`, `deny` or `confirm`); none matching gives the
file's `default` (`allow` unless the file says `deny`: deny-by-default). A rule matches when every field it gives
matches: `verbs`, `hosts` (allowlist patterns, of the goto target or the current page), `roles`, `name` (regex on
the element's accessible name), `risk` (read / reversible / irreversible, as `webagent.risk` classifies), `text`
(regex on the typed text, secrets as `{{NAME}}`), `url` (regex on the goto target). `confirm` asks on the
terminal and denies when there is none (and always denies while a planner explores). A refusal is a PolicyDenied
error the agent reads in its next observation and the trajectory records.

    default = "deny"
    [[rule]]
    effect = "allow"
    verbs = ["click", "type", "scroll", "stop", "note", "go_back"]
    hosts = ["shop.example.com"]
    [[rule]]
    effect = "confirm"
    risk = ["irreversible"]
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webagent.actions import VERBS, Action
from webagent.errors import BadInput, PolicyDenied
from webagent.observers import Observation
from webagent.risk import IRREVERSIBLE, READ, REVERSIBLE, classify
from webagent.safety import host_matches

EFFECTS = ("allow", "deny", "confirm")
RULE_KEYS = {"effect", "verbs", "hosts", "roles", "name", "risk", "text", "url", "reason"}


@dataclass
class Rule:
    effect: str
    verbs: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    name: re.Pattern[str] | None = None
    risk: list[str] = field(default_factory=list)
    text: re.Pattern[str] | None = None
    url: re.Pattern[str] | None = None
    reason: str = ""

    def matches(self, action: Action, host_url: str, role: str, name: str, risk: str) -> bool:
        if self.verbs and action.verb not in self.verbs:
            return False
        if self.hosts and not any(host_matches(h, host_url) for h in self.hosts):
            return False
        if self.roles and role not in self.roles:
            return False
        if self.name is not None and not self.name.search(name or ""):
            return False
        if self.risk and risk not in self.risk:
            return False
        if self.text is not None and not (action.text is not None and self.text.search(action.text)):
            return False
        return not (self.url is not None and not (action.url and self.url.search(action.url)))

    def describe(self) -> str:
        return self.reason or f"a rule ({self.effect})"


Confirm = Callable[[str], bool]


def ask_terminal(question: str) -> bool:
    """Ask y/N on the terminal; no terminal means no. Blocking: `check()` calls it off the event loop."""
    if not (sys.stdin and sys.stdin.isatty()):
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


@dataclass
class ActionPolicy:
    rules: list[Rule] = field(default_factory=list)
    default: str = "allow"
    confirm: Confirm = ask_terminal
    source: str = ""

    @classmethod
    def load(cls, path: str | Path | None = None, confirm: list[str] | None = None) -> ActionPolicy:
        """From a TOML or JSON file (or none), plus `confirm` risk classes (`--confirm irreversible`), which ask
        before any other rule is tried."""
        rules: list[Rule] = []
        default = "allow"
        if path:
            p = Path(path)
            try:
                raw = p.read_text(encoding="utf-8")
            except OSError as e:
                raise BadInput(f"--policy {path}: cannot read it ({e.strerror})") from None
            data = _parse(raw, p)
            default = str(data.get("default", "allow"))
            if default not in ("allow", "deny"):
                raise BadInput(f"--policy {path}: default must be 'allow' or 'deny', not {default!r}")
            raw_rules = data.get("rule", data.get("rules", []))
            if not isinstance(raw_rules, list):
                raise BadInput(f"--policy {path}: 'rule' must be a list of tables")
            rules = [_rule(r, i, path) for i, r in enumerate(raw_rules, 1)]
        for cls_name in confirm or []:
            if cls_name not in (READ, REVERSIBLE, IRREVERSIBLE):
                raise BadInput(f"--confirm {cls_name!r}: use read, reversible or irreversible")
            rules.insert(0, Rule("confirm", risk=[cls_name], reason=f"--confirm {cls_name}"))
        return cls(rules, default, source=str(path or ""))

    def describe(self) -> dict[str, Any]:
        return {"source": self.source, "default": self.default, "rules": len(self.rules)}

    async def check(self, action: Action, obs: Observation, exploring: bool = False) -> None:
        """Raise PolicyDenied unless the policy lets `action` run on the page `obs` shows."""
        if not self.rules and self.default == "allow":
            return
        el = obs.elements.get(action.id) if action.id is not None else None
        role, name = (el.role, el.name) if el else ("", "")
        host_url = action.url if action.verb == "goto" and action.url else obs.url
        risk, _ = await classify(action, obs)
        effect, why = self.default, f"the policy's default is {self.default}"
        for rule in self.rules:
            if rule.matches(action, host_url, role, name, risk):
                effect, why = rule.effect, rule.describe()
                break
        what = f"{action}" + (f" on {role} {name!r}" if el else "") + f" ({risk})"
        if effect == "deny":
            raise PolicyDenied(f"the action policy refuses {what}: {why}; choose another action")
        if effect == "confirm":
            if exploring:
                raise PolicyDenied(f"{what} needs the user's confirmation ({why}); not tried while exploring")
            # The question waits in a worker thread: the run's watchdog and page deadlines keep running meanwhile.
            question = f"webagent wants to run {what} at {host_url} ({why}). Allow?"
            if not await asyncio.to_thread(self.confirm, question):
                raise PolicyDenied(f"the user did not confirm {what} ({why}); choose another action or stop")


def _parse(raw: str, p: Path) -> dict[str, Any]:
    try:
        if p.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            import tomllib
            data = tomllib.loads(raw)
    except (ValueError, json.JSONDecodeError) as e:
        raise BadInput(f"--policy {p}: not valid {'JSON' if p.suffix.lower() == '.json' else 'TOML'}: "
                       f"{str(e).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise BadInput(f"--policy {p}: the top level must be a table/object")
    return data


def _rule(r: Any, i: int, path: str | Path) -> Rule:
    where = f"--policy {path}: rule {i}"
    if not isinstance(r, dict):
        raise BadInput(f"{where} is not a table")
    unknown = set(r) - RULE_KEYS
    if unknown:
        raise BadInput(f"{where}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(sorted(RULE_KEYS))})")
    effect = r.get("effect")
    if effect not in EFFECTS:
        raise BadInput(f"{where}: effect must be one of {', '.join(EFFECTS)}")

    def strings(key: str) -> list[str]:
        v = r.get(key, [])
        v = [v] if isinstance(v, str) else v
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise BadInput(f"{where}: {key} must be a string or a list of strings")
        return v

    def regex(key: str) -> re.Pattern[str] | None:
        v = r.get(key)
        if v is None:
            return None
        try:
            return re.compile(str(v))
        except re.error as e:
            raise BadInput(f"{where}: {key} is not a valid regular expression ({e})") from None

    verbs = strings("verbs")
    bad = [v for v in verbs if v not in VERBS]
    if bad:
        raise BadInput(f"{where}: unknown verb(s) {', '.join(bad)}")
    risk = strings("risk")
    if any(x not in (READ, REVERSIBLE, IRREVERSIBLE) for x in risk):
        raise BadInput(f"{where}: risk takes read, reversible, irreversible")
    return Rule(effect, verbs, strings("hosts"), strings("roles"), regex("name"), risk, regex("text"), regex("url"),
                str(r.get("reason", "")))
