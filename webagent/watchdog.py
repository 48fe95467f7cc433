"""Deadlines on every call into a page, and a way to stop a page whose scripts no longer answer.

A CDP session is attached to each tab when it opens (attaching to a tab that is already stuck does not answer);
`Runtime.terminateExecution` through it stops a runaway script even while the page's main thread is busy."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from playwright.async_api import CDPSession, Page
from playwright.async_api import Error as PlaywrightError

T = TypeVar("T")


class Watchdog:
    """Per-tab CDP sessions for stopping scripts; `within` runs an awaitable under a deadline."""

    def __init__(self) -> None:
        self._cdp: dict[Page, asyncio.Task[CDPSession | None]] = {}

    def attach(self, page: Page) -> asyncio.Task[CDPSession | None]:
        """Start attaching a CDP session to a new tab (idempotent); await the task to be sure it is there."""
        if page not in self._cdp:
            self._cdp[page] = asyncio.ensure_future(self._open(page))
            page.on("close", lambda p: self._cdp.pop(p, None))
        return self._cdp[page]

    @staticmethod
    async def _open(page: Page) -> CDPSession | None:
        try:
            return await asyncio.wait_for(page.context.new_cdp_session(page), 5)
        except (TimeoutError, PlaywrightError):
            return None

    async def stop_scripts(self, page: Page) -> bool:
        """Terminate the tab's running script; True when the page answers again afterwards."""
        task = self._cdp.get(page)
        cdp = await task if task is not None and task.done() else None
        if cdp is not None:
            try:
                await asyncio.wait_for(cdp.send("Runtime.terminateExecution"), 3)
            except (TimeoutError, PlaywrightError):
                pass
        return await self.alive(page)

    @staticmethod
    async def alive(page: Page, seconds: float = 2.0) -> bool:
        """Whether the tab runs a trivial script within `seconds`."""
        try:
            await asyncio.wait_for(page.evaluate("0"), seconds)
            return True
        except (TimeoutError, PlaywrightError):
            return False

    @staticmethod
    async def within(aw: Awaitable[T], ms: float) -> T:
        """Await `aw` for at most `ms`; raises asyncio.TimeoutError after cancelling it."""
        return await asyncio.wait_for(aw, ms / 1000)
