"""Replays the LLM outputs of a recorded run in order, so a trajectory can be re-run exactly without any model."""

from __future__ import annotations

from typing import Any

from webagent.errors import LLMError
from webagent.llm.base import Completion, Message, Usage


class RecordedChat:
    """A ChatModel whose i-th `complete` call returns `texts[i]`; running past the end raises a clear LLMError."""

    def __init__(self, texts: list[list[str]], name: str = "recorded") -> None:
        self.texts = [list(t) for t in texts]
        self.name = name
        self.calls = 0

    @property
    def remaining(self) -> int:
        """How many recorded calls are left."""
        return len(self.texts) - self.calls

    def describe(self) -> str:
        return f"recorded replies ({self.remaining} of {len(self.texts)} calls left)"

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
        """The next recorded replies (the first `n` of them)."""
        i = self.calls
        if i >= len(self.texts):
            raise LLMError(f"the recording has only {len(self.texts)} LLM calls and call #{i + 1} was asked for: "
                           "the re-run diverged from the recorded trajectory (or the recording is incomplete)")
        replies = self.texts[i]
        if len(replies) < n:
            raise LLMError(f"recorded LLM call #{i + 1} has {len(replies)} replies but {n} were asked for: "
                           "the re-run diverged from the recorded trajectory")
        self.calls += 1
        return Completion(texts=replies[:n], usage=Usage(), model=self.name, latency_ms=0.0)
