"""The shop and its admin on real loopback servers; the purchase flow through real Chromium (playwright locators)."""

from __future__ import annotations

import http.cookiejar
import re
import sqlite3
import urllib.parse
import urllib.request

import pytest
from webagent.tasks.sites.server import SiteGroup

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def sites():
    with SiteGroup(["shop", "shop_admin"]) as g:
        yield g


def _get(url: str, opener=None) -> str:
    with (opener or urllib.request.build_opener()).open(url, timeout=10) as r:
        return r.read().decode()


def test_catalog_volume_and_depth(sites):
    db = sqlite3.connect(sites["shop"].db_path)
    try:
        assert db.execute("SELECT COUNT(*) FROM products").fetchone()[0] >= 300
        assert db.execute("SELECT MAX(level) FROM categories").fetchone()[0] >= 3
        assert db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] >= 1000
    finally:
        db.close()
    html = _get(sites.urls["shop"] + "/category/electronics?product_list_limit=12&p=2")
    total = int(re.search(r"Items 13-24 of (\d+)", html).group(1))
    assert total >= 60
    assert 'href="/category/electronics/computers/laptops"' in html  # mega-menu, 3 levels deep


def test_search_url_sort_and_filters(sites):
    base = sites.urls["shop"]
    html = _get(base + "/catalogsearch/result/?q=laptop&product_list_order=price&product_list_dir=asc")
    assert "Search results for: &#39;laptop&#39;" in html
    names = re.findall(r'class="product-item-name"><a href="/product/[^"]+">([^<]+)</a>', html)
    assert names and all("laptop" in n.lower() for n in names)
    prices = [float(p.replace(",", "")) for p in re.findall(r'<span class="price">\$([\d,.]+)</span>', html)]
    assert prices == sorted(prices)
    cheap = _get(base + "/catalogsearch/result/?q=laptop&price=0-500")
    assert "Now Shopping by" in cheap
    assert "Your search returned no results." in _get(base + "/catalogsearch/result/?q=zzqqxx")


def test_login_add_to_cart_checkout_in_chromium(sites):
    from playwright.sync_api import expect, sync_playwright

    shop = sites.urls["shop"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(shop + "/customer/account/login/")
            page.get_by_label("Email").fill("emma.lopez@example.com")
            page.get_by_label("Password").fill("Password.123")
            page.get_by_role("button", name="Sign In").click()
            expect(page.get_by_role("heading", name="My Account", level=1)).to_be_visible()

            page.get_by_role("searchbox", name="Search").fill("dress")
            page.get_by_role("button", name="Search").click()
            expect(page).to_have_url(re.compile(r"/catalogsearch/result/\?q=dress"))
            page.locator(".product-item-name a").first.click()
            product_name = page.get_by_role("heading", level=1).inner_text()
            page.get_by_label("Color").select_option(index=1)
            page.get_by_label("Size").select_option(index=1)
            page.get_by_role("button", name="Increase quantity").click()
            expect(page.get_by_label("Qty")).to_have_value("2")
            page.get_by_role("button", name="Add to Cart", exact=True).click()
            expect(page.get_by_role("status")).to_contain_text(f"You added {product_name} to your shopping cart.")

            page.get_by_role("link", name=re.compile("My Cart")).click()
            expect(page.get_by_role("link", name=product_name)).to_be_visible()
            page.get_by_role("link", name="Proceed to Checkout").click()

            page.get_by_label("Email Address").fill("not-an-email")
            page.get_by_label("Zip/Postal Code").fill("12")
            page.get_by_role("button", name="Place Order").click()
            expect(page.get_by_text("Please enter a valid email address")).to_be_visible()
            expect(page.get_by_text("Please enter a valid zip code")).to_be_visible()

            page.get_by_label("Email Address").fill("emma.lopez@example.com")
            page.get_by_label("Zip/Postal Code").fill("15213")
            page.get_by_label("State/Province").select_option("Pennsylvania")
            page.get_by_label("Express").check()
            page.get_by_role("button", name="Place Order").click()
            expect(page.get_by_role("heading", name="Thank you for your purchase!")).to_be_visible()
            order_no = page.locator(".order-number").inner_text()
            page.goto(shop + "/sales/order/history/")
            expect(page.get_by_role("cell", name=order_no, exact=True)).to_be_visible()
        finally:
            browser.close()

    db = sqlite3.connect(sites["shop"].db_path)
    try:
        row = db.execute("SELECT o.status, o.customer_id, o.ship_region, o.shipping_method, i.name, i.qty "
                         "FROM orders o JOIN order_items i ON i.order_id=o.id WHERE o.increment_id=?",
                         (order_no,)).fetchone()
    finally:
        db.close()
    assert row == ("pending", 1, "Pennsylvania", "express", product_name, 2)


def test_admin_login_and_order_grid_filtering(sites):
    sites.reset()  # the admin serves the shop's DB: drop the order the checkout test placed
    admin = sites.urls["shop_admin"]
    op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    assert "Welcome, please sign in" in _get(admin + "/admin/sales/order/", op)  # redirected to login
    data = urllib.parse.urlencode({"login[username]": "admin", "login[password]": "admin1234"}).encode()
    op.open(urllib.request.Request(admin + "/admin/auth/login", data=data), timeout=10).read()

    everything = _get(admin + "/admin/sales/order/", op)
    total = int(re.search(r"<strong>(\d+)</strong> records found", everything).group(1))
    emma = _get(admin + "/admin/sales/order/?customer=Emma+Lopez&sort=created_at&dir=asc", op)
    n = int(re.search(r"<strong>(\d+)</strong> records found", emma).group(1))
    assert n == 8 < total
    rows = re.findall(r"<tr><td>(\d{9})</td><td>([\d: -]+)</td><td>([^<]+)</td>", emma)
    assert len(rows) == 8 and all(r[2] == "Emma Lopez" for r in rows)
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)
    canceled = _get(admin + "/admin/sales/order/?customer=Emma+Lopez&status=canceled", op)
    assert "<strong>1</strong> records found" in canceled
    ranged = _get(admin + "/admin/sales/order/?date_from=2023-01-01&date_to=2023-01-31&limit=200", op)
    dates = re.findall(r"<tr><td>\d{9}</td><td>(\d{4}-\d{2}-\d{2})", ranged)
    assert dates and all("2023-01-01" <= d <= "2023-01-31" for d in dates)
    page2 = _get(admin + "/admin/sales/order/?limit=20&p=2", op)
    assert "Page 2 of" in page2

    report = _get(admin + "/admin/reports/sales/?from=2023-01-01&to=2023-05-31&period=month", op)
    assert len(re.findall(r"<tr><td>2023-0[1-5]</td>", report)) == 5
