"""LLM backends against real things: a local OpenAI-compatible HTTP server, a SQLite file, the real env precedence."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time

import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from webagent.errors import LLMError, SetupError
from webagent.llm import (
    CachedChat,
    Completion,
    EmbeddedLlama,
    OpenAIChat,
    RecordedChat,
    Usage,
    describe,
    make_model,
)
from webagent.llm.embedded import gemma_messages
from webagent.llm.openai_backend import price_of

KEY = "sk-test-good"
MSGS = [{"role": "system", "content": "You are a web agent."}, {"role": "user", "content": "[3] button 'Go'"}]


class FakeOpenAI:
    """A tiny OpenAI-compatible server on 127.0.0.1 whose behaviour a test sets through attributes."""

    def __init__(self) -> None:
        self.reset()
        app = Flask(__name__)

        @app.post("/v1/chat/completions")
        def chat():
            body = request.get_json()
            self.requests.append(body)
            if request.headers.get("Authorization") != f"Bearer {KEY}":
                return _err(401, "Incorrect API key provided", "invalid_api_key")
            if body["model"] == "no-such-model":
                return _err(404, "The model 'no-such-model' does not exist", "model_not_found")
            if self.fail_first > 0:
                self.fail_first -= 1
                return _err(self.fail_status, "boom", "server_error", retry_ms="1")
            if self.delay:
                time.sleep(self.delay)
            n = 1 if self.ignore_n else int(body.get("n", 1))
            k = len(self.requests)
            choices = [{"index": i, "finish_reason": "stop",
                        "message": {"role": "assistant", "content": f"click [{k * 10 + i}]"}} for i in range(n)]
            return jsonify({"id": f"c{k}", "object": "chat.completion", "created": 0, "model": body["model"],
                            "choices": choices,
                            "usage": {"prompt_tokens": 100, "completion_tokens": 5 * n, "total_tokens": 100 + 5 * n}})

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.base_url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.requests: list[dict] = []
        self.ignore_n = False
        self.fail_first = 0
        self.fail_status = 500
        self.delay = 0.0


def _err(status: int, message: str, code: str, retry_ms: str | None = None):
    resp = jsonify({"error": {"message": message, "type": "error", "param": None, "code": code}})
    resp.status_code = status
    if retry_ms:
        resp.headers["retry-after-ms"] = retry_ms
    return resp


@pytest.fixture(scope="module")
def server():
    s = FakeOpenAI()
    yield s
    s.server.shutdown()


@pytest.fixture
def fake(server):
    server.reset()
    return server


def chat(fake, model="gpt-4o-mini", **kw) -> OpenAIChat:
    kw.setdefault("api_key", KEY)
    return OpenAIChat(model, base_url=fake.base_url, **kw)


# -- OpenAIChat -----------------------------------------------------------------------------------------------------

async def test_n_choices_in_one_call_with_usage_and_cost(fake):
    c = await chat(fake).complete(MSGS, n=3, temperature=0.7, max_tokens=32)
    assert c.texts == ["click [10]", "click [11]", "click [12]"]
    assert len(fake.requests) == 1 and fake.requests[0]["n"] == 3 and fake.requests[0]["max_tokens"] == 32
    assert (c.usage.prompt_tokens, c.usage.completion_tokens) == (100, 15)
    assert c.usage.cost_usd == pytest.approx((100 * 0.15 + 15 * 0.60) / 1e6)
    assert c.model == "gpt-4o-mini" and c.latency_ms > 0


async def test_server_ignoring_n_gets_n_calls(fake):
    fake.ignore_n = True
    c = await chat(fake, model="llama-local").complete(MSGS, n=3)
    assert len(c.texts) == 3 and len(fake.requests) == 3
    assert sorted(c.texts) == ["click [10]", "click [20]", "click [30]"]
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cost_usd) == (300, 15, 0.0)


async def test_grammar_sent_only_when_enabled_and_schema_as_response_format(fake):
    schema = {"type": "object", "properties": {"verb": {"type": "string"}}}
    await chat(fake).complete(MSGS, grammar='root ::= "x"', json_schema=schema)
    body = fake.requests[-1]
    assert "grammar" not in body and body["response_format"]["json_schema"]["schema"] == schema
    await chat(fake, grammar_field="grammar").complete(MSGS, grammar='root ::= "x"')
    assert fake.requests[-1]["grammar"] == 'root ::= "x"'


async def test_wrong_key_is_a_clear_error(fake):
    with pytest.raises(LLMError, match=r"rejected the API key \(401\).*OPENAI_API_KEY") as e:
        await chat(fake, api_key="sk-wrong").complete(MSGS)
    assert "\n" not in str(e.value) and "sk-wrong" not in str(e.value)


async def test_unknown_model_is_a_clear_error(fake):
    with pytest.raises(LLMError, match=r"model 'no-such-model' not found .*\(404\)"):
        await chat(fake, model="no-such-model").complete(MSGS)


async def test_unreachable_endpoint_names_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    with pytest.raises(LLMError, match=rf"cannot reach {url}.*--base-url"):
        await OpenAIChat("m", base_url=url, max_retries=0).complete(MSGS)


async def test_server_errors_are_retried_then_succeed(fake):
    fake.fail_first = 2
    c = await chat(fake, max_retries=2).complete(MSGS)
    assert c.texts == ["click [30]"] and len(fake.requests) == 3


async def test_server_error_after_retries_is_clear(fake):
    fake.fail_first = 99
    with pytest.raises(LLMError, match=r"server error 500 after 1 retries"):
        await chat(fake, max_retries=1).complete(MSGS)
    assert len(fake.requests) == 2


async def test_rate_limit_after_retries_is_clear(fake):
    fake.fail_first, fake.fail_status = 99, 429
    with pytest.raises(LLMError, match=r"rate limited .*\(429\) after 1 retries"):
        await chat(fake, max_retries=1).complete(MSGS)


async def test_timeout_is_clear(fake):
    fake.delay = 1.5
    with pytest.raises(LLMError, match=r"did not answer within 0.3s"):
        await chat(fake, timeout=0.3, max_retries=0).complete(MSGS)


def test_no_key_for_openai_is_a_setup_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(SetupError, match="OPENAI_API_KEY"):
        OpenAIChat("gpt-4o")


def test_price_table_prefers_longest_prefix():
    assert price_of("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert price_of("gpt-4o-2024-08-06", 1_000_000, 0) == pytest.approx(2.50)
    assert price_of("qwen2.5-7b", 1000, 1000) == 0.0


# -- CachedChat / RecordedChat --------------------------------------------------------------------------------------

async def test_cache_hit_and_miss_on_disk(fake, tmp_path):
    db = tmp_path / "sub" / "llm.sqlite"
    cached = CachedChat(chat(fake), db)
    a = await cached.complete(MSGS, n=2, temperature=0.5)
    b = await cached.complete(MSGS, n=2, temperature=0.5)
    assert len(fake.requests) == 1 and (cached.hits, cached.misses) == (1, 1)
    assert b.texts == a.texts and b.usage == a.usage and b.latency_ms == 0 and b.model == "cached:gpt-4o-mini"
    await cached.complete(MSGS, n=2, temperature=0.6)  # any change in the request is a miss
    await cached.complete(MSGS, n=2, temperature=0.5, grammar='root ::= "a"')
    assert len(fake.requests) == 3
    cached.close()
    again = CachedChat(chat(fake), db)  # a new process would find it on disk
    c = await again.complete(MSGS, n=2, temperature=0.5)
    assert c.texts == a.texts and len(fake.requests) == 3 and len(again) == 3
    other = CachedChat(chat(fake, model="other-model"), db)  # the inner model's name is part of the key
    await other.complete(MSGS, n=2, temperature=0.5)
    assert len(fake.requests) == 4


async def test_recorded_returns_in_order_then_fails_clearly():
    rec = RecordedChat([["click [1]"], ["type [2] [x] [0]", "click [2]"]])
    assert (await rec.complete(MSGS)).texts == ["click [1]"]
    c = await rec.complete(MSGS, n=2)
    assert c.texts == ["type [2] [x] [0]", "click [2]"] and c.usage == Usage() and isinstance(c, Completion)
    assert rec.remaining == 0
    with pytest.raises(LLMError, match=r"only 2 LLM calls and call #3"):
        await rec.complete(MSGS)


async def test_recorded_with_too_few_replies_fails():
    with pytest.raises(LLMError, match="has 1 replies but 3 were asked"):
        await RecordedChat([["stop [x]"]]).complete(MSGS, n=3)


# -- make_model / describe ------------------------------------------------------------------------------------------

@pytest.fixture
def clean_env(monkeypatch):
    for k in ("WEBAGENT_MODEL", "OPENAI_BASE_URL", "OPENAI_API_KEY", "WEBAGENT_GRAMMAR_FIELD"):
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


def test_nothing_configured_is_embedded(clean_env):
    m = make_model()
    assert isinstance(m, EmbeddedLlama) and describe(m).startswith("embedded llama.cpp")


def test_env_configures_openai_and_flags_win(clean_env, fake):
    clean_env.setenv("WEBAGENT_MODEL", "env-model")
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    clean_env.setenv("OPENAI_API_KEY", "sk-env-secret")
    m = make_model()
    assert isinstance(m, OpenAIChat) and (m.model, m.base_url) == ("env-model", "http://127.0.0.1:9/v1")
    m = make_model(model="flag-model", base_url=fake.base_url, api_key="sk-flag-secret")
    assert (m.model, m.base_url) == ("flag-model", fake.base_url)
    line = describe(m)
    assert "flag-model" in line and fake.base_url in line and "secret" not in line


async def test_env_key_is_used(clean_env, fake):
    clean_env.setenv("OPENAI_API_KEY", KEY)
    c = await make_model(model="gpt-4o-mini", base_url=fake.base_url).complete(MSGS)
    assert c.texts == ["click [10]"]


def test_model_without_endpoint_explains_both_options(clean_env):
    with pytest.raises(SetupError, match=r"OPENAI_API_KEY.*OPENAI_BASE_URL"):
        make_model(model="gpt-4o")


def test_base_url_without_model_is_a_setup_error(clean_env):
    clean_env.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(SetupError, match="no model"):
        make_model()


def test_embedded_by_name_or_path_and_cache_wrapper(clean_env, tmp_path):
    assert isinstance(make_model(model="embedded"), EmbeddedLlama)
    m = make_model(model=str(tmp_path / "x.gguf"), cache=tmp_path / "c.sqlite")
    assert isinstance(m, CachedChat) and isinstance(m.inner, EmbeddedLlama)
    assert describe(m).startswith("cached [embedded")
    assert "calls left" in describe(RecordedChat([["a"]]))


# -- embedded backend, the parts that need no model -----------------------------------------------------------------

def test_gemma_messages_merge_system_into_first_user_turn():
    out = gemma_messages([{"role": "system", "content": "S"},
                          {"role": "user", "content": [{"type": "text", "text": "U1"}, {"type": "image_url"}]},
                          {"role": "user", "content": "U2"}, {"role": "assistant", "content": "A"}])
    assert out == [{"role": "user", "content": "S\n\nU1\n\nU2"}, {"role": "assistant", "content": "A"}]


async def test_missing_llama_cpp_is_a_setup_error_with_the_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` raise ImportError
    with pytest.raises(SetupError, match=r"pip install 'webagent\[local\]'.*scripts/setup.sh"):
        await EmbeddedLlama(model_path="/nonexistent.gguf").complete(MSGS)


async def test_missing_model_file_is_a_setup_error(tmp_path):
    with pytest.raises(SetupError, match="model file not found"):
        await EmbeddedLlama(model_path=str(tmp_path / "none.gguf")).complete(MSGS)
