"""Showing that a slow model is working, and the settings the embedded model gets by default."""

from __future__ import annotations

import argparse
import io

from webagent.observers import Observation

from webagent.llm.config import is_embedded
from webagent.llm.progress import ModelProgress, ProgressTicker
from webagent.policy import StepSummary, build_messages
from webagent.runconfig import add_run_flags, config_from_args


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_ticker_redraws_a_status_line_on_a_terminal_and_clears_it() -> None:
    progress, out = ModelProgress(), FakeTTY()
    ticker = ProgressTicker(out, after=0.0, progress=progress)
    ticker.tick()
    assert out.getvalue() == ""  # no call in flight
    progress.begin("policy")
    for _ in range(3):
        progress.token()
    ticker.tick()
    assert "model working (policy)" in out.getvalue() and "3 tokens" in out.getvalue()
    progress.end()
    ticker.tick()
    assert out.getvalue().endswith("\r\x1b[2K")


def test_ticker_writes_plain_lines_at_intervals_in_a_log() -> None:
    progress, out = ModelProgress(), io.StringIO()
    ticker = ProgressTicker(out, log_after=0.0, every=3600, progress=progress)
    progress.begin("judge")
    ticker.tick()
    ticker.tick()  # within the interval: nothing more
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("model working (judge): ") and "reading the prompt" in lines[0]
    assert "\r" not in out.getvalue()


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    add_run_flags(p)
    return p.parse_args(list(argv))


def test_the_embedded_model_observes_the_viewport_unless_told_otherwise(monkeypatch) -> None:
    monkeypatch.delenv("WEBAGENT_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert is_embedded() and is_embedded("local") and is_embedded("x.gguf") and not is_embedded("gpt-4o-mini")
    embedded = config_from_args(_args(), model_defaults=True).observe
    assert (embedded.scope, embedded.margin) == ("viewport", 0)  # the viewport alone
    assert config_from_args(_args("--scope", "page"), model_defaults=True).observe.scope == "page"
    assert config_from_args(_args("--margin", "300"), model_defaults=True).observe.margin == 300
    assert config_from_args(_args("--margin", "300"), model_defaults=True).observe.scope == "viewport"
    assert config_from_args(_args(), model_defaults=False).observe.scope == "page"
    assert config_from_args(_args(), model_defaults=False).observe.margin == 720
    endpoint = _args("--model", "m", "--base-url", "http://127.0.0.1:9/v1")
    assert config_from_args(endpoint, model_defaults=True).observe.scope == "page"


def test_prompt_puts_what_does_not_change_before_what_does() -> None:
    """Earlier actions come before the URL and the page, so consecutive prompts share a long prefix."""
    obs = Observation(url="http://127.0.0.1:1/b", title="b", text="[1] link 'x'", elements={})
    history = [StepSummary(action="click [3]", url="http://127.0.0.1:1/a")]
    text = build_messages("find x", obs, history)[1]["content"]
    assert text.index("PREVIOUS ACTIONS:") < text.index("URL: http://127.0.0.1:1/b") < text.index("PAGE:")


def test_a_calls_backend_timings_survive_the_trajectory_record() -> None:
    from webagent.records import LLMCall
    d = {"purpose": "policy", "ms": 12.0, "timings": {"prefill_ms": 9.5, "generate_ms": 2.0}}
    call = LLMCall.from_dict(d)
    assert call.timings == {"prefill_ms": 9.5, "generate_ms": 2.0} and not call.extra
    assert LLMCall.from_dict(call.to_dict()).timings == call.timings
