"""The result line of one task (`results.jsonl`), shared by the runner and the executors."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from webagent.tasks.spec import Task


@dataclass
class TaskResult:
    task_id: str
    site: str
    eval_types: list[str]
    score: float | None
    status: str
    steps: int
    tokens: int
    seconds: float
    answer: str | None
    final_url: str = ""
    reason: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    trajectory: str = ""
    error: str = ""  # why the task could not be run or scored (one line); such a task is an error, not a failure
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (PhaseClock.PHASES)
    cost_usd: float = 0.0
    metrics: dict[str, float] = field(default_factory=dict)  # a suite's own measures (MiniWoB++: raw_reward, reward)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def one_line(stage: str, e: BaseException) -> str:
    """An exception as one line for a task's `error`: our typed errors by their message, others with their type."""
    from webagent.errors import WebAgentError
    first = (str(e).strip().splitlines() or [""])[0][:300]
    return f"{stage}: {first}" if isinstance(e, WebAgentError) else f"{stage}: {type(e).__name__}: {first}"


def error_result(task: Task, reason: str, seconds: float) -> dict[str, Any]:
    """The result line of a task that did not finish: status `error`, no score, the reason in one line (`error`)."""
    line = (reason.strip().splitlines() or ["error"])[0][:300]
    return TaskResult(task.task_id, task.site, task.eval_types, None, "error", 0, 0, round(seconds, 2), None,
                      reason=line, error=line).to_dict()
