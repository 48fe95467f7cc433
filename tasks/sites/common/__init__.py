"""Shared helpers for the local sites: app factory, per-request SQLite, password hashing, login guard, paging.

Sites build their app with `make_app(...)`; templates may `{% extends "common/base.html" %}` and use the
`url_with(...)` / `money(...)` helpers. The shared stylesheet is served at /_common/base.css.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from flask import (
    Flask,
    abort,
    g,
    has_request_context,
    redirect,
    request,
    send_from_directory,
    session,
    url_for,
)
from jinja2 import ChoiceLoader, FileSystemLoader

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")
STATIC = os.path.join(HERE, "static")


# ---------------------------------------------------------------- database

def connect(db_path: str) -> sqlite3.Connection:
    con = sqlite3.connect(db_path, timeout=10)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys=ON")
    return con


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def get_db() -> sqlite3.Connection:
    """The request's connection, opened on first use and closed at teardown (never shared across requests).

    A request that may write (POST, PUT, PATCH, DELETE) runs in one `BEGIN IMMEDIATE` transaction taken before its
    first read, so its read-then-write (stock check then cart update, next issue number, vote toggle) cannot
    interleave with another request's: concurrent writers queue on SQLite's lock (up to the 10 s busy timeout)
    instead of losing updates. The handler's commit() ends it; a request that returns without committing (a
    validation error) is rolled back when the connection closes."""
    from flask import current_app

    if "db" not in g:
        g.db = connect(current_app.config["DB_PATH"])
        if has_request_context() and request.method in WRITE_METHODS:
            g.db.execute("BEGIN IMMEDIATE")
    return g.db


def query(sql: str, args: Iterable[Any] = (), one: bool = False):
    cur = get_db().execute(sql, tuple(args))
    rows = cur.fetchall()
    return (rows[0] if rows else None) if one else rows


def scalar(sql: str, args: Iterable[Any] = ()):
    row = get_db().execute(sql, tuple(args)).fetchone()
    return row[0] if row else None


def new_db(db_path: str, schema: str) -> sqlite3.Connection:
    """Create a fresh database file (removing any old one) with `schema`; caller inserts, commits and closes."""
    for suffix in ("", "-journal", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    con = sqlite3.connect(db_path)
    con.executescript(schema)
    return con


# ---------------------------------------------------------------- accounts

def hash_password(password: str) -> str:
    """Deterministic (fixed-salt) hash, so seeding twice gives byte-identical data. These are test sites."""
    return hashlib.sha256(("webagent-sites:" + password).encode()).hexdigest()


def check_password(stored: str, password: str) -> bool:
    return stored == hash_password(password)


def current_user(session_key: str = "uid", table: str = "users") -> sqlite3.Row | None:
    """The logged-in user's row from `table` by the id in `session[session_key]`, cached for the request."""
    if "me" not in g:
        uid = session.get(session_key)
        g.me = get_db().execute(f"SELECT * FROM {table} WHERE id = ?", (uid,)).fetchone() if uid else None
    return g.me


def login_required(session_key: str, login_endpoint: str) -> Callable:
    """Decorator: redirect to `login_endpoint` (with ?next=) unless `session[session_key]` is set."""

    def deco(view):
        @functools.wraps(view)
        def wrapper(*a, **kw):
            if not session.get(session_key):
                return redirect(url_for(login_endpoint, next=request.full_path.rstrip("?")))
            return view(*a, **kw)

        return wrapper

    return deco


def safe_next(target: str | None, default: str) -> str:
    """Only local paths are accepted as a post-login redirect."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


# ---------------------------------------------------------------- paging / query strings

def int_arg(name: str, default: int, lo: int = 1, hi: int = 10**9) -> int:
    try:
        v = int(request.args.get(name, default))
    except (TypeError, ValueError):
        v = default
    return max(lo, min(hi, v))


def float_arg(name: str) -> float | None:
    v = request.args.get(name, "").strip()
    try:
        return float(v) if v else None
    except ValueError:
        return None


def paginate(total: int, page: int, per_page: int) -> dict:
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    first = (page - 1) * per_page
    return {
        "total": total, "page": page, "per_page": per_page, "pages": pages, "offset": first,
        "first": first + 1 if total else 0, "last": min(total, first + per_page),
        "window": list(range(max(1, page - 2), min(pages, page + 2) + 1)),
    }


def url_with(**changes: Any) -> str:
    """The current URL with some query parameters replaced (None removes one). Changing anything but `p` resets p."""
    args = request.args.to_dict()
    if "p" not in changes:
        args.pop("p", None)
    for k, v in changes.items():
        if v is None or v == "":
            args.pop(k, None)
        else:
            args[k] = str(v)
    qs = urlencode(args)
    return request.path + ("?" + qs if qs else "")


def money(v: float | None) -> str:
    return "" if v is None else f"${v:,.2f}"


def sort_clause(allowed: dict[str, str], default: str, default_dir: str = "asc") -> tuple[str, str, str]:
    """(sql ORDER BY fragment, sort key, dir) from ?sort=&dir=, only over whitelisted columns."""
    key = request.args.get("sort", default)
    if key not in allowed:
        key = default
    d = request.args.get("dir", default_dir).lower()
    d = d if d in ("asc", "desc") else default_dir
    return f"{allowed[key]} {d.upper()}", key, d


# ---------------------------------------------------------------- app factory

def close_db_after_requests(app: Flask) -> None:
    """Close the request's connection (see `get_db`) when the app context ends."""

    @app.teardown_appcontext
    def _close_db(_exc):
        db = g.pop("db", None)
        if db is not None:
            db.close()


def make_app(import_name: str, db_path: str, *, secret: str, site_name: str) -> Flask:
    """A Flask app whose templates come from the site package then tasks/sites/common."""
    app = Flask(import_name)
    app.config.update(DB_PATH=os.path.abspath(db_path), SECRET_KEY=secret, SITE_NAME=site_name,
                      SESSION_COOKIE_NAME=f"{site_name}_session", TEMPLATES_AUTO_RELOAD=False)
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(TEMPLATES)])
    app.jinja_env.globals.update(url_with=url_with, money=money)
    app.jinja_env.filters["money"] = money
    close_db_after_requests(app)

    @app.route("/_common/<path:filename>")
    def common_static(filename):
        if not os.path.isfile(os.path.join(STATIC, filename)):
            abort(404)
        return send_from_directory(STATIC, filename, max_age=3600)

    return app
