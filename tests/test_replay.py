"""Replay of recorded runs on the bundled shop: reproduction, a label changed on the site, recorded LLM, HAR."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from webagent.tasks.environment import sites_used
from webagent.tasks.sites.server import SiteServer

from tests.scripted import ScriptedChat, act
from webagent.agent import AgentConfig, run_task
from webagent.replay import DIVERGED, MATCHED, replay
from webagent.trajectory import load

PRODUCT = "Ostara Smart Headphones"


def shop_script() -> list:
    return [
        act("type [{id}] [headphones] [1]", "searchbox", "Search"),
        act("click [{id}]", "link", PRODUCT),
        act("select [{id}] [Beige]", "combobox", "Color"),
        act("click [{id}]", "button", "Add to Cart"),
        "The cart has it.\n```stop [added]```",
    ]


@pytest.fixture(scope="module")
def shop():
    with SiteServer("shop") as s:
        yield s


async def record(shop, run_dir, har=False):
    return await run_task("Add the Ostara Smart Headphones in beige to the cart", shop.url + "/",
                          ScriptedChat(shop_script()), config=AgentConfig(max_steps=8), run_dir=run_dir,
                          task_meta={"site": "shop", "site_urls": {"shop": shop.url}}, har=har)


async def test_replay_reproduces_a_recorded_run_on_a_fresh_site(shop, tmp_path):
    shop.reset()
    result = await record(shop, tmp_path / "run")
    assert result.status == "answered", result.reason
    traj = load(tmp_path / "run")
    assert [s.action.split()[0] for s in traj.steps] == ["type", "click", "select", "click", "stop"]
    assert sites_used(traj) == {"shop": shop.url}
    # replay starts its own shop on another port from the seed and maps the recorded URLs to it
    seen = []
    report = await replay(tmp_path / "run", on_step=seen.append)
    assert report.outcome_matches, (report.outcome_detail, [s.to_dict() for s in report.steps])
    assert [s.status for s in report.steps] == [MATCHED] * 5
    assert [s.resolved_by for s in report.steps] == ["role+name"] * 4 + [None]
    assert len(seen) == 5 and any("started from its seed state" in n for n in report.notices)
    new_origin = report.replayed["final_url"].split("/", 3)[:3]
    assert new_origin != shop.url.split("/")[:3]  # another server ...
    assert report.recorded["final_url"] == report.replayed["final_url"]  # ... with the recorded URLs mapped to it


async def test_label_change_is_reported_at_the_step_that_uses_it(shop, tmp_path):
    shop.reset()
    await record(shop, tmp_path / "run")
    shop.reset()
    db = sqlite3.connect(shop.db_path)
    db.execute("UPDATE products SET name = ? WHERE name = ?", (PRODUCT + " Pro", PRODUCT))
    db.commit()
    db.close()
    try:
        report = await replay(tmp_path / "run", sites={"shop": shop}, reset=False)
    finally:
        shop.reset()
    first = report.first_divergence
    assert first is not None and first.step == 2, [s.to_dict() for s in report.steps]
    assert "no link named 'Ostara Smart Headphones'" in first.detail and "Pro" in first.detail
    assert first.resolved_by == "selector"
    assert "+" in first.diff and "Ostara Smart Headphones Pro" in first.diff
    assert report.steps[0].status != DIVERGED
    assert not report.outcome_matches and "diverged at step(s) 2" in report.outcome_detail


async def test_recorded_llm_rerun_reproduces_exactly_and_cli_exit_status(shop, tmp_path):
    shop.reset()
    await record(shop, tmp_path / "run")
    report = await replay(tmp_path / "run", llm="recorded", out=tmp_path / "again")
    assert report.outcome_matches, (report.outcome_detail, [s.to_dict() for s in report.steps])
    assert [s.status for s in report.steps] == [MATCHED] * 5
    again = load(tmp_path / "again")
    assert [s.action for s in again.steps] == [s.action for s in load(tmp_path / "run").steps]
    assert again.header.config["model"].startswith("recorded")
    # the command line: per-step lines and exit status 0
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    proc = subprocess.run([sys.executable, "-m", "webagent", "replay", str(tmp_path / "run")], capture_output=True,
                          text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("matched") >= 5 and "outcome matches the recording" in proc.stdout


async def test_har_replay_serves_the_recorded_pages_without_the_site(tmp_path):
    with SiteServer("shop") as own:
        result = await record(own, tmp_path / "run", har=True)
    assert result.status == "answered"
    assert (tmp_path / "run" / "network.har").stat().st_size > 10_000
    # the site is gone: every page comes from the HAR, and anything else is aborted
    report = await replay(tmp_path / "run", har=True)
    assert report.outcome_matches, (report.outcome_detail, [s.to_dict() for s in report.steps])
    assert [s.status for s in report.steps] == [MATCHED] * 5
    assert any("network.har" in n for n in report.notices)


# Replaying every gold trajectory of the suite is in tests/test_gold_suite.py, which records each gold run once
# and replays it right after (no second recording).
