import sys; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
c = db("shop_admin")
A = "__SHOPPING_ADMIN__"
S = "__SHOPPING__"
T = []
def q(sql, *a): return c.execute(sql, a).fetchall()
def one(sql, *a): return c.execute(sql, a).fetchone()
o = dict(one("select * from orders where increment_id='000000199'"))
T.append(task("admin_001", ["shop_admin"], A + "/admin/sales/order/", "What is the grand total of order 000000199?",
              inc(money(o["grand_total"])),
              [type_("textbox", "ID", "000000199"), click("button", "Apply Filters"), click("link", "View order 000000199"),
               stop(money(o["grand_total"]))]))
o = dict(one("select * from orders where increment_id='000000150'"))
T.append(task("admin_002", ["shop_admin"], A + "/admin/sales/order/", "What is the email address of the customer who placed order 000000150?",
              exact(o["customer_email"]),
              [type_("textbox", "ID", "000000150"), click("button", "Apply Filters"), click("link", "View order 000000150"),
               stop(o["customer_email"])]))
n = one("select count(*) from orders where status='pending'")[0]
T.append(task("admin_003", ["shop_admin"], A + "/admin/sales/order/", "How many orders are pending?", inc(str(n)),
              [select("combobox", "Status", "Pending"), click("button", "Apply Filters"), stop(str(n))]))
n = one("select count(*) from orders where status='holded'")[0]
T.append(task("admin_004", ["shop_admin"], A + "/admin/sales/order/", "How many orders are on hold?", inc(str(n)),
              [select("combobox", "Status", "On Hold"), click("button", "Apply Filters"), stop(str(n))]))
top = one("select query from search_terms order by uses desc, query limit 1")[0]
T.append(task("admin_005", ["shop_admin"], A + "/admin/dashboard/", "What is the most used search term in the store?",
              exact(top), [click("link", "Search Terms"), stop(top)]))
p = dict(one("select * from products where id=2"))
T.append(task("admin_006", ["shop_admin"], A + "/admin/catalog/product/", f"How many units of the product with SKU {p['sku']} are in stock?",
              inc(str(p["qty"])),
              [type_("textbox", "SKU", p["sku"]), click("button", "Apply Filters"), click("link", f"Edit {p['name']}"), stop(str(p["qty"]))]))
cu = dict(one("select * from customers where id=5"))
T.append(task("admin_007", ["shop_admin"], A + "/admin/customer/index/", f"What is the phone number of the customer {cu['email']}?",
              inc(cu["phone"]), [goto(A + f"/admin/customer/edit/id/{cu['id']}/"), stop(cu["phone"])]))
n = one("select count(*) from orders where customer_id=5")[0]
T.append(task("admin_008", ["shop_admin"], A + f"/admin/customer/edit/id/{cu['id']}/", f"How many orders has {cu['first_name']} {cu['last_name']} ({cu['email']}) placed?",
              inc(str(n)), [stop(str(n))]))
oos = [r[0] for r in q("select name from products where qty=0 order by id")]
T.append(task("admin_009", ["shop_admin"], A + "/admin/catalog/product/", "Which products are out of stock (quantity 0)? List all of them.",
              inc(*oos), [type_("spinbutton", "Quantity from", "0"), type_("spinbutton", "Quantity to", "0"),
                          click("button", "Apply Filters"), stop("; ".join(oos))]))
# navigation
T.append(task("admin_010", ["shop_admin"], A + "/admin/dashboard/", "Show me all canceled orders.",
              url(A + "/admin/sales/order/?status=canceled"),
              [click("link", "Orders"), select("combobox", "Status", "Canceled"), click("button", "Apply Filters"), stop()]))
T.append(task("admin_011", ["shop_admin"], A + "/admin/dashboard/", f"Open the edit page of the product {p['name']}.",
              url(A + f"/admin/catalog/product/edit/id/{p['id']}"),
              [click("link", "Products"), type_("textbox", "Name", p["name"]), click("button", "Apply Filters"),
               click("link", f"Edit {p['name']}"), stop()]))
T.append(task("admin_012", ["shop_admin"], A + "/admin/dashboard/", "Show me the orders of emma.lopez@example.com.",
              url(A + "/admin/sales/order/?customer=emma.lopez%40example.com |OR| " + A + "/admin/sales/order/?customer=emma.lopez@example.com"),
              [click("link", "Orders"), type_("textbox", "Bill-to Name / Email", "emma.lopez@example.com"),
               click("button", "Apply Filters"), stop()]))
# modification
T.append(task("admin_013", ["shop_admin"], A + "/admin/sales/order/view/order_id/266/",
              "Change the status of order 000000266 to Processing with the comment 'Payment received'.",
              html(["last", "document.querySelector('main').innerText", {"must_include": ["Payment received"]}],
                   [A + "/admin/sales/order/?increment_id=000000266", "document.querySelector('table').innerText",
                    {"must_include": ["Processing"], "must_exclude": ["Pending"]}]),
              [select("combobox", "Status", "Processing"), type_("textbox", "Comment", "Payment received"),
               click("button", "Submit Comment"), stop()]))
T.append(task("admin_014", ["shop_admin"], A + f"/admin/catalog/product/edit/id/{p['id']}/", f"Set the price of {p['name']} to 1299.99.",
              html([A + f"/admin/catalog/product/edit/id/{p['id']}/", "document.querySelector('input[name=price]').value",
                    {"exact_match": "1299.99"}]),
              [type_("spinbutton", "Price", "1299.99"), click("button", "Save"), stop()]))
T.append(task("admin_015", ["shop_admin"], A + f"/admin/customer/edit/id/{cu['id']}/", f"Move the customer {cu['email']} to the Wholesale group.",
              html([A + f"/admin/customer/edit/id/{cu['id']}/", "document.querySelector('select[name=group_name], select#group, select').value",
                    {"exact_match": "Wholesale"}]),
              [select("combobox", "Group", "Wholesale"), click("button", "Save Customer"), stop()]))
p2 = dict(one("select * from products where id=57"))
T.append(task("admin_016", ["shop_admin"], A + "/admin/catalog/product/", f"Disable the product {p2['name']}.",
              html([A + f"/admin/catalog/product/edit/id/{p2['id']}/", "document.querySelector('main select').selectedOptions[0].innerText",
                    {"exact_match": "Disabled"}]),
              [type_("textbox", "Name", p2["name"]), click("button", "Apply Filters"), click("link", f"Edit {p2['name']}"),
               select("combobox", "Enable Product", "Disabled"), click("button", "Save"), stop()]))
T.append(task("admin_017", ["shop_admin"], A + "/admin/catalog/product/", "Refund order 000000250 to the customer's credit card.",
              na("The admin has no refund (credit memo) feature and the order was paid by check / money order."),
              [stop("N/A")]))
# cross-site shop + admin
pp = dict(one("select * from products where id>=140 and status=1 and qty>0 and special_price is null and id not in (select product_id from product_options) order by id limit 1"))
T.append(task("cross_001", ["shop", "shop_admin"], S + "/",
              f"Buy one {pp['name']} in the shop with my saved address, then in the admin mark that new order as Processing.",
              html([A + "/admin/sales/order/?customer=emma.lopez", "[...document.querySelectorAll('table tr')][1].innerText",
                    {"must_include": ["Processing", money(pp['price'] + 5.0)]}]),
              [type_("searchbox", "Search", pp["name"], True), click("button", f"Add to Cart: {pp['name']}"),
               click("link", "My Cart", exact=False), click("link", "Proceed to Checkout"), click("button", "Place Order"),
               goto(A + "/admin/sales/order/"), click("link", "View order 000000271"),
               select("combobox", "Status", "Processing"), click("button", "Submit Comment"), stop()]))
pz = dict(one("select * from products where qty=0 and status=1 order by id limit 1"))
T.append(task("cross_002", ["shop_admin", "shop"], A + "/admin/catalog/product/?qty_from=0&qty_to=0&status=1",
              "In the admin, find the first enabled product that is out of stock. What price does the storefront show for it?",
              inc(money(pz["special_price"] or pz["price"])),
              [click("link", f"Edit {pz['name']}"), goto(S + f"/product/{pz['slug']}"), stop(money(pz["special_price"] or pz["price"]))]))
write("shop_admin", [t for t in T if not t["task_id"].startswith("cross")])
write("cross_site", [t for t in T if t["task_id"].startswith("cross")])
import json as _j
cc = db("codehost"); cw = db("wiki")
stars = cc.execute("select count(*) from stars where project_id=1").fetchone()[0]
G, R, W = "__GITLAB__", "__REDDIT__", "__WIKIPEDIA__"
X = _j.load(open("/work/main/tasks/suite/cross_site.json"))
X.append(task("cross_003", ["codehost", "forum"], G + "/byteblaze/dotfiles",
              "Check how many stars byteblaze/dotfiles has, then create a submission in the programming forum titled 'byteblaze/dotfiles has N stars' with N the number.",
              html([R + "/f/programming?sort=new", "document.querySelector('main').innerText", {"must_include": [f"byteblaze/dotfiles has {stars} stars"]}]),
              [goto(R + "/submit"), type_("textbox", "Title", f"byteblaze/dotfiles has {stars} stars"),
               select("combobox", "Forum", "programming"), click("button", "Create submission"), stop()]))
city = cw.execute("select title from articles where kind='city' order by id limit 1").fetchone()[0]
pop = cw.execute("select i.value from infobox i join articles a on a.id=i.article_id where a.title=? and i.key='Population (2020)'", (city,)).fetchone()[0]
X.append(task("cross_004", ["wiki", "forum"], W + "/",
              f"Look up the 2020 population of {city} on the wiki and post it as a comment 'Population: <number>' on the forum post at /f/gardening/4.",
              html([R + "/f/gardening/4", "document.querySelector('main').innerText", {"must_include": [f"Population: {pop}"]}]),
              [type_("searchbox", "Search Wikipedia", city, True), goto(R + "/f/gardening/4"),
               type_("textbox", "Comment", f"Population: {pop}"), click("button", "Post comment"), stop()]))
write("cross_site", X)
