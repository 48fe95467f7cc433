"""For each available local site: reset time (median of 5) and server render time of its heaviest page (median of 5).

    python bench/sites.py [--site NAME ...]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

from webagent.tasks.sites import registry
from webagent.tasks.sites.server import SiteServer

# site -> (heaviest page, login (path, form) or None). Sites not listed: "/" without login.
HEAVY = {
    "shop": ("/category/electronics?product_list_limit=48", None),
    "shop_admin": ("/admin/catalog/product/?limit=200",
                   ("/admin/auth/login", {"login[username]": "admin", "login[password]": "admin1234"})),
}


def bench(name: str, n: int = 5) -> dict:
    with SiteServer(name) as s:
        op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        path, login = HEAVY.get(name, ("/", None))
        if login:
            op.open(urllib.request.Request(s.url + login[0], data=urllib.parse.urlencode(login[1]).encode()),
                    timeout=10).read()
        resets = [s.reset() for _ in range(n)]
        op.open(s.url + path, timeout=30).read()  # warm up
        renders, body = [], b""
        for _ in range(n):
            t0 = time.perf_counter()
            with op.open(s.url + path, timeout=30) as r:
                body = r.read()
            renders.append(time.perf_counter() - t0)
        return {"site": name, "reset_ms": statistics.median(resets) * 1000, "page": path,
                "render_ms": statistics.median(renders) * 1000, "kb": len(body) / 1024,
                "elements": len(re.findall(rb"<[a-zA-Z]", body)), "seed_kb": s.seed_path.stat().st_size / 1024}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--site", action="append", help="site(s) to measure (default: every available one)")
    args = ap.parse_args(argv)
    names = args.site or registry.available()
    rows = [bench(n) for n in names]
    print(f"{'site':<11} {'seed KB':>8} {'reset ms':>9} {'render ms':>10} {'page KB':>8} {'elements':>9}  heaviest page")
    for r in rows:
        print(f"{r['site']:<11} {r['seed_kb']:>8.0f} {r['reset_ms']:>9.1f} {r['render_ms']:>10.1f} {r['kb']:>8.0f} "
              f"{r['elements']:>9}  {r['page']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
