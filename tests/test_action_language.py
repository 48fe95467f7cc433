"""The action language: parse, format, extract from chatty replies, grammars."""

from __future__ import annotations

import pytest

from webagent.actions import (
    VERBS,
    Action,
    action_gbnf,
    action_json_schema,
    canonical,
    extract_action,
    from_json,
    parse_action,
)
from webagent.errors import ParseError

GOOD = ["click [12]", "type [3] [hello [x] world] [0]", "type [3] [hi] [1]", "select [4] [Red]", "hover [9]",
        "press [Control+a]", "press [Enter]", "scroll [down]", "scroll [up]", "goto [http://x/y?a=1&b=[2]]",
        "go_back", "go_forward", "new_tab", "tab_focus [1]", "close_tab", "note [price is $5]", "stop [N/A]",
        "stop []"]


@pytest.mark.parametrize("text", GOOD)
def test_round_trip(text):
    a = parse_action(text)
    assert parse_action(str(a)) == a
    assert from_json(a.to_dict()) == a


def test_type_defaults_to_enter_and_keeps_brackets_in_text():
    a = parse_action("type [3] [a [b] c]")
    assert a.text == "a [b] c" and a.press_enter


@pytest.mark.parametrize("text,word", [
    ("", "not an action"), ("jump [3]", "unknown action"), ("click", "takes 1"), ("click [x]", "number"),
    ("click [1] [2]", "takes 1"), ("type [1]", "takes 2"), ("type [1] [a] [7]", "0 or 1"),
    ("scroll [left]", "up or down"), ("press [not a key!]", "key combo"), ("goto []", "empty"),
    ("click [1", "unclosed"), ("tab_focus [a]", "number"),
])
def test_malformed_actions_name_the_problem(text, word):
    with pytest.raises(ParseError, match=word):
        parse_action(text)


def test_extract_from_chatty_replies():
    assert extract_action("Let me think.\nIn summary, the next action I will perform is ```click [1234]```") \
        == Action("click", id=1234)
    assert extract_action("Action: scroll [down]") == Action("scroll", direction="down")
    assert extract_action("I will type.\ntype [5] [shoes] [1]\n") == Action("type", id=5, text="shoes",
                                                                             press_enter=True)
    with pytest.raises(ParseError, match="no valid action"):
        extract_action("I do not know what to do")


def test_canonical_dedupes_by_target_not_id():
    assert canonical(Action("click", id=3), "link", "Home") == canonical(Action("click", id=9), "link", " home ")
    assert canonical(Action("click", id=3), "link", "Home") != canonical(Action("hover", id=3), "link", "Home")


def test_grammar_limits_ids_and_drops_element_verbs_on_empty_pages():
    g = action_gbnf([7, 3, 3])
    assert 'id ::= "3" | "7"' in g
    empty = action_gbnf([])
    assert "click" not in empty and "stop" in empty
    assert all(v.replace("_", "-") in action_gbnf() for v in VERBS)


def test_grammar_admits_only_fields_for_type_and_lists_for_select():
    roles = {1: "button", 2: "textbox", 3: "combobox", 4: "link", 5: "listbox"}
    g = action_gbnf(roles, roles=roles)
    assert 'type ::= "type" " [" type-id "]"' in g and 'type-id ::= "2" | "3"' in g
    assert 'select-id ::= "3" | "5"' in g
    assert 'click ::= "click" " [" id "]"' in g and 'id ::= "1" | "2" | "3" | "4" | "5"' in g
    buttons = {1: "button", 4: "link"}
    g = action_gbnf(buttons, roles=buttons)  # nothing to type into or choose from: the verbs are not offered
    root = g.splitlines()[0]
    assert "click" in root and " type " not in f"{root} " and "select" not in root


def test_grammar_offers_a_lists_own_options_to_select():
    roles = {3: "combobox", 5: "listbox", 7: "combobox"}
    g = action_gbnf(roles, roles=roles, choices={3: ["Red", "Green", 'Say "hi"', "Date | Dried"], 5: [],
                                                 7: ["one", "two\nlines"]})
    assert 'select-3 ::= "Red" | "Green" | "Say \\"hi\\"" | "Date | Dried"' in g
    assert '"3] [" select-3 ("|" select-3)*' in g
    assert 'select-free ::= "5" | "7"' in g and 'select-free "] [" option ("|" option)*' in g
    only = action_gbnf([3], roles={3: "combobox"}, choices={3: ["Red"]})
    assert "select-free" not in only


def test_grammar_compiles_in_llama_cpp():
    llama_cpp = pytest.importorskip("llama_cpp")
    llama_cpp.LlamaGrammar.from_string(action_gbnf([1, 2, 30]), verbose=False)
    llama_cpp.LlamaGrammar.from_string(action_gbnf(), verbose=False)
    llama_cpp.LlamaGrammar.from_string(action_gbnf([1, 2], roles={1: "button", 2: "textbox"}), verbose=False)
    llama_cpp.LlamaGrammar.from_string(action_gbnf([1, 2, 3], roles={1: "combobox", 2: "listbox", 3: "link"},
                                                   choices={1: ["Red", "Grün", 'a "b"']}), verbose=False)


def test_json_schema_and_from_json_errors():
    schema = action_json_schema([1, 2])
    assert schema["properties"]["id"]["enum"] == [1, 2] and "verb" in schema["required"]
    assert from_json('{"verb": "click", "id": 2}') == Action("click", id=2)
    with pytest.raises(ParseError):
        from_json("{not json")
    with pytest.raises(ParseError):
        from_json('{"verb": "click"}')
