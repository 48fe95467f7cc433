"""The typed records of a trajectory: header, step, footer, evaluation (and the parts of a step).

The recorder (webagent.recorder) is their only writer and webagent.trajectory reads them back into these same types,
so code that uses a run reads attributes, never `.get(...) or {}` on dicts. On disk each record is one JSON object
(`to_dict`); `from_dict` takes what any format this webagent reads holds: a key an older writer did not write gets
its default, a key this version does not know is kept in `extra` and written back unchanged. The top-level types
are checked first (`check`), which gives a crafted or corrupt record its one-line error naming the field.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from webagent.llm.base import Usage
from webagent.observers.identity import state_key

if TYPE_CHECKING:
    from webagent.actions import Action
    from webagent.executor import ActionResult
    from webagent.observers import Element, Observation

FORMAT_VERSION = 2
_NONE = type(None)


class RecordError(ValueError):
    """A record whose field has the wrong type (the reader adds the file and line)."""


def _names(want: Any) -> str:
    return " or ".join(t.__name__ if t is not _NONE else "null" for t in (want if isinstance(want, tuple) else
                                                                        (want,)))


def _check(kind: str, rec: dict[str, Any], fields: dict[str, Any]) -> None:
    for key, want in fields.items():
        if key not in rec:
            continue
        v = rec[key]
        if not isinstance(v, want) or (isinstance(v, bool) and bool not in (want if isinstance(want, tuple)
                                                                            else (want,))):
            raise RecordError(f"field {key!r} should be {_names(want)}, got {type(v).__name__}")


def _extra(d: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in known and k != "type"}


def _num(v: Any, default: float = 0.0) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else default


def usage_of(d: Any) -> Usage:
    """A Usage from its dict form (missing or odd values count 0)."""
    d = d if isinstance(d, dict) else {}
    return Usage(int(_num(d.get("prompt_tokens"))), int(_num(d.get("completion_tokens"))),
                 _num(d.get("cost_usd")), int(_num(d.get("image_tokens"))))


@dataclass
class Header:
    """The first record: the task as given, the configuration (`config["run"]` is the RunConfig), versions."""

    task: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    format: int = FORMAT_VERSION
    created: float = field(default_factory=time.time)
    extra: dict[str, Any] = field(default_factory=dict)

    FIELDS = {"task": dict, "config": dict, "versions": dict}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Header:
        return cls(dict(d.get("task") or {}), dict(d.get("config") or {}), dict(d.get("versions") or {}),
                   d["format"] if isinstance(d.get("format"), int) else FORMAT_VERSION, _num(d.get("created")),
                   _extra(d, {**cls.FIELDS, "format": 0, "created": 0}))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "header", "format": self.format, "created": self.created, "task": self.task,
                "config": self.config, "versions": self.versions, **self.extra}


@dataclass
class StepTarget:
    """The element a step acted on, as recorded: what replay re-finds it by (role and name, then selector)."""

    role: str | None = None
    name: str = ""
    id: int | None = None
    frame: str | None = None
    selector: str | None = None
    bbox: list[float] | None = None  # x, y, w, h in viewport CSS pixels
    extra: dict[str, Any] = field(default_factory=dict)

    KEYS = ("id", "role", "name", "frame", "selector", "bbox")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepTarget:
        bbox = d.get("bbox")
        bbox = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0.0 for v in bbox] \
            if isinstance(bbox, list) and len(bbox) == 4 else None
        return cls(d.get("role") if isinstance(d.get("role"), str) else None, str(d.get("name") or ""),
                   d.get("id") if isinstance(d.get("id"), int) else None,
                   d.get("frame") if isinstance(d.get("frame"), str) else None,
                   d.get("selector") if isinstance(d.get("selector"), str) else None, bbox,
                   {k: v for k, v in d.items() if k not in cls.KEYS})

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "name": self.name, "frame": self.frame, "selector": self.selector,
                "bbox": self.bbox, **self.extra}


@dataclass
class StepResult:
    """What executing the step's action did: ok, or the error the agent read next (and its kind)."""

    ok: bool = True
    error: str | None = None
    error_kind: str | None = None
    ms: float = 0.0
    url_before: str = ""
    url_after: str = ""
    details: dict[str, Any] = field(default_factory=dict)  # what the executor added (downloads, confirmations)

    KEYS = ("ok", "error", "error_kind", "ms", "url_before", "url_after")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepResult:
        def s(k: str) -> str | None:
            v = d.get(k)
            return v if isinstance(v, str) else None
        return cls(bool(d.get("ok", True)), s("error"), s("error_kind"), _num(d.get("ms")), s("url_before") or "",
                   s("url_after") or "", {k: v for k, v in d.items() if k not in cls.KEYS})

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "error": self.error, "error_kind": self.error_kind, "ms": self.ms,
                "url_before": self.url_before, "url_after": self.url_after, **self.details}


@dataclass
class LLMCall:
    """One model call of a step: purpose, prompt (images as files in the run directory), outputs, tokens, time."""

    purpose: str = ""
    model: str = ""
    n: int = 1
    temperature: float = 0.0
    messages: list[Any] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    ms: float = 0.0
    constrained: str | None = None
    images: list[dict[str, Any]] = field(default_factory=list)  # what the call received (label, file, size)
    image_stats: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # backend phases (the embedded model: prefill, generate)

    KEYS = ("purpose", "model", "n", "temperature", "messages", "outputs", "usage", "ms", "constrained", "images",
            "image_stats", "timings")

    @classmethod
    def from_dict(cls, d: Any) -> LLMCall:
        if not isinstance(d, dict):
            return cls(extra={"value": d})
        outs = d.get("outputs")
        return cls(str(d.get("purpose") or ""), str(d.get("model") or ""), int(_num(d.get("n"), 1)),
                   _num(d.get("temperature")),
                   d["messages"] if isinstance(d.get("messages"), list) else [],
                   [str(o) for o in outs] if isinstance(outs, list) else [], usage_of(d.get("usage")),
                   _num(d.get("ms")), d.get("constrained") if isinstance(d.get("constrained"), str) else None,
                   [i for i in d.get("images") or [] if isinstance(i, dict)] if isinstance(d.get("images"), list)
                   else [], d["image_stats"] if isinstance(d.get("image_stats"), dict) else {},
                   {k: v for k, v in d.items() if k not in cls.KEYS},
                   {str(k): _num(v) for k, v in d["timings"].items()} if isinstance(d.get("timings"), dict) else {})

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"purpose": self.purpose, "model": self.model, "n": self.n,
                               "temperature": self.temperature, "messages": self.messages, "outputs": self.outputs,
                               "usage": self.usage.to_dict(), "ms": self.ms, "constrained": self.constrained}
        if self.image_stats:
            out["image_stats"] = self.image_stats
        if self.images:
            out["images"] = self.images
        if self.timings:
            out["timings"] = self.timings
        return {**out, **self.extra}


@dataclass
class Step:
    """One step: the page as observed, the action chosen (None for a reply that was not an action), its target and
    outcome, the LLM calls, the search tree, timings, screenshot and crops (paths in the run directory)."""

    step: int
    url: str = ""
    title: str = ""
    obs_hash: str = ""
    observation: str = ""
    tabs: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    action: str | None = None
    action_dict: dict[str, Any] | None = None
    target: StepTarget | None = None
    result: StepResult = field(default_factory=StepResult)
    timings: dict[str, float] = field(default_factory=dict)
    llm_calls: list[LLMCall] = field(default_factory=list)
    tokens: int = 0
    blocked_requests: list[Any] = field(default_factory=list)
    screenshot: str | None = None
    crops: dict[str, str] = field(default_factory=dict)
    candidates: list[Any] = field(default_factory=list)
    search_tree: dict[str, Any] | list[Any] | None = None
    executed_action: str | None = None  # the action as run, when its ids differ (a planner reloaded the page)
    extra: dict[str, Any] = field(default_factory=dict)

    FIELDS = {"url": str, "executed_action": (str, _NONE), "title": (str, _NONE), "observation": (str, _NONE), "action": (str, _NONE),
              "action_dict": (dict, _NONE), "target": (dict, _NONE), "result": (dict, _NONE),
              "screenshot": (str, _NONE), "llm_calls": list, "candidates": list, "notices": list, "tabs": list,
              "crops": dict, "timings": dict, "search_tree": (dict, list, _NONE), "tokens": (int, float),
              "blocked_requests": list, "obs_hash": (str, _NONE)}

    @property
    def ok(self) -> bool:
        return self.result.ok

    @classmethod
    def observed(cls, n: int, obs: Observation, action: Action | None, result: ActionResult | None, *,
                 error: str | None = None, timings: dict[str, float] | None = None,
                 llm_calls: list[LLMCall] | None = None, blocked: list[Any] | None = None,
                 screenshot: str | None = None, candidates: list[Any] | None = None,
                 search_tree: dict[str, Any] | list[Any] | None = None, executed: Action | None = None,
                 element: Element | None = None) -> Step:
        """The record of step `n`: the observation it acted on, the action in its ids (None: the reply was not
        one), what executing it did (None: nothing was executed; then `error` says what went wrong, if anything).
        `executed`: the action as run when a planner bound it to a reloaded page; `element`: the target as `obs`
        shows it (default: the result's)."""
        target = None
        el = element or (result.target if result is not None else None)
        if el is not None:
            target = StepTarget.from_dict({k: v for k, v in el.to_dict().items() if k in StepTarget.KEYS})
        calls = list(llm_calls or [])
        return cls(n, obs.url, obs.title, state_key(obs), obs.text, [t.__dict__ for t in obs.tabs], obs.notices,
                   str(action) if action else None, action.to_dict() if action else None, target,
                   StepResult.from_dict(result.to_dict()) if result else StepResult(error is None, error),
                   {**(timings or {}), **{k: round(v, 1) for k, v in obs.timings.items()}}, calls,
                   sum(c.usage.total_tokens for c in calls), list(blocked or []), screenshot,
                   candidates=list(candidates or []), search_tree=search_tree,
                   executed_action=str(executed) if executed is not None and str(executed) != str(action) else None)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Step:
        return cls(
            step=d["step"], url=d.get("url") or "", title=d.get("title") or "", obs_hash=d.get("obs_hash") or "",
            observation=d.get("observation") or "", tabs=[t for t in d.get("tabs") or [] if isinstance(t, dict)],
            notices=[str(n) for n in d.get("notices") or []], action=d.get("action"),
            action_dict=d.get("action_dict"),
            target=StepTarget.from_dict(d["target"]) if d.get("target") else None,
            result=StepResult.from_dict(d.get("result") or {}),
            timings={k: float(v) for k, v in (d.get("timings") or {}).items() if isinstance(v, (int, float))},
            llm_calls=[LLMCall.from_dict(c) for c in d.get("llm_calls") or []], tokens=int(d.get("tokens") or 0),
            blocked_requests=list(d.get("blocked_requests") or []), screenshot=d.get("screenshot"),
            crops={str(k): v for k, v in (d.get("crops") or {}).items() if isinstance(v, str)},
            candidates=list(d.get("candidates") or []), search_tree=d.get("search_tree"),
            executed_action=d.get("executed_action"), extra=_extra(d, {**cls.FIELDS, "step": int}))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "step", "step": self.step, "url": self.url, "title": self.title, "obs_hash": self.obs_hash,
                "observation": self.observation, "tabs": self.tabs, "notices": self.notices, "action": self.action,
                "action_dict": self.action_dict,
                **({"executed_action": self.executed_action} if self.executed_action is not None else {}),
                "target": self.target.to_dict() if self.target else None,
                "result": self.result.to_dict(), "timings": self.timings,
                "llm_calls": [c.to_dict() for c in self.llm_calls], "tokens": self.tokens,
                "blocked_requests": self.blocked_requests, "screenshot": self.screenshot, "crops": self.crops,
                "candidates": self.candidates, "search_tree": self.search_tree, **self.extra}


@dataclass
class Evaluation:
    """The score of a run (None when it could not be scored), the checks behind it and notices."""

    score: float | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)  # kind, score, detail
    notices: list[str] = field(default_factory=list)
    error: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    FIELDS = {"score": (int, float, _NONE), "checks": list, "notices": list, "error": (str, _NONE)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evaluation:
        return cls(d.get("score"), [c for c in d.get("checks") or [] if isinstance(c, dict)],
                   [str(n) for n in d.get("notices") or []], d.get("error") or "", _extra(d, cls.FIELDS))

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "checks": self.checks, "notices": self.notices,
                **({"error": self.error} if self.error else {}), **self.extra}


@dataclass
class Footer:
    """The end of a run: status, answer, why it ended, final URL, usage; `evaluation` once it is scored (an
    evaluation record written after the footer is merged into it when read)."""

    status: str = "incomplete"
    answer: str | None = None
    reason: str = ""
    steps: int = 0
    final_url: str = ""
    usage: Usage = field(default_factory=Usage)
    llm_calls: int = 0
    seconds: float = 0.0
    blocked_requests: list[Any] = field(default_factory=list)
    images: dict[str, int] | None = None  # image totals, when images were sent
    evaluation: Evaluation | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    FIELDS = {"status": (str, _NONE), "answer": (str, _NONE), "reason": (str, _NONE), "steps": (int, _NONE),
              "final_url": (str, _NONE), "usage": (dict, _NONE), "evaluation": (dict, _NONE),
              "llm_calls": (int, _NONE), "seconds": (int, float, _NONE), "blocked_requests": (list, _NONE),
              "images": (dict, _NONE)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Footer:
        ev = d.get("evaluation")
        return cls(d.get("status") or "incomplete", d.get("answer"), d.get("reason") or "", d.get("steps") or 0,
                   d.get("final_url") or "", usage_of(d.get("usage")), d.get("llm_calls") or 0,
                   _num(d.get("seconds")), list(d.get("blocked_requests") or []), d.get("images"),
                   Evaluation.from_dict(ev) if isinstance(ev, dict) else None, _extra(d, cls.FIELDS))

    def to_dict(self) -> dict[str, Any]:
        return {"type": "footer", "status": self.status, "answer": self.answer, "reason": self.reason,
                "steps": self.steps, "final_url": self.final_url, "blocked_requests": self.blocked_requests,
                "usage": self.usage.to_dict(), "llm_calls": self.llm_calls, "seconds": self.seconds,
                **({"images": self.images} if self.images is not None else {}),
                **({"evaluation": self.evaluation.to_dict()} if self.evaluation is not None else {}), **self.extra}


RECORDS: dict[str, Any] = {"header": Header, "step": Step, "footer": Footer, "evaluation": Evaluation}


def check(rec: dict[str, Any]) -> None:
    """Raise RecordError when a known top-level field of `rec` (a record's dict form) has the wrong type."""
    kind = rec.get("type")
    if kind == "evaluation":
        _check(kind, rec, {"evaluation": (dict, _NONE)})
        inner = rec.get("evaluation") if isinstance(rec.get("evaluation"), dict) else rec
        _check(kind, inner, Evaluation.FIELDS)
    elif kind in RECORDS:
        _check(kind, rec, RECORDS[kind].FIELDS)
