"""The gymnasium environment on a bundled task, in the real browser against the real shop: gymnasium's own env
checker, and a scored episode through the async variant (gold actions, so it proves the plumbing and the reward,
not an agent). The README's random agent and async example run in tests/test_readme.py."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from webagent.tasks.gym import BundledTask

import webagent.env  # noqa: F401 - registers webagent/<task_id>
from webagent.env import AsyncWebEnv
from webagent.trajectory import load


def _listening(url: str) -> bool:
    p = urlsplit(url)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((p.hostname, p.port)) == 0


def _element(obs: dict, role: str, name: str) -> int:
    found = [e["id"] for e in obs["elements"] if e["role"] == role and e["name"] == name]
    assert found, f"no {role} {name!r} in {[(e['role'], e['name']) for e in obs['elements']][:40]}"
    return found[0]


def test_check_env_on_a_bundled_task():
    env = gymnasium.make("webagent/shop_001", max_steps=3)
    try:
        check_env(env.unwrapped)
        obs1, info = env.reset(seed=123)
        obs2, _ = env.reset(seed=123)
        assert obs1["text"] == obs2["text"] and obs1["url"] == obs2["url"]  # freshly reset sites, ids from 1
        assert [e["id"] for e in obs1["elements"]][:3] == [1, 2, 3]
        assert obs1["screenshot"].shape == (720, 1280, 3) and obs1["screenshot"].std() > 0
        assert info["intent"] == "What is the price of the Ostara Max Laptop Mini?"
        site = env.unwrapped.env.task.group.urls["shop"]
        assert _listening(site)
    finally:
        env.close()
    assert not _listening(site)  # close() stopped the sites


async def test_async_env_scores_a_gold_episode_and_truncates(tmp_path):
    env = AsyncWebEnv(BundledTask("shop_001"), max_steps=4, record_dir=tmp_path)
    try:
        obs, info = await env.reset(seed=0)
        assert obs in env.observation_space
        obs, reward, terminated, truncated, info = await env.step("click [99999]")
        assert (reward, terminated, truncated) == (0.0, False, False)
        assert info["error_kind"] == "unknown_element" and "[99999]" in obs["last_action_error"]
        box = _element(obs, "searchbox", "Search")
        obs, reward, *_, info = await env.step(f"type [{box}] [Ostara Max Laptop Mini] [1]")
        assert info["ok"] and obs["last_action_error"] == "" and "q=Ostara" in obs["url"]
        link = _element(obs, "link", "Ostara Max Laptop Mini")
        obs, reward, terminated, truncated, info = await env.step(f"click [{link}]")
        assert not terminated and reward == 0.0
        obs, reward, terminated, truncated, info = await env.step("stop [$1,478.99]")
        assert (reward, terminated, truncated) == (1.0, True, False)
        assert info["answer"] == "$1,478.99" and info["evaluation"]["score"] == 1.0
        with pytest.raises(gymnasium.error.ResetNeeded):
            await env.step("scroll [down]")

        env.max_steps = 1  # the budget: truncated after max_steps, scored without an answer
        await env.reset()
        obs, reward, terminated, truncated, info = await env.step("scroll [down]")
        assert (reward, terminated, truncated) == (0.0, False, True) and info["evaluation"]["score"] == 0.0
    finally:
        await env.close()
    first = load(tmp_path / "episode_0001" / "trajectory.jsonl")
    assert first.complete and first.answer == "$1,478.99" and first.score == 1.0
    assert [s.action for s in first.steps][-1] == "stop [$1,478.99]" and len(first.steps) == 4
    second = load(tmp_path / "episode_0002" / "trajectory.jsonl")
    assert second.status == "max_steps" and len(second.steps) == 1
