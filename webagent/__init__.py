"""webagent: an LLM web agent in a real browser, with tree-search and world-model planners."""

from webagent.actions import Action, action_gbnf, action_json_schema, parse_action
from webagent.browser import BrowserConfig, BrowserSession
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
from webagent.execute import ActionResult, execute
from webagent.llm.base import ChatModel, Completion, Usage
from webagent.safety import Secrets

__version__ = "0.1.0"

# The agent loop imports the planners (`search`), which import the action language from here: load it on first use
# so that `import search` works before `import webagent`.
_LAZY = {"Agent", "AgentConfig", "RunResult", "run_task", "run_task_sync"}


def __getattr__(name: str):
    if name in _LAZY:
        from webagent import agent
        return getattr(agent, name)
    raise AttributeError(f"module 'webagent' has no attribute {name!r}")

__all__ = [
    "Action", "ActionError", "ActionResult", "Agent", "AgentConfig", "BadInput", "BrowserConfig",
    "BrowserSession", "ChatModel", "Completion", "LLMError", "NavigationError", "ParseError", "RunResult",
    "Secrets", "SetupError", "UnknownElement", "Usage", "WebAgentError", "action_gbnf", "action_json_schema",
    "execute", "parse_action", "run_task", "run_task_sync",
]
