"""Small inline-SVG charts for the HTML reports (no scripts, no plotting library): bars, a histogram, lines.

Pure functions from numbers to an `<svg>` string; labels are escaped."""

from __future__ import annotations

import html
import math

W, H = 420, 220
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 34, 46
COLORS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def _e(s: object) -> str:
    return html.escape(str(s), quote=True)


def _frame(title: str, inner: str, y_max: float, y_fmt: str = "{:g}") -> str:
    ph = H - PAD_T - PAD_B
    ticks = ""
    for i in range(5):
        v = y_max * i / 4
        y = PAD_T + ph - ph * i / 4
        ticks += (f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>'
                  f'<text x="{PAD_L - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10">'
                  f'{_e(y_fmt.format(v))}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            f'role="img" aria-label="{_e(title)}" style="font-family:sans-serif">'
            f'<text x="{W / 2}" y="14" text-anchor="middle" font-size="12" font-weight="bold">{_e(title)}</text>'
            f"{ticks}{inner}</svg>")


def bars(title: str, items: list[tuple[str, float]], y_max: float | None = None, pct: bool = False) -> str:
    """One bar per (label, value); `pct` shows values in [0, 1] as percentages."""
    if not items:
        return ""
    top = y_max if y_max is not None else max(v for _, v in items) or 1.0
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    slot = pw / len(items)
    inner = ""
    for i, (label, v) in enumerate(items):
        h = ph * min(v, top) / top if top else 0
        x = PAD_L + i * slot + slot * 0.15
        y = PAD_T + ph - h
        shown = f"{100 * v:.0f}%" if pct else f"{v:g}"
        inner += (f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{COLORS[0]}">'
                  f"<title>{_e(label)}: {_e(shown)}</title></rect>"
                  f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" text-anchor="middle" font-size="10">'
                  f"{_e(shown)}</text>"
                  f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD_B + 14}" text-anchor="middle" font-size="10">'
                  f"{_e(label[:14])}</text>")
    return _frame(title, inner, top, "{:.0%}" if pct else "{:g}")


def histogram(title: str, values: list[float], bins: int = 10, unit: str = "") -> str:
    """Counts of `values` in `bins` equal-width bins."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if all(float(v).is_integer() for v in values) and hi - lo < 20:  # counts (steps): one bar per value
        return bars(title, [(f"{int(lo) + i}{unit}", float(sum(1 for v in values if v == lo + i)))
                            for i in range(int(hi - lo) + 1)])
    if hi == lo:
        hi = lo + 1
    width = (hi - lo) / bins
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    items = [(f"{lo + i * width:.3g}{unit}", float(c)) for i, c in enumerate(counts)]
    return bars(title, items)


def lines(title: str, series: dict[str, list[tuple[float, float]]], x_label: str = "",
          y_max: float = 1.0, pct: bool = True) -> str:
    """One polyline with dots per series of (x, y) points (x increasing), with a legend."""
    pts = [p for s in series.values() for p in s]
    if not pts:
        return ""
    x_lo, x_hi = min(p[0] for p in pts), max(p[0] for p in pts)
    if x_hi == x_lo:
        x_hi = x_lo + 1
    pw, ph = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def xy(x: float, y: float) -> tuple[float, float]:
        return PAD_L + pw * (x - x_lo) / (x_hi - x_lo), PAD_T + ph - ph * min(y, y_max) / y_max

    inner = ""
    for i, (name, s) in enumerate(series.items()):
        c = COLORS[i % len(COLORS)]
        coords = [xy(x, y) for x, y in sorted(s)]
        inner += (f'<polyline fill="none" stroke="{c}" stroke-width="2" points="'
                  + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
        for (x, y), (vx, vy) in zip(coords, sorted(s), strict=True):
            inner += (f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{c}"><title>{_e(name)}: '
                      f"{_e(f'{vx:g}')} -> {_e(f'{100 * vy:.0f}%' if pct else f'{vy:g}')}</title></circle>")
        inner += (f'<text x="{PAD_L + 6}" y="{PAD_T + 12 + 12 * i}" font-size="10" fill="{c}">'
                  f"{_e(name)}</text>")
    for x in sorted({p[0] for p in pts}):
        px, _ = xy(x, 0)
        inner += (f'<text x="{px:.1f}" y="{H - PAD_B + 14}" text-anchor="middle" font-size="10">'
                  f"{_e(f'{x:g}')}</text>")
    inner += (f'<text x="{PAD_L + pw / 2}" y="{H - 8}" text-anchor="middle" font-size="10">{_e(x_label)}</text>')
    return _frame(title, inner, y_max, "{:.0%}" if pct else "{:g}")


def nice_max(v: float) -> float:
    """A round upper bound for an axis."""
    if v <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if v <= m * e:
            return m * e
    return 10 * e
