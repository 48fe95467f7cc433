"""The conformance corpus (tests/pages/conformance/): small pages of the web's common widgets, each with a task, the
facts a person reads on it, and a scripted decision that completes the task reading only the observation's text.

A `Case` is run by `run_case`: observe, check the facts, find each step's target by role and name in the text
(never in the DOM), `execute` the action, and at the end read the page's own success signal (`window.__done`).
Used by tests/test_conformance.py (every case must pass) and bench/observe.py (how many do).

Fact syntax, one string per fact, matched against the observation text:
    "#tab 'Billing' selected -disabled"  a line with `tab 'Billing'`, carrying an id (`#`), the state token
                                         `selected` and not `disabled`; `value='70'` tokens match as written
    "!#button 'Continue'"                no such element with an id (covered, hidden)
    "~April 2026"                        this text appears; "!~Draft" it does not
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).resolve().parents[1] / "tests" / "pages" / "conformance"
MAX_REPEAT = 8  # a step with `until` is repeated at most this often


@contextmanager
def serve(root: Path = PAGES) -> Iterator[str]:
    """Serve `root` on a loopback port in a thread; yields the base URL (http://127.0.0.1:PORT)."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    httpd.daemon_threads = True
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass(frozen=True)
class Step:
    """One scripted decision: `action` with `{id}` for the target found by `role` and `name` (None: any name) at or
    after the first line that contains `near`; `sees`: facts of the observation the step is decided from;
    `until`: repeat the step until this fact holds (a carousel's Next, scrolling a feed)."""

    action: str
    role: str | None = None
    name: str | None = None
    near: str | None = None
    sees: tuple[str, ...] = ()
    until: str | None = None


@dataclass(frozen=True)
class Case:
    page: str
    task: str
    facts: tuple[str, ...]  # in the first observation
    steps: tuple[Step, ...]
    final: tuple[str, ...] = ()  # in the observation after the last step


_TOKEN = re.compile(r"-?[\w-]+(?:='[^']*'|=\S+)?")


def _fact_parts(fact: str) -> tuple[bool, bool, str, str | None, list[str]]:
    """(negated, needs id, role, name or None, state tokens) of an element fact."""
    neg = fact.startswith("!")
    fact = fact[1:] if neg else fact
    need_id = fact.startswith("#")
    fact = fact[1:] if need_id else fact
    m = re.match(r"(\S+)(?: '([^']*)')?(.*)$", fact)
    if m is None:
        raise ValueError(f"bad fact {fact!r}")
    return neg, need_id, m.group(1), m.group(2), _TOKEN.findall(m.group(3))


def _element_re(role: str, name: str | None, need_id: bool) -> re.Pattern[str]:
    ident = r"\[(\d+)\] " if need_id else r"(?:\[(\d+)\] )?"
    nm = f" '{re.escape(name)}'" if name is not None else r"(?: '[^']*')?"
    return re.compile(rf"(?:^|\s|\| ){ident}{re.escape(role)}{nm}(?=\s|$)(.*)")


def _rest_tokens(rest: str) -> list[str]:
    """The state tokens right after an element's name: up to the next cell (` | `) or element (`[`)."""
    rest = re.split(r" \| | \[\d+\] ", rest, maxsplit=1)[0]
    return _TOKEN.findall(rest)


def holds(text: str, fact: str) -> bool:
    """Whether the observation text shows `fact` (syntax in the module docstring)."""
    if fact.startswith("~"):
        return fact[1:] in text
    if fact.startswith("!~"):
        return fact[2:] not in text
    neg, need_id, role, name, tokens = _fact_parts(fact)
    pat = _element_re(role, name, need_id)
    found = False
    for line in text.splitlines():
        for m in pat.finditer(line):
            have = _rest_tokens(m.group(2))
            if all((t[1:] not in have and not any(h.startswith(t[1:] + "=") for h in have)) if t.startswith("-")
                   else t in have for t in tokens):
                found = True
                break
        if found:
            break
    return found != neg


def find_id(text: str, role: str, name: str | None, near: str | None = None) -> int | None:
    """The id of the first `role 'name'` element with an id in `text`, on or after the first line containing
    `near` (the decision's only way to name a target: what the observation shows)."""
    lines = text.splitlines()
    start = 0
    if near is not None:
        start = next((i for i, ln in enumerate(lines) if near in ln), None)
        if start is None:
            return None
    pat = _element_re(role, name, True)
    for ln in lines[start:]:  # the near line whole: a table row shows its elements around the text
        m = pat.search(ln)
        if m:
            return int(m.group(1))
    return None


@dataclass
class CaseResult:
    page: str
    facts: int = 0
    facts_failed: list[str] = field(default_factory=list)
    targets: int = 0  # step targets looked up
    targets_found: int = 0  # ... found with an id in the observation
    actions: int = 0  # actions carried out through execute
    actions_ok: int = 0  # ... that reported ok
    steps_failed: list[str] = field(default_factory=list)  # targets not found and actions that errored
    done: bool = False
    last_text: str = ""

    @property
    def ok(self) -> bool:
        return self.done and not self.facts_failed and not self.steps_failed


async def run_case(session, base: str, case: Case, options=None) -> CaseResult:
    """Open the case's page in `session` (a webagent BrowserSession), check its facts, carry out its scripted
    decision through `execute`, and read the page's success signal."""
    from webagent.actions import parse_action
    from webagent.executor import execute

    res = CaseResult(case.page)

    def check(text: str, facts: tuple[str, ...], where: str) -> None:
        for f in facts:
            res.facts += 1
            if not holds(text, f):
                res.facts_failed.append(f"{where}: {f}")

    await session.goto(f"{base}/{case.page}")
    obs = await session.observe(options)
    check(obs.text, case.facts, "initially")
    for k, step in enumerate(case.steps):
        for rep in range(MAX_REPEAT if step.until else 1):
            if step.until and holds(obs.text, step.until):
                break
            if rep == 0:
                check(obs.text, step.sees, f"before step {k + 1}")
            text = step.action
            if step.role is not None:
                res.targets += 1
                tid = find_id(obs.text, step.role, step.name, step.near)
                if tid is None:
                    res.steps_failed.append(f"step {k + 1}: no [id] {step.role} {step.name!r}"
                                            + (f" near {step.near!r}" if step.near else ""))
                    res.last_text = obs.text
                    return res
                res.targets_found += 1
                text = text.format(id=tid)
            r = await execute(session, obs, parse_action(text))
            res.actions += 1
            res.actions_ok += r.ok
            if not r.ok:
                res.steps_failed.append(f"step {k + 1} {text}: {r.error_kind}: {r.error}")
            obs = await session.observe(options)
        else:
            if step.until and not holds(obs.text, step.until):
                res.steps_failed.append(f"step {k + 1}: {step.until!r} never showed")
    check(obs.text, case.final, "finally")
    res.last_text = obs.text
    res.done = await session.page.evaluate("window.__done === true")
    return res


S = Step
CASES: tuple[Case, ...] = (
    Case("tree.html", "Select the file Q2.pdf in Documents > Reports",
         ("#treeitem 'Documents' expanded=false", "#treeitem 'Pictures' expanded=false", "!#treeitem 'Reports'"),
         (S("click [{id}]", "treeitem", "Documents"),
          S("click [{id}]", "treeitem", "Reports", sees=("#treeitem 'Documents' expanded", "#treeitem 'Budget.xlsx'")),
          S("click [{id}]", "treeitem", "Q2.pdf", sees=("#treeitem 'Reports' expanded", "#treeitem 'Q1.pdf'"))),
         ("#treeitem 'Q2.pdf' selected", "#treeitem 'Q1.pdf' -selected")),
    Case("menubar.html", "Export the document as PDF (File > Export > PDF)",
         ("#menuitem 'File' expanded=false", "#menuitem 'Edit'", "!#menuitem 'Export'"),
         (S("click [{id}]", "menuitem", "File"),
          S("click [{id}]", "menuitem", "Export", sees=("#menuitem 'File' expanded", "#menuitem 'New file'")),
          S("click [{id}]", "menuitem", "PDF", sees=("#menuitem 'Export' expanded", "#menuitem 'HTML'"))),
         ("~Done: exported as PDF",)),
    Case("menu-button.html", "Turn on Show grid and set the zoom to Large",
         ("#button 'View options' expanded=false", "!#menuitemcheckbox 'Show grid'"),
         (S("click [{id}]", "button", "View options"),
          S("click [{id}]", "menuitemcheckbox", "Show grid",
            sees=("#menuitemcheckbox 'Show ruler' checked", "#menuitemcheckbox 'Show grid' -checked",
                  "#menuitemradio 'Medium' checked", "#menuitemradio 'Large' -checked")),
          S("click [{id}]", "menuitemradio", "Large", sees=("#menuitemcheckbox 'Show grid' checked",))),
         ("#menuitemradio 'Large' checked", "#menuitemradio 'Medium' -checked")),
    Case("combobox-autocomplete.html", "Ship to Portugal",
         ("#combobox 'Country' expanded=false", "#button 'Continue'"),
         (S("type [{id}] [Po] [0]", "combobox", "Country"),
          S("click [{id}]", "option", "Portugal", sees=("#combobox 'Country' value='Po' expanded", "#option 'Poland'")),
          S("click [{id}]", "button", "Continue", sees=("#combobox 'Country' value='Portugal' expanded=false",))),
         ("~Done: shipping to Portugal",)),
    Case("combobox-select-only.html", "Make Mango the favourite fruit",
         ("#combobox 'Favourite fruit' expanded=false",),
         (S("select [{id}] [Mango]", "combobox", "Favourite fruit"),),
         ("~Mango",)),
    Case("listbox.html", "Choose Train, and Olives and Basil as the only toppings",
         ("#option 'Car' selected", "#option 'Train' -selected", "#option 'Cheese' selected", "~Toppings"),
         (S("click [{id}]", "option", "Train"),
          S("select [{id}] [Olives|Basil]", "listbox", "Toppings")),
         ("#option 'Train' selected", "#option 'Olives' selected", "#option 'Basil' selected",
          "#option 'Cheese' -selected")),
    Case("tabs.html", "Download the invoice from the Billing tab",
         ("#tab 'Profile' selected", "#tab 'Billing' -selected", "#button 'Edit profile'",
          "!#button 'Download invoice'"),
         (S("click [{id}]", "tab", "Billing"),
          S("click [{id}]", "button", "Download invoice", sees=("#tab 'Billing' selected", "#tab 'Profile' -selected",
                                                              "~Plan: Pro"))),
         ("~Done: invoice downloaded",)),
    Case("dialog.html", "Delete the project, confirming in the dialog",
         ("#button 'Delete project'", "!dialog"),
         (S("click [{id}]", "button", "Delete project"),
          S("click [{id}]", "button", "Delete", sees=("dialog 'Delete this project?'", "#button 'Cancel'",
                                                    "!#button 'Delete project'", "!#button 'Archive project'"))),
         ("~Done: project deleted",)),
    Case("disclosure.html", "Track the parcel",
         ("#button 'Shipping details' expanded=false", "#button 'Return policy' expanded=false", "!#link 'Track parcel'"),
         (S("click [{id}]", "button", "Shipping details"),
          S("click [{id}]", "link", "Track parcel", sees=("#button 'Shipping details' expanded", "~Carrier: Parcelnet"))),
         ("~Done: tracking opened",)),
    Case("accordion.html", "Start a return",
         ("#button 'Orders' expanded", "#button 'Returns' expanded=false", "~Orders ship within two days.",
          "!#button 'Start a return'"),
         (S("click [{id}]", "button", "Returns"),
          S("click [{id}]", "button", "Start a return", sees=("#button 'Returns' expanded", "#button 'Orders' expanded=false"))),
         ("~Done: return started",)),
    Case("slider.html", "Set the volume to 70",
         ("#slider 'Volume' value='50'", "#slider 'Balance' type=range value='0'"),
         (S("click [{id}]", "slider", "Volume"),
          S("press [ArrowRight]", until="#slider 'Volume' value='70'")),
         ("#slider 'Volume' value='70' focused",)),
    Case("spinbutton.html", "Book for 3 adults and 4 nights",
         ("#spinbutton 'Adults' type=number value='1'", "#spinbutton 'Nights' value='2'", "#button 'More nights'"),
         (S("type [{id}] [3] [0]", "spinbutton", "Adults"),
          S("click [{id}]", "button", "More nights", until="#spinbutton 'Nights' value='4'")),
         ("#spinbutton 'Adults' value='3'",)),
    Case("grid.html", "Mark invoice 1042 as paid",
         ("#button 'Mark paid' disabled", "#checkbox 'Select invoice 1042' -checked", "~Globex"),
         (S("click [{id}]", "checkbox", "Select invoice 1042"),
          S("click [{id}]", "button", "Mark paid", sees=("#button 'Mark paid' -disabled",
                                                        "#checkbox 'Select invoice 1042' checked"))),
         ()),
    Case("toolbar.html", "Make the text bold and not italic",
         ("#button 'Bold' pressed=false", "#button 'Italic' pressed", "#combobox 'Size' value='Normal'"),
         (S("click [{id}]", "button", "Bold"), S("click [{id}]", "button", "Italic")),
         ("#button 'Bold' pressed", "#button 'Italic' pressed=false")),
    Case("switch.html", "Turn email notifications on and autoplay off, keep dark mode",
         ("#switch 'Email notifications' checked=false", "#switch 'Dark mode' checked", "#switch 'Autoplay videos' checked"),
         (S("click [{id}]", "switch", "Email notifications"), S("click [{id}]", "switch", "Autoplay videos")),
         ("#switch 'Email notifications' checked", "#switch 'Autoplay videos' checked=false")),
    Case("radio-group.html", "Choose express delivery and PayPal",
         ("#radio 'Standard (free)' checked", "#radio 'Next day ($19)' disabled", "#radio 'Card' checked",
          "#radio 'PayPal' -checked"),
         (S("click [{id}]", "radio", "Express ($9)"), S("click [{id}]", "radio", "PayPal")),
         ("#radio 'Express ($9)' checked", "#radio 'Standard (free)' -checked", "#radio 'PayPal' checked")),
    Case("carousel.html", "Open the winter sale",
         ("#button 'Next slide'", "#button 'Previous slide'", "~Spring sale", "!~Winter sale"),
         (S("click [{id}]", "button", "Next slide", until="#link 'Shop winter'"),
          S("click [{id}]", "link", "Shop winter")),
         ()),
    Case("datepicker.html", "Search flights departing April 15, 2026, chosen in the calendar",
         ("#textbox 'Departure date'", "#button 'Choose departure date'"),
         (S("click [{id}]", "button", "Choose departure date"),
          S("click [{id}]", "button", "Next month", sees=("~March 2026", "#button 'Previous month'")),
          S("click [{id}]", "button", "15", sees=("~April 2026",)),
          S("click [{id}]", "button", "Search flights", sees=("#textbox 'Departure date' value='04/15/2026'",))),
         ()),
    Case("date-native.html", "Check in on May 20, 2026 at 3:30 pm for 2 guests",
         ("#textbox 'Check-in date' type=date required", "#textbox 'Arrival time' type=time",
          "#spinbutton 'Guests' type=number value='1'"),
         (S("type [{id}] [May 20, 2026] [0]", "textbox", "Check-in date"),
          S("type [{id}] [3:30 pm] [0]", "textbox", "Arrival time"),
          S("type [{id}] [2] [0]", "spinbutton", "Guests"),
          S("click [{id}]", "button", "Confirm", sees=("#textbox 'Check-in date' value='2026-05-20'",))),
         ()),
    Case("icon-background.html", "Open the cart (an icon drawn as a background image)",
         ("#button 'search'", "#link 'account'", "#generic 'cart'"),
         (S("click [{id}]", "generic", "cart"),),
         ("~Done: cart opened",)),
    Case("icon-font.html", "Like the song and open the notifications bell",
         ("#button 'favorite'", "#button 'trash'", "#generic 'bell'"),
         (S("click [{id}]", "button", "favorite"), S("click [{id}]", "generic", "bell")),
         ()),
    Case("icon-svg.html", "Open the settings (an inline SVG icon)",
         ("#button 'Notifications'", "#button 'settings'", "#link 'Help'"),
         (S("click [{id}]", "button", "settings"),),
         ("~Done: settings",)),
    Case("hover-cursor.html", "Dismiss the storage notice (the pointer shows only on hover)",
         ("~Storage almost full", "~New login from Lisbon"),
         (S("click [{id}]", "generic", "✕", near="Storage almost full"),),
         ("!~Storage almost full", "~New login from Lisbon")),
    Case("clickable-rows.html", "Star order 1002 (without opening it), then open order 1003",
         ("~Order 1002", "#link 'Invoice'", "#generic 'Star order'", "#row"),
         (S("click [{id}]", "generic", "Star order", near="Order 1002"),
          S("click [{id}]", "row", None, near="Order 1003")),
         ("~Showing order 1003",)),
    Case("clickable-cards.html", "Add the blue kettle to the wishlist without opening it",
         ("#button 'Add to wishlist' pressed=false", "heading 'Blue kettle'"),
         (S("click [{id}]", "button", "Add to wishlist", near="Blue kettle"),),
         ("#button 'Add to wishlist' pressed",)),
    Case("load-more.html", "Open Recipe 14 (behind Show more)",
         ("#link 'Recipe 10'", "!#link 'Recipe 11'", "#button 'Show more recipes'"),
         (S("click [{id}]", "button", "Show more recipes"),
          S("click [{id}]", "link", "Recipe 14", sees=("#link 'Recipe 20'",))),
         ()),
    Case("infinite-scroll.html", "Open Story 20 (the feed loads more as you scroll)",
         ("#link 'Story 1'", "!#link 'Story 20'"),
         (S("scroll [down]", until="#link 'Story 20'"), S("click [{id}]", "link", "Story 20")),
         ()),
    Case("contenteditable.html", "Post the comment: Looks good to me",
         ("#textbox 'Comment' multiline", "#button 'Post comment'"),
         (S("type [{id}] [Looks good to me] [0]", "textbox", "Comment"),
          S("click [{id}]", "button", "Post comment", sees=("#textbox 'Comment' multiline value='Looks good to me'",))),
         ()),
    Case("rich-editor.html", "Replace the page body with: Welcome to the team, and save",
         ("#textbox 'Page body' multiline value='Draft text'", "#button 'Bold' pressed=false", "#button 'Insert link'"),
         (S("type [{id}] [Welcome to the team] [0]", "textbox", "Page body"),
          S("click [{id}]", "button", "Save page")),
         ("!~Draft text",)),
    Case("div-dropdown.html", "Add the T-shirt in size Large (a dropdown built from divs)",
         ("#generic 'Select size'", "!#generic 'Large'"),
         (S("click [{id}]", "generic", "Select size"),
          S("click [{id}]", "generic", "Large", sees=("#generic 'Small'", "#generic 'Medium'")),
          S("click [{id}]", "button", "Add to bag", sees=("#generic 'Large'",))),
         ("~Done: Large added",)),
    Case("aria-dropdown.html", "Sort the results by price, low to high",
         ("#button 'Sort by: Relevance' expanded=false",),
         (S("select [{id}] [Price: low to high]", "button", "Sort by: Relevance"),),
         ("#button 'Sort by: Price: low to high'",)),
    Case("native-select.html", "Plan a trip to Tokyo with breakfast and parking only",
         ("#combobox 'Destination' value='Choose…'", "#listbox 'Extras' multiselectable value='Late checkout'"),
         (S("select [{id}] [Tokyo]", "combobox", "Destination"),
          S("select [{id}] [Breakfast|Parking]", "listbox", "Extras"),
          S("click [{id}]", "button", "Plan")),
         ("#combobox 'Destination' value='Tokyo'", "#listbox 'Extras' value='Breakfast; Parking'")),
    Case("cookie-banner.html", "Reject cookies and continue to checkout",
         ("dialog 'Cookie consent'", "#button 'Reject all'", "!#button 'Continue to checkout'"),
         (S("click [{id}]", "button", "Reject all"),
          S("click [{id}]", "button", "Continue to checkout", sees=("!dialog 'Cookie consent'",))),
         ()),
    Case("sticky-header.html", "Submit the review (half under the sticky header), then show all comments",
         ("#button 'Submit review'", "#button 'Show all comments'", "#link 'Home'"),
         (S("click [{id}]", "button", "Submit review"), S("click [{id}]", "button", "Show all comments")),
         ()),
    Case("modal.html", "Close the newsletter pop-up and read the full story",
         ("dialog 'Get our newsletter'", "#button 'Close'", "#textbox 'Email' type=email",
          "!#link 'Read the full story'"),
         (S("click [{id}]", "button", "Close"),
          S("click [{id}]", "link", "Read the full story", sees=("!dialog 'Get our newsletter'",))),
         ()),
    Case("modal-form.html", "Add the address Main St 1, postcode 12345",
         ("#button 'Add address'", "!#textbox 'Street'"),
         (S("click [{id}]", "button", "Add address"),
          S("click [{id}]", "button", "Save address", sees=("dialog 'New address'", "#textbox 'Street' required -invalid")),
          S("type [{id}] [Main St 1] [0]", "textbox", "Street",
            sees=("#textbox 'Street' required invalid", "#textbox 'Postcode' invalid", "~Postcode must be 5 digits")),
          S("type [{id}] [12345] [0]", "textbox", "Postcode"),
          S("click [{id}]", "button", "Save address")),
         ()),
    Case("shadow-card.html", "Put 2 trail shoes in the cart (custom elements, shadow DOM)",
         ("heading 'Rain jacket'", "#button 'Increase quantity'", "#button 'Add to cart'"),
         (S("click [{id}]", "button", "Increase quantity", near="Trail shoes"),
          S("click [{id}]", "button", "Add to cart", near="Trail shoes")),
         ("~Cart: 2 x Trail shoes",)),
    Case("shadow-form.html", "Sign in as ada (password pw1234), remembered",
         ("#textbox 'Username'", "#textbox 'Password' type=password", "#checkbox 'Remember me' -checked"),
         (S("type [{id}] [ada] [0]", "textbox", "Username"), S("type [{id}] [pw1234] [0]", "textbox", "Password"),
          S("click [{id}]", "checkbox", "Remember me"), S("click [{id}]", "button", "Sign in")),
         ("~Done: signed in",)),
    Case("iframe-same.html", "Apply the coupon SPRING (in a same-origin iframe)",
         ("#iframe 'Coupon'", "#textbox 'Coupon code'", "#button 'Apply'"),
         (S("type [{id}] [SPRING] [0]", "textbox", "Coupon code"), S("click [{id}]", "button", "Apply")),
         ("~Coupon applied",)),
    Case("iframe-cross.html", "Pay with card 4242 4242 4242 4242 (a cross-origin iframe)",
         ("#iframe 'Secure payment'", "#textbox 'Card number'", "#button 'Pay now'"),
         (S("type [{id}] [4242424242424242] [0]", "textbox", "Card number"), S("click [{id}]", "button", "Pay now")),
         ("~Done: paid",)),
    Case("iframe-nested.html", "Confirm a window seat (an iframe in an iframe)",
         ("#iframe 'Seat map'", "#iframe 'Seat confirmation'", "#checkbox 'Window seat' -checked"),
         (S("click [{id}]", "checkbox", "Window seat"), S("click [{id}]", "button", "Confirm booking")),
         ()),
    Case("tristate.html", "Select every topping",
         ("#checkbox 'Select all toppings' checked=mixed", "#checkbox 'Mushrooms' checked", "#checkbox 'Peppers' -checked",
          "#checkbox 'All sauces' checked=mixed"),
         (S("click [{id}]", "checkbox", "Select all toppings"),),
         ("#checkbox 'Select all toppings' checked", "#checkbox 'Peppers' checked")),
    Case("form-validation.html", "Send a message as Ada Lovelace, ada@example.com",
         ("#textbox 'Full name' required", "#textbox 'Email' type=email required", "#textbox 'Phone (optional)' type=tel",
          "#textbox 'Message' multiline"),
         (S("click [{id}]", "button", "Send message"),
          S("type [{id}] [Ada Lovelace] [0]", "textbox", "Full name",
            sees=("#textbox 'Full name' required invalid", "~Please fill in the fields marked invalid.")),
          S("type [{id}] [ada@example.com] [0]", "textbox", "Email"),
          S("click [{id}]", "button", "Send message")),
         ("~Done: message sent",)),
    Case("pagination.html", "Open Result 3-2 on the third page",
         ("#link '1' current=page", "#link '3' -current", "#link 'Next'"),
         (S("click [{id}]", "link", "3"), S("click [{id}]", "link", "Result 3-2", sees=("#link '3' current=page",))),
         ()),
    Case("delayed-menu.html", "Sign out (the menu opens 300 ms after the click)",
         ("#button 'Account' expanded=false", "!#menuitem 'Sign out'"),
         (S("click [{id}]", "button", "Account"),
          S("click [{id}]", "menuitem", "Sign out", sees=("#button 'Account' expanded", "#menuitem 'Profile'"))),
         ("~Done: signed out",)),
    Case("hover-menu.html", "Open Laptops in the Products menu (it opens on hover)",
         ("#link 'Products'", "!#link 'Laptops'"),
         (S("hover [{id}]", "link", "Products"), S("click [{id}]", "link", "Laptops", sees=("#link 'Phones'",))),
         ()),
    Case("custom-checkbox.html", "Receive product offers instead of the weekly digest (styled, visually hidden inputs)",
         ("#checkbox 'Weekly digest' checked", "#checkbox 'Product offers' -checked",
          "#checkbox 'Security alerts (always on)' disabled"),
         (S("click [{id}]", "checkbox", "Weekly digest"), S("click [{id}]", "checkbox", "Product offers"),
          S("click [{id}]", "button", "Save preferences")),
         ("#checkbox 'Weekly digest' -checked", "#checkbox 'Product offers' checked")),
    Case("star-rating.html", "Rate the stay 4 stars (radios hidden behind star labels)",
         ("#radio '4 stars' -checked", "#radio '1 star'"),
         (S("click [{id}]", "radio", "4 stars"), S("click [{id}]", "button", "Send rating")),
         ("#radio '4 stars' checked", "~Done: 4 stars")),
    Case("toast-undo.html", "Delete the Team lunch conversation, then undo it from the toast",
         ("#button 'Delete Team lunch'", "!#button 'Undo'"),
         (S("click [{id}]", "button", "Delete Team lunch"),
          S("click [{id}]", "button", "Undo", sees=("~Conversation deleted", "!#button 'Delete Team lunch'"))),
         ("~Done: restored",)),
    Case("enhanced-select.html", "Set the time zone to Asia/Tokyo (a custom widget over a hidden <select>)",
         ("#combobox 'UTC' expanded=false", "~Time zone", "!#combobox 'Time zone'"),
         (S("select [{id}] [Asia/Tokyo]", "combobox", "UTC"),
          S("click [{id}]", "button", "Save profile", sees=("#combobox 'Asia/Tokyo'",))),
         ()),
    Case("search-suggest.html", "Open the suggestion Porto (suggestions are fetched 300 ms after typing)",
         ("#searchbox 'Search destinations'", "!#link 'Porto'"),
         (S("type [{id}] [P] [0]", "searchbox", "Search destinations"),
          S("click [{id}]", "link", "Porto", sees=("#link 'Prague'", "#link 'Paris'"))),
         ("~Done: Porto",)),
)
