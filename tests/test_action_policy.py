"""The action policy file and --confirm: rules by verb, host, role, name, risk class and typed text; refusals are
errors the agent reads and the trajectory records; the committed path of a search planner goes through it too."""

from __future__ import annotations

import pytest

from tests.scripted import ScriptedChat, act
from webagent.action_policy import ActionPolicy
from webagent.agent import Agent, AgentConfig
from webagent.errors import BadInput
from webagent.trajectory import load


async def _run(session, site, policy, replies, tmp_path, planner=None):
    site.app.config["orders"].clear()
    session.action_policy = policy
    try:
        model = ScriptedChat(replies)
        result = await Agent(model, planner, AgentConfig(max_steps=5)).run(
            "order", site.url + "/form.html", session, tmp_path / "run")
    finally:
        session.action_policy = None
    return result, model, [s.to_dict() for s in load(result.run_dir).steps]  # as recorded


def _policy(tmp_path, text: str, name: str = "p.toml", **kw) -> ActionPolicy:
    (tmp_path / name).write_text(text)
    return ActionPolicy.load(tmp_path / name, **kw)


async def test_deny_by_default_allows_only_what_the_file_names(session, site, tmp_path):
    policy = _policy(tmp_path, 'default = "deny"\n[[rule]]\neffect = "allow"\nverbs = ["type", "stop"]\n'
                               'text = "^[A-Za-z ]+$"\nhosts = ["127.0.0.1"]\n')
    result, model, steps = await _run(session, site, policy, [
        act("type [{id}] [Ada] [0]", "textbox", "Your name"), act("type [{id}] [12345] [0]", "textbox", "Your name"),
        act("click [{id}]", "button", "Place order"), "stop [ok]"], tmp_path)
    assert steps[0]["result"]["ok"]
    assert steps[1]["result"]["error_kind"] == "policy_denied"  # the text pattern does not match digits
    assert steps[2]["result"]["error_kind"] == "policy_denied" and "default is deny" in steps[2]["result"]["error"]
    assert "action policy refuses" in model.prompts[3] and site.app.config["orders"] == []


async def test_confirm_irreversible_asks_and_no_means_no(session, site, tmp_path):
    asked: list[str] = []
    policy = ActionPolicy.load(None, confirm=["irreversible"])
    policy.confirm = lambda q: asked.append(q) or False
    reply = [act("type [{id}] [Bo] [0]", "textbox", "Your name"), act("click [{id}]", "button", "Place order"),
             "stop [ok]"]
    _, _, steps = await _run(session, site, policy, list(reply), tmp_path)
    assert steps[0]["result"]["ok"] and steps[1]["result"]["error_kind"] == "policy_denied"
    assert len(asked) == 1 and "Place order" in asked[0] and "irreversible" in asked[0]
    policy.confirm = lambda q: True
    _, _, steps = await _run(session, site, policy, list(reply), tmp_path / "2")
    assert steps[1]["result"]["ok"] and ("Bo", "Small") in site.app.config["orders"]


def test_no_terminal_means_no():
    from webagent.action_policy import ask_terminal
    assert ask_terminal("ok?") is False  # pytest's stdin is not a terminal


async def test_a_name_rule_on_a_search_planners_committed_path(session, site, tmp_path):
    from webagent.search.best_first import BestFirstPlanner
    policy = _policy(tmp_path, '{"rule": [{"effect": "deny", "roles": ["button"], "name": "(?i)place order",'
                               ' "reason": "no orders"}]}', "p.json")
    planner = BestFirstPlanner(branching=1, depth=1, samples=1)
    result, model, steps = await _run(session, site, policy, [
        act("click [{id}]", "button", "Place order"), "stop [ok]", "stop [ok]", "stop [ok]"], tmp_path, planner)
    denied = [s for s in steps if s["result"].get("error_kind") == "policy_denied"]
    assert denied and "no orders" in denied[0]["result"]["error"] and site.app.config["orders"] == []


@pytest.mark.parametrize("text,err", [
    ('default = "maybe"', "default must be"),
    ('[[rule]]\neffect = "allow"\nverb = ["click"]', "unknown key(s) verb"),
    ('[[rule]]\neffect = "allow"\nverbs = ["jump"]', "unknown verb(s) jump"),
    ('[[rule]]\neffect = "deny"\nname = "("', "not a valid regular expression"),
    ('[[rule]\n', "not valid TOML"),
])
def test_bad_policy_files_are_one_line_errors(tmp_path, text, err):
    with pytest.raises(BadInput) as e:
        _policy(tmp_path, text)
    assert err in str(e.value) and "\n" not in str(e.value)


async def test_the_terminal_question_leaves_the_event_loop_running(session, site, monkeypatch):
    """While `ask_terminal` waits for the user (on a real pseudo-terminal here), other coroutines (the run's
    watchdog, page deadlines) keep running: the answer comes from a coroutine that sees the question on screen,
    which a blocked loop would never reach before a fallback timer answers "n"."""
    import asyncio
    import io
    import os
    import pty
    import threading

    from webagent.action_policy import ask_terminal
    from webagent.actions import Action
    from webagent.errors import PolicyDenied

    await session.goto(site.url + "/form.html")
    obs = await session.observe()
    button = next(i for i, e in obs.elements.items() if e.role == "button" and "Place order" in e.name)
    master, slave = pty.openpty()
    tty, screen = os.fdopen(slave, "r"), io.StringIO()
    monkeypatch.setattr("sys.stdin", tty)
    monkeypatch.setattr("sys.stdout", screen)
    fallback = threading.Timer(3.0, os.write, (master, b"n\n"))
    fallback.start()
    policy = ActionPolicy.load(None, confirm=["irreversible"])
    assert policy.confirm is ask_terminal
    ticks = 0
    try:
        check = asyncio.ensure_future(policy.check(Action("click", id=button), obs))
        while "[y/N]" not in screen.getvalue() and ticks < 500:  # the user reads the question...
            ticks += 1
            await asyncio.sleep(0.01)
        seen = "[y/N]" in screen.getvalue() and not check.done()
        os.write(master, b"y\n")  # ...and answers yes
        await check
    except PolicyDenied as e:
        pytest.fail(f"the event loop was blocked while the question waited: {e}")
    finally:
        fallback.cancel()
        tty.close()
        os.close(master)
    assert seen and ticks >= 1 and "Place order" in screen.getvalue()
