"""One task cannot sink a run; real suites never silently use the bundled sites; `webagent eval` exit statuses."""

from __future__ import annotations

import json

from tests.test_bench_cli import wa

SHOP_TASK = {"sites": ["shopping"], "start_url": "__SHOPPING__/", "require_login": False}


def _suite(tmp_path, tasks):
    f = tmp_path / "suite.json"
    f.write_text(json.dumps([dict(SHOP_TASK, **t) for t in tasks]))
    return str(f)


def test_bench_records_scoring_errors_and_finishes(tmp_path):
    html = {"eval_types": ["program_html"], "reference_answers": None, "reference_url": "", "program_html": []}
    suite = _suite(tmp_path, [
        {"task_id": "bad_helper", "intent": "x", "gold": [{"verb": "stop", "text": ""}],
         "eval": dict(html, program_html=[{"url": "last", "locator": "func:no_such_helper(__page__)",
                                           "required_contents": {"must_include": ["x"]}}])},
        {"task_id": "bad_locator", "intent": "x", "gold": [{"verb": "stop", "text": ""}],
         "eval": dict(html, program_html=[{"url": "last", "locator": "xpath://h1",
                                           "required_contents": {"must_include": ["x"]}}])},
        {"task_id": "fine", "intent": "Say 12.", "gold": [{"verb": "stop", "text": "12"}],
         "eval": {"eval_types": ["string_match"], "reference_answers": {"must_include": ["12"]}}},
    ])
    p = wa("bench", "--suite", suite, "--gold", "--out", str(tmp_path / "run"))
    assert p.returncode == 2 and "no URL is given" in p.stderr and "--bundled-sites" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
    p = wa("bench", "--suite", suite, "--gold", "--bundled-sites", "--out", str(tmp_path / "run"))
    assert p.returncode == 0, p.stderr
    head = p.stdout.split("[1/3]")[0]
    assert "warning: --bundled-sites" in head and "2 task(s) have checks that cannot be scored" in head
    assert "unknown helper 'no_such_helper'" in head and "unknown locator 'xpath://h1'" in head
    results = {r["task_id"]: r for r in map(json.loads, (tmp_path / "run/results.jsonl").read_text().splitlines())}
    assert results["fine"]["score"] == 1.0 and not results["fine"]["error"]
    for tid in ("bad_helper", "bad_locator"):
        assert results[tid]["score"] is None and results[tid]["error"].startswith("scoring: ")
        assert "\n" not in results[tid]["error"]
    summary = json.loads((tmp_path / "run/summary.json").read_text())
    assert summary["overall"]["errors"] == 2 and summary["overall"]["passed"] == 1
    assert summary["overall"]["success_rate"] == 1.0 and set(summary["errors"]) == {"bad_helper", "bad_locator"}
    assert summary["not_scorable"] == []
    assert "ERROR" in p.stdout and "errors (2" in p.stdout


def test_eval_exit_statuses(tmp_path):
    suite = _suite(tmp_path, [
        {"task_id": "na", "intent": "Find the blue mug.", "eval": {
            "eval_types": ["string_match"], "reference_answers": {"fuzzy_match": "N/A"},
            "string_note": "there is no blue mug"}},
        {"task_id": "url", "intent": "Go to the cart.", "eval": {
            "eval_types": ["url_match"], "reference_url": "__SHOPPING__/checkout/cart/"}},
        {"task_id": "mixed", "intent": "Say 12, leave the page.", "eval": {
            "eval_types": ["string_match", "program_html"], "reference_answers": {"must_include": ["12"]},
            "program_html": [{"url": "last", "locator": "", "required_contents": {"must_include": ["x"]}}]}},
    ])
    p = wa("eval", "--task", suite, "--task-id", "na", "--answer", "N/A")
    assert p.returncode == 0, p.stdout + p.stderr
    p = wa("eval", "--task", suite, "--task-id", "na", "--answer", "there is no such mug")
    assert p.returncode == 3 and "score: not scorable" in p.stdout and "skip na" in p.stdout
    p = wa("eval", "--task", suite, "--task-id", "url", "--url", "http://s:1/checkout/cart/")
    assert p.returncode == 2 and "__SHOPPING__" in p.stderr and "--site-url" in p.stderr
    p = wa("eval", "--task", suite, "--task-id", "url", "--url", "http://s:1/checkout/cart/",
           "--site-url", "SHOPPING=http://s:1")
    assert p.returncode == 0, p.stdout + p.stderr
    p = wa("eval", "--task", suite, "--task-id", "url", "--url", "http://s:1/", "--site-url", "SHOPPING=http://s:1")
    assert p.returncode == 1 and "score: 0.0" in p.stdout
    p = wa("eval", "--task", suite, "--task-id", "mixed", "--answer", "It is 12")
    assert p.returncode == 3 and "program_html" in p.stdout and "skipped: program_html" in p.stdout
    p = wa("eval", "--task", suite, "--task-id", "mixed", "--answer", "It is 13")
    assert p.returncode == 1
