"""What a walk through a mentorship after "accepted" found: a meeting agreed and then asked
to move could not be said to have taken place at its agreed time, and proposals that never
had a time agreed (declined, cancelled) showed no times at all."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import expect

from services.runner import Stack
from tests import samples
from tests.api import link_token
from tests.browser.conftest import PASSWORD, PHONE, Client, Pages, future
from tests.browser.test_accessibility import operators_page
from tests.browser.test_client_fixes import room
from tests.browser.test_payments import accepted_booking, fill_card
from tests.browser.test_plan_goals import accepted_pair
from tests.browser.test_suspended_list import as_operator
from tests.eventually import eventually_sync


def _meeting(plan: dict[str, Any], meeting_id: str) -> dict[str, Any]:
    [meeting] = [m for m in plan["meetings"] if m["id"] == meeting_id]
    return meeting


def test_a_meeting_asked_to_move_can_be_said_held_and_past_proposals_name_their_times(
    pages: Pages, stack: Stack
) -> None:
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    plan_path = f"/mentorships/{pair.mentorship_id}/plan"
    soon = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    pair.as_student.call("POST", f"/mentorships/{pair.mentorship_id}/meetings", {"options": [soon.isoformat()]})
    [agreed] = pair.as_mentor.call("GET", plan_path)["meetings"]
    pair.as_mentor.call("POST", f"/meetings/{agreed['id']}/accept", {"starts_at": agreed["options"][0]["utc"]})
    # The student asks to move it; before anyone answers, the pair meets at the agreed time.
    later = (soon + timedelta(days=2)).isoformat()
    pair.as_student.call("POST", f"/meetings/{agreed['id']}/reschedule", {"options": [later]})
    # And a proposal the student took back, which never had a time agreed.
    pair.as_student.call(
        "POST", f"/mentorships/{pair.mentorship_id}/meetings", {"options": [(soon + timedelta(days=5)).isoformat()]}
    )
    [dropped] = [m for m in pair.as_student.call("GET", plan_path)["meetings"] if m["id"] != agreed["id"]]
    pair.as_student.call("POST", f"/meetings/{dropped['id']}/cancel")

    pair.mentor.goto(f"/#/mentorships/{pair.mentorship_id}")
    meetings = pair.mentor.get_by_role("list", name="Meetings")
    offered = _meeting(pair.as_mentor.call("GET", plan_path), dropped["id"])["options"][0]["yours"]
    # It read "A new meeting · Cancelled · 30 minutes", like every other dropped proposal.
    cancelled = meetings.get_by_role("listitem", name=f"Meeting Proposed for {offered}, cancelled")
    expect(cancelled.get_by_role("heading", level=3)).to_contain_text(f"Proposed for {offered}")

    moving = meetings.get_by_role("listitem", name=re.compile(r", scheduled$"))
    expect(moving).to_contain_text("New times are proposed")
    # It was refused as "proposed", and the card offered no "We met".
    moving.get_by_role("button", name="We met").click()
    moving.get_by_role("button", name="Yes, we met").click()
    expect(meetings.get_by_role("heading", level=3).filter(has_text="Held")).to_have_count(1)
    held = _meeting(pair.as_mentor.call("GET", plan_path), agreed["id"])
    assert held["status"] == "held" and held["starts_at"]["utc"] == agreed["options"][0]["utc"], held
    # The student, whose new times went, is told.
    told = pair.as_student.call("GET", "/notifications")["items"]
    assert any("took place: the new times proposed for it are withdrawn" in n["text"] for n in told), told
    assert pages.errors == []


def test_a_paused_room_tells_its_guest_it_takes_no_requests(pages: Pages) -> None:
    """A host paused (drafted) a room a student has a stay in: its page offered the booking
    form, priced the dates as available, and the request answered "Listing not found"."""
    student = pages.open("student", PHONE)
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    as_host.sign_up("professional", "Dr. Paused")
    listing = as_host.call("POST", "/listings", room())
    as_student.sign_up("student", "Paused Guest")
    booking = as_student.call(
        "POST", f"/listings/{listing['id']}/bookings", {"check_in": future(20), "check_out": future(40)}
    )
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    as_host.call("PATCH", f"/listings/{listing['id']}", {"status": "draft"})

    quote = as_student.call("GET", f"/listings/{listing['id']}/quote?check_in={future(50)}&check_out={future(70)}")
    assert quote["available"] is False and quote["reason"] == "the host is not taking requests for this room now"
    refused = student.request.post(
        f"/api/v1/listings/{listing['id']}/bookings",
        headers={"Authorization": f"Bearer {as_student.token}"},
        data={"check_in": future(50), "check_out": future(70)},
    )
    assert refused.status == 409 and "not taking requests" in refused.json()["error"]["message"], refused.text()

    student.goto(f"/#/listings/{listing['id']}?from={future(50)}&to={future(70)}")
    paused = "The host is not taking requests for this room now. Your bookings above stand."
    expect(student.get_by_text(paused)).to_be_visible()
    expect(student.get_by_role("form", name="Request a booking")).to_have_count(0)
    expect(student.get_by_role("list", name="Your bookings of this room")).to_contain_text("Accepted")
    assert pages.errors == []


def test_ending_a_mentorship_says_what_happens_to_its_meetings(pages: Pages, stack: Stack) -> None:
    """The question "End this mentorship?" alone did not say the pair's meetings go with it."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    pair.student.goto("/#/mentorships")
    card = pair.student.get_by_role("listitem").filter(has_text=f"Dr. Goals {tag}")
    card.get_by_role("button", name="End mentorship").click()
    question = card.get_by_role("group", name=re.compile(r"^End this mentorship\?"))
    expect(question).to_contain_text(
        f"Its meetings not yet held are cancelled (Dr. Goals {tag} is told), and its plan can no longer change."
    )
    question.get_by_role("button", name="Keep it").click()
    assert pair.as_student.call("GET", f"/mentorships/{pair.mentorship_id}/plan")["status"] == "accepted"
    assert pages.errors == []


def test_archiving_a_room_asks_on_the_page(pages: Pages) -> None:
    """Archive asked with the browser's own dialog (every other question is asked on the
    page, and a dialog's buttons are the browser's, not the page's)."""
    host = pages.open("host", PHONE)
    as_host = Client(host.request)
    as_host.sign_up("professional", "Dr. Archiver")
    listing = as_host.call("POST", "/listings", room())
    host.goto("/#/listings")
    card = host.get_by_role("list", name="Your rooms").get_by_role("listitem").filter(has_text=listing["title"])
    card.get_by_role("button", name=f"Archive {listing['title']}").click()
    question = card.get_by_role("group", name=re.compile(r"^Archive “"))
    expect(question).to_contain_text("This cannot be undone.")
    expect(question.get_by_role("button", name="Keep it")).to_be_focused()
    question.get_by_role("button", name="Keep it").click()
    expect(card.get_by_role("button", name=f"Archive {listing['title']}")).to_be_focused()
    assert as_host.call("GET", f"/listings/{listing['id']}")["status"] == "active"
    card.get_by_role("button", name=f"Archive {listing['title']}").click()
    card.get_by_role("button", name="Yes, archive it").click()
    expect(card).to_contain_text("Archived")
    assert pages.errors == []


def test_the_cancellation_policies_read_whole_on_a_phone(pages: Pages) -> None:
    """A select cut each policy at a phone's width ("Moderate: full refund until 7 days
    bef…"): radio buttons give each whole, side by side."""
    host = pages.open("host", PHONE)
    as_host = Client(host.request)
    as_host.sign_up("professional", "Dr. Policy")
    listing = as_host.call("POST", "/listings", room())
    host.goto(f"/#/listings/{listing['id']}/edit")
    policies = host.get_by_role("group", name="Cancellation policy")
    # The 7-night rule, before check-in too: "50% after" read as half kept, and the host kept
    # less (a 24-night stay cancelled 3 days ahead refunds 17 nights, not 12).
    expect(policies).to_have_accessible_description(
        re.compile(
            r"^What a guest's cancellation refunds\. Under every policy the nights beyond the first 7 .*"
            r"you keep at most 7 nights' rent\.$"
        )
    )
    expect(policies.get_by_role("radio", name="Moderate: full refund until 7 days before, 50% after")).to_be_checked()
    strict = policies.get_by_text("Strict: 50% refund until 14 days before, none after")
    box = strict.bounding_box()
    assert box is not None and box["x"] + box["width"] <= PHONE["width"], box
    strict.click()
    host.get_by_role("button", name="Save room").click()
    expect(host.get_by_role("heading", level=1, name=listing["title"])).to_be_visible()
    assert as_host.call("GET", f"/listings/{listing['id']}")["cancellation_policy"] == "strict"
    assert host.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert pages.errors == []


def test_a_suspended_hosts_guest_refunded_in_full_is_not_told_wardmate_holds_the_money(
    pages: Pages, stack: Stack
) -> None:
    """An operator refunded a paid stay in full while its host was suspended: the card still
    said "Wardmate still holds your payment", and the cancel question's refund said
    "nothing was paid"."""
    _, student, booking, as_student = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    operator = operators_page(pages, stack)
    host_id = as_student.call("GET", f"/bookings/{booking['id']}")["host_id"]
    as_operator(operator, "POST", f"/admin/users/{host_id}/suspension", {"reason": "Asked for deposits by wire"})
    eventually_sync(
        lambda: as_student.call("GET", f"/bookings/{booking['id']}")["host_suspended"],
        what="listings to hear of the suspension",
        until=bool,
    )
    student.goto("/#/bookings")
    card = student.get_by_role("listitem", name=re.compile("Paid room"))
    expect(card).to_contain_text(
        "Wardmate suspended this host's account. The stay is not cancelled, and Wardmate still holds your payment."
    )
    # No new dates to ask of a host who cannot sign in to answer them.
    expect(card.get_by_role("button", name="Ask to move these dates")).to_have_count(0)
    paid = as_student.call("GET", f"/bookings/{booking['id']}/payments")["paid"]
    refund = {"amount_cents": round(paid * 100), "reason": "Goodwill: host suspended"}
    as_operator(operator, "POST", f"/admin/payments/{booking['id']}/refunds", refund)
    student.reload()
    expect(card).to_contain_text(
        "The stay is not cancelled, and what you paid is refunded already. You may cancel it without fault: nothing"
        " is owed."
    )
    # The operator's lookup offers no refund form with nothing left (it refused only once sent).
    operator.get_by_label("Booking id").fill(booking["id"])
    operator.get_by_role("button", name="Show payments").click()
    expect(operator.get_by_text(re.compile(r"^Nothing is left to refund: everything paid is refunded"))).to_be_visible()
    expect(operator.get_by_role("form", name="Refund")).to_have_count(0)
    quote = as_student.call("GET", f"/bookings/{booking['id']}/refund-quote")
    assert quote["refund"] == 0 and quote["reason"] == "nothing paid is left to refund", quote
    assert pages.errors == []


def test_forgot_password_says_one_thing_at_a_time_and_log_in_links_open_the_form(pages: Pages) -> None:
    """A refusal showed beside the last try's "a link is on its way", text that is no address
    was told a link was coming, and "Log in" links opened the landing page, its form two
    screens down on a phone."""
    visitor = pages.open("visitor", PHONE)
    visitor.goto("/#/forgot-password")
    field = visitor.get_by_label("Email", exact=True)
    field.fill("nope")
    visitor.get_by_role("button", name="Mail me a link").click()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(visitor.get_by_text("is on its way")).to_have_count(0)
    field.fill(f"someone-{uuid.uuid4().hex[:6]}@example.org")
    for _ in range(3):
        visitor.get_by_role("button", name="Mail me a link").click()
        expect(visitor.get_by_role("status").filter(has_text="is on its way")).to_be_visible()
    visitor.get_by_role("button", name="Mail me a link").click()
    expect(visitor.get_by_role("alert")).to_contain_text("Too many")
    expect(visitor.get_by_text("is on its way")).to_have_count(0)
    visitor.get_by_role("link", name="Back to log in").click()
    expect(visitor.get_by_role("heading", level=1, name="Log in")).to_be_in_viewport()
    visitor.goto("/#/signup")
    visitor.get_by_role("link", name="Log in", exact=True).last.click()
    expect(visitor.get_by_role("heading", level=1, name="Log in")).to_be_in_viewport()
    assert pages.errors == []


def test_a_link_opened_where_another_account_is_logged_in_says_whose_address_changed(pages: Pages) -> None:
    """Chidi, logged in, opened the address-change link mailed to someone else: his page
    said "Your address is now walka1new@…", of an address that was never his."""
    mover = Client(pages.open("mover").request, pages.mailbox)
    mover.sign_up("student", "Moving Student")
    new = f"moved-{uuid.uuid4().hex[:8]}@test.wardmate"
    mover.call("POST", "/me/email", {"new_email": new, "password": PASSWORD})
    [mail] = pages.mailbox.wait_for_sync(new, lambda m: "Confirm your new Wardmate address" in m.subject)
    bystander = pages.open("bystander", PHONE)
    as_bystander = Client(bystander.request, pages.mailbox)
    as_bystander.sign_up("student", "Logged In Elsewhere")
    mine = as_bystander.call("GET", "/me")["user"]["email"]
    bystander.goto("/#/confirm-email?token=" + link_token(mail.link("confirm-email")))
    expect(bystander.get_by_role("status").filter(has_text="now uses")).to_have_text(
        f"The account this link was for now uses {new}. This browser is logged in as {mine}, which is not changed."
    )
    assert mover.call("GET", "/me")["user"]["email"] == new
    assert pages.errors == []


def test_the_gallerys_full_size_link_is_a_full_touch_target(pages: Pages) -> None:
    """The gallery's "Full size" under a room's photo was a 63 × 19 px target on a phone."""
    host = Client(pages.open("host").request)
    host.sign_up("professional", "Dr. Photographer")
    listing = host.call("POST", "/listings", room())
    added = host.request.post(
        f"/api/v1/listings/{listing['id']}/photos",
        headers={"Authorization": f"Bearer {host.token}"},
        multipart={
            "alt_text": "The room with its desk",
            "file": {"name": "room.jpg", "mimeType": "image/jpeg", "buffer": samples.jpeg()},
        },
    )
    assert added.status == 201, added.text()
    visitor = pages.open("visitor", PHONE, touch=True)
    visitor.goto(f"/#/listings/{listing['id']}")
    box = visitor.get_by_role("link", name="Full size of photo 1").bounding_box()
    assert box is not None and box["height"] >= 44, box
    assert pages.errors == []
