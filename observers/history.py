"""Earlier steps as what changed: a line diff of two rendered observations, or the lines of acted-on elements."""

from __future__ import annotations

import difflib
import re

_ID_LINE = re.compile(r"\[(\d+)\]")


def diff(prev_text: str, cur_text: str, max_lines: int = 20) -> str:
    """What changed between two observation texts, as `+ line` / `- line` (indentation dropped), at most
    `max_lines` lines and a count of the rest. Empty when nothing changed."""
    a = [ln.strip() for ln in prev_text.splitlines() if ln.strip()]
    b = [ln.strip() for ln in cur_text.splitlines() if ln.strip()]
    out: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            out += [f"- {ln}" for ln in a[i1:i2]]
        if tag in ("replace", "insert"):
            out += [f"+ {ln}" for ln in b[j1:j2]]
    if len(out) > max_lines:
        rest = len(out) - max_lines
        out = out[:max_lines] + [f"... {rest} more changed lines"]
    return "\n".join(out)


def acted_lines(text: str, ids: list[int]) -> list[str]:
    """The lines of `text` that show the elements `ids` (for a compact history of what a step acted on)."""
    want = {str(i) for i in ids}
    return [ln.strip() for ln in text.splitlines() if want & set(_ID_LINE.findall(ln))]
