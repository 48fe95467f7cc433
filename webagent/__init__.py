"""webagent: an LLM web agent in a real browser, with tree-search and world-model planners."""

from webagent.actions import Action, action_gbnf, action_json_schema, parse_action
from webagent.agent import Agent, AgentConfig, RunResult, run_task, run_task_sync
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

__all__ = [
    "Action", "ActionError", "ActionResult", "Agent", "AgentConfig", "BadInput", "BrowserConfig",
    "BrowserSession", "ChatModel", "Completion", "LLMError", "NavigationError", "ParseError", "RunResult",
    "Secrets", "SetupError", "UnknownElement", "Usage", "WebAgentError", "action_gbnf", "action_json_schema",
    "execute", "parse_action", "run_task", "run_task_sync",
]
