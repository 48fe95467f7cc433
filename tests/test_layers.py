"""Dependencies point one way: observers <- webagent <- search <- tasks. Every import in every module is checked,
including imports inside functions, under TYPE_CHECKING and `importlib.import_module("...")` with a literal name:
a lower layer never imports a higher one. bench/, tests/ and testkit/ may import the library; only tests/ imports
tests, only bench/ imports bench, only tests/ and bench/ import testkit; nothing imports the bare folder names."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"observers": 0, "webagent": 1, "search": 2, "tasks": 3}  # repository folder -> rank
NAMES = ["observers", "webagent", "search", "tasks"]
SIDE = ("bench", "tests", "testkit")


def package_of(path: Path) -> str:
    """The dotted module name a repository file is imported as (folders install under `webagent.`)."""
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if parts[0] in ("observers", "search", "tasks"):
        parts = ["webagent", *parts]
    return ".".join(parts)


def layer_of_module(name: str) -> str | None:
    """The repository folder a dotted module name belongs to, or None for a third-party module."""
    parts = name.split(".")
    if parts[0] == "webagent":
        if len(parts) > 1 and parts[1] in ("observers", "search", "tasks"):
            return parts[1]
        return "webagent"
    if parts[0] in ("observers", "search", "tasks"):
        return "bare:" + parts[0]  # the pre-namespace names: never valid
    if parts[0] in SIDE:
        return parts[0]
    return None


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, at any depth."""
    tree = ast.parse(path.read_text(), str(path))
    me = package_of(path)
    is_pkg = path.name == "__init__.py"
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = me.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out += [(node.lineno, f"{mod}.{a.name}" if mod else a.name) for a in node.names]  # submodules too
            if mod:
                out.append((node.lineno, mod))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            out.append((node.lineno, node.args[0].value))
    return out


def python_files() -> list[Path]:
    return sorted(p for top in [*LAYERS, *SIDE] for p in (ROOT / top).rglob("*.py") if ".venv" not in p.parts)


def violations() -> list[str]:
    bad = []
    for path in python_files():
        top = path.relative_to(ROOT).parts[0]
        seen: set[int] = set()
        for line, mod in imports(path):
            target = layer_of_module(mod)
            if target is None or target == top or line in seen:
                continue
            where = f"{path.relative_to(ROOT)}:{line} imports {mod}"
            if target.startswith("bare:"):
                bad.append(f"{where} (use webagent.{target[5:]})")
            elif target in SIDE:
                if not (target == "testkit" and top in ("tests", "bench")):
                    bad.append(f"{where} (nothing outside {target}/ imports {target})")
            elif top in LAYERS and LAYERS[target] > LAYERS[top]:
                bad.append(f"{where} ({top} is below {target}: add a seam, see webagent/plugins.py)")
            else:
                continue
            seen.add(line)
    return bad


def test_no_lower_layer_imports_a_higher_one() -> None:
    bad = violations()
    assert not bad, "layering violations:\n" + "\n".join(bad)


def test_the_checker_sees_lazy_relative_and_by_name_imports(tmp_path: Path) -> None:
    """The walker itself: an upward import hidden in a function, a relative one and one by name are all found."""
    src = ("def f():\n    from webagent.search import make_planner\n"
           "def g():\n    import importlib\n    importlib.import_module('webagent.tasks.cli')\n"
           "from .. import tasks\n")
    fake = ROOT / "webagent" / "_layer_probe.py"
    fake.write_text(src)
    try:
        found = [v for v in violations() if "_layer_probe" in v]
    finally:
        fake.unlink()
    assert any("webagent.search" in v for v in found)
    assert any("webagent.tasks.cli" in v for v in found)
    assert any("imports tasks" in v for v in found), found  # `from .. import tasks` from webagent/ is bare `tasks`


def module_graph() -> dict[str, set[str]]:
    """Library module -> library modules it imports (a package counts as its __init__)."""
    files = {package_of(p): p for p in python_files() if p.relative_to(ROOT).parts[0] in LAYERS}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        graph[name] = {m for _, m in imports(path) if m in files and m != name}
    return graph


# Pairs that still import each other lazily, to be untangled by moving the shared piece below both (debt, not
# design: the evaluators' tokenizer, Check and probe_page are what vwa_rules and image_checks reach back for).
KNOWN_PAIRS = {("webagent.tasks.evaluators", "webagent.tasks.image_checks"),
               ("webagent.tasks.evaluators", "webagent.tasks.vwa_rules")}


def test_no_two_library_modules_import_each_other() -> None:
    """A pair importing each other (even lazily) is a seam in the wrong place (observe.py <-> screenshots.py was)."""
    g = module_graph()
    pairs = {tuple(sorted((a, b))) for a, deps in g.items() for b in deps
             if a in g.get(b, ()) and not (a.startswith(b + ".") or b.startswith(a + "."))}
    assert not sorted(pairs - KNOWN_PAIRS), f"modules that import each other: {sorted(pairs - KNOWN_PAIRS)}"
    assert not KNOWN_PAIRS - pairs, f"untangled, drop from KNOWN_PAIRS: {sorted(KNOWN_PAIRS - pairs)}"
