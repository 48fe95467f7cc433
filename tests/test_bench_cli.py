"""`webagent bench`, `webagent eval` and `webagent sites` end to end through the command line."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def wa(*args: str, timeout: float = 400) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for k in ("SHOPPING", "SHOPPING_ADMIN", "REDDIT", "GITLAB", "WIKIPEDIA"):
        env.pop(k, None)
    return subprocess.run([sys.executable, "-m", "webagent", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO, env=env)


def test_bench_gold_two_tasks(tmp_path):
    out = tmp_path / "run"
    p = wa("bench", "--suite", "local", "--task", "shop_001", "admin_003", "--gold", "--out", str(out))
    assert p.returncode == 0, p.stderr
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert {r["task_id"] for r in results} == {"shop_001", "admin_003"}
    assert all(r["score"] == 1.0 and r["status"] == "answered" for r in results)
    assert set(results[0]) >= {"task_id", "site", "eval_types", "score", "status", "steps", "tokens", "seconds",
                               "answer"}
    assert "[1/2]" in p.stdout and "[2/2]" in p.stdout and "PASS" in p.stdout
    assert "overall" in p.stdout and "by site" in p.stdout and "by eval type" in p.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["overall"]["success_rate"] == 1.0
    for r in results:
        lines = Path(r["trajectory"]).read_text().splitlines()
        assert json.loads(lines[0])["type"] == "header" and json.loads(lines[-1])["type"] == "evaluation"


def test_bench_with_two_worker_processes(tmp_path):
    out = tmp_path / "pool"
    p = wa("bench", "--suite", "local", "--task", "wiki_001", "wiki_006", "forum_001", "--gold", "--workers", "2",
           "--out", str(out))
    assert p.returncode == 0, p.stderr
    results = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in results) == ["forum_001", "wiki_001", "wiki_006"]
    assert all(r["score"] == 1.0 for r in results)


def test_eval_scores_answer_and_url():
    shop = str(REPO / "tasks/suite/shop.json")
    p = wa("eval", "--task", shop, "--task-id", "shop_001", "--answer", "It is $1,478.99")
    assert p.returncode == 0 and "score: 1.0" in p.stdout, p.stdout + p.stderr
    p = wa("eval", "--task", shop, "--task-id", "shop_001", "--answer", "$1,000")
    assert p.returncode == 1 and "score: 0.0" in p.stdout
    p = wa("eval", "--task", shop, "--task-id", "shop_018", "--site-url", "SHOPPING=http://s:1",
           "--url", "http://s:1/catalogsearch/result/?q=yoga+mat")
    assert p.returncode == 0, p.stdout + p.stderr
    p = wa("eval", "--task", shop, "--task-id", "shop_027", "--answer", "N/A")
    assert p.returncode == 0


def test_bad_input_exits_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    p = wa("bench", "--suite", str(bad), "--gold")
    assert p.returncode == 2 and "bad.json: not valid JSON" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    ph = tmp_path / "ph.json"
    ph.write_text(json.dumps({"task_id": 1, "sites": ["shopping"], "start_url": "__SHOP__/", "intent": "x",
                              "eval": {"eval_types": ["url_match"], "reference_url": "__SHOPPING__/"}}))
    p = wa("eval", "--task", str(ph), "--url", "http://x/")
    assert p.returncode == 2 and "unknown placeholder __SHOP__" in p.stderr
    p = wa("bench", "--suite", "local", "--site", "myspace", "--gold")
    assert p.returncode == 2 and "unknown site 'myspace'" in p.stderr
    p = wa("bench", "--suite", "local", "--task", "nope_1", "--gold")
    assert p.returncode == 2 and "nope_1" in p.stderr
    p = wa("sites", "up", "--site", "myspace")
    assert p.returncode == 2 and "unknown site" in p.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        p = wa("sites", "up", "--site", "wiki", "--port", str(port))
    assert p.returncode == 2 and f"port {port} is already in use" in p.stderr
