"""WebArena-style local sites: Flask apps over SQLite, seeded deterministically, resettable in well under a second.

SITE CONTRACT: each site is a package `tasks/sites/<name>/` whose `__init__.py` exports `NAME: str`,
`seed(db_path: str) -> None` (creates the SQLite file with schema + deterministic data from a fixed
random.Random(seed) — no time-dependent values; use fixed dates), and `create_app(db_path: str) -> flask.Flask`
(opens a new sqlite3 connection per request, never caches data in memory, so the DB file can be reset under it).
Templates/static live inside the package (package data) and may use tasks/sites/common for a shared base layout.
Accounts: each site has a documented default login in `ACCOUNTS: dict[str, str]` (username -> password) exported
from `__init__.py`. No reset URL is reachable from the app.

Launcher: `webagent.tasks.sites.registry` maps site names to modules (imported lazily); `python -m webagent.tasks.sites.serve
--site NAME --port N --db PATH` runs one site; `webagent.tasks.sites.server.SiteServer` / `SiteGroup` seed once into
~/.cache/webagent/sites/, copy the seed into a per-run working DB, run each site as a subprocess on a loopback
port, and reset the working DB from the seed file with sqlite3's backup API; `sites_up()` backs
`webagent sites up`.

Note: `shop_admin` seeds exactly the same data as `shop` (its seed calls shop's seed). Started alone it has its own
working DB; started in one `SiteGroup` with `shop`, it serves the shop's working DB, so an order placed in the shop
shows in the admin (as in Magento), and the shared DB is reset once.
"""
