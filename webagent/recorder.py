"""The run directory: `trajectory.jsonl` appended, flushed and fsynced every record, plus screenshots and crops.

Layout of a run directory::

    trajectory.jsonl      header, one record per step, footer (and, appended later, an `evaluation` record)
    screenshots/          step_003.jpg (viewport before the step's action), step_003_target.jpg (the target's crop)
    images/               every image sent to a model, once per content (<sha256>.jpg); the prompts in the
                          trajectory name these files instead of inlining base64 (`webagent view` shows them per call)
    trace.zip             optional Playwright trace (`webagent run --trace`), written when the browser closes
    network.har           optional HAR (`webagent run --har`), written when the browser closes

Secrets (`--secret NAME=VALUE`) never reach any of these in clear: every JSON record goes through
`Secrets.redact`, screenshots are re-taken with the fields and text holding a secret masked (`mask_secrets`),
and the HAR and trace are rewritten with the values replaced by `{{NAME}}` (`redact_artifacts`).
"""

from __future__ import annotations

import io
import json
import os
import platform
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from webagent.errors import BadInput
from webagent.records import FORMAT_VERSION, Evaluation, Footer, Header, Step
from webagent.safety import DomainPolicy, Secrets

TRAJECTORY = "trajectory.jsonl"
MASK_COLOR = "#FF00FF"  # what a masked secret looks like in a screenshot
SECRET_SELECTOR = "[data-webagent-secret]"  # elements showing a secret, tagged while pictures are taken
CROP_PAD = 12


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version
    out = {"python": platform.python_version()}
    for pkg in ("webagent", "playwright", "openai", "llama-cpp-python"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


RUN_FILES = (TRAJECTORY, "results.jsonl", "summary.json")  # what makes a directory a run (or bench) directory


def prepare_out(path: str | Path, overwrite: bool = False) -> Path:
    """`--out DIR` for a new run: absent or empty is fine; a run directory is replaced only with `overwrite`;
    anything else is a one-line BadInput (a run never lands on top of another, or of unrelated files)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInput(f"--out {path}: exists and is not a directory")
    if not path.exists() or not any(path.iterdir()):
        return path
    is_run = any((path / f).exists() for f in RUN_FILES)
    if not overwrite:
        what = "a run" if is_run else "files"
        raise BadInput(f"--out {path} already holds {what}; choose another directory"
                       + (" or pass --overwrite" if is_run else ""))
    if not is_run:
        raise BadInput(f"--out {path} is not a run directory (no {TRAJECTORY} or results.jsonl); not overwriting it")
    import shutil
    shutil.rmtree(path)
    return path


def new_run_dir(base: str | Path = "runs", label: str = "run") -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in label)[:40].strip("-") or "run"
    path = Path(base) / f"{stamp}-{safe}"
    n = 1
    while path.exists():
        n += 1
        path = Path(base) / f"{stamp}-{safe}-{n}"
    return path


def _fsync_write(f: Any, line: str) -> None:
    f.write(line + "\n")
    f.flush()
    os.fsync(f.fileno())


class Recorder:
    """Writes one run. Every record is a JSON line, flushed and fsynced, with secrets redacted first.

    A process killed at any moment leaves every finished record readable; at worst the last line is cut short,
    which `webagent.trajectory.load` tolerates with a warning."""

    def __init__(self, run_dir: str | Path, secrets: Secrets | None = None) -> None:
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "screenshots").mkdir(exist_ok=True)
        self.secrets = secrets or Secrets()
        self.path = self.dir / TRAJECTORY
        if self.path.exists() and self.path.stat().st_size > 0:
            raise BadInput(f"{self.path} already holds a run; a recorder never appends a second one to it "
                           "(use another run directory, or --overwrite)")
        self._f = self.path.open("a", encoding="utf-8")

    @classmethod
    def finished(cls, run_dir: str | Path, secrets: Secrets | None = None) -> Recorder:
        """The recorder of a run that already ended (its file closed), for what comes after the footer: the
        evaluation a benchmark runner writes. Same redaction and fsync as every other record."""
        rec = cls.__new__(cls)
        rec.dir, rec.secrets = Path(run_dir), secrets or Secrets()
        rec.path = rec.dir / TRAJECTORY
        if not rec.path.exists():
            raise BadInput(f"{rec.path}: no trajectory to add an evaluation to")
        rec._f = None
        return rec

    def _write(self, record: dict[str, Any]) -> dict[str, Any]:
        """Redact, write and fsync one record; returns the record as written (what a reader gets back)."""
        record = json.loads(json.dumps(self.secrets.redact(record), ensure_ascii=False, default=str))
        line = json.dumps(record, ensure_ascii=False)
        if self._f is None or self._f.closed:  # e.g. an evaluation after the footer: append to the same file
            with self.path.open("a", encoding="utf-8") as f:
                _fsync_write(f, line)
        else:
            _fsync_write(self._f, line)
        return record

    def header(self, header: Header) -> Header:
        """Write the run's first record (the versions of this install filled in); returns it as written."""
        if not header.versions:
            header.versions = versions()
        header.format = FORMAT_VERSION
        return Header.from_dict(self._write(header.to_dict()))

    def screenshot(self, step: int, data: bytes | None, ext: str = "jpg") -> str | None:
        if not data:
            return None
        rel = f"screenshots/step_{step:03d}.{ext}"
        (self.dir / rel).write_bytes(data)
        return rel

    def crop(self, step: int, shot_rel: str | None, bbox: Any, name: str = "target") -> str | None:
        """Cut the box `bbox` (x, y, w, h in viewport CSS pixels, as the observation gives it) out of the step's
        screenshot, with a small margin. None when there is no screenshot or the box is off-screen."""
        if not shot_rel or not bbox or len(bbox) != 4:
            return None
        try:
            from PIL import Image
            with Image.open(self.dir / shot_rel) as img:
                x, y, w, h = (int(v) for v in bbox)
                box = (max(0, x - CROP_PAD), max(0, y - CROP_PAD), min(img.width, x + w + CROP_PAD),
                       min(img.height, y + h + CROP_PAD))
                if box[2] - box[0] < 2 or box[3] - box[1] < 2:
                    return None
                rel = f"screenshots/step_{step:03d}_{name}.jpg"
                img.crop(box).convert("RGB").save(self.dir / rel, quality=85)
                return rel
        except (OSError, ValueError):
            return None

    def store_images(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`calls` with every inlined image (a base64 data URL) written to `images/` and replaced by the file's
        path; each call gets `images`: what it received, in order (label, file, bytes, width, height, detail)."""
        import hashlib

        from webagent.vision import decode_data_url, ext_of
        out = []
        for call in calls:
            msgs = call.get("messages")
            if not isinstance(msgs, list) or not any(isinstance(m, dict) and isinstance(m.get("content"), list)
                                                     for m in msgs):
                out.append(call)
                continue
            received: list[dict[str, Any]] = []
            new_msgs = []
            for m in msgs:
                if not isinstance(m, dict) or not isinstance(m.get("content"), list):
                    new_msgs.append(m)
                    continue
                parts, label = [], ""
                for p in m["content"]:
                    if isinstance(p, dict) and p.get("type") == "text":
                        label = str(p.get("text", ""))
                    if not (isinstance(p, dict) and p.get("type") == "image_url"):
                        parts.append(p)
                        continue
                    img = dict(p.get("image_url") or {})
                    data = decode_data_url(str(img.get("url", "")))
                    info: dict[str, Any] = {"label": label if len(label) < 400 else "", "detail": img.get("detail")}
                    if data is not None:
                        rel = f"images/{hashlib.sha256(data).hexdigest()[:20]}.{ext_of(data)}"
                        path = self.dir / rel
                        if not path.exists():
                            path.parent.mkdir(exist_ok=True)
                            path.write_bytes(data)
                        info.update(file=rel, bytes=len(data), **_dims(data))
                        img["url"] = rel
                    else:
                        info["url"] = img.get("url")  # a remote URL the caller passed: kept as is
                    received.append(info)
                    parts.append({**p, "image_url": img})
                new_msgs.append({**m, "content": parts})
            out.append({**call, "messages": new_msgs, "images": received})
        return out

    def step(self, step: Step) -> Step:
        """Write one step: the images its LLM calls received go to `images/`, the target's crop is cut from the
        screenshot when the step has no crops yet. Returns the step as written (redacted), for the run's history."""
        record = step.to_dict()
        if record["llm_calls"]:
            record["llm_calls"] = self.store_images(record["llm_calls"])
        if not step.crops:
            crop = self.crop(step.step, step.screenshot, step.target.bbox if step.target else None)
            record["crops"] = {"target": crop} if crop else {}
        return Step.from_dict(self._write(record))

    def footer(self, footer: Footer) -> Footer:
        """The end of the run: status, answer, final URL, usage; `evaluation` when the caller already evaluated."""
        return Footer.from_dict(self._write(footer.to_dict()))

    def evaluation(self, evaluation: Evaluation) -> Evaluation:
        """Append the evaluation of a finished run (the footer may already be written); readers merge it into
        the footer's `evaluation`."""
        return Evaluation.from_dict(self._write({"type": "evaluation", "evaluation": evaluation.to_dict()})[
            "evaluation"])

    def close(self) -> None:
        if self._f is not None and not self._f.closed:
            self._f.close()


def append_evaluation(run_dir: str | Path, evaluation: Evaluation, secrets: Secrets | None = None) -> Evaluation:
    """Record the evaluation of a run whose recorder is gone (through `Recorder.finished`)."""
    return Recorder.finished(run_dir, secrets).evaluation(evaluation)


def _dims(data: bytes) -> dict[str, int]:
    try:
        from PIL import Image
        with Image.open(io.BytesIO(data)) as img:
            return {"width": img.width, "height": img.height}
    except OSError:
        return {}




# -- secrets in screenshots, HAR and trace ------------------------------------------------------------------------

_MARK_JS = """(secrets) => {
  const hit = (s) => typeof s === 'string' && s && secrets.some((v) => s.includes(v));
  let n = 0;
  const mark = (el) => { if (el && !el.hasAttribute('data-webagent-secret')) { el.setAttribute('data-webagent-secret', ''); n++; } };
  for (const el of document.querySelectorAll('input, textarea, select, [contenteditable], [data-webagent-secret-field]')) {
    if (hit(el.value) || (el.isContentEditable && hit(el.innerText)) || el.hasAttribute('data-webagent-secret-field')) mark(el);
  }
  const root = document.body || document.documentElement;
  if (root) {
    const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (w.nextNode()) { if (hit(w.currentNode.nodeValue)) mark(w.currentNode.parentElement); }
  }
  return n;
}"""
_UNMARK_JS = """() => { for (const el of document.querySelectorAll('[data-webagent-secret]'))
  el.removeAttribute('data-webagent-secret'); }"""
_SECRET_FIELDS_JS = """() => [...document.querySelectorAll('[data-webagent-secret-field]')]
  .map((e) => [e.getAttribute('data-wa-id'), e.getAttribute('data-webagent-secret-field')])"""


async def _mask_secret_fields(page: Any, obs: Any, secrets: Secrets) -> None:
    """Fields a secret was typed into show `{{NAME}}` as their value in the observation, whatever the page did to
    the value since (upper-cased it, reversed it): the model never reads a transformed echo from the field."""
    import dataclasses
    import re
    for path, frame in list(getattr(obs, "frames", {}).items()):
        try:
            found = await frame.evaluate(_SECRET_FIELDS_JS)
        except Exception:  # noqa: BLE001 - a frame that went away
            continue
        for wa_id, name in found:
            if not wa_id or not str(wa_id).isdigit() or name not in secrets.values:
                continue
            el = obs.elements.get(int(wa_id))
            if el is None or el.frame != path:
                continue
            if el.value not in (None, ""):
                obs.elements[el.id] = dataclasses.replace(el, value="{{" + name + "}}")
            obs.text = re.sub(rf"^(\s*\[{el.id}\] .*?value=)'[^\n]*?'(?=( [a-z]|$))",
                              lambda m, n=name: m.group(1) + "'{{" + n + "}}'", obs.text, count=1, flags=re.M)


async def mask_secrets(page: Any, obs: Any, secrets: Secrets, *, quality: int = 70, policy: Any = None) -> int:
    """Hide secret values from what the agent's observation carries out of the browser.

    The observation text and title get `{{NAME}}` back (so prompts never hold a value), fields a secret was typed
    into show `{{NAME}}`; if a secret is visible on the page (a filled field, or text that repeats it), the
    screenshot is re-taken with those elements masked in MASK_COLOR and the set-of-marks image and crops are
    dropped. An observation the session took with the secrets masked (BrowserSession.mask_values,
    `stats["masked"]`) is left as it is. Values are only handed to frames at hosts the secret is bound to (a page
    script could read them). Returns how many elements were masked."""
    if not secrets.values:
        return 0
    await _mask_secret_fields(page, obs, secrets)
    obs.text = secrets.redact(obs.text)
    obs.title = secrets.redact(obs.title)
    obs.url = secrets.redact(obs.url)
    if obs.stats.get("masked") is not None:  # the pictures were taken with secret elements masked already
        return int(obs.stats["masked"])
    if obs.screenshot is None and obs.marked_screenshot is None and not obs.crops:
        return 0
    values = list(secrets.values.values())
    marked = 0
    try:
        marked = await mark_secret_elements(page, values, secrets, policy)
        if marked and obs.screenshot is not None:
            masks = [f.locator(SECRET_SELECTOR) for f in page.frames if not f.is_detached()]
            kw: dict[str, Any] = {"type": "jpeg", "quality": quality} if obs.screenshot[:2] == b"\xff\xd8" \
                else {"type": "png"}
            obs.screenshot = await page.screenshot(mask=masks, mask_color=MASK_COLOR, timeout=10_000, **kw)
        if marked:
            obs.marked_screenshot = None  # drawn from the unmasked pixels: never sent
            obs.crops = []
    except Exception:  # noqa: BLE001 - never leak: if masking failed, drop the pictures
        obs.screenshot = obs.marked_screenshot = None
        obs.crops = []
    finally:
        await unmark_secret_elements(page)
    return marked


async def mark_secret_elements(page: Any, values: list[str], secrets: Secrets | None = None,
                               policy: Any = None) -> int:
    """Tag (SECRET_SELECTOR) every field and text element of every frame that shows one of `values`. With
    `secrets`, a frame is only handed the values of secrets bound to its host (or, unbound, to `policy`'s): a
    script in a cross-origin frame could read what it is given."""
    marked = 0
    for f in [f for f in page.frames if not f.is_detached()]:
        mine = values
        if secrets is not None:
            bound = {v for k, v in secrets.values.items() if secrets.bound_to(k, policy or DomainPolicy()).allows(f.url)}
            mine = [v for v in values if v in bound]
        try:
            marked += await f.evaluate(_MARK_JS, mine)
        except Exception:  # noqa: BLE001 - a frame navigating away: nothing of it will be in the screenshot
            continue
    return marked


async def unmark_secret_elements(page: Any) -> None:
    for f in [f for f in page.frames if not f.is_detached()]:
        try:
            await f.evaluate(_UNMARK_JS)
        except Exception:  # noqa: BLE001
            pass


def _variants(secrets: Secrets) -> list[tuple[str, str]]:
    """(NAME, form) for each secret in plain and URL/JSON-encoded forms, longest first (HAR and traces hold query
    strings, form bodies and JSON-escaped text)."""
    out = {(name, enc) for name, v in secrets.values.items()
           for enc in (v, quote(v, safe=""), quote_plus(v), json.dumps(v)[1:-1]) if enc}
    return sorted(out, key=lambda kv: -len(kv[1]))


def redact_text(text: str, secrets: Secrets) -> str:
    """Replace every secret (plain or encoded) in `text` by `{{NAME}}`."""
    for name, v in _variants(secrets):
        text = text.replace(v, "{{" + name + "}}")
    return text


def redact_artifacts(run_dir: str | Path, secrets: Secrets) -> list[str]:
    """Rewrite `network.har` and `trace.zip` of a run with every secret replaced by `{{NAME}}`. Base64 bodies in
    the HAR that contain a secret are dropped. Returns the files rewritten."""
    if not secrets.values:
        return []
    import base64
    run_dir = Path(run_dir)
    done = []
    har = run_dir / "network.har"
    if har.exists():
        data = json.loads(har.read_text(encoding="utf-8"))
        values = [v for _, v in _variants(secrets)]
        for entry in data.get("log", {}).get("entries", []):
            content = entry.get("response", {}).get("content", {})
            if content.get("encoding") == "base64" and content.get("text"):
                try:
                    raw = base64.b64decode(content["text"]).decode("utf-8")
                except (ValueError, UnicodeDecodeError):
                    raw = None
                if raw is not None:
                    content["text"] = raw
                    content.pop("encoding")
                elif any(v.encode() in base64.b64decode(content["text"]) for v in values):
                    content["text"] = ""
                    content["comment"] = "body dropped: it held a secret"
        har.write_text(redact_text(json.dumps(data, ensure_ascii=False), secrets), encoding="utf-8")
        done.append(str(har))
    trace = run_dir / "trace.zip"
    if trace.exists():
        buf = io.BytesIO()
        with zipfile.ZipFile(trace) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in zin.infolist():
                data = zin.read(info.filename)
                try:
                    data = redact_text(data.decode("utf-8"), secrets).encode("utf-8")
                except UnicodeDecodeError:
                    if any(v.encode() in data for _, v in _variants(secrets)):
                        data = b""  # a binary resource holding a secret: dropped
                zout.writestr(info.filename, data)
        trace.write_bytes(buf.getvalue())
        done.append(str(trace))
    return done
