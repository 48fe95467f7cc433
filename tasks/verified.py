"""WebArena-Verified through its own library (`pip install webagent[verified]`): its tasks as our Task, the agent's
`stop [answer]` as its structured response, and its evaluators on that response plus the run's network trace.

The response mapping (`agent_response`): a stop answer that is already a JSON object with `task_type` (or the legacy
`performed_operation`) goes to the library verbatim, so an agent can report any status (e.g. NOT_FOUND_ERROR).
Otherwise the answer is wrapped as `{"task_type": <the task's expected type>, "status": "SUCCESS",
"retrieved_data": [<answer>] for RETRIEVE tasks else null, "error_details": null}`, the answer parsed as a number or
boolean when the task's `results_schema` asks for one, or as a JSON array when it is one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from webagent.tasks.evaluators import Check, EvalResult
from webagent.tasks.spec import Task

from webagent.errors import BadInput, SetupError

SUITE = "webarena-verified"
SUBSETS = {"hard": "webarena-verified-hard"}
EVAL_TYPE = "webarena_verified"


def _library() -> Any:
    try:
        import webarena_verified  # noqa: F401
    except ImportError:
        raise SetupError("WebArena-Verified needs its library: pip install 'webagent[verified]'") from None
    from webarena_verified.api import WebArenaVerified
    return WebArenaVerified


def _facade(urls: dict[str, str] | None = None) -> Any:
    """The library's facade, its environments set from `urls` (placeholder -> base URL) so that the URLs in a HAR
    map back to the placeholders in its expected network events."""
    cls = _library()
    from webarena_verified.types.config import WebArenaVerifiedConfig
    envs = {ph: {"urls": [u]} for ph, u in (urls or {}).items()}
    return cls(config=WebArenaVerifiedConfig(environments=envs or None))


def load_verified(subset: str | None = None) -> list[Task]:
    """The library's dataset (812 tasks) or a named subset (`hard`: its 258-task subset file) as our Tasks."""
    wa = _facade()
    tasks = wa.get_tasks()
    if subset is not None:
        if subset not in SUBSETS:
            raise BadInput(f"--subset {subset!r}: unknown; known: {', '.join(SUBSETS)}")
        from webarena_verified.api.internal.subsets_manager import SubsetsManager
        ids = set(json.loads(SubsetsManager().get_subset_path(name=SUBSETS[subset]).read_text())["task_ids"])
        tasks = [t for t in tasks if t.task_id in ids]
    return [to_task(t.model_dump(mode="json")) for t in tasks]


def to_task(d: dict[str, Any]) -> Task:
    """One WebArena-Verified task (its JSON) as our Task: placeholders kept, its eval list under our eval block."""
    raw = {"task_id": d["task_id"], "sites": list(d["sites"]), "start_url": " |AND| ".join(d["start_urls"]),
           "intent": d["intent"], "require_login": True, "benchmark": SUITE,
           "eval": {"eval_types": [EVAL_TYPE], EVAL_TYPE: d["eval"]}}
    return Task(task_id=str(d["task_id"]), sites=raw["sites"], intent=raw["intent"], start_url=raw["start_url"],
                eval=raw["eval"], require_login=True, raw=raw, path=SUITE)


def _expected(ev: dict[str, Any]) -> dict[str, Any]:
    for e in ev.get(EVAL_TYPE) or []:
        if e.get("evaluator") == "AgentResponseEvaluator":
            return e
    return {}


def _typed(text: str, schema: dict[str, Any]) -> Any:
    """One answer item as the schema's type asks (number, integer, boolean); the text itself otherwise."""
    kind = (schema or {}).get("type")
    s = text.strip()
    try:
        if kind == "integer":
            return int(s.replace(",", ""))
        if kind == "number":
            f = float(s.replace(",", "").lstrip("$"))
            return int(f) if f.is_integer() else f
    except ValueError:
        return text
    if kind == "boolean" and s.lower() in ("true", "false", "yes", "no"):
        return s.lower() in ("true", "yes")
    return text


def agent_response(ev: dict[str, Any], answer: str | None) -> str:
    """The library's agent_response (a JSON string) for a stop answer; see the module docstring."""
    if answer is not None:
        try:
            parsed = json.loads(answer)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and ("task_type" in parsed or "performed_operation" in parsed):
            return answer
    exp = _expected(ev)
    task_type = (exp.get("expected") or {}).get("task_type") or "RETRIEVE"
    data: list[Any] | None = None
    if task_type == "RETRIEVE":
        schema = exp.get("results_schema") or {}
        items = schema.get("items") or {}
        data = []
        if answer is not None and answer.strip():
            try:
                parsed = json.loads(answer)
            except ValueError:
                parsed = None
            values = parsed if isinstance(parsed, list) else [answer]
            data = [_typed(v, items) if isinstance(v, str) else v for v in values]
    return json.dumps({"task_type": task_type, "status": "SUCCESS", "retrieved_data": data, "error_details": None},
                      ensure_ascii=False)


def score(task: Task, answer: str | None, har: Path, urls: dict[str, str]) -> EvalResult:
    """The library's verdict on the answer and the HAR at `har`, as our EvalResult (one check per evaluator).
    A missing HAR is the library's verdict on an empty trace, with a notice saying the file was missing."""
    wa = _facade(urls)
    notices = []
    trace: Any = har
    if not har.exists():
        trace, notices = [], [f"no network trace at {har}; scored with an empty one"]
    response = agent_response(task.eval, answer)
    res = wa.evaluate_task(task_id=int(task.task_id), agent_response=response, network_trace=trace)
    checks = [Check(r.evaluator_name, float(r.score), r.error_msg or str(r.status)) for r in res.evaluators_results]
    if not checks or res.error_msg:
        checks.append(Check(EVAL_TYPE, float(res.score), f"{res.status}: {res.error_msg or ''}".strip(": ")))
    return EvalResult(checks, [f"agent_response: {response}", *notices])


def rescore_run(run_dir: Path, urls: dict[str, str] | None = None) -> tuple[Task, EvalResult]:
    """Score a recorded run offline from its trajectory (the task and the final answer) and its `network.har`;
    `urls` (placeholder -> URL) default to those the run recorded."""
    from webagent.trajectory import load
    traj = load(run_dir)
    task_meta = traj.task
    raw = task_meta.get("task") or {}
    if raw.get("benchmark") != SUITE:
        raise BadInput(f"{run_dir}: not a {SUITE} run (its task has no benchmark {SUITE!r})")
    task = Task(task_id=str(raw["task_id"]), sites=raw["sites"], intent=raw["intent"], start_url=raw["start_url"],
                eval=raw["eval"], raw=raw, path=str(run_dir))
    have = dict(task_meta.get("placeholder_urls") or {})
    have.update(urls or {})
    return task, score(task, traj.answer, Path(run_dir) / "network.har", have)
