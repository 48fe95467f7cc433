"""Schema and deterministic seed data of the shop (also used, unchanged, by shop_admin)."""

from __future__ import annotations

import datetime as dt
import random
import re

from webagent.tasks.sites.common import hash_password, new_db
from webagent.tasks.sites.shop import words as W

SEED = 20230601
SCHEMA_VERSION = 1
SEED_NOW = dt.datetime(2023, 6, 1, 9, 0, 0)  # the seed's "today": every seeded date is before it

DEFAULT_EMAIL = "emma.lopez@example.com"
DEFAULT_PASSWORD = "Password.123"
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin1234"

ORDER_STATUSES = ["pending", "processing", "complete", "canceled", "closed", "holded"]
STATUS_LABELS = {"pending": "Pending", "processing": "Processing", "complete": "Complete", "canceled": "Canceled",
                 "closed": "Closed", "holded": "On Hold"}

SCHEMA = """
CREATE TABLE categories(
  id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES categories(id), name TEXT NOT NULL,
  slug TEXT NOT NULL UNIQUE, level INTEGER NOT NULL, position INTEGER NOT NULL);
CREATE TABLE products(
  id INTEGER PRIMARY KEY, sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL, slug TEXT NOT NULL UNIQUE,
  category_id INTEGER NOT NULL REFERENCES categories(id), brand TEXT NOT NULL, price REAL NOT NULL,
  special_price REAL, special_from TEXT, qty INTEGER NOT NULL, status INTEGER NOT NULL DEFAULT 1,
  short_description TEXT NOT NULL, description TEXT NOT NULL, weight REAL NOT NULL,
  rating REAL NOT NULL DEFAULT 0, review_count INTEGER NOT NULL DEFAULT 0, hue INTEGER NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE INDEX products_category ON products(category_id);
CREATE TABLE product_options(
  id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  kind TEXT NOT NULL, value TEXT NOT NULL, position INTEGER NOT NULL);
CREATE INDEX product_options_product ON product_options(product_id);
CREATE TABLE customers(
  id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, first_name TEXT NOT NULL,
  last_name TEXT NOT NULL, phone TEXT, street TEXT, city TEXT, region TEXT, postcode TEXT,
  country TEXT DEFAULT 'United States', group_name TEXT NOT NULL DEFAULT 'General', created_at TEXT NOT NULL);
CREATE TABLE reviews(
  id INTEGER PRIMARY KEY, product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  customer_id INTEGER REFERENCES customers(id), nickname TEXT NOT NULL, rating INTEGER NOT NULL,
  title TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'approved', created_at TEXT NOT NULL);
CREATE INDEX reviews_product ON reviews(product_id);
CREATE TABLE orders(
  id INTEGER PRIMARY KEY, increment_id TEXT NOT NULL UNIQUE, customer_id INTEGER REFERENCES customers(id),
  customer_email TEXT NOT NULL, customer_first_name TEXT NOT NULL, customer_last_name TEXT NOT NULL,
  status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  subtotal REAL NOT NULL, shipping_amount REAL NOT NULL, discount_amount REAL NOT NULL DEFAULT 0,
  grand_total REAL NOT NULL, total_qty INTEGER NOT NULL,
  ship_first_name TEXT NOT NULL, ship_last_name TEXT NOT NULL, ship_street TEXT NOT NULL, ship_city TEXT NOT NULL,
  ship_region TEXT NOT NULL, ship_postcode TEXT NOT NULL, ship_country TEXT NOT NULL, ship_phone TEXT NOT NULL,
  shipping_method TEXT NOT NULL, payment_method TEXT NOT NULL);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE TABLE order_items(
  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  product_id INTEGER, sku TEXT NOT NULL, name TEXT NOT NULL, options TEXT NOT NULL DEFAULT '',
  price REAL NOT NULL, qty INTEGER NOT NULL, row_total REAL NOT NULL);
CREATE INDEX order_items_order ON order_items(order_id);
CREATE TABLE order_comments(
  id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  status TEXT NOT NULL, comment TEXT NOT NULL, notify INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE TABLE cart_items(
  id INTEGER PRIMARY KEY, cart_key TEXT NOT NULL, product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  options TEXT NOT NULL DEFAULT '', qty INTEGER NOT NULL, added_at TEXT NOT NULL);
CREATE INDEX cart_items_key ON cart_items(cart_key);
CREATE TABLE wishlist(
  customer_id INTEGER NOT NULL REFERENCES customers(id), product_id INTEGER NOT NULL REFERENCES products(id) ON DELETE CASCADE,
  added_at TEXT NOT NULL, PRIMARY KEY(customer_id, product_id));
CREATE TABLE contact_messages(
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, phone TEXT, comment TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE TABLE search_terms(query TEXT PRIMARY KEY, uses INTEGER NOT NULL, results INTEGER NOT NULL);
CREATE TABLE admin_users(
  id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL, first_name TEXT NOT NULL,
  last_name TEXT NOT NULL, email TEXT NOT NULL);
"""


def slugify(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", s.lower().replace("&", "and").replace("'", "")).strip("-")


def _ts(d: dt.datetime) -> str:
    return d.strftime("%Y-%m-%d %H:%M:%S")


def _options_for(kind: str, rng: random.Random) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if "color" in kind:
        out += [("color", c) for c in rng.sample(W.COLORS, rng.randint(2, 5))]
    if kind == "colorsize" or kind == "size":
        lo = rng.randint(0, 1)
        out += [("size", s) for s in W.SIZES[lo:lo + rng.randint(4, 5)]]
    if kind == "shoe":
        out += [("size", s) for s in W.SHOE_SIZES]
    return out


def seed(db_path: str) -> None:
    rng = random.Random(SEED)
    con = new_db(db_path, SCHEMA)
    cur = con.cursor()

    # categories (3 levels) and products (in the leaves)
    cat_id = 0
    prod_id = 0
    leaves: list[tuple[int, str, str, tuple[int, int], str, list[str], list[str]]] = []
    for pos1, (top, brands, adjs, mids) in enumerate(W.CATALOG):
        cat_id += 1
        top_id, top_slug = cat_id, slugify(top)
        cur.execute("INSERT INTO categories VALUES(?,?,?,?,?,?)", (top_id, None, top, top_slug, 1, pos1))
        for pos2, (mid, leaf_list) in enumerate(mids):
            cat_id += 1
            mid_id, mid_slug = cat_id, f"{top_slug}/{slugify(mid)}"
            cur.execute("INSERT INTO categories VALUES(?,?,?,?,?,?)", (mid_id, top_id, mid, mid_slug, 2, pos2))
            for pos3, (leaf, noun, prange, kind) in enumerate(leaf_list):
                cat_id += 1
                cur.execute("INSERT INTO categories VALUES(?,?,?,?,?,?)",
                            (cat_id, mid_id, leaf, f"{mid_slug}/{slugify(leaf)}", 3, pos3))
                leaves.append((cat_id, leaf, noun, prange, kind, brands, adjs))

    names_seen: set[str] = set()
    products: list[tuple[int, str, str, float, list[tuple[str, str]]]] = []
    for leaf_id, _leaf, noun, (lo, hi), kind, brands, adjs in leaves:
        for _ in range(rng.randint(6, 8)):
            prod_id += 1
            while True:
                name = f"{rng.choice(brands)} {rng.choice(adjs)} {noun}"
                suffix = rng.choice(W.MODEL_SUFFIXES)
                if suffix:
                    name += f" {suffix}"
                if name not in names_seen:
                    break
            names_seen.add(name)
            price = round(rng.uniform(lo, hi)) - 0.01 if hi > 20 else round(rng.uniform(lo, hi), 1) - 0.01
            price = max(price, 0.99)
            special = special_from = None
            if rng.random() < 0.12:
                special = round(price * rng.choice([0.7, 0.75, 0.8, 0.85, 0.9]), 2)
                special_from = (SEED_NOW - dt.timedelta(days=rng.randint(5, 200))).strftime("%Y-%m-%d")
            qty = 0 if rng.random() < 0.05 else rng.randint(1, 250)
            status = 0 if rng.random() < 0.03 else 1
            feats = rng.sample(W.FEATURES, 4)
            short = f"{rng.choice(W.OPENERS)} {name}: it {feats[0]}."
            desc = (f"The {name} {feats[1]}, and it {feats[2]}. "
                    f"Every {noun.lower()} from {name.split()[0]} {feats[3]}.\n\n"
                    f"Package contents: 1 x {noun}, quick start guide. "
                    f"Model number {prod_id:04d}-{rng.randint(100, 999)}.")
            brand = next(b for b in brands if name.startswith(b))
            created = SEED_NOW - dt.timedelta(days=rng.randint(200, 900), minutes=rng.randint(0, 1439))
            sku = f"{slugify(noun)[:3].upper()}-{leaf_id:02d}{prod_id:04d}"
            opts = _options_for(kind, rng)
            cur.execute(
                "INSERT INTO products(id,sku,name,slug,category_id,brand,price,special_price,special_from,qty,status,"
                "short_description,description,weight,hue,created_at,updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (prod_id, sku, name, slugify(name), leaf_id, brand, price, special, special_from, qty, status, short,
                 desc, round(rng.uniform(0.1, 25), 1), rng.randint(0, 359), _ts(created), _ts(created)))
            for i, (k, v) in enumerate(opts):
                cur.execute("INSERT INTO product_options(product_id,kind,value,position) VALUES(?,?,?,?)",
                            (prod_id, k, v, i))
            products.append((prod_id, sku, name, special or price, opts))

    # customers: the default account first, then a realistic crowd
    customers = []
    people = [("Emma", "Lopez", W.CITIES[0])]
    for _ in range(89):
        people.append((rng.choice(W.FIRST_NAMES), rng.choice(W.LAST_NAMES), rng.choice(W.CITIES)))
    emails: set[str] = set()
    for cid, (first, last, (city, region, zip3)) in enumerate(people, start=1):
        email = DEFAULT_EMAIL if cid == 1 else f"{first.lower()}.{last.lower()}@example.com"
        n = 1
        while email in emails:
            n += 1
            email = f"{first.lower()}.{last.lower()}{n}@example.com"
        emails.add(email)
        pw = DEFAULT_PASSWORD if cid == 1 else f"{first}.{n}{cid:03d}x"
        street = f"{rng.randint(10, 9999)} {rng.choice(W.STREETS)}"
        postcode = f"{zip3}{rng.randint(0, 99):02d}"
        phone = f"{rng.randint(200, 989)}-555-{rng.randint(0, 9999):04d}"
        created = SEED_NOW - dt.timedelta(days=rng.randint(400, 1400), minutes=rng.randint(0, 1439))
        group = "Wholesale" if rng.random() < 0.1 else "General"
        cur.execute("INSERT INTO customers(id,email,password_hash,first_name,last_name,phone,street,city,region,"
                    "postcode,group_name,created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                    (cid, email, hash_password(pw), first, last, phone, street, city, region, postcode, group,
                     _ts(created)))
        customers.append((cid, email, first, last, street, city, region, postcode, phone, created))

    # reviews
    for pid, *_ in products:
        for _ in range(rng.choice([0, 0, 1, 2, 3, 3, 4, 5, 6, 8, 12])):
            stars = rng.choices([5, 4, 3, 2, 1], weights=[40, 30, 14, 9, 7])[0]
            c = rng.choice(customers)
            nickname = c[2] if rng.random() < 0.6 else f"{c[2]} {c[3][0]}."
            created = SEED_NOW - dt.timedelta(days=rng.randint(1, 600), minutes=rng.randint(0, 1439))
            cur.execute("INSERT INTO reviews(product_id,customer_id,nickname,rating,title,body,created_at) "
                        "VALUES(?,?,?,?,?,?,?)",
                        (pid, c[0], nickname, stars, rng.choice(W.REVIEW_TITLES[stars]),
                         rng.choice(W.REVIEW_BODIES[stars]), _ts(created)))
    cur.execute("UPDATE products SET review_count=(SELECT COUNT(*) FROM reviews r WHERE r.product_id=products.id),"
                " rating=COALESCE((SELECT ROUND(AVG(rating),1) FROM reviews r WHERE r.product_id=products.id),0)")

    # orders: generated with fixed dates, then numbered in date order
    raw_orders = []
    emma_statuses = ["complete", "complete", "canceled", "complete", "closed", "processing", "complete", "pending"]
    for c in customers:
        if c[0] == 1:
            dates = [dt.datetime(2022, 3, 2, 14, 5), dt.datetime(2022, 5, 17, 9, 41), dt.datetime(2022, 8, 30, 18, 12),
                     dt.datetime(2022, 11, 25, 7, 55), dt.datetime(2023, 1, 9, 20, 3), dt.datetime(2023, 3, 14, 11, 27),
                     dt.datetime(2023, 4, 28, 16, 40), dt.datetime(2023, 5, 23, 10, 15)]
            statuses = emma_statuses
        else:
            k = rng.choice([0, 1, 1, 2, 3, 4, 5, 6])
            dates = [SEED_NOW - dt.timedelta(days=rng.randint(1, 540), minutes=rng.randint(0, 1439)) for _ in range(k)]
            statuses = []
            for d in dates:
                age = (SEED_NOW - d).days
                if age < 45:
                    statuses.append(rng.choice(["pending", "pending", "processing", "holded"]))
                else:
                    statuses.append(rng.choices(["complete", "canceled", "closed", "processing"], [75, 12, 6, 7])[0])
        for d, st in zip(dates, statuses, strict=True):
            items = []
            for p in rng.sample(products, rng.choice([1, 1, 2, 2, 3, 4])):
                opts = []
                kinds = {k for k, _ in p[4]}
                for kind in sorted(kinds):
                    opts.append(f"{kind.title()}: {rng.choice([v for k, v in p[4] if k == kind])}")
                items.append((p, rng.choice([1, 1, 1, 2, 3]), ", ".join(opts)))
            raw_orders.append((d, st, c, items, rng.choice(["flatrate", "flatrate", "express"])))
    raw_orders.sort(key=lambda o: o[0])
    for oid, (d, st, c, items, ship) in enumerate(raw_orders, start=1):
        subtotal = round(sum(p[3] * q for p, q, _ in items), 2)
        total_qty = sum(q for _, q, _ in items)
        shipping = 5.0 * total_qty if ship == "flatrate" else 15.0
        upd = d + dt.timedelta(days=0 if st == "pending" else rng.randint(1, 6), hours=rng.randint(0, 10))
        cid, email, first, last, street, city, region, postcode, phone, _created = c
        cur.execute(
            "INSERT INTO orders(id,increment_id,customer_id,customer_email,customer_first_name,customer_last_name,"
            "status,created_at,updated_at,subtotal,shipping_amount,grand_total,total_qty,ship_first_name,"
            "ship_last_name,ship_street,ship_city,ship_region,ship_postcode,ship_country,ship_phone,"
            "shipping_method,payment_method) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (oid, f"{oid:09d}", cid, email, first, last, st, _ts(d), _ts(upd), subtotal, shipping,
             round(subtotal + shipping, 2), total_qty, first, last, street, city, region, postcode,
             "United States", phone, ship, "checkmo"))
        for p, q, opts in items:
            cur.execute("INSERT INTO order_items(order_id,product_id,sku,name,options,price,qty,row_total) "
                        "VALUES(?,?,?,?,?,?,?,?)", (oid, p[0], p[1], p[2], opts, p[3], q, round(p[3] * q, 2)))
        if st != "pending":
            cur.execute("INSERT INTO order_comments(order_id,status,comment,created_at) VALUES(?,?,?,?)",
                        (oid, st, f"Order status changed to {STATUS_LABELS[st]}.", _ts(upd)))

    # the default customer's wishlist, search terms, admin users
    for pid in (3, 57, 140, 222):
        cur.execute("INSERT INTO wishlist VALUES(1,?,?)", (pid, "2023-05-02 12:00:00"))
    for q in ["laptop", "headphones", "coffee", "tent", "running shoe", "yoga mat", "blender", "dress", "sofa",
              "protein", "olive oil", "camera", "watch", "backpack", "sunscreen", "monitor", "green tea"]:
        cur.execute("INSERT INTO search_terms VALUES(?,?,?)", (q, rng.randint(3, 400), rng.randint(1, 30)))
    cur.execute("INSERT INTO admin_users(username,password_hash,first_name,last_name,email) VALUES(?,?,?,?,?)",
                (ADMIN_USER, hash_password(ADMIN_PASSWORD), "Admin", "User", "admin@example.com"))
    con.commit()
    con.close()
