"""Case generators and fakes shared by the parity tests against WebArena's and VisualWebArena's own evaluators."""

from __future__ import annotations

import json
import random
import re
import urllib.parse
from pathlib import Path
from typing import Any

from playwright.async_api import Error as PlaywrightError

# ------------------------------------------------------------------------------------------------ outcomes

def outcome(fn: Any, *args: Any) -> Any:
    try:
        return float(fn(*args))
    except Exception as e:  # noqa: BLE001 (an exception is an outcome to compare)
        return f"raises {type(e).__name__}"


async def aoutcome(coro: Any) -> Any:
    try:
        return float(await coro)
    except Exception as e:  # noqa: BLE001
        return f"raises {type(e).__name__}"


def product(checks: list[Any]) -> float | None:
    s = 1.0
    for c in checks:
        if c.score is None:
            return None
        s *= c.score
    return s


class Tally:
    """Agreement counts per evaluator; a difference is allowed only where a `deliberate` predicate names it."""

    def __init__(self, deliberate: dict[str, Any] | None = None) -> None:
        self.deliberate_rules = deliberate or {}
        self.n: dict[str, int] = {}
        self.bad: dict[str, list[str]] = {}
        self.deliberate: dict[str, int] = {}

    def add(self, kind: str, case: dict[str, Any], theirs: Any, ours: Any) -> None:
        self.n[kind] = self.n.get(kind, 0) + 1
        if theirs == ours:
            return
        case["theirs"], case["ours"] = theirs, ours
        for name, pred in self.deliberate_rules.items():
            if pred(case):
                self.deliberate[name] = self.deliberate.get(name, 0) + 1
                return
        self.bad.setdefault(kind, []).append(f"task {case['task_id']}: WebArena {theirs} ours {ours}: "
                                             f"{json.dumps(case.get('show'))[:300]}")

    def show(self, capsys: Any, against: str) -> None:
        """Print the agreement even when pytest captures output, so CI logs carry it."""
        with capsys.disabled():
            print(f"\nagreement with {against}'s own evaluators:\n{self.report()}")

    def report(self) -> str:
        lines = []
        for k, n in self.n.items():
            bad = len(self.bad.get(k, []))
            lines.append(f"{k:<14} {n:>6} cases  agreement {100 * (n - bad) / n:6.2f}%  ({bad} differ)")
        for k, n in self.deliberate.items():
            lines.append(f"deliberate difference {k}: {n} cases")
        return "\n".join(lines)


def config_file(tmp: Path, task: dict[str, Any], tag: str = "") -> str:
    p = tmp / f"{task['task_id']}{tag}.json"
    p.write_text(json.dumps(task))
    return str(p)


# ------------------------------------------------------------------------------------------------ answers

NUM = re.compile(r"\d+")


def answer_variants(refs: list[str], rng: random.Random) -> list[str]:
    base = ", ".join(refs)
    one = refs[0]
    out = [base, base.upper(), base.lower(), base.title(), f"  {base}\n", f"'{base}'", f'"{base}"',
           f"'\"{base}\"'", f"\"'{base}'\"", f"' {base} '", f"{base}.", f"{base}!", f"{base}?", f"${base}",
           f"The answer is {base}.", f"I found {base} on the page, so {base} it is", f"{base}'s",
           f"{one}'s price", ", ".join(reversed(refs)), " and ".join(refs), "; ".join(refs[:-1]),
           NUM.sub(lambda m: "1" + m.group(0), base), NUM.sub(lambda m: m.group(0) + "0", base),
           NUM.sub(lambda m: m.group(0) + ".5", base), base.replace(",", ""), base.replace(" ", ""),
           "N/A", "n/a", "NA", "N.A.", "'N/A'", " n/a ", '"N/A"', "N/A.", "not available",
           "N/A: the item does not exist", "", "'", '"', "''", "0", one[:1], f"{one[:1]}.", f"x {one[:1]} y",
           f"Dr. {one} is it. Then 6.", "\n".join(refs), rng.choice(refs) + " " + rng.choice(refs)]
    return out


def _with_query(url: str, pairs: list[tuple[str, str]], raw: bool = False) -> str:
    p = urllib.parse.urlsplit(url)
    q = "&".join(f"{k}={v}" for k, v in pairs) if raw else urllib.parse.urlencode(pairs)
    return urllib.parse.urlunsplit((p.scheme, p.netloc, p.path, q, p.fragment))


def url_variants(ref: str, rng: random.Random) -> list[str]:
    out: list[str] = []
    for alt in ref.split(" |OR| "):
        p = urllib.parse.urlsplit(alt)
        pairs = urllib.parse.parse_qsl(p.query, keep_blank_values=True)
        out += [alt, alt + "/", alt.rstrip("/"), alt + "//", alt + "#top", alt + "/#x", alt + "/sub/page",
                alt + "?extra=1", alt + "&extra=1", alt.replace("http://", "https://"), alt.upper(),
                alt.replace(p.netloc, "other.test:1"), urllib.parse.quote(alt, safe=":/?&="),
                urllib.parse.unquote(alt), alt.replace("/", "/./", 1) if p.path else alt,
                f"{p.scheme}://{p.netloc}{p.path.rstrip('/')}/" + (f"?{p.query}" if p.query else ""),
                f"{p.scheme}://{p.netloc}{p.path.rstrip('/')}" + (f"?{p.query}" if p.query else ""),
                f"{p.scheme}://{p.netloc}{p.path.replace(' ', '%20').replace('%20', ' ')}",
                f"{p.scheme}://{p.netloc}/" + "/".join(urllib.parse.quote(s) for s in p.path.split("/")[1:])]
        if pairs:
            out += [_with_query(alt, list(reversed(pairs))), _with_query(alt, pairs + [("extra", "1")]),
                    _with_query(alt, pairs[1:]), _with_query(alt, pairs[:-1] + [(pairs[-1][0], "zzz")]),
                    _with_query(alt, pairs + [(pairs[0][0], "other")]), _with_query(alt, pairs, raw=True),
                    _with_query(alt, [(k, v.replace(" ", "+")) for k, v in pairs], raw=True),
                    _with_query(alt, [(k, urllib.parse.quote(v)) for k, v in pairs], raw=True),
                    _with_query(alt, [(k, v.upper()) for k, v in pairs]), alt + "#frag"]
        else:
            out += [_with_query(alt, [("q", "a&b")]), _with_query(alt, [("q", "a#b")])]
    out.append(rng.choice(out) + "?" + "p=2")
    return out


def synthetic_refs(ref: str) -> list[str]:
    """Reference URLs built from a real one: encoded characters in values and paths, a trailing slash before the
    query, alternatives with their own queries (WebArena pools their keys)."""
    first = ref.split(" |OR| ")[0].rstrip("/")
    return [first + "/?q=a%26b", first + "?q=a+b&cat=3", first + "?q=a%2Bb", first + "?q=a%23b",
            first + "/caf%C3%A9%20menu", first + " |OR| " + first + "/x?cat=3", first + "?cat=3 |OR| " + first + "?cat=4",
            first + "/?a=1&a=2"]


def synthetic_preds(ref: str) -> list[str]:
    first = ref.split(" |OR| ")[0]
    return [first, first + "&q=a&b", first.replace("%26", "&"), first.replace("%2B", "+"), first.replace("+", " "),
            first.replace("+", "%20"), first.replace("%23", "#"), urllib.parse.unquote(first), first.rstrip("/"),
            first.replace("/?", "?"), first.replace("?", "/?"), first.replace("cat=3", "cat=4"),
            first + "&cat=3", first.split("?")[0], first.replace("%C3%A9%20", "é "), first.replace("a=1&", "")]


RAISE = object()


class World:
    """What the fake page shows: (url, JS expression) -> value; (url) -> HTML; helper results; prep failures."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], Any] = {}
        self.html: dict[str, str] = {}
        self.helpers: dict[tuple[str, ...], str] = {}
        self.prep_raises = False
        self.prep_runs: list[str] = []

    def evaluate(self, url: str, expr: str, arg: Any) -> Any:
        if arg is not None:
            return None  # our settle()'s quiet-DOM wait
        body = expr[len("() => "):] if expr.startswith("() => ") else expr  # VisualWebArena's lambda: as written
        if body in self.prep:
            self.prep_runs.append(body)
            if self.prep_raises:
                raise PlaywrightError("prep failed")
            return None
        v = self.values.get((url, body), RAISE)
        if v is RAISE:
            raise PlaywrightError(f"no element for {body[:40]} on {url}")
        return v

    prep: set[str] = set()


class SyncPage:
    def __init__(self, world: World, url: str) -> None:
        self.world, self.url = world, url
        self.context = self

    def new_page(self) -> SyncPage:
        return SyncPage(self.world, "about:blank")

    def goto(self, url: str, **kw: Any) -> None:
        self.url = url

    def evaluate(self, expr: str, arg: Any = None) -> Any:
        return self.world.evaluate(self.url, expr, arg)

    def content(self) -> str:
        return self.world.html.get(self.url, "<html></html>")

    def close(self) -> None:
        pass


class AsyncPage(SyncPage):
    main_frame = None

    async def new_page(self) -> AsyncPage:  # type: ignore[override]
        return AsyncPage(self.world, "about:blank")

    async def goto(self, url: str, **kw: Any) -> None:  # type: ignore[override]
        self.url = url

    async def evaluate(self, expr: str, arg: Any = None) -> Any:  # type: ignore[override]
        return self.world.evaluate(self.url, expr, arg)

    async def content(self) -> str:  # type: ignore[override]
        return self.world.html.get(self.url, "<html></html>")

    async def close(self) -> None:  # type: ignore[override]
        pass

    async def wait_for_load_state(self, *a: Any, **kw: Any) -> None:
        pass

    def on(self, *a: Any) -> None:
        pass

    def remove_listener(self, *a: Any) -> None:
        pass


def value_variants(required: dict[str, Any]) -> list[Any]:
    """Values a locator may return for these required contents: right, perturbed, wrong, and of other types."""
    if "exact_match" in required:
        x = required["exact_match"]
        base = [x, x.upper(), f" {x} ", f"'{x}'", f'"{x}"', x + "x", "x" + x, x.replace("&", "&amp;")]
    else:
        alts = [item.split(" |OR| ") for item in required["must_include"]]
        x = " ".join(a[0] for a in alts)
        base = [x, " ".join(a[-1] for a in alts), x.upper(), " ".join(a[0] for a in reversed(alts)),
                " ".join(a[0] for a in alts[1:]), [a[0] for a in alts], x.replace("&", "&amp;"), f"<b>{x}</b>"]
    extra: list[Any] = ["", None, True, False, 0, 1, 3.5, [], RAISE, {"k": x}]
    try:
        n = float(x)
        extra += [int(n) if n.is_integer() else n, n, str(n)]
    except ValueError:
        pass
    if x.lower() in ("true", "false"):
        extra += [x.lower() == "true"]
    return base + extra
