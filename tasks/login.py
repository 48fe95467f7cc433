"""Auto-login, as WebArena's browser_env/auto_login.py: sign in through each site's real login form in Chromium
and save the context's storage_state (cookies) to `<dir>/<site>.<account>.json`. Tasks with `require_login` start
from the merged state of every site they use. States are cached per run (the sites' ports are per run)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from webagent.errors import SetupError


@dataclass(frozen=True)
class LoginForm:
    path: str
    user_label: str
    password_label: str
    button: str


# Login forms of the bundled sites (their templates label the fields like the real WebArena sites).
FORMS: dict[str, LoginForm] = {
    "shop": LoginForm("/customer/account/login/", "Email", "Password", "Sign In"),
    "shop_admin": LoginForm("/admin/auth/login", "Username", "Password", "Sign in"),
    "forum": LoginForm("/login", "Username", "Password", "Log in"),
    "codehost": LoginForm("/users/sign_in", "Username or email", "Password", "Sign in"),
}


def default_account(site: str) -> tuple[str, str] | None:
    from webagent.tasks.sites import registry
    accounts = dict(getattr(registry.load(site), "ACCOUNTS", {}) or {})
    if not accounts:
        return None
    user = next(iter(accounts))
    return user, accounts[user]


async def login(browser: Any, site: str, base_url: str, out: Path, account: tuple[str, str] | None = None) -> Path:
    """Sign in to `site` at `base_url` in a new context of `browser` (a Playwright Browser) and write its
    storage_state to `out`. Raises SetupError if the form is missing or the site refuses the account."""
    form = FORMS.get(site)
    if form is None:
        raise SetupError(f"site {site!r} has no login form known to tasks.login")
    account = account or default_account(site)
    if account is None:
        raise SetupError(f"site {site!r} has no account to log in with")
    user, password = account
    ctx = await browser.new_context()
    try:
        page = await ctx.new_page()
        await page.goto(base_url.rstrip("/") + form.path, wait_until="domcontentloaded")
        await page.get_by_label(form.user_label, exact=True).fill(user)
        await page.get_by_label(form.password_label, exact=True).fill(password)
        async with page.expect_navigation(wait_until="domcontentloaded"):
            await page.get_by_role("button", name=form.button, exact=True).click()
        if form.path.rstrip("/") in page.url.split("?")[0]:
            raise SetupError(f"login to {site} as {user!r} failed: still on the login page ({page.url})")
        out.parent.mkdir(parents=True, exist_ok=True)
        await ctx.storage_state(path=str(out))
    except SetupError:
        raise
    except Exception as e:  # noqa: BLE001 (Playwright errors: the form changed, the site is down)
        raise SetupError(f"login to {site} at {base_url} failed: {str(e).splitlines()[0]}") from None
    finally:
        await ctx.close()
    return out


def merge_states(paths: list[Path], out: Path) -> Path:
    """One storage_state holding the cookies and origins of several (for tasks that span sites)."""
    cookies: list[dict] = []
    origins: list[dict] = []
    for p in paths:
        st = json.loads(Path(p).read_text())
        cookies += st.get("cookies", [])
        origins += st.get("origins", [])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"cookies": cookies, "origins": origins}, indent=1))
    return out


class StateCache:
    """storage_state files for one run: logs into each (site, account) once, merges per combination of sites."""

    def __init__(self, browser: Any, urls: dict[str, str], folder: str | Path) -> None:
        self.browser = browser
        self.urls = urls  # local site name -> base URL
        self.dir = Path(folder)
        self._done: dict[str, Path] = {}

    async def state_for(self, site: str, account: tuple[str, str] | None = None) -> Path | None:
        if site not in FORMS:
            return None  # sites without login (wiki)
        account = account or default_account(site)
        if account is None:
            return None
        key = f"{site}.{account[0]}"
        if key not in self._done:
            safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in key)
            self._done[key] = await login(self.browser, site, self.urls[site], self.dir / f"{safe}.json", account)
        return self._done[key]

    async def state_for_sites(self, sites: list[str]) -> str | None:
        paths = [p for p in [await self.state_for(s) for s in sites if s in self.urls] if p]
        if not paths:
            return None
        if len(paths) == 1:
            return str(paths[0])
        key = "+".join(sorted(sites))
        if key not in self._done:
            self._done[key] = merge_states(paths, self.dir / f"{key.replace('+', '.')}.json")
        return str(self._done[key])
