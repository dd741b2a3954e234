"""What a keyboard walk found of inline forms: "Review the host" (or "Review this stay") and
a profile's "Report" opened their form and left focus on the button, so the form's fields
were tabbed to; posting a review removed the form and its button and dropped focus to the
page, as did sending a second report of the same user."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.conftest import FARGO, Client, Pages, future
from tests.browser.test_journey import fargo_room
from tests.browser.test_walk_fixes_3 import press
from tests.eventually import eventually_sync


def test_a_review_form_takes_focus_and_its_thanks_keeps_it(pages: Pages) -> None:
    """ "Review the host" left focus on the button; after "Post review" the form and the
    button were gone and focus fell to the page: the rating takes focus when the form opens,
    the button keeps it when it closes the form, and the thanks takes it once posted."""
    guest_page, host_page = pages.open("guest"), pages.open("host")
    as_host, as_guest = Client(host_page.request, pages.mailbox), Client(guest_page.request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Focus Host")
    title = f"Room that fell through {uuid.uuid4().hex[:6]}"
    listing = fargo_room(as_host, title)
    as_guest.sign_up("student", "Focus Guest")
    booking = as_guest.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(10), "check_out": future(24), "hospital_id": FARGO},
    )
    # A stay the host cancelled can be reviewed at once (a completed one only after its dates).
    as_host.call("POST", f"/bookings/{booking['id']}/accept")
    as_host.call("POST", f"/bookings/{booking['id']}/cancel")

    guest_page.goto("/#/bookings")
    stay = guest_page.get_by_role("listitem").filter(has_text=title)
    toggle = stay.get_by_role("button", name="Review the host")
    press(toggle)
    expect(stay.get_by_label("Rating")).to_be_focused()
    press(toggle)
    expect(stay.get_by_role("form")).to_have_count(0)
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")

    press(toggle)
    rating = stay.get_by_label("Rating")
    expect(rating).to_be_focused()
    rating.select_option("2")
    stay.get_by_label("Your review").fill("Cancelled ten days before my rotation.")
    press(stay.get_by_role("button", name="Post review"))
    thanks = stay.get_by_role("status")
    expect(thanks).to_have_text("Thank you: your review is posted.")
    expect(thanks).to_be_focused()
    expect(toggle).to_have_count(0)
    # The host's rating on the card counts it (it still read "No reviews from guests yet").
    expect(stay).to_contain_text("★ 2.0 from 1 review by guests, over all their rooms")
    assert pages.errors == []


def test_a_report_form_takes_focus_and_gives_it_back(pages: Pages) -> None:
    """A profile's "Report" left focus on the button; a second report sent dropped focus to
    the page (its note, the same words as the first's, was not shown anew): the reason takes
    focus when the form opens, Cancel gives it back to "Report", and each report sent puts
    it on the note that says so. No reason is preset (an untouched form filed "Scam"), and
    a second report while the first is open says its words were added to it (they were
    dropped, and the page said "sent")."""
    as_reported = Client(pages.open("reported").request, pages.mailbox)
    reported_id = as_reported.sign_up("professional", f"Dr. Reported {uuid.uuid4().hex[:6]}")
    page = pages.open("reporter")
    Client(page.request, pages.mailbox).sign_up("student", "Reporter")
    page.goto(f"/#/users/{reported_id}")
    report = page.get_by_role("button", name="Report", exact=True)
    form = page.get_by_role("form", name="Report")

    press(report)
    expect(form.get_by_label("Reason")).to_be_focused()
    expect(report).to_have_attribute("aria-expanded", "true")
    press(form.get_by_role("button", name="Cancel"))
    expect(form).to_have_count(0)
    expect(report).to_be_focused()

    press(report)
    reason = form.get_by_label("Reason")
    expect(reason).to_have_value("")
    press(form.get_by_role("button", name="Send report"))
    expect(reason).to_have_accessible_description("Choose a reason.")
    expect(reason).to_be_focused()
    press(form.get_by_role("button", name="Cancel"))

    sent = page.get_by_role("status").filter(has_text="Report sent to the operators.")
    added = page.get_by_role("status").filter(has_text="what you wrote now was added to it")
    for details, said in (("Asked me to pay by wire.", sent), ("Asked again, from another account's link.", added)):
        press(report)
        expect(form.get_by_label("Reason")).to_be_focused()
        form.get_by_label("Reason").select_option("other" if said is added else "scam")
        form.get_by_label("What happened").fill(details)
        press(form.get_by_role("button", name="Send report"))
        expect(form).to_have_count(0)
        expect(said).to_be_focused()
    assert pages.errors == []


def test_a_mentorship_request_form_on_a_profile_takes_focus(pages: Pages) -> None:
    """A mentor's profile: "Ask … to mentor you" opened its form and left focus on the button,
    short of the message; the message takes it, and the request's notice once sent."""
    as_mentor = Client(pages.open("mentor").request, pages.mailbox)
    name = f"Dr. Mentor {uuid.uuid4().hex[:6]}"
    mentor_id = as_mentor.sign_up("professional", name)
    as_mentor.call(
        "PATCH",
        "/me/profile",
        {"specialties": ["pediatrics"], "hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 1},
    )
    page = pages.open("student")
    Client(page.request, pages.mailbox).sign_up("student", "Keyboard Student")
    page.goto(f"/#/users/{mentor_id}")
    press(page.get_by_role("button", name=f"Ask {name} to mentor you"))
    message = page.get_by_label("Message to the mentor")
    expect(message).to_be_focused()
    message.fill("Advice on pediatric residencies, please.")
    press(page.get_by_role("button", name="Request mentorship"))
    notice = page.get_by_role("status").filter(has_text=f"Mentorship requested from {name}")
    expect(notice).to_be_focused()
    assert pages.errors == []


def test_not_now_on_a_rotations_mentor_request_gives_focus_back(pages: Pages) -> None:
    """A rotation's mentor match: "Not now" closed the request's form and focus fell to the
    page; it goes back to "Ask … to mentor you", in the form's place."""
    as_mentor = Client(pages.open("mentor").request, pages.mailbox)
    name = f"Dr. Later {uuid.uuid4().hex[:6]}"
    mentor_id = as_mentor.sign_up("professional", name)
    as_mentor.call(
        "PATCH",
        "/me/profile",
        {"specialties": ["surgery"], "hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 1},
    )
    page = pages.open("student")
    as_student = Client(page.request, pages.mailbox)
    as_student.sign_up("student", "Undecided Student")
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "surgery", "start_date": future(30), "end_date": future(58)},
    )
    eventually_sync(
        lambda: as_student.call("GET", f"/rotations/{rotation['id']}/mentor-matches?limit=100")["items"],
        15,
        what="the mentor among the student's mentor matches",
        until=lambda items: any(m["mentor"]["id"] == mentor_id for m in items),
        interval=0.1,
    )
    page.goto(f"/#/rotations/{rotation['id']}")
    card = page.get_by_role("list", name="Mentor matches").get_by_role("listitem").filter(has_text=name)
    ask = card.get_by_role("button", name=f"Ask {name} to mentor you")
    press(ask)
    expect(card.get_by_label("Message to the mentor")).to_be_focused()
    press(card.get_by_role("button", name="Not now"))
    expect(ask).to_be_focused()
    assert pages.errors == []
