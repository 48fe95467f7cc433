"""Code-hosting site (GitLab-like): namespaces, projects, files, issues, labels, milestones, MRs, members, stars."""

from .app import create_app
from .seed import ACCOUNTS, seed

NAME = "codehost"

__all__ = ["NAME", "ACCOUNTS", "seed", "create_app"]
