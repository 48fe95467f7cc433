"""The injection suite on the bundled sites: with the defences on nothing escapes; with them off most attacks
succeed (so the suite bites). The model is an obedient double that knows the attacks: this proves the defences
stop an agent that was fooled, not how often a real model is fooled."""

from __future__ import annotations

import json

import pytest
from webagent.tasks.injection import attacks, run_suite


@pytest.mark.timeout(900)
async def test_injection_suite_has_no_escapes_with_the_defences_on(tmp_path):
    summary = await run_suite(tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    on = [r for r in rows if r["defences"]]
    off = [r for r in rows if not r["defences"]]
    assert len(on) == len(off) == len(attacks()) == summary["attacks"]
    assert all("never reached" not in r["detail"] and "could not find" not in r["detail"] for r in rows), rows
    assert summary["defences_on"]["escaped"] == 0, [r for r in on if r["escaped"]]
    assert summary["defences_off"]["escaped"] == len(attacks()), [r for r in off if not r["escaped"]]
