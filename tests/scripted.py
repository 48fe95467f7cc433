"""A scripted ChatModel test double: replies are given up front, or computed from the prompt."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from webagent.llm.base import Completion, Usage


class ScriptedChat:
    """Returns the scripted replies in order. A reply may be a callable taking the prompt text, so a script can
    find an element's id by its name (ids are assigned by the browser, not known in advance)."""

    name = "scripted"

    def __init__(self, replies: list[str | Callable[[str], str]]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []
        self.calls: list[dict[str, Any]] = []

    async def complete(self, messages, *, n=1, temperature=0.0, max_tokens=256, grammar=None, json_schema=None):
        prompt = messages[-1]["content"] if isinstance(messages[-1]["content"], str) else str(messages[-1])
        self.prompts.append(prompt)
        self.calls.append({"n": n, "grammar": grammar, "messages": messages})
        if not self.replies:
            raise AssertionError("ScriptedChat ran out of replies")
        reply = self.replies.pop(0)
        text = reply(prompt) if callable(reply) else reply
        return Completion([text] * n, Usage(len(prompt) // 4, len(text) // 4), model="scripted")


def id_of(prompt: str, role: str, name: str) -> int:
    """The id the observation in `prompt` gives to the element with this role and name."""
    m = re.search(rf"^\s*\[(\d+)\] {re.escape(role)} '{re.escape(name)}'", prompt, re.M)
    if not m:
        raise AssertionError(f"no {role} {name!r} in the observation:\n{prompt[-3000:]}")
    return int(m.group(1))


def act(template: str, role: str, name: str) -> Callable[[str], str]:
    """A reply like `click [{id}]` with {id} the id of the element with `role` and `name`."""
    return lambda prompt: template.format(id=id_of(prompt, role, name))


def closed_port() -> int:
    """A loopback port with nothing listening on it."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
