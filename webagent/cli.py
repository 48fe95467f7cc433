"""The `webagent` command line. Exit status: 0 success, 1 the agent failed, 2 bad input or set-up."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from webagent import plugins, replay_cli
from webagent.errors import BadInput, LLMError, NavigationError, SetupError, WebAgentError
from webagent.planner import planners

# A command plugin (group `webagent.commands`, see webagent.plugins) is `add_commands(subparsers, add_model_flags)`
# returning {command: handler}; webagent.tasks adds `bench`, `sites` and `eval` that way.
AddCommands = Callable[[argparse._SubParsersAction, Callable[[argparse.ArgumentParser], None]],
                       dict[str, Callable[[argparse.Namespace], int]]]


def _err(msg: str) -> int:
    print(f"webagent: error: {msg}", file=sys.stderr)
    return 2


def _add_model_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (default: the embedded Gemma 3 270M through llama.cpp)")
    g.add_argument("--model", help="model name at an OpenAI-compatible endpoint (env WEBAGENT_MODEL)")
    g.add_argument("--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL)")
    g.add_argument("--api-key", help="API key (env OPENAI_API_KEY); never written to logs or trajectories")
    g.add_argument("--cache", metavar="PATH", help="cache LLM replies in this SQLite file")


def _add_observe_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("observation")
    g.add_argument("--scope", choices=["page", "viewport"], default="page",
                   help="whole page (default) or the viewport and a margin, with 'N more elements' hints")
    g.add_argument("--detail", choices=["low", "normal", "high"], default="normal")
    g.add_argument("--mode", choices=["text", "html"], default="text", help="accessibility tree or cleaned HTML")
    g.add_argument("--max-chars", type=int, default=24_000, help="text budget, cut by priority (about 4 chars a token)")


def add_image_flags(p: argparse.ArgumentParser, task_files: bool = True) -> None:
    """`--images MODE` (run, bench) and, for `run`, `--image FILE` (repeatable task images)."""
    from webagent.vision import MODES
    g = p.add_argument_group("images (need a model that takes images)")
    g.add_argument("--images", choices=MODES, default="none",
                   help="pictures of the page for the model: none (text only, default), screenshot (the viewport), "
                        "som (the screenshot with the text's [id]s drawn on), crops (the elements that matter "
                        "now, each with its text line, and the densest region of a tall page)")
    if task_files:
        g.add_argument("--image", action="append", metavar="FILE",
                       help="an image that comes with the task (repeatable); sent with every step")


def _vision(args: argparse.Namespace):
    from webagent.vision import Vision, load_images
    return Vision(getattr(args, "images", "none") or "none", task_images=load_images(getattr(args, "image", None)
                                                                                     or []))


def _observe_options(args: argparse.Namespace, **overrides):
    from webagent.observers import ObserveOptions
    if args.max_chars is not None and args.max_chars < 200:
        raise BadInput("--max-chars must be at least 200")
    return ObserveOptions(scope=args.scope, detail=args.detail, mode=args.mode, max_chars=args.max_chars,
                          **overrides)


def make_model_from_args(args: argparse.Namespace):
    from webagent.llm.config import make_model
    return make_model(model=args.model, base_url=args.base_url, api_key=args.api_key,
                      cache=getattr(args, "cache", None))


def _print_step(s) -> None:
    status = "" if s.ok else f"  ! {s.error}"
    print(f"step {s.step:>2}  {s.action:<40.40}  {s.url:<50.50}  {s.ms:>6.0f} ms  {s.tokens:>6} tok{status}",
          flush=True)


def cmd_run(args: argparse.Namespace) -> int:
    from webagent.agent import AgentConfig, run_task
    from webagent.browser import BrowserConfig
    from webagent.safety import Secrets, check_url

    if args.site:
        return _run_on_bundled_site(args)
    if not args.url:
        raise BadInput("give --url URL, or --site NAME to use a bundled local site")
    url = check_url(args.url)
    if args.max_steps < 1:
        raise BadInput("--max-steps must be at least 1")
    if args.max_seconds <= 0:
        raise BadInput("--max-seconds must be positive")
    secrets = Secrets.parse(args.secret or [])
    vision = _vision(args)
    model = make_model_from_args(args)
    planner = planners().from_args(args)
    from webagent.action_policy import ActionPolicy
    action_policy = ActionPolicy.load(args.policy, args.confirm or [])
    browser = BrowserConfig(headless=not args.headful, allowed_domains=args.allow_domain or [],
                            storage_state=args.storage_state, network=args.network)
    run_dir = Path(args.out) if args.out else None
    import asyncio
    result = asyncio.run(run_task(args.task, url, model, planner=planner, config=AgentConfig(max_steps=args.max_steps, observe=_observe_options(args),
                                                    vision=vision, max_seconds=args.max_seconds),
                                  browser=browser, run_dir=run_dir, secrets=secrets, on_step=_print_step,
                                  trace=args.trace, har=args.har, task_meta=getattr(args, "site_meta", None),
                                  action_policy=action_policy))
    if result.status in ("navigation_error", "llm_error"):
        print(f"run: {result.run_dir} (keeps the {result.steps} finished steps)")
        return _err(result.reason)
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
        args.site = None
        print(f"site {name} at {url}", flush=True)
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
    parser = argparse.ArgumentParser(prog="webagent", description="Run LLM web agents in a real browser.")
    sub = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}

    p = sub.add_parser("run", help="run a task against a URL")
    p.add_argument("--url", help="start URL (with --site: a path on that site)")
    p.add_argument("--site", help="run on a bundled local site (shop, shop_admin, forum, codehost, wiki), "
                                  "started for this run on a free port")
    p.add_argument("--task", required=True, help="what the agent should do, in plain words")
    p.add_argument("--max-steps", type=int, default=15)
    p.add_argument("--max-seconds", type=float, default=3600.0,
                   help="the run's watchdog: stop the run (status timeout) after this long (default 3600)")
    p.add_argument("--headful", action="store_true", help="show the browser window")
    p.add_argument("--out", help="run directory (default: runs/<time>-<task>)")
    p.add_argument("--secret", action="append", metavar="NAME=VALUE[@HOST,...]",
                   help="a value the agent can type as {{NAME}}, only into pages of HOSTs (default: the allowed "
                        "domains) and sent only there; never written anywhere in clear, nor put in a prompt")
    p.add_argument("--allow-domain", action="append", metavar="HOST",
                   help="extra host the agent may visit, added to the start URL's origin: example.com, "
                        "*.example.com, example.com:8080 (no port: any port), data:, blob:, file:")
    p.add_argument("--network", choices=["default", "strict"], default="default",
                   help="strict: no request at all (images, scripts, frames) leaves the allowed domains; default: "
                        "only top-level pages are confined, and requests carrying a secret go only to its hosts")
    p.add_argument("--policy", metavar="FILE", help="action policy (TOML or JSON): allow/deny/confirm rules by verb, "
                                                     "host, role, name, risk class, typed text; see README Security")
    p.add_argument("--confirm", action="append", choices=["irreversible", "reversible", "read"],
                   help="ask on the terminal before actions of this risk class (denied without a terminal)")
    p.add_argument("--storage-state", help="Playwright storage_state JSON to start logged in")
    p.add_argument("--trace", action="store_true", help="also save a Playwright trace.zip in the run directory")
    p.add_argument("--har", action="store_true", help="also save the network traffic as network.har "
                                                      "(for `webagent replay --har`)")
    _add_model_flags(p)
    _add_observe_flags(p)
    add_image_flags(p)
    planners().add_flags(p)
    handlers["run"] = cmd_run

    p = sub.add_parser("observe", help="print what the agent would see on a page")
    p.add_argument("url")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--screenshot", metavar="PATH", help="also save the viewport screenshot")
    p.add_argument("--set-of-marks", action="store_true", help="draw the ids on the saved screenshot")
    _add_observe_flags(p)
    p.add_argument("--headful", action="store_true")
    handlers["observe"] = cmd_observe

    add_commands: list[AddCommands] = [replay_cli.add_commands]
    add_commands += [fn for _name, fn in plugins.load(plugins.COMMANDS)]
    for add in add_commands:
        handlers.update(add(sub, _add_model_flags))
    return parser, handlers


def main(argv: list[str] | None = None) -> int:
    try:
        parser, handlers = build_parser()
    except SetupError as e:
        return _err(str(e))
    args = parser.parse_args(argv)
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
