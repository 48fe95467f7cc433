"""A bounded pool of live tabs holding search states, so that backtracking to one is a tab switch, not a page load.

When the search leaves a state that still has children waiting in the frontier, the tab showing it is hidden and
kept (`park`) instead of being navigated away, and the search goes on in a fresh tab; reaching that state again
takes the tab back (`take`, then `snapshot.switch_to`: cookies and localStorage put back, key checked). Acting on
it consumes it (the tab then shows the child). At most `size` tabs are kept: a new one evicts the kept state whose
best waiting child has the lowest priority, or is not kept when every kept one ranks higher. Kept tabs share the
context (cookies, storage, the login) and are hidden from the agent's tab list; `close()` ends them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.async_api import Error as PlaywrightError

from webagent.browser import BrowserSession, hide, is_hidden


@dataclass
class PooledTab:
    node: int
    key: str
    page: Any
    priority: float


@dataclass
class TabPool:
    session: BrowserSession
    size: int
    tabs: dict[int, PooledTab] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=lambda: {"parked": 0, "evicted": 0, "switches": 0, "lost": 0})

    def has(self, node: int) -> bool:
        t = self.tabs.get(node)
        return t is not None and not t.page.is_closed()

    async def park(self, node: int, key: str, priority: float) -> bool:
        """Keep the active tab (showing `node`), hidden; False when not kept. The caller makes another tab active."""
        if self.size <= 0 or node in self.tabs:
            return False
        self._drop_closed()
        if len(self.tabs) >= self.size:
            worst = min(self.tabs.values(), key=lambda t: t.priority)
            if worst.priority >= priority:
                return False
            await self._close(self.tabs.pop(worst.node))
            self.stats["evicted"] += 1
        page = self.session.page
        hide(page, True)
        self.tabs[node] = PooledTab(node, key, page, priority)
        self.stats["parked"] += 1
        return True

    def take(self, node: int) -> PooledTab | None:
        """The kept tab of `node`, out of the pool (None if there is none, or it was closed meanwhile)."""
        t = self.tabs.pop(node, None)
        if t is not None and t.page.is_closed():
            self.stats["lost"] += 1
            return None
        return t

    def reprioritise(self, priorities: dict[int, float]) -> None:
        """Kept states' priorities now (the best waiting child of each); states with none left rank lowest."""
        for n, t in self.tabs.items():
            t.priority = priorities.get(n, float("-inf"))

    async def release_active(self) -> None:
        """If the active tab is a kept one (a search cut by its deadline between keeping it and opening the next
        tab), it is the agent's again: out of the pool, visible."""
        page = self.session.page
        for n, t in list(self.tabs.items()):
            if t.page is page:
                del self.tabs[n]
        if is_hidden(page):
            await self.session.activate(page)

    async def close(self) -> None:
        for t in list(self.tabs.values()):
            await self._close(t)
        self.tabs.clear()

    def _drop_closed(self) -> None:
        for n in [n for n, t in self.tabs.items() if t.page.is_closed()]:  # a fresh context (replay) ends them
            del self.tabs[n]
            self.stats["lost"] += 1

    @staticmethod
    async def _close(t: PooledTab) -> None:
        try:
            await t.page.close()
        except PlaywrightError:
            pass
