"""The server-state seam: snapshot and restore the state of the servers a run acts on, so that a search may try
actions for real (an order, a post) and put the servers back as they were.

A planner holds tokens, never data: `snapshot()` returns a token for the servers' state now, `restore(token)` puts
that state back, `discard(token)` frees it. `origins` are the sites whose state the snapshots cover: while exploring,
requests that may change state are let through to these origins only (the network guard blocks the rest). The
bundled sites implement it (webagent.tasks.sites.snapshots); a user's own environment (a database they control, a
test tenant) may too, and hands it to `run_task(..., server=...)` / `Agent(..., server=...)`.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urlsplit


class ServerSnapshots(Protocol):
    """Snapshots of the servers' state, by token. Methods may be called from one task at a time."""

    origins: list[str]  # "http://127.0.0.1:8123": whose state a snapshot holds

    async def snapshot(self) -> str:
        """A token for the state of every covered server now."""
        ...

    async def restore(self, token: str) -> None:
        """Put every covered server back in the state `token` was taken in (a no-op when it is already there)."""
        ...

    async def discard(self, token: str) -> None:
        """Free what `token` holds; the token is not used again."""
        ...


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, lower-cased ('' for URLs without a host)."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}".lower() if p.scheme and p.netloc else ""


def covers(server: ServerSnapshots | None, url: str) -> bool:
    """Whether the state a request to `url` may change is held by `server`'s snapshots."""
    return server is not None and origin_of(url) in {o.lower().rstrip("/") for o in server.origins}
