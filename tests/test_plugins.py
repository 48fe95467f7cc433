"""The plugin seams (webagent/plugins.py): the installed entry points fill the CLI, the planners and the environment;
without them `webagent` still works alone (reactive planner, no bundled sites); a broken plugin is one line."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

import webagent.planner as planner_mod
from webagent import plugins
from webagent.cli import build_parser, main
from webagent.environment import NoEnvironment, environment
from webagent.errors import BadInput, SetupError
from webagent.planner import ReactiveParams, ReactivePlanner, load_planners, make_planner, register_planner
from webagent.runconfig import config_from_args


def test_installed_entry_points_fill_every_group() -> None:
    from webagent.search.flags import PROVIDER
    from webagent.tasks.cli import add_commands
    from webagent.tasks.environment import BUNDLED

    assert plugins.load(plugins.COMMANDS) == [("tasks", add_commands)]
    from webagent.tasks.gold import register as register_gold

    assert dict(plugins.load(plugins.PLANNERS)) == {"search": PROVIDER, "gold": register_gold}
    assert environment() is BUNDLED
    assert {"reactive", "best-first", "world-model", "hybrid", "gold"} <= set(load_planners())
    assert {"shop", "forum", "wiki"} <= set(environment().site_names())
    _, handlers = build_parser()
    assert {"run", "observe", "replay", "view", "mcp", "bench", "sites", "eval"} == set(handlers)
    from webagent.tasks.gym import register_envs

    assert plugins.load(plugins.GYM) == [("bundled", register_envs)]


def test_gold_reads_back_but_is_not_offered_on_the_command_line(capsys) -> None:
    from webagent.runconfig import RunConfig
    assert load_planners()["gold"].cli is False
    assert RunConfig.from_dict({"planner": {"name": "gold"}}).planner.name == "gold"  # a gold run's header
    parser, _ = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--task", "t", "--url", "http://x", "--planner", "gold"])
    assert "invalid choice: 'gold'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--help"])
    out = capsys.readouterr().out
    assert "best-first" in out and "gold" not in out


@pytest.fixture
def bare(monkeypatch: pytest.MonkeyPatch) -> None:
    """webagent as if installed without its higher layers: every group empty, only its own planner registered."""
    for group in plugins.GROUPS:
        monkeypatch.setitem(plugins._loaded, group, [])
    monkeypatch.setattr(planner_mod, "PLANNERS", {"reactive": planner_mod.PLANNERS["reactive"]})


def test_without_higher_layers_webagent_works_alone(bare, capsys) -> None:
    assert set(load_planners()) == {"reactive"} and isinstance(environment(), NoEnvironment)
    parser, handlers = build_parser()
    assert set(handlers) == {"run", "observe", "replay", "view", "mcp"}
    args = parser.parse_args(["run", "--task", "t", "--url", "http://x", "--samples", "3"])
    planner = config_from_args(args).build_planner()
    assert isinstance(planner, ReactivePlanner) and planner.samples == 3
    with pytest.raises(BadInput, match="unknown planner 'best-first'; available: reactive"):
        make_planner("best-first")
    assert main(["run", "--site", "shop", "--task", "t"]) == 2
    assert "unknown site 'shop'; known sites: none installed" in capsys.readouterr().err
    with pytest.raises(SetupError, match="no environment with bundled sites"):
        environment().start(["shop"])


def test_run_time_registration_wins_and_can_be_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner_mod, "PLANNERS", dict(planner_mod.PLANNERS))

    def mine() -> None:
        register_planner("mine", ReactiveParams, lambda p: ReactivePlanner(samples=p.samples))

    plugins.register(plugins.PLANNERS, "search", mine)  # same name as the entry point: replaces it
    try:
        assert dict(plugins.load(plugins.PLANNERS))["search"] is mine
        assert isinstance(make_planner("mine", samples=2), ReactivePlanner)  # loading the plugin registered it
    finally:
        plugins.unregister(plugins.PLANNERS, "search")
    assert dict(plugins.load(plugins.PLANNERS))["search"] is not mine
    with pytest.raises(ValueError, match="unknown plugin group"):
        plugins.register("webagent.nope", "x", object())


def test_a_broken_plugin_is_one_line() -> None:
    ep = EntryPoint("broken", "webagent.no_such_module:thing", plugins.COMMANDS)
    with pytest.raises(SetupError) as e:
        plugins._load(ep)
    assert "plugin 'broken'" in str(e.value) and "\n" not in str(e.value)
