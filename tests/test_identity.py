"""Page identity has one helper (webagent.observers.identity): equal pages have equal keys whatever their element
ids; nothing else in the library strips ids with a regex of its own."""

from __future__ import annotations

import re
from pathlib import Path

from webagent.observers import Observation
from webagent.observers.identity import state_key, strip_ids

from webagent.trajectory import normalize_observation

ROOT = Path(__file__).resolve().parents[1]


def obs(url: str, text: str) -> Observation:
    return Observation(url=url, title="t", text=text, elements={})


def test_state_key_ignores_ids_only() -> None:
    a = obs("http://h/p", "[3] link 'Home'\n[4] button 'Go'\nheading 'Shop'")
    b = obs("http://h/p", "[17] link 'Home'\n[18] button 'Go'\nheading 'Shop'")
    assert state_key(a) == state_key(b) and len(state_key(a)) == 16
    assert state_key(a) != state_key(obs("http://h/q", a.text))
    assert state_key(a) != state_key(obs("http://h/p", a.text.replace("Go", "Stop")))
    assert strip_ids(a.text) == strip_ids(b.text) == "link 'Home'\nbutton 'Go'\nheading 'Shop'"
    assert normalize_observation(a.text) == normalize_observation(b.text)  # replay compares pages the same way
    assert a.to_dict()["state_key"] == state_key(a)


def test_no_second_id_stripping_regex() -> None:
    pattern = re.compile(r"""re\.compile\(r["']\\\[\\d\+\\\]""")
    found = [str(p.relative_to(ROOT)) for top in ("webagent", "observers", "search", "tasks")
             for p in (ROOT / top).rglob("*.py") if pattern.search(p.read_text())]
    assert found == ["observers/identity.py"], found


def test_page_seed_leaves_out_the_origin_but_not_the_page():
    from types import SimpleNamespace as Seen

    from webagent.observers.identity import page_seed
    a = Seen(url="http://127.0.0.1:41001/cart?x=1", text="[3] link 'Checkout'")
    b = Seen(url="http://127.0.0.1:52002/cart?x=1", text="[9] link 'Checkout'")  # another run's port and ids
    assert page_seed(a) == page_seed(b)
    assert page_seed(a) != page_seed(Seen(url="http://127.0.0.1:41001/cart?x=2", text=a.text))
    assert page_seed(a) != page_seed(Seen(url=a.url, text="[3] link 'Pay'"))
