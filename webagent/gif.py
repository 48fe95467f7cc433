"""`webagent view --gif RUN_DIR`: an animated GIF of a run's step screenshots, each with the step's action written
on it and its target element outlined (an element outside the screenshot is marked at the edge it lies beyond)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from webagent.errors import BadInput
from webagent.records import Step
from webagent.trajectory import load

FRAME_MS = 1500  # each step's frame; the last one stays three times as long
MAX_WIDTH = 960  # frames wider than this are scaled down (a GIF of full-size screenshots is large)
EDGE = 6  # thickness of the marker drawn at the edge for a target outside the screenshot


def clamp_box(bbox: Any, size: tuple[int, int]) -> tuple[tuple[float, float, float, float], str | None] | None:
    """The target box (x, y, w, h) kept inside a `size` (width, height) picture, and where the element really is
    when it lies wholly outside ("above", "below", "left", "right"; then the box is a bar along that edge).
    None for a missing or malformed box."""
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        return None
    try:
        x, y, w, h = (float(v) for v in bbox)
    except (TypeError, ValueError):
        return None
    vw, vh = size
    if vw <= 0 or vh <= 0 or w < 0 or h < 0:
        return None
    side = ("above" if y + h <= 0 else "below" if y >= vh else
            "left" if x + w <= 0 else "right" if x >= vw else None)
    x0, y0 = min(max(x, 0.0), vw), min(max(y, 0.0), vh)
    x1, y1 = min(max(x + w, 0.0), vw), min(max(y + h, 0.0), vh)
    if side == "above":
        y0, y1 = 0.0, float(EDGE)
    elif side == "below":
        y0, y1 = vh - float(EDGE), float(vh)
    elif side == "left":
        x0, x1 = 0.0, float(EDGE)
    elif side == "right":
        x0, x1 = vw - float(EDGE), float(vw)
    if side in ("above", "below") and x1 - x0 < EDGE:
        x0, x1 = max(0.0, min(x0, vw - EDGE)), max(0.0, min(x0, vw - EDGE)) + EDGE
    if side in ("left", "right") and y1 - y0 < EDGE:
        y0, y1 = max(0.0, min(y0, vh - EDGE)), max(0.0, min(y0, vh - EDGE)) + EDGE
    return (x0, y0, x1 - x0, y1 - y0), side


def _font(size: int) -> Any:
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the fixed bitmap font
        return ImageFont.load_default()


def _wrap(draw: Any, text: str, font: Any, width: int, max_lines: int = 3) -> list[str]:
    words, lines, line = text.split(" "), [], ""
    for w in words:
        cand = f"{line} {w}".strip()
        if draw.textlength(cand, font=font) <= width or not line:
            line = cand
        else:
            lines.append(line)
            line = w
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(0, len(lines[-1]) - 1)] + "…"
    return lines


def _frame(shot: Path, step: Step, viewport: tuple[int, int], caption: str, ok: bool) -> Any:
    from PIL import Image, ImageDraw
    with Image.open(shot) as im:
        img = im.convert("RGB")
    if img.width > MAX_WIDTH:
        img = img.resize((MAX_WIDTH, round(img.height * MAX_WIDTH / img.width)))
    draw = ImageDraw.Draw(img)
    # the box is in viewport CSS pixels; the screenshot may be scaled
    sx, sy = img.width / (viewport[0] or img.width), img.height / (viewport[1] or img.height)
    box = clamp_box(step.target.bbox if step.target else None, viewport)
    if box is not None:
        (x, y, w, h), side = box
        rect = [x * sx, y * sy, (x + w) * sx, (y + h) * sy]
        draw.rectangle(rect, outline=(255, 45, 85), width=3 if side is None else 1,
                       fill=(255, 45, 85) if side else None)
        if side:
            caption += f"  (target {side} the screenshot)"
    font = _font(max(12, img.width // 55))
    lines = _wrap(draw, caption, font, img.width - 16)
    line_h = int(font.size * 1.3) if hasattr(font, "size") else 14
    band = line_h * len(lines) + 10
    draw.rectangle([0, img.height - band, img.width, img.height], fill=(29, 35, 48) if ok else (138, 28, 28))
    for i, line in enumerate(lines):
        draw.text((8, img.height - band + 5 + i * line_h), line, fill=(255, 255, 255), font=font)
    return img


def write_gif(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the run's GIF (default RUN_DIR/steps.gif): one frame per step that has a screenshot, captioned
    "step N: ACTION" (and the error when the action failed); the last frame adds the run's status and answer."""
    traj = load(run_dir)
    out = Path(out) if out else traj.run_dir / "steps.gif"
    vp = traj.config.get("viewport") or [1280, 720]
    viewport = (int(vp[0]), int(vp[1])) if len(vp) == 2 else (1280, 720)
    root = traj.run_dir.resolve()
    frames = []
    steps = [s for s in traj.steps if s.screenshot]
    for i, s in enumerate(steps):
        shot = (traj.run_dir / (s.screenshot or "")).resolve()
        if not shot.is_relative_to(root) or not shot.is_file():  # a trajectory cannot point elsewhere
            continue
        ok, error = s.result.ok, s.result.error
        caption = f"step {s.step}: {s.action or '(invalid reply)'}"
        if not ok and error:
            caption += f"  ! {error.splitlines()[0]}"
        if i == len(steps) - 1 and traj.footer:
            answer = traj.footer.answer
            caption += f"  = {traj.status}" + (f": {answer}" if answer is not None else "")
        try:
            frames.append(_frame(shot, s, viewport, caption, ok))
        except OSError:
            continue  # an unreadable screenshot: that step has no frame
    if not frames:
        raise BadInput(f"{traj.run_dir}: no step screenshots to make a GIF of")
    durations = [FRAME_MS] * (len(frames) - 1) + [FRAME_MS * 3]
    size = frames[0].size
    frames = [f if f.size == size else f.resize(size) for f in frames]
    frames[0].save(out, save_all=True, append_images=frames[1:], duration=durations, loop=0, optimize=True)
    return out
