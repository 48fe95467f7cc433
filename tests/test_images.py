"""Images reach the model (--images none|screenshot|som|crops, task images), on the real fixture site with the
scripted OpenAI-compatible server standing in for the model: what each mode sends, within its budget, paired with
the right text; the judge and the world model get pictures when asked; text-only models fail in one line."""

from __future__ import annotations

import base64
import io
import json
import random
import re
from dataclasses import replace

import pytest
from PIL import Image
from webagent.observers import Observation, ObserveOptions
from webagent.observers.types import Crop

from testkit.doubles_search import SearchDouble, find_id, outcome_json, spread, verdict
from tests.fake_openai import FakeOpenAI
from tests.scripted import act
from webagent.agent import Agent, AgentConfig
from webagent.llm.openai_backend import OpenAIChat
from webagent.safety import Secrets
from webagent.vision import ImageBudget, Picture, Vision, fit, observe_options

MAGENTA = (255, 0, 255)


def image_parts(request: dict) -> list[tuple[str, dict]]:
    """(label, image part) for every image of a request's last user message."""
    content = request["messages"][-1]["content"]
    if isinstance(content, str):
        return []
    return [(content[i - 1].get("text", ""), p) for i, p in enumerate(content) if p["type"] == "image_url"]


def text_of(request: dict) -> str:
    content = request["messages"][-1]["content"]
    return content if isinstance(content, str) else "\n".join(p["text"] for p in content if p["type"] == "text")


def decode(part: dict) -> tuple[bytes, Image.Image]:
    url = part["image_url"]["url"]
    assert url.startswith("data:image/") and ";base64," in url
    data = base64.b64decode(url.split(",", 1)[1])
    img = Image.open(io.BytesIO(data))
    img.load()
    return data, img.convert("RGB")


async def run_mode(session, site, tmp_path, mode: str, secrets: Secrets | None = None, text: str = "hello"):
    """Two steps on the fixture's home page: type into 'Notes', then stop. Returns the requests and run dir."""
    replies = [act("type [{id}] [" + text.replace("{", "{{").replace("}", "}}") + "] [0]", "textbox", "Notes"),
               "stop [done]"]
    with FakeOpenAI(replies, image_tokens=85) as llm:
        model = OpenAIChat("vision-model", base_url=llm.base_url)
        agent = Agent(model, config=AgentConfig(max_steps=3, vision=Vision(mode)), secrets=secrets)
        res = await agent.run("Write a note", site.url + "/index.html", session, tmp_path / mode)
    assert res.status == "answered", res.reason
    return llm.requests, tmp_path / mode


async def test_mode_none_sends_text_only(session, site, tmp_path):
    reqs, _ = await run_mode(session, site, tmp_path, "none")
    assert len(reqs) == 2 and all(isinstance(r["messages"][-1]["content"], str) for r in reqs)
    assert "Images may follow the text" not in reqs[0]["messages"][0]["content"]  # no note on pictures


async def test_mode_screenshot_sends_one_bounded_viewport_image_per_call(session, site, tmp_path):
    reqs, run_dir = await run_mode(session, site, tmp_path, "screenshot")
    budget = ImageBudget()
    for r in reqs:
        parts = image_parts(r)
        assert len(parts) == 1 and "screenshot of the viewport" in parts[0][0]
        data, img = decode(parts[0][1])
        assert img.size == (1280, 720) and img.width * img.height <= budget.max_pixels
        assert 5_000 < len(data) <= budget.max_bytes
        assert "Images may follow the text" in r["messages"][0]["content"]
    lines = [json.loads(x) for x in (run_dir / "trajectory.jsonl").read_text().splitlines()]
    raw = (run_dir / "trajectory.jsonl").read_text()
    assert "base64" not in raw  # prompts reference stored files
    call = lines[1]["llm_calls"][0]
    assert len(call["images"]) == 1 and (run_dir / call["images"][0]["file"]).exists()
    assert call["messages"][-1]["content"][2]["image_url"]["url"] == call["images"][0]["file"]
    footer = next(x for x in lines if x["type"] == "footer")
    assert footer["usage"]["image_tokens"] == 85 * 2  # as the server reported it
    assert footer["images"]["image_bytes"] > 10_000 and footer["images"]["image_tokens_est"] == 2 * 1105  # 85 + 170 x 6 tiles
    from webagent.trajectory import load
    from webagent.view import render_run_html
    html = render_run_html(load(run_dir))
    assert "Images sent (1" in html and call["images"][0]["file"] in html


async def test_mode_som_draws_the_ids_of_the_text(session, site, tmp_path):
    reqs, _ = await run_mode(session, site, tmp_path, "som")
    for r in reqs:
        parts = image_parts(r)
        assert len(parts) == 1 and "set-of-marks" in parts[0][0]
    # the ids drawn are exactly the text's ids of the elements inside the viewport, each tag at its element
    await session.goto(site.url + "/index.html")
    obs = await session.observe(replace(observe_options("som", ObserveOptions()), screenshot_format="png"))
    text_ids = [int(i) for i in re.findall(r"\[(\d+)\]", obs.text)]
    drawn = obs.stats["som_ids"]
    in_view = [i for i in text_ids if (b := obs.elements[i].bbox) and b[2] * b[3] >= 20
               and b[0] < 1280 and b[1] < 720 and b[0] + b[2] > 0 and b[1] + b[3] > 0]
    assert drawn and sorted(drawn) == sorted(in_view) and set(drawn) <= set(text_ids)
    marked = Image.open(io.BytesIO(obs.marked_screenshot)).convert("RGB")
    from webagent.observers.screenshots import _COLORS
    colours = {tuple(int(c[k:k + 2], 16) for k in (1, 3, 5)) for c in _COLORS}
    hits = 0
    for i in drawn:
        x, y, _w, _h = obs.elements[i].bbox
        ty = y - 12 if y >= 12 else y
        hits += marked.getpixel((x + 1, ty + 1)) in colours
    assert hits >= 0.8 * len(drawn)  # a later tag may cover an earlier one's corner


async def test_mode_crops_pairs_each_crop_with_its_line_and_masks_secrets(session, site, tmp_path):
    secrets = Secrets.parse(["PW=hunter2-secret"])
    reqs, run_dir = await run_mode(session, site, tmp_path, "crops", secrets, text="{{PW}}")
    first, second = (image_parts(r) for r in reqs)
    assert any("information-dense region" in label for label, _ in first)  # a tall page
    assert len(first) <= ImageBudget().max_images and len(second) <= ImageBudget().max_images
    notes = [(label, p) for label, p in second if "textbox 'Notes'" in label]
    assert notes, [label for label, _ in second]  # the element the previous step acted on
    label, part = notes[0]
    m = re.match(r"IMAGE: crop of element \[(\d+)\]: (.*)$", label)
    assert m and f"[{m.group(1)}]" in m.group(2)
    assert m.group(2) in text_of(reqs[1])  # the very line of the text the model reads
    _, img = decode(part)
    assert 96 <= img.width <= 768 and 96 <= img.height <= 768
    assert part["image_url"]["detail"] == ("low" if max(img.size) <= 512 else "auto")  # same pixels, 85 tokens
    px = img.getpixel((img.width // 2, img.height // 2))  # the field holds the secret: painted over
    assert all(abs(a - b) <= 40 for a, b in zip(px, MAGENTA, strict=True)), px
    for label, _ in second:
        if label.startswith("IMAGE: crop of element"):
            i = re.match(r"IMAGE: crop of element \[(\d+)\]", label).group(1)
            assert re.search(rf"\[{i}\]", label.split(":", 2)[2])  # every crop's line is its own element's
    assert "hunter2-secret" not in json.dumps(reqs)


def test_budget_caps_count_pixels_and_bytes():
    rng = random.Random(12)
    noisy = []
    for k in range(9):  # noise compresses badly: the byte budget has to bite
        img = Image.frombytes("RGB", (900, 700), bytes(rng.getrandbits(8) for _ in range(900 * 700 * 3)))
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        noisy.append(Picture(buf.getvalue(), f"IMAGE {k}", "crop", k))
    budget = ImageBudget(max_images=4, max_pixels=400 * 300, max_bytes=200_000)
    kept, dropped = fit(noisy, budget)
    assert 1 <= len(kept) <= 4 and dropped == 9 - len(kept)
    assert [p.id for p in kept] == list(range(len(kept)))  # the first ones, in order
    assert sum(len(p.data) for p in kept) <= budget.max_bytes
    assert all(p.size[0] * p.size[1] <= budget.max_pixels for p in kept)


def test_comparative_judge_sees_the_crops_of_the_states_compared():
    from webagent.search.value import ValueFunction

    def obs_with(colour: tuple[int, int, int], n: int) -> Observation:
        buf = io.BytesIO()
        Image.new("RGB", (120, 100), colour).save(buf, format="PNG")
        crop = Crop(n, "element", (0, 0, 120, 100), f"[{n}] button 'B{n}'", buf.getvalue(), "png")
        return Observation(f"[{n}] button 'B{n}'", {}, f"http://x/{n}", "t", crops=[crop])
    options = [{"action": f"click [{n}]", "url": f"http://x/{n}", "page": "p", "obs": obs_with(c, n)}
               for n, c in ((1, (255, 0, 0)), (2, (0, 0, 255)))]
    captured = {}

    class Capture:
        async def complete(self, messages, **kw):
            from webagent.llm.base import Completion
            captured["messages"] = messages
            return Completion(["OPTION 1: 1\nOPTION 2: 0"])
    vf = ValueFunction(samples=1, images="crops")
    import asyncio
    asyncio.run(vf.compare(Capture(), "task", [], obs_with((0, 0, 0), 9), options, random.Random(0)))
    parts = image_parts({"messages": captured["messages"]})
    labels = [label for label, _ in parts]
    assert len(parts) == 2 and {label.split(":")[0] for label in labels} == {"OPTION 1", "OPTION 2"}
    text = text_of({"messages": captured["messages"]})
    for label, part in parts:  # option k's picture is the page option k led to
        k = label.split(":")[0].split()[1]
        action = re.search(rf"^OPTION {k}:\n<<<PAGE \S+\nACTION click \[(\d+)\]", text, re.M).group(1)
        _, img = decode(part)
        assert img.getpixel((5, 5)) == ((255, 0, 0) if action == "1" else (0, 0, 255))


def policy(prompt, n, rng):
    return spread(n, [(2, f"click [{find_id(prompt, 'button', 'Press me')}]"),
                      (1, f"click [{find_id(prompt, 'link', 'About us')}]")])


async def test_world_model_and_judge_receive_images_when_asked(session, site):
    from webagent.search.world_model import WorldModelPlanner

    from webagent.llm.metered import MeteredChat
    from webagent.planner import PlanContext
    from webagent.policy import Policy
    for mode in ("crops", "screenshot"):
        await session.goto(site.url + "/index.html")
        opts = observe_options(mode, ObserveOptions())
        obs = await session.observe(opts)
        double = SearchDouble(policy, lambda p, n, r: [verdict(False, True)] * n,
                              lambda p, n, r: [outcome_json("", "something changes")] * n)
        vision = Vision(mode)
        plan = await WorldModelPlanner(branching=2, value_samples=1).choose(
            PlanContext("Press the button", obs, [], Policy(MeteredChat(double), vision=vision), session,
                        observe=opts))
        assert len(plan.tree["candidates"]) == 2
        wm = [c for c in double.calls if c["kind"] == "world_model"]
        judged = [c for c in double.calls if c["kind"] == "value"]
        assert len(wm) == 2 and len(judged) == 2
        for c in wm + judged:
            assert c["images"], (mode, c["kind"])
            if mode == "screenshot":
                assert c["images"] == ["IMAGE: screenshot of the viewport"]
            else:  # the candidate's own target, cropped, with its line
                action_id = re.search(r"^ACTION: click \[(\d+)\]", c["prompt"], re.M)
                action_id = action_id or re.search(r"^PROPOSED ACTION.*: click \[(\d+)\]", c["prompt"], re.M)
                assert f"crop of the action's target [{action_id.group(1)}]" in c["images"][0]
        assert all(c["images"] for c in double.calls if c["kind"] == "policy")
    # the hybrid's world model, pruning the root's candidates, sees each candidate's target cropped too
    from webagent.search import Budget
    from webagent.search.hybrid import HybridPlanner
    await session.goto(site.url + "/index.html")
    opts = observe_options("crops", ObserveOptions())
    obs = await session.observe(opts)
    double = SearchDouble(policy, lambda p, n, r: [verdict(False, True)] * n,
                          lambda p, n, r: [outcome_json("", "something changes")] * n)
    await HybridPlanner(branching=2, depth=1, top_k=1, value_samples=1, budget=Budget(nodes=2)).choose(
        PlanContext("Press the button", obs, [], Policy(MeteredChat(double), vision=Vision("crops")), session,
                    observe=opts))
    wm = [c for c in double.calls if c["kind"] == "world_model"]
    assert len(wm) == 2 and all("crop of the action's target" in c["images"][0] for c in wm)


def test_vision_with_a_text_only_model_fails_in_one_line(site, tmp_path, capsys, monkeypatch):
    from webagent.cli import main
    for var in ("WEBAGENT_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    # the embedded model: refused before anything runs
    assert main(["run", "--task", "t", "--url", site.url + "/index.html", "--images", "som",
                 "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--images som" in err and "text-only" in err
    # an endpoint that rejects image parts: the 400 of the first call, as one typed line
    with FakeOpenAI(["stop [x]"], reject_images=True) as llm:
        code = main(["run", "--task", "t", "--url", site.url + "/index.html", "--images", "screenshot",
                     "--model", "text-model", "--base-url", llm.base_url, "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "rejected a request with image parts" in err and "--images none" in err
    assert len(llm.requests) == 1  # no retry, no silent fallback to text


def test_task_images_reach_the_model_from_the_cli_and_from_a_visualwebarena_task(site, tmp_path, capsys):
    from webagent.cli import main
    pic = tmp_path / "pic.png"
    Image.new("RGB", (64, 48), (10, 200, 30)).save(pic)
    with FakeOpenAI(["stop [green]"]) as llm:
        assert main(["run", "--task", "What colour is the picture?", "--url", site.url + "/about.html",
                     "--image", str(pic), "--model", "vision-model", "--base-url", llm.base_url,
                     "--out", str(tmp_path / "run")]) == 0
    parts = image_parts(llm.requests[0])
    assert len(parts) == 1 and parts[0][0].startswith("TASK IMAGE 1")
    assert decode(parts[0][1])[0] == pic.read_bytes()
    with pytest.raises(SystemExit):
        main(["run", "--task", "t", "--url", site.url, "--images", "everything"])
    capsys.readouterr()
    assert main(["run", "--task", "t", "--url", site.url, "--image", str(tmp_path / "missing.png"),
                 "--model", "m", "--base-url", "http://127.0.0.1:9/v1"]) == 2
    assert "cannot read task image" in capsys.readouterr().err
    # a VisualWebArena-style task whose `image` is a path next to the task file, run by the bench
    from webagent.tasks.runner import BenchConfig, run_bench

    from webagent.runconfig import ModelSettings, RunConfig
    task = {"task_id": "vwa-1", "sites": [], "start_url": site.url + "/about.html", "intent": "What colour?",
            "image": "pic.png", "eval": {"eval_types": ["string_match"],
                                         "reference_answers": {"must_include": ["green"]}}}
    (tmp_path / "vwa.json").write_text(json.dumps([task]))
    with FakeOpenAI(["stop [green]"]) as llm:
        _, summary = run_bench(BenchConfig(suite=str(tmp_path / "vwa.json"), out=str(tmp_path / "bench"),
                                           run=RunConfig(model=ModelSettings("vision-model", llm.base_url))),
                               print_fn=lambda s: None)
    parts = image_parts(llm.requests[0])
    assert len(parts) == 1 and decode(parts[0][1])[0] == pic.read_bytes()


def test_python_api_images_reach_the_model_and_bad_images_are_one_line_errors(site, tmp_path):
    from webagent.agent import run_task_sync
    from webagent.browser import BrowserConfig
    from webagent.errors import BadInput
    from webagent.vision import load_images
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 20, 20)).save(buf, format="BMP")  # a format the APIs do not take
    with FakeOpenAI(["stop [red]"]) as llm:
        res = run_task_sync("What colour?", site.url + "/about.html", OpenAIChat("v", base_url=llm.base_url),
                            images=[buf.getvalue()], image_mode="screenshot", run_dir=tmp_path / "api",
                            browser=BrowserConfig(allowed_domains=["127.0.0.1"]))
    assert res.answer == "red"
    labels = [label for label, _ in image_parts(llm.requests[0])]
    assert labels[0].startswith("TASK IMAGE 1") and "screenshot of the viewport" in labels[1]
    data, img = decode(image_parts(llm.requests[0])[0][1])
    assert data[:4] == b"\x89PNG" and img.getpixel((5, 5)) == (200, 20, 20)  # converted to PNG, pixels kept
    with pytest.raises(BadInput, match="not an image"):
        load_images([b"not an image at all"])
