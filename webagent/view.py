"""`webagent view`: one self-contained HTML report per run, and an index for a benchmark directory.

Self-contained: screenshots and crops are inlined as `data:` URIs, styles are inline, there is no script and no
network access, so `view.html` works on its own wherever it is copied. Everything that comes from a page or a model
is untrusted and is escaped (`html.escape`); nothing from the run is ever put into HTML unescaped.
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path
from typing import Any

from webagent.errors import BadInput
from webagent.gif import clamp_box
from webagent.recorder import TRAJECTORY
from webagent.records import LLMCall, Step
from webagent.trajectory import Trajectory, TrajectoryError, load

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header.top{background:#1d2330;color:#fff;padding:16px 24px}
header.top h1{margin:0 0 6px;font-size:20px}
main{padding:16px 24px;max-width:1400px}
.card{background:#fff;border:1px solid #d9dce3;border-radius:8px;padding:12px 16px;margin:0 0 14px}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}
.kv dt{color:#5b6475}.kv dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;border-radius:10px;padding:1px 9px;font-size:12px;font-weight:600}
.ok{background:#d8f5de;color:#12632a}.bad{background:#fde0e0;color:#8a1c1c}.neutral{background:#e6e9ef;color:#333}
.step h2{font-size:16px;margin:0 0 8px;display:flex;gap:10px;align-items:center;flex-wrap:wrap}
.step h2 code{font-size:15px;background:#eef1f6;padding:1px 6px;border-radius:4px}
.grid{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:14px}
.shot{position:relative;display:inline-block;width:100%;border:1px solid #ccd;overflow:hidden}
.shot img{width:100%;display:block}
.box{position:absolute;border:3px solid #ff2d55;box-shadow:0 0 0 2px #fff;pointer-events:none;box-sizing:border-box}
.box.edge{border:0;background:#ff2d55;box-shadow:none}
.treehead{margin:4px 0 8px}.treehead dd{font-size:12px}
.crops img{max-width:100%;max-height:160px;border:1px solid #ccd;margin:4px 4px 0 0}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f7f8fa;border:1px solid #e3e6ec;border-radius:4px;
  padding:8px;max-height:480px;overflow:auto;font:12px/1.4 ui-monospace,Menlo,Consolas,monospace;margin:4px 0}
details{margin:6px 0}summary{cursor:pointer;color:#2a4fb0;font-weight:600}
.meta{color:#5b6475;font-size:12px}.err{color:#8a1c1c;font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e3e6ec;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#eef1f6;font-weight:600}
ul.tree{list-style:none;padding-left:18px;margin:2px 0;border-left:1px dashed #b8bfcc}
ul.tree li{margin:3px 0}.node{display:inline-block;background:#f7f8fa;border:1px solid #d9dce3;border-radius:4px;
  padding:1px 6px;font-size:12px}.node.chosen{border-color:#12632a;background:#d8f5de}
.warn{background:#fff4d6;border-color:#e8c66a}
"""

ESC = html.escape


def _e(v: Any) -> str:
    """Escape anything for HTML text or attribute values."""
    if v is None:
        return ""
    return html.escape(v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str), quote=True)


def _data_uri(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    mime = "image/png" if data[:4] == b"\x89PNG" else "image/jpeg" if data[:2] == b"\xff\xd8" else \
        "image/webp" if data[:4] == b"RIFF" and data[8:12] == b"WEBP" else None
    if mime is None:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _inside(run_dir: Path, rel: str | None) -> Path | None:
    """The file `rel` names, only if it is inside the run directory (a trajectory cannot point elsewhere)."""
    if not rel:
        return None
    p = (run_dir / rel).resolve()
    try:
        p.relative_to(run_dir.resolve())
    except ValueError:
        return None
    return p if p.is_file() else None


def _badge(text: str, good: bool | None) -> str:
    cls = "neutral" if good is None else ("ok" if good else "bad")
    return f'<span class="badge {cls}">{_e(text)}</span>'


def _kv(rows: list[tuple[str, Any]]) -> str:
    return '<dl class="kv">' + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _page(title: str, head: str, body: str) -> str:
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data: 'self'; "
            "style-src 'unsafe-inline'\">"
            f"<meta name=viewport content='width=device-width'><title>{_e(title)}</title><style>{CSS}</style>"
            f"</head><body><header class=top>{head}</header><main>{body}</main></body></html>")


# -- search trees ---------------------------------------------------------------------------------------------------

_NODE_KEYS = ("action", "value", "score", "prior", "votes", "visits", "depth", "imagined", "outcome", "reason",
              "url", "status")


def _node_label(node: dict[str, Any]) -> str:
    parts = []
    for k in _NODE_KEYS:
        if k in node and node[k] not in (None, "", []):
            v = node[k]
            if isinstance(v, float):
                v = round(v, 3)
            parts.append(f"<b>{_e(k)}</b> {_e(v if isinstance(v, str) else json.dumps(v, default=str))}")
    if not parts:
        parts = [f"<b>{_e(k)}</b> {_e(v)}" for k, v in node.items() if not isinstance(v, (list, dict))][:6]
    chosen = " chosen" if node.get("chosen") or node.get("committed") else ""
    return f'<span class="node{chosen}">' + " · ".join(parts) + "</span>"


def _plain(v: Any, depth: int = 0) -> str:
    """A value in words, not JSON: `k v · k v` for a mapping, `a, b` for a list, numbers rounded."""
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    if isinstance(v, dict):
        if depth > 1:
            return f"({len(v)} entries)"
        return " · ".join(f"{k} {_plain(x, depth + 1)}" for k, x in v.items() if x not in (None, "", [], {}))
    if isinstance(v, list):
        if depth > 1 or len(v) > 12:
            return f"({len(v)} items)"
        return ", ".join(_plain(x, depth + 1) for x in v)
    return str(v)


_HEAD_ORDER = ("planner", "note", "best", "budget", "params", "root", "final_restore", "restores", "caches", "ms")


def _tree_header(tree: dict[str, Any]) -> str:
    """The search tree's facts (planner, best path, budget use, options, root candidates, restores, caches) as a
    small table of words."""
    rows: list[tuple[str, Any]] = []
    keys = [k for k in _HEAD_ORDER if k in tree] + [k for k in tree if k not in _HEAD_ORDER and k != "nodes"]
    for k in keys:
        v = tree[k]
        if v in (None, "", [], {}):
            continue
        if k == "best" and isinstance(v, dict):
            text = f"node {v.get('node')}, value {_plain(v.get('value'))}: " + " → ".join(map(str, v.get("path") or []))
        elif k == "root" and isinstance(v, dict):
            cands = [c for c in v.get("candidates") or [] if isinstance(c, dict)]
            text = f"{v.get('url', '')} · candidates: " + ", ".join(
                f"{c.get('action')} ({c.get('votes')} votes)" if c.get("votes") is not None else str(c.get("action"))
                for c in cands)
        elif k == "ms":
            k, text = "time", f"{_plain(v)} ms"
        else:
            text = _plain(v)
        rows.append((k.replace("_", " "), _e(text)))
    return f'<div class="treehead">{_kv(rows)}</div>' if rows else ""


def _tree_html(tree: Any, depth: int = 0) -> str:
    """Nested lists for a search tree: a node dict with `children`, or `{nodes: [{id, parent, ...}]}`."""
    if depth > 40:
        return "<ul class=tree><li>…</li></ul>"
    if isinstance(tree, dict) and isinstance(tree.get("nodes"), list) and "children" not in tree:
        nodes = [n for n in tree["nodes"] if isinstance(n, dict)]
        kids: dict[Any, list[dict[str, Any]]] = {}
        for n in nodes:
            kids.setdefault(n.get("parent"), []).append(n)

        def build(parent: Any, d: int) -> str:
            if d > 40 or parent not in kids:
                return ""
            return "<ul class=tree>" + "".join(
                f"<li>{_node_label(n)}{build(n.get('id'), d + 1) if n.get('id') is not None else ''}</li>"
                for n in kids[parent]) + "</ul>"
        roots = [n for n in nodes if n.get("parent") is None]
        head = _tree_header(tree)
        return head + (build(None, 0) if roots else "<pre>" + _e(json.dumps(tree, indent=1)[:20000]) + "</pre>")
    if isinstance(tree, dict):
        children = tree.get("children") or []
        inner = "".join(f"<li>{_tree_html(c, depth + 1)}</li>" for c in children if isinstance(c, dict))
        return _node_label(tree) + (f"<ul class=tree>{inner}</ul>" if inner else "")
    if isinstance(tree, list):
        return "<ul class=tree>" + "".join(f"<li>{_tree_html(c, depth + 1)}</li>" for c in tree) + "</ul>"
    return _e(tree)


# -- one run --------------------------------------------------------------------------------------------------------

def _messages_html(messages: list[Any]) -> str:
    out = []
    for m in messages or []:
        if isinstance(m, dict):
            content = m.get("content")
            if isinstance(content, list):  # multimodal parts
                content = "\n".join(p.get("text", "[image]") if isinstance(p, dict) else str(p) for p in content)
            out.append(f"<div class=meta>{_e(m.get('role', '?'))}</div><pre>{_e(content)}</pre>")
        else:
            out.append(f"<pre>{_e(m)}</pre>")
    return "".join(out)


def _call_images_html(run_dir: Path, call: LLMCall) -> str:
    """The images one LLM call received, in order: each with its label, file, size and a thumbnail."""
    images = call.images
    if not images:
        return ""
    st = call.image_stats
    items = []
    for im in images:
        if not isinstance(im, dict):
            continue
        path = _inside(run_dir, im.get("file"))
        uri = _data_uri(path) if path else None
        thumb = f'<img alt="{_e(im.get("label"))}" src="{uri}">' if uri else ""
        dims = f'{_e(im.get("width"))}x{_e(im.get("height"))} px, ' if im.get("width") else ""
        items.append(f'<div>{thumb}<div class=meta>{_e(im.get("label"))} — {_e(im.get("file") or im.get("url"))} '
                     f'({dims}{_e(im.get("bytes"))} bytes, detail {_e(im.get("detail"))})</div></div>')
    est = f', about {_e(st.get("tokens_est"))} image tokens (estimate)' if st.get("tokens_est") else ""
    return (f"<details class=crops><summary>Images sent ({len(items)}{est})</summary>{''.join(items)}</details>")


def _step_html(traj: Trajectory, s: Step, viewport: tuple[int, int]) -> str:
    run_dir = traj.run_dir
    res, ok = s.result, s.result.ok
    action = s.action or "(invalid reply)"
    calls = s.llm_calls
    tokens = s.tokens or sum(c.usage.total_tokens for c in calls)
    cost = sum(c.usage.cost_usd for c in calls)
    timing = " · ".join(f"{_e(k.removesuffix('_ms'))} {_e(round(v))} ms" for k, v in s.timings.items())
    head = (f'<h2 id="step-{_e(s.step)}">Step {_e(s.step)} <code>{_e(action)}</code> '
            f'{_badge("ok" if ok else "error", ok)}</h2>')
    meta = (f'<div class=meta>{_e(s.title)} — {_e(s.url)}</div>'
            f'<div class=meta>{timing} · {_e(tokens)} tokens'
            + (f" · ${cost:.5f}" if cost else "") + "</div>")
    if not ok:
        meta += f'<div class=err>{_e(res.error_kind)}: {_e(res.error)}</div>'
    target = s.target
    if target:
        meta += (f'<div class=meta>target: {_e(target.role)} “{_e(target.name)}” '
                 f'[{_e(target.id)}] frame “{_e(target.frame)}” {_e(target.selector)}</div>')
    left = ""
    shot = _inside(run_dir, s.screenshot)
    uri = _data_uri(shot) if shot else None
    if uri:
        box = ""
        clamped = clamp_box(target.bbox if target else None, viewport)
        if clamped is not None:  # kept inside the picture; a target beyond it is a bar at that edge
            (x, y, w, h), side = clamped
            cls, tip = ("box", "") if side is None else ("box edge", f' title="the target is {side} the screenshot"')
            box = (f'<div class="{cls}"{tip} style="left:{x / viewport[0] * 100:.2f}%;'
                   f'top:{y / viewport[1] * 100:.2f}%;width:{w / viewport[0] * 100:.2f}%;'
                   f'height:{h / viewport[1] * 100:.2f}%"></div>')
            if side is not None:
                meta += f'<div class=meta>the target is {side} the screenshot (marked at that edge)</div>'
        left += f'<div class=shot><img alt="screenshot of step {_e(s.step)}" src="{uri}">{box}</div>'
    else:
        left += "<p class=meta>(no screenshot)</p>"
    crops = ""
    for name, rel in s.crops.items():
        p = _inside(run_dir, rel)
        c = _data_uri(p) if p else None
        if c:
            crops += f'<img alt="{_e(name)} crop" title="{_e(name)}" src="{c}">'
    if crops:
        left += f"<div class=crops><div class=meta>crops</div>{crops}</div>"
    right = f'<details><summary>Observation ({len(s.observation)} chars)</summary>' \
            f'<pre>{_e(s.observation)}</pre></details>'
    for i, c in enumerate(calls, 1):
        u = c.usage
        label = (f'LLM call {i} ({_e(c.purpose)}, {_e(c.model)}, {_e(u.prompt_tokens)}+'
                 f'{_e(u.completion_tokens)} tokens, {_e(c.ms)} ms'
                 + (f', ${u.cost_usd:.5f}' if u.cost_usd else "") + ")")
        outs = "".join(f"<pre>{_e(o)}</pre>" for o in c.outputs)
        right += (f"<details><summary>Prompt — {label}</summary>{_messages_html(c.messages)}</details>"
                  f"{_call_images_html(run_dir, c)}<div class=meta>model output</div>{outs}")
    if s.candidates:
        rows = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in (c if isinstance(c, dict) else
                                                                       {"candidate": c}).values()) + "</tr>"
                       for c in s.candidates)
        right += f"<details><summary>Candidates ({len(s.candidates)})</summary><table>{rows}</table></details>"
    if s.notices:
        right += "<div class=meta>notices: " + "; ".join(_e(n) for n in s.notices) + "</div>"
    tree = ""
    if s.search_tree:
        tree = f"<details open><summary>Search tree</summary><div class=treebox>{_tree_html(s.search_tree)}" \
               "</div></details>"
    return f'<section class="card step">{head}{meta}<div class=grid><div>{left}</div><div>{right}</div></div>' \
           f"{tree}</section>"


def render_run_html(traj: Trajectory) -> str:
    task, footer, cfg = traj.task, traj.footer, traj.config
    vp = cfg.get("viewport") or [1280, 720]
    viewport = (int(vp[0]), int(vp[1])) if len(vp) == 2 else (1280, 720)
    status = traj.status
    score = traj.score
    good = (score == 1) if score is not None else (status == "answered" if traj.complete else False)
    head = (f"<h1>{_e(task.get('intent') or '(no intent)')}</h1>"
            f"<div>{_badge(status, good)} "
            + (_badge(f"score {score}", score == 1) if score is not None else "")
            + f" <span class=meta style='color:#c9d1e0'>{_e(traj.run_dir.name)}</span></div>")
    usage = traj.usage()
    rows: list[tuple[str, Any]] = [
        ("start URL", _e(task.get("start_url"))),
        ("answer", f"<b>{_e(traj.answer)}</b>" if traj.answer is not None else "—"),
        ("status", f"{_e(status)} — {_e(footer.reason if footer else None)}"),
        ("steps", _e(len(traj.steps))),
        ("final URL", _e(footer.final_url if footer else None)),
        ("tokens", f"{_e(usage.prompt_tokens)} prompt + {_e(usage.completion_tokens)} completion"
                   + (f" · ${usage.cost_usd:.4f}" if usage.cost_usd else "")),
        ("time", f"{_e(footer.seconds if footer else None)} s"),
        ("model / planner", f"{_e(cfg.get('model'))} / {_e(cfg.get('planner'))}"),
    ]
    if task.get("task_id") is not None:
        rows.insert(0, ("task", _e(task.get("task_id"))))
    body = f'<section class=card>{_kv(rows)}'
    ev = traj.evaluation
    if ev is not None:
        checks = "".join(f"<tr><td>{_e(c.get('kind'))}</td><td>{_e(c.get('score'))}</td><td>{_e(c.get('detail'))}"
                         f"</td></tr>" for c in ev.checks)
        body += (f"<h3>Evaluation: score {_e(ev.score)}</h3>"
                 + (f"<table><tr><th>check</th><th>score</th><th>detail</th></tr>{checks}</table>" if checks else "")
                 + "".join(f"<p class=meta>{_e(n)}</p>" for n in ev.notices))
    if task.get("eval"):
        body += f"<details><summary>Task eval block</summary><pre>{_e(json.dumps(task['eval'], indent=1))}</pre>" \
                "</details>"
    body += (f"<details><summary>Configuration and versions</summary><pre>{_e(json.dumps(cfg, indent=1))}\n"
             f"{_e(json.dumps(traj.header.versions, indent=1))}</pre></details></section>")
    if traj.warnings:
        body += '<section class="card warn">' + "".join(f"<p>{_e(w)}</p>" for w in traj.warnings) + "</section>"
    if traj.steps:
        body += "<nav class=card>Steps: " + " ".join(
            f'<a href="#step-{_e(s.step)}">{_e(s.step)}</a>' for s in traj.steps) + "</nav>"
    body += "".join(_step_html(traj, s, viewport) for s in traj.steps)
    for name in ("trace.zip", "network.har"):
        if (traj.run_dir / name).exists():
            body += f'<p class=meta>{_e(name)} is in the run directory ' \
                    + ("(open with <code>playwright show-trace trace.zip</code>)" if name == "trace.zip" else "") \
                    + "</p>"
    return _page(f"webagent run: {task.get('intent', '')}", head, body)


def render_run(run_dir: str | Path, out: str | Path | None = None, back: str | None = None) -> Path:
    """The run's view.html; `back` is a link (relative to the run directory) to the index that lists it."""
    traj = load(run_dir)
    out = Path(out) if out else traj.run_dir / "view.html"
    page = render_run_html(traj)
    if back:
        page = page.replace("<header class=top>", f'<header class=top><a href="{_e(back)}">&larr; benchmark index</a>',
                            1)
    out.write_text(page, encoding="utf-8")
    return out


# -- a benchmark directory ------------------------------------------------------------------------------------------

def _results(bench_dir: Path) -> list[dict[str, Any]]:
    path = bench_dir / "results.jsonl"
    rows: list[dict[str, Any]] = []
    if path.exists():
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                if i == len(lines):
                    continue  # cut short by a killed runner
                raise BadInput(f"{path}: line {i}: not valid JSON ({e.msg})") from None
            if isinstance(row, dict):
                rows.append(row)
    return rows


def _under(base: Path, p: Path) -> bool:
    """Is `p` (symlinks resolved) inside `base`? `view` writes only under the directory it was given."""
    try:
        p.resolve().relative_to(base.resolve())
        return True
    except (ValueError, OSError):
        return False


def _run_dir_of(bench_dir: Path, row: dict[str, Any]) -> Path | None:
    """The run directory a results.jsonl row names, if it lies inside the benchmark directory (a row naming a
    directory elsewhere would make `view` write there)."""
    for key in ("run_dir", "dir", "run", "trajectory"):
        v = row.get(key)
        if isinstance(v, str) and v:
            if v.endswith(".jsonl"):
                v = str(Path(v).parent)
            for cand in (Path(v), bench_dir / v, bench_dir / Path(v).name):
                if (cand / TRAJECTORY).exists() and _under(bench_dir, cand):
                    return cand
    tid = row.get("task_id")
    if tid is not None:
        for d in sorted(bench_dir.iterdir()):
            if d.is_dir() and (d / TRAJECTORY).exists() and (d.name == str(tid) or d.name.startswith(f"{tid}-")
                                                                or d.name.endswith(f"-{tid}")):
                return d
    return None


def _expected(task: dict[str, Any]) -> str:
    """What a task's checks expect, in one short line (reference answers, else the reference URL)."""
    if isinstance(task.get("task"), dict):  # a bench trajectory's header nests the task spec
        task = task["task"]
    ev = task.get("eval") if isinstance(task.get("eval"), dict) else {}
    ref = ev.get("reference_answers") if isinstance(ev.get("reference_answers"), dict) else {}
    parts = [f"{k}: {v if isinstance(v, str) else ', '.join(map(str, v)) if isinstance(v, list) else v}"
             for k, v in ref.items() if v not in (None, "", [])]
    if not parts and ev.get("reference_url"):
        parts = [f"url: {ev['reference_url']}"]
    if not parts and ev.get("program_html"):
        parts = [f"{len(ev['program_html'])} page check(s)"]
    return "; ".join(parts)


SORT_KEYS = {"task": "task_id", "site": "site", "type": "types", "score": "score", "status": "status",
             "steps": "steps", "tokens": "tokens", "cost": "cost", "seconds": "seconds"}


def _bench_rows(bench_dir: Path, out: Path) -> list[dict[str, Any]]:
    rows = _results(bench_dir)
    seen: set[Path] = set()
    entries: list[tuple[dict[str, Any], Path | None]] = []
    for row in rows:
        d = _run_dir_of(bench_dir, row)
        if d is not None:
            seen.add(d.resolve())
        entries.append((row, d))
    for d in sorted(bench_dir.iterdir()):
        if d.is_dir() and (d / TRAJECTORY).exists() and d.resolve() not in seen and _under(bench_dir, d):
            entries.append(({"task_id": d.name}, d))
    out_rows = []
    for row, d in entries:
        traj: Trajectory | None = None
        link, problem = "", ""
        if d is not None:
            try:
                traj = load(d)
                view = render_run(d, back=os.path.relpath(out, d))
                link = os.path.relpath(view, out.parent)
            except TrajectoryError as e:
                problem = str(e)
        score = row.get("score")
        if score is None and traj is not None:
            score = traj.score
        tokens = row.get("tokens")
        if tokens is None and traj is not None:
            tokens = traj.usage().total_tokens
        task = traj.task if traj is not None else {}
        out_rows.append({
            "task_id": str(row.get("task_id", d.name if d else "?")), "link": link, "site": row.get("site", ""),
            "types": ", ".join(row.get("eval_types") or []), "score": score,
            "status": row.get("status") or (traj.status if traj else "missing"),
            "steps": row.get("steps", len(traj.steps) if traj else 0), "tokens": tokens or 0,
            "cost": float(row.get("cost_usd") or 0.0), "seconds": row.get("seconds", 0) or 0,
            "intent": row.get("intent") or task.get("intent", ""), "answer": row.get("answer"),
            "expected": _expected(task), "error": problem or row.get("error", "")})
    return out_rows


def _bench_plots(rows: list[dict[str, Any]]) -> str:
    from webagent.plots import bars, histogram
    by_site: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_site.setdefault(str(r["site"] or "?"), []).append(r)
    success = [(site, sum(1 for r in rs if r["score"] == 1) / len(scored))
               for site, rs in sorted(by_site.items()) if (scored := [r for r in rs if r["score"] is not None])]
    svgs = [bars("success by site", success, y_max=1.0, pct=True),
            histogram("steps per task", [float(r["steps"]) for r in rows], bins=min(10, max(2, len(rows))))]
    costs = [r["cost"] for r in rows if r["cost"]]
    if costs:
        svgs.append(histogram("cost per task (USD)", costs, bins=min(10, max(2, len(costs)))))
    else:
        svgs.append(histogram("seconds per task", [float(r["seconds"]) for r in rows],
                              bins=min(10, max(2, len(rows)))))
    return "<section class=card>" + "".join(s for s in svgs if s) + "</section>"


def _bench_table(rows: list[dict[str, Any]], sort: str, page_of: dict[str, str]) -> str:
    key = SORT_KEYS[sort]
    desc = sort in ("score", "steps", "tokens", "cost", "seconds")

    def k(r: dict[str, Any]) -> tuple:
        v = r[key]
        return (v is None, v if v is not None else 0) if not isinstance(v, str) else (False, v.lower())
    ordered = sorted(rows, key=k, reverse=desc)
    if desc:  # rows without a value last, also when sorting high to low
        ordered = [r for r in ordered if r[key] is not None] + [r for r in ordered if r[key] is None]
    head = "".join(f'<th><a href="{_e(page_of[c])}">{_e(c)}</a>{" ▾" if c == sort else ""}</th>'
                   for c in SORT_KEYS) + "<th>intent</th><th>answer</th><th>expected</th><th>error</th>"
    body = ""
    for r in ordered:
        name = f'<a href="{_e(r["link"])}">{_e(r["task_id"])}</a>' if r["link"] else _e(r["task_id"])
        sc = r["score"]
        body += (f"<tr><td>{name}</td><td>{_e(r['site'])}</td><td>{_e(r['types'])}</td>"
                 f"<td>{_badge(str(sc) if sc is not None else '—', None if sc is None else sc == 1)}</td>"
                 f"<td>{_e(r['status'])}</td><td>{_e(r['steps'])}</td><td>{_e(r['tokens'])}</td>"
                 f"<td>{r['cost']:.4f}</td><td>{_e(r['seconds'])}</td><td>{_e(r['intent'])}</td>"
                 f"<td>{_e(r['answer'] if r['answer'] is not None else '')}</td><td>{_e(r['expected'])}</td>"
                 f"<td class=err>{_e(r['error'])}</td></tr>")
    return f"<table><tr>{head}</tr>{body}</table>"


def render_bench(bench_dir: str | Path, out: str | Path | None = None) -> Path:
    """index.html of a bench directory: plots (inline SVG), then the table of tasks, sortable by any column
    through pre-rendered copies (index-by-<column>.html; the pages carry no script), each task linking to its
    run's view.html, which links back."""
    bench_dir = Path(bench_dir)
    out = Path(out) if out else bench_dir / "index.html"
    rows = _bench_rows(bench_dir, out)
    scored = [r for r in rows if r["score"] is not None]
    n_ok = sum(1 for r in scored if r["score"] == 1)
    errors = sum(1 for r in rows if r["error"])
    rate = f"{n_ok}/{len(scored)} scored tasks succeeded" if scored else "no scores recorded"
    head = (f"<h1>Benchmark: {_e(bench_dir.name)}</h1><div>{_e(len(rows))} tasks · {_e(rate)}"
            f"{f' · {errors} errors' if errors else ''}</div>")
    page_of = {c: out.name if c == "task" else f"{out.stem}-by-{c}{out.suffix}" for c in SORT_KEYS}
    plots = _bench_plots(rows) if rows else ""
    for c, name in page_of.items():
        body = plots + _bench_table(rows, c, page_of)
        (out.parent / name).write_text(_page(f"webagent benchmark {bench_dir.name}", head, body), encoding="utf-8")
    return out


def _sweep_rows(sweep_dir: Path) -> list[dict[str, Any]]:
    try:
        rows = json.loads((sweep_dir / "summary.json").read_text(encoding="utf-8")).get("sweep")
    except (OSError, ValueError, AttributeError):
        return []
    return [r for r in rows if isinstance(r, dict) and "label" in r] if isinstance(rows, list) else []


def success_vs_compute(rows: list[dict[str, Any]]) -> str:
    """The sweep's curve: success rate (mean over seeds) per planner against its compute, mean tokens per task
    when the runs used tokens, else the search budget (a planner without one at 0)."""
    from webagent.plots import lines
    by_tokens = any(r.get("tokens_per_task") for r in rows)
    acc: dict[str, dict[float, list[float]]] = {}
    for r in rows:
        if r.get("success_rate") is None:
            continue
        x = float(r.get("tokens_per_task") or 0) if by_tokens else float(r.get("budget") or 0)
        acc.setdefault(str(r.get("planner")), {}).setdefault(x, []).append(float(r["success_rate"]))
    series = {name: [(x, sum(v) / len(v)) for x, v in sorted(pts.items())] for name, pts in acc.items()}
    return lines("success vs compute", series, x_label="tokens per task" if by_tokens else "search budget "
                 "(nodes per step)")


def render_sweep(sweep_dir: str | Path, out: str | Path | None = None) -> Path:
    """index.html of a planner sweep: the success-vs-compute curve and one row per configuration, each linking
    to its own benchmark index (rendered too)."""
    sweep_dir = Path(sweep_dir)
    out = Path(out) if out else sweep_dir / "index.html"
    rows = _sweep_rows(sweep_dir)
    body_rows = ""
    for r in rows:
        sub = sweep_dir / str(r.get("run") or r["label"])
        link = ""
        if _under(sweep_dir, sub) and (sub / "results.jsonl").exists():
            render_bench(sub)
            link = os.path.relpath(sub / "index.html", out.parent)
        name = f'<a href="{_e(link)}">{_e(r["label"])}</a>' if link else _e(r["label"])
        rate = r.get("success_rate")
        body_rows += (f"<tr><td>{name}</td><td>{_e(r.get('planner'))}</td><td>{_e(r.get('budget', ''))}</td>"
                      f"<td>{_e(r.get('seed', ''))}</td><td>{_e(r.get('tasks'))}</td><td>{_e(r.get('passed'))}</td>"
                      f"<td>{_e(r.get('errors'))}</td><td>{'—' if rate is None else f'{100 * rate:.1f}%'}</td>"
                      f"<td>{_e(r.get('mean_steps'))}</td><td>{_e(r.get('tokens_per_task'))}</td>"
                      f"<td>{float(r.get('cost_usd') or 0):.4f}</td></tr>")
    table = ("<table><tr><th>configuration</th><th>planner</th><th>budget</th><th>seed</th><th>tasks</th>"
             "<th>passed</th><th>errors</th><th>success</th><th>steps</th><th>tokens/task</th><th>cost</th></tr>"
             f"{body_rows}</table>")
    plot = success_vs_compute(rows)
    head = f"<h1>Sweep: {_e(sweep_dir.name)}</h1><div>{len(rows)} configurations</div>"
    body = (f"<section class=card>{plot}</section>" if plot else "") + table
    out.write_text(_page(f"webagent sweep {sweep_dir.name}", head, body), encoding="utf-8")
    return out


def render_path(path: str | Path, out: str | Path | None = None) -> Path:
    """A run directory -> its view.html; a benchmark directory -> index.html (and every run's view.html)."""
    path = Path(path)
    if path.is_file() and path.name == TRAJECTORY:
        path = path.parent
    if not path.is_dir():
        raise BadInput(f"{path}: no such directory")
    if (path / TRAJECTORY).exists():
        return render_run(path, out)
    if _sweep_rows(path):
        return render_sweep(path, out)
    if (path / "results.jsonl").exists() or any(d.is_dir() and (d / TRAJECTORY).exists() for d in path.iterdir()):
        return render_bench(path, out)
    raise BadInput(f"{path}: neither a run directory (no {TRAJECTORY}) nor a benchmark directory "
                   "(no results.jsonl, no run directories)")
