"""MiniWoB++ as a bench suite (tasks/miniwob.py): every task of the installed `miniwob` package loads in one
browser context, starts its seeded episode, is observed and scored by its page; and simple tasks are solved through
the real bench command with scripted decisions read from the observation in the prompt.

The scripted decisions are task-specific rules (which element the utterance names), so the solved tasks prove the
plumbing (utterance -> observation -> action -> the page's own reward -> score), not an agent's quality."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace

import pytest
from webagent.observers import ObserveOptions
from webagent.tasks import miniwob as mw

from tests.fake_openai import FakeOpenAI
from tests.scripted import ScriptedChat
from tests.test_bench_cli import wa
from webagent.agent import Agent
from webagent.planner import ReactivePlanner
from webagent.runconfig import AgentConfig


@pytest.fixture(scope="module")
def pages():
    with mw.PageServer() as srv:
        yield srv


def test_package_tasks_listed():
    names = mw.task_names()
    assert len(names) >= 100 and "click-button" in names and "flight.AA" in names
    for n in names:
        assert (mw.html_dir() / mw.page_path(n)).is_file(), n
    eps = mw.load_suite(2, ["click-button", "enter-text.5"])
    assert [t.task_id for t in eps] == ["click-button.0", "click-button.1", "enter-text.5"]
    assert all(t.benchmark == "miniwob" and t.eval_types == [mw.EVAL_TYPE] for t in eps)


def test_unknown_task_and_bad_flags_are_one_line_errors():
    from webagent.tasks.runner import BenchConfig, plan_run

    from webagent.errors import BadInput
    with pytest.raises(BadInput, match="unknown MiniWoB\\+\\+ task 'click-buton'; did you mean"):
        mw.load_suite(1, ["click-buton"])
    with pytest.raises(BadInput, match="--seeds must be at least 1"):
        mw.load_suite(0)
    with pytest.raises(BadInput, match="--gold does not apply to --suite miniwob"):
        plan_run(BenchConfig(suite="miniwob", gold=True))
    with pytest.raises(BadInput, match="--seeds is for --suite miniwob"):
        plan_run(BenchConfig(suite="local", seeds=3))


async def test_every_task_runs_an_episode_that_stops_at_once(browser_session, pages, tmp_path):
    """One episode per task (seed 0) through the agent loop in one reused context: the page starts the episode
    and gives the utterance, the agent observes it and stops at once, the page's flags are read (not done: 0)."""
    s = browser_session
    await s.new_context()
    cfg = replace(AgentConfig(max_steps=1), observe=ObserveOptions(screenshot=False))
    figures: dict[str, tuple[float, int]] = {}
    for name in mw.task_names():
        t0 = time.perf_counter()
        task = mw.make_task(name, 0)
        utterance = await mw.begin(s, pages.url, task)
        assert utterance.strip(), name
        model = ScriptedChat(["stop []"])
        agent = Agent(model, mw.StopWhenDone(ReactivePlanner(), s.page), cfg)
        res = await agent.run(utterance, None, s, run_dir=tmp_path / task.task_id)
        assert res.status == "answered" and res.steps == 1, (name, res.reason)
        assert f"TASK: {utterance}" in model.prompts[0] and "PAGE:" in model.prompts[0], name
        reward = await mw.read_reward(s.page)
        assert not reward.done and reward.raw == 0 and reward.limit_ms and not reward.note, (name, reward)
        ev = mw.evaluation(reward)
        assert ev.score == 0.0 and "not done" in ev.checks[0].detail
        header = json.loads((tmp_path / task.task_id / "trajectory.jsonl").read_text().splitlines()[0])
        assert header["task"]["start_url"].endswith(mw.page_path(name)), name
        step = json.loads((tmp_path / task.task_id / "trajectory.jsonl").read_text().splitlines()[1])
        figures[name] = (time.perf_counter() - t0, len(re.findall(r"^\s*\[\d+\]", step["observation"], re.M)))
    no_ids = sorted(n for n, (_, ids) in figures.items() if ids == 0)
    total = sum(t for t, _ in figures.values())
    print(f"\n{len(figures)} tasks in {total:.1f} s (mean {total / len(figures):.2f} s); "
          f"{len(no_ids)} without any element id: {', '.join(no_ids)}")
    assert len(figures) == len(mw.task_names())


async def test_a_seed_gives_the_same_episode(browser_session, pages):
    """As in the package's environment, the seed decides the problem: the same seed twice gives the same utterance
    and page, another seed another problem."""
    s = browser_session
    await s.new_context()
    seen = []
    for seed in (0, 0, 1):
        utterance = await mw.begin(s, pages.url, mw.make_task("click-button", seed))
        text = (await s.observe(ObserveOptions(screenshot=False))).text
        seen.append((utterance, re.sub(r"\[\d+\]", "[id]", text)))  # ids go on counting in a context
    assert seen[0] == seen[1] and seen[0] != seen[2]
    assert seen[0][0] == 'Click on the "okay" button.'


async def test_done_page_stops_the_agent_and_scores(browser_session, pages, tmp_path):
    """The page ends the episode (a right click); the wrapped planner stops without asking the model again and the
    reward is the page's: raw 1, time-discounted in (0, 1]."""
    s = browser_session
    await s.new_context()
    utterance = await mw.begin(s, pages.url, mw.make_task("click-test", 0))
    assert utterance == "Click the button."
    model = ScriptedChat([decide])
    agent = Agent(model, mw.StopWhenDone(ReactivePlanner(), s.page), AgentConfig(max_steps=5))
    res = await agent.run(utterance, None, s, run_dir=tmp_path / "r")
    assert res.status == "answered" and res.steps == 2 and len(model.prompts) == 1
    r = await mw.read_reward(s.page)
    assert r.done and r.raw == 1.0 and 0 < r.reward <= 1.0 and r.reward < r.raw
    assert r.score == 1.0 and r.metrics() == {"raw_reward": 1.0, "reward": r.reward, "done": 1.0}


# ---------------------------------------------------------------------------------- the bench command, end to end

def _ids(prompt: str, role: str) -> list[tuple[int, str, str]]:
    """(id, name, states) of the elements with `role` in the observation of `prompt`."""
    return [(int(m.group(1)), m.group(2), m.group(3) or "") for m in
            re.finditer(rf"^\s*\[(\d+)\] {role}(?: '([^']*)')?(.*)$", prompt, re.M)]


def _named(prompt: str, role: str, name: str) -> int:
    for i, n, _ in _ids(prompt, role):
        if n == name:
            return i
    raise AssertionError(f"no {role} {name!r} in:\n{prompt}")


def decide(prompt: str) -> str:
    """A scripted decision for a few simple tasks, read from the prompt's task and observation only."""
    task = re.search(r"^TASK: (.*)$", prompt, re.M).group(1)
    if m := re.fullmatch(r'Click on the "(.+)" button\.', task):
        return f"click [{_named(prompt, 'button', m.group(1))}]"
    if m := re.fullmatch(r'Click on the link "(.+)"\.', task):  # links without href: a clickable `generic`
        return f"click [{_named(prompt, '(?:link|generic)', m.group(1))}]"
    if task == "Click the button.":
        return f"click [{_ids(prompt, 'button')[0][0]}]"
    if task == "Focus into the textbox.":
        return f"click [{_ids(prompt, 'textbox')[0][0]}]"
    if m := re.fullmatch(r'Enter "(.+)" into the text field and press Submit\.', task):
        box, _, states = _ids(prompt, "textbox")[0]
        if f"value='{m.group(1)}'" not in states:
            return f"type [{box}] [{m.group(1)}] [0]"
        return f"click [{_named(prompt, 'button', 'Submit')}]"
    if m := re.fullmatch(r"Select (.+) and click Submit\.", task):
        wanted = set() if m.group(1) == "nothing" else set(re.split(r", | and ", m.group(1)))
        for i, n, states in _ids(prompt, "checkbox"):
            if (n in wanted) != ("checked" in states.split()):
                return f"click [{i}]"
        return f"click [{_named(prompt, 'button', 'Submit')}]"
    raise AssertionError(f"no scripted rule for {task!r}")


SIMPLE = ["click-button", "click-link", "click-test", "focus-text", "enter-text", "click-checkboxes"]


def test_bench_solves_simple_tasks_with_scripted_decisions(tmp_path):
    out = tmp_path / "mw"
    with FakeOpenAI([decide] * 60) as llm:
        p = wa("bench", "--suite", "miniwob", "--task", *SIMPLE, "click-checkboxes-large.1", "--out", str(out),
               "--base-url", llm.base_url, "--model", "m", "--max-steps", "8")
    assert p.returncode == 0, p.stdout + p.stderr
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in results) == sorted([f"{n}.0" for n in SIMPLE] + ["click-checkboxes-large.1"])
    for r in results:
        assert not r["error"] and r["score"] == 1.0, r
        assert r["metrics"]["raw_reward"] == 1.0 and r["metrics"]["done"] == 1.0, r
        assert 0 <= r["metrics"]["reward"] < 1.0, r  # discounted for the time the episode took
        traj = [json.loads(x) for x in open(r["trajectory"]).read().splitlines()]
        assert traj[-1]["type"] == "evaluation" and traj[-1]["evaluation"]["score"] == 1.0
        last_step = [x for x in traj if x["type"] == "step"][-1]
        assert last_step["action"] == "stop []" and last_step["candidates"][0]["episode_done"]["raw_reward"] == 1
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["success_rate"] == 1.0 and summary["overall"]["metrics"]["raw_reward"] == 1.0
    assert set(summary["by_site"]) == {*SIMPLE, "click-checkboxes-large"} and "mean raw_reward 1.000" in p.stdout
    p = wa("bench", "--resume", str(out))  # the recorded configuration names the same episodes again
    assert p.returncode == 0 and "7 of 7 task(s) already have a result; running 0" in p.stdout, p.stdout + p.stderr


def test_bench_without_the_package_names_the_extra(tmp_path):
    """The flag says how to install what it needs (the package hidden from this one process by an empty path)."""
    import subprocess
    import sys
    code = ("import sys, importlib.machinery as m; sys.meta_path.insert(0, type('H', (), {'find_spec': "
            "staticmethod(lambda n, *a: m.ModuleSpec(n, None) if n == 'miniwob' else None)})()); "
            "from webagent.cli import main; sys.exit(main(['bench', '--suite', 'miniwob', '--out', sys.argv[1]]))")
    p = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "pip install 'webagent[miniwob]'" in p.stderr, p.stdout + p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()
