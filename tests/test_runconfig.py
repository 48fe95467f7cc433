"""One run configuration for run, bench and replay: the same flags, a config file they override, the planner's
options checked against the planner, and a recorded run re-run with exactly its recorded settings."""

from __future__ import annotations

import argparse
import json

import pytest
import webagent.search  # noqa: F401 - registers the search planners

from tests.scripted import ScriptedChat
from webagent.agent import run_task
from webagent.cli import build_parser
from webagent.errors import BadInput
from webagent.planner import make_planner
from webagent.replay import replay
from webagent.runconfig import RunConfig, config_from_args
from webagent.trajectory import load

RUN_GROUPS = ("agent", "observation", "planner", "browser")


def _sub(name: str) -> argparse.ArgumentParser:
    parser, _ = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def _options(p: argparse.ArgumentParser, groups: tuple[str, ...] | None = None) -> set[str]:
    out: set[str] = set()
    for g in p._action_groups:
        if groups is None or g.title in groups or (g.title or "").startswith("model"):
            out |= {s for a in g._group_actions for s in a.option_strings}
    return out


def args_of(*flags: str) -> argparse.Namespace:
    parser, _ = build_parser()
    return parser.parse_args(["run", "--task", "t", "--url", "http://x", *flags])


def test_bench_accepts_every_planner_observation_agent_browser_and_model_flag_of_run():
    run_flags = _options(_sub("run"), RUN_GROUPS)
    assert {"--planner", "--branching", "--depth", "--budget", "--budget-tokens", "--budget-seconds",
            "--value-samples", "--sim-samples", "--samples", "--commit", "--comparative", "--scope", "--detail",
            "--mode", "--max-chars", "--max-steps", "--headful", "--model", "--base-url", "--api-key"} <= run_flags
    bench = _sub("bench")
    assert run_flags <= _options(bench), run_flags - _options(bench)
    assert "--config" in _options(bench) and "--config" in _options(_sub("run"))
    # and bench builds the same configuration from them
    flags = ["--planner", "best-first", "--branching", "5", "--scope", "viewport", "--max-steps", "4"]
    parser, _ = build_parser()
    b = config_from_args(parser.parse_args(["bench", "--gold", *flags]))
    assert b == config_from_args(args_of(*flags))
    assert b.planner.params == {"branching": 5} and b.observe.scope == "viewport" and b.agent.max_steps == 4


def test_make_planner_rejects_unknown_options_naming_the_known_ones():
    with pytest.raises(BadInput, match=r"no option brnaching; its options: branching, depth, samples"):
        make_planner("best-first", brnaching=5)
    with pytest.raises(BadInput, match="unknown planner 'mcts'; available: reactive, best-first"):
        make_planner("mcts")
    with pytest.raises(BadInput, match="--depth: not an option of planner reactive"):
        config_from_args(args_of("--depth", "2"))
    with pytest.raises(BadInput, match="--max-steps must be at least 1"):
        config_from_args(args_of("--max-steps", "0"))


def test_config_file_is_overridden_by_flags(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('[agent]\nmax_steps = 7\n[observe]\nscope = "viewport"\ndetail = "low"\n'
                    '[planner]\nname = "best-first"\nbranching = 5\ndepth = 2\n[model]\nmodel = "m1"\n')
    cfg = config_from_args(args_of("--config", str(toml), "--depth", "4", "--detail", "high"))
    assert (cfg.agent.max_steps, cfg.observe.scope, cfg.observe.detail) == (7, "viewport", "high")
    assert cfg.planner.name == "best-first" and cfg.planner.params == {"branching": 5, "depth": 4}
    assert cfg.model.model == "m1" and cfg.build_planner().branching == 5
    # another planner on the command line: the file's planner options do not carry over
    assert config_from_args(args_of("--config", str(toml), "--planner", "reactive")).planner.params == {}
    js = tmp_path / "run.json"
    js.write_text(json.dumps({"planner": {"name": "hybrid", "params": {"top_k": 3}}, "observe": {"mode": "html"}}))
    cfg = config_from_args(args_of("--config", str(js)))
    assert cfg.build_planner().prune_k == 3 and cfg.observe.options().mode == "html"
    # a config round-trips through its dict (what the trajectory header stores)
    assert RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


@pytest.mark.parametrize("content,word", [
    ('[agent]\nmax_stepz = 3\n', "unknown setting(s) max_stepz; known: constrain"),
    ('[agnt]\nmax_steps = 3\n', "unknown section(s) agnt"),
    ('[agent]\nmax_steps = "ten"\n', "max_steps must be int"),
    ('[planner]\nname = "best-first"\nwidth = 3\n', "planner best-first has no option width"),
    ('[observe]\nscope = "everything"\n', "--scope must be one of page, viewport"),
    ('not toml = = 1', "not valid TOML"),
])
def test_bad_config_files_are_one_line_errors(tmp_path, content, word):
    f = tmp_path / "run.toml"
    f.write_text(content)
    with pytest.raises(BadInput) as e:
        config_from_args(args_of("--config", str(f)))
    assert word in str(e.value) and "\n" not in str(e.value)


async def test_replay_with_recorded_llm_rebuilds_the_recorded_planner_and_observation(site, tmp_path):
    cfg = config_from_args(args_of("--planner", "best-first", "--branching", "5", "--budget", "0",
                                   "--scope", "viewport", "--detail", "low", "--max-steps", "3"))
    result = await run_task("scroll, then stop", site.url + "/", ScriptedChat(["scroll [down]", "stop [done]"]),
                            run_config=cfg, run_dir=tmp_path / "run")
    assert result.status == "answered", result.reason
    rec = load(tmp_path / "run")
    recorded = rec.run_config
    assert recorded.planner.name == "best-first" and recorded.planner.params["branching"] == 5
    assert recorded.planner.params["samples"] == 10 and recorded.planner.params["budget"] == 0
    assert (recorded.observe.scope, recorded.observe.detail, recorded.agent.max_steps) == ("viewport", "low", 3)
    assert [c.n for s in rec.steps for c in s.llm_calls] == [10, 10]

    report = await replay(tmp_path / "run", llm="recorded", out=tmp_path / "again")
    assert report.outcome_matches, (report.outcome_detail, [s.to_dict() for s in report.steps])
    again = load(tmp_path / "again")
    # the re-run's header describes its live planner and observe options: exactly the recorded ones
    assert again.run_config.planner == recorded.planner and again.run_config.observe == recorded.observe
    assert again.run_config.agent == recorded.agent
    assert [c.n for s in again.steps for c in s.llm_calls] == [10, 10]  # 2x the recorded branching
    assert [s.observation for s in again.steps] == [s.observation for s in rec.steps]
