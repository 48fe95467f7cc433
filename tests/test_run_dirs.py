"""One run per run directory, and the bench evaluation written through the recorder (redacted, fsynced)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.fake_openai import FakeOpenAI
from webagent import recorder as recorder_mod
from webagent.errors import BadInput
from webagent.recorder import Recorder, prepare_out
from webagent.records import Header


def test_a_recorder_never_appends_a_second_run(tmp_path):
    rec = Recorder(tmp_path / "r")
    rec.header(Header({"intent": "t"}))
    rec.close()
    with pytest.raises(BadInput, match="already holds a run; a recorder never appends a second one"):
        Recorder(tmp_path / "r")
    with pytest.raises(BadInput, match="already holds a run; choose another directory or pass --overwrite"):
        prepare_out(tmp_path / "r")
    assert prepare_out(tmp_path / "r", overwrite=True) == tmp_path / "r" and not (tmp_path / "r").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(BadInput, match="is not a run directory"):
        prepare_out(tmp_path / "mine", overwrite=True)
    assert (tmp_path / "mine" / "notes.txt").exists()


def test_two_runs_into_one_out_are_refused_in_one_line(site, tmp_path):
    out = tmp_path / "run"
    with FakeOpenAI(["stop [done]", "stop [done]"]) as llm:
        args = [sys.executable, "-m", "webagent", "run", "--url", site.url + "/", "--task", "t", "--out", str(out),
                "--model", "m", "--base-url", llm.base_url]
        first = subprocess.run(args, capture_output=True, text=True, timeout=180)
        assert first.returncode == 0, first.stderr
        second = subprocess.run(args, capture_output=True, text=True, timeout=180)
    assert second.returncode == 2 and "Traceback" not in second.stderr
    assert second.stderr.strip().count("\n") == 0 and "already holds a run" in second.stderr
    lines = (out / "trajectory.jsonl").read_text().splitlines()
    assert [json.loads(x)["type"] for x in lines] == ["header", "step", "footer"]  # the first run, untouched


def test_bench_evaluation_goes_through_the_recorder_redacted_and_fsynced(site, tmp_path, monkeypatch):
    from webagent.tasks.runner import BenchConfig, run_bench

    from webagent.runconfig import ModelSettings, RunConfig
    secret = "Qx7-Secret-Code"
    task = {"task_id": "sec-1", "sites": [], "start_url": site.url + "/about.html", "intent": "What is the code?",
            "eval": {"eval_types": ["string_match"], "reference_answers": {"must_include": [secret]}}}
    (tmp_path / "t.json").write_text(json.dumps([task]))
    written: list[str] = []
    real = recorder_mod._fsync_write
    monkeypatch.setattr(recorder_mod, "_fsync_write", lambda f, line: (written.append(line), real(f, line)))
    with FakeOpenAI([f"stop [the code is {secret}]"]) as llm:
        _, summary = run_bench(BenchConfig(suite=str(tmp_path / "t.json"), out=str(tmp_path / "bench"),
                                           secrets=[f"CODE={secret}"], executor="inline",  # patched in-process
                                           run=RunConfig(model=ModelSettings("m", llm.base_url))),
                               print_fn=lambda s: None)
    assert summary["overall"]["tasks"] == 1
    traj = (tmp_path / "bench" / "sec-1" / "trajectory.jsonl").read_text()
    last = json.loads(traj.splitlines()[-1])
    assert last["type"] == "evaluation" and last["evaluation"]["score"] is not None
    assert secret not in traj and "{{CODE}}" in traj  # the evaluation's checks name the answer: redacted too
    assert any(json.loads(x)["type"] == "evaluation" for x in written)  # written by the recorder's fsync path
    assert secret not in (tmp_path / "bench" / "results.jsonl").read_text()
