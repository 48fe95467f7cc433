"""The shop storefront (WebArena's OneStopShop / Magento storefront, in miniature)."""

from __future__ import annotations

import datetime as dt
import re
import secrets

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from webagent.tasks.sites.common import (
    check_password,
    get_db,
    hash_password,
    int_arg,
    login_required,
    make_app,
    paginate,
    query,
    safe_next,
    scalar,
)
from webagent.tasks.sites.shop.rest import register_rest
from webagent.tasks.sites.shop.seed import STATUS_LABELS

# A special price applies from its start date on.
FINAL_PRICE = ("(CASE WHEN p.special_price IS NOT NULL AND (p.special_from IS NULL OR p.special_from <= date('now')) "
               "THEN p.special_price ELSE p.price END)")
PRICE_BUCKETS = [(0, 25), (25, 50), (50, 100), (100, 200), (200, 500), (500, 1000), (1000, None)]
SORTS = {"position": "p.id", "name": "p.name", "price": FINAL_PRICE, "rating": "p.rating"}
PAGE_SIZES = [12, 24, 36, 48]
US_STATES = ["Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
             "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky", "Louisiana",
             "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi", "Missouri", "Montana",
             "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico", "New York", "North Carolina",
             "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina",
             "South Dakota", "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington", "West Virginia",
             "Wisconsin", "Wyoming"]
SHIPPING = {"flatrate": ("Flat Rate", "Fixed: $5.00 per item"), "express": ("Express", "Next business day: $15.00")}
PAYMENTS = {"checkmo": "Check / Money order", "cod": "Cash On Delivery"}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
CMS_PAGES = {
    "about-us": ("About Us", "One Stop Market has been serving customers since 2009 with everyday low prices on "
                 "electronics, home goods, clothing, beauty, outdoor gear and groceries."),
    "customer-service": ("Customer Service", "Our support team answers within one business day. Orders can be "
                         "returned within 30 days of delivery for a full refund."),
    "privacy-policy": ("Privacy Policy", "We only use your data to process your orders. We never sell it."),
    "shipping-policy": ("Shipping Policy", "Flat rate shipping is $5.00 per item; express shipping is $15.00 per order."),
    "returns": ("Returns & Exchanges", "Unused items in their original packaging can be returned within 30 days."),
    "faq": ("Frequently Asked Questions", "Yes, you can check out as a guest. Yes, you can change your order while it "
            "is pending by contacting us."),
}


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def category_tree() -> tuple[list[dict], dict[int, dict]]:
    rows = query("SELECT id, parent_id, name, slug, level FROM categories ORDER BY level, position")
    by_id: dict[int, dict] = {}
    roots: list[dict] = []
    for r in rows:
        node = dict(r)
        node["children"] = []
        by_id[node["id"]] = node
        (by_id[node["parent_id"]]["children"] if node["parent_id"] else roots).append(node)
    return roots, by_id


def cart_key(create: bool = False) -> str | None:
    if session.get("customer_id"):
        return f"c:{session['customer_id']}"
    if "guest" not in session:
        if not create:
            return None
        session["guest"] = secrets.token_hex(8)
    return f"g:{session['guest']}"


def cart_lines() -> list[dict]:
    key = cart_key()
    if not key:
        return []
    rows = query(f"SELECT c.id, c.qty, c.options, p.id AS product_id, p.name, p.slug, p.sku, p.qty AS stock, "
                 f"{FINAL_PRICE} AS price FROM cart_items c JOIN products p ON p.id=c.product_id "
                 f"WHERE c.cart_key=? ORDER BY c.id", (key,))
    return [dict(r, row_total=round(r["price"] * r["qty"], 2)) for r in rows]


def breadcrumbs_for(cat: dict | None, by_id: dict[int, dict]) -> list[dict]:
    crumbs = []
    while cat:
        crumbs.insert(0, cat)
        cat = by_id.get(cat["parent_id"]) if cat["parent_id"] else None
    return crumbs


def create_app(db_path: str):
    app = make_app(__name__, db_path, secret="webagent-shop-not-secret", site_name="shop")
    need_login = login_required("customer_id", "login")

    @app.context_processor
    def _globals():
        roots, _ = category_tree()
        count = scalar("SELECT COALESCE(SUM(qty),0) FROM cart_items WHERE cart_key=?", (cart_key() or "-",))
        customer = None
        if session.get("customer_id"):
            customer = query("SELECT id, first_name, last_name, email FROM customers WHERE id=?",
                             (session["customer_id"],), one=True)
        return {"menu": roots, "cart_count": count, "customer": customer, "status_labels": STATUS_LABELS}

    # ------------------------------------------------------------ catalog

    def listing(where: list[str], args: list, *, title: str, template: str, category: dict | None = None,
                by_id: dict | None = None, search: str | None = None):
        where = ["p.status=1"] + where
        args = list(args)
        active = []
        _, by_id = (None, by_id) if by_id else category_tree()
        cat_f = request.args.get("cat", type=int)
        if cat_f and cat_f in by_id:
            c = by_id[cat_f]
            where.append("p.category_id IN (SELECT id FROM categories WHERE slug=? OR slug LIKE ?)")
            args += [c["slug"], c["slug"] + "/%"]
            active.append(("Category", c["name"], "cat"))
        price_f = request.args.get("price", "")
        m = re.fullmatch(r"(\d*)-(\d*)", price_f)
        if m and (m.group(1) or m.group(2)):
            if m.group(1):
                where.append(f"{FINAL_PRICE} >= ?")
                args.append(float(m.group(1)))
            if m.group(2):
                where.append(f"{FINAL_PRICE} < ?")
                args.append(float(m.group(2)))
            label = f"${m.group(1) or 0} - ${m.group(2)}" if m.group(2) else f"${m.group(1)} and above"
            active.append(("Price", label, "price"))
        rating_f = request.args.get("rating", type=int)
        if rating_f and 1 <= rating_f <= 5:
            where.append("p.rating >= ?")
            args.append(rating_f)
            active.append(("Rating", f"{rating_f} stars & up", "rating"))
        brand_f = request.args.get("brand", "").strip()
        if brand_f:
            where.append("p.brand = ?")
            args.append(brand_f)
            active.append(("Brand", brand_f, "brand"))
        w = " AND ".join(where)
        total = scalar(f"SELECT COUNT(*) FROM products p WHERE {w}", args)

        default_order = "relevance" if search else "position"
        order = request.args.get("product_list_order", default_order)
        if order not in SORTS and not (order == "relevance" and search):
            order = default_order
        direction = request.args.get("product_list_dir", "desc" if order == "rating" else "asc")
        direction = direction if direction in ("asc", "desc") else "asc"
        if order == "relevance":
            order_sql = "(CASE WHEN p.name LIKE ? THEN 0 ELSE 1 END), p.rating DESC, p.id"
            order_args = [f"%{search}%"]
        else:
            order_sql = f"{SORTS[order]} {direction.upper()}, p.id"
            order_args = []
        limit = request.args.get("product_list_limit", type=int)
        limit = limit if limit in PAGE_SIZES else 24
        pg = paginate(total, int_arg("p", 1), limit)
        products = query(
            f"SELECT p.*, {FINAL_PRICE} AS final_price FROM products p WHERE {w} ORDER BY {order_sql} LIMIT ? OFFSET ?",
            args + order_args + [limit, pg["offset"]])

        # layered navigation (facets over the current result set)
        sub_parent = category["children"] if category else [by_id[r["id"]] for r in
                                                            query("SELECT id FROM categories WHERE level=1 "
                                                                  "ORDER BY position")]
        facet_cats = []
        if not cat_f:
            for c in sub_parent:
                n = scalar(f"SELECT COUNT(*) FROM products p WHERE {w} AND p.category_id IN "
                           f"(SELECT id FROM categories WHERE slug=? OR slug LIKE ?)", args + [c["slug"], c["slug"] + "/%"])
                if n:
                    facet_cats.append((c, n))
        facet_prices = []
        if not price_f:
            for lo, hi in PRICE_BUCKETS:
                cond = f"{FINAL_PRICE} >= ?" + (f" AND {FINAL_PRICE} < ?" if hi else "")
                n = scalar(f"SELECT COUNT(*) FROM products p WHERE {w} AND {cond}", args + [lo] + ([hi] if hi else []))
                if n:
                    facet_prices.append((f"{lo}-{hi or ''}", f"${lo:,} - ${hi:,}" if hi else f"${lo:,} and above", n))
        facet_ratings = []
        if not rating_f:
            for r in (4, 3, 2, 1):
                n = scalar(f"SELECT COUNT(*) FROM products p WHERE {w} AND p.rating >= ?", args + [r])
                if n:
                    facet_ratings.append((r, n))
        facet_brands = [] if brand_f else query(
            f"SELECT p.brand, COUNT(*) AS n FROM products p WHERE {w} GROUP BY p.brand ORDER BY p.brand", args)
        crumbs = breadcrumbs_for(category, by_id) if category else []
        return render_template(template, title=title, products=products, pg=pg, category=category, crumbs=crumbs,
                               search=search, active=active, facet_cats=facet_cats, facet_prices=facet_prices,
                               facet_ratings=facet_ratings, facet_brands=facet_brands, order=order,
                               direction=direction, limit=limit, page_sizes=PAGE_SIZES)

    @app.route("/")
    def home():
        hot = query(f"SELECT p.*, {FINAL_PRICE} AS final_price FROM products p WHERE p.status=1 AND p.review_count>=3 "
                    f"ORDER BY p.rating DESC, p.review_count DESC, p.id LIMIT 12")
        deals = query(f"SELECT p.*, {FINAL_PRICE} AS final_price FROM products p WHERE p.status=1 AND "
                      f"p.special_price IS NOT NULL ORDER BY p.id LIMIT 6")
        return render_template("shop/home.html", hot=hot, deals=deals)

    @app.route("/category/<path:slug>")
    def category(slug):
        roots, by_id = category_tree()
        cat = next((c for c in by_id.values() if c["slug"] == slug.strip("/")), None)
        if not cat:
            abort(404)
        return listing(["p.category_id IN (SELECT id FROM categories WHERE slug=? OR slug LIKE ?)"],
                       [cat["slug"], cat["slug"] + "/%"], title=cat["name"], template="shop/listing.html",
                       category=cat, by_id=by_id)

    @app.route("/catalogsearch/result/")
    def search():
        q = request.args.get("q", "").strip()
        words = [w for w in re.split(r"\s+", q) if w][:8]
        where, args = [], []
        for word in words:
            where.append("(p.name LIKE ? OR p.sku LIKE ? OR p.brand LIKE ? OR p.short_description LIKE ?)")
            args += [f"%{word}%"] * 4
        resp = listing(where, args, title=f"Search results for: '{q}'", template="shop/listing.html", search=q)
        if q and not request.args.get("p"):
            n = scalar("SELECT COUNT(*) FROM products p WHERE p.status=1" + "".join(" AND " + x for x in where), args)
            db = get_db()
            db.execute("INSERT INTO search_terms VALUES(?,1,?) ON CONFLICT(query) DO UPDATE SET uses=uses+1, "
                       "results=excluded.results", (q.lower()[:100], n))
            db.commit()
        return resp

    @app.route("/product/<slug>")
    def product(slug):
        p = query(f"SELECT p.*, {FINAL_PRICE} AS final_price FROM products p WHERE p.slug=? AND p.status=1",
                  (slug,), one=True)
        if not p:
            abort(404)
        _, by_id = category_tree()
        opts: dict[str, list[str]] = {}
        for o in query("SELECT kind, value FROM product_options WHERE product_id=? ORDER BY position", (p["id"],)):
            opts.setdefault(o["kind"], []).append(o["value"])
        reviews = query("SELECT * FROM reviews WHERE product_id=? AND status='approved' ORDER BY created_at DESC, id DESC",
                        (p["id"],))
        related = query(f"SELECT p.*, {FINAL_PRICE} AS final_price FROM products p WHERE p.category_id=? AND p.id!=? "
                        f"AND p.status=1 ORDER BY p.rating DESC, p.id LIMIT 6", (p["category_id"], p["id"]))
        in_wishlist = bool(session.get("customer_id") and scalar(
            "SELECT 1 FROM wishlist WHERE customer_id=? AND product_id=?", (session["customer_id"], p["id"])))
        return render_template("shop/product.html", p=p, opts=opts, reviews=reviews, related=related,
                               crumbs=breadcrumbs_for(by_id[p["category_id"]], by_id), in_wishlist=in_wishlist)

    @app.post("/product/<slug>/review")
    def add_review(slug):
        p = query("SELECT id, slug FROM products WHERE slug=? AND status=1", (slug,), one=True)
        if not p:
            abort(404)
        f = request.form
        rating = f.get("rating", type=int)
        nickname, title, body = (f.get(k, "").strip() for k in ("nickname", "title", "detail"))
        if not (rating and 1 <= rating <= 5) or not nickname or not title or not body:
            flash("Please select a rating and fill in Nickname, Summary and Review.", "error")
            return redirect(url_for("product", slug=slug) + "#reviews")
        db = get_db()
        db.execute("INSERT INTO reviews(product_id,customer_id,nickname,rating,title,body,created_at) VALUES(?,?,?,?,?,?,?)",
                   (p["id"], session.get("customer_id"), nickname, rating, title, body, _now()))
        db.execute("UPDATE products SET review_count=(SELECT COUNT(*) FROM reviews WHERE product_id=?),"
                   " rating=(SELECT ROUND(AVG(rating),1) FROM reviews WHERE product_id=?) WHERE id=?",
                   (p["id"], p["id"], p["id"]))
        db.commit()
        flash("You submitted your review for moderation.", "success")
        return redirect(url_for("product", slug=slug) + "#reviews")

    @app.route("/media/catalog/product/<sku>.svg")
    def product_image(sku):
        p = query("SELECT name, hue FROM products WHERE sku=?", (sku,), one=True)
        if not p:
            abort(404)
        initials = "".join(w[0] for w in p["name"].split()[:3]).upper()
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="240" height="300" viewBox="0 0 240 300">'
               f'<rect width="240" height="300" fill="hsl({p["hue"]},45%,82%)"/>'
               f'<circle cx="120" cy="130" r="70" fill="hsl({p["hue"]},50%,62%)"/>'
               f'<text x="120" y="145" font-size="40" text-anchor="middle" font-family="sans-serif" fill="#fff">'
               f'{initials}</text></svg>')
        return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=3600"})

    # ------------------------------------------------------------ cart

    @app.post("/checkout/cart/add")
    def cart_add():
        pid = request.form.get("product_id", type=int)
        p = query("SELECT id, name, slug, qty FROM products WHERE id=? AND status=1", (pid,), one=True)
        if not p:
            abort(404)
        back = url_for("product", slug=p["slug"])
        kinds: dict[str, list[str]] = {}
        for o in query("SELECT kind, value FROM product_options WHERE product_id=?", (pid,)):
            kinds.setdefault(o["kind"], []).append(o["value"])
        chosen = []
        for kind in sorted(kinds):
            v = request.form.get(f"option_{kind}", "")
            if v not in kinds[kind]:
                flash("You need to choose options for your item.", "error")
                return redirect(back)
            chosen.append(f"{kind.title()}: {v}")
        try:
            qty = int(request.form.get("qty", "1"))
        except ValueError:
            qty = 0
        if qty < 1:
            flash("Please enter a quantity greater than 0.", "error")
            return redirect(back)
        key = cart_key(create=True)
        options = ", ".join(chosen)
        db = get_db()
        row = db.execute("SELECT id, qty FROM cart_items WHERE cart_key=? AND product_id=? AND options=?",
                         (key, pid, options)).fetchone()
        in_cart = row["qty"] if row else 0
        if qty + in_cart > p["qty"]:
            flash(f"The requested qty is not available (only {p['qty']} left)." if p["qty"] else
                  "This product is out of stock.", "error")
            return redirect(back)
        if row:
            db.execute("UPDATE cart_items SET qty=? WHERE id=?", (qty + in_cart, row["id"]))
        else:
            db.execute("INSERT INTO cart_items(cart_key,product_id,options,qty,added_at) VALUES(?,?,?,?,?)",
                       (key, pid, options, qty, _now()))
        db.commit()
        flash(f"You added {p['name']} to your shopping cart.", "success")
        return redirect(safe_next(request.form.get("return_to"), back))

    @app.route("/checkout/cart/")
    def cart():
        lines = cart_lines()
        return render_template("shop/cart.html", lines=lines, subtotal=round(sum(x["row_total"] for x in lines), 2))

    @app.post("/checkout/cart/update")
    def cart_update():
        key = cart_key()
        db = get_db()
        errors = []
        for line in cart_lines():
            raw = request.form.get(f"qty_{line['id']}")
            if raw is None:
                continue
            try:
                qty = int(raw)
            except ValueError:
                errors.append(f"Invalid quantity for {line['name']}.")
                continue
            if qty <= 0:
                db.execute("DELETE FROM cart_items WHERE id=? AND cart_key=?", (line["id"], key))
            elif qty > line["stock"]:
                errors.append(f"The requested qty of {line['name']} is not available.")
            else:
                db.execute("UPDATE cart_items SET qty=? WHERE id=? AND cart_key=?", (qty, line["id"], key))
        db.commit()
        for e in errors:
            flash(e, "error")
        if not errors:
            flash("Your shopping cart has been updated.", "success")
        return redirect(url_for("cart"))

    @app.post("/checkout/cart/delete/<int:item_id>")
    def cart_delete(item_id):
        db = get_db()
        db.execute("DELETE FROM cart_items WHERE id=? AND cart_key=?", (item_id, cart_key() or "-"))
        db.commit()
        flash("The item was removed from your shopping cart.", "success")
        return redirect(url_for("cart"))

    # ------------------------------------------------------------ checkout

    @app.route("/checkout/", methods=["GET", "POST"])
    def checkout():
        lines = cart_lines()
        if not lines:
            flash("Your shopping cart is empty.", "info")
            return redirect(url_for("cart"))
        subtotal = round(sum(x["row_total"] for x in lines), 2)
        total_qty = sum(x["qty"] for x in lines)
        form: dict[str, str] = {}
        errors: dict[str, str] = {}
        if request.method == "GET":
            if session.get("customer_id"):
                c = query("SELECT * FROM customers WHERE id=?", (session["customer_id"],), one=True)
                form = {"email": c["email"], "firstname": c["first_name"], "lastname": c["last_name"],
                        "street": c["street"] or "", "city": c["city"] or "", "region": c["region"] or "",
                        "postcode": c["postcode"] or "", "telephone": c["phone"] or ""}
            form.setdefault("shipping_method", "flatrate")
            form.setdefault("payment_method", "checkmo")
        else:
            form = {k: request.form.get(k, "").strip() for k in
                    ("email", "firstname", "lastname", "street", "city", "region", "postcode", "country",
                     "telephone", "shipping_method", "payment_method")}
            labels = {"email": "Email Address", "firstname": "First Name", "lastname": "Last Name",
                      "street": "Street Address", "city": "City", "region": "State/Province",
                      "postcode": "Zip/Postal Code", "telephone": "Phone Number"}
            for k, label in labels.items():
                if not form[k]:
                    errors[k] = f"{label} is a required field."
            if form["email"] and not EMAIL_RE.match(form["email"]):
                errors["email"] = "Please enter a valid email address (Ex: johndoe@domain.com)."
            if form["postcode"] and not ZIP_RE.match(form["postcode"]):
                errors["postcode"] = "Please enter a valid zip code (Ex: 90602 or 90602-1234)."
            if form["region"] and form["region"] not in US_STATES:
                errors["region"] = "Please select a valid State/Province."
            if form["telephone"] and len(re.sub(r"\D", "", form["telephone"])) < 7:
                errors["telephone"] = "Please enter a valid phone number."
            if form["shipping_method"] not in SHIPPING:
                errors["shipping_method"] = "Please specify a shipping method."
            if form["payment_method"] not in PAYMENTS:
                errors["payment_method"] = "Please specify a payment method."
            for x in lines:
                if x["qty"] > x["stock"]:
                    errors.setdefault("cart", f"The requested qty of {x['name']} is not available.")
            if not errors:
                order_id = place_order(lines, form, subtotal, total_qty)
                session["last_order_id"] = order_id
                return redirect(url_for("checkout_success"))
        shipping = 5.0 * total_qty if form.get("shipping_method", "flatrate") == "flatrate" else 15.0
        return render_template("shop/checkout.html", lines=lines, subtotal=subtotal, form=form, errors=errors,
                               states=US_STATES, shipping_methods=SHIPPING, payments=PAYMENTS, shipping=shipping,
                               total_qty=total_qty), (400 if errors else 200)

    def place_order(lines, form, subtotal, total_qty) -> int:
        db = get_db()
        shipping = 5.0 * total_qty if form["shipping_method"] == "flatrate" else 15.0
        next_id = (scalar("SELECT COALESCE(MAX(id),0) FROM orders") or 0) + 1
        now = _now()
        cid = session.get("customer_id")
        cur = db.execute(
            "INSERT INTO orders(id,increment_id,customer_id,customer_email,customer_first_name,customer_last_name,"
            "status,created_at,updated_at,subtotal,shipping_amount,grand_total,total_qty,ship_first_name,"
            "ship_last_name,ship_street,ship_city,ship_region,ship_postcode,ship_country,ship_phone,"
            "shipping_method,payment_method) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (next_id, f"{next_id:09d}", cid, form["email"], form["firstname"], form["lastname"], "pending", now, now,
             subtotal, shipping, round(subtotal + shipping, 2), total_qty, form["firstname"], form["lastname"],
             form["street"], form["city"], form["region"], form["postcode"], form.get("country") or "United States",
             form["telephone"], form["shipping_method"], form["payment_method"]))
        oid = cur.lastrowid
        for x in lines:
            db.execute("INSERT INTO order_items(order_id,product_id,sku,name,options,price,qty,row_total) "
                       "VALUES(?,?,?,?,?,?,?,?)", (oid, x["product_id"], x["sku"], x["name"], x["options"],
                                                   x["price"], x["qty"], x["row_total"]))
            db.execute("UPDATE products SET qty=qty-? WHERE id=?", (x["qty"], x["product_id"]))
        db.execute("DELETE FROM cart_items WHERE cart_key=?", (cart_key(),))
        db.commit()
        return oid

    @app.route("/checkout/onepage/success/")
    def checkout_success():
        oid = session.get("last_order_id")
        order = query("SELECT * FROM orders WHERE id=?", (oid,), one=True) if oid else None
        if not order:
            return redirect(url_for("cart"))
        return render_template("shop/success.html", order=order)

    # ------------------------------------------------------------ customer account

    @app.route("/customer/account/login/", methods=["GET", "POST"])
    def login():
        error = None
        email = ""
        if request.method == "POST":
            email = request.form.get("login[username]", "").strip().lower()
            pw = request.form.get("login[password]", "")
            c = query("SELECT id, password_hash FROM customers WHERE lower(email)=?", (email,), one=True)
            if not email or not pw:
                error = "A login and a password are required."
            elif not c or not check_password(c["password_hash"], pw):
                error = ("The account sign-in was incorrect or your account is disabled temporarily. "
                         "Please wait and try again later.")
            else:
                guest = cart_key()
                session["customer_id"] = c["id"]
                if guest and guest.startswith("g:"):
                    db = get_db()
                    db.execute("UPDATE cart_items SET cart_key=? WHERE cart_key=?", (f"c:{c['id']}", guest))
                    db.commit()
                    session.pop("guest", None)
                return redirect(safe_next(request.args.get("next"), url_for("account")))
        return render_template("shop/login.html", error=error, email=email), (401 if error else 200)

    @app.route("/customer/account/logout/")
    def logout():
        session.pop("customer_id", None)
        session.pop("guest", None)
        flash("You are signed out.", "success")
        return redirect(url_for("home"))

    @app.route("/customer/account/create/", methods=["GET", "POST"])
    def register():
        form: dict[str, str] = {}
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in ("firstname", "lastname", "email")}
            pw, pw2 = request.form.get("password", ""), request.form.get("password_confirmation", "")
            for k, label in (("firstname", "First Name"), ("lastname", "Last Name"), ("email", "Email")):
                if not form[k]:
                    errors[k] = f"{label} is a required field."
            if form["email"] and not EMAIL_RE.match(form["email"]):
                errors["email"] = "Please enter a valid email address (Ex: johndoe@domain.com)."
            elif form["email"] and scalar("SELECT 1 FROM customers WHERE lower(email)=?", (form["email"].lower(),)):
                errors["email"] = "There is already an account with this email address."
            if len(pw) < 8:
                errors["password"] = "Minimum length of this field must be equal or greater than 8 symbols."
            elif pw != pw2:
                errors["password_confirmation"] = "Please enter the same value again."
            if not errors:
                db = get_db()
                cur = db.execute("INSERT INTO customers(email,password_hash,first_name,last_name,created_at) "
                                 "VALUES(?,?,?,?,?)", (form["email"].lower(), hash_password(pw), form["firstname"],
                                                        form["lastname"], _now()))
                db.commit()
                session["customer_id"] = cur.lastrowid
                flash("Thank you for registering with One Stop Market.", "success")
                return redirect(url_for("account"))
        return render_template("shop/register.html", form=form, errors=errors), (400 if errors else 200)

    @app.route("/customer/account/")
    @need_login
    def account():
        c = query("SELECT * FROM customers WHERE id=?", (session["customer_id"],), one=True)
        recent = query("SELECT * FROM orders WHERE customer_id=? ORDER BY created_at DESC, id DESC LIMIT 5", (c["id"],))
        return render_template("shop/account.html", c=c, recent=recent)

    @app.route("/customer/address/edit/", methods=["GET", "POST"])
    @need_login
    def address_edit():
        c = query("SELECT * FROM customers WHERE id=?", (session["customer_id"],), one=True)
        form = {"firstname": c["first_name"], "lastname": c["last_name"], "street": c["street"] or "",
                "city": c["city"] or "", "region": c["region"] or "", "postcode": c["postcode"] or "",
                "telephone": c["phone"] or ""}
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in form}
            for k in form:
                if not form[k]:
                    errors[k] = "This is a required field."
            if form["postcode"] and not ZIP_RE.match(form["postcode"]):
                errors["postcode"] = "Please enter a valid zip code (Ex: 90602 or 90602-1234)."
            if form["region"] and form["region"] not in US_STATES:
                errors["region"] = "Please select a valid State/Province."
            if not errors:
                db = get_db()
                db.execute("UPDATE customers SET first_name=?, last_name=?, street=?, city=?, region=?, postcode=?,"
                           " phone=? WHERE id=?", (form["firstname"], form["lastname"], form["street"], form["city"],
                                                   form["region"], form["postcode"], form["telephone"], c["id"]))
                db.commit()
                flash("You saved the address.", "success")
                return redirect(url_for("account"))
        return render_template("shop/address.html", form=form, errors=errors, states=US_STATES), \
            (400 if errors else 200)

    @app.route("/sales/order/history/")
    @need_login
    def order_history():
        cid = session["customer_id"]
        limit = request.args.get("limit", type=int)
        limit = limit if limit in (10, 20, 50) else 10
        pg = paginate(scalar("SELECT COUNT(*) FROM orders WHERE customer_id=?", (cid,)), int_arg("p", 1), limit)
        orders = query("SELECT * FROM orders WHERE customer_id=? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                       (cid, limit, pg["offset"]))
        return render_template("shop/orders.html", orders=orders, pg=pg, limit=limit)

    @app.route("/sales/order/view/order_id/<int:order_id>/")
    @need_login
    def order_view(order_id):
        order = query("SELECT * FROM orders WHERE id=? AND customer_id=?", (order_id, session["customer_id"]), one=True)
        if not order:
            abort(404)
        items = query("SELECT oi.*, p.slug FROM order_items oi LEFT JOIN products p ON p.id=oi.product_id "
                      "WHERE oi.order_id=? ORDER BY oi.id", (order_id,))
        return render_template("shop/order_view.html", order=order, items=items, shipping_methods=SHIPPING,
                               payments=PAYMENTS)

    @app.route("/wishlist/")
    @need_login
    def wishlist():
        items = query(f"SELECT p.*, {FINAL_PRICE} AS final_price, w.added_at FROM wishlist w JOIN products p "
                      f"ON p.id=w.product_id WHERE w.customer_id=? ORDER BY w.added_at DESC, p.id",
                      (session["customer_id"],))
        return render_template("shop/wishlist.html", items=items)

    @app.post("/wishlist/add")
    def wishlist_add():
        pid = request.form.get("product_id", type=int)
        p = query("SELECT id, name, slug FROM products WHERE id=? AND status=1", (pid,), one=True)
        if not p:
            abort(404)
        if not session.get("customer_id"):
            flash("You must login or register to add items to your wishlist.", "error")
            return redirect(url_for("login", next=url_for("product", slug=p["slug"])))
        db = get_db()
        db.execute("INSERT OR IGNORE INTO wishlist VALUES(?,?,?)", (session["customer_id"], pid, _now()))
        db.commit()
        flash(f"{p['name']} has been added to your Wish List.", "success")
        return redirect(url_for("wishlist"))

    @app.post("/wishlist/remove/<int:product_id>")
    @need_login
    def wishlist_remove(product_id):
        db = get_db()
        db.execute("DELETE FROM wishlist WHERE customer_id=? AND product_id=?", (session["customer_id"], product_id))
        db.commit()
        flash("The item has been removed from your Wish List.", "success")
        return redirect(url_for("wishlist"))

    # ------------------------------------------------------------ contact and content pages

    @app.route("/contact/", methods=["GET", "POST"])
    def contact():
        form: dict[str, str] = {}
        errors: dict[str, str] = {}
        if request.method == "POST":
            form = {k: request.form.get(k, "").strip() for k in ("name", "email", "telephone", "comment")}
            if not form["name"]:
                errors["name"] = "Name is a required field."
            if not form["email"]:
                errors["email"] = "Email is a required field."
            elif not EMAIL_RE.match(form["email"]):
                errors["email"] = "Please enter a valid email address (Ex: johndoe@domain.com)."
            if not form["comment"]:
                errors["comment"] = "What's on your mind? is a required field."
            if not errors:
                db = get_db()
                db.execute("INSERT INTO contact_messages(name,email,phone,comment,created_at) VALUES(?,?,?,?,?)",
                           (form["name"], form["email"], form["telephone"], form["comment"], _now()))
                db.commit()
                flash("Thanks for contacting us with your comments and questions. We'll respond to you very soon.",
                      "success")
                return redirect(url_for("contact"))
        elif session.get("customer_id"):
            c = query("SELECT first_name, last_name, email, phone FROM customers WHERE id=?",
                      (session["customer_id"],), one=True)
            form = {"name": f"{c['first_name']} {c['last_name']}", "email": c["email"], "telephone": c["phone"] or ""}
        return render_template("shop/contact.html", form=form, errors=errors), (400 if errors else 200)

    @app.route("/cms/<slug>")
    def cms(slug):
        if slug not in CMS_PAGES:
            abort(404)
        title, body = CMS_PAGES[slug]
        return render_template("shop/cms.html", title=title, body=body)

    @app.errorhandler(404)
    def not_found(_e):
        return render_template("shop/404.html"), 404

    register_rest(app)
    return app
