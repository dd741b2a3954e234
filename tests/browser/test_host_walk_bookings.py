"""A host's and a guest's walk through bookings: another account's booking (or a made-up
id) on the pay, receipt and bookings pages, overlapping requests for one room, and who
cancelled a stay."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, Client, Pages, future
from tests.browser.test_journey import fargo_room
from tests.browser.test_payments import requested_booking, shown
from tests.eventually import eventually_sync

NOT_YOURS = "It does not exist, or it is another account's booking"
NOT_AMONG = "That booking is not among yours: it does not exist, or it is another account's"


def stranger(pages: Pages) -> Page:
    """A second student's page, signed up and logged in."""
    page = pages.open("stranger")
    Client(page.request, pages.mailbox).sign_up("student", "Curious Student")
    return page


def test_another_accounts_pay_page_says_not_found_at_once(pages: Pages) -> None:
    """The pay page of another account's booking, or of a made-up id, read "Getting your
    payment ready…" for 30 s (payments' not_found taken for an acceptance it had not heard
    of yet) before a bare "Booking not found": it says at once that the booking is not
    here, with a way back to Bookings; the receipt page too (it showed only the API's error)."""
    _, owner, booking, _, as_host = requested_booking(pages)
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    other = stranger(pages)
    for made_up in (booking["id"], str(uuid.uuid4())):
        other.goto(f"/#/bookings/{made_up}/pay")
        expect(other.get_by_role("heading", name="Payment")).to_be_visible()
        expect(other.get_by_text(NOT_YOURS)).to_be_visible(timeout=5_000)
        expect(other.get_by_text("Getting your payment ready")).to_have_count(0)
        expect(other.get_by_role("link", name="Your bookings")).to_have_attribute("href", "#/bookings")
        other.goto(f"/#/bookings/{made_up}/receipt")
        expect(other.get_by_role("heading", name="Receipt")).to_be_visible()
        expect(other.get_by_text(NOT_YOURS)).to_be_visible(timeout=5_000)
        expect(other.get_by_role("alert")).to_have_count(0)
    # The owner's own accepted booking still gets its card form.
    owner.goto(f"/#/bookings/{booking['id']}/pay")
    expect(owner.get_by_role("form", name="Card payment")).to_be_visible(timeout=15_000)
    expect(owner.get_by_text(NOT_YOURS)).to_have_count(0)
    assert pages.errors == [], pages.errors


def test_a_booking_link_to_a_booking_not_among_yours_says_so(pages: Pages) -> None:
    """#/bookings?booking=<id> (the pay page's "Back to the booking") of another account's
    booking showed the visitor's own list without a word: a status line says the booking is
    not among theirs. The owner's link to it says nothing of the kind."""
    _, owner, booking, _, _ = requested_booking(pages)
    other = stranger(pages)
    other.goto(f"/#/bookings?booking={booking['id']}")
    expect(other.get_by_role("status").filter(has_text=NOT_AMONG)).to_be_visible()
    other.goto(f"/#/bookings?booking={uuid.uuid4()}")
    expect(other.get_by_role("status").filter(has_text=NOT_AMONG)).to_be_visible()
    owner.goto(f"/#/bookings?booking={booking['id']}")
    expect(owner.get_by_role("listitem", name=re.compile("Paid room"))).to_be_focused()
    expect(owner.get_by_text(NOT_AMONG)).to_have_count(0)
    assert pages.errors == [], pages.errors


def request_stay(pages: Pages, listing: dict[str, Any], name: str, start: int, end: int) -> None:
    page = pages.open(name)
    as_guest = Client(page.request, pages.mailbox)
    as_guest.sign_up("student", name)
    as_guest.call("POST", f"/listings/{listing['id']}/bookings", {"check_in": future(start), "check_out": future(end)})


def test_a_host_is_told_which_requests_overlap_before_accepting(pages: Pages) -> None:
    """Two requests for some of the same nights of a room showed no hint of it, and Accept
    on one declined the other at once ("Declined: you accepted another guest's stay…"):
    each card says how many other requests want its nights, and Accept asks first, naming
    that they are declined. A request that overlaps none is accepted without a question."""
    host = pages.open("host")
    as_host = Client(host.request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Busy Host")
    listing = fargo_room(as_host, f"Wanted room {uuid.uuid4().hex[:6]}")
    request_stay(pages, listing, "First Student", 10, 24)
    request_stay(pages, listing, "Second Student", 20, 34)
    request_stay(pages, listing, "Third Student", 50, 64)
    host.goto("/#/bookings")
    first = host.get_by_role("listitem", name=re.compile(re.escape(f"{shown(10)} – ")))
    second = host.get_by_role("listitem", name=re.compile(re.escape(f"{shown(20)} – ")))
    third = host.get_by_role("listitem", name=re.compile(re.escape(f"{shown(50)} – ")))
    overlap = "1 other request wants some of these nights: accepting this one declines it."
    expect(first).to_contain_text(overlap)
    expect(second).to_contain_text(overlap)
    expect(third).not_to_contain_text("other request")

    first.get_by_role("button", name="Accept", exact=True).click()
    question = first.get_by_role("group", name=re.compile("Accept this request"))
    expect(question).to_contain_text("It declines the other request for some of these nights.")
    question.get_by_role("button", name="Keep it").click()
    expect(first.get_by_role("button", name="Accept", exact=True)).to_be_focused()
    expect(second).to_contain_text("Requested")
    first.get_by_role("button", name="Accept", exact=True).click()
    first.get_by_role("button", name="Yes, accept").click()
    expect(first).to_contain_text("Accepted")
    expect(second).to_contain_text("Declined: you accepted another guest's stay")
    expect(first).not_to_contain_text("other request")

    third.get_by_role("button", name="Accept", exact=True).click()
    expect(third).to_contain_text("Accepted")
    expect(host.get_by_role("group", name=re.compile("Accept this request"))).to_have_count(0)
    assert pages.errors == [], pages.errors


def test_a_stay_the_guest_cancelled_says_who_cancelled_it(pages: Pages) -> None:
    """The host's card of a stay its guest cancelled read only "Cancelled" (one the host
    cancelled said "You cancelled this stay"): it says "The guest cancelled this stay", and
    the guest's card "You cancelled this stay"."""
    host, student, booking, as_student, as_host = requested_booking(pages)
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    as_student.call("POST", f"/bookings/{booking['id']}/cancel", {})
    host.goto("/#/bookings")
    card = host.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text("Cancelled")
    expect(card).to_contain_text("The guest cancelled this stay.")
    student.goto("/#/bookings")
    card = student.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text("You cancelled this stay.")
    expect(card).not_to_contain_text("The host cancelled")
    assert pages.errors == [], pages.errors


def test_a_request_withdrawn_before_an_answer_reads_withdrawn(pages: Pages) -> None:
    """A request its guest cancelled before the host answered read "Cancelled" and "You
    cancelled this stay" (a stay that never was): both cards say it was withdrawn."""
    host, student, booking, as_student, _ = requested_booking(pages)
    as_student.call("POST", f"/bookings/{booking['id']}/cancel", {})
    host.goto("/#/bookings")
    card = host.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text("Withdrawn")
    expect(card).to_contain_text("The guest withdrew this request before you answered.")
    expect(card).not_to_contain_text("cancelled this stay")
    student.goto("/#/bookings")
    card = student.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text("You withdrew this request before the host answered.")
    assert pages.errors == [], pages.errors


def test_a_deleted_guests_stay_says_so_to_the_host(pages: Pages) -> None:
    """A guest who deleted their account: the host's card said "The guest cancelled this
    stay.", linked a profile that answered "User not found", and offered a message to
    nobody. It says the account was deleted, with neither."""
    host, _, booking, as_student, as_host = requested_booking(pages)
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    as_student.call("DELETE", "/me", {"password": PASSWORD})
    card = host.get_by_role("listitem").filter(has_text=booking["listing_title"])

    def deleted_shown() -> bool:
        host.goto("/#/bookings")
        expect(card).to_be_visible()
        return "Guest: Deleted user" in card.inner_text()

    eventually_sync(deleted_shown, 30, what="the guest's deletion on the host's card", interval=0.5)
    expect(card).to_contain_text("The guest deleted their account, which cancelled this stay.")
    expect(card.get_by_role("link", name="The guest's profile")).to_have_count(0)
    expect(card.get_by_role("button", name="Message guest")).to_have_count(0)
    assert pages.errors == []
