"""webagent: an LLM web agent in a real browser, with tree-search and world-model planners.

The public API below loads on first use (PEP 562, observers/lazy.py): `import webagent` imports neither Playwright
nor the OpenAI SDK, so `webagent --help` is quick; the TYPE_CHECKING block lets type checkers see every export."""

from __future__ import annotations

from typing import TYPE_CHECKING

from webagent.errors import (
    ActionError,
    BadInput,
    LLMError,
    NavigationError,
    ParseError,
    SetupError,
    UnknownElement,
    WebAgentError,
)
from webagent.observers.lazy import lazy_exports

__version__ = "0.1.0"

EXPORTS = {
    "Action": "webagent.actions", "action_gbnf": "webagent.actions", "action_json_schema": "webagent.actions",
    "parse_action": "webagent.actions", "Agent": "webagent.agent", "AgentConfig": "webagent.agent",
    "RunResult": "webagent.agent", "run_task": "webagent.agent", "run_task_sync": "webagent.agent",
    "BrowserConfig": "webagent.browser", "BrowserSession": "webagent.browser", "ActionResult": "webagent.executor",
    "execute": "webagent.executor", "ChatModel": "webagent.llm.base", "Completion": "webagent.llm.base",
    "Usage": "webagent.llm.base", "Secrets": "webagent.safety",
}
__getattr__, __dir__ = lazy_exports(__name__, EXPORTS)

__all__ = [
    "Action", "ActionError", "ActionResult", "Agent", "AgentConfig", "BadInput", "BrowserConfig",
    "BrowserSession", "ChatModel", "Completion", "LLMError", "NavigationError", "ParseError", "RunResult",
    "Secrets", "SetupError", "UnknownElement", "Usage", "WebAgentError", "action_gbnf", "action_json_schema",
    "execute", "parse_action", "run_task", "run_task_sync",
]

if TYPE_CHECKING:
    from webagent.actions import Action, action_gbnf, action_json_schema, parse_action
    from webagent.agent import Agent, AgentConfig, RunResult, run_task, run_task_sync
    from webagent.browser import BrowserConfig, BrowserSession
    from webagent.executor import ActionResult, execute
    from webagent.llm.base import ChatModel, Completion, Usage
    from webagent.safety import Secrets
