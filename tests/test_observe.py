"""The observer on real pages: ids on everything actionable, frames, shadow DOM, stable ids, states."""

from __future__ import annotations

import re

from tests.scripted import id_of


def ids_by_name(obs):
    return {(e.role, e.name): e.id for e in obs.elements.values()}


async def test_every_actionable_element_has_an_id(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    names = ids_by_name(obs)
    for key in [("link", "Order form"), ("button", "Press me"), ("generic", "Clickable span"),
                ("generic", "Card without role"), ("combobox", "Colour"), ("checkbox", "I agree"),
                ("textbox", "Notes"), ("button", "Shadow button"), ("button", "Cannot press")]:
        assert key in names, f"{key} missing from\n{obs.text}"
    # iframes: same-origin and cross-origin content both appear, with ids, under their frame
    frame_buttons = [e for e in obs.elements.values() if e.name == "Frame button"]
    assert len(frame_buttons) == 2
    assert {e.frame for e in frame_buttons} == {"0", "1"}
    assert any("localhost" in e.frame_url for e in frame_buttons)
    assert re.search(r"\[\d+\] button 'Cannot press' disabled", obs.text)
    # elements of the hidden submenu are not shown
    assert ("link", "Hidden about") not in names
    assert obs.screenshot and obs.screenshot[:2] == b"\xff\xd8"
    assert obs.tabs and obs.tabs[0].active


async def test_ids_are_stable_across_steps_and_changes(session, site):
    await session.goto(site.url + "/index.html")
    first = await session.observe()
    pid = id_of(first.text, "button", "Press me")
    await session.page.evaluate("document.body.insertAdjacentHTML('afterbegin', '<button>New first</button>')")
    second = await session.observe()
    assert id_of(second.text, "button", "Press me") == pid
    assert ids_by_name(second)[("link", "Order form")] == ids_by_name(first)[("link", "Order form")]
    assert id_of(second.text, "button", "New first") not in first.elements


async def test_states_values_and_focus(session, site):
    await session.goto(site.url + "/index.html")
    page = session.page
    await page.check("#agree")
    await page.select_option("#colour", "Green")
    await page.fill("#notes", "hello")
    await page.focus("#notes")
    obs = await session.observe()
    assert re.search(r"checkbox 'I agree' checked", obs.text)
    assert re.search(r"combobox 'Colour' value='Green'", obs.text)
    assert re.search(r"textbox 'Notes' value='hello' focused", obs.text)
    assert obs.focused == ids_by_name(obs)[("textbox", "Notes")]


async def test_bounding_boxes_are_in_viewport_coordinates(session, site):
    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    frame_btn = next(e for e in obs.elements.values() if e.name == "Frame button" and e.frame == "0")
    iframe = next(e for e in obs.elements.values() if e.role == "iframe" and e.name == "Same origin frame")
    x, y, w, h = frame_btn.bbox
    ix, iy, iw, ih = iframe.bbox
    assert ix <= x < ix + iw and iy <= y < iy + ih


async def test_heavy_page_observation(session, site):
    await session.goto(site.url + "/heavy?n=3000")
    obs = await session.observe()
    assert obs.stats["elements_total"] >= 3000
    assert len(obs.text) <= 24_100
    assert "more lines not shown" in obs.text
    shown = {int(m) for m in re.findall(r"\[(\d+)\]", obs.text)}
    assert shown == set(obs.elements)


async def test_off_page_elements_get_no_id(session, site):
    await session.goto(site.url + "/index.html")
    await session.page.evaluate("""document.body.insertAdjacentHTML('afterbegin',
        '<a href="#main" style="position:absolute;left:-9999px">Skip to Content</a>')""")
    obs = await session.observe()
    assert not any(e.name == "Skip to Content" for e in obs.elements.values())
