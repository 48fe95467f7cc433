"""Caches that live as long as a planner (one task): state values, imagined outcomes, world-model predictions.

Keys use `state_key` (URL + observation text without ids), so identical states reached by different paths share
their entries; within one search the planner also merges such nodes (a transposition table)."""

from __future__ import annotations

import hashlib
from typing import Any


def digest(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:20]


class Caches:
    def __init__(self) -> None:
        self.values: dict[str, float] = {}       # (task, state key[, answer]) -> value
        self.predictions: dict[str, list[dict[str, Any]]] = {}  # (task, state key, canonical action) -> outcomes
        self.imagined: dict[str, float] = {}     # (task, state key, canonical action) -> judged imagined value
        self.hits = {"values": 0, "predictions": 0, "imagined": 0}

    def get(self, table: str, key: str) -> Any:
        d = getattr(self, table)
        if key in d:
            self.hits[table] += 1
            return d[key]
        return None

    def put(self, table: str, key: str, value: Any) -> None:
        getattr(self, table)[key] = value

    def stats(self) -> dict[str, Any]:
        return {"values": len(self.values), "predictions": len(self.predictions), "imagined": len(self.imagined),
                "hits": dict(self.hits)}
