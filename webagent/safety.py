"""Safety: which URLs the agent may visit, and secrets that reach the page but never any artifact."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from webagent.errors import BadInput

SAFE_SCHEMES = ("about", "data", "blob", "chrome-error")


def check_url(url: str) -> str:
    """Validate a URL a user or the agent gives; add http:// to a bare host. Raises BadInput naming the problem."""
    url = (url or "").strip()
    if not url:
        raise BadInput("empty URL")
    if "://" not in url and not url.startswith(("about:", "data:")):
        url = "http://" + url  # a bare host such as localhost:8000/page
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "file", "about", "data"):
        raise BadInput(f"unsupported URL {url!r}: use an http(s):// or file:// URL")
    if parts.scheme in ("http", "https") and not parts.hostname:
        raise BadInput(f"malformed URL {url!r}: no host name")
    if parts.scheme in ("http", "https"):
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError:
            raise BadInput(f"malformed URL {url!r}: bad port") from None
    return url


@dataclass
class DomainPolicy:
    """Hosts the agent may navigate to. Empty `allowed` means anything; patterns may start with '*.'."""

    allowed: list[str] = field(default_factory=list)

    @classmethod
    def for_start_url(cls, url: str, extra: Iterable[str] = ()) -> DomainPolicy:
        host = urlsplit(url).hostname or ""
        return cls([h for h in [host, *extra] if h])

    def allows(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in SAFE_SCHEMES:
            return True
        if not self.allowed:
            return True
        host = (parts.hostname or "").lower()
        if parts.scheme == "file":
            return "file" in self.allowed
        for pat in self.allowed:
            pat = pat.lower()
            if host == pat or (pat.startswith("*.") and (host.endswith(pat[1:]) or host == pat[2:])):
                return True
        return False


class Secrets:
    """Named secrets: the model sees `{{NAME}}`, the page gets the value, artifacts get `{{NAME}}` back."""

    def __init__(self, values: dict[str, str] | None = None) -> None:
        self.values = {k: v for k, v in (values or {}).items() if v}

    @classmethod
    def parse(cls, specs: Iterable[str]) -> Secrets:
        values = {}
        for spec in specs:
            name, sep, value = spec.partition("=")
            if not sep or not re.fullmatch(r"[A-Za-z_]\w*", name):
                raise BadInput(f"--secret takes NAME=VALUE, got {spec.split('=')[0]!r}=…")
            values[name] = value
        return cls(values)

    def fill(self, text: str) -> str:
        """Replace `{{NAME}}` placeholders by their values, for text typed into the page."""
        for k, v in self.values.items():
            text = text.replace("{{" + k + "}}", v)
        return text

    def redact(self, obj: Any) -> Any:
        """Return `obj` (str, list, dict, nested) with every secret value replaced by its placeholder."""
        if not self.values:
            return obj
        if isinstance(obj, str):
            for k, v in sorted(self.values.items(), key=lambda kv: -len(kv[1])):
                obj = obj.replace(v, "{{" + k + "}}")
            return obj
        if isinstance(obj, dict):
            return {k: self.redact(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [self.redact(v) for v in obj]
        return obj

    def describe(self) -> str:
        return ", ".join("{{" + k + "}}" for k in self.values)
