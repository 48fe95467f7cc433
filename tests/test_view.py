"""`webagent view`: the HTML report opened in a real Chromium, with hostile page content and a search tree."""

from __future__ import annotations

import json
import shutil

from webagent.search import Plan, ReactivePlanner

from tests.scripted import ScriptedChat, act
from webagent.agent import Agent, AgentConfig
from webagent.view import render_path

EVIL = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"


class TreePlanner(ReactivePlanner):
    """The reactive planner, plus a small search tree in every plan (as a search planner would record)."""

    name = "tree-test"

    async def choose(self, ctx):
        plan: Plan = await super().choose(ctx)
        plan.tree = {"action": "root", "value": 0.5, "children": [
            {"action": str(plan.actions[0]), "value": 1.0, "votes": 3, "chosen": True,
             "children": [{"action": "stop [x]", "value": 0.0, "imagined": EVIL}]},
            {"action": "scroll [down]", "value": 0.25, "votes": 1}]}
        return plan


async def _record(session, site, run_dir):
    model = ScriptedChat([
        act("click [{id}]", "link", "Order form"),
        act("type [{id}] [" + EVIL.replace("[", "(").replace("]", ")") + "] [0]", "textbox", "Your name"),
        "I am done. " + EVIL + "\n```stop [" + EVIL.replace("[", "(").replace("]", ")") + "]```",
    ])
    agent = Agent(model, TreePlanner(), AgentConfig(max_steps=5))
    return await agent.run("Fill the order form <b>now</b>", site.url + "/index.html", session, run_dir,
                           {"task_id": "demo-1"})


async def test_view_is_self_contained_escaped_and_reads_well_in_chromium(session, site, tmp_path):
    result = await _record(session, site, tmp_path / "runs" / "run")
    assert result.status == "answered", result.reason
    out = render_path(tmp_path / "runs" / "run")
    assert out.name == "view.html"
    # self-contained: move the file away from its run directory and it still shows everything
    moved = tmp_path / "elsewhere" / "report.html"
    moved.parent.mkdir()
    shutil.move(out, moved)
    shutil.rmtree(tmp_path / "runs")
    text = moved.read_text()
    assert "<script>" not in text and "onerror=\"window" not in text and "&lt;script&gt;" in text
    ctx = await session._browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = await ctx.new_page()
        dialogs = []
        page.on("dialog", lambda d: dialogs.append(d))
        await page.goto(moved.as_uri())
        assert await page.title() == "webagent run: Fill the order form <b>now</b>"
        assert await page.locator("h1").inner_text() == "Fill the order form <b>now</b>"
        assert await page.evaluate("window.__pwned") is None and not dialogs
        steps = page.locator("section.step")
        assert await steps.count() == 3
        assert "click [" in await steps.nth(0).locator("h2").inner_text()
        # every screenshot and the target crops are inlined and decode
        imgs = page.locator("img")
        assert await imgs.count() >= 5
        for i in range(await imgs.count()):
            src = await imgs.nth(i).get_attribute("src")
            assert src.startswith("data:image/")
            assert await imgs.nth(i).evaluate("i => i.complete && i.naturalWidth > 0")
        assert await page.locator(".shot .box").count() >= 2  # the target drawn on the screenshot
        # the observation is collapsed until opened; the prompt and model output are there
        obs = steps.nth(0).locator("details").first
        assert await obs.get_attribute("open") is None
        assert "link 'Order form'" in await obs.locator("pre").text_content()
        assert not await obs.locator("pre").is_visible()
        await obs.locator("summary").click()
        assert await obs.locator("pre").is_visible()
        assert "untrusted" in await steps.nth(0).locator("details", has_text="Prompt").text_content()
        assert "I am done. <script>" in await steps.nth(2).inner_text()
        # the answer, tokens and the search tree as nested lists with the chosen node marked
        assert "<script>window.__pwned = 1</script>" in await page.locator("dl.kv").inner_text()
        assert "tokens" in await steps.nth(0).locator(".meta").nth(1).inner_text()
        tree = steps.nth(0).locator(".treebox")
        assert await tree.locator("ul.tree ul.tree li").count() >= 1
        assert await tree.locator(".node.chosen").count() == 1
        assert "imagined" in await tree.inner_text()
        await page.screenshot(path=str(tmp_path / "view.png"), full_page=False)
        assert (tmp_path / "view.png").stat().st_size > 20_000
    finally:
        await ctx.close()


async def test_benchmark_directory_renders_an_index_linking_each_run(session, site, tmp_path):
    bench = tmp_path / "bench"
    await _record(session, site, bench / "demo-1")
    shutil.copytree(bench / "demo-1", bench / "demo-2")
    (bench / "results.jsonl").write_text(
        json.dumps({"task_id": "demo-1", "site": "fixture", "score": 1.0, "status": "answered", "steps": 3,
                    "run_dir": str(bench / "demo-1")}) + "\n"
        + json.dumps({"task_id": "demo-2", "site": "fixture", "score": 0.0, "status": "answered",
                      "trajectory": str(bench / "demo-2" / "trajectory.jsonl"), "intent": "<i>x</i>"}) + "\n")
    index = render_path(bench)
    assert index.name == "index.html" and (bench / "demo-1" / "view.html").exists()
    ctx = await session._browser.new_context()
    try:
        page = await ctx.new_page()
        await page.goto(index.as_uri())
        rows = page.locator("table tr")
        assert await rows.count() == 3
        assert "1/2 scored tasks succeeded" in await page.locator("header").inner_text()
        assert "<i>x</i>" in await rows.nth(2).inner_text()
        await rows.nth(2).locator("a").click()
        await page.wait_for_load_state()
        assert page.url.endswith("demo-2/view.html")
        assert await page.locator("section.step").count() == 3
    finally:
        await ctx.close()
