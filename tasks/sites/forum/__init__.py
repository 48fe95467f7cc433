"""Forum site (Postmill / Reddit-like): forums, posts, nested comments, votes, subscriptions, search."""

from .app import create_app
from .seed import ACCOUNTS, seed

NAME = "forum"

__all__ = ["NAME", "ACCOUNTS", "seed", "create_app"]
