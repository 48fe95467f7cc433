"""Every bundled site that writes keeps its data consistent under concurrent requests (issue 14): ten requests
released together on one session must give the same end state as the same ten one after another."""

from __future__ import annotations

import http.cookiejar
import sqlite3
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from webagent.tasks.sites.server import SiteGroup

N = 10


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **kw):
        return None


class Client:
    """One browser-like session (a cookie jar) that can fire N identical POSTs at the same instant."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def post(self, path: str, data: dict) -> int:
        req = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(data, doseq=True).encode())
        try:
            with self.op.open(req, timeout=30) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def burst(self, path: str, datas: list[dict]) -> list[int]:
        gate = threading.Barrier(len(datas))

        def one(d: dict) -> int:
            gate.wait()
            return self.post(path, d)
        with ThreadPoolExecutor(len(datas)) as pool:
            return list(pool.map(one, datas))


@pytest.fixture(scope="module")
def group():
    g = SiteGroup(["shop", "shop_admin", "forum", "codehost"])
    g.start()
    yield g
    g.stop()


def db(group, site: str) -> sqlite3.Connection:
    con = sqlite3.connect(group[site].db_path, timeout=10)
    con.row_factory = sqlite3.Row
    return con


def test_shop_concurrent_add_to_cart_loses_nothing(group):
    with db(group, "shop") as con:
        pid = con.execute("SELECT id FROM products WHERE status=1 AND qty >= 50 AND id NOT IN "
                          "(SELECT product_id FROM product_options) ORDER BY id LIMIT 1").fetchone()[0]
    c = Client(group.urls["shop"])
    assert c.post("/checkout/cart/add", {"product_id": pid, "qty": 1}) == 302  # creates the guest cart
    assert c.burst("/checkout/cart/add", [{"product_id": pid, "qty": 1}] * N) == [302] * N
    with db(group, "shop") as con:
        rows = con.execute("SELECT qty FROM cart_items WHERE product_id=?", (pid,)).fetchall()
    assert [r["qty"] for r in rows] == [N + 1]


def test_admin_concurrent_new_products_with_one_sku_create_one(group):
    c = Client(group.urls["shop_admin"])
    assert c.post("/admin/auth/login", {"login[username]": "admin", "login[password]": "admin1234"}) == 302
    with db(group, "shop_admin") as con:
        cat = con.execute("SELECT id FROM categories ORDER BY id LIMIT 1").fetchone()[0]
    form = {"name": "Race Condition Mug", "sku": "RACE-001", "price": "9.99", "qty": "5", "status": "1",
            "category_id": cat, "special_price": "", "special_from": "", "short_description": "",
            "description": "", "weight": "1"}
    codes = c.burst("/admin/catalog/product/new/", [form] * N)
    assert sorted(codes) == [302] + [400] * (N - 1), codes
    with db(group, "shop_admin") as con:
        assert con.execute("SELECT COUNT(*) FROM products WHERE sku='RACE-001'").fetchone()[0] == 1


def test_forum_concurrent_vote_toggles_serialize(group):
    c = Client(group.urls["forum"])
    assert c.post("/login", {"username": "MarvelsGrantMan136", "password": "test1234"}) == 302
    with db(group, "forum") as con:
        uid = con.execute("SELECT id FROM users WHERE username='MarvelsGrantMan136'").fetchone()[0]
        pid = con.execute("SELECT id FROM posts WHERE id NOT IN (SELECT post_id FROM post_votes WHERE user_id=?) "
                          "ORDER BY id LIMIT 1", (uid,)).fetchone()[0]
    assert c.burst(f"/vote/post/{pid}", [{"choice": "up"}] * N) == [302] * N
    with db(group, "forum") as con:  # ten toggles one after another end where they started: no vote
        assert con.execute("SELECT COUNT(*) FROM post_votes WHERE user_id=? AND post_id=?",
                           (uid, pid)).fetchone()[0] == 0
        score, total = con.execute("SELECT score, (SELECT COALESCE(SUM(value), 0) FROM post_votes WHERE post_id=?) "
                                   "FROM posts WHERE id=?", (pid, pid)).fetchone()
    assert score == total


def test_codehost_concurrent_new_issues_get_distinct_numbers(group):
    c = Client(group.urls["codehost"])
    assert c.post("/users/sign_in", {"username": "byteblaze", "password": "hello1234"}) == 302
    with db(group, "codehost") as con:
        proj = con.execute("SELECT id FROM projects WHERE namespace='byteblaze' AND path='dotfiles'").fetchone()
    assert proj is not None
    with db(group, "codehost") as con:
        before = con.execute("SELECT COUNT(*) FROM issues WHERE project_id=?", (proj[0],)).fetchone()[0]
    codes = c.burst("/byteblaze/dotfiles/-/issues/new", [{"title": f"Race {i}"} for i in range(N)])
    assert codes == [302] * N, codes
    with db(group, "codehost") as con:
        iids = [r[0] for r in con.execute("SELECT iid FROM issues WHERE project_id=? AND title LIKE 'Race %'",
                                          (proj[0],))]
        con_count = con.execute("SELECT COUNT(*) FROM issues WHERE project_id=?", (proj[0],)).fetchone()[0]
    assert len(iids) == N and len(set(iids)) == N
    assert con_count == before + N
