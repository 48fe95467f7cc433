"""Shop: a Magento-like storefront (WebArena's OneStopShop). See tasks/sites/__init__.py for the site contract.

Routes: / ; /category/<top>[/<mid>[/<leaf>]] (filters ?cat= ?price=lo-hi ?rating= ?brand=, sort
?product_list_order=position|name|price|rating &product_list_dir=asc|desc, ?product_list_limit=12|24|36|48, ?p=);
/catalogsearch/result/?q= (same filters, default order relevance); /product/<slug> (+ POST /product/<slug>/review);
/media/catalog/product/<sku>.svg; POST /checkout/cart/add, /checkout/cart/ , POST /checkout/cart/update,
POST /checkout/cart/delete/<item>; /checkout/ (GET form, POST places the order) -> /checkout/onepage/success/;
/customer/account/login/, /customer/account/logout/, /customer/account/create/, /customer/account/,
/customer/address/edit/; /sales/order/history/ (?limit= ?p=), /sales/order/view/order_id/<id>/; /wishlist/,
POST /wishlist/add, POST /wishlist/remove/<product>; /contact/; /cms/<page>.
"""

from __future__ import annotations

from webagent.tasks.sites.shop.app import create_app
from webagent.tasks.sites.shop.seed import DEFAULT_EMAIL, DEFAULT_PASSWORD, SCHEMA_VERSION, seed

NAME = "shop"
ACCOUNTS: dict[str, str] = {DEFAULT_EMAIL: DEFAULT_PASSWORD}

__all__ = ["NAME", "ACCOUNTS", "SCHEMA_VERSION", "seed", "create_app"]
