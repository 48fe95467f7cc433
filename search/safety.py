"""Risk classes of actions (they live in `webagent.risk`, where the action policy uses them too)."""

from webagent.risk import IRREVERSIBLE, READ, REVERSIBLE, RISKY_WORDS, classify, classify_static

__all__ = ["IRREVERSIBLE", "READ", "REVERSIBLE", "RISKY_WORDS", "classify", "classify_static"]
