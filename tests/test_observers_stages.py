"""Each pruning stage on hand-built trees (pure: inputs untouched), the renderer's row format, history diffs and the
density search for crops."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from PIL import Image, ImageDraw
from webagent.observers.history import acted_lines, diff
from webagent.observers.html import render_html
from webagent.observers.prune import (
    DEFAULT_STAGES,
    PruneContext,
    budget,
    collapse,
    drop_ignored,
    id_policy,
    occlusion,
    props,
    prune,
    restructure,
    stages_without,
    text_dedupe,
    visibility,
)
from webagent.observers.render import render
from webagent.observers.screenshots import crop_box, dense_window, edge_window
from webagent.observers.types import Node


def T(s):
    return Node("text", s)


def N(role, name="", *children, id=None, **kw):
    kw.setdefault("actionable", id is not None)
    return Node(role, name, id, children=list(children), **kw)


def text(root):
    return render(root)[0]


def run(stage, root, **ctx):
    before = copy.deepcopy(root)
    c = PruneContext(**ctx)
    out = stage(root, c)
    assert root == before, "a stage must not modify its input"
    return out, c


def test_drop_ignored_promotes_children_and_drops_nameless_images():
    root = N("RootWebArea", "", N("generic", "", N("paragraph", "", T("Hello")), N("img", "")),
             N("generic", "", N("link", "Go", id=1)))
    out, c = run(drop_ignored, root)
    assert text(out) == "Hello\n[1] link 'Go'"
    assert c.removed_nodes == 4 and c.removed_chars > 0


def test_visibility_viewport_scope_adds_hints_and_drops_hidden():
    root = N("RootWebArea", "",
             N("link", "Top", id=1, bbox=(0, -3000, 50, 20)),
             N("button", "Here", id=2, bbox=(0, 100, 50, 20)),
             N("generic", "", T("ghost"), visible=False),
             N("link", "Far", id=3, bbox=(0, 5000, 50, 20)), N("link", "Farther", id=4, bbox=(0, 6000, 50, 20)))
    out, c = run(visibility, root, scope="viewport", margin=720, viewport=(1280, 720), skipped=(0, 3))
    lines = text(out).splitlines()
    assert lines[0] == "^ 1 more elements above; scroll up to see them"
    assert lines[-1] == "v 5 more elements below; scroll down to see them"
    assert "[2] button 'Here'" in lines and "ghost" in lines  # a hidden wrapper's visible text stays
    assert not any("Far" in ln or "Top" in ln for ln in lines)
    page, _ = run(visibility, root, scope="page")
    assert "[4] link 'Farther'" in text(page)


def test_occlusion_drops_covered_elements_but_keeps_uncovered_descendants():
    root = N("RootWebArea", "", N("generic", "Covered card", N("link", "Inside", id=2, occluded=True),
                                  N("button", "On top", id=3), id=1, occluded=True), N("button", "Free", id=4))
    out, c = run(occlusion, root)
    assert text(out) == "[3] button 'On top'\n[4] button 'Free'"
    assert c.removed_nodes == 2


def test_text_dedupe_repeats_labels_lone_text_and_separators():
    root = N("RootWebArea", "",
             N("link", "Home", T("Home"), id=1, name_from_content=True),
             T("|"),
             N("label", "", T("Email"), N("textbox", "Email", id=2)),
             N("listitem", "", T("only child")),
             T("a"), T("b"), N("heading", "Title"), T("Title"))
    out, _ = run(text_dedupe, root)
    assert text(out) == ("[1] link 'Home'\nlabel\n\t[2] textbox 'Email'\nlistitem 'only child'\na\nb\n"
                         "heading 'Title'")  # texts from separate blocks stay on separate lines


def test_collapse_single_child_wrappers():
    root = N("RootWebArea", "", N("navigation", "", N("list", "", N("link", "A", id=1))),
             N("strong", "Product", N("link", "Product", id=2)), N("table", "", N("row", "", N("cell", "x"))))
    out, _ = run(collapse, root)
    assert text(out) == "[1] link 'A'\n[2] link 'Product'\ntable\n\trow\n\t\tcell 'x'"


def test_restructure_tables_as_rows_and_options_on_one_line():
    opts = [N("option", f"opt{i}", states={"selected": True} if i == 1 else {}) for i in range(12)]
    root = N("RootWebArea", "",
             N("table", "Orders",
               N("rowgroup", "", N("row", "", N("columnheader", "Item"), N("columnheader", "Qty"),
                                   N("columnheader", ""))),
               N("row", "", N("cell", "", N("link", "Pen", id=5)), N("cell", "3"),
                 N("cell", "", N("button", "Delete", id=6)))),
             N("combobox", "Size", *opts, id=7, value="opt1"))
    out, c = run(restructure, root)
    assert text(out).splitlines() == [
        "table 'Orders'",
        "\t| Item | Qty |  |",
        "\t| [5] link 'Pen' | 3 | [6] button 'Delete' |",
        "[7] combobox 'Size' value='opt1' options: opt0; opt1; opt2; opt3; opt4; opt5; opt6; opt7 (+4 more)",
    ]
    assert c.removed_nodes > 10
    low, _ = run(restructure, root, detail="low")
    assert "options: opt0; opt1; opt2; opt3; opt4 (+7 more)" in text(low)


def test_props_keeps_action_relevant_states_and_caps_names():
    root = N("RootWebArea", "", N("checkbox", "Agree", id=1, states={"checked": False, "required": True}),
             N("heading", "H" * 400, states={"level": 2}),
             N("button", "Menu", id=2, states={"haspopup": "menu", "expanded": False}))
    out, _ = run(props, root)
    lines = text(out).splitlines()
    assert lines[0] == "[1] checkbox 'Agree' required"
    assert len(lines[1]) < 170 and "level" not in lines[1]
    assert lines[2] == "[2] button 'Menu' expanded=false"
    hi, _ = run(props, root, detail="high")
    assert "haspopup=menu" in text(hi)


def test_id_policy_prints_ids_only_on_actionable_elements():
    root = N("RootWebArea", "", N("heading", "Title", id=9, actionable=False), N("button", "Go", id=3),
             N("iframe", "Frame", id=4, actionable=False))
    out, _ = run(id_policy, root)
    assert text(out) == "heading 'Title'\n[3] button 'Go'\n[4] iframe 'Frame'"


def test_budget_cuts_by_priority_and_respects_the_limit():
    far = [N("paragraph", f"far text {i} " * 3, bbox=(0, 2000 + 30 * i, 100, 20)) for i in range(200)]
    far_links = [N("link", f"far link {i}", id=100 + i, bbox=(0, 9000 + 30 * i, 100, 20)) for i in range(50)]
    root = N("RootWebArea", "", N("main", "", N("button", "Visible", id=1, bbox=(0, 10, 50, 20)),
                                  T("in view"), *far, *far_links, bbox=(0, 0, 1280, 12000)))
    out, c = run(budget, root, max_chars=2000, viewport=(1280, 720))
    t = text(out)
    assert len(t) <= 2000
    assert "[1] button 'Visible'" in t and "[100] link 'far link 0'" in t  # viewport first, then interactive
    assert all(f"far link {i}'" in t for i in range(50))
    assert "far text 199" not in t  # the rest only while room is left
    assert t.endswith("more lines not shown; scroll or use a more specific page")
    assert c.notes["cut_lines"] > 0
    same, _ = run(budget, root, max_chars=None)
    assert same is root


def test_prune_reports_every_stage_and_stages_toggle():
    root = N("RootWebArea", "", N("generic", "", N("generic", "", T("x"), N("link", "L", id=1))))
    _, report = prune(root, DEFAULT_STAGES, PruneContext())
    assert [r["stage"] for r in report] == [s.name for s in DEFAULT_STAGES]
    assert all({"removed_nodes", "removed_tokens", "ms"} <= r.keys() for r in report)
    assert report[0]["removed_nodes"] == 2
    _, report = prune(root, stages_without("drop_ignored", "budget"), PruneContext())
    assert "drop_ignored" not in [r["stage"] for r in report]
    with pytest.raises(ValueError):
        stages_without("nope")


def test_html_rendering_uses_the_same_ids():
    root = N("RootWebArea", "", N("navigation", "", N("link", "Home", id=1, tag="a", attrs={"href": "/"}, name_from_content=True)),
             N("textbox", "Email", id=2, tag="input", attrs={"type": "email"}, value="a@b.c"), T("plain"))
    html, ids = render_html(root)
    assert ids == [1, 2]
    assert '<a bid="1" href="/">Home</a>' in html and 'bid="2"' in html and "value=\"a@b.c\"" in html


def test_history_diff_and_acted_lines():
    prev = "[1] button 'Add'\n\tCart: 0 items\n[2] link 'Checkout'"
    cur = "[1] button 'Add'\n\tCart: 1 items\n[2] link 'Checkout'\n[3] button 'Undo'"
    d = diff(prev, cur)
    assert d.splitlines() == ["- Cart: 0 items", "+ Cart: 1 items", "+ [3] button 'Undo'"]
    assert diff(prev, prev) == ""
    assert diff("", "\n".join(f"line {i}" for i in range(50)), max_lines=5).endswith("... 45 more changed lines")
    assert acted_lines(cur, [3]) == ["[3] button 'Undo'"]


def test_crop_box_pads_keeps_minimum_and_stays_inside():
    assert crop_box((100, 100, 10, 10), 16, 96, (1280, 3000)) == (57, 57, 96, 96)
    x, y, w, h = crop_box((0, 0, 400, 40), 16, 96, (1280, 3000))
    assert x == 0 and y == 0 and w >= 400 and h >= 96


def test_dense_window_from_layout_and_edges():
    boxes = [((40, 2000 + 20 * i, 600, 16), 1.0) for i in range(30)] + [((10, 10, 50, 20), 2.0)]
    x, y, w, h = dense_window(boxes, (1280, 4000), (1280, 720))
    assert y <= 2000 and y + h >= 2000 + 20 * 29 and (w, h) == (1280, 720)
    img = Image.new("RGB", (800, 2000), "white")
    d = ImageDraw.Draw(img)
    for i in range(40):
        d.rectangle([20, 1300 + 12 * i, 700, 1306 + 12 * i], outline="black")
    x, y, w, h = edge_window(img, (800, 600))
    assert y <= 1300 and y + h >= 1300 + 12 * 39 - 100
    assert np.asarray(img).shape == (2000, 800, 3)


def test_text_dedupe_keeps_repeated_short_values_and_inlines_bold_words():
    root = N("RootWebArea", "",
             N("link", "Capitals", id=1), T("(12)"), N("link", "Countries", id=2), T("(12)"),
             T("The"), N("strong", "Bo River"), T("is a river"))
    out, _ = run(text_dedupe, root)
    # the walker joins inline runs; texts that reach this stage apart come from separate blocks and stay apart
    assert text(out) == "[1] link 'Capitals'\n(12)\n[2] link 'Countries'\n(12)\nThe\nBo River\nis a river"
