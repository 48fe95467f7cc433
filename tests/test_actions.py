"""Every action type on real elements, and every failure as a typed error the agent can read."""

from __future__ import annotations

import pytest

from webagent.actions import Action, parse_action
from webagent.executor import execute


def find(obs, role, name, frame=None):
    for e in obs.elements.values():
        if e.role == role and e.name == name and (frame is None or e.frame == frame):
            return e.id
    raise AssertionError(f"no {role} {name!r} in\n{obs.text}")


async def status(session, sel="#status"):
    return await session.page.text_content(sel)


async def do(session, text_or_action, obs=None):
    obs = obs or await session.observe()
    action = text_or_action if isinstance(text_or_action, Action) else parse_action(text_or_action)
    return await execute(session, obs, action), obs


async def test_click_button_span_and_pointer_div(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'Press me')}]", obs)
    assert r.ok and await status(session) == "button clicked"
    r, _ = await do(session, f"click [{find(obs, 'generic', 'Clickable span')}]", obs)
    assert r.ok and await status(session) == "span clicked"
    r, _ = await do(session, f"click [{find(obs, 'generic', 'Card without role')}]", obs)
    assert r.ok and await status(session) == "card clicked"


async def test_click_inside_same_and_cross_origin_iframes(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    for frame_path, frame_sel in (("0", "#same"), ("1", "#cross")):
        r, _ = await do(session, f"click [{find(obs, 'button', 'Frame button', frame_path)}]", obs)
        assert r.ok, r.error
        text = await session.page.frame_locator(frame_sel).locator("#fstatus").text_content()
        assert text == "frame button clicked"
    r, _ = await do(session, f"type [{find(obs, 'textbox', 'Frame input', '1')}] [in frame] [0]", obs)
    assert r.ok
    assert await session.page.frame_locator("#cross").locator("#fi").input_value() == "in frame"


async def test_click_in_shadow_dom(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'Shadow button')}]", obs)
    assert r.ok
    obs2 = await session.observe()
    assert "shadow pressed" in obs2.text


async def test_type_select_hover_press_scroll(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    notes = find(obs, "textbox", "Notes")
    r, _ = await do(session, f"type [{notes}] [first text] [0]", obs)
    assert r.ok and await session.page.input_value("#notes") == "first text"
    r, _ = await do(session, f"type [{notes}] [replaced] [0]", obs)
    assert await session.page.input_value("#notes") == "replaced"
    r, _ = await do(session, "press [Control+a]", obs)
    assert r.ok
    r, _ = await do(session, "press [Backspace]", obs)
    assert await session.page.input_value("#notes") == ""
    r, _ = await do(session, f"select [{find(obs, 'combobox', 'Colour')}] [blue]", obs)
    assert r.ok and await session.page.input_value("#colour") == "Blue"
    r, _ = await do(session, f"click [{find(obs, 'checkbox', 'I agree')}]", obs)
    assert await session.page.is_checked("#agree")
    r, _ = await do(session, f"hover [{find(obs, 'generic', 'Hover menu')}]", obs)
    assert r.ok and await status(session, "#hovered") == "hovered yes"
    obs = await session.observe()
    assert find(obs, "link", "Hidden about")  # revealed by :hover
    r, _ = await do(session, "scroll [down]", obs)
    assert r.ok and await session.page.evaluate("window.scrollY") > 100
    r, _ = await do(session, "scroll [up]")
    assert await session.page.evaluate("window.scrollY") == 0


async def test_goto_back_forward_and_tabs(session, site):
    await session.goto(site.url + "/index.html")
    r, _ = await do(session, f"goto [{site.url}/about.html]")
    assert r.ok and session.page.url.endswith("/about.html")
    r, _ = await do(session, "go_back")
    assert session.page.url.endswith("/index.html")
    r, _ = await do(session, "go_forward")
    assert session.page.url.endswith("/about.html")
    await do(session, "go_back")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'link', 'Open details')}]", obs)
    assert r.ok
    obs = await session.observe()
    assert len(obs.tabs) == 2 and obs.tabs[1].active and obs.url.endswith("/details.html")
    assert any("new tab" in n for n in obs.notices)
    r, _ = await do(session, "tab_focus [0]", obs)
    assert r.ok and session.page.url.endswith("/index.html")
    r, _ = await do(session, "new_tab")
    assert len(session.pages) == 3
    r, _ = await do(session, "close_tab")
    assert r.ok and len(session.pages) == 2


async def test_dialogs_and_downloads_are_reported(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'Show alert')}]", obs)
    assert r.ok
    r, _ = await do(session, f"click [{find(obs, 'link', 'Download report')}]", obs)
    obs = await session.observe()
    assert any("Hello from alert" in n for n in obs.notices)
    assert any("downloaded report.txt" in n for n in obs.notices)
    assert (session.downloads_dir / "report.txt").read_text() == "report body\n"


async def test_errors_are_typed_and_readable(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    r, _ = await do(session, "click [99999]", obs)
    assert not r.ok and r.error_kind == "unknown_element" and "[99999]" in r.error
    r, _ = await do(session, f"type [{find(obs, 'button', 'Press me')}] [x] [0]", obs)
    assert not r.ok and r.error_kind == "not_actionable" and "not a text field" in r.error
    r, _ = await do(session, f"select [{find(obs, 'combobox', 'Colour')}] [Purple]", obs)
    assert not r.ok and "Red; Green; Blue" in r.error
    r, _ = await do(session, f"click [{find(obs, 'button', 'Cannot press')}]", obs)
    assert not r.ok and r.error_kind in ("timeout", "not_actionable")
    r, _ = await do(session, "goto [http://example.com/]", obs)
    assert not r.ok and r.error_kind == "disallowed_url"
    r, _ = await do(session, "tab_focus [7]", obs)
    assert not r.ok and r.error_kind == "bad_tab"
    r, _ = await do(session, "close_tab", obs)
    assert not r.ok and r.error_kind == "bad_tab"
    # an element removed after the observation
    pid = find(obs, "button", "Press me")
    await session.page.evaluate("document.querySelector('button').remove()")
    r, _ = await do(session, f"click [{pid}]", obs)
    assert not r.ok and r.error_kind == "not_actionable" and "no longer on the page" in r.error


async def test_links_outside_the_allowed_domains_are_blocked(session, site):
    await session.goto(site.url + "/index.html")
    await session.page.evaluate("""document.body.insertAdjacentHTML('afterbegin',
        '<a id=out href="http://localhost:' + location.port + '/about.html">Elsewhere</a>')""")
    session.policy.allowed = ["127.0.0.1"]
    try:
        obs = await session.observe()
        r, _ = await do(session, f"click [{find(obs, 'link', 'Elsewhere')}]", obs)
        obs = await session.observe()
        assert obs.url.startswith(site.url) and any("blocked navigation to localhost" in n for n in obs.notices)
        # the cross-origin iframe from localhost still loads: only top-level navigation is guarded
        assert sum(1 for e in obs.elements.values() if e.name == "Frame button") == 2
    finally:
        session.policy.allowed = ["127.0.0.1", "localhost"]


async def test_navigation_timeout_and_crashed_page(session, site):
    from webagent.errors import NavigationError
    session.config.navigation_timeout_ms = 1000
    session.context.set_default_navigation_timeout(1000)
    try:
        with pytest.raises(NavigationError, match="did not load in time"):
            await session.goto(site.url + "/slow?s=3")
    finally:
        session.config.navigation_timeout_ms = 30_000
        session.context.set_default_navigation_timeout(30_000)
    await session.goto(site.url + "/about.html")
    try:
        await session.page.goto("chrome://crash", timeout=3000)
    except Exception:  # noqa: BLE001 - the renderer dies mid-navigation
        pass
    obs = await session.observe()
    assert "About us" in obs.text and obs.url.endswith("/about.html")
    assert any("crashed" in n for n in obs.notices)


async def test_a_crashed_page_whose_address_no_longer_loads_is_a_notice(session):
    """The crashed tab's site went away meanwhile: the agent reads why the page could not be reloaded, on a blank
    tab, and can go on (the reload's NavigationError used to escape observe() and end the run as crashed)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    gone = threading.Event()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if gone.is_set():  # (a socket Chromium opened ahead of time may still be served: answer nothing)
                return
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.end_headers()
            self.wfile.write(b"<title>Gone soon</title><h1>Here for now</h1>")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/page"
    try:
        await session.goto(url)
    finally:
        gone.set()
        server.shutdown()
        server.server_close()
    try:
        await session.page.goto("chrome://crash", timeout=3000)
    except Exception:  # noqa: BLE001 - the renderer dies mid-navigation
        pass
    obs = await session.observe()
    assert obs.url == "about:blank", (obs.notices, obs.text[:300])
    said = [n for n in obs.notices if "crashed" in n]
    assert said and "could not be reloaded" in said[0] and str(server.server_port) in said[0], obs.notices


async def test_navigation_started_by_a_page_script_is_waited_for(session, site):
    await session.goto(site.url + "/autosubmit.html")
    obs = await session.observe()
    r, _ = await do(session, f"select [{find(obs, 'combobox', 'Sort by')}] [price]", obs)
    assert r.ok and "/about.html?sort=price" in r.url_after
