"""The value judge without a browser: its reply is constrained by a JSON schema, replies that do not parse are left
out of the mean and counted, and a step's counts become the printed note."""

from __future__ import annotations

import random

from webagent.observers import Observation
from webagent.search.value import VERDICT_SCHEMA, ParseStats, ValueFunction, parse_scores, parse_verdict

from testkit.doubles_search import SearchDouble, verdict
from webagent.llm.metered import MeteredChat
from webagent.planner import parse_note

OBS = Observation("[1] link 'Home'", {}, "http://127.0.0.1:1/", "Home")


async def test_judge_replies_that_do_not_parse_are_left_out_of_the_mean_and_counted():
    replies = [verdict(True, True), "I cannot tell.", "Status: failure\nOn the right track: yes", "{\"status\": 3}"]
    double = SearchDouble(value=lambda p, n, r: replies[:n])
    vf = ValueFunction(samples=4).fork()
    v = await vf.score(MeteredChat(double), "find the price", [], OBS)
    assert v.value == 0.75 and v.samples == [1.0, 0.5] and v.unparsed == 2  # (1 + 0.5) / 2, not (1 + 0.5) / 4
    assert double.calls[0]["json_schema"] == VERDICT_SCHEMA
    assert vf.stats.to_dict() == {"judge": {"parsed": 2, "unparsed": 2}}

    double = SearchDouble(value=lambda p, n, r: ["nothing useful"] * n)
    v = await vf.score(MeteredChat(double), "find the price", [], OBS)
    assert v.value is None and v.unparsed == 4  # none parsed: no value, never a silent 0
    assert vf.stats.unparsed("judge") == 6


async def test_the_comparative_judge_is_constrained_and_counts_missing_scores():
    double = SearchDouble(compare=lambda p, n, r: ['{"scores": [1, 0.5]}', "OPTION 1: 0"][:n])
    vf = ValueFunction(samples=2).fork()
    options = [{"action": "click [1]", "url": "http://x/a", "page": "a"},
               {"action": "click [2]", "url": "http://x/b", "page": "b"}]
    got = await vf.compare(MeteredChat(double), "task", [], OBS, options, random.Random(0))
    schema = double.calls[0]["json_schema"]
    assert schema["properties"]["scores"]["minItems"] == 2
    assert sorted(g.unparsed for g in got) == [0, 1]  # the second reply scored one option only
    assert vf.stats.to_dict() == {"judge": {"parsed": 3, "unparsed": 1}}


def test_parsers_read_the_json_and_the_text_formats():
    assert parse_verdict('{"thoughts": "", "status": "failure", "on_the_right_track": "yes"}') == 0.5
    assert parse_verdict('{"status": "success"}') == 1.0
    assert parse_verdict("Status: success") == 1.0 and parse_verdict('{"status": "maybe"}') is None
    assert parse_scores('{"scores": [0, 1, 0.5]}', 2) == {1: 0.0, 2: 1.0}
    assert parse_scores("OPTION 2: 0.5", 3) == {2: 0.5}


def test_a_steps_unparsed_replies_become_the_printed_note():
    stats = ParseStats()
    stats.add("judge", 5, 1)
    stats.add("world_model", 3, 0)
    assert parse_note({"parse": stats.to_dict()}) == "unparsed: 1 of 6 judge replies"
    assert parse_note({"parse": {"world_model": {"parsed": 2, "unparsed": 0}}}) is None and parse_note(None) is None
