"""VisualWebArena's scoring rules where they differ from WebArena's (its evaluation_harness/evaluators.py).

Answers are not trimmed before the quotes are dropped; `must_include` and `must_exclude` tokenise any reference that
is one nltk token (WebArena: one character) and take ` |OR| ` alternatives; `one_of` and numeric
`required_values` (`"> 300"`, `"<= 5 |OR| == 9"`) are added; URLs match EXACT by default, `localhost` reads as
`127.0.0.1` and one trailing slash goes. Pure functions; tests/test_visualwebarena_parity.py compares them with
VisualWebArena's own code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webagent.errors import BadInput

OR = " |OR| "


def clean_answer(s: str | None) -> str:
    s = s or ""
    if (s.startswith("'") and s.endswith("'")) or (s.startswith('"') and s.endswith('"')):
        s = s[1:-1]
    return s.lower()


def exact_match(ref: str, pred: Any) -> float:
    return float(clean_answer(pred if isinstance(pred, str) else str(pred)) == clean_answer(ref))


def _token_rule(ref: str, pred: str) -> tuple[str, Any]:
    from webagent.tasks.evaluators import word_tokenize
    r, p = clean_answer(ref), clean_answer(pred)
    return (r, word_tokenize(p)) if len(word_tokenize(r)) == 1 else (r, p)


def must_include(ref: str, pred: str) -> float:
    """A one-token reference must be a token of the answer; a longer one a substring."""
    r, hay = _token_rule(ref, pred)
    return float(r in hay)


def must_exclude(ref: str, pred: str) -> float:
    r, hay = _token_rule(ref, pred)
    return float(r not in hay)


def str_2_int(s: str) -> int | None:
    """An answer as an integer (commas dropped), or None."""
    try:
        return int(s.strip().replace(",", ""))
    except ValueError:
        return None


_OPS: list[tuple[str, Callable[[float, float], bool]]] = [
    ("<=", lambda x, y: x <= y + 1e-8), (">=", lambda x, y: x >= y - 1e-8), ("==", lambda x, y: abs(x - y) <= 1e-8),
    ("<", lambda x, y: x < y + 1e-8), (">", lambda x, y: x > y - 1e-8)]


def compare_inequality(value: float, inequality: str) -> bool:
    """`value` satisfies `inequality` like `"< 700"` (the first operator found, in the order <=, >=, ==, <, >)."""
    for op, fn in _OPS:
        if op in inequality:
            parts = inequality.split(op)
            if len(parts) != 2:
                raise BadInput(f"required_values: cannot read {inequality!r}")
            try:
                return fn(value, float(parts[1].strip()))
            except ValueError:
                raise BadInput(f"required_values: {parts[1].strip()!r} in {inequality!r} is not a number") from None
    raise BadInput(f"required_values: {inequality!r} has no comparison (<, <=, ==, >=, >)")


def required_values(values: list[str], number: float | None) -> float:
    if number is None:
        return 0.0
    return float(all(any(compare_inequality(number, alt) for alt in v.split(OR)) for v in values))


def one_of(values: list[str], pred: str) -> float:
    """Some value, cleaned, is a substring of the (cleaned) answer."""
    return float(any(clean_answer(v) in pred for v in values))


def _clean_url(url: str) -> str:
    url = str(url).replace("localhost", "127.0.0.1")
    return url[:-1] if url.endswith("/") else url


def url_match(reference_url: str, pred_url: str | None, note: str | None = None) -> float:
    """EXACT (the default): the cleaned URL is one of the references. GOLD in PRED: a reference is a substring."""
    pred = _clean_url(pred_url or "")
    refs = [_clean_url(u) for u in reference_url.split(OR)]
    rule = note or "EXACT"
    if rule == "EXACT":
        return float(pred in refs)
    if rule == "GOLD in PRED":
        return float(any(r in pred for r in refs))
    raise BadInput(f"url_match: unknown url_note {rule!r} (EXACT, GOLD in PRED)")


def check_contents(required: dict[str, Any], value: Any) -> tuple[float | None, str]:
    """VisualWebArena's required_contents on a selected value (not HTML-unescaped; a non-string value reads as its
    `str()` where VisualWebArena refuses it). fuzzy_match is the caller's (it needs the judge): None here."""
    text = value if isinstance(value, str) else str(value)
    if "exact_match" in required:
        s = exact_match(required["exact_match"], value)
        return s, f"exact {required['exact_match']!r}: {'ok' if s else 'no'}"
    if "must_include" in required:
        s = float(all(any(must_include(a, text) for a in item.split(OR)) for item in required["must_include"]))
        return s, f"include {required['must_include']!r}: {'ok' if s else 'no'}"
    if "must_exclude" in required:
        s = float(all(must_exclude(item, text) for item in required["must_exclude"]))
        return s, f"exclude {required['must_exclude']!r}: {'ok' if s else 'FOUND'}"
    if "required_values" in required:
        number = str_2_int(value) if isinstance(value, str) else value
        number = number if isinstance(number, int | float) else None
        s = required_values(required["required_values"], number)
        return s, f"values {required['required_values']!r} for {number!r}: {'ok' if s else 'no'}"
    if "fuzzy_match" in required:
        return None, "fuzzy_match"
    raise BadInput(f"program_html: unknown required_contents {', '.join(required)}")

