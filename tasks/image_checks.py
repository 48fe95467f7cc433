"""VisualWebArena's image checks (`page_image_query`): the images on a page, asked about through the configured
judge with OpenAI-style image parts (`eval_vqa`, where VisualWebArena runs BLIP-2), and compared with reference
images by structural similarity (`eval_fuzzy_image_match`, SSIM over grayscale, numpy and Pillow only)."""

from __future__ import annotations

import io
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

from webagent.errors import BadInput

SSIM_THRESHOLD = 0.8  # VisualWebArena's default: generous, for compression and resizing
OR = " |OR| "


def _box_mean(x: np.ndarray, w: int) -> np.ndarray:
    """The mean of every w x w window that lies inside `x` (shape (H-w+1, W-w+1)), from an integral image."""
    c = np.pad(x, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    return (c[w:, w:] - c[:-w, w:] - c[w:, :-w] + c[:-w, :-w]) / (w * w)


def ssim(a: Any, b: Any, win: int = 7) -> float:
    """Mean SSIM of two PIL images as VisualWebArena computes it (scikit-image's defaults): both resized to the
    larger width and height (Lanczos), grayscale, 7x7 uniform windows, sample covariance, K1 0.01, K2 0.03, data
    range 255, windows touching the border left out."""
    from PIL import Image
    size = (max(a.size[0], b.size[0]), max(a.size[1], b.size[1]))
    x = np.asarray(a.resize(size, Image.LANCZOS).convert("L"), dtype=np.float64)
    y = np.asarray(b.resize(size, Image.LANCZOS).convert("L"), dtype=np.float64)
    if min(x.shape) < win:
        raise BadInput(f"image check: images of {size[0]}x{size[1]} are smaller than the {win}x{win} SSIM window")
    n = win * win
    cov = n / (n - 1)
    ux, uy = _box_mean(x, win), _box_mean(y, win)
    vx = cov * (_box_mean(x * x, win) - ux * ux)
    vy = cov * (_box_mean(y * y, win) - uy * uy)
    vxy = cov * (_box_mean(x * y, win) - ux * uy)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return float(s.mean())


async def _fetch(page: Any, src: str) -> bytes:
    from webagent.vision import decode_data_url
    if src.startswith("data:"):
        data = decode_data_url(src)
        if data is None:
            raise BadInput("image check: a data: URL that is not base64 image data")
        return data
    if src.startswith(("http://", "https://")):
        r = await page.context.request.get(src)
        if not r.ok:
            raise BadInput(f"image check: {src[:80]} answered HTTP {r.status}")
        return await r.body()
    return Path(src).read_bytes()


def _open(data: bytes) -> Any:
    from PIL import Image
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


async def page_images(page: Any, locator: str) -> list[tuple[bytes, Any]]:
    """The images a query names: every <img> (empty locator), or those matching a class selector (`.x`: the
    elements themselves when they are images, else the images inside them). Images that fail to load are left out."""
    if not locator.strip():
        srcs = await page.evaluate("() => [...document.querySelectorAll('img')].map(i => i.src)")
    elif locator.startswith("."):
        srcs = await page.evaluate(
            "(s) => [...document.querySelectorAll(s)].flatMap(e => e.tagName === 'IMG' ? [e.src] : "
            "[...e.querySelectorAll('img')].map(i => i.src))", locator)
    else:
        raise BadInput(f"page_image_query: eval_image_class {locator[:40]!r} must be empty or a .class selector")
    out = []
    for src in srcs:
        try:
            data = await _fetch(page, urllib.parse.urljoin(page.url, src))
            out.append((data, _open(data)))
        except Exception:  # noqa: BLE001 (VisualWebArena skips an image that does not load)
            continue
    return out


async def _ask_about(model: Any, data: bytes, question: str) -> str:
    from webagent.vision import Picture, content
    msgs = [{"role": "user", "content": content(f"Q: {question} A:", [Picture(data, "The image:", "task")])}]
    comp = await model.complete(msgs, n=1, temperature=0.0, max_tokens=64)
    return comp.texts[0] if comp.texts else ""


async def evaluate_page_images(ev: dict[str, Any], page: Any, model: Any, sites: dict[str, str]) -> list[Any]:
    """One check per query, as VisualWebArena scores them: no image on the page scores 0 and ends the checks; each
    `eval_vqa` answer must be in the judge's reply for some image; some page image must be SSIM-similar (above
    `ssim_threshold`) to some reference image."""
    from webagent.tasks.evaluators import Check, probe_page

    from webagent.vision import accepts_images
    checks = []
    for q in ev.get("page_image_query", []):
        async with probe_page(page, q.get("eval_image_url", "last"), sites) as (probe, url):
            images = await page_images(probe, q.get("eval_image_class", ""))
        if not images:
            checks.append(Check("page_image_query", 0.0, f"{url}: no image found"))
            break
        score: float | None = 1.0
        notes = []
        vqa = q.get("eval_vqa") or []
        if vqa and (model is None or not accepts_images(model)):
            score, notes = None, ["eval_vqa skipped: no judge that takes images is configured"]
        for qa in vqa if score is not None else []:
            replies = [await _ask_about(model, data, qa["question"]) for data, _ in images]
            ok = any(qa["answer"].lower() in r.lower() for r in replies)
            score = (score or 0.0) * float(ok)
            notes.append(f"{qa['question']!r} -> {replies[:3]!r}: {'ok' if ok else 'no'}")
        if "eval_fuzzy_image_match" in q:
            threshold = float(q.get("ssim_threshold", SSIM_THRESHOLD))
            refs = [_open(await _fetch(page, r)) for r in q["eval_fuzzy_image_match"].split(OR)]
            best = max(ssim(img, ref) for ref in refs for _, img in images)
            if best <= threshold:
                score = 0.0  # a definite failure, even where a skipped question left the score open
            notes.append(f"best SSIM {best:.3f} vs {threshold}")
        checks.append(Check("page_image_query", score, f"{url}: " + "; ".join(notes)))
    return checks
