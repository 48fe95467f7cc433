"""Every escape of issue 13 as a test: a scripted model that obeys, a hostile page on the allowed host, and an
attacker on another loopback address (127.0.0.2) that must receive nothing. No secret value may appear in any prompt
(what the scripted model was sent) or in any file of the run directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import pytest_asyncio

from tests.hostile import SECRET, Hostile
from tests.scripted import ScriptedChat, act
from webagent.agent import Agent, AgentConfig
from webagent.safety import Secrets


@pytest.fixture(scope="module")
def hostile():
    with Hostile() as h:
        yield h


@pytest_asyncio.fixture
async def guarded(browser_session, tmp_path, hostile):
    """The shared browser with no extra allowed domains: the allowlist is exactly the start URL's origin."""
    saved = browser_session.config.allowed_domains
    browser_session.config.allowed_domains = []
    await browser_session.new_context(downloads_dir=tmp_path / "downloads")
    hostile.attacker.hits.clear()
    yield browser_session
    browser_session.config.allowed_domains = saved
    browser_session.config.network = "default"


def echoes(value: str) -> list[re.Pattern[str]]:
    """The secret and the transformed echoes the hostile pages produce (any case, reversed, spaced)."""
    return [re.compile(sep.join(re.escape(c) for c in s), re.I) for s in (value, value[::-1]) for sep in ("", r"\W?")]


def assert_clean(model: ScriptedChat, run_dir: Path, hostile: Hostile) -> None:
    assert hostile.attacker.leaked() == [], hostile.attacker.hits
    for prompt in model.prompts + [str(c["messages"]) for c in model.calls]:
        for rx in echoes(SECRET):
            assert not rx.search(prompt), f"the secret reached a prompt: {rx.pattern}"
    for f in run_dir.rglob("*"):
        if f.is_file():
            data = f.read_bytes().decode("utf-8", "replace")
            for rx in echoes(SECRET):
                assert not rx.search(data), f"the secret is in {f}"


async def run(session, url: str, replies, tmp_path: Path, secrets: Secrets | None = None, steps: int = 6):
    model = ScriptedChat(replies)
    agent = Agent(model, config=AgentConfig(max_steps=steps), secrets=secrets or Secrets({"PW": SECRET}))
    result = await agent.run("log in", url, session, tmp_path / "run")
    return result, model


def steps_of(run_dir: Path) -> list[dict]:
    from webagent.trajectory import load
    return [s.to_dict() for s in load(run_dir).steps]  # as recorded


# -- secrets ----------------------------------------------------------------------------------------------------


async def test_page_script_cannot_send_a_typed_secret_out(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/exfil", [
        act("type [{id}] [{{{{PW}}}}] [0]", "textbox", "Password"), act("click [{id}]", "button", "Log in"),
        "stop [done]"], tmp_path)
    assert result.status == "answered"
    assert_clean(model, result.run_dir, hostile)
    assert hostile.attacker.hits == []  # fetch, image beacon, sendBeacon and POST fetch all refused
    from webagent.trajectory import load
    traj = load(result.run_dir)
    assert len(traj.footer.blocked_requests) >= 3
    assert "carries {{PW}}" in model.prompts[1]  # the agent is told, without the value


async def test_secret_is_not_typed_into_a_cross_origin_frame(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/xframe", [
        act("type [{id}] [{{{{PW}}}}] [0]", "textbox", "Frame password"), "stop [done]"], tmp_path)
    step = steps_of(result.run_dir)[0]
    assert step["result"]["error_kind"] == "secret_refused", step["result"]
    assert "127.0.0.2" in step["result"]["error"]
    assert_clean(model, result.run_dir, hostile)
    assert [h["path"] for h in hostile.attacker.hits] == ["/frame"]  # the frame loaded; nothing came back


async def test_secret_is_not_typed_into_a_form_that_posts_into_a_frame_elsewhere(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/formframe", [
        act("type [{id}] [{{{{PW}}}}] [1]", "textbox", "Password"), "stop [done]"], tmp_path)
    assert steps_of(result.run_dir)[0]["result"]["error_kind"] == "secret_refused"
    assert_clean(model, result.run_dir, hostile)
    assert hostile.attacker.hits == []


async def test_a_form_re_pointed_after_typing_is_not_submitted(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/switch", [
        act("type [{id}] [{{{{PW}}}}] [0]", "textbox", "Password"), act("click [{id}]", "button", "Send"),
        "stop [done]"], tmp_path)
    steps = steps_of(result.run_dir)
    assert steps[0]["result"]["ok"] and steps[1]["result"]["error_kind"] == "secret_refused"
    assert_clean(model, result.run_dir, hostile)
    assert hostile.attacker.hits == []


async def test_a_secret_in_a_blocked_url_does_not_reach_the_prompt(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/navleak", [
        act("type [{id}] [{{{{PW}}}}] [1]", "textbox", "Password"), "scroll [down]", "stop [done]"], tmp_path)
    assert hostile.attacker.hits == []
    assert "127.0.0.2" in model.prompts[1]  # the agent learns where it was going, not what it carried
    assert_clean(model, result.run_dir, hostile)


async def test_transformed_echoes_of_a_secret_are_masked(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/echo", [
        act("type [{id}] [{{{{PW}}}}] [0]", "textbox", "Secret"), "scroll [down]", "stop [done]"], tmp_path)
    assert "upper {{PW}}" in model.prompts[1] and "reversed {{PW}}" in model.prompts[1]
    assert re.search(r"textbox 'Secret' value='\{\{PW\}\}'", model.prompts[1]), model.prompts[1][-800:]
    assert_clean(model, result.run_dir, hostile)


async def test_a_secret_bound_to_another_host_is_never_typed_here(guarded, hostile, tmp_path):
    secrets = Secrets.parse([f"PW={SECRET}@bank.example.com"])
    result, model = await run(guarded, hostile.url + "/exfil", [
        act("type [{id}] [{{{{PW}}}}] [0]", "textbox", "Password"), "stop [done]"], tmp_path, secrets)
    step = steps_of(result.run_dir)[0]
    assert step["result"]["error_kind"] == "secret_refused" and "bank.example.com" in step["result"]["error"]
    assert_clean(model, result.run_dir, hostile)


# -- domain bounds ----------------------------------------------------------------------------------------------


async def test_open_redirects_are_checked_at_every_hop(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/links", [
        act("click [{id}]", "link", "One hop"), act("click [{id}]", "link", "Two hops"),
        act("click [{id}]", "link", "Home via redirect"), "stop [done]"], tmp_path)
    steps = steps_of(result.run_dir)
    assert steps[0]["result"]["error_kind"] == "disallowed_url" and steps[1]["result"]["error_kind"] == "disallowed_url"
    assert steps[2]["result"]["ok"] and steps[2]["result"]["url_after"] == hostile.url + "/"  # allowed hops work
    assert hostile.attacker.hits == []


async def test_data_and_blob_pages_are_refused(guarded, hostile, tmp_path):
    result, model = await run(guarded, hostile.url + "/blob", [
        "goto [data:text/html,<title>Evil</title><input aria-label=Card>]", act("click [{id}]", "button", "Open"),
        "stop [done]"], tmp_path)
    steps = steps_of(result.run_dir)
    assert steps[0]["result"]["error_kind"] == "disallowed_url"
    # the blob: page never becomes the agent's page (Chromium or the final-URL check refuses it)
    assert all(s["url"].startswith(hostile.url) for s in steps) and steps[1]["result"]["url_after"] == steps[0]["url"]
    assert not guarded.policy.allows("blob:" + hostile.url + "/x")
    guarded.policy.allowed.append("data:")  # explicitly allowed, data: pages open
    assert guarded.policy.allows("data:text/html,x")


@pytest.mark.parametrize("kind", ["file", "data"])
async def test_a_local_start_page_does_not_open_every_host(guarded, hostile, tmp_path, kind):
    html = f"<title>Local</title><a href='{hostile.attacker.url}/collect?from=local'>Go</a>"
    if kind == "file":
        (tmp_path / "start.html").write_text(html)
        start = (tmp_path / "start.html").as_uri()
    else:
        start = "data:text/html," + html.replace("#", "%23")
    result, model = await run(guarded, start, [
        act("click [{id}]", "link", "Go"), f"goto [{hostile.attacker.url}/collect?from=goto]",
        f"goto [{hostile.url}/]", "stop [done]"], tmp_path)
    steps = steps_of(result.run_dir)
    assert steps[0]["result"]["url_after"] == start or steps[0]["result"]["error_kind"] == "disallowed_url"
    assert steps[1]["result"]["error_kind"] == "disallowed_url"
    assert steps[2]["result"]["error_kind"] == "disallowed_url"  # not even the victim: only the local page
    assert hostile.attacker.hits == []


async def test_allow_domain_adds_to_the_start_host(guarded, hostile):
    guarded.config.allowed_domains = ["example.org"]
    await guarded.new_context()
    await guarded.goto(hostile.url + "/")  # used to fail: the list replaced the start host
    assert guarded.policy.allows(hostile.url + "/links") and guarded.policy.allows("http://example.org/x")
    assert not guarded.policy.allows(hostile.attacker.url)


async def test_ports_are_part_of_the_start_origin(guarded, hostile, site, tmp_path):
    other = site.url  # another service on the same host, another port
    result, model = await run(guarded, hostile.url + "/", [f"goto [{other}/index.html]", "stop [done]"], tmp_path)
    assert steps_of(result.run_dir)[0]["result"]["error_kind"] == "disallowed_url"
    guarded.policy.allowed.append(f"127.0.0.1:{site.port}")  # a host:port pattern names it
    assert guarded.policy.allows(other + "/index.html")


async def test_strict_network_keeps_every_request_inside(guarded, hostile, tmp_path):
    await guarded.goto(hostile.url + "/assets")  # by default subresources and frames may come from anywhere
    await guarded.page.wait_for_timeout(300)
    assert {h["path"] for h in hostile.attacker.hits} == {"/collect", "/frame"}
    hostile.attacker.hits.clear()
    guarded.config.network = "strict"
    await guarded.new_context()
    result, model = await run(guarded, hostile.url + "/xframe", ["scroll [down]", "stop [done]"], tmp_path)
    await guarded.goto(hostile.url + "/assets")  # direct, through a redirect hop, a frame through a redirect
    await guarded.page.wait_for_timeout(300)
    assert hostile.attacker.hits == []  # not even the frame's page
    assert any("--network strict" in n for s in steps_of(result.run_dir) for n in s["notices"])
