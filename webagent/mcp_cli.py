"""`webagent mcp`: the browser as an MCP server (stdio, or `--http` on loopback); picked up by webagent.cli.

The MCP SDK is imported only when the command runs: without the `mcp` extra the command still shows in `--help`
and says in one line what to install."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from webagent.errors import SetupError


def cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from webagent.mcp_server import ServerSettings, serve
    except ImportError as e:
        if (e.name or "").split(".")[0] == "mcp":
            raise SetupError("webagent mcp needs the MCP Python SDK: pip install 'webagent[mcp]'") from None
        raise
    from webagent.action_policy import ActionPolicy
    from webagent.runconfig import config_from_args
    from webagent.safety import Secrets

    if not 0 < args.port < 65536:
        raise SetupError(f"--port {args.port}: not a TCP port")
    settings = ServerSettings(run=config_from_args(args), secrets=Secrets.parse(args.secret or []),
                              action_policy=ActionPolicy.load(args.policy, args.confirm or []),
                              storage_state=args.storage_state, out=Path(args.out), api_key=args.api_key,
                              record=not args.no_record)
    serve(settings, http=args.http, port=args.port)
    return 0


def add_commands(sub: argparse._SubParsersAction, add_model_flags: Callable[[argparse.ArgumentParser], None]
                 ) -> dict[str, Callable[[argparse.Namespace], int]]:
    from webagent.runconfig import add_run_flags

    p = sub.add_parser("mcp", help="serve the browser to other agents over the Model Context Protocol",
                       description="An MCP server with tools open, observe, act, tabs, switch_tab and run_task. "
                                   "stdio by default (for a client that starts it); --http for streamable HTTP on "
                                   "127.0.0.1. Needs pip install 'webagent[mcp]'.")
    p.add_argument("--http", action="store_true", help="serve streamable HTTP at http://127.0.0.1:PORT/mcp "
                                                       "instead of stdio")
    p.add_argument("--port", type=int, default=8931, help="port of --http (default 8931)")
    p.add_argument("--out", default="runs", help="directory for the session's and run_task's run directories "
                                                 "(default runs)")
    p.add_argument("--no-record", action="store_true", help="do not record the interactive session "
                                                            "(run_task runs are always recorded)")
    p.add_argument("--secret", action="append", metavar="NAME=VALUE[@HOST,...]",
                   help="a value the client types as {{NAME}}, only into pages of HOSTs (default: the allowed "
                        "domains); it never reads it back")
    p.add_argument("--policy", metavar="FILE", help="action policy (TOML or JSON), as for run")
    p.add_argument("--confirm", action="append", choices=["irreversible", "reversible", "read"],
                   help="actions of this risk class need confirmation, which a server without a terminal refuses")
    p.add_argument("--storage-state", help="Playwright storage_state JSON to start logged in")
    add_run_flags(p)
    return {"mcp": cmd_mcp}
