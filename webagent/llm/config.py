"""Choosing the ChatModel from flags and environment (flags win), and describing it in one safe log line."""

from __future__ import annotations

import os

from webagent.errors import SetupError
from webagent.llm.base import ChatModel, describe

__all__ = ["EMBEDDED_NAMES", "describe", "is_embedded", "make_model"]

EMBEDDED_NAMES = ("embedded", "local")


def is_embedded(model: str | None = None, base_url: str | None = None) -> bool:
    """Whether these settings (with the environment, as `make_model` reads it) choose the in-process model."""
    model = model or os.environ.get("WEBAGENT_MODEL") or None
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    if model is None:
        return base_url is None
    return model.lower() in EMBEDDED_NAMES or model.lower().endswith(".gguf")


def make_model(model: str | None = None, base_url: str | None = None, api_key: str | None = None,
               cache: str | os.PathLike[str] | None = None, *, grammar_field: str | None = None,
               seed: int | None = None) -> ChatModel:
    """The ChatModel to use: flags beat WEBAGENT_MODEL / OPENAI_BASE_URL / OPENAI_API_KEY / WEBAGENT_GRAMMAR_FIELD.

    Nothing configured, model "embedded"/"local", or a path to a .gguf file -> the in-process llama.cpp model;
    otherwise an OpenAI-compatible endpoint. `cache` (a file path) wraps the model in a SQLite response cache.
    Each backend is imported only when chosen (the OpenAI SDK alone takes about a second to import)."""
    model = model or os.environ.get("WEBAGENT_MODEL") or None
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    api_key = api_key or os.environ.get("OPENAI_API_KEY") or None
    grammar_field = grammar_field or os.environ.get("WEBAGENT_GRAMMAR_FIELD") or None
    chosen: ChatModel
    if is_embedded(model, base_url):
        from webagent.llm.embedded import EmbeddedLlama
        chosen = EmbeddedLlama(model_path=None if model is None or model.lower() in EMBEDDED_NAMES else model,
                               seed=seed or 0)
    elif model is None:
        raise SetupError(f"a base URL is set ({base_url}) but no model: pass --model or set WEBAGENT_MODEL to the "
                         "name the server serves (or unset OPENAI_BASE_URL to use the embedded model)")
    elif base_url is None and api_key is None:
        raise SetupError(f"model '{model}' needs an endpoint: set OPENAI_API_KEY (or --api-key) to use OpenAI, or set "
                         "OPENAI_BASE_URL (or --base-url) to an OpenAI-compatible server (vLLM, Ollama, llama.cpp "
                         "server); or drop --model/WEBAGENT_MODEL to use the embedded model")
    else:
        from webagent.llm.openai_backend import OpenAIChat
        chosen = OpenAIChat(model, base_url=base_url, api_key=api_key, grammar_field=grammar_field, seed=seed)
    if cache:
        from webagent.llm.cached import CachedChat
        chosen = CachedChat(chosen, cache)
    return chosen
