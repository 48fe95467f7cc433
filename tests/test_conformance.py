"""The conformance corpus (issue 10, section 6): on each page of tests/pages/conformance/ the observation shows what a
person reads (names, roles, states) and a scripted decision that reads only the observation's text completes the
page's task through `execute`, checked by the page's own success signal (`window.__done`).

The decisions are scripted (they know each task): they prove that every needed target is observable with an id and
that the actions do what they say, not that a model would find its way. One browser, one context and one loopback
server for the whole module; each case navigates to its page."""

from __future__ import annotations

import pytest
import pytest_asyncio
from webagent.observers import ObserveOptions

from testkit.conformance import CASES, PAGES, find_id, holds, run_case, serve

OPTS = ObserveOptions(screenshot=False)


@pytest.fixture(scope="module")
def base():
    with serve() as url:
        yield url


@pytest_asyncio.fixture(scope="module")
async def conf_session(browser_session):
    await browser_session.new_context()
    return browser_session


def test_corpus_covers_the_widget_families():
    pages = {p.name for p in PAGES.glob("*.html") if not p.name.startswith("_")}
    assert len(pages) >= 40 and pages == {c.page for c in CASES}, sorted(pages ^ {c.page for c in CASES})
    for family in ("tree", "menubar", "combobox", "listbox", "tabs", "dialog", "disclosure", "accordion", "slider",
                   "spinbutton", "grid", "toolbar", "switch", "radio", "carousel", "datepicker", "icon-background",
                   "icon-font", "icon-svg", "hover-cursor", "clickable-rows", "infinite-scroll", "load-more",
                   "contenteditable", "div-dropdown", "sticky-header", "cookie-banner", "modal", "shadow", "iframe"):
        assert any(family in p for p in pages), family


def test_fact_and_target_reading_can_fail():
    """The checker the corpus relies on: a missing state, a wrong name, an id-less line or a forbidden state fail."""
    text = "\n".join(["heading 'Orders'", "\t[4] tab 'Billing' selected focused", "\ttab 'Plain'",
                      "\t[7] row | [8] generic 'Star order' | Order 1002 | [9] link 'Invoice' |",
                      "\t[10] checkbox 'Select all' checked=mixed", "\t[11] slider 'Volume' value='70'"])
    assert holds(text, "#tab 'Billing' selected -disabled")
    assert not holds(text, "#tab 'Billing' disabled") and not holds(text, "#tab 'Billing' -focused")
    assert not holds(text, "#tab 'Plain'") and holds(text, "tab 'Plain'") and holds(text, "!#tab 'Plain'")
    assert not holds(text, "#tab 'Bill'") and holds(text, "#link 'Invoice'") and not holds(text, "#link 'Invoice' selected")
    assert holds(text, "#checkbox 'Select all' checked=mixed") and not holds(text, "#checkbox 'Select all' -checked")
    assert holds(text, "#slider 'Volume' value='70'") and not holds(text, "#slider 'Volume' value='7'")
    assert holds(text, "~Order 1002") and not holds(text, "!~Order 1002")
    assert find_id(text, "generic", "Star order", near="Order 1002") == 8
    assert find_id(text, "row", None, near="Order 1002") == 7
    assert find_id(text, "tab", "Plain") is None and find_id(text, "link", "Invoice", near="nowhere") is None


@pytest.mark.parametrize("case", CASES, ids=[c.page.removesuffix(".html") for c in CASES])
async def test_conformance_page(conf_session, base, case):
    res = await run_case(conf_session, base, case, OPTS)
    problems = res.facts_failed + res.steps_failed + ([] if res.done else ["the page's success signal is not set"])
    assert not problems, f"{case.page} ({case.task}):\n  " + "\n  ".join(problems) + f"\n--- last observation\n{res.last_text}"
    assert res.targets_found == res.targets
