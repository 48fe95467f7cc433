"""The action language comes from one per-verb table: a verb added there reaches every derived form."""

from __future__ import annotations

import importlib

import pytest
from webagent.observers import Observation

from webagent import actions
from webagent.actions import VERB_TABLE, Action, Arg, VerbSpec, action_gbnf, action_json_schema, parse_action
from webagent.errors import ParseError
from webagent.policy import build_messages
from webagent.risk import IRREVERSIBLE, READ, REVERSIBLE, classify_static

executor = importlib.import_module("webagent.executor")


def test_derived_lists_follow_the_table():
    assert actions.VERBS == tuple(VERB_TABLE)
    assert set(actions.ELEMENT_VERBS) == {v for v, s in VERB_TABLE.items() if s.scope == "element"}
    assert set(actions.META_VERBS) == {"note", "stop"}
    assert executor.missing_handlers() == []  # every verb that touches the browser has an executor handler


def test_a_verb_added_to_the_table_reaches_parser_formatter_grammar_schema_and_prompt(monkeypatch):
    obs = Observation("[3] button 'Go'", {}, "http://x/", "t")
    with pytest.raises(ParseError, match="unknown action"):
        parse_action("double_click [3]")
    spec = VerbSpec("double_click", (Arg("id", "id"),), "element", IRREVERSIBLE, "clicks twice")
    monkeypatch.setitem(VERB_TABLE, "double_click", spec)
    a = parse_action("double_click [3]")
    assert a == Action("double_click", id=3) and str(a) == "double_click [3]"
    with pytest.raises(ParseError, match="takes 1"):
        parse_action("double_click")
    grammar = action_gbnf([3])
    assert 'double-click ::= "double_click" " [" id "]"' in grammar and "| double-click" in grammar
    assert "double-click" not in action_gbnf([])  # an element verb: gone when the page has no ids
    assert "double_click" in action_json_schema()["properties"]["verb"]["enum"]
    system = build_messages("task", obs, [])[0]["content"]
    assert "double_click [id]" in system and "clicks twice" in system
    assert classify_static(a, obs) == IRREVERSIBLE  # the table's risk class
    assert executor.missing_handlers() == ["double_click"]  # the executor says what it cannot run yet


def test_risk_defaults_come_from_the_table_and_click_press_are_refined():
    obs = Observation("[1] link 'Home'\n[2] button 'Delete post'", {}, "http://x/", "t")
    assert classify_static(parse_action("scroll [down]"), obs) == READ
    assert classify_static(parse_action("hover [1]"), obs) == REVERSIBLE
    assert classify_static(parse_action("press [Enter]"), obs) == IRREVERSIBLE
    assert classify_static(parse_action("press [a]"), obs) == REVERSIBLE
