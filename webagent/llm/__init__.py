"""LLM backends behind the ChatModel seam."""

from webagent.llm.base import ChatModel, Completion, Message, Usage

__all__ = ["ChatModel", "Completion", "Message", "Usage"]
