"""The run directory: what a killed run leaves, corrupt and foreign files, format upgrades, secrets in artifacts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import pytest
from webagent.tasks.environment import sites_used

from tests.fake_openai import FakeOpenAI
from tests.scripted import ScriptedChat, act
from webagent.agent import AgentConfig, run_task
from webagent.recorder import MASK_COLOR, append_evaluation
from webagent.records import Evaluation
from webagent.safety import Secrets
from webagent.trajectory import TrajectoryError, load

CATEGORIES = ["Electronics", "Home & Kitchen", "Clothing, Shoes & Jewelry", "Beauty & Health", "Sports & Outdoors",
              "Grocery & Gourmet Food"]


def slow(reply, seconds: float):
    def f(prompt: str) -> str:
        time.sleep(seconds)
        return reply(prompt)
    return f


def test_sigkill_mid_run_leaves_every_finished_step_readable(tmp_path):
    replies = [slow(act("click [{id}]", "link", c), 0.4) for c in CATEGORIES * 2]
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "WEBAGENT_MODEL")}
    with FakeOpenAI(replies) as llm:
        proc = subprocess.Popen(
            [sys.executable, "-m", "webagent", "run", "--site", "shop", "--task", "browse every category",
             "--model", "m", "--base-url", llm.base_url, "--max-steps", "12", "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            path = out / "trajectory.jsonl"
            while time.monotonic() < deadline:
                # two step records written in full (a line is finished once its newline is on disk)
                lines = path.read_text().splitlines(keepends=True) if path.exists() else []
                if sum(1 for line in lines if line.endswith("\n") and '"type": "step"' in line) >= 2:
                    break
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.05)
            os.killpg(proc.pid, signal.SIGKILL)  # the run, its browser and its site, mid-run
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    assert proc.returncode == -signal.SIGKILL
    traj = load(out)
    assert not traj.complete and traj.status == "incomplete"
    assert len(traj.steps) >= 2 and traj.steps[0].target.name == "Electronics"
    assert all(s.observation and s.obs_hash and s.llm_calls for s in traj.steps)
    assert any("no footer" in w for w in traj.warnings)
    assert "shop" in sites_used(traj)
    # the crash case proper: a last line cut off mid-write is dropped with a warning naming it
    text = (out / "trajectory.jsonl").read_text()
    n_lines = text.count("\n")
    (out / "trajectory.jsonl").write_text(text + '{"type": "step", "step": 99, "url": "http://')
    cut = load(out)
    assert len(cut.steps) == len(traj.steps)
    assert any(f"line {n_lines + 1} is cut short" in w for w in cut.warnings)
    # the viewer renders what remains
    from webagent.view import render_path
    html = render_path(out).read_text()
    assert "incomplete" in html and "cut short" in html


def _write(path, records, tail=""):
    path.mkdir(parents=True, exist_ok=True)
    (path / "trajectory.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records) + tail)
    return path


HEADER = {"type": "header", "format": 2, "task": {"intent": "t", "start_url": "http://127.0.0.1:1/"}, "config": {}}
STEP = {"type": "step", "step": 1, "url": "http://127.0.0.1:1/", "observation": "x", "action": "stop [a]",
        "result": {"ok": True}}


def test_corrupt_lines_name_the_line_and_foreign_formats_are_upgraded_or_rejected(tmp_path):
    d = _write(tmp_path / "a", [HEADER, STEP, {"type": "footer", "status": "answered", "answer": "a"}])
    text = (d / "trajectory.jsonl").read_text().splitlines()
    (d / "trajectory.jsonl").write_text("\n".join([text[0], text[1][:20], text[2]]) + "\n")
    with pytest.raises(TrajectoryError, match=r"trajectory.jsonl: line 2: not valid JSON"):
        load(d)
    with pytest.raises(TrajectoryError, match=r"line 2: unknown record type 'stp'"):
        load(_write(tmp_path / "b", [HEADER, {**STEP, "type": "stp"}]))
    with pytest.raises(TrajectoryError, match=r"line 1: the first record must be the header"):
        load(_write(tmp_path / "c", [STEP]))
    with pytest.raises(TrajectoryError, match=r"line 3: step 1 comes after step 1"):
        load(_write(tmp_path / "d", [HEADER, STEP, STEP]))
    with pytest.raises(TrajectoryError, match=r"format 7 was written by a newer webagent"):
        load(_write(tmp_path / "e", [{**HEADER, "format": 7}]))
    with pytest.raises(TrajectoryError, match=r"format 0 is too old"):
        load(_write(tmp_path / "f", [{**HEADER, "format": 0}]))
    with pytest.raises(TrajectoryError, match=r"no format version"):
        load(_write(tmp_path / "g", [{"type": "header"}]))
    with pytest.raises(TrajectoryError, match=r"nothing: no such run directory"):
        load(tmp_path / "nothing")
    with pytest.raises(TrajectoryError, match=r"no such file \(is this a run directory\?\)"):
        load(tmp_path)
    # format 1 (before crops and evaluation records) is upgraded in memory
    old = {k: v for k, v in STEP.items() if k not in ("observation",)}
    t = load(_write(tmp_path / "h", [{**HEADER, "format": 1}, old, {"type": "footer", "status": "answered"}]))
    assert t.upgraded_from == 1 and t.header.format == 2 and t.steps[0].crops == {}
    assert any("upgraded from trajectory format 1" in w for w in t.warnings)
    # an evaluation appended after the footer (what the benchmark runner does) is merged into it
    append_evaluation(tmp_path / "h", Evaluation(1.0))
    assert load(tmp_path / "h").score == 1.0
    # the command line says the same in one line, exit status 2
    proc = subprocess.run([sys.executable, "-m", "webagent", "view", str(d)], capture_output=True, text=True)
    assert proc.returncode == 2 and "line 2: not valid JSON" in proc.stderr and "Traceback" not in proc.stderr


async def test_secrets_reach_the_page_but_no_artifact(tmp_path):
    import numpy as np
    from PIL import Image
    from webagent.tasks.sites.server import SiteServer

    secret = "Zyxwvu-Secret"
    printed: list[str] = []
    model = ScriptedChat([
        act("type [{id}] [{{{{Q}}}}] [0]", "searchbox", "Search"),
        "press [Enter]",
        "stop [done]",
    ])
    async with SiteServer("shop") as shop:
        result = await run_task("search for the secret", shop.url + "/", model, config=AgentConfig(max_steps=5),
                                run_dir=tmp_path / "run", secrets=Secrets({"Q": secret}), trace=True, har=True,
                                on_step=lambda s: printed.append(f"{s.action} {s.url} {s.error}"))
    assert result.status == "answered", result.reason
    run = tmp_path / "run"
    traj = load(run)
    # it reached the page: the search ran for it (URL and results heading hold the placeholder in the record)
    assert "q={{Q}}" in traj.steps[2].url and "Search results for: '{{Q}}'" in traj.steps[2].observation
    assert traj.steps[1].observation.count("value='{{Q}}'") == 1  # the field, as the model saw it
    # nowhere in clear: prompts, printed lines, every file of the run directory (zip members unpacked)
    assert all(secret not in p for p in model.prompts) and all(secret not in p for p in printed)
    files = [p for p in run.rglob("*") if p.is_file()]
    assert {"trajectory.jsonl", "trace.zip", "network.har"} <= {p.name for p in files}
    for p in files:
        blobs = [p.read_bytes()]
        if p.suffix == ".zip":
            with zipfile.ZipFile(p) as z:
                blobs = [z.read(n) for n in z.namelist()]
        for b in blobs:
            for form in (secret, "Zyxwvu%2DSecret"):
                assert form.encode() not in b, f"{form} in {p}"
    # the screenshot after typing shows the field masked in MASK_COLOR, not the value
    box = traj.steps[0].target.bbox
    shot = Image.open(run / traj.steps[1].screenshot).convert("RGB")
    x, y, w, h = box
    region = shot.crop((x + 4, y + 4, x + w - 4, y + h - 4))
    want = np.array([int(MASK_COLOR[i:i + 2], 16) for i in (1, 3, 5)])

    def masked_share(img) -> float:
        px = np.asarray(img, dtype=int).reshape(-1, 3)
        return float((np.abs(px - want).max(axis=1) < 40).mean())
    assert masked_share(region) > 0.9, f"only {masked_share(region):.0%} of the filled field is masked"
    # the first screenshot (nothing typed yet) is not masked there
    first = Image.open(run / traj.steps[0].screenshot).convert("RGB").crop((x + 4, y + 4, x + w - 4, y + h - 4))
    assert masked_share(first) == 0
    # the target crop exists for element steps
    assert (run / traj.steps[0].crops["target"]).exists()
    # and the HAR and trace were redacted (not merely empty): the placeholder is where the value was
    assert "{{Q}}" in (run / "network.har").read_text()
    with zipfile.ZipFile(run / "trace.zip") as z:
        assert any(b"{{Q}}" in z.read(n) for n in z.namelist())

