"""`ObserveOptions`: what an observation shows and how (text mode, scope, detail, budget, images)."""

from __future__ import annotations

from dataclasses import dataclass

from webagent.observers.prune import DEFAULT_STAGES, Stage

MODES = ("text", "html")
SCOPES = ("page", "viewport")
DETAILS = ("low", "normal", "high")


@dataclass(frozen=True)
class ObserveOptions:
    """How much to show, and how.

    Text: `mode` "text" (indented accessibility tree) or "html" (cleaned HTML, same ids); `scope` "page" (whole page)
    or "viewport" (the viewport plus `margin` px above and below, with "N more elements above/below" hints; subtrees
    outside are not even walked); `detail` "low" / "normal" / "high" (names, properties, options shown);
    `max_chars` the budget (about 4 characters a token), cut by priority; `stages` the pruning pipeline and
    `disable_stages` names of stages to switch off.

    Images: `screenshot` of the viewport in `screenshot_format` ("jpeg", "png", "webp") at `screenshot_quality`,
    scaled down to at most `screenshot_max_width` px; `crop_ids` (and the focused element with `crop_focused`) as
    element crops padded by `crop_padding` px, at least `crop_min` px a side, scaled to at most `crop_max` px;
    `dense_crop` an information-dense cut-out (layout density) on pages taller than 1.5 viewports;
    `far_after_elements`: in the "page" scope, a page with more elements than this is walked in full detail only
    near the viewport (+- `margin`); beyond, only actionable elements (as many as the budget could show) are kept.
    `set_of_marks` the viewport screenshot with every shown id drawn on its element.
    `mask_selector`: elements matching it (in every frame) are painted `mask_color` in every picture (secrets)."""

    screenshot: bool = True
    screenshot_format: str = "jpeg"
    screenshot_quality: int = 70
    screenshot_max_width: int = 1280
    max_chars: int | None = 24_000
    stages: tuple[Stage, ...] = DEFAULT_STAGES
    disable_stages: tuple[str, ...] = ()
    keep_tree: bool = False
    mode: str = "text"
    scope: str = "page"
    margin: int = 720
    detail: str = "normal"
    crop_ids: tuple[int, ...] = ()
    crop_focused: bool = False
    crop_padding: int = 16
    crop_min: int = 96
    crop_max: int = 768
    dense_crop: bool = False
    set_of_marks: bool = False
    mask_selector: str | None = None
    mask_color: str = "#FF00FF"
    max_text: int = 300
    far_after_elements: int | None = 4000  # whole-page scope on bigger pages: full detail near the viewport only

    def __post_init__(self) -> None:
        for value, allowed, what in ((self.mode, MODES, "mode"), (self.scope, SCOPES, "scope"),
                                     (self.detail, DETAILS, "detail")):
            if value not in allowed:
                raise ValueError(f"ObserveOptions.{what} must be one of {allowed}, not {value!r}")
        if self.screenshot_format not in ("jpeg", "png", "webp"):
            raise ValueError(f"screenshot_format must be jpeg, png or webp, not {self.screenshot_format!r}")
        if not 1 <= self.screenshot_quality <= 100:
            raise ValueError("screenshot_quality must be in 1..100")
        names = {s.name for s in self.stages}
        unknown = set(self.disable_stages) - names
        if unknown:
            raise ValueError(f"unknown pruning stage(s) {sorted(unknown)}; stages: {sorted(names)}")

    def active_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.name not in self.disable_stages)
