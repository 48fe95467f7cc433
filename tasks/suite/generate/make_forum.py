import sys; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
c = db("forum")
R = "__REDDIT__"
T = []
def one(sql, *a): return c.execute(sql, a).fetchone()
def rows(sql, *a): return c.execute(sql, a).fetchall()
# info: author of post, score, number of comments, top post of a forum
p = dict(one("select p.*, u.username, f.name fname from posts p join users u on u.id=p.user_id join forums f on f.id=p.forum_id where p.id=4"))
ncom = one("select count(*) from comments where post_id=4")[0]
T.append(task("forum_001", ["forum"], R + f"/f/{p['fname']}/4", f"Who submitted the post '{p['title']}'?",
              exact(p["username"]), [stop(p["username"])], login=False))
T.append(task("forum_002", ["forum"], R + f"/f/{p['fname']}/4", f"How many comments does the post '{p['title']}' have?",
              inc(str(ncom)), [stop(str(ncom))], login=False))
top = dict(one("select p.* from posts p join forums f on f.id=p.forum_id where f.name='books' order by p.score desc, p.id desc limit 1"))
T.append(task("forum_003", ["forum"], R + "/f/books", "What is the title of the highest-scoring submission in /f/books?",
              inc(top["title"]), [click("link", "Top", nth=1), stop(top["title"])], login=False))
nsub = one("select count(*) from posts p join forums f on f.id=p.forum_id where f.name='books'")[0]
T.append(task("forum_004", ["forum"], R + "/forums", "How many submissions are there in the books forum?", inc(str(nsub)),
              [click("link", "books", exact=True), stop(str(nsub))], login=False))
mine = one("select count(*) from posts where user_id=1")[0]
T.append(task("forum_005", ["forum"], R + "/", "How many submissions have I (MarvelsGrantMan136) made?", inc(str(mine)),
              [goto(R + "/u/MarvelsGrantMan136/submissions"), stop(str(mine))]))
nf = one("select count(*) from forums")[0]
T.append(task("forum_006", ["forum"], R + "/", "How many forums are there on this site?", inc(str(nf)),
              [click("link", "Forums"), stop(str(nf))], login=False))
# navigation
T.append(task("forum_007", ["forum"], R + "/", "Open the list of the newest submissions in the technology forum.",
              url(R + "/f/technology/new |OR| " + R + "/f/technology?sort=new"),
              [click("link", "Forums"), click("link", "technology", exact=True), click("link", "New", nth=1), stop()], login=False))
T.append(task("forum_008", ["forum"], R + "/", "Show me the profile page of the user AmberWalrus14.",
              url(R + "/u/AmberWalrus14"), [goto(R + "/f/history/1"), click("link", "AmberWalrus14"), stop()], login=False))
T.append(task("forum_009", ["forum"], R + "/", "Search the forum for posts about synth.",
              url(R + "/search?q=synth"), [type_("searchbox", "Search query", "synth", True), stop()], login=False))
# modification
T.append(task("forum_010", ["forum"], R + "/submit",
              "Create a submission in the books forum titled 'Best fantasy series of 2023?' with the body 'Looking for recommendations.'",
              html(["last", "document.querySelector('main').innerText",
                    {"must_include": ["Best fantasy series of 2023?", "Looking for recommendations.", "books"]}],
                   [R + "/f/books?sort=new", "document.querySelector('main').innerText", {"must_include": ["Best fantasy series of 2023?"]}]),
              [type_("textbox", "Title", "Best fantasy series of 2023?"), type_("textbox", "Body", "Looking for recommendations."),
               select("combobox", "Forum", "books"), click("button", "Create submission"), stop()]))
T.append(task("forum_011", ["forum"], R + f"/f/{p['fname']}/4", f"Reply to the post '{p['title']}' with the comment 'Thanks for sharing!'",
              html(["last", "document.querySelector('main').innerText", {"must_include": ["Thanks for sharing!"]}]),
              [type_("textbox", "Comment", "Thanks for sharing!"), click("button", "Post comment"), stop()]))
T.append(task("forum_012", ["forum"], R + f"/f/{p['fname']}/4", f"Upvote the post '{p['title']}'.",
              html(["last", "document.querySelector('main button[aria-pressed]').getAttribute('aria-pressed')",
                    {"exact_match": "true"}]),
              [click("button", "▲ Upvote"), stop()]))
T.append(task("forum_013", ["forum"], R + "/f/worldnews/5", "Delete my post 'Photos from the used budget meetup'.",
              html([R + "/u/MarvelsGrantMan136/submissions", "document.querySelector('main').innerText",
                    {"must_exclude": ["Photos from the used budget meetup"]}]),
              [click("link", "Delete"), click("button", "Delete", exact=False), stop()]))
T.append(task("forum_014", ["forum"], R + "/forums", "Post a new submission in the forum /f/knitting about my first scarf.",
              na("There is no knitting forum on this site."), [stop("N/A")]))
write("forum", T)
