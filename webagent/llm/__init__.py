"""LLM backends behind the ChatModel seam. Exports load on first use (PEP 562), so `import webagent.llm` does not
import the OpenAI SDK or llama.cpp; type checkers see them through the TYPE_CHECKING block."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webagent.observers.lazy import lazy_exports

EXPORTS = {
    "ChatModel": "webagent.llm.base", "Completion": "webagent.llm.base", "Message": "webagent.llm.base",
    "Usage": "webagent.llm.base", "describe": "webagent.llm.base", "CachedChat": "webagent.llm.cached",
    "make_model": "webagent.llm.config", "EmbeddedLlama": "webagent.llm.embedded",
    "OpenAIChat": "webagent.llm.openai_backend", "RecordedChat": "webagent.llm.recorded",
}
__all__ = [
    "CachedChat", "ChatModel", "Completion", "EmbeddedLlama", "Message", "OpenAIChat", "RecordedChat", "Usage",
    "describe", "make_model",
]
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)

if TYPE_CHECKING:
    from webagent.llm.base import ChatModel, Completion, Message, Usage, describe
    from webagent.llm.cached import CachedChat
    from webagent.llm.config import make_model
    from webagent.llm.embedded import EmbeddedLlama
    from webagent.llm.openai_backend import OpenAIChat
    from webagent.llm.recorded import RecordedChat
