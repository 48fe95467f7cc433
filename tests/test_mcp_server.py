"""`webagent mcp` through the MCP SDK's own client over stdio: the server is spawned as `python -m webagent mcp`
and drives a real Chromium against the fixture site. Only the LLM of `run_task` is replaced, by a scripted
OpenAI-compatible server (a double that knows the answer: it proves the plumbing, not an agent's quality)."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from tests.fake_openai import FakeOpenAI
from tests.scripted import act, closed_port, id_of
from webagent.trajectory import load

REPO = Path(__file__).resolve().parents[1]
TOOLS = {"open", "observe", "act", "tabs", "switch_tab", "run_task"}


def _text(result) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def _id(text: str, role: str, name: str) -> int:
    return id_of(text, role, name)


async def test_mcp_tools_over_stdio(site, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[[rule]]\neffect = "deny"\nverbs = ["click"]\nname = "^Press me$"\nreason = "no pressing"\n')
    runs = tmp_path / "runs"
    replies = [act("click [{id}]", "link", "About us"), "stop [About this fixture]"]
    with FakeOpenAI(replies) as llm:
        params = StdioServerParameters(
            command=sys.executable, cwd=str(REPO),
            args=["-m", "webagent", "mcp", "--out", str(runs), "--secret", "PW=hunter2-secret", "--policy",
                  str(policy), "--base-url", llm.base_url, "--model", "scripted", "--max-steps", "4"])
        async with Client(params, read_timeout_seconds=120) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            assert TOOLS <= tools

            # a first page that does not open (nothing listens there) does not fix the allowlist
            res = await client.call_tool("open", {"url": f"http://127.0.0.1:{closed_port()}/"})
            assert res.is_error and "connection refused" in _text(res)
            # open, with the fence around the page
            res = await client.call_tool("open", {"url": site.url + "/"})
            assert not res.is_error, _text(res)
            text = _text(res)
            token = re.search(r"<<<PAGE ([0-9a-f]+)", text).group(1)
            assert f"{token} PAGE>>>" in text and "Welcome to the fixture" in text

            # observe with a screenshot and with set-of-marks
            res = await client.call_tool("observe", {"screenshot": True})
            images = [c for c in res.content if c.type == "image"]
            assert len(images) == 1 and images[0].mime_type == "image/jpeg" and len(images[0].data) > 1000
            res = await client.call_tool("observe", {"set_of_marks": True})
            assert [c.type for c in res.content] == ["text", "image"]
            page = _text(res)

            # act: a secret typed as {{PW}} is never read back; an unknown id and the policy are errors to read
            notes = _id(page, "textbox", "Notes")
            res = await client.call_tool("act", {"action": f"type [{notes}] [{{{{PW}}}}]"})
            assert _text(res).startswith("ok: type"), _text(res)
            assert "{{PW}}" in _text(res) and "hunter2-secret" not in _text(res)
            res = await client.call_tool("act", {"action": "click [9999]"})
            assert "error (unknown_element)" in _text(res)
            press = _id(_text(res), "button", "Press me")
            res = await client.call_tool("act", {"action": f"click [{press}]"})
            assert "error (policy_denied)" in _text(res) and "no pressing" in _text(res)
            res = await client.call_tool("act", {"action": "clik [3]"})
            assert "error (parse_error)" in _text(res)

            # the allowlist: the first page's origin only
            res = await client.call_tool("open", {"url": "http://127.0.0.2:9/"})
            assert res.is_error and "outside the allowed domains" in _text(res)
            res = await client.call_tool("act", {"action": "goto [http://127.0.0.2:9/]"})
            assert "error (disallowed_url)" in _text(res)

            # tabs: a target=_blank link opens a second tab, switch back
            details = _id(_text(res), "link", "Open details")
            res = await client.call_tool("act", {"action": f"click [{details}]"})
            tabs = _text(await client.call_tool("tabs", {}))
            assert len(tabs.splitlines()) == 2 and tabs.splitlines()[1].startswith("* [1]"), tabs
            res = await client.call_tool("switch_tab", {"index": 0})
            assert "Switched to tab 0" in _text(res) and "Welcome to the fixture" in _text(res)
            res = await client.call_tool("switch_tab", {"index": 7})
            assert res.is_error and "there is no tab 7" in _text(res)

            # run_task: the server's agent and planner, with the scripted model
            res = await client.call_tool("run_task", {"task": "Open the About page and say what it is about",
                                                      "url": site.url + "/"})
            out = _text(res)
            assert "status: answered" in out and "answer: About this fixture" in out, out
            task_dir = Path(re.search(r"run directory: (.+)", out).group(1))
    # the session was recorded, with its footer written when the client closed the server
    sessions = sorted(runs.glob("*mcp-session*"))
    assert len(sessions) == 1
    traj = load(sessions[0] / "trajectory.jsonl")
    assert traj.complete and traj.status == "ended"
    actions = [s.action for s in traj.steps]
    assert actions[0].startswith(f"type [{notes}] [{{{{PW}}}}]") and "click [9999]" in actions
    errors = [s.result.error_kind for s in traj.steps]
    assert "policy_denied" in errors and "disallowed_url" in errors
    run = load(task_dir / "trajectory.jsonl")
    assert run.answer == "About this fixture" and run.steps[0].action.startswith("click [")
    for f in runs.rglob("*"):
        if f.is_file():
            assert b"hunter2-secret" not in f.read_bytes(), f


def test_without_the_sdk_the_command_names_the_extra(monkeypatch, capsys):
    from webagent.cli import main

    for name in [m for m in sys.modules if m == "mcp" or m.startswith("mcp.")] + ["mcp"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if the SDK were not installed
    monkeypatch.delitem(sys.modules, "webagent.mcp_server", raising=False)
    assert main(["mcp"]) == 2
    err = capsys.readouterr().err
    assert err == "webagent: error: webagent mcp needs the MCP Python SDK: pip install 'webagent[mcp]'\n"


async def test_streamable_http_on_loopback(tmp_path):
    port = closed_port()
    proc = subprocess.Popen([sys.executable, "-m", "webagent", "mcp", "--http", "--port", str(port), "--out",
                             str(tmp_path)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(300):  # until it listens (imports and start-up on a loaded machine take seconds)
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read().decode()
            await asyncio.sleep(0.1)
        async with Client(f"http://127.0.0.1:{port}/mcp") as client:
            assert TOOLS <= {t.name for t in (await client.list_tools()).tools}
            res = await client.call_tool("observe", {})
            assert res.is_error and "no page is open" in _text(res)
    finally:
        proc.terminate()
        proc.wait(10)
