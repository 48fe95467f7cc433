"""VisualWebArena's image checks: SSIM against a direct per-window computation; page images asked about through a
scripted judge that takes image parts, and matched against reference images, in a real page."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from webagent.tasks.evaluators import evaluate
from webagent.tasks.image_checks import ssim

from tests.scripted import ScriptedChat
from webagent.errors import BadInput


def _naive_ssim(a: np.ndarray, b: np.ndarray, w: int = 7) -> float:
    """SSIM from its definition, one window at a time (sample variances, K1 0.01, K2 0.03, range 255)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    for i in range(a.shape[0] - w + 1):
        for j in range(a.shape[1] - w + 1):
            x, y = a[i:i + w, j:j + w].ravel(), b[i:i + w, j:j + w].ravel()
            mx, my = x.mean(), y.mean()
            vx, vy = x.var(ddof=1), y.var(ddof=1)
            cxy = ((x - mx) * (y - my)).sum() / (x.size - 1)
            vals.append((2 * mx * my + c1) * (2 * cxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2)))
    return float(np.mean(vals))


def _picture(color: str, shape: str = "circle", size: tuple[int, int] = (48, 32)) -> Image.Image:
    img = Image.new("RGB", size, "white")
    d = ImageDraw.Draw(img)
    (d.ellipse if shape == "circle" else d.rectangle)([6, 4, size[0] - 8, size[1] - 6], fill=color)
    return img


def _data_url(img: Image.Image) -> str:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def test_ssim_matches_its_definition():
    rng = np.random.default_rng(7)
    for _ in range(3):
        a = rng.integers(0, 256, (20, 24), dtype=np.uint8)
        b = np.clip(a.astype(int) + rng.integers(-40, 40, a.shape), 0, 255).astype(np.uint8)
        got = ssim(Image.fromarray(a), Image.fromarray(b))
        assert got == pytest.approx(_naive_ssim(a.astype(float), b.astype(float)), abs=1e-9)
    red = _picture("red")
    assert ssim(red, red) == pytest.approx(1.0)
    assert ssim(red, red.resize((96, 64))) > 0.8  # resized copy: still the same picture
    assert ssim(red, _picture("black", "box")) < 0.8
    with pytest.raises(BadInput, match="smaller than"):
        ssim(Image.new("L", (5, 5)), Image.new("L", (5, 5)))


async def test_page_image_query_in_a_real_page(session, site):
    await session.goto(site.url + "/")
    red, other = _picture("red"), _picture("black", "box")
    await session.page.evaluate(
        "(src) => { const d = document.createElement('div'); d.className = 'item-photos';"
        " const i = document.createElement('img'); i.src = src; d.appendChild(i); document.body.appendChild(d); }",
        _data_url(red))
    query = {"eval_image_url": "last", "eval_image_class": ".item-photos",
             "eval_vqa": [{"question": "What color is the shape?", "answer": "red"}],
             "eval_fuzzy_image_match": _data_url(other) + " |OR| " + _data_url(red)}
    ev = {"eval_types": ["page_image_query"], "page_image_query": [query]}
    judge = ScriptedChat(["It is red."])
    res = await evaluate(ev, answer=None, url=None, page=session.page, model=judge, benchmark="visualwebarena")
    assert res.score == 1.0, res.to_dict()
    parts = judge.calls[0]["messages"][0]["content"]
    assert parts[0]["text"] == "Q: What color is the shape? A:" and parts[-1]["type"] == "image_url"
    # a wrong answer from the judge, a reference that does not look like any page image
    res = await evaluate(ev, answer=None, url=None, page=session.page, model=ScriptedChat(["blue"]))
    assert res.score == 0.0
    only_other = dict(query, eval_vqa=[], eval_fuzzy_image_match=_data_url(other))
    res = await evaluate({**ev, "page_image_query": [only_other]}, answer=None, url=None, page=session.page)
    assert res.score == 0.0 and "best SSIM" in res.checks[0].detail
    # no judge: the question cannot be scored, and says so
    res = await evaluate({**ev, "page_image_query": [dict(query, eval_fuzzy_image_match=_data_url(red))]},
                         answer=None, url=None, page=session.page)
    assert res.score is None and "no judge" in res.checks[0].detail
    # no image under the class: 0
    res = await evaluate({**ev, "page_image_query": [dict(query, eval_image_class=".nothing")]}, answer=None,
                         url=None, page=session.page, model=ScriptedChat(["red"]))
    assert res.score == 0.0 and "no image" in res.checks[0].detail
