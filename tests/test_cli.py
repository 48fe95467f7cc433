"""The `webagent` command: the main job end to end, and one clear line with exit status 2 for each bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.fake_openai import FakeOpenAI
from tests.scripted import act, closed_port

WEBAGENT = [sys.executable, "-m", "webagent"]


def run_cli(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "WEBAGENT_MODEL")}
    e.update(env or {})
    return subprocess.run([*WEBAGENT, *args], capture_output=True, text=True, timeout=timeout, env=e)


def assert_clean_error(proc: subprocess.CompletedProcess, *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert err and err[-1].startswith("webagent: error:"), proc.stderr
    for w in words:
        assert w.lower() in err[-1].lower(), err[-1]


def test_run_completes_a_task_through_an_openai_compatible_endpoint(site, tmp_path):
    replies = [
        act("click [{id}]", "link", "Order form"),
        act("type [{id}] [Bob] [0]", "textbox", "Your name"),
        act("click [{id}]", "button", "Place order"),
        "The page says thanks.\n```\nstop [Thanks, Bob]\n```",
    ]
    with FakeOpenAI(replies, api_key="sk-test-123") as llm:
        proc = run_cli("run", "--url", site.url + "/index.html", "--task", "order for Bob", "--model", "gpt-fake",
                       "--base-url", llm.base_url, "--max-steps", "6", "--out", str(tmp_path / "run"),
                       env={"OPENAI_API_KEY": "sk-test-123"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert sum(1 for line in lines if line.startswith("step ")) == 4
    assert "answer: Thanks, Bob" in proc.stdout
    assert site.app.config["orders"][-1][0] == "Bob"
    text = (tmp_path / "run" / "trajectory.jsonl").read_text()
    assert "sk-test-123" not in text
    footer = json.loads(text.splitlines()[-1])
    assert footer["status"] == "answered" and footer["usage"]["prompt_tokens"] > 0


def test_out_of_steps_exits_1(site, tmp_path):
    with FakeOpenAI(["scroll [down]", "scroll [up]"]) as llm:
        proc = run_cli("run", "--url", site.url + "/index.html", "--task", "t", "--model", "m",
                       "--base-url", llm.base_url, "--max-steps", "2", "--out", str(tmp_path / "r"))
    assert proc.returncode == 1, proc.stderr
    assert "status: max_steps" in proc.stdout


def test_bad_url_unreachable_site_and_missing_browser(site, tmp_path):
    with FakeOpenAI([]) as llm:
        common = ["--task", "t", "--model", "m", "--base-url", llm.base_url]  # one run directory per run
        assert_clean_error(run_cli("run", "--url", "htp://bad url", *common, "--out", str(tmp_path / "x1")), "url")
        assert_clean_error(run_cli("run", "--url", f"http://127.0.0.1:{closed_port()}/", *common,
                                   "--out", str(tmp_path / "x2")), "cannot open", "connection refused")
        assert not (tmp_path / "x2").exists()  # a run that fails in set-up leaves no run directory
        assert_clean_error(run_cli("run", "--url", site.url, *common, "--out", str(tmp_path / "x3"),
                                   env={"WEBAGENT_CHROMIUM": "/nonexistent/chrome"}), "WEBAGENT_CHROMIUM")


def test_llm_endpoint_down_wrong_key_and_missing_config(site, tmp_path):
    base = ["run", "--url", site.url + "/index.html", "--task", "t", "--model", "m"]
    proc = run_cli(*base, "--base-url", f"http://127.0.0.1:{closed_port()}/v1", "--out", str(tmp_path / "down"))
    assert_clean_error(proc, "127.0.0.1")
    records = [json.loads(x) for x in (tmp_path / "down" / "trajectory.jsonl").read_text().splitlines()]
    assert records[0]["type"] == "header" and records[-1]["status"] == "llm_error"
    with FakeOpenAI([], api_key="right-key") as llm:
        proc = run_cli(*base, "--base-url", llm.base_url, "--api-key", "wrong-key", "--out", str(tmp_path / "k"))
    assert_clean_error(proc, "key")
    assert "wrong-key" not in proc.stderr + proc.stdout
    assert_clean_error(run_cli(*base), "OPENAI_API_KEY")


def test_observe_prints_text_and_json(site, tmp_path):
    proc = run_cli("observe", site.url + "/index.html")
    assert proc.returncode == 0, proc.stderr
    assert "button 'Press me'" in proc.stdout
    shot = tmp_path / "shot.png"
    proc = run_cli("observe", site.url + "/index.html", "--format", "json", "--screenshot", str(shot))
    data = json.loads(proc.stdout)
    el = next(e for e in data["elements"] if e["name"] == "Press me")
    assert el["role"] == "button" and len(el["bbox"]) == 4 and el["frame"] == ""
    assert any(e["frame"] == "1" for e in data["elements"])
    assert shot.stat().st_size > 1000
    assert_clean_error(run_cli("observe", "http://"), "url")
