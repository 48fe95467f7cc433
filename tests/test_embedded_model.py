"""The real embedded model (Gemma 3 270M via llama.cpp) answers with grammar-constrained, parseable actions."""

from __future__ import annotations

import time

import pytest

from webagent.actions import ELEMENT_VERBS, action_gbnf, action_json_schema, extract_action, from_json
from webagent.errors import LLMError
from webagent.llm import EmbeddedLlama

ALLOWED = [3, 7, 12]
MESSAGES = [
    {"role": "system", "content": "You are a web agent. Reply with exactly one action, e.g. click [id]."},
    {"role": "user", "content": (
        "Task: search the shop for 'red shoes'.\n"
        "Page (accessibility tree):\n"
        "[3] textbox 'Search products'\n"
        "[7] button 'Search'\n"
        "[12] link 'Home'\n"
        "Next action:")},
]


@pytest.fixture(scope="module")
def model():
    m = EmbeddedLlama()
    t0 = time.perf_counter()
    m.load()
    print(f"\nembedded model loaded in {time.perf_counter() - t0:.2f}s ({m.model_path})")
    return m


@pytest.mark.slow
async def test_element_actions_name_only_allowed_ids(model):
    grammar = action_gbnf(ids=ALLOWED, verbs=ELEMENT_VERBS)
    for temperature in (0.0, 0.8):
        c = await model.complete(MESSAGES, n=3, temperature=temperature, max_tokens=48, grammar=grammar)
        assert len(c.texts) == 3 and c.usage.prompt_tokens > 0 and c.usage.completion_tokens > 0
        calls = 1 if temperature == 0 else 3  # greedy decoding: one call serves all n
        print(f"T={temperature}: {c.texts} in {c.latency_ms:.0f} ms ({c.latency_ms / calls:.0f} ms/action)")
        for text in c.texts:
            action = extract_action(text)
            assert action.id in ALLOWED, text


@pytest.mark.slow
async def test_full_action_grammar_always_parses(model):
    c = await model.complete(MESSAGES, n=3, temperature=1.0, max_tokens=48, grammar=action_gbnf(ids=ALLOWED))
    for text in c.texts:
        action = extract_action(text)
        assert action.id is None or action.id in ALLOWED, text
    again = await model.complete(MESSAGES, n=3, temperature=1.0, max_tokens=48, grammar=action_gbnf(ids=ALLOWED))
    assert again.texts == c.texts  # seeded sampling: the same request gives the same replies


@pytest.mark.slow
async def test_json_schema_constrains_output(model):
    schema = action_json_schema(ALLOWED)
    schema["properties"] = {"verb": {"type": "string", "enum": ["click", "hover"]}, "id": schema["properties"]["id"]}
    schema["required"] = ["verb", "id"]
    c = await model.complete(MESSAGES, n=1, temperature=0.0, max_tokens=64, json_schema=schema)
    action = from_json(c.texts[0])
    assert action.verb in ("click", "hover") and action.id in ALLOWED, c.texts[0]


@pytest.mark.slow
async def test_bad_grammar_is_an_error_not_a_crash(model):
    with pytest.raises(LLMError, match="grammar does not parse"):
        await model.complete(MESSAGES, grammar="root ::= (unclosed")


@pytest.mark.slow
async def test_second_instance_reuses_the_loaded_model(model):
    other = EmbeddedLlama()
    assert other.load() is model.load()
    assert other.load_seconds == 0.0  # found loaded, not loaded again (a timed bound was flaky on a busy machine)


@pytest.mark.slow
async def test_unchanged_prompt_prefix_is_not_evaluated_again(model):
    """A follow-up prompt that extends the last one evaluates only its new tail (llama.cpp's KV cache), and the
    call reports prefill and generate times; with reuse off the whole prompt is evaluated."""
    grammar = action_gbnf(ids=ALLOWED, verbs=ELEMENT_VERBS)
    longer = [MESSAGES[0], {"role": "user", "content": MESSAGES[1]["content"].replace(
        "Next action:", "[15] link 'Cart'\nNext action:")}]
    await model.complete(MESSAGES, max_tokens=16, grammar=grammar)
    c = await model.complete(longer, max_tokens=16, grammar=grammar)
    t = c.timings
    assert t is not None and t["prefill_ms"] > 0 and t["generate_ms"] > 0
    assert t["reused_tokens"] > 0.5 * c.usage.prompt_tokens, t
    assert t["evaluated_tokens"] < 0.5 * c.usage.prompt_tokens, t
    fresh = EmbeddedLlama(reuse_prefix=False)
    full = (await fresh.complete(longer, max_tokens=16, grammar=grammar)).timings
    assert full is not None and full["reused_tokens"] == 0 and full["evaluated_tokens"] >= c.usage.prompt_tokens - 1


@pytest.mark.slow
async def test_generated_tokens_are_counted_while_the_model_works(model):
    from webagent.llm.metered import MeteredChat
    from webagent.llm.progress import MODEL_PROGRESS
    seen: list[int] = []
    orig = MODEL_PROGRESS.token

    def spy() -> None:
        orig()
        now = MODEL_PROGRESS.current()
        seen.append(now.generated if now else -1)
    MODEL_PROGRESS.token = spy  # type: ignore[method-assign]
    try:
        out = await MeteredChat(model).complete(MESSAGES, max_tokens=16, grammar=action_gbnf(ids=ALLOWED))
    finally:
        del MODEL_PROGRESS.token
    assert seen and seen == list(range(1, len(seen) + 1)) and len(seen) >= out.usage.completion_tokens
    assert MODEL_PROGRESS.current() is None  # the call ended


SHOP_PAGE = "\n".join([
    "[20] searchbox 'Search'", "[21] button 'Search'", "[22] combobox 'Sort By' value='Position' options: Position; "
    "Product Name; Price", "[23] combobox 'Show' value='24' options: 12; 24; 36",
    *(f"[{30 + i}] link 'Kestrel Laptop {i} Pro'\n\t${999 + 100 * i}.00" for i in range(8))])


@pytest.mark.slow
@pytest.mark.parametrize("task,constraint,probes", [
    ("sort the products by price", "grammar", None), ("show 12 products per page", "grammar", (2,)),
    ("search for kestrel laptops", "json_schema", None), ("tell me the price of the cheapest laptop", None, None)])
async def test_greedy_first_decoding_gives_the_librarys_greedy_tokens(monkeypatch, task, constraint, probes):
    """llm/greedy.py puts the grammar to the best-scored tokens first; at temperature 0 it must reply exactly as
    llama-cpp-python's own sampler chain (grammar over the whole vocabulary, then greedy) does. probes=(2,) makes
    most tokens take the whole-vocabulary pass."""
    from webagent.llm import greedy
    if probes:
        monkeypatch.setattr(greedy, "PROBES", probes)
    ids = [20, 21, 22, 23, *range(30, 38)]
    roles = {20: "searchbox", 21: "button", 22: "combobox", 23: "combobox"} | {i: "link" for i in range(30, 38)}
    options = {"grammar": action_gbnf(ids, roles=roles, choices={22: ["Position", "Product Name", "Price"],
                                                                 23: ["12", "24", "36"]}),
               "json_schema": action_json_schema(ids)}
    kwargs = {constraint: options[constraint]} if constraint else {}
    messages = [MESSAGES[0], {"role": "user", "content": f"Task: {task}\nPage:\n{SHOP_PAGE}\nNext action:"}]
    calls: list[int] = []
    real = greedy.decode
    monkeypatch.setattr(greedy, "decode", lambda *a, **k: calls.append(1) or real(*a, **k))
    # Both evaluate the whole prompt from scratch: a prompt evaluated partly from the KV cache gives logits a hair
    # apart (other batch splits), which can flip a near tie in a 270M model whichever decoder runs.
    ours = await EmbeddedLlama(reuse_prefix=False).complete(messages, max_tokens=24, **kwargs)
    theirs = await EmbeddedLlama(reuse_prefix=False, greedy_first=False).complete(messages, max_tokens=24, **kwargs)
    assert ours.texts == theirs.texts and ours.texts[0]
    assert (ours.usage.prompt_tokens, ours.usage.completion_tokens) == \
        (theirs.usage.prompt_tokens, theirs.usage.completion_tokens)
    assert len(calls) == 1  # the model under test took the greedy-first path, the library's instance did not
