"""Evaluator semantics (WebArena's), task loading with placeholders, and bad task files."""

from __future__ import annotations

import json

import pytest
from webagent.tasks.evaluators import (
    check_contents,
    clean_answer,
    evaluate,
    evaluate_string,
    exact_match,
    must_include,
    url_match,
)
from webagent.tasks.spec import load_file, load_tasks, url_map

from tests.scripted import ScriptedChat
from webagent.errors import BadInput


def test_exact_match_cleans_quotes_case_and_space():
    assert exact_match("Canceled", '  "canceled" ') == 1.0
    assert exact_match("Canceled", "Canceled.") == 0.0


def test_must_include_single_character_rule():
    # WebArena tokenises only when the (only) reference is one character: "0" is not in "10 items"...
    assert must_include("0", "10 items", tokenize=True) == 0.0
    assert must_include("5", "There are 5 reviews.", tokenize=True) == 1.0
    assert must_include("6", "6's", tokenize=True) == 1.0  # nltk: 6 's
    # ...while a longer reference is a plain substring, as in WebArena ("346" is in "1346")
    assert must_include("346", "1346", tokenize=True) == 1.0
    assert must_include("12", "there are 112") == 1.0
    assert must_include("$1,478.99", "The price is $1,478.99", tokenize=True) == 1.0


def test_clean_answer_is_webarenas():
    assert clean_answer(" 'Abc' ") == "abc"
    assert clean_answer("' a '") == " a "  # the inside of the quotes is not stripped again
    assert clean_answer("'") == ""
    assert exact_match("x", clean_answer("'\"X\"'")) == 1.0  # the answer is cleaned twice in string_match


async def test_string_checks_multiply_and_na():
    ev = {"eval_types": ["string_match"], "reference_answers": {"must_include": ["Red", "Blue"]}}
    assert [c.score for c in await evaluate_string(ev, "red and blue")] == [1.0, 1.0]
    assert (await evaluate(ev, answer="red only", url=None)).score == 0.0
    na = {"eval_types": ["string_match"], "reference_answers": {"fuzzy_match": "N/A"}, "string_note": "no such"}
    assert (await evaluate(na, answer="N/A", url=None)).score == 1.0
    assert (await evaluate(na, answer="'N/A'", url=None)).score == 1.0
    # any other wording is a stated reason: only a judge can score it
    res = await evaluate(na, answer="NA", url=None)
    assert res.score is None and "no judge" in res.notices[0]
    assert (await evaluate(na, answer=None, url=None)).score == 0.0  # never answered
    judge = ScriptedChat(["same"])
    assert (await evaluate(na, answer="the product does not exist", url=None, model=judge)).score == 1.0


async def test_fuzzy_match_needs_an_llm():
    ev = {"eval_types": ["string_match"], "reference_answers": {"fuzzy_match": ["about 20 dollars"]}}
    res = await evaluate(ev, answer="$19.99", url=None)
    assert res.score is None and not res.scorable and "no judge" in res.notices[0]
    assert (await evaluate(ev, answer="$19.99", url=None, model=ScriptedChat(["correct"]))).score == 1.0
    assert (await evaluate(ev, answer="$5", url=None, model=ScriptedChat(["incorrect"]))).score == 0.0
    assert (await evaluate(ev, answer="$5", url=None, model=ScriptedChat(["partially correct"]))).score == 0.0
    # a failed scorable check still makes the task 0
    ev2 = {"eval_types": ["string_match", "url_match"], "reference_answers": {"fuzzy_match": ["x"]},
           "reference_url": "http://h/a"}
    assert (await evaluate(ev2, answer="x", url="http://h/b")).score == 0.0


def test_url_match_gold_in_pred_query_keys_and_or():
    ref = "http://h:1/catalogsearch/result/?q=mug"
    assert url_match(ref, "http://h:1/catalogsearch/result/?q=mug&p=2") == 1.0
    assert url_match(ref, "http://h:1/catalogsearch/result/?q=cup") == 0.0
    assert url_match(ref, "http://h:1/catalogsearch/result/") == 0.0
    assert url_match("http://h:1/f/books", "http://h:1/f/books/") == 1.0  # trailing slash ignored
    assert url_match("http://h:1/f/books/new", "http://h:1/f/books") == 0.0
    assert url_match("http://h:1/a/?q=1", "http://h:1/a?q=1") == 0.0  # WebArena: only the URL's end is stripped
    alt = "http://h:1/a/b |OR| http://h:1/c"
    assert url_match(alt, "http://h:1/c?x=1") == 1.0
    assert url_match(alt, "http://h:1/a/b") == 1.0
    # WebArena pools the alternatives' query keys
    assert url_match("http://h:1/a/b |OR| http://h:1/a?cat=3", "http://h:1/a/b") == 0.0
    assert url_match("http://h:1/x?customer=a%40b.com", "http://h:1/x?customer=a@b.com") == 1.0
    # an encoded & or # inside a value is part of the value, not a separator
    assert url_match("http://h:1/s?q=a%26b", "http://h:1/s?q=a&b") == 0.0
    assert url_match("http://h:1/s?q=a%26b", "http://h:1/s?q=a%26b&p=2") == 1.0
    assert url_match("http://h:1/x", "http://h:1/x/y", note="EXACT") == 0.0


def test_program_html_required_contents():
    assert check_contents({"must_include": ["Mar 15, 2044 |OR| 2044-03-15"]}, "Start: 2044-03-15")[0] == 1.0
    assert check_contents({"must_include": ["closed"]}, "Open")[0] == 0.0
    assert check_contents({"exact_match": "Wholesale"}, " wholesale ")[0] == 1.0
    assert check_contents({"must_exclude": ["Pending"]}, "Processing")[0] == 1.0
    # exact_match wins over must_include, as in WebArena
    assert check_contents({"exact_match": "a", "must_include": ["zzz"]}, "A")[0] == 1.0
    assert check_contents({"must_include": ["a & b"]}, "a &amp; b")[0] == 1.0  # html-unescaped


async def test_program_html_in_a_real_page(session, site):
    await session.goto(site.url + "/")
    ev = {"eval_types": ["program_html"], "program_html": [
        {"url": "last", "locator": "document.querySelector('h1').innerText",
         "required_contents": {"must_include": ["Fixture"]},
         "prep_actions": ["document.querySelector('h1').innerText = 'Fixture home'"]},
        {"url": "last", "locator": "func:get_query_text(__page__, 'h1')",
         "required_contents": {"exact_match": "Fixture home"}},
        {"url": "last", "locator": "", "required_contents": {"must_include": ["<h1"]}},
    ]}
    res = await evaluate(ev, answer=None, url=session.page.url, page=session.page)
    assert [c.score for c in res.checks] == [1.0, 1.0, 1.0], res.to_dict()
    bad = {"eval_types": ["program_html"], "program_html": [
        {"url": "last", "locator": "document.querySelector('#nope').innerText",
         "required_contents": {"must_include": ["x"]}}]}
    assert (await evaluate(bad, answer=None, url=None, page=session.page)).score == 0.0


WEBARENA_TASK = {
    "sites": ["gitlab"], "task_id": 593, "require_login": True, "storage_state": "./.auth/gitlab_state.json",
    "start_url": "__GITLAB__/byteblaze/dotfiles", "geolocation": None,
    "intent_template": "Create a milestone for the upcoming {{event}} starting on {{start_date}} and ending on {{end_date}}",
    "instantiation_dict": {"event": "event of product launch", "start_date": "1/16/2023", "end_date": "1/30/2023"},
    "intent": "Create a milestone for the upcoming event of product launch starting on 1/16/2023 and ending on 1/30/2023",
    "require_reset": False,
    "eval": {"eval_types": ["url_match", "program_html"], "reference_answers": None,
             "reference_url": "__GITLAB__/byteblaze/dotfiles/-/milestones", "url_note": "GOLD in PRED",
             "program_html": [{"url": "last", "locator": "document.querySelector('.block.start_date').outerText",
                               "required_contents": {"must_include": ["Jan 16, 2030"]}}]},
    "intent_template_id": 339}


def test_real_webarena_config_with_env_placeholders(tmp_path, monkeypatch):
    f = tmp_path / "593.json"
    f.write_text(json.dumps(WEBARENA_TASK))
    (t,) = load_file(f)
    assert t.task_id == "593" and t.require_login and t.local_sites == ["codehost"] and t.gold is None
    monkeypatch.setenv("GITLAB", "http://gitlab.example:8023/")
    bound = t.bind(url_map())
    assert bound.start_url == "http://gitlab.example:8023/byteblaze/dotfiles"
    assert bound.eval["reference_url"] == "http://gitlab.example:8023/byteblaze/dotfiles/-/milestones"
    # flags beat the environment
    assert url_map({"GITLAB": "http://other:1"})["__GITLAB__"] == "http://other:1"
    monkeypatch.delenv("GITLAB")
    with pytest.raises(BadInput, match="GITLAB"):
        t.bind(url_map(env={}))


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d.pop("intent"), "'intent'"),
    (lambda d: d["eval"].pop("eval_types"), "eval.eval_types"),
    (lambda d: d["eval"].__setitem__("eval_types", ["string_match"]), "eval.reference_answers"),
    (lambda d: d.__setitem__("start_url", "__NOPE__/x"), "unknown placeholder __NOPE__"),
    (lambda d: d.__setitem__("sites", ["myspace"]), "unknown site 'myspace'"),
    (lambda d: d["eval"]["program_html"][0].pop("url"), "eval.program_html[0].url"),
    (lambda d: d.__setitem__("gold", [{"verb": "click"}]), "gold[0].target"),
])
def test_bad_task_files_name_file_and_field(tmp_path, mutate, needle):
    d = json.loads(json.dumps(WEBARENA_TASK))
    mutate(d)
    f = tmp_path / "bad.json"
    f.write_text(json.dumps(d))
    with pytest.raises(BadInput) as e:
        load_file(f)
    assert needle in str(e.value) and "bad.json" in str(e.value)


def test_malformed_json(tmp_path):
    f = tmp_path / "broken.json"
    f.write_text('{"task_id": 1,')
    with pytest.raises(BadInput, match=r"broken.json: not valid JSON \(line 1"):
        load_file(f)


def test_bundled_suite_loads():
    tasks = load_tasks("local")
    assert len({t.task_id for t in tasks}) == len(tasks) >= 80
