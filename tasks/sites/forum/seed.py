"""Deterministic seed data for the forum site."""

from __future__ import annotations

import random

from .. import _textgen as tg
from .. import common

ACCOUNTS: dict[str, str] = {
    "MarvelsGrantMan136": "test1234",
    "Sunsetfan88": "test1234",
    "quiet_otter42": "test1234",
}

SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE TABLE forums (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    sidebar TEXT NOT NULL,
    creator_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE TABLE subscriptions (
    user_id INTEGER NOT NULL REFERENCES users(id),
    forum_id INTEGER NOT NULL REFERENCES forums(id),
    PRIMARY KEY (user_id, forum_id)
);
CREATE TABLE moderators (
    user_id INTEGER NOT NULL REFERENCES users(id),
    forum_id INTEGER NOT NULL REFERENCES forums(id),
    PRIMARY KEY (user_id, forum_id)
);
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    forum_id INTEGER NOT NULL REFERENCES forums(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    title TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    score INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    edited_at TEXT
);
CREATE INDEX posts_forum ON posts(forum_id);
CREATE INDEX posts_user ON posts(user_id);
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    parent_id INTEGER REFERENCES comments(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    score INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX comments_post ON comments(post_id);
CREATE INDEX comments_user ON comments(user_id);
CREATE TABLE post_votes (
    user_id INTEGER NOT NULL REFERENCES users(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    value INTEGER NOT NULL CHECK (value IN (-1, 1)),
    PRIMARY KEY (user_id, post_id)
);
CREATE TABLE comment_votes (
    user_id INTEGER NOT NULL REFERENCES users(id),
    comment_id INTEGER NOT NULL REFERENCES comments(id),
    value INTEGER NOT NULL CHECK (value IN (-1, 1)),
    PRIMARY KEY (user_id, comment_id)
);
"""

FORUMS = [
    ("AskReddit", "Ask Reddit", "Ask and answer thought-provoking questions."),
    ("books", "Books", "Discussion of books, authors and reading."),
    ("movies", "Movies", "News and discussion about major motion pictures."),
    ("technology", "Technology", "Technology news, gadgets and the future."),
    ("gaming", "Gaming", "A subreddit for (almost) anything related to games."),
    ("science", "Science", "Peer-reviewed research and science news."),
    ("worldnews", "World News", "Major news from around the world."),
    ("history", "History", "Discussions about history and historical events."),
    ("personalfinance", "Personal Finance", "Budgeting, saving, investing and taxes."),
    ("DIY", "Do It Yourself", "Home improvement and DIY projects."),
    ("photoshopbattles", "Photoshop Battles", "Image editing contests."),
    ("Music", "Music", "The musical community of the forum."),
    ("sports", "Sports", "Sports news and highlights."),
    ("food", "Food", "Cooking, recipes and food photography."),
    ("travel", "Travel", "Travel tips, stories and photos."),
    ("programming", "Programming", "Computer programming discussion."),
    ("gardening", "Gardening", "Plants, soil, seeds and harvests."),
    ("pittsburgh", "Pittsburgh", "News and events in the city of bridges."),
    ("boston", "Boston", "The Boston community forum."),
    ("nyc", "New York City", "Everything about New York City."),
    ("EarthPorn", "Earth Porn", "Beautiful images of the natural world."),
    ("Art", "Art", "Art of all kinds, shared by the community."),
]

FORUM_TOPICS = {
    "books": ["novel", "paperback", "audiobook", "library", "author", "trilogy", "poetry collection"],
    "movies": ["sequel", "director's cut", "trailer", "soundtrack", "cinema", "documentary"],
    "technology": ["laptop", "smartphone", "router", "battery", "chip", "firmware", "headset"],
    "gaming": ["console", "speedrun", "controller", "RPG", "patch", "indie game"],
    "science": ["telescope", "vaccine", "fossil", "exoplanet", "enzyme", "particle"],
    "personalfinance": ["budget", "mortgage", "401k", "credit card", "lease", "emergency fund"],
    "DIY": ["deck", "drywall", "workbench", "shelf", "faucet", "tile floor"],
    "food": ["sourdough", "ramen", "curry", "espresso", "lasagna", "cast iron pan"],
    "travel": ["hostel", "rail pass", "backpack", "visa", "layover", "road trip"],
    "programming": ["compiler", "database", "regex", "linked list", "unit test", "monorepo"],
    "gardening": ["tomato", "compost", "raised bed", "seedling", "succulent", "orchid"],
    "pittsburgh": ["incline", "bridge", "Steelers game", "pierogi", "bus route", "park"],
    "boston": ["T line", "Red Sox game", "clam chowder", "apartment", "snowstorm"],
    "nyc": ["subway", "bagel", "apartment", "Central Park", "bodega", "ferry"],
    "sports": ["marathon", "playoff", "transfer", "stadium", "jersey"],
    "Music": ["vinyl", "synth", "guitar", "album", "concert", "playlist"],
}


def _depth(parents: dict[int, int | None], cid: int) -> int:
    d = 0
    while parents[cid] is not None:
        cid = parents[cid]
        d += 1
    return d


def seed(db_path: str) -> None:
    """Create ``db_path`` with the schema and deterministic data (replaces an existing file)."""
    rng = random.Random(1361)
    con = common.new_db(db_path, SCHEMA)  # replaces an existing file

    # users
    names: list[str] = list(ACCOUNTS)
    seen = set(names)
    while len(names) < 240:
        h = tg.handle(rng)
        if h not in seen:
            seen.add(h)
            names.append(h)
    for i, name in enumerate(names, 1):
        pw = ACCOUNTS.get(name, "forum-" + str(rng.randint(100000, 999999)))
        bio = tg.sentence(rng) if rng.random() < 0.6 else ""
        con.execute(
            "INSERT INTO users (id, username, password_hash, bio, created_at) VALUES (?,?,?,?,?)",
            (i, name, tg.hash_password(name, pw), bio, tg.stamp(rng, 300, tg.tg_epoch(2021))),
        )
    n_users = len(names)

    # forums
    for i, (name, title, desc) in enumerate(FORUMS, 1):
        creator = rng.randint(4, n_users)
        sidebar = f"Welcome to /f/{name}! " + tg.paragraph(rng, 2, 3) + "\n\nRule 1: Be civil. Rule 2: No spam."
        con.execute(
            "INSERT INTO forums VALUES (?,?,?,?,?,?,?)",
            (i, name, title, desc, sidebar, creator, tg.stamp(rng, 200, tg.tg_epoch(2022))),
        )
        con.execute("INSERT INTO moderators VALUES (?,?)", (creator, i))
        for m in rng.sample(range(4, n_users + 1), 2):
            if m != creator:
                con.execute("INSERT INTO moderators VALUES (?,?)", (m, i))
    n_forums = len(FORUMS)

    # subscriptions: the default account subscribes to a fixed handful
    default_subs = [1, 2, 4, 6, 16, 18]
    for fid in default_subs:
        con.execute("INSERT INTO subscriptions VALUES (?,?)", (1, fid))
    for uid in range(2, n_users + 1):
        for fid in sorted(rng.sample(range(1, n_forums + 1), rng.randint(1, 7))):
            con.execute("INSERT INTO subscriptions VALUES (?,?)", (uid, fid))

    # posts
    n_posts = 520
    comment_id = 0
    for pid in range(1, n_posts + 1):
        fid = rng.randint(1, n_forums)
        fname = FORUMS[fid - 1][0]
        extra = FORUM_TOPICS.get(fname)
        # the default account owns a few posts so edit/delete flows have targets
        uid = 1 if pid % 37 == 5 else rng.randint(2, n_users)
        title = tg.title(rng, extra)
        is_link = rng.random() < 0.2
        url = f"http://example.com/{tg.slugify(title)[:40]}" if is_link else ""
        body = "" if is_link and rng.random() < 0.7 else tg.paragraphs(rng, 1, 4, extra)
        created = tg.stamp(rng, 365)
        con.execute(
            "INSERT INTO posts (id, forum_id, user_id, title, url, body, score, created_at, edited_at) "
            "VALUES (?,?,?,?,?,?,0,?,NULL)",
            (pid, fid, uid, title, url, body, created),
        )
        # votes (score is the sum of vote rows, kept in posts.score)
        popularity = rng.random() ** 2
        voters = rng.sample(range(2, n_users + 1), int(popularity * 60))
        up_bias = rng.uniform(0.55, 0.95)
        for v in voters:
            con.execute("INSERT INTO post_votes VALUES (?,?,?)", (v, pid, 1 if rng.random() < up_bias else -1))
        # nested comments
        parents: dict[int, int | None] = {}
        ids_here: list[int] = []
        n_comments = int(rng.random() ** 1.5 * 30)
        for k in range(n_comments):
            comment_id += 1
            parent = None
            if ids_here and rng.random() < 0.65:
                cand = rng.choice(ids_here[-6:])
                if _depth(parents, cand) < 6:
                    parent = cand
            parents[comment_id] = parent
            ids_here.append(comment_id)
            c_uid = 1 if (comment_id % 61 == 7) else rng.randint(2, n_users)
            c_created = tg.shift(created, 60 * (k + 1) * rng.randint(3, 90))
            con.execute(
                "INSERT INTO comments (id, post_id, parent_id, user_id, body, score, created_at) "
                "VALUES (?,?,?,?,?,0,?)",
                (comment_id, pid, parent, c_uid, tg.paragraph(rng, 1, 3, extra), c_created),
            )
            for v in rng.sample(range(2, n_users + 1), rng.randint(0, 8)):
                con.execute(
                    "INSERT INTO comment_votes VALUES (?,?,?)", (v, comment_id, 1 if rng.random() < 0.75 else -1)
                )
    con.execute("UPDATE posts SET score = COALESCE((SELECT SUM(value) FROM post_votes v WHERE v.post_id = posts.id), 0)")
    con.execute(
        "UPDATE comments SET score = COALESCE((SELECT SUM(value) FROM comment_votes v "
        "WHERE v.comment_id = comments.id), 0)"
    )
    con.commit()
    con.close()
