"""Subcommands added to `webagent`: `sites up`, `bench`, `eval` (see webagent.cli.COMMAND_MODULES)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from webagent.errors import BadInput
from webagent.runconfig import add_run_flags

if TYPE_CHECKING:
    from webagent.tasks.runner import BenchConfig


def cmd_sites(args: argparse.Namespace) -> int:
    from webagent.tasks.sites import registry
    from webagent.tasks.sites.server import sites_up
    if args.sites_command != "up":
        raise BadInput("usage: webagent sites up [--site NAME ...] [--port N]")
    for s in args.site or []:
        if s not in registry.names():
            raise BadInput(f"unknown site {s!r}; known sites: {', '.join(registry.names())}")
    if args.port is not None and not 0 < args.port < 65536:
        raise BadInput(f"--port {args.port} is not a valid port")
    sites_up(args.site or None, port=args.port)
    return 0


_BENCH_DEFAULTS: dict[str, object] = {}  # the bench parser's defaults: a flag differing from them was given


def bench_config(args: argparse.Namespace) -> BenchConfig:
    from webagent.tasks.runner import BenchConfig
    from webagent.tasks.spec import parse_site_urls
    if args.suite == "injection":
        return _bench_injection(args)

    from webagent.runconfig import config_from_args
    return BenchConfig(suite=args.suite, sites=args.site or [], task_ids=[str(t) for t in args.task or []],
                       max_steps=args.max_steps, out=args.out, gold=args.gold, workers=args.workers,
                       executor=args.executor, ray_address=args.ray_address, task_timeout=args.task_timeout,
                       site_urls=parse_site_urls(args.site_url), run=config_from_args(args), api_key=args.api_key,
                       secrets=list(args.secret or []), overwrite=args.overwrite,
                       bundled_sites=args.bundled_sites, subset=args.subset, seeds=args.seeds)


def cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import fields

    from webagent.tasks.runner import run_bench
    if args.max_steps is not None and args.max_steps < 1:
        raise BadInput("--max-steps must be at least 1")
    if args.ray_address and args.executor != "ray":
        raise BadInput("--ray-address needs --executor ray")
    if args.suite == "injection":
        return _bench_injection(args)
    if isinstance(args.planner, list) or isinstance(args.budget, list) or _model_seeds(args) is not None or (
            args.resume and _is_sweep(args.resume)):
        return _bench_sweep(args)
    cfg = bench_config(args)
    given: set[str] = set()
    if args.resume:
        if args.out:
            raise BadInput("--resume RUN_DIR already names the run directory; drop --out")
        defaults = bench_config(argparse.Namespace(**{**vars(args), **_BENCH_DEFAULTS}))
        given = {f.name for f in fields(cfg) if getattr(cfg, f.name) != getattr(defaults, f.name)}
    if not args.json:
        run_bench(cfg, resume=args.resume, force=args.force, given=given)
        return 0
    import sys
    run_dir, summary = run_bench(cfg, lambda line: print(line, file=sys.stderr, flush=True), resume=args.resume,
                                 force=args.force, given=given)
    from webagent.tasks import rundir
    print(json.dumps(bench_json(run_dir, summary, rundir.read_results(run_dir)), ensure_ascii=False))
    return 0


class _OneOrMore(argparse.Action):
    """nargs="+" that stores one value as itself (what a single run expects) and several as a list (a sweep)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values[0] if isinstance(values, list) and len(values) == 1 else values)


def _listed(v: object) -> list:
    return v if isinstance(v, list) else [] if v is None else [v]


def _is_sweep(path: str) -> bool:
    from webagent.tasks.sweep import is_sweep
    return is_sweep(path)


def _bench_sweep(args: argparse.Namespace) -> int:
    """`bench --planner A B --budget X Y --seeds N`: the grid into one directory (tasks.sweep)."""
    from pathlib import Path

    from webagent.tasks.runner import RESULT_FIELDS
    from webagent.tasks.sweep import grid, point_config, resume_sweep, run_sweep

    from webagent.recorder import new_run_dir
    from webagent.runconfig import planner_option_names
    if args.json:
        raise BadInput("--json reports one run; a sweep's rows are in DIR/summary.json")
    seeds = _model_seeds(args)
    options = {k: getattr(args, k) for k in planner_option_names() - {"budget"} if getattr(args, k, None) is not None}
    plain = argparse.Namespace(**{**vars(args), "planner": None, "budget": None, "seed": None,
                                  "seeds": 1 if seeds is not None else args.seeds, **{k: None for k in options}})
    base = bench_config(plain)
    if args.resume:
        if args.out:
            raise BadInput("--resume RUN_DIR already names the run directory; drop --out")
        defaults = bench_config(argparse.Namespace(**{**vars(plain), **_BENCH_DEFAULTS}))
        changed = [k for k in RESULT_FIELDS if getattr(base, k) != getattr(defaults, k)]
        if changed or args.planner or args.budget or seeds is not None or options:
            raise BadInput("resume a sweep with `webagent bench --resume DIR` and execution flags only (--workers, "
                           "--executor, --task-timeout): each configuration keeps the one it was recorded with")
        resume_sweep(Path(args.resume), base)
        return 0
    points = grid(_listed(args.planner) or [base.run.planner.name], _listed(args.budget) or None, seeds)
    if args.seed is not None and seeds is not None:
        points = [type(p)(p.planner, p.budget, args.seed + p.seed) for p in points]  # seeds from --seed on
    top = Path(args.out) if args.out else new_run_dir("runs", "sweep")
    unknown = sorted(k for k in options if not any(k in _options_of(p.planner) for p in points))
    if unknown:
        raise BadInput(f"{', '.join('--' + k.replace('_', '-') for k in unknown)}: not an option of any swept planner")
    configs = [(p, point_config(base, p, top, options)) for p in points]
    run_sweep(top, configs)
    return 0


def _options_of(planner: str) -> set[str]:
    from dataclasses import fields

    from webagent.planner import planner_entry
    return {f.name for f in fields(planner_entry(planner).params)}


def _model_seeds(args: argparse.Namespace) -> int | None:
    """--seeds as a sweep over model seeds: outside MiniWoB++, whose --seeds are its episodes' seeds."""
    from webagent.tasks.runner import MINIWOB
    return args.seeds if args.seeds != 1 and args.suite != MINIWOB else None


def bench_json(run_dir: object, summary: dict, results: list[dict]) -> dict:
    """The machine-readable result of `bench --json`: the overall figures and one entry per task."""
    o = summary["overall"]
    keep = ("task_id", "site", "status", "score", "answer", "steps", "tokens", "cost_usd", "seconds", "error")
    return {"status": "done", "run_dir": str(run_dir), "tasks": o["tasks"], "scored": o["scored"],
            "passed": o["passed"], "failed": o["failed"], "errors": o["errors"], "success_rate": o["success_rate"],
            "score": o["mean_score"], "steps": sum(r.get("steps", 0) for r in results), "tokens": o["tokens"],
            "cost_usd": o["cost_usd"], "seconds": summary.get("wall_seconds"),
            "results": [{**{k: r.get(k) for k in keep},
                         "run_dir": str(Path(r["trajectory"]).parent) if r.get("trajectory") else None}
                        for r in results]}


def _bench_injection(args: argparse.Namespace) -> int:
    """`bench --suite injection`: the prompt-injection suite with an obedient scripted model (see tasks/injection.py);
    exit 1 when an attack escapes with the defences on."""
    import asyncio
    from pathlib import Path

    from webagent.tasks.injection import run_suite

    from webagent.recorder import new_run_dir
    out = Path(args.out) if args.out else new_run_dir("runs", "injection")
    headless = getattr(args, "headless", not getattr(args, "headful", False))
    import contextlib
    import sys
    with contextlib.redirect_stdout(sys.stderr) if getattr(args, "json", False) else contextlib.nullcontext():
        summary = asyncio.run(run_suite(out, headless=headless is not False, only=[str(t) for t in args.task or []]))
    on, off = summary["defences_on"], summary["defences_off"]
    if getattr(args, "json", False):
        print(json.dumps({"status": "done", "run_dir": str(out), **summary}, ensure_ascii=False, default=str))
    else:
        print(f"injection suite: {summary['attacks']} attacks; defences on: {on['blocked']} blocked, "
              f"{on['escaped']} escaped; defences off: {off['escaped']} escaped; results in {out}")
    return 1 if on["escaped"] else 0


# `webagent eval` exit statuses: every check ran and passed / some check failed / bad input / a check was skipped.
EXIT_PASSED, EXIT_FAILED, EXIT_SKIPPED = 0, 1, 3


def cmd_eval(args: argparse.Namespace) -> int:
    from webagent.tasks.evaluators import evaluate
    from webagent.tasks.runner import explicit_model_configured
    from webagent.tasks.spec import (
        load_file,
        load_tasks,
        parse_site_urls,
        placeholders_in,
        substitute,
        url_map,
    )
    if args.run is not None:
        return _eval_run(args)
    if args.task is not None and args.suite is not None:
        raise BadInput("give either --task FILE or --suite SUITE, not both")
    if args.task is None and args.suite is None:
        raise BadInput("give --suite local --task-id ID (a bundled task) or --task FILE (with --answer/--url), or "
                       "--run RUN_DIR (a recorded webarena-verified task)")
    source = args.task if args.task is not None else f"suite {args.suite}"
    tasks = load_file(args.task) if args.task is not None else load_tasks(args.suite)
    if args.task_id is not None:
        tasks = [t for t in tasks if t.task_id == str(args.task_id)]
        if not tasks:
            raise BadInput(f"{source}: no task with task_id {args.task_id}")
    if len(tasks) != 1:
        raise BadInput(f"{source} holds {len(tasks)} tasks; choose one with --task-id")
    task = tasks[0]
    types = [t for t in task.eval_types if t in ("string_match", "url_match")]
    if not types:
        raise BadInput(f"{args.task}: task {task.task_id} has only {', '.join(task.eval_types)} checks, which need "
                       "a live page; run it with `webagent bench --suite FILE`")
    if "string_match" in types and args.answer is None:
        raise BadInput("this task checks the answer: give --answer TEXT")
    if "url_match" in types and args.url is None:
        raise BadInput("this task checks the final URL: give --url URL")
    # Only what is compared needs its placeholders mapped; an unmapped one is an error, never a literal to compare.
    ev = dict(task.eval, eval_types=types)
    used = {k: ev.get(k) for k in ("reference_answers", "string_note") if "string_match" in types}
    if "url_match" in types:
        used["reference_url"] = ev.get("reference_url")
    urls = url_map(parse_site_urls(args.site_url))
    missing = sorted(p for p in placeholders_in(used) if p not in urls)
    if missing:
        raise BadInput(f"task {task.task_id} compares against {', '.join(missing)}: map it with --site-url "
                       f"NAME=URL (the site the answer or URL came from), e.g. --site-url "
                       f"{missing[0].strip('_')}=http://host:port")
    ev = substitute(ev, urls)
    model = None
    if explicit_model_configured({"model": args.model, "base_url": args.base_url}):
        from webagent.llm.config import make_model
        model = make_model(model=args.model, base_url=args.base_url, api_key=args.api_key, cache=args.cache)
    import asyncio
    res = asyncio.run(evaluate(ev, answer=args.answer, url=args.url, intent=task.intent, model=model,
                               benchmark=task.benchmark))
    skipped = [t for t in task.eval_types if t not in types] + [c.kind for c in res.checks if c.score is None]
    if args.json:
        print(json.dumps({"task_id": task.task_id, **res.to_dict(), "skipped": skipped}, indent=1))
    else:
        for c in res.checks:
            mark = "skip" if c.score is None else ("ok  " if c.score == 1.0 else "FAIL")
            print(f"{mark} {c.kind:<13} {c.detail}")
        for n in res.notices:
            print(f"note: {n}")
        if task.eval_types != types:
            print(f"note: not checked here (needs a live page): "
                  f"{', '.join(t for t in task.eval_types if t not in types)}")
        print(f"score: {'not scorable' if res.score is None else res.score}"
              + (f" (skipped: {', '.join(skipped)})" if skipped and res.score != 0 else ""))
    if res.score == 0:
        return EXIT_FAILED
    return EXIT_SKIPPED if skipped else EXIT_PASSED


def _eval_run(args: argparse.Namespace) -> int:
    """`webagent eval --run DIR`: re-score a recorded WebArena-Verified task offline (trajectory + network.har)."""
    from pathlib import Path

    from webagent.tasks.spec import parse_site_urls, url_map
    from webagent.tasks.verified import rescore_run
    urls = url_map(parse_site_urls(args.site_url), env={}) if args.site_url else None
    task, res = rescore_run(Path(args.run), urls)
    if args.json:
        print(json.dumps({"task_id": task.task_id, **res.to_dict()}, indent=1))
    else:
        for c in res.checks:
            print(f"{'ok  ' if c.score == 1.0 else 'FAIL'} {c.kind:<24} {c.detail}")
        for n in res.notices:
            print(f"note: {n}")
        print(f"score: {res.score}")
    return EXIT_PASSED if res.score == 1.0 else EXIT_FAILED


def add_commands(sub: argparse._SubParsersAction, add_model_flags: Callable[[argparse.ArgumentParser], None]
                 ) -> dict[str, Callable[[argparse.Namespace], int]]:
    p = sub.add_parser("sites", help="serve the bundled WebArena-style sites")
    ssub = p.add_subparsers(dest="sites_command", required=True)
    up = ssub.add_parser("up", help="start sites on loopback ports and print their URLs (Ctrl-C stops)")
    up.add_argument("--site", action="append", metavar="NAME",
                    help="shop, shop_admin, forum, codehost, wiki (repeatable; default: all)")
    up.add_argument("--port", type=int, help="first port (sites get port, port+1, ...; default: free ports)")

    b = sub.add_parser("bench", help="run a task suite and score it")
    b.add_argument("--suite", default="local", help="`local` (the bundled suite), `webarena-verified` (its library's "
                   "812 tasks; pip install 'webagent[verified]'), `miniwob` (MiniWoB++'s tasks; pip install "
                   "'webagent[miniwob]'), or a task JSON file or folder")
    b.add_argument("--subset", help="a named subset of the suite: `hard` (WebArena-Verified's 258-task hard subset)")
    b.add_argument("--site", action="append", metavar="S", help="only tasks using this site (repeatable)")
    b.add_argument("--task", nargs="+", metavar="ID", help="only these task ids (--suite miniwob: task names, e.g. "
                   "click-button, or episodes, e.g. click-button.3)")
    b.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="--suite miniwob: episodes per task, with seeds 0..N-1 (default 1); other suites: a sweep "
                        "running each configuration with model seeds 0..N-1 (from --seed if given)")
    b.add_argument("--out", help="run directory (default runs/<time>-bench); an existing run there is an error")
    b.add_argument("--overwrite", action="store_true", help="replace the benchmark run already in --out")
    b.add_argument("--secret", action="append", metavar="NAME=VALUE[@HOST,...]",
                   help="a value the agent can type as {{NAME}} in every task; never written anywhere in clear")
    b.add_argument("--gold", action="store_true", help="replay each task's gold actions instead of a model "
                                                       "(step budget: the gold length + 5 unless --max-steps)")
    b.add_argument("--workers", type=int, default=1, help="worker processes (or Ray actors), each with its own "
                   "sites and browser")
    b.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="local: a process pool on this machine; ray: Ray actors (pip install 'webagent[ray]')")
    b.add_argument("--ray-address", metavar="ADDR", help="join a running Ray cluster (e.g. ray://head:10001 or "
                   "head:6379); default: start Ray on this machine")
    b.add_argument("--task-timeout", type=float, metavar="SECONDS",
                   help="wall-clock deadline per task, enforced from outside its worker (default: 60 s plus 10 s "
                        "per step with --gold, 240 s per step with a model)")
    b.add_argument("--resume", metavar="RUN_DIR", help="finish a run: run only its tasks without a result, with "
                   "its recorded configuration")
    b.add_argument("--force", action="store_true", help="with --resume: accept a configuration that differs "
                   "from the recorded one")
    b.add_argument("--site-url", action="append", metavar="NAME=URL",
                   help="use a deployed site, e.g. SHOPPING=http://host:7770 (also read from WebArena's env vars "
                        "SHOPPING, SHOPPING_ADMIN, REDDIT, GITLAB, WIKIPEDIA, MAP, HOMEPAGE for --suite PATH)")
    b.add_argument("--bundled-sites", action="store_true",
                   help="run a suite written for other sites (e.g. WebArena's) on the bundled sites where no URL is "
                        "given; their data differ from the benchmark's, so scores are not comparable")
    b.add_argument("--json", action="store_true", help="print one JSON object with the results on stdout "
                   "(run_dir, passed, success_rate, score, tokens, cost_usd, and each task's); progress goes to stderr")
    add_run_flags(b)
    for a in b._actions:  # a sweep: several planners and budgets, one configuration each (tasks.sweep)
        if a.dest in ("planner", "budget"):
            a.nargs = "+"
            a.__class__ = _OneOrMore
            a.help = (a.help or "") + "; several values run a sweep, one configuration each"
    _BENCH_DEFAULTS.update({a.dest: a.default for a in b._actions if a.dest != "help"})

    e = sub.add_parser("eval", help="score an answer and a final URL against one task's string and URL checks, "
                                    "or re-score a recorded WebArena-Verified task (--run)")
    e.add_argument("--task", metavar="FILE", help="task JSON file")
    e.add_argument("--suite", metavar="SUITE", help="`local` (the bundled suite) or a task file or folder; name "
                   "the task with --task-id")
    e.add_argument("--run", metavar="RUN_DIR", help="a bench task's directory (RUN/<task_id>) of a webarena-verified "
                   "run: re-scored offline by its library from trajectory.jsonl and network.har")
    e.add_argument("--task-id", help="which task, if the file or suite holds several")
    e.add_argument("--answer", help="the agent's final answer")
    e.add_argument("--url", help="the URL the agent ended on")
    e.add_argument("--site-url", action="append", metavar="NAME=URL", help="map a placeholder, e.g. SHOPPING=URL")
    e.add_argument("--json", action="store_true", help="print the checks and the score as one JSON object")
    add_model_flags(e)
    return {"sites": cmd_sites, "bench": cmd_bench, "eval": cmd_eval}
