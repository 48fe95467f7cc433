"""The `webagent` command line. Exit status: 0 success, 1 the agent failed, 2 bad input or set-up."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from webagent import mcp_cli, plugins, replay_cli
from webagent.errors import BadInput, LLMError, NavigationError, SetupError, WebAgentError

# A command plugin (group `webagent.commands`, see webagent.plugins) is `add_commands(subparsers, add_model_flags)`
# returning {command: handler}; webagent.tasks adds `bench`, `sites` and `eval` that way.
AddCommands = Callable[[argparse._SubParsersAction, Callable[[argparse.ArgumentParser], None]],
                       dict[str, Callable[[argparse.Namespace], int]]]


def _err(msg: str) -> int:
    print(f"webagent: error: {msg}", file=sys.stderr)
    return 2


def _observe_options(args: argparse.Namespace, **overrides: Any) -> Any:
    from webagent.options import build, values_from_args
    from webagent.runconfig import ObserveSettings
    return build(ObserveSettings, values_from_args(ObserveSettings, args), "flags").options(**overrides)


def add_image_flags(p: argparse.ArgumentParser) -> None:
    """`--image FILE` for `run` (repeatable task images); `--images MODE` is a run setting (webagent.runconfig)."""
    g = p.add_argument_group("images (need a model that takes images)")
    g.add_argument("--image", action="append", metavar="FILE",
                   help="an image that comes with the task (repeatable); sent with every step")


def make_model_from_args(args: argparse.Namespace, settings: Any = None) -> Any:
    """The ChatModel of the model settings (default: from the flags) and the --api-key flag."""
    from webagent.llm.config import make_model
    from webagent.runconfig import ModelSettings
    if settings is None:
        settings = ModelSettings(model=args.model, base_url=args.base_url, cache=getattr(args, "cache", None))
    return make_model(**settings.kwargs(), api_key=getattr(args, "api_key", None))


def _print_step(s, file: Any = None) -> None:
    status = ("" if s.ok else f"  ! {s.error}") + (f"  ? {s.note}" if getattr(s, "note", None) else "")
    print(f"step {s.step:>2}  {s.action:<40.40}  {s.url:<50.50}  {s.ms:>6.0f} ms  {s.tokens:>6} tok{status}",
          flush=True, file=file or sys.stdout)


def _print_step_stderr(s) -> None:
    _print_step(s, sys.stderr)


def run_json(result: Any, score: float | None = None) -> dict[str, Any]:
    """The machine-readable summary of a run that `run --json` prints: one JSON object."""
    u = result.usage
    return {"status": result.status, "ok": result.ok, "answer": result.answer, "reason": result.reason,
            "run_dir": str(result.run_dir) if result.run_dir.exists() else None, "steps": result.steps,
            "tokens": {"prompt": u.prompt_tokens, "completion": u.completion_tokens, "total": u.total_tokens},
            "cost_usd": round(u.cost_usd, 6), "seconds": round(result.seconds, 2), "final_url": result.final_url,
            "score": score}


def cmd_run(args: argparse.Namespace) -> int:
    from webagent.agent import run_task
    from webagent.browser import BrowserConfig
    from webagent.runconfig import config_from_args
    from webagent.safety import Secrets, check_url

    if args.out:  # before anything starts: a second run never lands on top of the first
        from webagent.recorder import prepare_out
        prepare_out(args.out, args.overwrite)
    if args.site:
        return _run_on_bundled_site(args)
    if not args.url:
        raise BadInput("give --url URL, or --site NAME to use a bundled local site")
    url = check_url(args.url)
    cfg = config_from_args(args, model_defaults=True)
    secrets = Secrets.parse(args.secret or [])
    planner = cfg.build_planner()
    model = make_model_from_args(args, cfg.model)
    from webagent.action_policy import ActionPolicy
    action_policy = ActionPolicy.load(args.policy, args.confirm or [])
    browser = BrowserConfig(headless=cfg.browser.headless, allowed_domains=list(cfg.browser.allowed_domains),
                            storage_state=args.storage_state, network=cfg.browser.network)
    run_dir = Path(args.out) if args.out else None
    import asyncio

    from webagent.llm.progress import ProgressTicker
    with ProgressTicker():  # a slow model shows it is working (a status line on stderr when it is a terminal)
        result = asyncio.run(run_task(args.task, url, model, planner=planner, config=cfg.agent_config(),
                                      images=args.image or None, browser=browser, run_dir=run_dir, secrets=secrets,
                                      on_step=_print_step_stderr if args.json else _print_step,
                                      trace=args.trace, har=args.har, task_meta=getattr(args, "site_meta", None),
                                      action_policy=action_policy, run_config=cfg,
                                      server=getattr(args, "server", None)))
    if args.json:
        print(json.dumps(run_json(result), ensure_ascii=False))
    if result.status in ("navigation_error", "llm_error"):
        if result.run_dir.exists() and not args.json:  # a run that failed in set-up leaves no directory
            print(f"run: {result.run_dir} (keeps the {result.steps} finished steps)")
        return _err(result.reason)
    if args.json:
        return 0 if result.ok else 1
    print(f"status: {result.status} ({result.reason})")
    if result.answer is not None:
        print(f"answer: {result.answer}")
    print(f"steps: {result.steps}  tokens: {result.usage.total_tokens}  time: {result.seconds:.1f} s  "
          f"run: {result.run_dir}")
    return 0 if result.ok else 1


def _run_on_bundled_site(args: argparse.Namespace) -> int:
    """`run --site shop [--url /path]`: start the bundled site (through the environment seam) on a free port, run
    there, stop it."""
    from webagent.environment import environment

    env = environment()
    known = env.site_names()
    if args.site not in known:
        raise BadInput(f"unknown site {args.site!r}; known sites: {', '.join(known) or 'none installed'}")
    path = args.url or "/"
    if "://" in path:
        raise BadInput("with --site, --url is a path on that site, e.g. --url /catalogsearch/result/?q=mug")
    name = args.site
    with env.start([name]) as urls:
        url = urls[name]
        args.url = url + ("" if path.startswith("/") else "/") + path
        args.site_meta = {"site": name, "site_urls": {name: url}}  # for `webagent replay`
        snapshots = getattr(env, "snapshots", None)  # an environment may snapshot its sites' state for search
        args.server = snapshots(urls) if snapshots is not None else None
        args.site = None
        print(f"site {name} at {url}", flush=True, file=sys.stderr if args.json else sys.stdout)
        return cmd_run(args)


def cmd_observe(args: argparse.Namespace) -> int:
    from webagent.browser import BrowserConfig, BrowserSession

    options = _observe_options(args, screenshot=bool(args.screenshot), set_of_marks=args.set_of_marks)

    async def go() -> int:
        async with BrowserSession(BrowserConfig(headless=not args.headful)) as s:
            await s.goto(args.url)
            obs = await s.observe(options)
            if args.set_of_marks and obs.marked_screenshot:
                obs.screenshot = obs.marked_screenshot
            if args.screenshot and obs.screenshot:
                Path(args.screenshot).write_bytes(obs.screenshot)
            if args.format == "json":
                print(json.dumps(obs.to_dict(), indent=2, ensure_ascii=False))
            else:
                print(obs.text)
                print(f"\n# {len(obs.elements)} elements with ids; {obs.url}; "
                      f"{sum(obs.timings.values()):.0f} ms", file=sys.stderr)
        return 0
    import asyncio
    return asyncio.run(go())


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    from webagent import __version__
    from webagent.runconfig import add_model_flags, add_observe_flags, add_run_flags

    parser = argparse.ArgumentParser(prog="webagent", description="Run LLM web agents in a real browser.")
    parser.add_argument("--version", action="version", version=f"webagent {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}

    p = sub.add_parser("run", help="run a task against a URL")
    p.add_argument("--url", help="start URL (with --site: a path on that site)")
    p.add_argument("--site", help="run on a bundled local site (shop, shop_admin, forum, codehost, wiki), "
                                  "started for this run on a free port")
    p.add_argument("--task", required=True, help="what the agent should do, in plain words")
    p.add_argument("--out", help="run directory (default: runs/<time>-<task>); an existing run there is an error")
    p.add_argument("--overwrite", action="store_true", help="replace the run already in --out")
    p.add_argument("--secret", action="append", metavar="NAME=VALUE[@HOST,...]",
                   help="a value the agent can type as {{NAME}}, only into pages of HOSTs (default: the allowed "
                        "domains) and sent only there; never written anywhere in clear, nor put in a prompt")
    p.add_argument("--policy", metavar="FILE", help="action policy (TOML or JSON): allow/deny/confirm rules by verb, "
                                                     "host, role, name, risk class, typed text; see README Security")
    p.add_argument("--confirm", action="append", choices=["irreversible", "reversible", "read"],
                   help="ask on the terminal before actions of this risk class (denied without a terminal)")
    p.add_argument("--storage-state", help="Playwright storage_state JSON to start logged in")
    p.add_argument("--trace", action="store_true", help="also save a Playwright trace.zip in the run directory")
    p.add_argument("--har", action="store_true", help="also save the network traffic as network.har "
                                                      "(for `webagent replay --har`)")
    p.add_argument("--json", action="store_true", help="print one JSON object with the result on stdout (status, "
                   "answer, run_dir, steps, tokens, cost_usd, ...); step lines go to stderr")
    add_run_flags(p)
    add_image_flags(p)
    handlers["run"] = cmd_run

    p = sub.add_parser("observe", help="print what the agent would see on a page")
    p.add_argument("url", help="the page to observe (http(s):// or file://)")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text: what the model reads; json: every element with id, role, name, box and frame")
    p.add_argument("--screenshot", metavar="PATH", help="also save the viewport screenshot")
    p.add_argument("--set-of-marks", action="store_true", help="draw the ids on the saved screenshot")
    add_observe_flags(p)
    p.add_argument("--headful", action="store_true", help="show the browser window (needs a display)")
    handlers["observe"] = cmd_observe

    add_commands: list[AddCommands] = [replay_cli.add_commands, mcp_cli.add_commands]
    add_commands += [fn for _name, fn in plugins.load(plugins.COMMANDS)]
    for add in add_commands:
        handlers.update(add(sub, add_model_flags))
    return parser, handlers


def _deepest(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)subcommand named in `args`."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and getattr(args, action.dest, None) in action.choices:
            return _deepest(action.choices[getattr(args, action.dest)], args)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser, handlers = build_parser()
    except SetupError as e:
        return _err(str(e))
    args, extra = parser.parse_known_args(argv)
    if extra:  # say it with the usage of the subcommand that was given, not the top-level one
        _deepest(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return handlers[args.command](args)
    except (BadInput, SetupError, LLMError, NavigationError) as e:
        return _err(str(e))
    except WebAgentError as e:
        return _err(str(e))
    except KeyboardInterrupt:
        print("interrupted; the run directory keeps every finished step", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
