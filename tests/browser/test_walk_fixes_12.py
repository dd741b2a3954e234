"""An operator's walk on a phone, and a member deleting their account: a refund kept its
amount and said nothing (a second press refunded again), and spoke in cents; the operators'
rounds and outcomes pages called the API for anyone; an operator had a member's Block and
Report on a profile; a report of an account deleted since offered to suspend it ("User not
found"); a deleted student's unanswered mentorship request read "ended your mentorship"."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import LAPTOP, PASSWORD, PHONE, Client, Pages, future
from tests.browser.test_accessibility import make_admin, operators_page
from tests.browser.test_client_fixes import room
from tests.browser.test_payments import accepted_booking, fill_card
from tests.browser.test_plan_goals import requested_pair
from tests.eventually import eventually_sync


def test_an_operator_refund_asks_first_says_it_is_recorded_and_speaks_dollars(pages: Pages, stack: Stack) -> None:
    _, student, booking, as_student = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    paid = as_student.call("GET", f"/bookings/{booking['id']}/payments")["paid"]

    operator = operators_page(pages, stack)
    operator.get_by_label("Booking id").fill(booking["id"])
    operator.get_by_role("button", name="Show payments").click()
    expect(operator.get_by_text(re.compile(r"nights · total"))).to_contain_text("flexible cancellation policy")
    line = operator.get_by_role("list", name="Payments").get_by_role("listitem").first
    expect(line).to_contain_text(re.compile(r"for 14 nights from"))
    paid_line = line.inner_text()
    refund = operator.get_by_role("form", name="Refund")
    amount, reason = refund.get_by_label("Refund (USD)"), refund.get_by_label("Reason")
    press = refund.get_by_role("button", name="Refund", exact=True)

    amount.fill("$abc")
    reason.fill("Heating broken for 3 nights")
    press.click()
    expect(amount).to_have_accessible_description("Enter an amount in dollars, like 50 or 12.50.")
    amount.fill(f"{paid + 1:.2f}")
    press.click()
    expect(amount).to_have_accessible_description(re.compile(r"^At most \$[\d,]+\.\d\d: what the guest paid"))

    # A reason payments would refuse is refused here, saying why.
    amount.fill("50")
    reason.fill("ok")
    press.click()
    expect(reason).to_have_accessible_description(re.compile(r"^Say why in a few words \(3 characters at least\)"))
    reason.fill("Heating broken for 3 nights")

    # Asked first, with the amount and the reason; "Keep it" refunds nothing.
    press.click()
    question = refund.get_by_role("group", name="Refund $50.00 to the guest (“Heating broken for 3 nights”)?")
    expect(question.get_by_role("button", name="Keep it")).to_be_focused()
    question.get_by_role("button", name="Keep it").click()
    expect(press).to_be_focused()
    assert as_student.call("GET", f"/bookings/{booking['id']}/payments")["refunds"] == []
    press.click()
    question.get_by_role("button", name="Yes, refund").click()
    expect(refund.get_by_role("status")).to_contain_text("$50.00 refund recorded")
    expect(amount).to_have_value("")
    expect(reason).to_have_value("")
    # What is left to refund counts the $50 on its way to Stripe (payments' own rule).
    amount.fill(f"{paid - 49:.2f}")
    reason.fill("A second goodwill refund")
    press.click()
    expect(amount).to_have_accessible_description(re.compile(rf"^At most \${paid - 50:,.2f}: what the guest paid"))
    # When, on the operator's clock (it said neither who nor when).
    expect(operator.get_by_role("list", name="Refunds")).to_contain_text(
        re.compile(r"\$50\.00 by an operator on [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M")
    )
    # The summary counts it, sent or on its way (it read "refunded $0.00" until Stripe had it).
    summary = operator.get_by_text(re.compile(r"nights · total"))
    counted = r"refunded \$50\.00|refunded \$0\.00 \(and \$50\.00 not yet sent to Stripe\)"
    expect(summary).to_contain_text(re.compile(counted))
    # Money back, not nights: the payment still pays for all 14 (it read "for 13 nights").
    expect(line).to_contain_text(paid_line.split(", paid")[0])
    receipt = as_student.call("GET", f"/bookings/{booking['id']}/payments")
    assert [p["nights"] for p in receipt["payments"]] == [14], receipt["payments"]
    # One refund of $50 recorded (pending until the refund worker has Stripe send it).
    refunds = as_student.call("GET", f"/bookings/{booking['id']}/payments")["refunds"]
    assert [(r["amount"], r["kind"]) for r in refunds] == [(50, "operator")], refunds
    assert pages.errors == []


def test_operators_pages_and_profiles_by_role(pages: Pages, stack: Stack) -> None:
    """A member typing an operators' page gets the notice, and no operators' call is made;
    an operator on a member's profile has no Block or Report, which are members' tools."""
    student = pages.open("student", PHONE)
    member_id = Client(student.request).sign_up("student", f"Curious Student {uuid.uuid4().hex[:6]}")
    calls: list[str] = []
    student.on("request", lambda r: calls.append(r.url) if "/api/v1/admin/" in r.url else None)
    for path in ("/#/admin/rounds", "/#/admin/mentoring", f"/#/admin/rounds/{uuid.uuid4()}"):
        student.goto(path)
        expect(student.get_by_text("This page is for Wardmate operators.")).to_be_visible()
    assert calls == []

    operator = pages.open("operator", LAPTOP)
    make_admin(stack, operator)
    operator.goto(f"/#/users/{member_id}")
    expect(operator.get_by_role("heading", name=re.compile("^Curious Student"), level=1)).to_be_visible()
    expect(operator.get_by_role("button", name="Report")).to_have_count(0)
    expect(operator.get_by_role("button", name="Block")).to_have_count(0)
    assert pages.errors == []


def test_after_an_account_is_deleted_its_report_and_request_say_so(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    pair = requested_pair(pages, stack, tag)
    mentor_page, as_mentor, leaving = pair.mentor, pair.as_mentor, pair.as_student
    leaving_id = leaving.call("GET", "/me")["user"]["id"]
    as_mentor.call("POST", "/reports", {"user_id": leaving_id, "reason": "spam", "details": f"Gone {tag}"})
    leaving.call("DELETE", "/me", {"password": PASSWORD})

    # The mentor's request was withdrawn by the deletion, not "ended".
    eventually_sync(
        lambda: [n["text"] for n in as_mentor.call("GET", "/notifications?limit=50")["items"]],
        what="the mentor told of the withdrawn request",
        until=lambda texts: "Deleted user withdrew their mentorship request" in texts,
    )
    mentor_page.goto("/#/mentorships")
    card = mentor_page.get_by_role("listitem", name="From Deleted user")
    expect(card).to_contain_text("The student deleted their account, which withdrew the request.")

    operator = operators_page(pages, stack)
    report = operator.get_by_role("listitem").filter(has_text=f"Gone {tag}")
    expect(report).to_contain_text("Reported: an account deleted since")
    expect(report).to_contain_text("there is no one left to warn or suspend")
    outcome = report.get_by_label("Outcome")
    expect(outcome.locator("option", has_text="Suspended the reported user")).to_have_count(0)
    outcome.select_option("No action: the account is deleted")
    report.get_by_role("button", name="Resolve").click()
    expect(report).to_have_count(0)
    expect(operator.get_by_role("status").filter(has_text="Report resolved")).to_contain_text(
        "No action: the account is deleted."
    )
    assert pages.errors == []


def test_deleting_an_account_lists_the_stays_it_cancels_and_their_refunds(pages: Pages) -> None:
    """The deletion form said one paragraph to everyone: a guest with a paid stay learnt of
    the refund from nowhere. It lists each stay it cancels with what comes back."""
    _, student, booking, as_student = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    quote = as_student.call("GET", f"/bookings/{booking['id']}/refund-quote")
    student.goto("/#/settings")
    cancels = student.get_by_role("list", name="What deleting cancels")
    expect(cancels.get_by_role("listitem")).to_have_count(1)
    expect(cancels).to_contain_text(f"“{booking['listing_title']}”")
    expect(cancels).to_contain_text(f"you get back ${quote['refund']:,.2f} of the ${quote['paid']:,.2f} paid")

    nobody = pages.open("nobody")
    Client(nobody.request).sign_up("student", "Nothing Booked")
    nobody.goto("/#/settings")
    expect(nobody.get_by_text("You have no stay or request under way: deleting cancels none.")).to_be_visible()
    assert pages.errors == []


def test_a_host_walk_on_a_phone(pages: Pages) -> None:
    """Another host's room opened at its edit URL showed the editor filled in (the API
    refused each change); the host's accepted request said "waiting for the guest's
    payment", not until when."""
    host, _, booking, as_student = accepted_booking(pages)
    host.goto("/#/bookings")
    card = host.get_by_role("listitem").filter(has_text=booking["listing_title"])
    expect(card).to_contain_text(
        re.compile(r"waiting for the guest's payment through Wardmate, due by [A-Z][a-z]{2} \d")
    )
    expect(card).to_contain_text("unpaid by then, the booking expires and the nights are yours again")
    # New dates accepted say so (the buttons left, and the dates changed, with no word).
    as_student.call("POST", f"/bookings/{booking['id']}/shift", {"check_in": future(31), "check_out": future(45)})
    host.reload()
    card.get_by_role("button", name="Accept new dates").click()
    expect(card.get_by_role("status").filter(has_text="New dates accepted: the stay now runs")).to_be_visible()

    host.goto("/#/listings")
    rooms = host.get_by_role("list", name="Your rooms")
    # Each room's requests from the list (only the room's own page linked them).
    expect(rooms.get_by_role("link", name=f"Booking requests for {booking['listing_title']}")).to_have_attribute(
        "href", f"#/bookings?listing={booking['listing_id']}"
    )

    other = pages.open("other host", PHONE, touch=True)
    neighbour = Client(other.request)
    neighbour.sign_up("professional", "Dr. Curious Neighbour")
    own = neighbour.call("POST", "/listings", room(title=f"Neighbour's room {uuid.uuid4().hex[:6]}"))
    other.goto("/#/listings")
    # On a touch screen the card's links are as tall as its buttons (they were about 19 px).
    edit_link = other.get_by_role("link", name=f"Edit {own['title']}")
    box = edit_link.bounding_box()
    assert box is not None and box["height"] >= 44, box
    other.goto(f"/#/listings/{booking['listing_id']}/edit")
    expect(other.get_by_role("heading", name="This room is not yours")).to_be_visible()
    expect(other.get_by_role("button", name="Save room")).to_have_count(0)
    expect(other.get_by_role("link", name="See the room")).to_have_attribute(
        "href", f"#/listings/{booking['listing_id']}"
    )
    assert pages.errors == []
