"""What a fifth walk found, fixed in the web client: focus fell to the page after paying
(or a declined card) and after signing up; a phone's folded menu hid the unread badges; the
browser's times named no zone beside times that name theirs; nothing said what sends a
message; the profile's country picker and its "Clear the country" broke their row; the
first page said "No fees on stays" (hosts pay a fee); a rotation's "Search all rooms near
this hospital" left a booking's rotation on "None" when another rotation overlapped it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.conftest import FARGO, LAPTOP, PASSWORD, PHONE, Client, Pages, future, room_card
from tests.browser.test_client_fixes import room
from tests.browser.test_payments import accepted_booking, fill_card
from tests.eventually import eventually_sync


def unread_total(client: Client, at_least: int) -> int:
    """The reader's unread messages and notifications, once at least ``at_least`` messages
    are counted (messages reach the counts as events)."""
    counts = eventually_sync(
        lambda: client.call("GET", "/me/unread"),
        15,
        what=f"{at_least} unread messages counted",
        until=lambda c: c["messages"] >= at_least,
    )
    return int(counts["messages"]) + int(counts["notifications"])


def test_focus_goes_to_a_declined_cards_error_then_to_the_payment_made(pages: Pages) -> None:
    """Pay is disabled while it runs, and focus fell to the page both ways: a declined card's
    error takes it, and once paid the confirmation that replaces the form takes it."""
    _, student, booking, _ = accepted_booking(pages)
    student.goto(f"/#/bookings/{booking['id']}/pay")
    fill_card(student, "4000000000000341")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    declined = student.get_by_role("alert").filter(has_text="declined")
    expect(declined).to_be_visible()
    expect(declined).to_be_focused()

    fill_card(student, "4242424242424242")
    student.get_by_role("button", name=re.compile(r"^Pay \$")).click()
    paid = student.get_by_role("status").filter(has_text="Paid: your stay is confirmed")
    expect(paid).to_be_visible()
    expect(paid).to_be_focused()
    assert [e for e in pages.errors if "402" not in e] == [], pages.errors


def test_the_phone_menu_button_says_how_many_are_unread(pages: Pages) -> None:
    """At 375 px the header showed "Wardmate" and "Menu", the badges folded away with the
    menu: the button carries the badges' count and is named by it ("Menu, 2 unread")."""
    student = pages.open("student", PHONE)
    as_student = Client(student.request)
    student_id = as_student.sign_up("student", "Unread Student")
    as_host = Client(pages.open("host").request)
    as_host.sign_up("professional", "Dr. Writes Twice")
    thread = as_host.call("POST", "/conversations", {"user_id": student_id, "body": "Hello"})
    as_host.call("POST", f"/conversations/{thread['id']}/messages", {"body": "Still free in March"})
    total = unread_total(as_student, 2)
    student.goto("/#/")
    menu = student.get_by_role("button", name=f"Menu, {total} unread", exact=True)
    expect(menu).to_be_visible()
    expect(menu).to_contain_text(str(total))
    expect(student.get_by_role("navigation", name="Main")).to_be_hidden()
    # Read, the count goes, as the inbox link's badge does.
    student.goto(f"/#/inbox/{thread['id']}")
    expect(student.get_by_role("button", name="Menu", exact=True)).to_be_visible()
    assert pages.errors == []


def conversation_page(pages: Pages, timezone_id: str | None = None) -> Page:
    """A student's page on a conversation a host started."""
    student = pages.open("student", PHONE, timezone_id=timezone_id)
    as_student = Client(student.request)
    student_id = as_student.sign_up("student", "Zoned Student")
    as_host = Client(pages.open("host").request)
    as_host.sign_up("professional", "Dr. Zoned")
    thread = as_host.call("POST", "/conversations", {"user_id": student_id, "body": "Hello from Fargo"})
    student.goto(f"/#/inbox/{thread['id']}")
    return student


def test_a_messages_time_names_the_browsers_zone(pages: Pages) -> None:
    """fmtTime wrote "Dec 6, 9:18 PM" on the browser's clock without naming it, beside
    times that name theirs ("4:12 PM EST"): it says "Dec 6, 3:18 PM CST" in Chicago."""
    student = conversation_page(pages, timezone_id="America/Chicago")
    message = student.get_by_role("list", name="Messages").get_by_role("listitem").first
    expect(message.locator(".meta")).to_have_text(
        re.compile(r"^Dr\. Zoned, [A-Z][a-z]{2} \d{1,2}, \d{1,2}:\d{2} [AP]M C[SD]T$")
    )
    assert pages.errors == []


def test_the_message_box_says_ctrl_enter_sends(pages: Pages) -> None:
    """Enter adds a line, and nothing said what sends: the box is described by "Ctrl+Enter
    sends", shown under it; Enter still adds a line, Ctrl+Enter sends."""
    student = conversation_page(pages)
    box = student.get_by_label("Message", exact=True)
    expect(box).to_have_accessible_description("Ctrl+Enter sends")
    hint_id = box.get_attribute("aria-describedby")
    assert hint_id
    expect(student.locator(f"#{hint_id}")).to_be_visible()
    box.fill("First line")
    box.press("Enter")
    box.press_sequentially("second line")
    expect(box).to_have_value("First line\nsecond line")
    box.press("Control+Enter")
    expect(student.get_by_role("list", name="Messages")).to_contain_text("second line")
    expect(box).to_have_value("")
    assert pages.errors == []


def test_signing_up_lands_on_the_profiles_heading(pages: Pages) -> None:
    """Signed up, the page moved to #/profile with focus on the page's body: it is on the
    Profile heading, as after logging in."""
    page = pages.open("visitor", PHONE)
    page.goto("/#/signup")
    page.get_by_label("Name").fill("Focused Student")
    page.get_by_label("Email").fill(f"focused-{uuid.uuid4().hex[:10]}@test.wardmate")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"#/profile$"))
    expect(page.get_by_role("heading", name="Profile", exact=True)).to_be_focused()
    assert pages.errors == []


def test_the_first_page_says_students_pay_no_fees(pages: Pages) -> None:
    """It said "No fees on stays.", but hosts pay a fee on each stay."""
    visitor = pages.open("visitor", PHONE)
    visitor.goto("/#/")
    welcome = visitor.get_by_role("region", name=re.compile("^Wardmate: a room and a mentor"))
    expect(welcome).to_contain_text("No fees for students.")
    expect(welcome).not_to_contain_text("No fees on stays")


def test_the_school_country_and_its_clear_button_keep_their_place_in_the_row(pages: Pages) -> None:
    """At 1280 px the country's input sat higher and shorter than its neighbours (they
    stretched to the picker's height), and once a country was chosen "Clear the country"
    took a column of its own, pushing "Graduation year" right: the inputs line up, and the
    button sits under its field."""
    page = pages.open("student", LAPTOP)
    Client(page.request).sign_up("student", "Row Student")
    page.goto("/#/profile")
    school = page.get_by_label("Medical school")
    country = page.get_by_role("searchbox", name="School's country")
    year = page.get_by_label("Graduation year")
    country.fill("Germ")
    page.get_by_role("button", name="Germany").click()
    clear = page.get_by_role("button", name="Clear the country")
    expect(clear).to_be_visible()
    boxes = {}
    for name, field in [("school", school), ("country", country), ("year", year), ("clear", clear)]:
        box = field.bounding_box()
        assert box, name
        boxes[name] = box
    for name in ("school", "year"):
        assert boxes[name]["y"] == boxes["country"]["y"], boxes
        assert boxes[name]["height"] == boxes["country"]["height"], boxes
    # Three columns of one width: the button in the country's, below its input.
    column, button = boxes["country"], boxes["clear"]
    assert column["x"] <= button["x"] and button["x"] + button["width"] <= column["x"] + column["width"], boxes
    assert button["y"] > column["y"] + column["height"], boxes
    assert boxes["year"]["x"] > column["x"] + column["width"], boxes
    assert abs(boxes["year"]["width"] - column["width"]) < 1, boxes
    assert pages.errors == []


def test_a_rotations_room_search_presets_the_booking_to_that_rotation(pages: Pages) -> None:
    """A rotation's "Search all rooms near this hospital" brings its dates to the room's page;
    another rotation near it overlapping those dates left "For which rotation?" on "None": the
    rotation that holds the dates whole is chosen, from either rotation's page."""
    page = pages.open("student", LAPTOP)
    as_host = Client(pages.open("host").request)
    as_host.sign_up("professional", "Dr. Two Rotations")
    listing = as_host.call("POST", "/listings", room())
    as_student = Client(page.request)
    as_student.sign_up("student", "Two Rotations Student")
    first = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "internal medicine", "start_date": future(30), "end_date": future(58)},
    )
    second = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "pediatrics", "start_date": future(50), "end_date": future(80)},
    )
    for rotation in (first, second):
        page.goto(f"/#/rotations/{rotation['id']}")
        page.get_by_role("link", name="Search all rooms near this hospital").click()
        card = room_card(page, listing["title"])
        card.get_by_role("link", name=listing["title"]).click()
        expect(page.get_by_label("Check-in")).to_have_value(rotation["start_date"])
        expect(page.get_by_label("Check-out")).to_have_value(rotation["end_date"])
        expect(page.get_by_label("For which rotation?")).to_have_value(rotation["id"])
    assert pages.errors == []


def test_affiliations_read_as_the_hospital_list_names_them(pages: Pages) -> None:
    """A profile's hospitals were guessed from their ids, the name run into its city ("The
    Johns Hopkins Hospital Baltimore"): they are looked up, on the public profile and in the
    form's list. A pending NPI says that sending another replaces it (a licence sent after
    it took its place in the operators' queue without a word)."""
    page = pages.open("host", LAPTOP)
    as_host = Client(page.request)
    host_id = as_host.sign_up("professional", "Dr. Affiliated")
    as_host.call("PATCH", "/me/profile", {"hospital_ids": ["the-johns-hopkins-hospital-baltimore-md"]})
    page.goto(f"/#/users/{host_id}")
    expect(page.get_by_text("The Johns Hopkins Hospital, Baltimore, MD", exact=True)).to_be_visible()
    page.goto("/#/profile")
    affiliations = page.get_by_role("button", name="Remove The Johns Hopkins Hospital, Baltimore, MD")
    expect(affiliations).to_be_visible()
    as_host.call("POST", "/me/verification", {"npi": "1234567893"})
    page.reload()
    expect(page.get_by_text("an NPI or a licence sent now replaces it")).to_be_visible()
    assert pages.errors == []
