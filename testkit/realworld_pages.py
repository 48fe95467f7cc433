"""Generated pages shaped like saved real-world pages (news with dozens of ad iframes, long encyclopedia articles,
pages with huge inline SVG charts), deterministic, for bench/observe.py and the speed test; served by testkit.fixture_site."""

from __future__ import annotations

from collections.abc import Callable, Mapping

WORDS = ("the council said on tuesday that new rules for river traffic would apply from spring while local "
         "traders asked for more time to adapt their boats and routes to the changes").split()


def _text(i: int, n: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(n)).capitalize() + "."


def _nav(n: int) -> str:
    return "<nav>" + "".join(f'<a href="#s{i}" style="margin:0 4px">Section {i}</a>' for i in range(n)) + "</nav>"


def frames(args: Mapping[str, str]) -> str:
    """A news article with 36 iframes: 16 empty ad slots, 6 hidden trackers, 12 cross-origin ads (each with a nested
    empty frame) and 2 same-origin embeds."""
    ads = args.get("ads", "")
    parts = ["<!doctype html><title>Daily River News</title>", _nav(20), "<h1>River traffic rules change</h1>"]
    slot = 0
    for i in range(36):
        parts.append(f"<p>{_text(i, 40)}</p>")
        if i < 16:
            parts.append('<iframe style="width:300px;height:250px;border:0" title="Advertisement"></iframe>')
        elif i < 22:
            parts.append('<iframe style="display:none" src="about:blank"></iframe>' if i % 2 else
                         '<iframe width="1" height="1" style="border:0" src="about:blank"></iframe>')
        elif i < 34:
            slot += 1
            src = f"{ads}/realworld/ad?i={slot}" if ads else f"/realworld/ad?i={slot}"
            parts.append(f'<iframe src="{src}" style="width:300px;height:250px;border:0" title="Ad {slot}"></iframe>')
        else:
            parts.append(f'<iframe src="/realworld/embed?i={i}" style="width:500px;height:200px" '
                         f'title="Embedded post {i}"></iframe>')
    parts.append("<footer>" + "".join(f'<a href="#f{i}">Footer link {i}</a> ' for i in range(15)) + "</footer>")
    return "".join(parts)


def ad(args: Mapping[str, str]) -> str:
    i = args.get("i", "0")
    return (f"<!doctype html><title>ad</title><style>body{{margin:0;font:12px sans-serif}}</style>"
            f'<div style="width:300px;height:200px;background:#eef"><a href="#buy{i}">Sponsored: boat parts {i}</a>'
            f"<div>{_text(int(i), 12)}</div>"
            f'<span style="cursor:pointer" onclick="void 0">Close ad</span></div>'
            '<iframe style="width:1px;height:1px;border:0"></iframe>')


def embed(args: Mapping[str, str]) -> str:
    i = args.get("i", "0")
    return (f"<!doctype html><title>post</title><blockquote><p>{_text(int(i), 20)}</p>"
            f'<a href="#u{i}">@river_watch</a> <a href="#t{i}">12:03</a> <button>Like</button></blockquote>')


def dom(args: Mapping[str, str]) -> str:
    """A long encyclopedia article: 3,000+ elements (nested sections, citations, info tables), about 60 actionable."""
    parts = ["<!doctype html><title>River (encyclopedia)</title>", _nav(12), "<h1>River</h1>"]
    for s in range(48):
        parts.append(f'<section><h2 id="s{s}">Section {s}</h2><div class="body">')
        for p in range(4):
            sent = "".join(f"<span>{_text(s * 4 + p + k, 9)}</span><sup>[{k}]</sup> " for k in range(4))
            parts.append(f"<div><p>{sent}</p></div>")
        rows = "".join(f"<tr><th>Key {r}</th><td><span>{r * s}</span> <i>km</i></td></tr>" for r in range(5))
        parts.append(f"<table><tbody>{rows}</tbody></table></div></section>")
        if s % 4 == 0:
            parts.append(f'<a href="#ref{s}">Reference {s}</a>')
    parts.append("<footer>" + "".join(f'<a href="#f{i}">Footer {i}</a> ' for i in range(10)) + "</footer>")
    return "".join(parts)


def svg(args: Mapping[str, str]) -> str:
    """A report page with four huge inline SVG charts (2,000 shapes each) and one labelled chart with <text>."""
    parts = ["<!doctype html><title>River levels report</title>", _nav(10), "<h1>River levels</h1>"]
    for c in range(4):
        shapes = "".join(f'<circle cx="{(k * 37) % 600}" cy="{(k * 53) % 300}" r="2"/>'
                         f'<path d="M{k % 600} {k % 300} l3 3"/>' for k in range(1000))
        parts.append(f"<p>{_text(c, 30)}</p>"
                     f'<svg width="600" height="300" role="img"><title>Chart {c}</title><g>{shapes}</g></svg>')
    labels = "".join(f'<text x="{k * 6}" y="290">{k}</text>' for k in range(100))
    parts.append(f'<svg width="600" height="300"><title>Labelled chart</title>{labels}</svg>')
    parts.append("".join(f'<a href="#r{i}">Report {i}</a> ' for i in range(10)))
    return "".join(parts)


PAGES: dict[str, Callable[[Mapping[str, str]], str]] = {"frames": frames, "ad": ad, "embed": embed, "dom": dom,
                                                        "svg": svg}
