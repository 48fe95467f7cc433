"""Deterministic generation of an interlinked encyclopedia.

Article bodies use a tiny wiki markup rendered at request time: ``[[Title]]`` and ``[[Title|text]]``
become internal links; paragraphs are separated by blank lines.
"""

from __future__ import annotations

import random
import re

from .. import _textgen as tg
from .. import common

ACCOUNTS: dict[str, str] = {}  # read-only site, no login

SCHEMA = """
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    word_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE infobox (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    ord INTEGER NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (article_id, ord)
);
CREATE TABLE sections (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    ord INTEGER NOT NULL,
    heading TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (article_id, ord)
);
CREATE TABLE refs (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (article_id, ord)
);
CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL
);
CREATE TABLE article_categories (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    category_id INTEGER NOT NULL REFERENCES categories(id),
    PRIMARY KEY (article_id, category_id)
);
CREATE TABLE links (
    src_id INTEGER NOT NULL REFERENCES articles(id),
    dst_title TEXT NOT NULL,
    PRIMARY KEY (src_id, dst_title)
);
CREATE INDEX links_dst ON links(dst_title);
"""

ONSETS = ["b", "br", "c", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p", "r", "s", "st", "t", "th",
          "v", "w", "z", "al", "el", "or", "ver", "mar", "cal", "bel", "tor"]
VOWELS = ["a", "e", "i", "o", "u", "ae", "ia", "ou", "ei"]
CODAS = ["n", "r", "l", "s", "th", "nd", "rk", "m", "sk", "x", "", "", "ck", "lt"]
CITY_SUFFIX = ["ford", "holm", "burg", "ton", "haven", "mouth", "dale", "field", "port", "wick", "stad", "ville", ""]
OCCUPATIONS = [("physicist", "Physicists"), ("novelist", "Novelists"), ("painter", "Painters"),
               ("composer", "Composers"), ("architect", "Architects"), ("politician", "Politicians"),
               ("engineer", "Engineers"), ("explorer", "Explorers"), ("mathematician", "Mathematicians"),
               ("botanist", "Botanists")]
FIELDS = ["optics", "thermodynamics", "cartography", "hydrology", "linguistics", "astronomy", "metallurgy",
          "typography", "acoustics", "glaciology", "number theory", "ceramics"]
INDUSTRIES = ["shipbuilding", "textiles", "software", "fishing", "tourism", "mining", "brewing", "banking",
              "logistics", "wine", "timber", "glassmaking"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def _word(rng: random.Random, syl: tuple[int, int] = (2, 3)) -> str:
    n = rng.randint(*syl)
    w = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(n)) + rng.choice(CODAS)
    return w.capitalize()


def _unique(rng: random.Random, used: set[str], make) -> str:
    while True:
        name = make()
        if name not in used and len(name) > 3:
            used.add(name)
            return name


def _date(rng: random.Random, y0: int, y1: int) -> tuple[str, int]:
    y = rng.randint(y0, y1)
    return f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {y}", y


def _num(n: int) -> str:
    return f"{n:,}"


def seed(db_path: str) -> None:
    """Create ``db_path`` with the schema and deterministic articles (replaces an existing file)."""
    rng = random.Random(8888)
    used: set[str] = set()

    countries = [_unique(rng, used, lambda: _word(rng, (2, 3)) + rng.choice(["ia", "land", "stan", "ora", ""]))
                 for _ in range(12)]
    cities = [_unique(rng, used, lambda: _word(rng, (1, 2)) + rng.choice(CITY_SUFFIX)) for _ in range(90)]
    rivers = [_unique(rng, used, lambda: _word(rng, (1, 2)) + " River") for _ in range(16)]
    mountains = [_unique(rng, used, lambda: "Mount " + _word(rng, (1, 2))) for _ in range(12)]
    people = [_unique(rng, used, lambda: rng.choice(tg.FIRST_NAMES) + " " + _word(rng, (2, 2))) for _ in range(80)]
    universities = [_unique(rng, used, lambda: "University of " + rng.choice(cities)) for _ in range(14)]
    fields = [f.capitalize() for f in FIELDS]

    city_country = {c: countries[i % len(countries)] if i < 24 else rng.choice(countries) for i, c in enumerate(cities)}
    capitals = {k: cities[i] for i, k in enumerate(countries)}  # the first 12 cities are capitals
    river_country = {r: rng.choice(countries) for r in rivers}
    city_river = {c: rng.choice([r for r in rivers if river_country[r] == city_country[c]] or rivers) for c in cities}
    person_city = {p: rng.choice(cities) for p in people}
    person_occ = {p: rng.choice(OCCUPATIONS) for p in people}
    person_field = {p: rng.choice(fields) for p in people}
    mayors = {c: rng.choice(people) for c in cities}

    articles: list[dict] = []

    def add(title, kind, summary, infobox, sections, refs, cats):
        articles.append({"title": title, "kind": kind, "summary": summary, "infobox": infobox,
                         "sections": sections, "refs": refs, "cats": cats})

    def filler(n=(2, 4)):
        return tg.paragraph(rng, *n)

    def refs_for(title):
        out = []
        for _ in range(rng.randint(3, 8)):
            author = f"{tg.rng_last(rng)}, {rng.choice('ABCDEFGHJKLMNPRSTW')}."
            year = rng.randint(1950, 2021)
            out.append(f"{author} ({year}). \"{tg.sentence(rng, 3, 7).rstrip('.!?')}\". "
                       f"{rng.choice(['Journal of Regional Studies', 'Annals of Geography', 'The Gazette', 'Historical Review', 'Quarterly Survey'])}. "
                       f"{rng.randint(1, 80)} ({rng.randint(1, 12)}): {rng.randint(1, 300)}–{rng.randint(301, 600)}.")
        return out

    # countries
    for k in countries:
        cap = capitals[k]
        pop = rng.randint(800_000, 90_000_000)
        area = rng.randint(5_000, 900_000)
        founded, fy = _date(rng, 1200, 1950)
        currency = _word(rng, (1, 2)).lower()
        lang = _word(rng, (1, 2)) + "ic"
        k_cities = [c for c in cities if city_country[c] == k]
        k_rivers = [r for r in rivers if river_country[r] == k]
        summary = (f"'''{k}''' is a sovereign country. Its capital and largest city is [[{cap}]]. "
                   f"With a population of about {_num(pop)}, it covers {_num(area)} square kilometres.")
        sections = [
            ("History", f"{k} was established on {founded}. " + filler() + f"\n\nThe first parliament met in [[{cap}]]. " + filler()),
            ("Geography", "Major rivers include " + ", ".join(f"[[{r}]]" for r in k_rivers[:4] or rivers[:2]) + ". " + filler()),
            ("Economy", f"The main industries are {rng.choice(INDUSTRIES)} and {rng.choice(INDUSTRIES)}. The currency is the {currency}. " + filler()),
            ("Cities", "Important cities include " + ", ".join(f"[[{c}]]" for c in k_cities[:12]) + ". " + filler((1, 2))),
            ("Culture", filler()),
        ]
        infobox = [("Capital", f"[[{cap}]]"), ("Official language", lang), ("Population", _num(pop)),
                   ("Area", f"{_num(area)} km²"), ("Established", founded), ("Currency", currency.capitalize()),
                   ("Calling code", f"+{rng.randint(20, 999)}")]
        add(k, "country", summary, infobox, sections, refs_for(k), ["Countries"])

    # cities
    for i, c in enumerate(cities):
        k = city_country[c]
        pop = rng.randint(4_000, 3_500_000) if i >= 12 else rng.randint(500_000, 6_000_000)
        founded, fy = _date(rng, 800, 1900)
        elev = rng.randint(0, 2400)
        river = city_river[c]
        natives = [p for p in people if person_city[p] == c]
        twin = rng.choice([x for x in cities if x != c])
        summary = (f"'''{c}''' is a {'capital ' if i < 12 else ''}city in [[{k}]], on the [[{river}]]. "
                   f"It had a population of {_num(pop)} at the 2020 census.")
        sections = [
            ("History", f"{c} was founded in {fy}. " + filler() + f"\n\nDuring the {rng.choice(['industrial', 'medieval', 'colonial', 'modern'])} era the town grew around {rng.choice(INDUSTRIES)}. " + filler()),
            ("Geography", f"The city lies at an elevation of {elev} metres on the banks of the [[{river}]]. " + filler()),
            ("Economy", f"The local economy is based on {rng.choice(INDUSTRIES)} and {rng.choice(INDUSTRIES)}. " + filler()),
            ("Government", f"The current mayor is [[{mayors[c]}]]. " + filler((1, 2))),
            ("Twin towns", f"{c} is twinned with [[{twin}]]."),
        ]
        if natives:
            sections.append(("Notable people", "\n".join(f"* [[{p}]], {person_occ[p][0]}" for p in natives)))
        infobox = [("Country", f"[[{k}]]"), ("Founded", str(fy)), ("Population (2020)", _num(pop)),
                   ("Elevation", f"{elev} m"), ("River", f"[[{river}]]"), ("Mayor", f"[[{mayors[c]}]]"),
                   ("Time zone", f"UTC+{rng.randint(0, 9)}"), ("Postal code", str(rng.randint(10000, 99999)))]
        cats = [f"Cities in {k}"] + (["Capitals"] if i < 12 else [])
        add(c, "city", summary, infobox, sections, refs_for(c), cats)

    # rivers
    for r in rivers:
        k = river_country[r]
        length = rng.randint(40, 3200)
        on = [c for c in cities if city_river[c] == r]
        mouth = rng.choice(["the sea", "Lake " + _word(rng, (1, 2)), "the ocean"])
        summary = f"The '''{r}''' is a river in [[{k}]], {length} kilometres long, flowing into {mouth}."
        sections = [("Course", filler() + (" Cities on the river include " + ", ".join(f"[[{c}]]" for c in on) + "." if on else "")),
                    ("Ecology", filler()), ("History", filler())]
        infobox = [("Country", f"[[{k}]]"), ("Length", f"{_num(length)} km"), ("Mouth", mouth),
                   ("Discharge", f"{rng.randint(10, 9000)} m³/s"), ("Basin size", f"{_num(rng.randint(500, 400000))} km²")]
        add(r, "river", summary, infobox, sections, refs_for(r), [f"Rivers of {k}", "Rivers"])

    # mountains
    for m in mountains:
        k = rng.choice(countries)
        h = rng.randint(900, 8200)
        climber = rng.choice(people)
        fy = rng.randint(1780, 1990)
        summary = f"'''{m}''' is a mountain in [[{k}]] with an elevation of {_num(h)} metres."
        sections = [("Geology", filler()), ("Climbing history", f"The first recorded ascent was made in {fy} by [[{climber}]]. " + filler())]
        infobox = [("Country", f"[[{k}]]"), ("Elevation", f"{_num(h)} m"), ("First ascent", f"{fy} by [[{climber}]]"),
                   ("Range", _word(rng, (1, 2)) + " Range")]
        add(m, "mountain", summary, infobox, sections, refs_for(m), ["Mountains", f"Geography of {k}"])

    # universities
    for u in universities:
        city = u.replace("University of ", "")
        k = city_country[city]
        fy = rng.randint(1100, 1980)
        students = rng.randint(2000, 60000)
        rector = rng.choice(people)
        alumni = rng.sample(people, 4)
        summary = f"The '''{u}''' is a public research university in [[{city}]], [[{k}]], founded in {fy}."
        sections = [("History", f"The university was founded in {fy}. " + filler()),
                    ("Academics", f"It is known for its research in [[{rng.choice(fields)}]] and [[{rng.choice(fields)}]]. " + filler()),
                    ("Notable alumni", "\n".join(f"* [[{p}]]" for p in alumni))]
        infobox = [("Established", str(fy)), ("Type", "Public"), ("Location", f"[[{city}]], [[{k}]]"),
                   ("Students", _num(students)), ("Rector", f"[[{rector}]]")]
        add(u, "university", summary, infobox, sections, refs_for(u), ["Universities", f"Education in {k}"])

    # fields (topics)
    for f in fields:
        practitioners = [p for p in people if person_field[p] == f]
        summary = f"'''{f}''' is a field of study concerned with " + tg.sentence(rng, 5, 10).lower()
        sections = [("Overview", filler()), ("History", filler()),
                    ("Notable contributors", "\n".join(f"* [[{p}]]" for p in practitioners) or "None recorded.")]
        infobox = [("Type", "Academic discipline"), ("Related", f"[[{rng.choice(fields)}]]"),
                   ("Practitioners", str(len(practitioners)))]
        add(f, "topic", summary, infobox, sections, refs_for(f), ["Academic disciplines"])

    # people
    for p in people:
        city = person_city[p]
        k = city_country[city]
        born, by = _date(rng, 1720, 1975)
        alive = by > 1940 and rng.random() < 0.6
        died, dy = _date(rng, by + 30, min(by + 95, 2021))
        occ, occ_cat = person_occ[p]
        field = person_field[p]
        uni = rng.choice(universities)
        award = f"{_word(rng, (1, 2))} Prize"
        spouse = rng.choice([x for x in people if x != p])
        summary = (f"'''{p}''' ({born}{'' if alive else ' – ' + died}) was a {occ} from [[{city}]], [[{k}]], "
                   f"best known for work in [[{field}]].").replace("was a", "is a" if alive else "was a")
        sections = [
            ("Early life", f"{p.split()[0]} was born on {born} in [[{city}]]. " + filler() + f" {p.split()[-1]} studied at the [[{uni}]]."),
            ("Career", filler() + f"\n\nIn {by + rng.randint(25, 45)} {p.split()[-1]} received the {award}. " + filler()),
            ("Personal life", f"{p.split()[-1]} married [[{spouse}]]. " + filler((1, 2))),
            ("Legacy", filler((1, 3))),
        ]
        infobox = [("Born", f"{born}<br>[[{city}]], [[{k}]]"),
                   ("Died", "—" if alive else died), ("Nationality", k), ("Occupation", occ.capitalize()),
                   ("Known for", f"[[{field}]]"), ("Alma mater", f"[[{uni}]]"), ("Awards", award),
                   ("Spouse", f"[[{spouse}]]")]
        add(p, "person", summary, infobox, sections, refs_for(p), [occ_cat, f"People from {k}", f"{by // 100 + 1}th-century births" if by < 1900 else "20th-century births"])

    rng.shuffle(articles)
    articles.sort(key=lambda a: a["title"])  # ids in title order, deterministic
    cat_names = sorted({c for a in articles for c in a["cats"]})
    con = common.new_db(db_path, SCHEMA)  # replaces an existing file
    for ci, name in enumerate(cat_names, 1):
        con.execute("INSERT INTO categories VALUES (?,?,?)", (ci, name, f"Articles in the category {name}."))
    cat_id = {n: i for i, n in enumerate(cat_names, 1)}


    for aid, a in enumerate(articles, 1):
        words = len(a["summary"].split()) + sum(len(b.split()) for _, b in a["sections"])
        con.execute("INSERT INTO articles VALUES (?,?,?,?,?)", (aid, a["title"], a["kind"], a["summary"], words))
        for o, (k, v) in enumerate(a["infobox"]):
            con.execute("INSERT INTO infobox VALUES (?,?,?,?)", (aid, o, k, v))
        sections = a["sections"] + [("See also", "\n".join(
            f"* [[{t}]]" for t in sorted(set(re.findall(r"\[\[([^\]|]+)", a["summary"] + "".join(b for _, b in a["sections"]))))[:6]))]
        for o, (h, b) in enumerate(sections):
            con.execute("INSERT INTO sections VALUES (?,?,?,?)", (aid, o, h, b))
        for o, t in enumerate(a["refs"]):
            con.execute("INSERT INTO refs VALUES (?,?,?)", (aid, o, t))
        for c in sorted(set(a["cats"])):
            con.execute("INSERT INTO article_categories VALUES (?,?)", (aid, cat_id[c]))
        text = a["summary"] + " ".join(b for _, b in sections) + " ".join(v for _, v in a["infobox"])
        for dst in sorted(set(re.findall(r"\[\[([^\]|]+)", text))):
            con.execute("INSERT INTO links VALUES (?,?)", (aid, dst))
    con.commit()
    con.close()
