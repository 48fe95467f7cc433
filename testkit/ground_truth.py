"""The reference the observer is measured against (bench/observe.py's recall, tests/test_observers_live.py): every
element a user could act on and see, found by plain DOM rules in every visible frame and open shadow root, with its
`data-wa-id` (None when the observer gave it no id) and whether it is in the viewport."""

from __future__ import annotations

from typing import Any

GROUND_TRUTH_JS = r"""
() => {
  const SEL = "a[href],button,input:not([type=hidden]),select,textarea,summary,[onclick],[tabindex]:not([tabindex='-1'])," +
    "[role=button],[role=link],[role=checkbox],[role=radio],[role=tab],[role=menuitem],[role=option],[role=switch]," +
    "[contenteditable=true]";
  const vw = innerWidth, vh = innerHeight;
  const out = [];
  function visit(root) {
    for (const e of root.querySelectorAll("*")) {
      if (e.shadowRoot) visit(e.shadowRoot);
      if (e.tagName === "IFRAME" || e.tagName === "FRAME" || e.tagName === "OPTION") continue;
      let act = e.matches(SEL);
      if (!act) {
        const cs = getComputedStyle(e);
        if (cs.cursor === "pointer") {
          const p = e.parentElement || (e.getRootNode().host || null);
          act = !p || getComputedStyle(p).cursor !== "pointer";
        }
      }
      if (!act) continue;
      if (e.checkVisibility && !e.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
      const r = e.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0) continue;
      if (r.right + scrollX <= 0 || r.bottom + scrollY <= 0) continue;  // off the page (skip links at -9999px)
      if (e.closest("[aria-hidden=true]")) continue;
      out.push([e.getAttribute("data-wa-id"), r.bottom > 0 && r.top < vh && r.right > 0 && r.left < vw]);
    }
  }
  visit(document);
  return out;
}
"""


async def ground_truth(page: Any) -> list[tuple[str | None, bool]]:
    out = []
    for f in page.frames:
        try:
            if f.parent_frame is not None:
                el = await f.frame_element()
                if not await el.is_visible():
                    continue
            out += await f.evaluate(GROUND_TRUTH_JS)
        except Exception:  # noqa: BLE001 (a detached frame is not part of the page any more)
            continue
    return out
