"""Run one local site: `python -m webagent.tasks.sites.serve --site NAME --port N --db PATH` (werkzeug, threaded, 127.0.0.1)."""

from __future__ import annotations

import argparse
import logging
import os
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m webagent.tasks.sites.serve", description=__doc__)
    ap.add_argument("--site", required=True, help="site name (see webagent.tasks.sites.registry)")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--db", required=True, help="working SQLite file (must exist; see webagent.tasks.sites.server)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--quiet", action="store_true", help="do not log every request")
    args = ap.parse_args(argv)

    from webagent.tasks.procs import exit_with_parent_from_env
    exit_with_parent_from_env()  # a server never outlives the process that started it

    from webagent.tasks.sites import registry
    from werkzeug.serving import run_simple

    from webagent.errors import SetupError

    try:
        mod = registry.load(args.site)
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not os.path.exists(args.db):
        print(f"error: site {args.site!r}: database {args.db} does not exist", file=sys.stderr)
        return 2
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = mod.create_app(args.db)
    try:
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)
    except OSError as e:
        print(f"error: site {args.site!r} cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
