"""Authoring helpers for the task suite: each make_<site>.py reads the seeded SQLite of its site and writes
tasks/suite/<site>.json with true answers and gold sequences. Run them in alphabetical order (cross_site.json is
written by two of them). Terse on purpose; excluded from ruff."""

import json, sqlite3
from webagent.tasks.sites.server import ensure_seed

def db(site):
    c = sqlite3.connect(ensure_seed(site)); c.row_factory = sqlite3.Row; return c

SITE_WA = {"shop": "shopping", "shop_admin": "shopping_admin", "forum": "reddit", "codehost": "gitlab", "wiki": "wikipedia"}
PH = {"shop": "__SHOPPING__", "shop_admin": "__SHOPPING_ADMIN__", "forum": "__REDDIT__", "codehost": "__GITLAB__", "wiki": "__WIKIPEDIA__"}

def task(tid, sites, start, intent, ev, gold, login=True, template=None, inst=None):
    wa = [SITE_WA[s] for s in sites]
    return {"sites": wa, "task_id": tid, "require_login": login,
            "storage_state": (f"./.auth/{'.'.join(wa)}_state.json" if login else None),
            "start_url": start, "geolocation": None, "intent_template": template or intent,
            "instantiation_dict": inst or {}, "intent": intent, "require_reset": True, "eval": ev, "gold": gold}

def ev_string(kind, value, note=""):
    return {"eval_types": ["string_match"], "reference_answers": {kind: value}, "reference_url": "",
            "program_html": [], "string_note": note}
def exact(v): return ev_string("exact_match", v)
def inc(*v): return ev_string("must_include", list(v))
def na(note): return ev_string("fuzzy_match", "N/A", note)
def url(ref): return {"eval_types": ["url_match"], "reference_answers": None, "reference_url": ref,
                      "url_note": "GOLD in PRED", "program_html": []}
def html(*checks, ref=None):
    ev = {"eval_types": (["url_match"] if ref else []) + ["program_html"], "reference_answers": None,
          "reference_url": ref or "", "url_note": "GOLD in PRED", "program_html": []}
    for c in checks:
        u, loc, req = c[0], c[1], c[2]
        for k in ("exact_match", "must_include", "must_exclude"):  # one kind per probe: evaluators use the first
            if k not in req: continue
            e = {"url": u, "locator": loc, "required_contents": {k: req[k]}}
            if len(c) > 3: e["prep_actions"] = c[3]
            ev["program_html"].append(e)
    return ev

def click(role, name, **kw): return {"verb": "click", "target": {"role": role, "name": name, **kw}}
def type_(role, name, text, enter=False, **kw):
    d = {"verb": "type", "target": {"role": role, "name": name, **kw}, "text": text}
    if enter: d["press_enter"] = True
    return d
def select(role, name, text, **kw): return {"verb": "select", "target": {"role": role, "name": name, **kw}, "text": text}
def goto(u): return {"verb": "goto", "url": u}
def stop(t=""): return {"verb": "stop", "text": t}
def money(v): return f"${v:,.2f}"

def write(name, tasks):
    p = __import__("pathlib").Path(__file__).parents[1] / f"{name}.json"
    json.dump(tasks, open(p, "w"), indent=1, ensure_ascii=False); print(name, len(tasks))
