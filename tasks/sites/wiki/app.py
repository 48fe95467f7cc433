"""Flask app for the wiki site. Read-only; one sqlite3 connection per request; no data cached in memory."""

from __future__ import annotations

import html
import math
import random
import re
from urllib.parse import quote

from flask import Flask, abort, redirect, render_template, request
from markupsafe import Markup
from webagent.tasks.sites import common

PER_PAGE = 20
LINK_RE = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")


def title_to_path(title: str) -> str:
    return quote(title.replace(" ", "_"), safe="_,()'.-:")


def path_to_title(path: str) -> str:
    return path.replace("_", " ")


def create_app(db_path: str) -> Flask:
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(SECRET_KEY="webagent-wiki-local-secret", SESSION_COOKIE_NAME="wiki_session", DB_PATH=db_path)

    db = common.get_db  # one connection per request, closed at teardown
    common.close_db_after_requests(app)

    def existing_titles(titles: set[str]) -> set[str]:
        if not titles:
            return set()
        marks = ",".join("?" * len(titles))
        return {r[0] for r in db().execute(f"SELECT title FROM articles WHERE title IN ({marks})", sorted(titles))}

    def render_inline(text: str, exists: set[str]) -> str:
        parts = []
        pos = 0
        for m in LINK_RE.finditer(text):
            parts.append(_fmt(html.escape(text[pos:m.start()])))
            target, label = m.group(1), m.group(2) or m.group(1)
            cls = "" if target in exists else ' class="new"'
            parts.append(f'<a href="/wiki/{title_to_path(target)}"{cls} title="{html.escape(target)}">'
                         f"{html.escape(label)}</a>")
            pos = m.end()
        parts.append(_fmt(html.escape(text[pos:])))
        return "".join(parts).replace("&lt;br&gt;", "<br>")

    def _fmt(s: str) -> str:
        return re.sub(r"&#x27;&#x27;&#x27;(.+?)&#x27;&#x27;&#x27;", r"<b>\1</b>", s)

    def render_block(text: str, exists: set[str]) -> Markup:
        out = []
        for para in text.split("\n\n"):
            lines = para.split("\n")
            if all(ln.startswith("* ") for ln in lines):
                out.append("<ul>" + "".join(f"<li>{render_inline(ln[2:], exists)}</li>" for ln in lines) + "</ul>")
            else:
                out.append(f"<p>{render_inline(para, exists)}</p>")
        return Markup("\n".join(out))

    @app.context_processor
    def _ctx():
        return {"wiki_path": title_to_path}

    def sidebar_data():
        cats = db().execute(
            "SELECT c.name, COUNT(*) AS n FROM categories c JOIN article_categories ac ON ac.category_id = c.id "
            "GROUP BY c.id ORDER BY n DESC, c.name LIMIT 12").fetchall()
        return {"side_categories": cats}

    @app.get("/")
    def main_page():
        n = db().execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        featured = db().execute("SELECT * FROM articles WHERE kind = 'city' ORDER BY word_count DESC, id LIMIT 1").fetchone()
        recent = db().execute("SELECT title FROM articles WHERE kind = 'person' ORDER BY id LIMIT 8").fetchall()
        dyk = db().execute("SELECT title, summary FROM articles WHERE kind IN ('river', 'mountain', 'university') "
                           "ORDER BY id LIMIT 6").fetchall()
        featured_html = render_block(
            featured["summary"], existing_titles({t for t, _ in LINK_RE.findall(featured["summary"])}))
        cats = db().execute("SELECT name FROM categories ORDER BY name").fetchall()
        letters = [r[0] for r in db().execute("SELECT DISTINCT upper(substr(title, 1, 1)) FROM articles ORDER BY 1")]
        return render_template("main.html", n=n, featured=featured, featured_html=featured_html, recent=recent,
                               dyk=[(d["title"], render_block(d["summary"], existing_titles({t for t, _ in LINK_RE.findall(d["summary"])})))
                                    for d in dyk], cats=cats,
                               letters=letters, **sidebar_data())

    @app.get("/wiki/<path:page>")
    def article(page: str):
        title = path_to_title(page)
        if title.startswith("Category:"):
            return category(title[len("Category:"):])
        a = db().execute("SELECT * FROM articles WHERE title = ?", (title,)).fetchone()
        if a is None:
            alt = db().execute("SELECT title FROM articles WHERE lower(title) = lower(?)", (title,)).fetchone()
            if alt is not None:
                return redirect("/wiki/" + title_to_path(alt[0]))
            return render_template("missing.html", title=title, **sidebar_data()), 404
        infobox = db().execute("SELECT key, value FROM infobox WHERE article_id = ? ORDER BY ord", (a["id"],)).fetchall()
        sections = db().execute("SELECT heading, body FROM sections WHERE article_id = ? ORDER BY ord", (a["id"],)).fetchall()
        refs = db().execute("SELECT text FROM refs WHERE article_id = ? ORDER BY ord", (a["id"],)).fetchall()
        cats = db().execute("SELECT c.name FROM article_categories ac JOIN categories c ON c.id = ac.category_id "
                            "WHERE ac.article_id = ? ORDER BY c.name", (a["id"],)).fetchall()
        text = a["summary"] + " ".join(s["body"] for s in sections) + " ".join(r["value"] for r in infobox)
        exists = existing_titles({t for t, _ in LINK_RE.findall(text)})
        backlinks = db().execute("SELECT a.title FROM links l JOIN articles a ON a.id = l.src_id WHERE l.dst_title = ? "
                                 "ORDER BY a.title LIMIT 30", (a["title"],)).fetchall()
        # navbox: other members of the first category
        navbox = None
        if cats:
            members = db().execute(
                "SELECT a.title FROM article_categories ac JOIN categories c ON c.id = ac.category_id "
                "JOIN articles a ON a.id = ac.article_id WHERE c.name = ? ORDER BY a.title", (cats[0]["name"],)).fetchall()
            navbox = (cats[0]["name"], [m[0] for m in members])
        return render_template(
            "article.html", a=a, summary_html=render_block(a["summary"], exists),
            infobox=[(k, Markup(render_inline(v, exists))) for k, v in infobox],
            sections=[(s["heading"], "s-" + re.sub(r"\W+", "_", s["heading"]), render_block(s["body"], exists))
                      for s in sections],
            refs=refs, cats=cats, backlinks=backlinks, navbox=navbox, **sidebar_data())

    def category(name: str):
        c = db().execute("SELECT * FROM categories WHERE name = ?", (name,)).fetchone()
        if c is None:
            abort(404)
        members = db().execute(
            "SELECT a.title, a.summary FROM article_categories ac JOIN articles a ON a.id = ac.article_id "
            "WHERE ac.category_id = ? ORDER BY a.title", (c["id"],)).fetchall()
        groups: dict[str, list[str]] = {}
        for m in members:
            groups.setdefault(m["title"][0].upper(), []).append(m["title"])
        return render_template("category.html", c=c, groups=groups, n=len(members), **sidebar_data())

    @app.get("/categories")
    def categories():
        cats = db().execute(
            "SELECT c.name, COUNT(ac.article_id) AS n FROM categories c LEFT JOIN article_categories ac "
            "ON ac.category_id = c.id GROUP BY c.id ORDER BY c.name").fetchall()
        return render_template("categories.html", cats=cats, **sidebar_data())

    @app.get("/index")
    def index():
        letter = (request.args.get("letter") or "").upper()[:1]
        if letter:
            rows = db().execute("SELECT title, kind FROM articles WHERE upper(substr(title, 1, 1)) = ? ORDER BY title",
                                (letter,)).fetchall()
        else:
            rows = db().execute("SELECT title, kind FROM articles ORDER BY title").fetchall()
        letters = [r[0] for r in db().execute("SELECT DISTINCT upper(substr(title, 1, 1)) FROM articles ORDER BY 1")]
        return render_template("index.html", rows=rows, letter=letter, letters=letters, **sidebar_data())

    @app.get("/random")
    def random_article():
        ids = [r[0] for r in db().execute("SELECT title FROM articles ORDER BY id")]
        seed = request.args.get("seed")
        rng = random.Random(seed) if seed is not None else random.Random()
        return redirect("/wiki/" + title_to_path(rng.choice(ids)))

    @app.get("/search")
    def search():
        q = (request.args.get("q") or request.args.get("pattern") or "").strip()
        if not q:
            return render_template("search.html", q=q, results=[], total=0, page=1, pages=1, **sidebar_data())
        exact = db().execute("SELECT title FROM articles WHERE lower(title) = lower(?)", (q,)).fetchone()
        if exact is not None and request.args.get("fulltext") != "1":
            return redirect("/wiki/" + title_to_path(exact[0]))
        like = f"%{q}%"
        rows = db().execute(
            "SELECT a.title, a.summary, a.word_count, "
            "(CASE WHEN a.title LIKE ? THEN 0 WHEN a.summary LIKE ? THEN 1 ELSE 2 END) AS rank FROM articles a "
            "WHERE a.title LIKE ? OR a.summary LIKE ? OR EXISTS (SELECT 1 FROM sections s WHERE s.article_id = a.id "
            "AND s.body LIKE ?) ORDER BY rank, a.title", (like, like, like, like, like)).fetchall()
        total = len(rows)
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        pages = max(1, math.ceil(total / PER_PAGE))
        shown = rows[(page - 1) * PER_PAGE: page * PER_PAGE]
        results = []
        for r in shown:
            plain = LINK_RE.sub(lambda m: m.group(2) or m.group(1), r["summary"]).replace("'''", "")
            results.append({"title": r["title"], "snippet": _snippet(plain, q), "words": r["word_count"]})
        return render_template("search.html", q=q, results=results, total=total, page=page, pages=pages,
                               **sidebar_data())

    @app.errorhandler(404)
    def _err(e):
        return render_template("missing.html", title=None, **sidebar_data()), 404

    return app


def _snippet(text: str, q: str) -> Markup:
    i = text.lower().find(q.lower())
    if i < 0:
        return Markup(html.escape(text[:200]))
    start = max(0, i - 80)
    seg = text[start:i + len(q) + 120]
    j = i - start
    return Markup(html.escape(seg[:j]) + "<b>" + html.escape(seg[j:j + len(q)]) + "</b>" + html.escape(seg[j + len(q):]))
