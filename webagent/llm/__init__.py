"""LLM backends behind the ChatModel seam."""

from webagent.llm.base import ChatModel, Completion, Message, Usage
from webagent.llm.cached import CachedChat
from webagent.llm.config import describe, make_model
from webagent.llm.embedded import EmbeddedLlama
from webagent.llm.openai_backend import OpenAIChat
from webagent.llm.recorded import RecordedChat

__all__ = [
    "CachedChat", "ChatModel", "Completion", "EmbeddedLlama", "Message", "OpenAIChat", "RecordedChat", "Usage",
    "describe", "make_model",
]
