"""Flask app for the forum site. One sqlite3 connection per request; no data cached in memory."""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlencode

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from webagent.tasks.sites import common

from .. import _textgen as tg

PER_PAGE = 25
REF_NOW = dt.datetime(2024, 1, 1)
SORTS = ("hot", "new", "top")

POST_COLUMNS = """
    p.id, p.title, p.url, p.body, p.score, p.created_at, p.edited_at, p.user_id,
    u.username AS author, f.name AS forum, f.title AS forum_title,
    (SELECT COUNT(*) FROM comments c WHERE c.post_id = p.id) AS n_comments
"""
POST_FROM = "FROM posts p JOIN users u ON u.id = p.user_id JOIN forums f ON f.id = p.forum_id"


def _hot(score: int, created: str) -> float:
    order = math.log10(max(abs(score), 1))
    sign = 1 if score > 0 else -1 if score < 0 else 0
    secs = (dt.datetime.strptime(created, "%Y-%m-%d %H:%M:%S") - REF_NOW).total_seconds()
    return round(sign * order + secs / 45000, 7)


def create_app(db_path: str) -> Flask:
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(
        SECRET_KEY="webagent-forum-local-secret",
        SESSION_COOKIE_NAME="forum_session",
        DB_PATH=db_path,
        TEMPLATES_AUTO_RELOAD=False,
    )

    db = common.get_db  # one connection per request, closed at teardown
    common.close_db_after_requests(app)

    me = common.current_user

    def require_login():
        if me() is None:
            return redirect(url_for("login", next=request.full_path.rstrip("?")))
        return None

    def now() -> str:
        row = db().execute(
            "SELECT MAX(m) FROM (SELECT MAX(created_at) AS m FROM posts UNION ALL "
            "SELECT MAX(created_at) FROM comments UNION ALL SELECT MAX(edited_at) FROM posts)"
        ).fetchone()
        return tg.shift(row[0] or "2024-01-01 00:00:00", 60)

    def safe_next(default: str) -> str:
        nxt = request.values.get("next") or ""
        return nxt if nxt.startswith("/") and not nxt.startswith("//") else default

    def forum_or_404(name: str):
        row = db().execute("SELECT * FROM forums WHERE name = ?", (name,)).fetchone()
        if row is None:
            abort(404)
        return row

    def post_or_404(forum: str, pid: int):
        row = db().execute(f"SELECT {POST_COLUMNS}, p.forum_id {POST_FROM} WHERE p.id = ?", (pid,)).fetchone()
        if row is None or row["forum"] != forum:
            abort(404)
        return row

    def my_votes(kind: str, ids: list[int]) -> dict[int, int]:
        u = me()
        if u is None or not ids:
            return {}
        table, col = ("post_votes", "post_id") if kind == "post" else ("comment_votes", "comment_id")
        marks = ",".join("?" * len(ids))
        rows = db().execute(
            f"SELECT {col}, value FROM {table} WHERE user_id = ? AND {col} IN ({marks})", (u["id"], *ids)
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def listing(where: str = "", args: tuple = (), sort: str = "hot"):
        sort = sort if sort in SORTS else "hot"
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        order = {"new": "p.created_at DESC, p.id DESC", "top": "p.score DESC, p.id DESC", "hot": "p.id"}[sort]
        sql = f"SELECT {POST_COLUMNS} {POST_FROM} {where} ORDER BY {order}"
        rows = db().execute(sql, args).fetchall()
        if sort == "hot":
            rows = sorted(rows, key=lambda r: (-_hot(r["score"], r["created_at"]), -r["id"]))
        total = len(rows)
        rows = rows[(page - 1) * PER_PAGE : page * PER_PAGE]
        return {
            "posts": rows,
            "votes": my_votes("post", [r["id"] for r in rows]),
            "sort": sort,
            "page": page,
            "total": total,
            "pages": max(1, math.ceil(total / PER_PAGE)),
        }

    @app.context_processor
    def _ctx():
        u = me()
        subs = []
        if u is not None:
            subs = db().execute(
                "SELECT f.name, f.title FROM subscriptions s JOIN forums f ON f.id = s.forum_id "
                "WHERE s.user_id = ? ORDER BY lower(f.name)",
                (u["id"],),
            ).fetchall()
        all_forums = db().execute("SELECT name, title FROM forums ORDER BY lower(name)").fetchall()

        def page_url(**kw):
            args = request.args.to_dict()
            args.update({k: v for k, v in kw.items()})
            return request.path + "?" + urlencode(args)

        return {
            "me": u,
            "my_subs": subs,
            "all_forums": all_forums,
            "page_url": page_url,
            "pretty": lambda ts: tg.pretty_date(ts) + ts[10:16] if ts else "",
            "slugify": tg.slugify,
        }

    # ------------------------------------------------------------------ listings
    @app.get("/")
    def front():
        data = listing(sort=request.args.get("sort", "hot"))
        recent = db().execute(
            "SELECT c.id, c.post_id, c.created_at, u.username AS author, p.title AS post_title, f.name AS forum "
            "FROM comments c JOIN users u ON u.id = c.user_id JOIN posts p ON p.id = c.post_id "
            "JOIN forums f ON f.id = p.forum_id ORDER BY c.created_at DESC, c.id DESC LIMIT 10"
        ).fetchall()
        return render_template(
            "listing.html", heading="All forums", forum=None, recent_comments=recent, forum_stats=_forum_stats(), **data
        )

    def _forum_stats():
        return db().execute(
            "SELECT f.*, (SELECT COUNT(*) FROM subscriptions s WHERE s.forum_id = f.id) AS subscribers, "
            "(SELECT COUNT(*) FROM posts p WHERE p.forum_id = f.id) AS n_posts FROM forums f ORDER BY lower(f.name)"
        ).fetchall()

    @app.get("/subscribed")
    def subscribed():
        if (r := require_login()) is not None:
            return r
        data = listing(
            "WHERE p.forum_id IN (SELECT forum_id FROM subscriptions WHERE user_id = ?)",
            (me()["id"],),
            request.args.get("sort", "hot"),
        )
        return render_template(
            "listing.html", heading="Subscribed forums", forum=None, recent_comments=[], forum_stats=_forum_stats(), **data
        )

    @app.get("/forums")
    def forums():
        rows = _forum_stats()
        subscribed_names = {s["name"] for s in _ctx()["my_subs"]}
        return render_template("forums.html", forums=rows, subscribed_names=subscribed_names)

    @app.get("/f/<name>")
    def forum(name: str):
        f = forum_or_404(name)
        data = listing("WHERE p.forum_id = ?", (f["id"],), request.args.get("sort", "hot"))
        subscribers = db().execute("SELECT COUNT(*) FROM subscriptions WHERE forum_id = ?", (f["id"],)).fetchone()[0]
        mods = db().execute(
            "SELECT u.username FROM moderators m JOIN users u ON u.id = m.user_id WHERE m.forum_id = ? "
            "ORDER BY lower(u.username)",
            (f["id"],),
        ).fetchall()
        is_sub = me() is not None and db().execute(
            "SELECT 1 FROM subscriptions WHERE user_id = ? AND forum_id = ?", (me()["id"], f["id"])
        ).fetchone() is not None
        return render_template(
            "listing.html", heading=f["title"], forum=f, subscribers=subscribers, mods=mods, is_sub=is_sub, **data
        )

    @app.post("/f/<name>/subscribe")
    def subscribe(name: str):
        if (r := require_login()) is not None:
            return r
        f = forum_or_404(name)
        if request.form.get("action") == "unsubscribe":
            db().execute("DELETE FROM subscriptions WHERE user_id = ? AND forum_id = ?", (me()["id"], f["id"]))
            flash(f"Unsubscribed from /f/{name}.")
        else:
            db().execute("INSERT OR IGNORE INTO subscriptions VALUES (?, ?)", (me()["id"], f["id"]))
            flash(f"Subscribed to /f/{name}.")
        db().commit()
        return redirect(safe_next(url_for("forum", name=name)))

    # ------------------------------------------------------------------ posts
    @app.get("/f/<forum>/<int:pid>")
    @app.get("/f/<forum>/<int:pid>/<slug>")
    def post(forum: str, pid: int, slug: str = ""):
        p = post_or_404(forum, pid)
        rows = db().execute(
            "SELECT c.*, u.username AS author FROM comments c JOIN users u ON u.id = c.user_id "
            "WHERE c.post_id = ? ORDER BY c.score DESC, c.id",
            (pid,),
        ).fetchall()
        children: dict[int | None, list] = {}
        for c in rows:
            children.setdefault(c["parent_id"], []).append(c)

        def build(parent):
            return [{"c": c, "children": build(c["id"])} for c in children.get(parent, [])]

        f = forum_or_404(forum)
        return render_template(
            "post.html",
            post=p,
            forum=f,
            tree=build(None),
            n_comments=len(rows),
            votes=my_votes("post", [pid]),
            cvotes=my_votes("comment", [c["id"] for c in rows]),
        )

    @app.post("/f/<forum>/<int:pid>/comment")
    def comment(forum: str, pid: int):
        if (r := require_login()) is not None:
            return r
        p = post_or_404(forum, pid)
        body = (request.form.get("body") or "").strip()
        parent = request.form.get("parent_id", type=int)
        target = url_for("post", forum=forum, pid=pid, slug=tg.slugify(p["title"]))
        if not body:
            flash("The comment body must not be empty.", "error")
            return redirect(target)
        if parent is not None:
            ok = db().execute("SELECT 1 FROM comments WHERE id = ? AND post_id = ?", (parent, pid)).fetchone()
            if not ok:
                abort(400)
        cur = db().execute(
            "INSERT INTO comments (post_id, parent_id, user_id, body, score, created_at) VALUES (?,?,?,?,1,?)",
            (pid, parent, me()["id"], body, now()),
        )
        db().execute("INSERT INTO comment_votes VALUES (?,?,1)", (me()["id"], cur.lastrowid))
        db().commit()
        flash("Your comment was posted.")
        return redirect(f"{target}#comment-{cur.lastrowid}")

    def _vote(kind: str, obj_id: int):
        if (r := require_login()) is not None:
            return r
        table, col, parent = (
            ("post_votes", "post_id", "posts") if kind == "post" else ("comment_votes", "comment_id", "comments")
        )
        if db().execute(f"SELECT 1 FROM {parent} WHERE id = ?", (obj_id,)).fetchone() is None:
            abort(404)
        choice = request.form.get("choice")
        if choice not in ("up", "down"):
            abort(400)
        value = 1 if choice == "up" else -1
        uid = me()["id"]
        old = db().execute(f"SELECT value FROM {table} WHERE user_id = ? AND {col} = ?", (uid, obj_id)).fetchone()
        if old is not None and old[0] == value:
            db().execute(f"DELETE FROM {table} WHERE user_id = ? AND {col} = ?", (uid, obj_id))
        else:
            db().execute(f"INSERT OR REPLACE INTO {table} (user_id, {col}, value) VALUES (?,?,?)", (uid, obj_id, value))
        db().execute(
            f"UPDATE {parent} SET score = COALESCE((SELECT SUM(value) FROM {table} WHERE {col} = ?), 0) WHERE id = ?",
            (obj_id, obj_id),
        )
        db().commit()
        return redirect(safe_next("/"))

    @app.post("/vote/post/<int:pid>")
    def vote_post(pid: int):
        return _vote("post", pid)

    @app.post("/vote/comment/<int:cid>")
    def vote_comment(cid: int):
        return _vote("comment", cid)

    def _validate(form) -> tuple[dict, list[str]]:
        data = {
            "title": (form.get("title") or "").strip(),
            "url": (form.get("url") or "").strip(),
            "body": (form.get("body") or "").strip(),
            "forum": (form.get("forum") or "").strip(),
        }
        errors = []
        if not data["title"]:
            errors.append("Title: this value should not be blank.")
        elif len(data["title"]) > 300:
            errors.append("Title: this value is too long (at most 300 characters).")
        if data["url"] and not data["url"].startswith(("http://", "https://")):
            errors.append("URL: this value is not a valid URL.")
        if len(data["body"]) > 25000:
            errors.append("Body: this value is too long.")
        if not data["forum"]:
            errors.append("Forum: please choose a forum.")
        elif db().execute("SELECT 1 FROM forums WHERE name = ?", (data["forum"],)).fetchone() is None:
            errors.append("Forum: this forum does not exist.")
        return data, errors

    @app.route("/submit", methods=["GET", "POST"])
    @app.route("/submit/<forum>", methods=["GET", "POST"])
    def submit(forum: str = ""):
        if (r := require_login()) is not None:
            return r
        if request.method == "GET":
            return render_template("submit.html", data={"forum": forum}, errors=[], editing=None)
        data, errors = _validate(request.form)
        if errors:
            return render_template("submit.html", data=data, errors=errors, editing=None), 400
        fid = db().execute("SELECT id FROM forums WHERE name = ?", (data["forum"],)).fetchone()[0]
        cur = db().execute(
            "INSERT INTO posts (forum_id, user_id, title, url, body, score, created_at) VALUES (?,?,?,?,?,1,?)",
            (fid, me()["id"], data["title"], data["url"], data["body"], now()),
        )
        db().execute("INSERT INTO post_votes VALUES (?,?,1)", (me()["id"], cur.lastrowid))
        db().commit()
        flash("Your submission was posted.")
        return redirect(url_for("post", forum=data["forum"], pid=cur.lastrowid, slug=tg.slugify(data["title"])))

    @app.route("/f/<forum>/<int:pid>/edit", methods=["GET", "POST"])
    def edit(forum: str, pid: int):
        if (r := require_login()) is not None:
            return r
        p = post_or_404(forum, pid)
        if p["user_id"] != me()["id"]:
            abort(403)
        if request.method == "GET":
            data = {"title": p["title"], "url": p["url"], "body": p["body"], "forum": forum}
            return render_template("submit.html", data=data, errors=[], editing=p)
        form = request.form.to_dict()
        form["forum"] = forum  # a post cannot be moved between forums
        data, errors = _validate(form)
        if errors:
            return render_template("submit.html", data=data, errors=errors, editing=p), 400
        db().execute(
            "UPDATE posts SET title = ?, url = ?, body = ?, edited_at = ? WHERE id = ?",
            (data["title"], data["url"], data["body"], now(), pid),
        )
        db().commit()
        flash("The submission was edited.")
        return redirect(url_for("post", forum=forum, pid=pid, slug=tg.slugify(data["title"])))

    @app.route("/f/<forum>/<int:pid>/delete", methods=["GET", "POST"])
    def delete(forum: str, pid: int):
        if (r := require_login()) is not None:
            return r
        p = post_or_404(forum, pid)
        if p["user_id"] != me()["id"]:
            abort(403)
        if request.method == "GET":
            return render_template("delete.html", post=p)
        if request.form.get("confirm") != "yes":
            return redirect(url_for("post", forum=forum, pid=pid))
        con = db()
        con.execute("DELETE FROM comment_votes WHERE comment_id IN (SELECT id FROM comments WHERE post_id = ?)", (pid,))
        # delete children before parents (foreign keys)
        con.execute("UPDATE comments SET parent_id = NULL WHERE post_id = ?", (pid,))
        con.execute("DELETE FROM comments WHERE post_id = ?", (pid,))
        con.execute("DELETE FROM post_votes WHERE post_id = ?", (pid,))
        con.execute("DELETE FROM posts WHERE id = ?", (pid,))
        con.commit()
        flash("The submission was deleted.")
        return redirect(url_for("forum", name=forum))

    # ------------------------------------------------------------------ users
    def _user(name: str):
        u = db().execute("SELECT * FROM users WHERE username = ?", (name,)).fetchone()
        if u is None:
            abort(404)
        return u

    def _user_posts(uid: int, limit: int):
        return db().execute(
            f"SELECT {POST_COLUMNS} {POST_FROM} WHERE p.user_id = ? ORDER BY p.created_at DESC, p.id DESC LIMIT ?",
            (uid, limit),
        ).fetchall()

    def _user_comments(uid: int, limit: int):
        return db().execute(
            "SELECT c.*, p.title AS post_title, f.name AS forum FROM comments c JOIN posts p ON p.id = c.post_id "
            "JOIN forums f ON f.id = p.forum_id WHERE c.user_id = ? ORDER BY c.created_at DESC, c.id DESC LIMIT ?",
            (uid, limit),
        ).fetchall()

    def _user_stats(uid: int):
        return db().execute(
            "SELECT (SELECT COUNT(*) FROM posts WHERE user_id = ?) AS n_posts, "
            "(SELECT COUNT(*) FROM comments WHERE user_id = ?) AS n_comments, "
            "(SELECT COALESCE(SUM(score), 0) FROM posts WHERE user_id = ?) AS post_karma, "
            "(SELECT COALESCE(SUM(score), 0) FROM comments WHERE user_id = ?) AS comment_karma",
            (uid, uid, uid, uid),
        ).fetchone()

    @app.get("/u/<name>")
    def user(name: str):
        u = _user(name)
        return render_template(
            "user.html", user=u, tab="overview", posts=_user_posts(u["id"], 50),
            comments=_user_comments(u["id"], 50), stats=_user_stats(u["id"]),
            votes=my_votes("post", [p["id"] for p in _user_posts(u["id"], 50)]),
        )

    @app.get("/u/<name>/submissions")
    def user_submissions(name: str):
        u = _user(name)
        posts = _user_posts(u["id"], 1000)
        return render_template(
            "user.html", user=u, tab="submissions", posts=posts, comments=[], stats=_user_stats(u["id"]),
            votes=my_votes("post", [p["id"] for p in posts]),
        )

    @app.get("/u/<name>/comments")
    def user_comments(name: str):
        u = _user(name)
        return render_template(
            "user.html", user=u, tab="comments", posts=[], comments=_user_comments(u["id"], 1000),
            stats=_user_stats(u["id"]), votes={},
        )

    # ------------------------------------------------------------------ search
    @app.get("/search")
    def search():
        q = (request.args.get("q") or "").strip()
        data = {"posts": [], "votes": {}, "sort": "new", "page": 1, "total": 0, "pages": 1}
        forums_hit = []
        if q:
            like = f"%{q}%"
            data = listing("WHERE p.title LIKE ? OR p.body LIKE ?", (like, like), request.args.get("sort", "new"))
            forums_hit = db().execute(
                "SELECT name, title, description FROM forums WHERE name LIKE ? OR title LIKE ? ORDER BY lower(name)",
                (like, like),
            ).fetchall()
        return render_template("search.html", q=q, forums_hit=forums_hit, **data)

    # ------------------------------------------------------------------ auth
    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = None
        if request.method == "POST":
            username = (request.form.get("username") or "").strip()
            password = request.form.get("password") or ""
            u = db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
            if u is not None and tg.check_password(u["password_hash"], u["username"], password):
                session.clear()
                session["uid"] = u["id"]
                return redirect(safe_next("/"))
            error = "Invalid username or password."
        return render_template("login.html", error=error, next=request.values.get("next", "")), (401 if error else 200)

    @app.post("/logout")
    def logout():
        session.clear()
        return redirect("/")

    @app.errorhandler(403)
    @app.errorhandler(404)
    def _err(e):
        return render_template("error.html", error=e), e.code

    return app
