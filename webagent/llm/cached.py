"""SQLite response cache keyed by the full request, so re-running an experiment costs no tokens and gives the same replies."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from typing import Any

from webagent.llm.base import ChatModel, Completion, Message, Usage, describe


def request_key(model_name: str, messages: list[Message], n: int, temperature: float, max_tokens: int,
                grammar: str | None, json_schema: dict[str, Any] | None) -> str:
    """SHA-256 of the canonical JSON of everything that determines a reply."""
    blob = json.dumps({"model": model_name, "messages": messages, "n": n, "temperature": temperature,
                       "max_tokens": max_tokens, "grammar": grammar, "json_schema": json_schema},
                      sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class CachedChat:
    """Wraps a ChatModel: a request seen before (same messages, n, temperature, max_tokens, grammar, schema and inner
    model name) is answered from the SQLite file at `path`. A hit keeps the original usage (what it cost to make),
    reports latency 0 and a model name prefixed "cached:"."""

    def __init__(self, inner: ChatModel, path: str | os.PathLike[str]) -> None:
        self.inner = inner
        self.name = inner.name
        self.path = os.fspath(path)
        self.hits = 0
        self.misses = 0
        parent = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(parent, exist_ok=True)
        self._db_lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._db_lock, self._db:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, model TEXT, texts TEXT, "
                "prompt_tokens INTEGER, completion_tokens INTEGER, cost_usd REAL, latency_ms REAL, created REAL)")

    def describe(self) -> str:
        return f"cached [{describe(self.inner)}] at {self.path}"

    async def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = 256,
        grammar: str | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion:
        """The stored Completion on a hit; else the inner model's, stored before it is returned."""
        key = request_key(self.inner.name, messages, n, temperature, max_tokens, grammar, json_schema)
        with self._db_lock:
            row = self._db.execute("SELECT model, texts, prompt_tokens, completion_tokens, cost_usd FROM completions "
                                   "WHERE key = ?", (key,)).fetchone()
        if row is not None:
            self.hits += 1
            model, texts, pt, ct, cost = row
            return Completion(texts=json.loads(texts), usage=Usage(pt, ct, cost), model=f"cached:{model}",
                              latency_ms=0.0)
        self.misses += 1
        c = await self.inner.complete(messages, n=n, temperature=temperature, max_tokens=max_tokens,
                                      grammar=grammar, json_schema=json_schema)
        with self._db_lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                             (key, c.model or self.inner.name, json.dumps(c.texts, ensure_ascii=False),
                              c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cost_usd, c.latency_ms,
                              time.time()))
        return c

    def __len__(self) -> int:
        with self._db_lock:
            return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._db_lock:
            self._db.close()
