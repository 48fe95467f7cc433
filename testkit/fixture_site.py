"""A small real web site for the core tests, served by Flask on loopback in a thread."""

from __future__ import annotations

import threading
from html import escape
from pathlib import Path

from flask import Flask, Response, request, send_from_directory
from werkzeug.serving import make_server

PAGES = Path(__file__).parent / "pages"


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["orders"] = []

    @app.get("/")
    def root():
        return send_from_directory(PAGES, "index.html")

    @app.get("/<path:name>.html")
    def page(name: str):
        return send_from_directory(PAGES, f"{name}.html")

    @app.post("/submit")
    def submit():
        name, size = request.form.get("name", ""), request.form.get("size", "")
        app.config["orders"].append((name, size))
        return f"<title>Thanks</title><h1>Thanks, {escape(name)}</h1><p>Size: {escape(size)}</p>"

    @app.get("/files/report.txt")
    def report():
        return Response("report body\n", mimetype="text/plain",
                        headers={"Content-Disposition": "attachment; filename=report.txt"})

    @app.get("/heavy")
    def heavy():
        n = int(request.args.get("n", 3000))
        rows = "".join(f"<tr><td><a href='/item/{i}'>Item {i}</a></td><td>{i * 3 % 97} units</td>"
                       f"<td><button>Buy {i}</button></td></tr>" for i in range(n // 2))
        return f"<title>Heavy</title><h1>Catalog</h1><table>{rows}</table>"

    @app.get("/realworld/<kind>")
    def realworld(kind: str):
        """Generated pages of the shapes real news and encyclopedia pages have (bench/observe.py): `frames` (36
        iframes, most empty or cross-origin ads from `?ads=ORIGIN`), `dom` (3,000+ nodes, few actionable), `svg`
        (huge inline SVG charts), `ad` and `embed` (the frames' content)."""
        from testkit.realworld_pages import PAGES as GEN
        if kind not in GEN:
            return Response("no such page", status=404)
        return GEN[kind](request.args)

    @app.get("/slow")
    def slow():
        import time
        time.sleep(float(request.args.get("s", 5)))
        return "<title>Slow</title><p>slow page</p>"

    return app


class FixtureServer:
    def __init__(self) -> None:
        self.app = create_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
