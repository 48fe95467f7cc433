"""SiteServer / SiteGroup: start, stop, reset to seed (timed), port-taken and unknown-site errors."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import sqlite3
import time
import urllib.parse
import urllib.request

import pytest
from webagent.tasks.sites import registry
from webagent.tasks.sites.server import SiteGroup, SiteServer, ensure_seed, site_version

from webagent.errors import SetupError


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _post(opener, url, data):
    return opener.open(urllib.request.Request(url, data=urllib.parse.urlencode(data).encode()), timeout=10)


@pytest.fixture(scope="module")
def shop():
    with SiteServer("shop") as s:
        yield s


def test_start_serves_http_and_stop_frees_port():
    s = SiteServer("shop").start()
    port = s.port
    try:
        assert s.url == f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(s.url + "/", timeout=10) as r:
            assert r.status == 200
            assert "One Stop Market" in r.read().decode()
    finally:
        s.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)


def test_reset_restores_seed_state_fast(shop):
    op = _opener()
    _post(op, shop.url + "/customer/account/login/",
          {"login[username]": "emma.lopez@example.com", "login[password]": "Password.123"})
    _post(op, shop.url + "/checkout/cart/add", {"product_id": 2, "qty": 1, "option_color": _first_option(shop, 2)})
    _post(op, shop.url + "/contact/", {"name": "T", "email": "t@example.com", "comment": "hello"})
    cart = op.open(shop.url + "/checkout/cart/", timeout=10).read().decode()
    assert "Proceed to Checkout" in cart
    db = sqlite3.connect(shop.db_path)
    assert db.execute("SELECT COUNT(*) FROM contact_messages").fetchone()[0] == 1

    took = shop.reset()

    assert took < 1.0, f"reset took {took:.3f}s"
    cart = op.open(shop.url + "/checkout/cart/", timeout=10).read().decode()  # same session, data gone
    assert "You have no items in your shopping cart." in cart
    assert db.execute("SELECT COUNT(*) FROM contact_messages").fetchone()[0] == 0
    seed = sqlite3.connect(shop.seed_path)
    for table in ("products", "orders", "reviews", "cart_items", "customers"):
        q = f"SELECT COUNT(*) FROM {table}"
        assert db.execute(q).fetchone() == seed.execute(q).fetchone(), table
    db.close()
    seed.close()


def _first_option(shop, pid):
    db = sqlite3.connect(shop.db_path)
    try:
        row = db.execute("SELECT value FROM product_options WHERE product_id=? AND kind='color' ORDER BY position",
                         (pid,)).fetchone()
        return row[0] if row else ""
    finally:
        db.close()


def test_reset_wall_clock_including_many_resets(shop):
    t0 = time.perf_counter()
    for _ in range(5):
        shop.reset()
    assert (time.perf_counter() - t0) / 5 < 1.0
    with urllib.request.urlopen(shop.url + "/category/electronics", timeout=10) as r:
        assert r.status == 200


def test_port_taken_is_a_clear_error():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(SetupError) as e:
            SiteServer("shop", port=port).start()
    msg = str(e.value)
    assert str(port) in msg and "shop" in msg and "\n" not in msg


def test_unknown_site_is_a_clear_error():
    with pytest.raises(SetupError, match=r"unknown site 'nope'.*shop"):
        SiteServer("nope")
    with pytest.raises(SetupError, match="unknown site"):
        SiteGroup(["shop", "nope"])


def test_seed_is_cached_and_versioned():
    p1 = ensure_seed("shop")
    mtime = p1.stat().st_mtime
    assert ensure_seed("shop") == p1 and p1.stat().st_mtime == mtime
    assert site_version("shop") in p1.name
    assert set(registry.names()) == {"shop", "shop_admin", "forum", "codehost", "wiki"}


def test_group_starts_in_parallel_and_resets_by_name():
    with SiteGroup(["shop", "shop_admin"]) as g:
        assert set(g.urls) == {"shop", "shop_admin"}
        assert len(set(g.urls.values())) == 2
        with urllib.request.urlopen(g.urls["shop_admin"] + "/admin/auth/login", timeout=10) as r:
            assert re.search(r"Welcome, please sign in", r.read().decode())
        times = g.reset(["shop_admin"])
        assert list(times) == ["shop_admin"] and times["shop_admin"] < 1.0
        with pytest.raises(SetupError, match="not in this group"):
            g.reset(["wiki"])
