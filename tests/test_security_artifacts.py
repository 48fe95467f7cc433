"""Artifacts and replay as attack surface: a crafted trajectory or results.jsonl, a broken LLM endpoint. Each gives
one clear line (exit 2), never a traceback, never a file read or written outside where the user pointed."""

from __future__ import annotations

import json
import threading

from flask import Flask
from werkzeug.serving import make_server

from tests.test_cli import assert_clean_error, run_cli


def _traj(d, start_url="http://127.0.0.1:9/", steps=None, footer=True):
    d.mkdir(parents=True, exist_ok=True)
    recs = [{"type": "header", "format": 2, "task": {"intent": "x", "start_url": start_url}, "config": {}}]
    recs += steps if steps is not None else [{"type": "step", "step": 1, "url": start_url, "observation": "",
                                               "action": "stop [x]", "result": {"ok": True}}]
    if footer:
        recs.append({"type": "footer", "status": "answered", "answer": "x", "steps": 1})
    (d / "trajectory.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    return d


def test_replay_of_a_crafted_file_start_url_reads_nothing(tmp_path):
    run = _traj(tmp_path / "evil", "file:///etc/passwd")
    proc = run_cli("replay", str(run))
    assert_clean_error(proc, "file:", "--allow-domain file:")
    assert "root:" not in proc.stdout + proc.stderr


def test_view_of_a_benchmark_writes_only_under_it(tmp_path):
    outside = _traj(tmp_path / "outside")
    bench = tmp_path / "bench"
    inside = _traj(bench / "t1")
    (bench / "results.jsonl").write_text(json.dumps({"task_id": "o", "run_dir": str(outside)}) + "\n"
                                         + json.dumps({"task_id": "t1", "run_dir": "t1"}) + "\n")
    (bench / "t2").symlink_to(outside, target_is_directory=True)
    proc = run_cli("view", str(bench))
    assert proc.returncode == 0, proc.stderr
    assert (inside / "view.html").exists() and not (outside / "view.html").exists()


def test_wrongly_typed_fields_and_deep_nesting_are_one_line_errors(tmp_path):
    bad = _traj(tmp_path / "typed", steps=[{"type": "step", "step": 1, "url": "http://x/", "observation": "",
                                            "action": "stop [x]", "result": "ok", "screenshot": 7}])
    for cmd in ("view", "replay"):
        assert_clean_error(run_cli(cmd, str(bad)), "line 2", "'result'", "should be dict")
    nested = _traj(tmp_path / "deep", steps=[{"type": "step", "step": 1, "url": "http://x/", "observation": "",
                                              "action": "stop [x]", "result": {"ok": True}, "search_tree": None}])
    lines = (nested / "trajectory.jsonl").read_text().splitlines()
    lines[1] = lines[1].replace('"search_tree": null', '"search_tree": ' + "[" * 3000 + "]" * 3000)
    (nested / "trajectory.jsonl").write_text("\n".join(lines) + "\n")
    for cmd in ("view", "replay"):
        assert_clean_error(run_cli(cmd, str(nested)), "line 2", "nested")
    mid = _traj(tmp_path / "mid", steps=[{"type": "step", "step": 1, "url": "http://x/", "observation": "",
                                          "action": "stop [x]", "result": {"ok": True},
                                          "search_tree": json.loads("[" * 500 + "]" * 500)}])
    assert_clean_error(run_cli("view", str(mid)), "line 2", "nested more than")


def test_an_llm_endpoint_answering_200_with_html_is_one_line_and_the_run_keeps_its_footer(site, tmp_path):
    app = Flask("not-an-llm")

    @app.post("/v1/chat/completions")
    def html():
        return "<html><body>Welcome to nginx!</body></html>", 200, {"Content-Type": "text/html"}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        proc = run_cli("run", "--url", site.url + "/index.html", "--task", "t", "--model", "m", "--base-url",
                       f"http://127.0.0.1:{server.server_port}/v1", "--out", str(tmp_path / "run"),
                       env={"OPENAI_API_KEY": "k"})
    finally:
        server.shutdown()
    assert_clean_error(proc, "not a chat completion")
    last = json.loads((tmp_path / "run" / "trajectory.jsonl").read_text().splitlines()[-1])
    assert last["type"] == "footer" and last["status"] == "llm_error"
