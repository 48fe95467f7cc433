"""Reading an element again after an action, on the very node acted on: when the action navigated or replaced the
node, the read says so at once, where a locator would wait for its selector to match on the new page."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import ElementHandle, Locator
from playwright.async_api import Error as PlaywrightError


async def pin(loc: Locator, timeout: int) -> ElementHandle:
    """The node `loc` matches now, to read again after acting on it."""
    return await loc.element_handle(timeout=timeout)


async def reread(node: ElementHandle, js: str, timeout_ms: int = 1000) -> tuple[bool, Any]:
    """(True, `js`'s result on `node`) while the node is still in its document; (False, None) when the action
    navigated, removed or replaced it, or the page did not answer within `timeout_ms`."""
    try:
        out = await asyncio.wait_for(node.evaluate(f"e => e.isConnected ? [({js})(e)] : null"), timeout_ms / 1000)
    except (TimeoutError, PlaywrightError):
        return False, None
    return (True, out[0]) if out is not None else (False, None)


async def forget(node: ElementHandle) -> None:
    """Let the page drop its reference to `node` (a no-op when its document is gone)."""
    try:
        await node.dispose()
    except PlaywrightError:
        pass
