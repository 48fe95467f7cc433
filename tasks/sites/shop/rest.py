"""A sliver of Magento's REST API on the bundled shop: the three calls WebArena's evaluation helpers make
(admin token, latest order, a product's reviews), in Magento's shapes, so the same helper code scores the
bundled shop and a real WebArena shop."""

from __future__ import annotations

import secrets

from flask import Flask, abort, jsonify, request
from webagent.tasks.sites.common import check_password, query


def register_rest(app: Flask) -> None:
    tokens: set[str] = set()

    def need_token() -> None:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in tokens:
            abort(401)

    @app.post("/rest/default/V1/integration/admin/token")
    def rest_admin_token():
        body = request.get_json(silent=True) or {}
        row = query("SELECT password_hash FROM admin_users WHERE username=?", (str(body.get("username", "")),),
                    one=True)
        if not row or not check_password(row["password_hash"], str(body.get("password", ""))):
            return jsonify({"message": "The account sign-in was incorrect."}), 401
        token = secrets.token_hex(16)
        tokens.add(token)
        return jsonify(token)

    @app.get("/rest/V1/orders")
    def rest_orders():
        need_token()
        field = request.args.get("searchCriteria[sortOrders][0][field]", "entity_id")
        column = {"created_at": "created_at", "entity_id": "id", "increment_id": "increment_id"}.get(field, "id")
        desc = request.args.get("searchCriteria[sortOrders][0][direction]", "ASC").upper() == "DESC"
        size = request.args.get("searchCriteria[pageSize]", type=int) or 20
        rows = query(f"SELECT * FROM orders ORDER BY {column} {'DESC' if desc else 'ASC'}, id "
                     f"{'DESC' if desc else 'ASC'} LIMIT ?", (size,))
        items = [{"entity_id": r["id"], "increment_id": r["increment_id"], "status": r["status"],
                  "created_at": r["created_at"], "customer_email": r["customer_email"],
                  "grand_total": r["grand_total"]} for r in rows]
        return jsonify({"items": items, "total_count": len(items)})

    @app.get("/rest/V1/products/<sku>/reviews")
    def rest_reviews(sku: str):
        need_token()
        rows = query("SELECT r.* FROM reviews r JOIN products p ON p.id=r.product_id WHERE p.sku=? "
                     "ORDER BY r.created_at, r.id", (sku,))
        return jsonify([{"id": r["id"], "title": r["title"], "detail": r["body"], "nickname": r["nickname"],
                         "created_at": r["created_at"],
                         "ratings": [{"rating_name": "Rating", "percent": r["rating"] * 20, "value": r["rating"]}]}
                        for r in rows])
