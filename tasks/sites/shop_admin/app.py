"""The shop's back office (WebArena's Magento admin, in miniature). Same schema and seed as the shop."""

from __future__ import annotations

import datetime as dt
import re

from flask import abort, flash, redirect, render_template, request, session, url_for
from webagent.tasks.sites.common import (
    check_password,
    float_arg,
    get_db,
    int_arg,
    login_required,
    make_app,
    paginate,
    query,
    safe_next,
    scalar,
    sort_clause,
)
from webagent.tasks.sites.shop.app import US_STATES
from webagent.tasks.sites.shop.seed import ORDER_STATUSES, STATUS_LABELS

PAGE_SIZES = [20, 30, 50, 100, 200]
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
GROUPS = ["General", "Wholesale", "Retailer"]


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def _limit() -> int:
    v = request.args.get("limit", type=int)
    return v if v in PAGE_SIZES else 20


def _date(name: str) -> str:
    v = request.args.get(name, "").strip()
    return v if DATE_RE.match(v) else ""


def create_app(db_path: str):
    app = make_app(__name__, db_path, secret="webagent-shop-admin-not-secret", site_name="shop_admin")
    need_login = login_required("admin_id", "admin_login")

    @app.context_processor
    def _globals():
        admin = None
        if session.get("admin_id"):
            admin = query("SELECT id, username, first_name FROM admin_users WHERE id=?", (session["admin_id"],), one=True)
        return {"admin": admin, "status_labels": STATUS_LABELS, "statuses": ORDER_STATUSES, "page_sizes": PAGE_SIZES}

    @app.route("/")
    def root():
        return redirect(url_for("dashboard"))

    @app.route("/admin/auth/login", methods=["GET", "POST"])
    def admin_login():
        error = None
        if request.method == "POST":
            user = request.form.get("login[username]", "").strip()
            pw = request.form.get("login[password]", "")
            row = query("SELECT id, password_hash FROM admin_users WHERE username=?", (user,), one=True)
            if not row or not check_password(row["password_hash"], pw):
                error = ("The account sign-in was incorrect or your account is disabled temporarily. "
                         "Please wait and try again later.")
            else:
                session["admin_id"] = row["id"]
                return redirect(safe_next(request.args.get("next"), url_for("dashboard")))
        return render_template("admin/login.html", error=error), (401 if error else 200)

    @app.route("/admin/auth/logout")
    def admin_logout():
        session.pop("admin_id", None)
        flash("You have logged out.", "success")
        return redirect(url_for("admin_login"))

    @app.route("/admin/")
    @app.route("/admin/dashboard/")
    @need_login
    def dashboard():
        lifetime = scalar("SELECT COALESCE(SUM(grand_total),0) FROM orders WHERE status!='canceled'")
        n_orders = scalar("SELECT COUNT(*) FROM orders WHERE status!='canceled'")
        last_orders = query("SELECT o.*, (SELECT COUNT(*) FROM order_items i WHERE i.order_id=o.id) AS n_items "
                            "FROM orders o ORDER BY o.created_at DESC, o.id DESC LIMIT 5")
        bestsellers = query("SELECT i.name, i.sku, SUM(i.qty) AS qty, SUM(i.row_total) AS total FROM order_items i "
                            "JOIN orders o ON o.id=i.order_id WHERE o.status!='canceled' GROUP BY i.sku "
                            "ORDER BY qty DESC, total DESC LIMIT 5")
        top_terms = query("SELECT * FROM search_terms ORDER BY uses DESC, query LIMIT 5")
        new_customers = query("SELECT * FROM customers ORDER BY created_at DESC, id DESC LIMIT 5")
        return render_template("admin/dashboard.html", lifetime=lifetime, n_orders=n_orders,
                               average=(lifetime / n_orders if n_orders else 0), last_orders=last_orders,
                               bestsellers=bestsellers, top_terms=top_terms, new_customers=new_customers,
                               n_customers=scalar("SELECT COUNT(*) FROM customers"),
                               n_products=scalar("SELECT COUNT(*) FROM products"))

    # ------------------------------------------------------------ orders

    @app.route("/admin/sales/order/")
    @need_login
    def orders():
        where, args = ["1=1"], []
        f = {k: request.args.get(k, "").strip() for k in ("increment_id", "customer", "status", "total_from",
                                                           "total_to")}
        f["date_from"], f["date_to"] = _date("date_from"), _date("date_to")
        if f["increment_id"]:
            where.append("o.increment_id LIKE ?")
            args.append(f"%{f['increment_id']}%")
        if f["customer"]:
            where.append("(o.customer_first_name || ' ' || o.customer_last_name LIKE ? OR o.customer_email LIKE ?)")
            args += [f"%{f['customer']}%"] * 2
        if f["status"] in ORDER_STATUSES:
            where.append("o.status=?")
            args.append(f["status"])
        if f["date_from"]:
            where.append("date(o.created_at) >= ?")
            args.append(f["date_from"])
        if f["date_to"]:
            where.append("date(o.created_at) <= ?")
            args.append(f["date_to"])
        for key, op in (("total_from", ">="), ("total_to", "<=")):
            v = float_arg(key)  # the same request arg `f[key]` holds, as a number or None
            if v is not None:
                where.append(f"o.grand_total {op} ?")
                args.append(v)
        w = " AND ".join(where)
        order_sql, sort, direction = sort_clause(
            {"increment_id": "o.increment_id", "created_at": "o.created_at", "customer": "o.customer_last_name",
             "grand_total": "o.grand_total", "status": "o.status"}, "created_at", "desc")
        pg = paginate(scalar(f"SELECT COUNT(*) FROM orders o WHERE {w}", args), int_arg("p", 1), _limit())
        rows = query(f"SELECT o.* FROM orders o WHERE {w} ORDER BY {order_sql}, o.id DESC LIMIT ? OFFSET ?",
                     args + [pg["per_page"], pg["offset"]])
        return render_template("admin/orders.html", rows=rows, pg=pg, f=f, sort=sort, direction=direction)

    def _order(order_id: int):
        o = query("SELECT * FROM orders WHERE id=?", (order_id,), one=True)
        if not o:
            abort(404)
        return o

    @app.route("/admin/sales/order/view/order_id/<int:order_id>/")
    @need_login
    def order_view(order_id):
        o = _order(order_id)
        items = query("SELECT * FROM order_items WHERE order_id=? ORDER BY id", (order_id,))
        comments = query("SELECT * FROM order_comments WHERE order_id=? ORDER BY created_at DESC, id DESC", (order_id,))
        return render_template("admin/order_view.html", o=o, items=items, comments=comments)

    @app.post("/admin/sales/order/<int:order_id>/status")
    @need_login
    def order_status(order_id):
        o = _order(order_id)
        status = request.form.get("status", "")
        comment = request.form.get("comment", "").strip()
        if status not in ORDER_STATUSES:
            flash("Please select a valid order status.", "error")
            return redirect(url_for("order_view", order_id=order_id))
        db = get_db()
        db.execute("UPDATE orders SET status=?, updated_at=? WHERE id=?", (status, _now(), o["id"]))
        db.execute("INSERT INTO order_comments(order_id,status,comment,notify,created_at) VALUES(?,?,?,?,?)",
                   (o["id"], status, comment or f"Order status changed to {STATUS_LABELS[status]}.",
                    1 if request.form.get("notify") else 0, _now()))
        db.commit()
        flash("You updated the order.", "success")
        return redirect(url_for("order_view", order_id=order_id))

    @app.route("/admin/sales/order/edit/order_id/<int:order_id>/", methods=["GET", "POST"])
    @need_login
    def order_edit(order_id):
        o = _order(order_id)
        keys = ("ship_first_name", "ship_last_name", "ship_street", "ship_city", "ship_region", "ship_postcode",
                "ship_phone", "customer_email", "status")
        form = {k: o[k] for k in keys}
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in keys}
            for k in keys:
                if not form[k]:
                    errors[k] = "This is a required field."
            if form["status"] and form["status"] not in ORDER_STATUSES:
                errors["status"] = "Please select a valid order status."
            if form["ship_postcode"] and not re.match(r"^\d{5}(-\d{4})?$", form["ship_postcode"]):
                errors["ship_postcode"] = "Please enter a valid zip code (Ex: 90602 or 90602-1234)."
            if form["ship_region"] and form["ship_region"] not in US_STATES:
                errors["ship_region"] = "Please select a valid State/Province."
            if not errors:
                db = get_db()
                db.execute(f"UPDATE orders SET {', '.join(k + '=?' for k in keys)}, updated_at=? WHERE id=?",
                           [form[k] for k in keys] + [_now(), o["id"]])
                if form["status"] != o["status"]:
                    db.execute("INSERT INTO order_comments(order_id,status,comment,created_at) VALUES(?,?,?,?)",
                               (o["id"], form["status"], f"Order status changed to {STATUS_LABELS[form['status']]}.",
                                _now()))
                db.commit()
                flash("You saved the order.", "success")
                return redirect(url_for("order_view", order_id=order_id))
        return render_template("admin/order_edit.html", o=o, form=form, errors=errors, states=US_STATES), \
            (400 if errors else 200)

    # ------------------------------------------------------------ products

    def _categories():
        return query("SELECT id, name, slug, level FROM categories ORDER BY slug")

    @app.route("/admin/catalog/product/")
    @need_login
    def products():
        where, args = ["1=1"], []
        f = {k: request.args.get(k, "").strip() for k in ("name", "sku", "status", "category", "price_from",
                                                           "price_to", "qty_from", "qty_to")}
        if f["name"]:
            where.append("p.name LIKE ?")
            args.append(f"%{f['name']}%")
        if f["sku"]:
            where.append("p.sku LIKE ?")
            args.append(f"%{f['sku']}%")
        if f["status"] in ("0", "1"):
            where.append("p.status=?")
            args.append(int(f["status"]))
        if f["category"].isdigit():
            slug = scalar("SELECT slug FROM categories WHERE id=?", (int(f["category"]),))
            if slug:
                where.append("p.category_id IN (SELECT id FROM categories WHERE slug=? OR slug LIKE ?)")
                args += [slug, slug + "/%"]
        for key, col, op in (("price_from", "p.price", ">="), ("price_to", "p.price", "<="),
                             ("qty_from", "p.qty", ">="), ("qty_to", "p.qty", "<=")):
            v = float_arg(key)  # the same request arg `f[key]` holds, as a number or None
            if v is not None:
                where.append(f"{col} {op} ?")
                args.append(v)
        w = " AND ".join(where)
        order_sql, sort, direction = sort_clause(
            {"id": "p.id", "name": "p.name", "sku": "p.sku", "price": "p.price", "qty": "p.qty", "status": "p.status",
             "category": "c.name"}, "id", "asc")
        pg = paginate(scalar(f"SELECT COUNT(*) FROM products p WHERE {w}", args), int_arg("p", 1), _limit())
        rows = query(f"SELECT p.*, c.name AS category FROM products p JOIN categories c ON c.id=p.category_id "
                     f"WHERE {w} ORDER BY {order_sql}, p.id LIMIT ? OFFSET ?", args + [pg["per_page"], pg["offset"]])
        return render_template("admin/products.html", rows=rows, pg=pg, f=f, sort=sort, direction=direction,
                               categories=_categories())

    PRODUCT_FIELDS = ("name", "sku", "price", "qty", "status", "category_id", "special_price", "special_from",
                      "short_description", "description", "weight")

    def _product_form(p) -> dict:
        return {k: ("" if p is None or p[k] is None else str(p[k])) for k in PRODUCT_FIELDS}

    def _validate_product(form: dict, pid: int | None) -> dict[str, str]:
        errors = {}
        for k in ("name", "sku", "price", "qty", "category_id"):
            if not form[k]:
                errors[k] = "This is a required field."
        for k in ("price", "special_price", "weight"):
            if form[k]:
                try:
                    if float(form[k]) < 0:
                        raise ValueError
                except ValueError:
                    errors[k] = "Please enter a number 0 or greater in this field."
        if form["qty"]:
            try:
                int(form["qty"])
            except ValueError:
                errors["qty"] = "Please enter a valid integer in this field."
        if form["status"] not in ("0", "1"):
            errors["status"] = "Please select a valid status."
        if form["special_from"] and not DATE_RE.match(form["special_from"]):
            errors["special_from"] = "Please enter a valid date (YYYY-MM-DD)."
        if form["category_id"] and not scalar("SELECT 1 FROM categories WHERE id=?", (form["category_id"],)):
            errors["category_id"] = "Please select a category."
        if form["sku"] and scalar("SELECT 1 FROM products WHERE sku=? AND id!=?", (form["sku"], pid or 0)):
            errors["sku"] = "The value specified in the SKU field is already used by another product."
        return errors

    def _save_product(form: dict, pid: int | None) -> int:
        from webagent.tasks.sites.shop.seed import slugify

        db = get_db()
        vals = {
            "name": form["name"], "sku": form["sku"], "price": float(form["price"]), "qty": int(form["qty"]),
            "status": int(form["status"]), "category_id": int(form["category_id"]),
            "special_price": float(form["special_price"]) if form["special_price"] else None,
            "special_from": form["special_from"] or None, "short_description": form["short_description"],
            "description": form["description"], "weight": float(form["weight"]) if form["weight"] else 1.0,
        }
        slug = slugify(form["name"])
        if scalar("SELECT 1 FROM products WHERE slug=? AND id!=?", (slug, pid or 0)):
            slug = f"{slug}-{slugify(form['sku'])}"
        vals["slug"] = slug
        if pid:
            db.execute(f"UPDATE products SET {', '.join(k + '=?' for k in vals)}, updated_at=? WHERE id=?",
                       list(vals.values()) + [_now(), pid])
        else:
            vals.update(brand=form["name"].split()[0], hue=len(form["name"]) * 37 % 360, created_at=_now(),
                        updated_at=_now())
            cur = db.execute(f"INSERT INTO products({', '.join(vals)}) VALUES({', '.join('?' * len(vals))})",
                             list(vals.values()))
            pid = cur.lastrowid
        db.commit()
        return pid

    @app.route("/admin/catalog/product/edit/id/<int:product_id>/", methods=["GET", "POST"])
    @need_login
    def product_edit(product_id):
        p = query("SELECT * FROM products WHERE id=?", (product_id,), one=True)
        if not p:
            abort(404)
        form, errors = _product_form(p), {}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in PRODUCT_FIELDS}
            errors = _validate_product(form, product_id)
            if not errors:
                _save_product(form, product_id)
                flash("You saved the product.", "success")
                return redirect(url_for("product_edit", product_id=product_id))
        return render_template("admin/product_edit.html", p=p, form=form, errors=errors, categories=_categories()), \
            (400 if errors else 200)

    @app.route("/admin/catalog/product/new/", methods=["GET", "POST"])
    @need_login
    def product_new():
        form, errors = _product_form(None), {}
        form["status"] = "1"
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in PRODUCT_FIELDS}
            errors = _validate_product(form, None)
            if not errors:
                pid = _save_product(form, None)
                flash("You saved the product.", "success")
                return redirect(url_for("product_edit", product_id=pid))
        return render_template("admin/product_edit.html", p=None, form=form, errors=errors,
                               categories=_categories()), (400 if errors else 200)

    @app.post("/admin/catalog/product/delete/id/<int:product_id>/")
    @need_login
    def product_delete(product_id):
        db = get_db()
        name = scalar("SELECT name FROM products WHERE id=?", (product_id,))
        if name is None:
            abort(404)
        db.execute("DELETE FROM products WHERE id=?", (product_id,))
        db.commit()
        flash(f"You deleted the product \"{name}\".", "success")
        return redirect(url_for("products"))

    # ------------------------------------------------------------ customers

    @app.route("/admin/customer/index/")
    @need_login
    def customers():
        where, args = ["1=1"], []
        f = {k: request.args.get(k, "").strip() for k in ("name", "email", "group", "region")}
        if f["name"]:
            where.append("(c.first_name || ' ' || c.last_name) LIKE ?")
            args.append(f"%{f['name']}%")
        if f["email"]:
            where.append("c.email LIKE ?")
            args.append(f"%{f['email']}%")
        if f["group"] in GROUPS:
            where.append("c.group_name=?")
            args.append(f["group"])
        if f["region"]:
            where.append("c.region=?")
            args.append(f["region"])
        w = " AND ".join(where)
        order_sql, sort, direction = sort_clause(
            {"id": "c.id", "name": "c.last_name", "email": "c.email", "group": "c.group_name", "region": "c.region",
             "created_at": "c.created_at", "orders": "n_orders"}, "id", "asc")
        pg = paginate(scalar(f"SELECT COUNT(*) FROM customers c WHERE {w}", args), int_arg("p", 1), _limit())
        rows = query(f"SELECT c.*, (SELECT COUNT(*) FROM orders o WHERE o.customer_id=c.id) AS n_orders "
                     f"FROM customers c WHERE {w} ORDER BY {order_sql}, c.id LIMIT ? OFFSET ?",
                     args + [pg["per_page"], pg["offset"]])
        return render_template("admin/customers.html", rows=rows, pg=pg, f=f, sort=sort, direction=direction,
                               groups=GROUPS, states=US_STATES)

    @app.route("/admin/customer/edit/id/<int:customer_id>/", methods=["GET", "POST"])
    @need_login
    def customer_edit(customer_id):
        c = query("SELECT * FROM customers WHERE id=?", (customer_id,), one=True)
        if not c:
            abort(404)
        keys = ("first_name", "last_name", "email", "group_name", "phone")
        form = {k: c[k] or "" for k in keys}
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in keys}
            for k in ("first_name", "last_name", "email"):
                if not form[k]:
                    errors[k] = "This is a required field."
            if form["email"] and not re.match(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", form["email"]):
                errors["email"] = "Please enter a valid email address (Ex: johndoe@domain.com)."
            elif scalar("SELECT 1 FROM customers WHERE lower(email)=? AND id!=?", (form["email"].lower(), customer_id)):
                errors["email"] = "A customer with the same email address already exists."
            if form["group_name"] not in GROUPS:
                errors["group_name"] = "Please select a customer group."
            if not errors:
                db = get_db()
                db.execute(f"UPDATE customers SET {', '.join(k + '=?' for k in keys)} WHERE id=?",
                           [form[k] for k in keys] + [customer_id])
                db.commit()
                flash("You saved the customer.", "success")
                return redirect(url_for("customer_edit", customer_id=customer_id))
        orders = query("SELECT * FROM orders WHERE customer_id=? ORDER BY created_at DESC", (customer_id,))
        return render_template("admin/customer_edit.html", c=c, form=form, errors=errors, groups=GROUPS,
                               orders=orders), (400 if errors else 200)

    # ------------------------------------------------------------ reports

    @app.route("/admin/reports/sales/")
    @need_login
    def report_sales():
        f = {"from": _date("from"), "to": _date("to"), "period": request.args.get("period", "day"),
             "status": request.args.get("status", "")}
        if f["period"] not in ("day", "month", "year"):
            f["period"] = "day"
        rows, totals, shown = [], None, bool(request.args.get("from") or request.args.get("to") or
                                             request.args.get("period"))
        if shown:
            fmt = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}[f["period"]]
            where, args = ["1=1"], []
            if f["from"]:
                where.append("date(created_at) >= ?")
                args.append(f["from"])
            if f["to"]:
                where.append("date(created_at) <= ?")
                args.append(f["to"])
            if f["status"] in ORDER_STATUSES:
                where.append("status=?")
                args.append(f["status"])
            else:
                where.append("status!='canceled'")
            w = " AND ".join(where)
            rows = query(f"SELECT strftime('{fmt}', created_at) AS period, COUNT(*) AS orders, SUM(total_qty) AS items,"
                         f" ROUND(SUM(subtotal),2) AS subtotal, ROUND(SUM(shipping_amount),2) AS shipping,"
                         f" ROUND(SUM(grand_total),2) AS total FROM orders WHERE {w} GROUP BY 1 ORDER BY 1", args)
            totals = query(f"SELECT COUNT(*) AS orders, COALESCE(SUM(total_qty),0) AS items, "
                           f"ROUND(COALESCE(SUM(subtotal),0),2) AS subtotal, ROUND(COALESCE(SUM(shipping_amount),0),2) "
                           f"AS shipping, ROUND(COALESCE(SUM(grand_total),0),2) AS total FROM orders WHERE {w}",
                           args, one=True)
        return render_template("admin/report_sales.html", f=f, rows=rows, totals=totals, shown=shown)

    @app.route("/admin/search/term/report/")
    @need_login
    def report_search():
        order_sql, sort, direction = sort_clause({"query": "query", "uses": "uses", "results": "results"}, "uses",
                                                 "desc")
        rows = query(f"SELECT * FROM search_terms ORDER BY {order_sql}, query")
        return render_template("admin/report_search.html", rows=rows, sort=sort, direction=direction)

    @app.route("/admin/review/")
    @need_login
    def reviews():
        where, args = ["1=1"], []
        f = {k: request.args.get(k, "").strip() for k in ("product", "nickname", "rating")}
        if f["product"]:
            where.append("p.name LIKE ?")
            args.append(f"%{f['product']}%")
        if f["nickname"]:
            where.append("r.nickname LIKE ?")
            args.append(f"%{f['nickname']}%")
        if f["rating"] in ("1", "2", "3", "4", "5"):
            where.append("r.rating=?")
            args.append(int(f["rating"]))
        w = " AND ".join(where)
        order_sql, sort, direction = sort_clause({"created_at": "r.created_at", "rating": "r.rating",
                                                  "product": "p.name", "nickname": "r.nickname"}, "created_at", "desc")
        pg = paginate(scalar(f"SELECT COUNT(*) FROM reviews r JOIN products p ON p.id=r.product_id WHERE {w}", args),
                      int_arg("p", 1), _limit())
        rows = query(f"SELECT r.*, p.name AS product, p.id AS pid FROM reviews r JOIN products p ON p.id=r.product_id "
                     f"WHERE {w} ORDER BY {order_sql}, r.id DESC LIMIT ? OFFSET ?", args + [pg["per_page"], pg["offset"]])
        return render_template("admin/reviews.html", rows=rows, pg=pg, f=f, sort=sort, direction=direction)

    @app.errorhandler(404)
    def not_found(_e):
        return render_template("admin/404.html"), 404

    return app
