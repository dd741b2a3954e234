"""A student in India at 375 px, before the rotation: the time zone list named India's zone
"Asia/Calcutta" only (a search for Kolkata found nothing) and did not offer the device's;
standalone links ("Forgot password?", "← Back to your search") were 19 px touch targets."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import FARGO, PHONE, Client, Pages, future, verification_link
from tests.browser.test_accessibility import npi_sent, operators_page
from tests.browser.test_client_fixes import FARGO_POINT, room
from tests.browser.test_payments import accepted_booking, fill_card
from tests.browser.test_settings import sign_up_on_the_page
from tests.eventually import eventually_sync


def test_the_time_zone_list_offers_the_devices_zone_by_todays_name(pages: Pages) -> None:
    page = pages.open("student", PHONE, timezone_id="Asia/Kolkata")
    as_student = Client(page.request)
    as_student.sign_up("student", "Kolkata Student")
    page.goto("/#/profile")
    zone = page.get_by_label("Time zone")
    expect(zone).to_have_accessible_description(re.compile(r"^Now: America/New_York, Wardmate.s default"))
    # Offered first, by the name of today with its offset; the list has no old name.
    device = zone.locator("option").nth(1)
    expect(device).to_have_text("Use this device's zone: Asia/Kolkata (UTC+5:30)")
    expect(zone.locator("option", has_text="Calcutta")).to_have_count(0)
    expect(zone.locator('option[value="America/New_York"]')).to_have_text("America/New York (UTC-5)")
    zone.select_option(index=1)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").filter(has_text="Settings saved")).to_be_visible()
    saved = as_student.call("GET", "/me/mentoring-settings")
    assert (saved["time_zone"], saved["time_zone_chosen"]) == ("Asia/Kolkata", True), saved
    assert pages.errors == []


def test_a_link_alone_in_its_paragraph_is_a_full_touch_target(pages: Pages) -> None:
    page = pages.open("visitor", PHONE, touch=True)
    page.goto("/#/login")
    box = page.get_by_role("link", name="Forgot password?").bounding_box()
    assert box is not None and box["height"] >= 44, box
    assert pages.errors == []


def test_a_paid_receipt_keeps_the_card_by_its_date_on_a_phone_and_prints_alone(pages: Pages) -> None:
    """On a phone's stacked table "Visa ending 4242" sat in the label column under "Paid";
    the receipt says who issued it and when, and prints without the menu and buttons."""
    _, student, booking, _ = accepted_booking(pages)
    student.set_viewport_size(PHONE)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")).to_be_visible()
    student.goto(f"/#/bookings/{booking['id']}/receipt")
    paid = student.locator('td[data-label="Paid"]').first
    card = paid.get_by_text("Visa ending 4242")
    expect(card).to_be_visible()
    cell, text = paid.bounding_box(), card.bounding_box()
    assert cell is not None and text is not None
    assert text["x"] >= cell["x"] + 100, (cell, text)  # in the value column, past the 7rem label
    facts = student.get_by_role("definition").first
    expect(facts).to_have_text(re.compile(r"^\w{3} \d{1,2}, \d{4}, by Wardmate$"))
    expect(student.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    student.emulate_media(media="print")
    expect(student.locator("header.top")).to_be_hidden()
    expect(student.get_by_role("button", name="Print or save as PDF")).to_be_hidden()
    expect(student.get_by_role("heading", name="Receipt", exact=True)).to_be_visible()
    assert pages.errors == []


def test_a_card_refused_without_a_reason_says_what_to_check(pages: Pages) -> None:
    """A four-digit year made the local card form's Stripe answer "Bad request", shown as it
    was: the page says which details to check."""
    _, student, booking, _ = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4242424242424242")
    student.get_by_role("form", name="Card payment").get_by_placeholder("exp_year").fill("2040")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    expect(student.get_by_role("alert")).to_have_text(
        "The card's details were not accepted: check its number, its expiry month and year, and its security code."
    )
    assert pages.errors == []


def test_a_room_free_for_part_of_a_rotation_says_of_how_many_nights(pages: Pages) -> None:
    """A room free 12 of the rotation's 28 nights read "$… for 12 nights", the cheapest-looking
    of the list while it covers less than half the stay."""
    student = pages.open("student", PHONE)
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    as_host.sign_up("professional", "Dr. Partly Free")
    # Host and student alike, so the room ranks among the first the page shows.
    alike = {"specialties": ["surgery"], "school_country": "NG", "languages": ["en", "yo"]}
    as_host.call("PATCH", "/me/profile", alike)
    near = room(latitude=FARGO_POINT[0] + 0.002, longitude=FARGO_POINT[1], available_to=future(32))
    listing = as_host.call("POST", "/listings", near)
    as_student.sign_up("student", "Partly Student")
    as_student.call("PATCH", "/me/profile", alike)
    body = {"hospital_id": FARGO, "specialty": "surgery", "start_date": future(20), "end_date": future(48)}
    rotation = as_student.call("POST", "/rotations", body)
    matches = eventually_sync(
        lambda: as_student.call("GET", f"/rotations/{rotation['id']}/room-matches?limit=100")["items"],
        15,
        what="the room among the rotation's room matches",
        until=lambda items: any(m["listing"]["id"] == listing["id"] for m in items),
        interval=0.1,
    )
    [mine] = [m for m in matches if m["listing"]["id"] == listing["id"]]
    assert mine["free_nights"] == 12, mine
    student.goto(f"/#/rotations/{rotation['id']}")
    rooms = student.get_by_role("list", name="Room matches")
    expect(rooms).to_be_visible()
    match = rooms.get_by_role("listitem").filter(has_text=listing["title"])
    # Through "More rooms" if it ranks below the first page: rooms of other tests near the
    # same hospital, fully free, can rank above it (the wording is what this test checks).
    more = student.get_by_role("button", name="More rooms")
    for _ in range(10):
        if match.count() or not more.count():
            break
        shown = rooms.get_by_role("listitem").count()
        more.click()
        expect(rooms.get_by_role("listitem")).not_to_have_count(shown)
    expect(match).to_contain_text(re.compile(r"\$[\d,.]+ for 12 nights of your 28 ·"))
    assert pages.errors == []


def test_verifying_a_credential_with_a_reason_typed_asks_which_was_meant(pages: Pages, stack: Stack) -> None:
    """A reason typed, then Verify: the reason (for a rejection) went nowhere, unsaid."""
    name = f"Dr. Typed Reason {uuid.uuid4().hex[:6]}"
    _, applicant, _ = npi_sent(pages, name)
    operator = operators_page(pages, stack)
    card = operator.get_by_role("listitem", name=name)
    reason = card.get_by_label("Reason (shown to them; required to reject)")
    reason.fill("Licence number does not match")
    card.get_by_role("button", name=f"Verify {name}").click()
    expect(reason).to_have_accessible_description(
        re.compile(r"A reason goes with a rejection only: clear it to verify, or press Reject")
    )
    assert applicant.call("GET", "/me")["verification"]["status"] == "pending"
    reason.fill("")
    card.get_by_role("button", name=f"Verify {name}").click()
    expect(card).to_have_count(0)
    assert applicant.call("GET", "/me")["verification"]["status"] == "verified"
    assert pages.errors == []


def test_a_rotation_moved_under_its_stay_says_so_on_its_page(pages: Pages) -> None:
    """After the rotation's dates changed, its page listed the stay booked for the old dates
    as if nothing were wrong; it links to the form asking the host for the new ones."""
    student = pages.open("student", PHONE)
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    as_host.sign_up("professional", "Dr. Moved Under")
    listing = as_host.call("POST", "/listings", room())
    as_student.sign_up("student", "Moved Student")
    body = {"hospital_id": FARGO, "specialty": "surgery", "start_date": future(20), "end_date": future(48)}
    rotation = as_student.call("POST", "/rotations", body)
    booking = as_student.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(20), "check_out": future(48), "rotation_id": rotation["id"]},
    )
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    student.goto(f"/#/rotations/{rotation['id']}")
    stays = student.get_by_role("region", name="Your stay for this rotation")
    expect(stays).to_contain_text("accepted, to pay")
    expect(stays.get_by_role("link", name=re.compile("ask the host to move it"))).to_have_count(0)

    as_student.call("PATCH", f"/rotations/{rotation['id']}", {"start_date": future(27), "end_date": future(55)})
    student.reload()
    move = stays.get_by_role("link", name=re.compile("ask the host to move it to"))
    expect(move).to_have_attribute("href", f"#/bookings?shift={booking['id']}")
    expect(stays).to_contain_text("Not the rotation's dates")
    assert pages.errors == []


def test_a_host_confirming_their_address_is_offered_to_post_a_room(pages: Pages) -> None:
    """The confirmation page offered a new host "Find a room", a student's next step."""
    page, email = sign_up_on_the_page(pages, "new host", "professional", "Dr. New Host")
    page.goto(verification_link(pages.mailbox, email))
    expect(page.get_by_role("status").filter(has_text="confirmed")).to_be_visible()
    main = page.locator("main")
    expect(main.get_by_role("link", name="Post a room")).to_have_attribute("href", "#/listings/new")
    expect(main.get_by_role("link", name="Find a room")).to_have_count(0)
    assert pages.errors == []


def test_new_dates_show_their_total_before_they_are_sent_as_listings_prices_them(pages: Pages) -> None:
    """The form to ask for new dates showed the total only once sent."""
    student = pages.open("student", PHONE)
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    as_host.sign_up("professional", "Dr. Preview")
    listing = as_host.call("POST", "/listings", room(monthly_rent=1013))
    as_student.sign_up("student", "Preview Student")
    booking = as_student.call(
        "POST", f"/listings/{listing['id']}/bookings", {"check_in": future(20), "check_out": future(48)}
    )
    as_host.call("POST", f"/bookings/{booking['id']}/accept", {})
    student.goto(f"/#/bookings?shift={booking['id']}")
    form = student.get_by_role("form", name=f"New dates for {listing['title']}")
    live = form.locator('p.hint[aria-live="polite"]')
    # A year still being typed prices nothing ("733073 nights: $43,383,260.14"); dates the
    # wrong way round say so as they are typed, in the same live region.
    form.get_by_label("New check-out").fill("0020-02-20")
    expect(live).to_have_text("")
    form.get_by_label("New check-out").fill(future(15))
    expect(live).to_have_text("The check-out must be after the check-in.")
    form.get_by_label("New check-out").fill(future(41))
    preview = form.locator("p.hint").filter(has_text="in total at this stay's nightly rate")
    expect(preview).to_contain_text(
        re.compile(r"^21 nights: \$[\d,]+\.\d\d in total at this stay's nightly rate \(now 28 nights, ")
    )
    shown = re.search(r"^21 nights: \$([\d,]+\.\d\d)", preview.inner_text())
    assert shown is not None
    form.get_by_role("button", name="Send to the host").click()
    asked = eventually_sync(
        lambda: as_student.call("GET", f"/bookings/{booking['id']}")["shift"], 10, what="the request", until=bool
    )
    # The total the host is shown: the page's preview was exactly it.
    assert f"{asked['total']:,.2f}" == shown.group(1), (asked, shown.group(1))
    # The form is gone with its button: focus goes to the stay's line, above what was asked
    # (it fell to the page, and a keyboard user started again from the top).
    card = student.get_by_role("listitem", name=re.compile(re.escape(listing["title"])))
    expect(card.get_by_text("waiting for the host")).to_be_visible()
    expect(card.locator("p[tabindex='-1']").first).to_be_focused()
    assert pages.errors == []
