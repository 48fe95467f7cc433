import sys, re; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
c = db("wiki")
W = "__WIKIPEDIA__"
T = []
def info(title, key):
    v = c.execute("select i.value from infobox i join articles a on a.id=i.article_id where a.title=? and i.key=?", (title, key)).fetchone()[0]
    return re.sub(r"\[\[([^|\]]+)(\|[^\]]*)?\]\]", r"\1", v)
def search(t): return type_("searchbox", "Search Wikipedia", t, True)
cities = [r[0] for r in c.execute("select title from articles where kind='city' order by id limit 4")]
T.append(task("wiki_001", ["wiki"], W + "/", f"What was the population of {cities[0]} in 2020?", inc(info(cities[0], "Population (2020)")),
              [search(cities[0]), stop(info(cities[0], "Population (2020)"))], login=False))
T.append(task("wiki_002", ["wiki"], W + "/", f"In which year was {cities[1]} founded?", inc(info(cities[1], "Founded")),
              [search(cities[1]), stop(info(cities[1], "Founded"))], login=False))
T.append(task("wiki_003", ["wiki"], W + "/", f"Who is the mayor of {cities[0]}?", inc(info(cities[0], "Mayor")),
              [search(cities[0]), stop(info(cities[0], "Mayor"))], login=False))
riv = info(cities[0], "River")
T.append(task("wiki_004", ["wiki"], W + "/", f"{cities[0]} lies on a river. In which country is that river's source... "
              f"no: simply, what is the name of the river {cities[0]} lies on, and what is the elevation of {cities[0]}?",
              inc(riv, info(cities[0], "Elevation")), [search(cities[0]), stop(f"{riv}; {info(cities[0], 'Elevation')}")], login=False))
T[-1]["intent"] = T[-1]["intent_template"] = f"On which river does {cities[0]} lie, and what is its elevation?"
ctry = info(cities[0], "Country")
T.append(task("wiki_005", ["wiki"], W + "/", f"Open the article about the country {cities[0]} is in.",
              url(W + "/wiki/" + ctry.replace(" ", "_") + " |OR| " + W + "/wiki/" + ctry.replace(" ", "%20")),
              [search(cities[0]), click("link", ctry), stop()], login=False))
T.append(task("wiki_006", ["wiki"], W + "/", "Show me the list of all categories.", url(W + "/categories"),
              [click("link", "All categories"), stop()], login=False))
T.append(task("wiki_007", ["wiki"], W + "/", "What is the population of the city of Atlantis Prime in 2020?",
              na("The wiki has no article about Atlantis Prime."), [search("Atlantis Prime"), stop("N/A")], login=False))
ppl = [r[0] for r in c.execute("select title from articles where kind='person' order by id limit 2")]
keys = [r[0] for r in c.execute("select i.key from infobox i join articles a on a.id=i.article_id where a.title=? order by ord", (ppl[0],))]
k = "Born" if "Born" in keys else keys[0]
T.append(task("wiki_008", ["wiki"], W + "/", f"According to the wiki, what is the '{k}' entry for {ppl[0]}?",
              inc(info(ppl[0], k).split("<br>")[0]), [search(ppl[0]), stop(info(ppl[0], k).replace("<br>", ", "))], login=False))
write("wiki", T)
print(keys, info(ppl[0], k))
