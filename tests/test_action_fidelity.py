"""Actions do what they say on pages no one here wrote, or fail with a typed error that says why (issue 10)."""

from __future__ import annotations

from tests.test_actions import do, find


async def test_partly_covered_click_lands_on_the_named_element(session, site):
    """repros/partly-covered-click.html: TWO covers most of ONE; the click must reach ONE, not TWO."""
    await session.goto(site.url + "/repros/partly-covered-click.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'ONE')}]", obs)
    assert r.ok, r.error
    assert await session.page.title() == "A"


async def test_covered_clicks_land_or_name_the_cover(session, site):
    await session.goto(site.url + "/fidelity/covered.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'Half hidden')}]", obs)
    assert r.ok, r.error  # its lower half shows below the fixed header
    # a consent banner that arrives after the observation covers the button entirely
    await session.page.evaluate("document.body.append(document.getElementById('tpl').content.cloneNode(true))")
    r, _ = await do(session, f"click [{find(obs, 'button', 'Under banner')}]", obs)
    assert not r.ok and r.error_kind == "covered"
    assert "Cookie consent" in r.error and "dialog" in r.error, r.error
    r, _ = await do(session, f"click [{find(obs, 'button', 'Far below')}]", obs)
    assert r.ok, r.error  # scrolled into view first
    assert await session.page.title() == "covered half far"
    await session.page.evaluate("scrollTo(0, 0)")
    # in an iframe under a veil of the parent page: the cover is found in the parent
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'In frame')}]", obs)
    assert not r.ok and r.error_kind == "covered" and "frame veil" in r.error, r.error
    await session.page.evaluate("document.querySelector('div[style*=\"rgba\"]').remove()")
    r, _ = await do(session, f"click [{find(obs, 'button', 'In frame')}]", obs)
    assert r.ok, r.error
    assert (await session.page.title()).endswith("framed")


async def test_a_cover_that_appears_at_the_press_is_reported(session, site):
    """The press is verified: an element that jumps on top between aiming and pressing takes the click -> error."""
    await session.goto(site.url + "/repros/partly-covered-click.html")
    await session.page.evaluate("""document.getElementById('a').addEventListener('pointerover', () => {
        const b = document.getElementById('b'); b.style.left = '75px'; b.style.top = '60px';
        b.style.width = '60px'; b.style.height = '60px'; }, {once: true})""")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'ONE')}]", obs)
    assert not r.ok and r.error_kind == "covered" and "TWO" in r.error, r.error


def test_human_dates_and_times_convert_to_input_values():
    from datetime import date

    from webagent.fields import holds, to_input_value
    today = date(2026, 5, 1)
    for text in ("10/20/2017", "2017-10-20", "Oct 20 2017", "Oct 20, 2017", "20 October 2017", "October 20th, 2017",
                 "20.10.2017", "20/10/2017", "2017/10/20", "10-20-2017", "Friday, October 20, 2017", "10/20/17"):
        assert to_input_value("date", text, today) == "2017-10-20", text
    assert to_input_value("date", "Oct 20", today) == "2026-10-20"
    for text, want in (("3:30 pm", "15:30"), ("3:30PM", "15:30"), ("15:30", "15:30"), ("3pm", "15:00"),
                       ("3 p.m.", "15:00"), ("12:05 am", "00:05"), ("09:15:30", "09:15:30"), ("1530", "15:30")):
        assert to_input_value("time", text) == want, text
    assert to_input_value("datetime-local", "10/20/2017 3:30 pm", today) == "2017-10-20T15:30"
    assert to_input_value("datetime-local", "2017-10-20T15:30") == "2017-10-20T15:30"
    assert to_input_value("datetime-local", "Oct 20 2017 at 15:30") == "2017-10-20T15:30"
    assert to_input_value("month", "October 2017") == "2017-10"
    assert to_input_value("week", "2017-W42") == "2017-W42"
    assert to_input_value("number", " 42 ") == "42"
    assert to_input_value("text", " keep  spaces ") == " keep  spaces "
    for kind, bad in (("date", "next tuesday"), ("date", "13/13/2017"), ("time", "noonish"), ("number", "1,000")):
        try:
            to_input_value(kind, bad)
        except ValueError as e:
            assert "e.g." in str(e)
        else:
            raise AssertionError(f"{kind} {bad!r} was accepted")
    assert holds("tel", "5551234567", "(555) 123-4567") and holds("number", "3.50", "3.5")
    assert holds("text", "New", "New York")  # an inline autocompletion
    assert not holds("text", "abcdef", "abc") and not holds("text", "x", "") and not holds("text", "ab", "ba")


async def test_typing_is_verified_and_dates_convert(session, site):
    """repros/date-input-typing.html: a date typed as people write it lands in the date field."""
    await session.goto(site.url + "/repros/date-input-typing.html")
    obs = await session.observe()
    field = next(e.id for e in obs.elements.values() if e.role != "button")
    r, _ = await do(session, f"type [{field}] [10/20/2017] [0]", obs)
    assert r.ok, r.error
    assert await session.page.input_value("#d") == "2017-10-20"
    r, _ = await do(session, f"click [{find(obs, 'button', 'Submit')}]", obs)
    assert await session.page.title() == "2017-10-20"
    r, _ = await do(session, f"type [{field}] [sometime soon] [0]", obs)
    assert not r.ok and r.error_kind == "typing_mismatch" and "date" in r.error and "e.g." in r.error, r.error

    await session.goto(site.url + "/fidelity/fields.html")
    obs = await session.observe()
    ids = {e.name: e.id for e in obs.elements.values()}
    for name, text, sel, want in (("At", "3:30 pm", "#time", "15:30"), ("When", "Oct 20 2017 3:30 pm", "#dt",
                                  "2017-10-20T15:30"), ("Month", "October 2017", "#month", "2017-10"),
                                  ("Guests", "12", "#num", "12"), ("Mail", "a@b.org", "#mail", "a@b.org"),
                                  ("Phone", "5551234567", "#phone", "(555) 123-4567")):
        r, _ = await do(session, f"type [{ids[name]}] [{text}] [0]", obs)
        assert r.ok, (name, r.error)
        assert await session.page.input_value(sel) == want, name
    r, _ = await do(session, f"type [{ids['Guests']}] [twelve] [0]", obs)
    assert not r.ok and r.error_kind == "typing_mismatch" and "number" in r.error, r.error
    r, _ = await do(session, f"type [{ids['Code']}] [ABCDEF] [0]", obs)
    assert not r.ok and "holds 'ABC'" in r.error and "at most 3" in r.error, r.error
    r, _ = await do(session, f"type [{ids['Shouty']}] [hello] [0]", obs)
    assert not r.ok and "holds 'NO'" in r.error, r.error
    r, _ = await do(session, f"type [{ids['Editor']}] [rich text here] [0]", obs)
    assert r.ok, r.error
    assert await session.page.inner_text("#ed") == "rich text here"


def test_several_options_are_split_on_the_bar_unless_one_option_has_it():
    from webagent.actions import parse_action
    from webagent.choose import split_options
    opts = ["Brazil", "Angola", "Date | Dried"]
    assert split_options("Brazil|Angola", opts) == ["Brazil", "Angola"]
    assert split_options(" Brazil | Angola ", opts) == ["Brazil", "Angola"]
    assert split_options("Date | Dried", opts) == ["Date | Dried"]
    assert split_options("Angola|Date | Dried|Brazil", opts) == ["Angola", "Date | Dried", "Brazil"]
    a = parse_action("select [4] [Brazil|Mauritania]")
    assert a.text == "Brazil|Mauritania" and str(a) == "select [4] [Brazil|Mauritania]"


async def test_select_multiple_native_and_aria(session, site):
    """repros/select-multiple.html: several options of a <select multiple> in one action."""
    await session.goto(site.url + "/repros/select-multiple.html")
    obs = await session.observe()
    sid = next(e.id for e in obs.elements.values() if e.role in ("listbox", "combobox"))
    r, _ = await do(session, f"select [{sid}] [Brazil|Mauritania]", obs)
    assert r.ok, r.error
    assert r.details["selected"] == ["Brazil", "Mauritania"]
    got = await session.page.eval_on_selector("#s", "s => [...s.selectedOptions].map(o => o.text)")
    assert got == ["Brazil", "Mauritania"]
    r, _ = await do(session, f"select [{sid}] [Angola]", obs)  # the selection becomes exactly what is named
    assert r.ok and await session.page.eval_on_selector("#s", "s => [...s.selectedOptions].map(o => o.text)") == \
        ["Angola"]
    r, _ = await do(session, f"select [{sid}] [Brazil|Peru]", obs)
    assert not r.ok and "no option 'Peru'" in r.error and "Brazil; Angola; Mauritania" in r.error

    await session.goto(site.url + "/index.html")
    obs = await session.observe()
    r, _ = await do(session, f"select [{find(obs, 'combobox', 'Colour')}] [Red|Blue]", obs)
    assert not r.ok and "takes one option" in r.error

    await session.goto(site.url + "/fidelity/listbox.html")
    obs = await session.observe()
    fruit = next(e.id for e in obs.elements.values() if e.role == "listbox" and "Fruit" in e.name)
    r, _ = await do(session, f"select [{fruit}] [Apple|Cherry|Date | Dried]", obs)
    assert r.ok, r.error
    selected = await session.page.eval_on_selector_all("#fruit [aria-selected=true]", "os => os.map(o => o.textContent)")
    assert selected == ["Apple", "Cherry", "Date | Dried"]  # Banana, selected before, was not asked for
    size = next(e.id for e in obs.elements.values() if e.role == "listbox" and "Size" in e.name)
    r, _ = await do(session, f"select [{size}] [large]", obs)
    assert r.ok and await session.page.eval_on_selector("#size [aria-selected=true]", "o => o.textContent") == "Large"
    r, _ = await do(session, f"select [{size}] [Small|Large]", obs)
    assert not r.ok and "takes one option" in r.error
    r, _ = await do(session, f"select [{find(obs, 'combobox', 'City')}] [Oslo]", obs)
    assert r.ok, r.error  # opened by a click, its options appear 200 ms later, then one is clicked
    assert await session.page.title() == "city Oslo"
    r, _ = await do(session, f"select [{find(obs, 'combobox', 'Browser')}] [chromium]", obs)
    assert r.ok and await session.page.input_value("#browser") == "Chromium", r.error


async def test_select_finds_each_option_again_and_verifies_a_datalist(session, site):
    """A multi-select whose list grows after the first click (Apple reveals Apple pie): the second option is found
    by its text among the options shown then, not by its place in the first list. A datalist choice is checked
    against the field's value like any other selection."""
    await session.goto(site.url + "/fidelity/listbox-shifting.html")
    obs = await session.observe()
    produce = next(e.id for e in obs.elements.values() if e.role == "listbox" and "Produce" in e.name)
    r, _ = await do(session, f"select [{produce}] [Apple|Cherry]", obs)
    assert r.ok, r.error
    selected = await session.page.eval_on_selector_all("#produce [aria-selected=true]",
                                                       "os => os.map(o => o.textContent)")
    assert selected == ["Apple", "Cherry"]
    r, _ = await do(session, f"select [{find(obs, 'combobox', 'Airport')}] [Oslo]", obs)
    assert not r.ok and "holds 'osl'" in r.error, r.error


async def test_ui_that_opens_late_is_in_the_next_observation(session, site):
    """Settle waits for what the action started: a menu rendered 300 ms after the click (then faded in), a tooltip
    that appears 150 ms after a hover once its request answers."""
    await session.goto(site.url + "/fidelity/delayed-menu.html")
    obs = await session.observe()
    r, _ = await do(session, f"click [{find(obs, 'button', 'Menu')}]", obs)
    assert r.ok, r.error
    after = await session.observe()
    assert "menuitem 'Settings'" in after.text, after.text
    assert await session.page.evaluate("getComputedStyle(document.getElementById('menu')).opacity") == "1"
    r, _ = await do(session, f"hover [{find(after, 'generic', 'Help')}]", after)
    assert r.ok, r.error
    assert "Ask us anything" in (await session.observe()).text


async def test_the_policy_grammar_offers_each_lists_own_options(session, site):
    """A list's own options reach the grammar, so a constrained model names a real option (the 270M model used to
    write the prompt's placeholder, `select [69] [option]`); a combobox whose popup lives elsewhere takes any text."""
    from tests.scripted import ScriptedChat
    from webagent.llm.metered import MeteredChat
    from webagent.policy import Policy

    await session.goto(site.url + "/fidelity/listbox.html")
    obs = await session.observe()
    fruit = next(e for e in obs.elements.values() if e.role == "listbox" and "Fruit" in e.name)
    city = next(e for e in obs.elements.values() if e.role == "combobox" and "City" in e.name)
    assert fruit.options == ("Apple", "Banana", "Cherry", "Date | Dried") and city.options == ()
    model = ScriptedChat([f"select [{fruit.id}] [Cherry]"])
    [cand] = await Policy(MeteredChat(model)).propose("pick cherry", obs, [])
    grammar = model.calls[0]["grammar"]
    assert f'select-{fruit.id} ::= "Apple" | "Banana" | "Cherry" | "Date | Dried"' in grammar
    assert str(city.id) in grammar.split("select-free ::=")[1].splitlines()[0]
    assert cand.action.text == "Cherry"
