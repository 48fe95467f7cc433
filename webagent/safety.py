"""Safety: which URLs the agent may visit, and secrets that reach the page (only at their own hosts) but never any
artifact or prompt."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

from webagent.errors import BadInput

ALWAYS_SAFE = ("about", "chrome-error")  # about:blank and the browser's own error page
LOCAL_SCHEMES = ("file", "data", "blob")  # only when the allowlist names them ("file:", "data:", "blob:")
DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def check_url(url: str) -> str:
    """Validate a URL a user or the agent gives; add http:// to a bare host. Raises BadInput naming the problem."""
    url = (url or "").strip()
    if not url:
        raise BadInput("empty URL")
    if "://" not in url and not url.startswith(("about:", "data:", "blob:")):
        url = "http://" + url  # a bare host such as localhost:8000/page
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "file", "about", "data", "blob"):
        raise BadInput(f"unsupported URL {url!r}: use an http(s):// or file:// URL")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise BadInput(f"malformed URL {url!r}: no host name")
    if parts.scheme in ("http", "https"):
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise BadInput(f"malformed URL {url!r}: bad port") from None
    return url


def _port(parts: Any) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None


def host_matches(pattern: str, url: str) -> bool:
    """Does the http(s)/ws URL match one allowlist pattern: `host`, `*.host` (the host and its subdomains),
    `host:port`, `host:*`, or `*` (every host)? A pattern without a port matches every port of that host (the start
    URL adds its host with its exact port, so another service on the same machine is not reachable unless named)."""
    if pattern.strip() == "*":
        return True
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    pat = pattern.strip().lower()
    if "://" in pat:
        pat = pat.split("://", 1)[1]
    pat = pat.split("/", 1)[0]
    pport: str | None = None
    if pat.startswith("["):  # [::1]:8080
        end = pat.find("]")
        pat, rest = pat[1:end], pat[end + 1:]
        pport = rest[1:] if rest.startswith(":") else None
    elif pat.count(":") == 1:
        pat, pport = pat.split(":")
    if pport not in (None, "", "*"):
        if not pport.isdigit() or _port(parts) != int(pport):
            return False
    if pat.startswith("*."):
        return host == pat[2:] or host.endswith(pat[1:])
    return host == pat


@dataclass
class DomainPolicy:
    """Where the agent may navigate. Patterns: hosts (`example.com`, `*.example.com`, `example.com:8080`,
    `example.com:*`) and the schemes `file:`, `data:`, `blob:`, which are refused unless listed. An empty list
    means any http(s) host (the browser session always starts from the start URL's host instead)."""

    allowed: list[str] = field(default_factory=list)

    @classmethod
    def for_start_url(cls, url: str, extra: Iterable[str] = ()) -> DomainPolicy:
        """The start URL's origin (host and port; `file:` / `data:` for a local start page) plus `extra`.
        Never empty, so a local start page cannot open the way to every host."""
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname:
            port = parts.port
            first = f"{parts.hostname}:{port}" if port else parts.hostname
            if ":" in parts.hostname:
                first = f"[{parts.hostname}]:{port}" if port else f"[{parts.hostname}]"
        elif parts.scheme in LOCAL_SCHEMES:
            first = parts.scheme + ":"
        else:
            first = ""
        out = [h for h in [first, *extra] if h]
        return cls(list(dict.fromkeys(out or ["about:"])))

    def allows_scheme(self, scheme: str) -> bool:
        return any(p.lower().rstrip(":") == scheme for p in self.allowed)

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ALWAYS_SAFE:
            return True
        if parts.scheme in LOCAL_SCHEMES:
            return self.allows_scheme(parts.scheme)
        if not self.allowed:
            return True
        return any(host_matches(p, url) for p in self.allowed if p.rstrip(":") not in (*LOCAL_SCHEMES, "about"))

    def describe(self) -> str:
        return ", ".join(self.allowed) or "any host"


_HOSTLIST = re.compile(r"(\*\.)?[\w-]+(\.[\w-]+)*(:(\d+|\*))?(,(\*\.)?[\w-]+(\.[\w-]+)*(:(\d+|\*))?)*")


def _looks_like_hosts(s: str) -> bool:
    if not s or not _HOSTLIST.fullmatch(s):
        return False
    return all("." in h or ":" in h or h.split(":")[0] == "localhost" for h in s.split(","))


class Secrets:
    """Named secrets: the model sees `{{NAME}}`, the page gets the value, artifacts and prompts get `{{NAME}}` back.

    A secret may be bound to hosts (`NAME=VALUE@host[,host]`): it is then typed only into pages and frames of those
    hosts, and the network policy lets a request carrying it go only there. An unbound secret is bound to the run's
    allowed domains."""

    def __init__(self, values: dict[str, str] | None = None, hosts: dict[str, list[str]] | None = None) -> None:
        self.values = {k: v for k, v in (values or {}).items() if v}
        self.hosts = {k: list(v) for k, v in (hosts or {}).items() if k in self.values and v}

    @classmethod
    def parse(cls, specs: Iterable[str]) -> Secrets:
        """`NAME=VALUE` or `NAME=VALUE@host[,host]` (the last `@` followed by host names binds the secret; a value
        that itself ends in `@example.com` is given as `NAME=user@example.com@login.example.com`)."""
        values: dict[str, str] = {}
        hosts: dict[str, list[str]] = {}
        for spec in specs:
            name, sep, value = spec.partition("=")
            if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise BadInput(f"--secret takes NAME=VALUE[@host,...], got {spec.split('=')[0]!r}=…")
            head, at, tail = value.rpartition("@")
            if at and head and _looks_like_hosts(tail):
                value, hosts[name] = head, tail.split(",")
            if not value:
                raise BadInput(f"--secret {name}: empty value")
            values[name] = value
        return cls(values, hosts)

    def bound_to(self, name: str, fallback: DomainPolicy) -> DomainPolicy:
        """The hosts secret `name` may go to: its own binding, else the run's allowlist."""
        return DomainPolicy(self.hosts[name]) if name in self.hosts else fallback

    def names_in(self, text: str) -> list[str]:
        """The secrets whose `{{NAME}}` placeholder appears in `text`."""
        return [k for k in self.values if "{{" + k + "}}" in (text or "")]

    def carried_in(self, text: str) -> list[str]:
        """The secrets whose value (plain, URL- or JSON-encoded) appears in `text`: for request URLs and bodies."""
        if not text:
            return []
        return [k for k, v in self.values.items() if any(form in text for form in _encodings(v))]

    def fill(self, text: str) -> str:
        """Replace `{{NAME}}` placeholders by their values, for text typed into the page."""
        for k, v in self.values.items():
            text = text.replace("{{" + k + "}}", v)
        return text

    def redact(self, obj: Any) -> Any:
        """Return `obj` (str, list, dict, nested) with every secret value, its URL/JSON encodings and its simple
        echoes (any letter case, reversed, characters spaced or dotted apart) replaced by its placeholder."""
        if not self.values:
            return obj
        if isinstance(obj, str):
            for k, rx in self._patterns():
                obj = rx.sub("{{" + k + "}}", obj)
            return obj
        if isinstance(obj, dict):
            return {k: self.redact(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.redact(v) for v in obj]
        return obj

    def _patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        cache = getattr(self, "_rx", None)
        if cache is None or cache[0] != self.values:
            pats = []
            for k, v in sorted(self.values.items(), key=lambda kv: -len(kv[1])):
                forms = sorted(set(_encodings(v)), key=len, reverse=True)
                alts = [re.escape(f) for f in forms]
                if len(v) >= 4:  # echoes: shorter values would match ordinary words
                    sep = r"[\s._\-·/|,]{0,2}"
                    for s in (v, v[::-1]):
                        alts.append(sep.join(re.escape(c) for c in s))
                pats.append((k, re.compile("|".join(alts), re.I if len(v) >= 4 else 0)))
            cache = (dict(self.values), pats)
            self._rx = cache
        return cache[1]

    def describe(self) -> str:
        return ", ".join("{{" + k + "}}" + (f"@{','.join(self.hosts[k])}" if k in self.hosts else "")
                         for k in self.values)


def _encodings(v: str) -> list[str]:
    import json
    return [f for f in dict.fromkeys((v, quote(v, safe=""), quote_plus(v), json.dumps(v)[1:-1])) if f]
