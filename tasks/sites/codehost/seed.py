"""Deterministic seed data for the code-hosting site."""

from __future__ import annotations

import random

from .. import _textgen as tg
from .. import common

ACCOUNTS: dict[str, str] = {
    "byteblaze": "hello1234",
    "abisubramanya27": "hello1234",
    "vinta": "hello1234",
}

ROLES = {10: "Guest", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner"}

SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    language TEXT NOT NULL,
    visibility TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    creator_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_activity_at TEXT NOT NULL,
    UNIQUE (namespace, path)
);
CREATE TABLE branches (
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);
CREATE TABLE files (
    project_id INTEGER NOT NULL REFERENCES projects(id),
    path TEXT NOT NULL,
    content TEXT NOT NULL,
    last_commit_message TEXT NOT NULL,
    last_commit_at TEXT NOT NULL,
    PRIMARY KEY (project_id, path)
);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    color TEXT NOT NULL,
    description TEXT NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE milestones (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    iid INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL,
    start_date TEXT,
    due_date TEXT,
    UNIQUE (project_id, iid)
);
CREATE TABLE issues (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    iid INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('opened', 'closed')),
    author_id INTEGER NOT NULL REFERENCES users(id),
    assignee_id INTEGER REFERENCES users(id),
    milestone_id INTEGER REFERENCES milestones(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (project_id, iid)
);
CREATE INDEX issues_project ON issues(project_id);
CREATE TABLE issue_labels (
    issue_id INTEGER NOT NULL REFERENCES issues(id),
    label_id INTEGER NOT NULL REFERENCES labels(id),
    PRIMARY KEY (issue_id, label_id)
);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    issue_id INTEGER NOT NULL REFERENCES issues(id),
    author_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notes_issue ON notes(issue_id);
CREATE TABLE merge_requests (
    id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL REFERENCES projects(id),
    iid INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('opened', 'merged', 'closed')),
    author_id INTEGER NOT NULL REFERENCES users(id),
    assignee_id INTEGER REFERENCES users(id),
    source_branch TEXT NOT NULL,
    target_branch TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (project_id, iid)
);
CREATE TABLE members (
    project_id INTEGER NOT NULL REFERENCES projects(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    access_level INTEGER NOT NULL CHECK (access_level IN (10, 20, 30, 40, 50)),
    expires_at TEXT,
    PRIMARY KEY (project_id, user_id)
);
CREATE TABLE stars (
    user_id INTEGER NOT NULL REFERENCES users(id),
    project_id INTEGER NOT NULL REFERENCES projects(id),
    PRIMARY KEY (user_id, project_id)
);
"""

GROUPS = [
    ("a11yproject", "The A11Y Project", "A community-driven effort to make digital accessibility easier."),
    ("primer", "Primer", "Design system building blocks."),
    ("openlab", "OpenLab", "Open hardware and data projects from the lab."),
    ("datakit", "DataKit", "Small, sharp tools for tabular data."),
    ("webtools", "Web Tools", "Utilities for building and testing websites."),
]

# (namespace, path, name, language, description)
PROJECTS = [
    ("byteblaze", "dotfiles", "dotfiles", "shell", "My dotfiles: bash, vim, tmux and git configuration."),
    ("byteblaze", "a11y-syntax-highlighting", "a11y-syntax-highlighting", "js",
     "Accessible syntax highlighting themes with WCAG AA contrast."),
    ("byteblaze", "cloud-to-butt", "cloud-to-butt", "js", "Browser extension that replaces text on web pages."),
    ("byteblaze", "empathy-prompts", "empathy-prompts", "js", "Ideas to help consider inclusive design."),
    ("byteblaze", "timeline-notes", "timeline-notes", "python", "Turn plain-text notes into an HTML timeline."),
    ("a11yproject", "a11yproject.com", "a11yproject.com", "js", "The A11Y Project website."),
    ("a11yproject", "checklist-cli", "checklist-cli", "python", "Run the accessibility checklist from a terminal."),
    ("primer", "design", "design", "js", "Primer design guidelines and documentation."),
    ("primer", "octicons-lite", "octicons-lite", "js", "A small subset of icons as SVG sprites."),
    ("openlab", "weather-station", "weather-station", "python", "Firmware and dashboards for a DIY weather station."),
    ("openlab", "nova-scheduler", "nova-scheduler", "python", "A job scheduler for lab instruments."),
    ("datakit", "csv-tools", "csv-tools", "python", "Command-line tools to slice, join and validate CSV files."),
    ("datakit", "plotline", "plotline", "python", "Declarative plotting on top of matplotlib."),
    ("webtools", "http-probe", "http-probe", "python", "Probe HTTP endpoints and report latency."),
    ("webtools", "static-gen", "static-gen", "js", "A tiny static-site generator."),
    ("vinta", "awesome-python", "awesome-python", "python", "A curated list of Python frameworks and libraries."),
    ("abisubramanya27", "sudoku-solver", "sudoku-solver", "python", "Backtracking sudoku solver with a web UI."),
    ("kilian", "gitignore-templates", "gitignore-templates", "shell", "Collection of .gitignore templates."),
]

LABELS = [
    ("bug", "#d9534f", "Something is not working"),
    ("feature", "#428bca", "A new feature request"),
    ("documentation", "#5cb85c", "Improvements or additions to documentation"),
    ("enhancement", "#69d100", "Improvement of an existing feature"),
    ("good first issue", "#7057ff", "Good for newcomers"),
    ("help wanted", "#008672", "Extra attention is needed"),
    ("question", "#d876e3", "Further information is requested"),
    ("wontfix", "#cccccc", "This will not be worked on"),
    ("accessibility", "#f0ad4e", "Accessibility concerns"),
    ("performance", "#ad4363", "Speed and resource usage"),
    ("priority::high", "#cc0033", "Needs attention soon"),
    ("priority::low", "#8fbc8f", "Can wait"),
]

ISSUE_TEMPLATES = [
    "{C} crashes when {x} is empty",
    "Add support for {x} in {c}",
    "Document how to configure {x}",
    "{C} is slow with large {x} files",
    "Typo in the {x} section of the README",
    "Contrast of {x} is too low",
    "Deprecation warning from {c} on startup",
    "Allow customizing the {x} option",
    "Tests for {c} fail on Windows",
    "Broken link to {x} documentation",
    "Keyboard focus is lost after closing {x}",
    "Rename {x} to something clearer",
    "Upgrade {x} dependency",
    "Dark mode for {c}",
    "Missing translation for {x}",
]
COMPONENTS = ["parser", "cli", "renderer", "config loader", "installer", "theme", "scheduler", "exporter",
              "sidebar", "navigation", "search", "cache", "logger", "API client", "build script"]
THINGS = ["unicode", "tabs", "proxy", "timezone", "markdown", "JSON", "YAML", "color", "font size", "headings",
          "modal", "dropdown", "date picker", "footnotes", "keyboard shortcuts", "plugin", "locale", "emoji"]
BRANCH_WORDS = ["fix", "feature", "docs", "refactor", "chore", "hotfix"]


def _code(lang: str, rng: random.Random, name: str) -> dict[str, str]:
    pkg = name.replace("-", "_").replace(".", "_")
    funcs = [f"{rng.choice(['load', 'parse', 'render', 'check', 'build', 'fetch'])}_{w}"
             for w in rng.sample(["config", "items", "report", "page", "theme", "rows", "events", "cache"], 4)]
    if lang == "python":
        files = {
            "pyproject.toml": f'[project]\nname = "{name}"\nversion = "0.{rng.randint(1, 9)}.{rng.randint(0, 20)}"\n'
                              f'requires-python = ">=3.8"\n',
            "requirements.txt": "\n".join(rng.sample(["requests>=2.28", "click>=8", "rich", "pyyaml", "jinja2",
                                                      "matplotlib", "pandas"], 3)) + "\n",
            f"src/{pkg}/__init__.py": f'"""{name}."""\n\n__version__ = "0.1.0"\n',
            "tests/conftest.py": "import pytest\n\n\n@pytest.fixture\ndef sample():\n    return {}\n",
            "docs/index.md": f"# {name}\n\n" + tg.paragraph(rng) + "\n",
            "docs/usage.md": "# Usage\n\n" + tg.paragraph(rng) + "\n",
            ".gitlab-ci.yml": "test:\n  image: python:3.11\n  script:\n    - pip install -e .\n    - pytest\n",
        }
        for mod in ["core", "cli", "utils"]:
            body = "\n\n".join(f"def {f}(value):\n    \"\"\"{tg.sentence(rng, 4, 8)}\"\"\"\n    return value\n"
                               for f in funcs[: rng.randint(2, 4)])
            files[f"src/{pkg}/{mod}.py"] = f'"""{mod} module of {name}."""\n\n\n' + body
            files[f"tests/test_{mod}.py"] = f"from {pkg} import {mod}\n\n\ndef test_{mod}():\n    assert {mod}\n"
    elif lang == "js":
        files = {
            "package.json": f'{{\n  "name": "{name}",\n  "version": "1.{rng.randint(0, 9)}.0",\n'
                            f'  "scripts": {{"test": "jest", "build": "webpack"}}\n}}\n',
            ".eslintrc.json": '{\n  "extends": "eslint:recommended"\n}\n',
            "webpack.config.js": "module.exports = {\n  entry: './src/index.js',\n};\n",
            "public/index.html": f"<!doctype html>\n<title>{name}</title>\n<div id=\"app\"></div>\n",
            "docs/CONTRIBUTING.md": "# Contributing\n\n" + tg.paragraph(rng) + "\n",
        }
        for mod in ["index", "components/Button", "components/Menu", "utils/format", "styles/theme"]:
            body = "\n".join(f"export function {f.replace('_', '')}(x) {{\n  return x;\n}}\n" for f in funcs[:3])
            files[f"src/{mod}.js"] = f"// {mod} for {name}\n" + body
        files["test/index.test.js"] = "test('works', () => {\n  expect(1).toBe(1);\n});\n"
    else:
        files = {
            "install.sh": "#!/bin/sh\nset -e\nfor f in .bashrc .vimrc .tmux.conf .gitconfig; do\n  ln -sf \"$PWD/$f\" ~/$f\ndone\n",
            ".bashrc": "export EDITOR=vim\nalias ll='ls -la'\nalias gs='git status'\n",
            ".vimrc": "set number\nset expandtab\nset shiftwidth=4\nsyntax on\n",
            ".tmux.conf": "set -g mouse on\nset -g history-limit 10000\n",
            ".gitconfig": "[alias]\n  co = checkout\n  st = status\n",
            "config/nvim/init.lua": "vim.opt.number = true\nvim.opt.relativenumber = true\n",
            "scripts/backup.sh": "#!/bin/sh\nrsync -a ~/docs /mnt/backup/\n",
            "scripts/update.sh": "#!/bin/sh\ngit pull --rebase\n",
            "templates/Python.gitignore": "__pycache__/\n*.pyc\n.venv/\n",
            "templates/Node.gitignore": "node_modules/\ndist/\n",
        }
    files["LICENSE"] = "MIT License\n\nCopyright (c) 2021\n\nPermission is hereby granted, free of charge, ...\n"
    files[".gitignore"] = "*.log\n.DS_Store\nbuild/\n"
    return files


def _readme(rng: random.Random, name: str, desc: str, lang: str) -> str:
    install = {"python": f"pip install {name}", "js": f"npm install {name}", "shell": "./install.sh"}[lang]
    return (
        f"# {name}\n\n{desc}\n\n{tg.paragraph(rng, 2, 3)}\n\n## Installation\n\n```\n{install}\n```\n\n"
        f"## Usage\n\n{tg.paragraph(rng, 2, 4)}\n\n- {tg.sentence(rng, 4, 8)}\n- {tg.sentence(rng, 4, 8)}\n"
        f"- {tg.sentence(rng, 4, 8)}\n\n## Contributing\n\n{tg.paragraph(rng, 1, 2)}\n\n## License\n\nMIT\n"
    )


def seed(db_path: str) -> None:
    """Create ``db_path`` with the schema and deterministic data (replaces an existing file)."""
    rng = random.Random(8023)
    con = common.new_db(db_path, SCHEMA)  # replaces an existing file

    # users
    usernames = list(ACCOUNTS) + ["kilian"]
    seen = set(usernames)
    while len(usernames) < 80:
        h = tg.handle(rng).lower()
        if h not in seen and h not in {g[0] for g in GROUPS}:
            seen.add(h)
            usernames.append(h)
    for i, u in enumerate(usernames, 1):
        name = "Byte Blaze" if u == "byteblaze" else tg.full_name(rng)
        pw = ACCOUNTS.get(u, f"pw-{rng.randint(10**6, 10**7)}")
        con.execute(
            "INSERT INTO users VALUES (?,?,?,?,?,?,?,?)",
            (i, u, name, f"{u}@example.com", tg.hash_password(u, pw), tg.sentence(rng, 5, 10) if i % 3 else "",
             rng.choice(["Pittsburgh, PA", "Berlin", "Remote", "Toronto", "Bangalore", "", "Lisbon"]),
             tg.stamp(rng, 365, tg.tg_epoch(2019))),
        )
    uid = {u: i for i, u in enumerate(usernames, 1)}
    n_users = len(usernames)
    for gi, (path, name, desc) in enumerate(GROUPS, 1):
        con.execute("INSERT INTO groups VALUES (?,?,?,?,?)", (gi, path, name, desc, tg.stamp(rng, 365, tg.tg_epoch(2020))))

    issue_id = mr_id = label_id = ms_id = note_id = 0
    for pid, (ns, path, name, lang, desc) in enumerate(PROJECTS, 1):
        owner = uid.get(ns)
        creator = owner or rng.randint(5, n_users)
        created = tg.stamp(rng, 365, tg.tg_epoch(2021))
        con.execute(
            "INSERT INTO projects VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (pid, ns, path, name, desc, lang, "public", "main", creator, created, "2023-12-20 12:00:00"),
        )
        # members
        members = {creator: 50}
        if owner is None and ns in ("a11yproject", "primer"):
            members[uid["byteblaze"]] = rng.choice([30, 40])
        for m in rng.sample(range(4, n_users + 1), rng.randint(3, 11)):
            members.setdefault(m, rng.choice([10, 20, 30, 30, 30, 40]))
        for m, lvl in sorted(members.items()):
            con.execute("INSERT INTO members VALUES (?,?,?,NULL)", (pid, m, lvl))
        member_ids = sorted(members)
        # stars
        stargazers = set(rng.sample(range(2, n_users + 1), rng.randint(0, 40)))
        if pid in (6, 8, 16):
            stargazers.add(uid["byteblaze"])
        for s in sorted(stargazers):
            con.execute("INSERT INTO stars VALUES (?,?)", (s, pid))
        # branches & files
        branches = ["main"] + sorted({f"{rng.choice(BRANCH_WORDS)}/{tg.slugify(rng.choice(THINGS))}"
                                      for _ in range(rng.randint(2, 6))})
        for b in branches:
            con.execute("INSERT INTO branches VALUES (?,?)", (pid, b))
        files = _code(lang, rng, name)
        files["README.md"] = _readme(rng, name, desc, lang)
        for fpath in sorted(files):
            msg = rng.choice(["Initial commit", "Fix typo", "Update dependencies", "Refactor", "Add tests",
                              "Improve docs", f"Merge branch '{rng.choice(branches)}' into 'main'"])
            con.execute("INSERT INTO files VALUES (?,?,?,?,?)",
                        (pid, fpath, files[fpath], msg, tg.stamp(rng, 300, tg.tg_epoch(2023))))
        # labels
        labels_here = []
        for lname, color, ldesc in LABELS:
            if lname in ("bug", "feature", "documentation") or rng.random() < 0.6:
                label_id += 1
                labels_here.append(label_id)
                con.execute("INSERT INTO labels VALUES (?,?,?,?,?)", (label_id, pid, lname, color, ldesc))
        # milestones
        ms_here = []
        for k in range(1, rng.randint(2, 5) + 1):
            ms_id += 1
            start = tg.stamp(rng, 300, tg.tg_epoch(2023))[:10]
            due = tg.shift(start + " 00:00:00", 86400 * rng.randint(14, 120))[:10]
            state = "closed" if due < "2023-09-01" else "active"
            con.execute("INSERT INTO milestones VALUES (?,?,?,?,?,?,?,?)",
                        (ms_id, pid, k, f"v{rng.randint(0, 3)}.{k}" if k % 2 else f"Sprint {k}",
                         tg.sentence(rng, 6, 12), state, start, due))
            ms_here.append(ms_id)
        # issues
        for iid in range(1, rng.randint(25, 75) + 1):
            issue_id += 1
            ititle = rng.choice(ISSUE_TEMPLATES).format(
                C=rng.choice(COMPONENTS).capitalize(), c=rng.choice(COMPONENTS), x=rng.choice(THINGS))
            author = uid["byteblaze"] if issue_id % 29 == 3 else rng.randint(2, n_users)
            assignee = rng.choice(member_ids) if rng.random() < 0.6 else None
            if issue_id % 23 == 1:
                assignee = uid["byteblaze"]
            created_i = tg.stamp(rng, 340, tg.tg_epoch(2023))
            updated = tg.shift(created_i, rng.randint(0, 86400 * 20))
            closed = rng.random() < 0.4
            con.execute(
                "INSERT INTO issues VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (issue_id, pid, iid, ititle,
                 tg.paragraph(rng, 2, 4) + "\n\n### Steps to reproduce\n\n1. " + tg.sentence(rng, 4, 8)
                 + "\n2. " + tg.sentence(rng, 4, 8) + "\n\n### Expected behavior\n\n" + tg.sentence(rng),
                 "closed" if closed else "opened", author, assignee,
                 rng.choice(ms_here) if rng.random() < 0.5 else None, created_i, updated, updated if closed else None),
            )
            for lab in sorted(rng.sample(labels_here, rng.choice([0, 1, 1, 2, 2, 3]))):
                con.execute("INSERT INTO issue_labels VALUES (?,?)", (issue_id, lab))
            for k in range(rng.choice([0, 0, 1, 2, 3, 5])):
                note_id += 1
                con.execute("INSERT INTO notes VALUES (?,?,?,?,?)",
                            (note_id, issue_id, rng.choice(member_ids + [author]), tg.paragraph(rng, 1, 2),
                             tg.shift(created_i, 3600 * (k + 1) * rng.randint(1, 30))))
        # merge requests
        for iid in range(1, rng.randint(6, 25) + 1):
            mr_id += 1
            src = rng.choice(branches[1:]) if len(branches) > 1 else "dev"
            created_m = tg.stamp(rng, 340, tg.tg_epoch(2023))
            con.execute(
                "INSERT INTO merge_requests VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (mr_id, pid, iid,
                 rng.choice(["Fix", "Add", "Update", "Refactor", "Draft: Add", "Remove"]) + " "
                 + rng.choice(THINGS) + " " + rng.choice(["handling", "support", "docs", "tests", "option"]),
                 tg.paragraph(rng, 1, 3), rng.choice(["opened", "merged", "merged", "closed"]),
                 rng.choice(member_ids), rng.choice(member_ids) if rng.random() < 0.7 else None,
                 src, "main", created_m, tg.shift(created_m, rng.randint(0, 86400 * 10))),
            )
    con.commit()
    con.close()
