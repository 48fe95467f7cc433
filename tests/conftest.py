from __future__ import annotations

import pytest
import pytest_asyncio

from testkit.fixture_site import FixtureServer
from webagent import plugins
from webagent.browser import BrowserConfig, BrowserSession


def pytest_configure(config: pytest.Config) -> None:
    """The layers plug into each other through entry points (webagent/plugins.py); a venv installed before they
    were declared lacks them, and `webagent` would silently offer no bench command. Say so up front."""
    missing = [g for g in plugins.GROUPS if not plugins.load(g)]
    if missing:
        raise pytest.UsageError(f"no entry points in {', '.join(missing)}: reinstall the project "
                                "(.venv/bin/python -m pip install -q --no-deps -e .)")


@pytest.fixture(scope="session")
def site():
    with FixtureServer() as s:
        yield s


@pytest_asyncio.fixture(scope="session")
async def browser_session():
    """One Chromium for the test session; tests that need a clean context call `new_context()`."""
    async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1", "localhost"])) as s:
        yield s


@pytest_asyncio.fixture
async def session(browser_session, tmp_path):
    await browser_session.new_context(downloads_dir=tmp_path / "downloads")
    return browser_session
