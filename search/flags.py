"""Planner options for command lines: `webagent.runconfig` adds them (with every other run setting); these
helpers are for a runner that wants only the planner. `PROVIDER` is the `webagent.planners` plugin entry (see
pyproject.toml): loading it registers the search planners in `webagent.planner.PLANNERS`."""

from __future__ import annotations

import argparse

from webagent.search import register

from webagent.planner import Planner
from webagent.runconfig import add_planner_flags, config_from_args

__all__ = ["PROVIDER", "add_planner_flags", "planner_from_args"]

PROVIDER = register


def planner_from_args(args: argparse.Namespace) -> Planner:
    """The planner that the planner flags (and --config) in `args` describe."""
    return config_from_args(args).build_planner()
