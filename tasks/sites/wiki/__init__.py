"""Wiki site (Kiwix/Wikipedia-like, read-only): interlinked articles with infoboxes, search, categories."""

from .app import create_app
from .seed import ACCOUNTS, seed

NAME = "wiki"

__all__ = ["NAME", "ACCOUNTS", "seed", "create_app"]
