"""LLM doubles for the search tests and bench/search.py, at the ChatModel seam.

`SearchDouble` routes each request by its system prompt (policy / value judge / comparative judge / world model /
candidate filter / imagined policy) to a handler `(prompt, n, rng) -> list[str]`, reports usage as ceil(characters /
4) prompt tokens (the planners' budget estimate, so token budgets can be checked exactly) and records every call with
its start and end time and how many calls were in flight when it started (to prove concurrency).

Reproducible: each call's `rng` is seeded by the double's seed and the request itself (its prompt with the site's
address and the run's fence token taken out: so by the task, the state, and the step's history) and by how many
identical requests came before. Replies therefore depend neither on the site's random port nor on the order in which
concurrent calls arrive, and the same seed gives the same episode.

`NoisyShopDouble` is the controlled-experiment double. Its policy proposes the gold action with probability p among a
fixed set of plausible distractors; its judge reports the true progress along the gold sequence plus Gaussian noise
and says yes where it should say no with probability `judge_fp` (false positives: an off-track state on track, a
wrong answer a success); its world model is right with probability 1 - `wm_error` and otherwise predicts a plausible
but wrong outcome (the gold action leads nowhere or to a sibling page; a wrong action leads to the page the task
needs, or to another page). It knows the answers: a test with it proves plumbing; the experiment uses it to show how
the planners respond to model error, not how a real model performs. Its token counts take every element id as
"[#]": ids come from a session-wide counter whose offset depends on how often pages were observed (timing), and
the experiment's figures should not."""

from __future__ import annotations

import asyncio
import hashlib
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from webagent.llm.base import Completion, Usage

Handler = Callable[[str, int, random.Random], list[str]]

KINDS = (("You are a web agent", "policy"), ("You judge the progress", "value"),
         ("You compare the options", "compare"), ("You are a world model", "world_model"),
         ("You review the candidate actions", "filter"), ("You plan the next action", "sim_policy"))

_SITE = re.compile(r"https?://(?:127\.0\.0\.1|localhost):\d+")
_TOKEN = re.compile(r"\b[0-9a-f]{16}\b")
_ID = re.compile(r"\[\d+\]")


def request_seed(seed: int, kind: str, prompt: str, occurrence: int) -> str:
    """The seed of one call's rng: the double's seed, the prompt without the site's address, the fence token and the
    element ids (session-wide counters), and how many identical requests came before."""
    norm = _ID.sub("[#]", _TOKEN.sub("TOKEN", _SITE.sub("SITE", prompt)))
    return hashlib.sha256(f"{seed}\x1f{kind}\x1f{occurrence}\x1f{norm}".encode()).hexdigest()


def kind_of(messages: list[dict[str, Any]]) -> str:
    system = messages[0]["content"] if messages and messages[0]["role"] == "system" else ""
    for prefix, kind in KINDS:
        if system.startswith(prefix):
            return kind
    return "other"


class SearchDouble:
    name = "search-double"

    def __init__(self, policy: Handler | None = None, value: Handler | None = None,
                 world_model: Handler | None = None, compare: Handler | None = None, delay: float = 0.0,
                 seed: int = 0) -> None:
        self.handlers = {"policy": policy, "value": value, "world_model": world_model, "compare": compare}
        self.count_ids = True  # False: usage counts every element id as "[#]" (reproducible token figures)
        self.delay = delay
        self.seed = seed
        self.seen: dict[str, int] = {}
        self.calls: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    def count(self, kind: str) -> int:
        return sum(1 for c in self.calls if c["kind"] == kind)

    async def complete(self, messages, *, n=1, temperature=0.0, max_tokens=256, grammar=None, json_schema=None):
        kind = kind_of(messages)
        content = messages[-1]["content"]
        prompt = content if isinstance(content, str) else "\n".join(
            p["text"] for p in content if p.get("type") == "text")
        images = [] if isinstance(content, str) else [  # the label (text part) before each image part
            content[i - 1].get("text", "") for i, p in enumerate(content) if p.get("type") == "image_url"]
        handler = self.handlers.get(kind)
        if handler is None:
            raise AssertionError(f"no {kind} handler in this double")
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        rec = {"kind": kind, "n": n, "prompt": prompt, "t0": time.perf_counter(), "in_flight": self.in_flight,
               "images": images, "json_schema": json_schema, "grammar": grammar}
        self.calls.append(rec)
        base = request_seed(self.seed, kind, prompt, 0)
        occurrence = self.seen.get(base, 0)
        self.seen[base] = occurrence + 1
        rng = random.Random(request_seed(self.seed, kind, prompt, occurrence))
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            texts = handler(prompt, n, rng)
        finally:
            self.in_flight -= 1
            rec["t1"] = time.perf_counter()
        chars = sum(len(m["content"]) if isinstance(m["content"], str) else len(str(m["content"])) for m in messages)
        if not self.count_ids:  # ids at a fixed width: the id counter's offset (how often pages were observed)
            chars -= sum(len(x) - 3 for m in messages for x in _ID.findall(str(m["content"])))
        usage = Usage(math.ceil(chars / 4), sum(min(max_tokens, math.ceil(len(t) / 4)) for t in texts))
        return Completion(texts, usage, model=self.name)


# ----------------------------------------------------------------------------------------------- prompt parsing
def url_of(prompt: str) -> str:
    m = re.search(r"^URL: (\S+)", prompt, re.M)
    return m.group(1) if m else ""


def task_of(prompt: str) -> str:
    m = re.search(r"^TASK: (.*)$", prompt, re.M)
    return m.group(1).strip() if m else ""


def field_of(prompt: str, label: str) -> str | None:
    m = re.search(rf"^{re.escape(label)}[^:]*: (.*)$", prompt, re.M)
    return m.group(1).strip() if m else None


def find_id(prompt: str, role: str, name: str) -> int | None:
    m = re.search(rf"^\s*\[(\d+)\] {re.escape(role)} '{re.escape(name)}'", prompt, re.M)
    return int(m.group(1)) if m else None


def elements(prompt: str, roles: tuple[str, ...] = ("link", "button")) -> list[tuple[int, str, str]]:
    page = prompt.split("<<<PAGE", 1)[-1]
    return [(int(i), r, nm) for i, r, nm in re.findall(r"^\s*\[(\d+)\] (\w+) '([^']*)'", page, re.M) if r in roles]


def spread(n: int, weighted: list[tuple[float, str]]) -> list[str]:
    """n replies in the given proportions (largest remainder), most weighted first."""
    total = sum(w for w, _ in weighted) or 1
    exact = [(w * n / total, r) for w, r in weighted]
    counts = [int(x) for x, _ in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i][0] - counts[i], reverse=True)[: n - sum(counts)]:
        counts[i] += 1
    return [r for c, (_, r) in zip(counts, exact, strict=True) for _ in range(c)]


def verdict(success: bool, on_track: bool) -> str:
    """A judge reply in the JSON the judge's schema asks for."""
    import json
    return json.dumps({"thoughts": "scripted.", "status": "success" if success else "failure",
                       "on_the_right_track": "yes" if on_track else "no"})


def outcome_json(url: str = "", summary: str = "", irreversible: bool = False, form: bool = False) -> str:
    import json
    return json.dumps({"url_change": url, "appears": [], "vanishes": [], "form_submitted": form,
                       "irreversible": irreversible, "summary": summary})


# ----------------------------------------------------------------------------------------------- noisy double
@dataclass
class GoldStep:
    """One gold action: `verb` on the element (role, name), with `text` for type/select; `url` a regex the URL
    matches after it, `example` one such URL path (what a faithful world model predicts)."""

    verb: str
    role: str = ""
    name: str = ""
    text: str = ""
    url: str = ""
    example: str = ""

    def render(self, prompt: str) -> str | None:
        if self.verb == "stop":
            return f"stop [{self.text}]"
        i = find_id(prompt, self.role, self.name)
        if i is None:
            return None
        if self.verb == "type":
            return f"type [{i}] [{self.text}] [1]"
        if self.verb == "select":
            return f"select [{i}] [{self.text}]"
        return f"{self.verb} [{i}]"


@dataclass
class GoldTask:
    id: str
    intent: str
    start: str
    steps: list[GoldStep]
    answer: str  # the expected stop answer (substring, case-insensitive)
    meta: dict[str, Any] = field(default_factory=dict)

    def progress(self, url: str) -> int:
        """How many gold steps the state at `url` has completed (0 at the start or off the gold path)."""
        path = re.sub(r"^https?://[^/]+", "", url)
        k = 0
        for i, s in enumerate(self.steps):
            if s.verb != "stop" and s.url and re.search(s.url, path):
                k = i + 1
        return k

    def on_path(self, url: str) -> bool:
        path = re.sub(r"^https?://[^/]+", "", url)
        return self.progress(url) > 0 or path == self.start

    def correct(self, answer: str | None) -> bool:
        return answer is not None and self.answer.lower() in answer.lower()


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def imagined_url(prompt: str) -> str | None:
    """The last URL a multi-step imagination reached (the `url -> X` of its last imagined step), if any."""
    part = prompt.split("IMAGINED STEPS", 1)
    urls = re.findall(r"url -> (\S+)", part[1]) if len(part) > 1 else []
    return urls[-1] if urls else None


class NoisyShopDouble(SearchDouble):
    """p: probability a policy sample is the gold action; sigma: noise of the value judge; judge_fp: probability
    the judge says yes where it should say no; wm_error: probability a prediction is plausible but wrong."""

    def __init__(self, tasks: list[GoldTask], p: float = 0.4, sigma: float = 0.25, wm_error: float = 0.2,
                 distractors: int = 3, seed: int = 0, judge_fp: float = 0.0) -> None:
        super().__init__(seed=seed)
        self.count_ids = False
        self.tasks = {t.intent: t for t in tasks}
        self.p, self.sigma, self.wm_error, self.k, self.judge_fp = p, sigma, wm_error, distractors, judge_fp
        self.handlers = {"policy": self._policy, "value": self._value, "world_model": self._wm,
                         "compare": self._compare, "sim_policy": self._sim_policy}

    def _task(self, prompt: str) -> GoldTask:
        return self.tasks[task_of(prompt)]

    def _gold_and_distractors(self, prompt: str) -> tuple[str | None, list[str]]:
        t = self._task(prompt)
        url = url_of(prompt)
        k = t.progress(url)
        gold = t.steps[k].render(prompt) if t.on_path(url) and k < len(t.steps) else "go_back"
        gid = re.search(r"\[(\d+)\]", gold or "")
        pool = [f"click [{i}]" for i, _, _ in elements(prompt) if not (gid and str(i) == gid.group(1))]
        path = re.sub(r"^https?://[^/]+", "", url)  # the same distractors at the same state, whatever the port
        srng = random.Random(hashlib.sha256(f"{self.seed}\x1f{t.id}\x1f{path}".encode()).hexdigest())
        distract = srng.sample(pool, min(self.k, len(pool))) if pool else ["scroll [down]"]
        if k == len(t.steps) - 1 or not t.on_path(url):
            distract = distract[:-1] + ["stop [N/A]"]
        return gold, distract

    def _policy(self, prompt: str, n: int, rng: random.Random) -> list[str]:
        gold, distract = self._gold_and_distractors(prompt)
        return [gold if gold and rng.random() < self.p else rng.choice(distract) for _ in range(n)]

    def _verdict(self, t: GoldTask, k: int, answer: str | None, rng: random.Random) -> tuple[bool, bool]:
        """(success, on track) for a state `k` gold steps in, with the judge's noise and false positives."""
        fp = rng.random() < self.judge_fp
        done = k >= len(t.steps) - 1 and answer is not None and t.correct(answer)
        if answer is not None:
            return (done or fp), False
        frac = k / max(1, len(t.steps) - 1)
        return False, (frac + rng.gauss(0, self.sigma) > 0.25) or fp

    def _score(self, t: GoldTask, k: int, answer: str | None, rng: random.Random) -> str:
        return verdict(*self._verdict(t, k, answer, rng))

    def _value(self, prompt: str, n: int, rng: random.Random) -> list[str]:
        t = self._task(prompt)
        url = url_of(prompt)
        answer = field_of(prompt, "FINAL ANSWER")
        imagined = field_of(prompt, "IMAGINED OUTCOME")
        if imagined is not None:
            m = re.search(r"url -> (\S+)", imagined)
            url = m.group(1) if m else imagined_url(prompt) or url
            ans = re.search(r"answers: '([^']*)'", imagined)
            answer = ans.group(1) if ans else answer
        k = t.progress(url) if t.on_path(url) else 0
        return [self._score(t, k, answer, rng) for _ in range(n)]

    def _wm(self, prompt: str, n: int, rng: random.Random) -> list[str]:
        t = self._task(prompt)
        url = imagined_url(prompt) or url_of(prompt)
        action = field_of(prompt, "ACTION") or ""
        k = t.progress(url)
        gold = t.steps[k] if t.on_path(url) and k < len(t.steps) else None
        is_gold = gold is not None and gold.verb != "stop" and f"{gold.role} '{gold.name}'" in action
        m = re.search(r"\w+ '([^']*)'", action)
        target = m.group(1) if m else action
        siblings = [nm for _, _, nm in elements(prompt) if nm and nm != target] or ["Home"]
        out = []
        for _ in range(n):
            if rng.random() >= self.wm_error:  # a faithful prediction
                if is_gold:
                    out.append(outcome_json(gold.example, f"the page for {gold.name} opens"))
                elif action.startswith("go_back"):
                    out.append(outcome_json("", "the previous page opens"))
                else:
                    out.append(outcome_json(f"/{slug(target)}", f"a page about {target} opens"))
                continue
            wrong = rng.random() < 0.5  # plausible but wrong, two ways each
            if is_gold:
                out.append(outcome_json("", "nothing visible changes") if wrong else
                           outcome_json(f"/{slug(rng.choice(siblings))}", "a related page opens"))
            elif gold is not None and gold.verb != "stop" and wrong:  # the wrong action "leads where the task needs"
                out.append(outcome_json(gold.example, f"the page for {gold.name} opens"))
            else:
                other = rng.choice(siblings)
                out.append(outcome_json(f"/{slug(other)}", f"a page about {other} opens"))
        return out

    def _sim_policy(self, prompt: str, n: int, rng: random.Random) -> list[str]:
        """Inside an imagined state: the gold step with probability p, else a stop without the answer."""
        import json
        t = self._task(prompt)
        url = imagined_url(prompt) or url_of(prompt)
        k = t.progress(url) if t.on_path(url) else len(t.steps)
        out = []
        for _ in range(n):
            g = t.steps[k] if k < len(t.steps) and rng.random() < self.p else GoldStep("stop", text="N/A")
            out.append(json.dumps({"verb": g.verb, "target": f"{g.role} '{g.name}'" if g.role else "",
                                   "text": g.text}))
        return out

    def _compare(self, prompt: str, n: int, rng: random.Random) -> list[str]:
        t = self._task(prompt)
        blocks = re.split(r"^OPTION (\d+):\n", prompt, flags=re.M)[1:]
        out = []
        for _ in range(n):
            lines = []
            for num, body in zip(blocks[::2], blocks[1::2], strict=True):
                m = re.search(r"RESULTING URL: (\S+)", body)
                ans = re.search(r"answers: '([^']*)'", body)
                k = t.progress(m.group(1)) if m and t.on_path(m.group(1)) else 0
                success, on_track = self._verdict(t, k, ans.group(1) if ans else None, rng)
                lines.append(f"OPTION {num}: {1 if success else 0.5 if on_track else 0}")
            out.append("\n".join(lines))
        return out
