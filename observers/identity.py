"""Page identity, the one helper for it: what the agent sees (URL and observation text) with the element ids taken
out, since ids change on a reload while the page does not. The loop breaker, search (transposition table, restore
checks, committed paths), replay's page comparison and the trajectory's `obs_hash` all use it."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol
from urllib.parse import urlsplit

ID_RE = re.compile(r"\[\d+\] ?")


class Seen(Protocol):
    url: str
    text: str


def strip_ids(text: str) -> str:
    """Observation text without its `[id]` markers."""
    return ID_RE.sub("", text or "")


def state_key(obs: Seen) -> str:
    """A digest of what the agent sees, independent of element ids: equal for equal pages."""
    return hashlib.sha256(f"{obs.url}\n{strip_ids(obs.text)}".encode()).hexdigest()[:16]


def page_seed(obs: Seen) -> str:
    """`state_key` without the URL's scheme, host and port, for seeding what is drawn at random from a page: a bundled
    site listens on a new port each run, and a seed with the port in it would draw differently every run."""
    u = urlsplit(obs.url)
    return hashlib.sha256(f"{u.path}?{u.query}#{u.fragment}\n{strip_ids(obs.text)}".encode()).hexdigest()[:16]
