import sys; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
c = db("shop")
S = "__SHOPPING__"
def prod(pid):
    return dict(c.execute("select p.*, coalesce(special_price, price) as final from products p where id=?", (pid,)).fetchone())
T = []
# --- information seeking: price via search (4)
for i, pid in enumerate([2, 10, 57, 140]):
    p = prod(pid)
    T.append(task(f"shop_{i+1:03d}", ["shop"], S + "/", f"What is the price of the {p['name']}?",
                  inc(money(p["final"])),
                  [type_("searchbox", "Search", p["name"], True), click("link", p["name"]), stop(money(p["final"]))],
                  login=False, template="What is the price of the {{product}}?", inst={"product": p["name"]}))
# SKU (2)
for i, pid in enumerate([222, 57]):
    p = prod(pid)
    T.append(task(f"shop_{i+5:03d}", ["shop"], S + "/", f"What is the SKU of the {p['name']}?", exact(p["sku"]),
                  [type_("searchbox", "Search", p["name"], True), click("link", p["name"]), stop(p["sku"])],
                  login=False, template="What is the SKU of the {{product}}?", inst={"product": p["name"]}))
# review count (2)
for i, pid in enumerate([2, 140]):
    p = prod(pid)
    T.append(task(f"shop_{i+7:03d}", ["shop"], S + "/", f"How many customer reviews does the {p['name']} have?",
                  inc(str(p["review_count"])),
                  [type_("searchbox", "Search", p["name"], True), click("link", p["name"]), stop(str(p["review_count"]))],
                  login=False))
# orders of Emma (login)
orders = [dict(r) for r in c.execute("select * from orders where customer_id=1 order by created_at desc")]
o = next(x for x in orders if x["created_at"].startswith("2023-01-09"))
T.append(task("shop_009", ["shop"], S + "/", "How much did I pay in total for the order I placed on January 9, 2023?",
              inc(money(o["grand_total"])),
              [click("link", "My Account"), click("link", "My Orders"), stop(money(o["grand_total"]))]))
o = next(x for x in orders if x["increment_id"] == "000000132")
T.append(task("shop_010", ["shop"], S + "/customer/account/", "What is the status of my order 000000132?",
              inc("Canceled"), [click("link", "My Orders"), stop("Canceled")]))
T.append(task("shop_011", ["shop"], S + "/", "How many orders have I placed in total?", inc(str(len(orders))),
              [click("link", "My Account"), click("link", "My Orders"), stop(str(len(orders)))]))
o = orders[0]
items = [dict(r) for r in c.execute("select * from order_items where order_id=?", (o["id"],))]
T.append(task("shop_012", ["shop"], S + "/", "Which product did I buy in my most recent order?",
              inc(items[0]["name"]),
              [click("link", "My Account"), click("link", "My Orders"), click("link", f"View Order {o['increment_id']}"),
               stop(items[0]["name"])]))
cust = dict(c.execute("select * from customers where id=1").fetchone())
T.append(task("shop_013", ["shop"], S + "/customer/account/", "What phone number is saved in my address book?",
              inc(cust["phone"]), [click("link", "Address Book"), stop(cust["phone"])]))
wl = [r["name"] for r in c.execute("select p.name from wishlist w join products p on p.id=w.product_id where customer_id=1 order by p.id")]
T.append(task("shop_014", ["shop"], S + "/", "List the products in my wish list.", inc(*wl),
              [click("link", "My Account"), click("link", "My Wish List"), stop("; ".join(wl))]))
# count in leaf category
n = c.execute("select count(*) from products where category_id=3 and status=1").fetchone()[0]
ncomp = c.execute("select count(*) from products where category_id in (select id from categories where slug like 'electronics/computers%') and status=1").fetchone()[0]
nrun = c.execute("select count(*) from products where category_id=43 and status=1").fetchone()[0]
T.append(task("shop_015", ["shop"], S + "/", "How many products are listed in the Laptops category?", inc(str(n)),
              [click("link", "Computers"), click("link", f"Laptops {n} items"), stop(str(n))], login=False))
cheap = dict(c.execute("select name, coalesce(special_price,price) f from products where category_id=8 and status=1 order by f limit 1").fetchone())
T.append(task("shop_016", ["shop"], S + "/category/electronics/audio/headphones",
              "Which is the cheapest product in the Headphones category?", inc(cheap["name"]),
              [select("combobox", "Sort By", "Price"), stop(cheap["name"])], login=False))
# --- navigation (url_match)
T.append(task("shop_017", ["shop"], S + "/", "Show me the Running Shoes category.",
              url(S + "/category/clothing-shoes-and-jewelry/shoes/running-shoes |OR| " + S + "/category/clothing-shoes-and-jewelry/shoes?cat=43"),
              [click("link", "Shoes"), click("link", f"Running Shoes {nrun} items"), stop()], login=False))
T.append(task("shop_018", ["shop"], S + "/", "Search the store for yoga mats.",
              url(S + "/catalogsearch/result/?q=yoga+mat |OR| " + S + "/catalogsearch/result/?q=yoga+mats"),
              [type_("searchbox", "Search", "yoga mat", True), stop()], login=False))
T.append(task("shop_019", ["shop"], S + "/", "Open the page of my order 000000230.",
              url(S + "/sales/order/view/order_id/230"),
              [click("link", "My Account"), click("link", "My Orders"), click("link", "View Order 000000230"), stop()]))
T.append(task("shop_020", ["shop"], S + "/category/electronics/computers/laptops",
              "Show the laptops sorted by price, from high to low.",
              url(S + "/category/electronics/computers/laptops?product_list_order=price&product_list_dir=desc"),
              [select("combobox", "Sort By", "Price"), select("combobox", "Direction", "Descending"), stop()], login=False))
# --- content modification (program_html)
p = prod(2)
T.append(task("shop_021", ["shop"], S + "/", f"Add the {p['name']} to my wish list.",
              html([S + "/wishlist/", "document.querySelector('main').innerText", {"must_include": [p["name"]]}]),
              [type_("searchbox", "Search", p["name"], True), click("button", f"Add to Wish List: {p['name']}"), stop()]))
wl0 = prod(57)
T.append(task("shop_022", ["shop"], S + "/wishlist/", f"Remove the {wl0['name']} from my wish list.",
              html([S + "/wishlist/", "document.querySelector('main').innerText",
                    {"must_exclude": [wl0["name"]], "must_include": [prod(140)["name"]]}]),
              [click("button", f"Remove {wl0['name']}", exact=False), stop()]))
p = prod(2)
T.append(task("shop_023", ["shop"], S + "/", f"Put two {p['name']} in color Red in my cart.",
              html([S + "/checkout/cart/", "document.querySelector('main').innerText",
                    {"must_include": [p["name"], "Color: Red"]}],
                   [S + "/checkout/cart/", "[...document.querySelectorAll('input[name^=qty_]')].map(e => e.value).join(',')",
                    {"exact_match": "2"}]),
              [type_("searchbox", "Search", p["name"], True), click("link", p["name"]), select("combobox", "Color", "Red"),
               type_("spinbutton", "Qty", "2"), click("button", "Add to Cart"), stop()]))
p = prod(140)
T.append(task("shop_024", ["shop"], S + f"/product/{p['slug']}",
              f"Write a 5-star review of the {p['name']} with the summary 'Great chair' and the text 'Comfortable for long days.'",
              html(["last", "document.querySelector('main').innerText", {"must_include": ["Great chair", "Comfortable for long days."]}],
                   ref=S + f"/product/{p['slug']}"),
              [click("radio", "5 stars"), type_("textbox", "Summary", "Great chair"),
               type_("textbox", "Review", "Comfortable for long days."), click("button", "Submit Review"), stop()]))
T.append(task("shop_025", ["shop"], S + "/customer/account/", "Change the phone number in my address book to 412-555-0199.",
              html([S + "/customer/address/edit/", "document.querySelector('input[name=telephone]').value",
                    {"exact_match": "412-555-0199"}]),
              [click("link", "Address Book"), type_("textbox", "Phone Number", "412-555-0199"), click("button", "Save Address"), stop()]))
p = prod(10)
T.append(task("shop_026", ["shop"], S + "/", f"Buy one {p['name']} with flat rate shipping, using the address on my account.",
              html(["func:shopping_get_latest_order_url()", "document.querySelector('main').innerText",
                    {"must_include": [p["name"], "Pending"]}]),
              [type_("searchbox", "Search", p["name"], True), click("button", f"Add to Cart: {p['name']}"),
               click("link", "My Cart", exact=False), click("link", "Proceed to Checkout"), click("button", "Place Order"), stop()]))
# --- infeasible
T.append(task("shop_027", ["shop"], S + "/", "What is the price of the Zyphor Quantum Laptop?",
              na("The store has no product named Zyphor Quantum Laptop."),
              [type_("searchbox", "Search", "Zyphor Quantum Laptop", True), stop("N/A")], login=False))
T.append(task("shop_028", ["shop"], S + "/", "How much did I pay for my order placed on July 4, 2022?",
              na("There is no order placed on July 4, 2022."),
              [click("link", "My Account"), click("link", "My Orders"), stop("N/A")]))
write("shop", T)
