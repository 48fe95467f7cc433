"""One serialisable run configuration: what `webagent run` and `webagent bench` build from the same flags (or a
`--config run.toml|run.json` file the flags override), what the trajectory header stores and what
`webagent replay --llm recorded` reads back.

Sections: `agent` (step budget, stop rules, sampling), `observe` (what the agent sees), `planner` (name and
options; each planner's options and defaults live in its params dataclass), `browser` (the episode-independent
subset), `model` (endpoint and cache; never the API key). To add a setting: add a field with `opt(...)` to its
section dataclass here; its flag, help, bounds, config-file key and header entry follow from that one line.

A config file mirrors `to_dict()`::

    [agent]
    max_steps = 10
    [observe]
    scope = "viewport"
    [planner]
    name = "best-first"
    branching = 5          # the planner's options, flat (or under [planner.params])
    [model]
    model = "gpt-4o-mini"
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from webagent.errors import BadInput
from webagent.observers import ObserveOptions
from webagent.options import add_flags, build, check, default_of, opt, values_from_args
from webagent.planner import Planner, load_planners, make_planner, planner_entry
from webagent.vision import MODES, Vision


@dataclass
class AgentSettings:
    """The agent loop: step budget, stop rules, sampling."""

    max_steps: int = opt(15, minimum=1, help="step budget")
    max_seconds: float | None = opt(3600.0, minimum=1, help="the run's watchdog: stop the run (status timeout) "
                                                            "after this long")
    loop_limit: int = opt(3, minimum=1, flag=False)  # the same action on an unchanged page this often ends the run
    max_consecutive_errors: int = opt(5, minimum=1, flag=False)
    temperature: float = opt(0.0, minimum=0, flag=False)
    constrain: bool = opt(True, flag=False)  # send the action grammar to backends that can use it
    server_snapshots: bool = opt(True, name="--no-server-snapshots", const=False,
                                 help="search explores on the bundled sites without snapshots of their databases "
                                      "(then, as on live sites, actions that may change server state are simulated "
                                      "and non-GET requests blocked while exploring)")


@dataclass
class ObserveSettings:
    """What the agent sees each step (the fields of `ObserveOptions` a user sets)."""

    scope: str = opt("page", choices=("page", "viewport"),
                     help="whole page (default) or the viewport and a margin, with 'N more elements' hints")
    margin: int = opt(720, minimum=0, help="with --scope viewport: how many pixels above and below the viewport "
                                           "are shown too")
    detail: str = opt("normal", choices=("low", "normal", "high"), help="how much of names, properties and options")
    mode: str = opt("text", choices=("text", "html"), help="accessibility tree or cleaned HTML")
    max_chars: int = opt(24_000, minimum=200, help="text budget, cut by priority (about 4 chars a token)")
    images: str = opt("none", choices=MODES,
                      help="pictures of the page for the model (it must take images): none (text only, default), "
                           "screenshot (the viewport), som (the screenshot with the text's [id]s drawn on), crops "
                           "(the elements that matter now, each with its text line, and the densest region of a "
                           "tall page)")

    def options(self, **overrides: Any) -> ObserveOptions:
        """The observer's options (`images` is the agent's `Vision`, not an observer option)."""
        own = {k: v for k, v in asdict(self).items() if k in ObserveOptions.__dataclass_fields__}
        return ObserveOptions(**{**own, **overrides})


@dataclass
class BrowserSettings:
    """The part of the browser set-up that belongs to a run (not to one episode's files)."""

    headless: bool = opt(True, name="--headful", const=False, help="show the browser window")
    allowed_domains: list[str] = opt(default_factory=list, name="--allow-domain", metavar="HOST",
                                     help="extra host the agent may visit, added to the start URL's origin: "
                                          "example.com, *.example.com, example.com:8080 (no port: any port), "
                                          "data:, blob:, file:")
    network: str = opt("default", choices=("default", "strict"),
                       help="strict: no request at all (images, scripts, frames) leaves the allowed domains; "
                            "default: only top-level pages are confined, and requests carrying a secret go only "
                            "to its hosts")


@dataclass
class ModelSettings:
    """Which model answers; the API key is a flag and an environment variable, never a setting that is stored."""

    model: str | None = opt(None, help="model name at an OpenAI-compatible endpoint (env WEBAGENT_MODEL)")
    base_url: str | None = opt(None, help="OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 "
                                          "(env OPENAI_BASE_URL)")
    cache: str | None = opt(None, metavar="PATH", help="cache LLM replies in this SQLite file")
    seed: int | None = opt(None, minimum=0, help="sampling seed (the embedded model; sent to OpenAI-compatible "
                                                 "servers, which may ignore it)")

    def kwargs(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PlannerSettings:
    """A planner by name and the options given for it (unset ones take the planner's defaults)."""

    name: str = "reactive"
    params: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Planner:
        return make_planner(self.name, **self.params)


@dataclass
class AgentConfig(AgentSettings):
    """What the agent loop runs with: its settings (defaults in `AgentSettings`), the full observe options and the
    image settings (mode, budget, the task's own images)."""

    observe: ObserveOptions = field(default_factory=ObserveOptions)
    vision: Vision = field(default_factory=Vision)


SECTIONS: dict[str, type] = {"agent": AgentSettings, "observe": ObserveSettings, "browser": BrowserSettings,
                             "model": ModelSettings}


@dataclass
class RunConfig:
    agent: AgentSettings = field(default_factory=AgentSettings)
    observe: ObserveSettings = field(default_factory=ObserveSettings)
    planner: PlannerSettings = field(default_factory=PlannerSettings)
    browser: BrowserSettings = field(default_factory=BrowserSettings)
    model: ModelSettings = field(default_factory=ModelSettings)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "run configuration") -> RunConfig:
        """Back from `to_dict()` (or a config file): unknown sections and keys are one-line errors."""
        if not isinstance(data, dict):
            raise BadInput(f"{where}: expected a table of sections, got {type(data).__name__}")
        return merge(cls(), data, where)

    def agent_config(self) -> Any:
        """The `AgentConfig` the agent loop runs with."""
        return AgentConfig(**asdict(self.agent), observe=self.observe.options(), vision=Vision(self.observe.images))

    def build_planner(self) -> Planner:
        return self.planner.build()

    @classmethod
    def describe(cls, base: RunConfig | None, agent: Any, planner: Any, browser: Any) -> RunConfig:
        """The configuration a run actually has: `base` (what the caller built, for the model settings) with the
        agent, observation, planner and browser sections read from the live objects."""
        base = base or cls()
        params = planner.params() if hasattr(planner, "params") else {}
        observe = _copy_from(ObserveSettings, agent.observe)
        vision = getattr(agent, "vision", None)
        if vision is not None:
            observe = replace(observe, images=vision.mode)
        return replace(base, agent=_copy_from(AgentSettings, agent), observe=observe,
                       planner=PlannerSettings(getattr(planner, "name", type(planner).__name__), dict(params)),
                       browser=_copy_from(BrowserSettings, browser))


def _copy_from(cls: type, obj: Any) -> Any:
    return cls(**{f.name: getattr(obj, f.name) for f in fields(cls) if hasattr(obj, f.name)})


def merge(cfg: RunConfig, data: dict[str, Any], where: str) -> RunConfig:
    """`cfg` with the sections of `data` laid over it."""
    known = [*SECTIONS, "planner"]
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise BadInput(f"{where}: unknown section(s) {', '.join(unknown)}; known: {', '.join(known)}")
    out = cfg
    for name, cls in SECTIONS.items():
        if name in data:
            sec = data[name]
            if not isinstance(sec, dict):
                raise BadInput(f"{where}: [{name}] must be a table of settings, got {sec!r}")
            current = {k: v for k, v in asdict(getattr(out, name)).items()}
            out = replace(out, **{name: build(cls, {**current, **sec}, f"{where} [{name}]")})
    if "planner" in data:
        p = data["planner"]
        if isinstance(p, str):
            p = {"name": p}
        if not isinstance(p, dict):
            raise BadInput(f"{where}: [planner] must be a table (name = ..., options), got {p!r}")
        p = dict(p)
        name = p.pop("name", None)
        params = p.pop("params", {})
        if not isinstance(params, dict):
            raise BadInput(f"{where}: [planner.params] must be a table, got {params!r}")
        params = {**params, **p}
        if name is not None and not isinstance(name, str):
            raise BadInput(f"{where}: planner name must be a string, got {name!r}")
        if name is not None and name != out.planner.name:
            new = PlannerSettings(name, params)  # another planner: the earlier one's options do not apply
        else:
            new = PlannerSettings(out.planner.name, {**out.planner.params, **params})
        _check_planner(new, where)
        out = replace(out, planner=new)
    return out


def _check_planner(p: PlannerSettings, where: str) -> None:
    entry = planner_entry(p.name)
    known = [f.name for f in fields(entry.params)]
    unknown = sorted(k for k in p.params if k not in known)
    if unknown:
        raise BadInput(f"{where}: planner {entry.name} has no option {', '.join(unknown)}; "
                       f"its options: {', '.join(known)}")
    build(entry.params, p.params, f"{where} planner {entry.name}")


# -- files ---------------------------------------------------------------------------------------------------------

def load_config_file(path: str | Path) -> dict[str, Any]:
    """A run configuration file: TOML (`.toml`) or JSON (anything else). One-line errors for unreadable files."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BadInput(f"--config {path}: cannot read it ({e.strerror or e})") from None
    if path.suffix.lower() == ".toml":
        import tomllib
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise BadInput(f"--config {path}: not valid TOML ({e})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"--config {path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if not isinstance(data, dict):
        raise BadInput(f"--config {path}: expected a JSON object of sections")
    return data


# -- flags ---------------------------------------------------------------------------------------------------------

def add_run_flags(p: argparse.ArgumentParser) -> None:
    """The flags of a run configuration, shared by `webagent run` and `webagent bench` (and anything else that runs
    the agent): --config, agent, observation, planner (every registered planner's options), browser, model."""
    p.add_argument("--config", metavar="FILE", help="run configuration file (TOML or JSON); flags override it")
    add_flags(p.add_argument_group("agent"), AgentSettings)
    add_observe_flags(p)
    add_planner_flags(p)
    add_flags(p.add_argument_group("browser"), BrowserSettings)
    add_model_flags(p)


def add_observe_flags(p: argparse.ArgumentParser) -> None:
    add_flags(p.add_argument_group("observation"), ObserveSettings)


def add_model_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model (default: the embedded Gemma 3 270M through llama.cpp)")
    add_flags(g, ModelSettings)
    g.add_argument("--api-key", help="API key (env OPENAI_API_KEY); never written to logs or trajectories")


def add_planner_flags(p: argparse.ArgumentParser) -> None:
    """--planner and the union of every registered planner's options; each option's help says its default per
    planner. Only options of the chosen planner may be given."""
    planners = {n: e for n, e in load_planners().items() if e.cli}
    g = p.add_argument_group("planner")
    g.add_argument("--planner", default=None, choices=list(planners),
                   help="; ".join(f"{e.name}: {e.help}" for e in planners.values()) + " (default reactive)")
    defaults: dict[str, list[str]] = {}
    for e in planners.values():
        for f in fields(e.params):
            d = default_of(f)
            if d not in (None, False):
                defaults.setdefault(f.name, []).append(f"{e.name} {d}")
    seen: set[str] = set()
    for e in planners.values():
        add_flags(g, e.params, {k: "default " + ", ".join(v) for k, v in defaults.items()}, seen)


# What the embedded model sees unless the user chose otherwise: its prefill on a CPU costs about 2 ms a token, so
# the viewport alone (no margin: about 40% fewer tokens than a 720 px margin on the shop's listings).
EMBEDDED_OBSERVE: dict[str, Any] = {"scope": "viewport", "margin": 0}


def planner_option_names() -> set[str]:
    return {f.name for e in load_planners().values() for f in fields(e.params)}


def config_from_args(args: argparse.Namespace, base: RunConfig | None = None, *,
                     model_defaults: bool = False) -> RunConfig:
    """The run configuration: defaults, then `--config FILE`, then every flag that was given.

    `model_defaults`: settings no flag or file chose follow the model; for the embedded model (small context,
    slow prefill on a CPU) the observation is the viewport alone (EMBEDDED_OBSERVE), which cuts the prompt 2-10x."""
    cfg = base or RunConfig()
    path = getattr(args, "config", None)
    from_file = load_config_file(path) if path else {}
    if path:
        cfg = merge(cfg, from_file, f"--config {path}")
    flags: dict[str, Any] = {name: values_from_args(cls, args) for name, cls in SECTIONS.items()}
    chosen = {*flags["observe"], *(from_file.get("observe") or {})}
    if model_defaults and not base:
        from webagent.llm.config import is_embedded
        model = {**asdict(cfg.model), **flags["model"]}
        if is_embedded(model.get("model"), model.get("base_url")):
            flags["observe"].update({k: v for k, v in EMBEDDED_OBSERVE.items() if k not in chosen})
    given = {k: getattr(args, k) for k in planner_option_names() if getattr(args, k, None) is not None}
    name = getattr(args, "planner", None)
    if given or name:
        entry = planner_entry(name or cfg.planner.name)
        known = {f.name for f in fields(entry.params)}
        stray = sorted(k for k in given if k not in known)
        if stray:
            raise BadInput(f"{', '.join('--' + k.replace('_', '-') for k in stray)}: not an option of planner "
                           f"{entry.name} (its options: {', '.join('--' + k.replace('_', '-') for k in sorted(known))})")
        flags["planner"] = {**({"name": name} if name else {}), **given}
    cfg = merge(cfg, {k: v for k, v in flags.items() if v}, "flags")
    for name in SECTIONS:
        check(getattr(cfg, name))
    return cfg


__all__ = ["AgentSettings", "BrowserSettings", "ModelSettings", "ObserveSettings", "PlannerSettings", "RunConfig",
           "add_run_flags", "add_observe_flags", "add_model_flags", "add_planner_flags", "config_from_args",
           "load_config_file"]
