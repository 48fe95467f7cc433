"""Actions do what they say on pages no one here wrote, or fail with a typed error that says why (issue 10)."""

from __future__ import annotations

from tests.test_actions import do, find


async def test_partly_covered_click_lands_on_the_named_element(session, site):
    """repros/partly-covered-click.html: TWO covers most of ONE; the click must reach ONE, not TWO."""
    await session.goto(site.url + "/repros/partly-covered-click.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'ONE')}]", obs)
    assert r.ok, r.error
    assert await session.page.title() == "A"
    assert r.ms < 2000  # no 5 s wait for a forced retry


async def test_covered_clicks_land_or_name_the_cover(session, site):
    await session.goto(site.url + "/fidelity/covered.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'Half hidden')}]", obs)
    assert r.ok, r.error  # its lower half shows below the fixed header
    # a consent banner that arrives after the observation covers the button entirely
    await session.page.evaluate("document.body.append(document.getElementById('tpl').content.cloneNode(true))")
    r, _ = await do(session, f"click [{find(obs, 'button', 'Under banner')}]", obs)
    assert not r.ok and r.error_kind == "covered"
    assert "Cookie consent" in r.error and "dialog" in r.error, r.error
    r, _ = await do(session, f"click [{find(obs, 'button', 'Far below')}]", obs)
    assert r.ok, r.error  # scrolled into view first
    assert await session.page.title() == "covered half far"
    await session.page.evaluate("scrollTo(0, 0)")
    # in an iframe under a veil of the parent page: the cover is found in the parent
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'In frame')}]", obs)
    assert not r.ok and r.error_kind == "covered" and "frame veil" in r.error, r.error
    await session.page.evaluate("document.querySelector('div[style*=\"rgba\"]').remove()")
    r, _ = await do(session, f"click [{find(obs, 'button', 'In frame')}]", obs)
    assert r.ok, r.error
    assert (await session.page.title()).endswith("framed")


async def test_a_cover_that_appears_at_the_press_is_reported(session, site):
    """The press is verified: an element that jumps on top between aiming and pressing takes the click -> error."""
    await session.goto(site.url + "/repros/partly-covered-click.html")
    await session.page.evaluate("""document.getElementById('a').addEventListener('pointerover', () => {
        const b = document.getElementById('b'); b.style.left = '75px'; b.style.top = '60px';
        b.style.width = '60px'; b.style.height = '60px'; }, {once: true})""")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'ONE')}]", obs)
    assert not r.ok and r.error_kind == "covered" and "TWO" in r.error, r.error
