"""What a third walk found: a hospital or place typed in search and not chosen was left out
of the search, which showed rooms anywhere with no word of it; a moved rotation's link to a
stay only requested showed nothing of it; a profile listed organizations by their stored
codes. (Also: test_operators.py, no report outcome preset; test_payments.py, the operator's
payment lines; test_accessibility.py, a round's accept asked first.)"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import Client, Pages
from tests.browser.test_payments import requested_booking


def test_a_hospital_typed_and_not_chosen_is_refused_not_ignored(pages: Pages) -> None:
    page = pages.open("visitor")
    page.goto("/#/search")
    hospital = page.get_by_role("searchbox", name="Near hospital")
    hospital.fill("Hopkins")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(hospital).to_have_accessible_description(
        "Type at least two letters of its name, or an abbreviation such as MGH, then choose it"
        " Choose the hospital from the suggestions."
    )
    expect(hospital).to_be_focused()

    hospital.fill("")
    place = page.get_by_role("searchbox", name="Or near a city or ZIP code")
    place.fill("Springfield")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(place).to_have_accessible_description(
        "Type a city or a ZIP code, then choose it Choose the city or ZIP code from the suggestions."
    )
    expect(place).to_be_focused()
    assert pages.errors == []


def test_a_refused_search_leaves_no_other_searchs_rooms_under_the_form(pages: Pages) -> None:
    """A search refused (dates reversed, a hospital typed and not chosen) left the last
    search's rooms listed under the form that now said something else."""
    page = pages.open("visitor")
    page.goto("/#/search")
    search = page.get_by_role("button", name="Search", exact=True)
    results = page.get_by_role("region", name="Results")
    expect(results).to_be_visible()  # the rooms anywhere, with no centre
    page.get_by_label("Check-in").fill("2027-03-10")
    page.get_by_label("Check-out").fill("2027-03-01")
    search.click()
    expect(page.get_by_text("Must be after check-in.")).to_be_visible()
    expect(results).to_have_count(0)

    page.get_by_label("Check-out").fill("2027-03-20")
    search.click()
    expect(results).to_be_visible()
    page.get_by_role("searchbox", name="Near hospital").fill("Hopkins")
    search.click()
    expect(page.get_by_text("Choose the hospital from the suggestions.")).to_be_visible()
    expect(results).to_have_count(0)
    assert pages.errors == []


def test_a_moved_rotations_link_to_a_request_shows_that_request(pages: Pages) -> None:
    """A rotation_moved notice links to ``#/bookings?shift=<id>``; for a stay only requested
    (no form to shift it) the page showed nothing of it: the card is outlined and focused."""
    _, student, booking, _, _ = requested_booking(pages)
    student.goto(f"/#/bookings?shift={booking['id']}")
    card = student.locator(f"#booking-{booking['id']}")
    expect(card).to_be_focused()
    expect(card).to_have_class("card chosen")
    assert pages.errors == []


def test_a_listed_organization_reads_as_its_initials_on_a_profile(pages: Pages) -> None:
    """A public profile listed organizations as stored ("amga")."""
    page = pages.open("host")
    as_host = Client(page.request)
    host_id = as_host.sign_up("professional", "Dr. Member")
    as_host.call("PATCH", "/me/profile", {"organizations": ["amga"]})
    page.goto(f"/#/users/{host_id}")
    expect(page.locator("dd").filter(has_text=re.compile("^AMGA$"))).to_be_visible()
    assert pages.errors == []


def test_clearing_a_searchs_hospital_leaves_focus_in_its_box(pages: Pages) -> None:
    """The "Clear the hospital" button dropped focus to the page, as "Clear the place" did."""
    page = pages.open("visitor")
    page.goto("/#/search?hospital=the-johns-hopkins-hospital-baltimore-md")
    page.get_by_role("button", name="Clear the hospital").click()
    expect(page.get_by_role("searchbox", name="Near hospital")).to_be_focused()
    assert pages.errors == []
