"""What each `--images` mode costs per step, and which encoding keeps text legible for the fewest bytes.

    python bench/images.py [--site shop ...] [--per-site 3] [--ocr] [--json out.json]

For a few pages of every bundled site (those that start), in one run:

- per mode (none, screenshot, som, crops): the image parts one policy call would carry, after the default image
  budget (webagent.vision.ImageBudget), their bytes and estimated image tokens (OpenAI's published tile rule,
  webagent.vision.estimate_tokens, with the detail each picture is sent with: "low", 85 tokens, for pictures within
  512x512), next to the text's tokens (characters / 4).
  `crops` here is a stand-in step: crops of the first three elements in the viewport (as if the last target and two
  candidates) plus the dense crop on pages taller than 1.5 viewports;
- with --ocr (needs the `tesseract` binary): the viewport screenshot encoded as PNG, JPEG and WebP at several
  qualities and widths; bytes, and the share of the words Tesseract reads on the lossless PNG that it still reads
  on each encoding (a legibility proxy: an OCR engine, not a VLM).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PIL import Image  # noqa: E402
from webagent.observers import ObserveOptions  # noqa: E402
from webagent.observers.screenshots import encode  # noqa: E402

from bench.observe import site_urls  # noqa: E402
from webagent.browser import BrowserConfig, BrowserSession  # noqa: E402
from webagent.vision import (  # noqa: E402
    MODES,
    ImageBudget,
    crop_candidates,
    detail_for,
    estimate_tokens,
    fit,
    observe_options,
    page_pictures,  # noqa: E402
)

ENCODINGS = [("png", 100, 1280), ("jpeg", 85, 1280), ("jpeg", 70, 1280), ("jpeg", 50, 1280), ("webp", 85, 1280),
             ("webp", 70, 1280), ("webp", 50, 1280), ("jpeg", 70, 1024), ("jpeg", 70, 768)]


async def per_mode(session: BrowserSession, url: str) -> dict:
    await session.goto(url)
    row: dict = {"url": url}
    budget = ImageBudget()
    for mode in MODES:
        opts = observe_options(mode, ObserveOptions())
        obs = await session.observe(opts)
        if mode == "crops":
            dense = [c for c in obs.crops if c.kind == "dense"]
            first = [i for i, e in obs.elements.items() if e.bbox and 0 <= e.bbox[1] < obs.viewport[1]][:3]
            ids = crop_candidates(obs, None, first, [], budget.max_images - len(dense))
            obs.crops = await session.crop_elements(obs, ids, opts) + dense
        pics, _ = fit(page_pictures(obs, mode), budget)
        row[mode] = {"images": len(pics), "bytes": sum(len(p.data) for p in pics),
                     "tokens": sum(estimate_tokens(*p.size, detail_for(p, "auto")) for p in pics)}
        row["text_tokens"] = len(obs.text) // 4
    return row


def ocr_words(png: bytes, tmp: Path) -> list[str]:
    path = tmp / "ocr.png"
    path.write_bytes(png)
    out = subprocess.run(["tesseract", str(path), "stdout", "--psm", "3"], capture_output=True, text=True,
                         timeout=120).stdout
    return [w.strip(".,:;()[]|'\"").lower() for w in out.split() if len(w.strip(".,:;()[]|'\"")) >= 3]


async def encodings(session: BrowserSession, url: str, tmp: Path) -> dict:
    await session.goto(url)
    img = Image.open(io.BytesIO(await session.page.screenshot(type="png")))
    img.load()
    ref = ocr_words(encode(img, "png", 100), tmp)
    out = {}
    for fmt, q, width in ENCODINGS:
        data = encode(img, fmt, q, width)
        # OCR reads the decoded picture at its own size, as a model would get it
        words = ocr_words(encode(Image.open(io.BytesIO(data)), "png", 100), tmp)
        left = list(words)
        hit = 0
        for w in ref:
            if w in left:
                left.remove(w)
                hit += 1
        out[f"{fmt} q{q} {width}px"] = {"bytes": len(data), "recall": hit / len(ref) if ref else 1.0}
    return out


async def main(args: argparse.Namespace) -> dict:
    from webagent.tasks.sites import registry
    from webagent.tasks.sites.server import SiteServer
    rows, enc = [], []
    async with BrowserSession(BrowserConfig(allowed_domains=["127.0.0.1", "localhost"])) as s:
        for name in args.site or registry.available():  # one site at a time: light on a busy machine
            with SiteServer(name) as server:
                for url in await site_urls(s, name, server.url, args.per_site):
                    rows.append({"page": f"{name} {urlparse(url).path}"[:40], **await per_mode(s, url)})
                    if args.ocr:
                        with tempfile.TemporaryDirectory() as tmp:
                            enc.append(await encodings(s, url, Path(tmp)))
    print(f"{'page':<40} {'~text tok':>9} | " + " | ".join(f"{m:>26}" for m in MODES[1:]))
    print(f"{'':<40} {'':>9} | " + " | ".join(f"{'imgs    bytes  img tok':>26}" for _ in MODES[1:]))
    for r in rows:
        print(f"{r['page']:<40} {r['text_tokens']:>9} | " + " | ".join(
            f"{r[m]['images']:>4} {r[m]['bytes']:>8} {r[m]['tokens']:>8}    " for m in MODES[1:]))
    print(f"{'median per step':<40} {statistics.median(r['text_tokens'] for r in rows):>9.0f} | " + " | ".join(
        f"{statistics.median(r[m]['images'] for r in rows):>4.0f} "
        f"{statistics.median(r[m]['bytes'] for r in rows):>8.0f} "
        f"{statistics.median(r[m]['tokens'] for r in rows):>8.0f}    " for m in MODES[1:]))
    summary: dict = {"pages": rows}
    if enc:
        print(f"\nencoding of the viewport screenshot ({len(enc)} pages; OCR word recall vs lossless PNG)")
        print(f"{'encoding':<20} {'bytes (median)':>15} {'OCR recall (mean)':>18} {'min':>6}")
        for k in enc[0]:
            b = statistics.median(e[k]["bytes"] for e in enc)
            rec = [e[k]["recall"] for e in enc]
            print(f"{k:<20} {b:>15.0f} {statistics.mean(rec):>18.1%} {min(rec):>6.1%}")
        summary["encodings"] = enc
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--site", action="append", help="site(s) to include (default: every available one)")
    ap.add_argument("--per-site", type=int, default=3, help="pages per site")
    ap.add_argument("--ocr", action="store_true", help="also compare encodings with Tesseract OCR")
    ap.add_argument("--json", help="also write the rows as JSON here")
    a = ap.parse_args()
    if a.ocr and not shutil.which("tesseract"):
        sys.exit("bench/images.py: --ocr needs the tesseract binary (apt-get install tesseract-ocr)")
    asyncio.run(main(a))
