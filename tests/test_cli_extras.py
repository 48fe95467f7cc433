"""What a CLI user expects besides the main job: --version, help on every flag, the subcommand's usage on a wrong
flag, `run --json` / `bench --json`, `eval --suite local`, no run directory left by a failed set-up, `--headful`
without a display, and `view --gif` and the view's edge markers on a real recorded run."""

from __future__ import annotations

import argparse
import json
import shutil

import pytest

from tests.fake_openai import FakeOpenAI
from tests.scripted import act, closed_port
from tests.test_cli import run_cli
from webagent.cli import build_parser, main


def _parsers(parser: argparse.ArgumentParser, path: str):
    yield path, parser
    for a in parser._actions:
        if isinstance(a, argparse._SubParsersAction):
            for name, sub in a.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_every_flag_of_every_subcommand_has_help():
    parser, _ = build_parser()
    seen, missing = 0, []
    for path, p in _parsers(parser, "webagent"):
        for a in p._actions:
            if isinstance(a, argparse._HelpAction | argparse._SubParsersAction):
                continue
            seen += 1
            if not a.help or a.help == argparse.SUPPRESS or not a.help.strip():
                missing.append(f"{path} {'/'.join(a.option_strings) or a.dest}")
    assert seen > 80 and not missing, f"flags without help: {missing}"


def test_version_and_a_wrong_flag_prints_the_subcommands_usage(capsys):
    from webagent import __version__
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"webagent {__version__}"
    for argv, usage in ((["run", "--task", "t", "--no-such-flag"], "usage: webagent run "),
                        (["view", "RUN", "--gifs"], "usage: webagent view "),
                        (["sites", "up", "--bogus"], "usage: webagent sites up ")):
        with pytest.raises(SystemExit) as e:
            main(argv)
        err = capsys.readouterr().err
        assert e.value.code == 2 and err.startswith(usage), err
        assert f"{usage.split(': ')[1].strip()}: error: unrecognized arguments: {argv[-1]}" in err


def test_eval_names_a_bundled_task(capsys):
    assert main(["eval", "--suite", "local", "--task-id", "shop_001", "--answer", "$1,478.99"]) == 0
    assert "score: 1.0" in capsys.readouterr().out
    assert main(["eval", "--suite", "local", "--task-id", "nope_1", "--answer", "x"]) == 2
    assert "no task with task_id nope_1" in capsys.readouterr().err


def test_headful_without_a_display_is_one_line_and_leaves_no_run_directory(site, tmp_path, monkeypatch, capsys):
    # (an unreachable start URL leaving no run directory: tests/test_cli.py::test_bad_url_unreachable_site_...)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--url", site.url + "/index.html", "--task", "t", "--model", "m", "--base-url",
                 f"http://127.0.0.1:{closed_port()}/v1", "--headful"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "$DISPLAY is not set" in err[0] and "xvfb-run" in err[0], err
    assert list(tmp_path.iterdir()) == []  # no runs/<time>-t left behind


@pytest.fixture(scope="module")
def recorded_run(site, tmp_path_factory):
    """One real run of the CLI with --json: index -> order form -> typed -> ordered -> stop."""
    out = tmp_path_factory.mktemp("cli") / "run"
    replies = [act("click [{id}]", "link", "Order form"), act("type [{id}] [Bob] [0]", "textbox", "Your name"),
               act("click [{id}]", "button", "Place order"), "stop [Thanks, Bob]"]
    with FakeOpenAI(replies) as llm:
        proc = run_cli("run", "--url", site.url + "/index.html", "--task", "order for Bob", "--model", "gpt-fake",
                       "--base-url", llm.base_url, "--max-steps", "6", "--out", str(out), "--json")
    return proc, out


def test_run_json_is_one_object_on_stdout(recorded_run):
    proc, out = recorded_run
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)  # the whole of stdout is one JSON object
    assert result["status"] == "answered" and result["ok"] is True and result["answer"] == "Thanks, Bob"
    assert result["run_dir"] == str(out) and result["steps"] == 4 and result["score"] is None
    assert result["tokens"]["total"] == result["tokens"]["prompt"] + result["tokens"]["completion"] > 0
    assert isinstance(result["cost_usd"], float) and result["final_url"].endswith("/submit")
    assert sum(1 for line in proc.stderr.splitlines() if line.startswith("step ")) == 4  # progress on stderr


def test_view_gif_draws_every_step_with_its_action(recorded_run, tmp_path):
    from PIL import Image, ImageSequence
    _, out = recorded_run
    assert main(["view", str(out), "--gif", "--out", str(tmp_path / "run.gif")]) == 0
    with Image.open(tmp_path / "run.gif") as gif:
        frames = [f.convert("RGB") for f in ImageSequence.Iterator(gif)]
        assert gif.info["loop"] == 0
    assert len(frames) == 4  # one per step with a screenshot
    steps = [json.loads(x) for x in (out / "trajectory.jsonl").read_text().splitlines()]
    steps = [s for s in steps if s["type"] == "step"]
    first = frames[0]
    # the caption band at the bottom (dark) and the target box (red) around the link of step 1
    assert first.getpixel((2, first.height - 3)) == pytest.approx((29, 35, 48), abs=12)
    x, y, w, h = steps[0]["target"]["bbox"]
    scale = first.width / 1280
    red = first.getpixel((round((x + w / 2) * scale), round(y * scale)))
    assert red[0] > 200 and red[1] < 90, red
    # frames differ from the plain screenshots only where something was drawn
    with Image.open(out / steps[1]["screenshot"]) as raw:
        raw = raw.convert("RGB").resize(first.size)
    assert frames[1].getpixel((first.width - 5, first.height // 3)) == pytest.approx(
        raw.getpixel((first.width - 5, first.height // 3)), abs=24)


def test_view_marks_a_target_outside_the_screenshot_at_its_edge(recorded_run, tmp_path):
    from webagent.gif import clamp_box
    from webagent.view import render_path
    _, out = recorded_run
    run = tmp_path / "edited"
    shutil.copytree(out, run)
    lines = [json.loads(x) for x in (run / "trajectory.jsonl").read_text().splitlines()]
    step = next(r for r in lines if r["type"] == "step" and r.get("target"))
    step["target"]["bbox"] = [100, 2400, 80, 20]  # far below a 1280x720 viewport
    (run / "trajectory.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    page = render_path(run).read_text()
    assert 'class="box edge" title="the target is below the screenshot"' in page
    assert "top:99.17%" in page and "height:0.83%" in page  # a 6 px bar at the bottom edge, inside the picture
    assert clamp_box([100, 2400, 80, 20], (1280, 720)) == ((100.0, 714.0, 80.0, 6.0), "below")
    assert clamp_box([-50, -30, 20, 10], (1280, 720)) == ((0.0, 0.0, 6.0, 6.0), "above")
    assert clamp_box([1200, 700, 200, 100], (1280, 720)) == ((1200.0, 700.0, 80.0, 20.0), None)  # cut, inside
    assert clamp_box([1400, 100, 30, 30], (1280, 720)) == ((1274.0, 100.0, 6.0, 30.0), "right")
    assert main(["view", str(run), "--gif"]) == 0 and (run / "steps.gif").stat().st_size > 1000


def test_bench_json_is_one_object_on_stdout(tmp_path):
    proc = run_cli("bench", "--suite", "local", "--task", "shop_001", "--gold", "--json", "--out", str(tmp_path / "b"),
                   timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["run_dir"] == str(tmp_path / "b") and result["tasks"] == 1 and result["passed"] == 1
    assert result["score"] == 1.0 and result["success_rate"] == 1.0 and result["steps"] >= 1
    (task,) = result["results"]
    assert task["task_id"] == "shop_001" and task["score"] == 1.0 and task["answer"] == "$1,478.99"
    assert task["run_dir"] == str(tmp_path / "b" / "shop_001")
    assert "[1/1] shop_001" in proc.stderr and "overall" in proc.stderr  # progress and summary on stderr
