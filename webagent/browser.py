"""The browser session: one Chromium, one context per episode, tabs, dialogs, downloads and a network guard."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

from playwright.async_api import Browser, BrowserContext, Dialog, Download, Page, Playwright, async_playwright
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from webagent.errors import NavigationError, PageUnresponsive, SetupError
from webagent.observers import IdCounter, Observation, ObserveOptions, observe
from webagent.observers.types import Crop
from webagent.safety import DomainPolicy, Secrets, check_url
from webagent.server_state import origin_of
from webagent.settle import REDIRECT_MARK, TRACKER_JS, now_ms, settle
from webagent.watchdog import Watchdog

T = TypeVar("T")

# Without these Chromium stalls on a closed network (component updates, sync, first-run pings).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run", "--disable-sync", "--disable-quic", "--disable-dev-shm-usage",
    # documents the network guard fetched itself have no address space: without this, Local Network Access would
    # treat them as public pages and refuse their frames and requests to loopback and LAN hosts
    "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests",
    # WebRTC's own sockets bypass every route: no UDP (STUN/TURN, peers) unless through a proxy (TURN over TCP
    # still connects: with secrets or --network strict, NO_WEBRTC_JS removes the constructor as well)
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
]
# With secrets or --network strict, pages get no RTCPeerConnection (in every frame and popup; workers have none).
NO_WEBRTC_JS = """(() => { for (const k of ['RTCPeerConnection', 'webkitRTCPeerConnection']) {
  try { delete window[k]; } catch (e) { /* not there */ } } })()"""
# Speculation rules (`<script type=speculationrules>`) make the browser process prefetch and prerender URLs itself,
# where no route sees the requests: such scripts are removed as they are inserted, before the rules are acted on.
NO_SPECULATION_JS = """(() => {
  const drop = (n) => {
    if (n.nodeType !== 1) return;
    if (n.tagName === 'SCRIPT' && (n.getAttribute('type') || '').trim().toLowerCase() === 'speculationrules') n.remove();
    else if (n.querySelectorAll) n.querySelectorAll('script[type=speculationrules i]').forEach((s) => s.remove());
  };
  new MutationObserver((ms) => { for (const m of ms) m.addedNodes.forEach(drop); })
    .observe(document, {childList: true, subtree: true});
})()"""
SYSTEM_CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """A system Chromium: $WEBAGENT_CHROMIUM, then well-known names on PATH. None means Playwright's own."""
    env = os.environ.get("WEBAGENT_CHROMIUM")
    if env:
        if not Path(env).exists():
            raise SetupError(f"WEBAGENT_CHROMIUM={env} does not exist")
        return env
    for name in SYSTEM_CHROMIUM:
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@dataclass
class BrowserConfig:
    headless: bool = True
    executable: str | None = None
    viewport: tuple[int, int] = (1280, 720)
    navigation_timeout_ms: int = 30_000
    action_timeout_ms: int = 5_000
    allowed_domains: list[str] = field(default_factory=list)  # added to the start URL's origin
    network: str = "default"  # "strict": no request at all leaves the allowed domains (see _guard)
    dialogs: str = "accept"  # or "dismiss"
    downloads_dir: Path | None = None
    storage_state: str | None = None
    locale: str = "en-US"
    timezone: str = "UTC"
    record_har: Path | None = None  # write the episode's network traffic here as a HAR (when the context closes)
    record_trace: Path | None = None  # write a Playwright trace.zip here (when the context closes)
    trace_screenshots: bool = True  # screencast frames in the trace (off when secrets are typed: they'd show)
    page_deadline_ms: int = 15_000  # a page that does not answer an observation or a settle in this long is stopped


NET_ERRORS = {
    "ERR_NAME_NOT_RESOLVED": "the host name does not resolve",
    "ERR_CONNECTION_REFUSED": "nothing is listening there (connection refused)",
    "ERR_CONNECTION_RESET": "the connection was reset",
    "ERR_ADDRESS_UNREACHABLE": "the address is unreachable",
    "ERR_INTERNET_DISCONNECTED": "there is no network",
    "ERR_CONNECTION_TIMED_OUT": "the connection timed out",
    "ERR_BLOCKED_BY_CLIENT": "the request was blocked by the domain guard",
    "ERR_CERT": "its TLS certificate is not valid",
    "ERR_UNSAFE_PORT": "browsers refuse that port as unsafe",
    "ERR_INVALID_URL": "the URL is not valid",
}


def explain_navigation_error(url: str, err: Exception) -> str:
    msg = str(err)
    for code, text in NET_ERRORS.items():
        if code in msg:
            return f"cannot open {url}: {text}"
    if isinstance(err, PlaywrightTimeout):
        return f"cannot open {url}: the page did not load in time"
    return f"cannot open {url}: {msg.splitlines()[0] if msg else type(err).__name__}"


class BrowserSession:
    """A browser with one context. Use as `async with BrowserSession(cfg) as s: await s.goto(url)`."""

    def __init__(self, config: BrowserConfig | None = None) -> None:
        self.config = config or BrowserConfig()
        self.policy = DomainPolicy(list(self.config.allowed_domains))
        self._seeded = False  # the policy gets the start URL's origin at the first goto of each context
        self.secrets = Secrets()  # set by the agent: where each secret's value may be sent
        self.action_policy: Any = None  # a webagent.action_policy.ActionPolicy, checked by execute()
        self.counter = IdCounter()
        # the episode (reset by new_context): what happened that the agent should hear, requests the guard
        # blocked, and where downloads go (default config.downloads_dir; the agent points it at its run directory)
        self.notices: list[str] = []
        self.blocked_requests: list[str] = []
        self._stubs: dict[tuple[str, str], str] = {}  # (method, url) -> redirect stub served, for the HAR
        self._resent: dict[str, Any] = {}  # url -> the answer a re-sent 307/308 hop got there (served once)
        self._har: Path | None = None  # the current context's HAR
        self._har_part: Path | None = None  # the file the current context records to (the HAR, or a part of it)
        self._har_episode: Path | None = None  # the HAR this episode's contexts record into, and how many did
        self._har_contexts = 0
        self.downloads_dir: Path | None = None
        self.block_mutations = False  # inside `exploring()`: abort every request that could change server state
        self.writable_origins: set[str] = set()  # ... except to these (their state is snapshotted by the planner)
        self.mask_values: list[str] = []  # secret values: elements showing one are masked in every picture taken
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self.context: BrowserContext | None = None
        self._active: Page | None = None
        self._crashed: set[Page] = set()
        self._sealed = False  # NO_WEBRTC_JS is in the current context
        self.watchdog = Watchdog()
        self._own_pages = 0  # tabs we are opening ourselves: not "a new tab opened" for the agent
        self._tasks: set[asyncio.Future[Any]] = set()  # closing refused sockets (kept until done)

    async def __aenter__(self) -> BrowserSession:
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def start(self) -> None:
        if not self.config.headless and sys.platform.startswith("linux") and not (
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise SetupError("--headful needs a display and $DISPLAY is not set: run under a virtual one with "
                             "`xvfb-run webagent ...`, or drop --headful")
        self._pw = await async_playwright().start()
        exe = self.config.executable or find_chromium()
        try:
            self._browser = await self._pw.chromium.launch(
                headless=self.config.headless, executable_path=exe, args=CHROMIUM_ARGS)
        except PlaywrightError as e:
            await self._pw.stop()
            self._pw = None
            first = str(e).splitlines()[0]
            if "Executable doesn't exist" in str(e) or "ENOENT" in str(e):
                raise SetupError("no Chromium found: install Debian's chromium (apt-get install chromium) "
                                 "or run `playwright install chromium`, or set WEBAGENT_CHROMIUM") from None
            raise SetupError(f"Chromium failed to start ({exe or 'playwright-managed'}): {first}") from None
        await self.new_context()

    async def new_context(self, storage_state: str | None = None, *,
                          downloads_dir: Path | None = None) -> BrowserContext:
        """Start an episode: a fresh context (cookies, storage, tabs), closing the previous one, with the episode's
        notices and blocked requests emptied and downloads going to `downloads_dir` (default the config's)."""
        self.notices, self.blocked_requests = [], []
        self.downloads_dir = downloads_dir or self.config.downloads_dir
        self._har_episode = None  # this episode's first context starts the HAR afresh
        return await self.restart_context(storage_state)

    async def restart_context(self, storage_state: str | None = None) -> BrowserContext:
        """A fresh context inside the current episode (backtracking in a search): notices, blocked requests, the
        downloads folder and the exploring guard carry over."""
        assert self._browser is not None
        if self.context is not None:
            await self._close_context()
        w, h = self.config.viewport
        extra: dict[str, Any] = {}
        self._har = self.config.record_har  # where this context's HAR goes, even if the config changes meanwhile
        self._har_part = self._har
        if self._har:
            # the episode's first context writes the HAR; a later one (a search restarting the context) records
            # to a part file that its close merges into it, so the episode's HAR keeps all its traffic
            n = self._har_contexts if self._har_episode == self._har else 0
            self._har_episode, self._har_contexts = self._har, n + 1
            if n:
                self._har_part = self._har.with_name(f"{self._har.stem}.part{n}{self._har.suffix}")
            extra = {"record_har_path": str(self._har_part), "record_har_content": "embed"}
        self._stubs, self._resent = {}, {}
        self.context = await self._browser.new_context(
            viewport={"width": w, "height": h}, device_scale_factor=1, accept_downloads=True,
            storage_state=storage_state or self.config.storage_state, locale=self.config.locale,
            timezone_id=self.config.timezone, **extra)
        if self.config.record_trace:
            await self.context.tracing.start(screenshots=self.config.trace_screenshots, snapshots=True)
        self.context.set_default_timeout(self.config.action_timeout_ms)
        self.context.set_default_navigation_timeout(self.config.navigation_timeout_ms)
        self.context.on("page", self._on_page)
        await self.context.add_init_script(TRACKER_JS)
        await self.context.add_init_script(NO_SPECULATION_JS)
        await self.context.route("**/*", self._guard)
        await self.context.route_web_socket("**/*", self._guard_socket)  # routes above never see WebSockets
        self._seeded = self._sealed = False
        await self._seal()
        self._active = await self._open_tab()
        return self.context

    async def _seal(self) -> None:
        """With secrets or --network strict: take WebRTC (whose connections no route sees) from the pages, from
        now on and in the documents already open."""
        if self._sealed or self.context is None or not (self.secrets.values or self.config.network == "strict"):
            return
        self._sealed = True
        await self.context.add_init_script(NO_WEBRTC_JS)
        for page in self.context.pages:
            for frame in page.frames:
                with contextlib.suppress(PlaywrightError):
                    await frame.evaluate(NO_WEBRTC_JS)

    async def _open_tab(self) -> Page:
        """A tab we open ourselves (the first tab, new_tab, a replacement), with its watchdog attached."""
        self._own_pages += 1
        try:
            page = await self.context.new_page()
        finally:
            self._own_pages = max(0, self._own_pages - 1)
        await self.watchdog.attach(page)
        return page

    async def _close_context(self) -> None:
        """Close the context, saving the trace first (the HAR is written by the close itself)."""
        if self.context is None:
            return
        if self.config.record_trace:
            try:
                await self.context.tracing.stop(path=str(self.config.record_trace))
            except PlaywrightError:
                pass
        try:
            await self.context.close()
        except PlaywrightError:
            pass
        if self._har_part and self._stubs:
            _fill_stub_bodies(Path(self._har_part), self._stubs)
        if self._har and self._har_part and self._har_part != self._har:
            _merge_har(Path(self._har), Path(self._har_part))

    async def close(self) -> None:
        await self._close_context()
        if self._browser is not None:
            try:
                await self._browser.close()
            except PlaywrightError:
                pass
        if self._pw is not None:
            await self._pw.stop()
        self.context = self._browser = self._pw = None

    # -- tabs ---------------------------------------------------------------------------------------------
    @property
    def page(self) -> Page:
        """The active tab."""
        if self._active is None or self._active.is_closed():
            pages = self.pages
            if not pages:
                raise NavigationError("no open tab")
            self._active = pages[-1]
        return self._active

    @property
    def pages(self) -> list[Page]:
        """The tabs the agent has (tabs a planner keeps hidden for itself are not among them)."""
        return [p for p in self.context.pages if not is_hidden(p)] if self.context else []

    async def blank_tab(self) -> Page:
        """Open a blank tab and make it active, leaving the previous one as it is (a planner hid it to keep it)."""
        self._active = await self._open_tab()
        return self._active

    async def activate(self, page: Page) -> None:
        """Make a tab a planner kept hidden (`hide`) the active one again, visible to the agent."""
        hide(page, False)
        self._active = page
        await page.bring_to_front()

    async def focus(self, index: int) -> Page:
        self._active = self.pages[index]
        await self._active.bring_to_front()
        return self._active

    async def new_tab(self) -> Page:
        page = await self._open_tab()
        self._active = page
        return page

    def _on_page(self, page: Page) -> None:
        self._wire(page)
        if self._own_pages == 0:  # a popup or target=_blank link: the agent follows it
            self._active = page
            self.notices.append(f"a new tab opened ({page.url or 'loading'}) and is now active")

    def _wire(self, page: Page) -> None:
        self.watchdog.attach(page)
        page.on("dialog", self._on_dialog)
        page.on("download", self._on_download)
        page.on("crash", lambda p: self._crashed.add(p))

    async def _on_dialog(self, dialog: Dialog) -> None:
        kind, msg = dialog.type, dialog.message
        try:
            if self.config.dialogs == "dismiss":
                await dialog.dismiss()
                self.notices.append(f"a {kind} dialog said {msg!r}; it was dismissed")
            else:
                await dialog.accept()
                self.notices.append(f"a {kind} dialog said {msg!r}; it was accepted")
        except PlaywrightError:
            pass

    @asynccontextmanager
    async def exploring(self, writable: list[str] | None = None) -> AsyncIterator[None]:
        """Inside, the network guard aborts every request that could change server state (anything but GET, HEAD
        and OPTIONS), so a planner can try actions without ordering, posting or deleting; nests. `writable`:
        origins whose state the planner snapshots itself (webagent.server_state): their requests go through (a nested
        block without `writable` keeps the enclosing block's, as a search's replay of a path does)."""
        before, before_w = self.block_mutations, self.writable_origins
        self.block_mutations = True
        if writable is not None:
            self.writable_origins = {o.lower().rstrip("/") for o in writable}
        try:
            yield
        finally:
            self.block_mutations, self.writable_origins = before, before_w

    async def _on_download(self, download: Download) -> None:
        target_dir = self.downloads_dir
        if target_dir is None:
            self.notices.append(f"a download started ({download.suggested_filename}) but no run directory keeps it")
            return
        target_dir.mkdir(parents=True, exist_ok=True)
        path = target_dir / Path(download.suggested_filename).name
        try:
            await download.save_as(path)
            self.notices.append(f"downloaded {path.name} ({path.stat().st_size} bytes)")
        except PlaywrightError as e:
            self.notices.append(f"download of {download.suggested_filename} failed: {e}")

    def _block_reason(self, url: str, body: str, top_level: bool) -> str | None:
        """Why a request (or a redirect hop) may not leave, or None. See README "Security"."""
        for name in self.secrets.carried_in(url + "\n" + body):
            if not self.secrets.bound_to(name, self.policy).allows(url):
                return f"it carries {{{{{name}}}}} to a host the secret is not bound to"
        if top_level and not self.policy.allows(url):
            return "outside the allowed domains"
        if self.config.network == "strict" and urlsplit(url).scheme in ("http", "https", "ws", "wss") \
                and not self.policy.allows(url):
            return "outside the allowed domains (--network strict)"
        return None

    def _blocked(self, method: str, url: str, why: str, navigation: bool) -> None:
        self.blocked_requests.append(f"{method} {url}")
        host = urlsplit(url).hostname or urlsplit(url).scheme
        self.notices.append(f"blocked {'navigation' if navigation else 'a request'} to {host}: {why}")

    async def _guard(self, route: Any) -> None:
        """The network policy, for every request the browser makes (documents, frames, subresources, fetch,
        beacons): a request carrying a secret's value goes only to the hosts that secret is bound to; top-level
        navigation (every redirect hop included) stays inside the allowed domains; with `network="strict"` nothing
        leaves them. Other subresources and iframes may come from anywhere, as CDNs do. While exploring, every
        request that could change server state is aborted."""
        req = route.request
        try:
            navigation = req.is_navigation_request()
            top_level = navigation and req.frame.parent_frame is None
        except PlaywrightError:  # a service-worker request has no frame
            navigation = top_level = False
        body = _body_and_headers(req) if self.secrets.values else ""  # where a secret can ride besides the URL
        why = self._block_reason(req.url, body, top_level)
        if why:
            self._blocked(req.method, req.url, why, navigation)
            await route.abort("blockedbyclient")
            return
        if self.block_mutations and req.method not in ("GET", "HEAD", "OPTIONS") \
                and origin_of(req.url) not in self.writable_origins:
            self.blocked_requests.append(f"{req.method} {req.url}")
            await route.abort("blockedbyclient")
            return
        if (top_level or (navigation and self.config.network == "strict")) \
                and urlsplit(req.url).scheme in ("http", "https"):
            await self._follow_redirects(route, top_level, body)
            return
        carries = bool(self.secrets.carried_in(req.url + "\n" + body))  # its redirect hops are checked too
        if (self.config.network == "strict" or carries) and urlsplit(req.url).scheme in ("http", "https"):
            await self._fetch_checked(route, body)
            return
        await route.continue_()

    async def _guard_socket(self, ws: Any) -> None:
        """The network policy for a WebSocket: its URL as for any request, then every message the page sends
        (a message carrying a secret's value goes only to the secret's hosts); a refused socket is closed."""
        why = self._block_reason(ws.url, "", False)
        if why:
            self._blocked("WEBSOCKET", ws.url, why, False)
            await ws.close()
            return
        server = ws.connect_to_server()
        if not self.secrets.values:
            return  # messages flow both ways untouched

        def from_page(message: str | bytes) -> None:
            text = message if isinstance(message, str) else message.decode("utf-8", "replace")
            why = self._block_reason(ws.url, text, False)
            if why:
                self._blocked("WEBSOCKET", ws.url, f"a message {why}", False)
                task = asyncio.ensure_future(ws.close())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                server.send(message)
        ws.on_message(from_page)

    async def _fetch_checked(self, route: Any, body: str = "", max_hops: int = 10) -> None:
        """A subresource under --network strict, or one carrying a secret: fetched here hop by hop, each redirect
        target checked (with the request's body, which route.fetch sends on every hop), the final response handed
        to the page (the browser would follow redirect hops without showing them to the guard)."""
        req = route.request
        url, method = req.url, req.method
        try:
            resp = await route.fetch(max_redirects=0, timeout=self.config.navigation_timeout_ms)
            for _ in range(max_hops):
                location = resp.headers.get("location")
                if not (300 <= resp.status < 400 and location):
                    break
                url = urljoin(url, location)
                method = "GET" if resp.status in (301, 302, 303) else method
                why = self._block_reason(url, body, False)
                if why:
                    self._blocked(method, url, f"a redirect hop {why}", False)
                    await route.abort("blockedbyclient")
                    return
                resp = await route.fetch(url=url, method=method, max_redirects=0,
                                         timeout=self.config.navigation_timeout_ms)
            await route.fulfill(response=resp)
        except PlaywrightError:
            try:
                await route.abort("failed")
            except PlaywrightError:
                pass

    async def _follow_redirects(self, route: Any, top_level: bool, body: str = "", max_hops: int = 10) -> None:
        """Fetch a navigation ourselves without following redirects, so that every hop is checked: the browser
        does not show redirect hops to routes. An allowed hop is handed to the browser as a stub page that moves
        on to it (a new navigation, which this guard sees again); a refused hop is never requested. A 307/308 hop
        after a POST (or any method but GET/HEAD) re-sends the method and body to its checked target, as the
        browser would; the final answer is then shown at its own address through a stub, served from here."""
        req = route.request
        resent = self._resent.pop(req.url, None) if req.method == "GET" else None
        if resent is not None:  # the address a re-sent 307/308 hop ended on: its answer, not requested again
            try:
                await _fulfill_document(route, resent)
            except PlaywrightError:
                pass
            return
        url, method = req.url, req.method
        try:
            resp = await route.fetch(max_redirects=0, timeout=self.config.navigation_timeout_ms)
        except PlaywrightError:
            try:  # unreachable, or the page gave up waiting: let the browser report it in its own words
                await route.continue_()
            except PlaywrightError:
                pass
            return
        try:
            for _ in range(max_hops):
                location = resp.headers.get("location")
                if not (300 <= resp.status < 400 and location):
                    break
                target = urljoin(url, location)
                resend = resp.status in (307, 308) and method not in ("GET", "HEAD")
                why = self._block_reason(target, body if resend else "", top_level) or (
                    None if urlsplit(target).scheme in ("http", "https") else "not an http(s) URL")
                if why:
                    self._blocked(method if resend else "GET", target, f"a redirect hop {why}", True)
                    await route.abort("blockedbyclient")
                    return
                if resend:
                    resp = await route.fetch(url=target, method=method, max_redirects=0,
                                             timeout=self.config.navigation_timeout_ms)
                    url = target
                    continue
                await self._stub(route, target, resp)
                return
            if url != req.url:  # a re-sent hop answered: move the tab there, and answer that GET with this
                self._resent[url] = resp
                try:
                    self._stubs[("GET", url)] = await resp.text()  # the HAR records a fulfilled body as empty
                except (PlaywrightError, UnicodeDecodeError):
                    pass
                await self._stub(route, url, resp)
                return
            await _fulfill_document(route, resp)
        except PlaywrightError:  # the navigation was cancelled meanwhile
            pass

    async def _stub(self, route: Any, target: str, resp: Any) -> None:
        """Answer a navigation with a page that moves on to `target` (keeping the cookies `resp` set)."""
        req = route.request
        headers = {k: v for k, v in resp.headers.items() if k.lower() == "set-cookie"}
        stub = _redirect_stub(target)
        self._stubs[(req.method, req.url)] = stub
        await route.fulfill(status=200, headers={**headers, "content-type": "text/html"}, body=stub)

    # -- navigation and observation -----------------------------------------------------------------------
    def seed_policy(self, start_url: str) -> None:
        """The allowlist of this context: the start URL's origin plus `allowed_domains` (once per context)."""
        if not self._seeded:
            self.policy = DomainPolicy.for_start_url(start_url, self.config.allowed_domains)
            self._seeded = True

    async def goto(self, url: str) -> None:
        """Open `url` in the active tab. Raises BadInput for a malformed URL, NavigationError when unreachable."""
        url = check_url(url)
        self.seed_policy(url)
        await self._seal()  # the secrets are set by now
        if not self.policy.allows(url):
            raise NavigationError(f"{url} is outside the allowed domains ({self.policy.describe()})")
        page = self.page
        blocked = len(self.blocked_requests)
        since = now_ms()
        try:
            await self.guard(page.goto(url, wait_until="domcontentloaded"), f"opening {url}",
                             self.config.navigation_timeout_ms + self.config.page_deadline_ms)
        except PlaywrightError as e:
            if len(self.blocked_requests) > blocked:
                raise NavigationError(f"cannot open {url}: {self.notices[-1]}") from None
            if "interrupted by another navigation" not in str(e):
                raise NavigationError(explain_navigation_error(url, e)) from None
            # A redirect hop or the page's own script replaced the load: settle on where it leads; the allowlist
            # check below still applies to the page it ends on.
        except PageUnresponsive as e:
            raise NavigationError(f"cannot open {url}: {e}") from None
        try:
            await self.guard(settle(page, since=since), f"loading {url}")
        except PageUnresponsive as e:
            self.notices.append(str(e))
        if not self.policy.allows(page.url) or (page.url.startswith("chrome-error:")
                                                 and len(self.blocked_requests) > blocked):
            where = page.url if not page.url.startswith("chrome-error:") else self.blocked_requests[-1].split(" ")[-1]
            await page.goto("about:blank")
            raise NavigationError(f"cannot open {url}: it led to {where}, outside the allowed domains")

    async def observe(self, options: ObserveOptions | None = None) -> Observation:
        """Observe the active tab; a crashed tab is replaced by a fresh one at the same URL first."""
        page = self.page
        if page not in self._crashed:
            try:
                # liveness probe: the crash event can arrive after the failed action
                await self.guard(page.evaluate("0"), "checking that it is alive")
            except PlaywrightError as e:
                if "crash" in str(e).lower():
                    self._crashed.add(page)
            except PageUnresponsive as e:
                self.notices.append(str(e))
        if page in self._crashed:
            await self._recover(page)
        obs = None
        for attempt in range(3):
            try:
                obs = await self.guard(self._observe_once(options), "observing the page")
                break
            except PageUnresponsive as e:
                self.notices.append(str(e))
                if attempt == 1:  # stopped twice and stuck again: give the agent a fresh tab
                    await self._replace(self.page)
        assert obs is not None
        obs.notices, self.notices = collapse(self.notices + obs.notices), []
        return obs

    async def guard(self, aw: Awaitable[T], what: str, ms: float | None = None) -> T:
        """Await a call into the page under a deadline (`page_deadline_ms` by default). When it passes, the
        page's scripts are stopped (a tab that still does not answer is replaced by a blank one) and
        PageUnresponsive says so; the agent reads it as an error or notice, and the run goes on."""
        ms = ms or self.config.page_deadline_ms
        page = self.page
        try:
            return await self.watchdog.within(aw, ms)
        except TimeoutError:
            pass
        if await self.watchdog.stop_scripts(page):
            raise PageUnresponsive(f"the page did not answer for {ms / 1000:g} s while {what}; "
                                   "its running script was stopped")
        url = await self._replace(page)
        raise PageUnresponsive(f"the page did not answer for {ms / 1000:g} s while {what} and could not be "
                               f"stopped; its tab was closed and a blank tab opened (it was at {url})")

    async def _replace(self, page: Page) -> str:
        """Close a stuck tab and put a blank one in its place; returns the URL it was at."""
        url = page.url
        self._active = await self._open_tab()
        try:
            await asyncio.wait_for(page.close(run_before_unload=False), 5)
        except (TimeoutError, PlaywrightError):
            pass
        return url

    async def _observe_once(self, options: ObserveOptions | None) -> Observation:
        """One observation of the active tab, typed secrets masked in its pictures."""
        if self.mask_values:
            from webagent.recorder import SECRET_SELECTOR, mark_secret_elements, unmark_secret_elements
            marked = await mark_secret_elements(self.page, self.mask_values, self.secrets, self.policy)
            try:
                obs = await observe(self.page, self.counter, replace(options or ObserveOptions(),
                                                                     mask_selector=SECRET_SELECTOR))
            finally:
                await unmark_secret_elements(self.page)
            obs.stats["masked"] = marked
        else:
            obs = await observe(self.page, self.counter, options)
        return obs

    async def crop_elements(self, obs: Observation, ids: list[int], options: ObserveOptions | None = None
                            ) -> list[Crop]:
        """Crops of elements of `obs` (just observed on the active tab), secrets masked as in `observe`."""
        from webagent.observers.pipeline import crop_elements
        options = options or ObserveOptions()
        if not self.mask_values:
            return await crop_elements(self.page, obs, ids, options)
        from webagent.recorder import SECRET_SELECTOR, mark_secret_elements, unmark_secret_elements
        await mark_secret_elements(self.page, self.mask_values, self.secrets, self.policy)
        try:
            return await crop_elements(self.page, obs, ids, replace(options, mask_selector=SECRET_SELECTOR))
        finally:
            await unmark_secret_elements(self.page)

    async def _recover(self, page: Page) -> None:
        url = page.url
        self._crashed.discard(page)
        self._active = await self._open_tab()
        try:
            await page.close()
        except PlaywrightError:
            pass
        if not url or url.startswith(("about:", "chrome")):
            self.notices.append(f"the page crashed; a blank tab replaced it ({url or 'no address'})")
            return
        try:
            await self.goto(url)
        except NavigationError as e:  # its address no longer loads: the agent reads why, the run goes on
            with contextlib.suppress(PlaywrightError):
                await self.page.goto("about:blank")
            self.notices.append(f"the page crashed and could not be reloaded ({e}); the tab is blank now")
            return
        self.notices.append(f"the page crashed and was reloaded ({url})")


async def _fulfill_document(route: Any, resp: Any) -> None:
    """Hand a document the guard fetched to the browser without a `Speculation-Rules` header: the prefetches and
    prerenders its rules ask for are made by the browser process, where no route sees them."""
    if not any(k.lower() == "speculation-rules" for k in resp.headers):
        await route.fulfill(response=resp)
        return
    await route.fulfill(response=resp, headers={k: v for k, v in resp.headers.items()
                                                if k.lower() != "speculation-rules"})


def _body_and_headers(req: Any) -> str:
    """A request's body and headers as text, for the secrets check: a page script can put a value in a header
    (`Accept-Language` needs no CORS preflight) or send it as the Referer (`referrerPolicy: 'unsafe-url'`)."""
    try:
        body = (req.post_data_buffer or b"").decode("utf-8", "replace")
    except PlaywrightError:
        body = ""
    headers = req.headers  # without cookies (a page cannot set them for another host), and no driver round trip
    return body + "\n" + "\n".join(f"{k}: {v}" for k, v in headers.items())


def _fill_stub_bodies(har: Path, stubs: dict[tuple[str, str], str]) -> None:
    """Put the redirect stubs the guard served into the HAR: Chromium records a fulfilled response without its
    body, and a HAR replay would then stop on an empty page where the recorded run moved on."""
    import json
    try:
        data = json.loads(har.read_text())
    except (OSError, ValueError):
        return
    for entry in data.get("log", {}).get("entries", []):
        stub = stubs.get((entry["request"]["method"], entry["request"]["url"]))
        content = entry.get("response", {}).get("content", {})
        if stub is not None and not content.get("text"):
            content.update(text=stub, size=len(stub.encode()), mimeType="text/html")
    har.write_text(json.dumps(data))


def _merge_har(har: Path, part: Path) -> None:
    """Append a later context's HAR (its pages and entries) to the episode's HAR, and remove the part file."""
    import json
    try:
        data = json.loads(part.read_text())
    except (OSError, ValueError):
        return
    try:
        into = json.loads(har.read_text())
    except (OSError, ValueError):  # the first context wrote nothing: the part is the HAR
        part.replace(har)
        return
    log = into.setdefault("log", {})
    for key in ("pages", "entries"):
        log.setdefault(key, []).extend(data.get("log", {}).get(key, []))
    har.write_text(json.dumps(into))
    part.unlink(missing_ok=True)


def _redirect_stub(target: str) -> str:
    """A page that replaces itself by `target` at once (how the guard passes on a checked redirect hop)."""
    import json
    from html import escape
    js = json.dumps(target).replace("<", "\\u003c")  # a `</script>` in the URL must not end the script early
    return (f'<!doctype html><meta name="{REDIRECT_MARK}"><meta http-equiv="refresh" content="0;url={escape(target)}">'
            f"<script>location.replace({js})</script>")


def hide(page: Page, hidden: bool) -> None:
    """Mark a tab as kept by a planner: not in `pages`, not in the tabs an observation lists."""
    page.webagent_hidden = hidden


def is_hidden(page: Page) -> bool:
    return bool(getattr(page, "webagent_hidden", False))


def collapse(notices: list[str]) -> list[str]:
    """Identical notices said once, with how many times (an alert storm is one line, not dozens)."""
    counts = Counter(notices)
    out = []
    for n in dict.fromkeys(notices):
        k = counts[n]
        if k == 1:
            out.append(n)
        elif n.endswith(("accepted", "dismissed")):
            out.append(f"{n} {k} times")
        else:
            out.append(f"{n} ({k} times)")
    return out
