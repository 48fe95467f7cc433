"""OpenAI-compatible chat backend (OpenAI, vLLM, Ollama, llama.cpp server) with n-fallback, usage and clear errors."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import openai

from webagent.errors import ImagesUnsupported, LLMError, SetupError
from webagent.llm.base import Completion, Message, Usage

DEFAULT_BASE_URL = "https://api.openai.com/v1"

# USD per 1M tokens (input, output), list prices as known when written; unknown models cost 0.
# Looked up by the longest matching prefix, so "gpt-4o-mini-2024-07-18" finds "gpt-4o-mini", not "gpt-4o".
PRICES_PER_MTOK: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
}


def price_of(model: str, prompt_tokens: int, completion_tokens: int) -> float:
    """Cost in USD of one call from the price table, 0 for a model not in it (local servers, unknown names)."""
    name = model.split("/")[-1].lower()
    best = max((k for k in PRICES_PER_MTOK if name.startswith(k)), key=len, default=None)
    if best is None:
        return 0.0
    pin, pout = PRICES_PER_MTOK[best]
    return (prompt_tokens * pin + completion_tokens * pout) / 1e6


def _one_line(text: object, limit: int = 200) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _has_images(messages: list[Message]) -> bool:
    return any(isinstance(p, dict) and p.get("type") == "image_url"
               for m in messages if isinstance(m.get("content"), list) for p in m["content"])


def _image_tokens(usage: Any) -> int:
    """Image input tokens when the provider breaks them out (`prompt_tokens_details.image_tokens`), else 0."""
    details = getattr(usage, "prompt_tokens_details", None) if usage is not None else None
    if details is None:
        return 0
    v = details.get("image_tokens") if isinstance(details, dict) else getattr(details, "image_tokens", None)
    try:
        return int(v or 0)
    except (TypeError, ValueError):
        return 0


class OpenAIChat:
    """A ChatModel on `openai.AsyncOpenAI`: any OpenAI-compatible endpoint, so hosted and self-served models share code.

    `grammar_field` names the request field a server reads a GBNF grammar from ("grammar" for llama.cpp server,
    "guided_grammar" for vLLM); None (the default) never sends the grammar, since OpenAI itself rejects unknown fields.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60,
        max_retries: int = 2,
        grammar_field: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.model = model
        self.seed = seed
        self.name = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.grammar_field = grammar_field
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            if self.base_url == DEFAULT_BASE_URL:
                raise SetupError(
                    f"no API key for model '{model}' at {self.base_url}: set OPENAI_API_KEY (or pass --api-key), "
                    "or set OPENAI_BASE_URL (--base-url) to a local OpenAI-compatible server")
            key = "no-key"  # local servers (llama.cpp, Ollama, vLLM without --api-key) accept any key
        self.has_key = key != "no-key"
        self._client = openai.AsyncOpenAI(api_key=key, base_url=self.base_url, timeout=timeout,
                                          max_retries=max_retries)
        self._max_tokens_field = "max_tokens"

    def describe(self) -> str:
        grammar = f", grammar via '{self.grammar_field}'" if self.grammar_field else ""
        return (f"openai-compatible model={self.model} base_url={self.base_url} "
                f"key={'set' if self.has_key else 'none'}{grammar}")

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
        """Ask for `n` replies; when the server returns fewer choices (it ignores `n`), call again until there are n."""
        if n < 1:
            raise ValueError("n must be >= 1")
        extra: dict[str, Any] = {}
        if json_schema is not None:
            extra["response_format"] = {"type": "json_schema",
                                        "json_schema": {"name": "reply", "schema": json_schema}}
        if grammar is not None and self.grammar_field:
            extra["extra_body"] = {self.grammar_field: grammar}
        t0 = time.perf_counter()
        texts, usage = await self._call(messages, n, temperature, max_tokens, extra)
        if len(texts) < n:
            # The server ignored n (llama.cpp server, Ollama): the rest one per call, concurrently.
            more = await asyncio.gather(*(self._call(messages, 1, temperature, max_tokens, extra)
                                          for _ in range(n - len(texts))))
            for t, u in more:
                texts += t
                usage = usage + u
        if len(texts) < n:
            raise LLMError(f"{self.base_url} returned {len(texts)} of {n} replies for model '{self.model}': "
                           "the server sent responses without choices; check its logs")
        return Completion(texts=texts[:n], usage=usage, model=self.model,
                          latency_ms=(time.perf_counter() - t0) * 1000)

    async def _call(self, messages: list[Message], n: int, temperature: float, max_tokens: int,
                    extra: dict[str, Any]) -> tuple[list[str], Usage]:
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": temperature,
                                  self._max_tokens_field: max_tokens, **extra}
        if n != 1:
            kwargs["n"] = n
        if self.seed is not None:
            kwargs["seed"] = self.seed
        try:
            try:
                resp = await self._client.chat.completions.create(**kwargs)
            except openai.BadRequestError as e:
                # Newer OpenAI models reject max_tokens and want max_completion_tokens.
                if self._max_tokens_field == "max_tokens" and "max_completion_tokens" in str(e):
                    self._max_tokens_field = "max_completion_tokens"
                    kwargs["max_completion_tokens"] = kwargs.pop("max_tokens")
                    resp = await self._client.chat.completions.create(**kwargs)
                else:
                    raise
        except openai.OpenAIError as e:
            if isinstance(e, openai.BadRequestError) and _has_images(messages):
                raise ImagesUnsupported(
                    f"{self.base_url} rejected a request with image parts for model '{self.model}' (400: "
                    f"{_one_line(getattr(e, 'message', e), 120)}): the model or server does not take images; use "
                    "--images none (and no --image), or a vision model") from e
            raise self._error(e) from e
        except (ValueError, TypeError) as e:  # a body that is not a chat completion (JSON decoding failed)
            raise LLMError(f"{self.base_url} answered with something that is not a chat completion "
                           f"({_one_line(e, 100)}): check --base-url (it should end in /v1 of an "
                           "OpenAI-compatible server)") from None
        try:
            texts = [(c.message.content or "") if c.message is not None else "" for c in (resp.choices or [])]
            u = resp.usage
            pt = int(getattr(u, "prompt_tokens", 0) or 0) if u is not None else 0
            ct = int(getattr(u, "completion_tokens", 0) or 0) if u is not None else 0
            image_tokens = _image_tokens(u)
        except (AttributeError, TypeError, ValueError):
            start = _one_line(str(resp), 60)
            raise LLMError(f"{self.base_url} answered 200 with something that is not a chat completion (it starts "
                           f"{start!r}): check --base-url (it should end in /v1 of an OpenAI-compatible server)"
                           ) from None
        return texts, Usage(pt, ct, price_of(self.model, pt, ct), image_tokens)

    def _error(self, e: openai.OpenAIError) -> LLMError:
        """One line that says what went wrong and what to do about it."""
        url, model, r = self.base_url, self.model, self.max_retries
        if isinstance(e, openai.AuthenticationError):
            return LLMError(f"{url} rejected the API key (401): set a valid OPENAI_API_KEY or pass --api-key")
        if isinstance(e, openai.PermissionDeniedError):
            return LLMError(f"{url} refused access to model '{model}' (403): check the key's project/permissions "
                            "or pick another --model")
        if isinstance(e, openai.NotFoundError):
            return LLMError(f"model '{model}' not found at {url} (404): check --model / WEBAGENT_MODEL against the "
                            "server's model list, and that the base URL ends in /v1")
        if isinstance(e, openai.RateLimitError):
            return LLMError(f"rate limited by {url} (429) after {r} retries: wait, lower concurrency, or raise "
                            f"max_retries ({_one_line(getattr(e, 'message', e), 120)})")
        if isinstance(e, openai.APITimeoutError):
            return LLMError(f"{url} did not answer within {self.timeout:g}s (after {r} retries): raise the timeout, "
                            "lower max_tokens, or check the server's load")
        if isinstance(e, openai.APIConnectionError):
            return LLMError(f"cannot reach {url}: is the server running and the URL right? "
                            "check --base-url / OPENAI_BASE_URL")
        if isinstance(e, openai.APIStatusError):
            code = e.status_code
            msg = _one_line(getattr(e, "message", e), 160)
            if code >= 500:
                return LLMError(f"{url} failed with server error {code} after {r} retries: retry later or check "
                                f"the server's logs ({msg})")
            return LLMError(f"{url} rejected the request for model '{model}' ({code}): {msg}")
        return LLMError(f"request to {url} for model '{model}' failed: {_one_line(e)}")
