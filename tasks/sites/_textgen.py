"""Deterministic text generation shared by the forum, codehost and wiki sites.

Everything here is driven by an explicit ``random.Random`` so that seeding twice gives identical data.
No time-dependent values: dates are derived from fixed epochs plus random offsets.
"""

from __future__ import annotations

import datetime as _dt
import random

FIRST_NAMES = [
    "Alice", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Jonas", "Kira", "Liam",
    "Mara", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Vera", "Wen", "Ximena",
    "Yusuf", "Zoe", "Amara", "Bjorn", "Carmen", "Dmitri", "Elif", "Felix", "Greta", "Hugo", "Ines", "Jamal",
    "Keiko", "Lars", "Mina", "Noor", "Oscar", "Priya", "Rafael", "Sofia", "Theo", "Ugo", "Valentina", "Yara",
]
LAST_NAMES = [
    "Anders", "Baker", "Castillo", "Dubois", "Eriksen", "Fischer", "Garcia", "Hoffman", "Ito", "Jensen",
    "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Quintero", "Rossi", "Schmidt", "Tanaka",
    "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Adeyemi", "Novak", "Silva", "Horvat", "Lindqvist",
]
HANDLE_PARTS_A = [
    "quiet", "rusty", "lunar", "pixel", "amber", "cosmic", "swift", "hidden", "frosty", "neon", "salty",
    "mellow", "brave", "sleepy", "electric", "velvet", "crimson", "silent", "wandering", "clever", "lazy",
]
HANDLE_PARTS_B = [
    "otter", "falcon", "badger", "comet", "walrus", "panda", "lynx", "heron", "beetle", "kraken", "moose",
    "raven", "gecko", "fox", "tiger", "owl", "yak", "squid", "hedgehog", "marmot", "bison",
]

WORDS = (
    "the of and to in is that for it as was with be by on not he this are or his from at which but have an they "
    "you were her she there been one all we their has would when if so no will more about up out can them some "
    "time could these two may first then do any like my now over such our man me even most made after also did "
    "many before must through back years where much your way well down should because each just those people how "
    "too little state good very make world still own see men work long get here between both life being under "
    "never day same another know while last might us great old year off come since against go came right used "
    "take three system city river market garden window engine signal theory music museum harbor mountain valley "
    "bridge station library council festival forest island network project village battery camera kitchen "
    "weather budget traffic school research history science travel language coffee dinner morning evening"
).split()

TOPIC_WORDS = [
    "bike", "camera", "keyboard", "garden", "recipe", "laptop", "guitar", "telescope", "aquarium", "router",
    "sourdough", "marathon", "podcast", "novel", "chess", "drone", "espresso", "tent", "kayak", "vinyl",
    "monitor", "printer", "budget", "apartment", "lease", "mortgage", "vaccine", "election", "stadium",
    "museum", "subway", "bridge", "festival", "library", "painting", "sculpture", "synth", "compiler",
    "database", "server", "backup", "password", "firmware", "battery", "charger", "headphones", "tripod",
]


def sentence(rng: random.Random, lo: int = 6, hi: int = 16, extra: list[str] | None = None) -> str:
    n = rng.randint(lo, hi)
    pool = WORDS if not extra else WORDS + extra * 3
    words = [rng.choice(pool) for _ in range(n)]
    s = " ".join(words)
    return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "!", "?"])


def paragraph(rng: random.Random, lo: int = 2, hi: int = 5, extra: list[str] | None = None) -> str:
    return " ".join(sentence(rng, extra=extra) for _ in range(rng.randint(lo, hi)))


def paragraphs(rng: random.Random, lo: int = 1, hi: int = 3, extra: list[str] | None = None) -> str:
    return "\n\n".join(paragraph(rng, extra=extra) for _ in range(rng.randint(lo, hi)))


def title(rng: random.Random, extra: list[str] | None = None) -> str:
    templates = [
        "What is the best {t} for {w}?",
        "My new {t} finally arrived",
        "Anyone else having trouble with their {t}?",
        "TIL about the {w} {t}",
        "Looking for advice on a {t}",
        "[Discussion] {T} and {w} in {y}",
        "Is a {t} worth it in {y}?",
        "Finished building my {t} after {n} months",
        "Guide: getting started with {t}",
        "Why does my {t} keep {w}ing?",
        "Hot take: {t} is overrated",
        "Photos from the {w} {t} meetup",
    ]
    tpl = rng.choice(templates)
    t = rng.choice(extra or TOPIC_WORDS)
    return tpl.format(t=t, T=t.capitalize(), w=rng.choice(WORDS[60:]), y=rng.randint(2019, 2023), n=rng.randint(2, 14))


def full_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def handle(rng: random.Random) -> str:
    style = rng.randint(0, 2)
    a, b = rng.choice(HANDLE_PARTS_A), rng.choice(HANDLE_PARTS_B)
    if style == 0:
        return f"{a}_{b}{rng.randint(1, 999)}"
    if style == 1:
        return f"{a.capitalize()}{b.capitalize()}{rng.randint(10, 99)}"
    return f"{rng.choice(FIRST_NAMES).lower()}{rng.choice(LAST_NAMES).lower()[:4]}{rng.randint(1, 99)}"


EPOCH = _dt.datetime(2023, 1, 1, 0, 0, 0)


def stamp(rng: random.Random, days: int = 365, epoch: _dt.datetime = EPOCH) -> str:
    """A fixed-format ISO timestamp somewhere in ``days`` days after ``epoch``."""
    secs = rng.randint(0, days * 86400 - 1)
    return (epoch + _dt.timedelta(seconds=secs)).strftime("%Y-%m-%d %H:%M:%S")


def shift(ts: str, seconds: int) -> str:
    d = _dt.datetime.strptime(ts, "%Y-%m-%d %H:%M:%S") + _dt.timedelta(seconds=seconds)
    return d.strftime("%Y-%m-%d %H:%M:%S")


def pretty_date(ts: str) -> str:
    """'2023-03-15 ...' -> 'Mar 15, 2023' (GitLab/WebArena style)."""
    d = _dt.datetime.strptime(ts[:10], "%Y-%m-%d")
    return d.strftime("%b %-d, %Y")


def slugify(text: str) -> str:
    out = []
    for ch in text.lower():
        if ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-")


def hash_password(username: str, password: str) -> str:
    """Deterministic salted hash (the salt is derived from the username) so seeding is byte-identical."""
    import hashlib

    salt = hashlib.sha256(("webagent-salt:" + username).encode()).hexdigest()[:16]
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 1000).hex()
    return f"pbkdf2_sha256$1000${salt}${digest}"


def check_password(stored: str, username: str, password: str) -> bool:
    import hmac

    return hmac.compare_digest(stored or "", hash_password(username, password))


def tg_epoch(year: int) -> _dt.datetime:
    return _dt.datetime(year, 1, 1)


def rng_last(rng: random.Random) -> str:
    return rng.choice(LAST_NAMES)
