"""Task specs in WebArena's JSON format, plus our `gold` field; placeholders for site URLs.

A task file holds one task object or a list of them. Fields (WebArena's): `sites`, `task_id`, `require_login`,
`storage_state`, `start_url` (may hold `" |AND| "` for several tabs), `geolocation`, `intent_template`,
`instantiation_dict`, `intent`, `eval{eval_types, reference_answers, reference_url, url_note, program_html,
string_note}`; ours: `gold`, a list of actions whose targets are role+name (see webagent.resolve.Target), e.g.
`{"verb": "click", "target": {"role": "link", "name": "Laptops"}}`.

Placeholders are WebArena's (`__SHOPPING__`, `__SHOPPING_ADMIN__`, `__REDDIT__`, `__GITLAB__`, `__WIKIPEDIA__`,
`__MAP__`, `__HOMEPAGE__`); each maps to a bundled local site when there is one, and can be pointed at a real
deployment with the environment variables WebArena uses (SHOPPING, SHOPPING_ADMIN, REDDIT, GITLAB, WIKIPEDIA,
MAP, HOMEPAGE) or with `--site-url NAME=URL`.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webagent.actions import VERBS
from webagent.errors import BadInput

SUITE_DIR = Path(__file__).resolve().parent / "suite"

# placeholder -> (environment variable, bundled local site or None)
PLACEHOLDERS: dict[str, tuple[str, str | None]] = {
    "__SHOPPING__": ("SHOPPING", "shop"),
    "__SHOPPING_ADMIN__": ("SHOPPING_ADMIN", "shop_admin"),
    "__REDDIT__": ("REDDIT", "forum"),
    "__GITLAB__": ("GITLAB", "codehost"),
    "__WIKIPEDIA__": ("WIKIPEDIA", "wiki"),
    "__MAP__": ("MAP", None),
    "__HOMEPAGE__": ("HOMEPAGE", None),
    "__CLASSIFIEDS__": ("CLASSIFIEDS", None),  # VisualWebArena
}
# WebArena site names (the `sites` field) -> placeholder; our local site names are accepted too
SITE_PLACEHOLDER: dict[str, str] = {
    "shopping": "__SHOPPING__", "shopping_admin": "__SHOPPING_ADMIN__", "reddit": "__REDDIT__",
    "gitlab": "__GITLAB__", "wikipedia": "__WIKIPEDIA__", "map": "__MAP__", "homepage": "__HOMEPAGE__",
    "classifieds": "__CLASSIFIEDS__",
}
LOCAL_TO_PLACEHOLDER = {local: ph for ph, (_env, local) in PLACEHOLDERS.items() if local}
PLACEHOLDER_RE = re.compile(r"__[A-Z][A-Z0-9_]*?__")
EVAL_TYPES = ("string_match", "url_match", "program_html", "page_image_query")
ANSWER_KINDS = ("exact_match", "must_include", "fuzzy_match", "must_exclude", "one_of", "required_values")
CONTENT_KINDS = ("exact_match", "must_include", "must_exclude", "required_values", "fuzzy_match")


def placeholder_for_site(site: str) -> str | None:
    return SITE_PLACEHOLDER.get(site) or LOCAL_TO_PLACEHOLDER.get(site)


def local_site(site: str) -> str | None:
    """The bundled site that plays a task's site (`shopping` -> `shop`), or None."""
    ph = placeholder_for_site(site)
    return PLACEHOLDERS[ph][1] if ph else None


@dataclass
class Task:
    """One task. `raw` keeps the JSON as written (placeholders unresolved); `bind(urls)` makes a runnable copy."""

    task_id: str
    sites: list[str]
    intent: str
    start_url: str
    eval: dict[str, Any]
    require_login: bool = False
    storage_state: str | None = None
    gold: list[dict[str, Any]] | None = None
    images: list[str] = field(default_factory=list)  # VisualWebArena's input images (`image`), as written
    raw: dict[str, Any] = field(default_factory=dict)
    path: str = ""
    bound: bool = False

    @property
    def eval_types(self) -> list[str]:
        return list(self.eval.get("eval_types", []))

    @property
    def local_sites(self) -> list[str]:
        """The bundled sites this task needs, from its `sites` and the placeholders it uses."""
        out = [s for s in (local_site(x) for x in self.sites) if s]
        for ph in sorted(placeholders_in(self.raw)):
            loc = PLACEHOLDERS.get(ph, (None, None))[1]
            if loc and loc not in out:
                out.append(loc)
        return out

    @property
    def site(self) -> str:
        """A label for summaries: the local site name, or `a+b` for tasks on two sites."""
        names = self.local_sites or self.sites
        return "+".join(names)

    @property
    def benchmark(self) -> str:
        """Whose scoring rules apply: `visualwebarena` (its task files rate visual difficulty, use the classifieds
        site or image checks) or `webarena`. The two differ in answer cleaning, the token rule and URL matching.
        `webarena-verified`: a task loaded from WebArena-Verified's library, scored by it (tasks/verified.py);
        `miniwob`: an episode of a MiniWoB++ task, scored by its page (tasks/miniwob.py)."""
        if self.raw.get("benchmark") in ("webarena-verified", "miniwob"):
            return str(self.raw["benchmark"])
        if "visual_difficulty" in self.raw or "__CLASSIFIEDS__" in placeholders_in(self.raw) \
                or "page_image_query" in self.eval_types:
            return "visualwebarena"
        return "webarena"

    @property
    def start_urls(self) -> list[str]:
        return [u.strip() for u in self.start_url.split(" |AND| ") if u.strip()]

    def bind(self, urls: dict[str, str]) -> Task:
        """A copy with every placeholder replaced by `urls[placeholder]` (base URLs without a trailing /)."""
        missing = sorted(p for p in placeholders_in(self.raw) if p not in urls)
        if missing:
            raise BadInput(f"{self.path}: task {self.task_id}: no URL for {', '.join(missing)}; set "
                           + ", ".join(PLACEHOLDERS[m][0] for m in missing if m in PLACEHOLDERS)
                           + " or pass --site-url")
        raw = substitute(self.raw, {k: v.rstrip("/") for k, v in urls.items()})
        t = _from_dict(raw, self.path, validate=False)
        t.raw, t.bound = raw, True
        return t

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)


def placeholders_in(obj: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(obj, str):
        found.update(PLACEHOLDER_RE.findall(obj))
    elif isinstance(obj, dict):
        for v in obj.values():
            found |= placeholders_in(v)
    elif isinstance(obj, list):
        for v in obj:
            found |= placeholders_in(v)
    return found


def substitute(obj: Any, urls: dict[str, str]) -> Any:
    if isinstance(obj, str):
        return PLACEHOLDER_RE.sub(lambda m: urls.get(m.group(0), m.group(0)), obj)
    if isinstance(obj, dict):
        return {k: substitute(v, urls) for k, v in obj.items()}
    if isinstance(obj, list):
        return [substitute(v, urls) for v in obj]
    return obj


def _need(d: dict, key: str, types: type | tuple[type, ...], where: str, what: str = "") -> Any:
    if key not in d or d[key] is None:
        raise BadInput(f"{where}: missing field {what or key!r}")
    if not isinstance(d[key], types):
        names = types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        raise BadInput(f"{where}: field {what or key!r} must be a {names}, got {type(d[key]).__name__}")
    return d[key]


def _validate_eval(ev: dict, where: str) -> None:
    types = _need(ev, "eval_types", list, where, "eval.eval_types")
    if not types:
        raise BadInput(f"{where}: field 'eval.eval_types' is empty")
    for t in types:
        if t not in EVAL_TYPES:
            raise BadInput(f"{where}: field 'eval.eval_types' has unknown type {t!r}; known: {', '.join(EVAL_TYPES)}")
    if "string_match" in types:
        ra = _need(ev, "reference_answers", dict, where, "eval.reference_answers")
        if not any(k in ra for k in ANSWER_KINDS):
            raise BadInput(f"{where}: field 'eval.reference_answers' needs one of {', '.join(ANSWER_KINDS)}")
        for k, v in ra.items():
            if k in ("must_include", "must_exclude", "one_of", "required_values") and not isinstance(v, list):
                raise BadInput(f"{where}: field 'eval.reference_answers.{k}' must be a list")
            if k == "fuzzy_match" and not isinstance(v, list | str):
                raise BadInput(f"{where}: field 'eval.reference_answers.fuzzy_match' must be a list or 'N/A'")
            if k == "exact_match" and not isinstance(v, str):
                raise BadInput(f"{where}: field 'eval.reference_answers.exact_match' must be a string")
    if "url_match" in types:
        _need(ev, "reference_url", str, where, "eval.reference_url")
        note = ev.get("url_note") or "GOLD in PRED"
        if note not in ("GOLD in PRED", "EXACT"):
            raise BadInput(f"{where}: field 'eval.url_note' {note!r} is not supported (GOLD in PRED, EXACT)")
    if "program_html" in types:
        ph = _need(ev, "program_html", list, where, "eval.program_html")
        for i, entry in enumerate(ph):
            w = f"eval.program_html[{i}]"
            if not isinstance(entry, dict):
                raise BadInput(f"{where}: field {w!r} must be an object")
            _need(entry, "url", str, where, f"{w}.url")
            if not isinstance(entry.get("locator", ""), str):
                raise BadInput(f"{where}: field '{w}.locator' must be a string")
            rc = _need(entry, "required_contents", dict, where, f"{w}.required_contents")
            if not any(k in rc for k in CONTENT_KINDS):
                raise BadInput(f"{where}: field '{w}.required_contents' needs one of {', '.join(CONTENT_KINDS)}")
            if "must_include" in rc and not isinstance(rc["must_include"], list):
                raise BadInput(f"{where}: field '{w}.required_contents.must_include' must be a list")
            if not isinstance(entry.get("prep_actions", []), list):
                raise BadInput(f"{where}: field '{w}.prep_actions' must be a list")
    if "page_image_query" in types:
        for i, q in enumerate(_need(ev, "page_image_query", list, where, "eval.page_image_query")):
            w = f"eval.page_image_query[{i}]"
            if not isinstance(q, dict) or not isinstance(q.get("eval_image_url"), str) \
                    or not isinstance(q.get("eval_image_class"), str):
                raise BadInput(f"{where}: field {w!r} needs eval_image_url and eval_image_class strings")
            if not q.get("eval_vqa") and "eval_fuzzy_image_match" not in q:
                raise BadInput(f"{where}: field {w!r} needs eval_vqa or eval_fuzzy_image_match")


def _validate_gold(gold: Any, where: str) -> None:
    if not isinstance(gold, list):
        raise BadInput(f"{where}: field 'gold' must be a list of actions")
    for i, a in enumerate(gold):
        w = f"gold[{i}]"
        if not isinstance(a, dict) or a.get("verb") not in VERBS:
            raise BadInput(f"{where}: field '{w}.verb' must be one of {', '.join(VERBS)}")
        verb = a["verb"]
        if verb in ("click", "type", "select", "hover"):
            t = a.get("target")
            if not isinstance(t, dict) or not isinstance(t.get("role"), str):
                raise BadInput(f"{where}: field '{w}.target' must be an object with role and name")
        if verb in ("type", "select", "note") and not isinstance(a.get("text"), str):
            raise BadInput(f"{where}: field '{w}.text' is required for {verb}")
        if verb == "goto" and not isinstance(a.get("url"), str):
            raise BadInput(f"{where}: field '{w}.url' is required for goto")
        if verb == "press" and not isinstance(a.get("key"), str):
            raise BadInput(f"{where}: field '{w}.key' is required for press")
        if verb == "scroll" and a.get("direction") not in ("up", "down"):
            raise BadInput(f"{where}: field '{w}.direction' must be up or down")


def _from_dict(d: Any, path: str, validate: bool = True) -> Task:
    where = f"{path}" if not isinstance(d, dict) or "task_id" not in d else f"{path}: task {d['task_id']}"
    if not isinstance(d, dict):
        raise BadInput(f"{path}: a task must be a JSON object, got {type(d).__name__}")
    if validate:
        if "task_id" not in d:
            raise BadInput(f"{path}: missing field 'task_id'")
        if not isinstance(d["task_id"], int | str):
            raise BadInput(f"{where}: field 'task_id' must be a number or string")
        _need(d, "sites", list, where)
        _need(d, "start_url", str, where)
        _need(d, "intent", str, where)
        ev = _need(d, "eval", dict, where)
        _validate_eval(ev, where)
        if d.get("gold") is not None:
            _validate_gold(d["gold"], where)
        for ph in sorted(placeholders_in(d)):
            if ph not in PLACEHOLDERS:
                raise BadInput(f"{where}: unknown placeholder {ph}; known: {', '.join(PLACEHOLDERS)}")
        for s in d["sites"]:
            if not isinstance(s, str) or placeholder_for_site(s) is None:
                raise BadInput(f"{where}: field 'sites' has unknown site {s!r}; known: "
                               f"{', '.join(list(SITE_PLACEHOLDER) + list(LOCAL_TO_PLACEHOLDER))}")
        img = d.get("image")
        if img is not None and not (isinstance(img, str) or (isinstance(img, list)
                                                              and all(isinstance(x, str) for x in img))):
            raise BadInput(f"{where}: field 'image' must be a string, a list of strings or null")
    img = d.get("image")
    images = [img] if isinstance(img, str) else list(img) if isinstance(img, list) else []
    return Task(task_id=str(d["task_id"]), sites=list(d.get("sites", [])), intent=d["intent"],
                start_url=d["start_url"], eval=d["eval"], require_login=bool(d.get("require_login", False)),
                storage_state=d.get("storage_state"), gold=d.get("gold"), images=images, raw=d, path=path)


def image_sources(task: Task) -> list[str]:
    """The task's input images as `webagent.vision.load_images` reads them: relative paths resolved against the
    task file's folder; URLs and absolute paths as written."""
    base = Path(task.path).parent if task.path else Path(".")
    return [s if "://" in s or s.startswith("data:") or Path(s).is_absolute() else str(base / s)
            for s in task.images]


def load_file(path: str | Path) -> list[Task]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise BadInput(f"{p}: cannot read task file: {e.strerror or e}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise BadInput(f"{p}: not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    items = data if isinstance(data, list) else [data]
    return [_from_dict(d, str(p)) for d in items]


def load_tasks(suite: str | Path = "local") -> list[Task]:
    """Tasks from `local` (the bundled suite), a JSON file, or a folder of JSON files (sorted by name).
    Task ids must be unique."""
    if str(suite) == "local":
        path = SUITE_DIR
    else:
        path = Path(suite)
        if not path.exists():
            raise BadInput(f"suite {suite}: no such file or folder (use --suite local for the bundled suite)")
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    if not files:
        raise BadInput(f"suite {suite}: no .json task files in {path}")
    tasks: list[Task] = []
    seen: dict[str, str] = {}
    for f in files:
        for t in load_file(f):
            if t.task_id in seen:
                raise BadInput(f"{f}: task {t.task_id}: task_id already used in {seen[t.task_id]}")
            seen[t.task_id] = str(f)
            tasks.append(t)
    return tasks


def select(tasks: list[Task], sites: list[str] | None = None, ids: list[str] | None = None) -> list[Task]:
    """Filter by site (local or WebArena names; a task matches if it uses the site) and by task id."""
    out = tasks
    if sites:
        want = set()
        for s in sites:
            loc = local_site(s)
            if loc is None:
                raise BadInput(f"unknown site {s!r}; known: {', '.join(LOCAL_TO_PLACEHOLDER)}")
            want.add(loc)
        out = [t for t in out if want & set(t.local_sites)]
    if ids:
        known = {t.task_id for t in tasks}
        unknown = [i for i in ids if str(i) not in known]
        if unknown:
            raise BadInput(f"unknown task id(s): {', '.join(map(str, unknown))}")
        keep = {str(i) for i in ids}
        out = [t for t in out if t.task_id in keep]
    return out


def url_map(overrides: dict[str, str] | None = None, env: dict[str, str] | None = None,
            local: dict[str, str] | None = None) -> dict[str, str]:
    """placeholder -> base URL: `--site-url` overrides first, then WebArena's environment variables,
    then the bundled sites started for the run (`local`: site name -> URL)."""
    env = os.environ if env is None else env
    out: dict[str, str] = {}
    for ph, (var, loc) in PLACEHOLDERS.items():
        if local and loc in local:
            out[ph] = local[loc]
        if env.get(var):
            out[ph] = env[var]
    for key, url in (overrides or {}).items():
        ph = key if key.startswith("__") else (PLACEHOLDERS.get(f"__{key.upper()}__") and f"__{key.upper()}__")
        if not ph:
            ph = placeholder_for_site(key)
        if not ph or ph not in PLACEHOLDERS:
            raise BadInput(f"--site-url {key}=...: unknown site; use one of "
                           + ", ".join(v[0] for v in PLACEHOLDERS.values()))
        out[ph] = url
    return {k: v.rstrip("/") for k, v in out.items()}


def parse_site_urls(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for p in pairs or []:
        if "=" not in p:
            raise BadInput(f"--site-url {p!r}: expected NAME=URL, e.g. SHOPPING=http://localhost:7770")
        k, v = p.split("=", 1)
        out[k.strip()] = v.strip()
    return out
