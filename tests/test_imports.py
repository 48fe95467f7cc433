"""Import hygiene: one namespace (a user's stray `search.py`, `tasks.py`, `observers.py` change nothing), cheap
`import webagent` (no OpenAI SDK, Playwright, llama.cpp, Pillow, NumPy, Flask or lxml until used), lazy exports that
type checkers still see, and the layers importable in any order. Each check runs in a fresh interpreter."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("openai", "playwright", "llama_cpp", "PIL", "numpy", "flask", "lxml")
LAZY_PACKAGES = {"webagent": ROOT / "webagent/__init__.py", "webagent.llm": ROOT / "webagent/llm/__init__.py",
                 "webagent.observers": ROOT / "observers/__init__.py"}


def py(code: str, cwd: Path | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def stray_dir(tmp_path: Path) -> Path:
    """A working directory holding modules named like the layers' repository folders, each failing on import."""
    for name in ("search", "tasks", "observers"):
        (tmp_path / f"{name}.py").write_text(f"raise RuntimeError('the stray {name}.py was imported')\n")
    (tmp_path / "page.html").write_text("<title>Probe</title><button>Go</button>")
    return tmp_path


def test_cli_and_api_ignore_stray_modules_in_the_working_directory(stray_dir: Path) -> None:
    # `python -m` puts the working directory first on sys.path, where the stray modules are
    p = subprocess.run([sys.executable, "-m", "webagent", "--help"], cwd=stray_dir, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    for command in ("run", "observe", "replay", "view", "bench", "sites", "eval"):
        assert command in p.stdout, (command, p.stdout)
    p = subprocess.run([sys.executable, "-m", "webagent", "run", "--help"], cwd=stray_dir, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0 and "best-first" in p.stdout and "--branching" in p.stdout, p.stderr
    p = subprocess.run([sys.executable, "-m", "webagent", "observe", (stray_dir / "page.html").as_uri()],
                       cwd=stray_dir, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0 and "[1] button 'Go'" in p.stdout, p.stderr
    p = py("import sys; sys.path.insert(0, '')\n"
           "from webagent import run_task, AgentConfig\n"
           "from webagent.search import make_planner\n"
           "from webagent.tasks.spec import load_tasks\n"
           "from webagent.observers import ObserveOptions\n"
           "print(run_task.__module__, type(make_planner('best-first')).__name__, len(load_tasks('local')) > 0)",
           cwd=stray_dir)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["webagent.agent", "BestFirstPlanner", "True"]


def test_import_webagent_loads_no_heavy_dependency() -> None:
    p = py(f"import sys, webagent; print([m for m in {HEAVY!r} if m in sys.modules])")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]", f"import webagent loaded {p.stdout.strip()}"


def test_cli_help_loads_no_heavy_dependency() -> None:
    """`webagent --help` builds the whole parser, with every plugin's commands and flags, without them."""
    p = py(f"import sys\nfrom webagent.cli import build_parser\nbuild_parser()\n"
           f"print([m for m in {HEAVY!r} if m in sys.modules])")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]", f"building the CLI loaded {p.stdout.strip()}"


def test_a_backend_loads_its_sdk_when_chosen() -> None:
    p = py("import sys\nfrom webagent.llm.config import make_model, describe\n"
           "m = make_model('gpt-x', base_url='http://127.0.0.1:9/v1')\n"
           "print('openai' in sys.modules, describe(m))")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("True openai-compatible model=gpt-x base_url=http://127.0.0.1:9/v1")


@pytest.mark.parametrize("first, second", [("webagent.search", "webagent"), ("webagent", "webagent.search"),
                                           ("webagent.tasks.runner", "webagent.agent"),
                                           ("webagent.search.best_first", "webagent.planner")])
def test_layers_import_in_either_order(first: str, second: str) -> None:
    p = py(f"import {first}, {second}\nfrom webagent.search import make_planner\nfrom webagent import Agent\n"
           "print(type(make_planner('hybrid')).__name__, Agent.__name__)")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["HybridPlanner", "Agent"]


def _type_checking_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                if isinstance(imp, ast.ImportFrom):
                    names |= {a.asname or a.name for a in imp.names}
    return names


@pytest.mark.parametrize("package", sorted(LAZY_PACKAGES))
def test_lazy_exports_resolve_and_type_checkers_see_them(package: str) -> None:
    mod = importlib.import_module(package)
    lazy = set(mod.EXPORTS)
    assert lazy <= set(mod.__all__), lazy - set(mod.__all__)
    assert _type_checking_names(LAZY_PACKAGES[package]) == lazy  # the TYPE_CHECKING block names every lazy export
    # a submodule named like an export would replace it on the package once imported (webagent.execute was one)
    folder = LAZY_PACKAGES[package].parent
    assert not [n for n in lazy if (folder / f"{n}.py").exists() or (folder / n).is_dir()]
    for name in mod.__all__:
        value = getattr(mod, name)
        assert value is not None and name in dir(mod)
        if name in lazy:
            assert value is getattr(importlib.import_module(mod.EXPORTS[name]), name)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        mod.nope  # noqa: B018
