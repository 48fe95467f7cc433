"""Screenshots: the viewport, element crops paired with their text line, an information-dense crop found from
layout (or edge) density with numpy, and a set-of-marks overlay drawn with Pillow using the observation's ids."""

from __future__ import annotations

import asyncio
import base64
import io
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import Error as PlaywrightError
from webagent.observers.types import Crop, Element, Node

if TYPE_CHECKING:
    from playwright.async_api import Page
    from webagent.observers.options import ObserveOptions

Box = tuple[int, int, int, int]  # x, y, width, height

SHOT_TIMEOUT_S = 10.0
_CDP: weakref.WeakKeyDictionary[Any, asyncio.Future[Any]] = weakref.WeakKeyDictionary()


async def _cdp_session(page: Page) -> Any:
    """The page's own DevTools session for screenshots, opened once per page (None where the browser has none)."""
    fut = _CDP.get(page)
    if fut is None:
        async def open_() -> Any:
            try:
                return await page.context.new_cdp_session(page)
            except Exception:  # noqa: BLE001 - not Chromium, or the page is closing: Playwright's screenshot then
                return None
        fut = _CDP[page] = asyncio.ensure_future(open_())
    return await fut


async def viewport_shot(page: Page, fmt: str = "png", quality: int = 80, mask: list[Any] | None = None,
                        mask_color: str | None = None) -> bytes:
    """The viewport as PNG or JPEG. Unmasked, straight from DevTools' captureScreenshot: about half the time of
    Playwright's screenshot, which also waits for fonts and hides the caret by injecting a style on every call.
    Raises PlaywrightError when the page gives no picture (the observation then goes without one)."""
    if not mask:
        params: dict[str, Any] = {"format": fmt, **({"quality": quality} if fmt == "jpeg" else {})}
        why: BaseException | None = None
        for _attempt in range(2):
            cdp = await _cdp_session(page)
            if cdp is None:
                break
            try:
                reply = await asyncio.wait_for(cdp.send("Page.captureScreenshot", params), SHOT_TIMEOUT_S)
                return base64.b64decode(reply["data"])
            except TimeoutError:
                raise PlaywrightError(f"the page gave no picture within {SHOT_TIMEOUT_S:g} s") from None
            except Exception as e:  # noqa: BLE001 - a session detached by a navigation: once more on a new one
                why = e
                _CDP.pop(page, None)
                await asyncio.sleep(0.05)
        if why is not None:
            raise PlaywrightError(f"screenshot failed: {str(why).splitlines()[0]}")
    kw: dict[str, Any] = {"type": fmt, "timeout": SHOT_TIMEOUT_S * 1000}
    if fmt == "jpeg":
        kw["quality"] = quality
    if mask:
        kw.update(mask=mask, mask_color=mask_color)
    return await page.screenshot(**kw)


def encode(img: Image.Image, fmt: str, quality: int, max_width: int | None = None) -> bytes:
    """`img` as bytes in `fmt` ("jpeg", "png", "webp"), scaled down to `max_width` if wider."""
    if max_width and img.width > max_width:
        img = img.resize((max_width, max(1, round(img.height * max_width / img.width))), Image.LANCZOS)
    if fmt in ("jpeg", "webp") and img.mode != "RGB":
        img = img.convert("RGB")
    buf = io.BytesIO()
    kw = {"quality": quality} if fmt in ("jpeg", "webp") else {"optimize": False, "compress_level": 1}
    img.save(buf, format=fmt.upper(), **kw)
    return buf.getvalue()


def crop_box(bbox: Box, pad: int, min_size: int, bounds: tuple[int, int]) -> Box:
    """The cut-out around `bbox`: padded by `pad` px plus a quarter of its size, grown to `min_size` a side around
    its centre, kept inside `bounds` (width, height)."""
    x, y, w, h = bbox
    px, py = pad + w // 4, pad + h // 4
    x0, y0, x1, y1 = x - px, y - py, x + w + px, y + h + py
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    if x1 - x0 < min_size:
        x0, x1 = cx - min_size / 2, cx + min_size / 2
    if y1 - y0 < min_size:
        y0, y1 = cy - min_size / 2, cy + min_size / 2
    bw, bh = bounds
    if x0 < 0:
        x0, x1 = 0, min(bw, x1 - x0)
    if y0 < 0:
        y0, y1 = 0, min(bh, y1 - y0)
    if x1 > bw:
        x0, x1 = max(0, x0 - (x1 - bw)), bw
    if y1 > bh:
        y0, y1 = max(0, y0 - (y1 - bh)), bh
    return int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0))


def dense_window(boxes: list[tuple[Box, float]], page_size: tuple[int, int], win: tuple[int, int],
                 cell: int = 32) -> Box:
    """The `win`-sized window of the page with the most content: each (box, weight) marks the grid cells it covers
    (cells of `cell` px), and a 2-D prefix sum finds the window with the highest total (ties: the topmost)."""
    pw, ph = max(page_size[0], win[0]), max(page_size[1], win[1])
    gw, gh = -(-pw // cell), -(-ph // cell)
    grid = np.zeros((gh, gw), dtype=np.float32)
    for (x, y, w, h), weight in boxes:
        if w <= 0 or h <= 0:
            continue
        x0, y0 = max(0, x // cell), max(0, y // cell)
        x1, y1 = min(gw, -(-(x + w) // cell)), min(gh, -(-(y + h) // cell))
        if x1 > x0 and y1 > y0:
            grid[y0:y1, x0:x1] += weight / ((x1 - x0) * (y1 - y0)) ** 0.5
    return _best_window(grid, win, cell, (pw, ph))


def edge_window(image: Image.Image, win: tuple[int, int], cell: int = 16) -> Box:
    """The `win`-sized window of `image` with the highest edge density (Sobel gradient magnitude, Iris-style)."""
    g = np.asarray(image.convert("L"), dtype=np.float32)
    gx = np.zeros_like(g)
    gy = np.zeros_like(g)
    gx[1:-1, 1:-1] = (g[:-2, 2:] + 2 * g[1:-1, 2:] + g[2:, 2:]) - (g[:-2, :-2] + 2 * g[1:-1, :-2] + g[2:, :-2])
    gy[1:-1, 1:-1] = (g[2:, :-2] + 2 * g[2:, 1:-1] + g[2:, 2:]) - (g[:-2, :-2] + 2 * g[:-2, 1:-1] + g[:-2, 2:])
    edges = (np.hypot(gx, gy) > 64).astype(np.float32)
    h, w = edges.shape
    gh, gw = h // cell, w // cell
    grid = edges[:gh * cell, :gw * cell].reshape(gh, cell, gw, cell).sum(axis=(1, 3))
    return _best_window(grid, win, cell, (w, h))


def _best_window(grid: np.ndarray, win: tuple[int, int], cell: int, size: tuple[int, int]) -> Box:
    gh, gw = grid.shape
    ww, wh = max(1, min(gw, win[0] // cell)), max(1, min(gh, win[1] // cell))
    s = np.zeros((gh + 1, gw + 1), dtype=np.float64)
    s[1:, 1:] = grid.cumsum(0).cumsum(1)
    tot = s[wh:, ww:] - s[:-wh, ww:] - s[wh:, :-ww] + s[:-wh, :-ww]
    iy, ix = np.unravel_index(int(np.argmax(tot)), tot.shape)
    x, y = int(ix) * cell, int(iy) * cell
    w, h = min(win[0], size[0]), min(win[1], size[1])
    return min(x, max(0, size[0] - w)), min(y, max(0, size[1] - h)), w, h


def layout_boxes(tree: Node, scroll: tuple[int, int]) -> list[tuple[Box, float]]:
    """Content boxes in page coordinates: leaves with text or a name count 1, elements with ids 2."""
    out = []
    sx, sy = scroll
    for n in tree.walk():
        if n.bbox is None or n.role == "RootWebArea":
            continue
        leafish = not any(c.bbox is not None for c in n.children)
        if not leafish:
            continue
        has_text = bool(n.name) or any(c.role == "text" for c in n.children)
        if not has_text and n.id is None:
            continue
        x, y, w, h = n.bbox
        out.append(((x + sx, y + sy, w, h), 2.0 if n.id is not None else 1.0))
    return out


_COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#008080", "#9a6324", "#800000"]


def set_of_marks(img: Image.Image, elements: list[Element], scale: float, min_area: int = 20,
                 drawn: list[int] | None = None) -> Image.Image:
    """A copy of the viewport image with a box and an id tag drawn for every element inside it; the ids drawn are
    appended to `drawn` (so a caller can check they are the ids of the text)."""
    img = img.convert("RGB")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    for i, el in enumerate(elements):
        if el.bbox is None:
            continue
        x, y, w, h = (round(v * scale) for v in el.bbox)
        if w * h < min_area or x + w <= 0 or y + h <= 0 or x >= img.width or y >= img.height:
            continue
        color = _COLORS[i % len(_COLORS)]
        draw.rectangle([x, y, x + w - 1, y + h - 1], outline=color, width=2)
        label = str(el.id)
        tw = draw.textlength(label, font=font)
        ty = y - 12 if y >= 12 else y
        draw.rectangle([x, ty, x + tw + 4, ty + 11], fill=color)
        draw.text((x + 2, ty), label, fill="white", font=font)
        if drawn is not None:
            drawn.append(el.id)
    return img


def early_shot(page: Page, options: ObserveOptions) -> asyncio.Future[bytes] | None:
    """Start the plain viewport screenshot now, to run while the DOM is read, when it is all the pictures need
    (no crops, marks, masks or scaling, which need the elements or the pixels); else None."""
    size = page.viewport_size or {"width": 0}
    if (not options.screenshot or options.screenshot_format not in ("jpeg", "png") or options.mask_selector
            or options.crop_ids or options.crop_focused or options.set_of_marks
            or options.screenshot_max_width < size["width"]):
        return None
    return asyncio.ensure_future(viewport_shot(page, options.screenshot_format, options.screenshot_quality))


def masks(page: Page, selector: str | None) -> list:
    """Locators of the elements to paint over in every frame (Playwright's screenshot `mask`), none without one."""
    if not selector:
        return []
    return [f.locator(selector) for f in page.frames if not f.is_detached()]


async def capture(page: Page, options: ObserveOptions, elements: dict[int, Element], crop_ids: list[int],
                  lines: dict[int, str], tree: Node | None, scroll: tuple[int, int], viewport: tuple[int, int],
                  page_size: tuple[int, int], drawn: list[int] | None = None,
                  early: asyncio.Future[bytes] | None = None) -> tuple[bytes | None, bytes | None, list[Crop]]:
    """The viewport screenshot (if asked), the set-of-marks image (if asked) and the crops. Every picture is taken
    with the elements matching `options.mask_selector` painted over (secrets). `early`: the plain screenshot,
    started by `early_shot` while the page was being read."""
    fmt, q = options.screenshot_format, options.screenshot_quality
    mask = masks(page, options.mask_selector)
    mkw = {"mask": mask, "mask_color": options.mask_color} if mask else {}
    needs_pixels = bool(crop_ids) or options.set_of_marks or options.screenshot_max_width < viewport[0]
    shot = marked = None
    crops: list[Crop] = []
    img = None
    if needs_pixels:
        png = await viewport_shot(page, "png", mask=mask, mask_color=options.mask_color)
        img = Image.open(io.BytesIO(png))
        img.load()
        if options.screenshot:
            shot = encode(img, fmt, q, options.screenshot_max_width)
    elif early is not None:
        shot = await early
    elif options.screenshot:
        shot = await viewport_shot(page, fmt if fmt != "webp" else "png", q, mask, options.mask_color)
        if fmt == "webp":
            shot = encode(Image.open(io.BytesIO(shot)), fmt, q)
    scale = (img.width / viewport[0]) if img is not None and viewport[0] else 1.0
    if options.set_of_marks and img is not None:
        marked = encode(set_of_marks(img, list(elements.values()), scale, drawn=drawn), fmt, q,
                        options.screenshot_max_width)
    sx, sy = scroll
    bounds = (max(page_size[0], viewport[0]), max(page_size[1], viewport[1]))
    seen: set[int] = set()
    for i in crop_ids:
        el = elements.get(i)
        if el is None or el.bbox is None or i in seen:
            continue
        seen.add(i)
        x, y, w, h = el.bbox
        box = crop_box((x + sx, y + sy, w, h), options.crop_padding, options.crop_min, bounds)
        cut = await _cut(page, img, box, scroll, viewport, scale, mkw)
        crops.append(Crop(i, "element", box, lines.get(i, ""), _bounded(cut, options, fmt, q), fmt))
    if options.dense_crop and tree is not None and page_size[1] > 1.5 * viewport[1]:
        win = (min(viewport[0], bounds[0]), min(viewport[1], bounds[1]))
        box = dense_window(layout_boxes(tree, scroll), bounds, win)
        cut = await _cut(page, img, box, scroll, viewport, scale, mkw)
        crops.append(Crop(None, "dense", box, "", _bounded(cut, options, fmt, q), fmt))
    return shot, marked, crops


def _bounded(img: Image.Image, options: ObserveOptions, fmt: str, q: int) -> bytes:
    m = options.crop_max
    if max(img.width, img.height) > m:
        r = m / max(img.width, img.height)
        img = img.resize((max(1, round(img.width * r)), max(1, round(img.height * r))), Image.LANCZOS)
    return encode(img, fmt, q)


async def _cut(page: Page, img: Image.Image | None, box: Box, scroll: tuple[int, int], viewport: tuple[int, int],
               scale: float, mkw: dict | None = None) -> Image.Image:
    """Pixels of `box` (page coordinates): from the viewport image when it lies inside, else a clipped shot."""
    x, y, w, h = box
    vx, vy = x - scroll[0], y - scroll[1]
    if img is not None and vx >= 0 and vy >= 0 and vx + w <= viewport[0] and vy + h <= viewport[1]:
        return img.crop((round(vx * scale), round(vy * scale), round((vx + w) * scale), round((vy + h) * scale)))
    png = await page.screenshot(type="png", full_page=True, clip={"x": x, "y": y, "width": w, "height": h},
                                timeout=10_000, **(mkw or {}))
    out = Image.open(io.BytesIO(png))
    out.load()
    return out
