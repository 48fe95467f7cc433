"""Flask app for the code-hosting site. One sqlite3 connection per request; no data cached in memory."""

from __future__ import annotations

import html
import math
import re
from urllib.parse import urlencode

from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup
from webagent.tasks.sites import common

from .. import _textgen as tg
from .seed import ROLES

PER_PAGE = 20


def render_markdown(text: str) -> Markup:
    """A tiny, safe markdown subset: headings, fenced code, lists, paragraphs, inline code."""
    out: list[str] = []
    blocks = re.split(r"\n{2,}", text.strip()) if text else []
    in_code: list[str] | None = None
    for block in blocks:
        if in_code is not None:
            in_code.append(block)
            if block.rstrip().endswith("```"):
                out.append("<pre><code>" + html.escape("\n\n".join(in_code)[:-3].strip("\n")) + "</code></pre>")
                in_code = None
            continue
        if block.startswith("```"):
            rest = block[3:].split("\n", 1)[1] if "\n" in block else ""
            if rest.rstrip().endswith("```"):
                out.append("<pre><code>" + html.escape(rest.rstrip()[:-3].rstrip("\n")) + "</code></pre>")
            else:
                in_code = [rest]
            continue
        m = re.match(r"^(#{1,6}) (.*)$", block)
        if m and "\n" not in block:
            n = len(m.group(1))
            out.append(f"<h{n}>{html.escape(m.group(2))}</h{n}>")
            continue
        lines = block.split("\n")
        if all(re.match(r"^(- |\d+\. )", ln) for ln in lines):
            tag = "ul" if lines[0].startswith("- ") else "ol"
            items = "".join("<li>" + _inline(re.sub(r"^(- |\d+\. )", "", ln)) + "</li>" for ln in lines)
            out.append(f"<{tag}>{items}</{tag}>")
            continue
        out.append("<p>" + "<br>".join(_inline(ln) for ln in lines) + "</p>")
    return Markup("\n".join(out))


def _inline(s: str) -> str:
    s = html.escape(s)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", s)


def create_app(db_path: str) -> Flask:
    app = Flask(__name__, template_folder="templates", static_folder="static")
    app.config.update(SECRET_KEY="webagent-codehost-local-secret", SESSION_COOKIE_NAME="codehost_session",
                      DB_PATH=db_path)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals.update(ROLES=ROLES, pretty=lambda ts: tg.pretty_date(ts) if ts else "")

    db = common.get_db  # one connection per request, closed at teardown
    common.close_db_after_requests(app)

    me = common.current_user

    def login_redirect():
        return redirect(url_for("sign_in", redirect_to=request.full_path.rstrip("?")))

    def now() -> str:
        row = db().execute(
            "SELECT MAX(m) FROM (SELECT MAX(updated_at) AS m FROM issues UNION ALL SELECT MAX(created_at) FROM notes "
            "UNION ALL SELECT MAX(updated_at) FROM merge_requests)"
        ).fetchone()
        return tg.shift(row[0] or "2024-01-01 00:00:00", 60)

    def project_or_404(ns: str, proj: str):
        p = db().execute(
            "SELECT p.*, (SELECT COUNT(*) FROM stars s WHERE s.project_id = p.id) AS star_count, "
            "(SELECT COUNT(*) FROM issues i WHERE i.project_id = p.id AND i.state = 'opened') AS open_issues, "
            "(SELECT COUNT(*) FROM merge_requests m WHERE m.project_id = p.id AND m.state = 'opened') AS open_mrs "
            "FROM projects p WHERE p.namespace = ? AND p.path = ?",
            (ns, proj),
        ).fetchone()
        if p is None:
            abort(404)
        g.project = p
        return p

    def access_level(p) -> int:
        u = me()
        if u is None:
            return 0
        row = db().execute("SELECT access_level FROM members WHERE project_id = ? AND user_id = ?",
                           (p["id"], u["id"])).fetchone()
        return row[0] if row else 0

    def per_page() -> int:
        return min(max(request.args.get("per_page", PER_PAGE, type=int) or PER_PAGE, 1), 100)

    def page_args():
        page = max(request.args.get("page", 1, type=int) or 1, 1)
        return page, (page - 1) * per_page()

    @app.context_processor
    def _ctx():
        def page_url(**kw):
            args = request.args.to_dict(flat=False)
            for k, v in kw.items():
                args[k] = [v]
            return request.path + "?" + urlencode(args, doseq=True)

        p = g.get("project")
        starred = False
        if p is not None and me() is not None:
            starred = db().execute("SELECT 1 FROM stars WHERE user_id = ? AND project_id = ?",
                                   (me()["id"], p["id"])).fetchone() is not None
        return {"me": me(), "project": p, "starred": starred, "page_url": page_url}

    # ------------------------------------------------------------------ project lists
    PROJECT_SQL = (
        "SELECT p.*, (SELECT COUNT(*) FROM stars s WHERE s.project_id = p.id) AS star_count, "
        "(SELECT COUNT(*) FROM issues i WHERE i.project_id = p.id AND i.state = 'opened') AS open_issues, "
        "(SELECT COUNT(*) FROM merge_requests m WHERE m.project_id = p.id AND m.state = 'opened') AS open_mrs, "
        "(SELECT COUNT(*) FROM members mm WHERE mm.project_id = p.id) AS n_members FROM projects p "
    )
    SORTS = {
        "name_asc": "lower(p.name) ASC", "name_desc": "lower(p.name) DESC",
        "latest_activity_desc": "p.last_activity_at DESC, p.id DESC", "created_desc": "p.created_at DESC",
        "created_asc": "p.created_at ASC", "stars_desc": "star_count DESC, p.id",
    }

    def project_list(where: str, args: tuple, title: str, tab: str):
        search = (request.args.get("search") or request.args.get("name") or "").strip()
        sort = request.args.get("sort", "latest_activity_desc")
        if search:
            where += (" AND " if where else "WHERE ") + "(p.name LIKE ? OR p.description LIKE ? OR p.namespace LIKE ?)"
            args = (*args, f"%{search}%", f"%{search}%", f"%{search}%")
        rows = db().execute(PROJECT_SQL + where + " ORDER BY " + SORTS.get(sort, SORTS["latest_activity_desc"]),
                            args).fetchall()
        return render_template("projects.html", projects=rows, title=title, tab=tab, search=search, sort=sort,
                               sorts=SORTS)

    @app.get("/")
    def home():
        if me() is not None:
            return redirect(url_for("dashboard_projects"))
        return redirect(url_for("explore_projects"))

    @app.get("/explore")
    @app.get("/explore/projects")
    def explore_projects():
        return project_list("", (), "Explore projects", "explore")

    @app.get("/dashboard/projects")
    def dashboard_projects():
        if me() is None:
            return login_redirect()
        return project_list("WHERE p.id IN (SELECT project_id FROM members WHERE user_id = ?)", (me()["id"],),
                            "Projects", "yours")

    @app.get("/dashboard/projects/starred")
    def dashboard_starred():
        if me() is None:
            return login_redirect()
        return project_list("WHERE p.id IN (SELECT project_id FROM stars WHERE user_id = ?)", (me()["id"],),
                            "Projects", "starred")

    # ------------------------------------------------------------------ issue lists (project + dashboard)
    def issue_query(project_id: int | None):
        """Filters: state, label_name (repeatable, AND), assignee_username, author_username, milestone_title,
        search, sort. Returns (rows, total, filters)."""
        a = request.args
        state = a.get("state", "opened")
        labels = [x for x in a.getlist("label_name") + a.getlist("label_name[]") if x]
        f = {
            "state": state if state in ("opened", "closed", "all") else "opened",
            "labels": labels,
            "assignee": a.get("assignee_username", ""),
            "author": a.get("author_username", ""),
            "milestone": a.get("milestone_title", ""),
            "search": (a.get("search") or "").strip(),
            "sort": a.get("sort", "created_date"),
        }
        where, args = [], []
        if project_id is not None:
            where.append("i.project_id = ?")
            args.append(project_id)
        if f["state"] != "all":
            where.append("i.state = ?")
            args.append(f["state"])
        for lab in labels:
            where.append("EXISTS (SELECT 1 FROM issue_labels il JOIN labels l ON l.id = il.label_id "
                         "WHERE il.issue_id = i.id AND l.name = ?)")
            args.append(lab)
        if f["assignee"] == "None":
            where.append("i.assignee_id IS NULL")
        elif f["assignee"]:
            where.append("asg.username = ?")
            args.append(f["assignee"])
        if f["author"]:
            where.append("au.username = ?")
            args.append(f["author"])
        if f["milestone"] == "None":
            where.append("i.milestone_id IS NULL")
        elif f["milestone"]:
            where.append("ms.title = ?")
            args.append(f["milestone"])
        if f["search"]:
            where.append("(i.title LIKE ? OR i.description LIKE ?)")
            args += [f"%{f['search']}%"] * 2
        order = {"created_date": "i.created_at DESC, i.id DESC", "created_asc": "i.created_at ASC, i.id ASC",
                 "updated_desc": "i.updated_at DESC, i.id DESC", "title_asc": "lower(i.title) ASC, i.id",
                 "due_date": "ms.due_date IS NULL, ms.due_date ASC, i.id"}.get(f["sort"], "i.created_at DESC, i.id DESC")
        base = (
            "FROM issues i JOIN users au ON au.id = i.author_id LEFT JOIN users asg ON asg.id = i.assignee_id "
            "LEFT JOIN milestones ms ON ms.id = i.milestone_id JOIN projects p ON p.id = i.project_id "
            + ("WHERE " + " AND ".join(where) if where else "")
        )
        total = db().execute("SELECT COUNT(*) " + base, args).fetchone()[0]
        page, offset = page_args()
        rows = db().execute(
            "SELECT i.*, au.username AS author, au.name AS author_name, asg.username AS assignee, "
            "asg.name AS assignee_name, ms.title AS milestone, ms.due_date AS milestone_due, "
            "p.namespace, p.path AS project_path, "
            "(SELECT COUNT(*) FROM notes n WHERE n.issue_id = i.id) AS n_notes " + base
            + f" ORDER BY {order} LIMIT {per_page()} OFFSET {offset}",
            args,
        ).fetchall()
        ids = [r["id"] for r in rows]
        labels_by_issue: dict[int, list] = {i: [] for i in ids}
        if ids:
            for lr in db().execute(
                "SELECT il.issue_id, l.name, l.color FROM issue_labels il JOIN labels l ON l.id = il.label_id "
                f"WHERE il.issue_id IN ({','.join('?' * len(ids))}) ORDER BY l.name", ids
            ):
                labels_by_issue[lr["issue_id"]].append(lr)
        counts = {}
        for st in ("opened", "closed", "all"):
            cw = [w for w in where if w not in ("i.state = ?",)]
            ca = [x for x, w in zip(args, _arg_owners(where), strict=True) if w != "i.state = ?"]
            if st != "all":
                cw.append("i.state = ?")
                ca.append(st)
            cbase = base.split("WHERE")[0] + ("WHERE " + " AND ".join(cw) if cw else "")
            counts[st] = db().execute("SELECT COUNT(*) " + cbase, ca).fetchone()[0]
        return rows, total, f, labels_by_issue, counts, page

    def _arg_owners(where: list[str]) -> list[str]:
        owners = []
        for w in where:
            owners += [w] * w.count("?")
        return owners

    def issue_filters_options(project_id: int | None):
        if project_id is None:
            labels = db().execute("SELECT DISTINCT name FROM labels ORDER BY name").fetchall()
            users = db().execute("SELECT username, name FROM users ORDER BY lower(username)").fetchall()
            milestones = db().execute("SELECT DISTINCT title FROM milestones ORDER BY title").fetchall()
        else:
            labels = db().execute("SELECT name FROM labels WHERE project_id = ? ORDER BY name", (project_id,)).fetchall()
            users = db().execute("SELECT username, name FROM users ORDER BY lower(username)").fetchall()
            milestones = db().execute("SELECT title FROM milestones WHERE project_id = ? ORDER BY iid",
                                      (project_id,)).fetchall()
        return {"labels": labels, "users": users, "milestones": milestones}

    @app.get("/dashboard/issues")
    def dashboard_issues():
        if me() is None:
            return login_redirect()
        if not any(k in request.args for k in ("assignee_username", "author_username", "search", "label_name",
                                                "label_name[]", "milestone_title")):
            return redirect(url_for("dashboard_issues", assignee_username=me()["username"]))
        rows, total, f, labels_by_issue, counts, page = issue_query(None)
        return render_template("issues.html", issues=rows, total=total, f=f, labels_by_issue=labels_by_issue,
                               counts=counts, page=page, pages=max(1, math.ceil(total / per_page())),
                               opts=issue_filters_options(None), scope="dashboard")

    @app.get("/dashboard/merge_requests")
    def dashboard_mrs():
        if me() is None:
            return login_redirect()
        rows = db().execute(
            "SELECT m.*, au.username AS author, asg.username AS assignee, p.namespace, p.path AS project_path "
            "FROM merge_requests m JOIN users au ON au.id = m.author_id LEFT JOIN users asg ON asg.id = m.assignee_id "
            "JOIN projects p ON p.id = m.project_id WHERE m.state = 'opened' AND (m.assignee_id = ? OR m.author_id = ?) "
            "ORDER BY m.created_at DESC", (me()["id"], me()["id"])).fetchall()
        return render_template("merge_requests.html", mrs=rows, state="opened", counts=None, scope="dashboard")

    # ------------------------------------------------------------------ search
    @app.get("/search")
    def search():
        q = (request.args.get("search") or request.args.get("q") or "").strip()
        scope = request.args.get("scope", "projects")
        projects, issues = [], []
        if q:
            like = f"%{q}%"
            projects = db().execute(PROJECT_SQL + "WHERE p.name LIKE ? OR p.description LIKE ? OR p.namespace LIKE ? "
                                    "ORDER BY lower(p.name)", (like, like, like)).fetchall()
            issues = db().execute(
                "SELECT i.*, p.namespace, p.path AS project_path, au.username AS author FROM issues i "
                "JOIN projects p ON p.id = i.project_id JOIN users au ON au.id = i.author_id "
                "WHERE i.title LIKE ? OR i.description LIKE ? ORDER BY i.created_at DESC, i.id DESC LIMIT 100",
                (like, like)).fetchall()
        return render_template("search.html", q=q, scope=scope, projects=projects, issues=issues)

    # ------------------------------------------------------------------ auth
    @app.route("/users/sign_in", methods=["GET", "POST"])
    def sign_in():
        error = None
        if request.method == "POST":
            login = (request.form.get("username") or "").strip()
            u = db().execute("SELECT * FROM users WHERE username = ? OR email = ?", (login, login)).fetchone()
            if u is not None and tg.check_password(u["password_hash"], u["username"], request.form.get("password", "")):
                session.clear()
                session["uid"] = u["id"]
                nxt = request.form.get("redirect_to") or ""
                return redirect(nxt if nxt.startswith("/") and not nxt.startswith("//") else "/")
            error = "Invalid login or password."
        return render_template("sign_in.html", error=error,
                               redirect_to=request.values.get("redirect_to", "")), (401 if error else 200)

    @app.post("/users/sign_out")
    def sign_out():
        session.clear()
        return redirect(url_for("sign_in"))

    @app.get("/-/profile")
    def profile_redirect():
        if me() is None:
            return login_redirect()
        return redirect(url_for("namespace", ns=me()["username"]))

    # ------------------------------------------------------------------ namespaces (users & groups)
    @app.get("/<ns>")
    def namespace(ns: str):
        u = db().execute("SELECT * FROM users WHERE username = ?", (ns,)).fetchone()
        if u is not None:
            personal = db().execute(PROJECT_SQL + "WHERE p.namespace = ? ORDER BY lower(p.name)", (ns,)).fetchall()
            contributed = db().execute(
                PROJECT_SQL + "WHERE p.namespace != ? AND p.id IN (SELECT project_id FROM members WHERE user_id = ?) "
                "ORDER BY lower(p.name)", (ns, u["id"])).fetchall()
            starred = db().execute(PROJECT_SQL + "WHERE p.id IN (SELECT project_id FROM stars WHERE user_id = ?) "
                                   "ORDER BY lower(p.name)", (u["id"],)).fetchall()
            issues = db().execute(
                "SELECT i.*, p.namespace, p.path AS project_path FROM issues i JOIN projects p ON p.id = i.project_id "
                "WHERE i.author_id = ? ORDER BY i.created_at DESC, i.id DESC LIMIT 20", (u["id"],)).fetchall()
            return render_template("user.html", user=u, personal=personal, contributed=contributed, starred_projects=starred,
                                   issues=issues)
        grp = db().execute("SELECT * FROM groups WHERE path = ?", (ns,)).fetchone()
        if grp is None:
            abort(404)
        projects = db().execute(PROJECT_SQL + "WHERE p.namespace = ? ORDER BY lower(p.name)", (ns,)).fetchall()
        return render_template("group.html", group=grp, projects=projects)

    # ------------------------------------------------------------------ project pages
    def tree_entries(p, prefix: str):
        rows = db().execute("SELECT path, last_commit_message, last_commit_at FROM files WHERE project_id = ? "
                            "ORDER BY path", (p["id"],)).fetchall()
        dirs: dict[str, dict] = {}
        files = []
        for r in rows:
            if not r["path"].startswith(prefix):
                continue
            rest = r["path"][len(prefix):]
            if "/" in rest:
                d = rest.split("/", 1)[0]
                cur = dirs.get(d)
                if cur is None or r["last_commit_at"] > cur["last_commit_at"]:
                    dirs[d] = {"name": d, "path": prefix + d, "last_commit_message": r["last_commit_message"],
                               "last_commit_at": r["last_commit_at"], "is_dir": True}
            else:
                files.append({"name": rest, "path": r["path"], "last_commit_message": r["last_commit_message"],
                              "last_commit_at": r["last_commit_at"], "is_dir": False})
        return [dirs[k] for k in sorted(dirs)] + files

    def branches(p):
        return [r[0] for r in db().execute("SELECT name FROM branches WHERE project_id = ? ORDER BY name != 'main', name",
                                           (p["id"],))]

    @app.get("/<ns>/<proj>")
    def project(ns: str, proj: str):
        p = project_or_404(ns, proj)
        readme = db().execute("SELECT content FROM files WHERE project_id = ? AND path = 'README.md'",
                              (p["id"],)).fetchone()
        n_files = db().execute("SELECT COUNT(*) FROM files WHERE project_id = ?", (p["id"],)).fetchone()[0]
        return render_template("project.html", entries=tree_entries(p, ""), readme=readme[0] if readme else "",
                               branches=branches(p), ref=p["default_branch"], dir_path="", n_files=n_files)

    @app.get("/<ns>/<proj>/-/tree/<ref>")
    @app.get("/<ns>/<proj>/-/tree/<ref>/<path:dir_path>")
    def tree(ns: str, proj: str, ref: str, dir_path: str = ""):
        p = project_or_404(ns, proj)
        if ref not in branches(p):
            abort(404)
        dir_path = dir_path.strip("/")
        entries = tree_entries(p, dir_path + "/" if dir_path else "")
        if not entries:
            abort(404)
        return render_template("project.html", entries=entries, readme=None, branches=branches(p), ref=ref,
                               dir_path=dir_path, n_files=None)

    @app.get("/<ns>/<proj>/-/blob/<ref>/<path:file_path>")
    def blob(ns: str, proj: str, ref: str, file_path: str):
        p = project_or_404(ns, proj)
        f = db().execute("SELECT * FROM files WHERE project_id = ? AND path = ?", (p["id"], file_path)).fetchone()
        if f is None or ref not in branches(p):
            abort(404)
        return render_template("blob.html", f=f, ref=ref, lines=f["content"].split("\n"))

    @app.post("/<ns>/<proj>/-/star")
    def star(ns: str, proj: str):
        p = project_or_404(ns, proj)
        if me() is None:
            return login_redirect()
        cur = db().execute("DELETE FROM stars WHERE user_id = ? AND project_id = ?", (me()["id"], p["id"]))
        if cur.rowcount == 0:
            db().execute("INSERT INTO stars VALUES (?, ?)", (me()["id"], p["id"]))
        db().commit()
        return redirect(url_for("project", ns=ns, proj=proj))

    @app.get("/<ns>/<proj>/-/starrers")
    def starrers(ns: str, proj: str):
        p = project_or_404(ns, proj)
        users = db().execute("SELECT u.* FROM stars s JOIN users u ON u.id = s.user_id WHERE s.project_id = ? "
                             "ORDER BY lower(u.username)", (p["id"],)).fetchall()
        return render_template("starrers.html", users=users)

    # ------------------------------------------------------------------ issues
    @app.get("/<ns>/<proj>/-/issues")
    def issues(ns: str, proj: str):
        p = project_or_404(ns, proj)
        rows, total, f, labels_by_issue, counts, page = issue_query(p["id"])
        can_bulk = access_level(p) >= 20
        return render_template("issues.html", issues=rows, total=total, f=f, labels_by_issue=labels_by_issue,
                               counts=counts, page=page, pages=max(1, math.ceil(total / per_page())),
                               opts=issue_filters_options(p["id"]), scope="project", can_bulk=can_bulk,
                               bulk_opts=form_options(p) if can_bulk else None)

    @app.post("/<ns>/<proj>/-/issues/bulk_update")
    def bulk_update(ns: str, proj: str):
        p = project_or_404(ns, proj)
        if me() is None:
            return login_redirect()
        if access_level(p) < 20:
            abort(403)
        opts = form_options(p)
        iids = sorted({int(x) for x in request.form.getlist("issue_iids") if x.isdigit()})
        if not iids:
            flash("Select at least one issue.", "error")
            return redirect(url_for("issues", ns=ns, proj=proj))
        ts = now()
        state = {"close": "closed", "reopen": "opened"}.get(request.form.get("state_event", ""))
        assignee = request.form.get("assignee_id", "")
        milestone = request.form.get("milestone_id", "")
        add_labels = {int(x) for x in request.form.getlist("add_label_ids") if x.isdigit()}
        if assignee not in ("", "0") and int(assignee) not in {m["id"] for m in opts["members"]}:
            abort(400)
        if milestone not in ("", "0") and int(milestone) not in {m["id"] for m in opts["milestones"]}:
            abort(400)
        if not add_labels <= {lab["id"] for lab in opts["labels"]}:
            abort(400)
        n = 0
        for iid in iids:
            row = db().execute("SELECT id FROM issues WHERE project_id = ? AND iid = ?", (p["id"], iid)).fetchone()
            if row is None:
                continue
            n += 1
            if state:
                db().execute("UPDATE issues SET state = ?, closed_at = ? WHERE id = ?",
                             (state, ts if state == "closed" else None, row[0]))
            if assignee:
                db().execute("UPDATE issues SET assignee_id = ? WHERE id = ?", (int(assignee) or None, row[0]))
            if milestone:
                db().execute("UPDATE issues SET milestone_id = ? WHERE id = ?", (int(milestone) or None, row[0]))
            for lid in sorted(add_labels):
                db().execute("INSERT OR IGNORE INTO issue_labels VALUES (?, ?)", (row[0], lid))
            db().execute("UPDATE issues SET updated_at = ? WHERE id = ?", (ts, row[0]))
        db().commit()
        flash(f"{n} issues updated.")
        return redirect(url_for("issues", ns=ns, proj=proj, state="all"))

    def form_options(p):
        return {
            "labels": db().execute("SELECT * FROM labels WHERE project_id = ? ORDER BY name", (p["id"],)).fetchall(),
            "members": db().execute(
                "SELECT u.id, u.username, u.name FROM members m JOIN users u ON u.id = m.user_id "
                "WHERE m.project_id = ? ORDER BY lower(u.username)", (p["id"],)).fetchall(),
            "milestones": db().execute("SELECT * FROM milestones WHERE project_id = ? AND state = 'active' ORDER BY iid",
                                       (p["id"],)).fetchall(),
        }

    @app.route("/<ns>/<proj>/-/issues/new", methods=["GET", "POST"])
    def new_issue(ns: str, proj: str):
        p = project_or_404(ns, proj)
        if me() is None:
            return login_redirect()
        opts = form_options(p)
        data = {"title": "", "description": "", "label_ids": [], "assignee_id": "", "milestone_id": ""}
        if request.method == "GET":
            return render_template("issue_new.html", opts=opts, data=data, errors=[])
        data = {
            "title": (request.form.get("title") or "").strip(),
            "description": (request.form.get("description") or "").strip(),
            "label_ids": [int(x) for x in request.form.getlist("label_ids") if x.isdigit()],
            "assignee_id": request.form.get("assignee_id", ""),
            "milestone_id": request.form.get("milestone_id", ""),
        }
        errors = []
        if not data["title"]:
            errors.append("Title can't be blank")
        elif len(data["title"]) > 255:
            errors.append("Title is too long (maximum is 255 characters)")
        valid_labels = {lab["id"] for lab in opts["labels"]}
        if any(lid not in valid_labels for lid in data["label_ids"]):
            errors.append("Labels are invalid")
        assignee = int(data["assignee_id"]) if data["assignee_id"].isdigit() else None
        if assignee is not None and assignee not in {m["id"] for m in opts["members"]}:
            errors.append("Assignee is not a project member")
        milestone = int(data["milestone_id"]) if data["milestone_id"].isdigit() else None
        if milestone is not None and milestone not in {m["id"] for m in opts["milestones"]}:
            errors.append("Milestone is invalid")
        if errors:
            return render_template("issue_new.html", opts=opts, data=data, errors=errors), 400
        iid = db().execute("SELECT COALESCE(MAX(iid), 0) + 1 FROM issues WHERE project_id = ?", (p["id"],)).fetchone()[0]
        ts = now()
        cur = db().execute(
            "INSERT INTO issues (project_id, iid, title, description, state, author_id, assignee_id, milestone_id, "
            "created_at, updated_at) VALUES (?,?,?,?,'opened',?,?,?,?,?)",
            (p["id"], iid, data["title"], data["description"], me()["id"], assignee, milestone, ts, ts))
        for lid in sorted(set(data["label_ids"])):
            db().execute("INSERT INTO issue_labels VALUES (?,?)", (cur.lastrowid, lid))
        db().execute("UPDATE projects SET last_activity_at = ? WHERE id = ?", (ts, p["id"]))
        db().commit()
        flash(f"Issue #{iid} was created.")
        return redirect(url_for("issue", ns=ns, proj=proj, iid=iid))

    def issue_or_404(p, iid: int):
        i = db().execute(
            "SELECT i.*, au.username AS author, au.name AS author_name, asg.username AS assignee, "
            "asg.name AS assignee_name, ms.title AS milestone, ms.iid AS milestone_iid, ms.due_date AS milestone_due "
            "FROM issues i JOIN users au ON au.id = i.author_id LEFT JOIN users asg ON asg.id = i.assignee_id "
            "LEFT JOIN milestones ms ON ms.id = i.milestone_id WHERE i.project_id = ? AND i.iid = ?",
            (p["id"], iid)).fetchone()
        if i is None:
            abort(404)
        return i

    @app.get("/<ns>/<proj>/-/issues/<int:iid>")
    def issue(ns: str, proj: str, iid: int):
        p = project_or_404(ns, proj)
        i = issue_or_404(p, iid)
        labels = db().execute("SELECT l.* FROM issue_labels il JOIN labels l ON l.id = il.label_id "
                              "WHERE il.issue_id = ? ORDER BY l.name", (i["id"],)).fetchall()
        notes = db().execute("SELECT n.*, u.username AS author, u.name AS author_name FROM notes n "
                             "JOIN users u ON u.id = n.author_id WHERE n.issue_id = ? ORDER BY n.created_at, n.id",
                             (i["id"],)).fetchall()
        can_edit = me() is not None and (access_level(p) >= 20 or me()["id"] == i["author_id"])
        return render_template("issue.html", issue=i, labels=labels, notes=notes, can_edit=can_edit)

    def _set_state(ns, proj, iid, state):
        p = project_or_404(ns, proj)
        if me() is None:
            return login_redirect()
        i = issue_or_404(p, iid)
        if not (access_level(p) >= 20 or me()["id"] == i["author_id"]):
            abort(403)
        ts = now()
        db().execute("UPDATE issues SET state = ?, updated_at = ?, closed_at = ? WHERE id = ?",
                     (state, ts, ts if state == "closed" else None, i["id"]))
        db().commit()
        flash(f"Issue #{iid} was {'closed' if state == 'closed' else 'reopened'}.")
        return redirect(url_for("issue", ns=ns, proj=proj, iid=iid))

    @app.post("/<ns>/<proj>/-/issues/<int:iid>/close")
    def close_issue(ns: str, proj: str, iid: int):
        return _set_state(ns, proj, iid, "closed")

    @app.post("/<ns>/<proj>/-/issues/<int:iid>/reopen")
    def reopen_issue(ns: str, proj: str, iid: int):
        return _set_state(ns, proj, iid, "opened")

    @app.post("/<ns>/<proj>/-/issues/<int:iid>/notes")
    def add_note(ns: str, proj: str, iid: int):
        p = project_or_404(ns, proj)
        if me() is None:
            return login_redirect()
        i = issue_or_404(p, iid)
        body = (request.form.get("body") or "").strip()
        if not body:
            flash("Comment can't be blank.", "error")
        else:
            ts = now()
            db().execute("INSERT INTO notes (issue_id, author_id, body, created_at) VALUES (?,?,?,?)",
                         (i["id"], me()["id"], body, ts))
            db().execute("UPDATE issues SET updated_at = ? WHERE id = ?", (ts, i["id"]))
            db().commit()
        return redirect(url_for("issue", ns=ns, proj=proj, iid=iid) + "#notes")

    # ------------------------------------------------------------------ labels & milestones
    @app.get("/<ns>/<proj>/-/labels")
    def labels(ns: str, proj: str):
        p = project_or_404(ns, proj)
        rows = db().execute(
            "SELECT l.*, (SELECT COUNT(*) FROM issue_labels il JOIN issues i ON i.id = il.issue_id "
            "WHERE il.label_id = l.id AND i.state = 'opened') AS open_count FROM labels l WHERE l.project_id = ? "
            "ORDER BY l.name", (p["id"],)).fetchall()
        return render_template("labels.html", labels=rows)

    MS_SQL = (
        "SELECT ms.*, (SELECT COUNT(*) FROM issues i WHERE i.milestone_id = ms.id) AS n_issues, "
        "(SELECT COUNT(*) FROM issues i WHERE i.milestone_id = ms.id AND i.state = 'closed') AS n_closed "
        "FROM milestones ms "
    )

    @app.get("/<ns>/<proj>/-/milestones")
    def milestones(ns: str, proj: str):
        p = project_or_404(ns, proj)
        state = request.args.get("state", "opened")
        where = {"opened": " AND ms.state = 'active'", "closed": " AND ms.state = 'closed'"}.get(state, "")
        rows = db().execute(MS_SQL + "WHERE ms.project_id = ?" + where + " ORDER BY ms.due_date, ms.iid",
                            (p["id"],)).fetchall()
        return render_template("milestones.html", milestones=rows, state=state)

    @app.route("/<ns>/<proj>/-/milestones/new", methods=["GET", "POST"])
    def new_milestone(ns: str, proj: str):
        p = project_or_404(ns, proj)
        if me() is None:
            return login_redirect()
        if access_level(p) < 30:
            abort(403)
        data = {k: (request.form.get(k) or "").strip() for k in ("title", "description", "start_date", "due_date")}
        errors = []
        if request.method == "POST":
            if not data["title"]:
                errors.append("Title can't be blank")
            for k in ("start_date", "due_date"):
                if data[k] and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", data[k]):
                    errors.append(f"{k.replace('_', ' ').capitalize()} is invalid")
            if data["start_date"] and data["due_date"] and data["due_date"] < data["start_date"]:
                errors.append("Due date must be greater than start date")
            if not errors:
                k = db().execute("SELECT COALESCE(MAX(iid), 0) + 1 FROM milestones WHERE project_id = ?",
                                 (p["id"],)).fetchone()[0]
                db().execute("INSERT INTO milestones (project_id, iid, title, description, state, start_date, due_date) "
                             "VALUES (?,?,?,?,'active',?,?)", (p["id"], k, data["title"], data["description"],
                                                              data["start_date"] or None, data["due_date"] or None))
                db().commit()
                return redirect(url_for("milestone", ns=ns, proj=proj, iid=k))
        return render_template("milestone_new.html", data=data, errors=errors), (400 if errors else 200)

    @app.get("/<ns>/<proj>/-/milestones/<int:iid>")
    def milestone(ns: str, proj: str, iid: int):
        p = project_or_404(ns, proj)
        ms = db().execute(MS_SQL + "WHERE ms.project_id = ? AND ms.iid = ?", (p["id"], iid)).fetchone()
        if ms is None:
            abort(404)
        rows = db().execute("SELECT i.*, au.username AS author FROM issues i JOIN users au ON au.id = i.author_id "
                            "WHERE i.milestone_id = ? ORDER BY i.iid", (ms["id"],)).fetchall()
        return render_template("milestone.html", ms=ms, issues=rows)

    # ------------------------------------------------------------------ merge requests
    @app.get("/<ns>/<proj>/-/merge_requests")
    def merge_requests(ns: str, proj: str):
        p = project_or_404(ns, proj)
        state = request.args.get("state", "opened")
        args: list = [p["id"]]
        where = "m.project_id = ?"
        if state in ("opened", "merged", "closed"):
            where += " AND m.state = ?"
            args.append(state)
        rows = db().execute(
            "SELECT m.*, au.username AS author, asg.username AS assignee, p.namespace, p.path AS project_path "
            "FROM merge_requests m JOIN users au ON au.id = m.author_id LEFT JOIN users asg ON asg.id = m.assignee_id "
            f"JOIN projects p ON p.id = m.project_id WHERE {where} ORDER BY m.created_at DESC, m.id DESC", args).fetchall()
        counts = {r[0]: r[1] for r in db().execute(
            "SELECT state, COUNT(*) FROM merge_requests WHERE project_id = ? GROUP BY state", (p["id"],))}
        counts["all"] = sum(counts.values())
        return render_template("merge_requests.html", mrs=rows, state=state, counts=counts, scope="project")

    @app.get("/<ns>/<proj>/-/merge_requests/<int:iid>")
    def merge_request(ns: str, proj: str, iid: int):
        p = project_or_404(ns, proj)
        mr = db().execute(
            "SELECT m.*, au.username AS author, au.name AS author_name, asg.username AS assignee FROM merge_requests m "
            "JOIN users au ON au.id = m.author_id LEFT JOIN users asg ON asg.id = m.assignee_id "
            "WHERE m.project_id = ? AND m.iid = ?", (p["id"], iid)).fetchone()
        if mr is None:
            abort(404)
        return render_template("merge_request.html", mr=mr)

    # ------------------------------------------------------------------ members
    @app.route("/<ns>/<proj>/-/project_members", methods=["GET", "POST"])
    def members(ns: str, proj: str):
        p = project_or_404(ns, proj)
        errors = []
        if request.method == "POST":
            if me() is None:
                return login_redirect()
            if access_level(p) < 40:
                abort(403)
            action = request.form.get("action", "add")
            username = (request.form.get("username") or "").strip()
            level = request.form.get("access_level", type=int)
            u = db().execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone()
            if u is None:
                errors.append(f"User '{username}' was not found." if username else "Select a user to invite.")
            if level not in ROLES and action != "remove":
                errors.append("Choose a valid role.")
            expires = (request.form.get("expires_at") or "").strip()
            if expires and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", expires):
                errors.append("Access expiration date is invalid.")
            if not errors:
                if action == "remove":
                    db().execute("DELETE FROM members WHERE project_id = ? AND user_id = ? AND access_level < 50",
                                 (p["id"], u["id"]))
                    flash(f"{username} was removed from the project.")
                else:
                    db().execute("INSERT OR REPLACE INTO members VALUES (?,?,?,?)",
                                 (p["id"], u["id"], level, expires or None))
                    flash(f"{username} is now a {ROLES[level]} of {p['name']}.")
                db().commit()
                return redirect(url_for("members", ns=ns, proj=proj))
        rows = db().execute(
            "SELECT u.*, m.access_level, m.expires_at FROM members m JOIN users u ON u.id = m.user_id "
            "WHERE m.project_id = ? ORDER BY m.access_level DESC, lower(u.username)", (p["id"],)).fetchall()
        all_users = db().execute("SELECT username, name FROM users ORDER BY lower(username)").fetchall()
        return render_template("members.html", members=rows, all_users=all_users, errors=errors,
                               can_manage=access_level(p) >= 40), (400 if errors else 200)

    @app.errorhandler(403)
    @app.errorhandler(404)
    def _err(e):
        return render_template("error.html", error=e), e.code

    return app
