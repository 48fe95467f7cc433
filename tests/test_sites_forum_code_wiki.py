"""Forum, codehost and wiki sites: seed volumes, determinism, key routes, write flows over real HTTP,
and one Playwright flow per site in headless Chromium."""

from __future__ import annotations

import hashlib
import http.cookiejar
import importlib
import re
import shutil
import sqlite3
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


class Client:
    """A tiny cookie-keeping HTTP client over urllib; redirects are not followed so tests can assert on them."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, path: str, data=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            resp = self.opener.open(self.base + path, body, timeout=20)
        except urllib.error.HTTPError as e:  # 3xx (unfollowed) and 4xx land here
            return e.code, e.headers.get("Location", ""), e.read().decode()
        return resp.status, resp.headers.get("Location", ""), resp.read().decode()

    def get(self, path):
        return self.request(path)

    def post(self, path, data):
        return self.request(path, data)


class Site:
    def __init__(self, name: str, tmp_path_factory):
        self.mod = importlib.import_module(f"webagent.tasks.sites.{name}")
        self.db = str(tmp_path_factory.mktemp(name) / f"{name}.db")
        self.mod.seed(self.db)
        self.server = make_server("127.0.0.1", 0, self.mod.create_app(self.db), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.thread.join(5)

    def q(self, sql: str, args=()):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, args).fetchall()
        finally:
            con.close()

    def client(self) -> Client:
        return Client(self.url)


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    out = {n: Site(n, tmp_path_factory) for n in ("forum", "codehost", "wiki")}
    yield out
    for s in out.values():
        s.close()


@pytest.fixture(scope="module")
def browser():
    pw_mod = pytest.importorskip("playwright.sync_api")
    with pw_mod.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _dump(db: str) -> str:
    con = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(con.iterdump()).encode()).hexdigest()
    finally:
        con.close()


def _dom_count(page) -> int:
    return page.evaluate("document.querySelectorAll('*').length")


# ---------------------------------------------------------------- contract & determinism
@pytest.mark.parametrize("name", ["forum", "codehost", "wiki"])
def test_contract_and_determinism(name, tmp_path):
    mod = importlib.import_module(f"webagent.tasks.sites.{name}")
    assert mod.NAME == name and isinstance(mod.ACCOUNTS, dict)
    a, b = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    mod.seed(a)
    mod.seed(b)
    assert _dump(a) == _dump(b)
    app = mod.create_app(a)
    assert not any("reset" in str(r) for r in app.url_map.iter_rules())


def test_db_can_be_reset_under_running_app(sites, tmp_path):
    forum = sites["forum"]
    c = forum.client()
    assert c.post("/login", {"username": "MarvelsGrantMan136", "password": "test1234"})[0] == 302
    before = forum.q("SELECT score FROM posts WHERE id = 2")[0][0]
    c.post("/vote/post/2", {"choice": "down"})
    assert forum.q("SELECT score FROM posts WHERE id = 2")[0][0] != before
    pristine = str(tmp_path / "pristine.db")
    forum.mod.seed(pristine)
    src, dst = sqlite3.connect(pristine), sqlite3.connect(forum.db)
    src.backup(dst)
    src.close()
    dst.close()
    assert forum.q("SELECT score FROM posts WHERE id = 2")[0][0] == before
    fname = forum.q("SELECT f.name FROM posts p JOIN forums f ON f.id = p.forum_id WHERE p.id = 2")[0][0]
    assert f'data-score="{before}"' in c.get(f"/f/{fname}/2")[2]


# ---------------------------------------------------------------- forum
def test_forum_volumes_and_routes(sites):
    s = sites["forum"]
    assert s.q("SELECT COUNT(*) FROM forums")[0][0] >= 15
    assert s.q("SELECT COUNT(*) FROM posts")[0][0] >= 400
    depth = s.q("""WITH RECURSIVE d(id, lvl) AS (SELECT id, 0 FROM comments WHERE parent_id IS NULL
                   UNION ALL SELECT c.id, d.lvl + 1 FROM comments c JOIN d ON c.parent_id = d.id) SELECT MAX(lvl) FROM d""")
    assert depth[0][0] >= 2  # levels 0, 1, 2 => at least three levels
    c = s.client()
    for path in ["/", "/?sort=new", "/?sort=top", "/forums", "/f/books", "/f/books?sort=top&page=2",
                 "/u/MarvelsGrantMan136", "/u/MarvelsGrantMan136/comments", "/search?q=keyboard", "/login"]:
        assert c.get(path)[0] == 200, path
    assert c.get("/f/doesnotexist")[0] == 404
    new = re.findall(r'id="submission-(\d+)"', c.get("/?sort=new")[2])
    top_html = c.get("/?sort=top")[2]
    assert len(new) == 25 and new != re.findall(r'id="submission-(\d+)"', top_html)
    top_scores = [int(x) for x in re.findall(r'data-score="(-?\d+)"', top_html)]
    assert top_scores == sorted(top_scores, reverse=True)
    pid, fname = s.q("""SELECT c3.post_id, f.name FROM comments c3 JOIN comments c2 ON c3.parent_id = c2.id
                        JOIN comments c1 ON c2.parent_id = c1.id JOIN posts p ON p.id = c3.post_id
                        JOIN forums f ON f.id = p.forum_id ORDER BY c3.id LIMIT 1""")[0]
    html = c.get(f"/f/{fname}/{pid}")[2]
    assert 'data-depth="2"' in html and "comment-list depth-2" in html


def test_forum_write_flow_http(sites):
    s = sites["forum"]
    c = s.client()
    assert c.get("/submit")[0] == 302  # login required
    assert c.post("/login", {"username": "MarvelsGrantMan136", "password": "nope"})[0] == 401
    assert c.post("/login", {"username": "MarvelsGrantMan136", "password": "test1234"})[0] == 302
    status, _, html = c.post("/submit", {"title": "", "body": "x", "forum": "books"})
    assert status == 400 and "should not be blank" in html
    assert c.post("/submit", {"title": "t", "forum": "nosuchforum"})[0] == 400
    status, loc, _ = c.post("/submit", {"title": "HTTP flow post", "body": "Some body", "forum": "books"})
    assert status == 302
    pid = int(re.search(r"/f/books/(\d+)", loc).group(1))
    assert s.q("SELECT title, score FROM posts WHERE id = ?", (pid,)) == [("HTTP flow post", 1)]
    other_id, other_score = s.q("SELECT id, score FROM posts WHERE user_id != 1 ORDER BY id DESC LIMIT 1")[0]
    c.post(f"/vote/post/{other_id}", {"choice": "up"})
    assert s.q("SELECT score FROM posts WHERE id = ?", (other_id,))[0][0] != other_score
    _, loc, _ = c.post(f"/f/books/{pid}/comment", {"body": "top level"})
    cid = int(loc.rsplit("-", 1)[1])
    c.post(f"/f/books/{pid}/comment", {"body": "a reply", "parent_id": str(cid)})
    assert s.q("SELECT COUNT(*) FROM comments WHERE parent_id = ?", (cid,))[0][0] == 1
    assert c.post(f"/f/books/{pid}/edit", {"title": "Edited by test", "body": "b"})[0] == 302
    assert s.q("SELECT title FROM posts WHERE id = ?", (pid,))[0][0] == "Edited by test"
    opid, oforum = s.q("SELECT p.id, f.name FROM posts p JOIN forums f ON f.id = p.forum_id "
                       "WHERE p.user_id != 1 ORDER BY p.id LIMIT 1")[0]
    assert c.post(f"/f/{oforum}/{opid}/edit", {"title": "hijack"})[0] == 403
    c.post("/f/Art/subscribe", {"action": "subscribe"})
    assert s.q("SELECT COUNT(*) FROM subscriptions s JOIN forums f ON f.id = s.forum_id "
               "WHERE s.user_id = 1 AND f.name = 'Art'")[0][0] == 1
    status, _, html = c.get(f"/f/books/{pid}/delete")
    assert status == 200 and "Are you sure" in html
    assert c.post(f"/f/books/{pid}/delete", {"confirm": "yes"})[0] == 302
    assert s.q("SELECT COUNT(*) FROM posts WHERE id = ?", (pid,))[0][0] == 0


def test_forum_browser_flow(sites, browser):
    s = sites["forum"]
    page = browser.new_page()
    page.goto(s.url + "/login")
    page.get_by_label("Username").fill("MarvelsGrantMan136")
    page.get_by_label("Password").fill("test1234")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(s.url + "/")
    n = _dom_count(page)
    print(f"forum front page DOM elements: {n}")
    assert n >= 1000
    page.goto(s.url + "/submit")
    page.get_by_label("Title").fill("Browser made this")
    page.get_by_label("Body").fill("Written through Playwright locators.")
    page.get_by_label("Forum").select_option("science")
    page.get_by_role("button", name="Create submission").click()
    page.wait_for_url(re.compile(r".*/f/science/\d+/browser-made-this$"))
    assert page.get_by_role("heading", name="Browser made this").is_visible()
    post = page.locator("article.submission-full")
    assert post.locator(".vote-score").inner_text() == "1"
    post.get_by_role("button", name="Upvote").click()  # toggles our own upvote off
    page.wait_for_load_state()
    assert page.locator("article.submission-full .vote-score").inner_text() == "0"
    page.close()


# ---------------------------------------------------------------- codehost
def test_codehost_volumes_and_routes(sites):
    s = sites["codehost"]
    assert s.q("SELECT COUNT(*) FROM projects")[0][0] >= 12
    assert s.q("SELECT COUNT(*) FROM issues")[0][0] >= 500
    assert {r[0] for r in s.q("SELECT DISTINCT access_level FROM members")} == {10, 20, 30, 40, 50}
    c = s.client()
    for path in ["/explore/projects", "/explore/projects?search=dot", "/byteblaze", "/a11yproject",
                 "/byteblaze/dotfiles", "/byteblaze/dotfiles/-/tree/main/scripts",
                 "/byteblaze/dotfiles/-/blob/main/install.sh", "/byteblaze/dotfiles/-/issues",
                 "/byteblaze/dotfiles/-/merge_requests?state=all", "/byteblaze/dotfiles/-/milestones?state=all",
                 "/byteblaze/dotfiles/-/labels", "/byteblaze/dotfiles/-/project_members", "/search?search=crash",
                 "/users/sign_in"]:
        assert c.get(path)[0] == 200, path
    assert "README.md" in c.get("/byteblaze/dotfiles")[2]
    html = c.get("/a11yproject/a11yproject.com/-/issues?state=all&label_name=bug")[2]
    expect = s.q("""SELECT COUNT(*) FROM issues i JOIN projects p ON p.id = i.project_id WHERE p.path = 'a11yproject.com'
                    AND EXISTS (SELECT 1 FROM issue_labels il JOIN labels l ON l.id = il.label_id
                                WHERE il.issue_id = i.id AND l.name = 'bug')""")[0][0]
    assert int(re.search(r"(\d+) issues</p>", html).group(1)) == expect > 0
    html = c.get("/a11yproject/a11yproject.com/-/issues?state=opened&assignee_username=byteblaze")[2]
    expect = s.q("""SELECT COUNT(*) FROM issues i JOIN projects p ON p.id = i.project_id JOIN users u ON u.id = i.assignee_id
                    WHERE p.path = 'a11yproject.com' AND i.state = 'opened' AND u.username = 'byteblaze'""")[0][0]
    assert int(re.search(r"(\d+) issues</p>", html).group(1)) == expect


def test_codehost_write_flow_http(sites):
    s = sites["codehost"]
    c = s.client()
    assert c.post("/users/sign_in", {"username": "byteblaze", "password": "hello1234"})[0] == 302
    assert c.get("/-/profile")[1].endswith("/byteblaze")
    assert c.post("/byteblaze/dotfiles/-/issues/new", {"title": ""})[0] == 400
    labels = dict(s.q("SELECT l.name, l.id FROM labels l JOIN projects p ON p.id = l.project_id WHERE p.path = 'dotfiles'"))
    ms = s.q("SELECT ms.id FROM milestones ms JOIN projects p ON p.id = ms.project_id "
             "WHERE p.path = 'dotfiles' AND ms.state = 'active'")
    status, loc, _ = c.post("/byteblaze/dotfiles/-/issues/new", [
        ("title", "Created over HTTP"), ("description", "desc"), ("label_ids", labels["bug"]),
        ("label_ids", labels["documentation"]), ("assignee_id", "1"), ("milestone_id", ms[0][0] if ms else "")])
    assert status == 302
    iid = int(loc.rsplit("/", 1)[1])
    row = s.q("SELECT i.id, i.state, i.assignee_id FROM issues i JOIN projects p ON p.id = i.project_id "
              "WHERE p.path = 'dotfiles' AND i.iid = ?", (iid,))[0]
    assert row[1:] == ("opened", 1)
    assert s.q("SELECT COUNT(*) FROM issue_labels WHERE issue_id = ?", (row[0],))[0][0] == 2
    c.post(f"/byteblaze/dotfiles/-/issues/{iid}/close", {})
    assert s.q("SELECT state FROM issues WHERE id = ?", (row[0],))[0][0] == "closed"
    c.post(f"/byteblaze/dotfiles/-/issues/{iid}/reopen", {})
    assert s.q("SELECT state FROM issues WHERE id = ?", (row[0],))[0][0] == "opened"
    newbie = s.q("SELECT username, id FROM users WHERE id NOT IN (SELECT user_id FROM members WHERE project_id = 1) "
                 "ORDER BY id LIMIT 1")[0]
    assert c.post("/byteblaze/dotfiles/-/project_members", {"username": newbie[0], "access_level": "30"})[0] == 302
    assert s.q("SELECT access_level FROM members WHERE project_id = 1 AND user_id = ?", (newbie[1],)) == [(30,)]
    assert c.post("/byteblaze/dotfiles/-/project_members", {"username": "nobody-here", "access_level": "30"})[0] == 400
    stars = s.q("SELECT COUNT(*) FROM stars WHERE project_id = 1")[0][0]
    c.post("/byteblaze/dotfiles/-/star", {})
    assert s.q("SELECT COUNT(*) FROM stars WHERE project_id = 1")[0][0] == stars + 1
    c2 = s.client()
    c2.post("/users/sign_in", {"username": "vinta", "password": "hello1234"})
    assert c2.post("/byteblaze/dotfiles/-/project_members", {"username": newbie[0], "access_level": "50"})[0] == 403


def test_codehost_browser_flow(sites, browser):
    s = sites["codehost"]
    page = browser.new_page()
    page.goto(s.url + "/users/sign_in")
    page.get_by_label("Username or email").fill("byteblaze")
    page.get_by_label("Password").fill("hello1234")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(s.url + "/dashboard/projects")
    page.get_by_role("link", name="byteblaze / dotfiles").click()
    page.get_by_role("complementary", name="Project navigation").get_by_role("link", name=re.compile(r"^Issues")).click()
    page.wait_for_url(re.compile(r".*/-/issues$"))
    print(f"codehost issue list DOM elements: {_dom_count(page)}")
    page.get_by_role("link", name="New issue").click()
    page.get_by_label("Title (required)").fill("Browser issue")
    page.get_by_label("Labels").select_option(label=["bug", "documentation"])
    page.get_by_label("Assignee").select_option(label="Byte Blaze (@byteblaze)")
    page.get_by_role("button", name="Create issue").click()
    page.wait_for_url(re.compile(r".*/byteblaze/dotfiles/-/issues/\d+$"))
    assert page.get_by_role("heading", name="Browser issue").is_visible()
    page.get_by_role("button", name="Close issue").click()
    page.wait_for_load_state()
    assert page.locator(".status-badge").inner_text() == "Closed"
    page.goto(s.url + "/byteblaze/dotfiles/-/issues?state=all&label_name=bug")
    assert page.get_by_role("link", name="Browser issue").is_visible()
    page.close()


# ---------------------------------------------------------------- wiki
def test_wiki_volumes_and_routes(sites):
    s = sites["wiki"]
    assert s.q("SELECT COUNT(*) FROM articles")[0][0] >= 200
    assert s.q("SELECT COUNT(*) FROM links WHERE dst_title NOT IN (SELECT title FROM articles)")[0][0] == 0
    c = s.client()
    title = s.q("SELECT title FROM articles WHERE kind = 'city' ORDER BY id LIMIT 1")[0][0]
    status, _, html = c.get("/wiki/" + title.replace(" ", "_"))
    assert status == 200
    assert 'class="infobox"' in html and '<th scope="row">Population (2020)</th>' in html
    assert "References" in html and html.count('href="/wiki/') > 10
    for path in ["/", "/categories", "/index", "/index?letter=B"]:
        assert c.get(path)[0] == 200, path
    cat = s.q("SELECT name FROM categories ORDER BY name LIMIT 1")[0][0]
    assert c.get("/wiki/Category:" + cat.replace(" ", "_"))[0] == 200
    status, loc, _ = c.get("/search?q=" + urllib.parse.quote(title.lower()))
    assert status == 302 and loc.endswith("/wiki/" + title.replace(" ", "_"))
    status, _, html = c.get("/search?q=River")
    assert status == 200 and "mw-search-results" in html and int(re.search(r"of (\d+) for", html).group(1)) > 10
    status, loc, _ = c.get("/random?seed=3")
    assert status == 302 and "/wiki/" in loc
    assert c.get("/wiki/No_such_article_here")[0] == 404


def test_wiki_browser_flow(sites, browser):
    s = sites["wiki"]
    title, born_raw = s.q("SELECT a.title, i.value FROM articles a JOIN infobox i ON i.article_id = a.id "
                          "WHERE a.kind = 'person' AND i.key = 'Born' ORDER BY a.id LIMIT 1")[0]
    birthplace = re.search(r"\[\[([^\]]+)\]\]", born_raw).group(1)
    page = browser.new_page()
    page.goto(s.url + "/")
    page.get_by_role("searchbox", name="Search Wikipedia").fill(title)
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_url(re.compile(r".*/wiki/.*"))
    assert page.get_by_role("heading", name=title, level=1).is_visible()
    born = page.locator("table.infobox tr").filter(has=page.get_by_role("rowheader", name="Born")).inner_text()
    assert birthplace in born
    page.locator("table.infobox").get_by_role("link", name=birthplace, exact=True).first.click()
    page.wait_for_url(re.compile(r".*/wiki/.*"))
    assert page.get_by_role("heading", name=birthplace, level=1).is_visible()
    print(f"wiki city article DOM elements: {_dom_count(page)}")
    page.get_by_role("navigation", name="Categories").get_by_role("link").nth(1).click()
    page.wait_for_url(re.compile(r".*/wiki/Category:.*"))
    assert page.get_by_role("heading", name=re.compile(r"^Category:")).is_visible()
    page.close()
