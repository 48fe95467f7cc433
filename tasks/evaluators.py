"""Evaluators with WebArena's semantics (evaluation_harness/evaluators.py), built from a task's `eval` block.

String checks (`exact_match`, `must_include`, `fuzzy_match`, N/A) and `url_match` are pure functions; `program_html`
runs its probes in the real page. Every check scores 0 or 1 and the scores multiply. A check that needs an LLM when
none is configured (`fuzzy_match`) is not scorable: the result's `score` is None and `notices` says why.
"""

from __future__ import annotations

import contextlib
import functools
import html
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from webagent.tasks import vwa_rules
from webagent.tasks.eval_helpers import call_helper

from webagent.errors import BadInput

OR = " |OR| "


# ------------------------------------------------------------------------------------------------ strings

def clean_answer(s: str | None) -> str:
    """WebArena's clean_answer: strip whitespace, drop one pair of surrounding quotes, lower-case (the text inside
    the quotes is not stripped again)."""
    s = (s or "").strip()
    if (s.startswith("'") and s.endswith("'")) or (s.startswith('"') and s.endswith('"')):
        s = s[1:-1]
    return s.lower()


@functools.cache
def _tokenizers() -> tuple[Any, Any]:
    from nltk.tokenize import NLTKWordTokenizer, PunktSentenceTokenizer
    return PunktSentenceTokenizer(), NLTKWordTokenizer()


def word_tokenize(s: str) -> list[str]:
    """nltk's word_tokenize (Punkt sentences, then the improved Treebank word tokenizer), with an untrained Punkt:
    nltk's trained `punkt` data cannot be shipped or downloaded here. The untrained splitter has no abbreviation
    list, so `Dr. 5` is two sentences for us and one for WebArena; the word tokens are otherwise the same."""
    return list(_word_tokens(s))


@functools.lru_cache(maxsize=4096)
def _word_tokens(s: str) -> tuple[str, ...]:
    sentences, words = _tokenizers()
    return tuple(tok for sent in sentences.tokenize(s) for tok in words.tokenize(sent))


def exact_match(ref: str, pred: str | None) -> float:
    return float(clean_answer(ref) == clean_answer(pred))


def must_include(ref: str, pred: str | None, tokenize: bool = False) -> float:
    """The cleaned `ref` is a substring of the cleaned `pred`. With `tokenize` (WebArena: when it is the only
    reference) a reference of one character must be a whole token of the answer, so "0" does not match "10";
    longer references are plain substrings ("346" is in "1346"), as in WebArena."""
    r, p = clean_answer(ref), clean_answer(pred)
    if tokenize and len(r) == 1 and len(word_tokenize(r)) == 1:
        return float(r in word_tokenize(p))
    return float(r in p)


def is_na(pred: str | None) -> bool:
    """WebArena's N/A: the answer cleaned twice is exactly `n/a`; any other wording goes to the judge."""
    return exact_match("N/A", clean_answer(pred)) == 1.0


# ------------------------------------------------------------------------------------------------ URLs

def _clean_url(url: str) -> str:
    """WebArena's clean_url: only trailing slashes go; nothing is unquoted or stripped."""
    return str(url).rstrip("/")


def _parse_url(url: str) -> tuple[str, dict[str, list[str]]]:
    p = urllib.parse.urlparse(url)
    return p.netloc + p.path, urllib.parse.parse_qs(p.query)


def url_match(reference_url: str, pred_url: str | None, note: str = "GOLD in PRED") -> float:
    """WebArena's "GOLD in PRED": some reference's netloc+path is a substring of the predicted netloc+path, and
    for every query key of the references the prediction holds one of their values. ` |OR| ` separates
    alternatives; as in WebArena their query keys are pooled (no real task has an alternative with a query).
    Trailing slashes are dropped from the whole URL only, so `/a/?q=1` needs `/a/` in the prediction.
    `EXACT` (VisualWebArena) compares the cleaned URLs."""
    pred = _clean_url(pred_url or "")
    refs = [_clean_url(u) for u in reference_url.split(OR)]
    if note == "EXACT":
        return float(pred in refs)
    pred_path, pred_query = _parse_url(pred)
    paths: list[str] = []
    queries: dict[str, set[str]] = {}
    for u in refs:
        path, query = _parse_url(u)
        paths.append(path)
        for k, v in query.items():
            queries.setdefault(k, set()).update(v)
    base = any(path in pred_path for path in paths)
    query_ok = all(any(v in pred_query.get(k, []) for v in vals) for k, vals in queries.items())
    return float(base and query_ok)


# ------------------------------------------------------------------------------------------------ results

@dataclass
class Check:
    kind: str  # exact_match | must_include | fuzzy_match | na | url_match | program_html
    score: float | None  # None: not scorable (e.g. no LLM for fuzzy_match)
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "score": self.score, "detail": self.detail}


@dataclass
class EvalResult:
    checks: list[Check] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def scorable(self) -> bool:
        return all(c.score is not None for c in self.checks)

    @property
    def score(self) -> float | None:
        """The product of every check; 0 if any scorable check failed; None if some check could not be scored."""
        s = 1.0
        for c in self.checks:
            if c.score is not None:
                s *= c.score
        if s == 0:
            return 0.0
        return s if self.scorable else None

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "checks": [c.to_dict() for c in self.checks], "notices": self.notices}


# ------------------------------------------------------------------------------------------------ LLM judges

FUZZY_PROMPT = """Help a teacher to grade the answer of a student given a question. Keep in mind that the student may use \
different phrasing or wording to answer the question. The goal is to evaluate whether the answer is semantically \
equivalent to the reference answer.
question: {intent}
reference answer: {ref}
all the string 'N/A' that you see is a special sequence that means 'not achievable'
student answer: {pred}
{conclude}"""
FUZZY_CONCLUDE = {"webarena": "Conclude the judgement by correct/incorrect/partially correct.",
                  "visualwebarena": "Conclude the judgement by 'correct', 'incorrect', or 'partially correct'. Only "
                                    "output one of these options, and nothing else."}

UA_PROMPT = """task: {intent}
actual unachievable reason: {reason}
reported unachievable reason: {pred}
The task described above is inherently unachievable due to the reason specified under 'actual unachievable reason'. \
An individual previously attempted this task and was unable to complete it. They provided a reason for their \
failure, which is listed under 'reported unachievable reason'. Your role is to review both the actual and reported \
reasons. Determine if the reported reason aligns with the actual reason, even if implicitly. If the stated reason is \
in line with the actual reason, respond with 'same'. Otherwise, respond with 'different'."""


async def _ask(model: Any, prompt: str) -> str:
    msgs = [{"role": "system", "content": "You are a helpful assistant"}, {"role": "user", "content": prompt}]
    comp = await model.complete(msgs, n=1, temperature=0.0, max_tokens=768)
    return (comp.texts[0] if comp.texts else "").lower()


async def llm_fuzzy_match(model: Any, pred: str, ref: str, intent: str, benchmark: str = "webarena") -> float:
    reply = await _ask(model, FUZZY_PROMPT.format(intent=intent, ref=ref, pred=pred,
                                                  conclude=FUZZY_CONCLUDE[benchmark]))
    return 0.0 if ("partially correct" in reply or "incorrect" in reply) else float("correct" in reply)


async def llm_ua_match(model: Any, pred: str, reason: str, intent: str) -> float:
    reply = await _ask(model, UA_PROMPT.format(intent=intent, reason=reason, pred=pred))
    return 0.0 if "different" in reply else float("same" in reply)


# ------------------------------------------------------------------------------------------------ string + URL

async def evaluate_string(ev: dict[str, Any], answer: str | None, intent: str = "", model: Any = None,
                          benchmark: str = "webarena") -> list[Check]:
    """The string_match checks of an eval block against the agent's final answer (None: the agent never stopped).

    As WebArena: the answer is cleaned once up front and again by each comparison; the judges see the once-cleaned
    answer. Deliberate differences: no answer at all scores 0 without asking a judge; a stated N/A reason with no
    judge configured is not scorable (None) instead of an error."""
    vwa = benchmark == "visualwebarena"
    pred = vwa_rules.clean_answer(answer) if vwa else clean_answer(answer)
    checks: list[Check] = []
    ra = ev.get("reference_answers") or {}
    for kind, value in ra.items():
        if kind == "exact_match":
            s = vwa_rules.exact_match(value, pred) if vwa else exact_match(value, pred)
            checks.append(Check("exact_match", s, f"{value!r} == {pred!r}"))
        elif kind == "must_include":
            for v in value:
                s = float(any(vwa_rules.must_include(a, pred) for a in v.split(OR))) if vwa else \
                    must_include(v, pred, tokenize=len(value) == 1)
                checks.append(Check("must_include", s, f"{v!r} in {pred!r}"))
        elif kind in ("must_exclude", "one_of", "required_values"):  # VisualWebArena's
            if kind == "must_exclude":
                s = float(all(vwa_rules.must_exclude(v, pred) for v in value))
            elif kind == "one_of":
                s = vwa_rules.one_of(value, pred)
            else:
                s = vwa_rules.required_values(value, vwa_rules.str_2_int(pred))
            checks.append(Check(kind, s, f"{value!r} for {pred!r}"))
        elif kind == "fuzzy_match":
            if value == "N/A":
                note = ev.get("string_note", "")
                if (vwa_rules.exact_match("N/A", pred) == 1.0) if vwa else is_na(pred):
                    checks.append(Check("na", 1.0, "answered N/A"))
                elif answer is None:
                    checks.append(Check("na", 0.0, "no answer"))
                elif model is None:
                    checks.append(Check("na", None, f"skipped: {pred!r} is not N/A and no judge is configured to "
                                                    "compare its reason"))
                else:
                    s = await llm_ua_match(model, pred, note, intent)
                    checks.append(Check("na", s, f"judge: reason {pred!r} vs {note!r}"))
            else:
                refs = value if isinstance(value, list) else [value]
                if model is None:
                    checks.append(Check("fuzzy_match", None, "skipped: no judge configured"))
                    continue
                for v in refs:
                    s = await llm_fuzzy_match(model, pred, v, intent, benchmark)
                    checks.append(Check("fuzzy_match", s, f"judge: {pred!r} ~ {v!r}"))
    return checks


def evaluate_url(ev: dict[str, Any], url: str | None, benchmark: str = "webarena") -> Check:
    ref = ev.get("reference_url") or ""
    if benchmark == "visualwebarena":
        return Check("url_match", vwa_rules.url_match(ref, url, ev.get("url_note")), f"{ref!r} ~ {url!r}")
    note = ev.get("url_note") or "GOLD in PRED"
    return Check("url_match", url_match(ref, url, note), f"{ref!r} in {url!r}")


# ------------------------------------------------------------------------------------------------ program_html

@contextlib.asynccontextmanager
async def probe_page(page: Any, url: str, sites: dict[str, str]) -> AsyncIterator[tuple[Any, str]]:
    """(the page a probe looks at, its URL): the agent's page for `last`, else the URL (a `func:` helper may
    compute it) in a new tab of the same context, closed afterwards, so later `last` probes see the agent's page."""
    if url.startswith("func"):
        url = await call_helper(url, page, page.url, sites)
    if url == "last":
        yield page, url
        return
    probe = await page.context.new_page()
    try:
        await _goto(probe, url)
        yield probe, url
    finally:
        await probe.close()


async def _goto(page: Any, url: str) -> None:
    from webagent.browser import settle
    await page.goto(url, wait_until="domcontentloaded")
    await settle(page)


def page_value_text(value: Any) -> str:
    """A value a locator returned, as WebArena turns it into text: `str()` (a list reads `['a', 'b']`, a boolean
    `True`, null `None`), and "" for an empty value."""
    return str(value)


async def _select_content(page: Any, entry: dict[str, Any], last_url: str, sites: dict[str, str],
                          raw: bool = False) -> Any:
    """The content a probe's locator selects: text (WebArena), or with `raw` (VisualWebArena) a helper's or a
    `lambda:` expression's value as it is, None when it selected nothing."""
    from playwright.async_api import Error as PlaywrightError
    locator = entry.get("locator", "")
    if not locator.strip():
        return await page.content()
    if locator.startswith(("document.", "[...document.")):
        try:
            for js in entry.get("prep_actions", []):
                await page.evaluate(f"() => {js}")
        except PlaywrightError:
            pass
        try:
            return page_value_text(await page.evaluate(f"() => {locator}"))
        except PlaywrightError:
            return ""  # the page is not the expected one: nothing selected
    if locator.startswith("func:"):
        value = await call_helper(locator, page, last_url, sites)
        return value if raw else page_value_text(value)
    if raw and locator.startswith("lambda:"):
        try:  # VisualWebArena strips the characters of "lambda:" from the left, not the word
            return await page.evaluate(locator.lstrip("lambda:")) or None  # noqa: B005
        except PlaywrightError:
            return None
    raise BadInput(f"program_html: locator {locator[:60]!r} must be empty, a JS expression on document, or func:")


def check_contents(required: dict[str, Any], content: str) -> tuple[float, str]:
    """WebArena's required_contents on the selected text (HTML-unescaped): `exact_match` (cleaned equality) if
    present, else `must_include` (each item a cleaned substring, ` |OR| ` alternatives, no token rule), else
    VisualWebArena's `must_exclude`."""
    content = html.unescape(content)
    if "exact_match" in required:
        s = exact_match(required["exact_match"], content)
        detail = f"exact {required['exact_match']!r}: {'ok' if s else 'no'}"
    elif "must_include" in required:
        s, parts = 1.0, []
        for item in required["must_include"]:
            ok = float(any(must_include(alt, content) for alt in item.split(OR)))
            s *= ok
            parts.append(f"include {item!r}: {'ok' if ok else 'no'}")
        detail = "; ".join(parts)
    elif "must_exclude" in required:
        s, parts = 1.0, []
        for item in required["must_exclude"]:
            ok = float(not must_include(item, content))
            s *= ok
            parts.append(f"exclude {item!r}: {'ok' if ok else 'FOUND'}")
        detail = "; ".join(parts)
    else:
        raise BadInput(f"program_html: unknown required_contents {', '.join(required)}")
    return s, detail + f" in {content[:120]!r}"


async def evaluate_program_html(ev: dict[str, Any], page: Any, sites: dict[str, str] | None = None,
                                benchmark: str = "webarena", model: Any = None) -> list[Check]:
    """Run every program_html probe as WebArena does: a `url` other than `last` (a `func:` helper may compute it)
    opens in a new tab of the same context, closed afterwards, so the next `last` probe sees the agent's page;
    `prep_actions` run before a JS locator; the locator selects the content compared with `required_contents`.
    VisualWebArena's rules (`benchmark`): its comparisons, and a probe that selects nothing scores 0 and ends the
    checks."""
    from playwright.async_api import Error as PlaywrightError
    vwa = benchmark == "visualwebarena"
    checks = []
    sites = sites or {}
    for entry in ev.get("program_html", []):
        url = entry.get("url", "last")
        try:
            async with probe_page(page, url, sites) as (probe, url):
                content = await _select_content(probe, entry, page.url, sites, raw=vwa)
        except PlaywrightError as e:
            checks.append(Check("program_html", 0.0, f"{url}: {str(e).splitlines()[0]}"))
            continue
        if not vwa:
            s, detail = check_contents(entry.get("required_contents", {}), content)
            checks.append(Check("program_html", s, f"{url}: {detail}"))
            continue
        if content is None:
            checks.append(Check("program_html", 0.0, f"{url}: nothing selected"))
            break
        required = entry.get("required_contents", {})
        s, detail = vwa_rules.check_contents(required, content)
        if detail == "fuzzy_match":  # each ` |OR| ` alternative must pass (VisualWebArena multiplies them)
            if model is None:
                checks.append(Check("program_html", None, f"{url}: skipped fuzzy_match: no judge configured"))
                continue
            text = content if isinstance(content, str) else str(content)
            s = 1.0
            for alt in required["fuzzy_match"].split(OR):
                s *= await llm_fuzzy_match(model, text, alt, "NOT USED", benchmark)
            detail = f"judge: {text[:80]!r} ~ {required['fuzzy_match']!r}"
        checks.append(Check("program_html", s, f"{url}: {detail}"))
    return checks


def eval_problems(ev: dict[str, Any], benchmark: str = "webarena") -> list[str]:
    """What in an eval block cannot be scored, found before running: unknown `func:` helpers or calls that do not
    parse, and locators of no known form. Empty when every check can run."""
    from webagent.tasks.eval_helpers import _parse_func
    out = []
    for i, entry in enumerate(ev.get("program_html") or [] if "program_html" in ev.get("eval_types", []) else []):
        for field_ in ("url", "locator"):
            value = entry.get(field_, "")
            if value.startswith("func"):
                try:
                    _parse_func(value, None, "")
                except BadInput as e:
                    out.append(f"program_html[{i}].{field_}: {str(e).removeprefix('program_html: ')}")
        loc = entry.get("locator", "")
        forms = ("document.", "[...document.", "func:") + (("lambda:",) if benchmark == "visualwebarena" else ())
        if loc.strip() and not loc.startswith(forms):
            out.append(f"program_html[{i}].locator: unknown locator {loc[:50]!r} (empty, document..., or func:)")
    return out


# ------------------------------------------------------------------------------------------------ all together

async def evaluate(task_eval: dict[str, Any], *, answer: str | None, url: str | None, page: Any = None,
                   intent: str = "", model: Any = None, sites: dict[str, str] | None = None,
                   benchmark: str = "webarena") -> EvalResult:
    """Score an episode: string checks on `answer`, url_match on `url` (the page URL when the agent stopped),
    program_html on `page`. Scores multiply."""
    res = EvalResult()
    types = task_eval.get("eval_types", [])
    if "string_match" in types:
        res.checks += await evaluate_string(task_eval, answer, intent, model, benchmark)
        for c in res.checks:
            if c.score is None:
                res.notices.append(f"{c.kind} not scored: no judge configured (give --model/--base-url to score it)")
    if "url_match" in types:
        res.checks.append(evaluate_url(task_eval, url, benchmark))
    if "program_html" in types:
        if page is None:
            res.checks.append(Check("program_html", None, "needs a live page"))
            res.notices.append("program_html not scored: no live page")
        else:
            res.checks += await evaluate_program_html(task_eval, page, sites, benchmark, model)
    if "page_image_query" in types:
        if page is None:
            res.checks.append(Check("page_image_query", None, "needs a live page"))
            res.notices.append("page_image_query not scored: no live page")
        else:
            from webagent.tasks.image_checks import evaluate_page_images
            res.checks += await evaluate_page_images(task_eval, page, model, sites or {})
    return res
