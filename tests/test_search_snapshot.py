"""Snapshot restore on the real shop: verified by the state key; the prefix replay only when the key differs."""

from __future__ import annotations

import pytest
from webagent.observers import ObserveOptions
from webagent.search.snapshot import PathStep, replay_path, restore, state_key, take_snapshot, target_for

from webagent.actions import Action
from webagent.executor import execute

OPTS = ObserveOptions(screenshot=False)


@pytest.fixture(scope="module")
def shop():
    from webagent.tasks.sites.server import SiteServer
    with SiteServer("shop") as s:
        yield s


async def test_restore_brings_back_url_form_values_and_scroll_checked_by_hash(session, shop):
    await session.goto(shop.url + "/category/electronics")
    obs = await session.observe(OPTS)
    box = next(e for e in obs.elements.values() if e.role == "searchbox")
    await execute(session, obs, Action("type", box.id, "usb cable"))
    await session.page.evaluate("scrollTo(0, 600)")
    obs = await session.observe(OPTS)
    assert "usb cable" in obs.text
    snap = await take_snapshot(session, obs)
    assert snap.forms and snap.scroll[1] > 0

    await session.goto(shop.url + "/cms/about-us")
    res = await restore(session, snap, snap, OPTS, current_key=state_key(await session.observe(OPTS)))
    assert res.method == "restore" and res.key == snap.key
    assert "usb cable" in res.obs.text
    assert await session.page.evaluate("scrollY") > 0
    # already there: nothing to do
    again = await restore(session, snap, snap, OPTS, current_key=res.key)
    assert again.method == "current"


async def test_replay_fallback_when_the_restored_state_differs(session, shop):
    """A one-shot flash message cannot come back from a URL and cookies: restore sees another key and replays."""
    await session.goto(shop.url + "/")
    root_obs = await session.observe(OPTS)
    root = await take_snapshot(session, root_obs)
    action = Action("goto", url=shop.url + "/customer/account/logout/")
    await execute(session, root_obs, action)
    obs = await session.observe(OPTS)
    assert "You are signed out." in obs.text
    snap = await take_snapshot(session, obs, [PathStep(action, None)])

    await session.goto(shop.url + "/cms/faq")
    res = await restore(session, snap, root, OPTS, current_key=None)
    assert res.method == "replay" and res.key == snap.key and "You are signed out." in res.obs.text

    # with replay disallowed the mismatch is reported, never hidden
    res = await restore(session, snap, root, OPTS, allow_replay=False)
    assert res.method == "replay-mismatch" and not res.matched


async def test_replay_rebinds_element_actions_by_role_and_name(session, shop):
    await session.goto(shop.url + "/")
    obs = await session.observe(OPTS)
    root = await take_snapshot(session, obs)
    link = next(e for e in obs.elements.values() if e.role == "link" and e.name == "Electronics")
    act = Action("click", link.id)
    path = [PathStep(act, target_for(obs, act))]
    out = await replay_path(session, root, path, OPTS)  # a fresh context: every id is new
    assert out.url.endswith("/category/electronics") and link.id not in out.elements
