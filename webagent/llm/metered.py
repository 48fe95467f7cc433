"""A ChatModel wrapper that keeps a log of every call (prompt, replies, tokens, latency) for the trajectory."""

from __future__ import annotations

import time
from typing import Any

from webagent.llm.base import ChatModel, Completion, Message, Usage
from webagent.llm.progress import MODEL_PROGRESS


def image_stats(messages: list[Message]) -> dict[str, int]:
    """How many image parts `messages` carry, their bytes and their estimated tokens."""
    from webagent.vision import decode_data_url, estimate_tokens, image_parts
    n = size = tokens = 0
    for p in image_parts(messages):
        img = p.get("image_url") or {}
        data = decode_data_url(str(img.get("url", "")))
        n += 1
        if data is None:
            continue
        size += len(data)
        try:
            import io

            from PIL import Image
            with Image.open(io.BytesIO(data)) as im:
                tokens += estimate_tokens(*im.size, img.get("detail", "auto"))
        except OSError:
            pass
    return {"images": n, "bytes": size, "tokens_est": tokens}


class MeteredChat:
    """Records each call into `calls` until `drain()`; totals survive draining in `usage` and `n_calls`."""

    def __init__(self, inner: ChatModel, purpose: str = "policy", secrets: Any = None) -> None:
        self.inner = inner
        self.secrets = secrets  # a webagent.safety.Secrets: every prompt is redacted with it before it leaves
        self.name = inner.name
        self.calls: list[dict[str, Any]] = []
        self.usage = Usage()
        self.n_calls = 0
        self.image_bytes = 0  # bytes of images sent, all calls
        self.image_tokens_est = 0  # their estimated tokens (webagent.vision.estimate_tokens)

    async def complete(self, messages: list[Message], *, n: int = 1, temperature: float = 0.0,
                       max_tokens: int = 256, grammar: str | None = None,
                       json_schema: dict[str, Any] | None = None, purpose: str = "policy") -> Completion:
        if self.secrets is not None and self.secrets.values:
            messages = redact_messages(messages, self.secrets)
        t0 = time.perf_counter()
        MODEL_PROGRESS.begin(purpose)
        try:
            out = await self.inner.complete(messages, n=n, temperature=temperature, max_tokens=max_tokens,
                                            grammar=grammar, json_schema=json_schema)
        finally:
            MODEL_PROGRESS.end()
        ms = (time.perf_counter() - t0) * 1000
        self.usage = self.usage + out.usage
        self.n_calls += 1
        record = {
            "purpose": purpose, "model": out.model or self.name, "n": n, "temperature": temperature,
            "messages": messages, "outputs": out.texts, "usage": out.usage.to_dict(), "ms": round(ms, 1),
            "constrained": "grammar" if grammar else ("json_schema" if json_schema else None),
        }
        if out.timings:
            record["timings"] = out.timings
        sent = image_stats(messages)
        if sent["images"]:
            record["image_stats"] = sent
            self.image_bytes += sent["bytes"]
            self.image_tokens_est += sent["tokens_est"]
        self.calls.append(record)
        return out

    def image_usage(self) -> dict[str, int]:
        """Totals of the images sent: bytes, estimated tokens and the tokens providers reported for them."""
        return {"image_bytes": self.image_bytes, "image_tokens_est": self.image_tokens_est,
                "image_tokens": self.usage.image_tokens}

    def drain(self) -> list[dict[str, Any]]:
        calls, self.calls = self.calls, []
        return calls


def redact_messages(messages: list[Message], secrets: Any) -> list[Message]:
    """The messages with secret values (and their simple echoes) replaced by `{{NAME}}` in every text part; image
    parts are left alone (their pixels are masked when the screenshot is taken)."""
    def part(p: Any) -> Any:
        if isinstance(p, dict) and p.get("type") == "text":
            return {**p, "text": secrets.redact(p.get("text", ""))}
        return p
    out = []
    for m in messages:
        c = m.get("content")
        if isinstance(c, str):
            c = secrets.redact(c)
        elif isinstance(c, list):
            c = [part(p) for p in c]
        out.append({**m, "content": c})
    return out
