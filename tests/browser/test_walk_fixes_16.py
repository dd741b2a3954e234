"""What the session of 2026-12-08 fixed in the web client: a form sent twice at once (a
double press before the page had disabled its button) made two of what it asked; whether
a payment could be made yet was read on the device's clock."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Route, expect

from tests.browser.conftest import FARGO, PHONE, Client, Pages, future, verification_link
from tests.browser.test_client_fixes import room
from tests.browser.test_journey import pick_hospital
from tests.browser.test_payments import accepted_booking, fill_card
from tests.eventually import eventually_sync


def test_a_form_sent_twice_at_once_sends_once(pages: Pages) -> None:
    """Two submits in the same moment (as a double press can, before the page re-renders
    the button disabled) sent two POST /rotations: two rotations, or a 409 shown as a
    failure for actions that can happen once. The form's own guard sends one."""
    student = pages.open("student")
    as_student = Client(student.request)
    as_student.sign_up("student", "Twice Student")
    student.goto("/#/rotations")
    student.get_by_role("button", name="Add a rotation").click()
    pick_hospital(student, "Hospital")
    student.get_by_label("Specialty").fill("cardiology")
    sent: list[str] = []
    student.on("request", lambda r: sent.append(r.url) if r.method == "POST" and r.url.endswith("/rotations") else None)
    student.locator("form[aria-labelledby='add-rotation-h']").evaluate("f => { f.requestSubmit(); f.requestSubmit(); }")
    expect(student).to_have_url(re.compile(r"#/rotations/[0-9a-f-]{36}$"))
    assert len(sent) == 1, sent
    assert len(as_student.call("GET", "/me/rotations")["items"]) == 1
    assert pages.errors == []


def test_whether_a_payment_is_open_is_read_on_the_servers_clock(pages: Pages) -> None:
    """A phone whose clock is two days behind: the payment that confirms an accepted stay,
    payable since the acceptance, read "Upcoming" and "payable from <a date already gone>"
    on its receipt, and the booking offered no way to pay it. The server's Date header sets
    the page's clock."""
    _, student, booking, _ = accepted_booking(pages)
    student.clock.set_system_time(datetime.now(UTC) - timedelta(days=2))
    student.goto(f"/#/bookings/{booking['id']}/receipt")
    payments = student.get_by_role("table").filter(has_text="payable")
    expect(payments).to_contain_text("Payable now")
    expect(payments).not_to_contain_text("Upcoming")
    assert pages.errors == []


def test_a_room_opened_from_a_rotation_under_way_asks_for_its_nights_from_today(pages: Pages) -> None:
    """A student whose housing fell through a week into a rotation opens a room from its
    matches: the form took the rotation's start date, gone by ("Check-in is in the past")
    and priced all its nights, where the match said the nights left."""
    student = pages.open("student", PHONE)
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    as_host.sign_up("professional", "Dr. Mid Rotation")
    listing = as_host.call("POST", "/listings", room(available_from=future(0)))
    as_student.sign_up("student", "Mid Rotation")
    body = {"hospital_id": FARGO, "specialty": "cardiology", "start_date": future(-7), "end_date": future(21)}
    rotation = as_student.call("POST", "/rotations", body)
    student.goto(f"/#/listings/{listing['id']}?rotation={rotation['id']}")
    expect(student.get_by_label("Check-in")).to_have_value(future(0))
    expect(student.get_by_label("Check-out")).to_have_value(future(21))
    expect(student.get_by_text(re.compile(r"^21 nights × "))).to_be_visible()
    expect(student.get_by_text("Check-in is in the past")).to_have_count(0)
    assert pages.errors == []


def test_a_used_confirmation_link_opened_logged_out_says_to_just_log_in(pages: Pages) -> None:
    """The confirmation link opened again on another device, logged out: it said to log in
    and choose "Mail me a new link", which a confirmed account is never offered."""
    as_student = Client(pages.open("student").request)
    as_student.sign_up("student", "Twice Confirmed")
    email = as_student.call("GET", "/me")["user"]["email"]
    other_device = pages.open("visitor")
    other_device.goto(verification_link(pages.mailbox, email))
    expect(other_device.get_by_role("alert")).to_have_text("This link was already used.")
    expect(other_device.locator("main")).to_contain_text(
        "If you opened it before, your address is confirmed: just log in."
    )
    expect(other_device.locator("main").get_by_role("link", name="log in")).to_have_attribute("href", "#/login")
    assert pages.errors == []


def test_a_host_cancelling_a_paid_stay_is_not_told_the_guest_gets_nothing(pages: Pages) -> None:
    """Right after a host cancelled a paid stay its card said "The guest's $… is not refunded
    under the cancellation policy": payments had not yet heard of the cancellation, so its
    receipt had no refund. The card waits for payments, then says what is refunded. (The
    first receipt read after the cancellation is answered as payments had it a moment
    before: confirmed, no refund.)"""
    host, student, booking, _ = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()

    host.goto(f"/#/bookings?booking={booking['id']}")
    stay = host.get_by_role("listitem").filter(has=host.get_by_role("button", name="Cancel booking"))
    before = {"n": 0}

    def not_yet_heard(route: Route) -> None:
        reply = route.fetch()
        receipt = reply.json()
        if receipt["booking_status"] == "cancelled" and before["n"] == 0:
            before["n"] += 1
            receipt = {**receipt, "booking_status": "confirmed", "refunds": [], "refunded": 0}
        route.fulfill(response=reply, json=receipt)

    host.route(f"**/api/v1/bookings/{booking['id']}/payments", not_yet_heard)
    stay.get_by_role("button", name="Cancel booking").click()
    host.get_by_role("button", name="Yes, cancel").click()
    card = host.get_by_role("listitem").filter(has_text="The guest is refunded")
    expect(card).to_contain_text(re.compile(r"The guest is refunded \$[\d,.]+ of \$[\d,.]+"))
    assert before["n"] == 1, "the receipt was never answered as before the cancellation"
    expect(host.get_by_text("is not refunded")).to_have_count(0)
    assert pages.errors == []


def test_the_rotation_form_says_every_missing_field_at_once(pages: Pages) -> None:
    """Sent empty, the form marked the hospital alone and left focus on its button; the empty
    specialty was told only on the next try."""
    student = pages.open("student", PHONE)
    Client(student.request).sign_up("student", "Empty Form")
    student.goto("/#/rotations")
    student.get_by_role("button", name="Add a rotation").click()
    student.get_by_role("button", name="Add rotation").click()
    expect(student.get_by_text("Choose the hospital from the suggestions.")).to_be_visible()
    expect(student.get_by_label("Specialty")).to_have_attribute("aria-invalid", "true")
    expect(student.get_by_text("Write at least 2 characters.")).to_be_visible()
    expect(student.get_by_label("Hospital", exact=True)).to_be_focused()
    assert pages.errors == []


def test_pay_with_the_card_form_left_empty_says_what_to_give(pages: Pages) -> None:
    """Pay pressed before any card detail: the page showed the card script's own error,
    "Cannot read properties of undefined (reading 'card')"."""
    _, student, booking, _ = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    pay = student.get_by_role("button", name=re.compile(r"^Pay \$"))
    expect(pay).to_be_enabled()
    pay.click()
    expect(student.get_by_role("alert")).to_have_text(
        re.compile(r"Give the card's number, expiry date and security code")
    )
    expect(student.get_by_text("Cannot read properties")).to_have_count(0)


def test_a_mentorship_asked_from_a_room_names_the_students_rotation(pages: Pages) -> None:
    """Asked from a room's page (not from a rotation's matches), the request named no
    rotation: its plan said there was no check-in to answer, for good. The form asks which,
    preset to the student's one rotation not over yet."""
    student = pages.open("student", PHONE)
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    as_host.sign_up("professional", "Dr. Room Mentor")
    as_host.call(
        "PATCH",
        "/me/profile",
        {"specialties": ["pediatrics"], "hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 2},
    )
    mentor_id = as_host.call("GET", "/me")["user"]["id"]
    listing = as_host.call("POST", "/listings", room())
    as_student.sign_up("student", "Room Mentee")
    body = {"hospital_id": FARGO, "specialty": "pediatrics", "start_date": future(30), "end_date": future(58)}
    rotation = as_student.call("POST", "/rotations", body)
    eventually_sync(
        lambda: as_student.call("GET", f"/rotations/{rotation['id']}/mentor-matches?limit=100")["items"],
        15,
        what="matching to know the mentor",
        until=lambda items: any(m["mentor"]["id"] == mentor_id for m in items),
        interval=0.1,
    )
    student.goto(f"/#/listings/{listing['id']}")
    student.get_by_role("button", name="Ask Dr. Room Mentor to mentor you").click()
    form = student.get_by_role("form", name="Mentorship request")
    expect(form.get_by_label("For which rotation?")).to_have_value(rotation["id"])
    form.get_by_label("Message to the mentor").fill("I rotate in pediatrics near your room.")
    form.get_by_role("button", name="Request mentorship").click()
    expect(student.get_by_text("Mentorship requested from Dr. Room Mentor: waiting for their answer.")).to_be_visible()
    [mentorship] = as_student.call("GET", "/me/mentorships")["items"]
    assert mentorship["rotation_id"] == rotation["id"], mentorship
    assert pages.errors == []


def test_a_time_the_clocks_skip_is_read_after_the_change(pages: Pages) -> None:
    """A meeting typed for 2:30 AM in New York on the night clocks go forward (no such time
    there) was saved as 1:30 AM EST, an hour earlier; it is 3:30 AM EDT, as calendar apps
    read it. An hour repeated as clocks go back is its first time; other times are as typed."""
    page = pages.open("visitor")
    page.goto("/#/")
    cases = {
        "2027-03-14T02:30": "2027-03-14T07:30:00.000Z",  # skipped: 3:30 AM EDT
        "2027-03-14T01:30": "2027-03-14T06:30:00.000Z",  # before the change: EST
        "2027-03-14T03:30": "2027-03-14T07:30:00.000Z",  # after it: EDT
        "2027-11-07T01:30": "2027-11-07T05:30:00.000Z",  # repeated: its first time, EDT
        "2027-01-15T10:00": "2027-01-15T15:00:00.000Z",
    }
    got = page.evaluate(
        """async (cases) => {
          const { wallTimeIn } = await import("/static/ui.js");
          return Object.fromEntries(Object.keys(cases).map((wall) => [wall, wallTimeIn(wall, "America/New_York")]));
        }""",
        cases,
    )
    assert got == cases
    lagos = page.evaluate(
        """async () => (await import("/static/ui.js")).wallTimeIn("2027-03-14T02:30", "Africa/Lagos")"""
    )
    assert lagos == "2027-03-14T01:30:00.000Z"


def test_dates_that_cannot_be_booked_show_no_price(pages: Pages) -> None:
    """A check-in gone by read "19 nights × $24.66 = $468.54 total, no fees." beside "Check-in
    is in the past": only why it cannot be booked is said."""
    as_host = Client(pages.open("host").request)
    as_host.sign_up("professional", "Dr. Past Dates")
    listing = as_host.call("POST", "/listings", room(available_from=future(0)))
    visitor = pages.open("visitor")
    visitor.goto(f"/#/listings/{listing['id']}?from={future(-20)}&to={future(-1)}")
    quote = visitor.locator("p.quote")
    expect(quote).to_contain_text("in the past")
    expect(quote).not_to_contain_text("total")
    visitor.goto(f"/#/listings/{listing['id']}?from={future(10)}&to={future(24)}")
    expect(visitor.locator("p.quote")).to_contain_text(
        re.compile(r"^14 nights × \$[\d.]+ = \$[\d,.]+ total, no fees\.")
    )
    assert pages.errors == []


def test_a_rotation_not_over_anywhere_is_not_over_for_a_student_a_day_ahead(pages: Pages) -> None:
    """A rotation ending tomorrow somewhere on Earth is not over (the API's rule: it takes
    mentorship requests, and matches rooms): it read "This rotation is over" in Lagos and
    Kolkata, whose date had turned, from the browser's own date."""
    student = pages.open("student", PHONE, timezone_id="Pacific/Kiritimati")  # UTC+14
    as_student = Client(student.request)
    as_student.sign_up("student", "Day Ahead")
    last = (datetime.now(UTC) - timedelta(hours=12)).date() + timedelta(days=1)
    body = {"hospital_id": FARGO, "specialty": "cardiology", "start_date": str(last - timedelta(days=14))}
    rotation = as_student.call("POST", "/rotations", {**body, "end_date": str(last)})
    student.goto(f"/#/rotations/{rotation['id']}")
    expect(student.get_by_role("heading", level=1)).to_contain_text("Cardiology at")
    expect(student.get_by_text("This rotation is over")).to_have_count(0)
    expect(student.get_by_role("heading", name="Mentors for this rotation")).to_be_visible()
    assert pages.errors == []


def test_a_rooms_date_picker_starts_at_the_rooms_today(pages: Pages) -> None:
    """A student a day ahead of the room (Kolkata, Kiritimati) could not pick tonight at a US
    room: the picker's least day was the browser's today, though the room takes a stay
    starting tonight on its own clock."""
    as_host = Client(pages.open("host").request)
    as_host.sign_up("professional", "Dr. Tonight")
    # In Honolulu (UTC-10), a day behind Kiritimati (UTC+14) at every hour: the browser's
    # today is never the room's, so the check cannot pass by the hour it runs at.
    honolulu = {"address": "1 Kapiolani Blvd, Honolulu, HI", "latitude": 21.2969, "longitude": -157.8571}
    listing = as_host.call("POST", "/listings", room(available_from=future(-1), **honolulu))
    assert listing["time_zone"] == "Pacific/Honolulu", listing["time_zone"]
    there = datetime.now(ZoneInfo(listing["time_zone"])).date()
    visitor = pages.open("visitor", timezone_id="Pacific/Kiritimati")
    assert visitor.evaluate("new Date().toLocaleDateString('en-CA')") != str(there)
    visitor.goto(f"/#/listings/{listing['id']}")
    expect(visitor.get_by_label("Check-in")).to_have_attribute("min", str(there))
    assert pages.errors == []


def test_a_receipt_dates_its_payment_on_the_readers_clock(pages: Pages) -> None:
    """A payment made at 5:03 PM in Los Angeles (01:03 UTC the next day) read "Paid Dec 8"
    on a receipt "Issued Dec 7": the day of a moment is the reader's, not UTC's. (The
    receipt is answered with the payment made at 03:00 UTC on Mar 2, 2027: Mar 1 there.)"""
    _, student, booking, _ = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    reader = pages.open("reader", timezone_id="America/Los_Angeles")
    reader.context.add_cookies(student.context.cookies())

    def paid_in_the_evening(route: Route) -> None:
        reply = route.fetch()
        receipt = reply.json()
        receipt["payments"] = [
            {**p, "paid_at": "2027-03-02T03:00:00Z"} if p.get("paid_at") else p for p in receipt["payments"]
        ]
        route.fulfill(response=reply, json=receipt)

    reader.route(f"**/api/v1/bookings/{booking['id']}/payments", paid_in_the_evening)
    reader.goto(f"/#/bookings/{booking['id']}/receipt")
    expect(reader.get_by_role("table", name="Payments")).to_contain_text("PaidMar 1, 2027")
    expect(reader.get_by_role("table", name="Payments")).not_to_contain_text("Mar 2, 2027")
    assert pages.errors == []
