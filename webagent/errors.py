"""Typed errors. Every failure a user or the agent can cause has a class here and a message that says what to do."""

from __future__ import annotations


class WebAgentError(Exception):
    """Base of every error webagent raises on purpose."""


class SetupError(WebAgentError):
    """The environment is not ready: no browser, no model, a missing dependency. Exit status 2."""


class BadInput(WebAgentError):
    """The user gave something unusable: a malformed URL, a bad flag, a broken file. Exit status 2."""


class NavigationError(WebAgentError):
    """A page could not be loaded: unreachable host, DNS failure, timeout."""


class LLMError(WebAgentError):
    """The LLM endpoint failed: unreachable, wrong key, unknown model, server error."""


class ImagesUnsupported(LLMError):
    """The model or endpoint does not take image input, and images were asked for (--images, --image)."""


class ActionError(WebAgentError):
    """An action could not be carried out. The agent sees the message in its next observation."""

    kind = "action_error"


class ParseError(ActionError):
    """The model's reply is not a valid action."""

    kind = "parse_error"


class UnknownElement(ActionError):
    """The action names an id that is not in the current observation."""

    kind = "unknown_element"


class ElementNotActionable(ActionError):
    """The element exists but cannot take this action (detached, hidden, disabled, not editable)."""

    kind = "not_actionable"


class ActionTimeout(ActionError):
    """The browser did not finish the action in time."""

    kind = "timeout"


class DisallowedURL(ActionError):
    """The action would leave the allowed domains."""

    kind = "disallowed_url"


class BadTab(ActionError):
    """A tab index that does not exist, or closing the last tab."""

    kind = "bad_tab"


class ElementCovered(ActionError):
    """Another element is on top of the target at every visible point, or took the click meant for it."""

    kind = "covered"


class TypingMismatch(ActionError):
    """After typing, the field does not hold what was typed (a format it rejects, a mask, a length limit)."""

    kind = "typing_mismatch"


class PageUnresponsive(ActionError):
    """The page's scripts did not answer within the deadline; they were stopped."""

    kind = "page_unresponsive"


class SecretRefused(ActionError):
    """A secret would be typed into (or submitted to) a page, frame or form target outside its bound hosts."""

    kind = "secret_refused"


class PolicyDenied(ActionError):
    """The action policy (`--policy FILE`, `--confirm`) does not allow this action."""

    kind = "policy_denied"
