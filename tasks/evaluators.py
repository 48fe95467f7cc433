"""Evaluators with WebArena's semantics (evaluation_harness/evaluators.py), built from a task's `eval` block.

String checks (`exact_match`, `must_include`, `fuzzy_match`, N/A) and `url_match` are pure functions; `program_html`
runs its probes in the real page. Every check scores 0 or 1 and the scores multiply. A check that needs an LLM when
none is configured (`fuzzy_match`) is not scorable: the result's `score` is None and `notices` says why.
"""

from __future__ import annotations

import ast
import html
import json
import re
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from webagent.errors import BadInput

OR = " |OR| "


# ------------------------------------------------------------------------------------------------ strings

def clean_answer(s: str | None) -> str:
    """WebArena's clean_answer: strip whitespace and surrounding quotes, lower-case."""
    s = (s or "").strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        s = s[1:-1].strip()
    return s.lower()


_TOKEN_RE = re.compile(r"\w+(?:[.,'\-/:]\w+)*|[^\w\s]")


def tokenize(s: str) -> list[str]:
    """Words (numbers like 1,299.99 and dates like 2023-05-23 stay whole) and single punctuation marks."""
    return _TOKEN_RE.findall(s)


def exact_match(ref: str, pred: str | None) -> float:
    return float(clean_answer(ref) == clean_answer(pred))


def must_include(ref: str, pred: str | None, tokenize_single: bool = False) -> float:
    """`ref` is a substring of `pred` (both cleaned). With `tokenize_single` (WebArena: when it is the only
    reference) a reference that is a single token must be a whole token of the answer, so "0" does not match
    "10" and "12" does not match "112"."""
    r, p = clean_answer(ref), clean_answer(pred)
    if tokenize_single and len(tokenize(r)) == 1:
        return float(r in tokenize(p))
    return float(r in p)


def is_na(pred: str | None) -> bool:
    return clean_answer(pred) in ("n/a", "na", "n.a.")


# ------------------------------------------------------------------------------------------------ URLs

def _clean_url(url: str) -> str:
    return urllib.parse.unquote(str(url)).strip().rstrip("/")


def _parse_url(url: str) -> tuple[str, dict[str, list[str]]]:
    p = urllib.parse.urlparse(url)
    return p.netloc + p.path.rstrip("/"), urllib.parse.parse_qs(p.query)


def url_match(reference_url: str, pred_url: str | None, note: str = "GOLD in PRED") -> float:
    """"GOLD in PRED": a reference's netloc+path is a substring of the predicted netloc+path, and for every query key
    of that reference the prediction holds its value. ` |OR| ` separates alternatives; one must match.
    (WebArena pools the query keys of all alternatives, so `/a/b |OR| /a?cat=3` would reject `/a/b`; we match each
    alternative with its own keys, which is what the alternatives mean. With a single reference both agree.)
    `EXACT` (VisualWebArena) compares the cleaned URLs."""
    pred = _clean_url(pred_url or "")
    refs = [_clean_url(u) for u in reference_url.split(OR) if u.strip()]
    if note == "EXACT":
        return float(pred in refs)
    pred_path, pred_query = _parse_url(pred)
    for u in refs:
        path, query = _parse_url(u)
        if path in pred_path and all(any(v in pred_query.get(k, []) for v in vals) for k, vals in query.items()):
            return 1.0
    return 0.0


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
Conclude the judgement by correct/incorrect/partially correct."""

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


async def llm_fuzzy_match(model: Any, pred: str, ref: str, intent: str) -> float:
    reply = await _ask(model, FUZZY_PROMPT.format(intent=intent, ref=ref, pred=pred))
    return 0.0 if ("partially correct" in reply or "incorrect" in reply) else float("correct" in reply)


async def llm_ua_match(model: Any, pred: str, reason: str, intent: str) -> float:
    reply = await _ask(model, UA_PROMPT.format(intent=intent, reason=reason, pred=pred))
    return 0.0 if "different" in reply else float("same" in reply)


# ------------------------------------------------------------------------------------------------ string + URL

async def evaluate_string(ev: dict[str, Any], answer: str | None, intent: str = "", model: Any = None) -> list[Check]:
    """The string_match checks of an eval block against the agent's final answer (None: the agent never stopped)."""
    pred = answer if answer is not None else ""
    checks: list[Check] = []
    ra = ev.get("reference_answers") or {}
    for kind, value in ra.items():
        if kind == "exact_match":
            checks.append(Check("exact_match", exact_match(value, pred), f"{value!r} == {pred!r}"))
        elif kind == "must_include":
            for v in value:
                s = must_include(v, pred, tokenize_single=len(value) == 1)
                checks.append(Check("must_include", s, f"{v!r} in {pred!r}"))
        elif kind == "fuzzy_match":
            if value == "N/A":
                if is_na(pred):
                    checks.append(Check("na", 1.0, "answered N/A"))
                elif answer is None:
                    checks.append(Check("na", 0.0, "no answer"))
                elif model is None:
                    checks.append(Check("na", 0.0, f"{pred!r} is not N/A (no LLM configured to judge a stated reason)"))
                else:
                    s = await llm_ua_match(model, pred, ev.get("string_note", ""), intent)
                    checks.append(Check("na", s, f"LLM: reason {pred!r} vs {ev.get('string_note', '')!r}"))
            else:
                refs = value if isinstance(value, list) else [value]
                if model is None:
                    checks.append(Check("fuzzy_match", None, "skipped: no LLM configured"))
                    continue
                for v in refs:
                    s = await llm_fuzzy_match(model, pred, v, intent)
                    checks.append(Check("fuzzy_match", s, f"LLM: {pred!r} ~ {v!r}"))
    return checks


def evaluate_url(ev: dict[str, Any], url: str | None) -> Check:
    ref = ev.get("reference_url") or ""
    note = ev.get("url_note") or "GOLD in PRED"
    return Check("url_match", url_match(ref, url, note), f"{ref!r} in {url!r}")


# ------------------------------------------------------------------------------------------------ program_html

# `func:` helpers: name -> async callable; `__page__` passes the live page, `__last_url__` the URL the agent ended on.
HELPERS: dict[str, Callable[..., Awaitable[Any]]] = {}


def helper(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    HELPERS[fn.__name__] = fn
    return fn


async def _goto(page: Any, url: str) -> None:
    from webagent.browser import settle
    await page.goto(url, wait_until="domcontentloaded")
    await settle(page)


def _origin(url: str) -> str:
    p = urllib.parse.urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


@helper
async def get_query_text(page: Any, selector: str) -> str:
    """The text of every element matching a CSS selector, joined by spaces."""
    return await page.evaluate("(s) => [...document.querySelectorAll(s)].map(e => e.innerText).join(' ')", selector)


@helper
async def shopping_get_latest_order_url(page: Any, base: str | None = None) -> str:
    """The local shop's newest order of the logged-in customer (WebArena asks Magento's API)."""
    base = base or _origin(page.url)
    await _goto(page, base + "/sales/order/history/")
    href = await page.evaluate("() => { const a = document.querySelector('a[href*=\"/sales/order/view/\"]');"
                               " return a ? a.href : ''; }")
    return href or base + "/sales/order/history/"


@helper
async def reddit_get_post_url(url: str) -> str:
    """The post URL a forum URL points into (drops a trailing comment part), as WebArena's helper does."""
    parts = urllib.parse.urlsplit(url)
    segs = [s for s in parts.path.split("/") if s]
    if len(segs) >= 3 and segs[0] == "f":
        segs = segs[:4]
    return f"{parts.scheme}://{parts.netloc}/" + "/".join(segs)


@helper
async def gitlab_get_project_memeber_role(page: Any, account_name: str) -> str:
    """The role of `account_name` on the members page the page is on (codehost: /<ns>/<proj>/-/project_members)."""
    return await page.evaluate(
        """(acc) => { for (const row of document.querySelectorAll('tr')) {
                if (row.innerText.includes(acc)) { const r = row.querySelector('[data-role], .role');
                    return r ? r.innerText.trim() : row.innerText; } } return ''; }""", account_name)


def _parse_func(expr: str, page: Any, last_url: str) -> tuple[Callable[..., Awaitable[Any]], list[Any]]:
    src = expr[len("func:"):].strip()
    try:
        call = ast.parse(src, mode="eval").body
    except SyntaxError:
        raise BadInput(f"program_html: cannot parse helper call {expr!r}") from None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise BadInput(f"program_html: {expr!r} is not a helper call like func:name(args)")
    fn = HELPERS.get(call.func.id)
    if fn is None:
        raise BadInput(f"program_html: unknown helper {call.func.id!r}; known: {', '.join(sorted(HELPERS))}")
    args: list[Any] = []
    for a in call.args:
        if isinstance(a, ast.Name) and a.id == "__page__":
            args.append(page)
        else:
            try:
                v = ast.literal_eval(a)
            except ValueError:
                raise BadInput(f"program_html: argument of {expr!r} must be a literal or __page__") from None
            args.append(v.replace("__last_url__", last_url) if isinstance(v, str) else v)
    return fn, args


async def _select_content(page: Any, locator: str, last_url: str) -> str:
    from playwright.async_api import Error as PlaywrightError
    loc = (locator or "").strip()
    if not loc:
        return await page.content()
    if loc.startswith("func:"):
        fn, args = _parse_func(loc, page, last_url)
        value = await fn(*args)
    elif loc.startswith(("document.", "[...document.", "(")) or loc.startswith("Array."):
        try:
            value = await page.evaluate(f"() => {loc}")
        except PlaywrightError:
            value = ""
    else:
        raise BadInput(f"program_html: locator {loc[:60]!r} must be empty, a JS expression on document, or func:")
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def check_contents(required: dict[str, Any], content: str) -> tuple[float, str]:
    """WebArena's required_contents: exact_match (cleaned equality) and must_include (each item, with ` |OR| `
    alternatives, a cleaned substring; no token rule); plus VisualWebArena's must_exclude."""
    content = html.unescape(content or "")
    score = 1.0
    detail = []
    if "exact_match" in required:
        s = exact_match(required["exact_match"], content)
        score *= s
        detail.append(f"exact {required['exact_match']!r}: {'ok' if s else 'no'}")
    for item in required.get("must_include", []):
        s = float(any(must_include(alt, content) for alt in item.split(OR)))
        score *= s
        detail.append(f"include {item!r}: {'ok' if s else 'no'}")
    for item in required.get("must_exclude", []):
        s = float(not must_include(item, content))
        score *= s
        detail.append(f"exclude {item!r}: {'ok' if s else 'FOUND'}")
    return score, "; ".join(detail) + f" in {content[:120]!r}"


async def evaluate_program_html(ev: dict[str, Any], page: Any) -> list[Check]:
    """Run every program_html probe on the live page: go to `url` (unless `last`), run `prep_actions`, select the
    content with `locator`, compare with `required_contents`."""
    from playwright.async_api import Error as PlaywrightError
    checks = []
    last_url = page.url
    for entry in ev.get("program_html", []):
        url = entry.get("url", "last")
        try:
            if url.startswith("func:"):
                fn, args = _parse_func(url, page, last_url)
                url = await fn(*args)
            if url != "last":
                await _goto(page, url)
            for js in entry.get("prep_actions", []):
                try:
                    await page.evaluate(f"() => {{ {js} }}")
                except PlaywrightError:
                    pass
            content = await _select_content(page, entry.get("locator", ""), last_url)
        except PlaywrightError as e:
            checks.append(Check("program_html", 0.0, f"{url}: {str(e).splitlines()[0]}"))
            continue
        s, detail = check_contents(entry.get("required_contents", {}), content)
        checks.append(Check("program_html", s, f"{url}: {detail}"))
    return checks


# ------------------------------------------------------------------------------------------------ all together

async def evaluate(task_eval: dict[str, Any], *, answer: str | None, url: str | None, page: Any = None,
                   intent: str = "", model: Any = None) -> EvalResult:
    """Score an episode: string checks on `answer`, url_match on `url` (the page URL when the agent stopped),
    program_html on `page`. Scores multiply."""
    res = EvalResult()
    types = task_eval.get("eval_types", [])
    if "string_match" in types:
        res.checks += await evaluate_string(task_eval, answer, intent, model)
        if any(c.score is None for c in res.checks):
            res.notices.append("fuzzy_match not scored: no LLM configured (give --model/--base-url to score it)")
    if "url_match" in types:
        res.checks.append(evaluate_url(task_eval, url))
    if "program_html" in types:
        if page is None:
            res.checks.append(Check("program_html", None, "needs a live page"))
            res.notices.append("program_html not scored: no live page")
        else:
            res.checks += await evaluate_program_html(task_eval, page)
    return res
