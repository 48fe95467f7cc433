"""Read a run directory's `trajectory.jsonl`: validation with errors that name the line, the crash case (a cut last
line) tolerated with a warning, and older format versions upgraded to the current one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webagent.errors import BadInput
from webagent.llm.base import Usage
from webagent.observers.identity import strip_ids
from webagent.recorder import TRAJECTORY
from webagent.records import FORMAT_VERSION, Evaluation, Footer, Header, RecordError, Step, check
from webagent.runconfig import RunConfig

RECORD_TYPES = ("header", "step", "footer", "evaluation")
OLDEST_READABLE = 1


class TrajectoryError(BadInput):
    """A trajectory file that cannot be used: corrupt, of an unknown format version, or not a trajectory."""


@dataclass
class Trajectory:
    """A run read back: its header, finished steps and footer (None when the run did not finish) as typed
    records (webagent.records), with what the reader noticed."""

    path: Path
    header: Header
    steps: list[Step]
    footer: Footer | None
    warnings: list[str] = field(default_factory=list)
    upgraded_from: int | None = None

    @property
    def run_dir(self) -> Path:
        return self.path.parent

    @property
    def task(self) -> dict[str, Any]:
        return self.header.task

    @property
    def config(self) -> dict[str, Any]:
        return self.header.config

    @property
    def spec(self) -> dict[str, Any]:
        """The task spec (WebArena JSON, bound to the recorded URLs) when the run came from a task file: the
        benchmark runner puts it under the header's task as `task`; a hand-made header may hold `eval` itself."""
        t = self.task
        return t["task"] if isinstance(t.get("task"), dict) else t

    @property
    def eval_block(self) -> dict[str, Any] | None:
        ev = self.spec.get("eval") or self.task.get("eval")
        return ev if isinstance(ev, dict) else None

    @property
    def run_config(self) -> RunConfig:
        """The run configuration the run was recorded with (defaults for what an older header lacks)."""
        cfg = self.config
        if isinstance(cfg.get("run"), dict):
            return RunConfig.from_dict(cfg["run"], f"{self.path}: the header's run configuration")
        return legacy_run_config(cfg, self.path)

    @property
    def complete(self) -> bool:
        """The run ended normally (has a footer); False for a killed process."""
        return self.footer is not None

    @property
    def evaluation(self) -> Evaluation | None:
        return self.footer.evaluation if self.footer is not None else None

    @property
    def score(self) -> float | None:
        return self.evaluation.score if self.evaluation is not None else None

    @property
    def status(self) -> str:
        return self.footer.status if self.footer is not None else "incomplete"

    @property
    def answer(self) -> str | None:
        return self.footer.answer if self.footer is not None else None

    def llm_outputs(self) -> list[list[str]]:
        """Every recorded LLM call's outputs, in call order (what RecordedChat replays)."""
        return [list(c.outputs) for s in self.steps for c in s.llm_calls]

    def usage(self) -> Usage:
        """Tokens and cost of every recorded LLM call."""
        tot = Usage()
        for s in self.steps:
            for c in s.llm_calls:
                tot = tot + c.usage
        return tot


# -- format upgrades ------------------------------------------------------------------------------------------------

def _upgrade_1_to_2(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Format 1 (before crops and evaluation records): steps get `crops`, an evaluation in a footer stays."""
    out = []
    for r in records:
        r = dict(r)
        if r.get("type") == "step":
            r.setdefault("crops", {})
            r.setdefault("title", "")
            r.setdefault("observation", "")
        out.append(r)
    return out


UPGRADES = {1: _upgrade_1_to_2}


def _where(path: Path, lineno: int) -> str:
    return f"{path}: line {lineno}"


MAX_DEPTH = 200  # deeper than any search tree webagent writes


def _depth(obj: Any, limit: int) -> int:
    """Nesting depth of lists and dicts, counted without recursion, stopping once past `limit`."""
    stack, deepest = [(obj, 1)], 0
    while stack:
        o, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values() if isinstance(v, (dict, list)))
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o if isinstance(v, (dict, list)))
    return deepest


def _check_types(path: Path, line: int, rec: dict[str, Any]) -> None:
    """A record whose known fields have the wrong type (or that is nested absurdly deep) is refused here, with
    its line, instead of failing later inside `view` or `replay`."""
    try:
        check(rec)
    except RecordError as e:
        raise TrajectoryError(f"{_where(path, line)}: {e}") from None
    if _depth(rec, MAX_DEPTH) > MAX_DEPTH:
        raise TrajectoryError(f"{_where(path, line)}: nested more than {MAX_DEPTH} levels deep (a crafted or "
                              "corrupt record)")


def load(path: str | Path) -> Trajectory:
    """Load a trajectory from a run directory or a `trajectory.jsonl` file.

    Raises TrajectoryError naming the file and line for anything unusable. A cut-off last line (a process killed
    while writing) is dropped with a warning; so is a missing footer (the run did not finish)."""
    path = Path(path)
    if not path.exists() and path.suffix != ".jsonl":
        raise TrajectoryError(f"{path}: no such run directory")
    if path.is_dir():
        path = path / TRAJECTORY
    if not path.exists():
        raise TrajectoryError(f"{path}: no such file (is this a run directory?)")
    raw = path.read_bytes()
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    ends_cleanly = text.endswith("\n") or not text
    if lines and lines[-1] == "":
        lines.pop()
    warnings: list[str] = []
    records: list[tuple[int, dict[str, Any]]] = []
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except RecursionError:
            raise TrajectoryError(f"{_where(path, i)}: nested too deeply to read (a crafted or corrupt "
                                  "record)") from None
        except json.JSONDecodeError as e:
            if i == len(lines) and not ends_cleanly:
                warnings.append(f"{_where(path, i)} is cut short ({len(line)} bytes, no newline): the process was "
                                "probably killed while writing it; ignored, every earlier step is kept")
                continue
            raise TrajectoryError(f"{_where(path, i)}: not valid JSON ({e.msg} at column {e.colno}); "
                                  f"the line starts {line[:60]!r}") from None
        if not isinstance(rec, dict):
            raise TrajectoryError(f"{_where(path, i)}: expected a JSON object, got {type(rec).__name__}")
        kind = rec.get("type")
        if kind not in RECORD_TYPES:
            raise TrajectoryError(f"{_where(path, i)}: unknown record type {kind!r}; expected one of "
                                  f"{', '.join(RECORD_TYPES)}")
        _check_types(path, i, rec)
        records.append((i, rec))
    if not records:
        raise TrajectoryError(f"{path}: empty trajectory (no header): the run did not start")
    first_line, header = records[0]
    if header.get("type") != "header":
        raise TrajectoryError(f"{_where(path, first_line)}: the first record must be the header, got "
                              f"{header.get('type')!r}")
    fmt = header.get("format")
    if not isinstance(fmt, int):
        raise TrajectoryError(f"{_where(path, first_line)}: the header has no format version (format={fmt!r}); "
                              "not a webagent trajectory")
    if fmt > FORMAT_VERSION:
        raise TrajectoryError(f"{path}: trajectory format {fmt} was written by a newer webagent; this one reads "
                              f"formats {OLDEST_READABLE} to {FORMAT_VERSION}: upgrade webagent")
    if fmt < OLDEST_READABLE:
        raise TrajectoryError(f"{path}: trajectory format {fmt} is too old to read (this webagent reads formats "
                              f"{OLDEST_READABLE} to {FORMAT_VERSION}); record the run again")
    upgraded_from = None
    if fmt < FORMAT_VERSION:
        upgraded_from = fmt
        recs = [r for _, r in records]
        v = fmt
        while v < FORMAT_VERSION:
            recs = UPGRADES[v](recs)
            v += 1
        records = [(ln, r) for (ln, _), r in zip(records, recs, strict=True)]
        header = records[0][1]
        header["format"] = FORMAT_VERSION
        warnings.append(f"{path}: upgraded from trajectory format {fmt} to {FORMAT_VERSION} (in memory)")
    steps: list[Step] = []
    footer: Footer | None = None
    evaluation: Evaluation | None = None
    for ln, rec in records[1:]:
        kind = rec["type"]
        if kind == "header":
            raise TrajectoryError(f"{_where(path, ln)}: a second header (two runs written into one file?)")
        if kind == "step":
            if footer is not None:
                raise TrajectoryError(f"{_where(path, ln)}: a step after the footer")
            n = rec.get("step")
            if not isinstance(n, int) or isinstance(n, bool):
                raise TrajectoryError(f"{_where(path, ln)}: step record without an integer 'step' field")
            if steps and n <= steps[-1].step:
                raise TrajectoryError(f"{_where(path, ln)}: step {n} comes after step {steps[-1].step}")
            steps.append(Step.from_dict(rec))
        elif kind == "footer":
            if footer is not None:
                raise TrajectoryError(f"{_where(path, ln)}: a second footer")
            footer = Footer.from_dict(rec)
        elif kind == "evaluation":  # {"type": "evaluation", "evaluation": {...}} or the fields inline
            ev = rec["evaluation"] if isinstance(rec.get("evaluation"), dict) else \
                {k: v for k, v in rec.items() if k != "type"}
            if "score" not in ev:
                raise TrajectoryError(f"{_where(path, ln)}: evaluation record without a 'score'")
            evaluation = Evaluation.from_dict(ev)
    if footer is None:
        warnings.append(f"{path}: no footer: the run did not finish (killed or crashed); "
                        f"{len(steps)} finished step(s) kept")
    elif evaluation is not None:
        footer.evaluation = evaluation
    return Trajectory(path, Header.from_dict(header), steps, footer, warnings, upgraded_from)


def legacy_run_config(cfg: dict[str, Any], path: Path) -> RunConfig:
    """The run configuration of a header written before it held one (`run`): its flat keys, where they exist."""
    data: dict[str, Any] = {"agent": {k: cfg[k] for k in ("max_steps", "loop_limit", "temperature") if k in cfg}}
    obs = cfg.get("observe") or {}
    data["observe"] = {k: obs[k] for k in ("scope", "detail", "mode", "max_chars") if k in obs}
    if cfg.get("planner"):
        data["planner"] = {"name": cfg["planner"]}  # older params were another shape: the planner's defaults
    return RunConfig.from_dict(data, f"{path}: the header's configuration")


_TIME_RE = re.compile(r"\b\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\b")


def normalize_observation(text: str) -> str:
    """Observation text without what legitimately changes between runs: element ids and timestamps."""
    return _TIME_RE.sub("<time>", strip_ids(text))
