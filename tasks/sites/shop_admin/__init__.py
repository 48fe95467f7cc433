"""Shop admin: a Magento-admin-like back office over the shop's schema. See tasks/sites/__init__.py for the contract.

Its seed IS the shop's seed (same file content), but when started next to the shop it runs as a separate server
with its own working DB: changes made in one are not visible in the other.

Routes: /admin/auth/login, /admin/auth/logout, /admin/ and /admin/dashboard/; /admin/sales/order/ (filters
?increment_id= ?customer= ?status= ?date_from= ?date_to= ?total_from= ?total_to=, ?sort=&dir=, ?limit= ?p=),
/admin/sales/order/view/order_id/<id>/ (+ POST /admin/sales/order/<id>/status), /admin/sales/order/edit/order_id/<id>/;
/admin/catalog/product/ (filters ?name= ?sku= ?status= ?category= ?price_from= ?price_to= ?qty_from= ?qty_to=),
/admin/catalog/product/edit/id/<id>/, /admin/catalog/product/new/, POST /admin/catalog/product/delete/id/<id>/;
/admin/customer/index/ (?name= ?email= ?group= ?region=), /admin/customer/edit/id/<id>/;
/admin/reports/sales/ (?from= ?to= ?period=day|month|year ?status=), /admin/search/term/report/, /admin/review/.
"""

from __future__ import annotations

from webagent.tasks.sites.shop.seed import ADMIN_PASSWORD, ADMIN_USER, SCHEMA_VERSION
from webagent.tasks.sites.shop.seed import seed as _shop_seed
from webagent.tasks.sites.shop_admin.app import create_app

NAME = "shop_admin"
ACCOUNTS: dict[str, str] = {ADMIN_USER: ADMIN_PASSWORD}


def seed(db_path: str) -> None:
    """Exactly the shop's seed: both sites share one schema and one data set."""
    _shop_seed(db_path)


__all__ = ["NAME", "ACCOUNTS", "SCHEMA_VERSION", "seed", "create_app"]
