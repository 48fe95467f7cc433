"""The ChatModel seam: every LLM backend (and every test double) implements `complete`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Message = dict[str, Any]  # {"role": "system"|"user"|"assistant", "content": str | list of parts}


@dataclass
class Usage:
    """Tokens and cost of calls. `image_tokens`: the part of `prompt_tokens` the provider reports as image input
    (0 when it does not break it down)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    image_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens,
                     self.cost_usd + other.cost_usd, self.image_tokens + other.image_tokens)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                             "cost_usd": round(self.cost_usd, 6)}
        if self.image_tokens:
            d["image_tokens"] = self.image_tokens
        return d


@dataclass
class Completion:
    """The `n` reply texts of one request, with what they cost."""

    texts: list[str]
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    latency_ms: float = 0.0
    timings: dict[str, float] | None = None  # backend-measured phases, e.g. prefill_ms / generate_ms (embedded)


@runtime_checkable
class ChatModel(Protocol):
    """An LLM. `grammar` is a GBNF grammar and `json_schema` a JSON schema that constrain the reply, where the
    backend supports it (backends that do not simply ignore them; the policy parses every reply anyway)."""

    name: str

    async def complete(
        self,
        messages: list[Message],
        *,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int = 256,
        grammar: str | None = None,
        json_schema: dict[str, Any] | None = None,
    ) -> Completion: ...


def describe(model: ChatModel) -> str:
    """One line for logs and trajectory headers naming the backend, model and endpoint; never the API key.
    A backend says it with its own `describe()` method."""
    own = getattr(model, "describe", None)
    if callable(own):
        return str(own())
    return f"{type(model).__name__} name={getattr(model, 'name', '?')}"
