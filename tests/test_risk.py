"""Risk classes on real shop pages: labels, form methods and Enter in a form."""

from __future__ import annotations

import pytest
from webagent.observers import ObserveOptions

from webagent.actions import Action
from webagent.risk import IRREVERSIBLE, READ, REVERSIBLE, classify

OPTS = ObserveOptions(screenshot=False)


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


def el(obs, role, name):
    return next(e for e in obs.elements.values() if e.role == role and e.name == name)


async def test_actions_are_classed_by_label_form_method_and_verb(session, shop):
    await session.goto(shop.url + "/product/norvik-ultraslim-desktop-pc")
    obs = await session.observe(OPTS)
    search_box, search_btn = el(obs, "searchbox", "Search"), el(obs, "button", "Search")
    cases = [
        (Action("click", el(obs, "button", "Add to Cart").id), IRREVERSIBLE),   # submits a POST form
        (Action("click", search_btn.id), READ),                                  # submits a GET form
        (Action("type", search_box.id, "lamp", True), READ),                     # Enter in a GET form
        (Action("type", search_box.id, "lamp", False), REVERSIBLE),              # a form value only
        (Action("click", el(obs, "link", "Electronics").id), READ),
        (Action("scroll", direction="down"), READ),
        (Action("goto", url=shop.url + "/"), READ),
        (Action("press", key="Enter"), IRREVERSIBLE),                            # could submit anything
    ]
    for action, want in cases:
        got, reason = await classify(action, obs)
        assert got == want, (str(action), got, reason)

    await session.goto(shop.url + "/contact/")
    obs = await session.observe(OPTS)
    name_box = next(e for e in obs.elements.values() if e.role == "textbox")
    assert (await classify(Action("type", name_box.id, "x", True), obs))[0] == IRREVERSIBLE  # Enter in a POST form
    submit = next(e for e in obs.elements.values() if e.role == "button" and e.name != "Search")
    assert (await classify(Action("click", submit.id), obs))[0] == IRREVERSIBLE
