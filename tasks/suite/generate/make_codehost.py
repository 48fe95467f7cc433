import sys; sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from common import *
c = db("codehost")
G = "__GITLAB__"
T = []
def one(sql, *a): return c.execute(sql, a).fetchone()
stars = one("select count(*) from stars where project_id=1")[0]
T.append(task("code_001", ["codehost"], G + "/byteblaze/dotfiles", "How many stars does the byteblaze/dotfiles project have?",
              inc(str(stars)), [stop(str(stars))]))
nopen = one("select count(*) from issues where project_id=1 and state='opened'")[0]
T.append(task("code_002", ["codehost"], G + "/byteblaze/dotfiles", "How many open issues does byteblaze/dotfiles have?",
              inc(str(nopen)), [stop(str(nopen))]))
iss = dict(one("select i.*, u.name aname from issues i join users u on u.id=i.author_id where project_id=1 and iid=1"))
T.append(task("code_003", ["codehost"], G + "/byteblaze/dotfiles/-/issues/1", "Who opened issue #1 of byteblaze/dotfiles?",
              inc(iss["aname"]), [stop(iss["aname"])]))
role = one("select access_level from members m join users u on u.id=m.user_id where project_id=1 and u.username='saltybison70'")[0]
ROLES = {10: "Guest", 20: "Reporter", 30: "Developer", 40: "Maintainer", 50: "Owner"}
T.append(task("code_004", ["codehost"], G + "/byteblaze/dotfiles", "What role does saltybison70 have in byteblaze/dotfiles?",
              exact(ROLES[role]), [click("link", "Members", nth=0), stop(ROLES[role])]))
nmem = one("select count(*) from members where project_id=1")[0]
T.append(task("code_005", ["codehost"], G + "/byteblaze/dotfiles", "How many members does byteblaze/dotfiles have?",
              inc(str(nmem)), [click("link", "Members", nth=0), stop(str(nmem))]))
lang = one("select language from projects where id=16")[0]
T.append(task("code_006", ["codehost"], G + "/vinta/awesome-python", "Which project does vinta own, and how many open merge requests does it have?",
              inc("awesome-python", str(one("select count(*) from merge_requests where project_id=16 and state='opened'")[0])),
              [stop(f"awesome-python, {one('select count(*) from merge_requests where project_id=16 and state=?', 'opened')[0]} open merge requests")]))
# navigation
T.append(task("code_007", ["codehost"], G + "/byteblaze/dotfiles", "Open the milestones page of byteblaze/dotfiles.",
              url(G + "/byteblaze/dotfiles/-/milestones"), [click("link", "Milestones"), stop()]))
T.append(task("code_008", ["codehost"], G + "/byteblaze/dotfiles", "Show the labels of byteblaze/dotfiles.",
              url(G + "/byteblaze/dotfiles/-/labels"), [click("link", "Labels", nth=0), stop()]))
T.append(task("code_009", ["codehost"], G + "/", "Open the project page of a11yproject.com.",
              url(G + "/a11yproject/a11yproject.com"), [goto(G + "/a11yproject"), click("link", "a11yproject.com", exact=False), stop()]))
# modification
T.append(task("code_010", ["codehost"], G + "/byteblaze/dotfiles/-/issues/1", "Close issue #1 of byteblaze/dotfiles.",
              html([G + "/byteblaze/dotfiles/-/issues/1", "document.querySelector('main').innerText",
                    {"must_include": ["Closed", "Reopen issue"]}]),
              [click("button", "Close issue"), stop()]))
T.append(task("code_011", ["codehost"], G + "/byteblaze/dotfiles/-/issues/1", "Comment 'I can take this one.' on issue #1 of byteblaze/dotfiles.",
              html([G + "/byteblaze/dotfiles/-/issues/1", "document.querySelector('main').innerText",
                    {"must_include": ["I can take this one."]}]),
              [type_("textbox", "Write a comment", "I can take this one."), click("button", "Comment"), stop()]))
T.append(task("code_012", ["codehost"], G + "/byteblaze/dotfiles",
              "Create a milestone 'v2.0' in byteblaze/dotfiles starting on 2044-03-15 and due on 2044-03-30.",
              html([G + "/byteblaze/dotfiles/-/milestones", "document.querySelector('main').innerText", {"must_include": ["v2.0"]}],
                   ["last", "document.querySelector('main').innerText", {"must_include": ["v2.0", "Mar 15, 2044 |OR| 2044-03-15", "Mar 30, 2044 |OR| 2044-03-30"]}],
                   ref=G + "/byteblaze/dotfiles/-/milestones"),
              [click("link", "Milestones"), click("link", "New milestone"), type_("textbox", "Title", "v2.0"),
               type_("textbox", "Start date", "2044-03-15"), type_("textbox", "Due date", "2044-03-30"),
               click("button", "Create milestone"), stop()]))
T.append(task("code_013", ["codehost"], G + "/byteblaze/dotfiles/-/project_members", "Make saltybison70 a Maintainer of byteblaze/dotfiles.",
              html([G + "/byteblaze/dotfiles/-/project_members", "document.querySelector('main table').innerText",
                    {"must_include": ["@saltybison70\tMaintainer |OR| @saltybison70 Maintainer"]}]),
              [select("combobox", "Role for saltybison70", "Maintainer"), click("button", "Update role", nth=3), stop()]))
T.append(task("code_014", ["codehost"], G + "/byteblaze/dotfiles", "Star the byteblaze/dotfiles project.",
              html([G + "/byteblaze/dotfiles", "document.querySelector('main').innerText", {"must_include": ["Unstar", str(stars + 1)]}]),
              [click("button", "Star"), stop()]))
T.append(task("code_015", ["codehost"], G + "/byteblaze/dotfiles", "Merge the merge request titled 'Rewrite everything in Rust' in byteblaze/dotfiles.",
              na("There is no merge request with that title in byteblaze/dotfiles."),
              [click("link", "Merge requests 2", exact=False), stop("N/A")]))
write("codehost", T)
