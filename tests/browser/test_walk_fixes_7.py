"""What a third walk found: a hospital or place typed in search and not chosen was left out
of the search, which showed rooms anywhere with no word of it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import Pages
from tests.browser.test_payments import requested_booking


def test_a_hospital_typed_and_not_chosen_is_refused_not_ignored(pages: Pages) -> None:
    page = pages.open("visitor")
    page.goto("/#/search")
    hospital = page.get_by_role("searchbox", name="Near hospital")
    hospital.fill("Hopkins")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(hospital).to_have_accessible_description(
        "Type at least two letters of its name, or an abbreviation such as MGH, then choose it"
        " Choose the hospital from the suggestions"
    )
    expect(hospital).to_be_focused()

    hospital.fill("")
    place = page.get_by_role("searchbox", name="Or near a city or ZIP code")
    place.fill("Springfield")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(place).to_have_accessible_description(
        "Type a city or a ZIP code, then choose it Choose the city or ZIP code from the suggestions"
    )
    expect(place).to_be_focused()
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
