"""Differential test: our evaluators against WebArena's own code (libwebarena), on cases generated from all 812 real
tasks of its test.raw.json: answers with perturbations, final URLs with perturbations, and program_html checks over a
fake page (the same scripted values for both sides). Prints the agreement per evaluator; every case must agree
except those a DELIBERATE predicate names (each is documented in the README, "Scores and the benchmarks' own")."""

from __future__ import annotations

import json
import random
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError
from webagent.tasks import eval_helpers, evaluators
from webagent.tasks.spec import substitute

from tests import webarena_reference as wref
from tests.scripted import ScriptedChat

try:
    REF = wref.load()
except ImportError:
    pytest.skip(wref.SKIP_REASON, allow_module_level=True)

TASKS = wref.raw_tasks()
URLS = {f"__{k}__": v for k, v in wref.SITE_URLS.items()}
BOUND = [substitute(t, URLS) for t in TASKS]

# Cases where WebArena's behaviour is a crash we deliberately do not copy. Each entry: name -> predicate(case).
# (A judge reply without the expected word raises AssertionError in WebArena and scores 0 for us: the generator
# never scripts such a reply here; tests/test_evaluators.py covers ours.)
DELIBERATE: dict[str, Any] = {}


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
    def __init__(self) -> None:
        self.n: dict[str, int] = {}
        self.bad: dict[str, list[str]] = {}
        self.deliberate: dict[str, int] = {}

    def add(self, kind: str, case: dict[str, Any], theirs: Any, ours: Any) -> None:
        self.n[kind] = self.n.get(kind, 0) + 1
        if theirs == ours:
            return
        for name, pred in DELIBERATE.items():
            if pred(case):
                self.deliberate[name] = self.deliberate.get(name, 0) + 1
                return
        self.bad.setdefault(kind, []).append(f"task {case['task_id']}: WebArena {theirs} ours {ours}: "
                                             f"{json.dumps(case.get('show'))[:300]}")

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


async def test_string_match_agrees_with_webarena(tmp_path):
    rng = random.Random(11)
    tally = Tally()
    SE = REF.evaluators.StringEvaluator
    for task in BOUND:
        ev = task["eval"]
        if "string_match" not in ev["eval_types"]:
            continue
        ra = ev["reference_answers"]
        refs: list[str] = []
        for v in ra.values():
            refs += [v] if isinstance(v, str) else list(v)
        cfg = config_file(tmp_path, task)
        for i, answer in enumerate(answer_variants(refs, rng)):
            na = ra.get("fuzzy_match") == "N/A"
            reply = ["same", "different", "Same."][i % 3] if na else \
                ["correct", "incorrect", "partially correct", "Correct."][i % 4]
            REF.judge.replies, REF.judge.calls = [reply] * 100, []
            theirs = outcome(SE(), [{}, {"answer": answer}], cfg)
            judge = ScriptedChat([reply] * 100)
            ours = product(await evaluators.evaluate_string(ev, answer, task["intent"], judge))
            case = {"task_id": task["task_id"], "show": {"answer": answer, "ref": ra, "reply": reply}}
            tally.add("string_match", case, theirs, ours)
            tally.add("judge prompts", case, REF.judge.calls, [c["messages"] for c in judge.calls])
    print("\n" + tally.report())
    assert tally.n["string_match"] > 10_000
    assert not tally.bad, "\n".join(x for v in tally.bad.values() for x in v[:40])


# ------------------------------------------------------------------------------------------------ URLs

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


def _our_url_score(ev: dict[str, Any], pred: str) -> float:
    return evaluators.evaluate_url(ev, pred).score  # type: ignore[return-value]


def test_url_match_agrees_with_webarena(tmp_path):
    rng = random.Random(12)
    tally = Tally()
    UE = REF.evaluators.URLEvaluator
    n_url = 0
    PseudoPage = REF.helpers.PseudoPage
    for task in BOUND:
        ev = task["eval"]
        if "url_match" not in ev["eval_types"]:
            continue
        n_url += 1
        jobs = [(ev["reference_url"], url_variants(ev["reference_url"], rng))]
        synthetic = synthetic_refs(ev["reference_url"])
        for s in (synthetic[n_url % len(synthetic)], synthetic[(n_url + 3) % len(synthetic)]):
            jobs.append((s, synthetic_preds(s) + url_variants(s, rng)[:8]))
        for j, (ref, preds) in enumerate(jobs):
            t = dict(task, eval=dict(ev, reference_url=ref))
            cfg = config_file(tmp_path, t, f"_{j}")
            for pred in preds:
                theirs = outcome(UE(), [{}, {"answer": ""}], cfg, PseudoPage(None, pred))
                ours = outcome(_our_url_score, t["eval"], pred)
                tally.add("url_match", {"task_id": task["task_id"], "show": {"ref": ref, "pred": pred}}, theirs, ours)
    print("\n" + tally.report())
    assert tally.n["url_match"] > 10_000
    assert not tally.bad, "\n".join(x for v in tally.bad.values() for x in v[:40])


# ------------------------------------------------------------------------------------------------ program_html

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
        if arg is not None or not expr.startswith("() => "):
            return None  # our settle()'s quiet-DOM wait
        body = expr[len("() => "):]
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


def page_cases(task: dict[str, Any], rng: random.Random, n: int) -> list[tuple[World, str]]:
    ev = task["eval"]
    last = (ev.get("reference_url") or task["start_url"]).split(" |OR| ")[0].split(" |AND| ")[0]
    cases = []
    for k in range(n):
        w = World()
        last_url = last if k % 5 else last + "/comments/9/x"
        for entry in ev["program_html"]:
            url = entry["url"]
            if url.startswith("func:"):
                url = "http://shop.test:7770/sales/order/view/order_id/190/" if "shopping" in url else \
                    REF.helpers.reddit_get_post_url(last_url)
            elif url == "last":
                url = last_url
            variants = value_variants(entry["required_contents"])
            v = variants[k % len(variants)] if k < len(variants) else rng.choice(variants)
            loc = entry["locator"]
            if not loc.strip():
                w.html[url] = f"<html><body>{v}</body></html>" if v is not RAISE else ""
            elif loc.startswith("func:"):
                name = loc.split("func:")[1].split("(")[0]
                arg = re.findall(r"'([^']*)'", loc)[-1]
                w.helpers[(name, arg, url)] = "" if v is RAISE or v is None else str(v)
            else:
                w.values[(url, loc)] = v
            World.prep |= set(entry.get("prep_actions", []))
        w.prep_raises = k % 3 == 1
        cases.append((w, last_url))
    return cases


async def test_program_html_agrees_with_webarena(tmp_path, monkeypatch):
    rng = random.Random(13)
    tally = Tally()
    HE = REF.evaluators.HTMLContentEvaluator
    current: list[World] = []

    def role(page: Any, account: str) -> str:
        return current[0].helpers.get(("gitlab_get_project_memeber_role", account, page.url), "")

    def sku(name: str) -> Any:
        return lambda sku: current[0].helpers.get((name, sku, current[1]), "")

    async def our_role(page: Any, account: str) -> str:
        return role(page, account)

    def our_sku(name: str) -> Any:
        async def f(sku_: str, *, sites: dict[str, str]) -> str:
            return sku(name)(sku_)
        return f

    async def our_latest(*, sites: dict[str, str]) -> str:
        return "http://shop.test:7770/sales/order/view/order_id/190/"

    names = ("shopping_get_sku_latest_review_author", "shopping_get_sku_latest_review_rating")
    monkeypatch.setattr(REF.evaluators, "gitlab_get_project_memeber_role", role)
    monkeypatch.setattr(REF.evaluators, "shopping_get_latest_order_url",
                        lambda: "http://shop.test:7770/sales/order/view/order_id/190/")
    monkeypatch.setitem(eval_helpers.HELPERS, "gitlab_get_project_memeber_role", our_role)
    monkeypatch.setitem(eval_helpers.HELPERS, "shopping_get_latest_order_url", our_latest)
    for name in names:
        monkeypatch.setattr(REF.evaluators, name, sku(name))
        monkeypatch.setitem(eval_helpers.HELPERS, name, our_sku(name))
    for task in BOUND:
        ev = task["eval"]
        if "program_html" not in ev["eval_types"]:
            continue
        cfg = config_file(tmp_path, task)
        for w, last_url in page_cases(task, rng, 14):
            current[:] = [w, last_url]
            theirs = outcome(HE(), [{}, {"answer": ""}], cfg, REF.helpers.PseudoPage(SyncPage(w, last_url), last_url))
            ours = await aoutcome(_ours_html(ev, AsyncPage(w, last_url)))
            show = {"values": {k[1][:50]: repr(v) for k, v in w.values.items()},
                    "helpers": {str(k): v for k, v in w.helpers.items()},
                    "html": list(w.html.values())[:1], "prep_raises": w.prep_raises}
            tally.add("program_html", {"task_id": task["task_id"], "show": show}, theirs, ours)
    print("\n" + tally.report())
    assert tally.n["program_html"] > 5_000
    assert not tally.bad, "\n".join(x for v in tally.bad.values() for x in v[:40])


async def _ours_html(ev: dict[str, Any], page: AsyncPage) -> float:
    checks = await evaluators.evaluate_program_html(ev, page, URLS)
    return product(checks)  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------------ helpers

def test_reddit_get_post_url_agrees_with_webarena():
    urls = ["http://f.test/f/books/12/some-title", "http://f.test/f/books/12/some-title/34", "http://f.test/f/books",
            "http://f.test/f/books/", "http://f.test/f/books/12", "http://f.test/user/x/y/z", "http://f.test/",
            "http://f.test/f/books/12/?sort=new", "https://f.test:1/f/a/1/b#c", "http://f.test//f/a/1"]
    for u in urls:
        assert eval_helpers.reddit_get_post_url(u) == REF.helpers.reddit_get_post_url(u), u


def test_all_812_webarena_tasks_load_and_every_check_can_run():
    from webagent.tasks.spec import load_file
    tasks = load_file(REF.root / "test.raw.json")
    assert len(tasks) == 812
    assert {t.task_id: evaluators.eval_problems(t.eval) for t in tasks if evaluators.eval_problems(t.eval)} == {}
