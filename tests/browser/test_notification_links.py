"""A notification opens the page where its reader acts on it (found walking): a host's
acceptance opened the booking's conversation, which said "pay through Wardmate" with no
way to pay; a mentor's acceptance, and the plan's goal and meeting notices, opened the
inbox or the list of mentorships instead of the plan; a letter's notices opened the list
of letters, not the request."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from services.runner import Stack
from tests.browser.conftest import FARGO, Client, Pages, future
from tests.browser.test_accessibility import mentors_known
from tests.browser.test_client_fixes import room
from tests.browser.test_payments import accepted_booking, requested_booking
from tests.browser.test_plan_goals import accepted_pair


def open_notice(page: Page, text: str) -> None:
    """Open the notifications page and follow the notice that says ``text``."""
    page.goto("/#/notifications")
    page.get_by_role("link", name=re.compile(re.escape(text))).click()


def test_an_accepted_stay_notice_opens_its_payment(pages: Pages) -> None:
    _, student, booking, _ = accepted_booking(pages)
    open_notice(student, "Dr. Paid accepted your request")
    expect(student).to_have_url(re.compile(rf"#/bookings/{booking['id']}/pay$"))
    expect(student.get_by_role("button", name=re.compile(r"^Pay \$"))).to_be_visible()
    assert pages.errors == []


def test_a_request_notice_opens_the_requests_card(pages: Pages) -> None:
    """A host's request notice opened the conversation; Accept and Decline are on the card."""
    host, _, booking, _, _ = requested_booking(pages)
    open_notice(host, "requested")
    expect(host).to_have_url(re.compile(rf"#/bookings\?booking={booking['id']}$"))
    card = host.locator(f"#booking-{booking['id']}")
    expect(card.get_by_role("button", name="Accept")).to_be_visible()
    assert pages.errors == []


def test_mentoring_notices_open_the_plan(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    plan = re.compile(rf"#/mentorships/{pair.mentorship_id}$")
    open_notice(pair.student, f"Dr. Goals {tag} agreed to be your mentor")
    expect(pair.student).to_have_url(plan)
    expect(pair.student.get_by_role("heading", name="Goals", exact=True)).to_be_visible()

    pair.as_mentor.call("POST", f"/mentorships/{pair.mentorship_id}/goals", {"title": f"Present on rounds {tag}"})
    pair.student.goto("/#/notifications")
    notice = pair.student.get_by_role("link", name=re.compile(f"Dr. Goals {tag} added a goal to your mentoring plan"))
    notice.click()
    expect(pair.student).to_have_url(plan)
    expect(pair.student.get_by_role("list", name="Goals", exact=True)).to_contain_text(f"Present on rounds {tag}")
    assert pages.errors == []


def test_letter_notices_open_the_letter(pages: Pages, stack: Stack) -> None:
    """The writer's and the student's letter notices open that request, where each acts;
    the writer reads that the student confirmed the letter arrived (it read "confirmed
    your letter request")."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    writer_id = pair.as_mentor.call("GET", "/me")["user"]["id"]
    body = {
        "writer_id": writer_id,
        "specialty": "Cardiology",
        "deadline": future(30),
        "application": "other",
        "waived": True,
    }
    letter = pair.as_student.call("POST", "/letters", body)
    page = re.compile(rf"#/letters/{letter['id']}$")

    open_notice(pair.mentor, f"Student Goals {tag} asked you for a letter of recommendation")
    expect(pair.mentor).to_have_url(page)
    pair.mentor.get_by_role("button", name="Agree to write").click()
    open_notice(pair.student, f"Dr. Goals {tag} accepted your letter request")
    expect(pair.student).to_have_url(page)

    pair.as_mentor.call("POST", f"/letters/{letter['id']}/submit", {})
    open_notice(pair.student, f"Dr. Goals {tag} uploaded your letter")
    expect(pair.student).to_have_url(page)
    pair.student.get_by_role("button", name="Confirm it arrived").click()
    open_notice(pair.mentor, f"Student Goals {tag} confirmed your letter arrived")
    expect(pair.mentor).to_have_url(page)
    assert pages.errors == []


def test_a_suggested_mentor_opens_the_rotations_matches(pages: Pages, stack: Stack) -> None:
    """A mentor suggested for a rotation opens that rotation's page, where its mentors are
    listed with "Ask"; it opened the list of rotations, which does not show them."""
    tag = uuid.uuid4().hex[:6]
    student, mentor = pages.open("student"), pages.open("mentor")
    as_student, as_mentor = Client(student.request), Client(mentor.request)
    mentor_id = as_mentor.sign_up("professional", f"Dr. Suggested {tag}")
    as_mentor.call(
        "PATCH",
        "/me/profile",
        {"specialties": ["cardiology"], "hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 2},
    )
    as_student.sign_up("student", f"Student Suggested {tag}")
    mentors_known(stack, [mentor_id])
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "cardiology", "start_date": future(20), "end_date": future(48)},
    )
    open_notice(student, f"Dr. Suggested {tag} could mentor you")
    expect(student).to_have_url(re.compile(rf"#/rotations/{rotation['id']}$"))
    matches = student.get_by_role("list", name="Mentor matches")
    expect(matches).to_contain_text(f"Dr. Suggested {tag}")
    assert pages.errors == []


def test_nights_free_again_open_the_room_with_those_dates(pages: Pages) -> None:
    """A request declined because another stay took its nights: once that stay is
    cancelled, its notice opens the room, and its card says the nights are free again,
    with a link to ask for them that fills in the dates (it still said "look for another
    room"). The host's card says the guest was told."""
    tag = uuid.uuid4().hex[:6]
    host, student = pages.open("host"), pages.open("student")
    as_host, as_student = Client(host.request, pages.mailbox), Client(student.request, pages.mailbox)
    as_first = Client(pages.open("first").request, pages.mailbox)
    as_host.sign_up("professional", f"Dr. Freed {tag}")
    as_student.sign_up("student", f"Freed Student {tag}")
    as_first.sign_up("student", f"First Guest {tag}")
    listing = as_host.call("POST", "/listings", room(title=f"Room freed {tag}"))
    stay = {"check_in": future(20), "check_out": future(40), "hospital_id": FARGO}
    first = as_first.call("POST", f"/listings/{listing['id']}/bookings", stay)
    mine = as_student.call("POST", f"/listings/{listing['id']}/bookings", stay | {"check_in": future(25)})
    as_host.call("POST", f"/bookings/{first['id']}/accept", {})
    as_first.call("POST", f"/bookings/{first['id']}/cancel", {})

    open_notice(student, f"the nights you asked for at “Room freed {tag}”")
    # The room, with the request's dates filled in.
    expect(student).to_have_url(re.compile(rf"#/listings/{listing['id']}\?booking={mine['id']}$"))
    notice_form = student.get_by_role("form", name="Request a booking")
    expect(notice_form.get_by_label("Check-in")).to_have_value(future(25))
    expect(notice_form.get_by_label("Check-out")).to_have_value(future(40))
    student.goto(f"/#/bookings?booking={mine['id']}")
    card = student.get_by_role("listitem").filter(has_text=f"Room freed {tag}")
    expect(card).to_contain_text("That stay no longer holds them: they are free again.")
    card.get_by_role("link", name="Ask for them again").click()
    form = student.get_by_role("form", name="Request a booking")
    expect(form.get_by_label("Check-in")).to_have_value(future(25))
    expect(form.get_by_label("Check-out")).to_have_value(future(40))
    host.goto("/#/bookings")
    host_card = host.get_by_role("listitem").filter(has_text="Declined when you accepted")
    expect(host_card).to_contain_text("those nights are free again, and the guest was told")
    # Asked again: the old card no longer asks it (it still said "free again" beside the new one).
    form.get_by_role("button", name="Request booking").click()
    expect(student.get_by_text("Request sent.")).to_be_visible()
    student.goto(f"/#/bookings?booking={mine['id']}")
    old = student.get_by_role("listitem").filter(has_text="another guest's stay was accepted")
    expect(old).to_have_count(1)
    expect(student.get_by_role("link", name="Ask for them again")).to_have_count(0)

    assert pages.errors == []
