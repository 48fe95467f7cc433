"""The stop rules on their own: step budget, failures in a row, the loop breaker."""

from __future__ import annotations

from webagent.runconfig import AgentConfig
from webagent.stoprules import Stop, StopRules


def test_loop_breaker_counts_the_same_action_on_the_same_page_only():
    rules = StopRules(loop_limit=3)
    assert rules.acted("scroll [down]", "page-a", True) is None
    assert rules.acted("scroll [down]", "page-b", True) is None  # another page: another count
    assert rules.acted("click [1]", "page-a", True) is None
    assert rules.acted("scroll [down]", "page-a", True) is None
    stop = rules.acted("scroll [down]", "page-a", True)
    assert stop == Stop("loop", "the same action (scroll [down]) repeated 3 times on an unchanged page")


def test_failures_in_a_row_end_the_run_and_a_success_resets_them():
    rules = StopRules(max_consecutive_errors=3, loop_limit=99)
    assert rules.acted("click [1]", "p", False, "gone") is None
    assert rules.invalid_reply() is None
    assert rules.acted("click [2]", "p", True) is None and rules.consecutive_errors == 0
    assert rules.acted("click [3]", "p", False, "x") is None and rules.invalid_reply() is None
    stop = rules.acted("click [4]", "p", False, "timeout")
    assert stop == Stop("errors", "3 failed actions in a row; last: timeout")
    replies = StopRules(max_consecutive_errors=2)
    assert replies.invalid_reply() is None and replies.invalid_reply() == Stop("errors", "2 invalid replies in a row")


def test_rules_come_from_the_agent_config():
    rules = StopRules.of(AgentConfig(max_steps=7, loop_limit=4, max_consecutive_errors=2))
    assert (rules.max_steps, rules.loop_limit, rules.max_consecutive_errors) == (7, 4, 2)
    assert rules.out_of_steps() == Stop("max_steps", "reached --max-steps 7")
