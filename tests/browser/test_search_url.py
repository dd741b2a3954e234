"""The search page follows its URL: a new query (the menu's "Find a room", a hash changed by
hand, Back or Forward) sets the form, the pickers and the results to what it says. The page
was reused with the new query and kept the last search's form and results."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PHONE, Client, Pages, future
from tests.browser.test_client_fixes import room

# Hospitals no other test searches near: the rooms made here are the only ones within reach.
GLENNALLEN = "cross-road-medical-center-glennallen-ak"
GLENNALLEN_LABEL = "Cross Road Medical Center, Glennallen, AK"
GLENNALLEN_POINT = (62.108932, -145.540928)
UNALASKA = "iliuliuk-family-and-health-services-inc-unalaska-ak"
UNALASKA_LABEL = "Iliuliuk Family and Health Services Inc, Unalaska, AK"
UNALASKA_POINT = (53.872244, -166.539324)
HOSPITAL_HINT = "Type at least two letters of its name, or an abbreviation such as MGH, then choose it"


def rooms_near_both(pages: Pages) -> tuple[str, str]:
    """A room near Glennallen's hospital and one near Unalaska's: their titles."""
    as_host = Client(pages.open("host").request)
    as_host.sign_up("professional", "Dr. Two Towns")
    tag = uuid.uuid4().hex[:6]
    titles = []
    for town, (lat, lon) in (("Glennallen", GLENNALLEN_POINT), ("Unalaska", UNALASKA_POINT)):
        body = room(title=f"{town} room {tag}", address=f"1 Main St, {town}, AK", latitude=lat + 0.01, longitude=lon)
        titles.append(as_host.call("POST", "/listings", body)["title"])
    return titles[0], titles[1]


def glennallen_search(**more: str) -> str:
    point = {"lat": str(GLENNALLEN_POINT[0]), "lon": str(GLENNALLEN_POINT[1])}
    return "#/search?" + urlencode({"hospital": GLENNALLEN, "hname": GLENNALLEN_LABEL, **point, **more})


def cards_of(page: Page) -> Locator:
    return page.get_by_role("list", name="Rooms").get_by_role("listitem")


def shows_a_bare_search(page: Page) -> None:
    """The form of #/search (no hospital, place, dates or rent) and its results: rooms
    anywhere, with no distance (no centre) and no stay's total (no dates)."""
    hospital = page.get_by_role("searchbox", name="Near hospital")
    expect(hospital).to_have_accessible_description(HOSPITAL_HINT)
    expect(hospital).to_have_value("")
    expect(page.get_by_role("button", name="Clear the hospital")).to_have_count(0)
    expect(page.get_by_role("searchbox", name="Or near a city or ZIP code")).to_be_visible()
    expect(page.get_by_label("Check-in")).to_have_value("")
    expect(page.get_by_label("Check-out")).to_have_value("")
    expect(page.get_by_label("Max rent per month (USD)")).to_have_value("")
    cards = cards_of(page)
    expect(cards.first).to_be_visible()
    expect(cards.filter(has_text=" km from ")).to_have_count(0)
    expect(cards.filter(has_text="for your")).to_have_count(0)
    assert "hospital=" not in page.url and "from=" not in page.url, page.url


def test_the_menus_find_a_room_starts_a_new_search(pages: Pages) -> None:
    """On a hospital's search, the menu's "Find a room" (#/search) left that hospital, its
    dates, rent and rooms on screen under a URL without them: it shows the bare search, also
    after a search run there had rewritten the URL (the query #/search again)."""
    glennallen_room, _ = rooms_near_both(pages)
    page = pages.open("visitor")
    page.goto("/" + glennallen_search(**{"from": future(10), "to": future(24), "max_rent": "2000"}))
    cards = cards_of(page)
    expect(page.get_by_text(f"Chosen: {GLENNALLEN_LABEL}")).to_be_visible()
    expect(cards.filter(has_text=glennallen_room)).to_contain_text("for your 14 nights")
    find_a_room = page.get_by_role("navigation", name="Main").get_by_role("link", name="Find a room")
    find_a_room.click()
    shows_a_bare_search(page)
    # The page made anew, the heading still takes focus (app.js, after a hash change).
    expect(page.get_by_role("heading", name="Find a room", level=1)).to_be_focused()

    # A search run here writes its query into the URL; "Find a room" is #/search again.
    page.get_by_role("searchbox", name="Near hospital").fill("Cross Road Medical")
    page.get_by_role("button", name=GLENNALLEN_LABEL).click()
    page.get_by_label("Check-in").fill(future(20))
    page.get_by_label("Check-out").fill(future(27))
    search = page.get_by_role("button", name="Search", exact=True)
    search.click()
    expect(cards.filter(has_text=glennallen_room)).to_contain_text("for your 7 nights")
    expect(search).to_be_focused()
    assert f"hospital={GLENNALLEN}" in page.url and f"from={future(20)}" in page.url, page.url
    find_a_room.click()
    shows_a_bare_search(page)
    assert pages.errors == []


def test_a_hash_changed_by_hand_or_by_back_and_forward_shows_its_search(pages: Pages) -> None:
    """From one hospital's search to another's by the URL (typed, or Back and Forward), or to
    other dates, the page kept the first search's hospital, dates and rooms."""
    glennallen_room, unalaska_room = rooms_near_both(pages)
    page = pages.open("visitor")
    cards = cards_of(page)
    check_in = page.get_by_label("Check-in")
    page.goto("/" + glennallen_search(**{"from": future(10), "to": future(24)}))
    expect(cards.filter(has_text=glennallen_room)).to_contain_text("for your 14 nights")

    # Another hospital, named by its id alone: looked up and named as a deep link's is.
    unalaska = "#/search?" + urlencode({"hospital": UNALASKA, "from": future(30), "to": future(37)})
    page.evaluate("(hash) => { location.hash = hash; }", unalaska)
    expect(page.get_by_text(f"Chosen: {UNALASKA_LABEL}")).to_be_visible()
    expect(check_in).to_have_value(future(30))
    expect(cards.filter(has_text=unalaska_room)).to_contain_text("for your 7 nights")
    expect(cards.filter(has_text=unalaska_room)).to_contain_text(f"from {UNALASKA_LABEL}")
    expect(cards.filter(has_text=glennallen_room)).to_have_count(0)

    page.go_back()
    expect(page.get_by_text(f"Chosen: {GLENNALLEN_LABEL}")).to_be_visible()
    expect(check_in).to_have_value(future(10))
    expect(cards.filter(has_text=glennallen_room)).to_contain_text("for your 14 nights")
    expect(cards.filter(has_text=unalaska_room)).to_have_count(0)

    page.go_forward()
    expect(page.get_by_text(f"Chosen: {UNALASKA_LABEL}")).to_be_visible()
    expect(check_in).to_have_value(future(30))
    expect(cards.filter(has_text=unalaska_room)).to_contain_text("for your 7 nights")

    # The same hospital, other dates.
    page.evaluate("(hash) => { location.hash = hash; }", unalaska.replace(future(37), future(44)))
    expect(page.get_by_label("Check-out")).to_have_value(future(44))
    expect(cards.filter(has_text=unalaska_room)).to_contain_text("for your 14 nights")
    expect(page.get_by_text(f"Chosen: {UNALASKA_LABEL}")).to_be_visible()
    assert pages.errors == []


def test_a_menu_link_followed_closes_the_phone_menu(pages: Pages) -> None:
    """The phone menu closed only when the path changed: "Find a room" from a search (the
    same path, another query) left it open over the new search. A link to the page shown
    closes it too, and focus goes to the page's heading, not a link the menu now hides."""
    page = pages.open("student", PHONE)
    Client(page.request).sign_up("student", "Menu Searcher")
    page.goto("/" + glennallen_search())
    chosen = page.get_by_text(f"Chosen: {GLENNALLEN_LABEL}")
    expect(chosen).to_be_visible()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Find a room").click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(chosen).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Home")).to_be_hidden()

    page.goto("/#/")
    heading = page.get_by_role("heading", level=1, name="Welcome, Menu Searcher")
    expect(heading).to_be_visible()
    menu.click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Home").click()
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(heading).to_be_focused()
    assert pages.errors == []
