"""`webagent replay RUN_DIR` and `webagent view RUN_DIR`: subcommands picked up by webagent.cli."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path


def _print_step(r) -> None:
    mark = {"matched": "ok  ", "differs": "~   ", "diverged": "XX  ", "skipped": "--  "}.get(r.status, "?   ")
    how = f" [{r.resolved_by}]" if r.resolved_by else ""
    detail = f"  {r.detail}" if r.detail else ""
    print(f"step {r.step:>2}  {mark}{r.status:<8}  {r.action:<40.40}{how}{detail}", flush=True)
    if r.diff:
        print("         observation diff (recorded -> replayed):")
        for line in r.diff.splitlines():
            print(f"           {line}")


def cmd_replay(args: argparse.Namespace) -> int:
    from webagent.errors import BadInput
    from webagent.replay import replay
    from webagent.safety import Secrets

    sites: dict[str, str] = {}
    for spec in args.site_url or []:
        name, sep, url = spec.partition("=")
        if not sep or not url:
            raise BadInput(f"--site-url takes NAME=URL, got {spec!r}")
        sites[name] = url
    secrets = Secrets.parse(args.secret or [])
    import asyncio
    report = asyncio.run(replay(args.run_dir, sites=sites, har=args.har, secrets=secrets, llm=args.llm or "actions",
                                headless=not args.headful, out=args.out, allow=args.allow_domain or [],
                                on_step=None if args.json else _print_step))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for n in report.notices:
            print(f"note: {n}", file=sys.stderr)
        counts: dict[str, int] = {}
        for s in report.steps:
            counts[s.status] = counts.get(s.status, 0) + 1
        first = report.first_divergence
        print(f"steps: {len(report.steps)} (" + ", ".join(f"{v} {k}" for k, v in counts.items()) + ")"
              + (f"; first divergence at step {first.step}" if first else ""))
        if report.evaluation is not None:
            print(f"evaluation: score {report.evaluation.get('score')} (recorded {report.recorded.get('score')})")
        if report.new_run_dir:
            print(f"re-run: {report.new_run_dir}")
        verdict = "outcome matches the recording" if report.outcome_matches else "outcome DIFFERS from the recording"
        print(f"{verdict}: {report.outcome_detail}")
    return 0 if report.outcome_matches else 1


def cmd_view(args: argparse.Namespace) -> int:
    if args.gif:
        from webagent.gif import write_gif
        print(f"wrote {write_gif(args.run_dir, out=args.out)}")
        return 0
    from webagent.view import render_path

    out = render_path(args.run_dir, out=args.out)
    print(f"wrote {out}")
    if args.open:
        import webbrowser
        webbrowser.open(out.resolve().as_uri())
    return 0


def add_commands(sub, add_model_flags: Callable[[argparse.ArgumentParser], None]
                 ) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("replay", help="re-execute a recorded run and report where the site behaves differently")
    p.add_argument("run_dir", help="a run directory (holding trajectory.jsonl)")
    p.add_argument("--llm", choices=["recorded"],
                   help="re-run the agent itself with the recorded LLM outputs in place of the model")
    p.add_argument("--har", action="store_true",
                   help="serve the pages from the run's network.har; requests it lacks are aborted")
    p.add_argument("--site-url", action="append", metavar="NAME=URL",
                   help="use this running bundled site (not reset) instead of starting one")
    p.add_argument("--secret", action="append", metavar="NAME=VALUE[@HOST,...]",
                   help="values for {{NAME}} the run typed")
    p.add_argument("--allow-domain", action="append", metavar="HOST",
                   help="also allow this host (or file:, data:, blob:) beyond the recorded run's own")
    p.add_argument("--out", help="with --llm recorded: the re-run's run directory (default RUN_DIR.replay)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--headful", action="store_true", help="show the browser window (needs a display)")

    v = sub.add_parser("view", help="write a self-contained HTML report of a run (or a benchmark directory)")
    v.add_argument("run_dir", help="a run directory, or a benchmark directory with results.jsonl")
    v.add_argument("--out", type=Path, help="HTML file (default RUN_DIR/view.html, or index.html for a benchmark)")
    v.add_argument("--open", action="store_true", help="open it in the default browser")
    v.add_argument("--gif", action="store_true", help="write an animated GIF of the step screenshots instead, each "
                   "with its action and target drawn (default RUN_DIR/steps.gif, or --out FILE.gif)")
    return {"replay": cmd_replay, "view": cmd_view}
