"""Every ```python and ```bash block of README.md runs as written, in README order, in one scratch directory.

Python blocks run as scripts (`python block.py`), bash blocks with `bash -euo pipefail`, with `webagent` on PATH and
the model set (OPENAI_BASE_URL, OPENAI_API_KEY, WEBAGENT_MODEL) to a scripted OpenAI-compatible server that
answers every call with `stop [...]`: this proves the examples run (imports, names, signatures, the bundled sites,
the CLI), not that an agent solves anything. The markers (README, Development):

    <!-- not run: REASON -->     on the line right above a block that cannot run here (an API key, a deployed
                                 WebArena, minutes of work, a synopsis with placeholders); REASON is required
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fake_openai import FakeOpenAI

README = Path(__file__).resolve().parent.parent / "README.md"
RUN_LANGS = ("python", "bash")
FENCE = re.compile(r"^(?P<indent>\s*)```(?P<lang>[\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*not run\s*:\s*(?P<reason>.*?)\s*-->\s*$")
SCRIPTED_ANSWER = "stop [scripted answer]"


@dataclass
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    not_run: str | None = None  # the reason, when marked

    @property
    def id(self) -> str:
        return f"README.md:{self.line}-{self.lang}"


def blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, each with the marker on the line above it (if any)."""
    lines = text.splitlines()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, start = len(m.group("indent")), i
        body: list[str] = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
            i += 1
        b = Block(start + 1, m.group("lang").lower(), "\n".join(body) + "\n")
        mk = MARKER.match(lines[start - 1]) if start > 0 else None
        if mk:
            b.not_run = mk.group("reason")
        out.append(b)
        i += 1
    return out


ALL = blocks(README.read_text(encoding="utf-8"))
RUNNABLE = [b for b in ALL if b.lang in RUN_LANGS and b.not_run is None]


def test_the_readme_markers_are_well_formed():
    assert len(ALL) > 15 and any(b.lang == "python" for b in RUNNABLE) and any(b.lang == "bash" for b in RUNNABLE)
    for b in ALL:
        if b.not_run is not None:
            assert b.lang in RUN_LANGS, f"{b.id}: only python and bash blocks are run; drop the marker"
            assert len(b.not_run) >= 8, f"{b.id}: `<!-- not run: REASON -->` needs a reason"
    # a marker that does not sit right above a fence is a typo that would silently run (or skip) nothing
    lines = README.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines[:-1], 1):
        if MARKER.match(line):
            assert FENCE.match(lines[n]), f"README.md:{n}: a marker must be on the line right above a ``` fence"
    loose = [n for n, line in enumerate(lines, 1) if line.lstrip().startswith("<!--") and not MARKER.match(line)
             and re.search(r"not[ -_]*run", line)]
    assert not loose, f"README.md lines {loose}: malformed marker (write `<!-- not run: REASON -->`)"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """The directory the blocks run in, and their environment (the scripted model's server)."""
    d = tmp_path_factory.mktemp("readme")
    with FakeOpenAI([SCRIPTED_ANSWER] * 10_000) as llm:
        env = {k: v for k, v in os.environ.items()
               if k not in ("SHOPPING", "SHOPPING_ADMIN", "REDDIT", "GITLAB", "WIKIPEDIA", "MAP", "HOMEPAGE")}
        env.update(OPENAI_BASE_URL=llm.base_url, OPENAI_API_KEY="sk-readme-test", WEBAGENT_MODEL="scripted",
                   PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
        yield d, env, llm


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_readme_block_runs_as_written(block, scratch):
    d, env, _ = scratch
    if block.lang == "python":
        script = d / f"block_{block.line}.py"
        script.write_text(block.text, encoding="utf-8")
        cmd = [sys.executable, str(script)]
    else:
        cmd = ["bash", "-euo", "pipefail", "-c", block.text]
    proc = subprocess.run(cmd, cwd=d, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (f"{block.id} failed (exit {proc.returncode}); mark it `<!-- not run: REASON -->` "
                                  f"only if it cannot run here\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n"
                                  f"{proc.stderr[-3000:]}")
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
