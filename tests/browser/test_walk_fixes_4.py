"""What a fourth walk found, fixed in the web client: a guest's booking card named nobody (a
host's names the guest); a conversation opened from a room did not say which room it was
about; a booking request was not preset to the rotation it was plainly for; a search link
without the hospital's name (`#/search?hospital=<id>`) named the hospital by its id.

One system, one verified host with two rooms and one student with two rotations for the
module."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from services.runner import Stack
from shared.mailsink import Mailbox
from tests.browser.conftest import FARGO, PASSWORD, PHONE, Client, Pages, future, room_card
from tests.browser.test_accessibility import new_admin
from tests.browser.test_client_fixes import room

FARGO_LABEL = "Essentia Health Fargo, Fargo, ND"
# A rotation far from the rooms (Baltimore), for dates of its own.
BALTIMORE = "baltimore-va-medical-center-baltimore-md"


@dataclass
class People:
    """The module's host (verified, with a room to book and a room to ask about) and student
    (rotations at Fargo and in Baltimore)."""

    host_id: str
    host_name: str
    host_email: str
    booked_room: dict[str, str]
    asked_room: dict[str, str]
    student_id: str
    student_name: str
    student_email: str
    student: Client
    fargo_rotation: dict[str, str]
    baltimore_rotation: dict[str, str]


@pytest.fixture(scope="module")
def people(browser: Browser, stack: Stack) -> Iterator[People]:
    setup = Pages(browser, stack.url, Mailbox(stack.mail_dir))
    tag = uuid.uuid4().hex[:6]
    as_admin = Client(setup.open("operator").request)
    as_admin.token = as_admin.call("POST", "/auth/login", {"email": new_admin(stack), "password": PASSWORD})["token"]
    as_host = Client(setup.open("host").request, setup.mailbox)
    host_name = f"Dr. Named {tag}"
    host_id = as_host.sign_up("professional", host_name)
    as_host.call("PATCH", "/me/profile", {"profession": "physician", "specialties": ["internal medicine"]})
    as_host.call("POST", "/me/verification", {"npi": "1234567893"})
    as_admin.call("POST", f"/admin/verifications/{host_id}")
    booked_room = as_host.call("POST", "/listings", room(title=f"Booked room {tag}"))
    asked_room = as_host.call("POST", "/listings", room(title=f"Asked-about room {tag}"))
    as_student = Client(setup.open("student").request, setup.mailbox)
    student_name = f"Student Named {tag}"
    student_id = as_student.sign_up("student", student_name)
    fargo = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "internal medicine", "start_date": future(40), "end_date": future(68)},
    )
    baltimore = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": BALTIMORE, "specialty": "surgery", "start_date": future(90), "end_date": future(118)},
    )
    yield People(
        host_id,
        host_name,
        as_host.call("GET", "/me")["user"]["email"],
        booked_room,
        asked_room,
        student_id,
        student_name,
        as_student.call("GET", "/me")["user"]["email"],
        as_student,
        fargo,
        baltimore,
    )
    setup.close()


def log_in(page: Page, email: str) -> None:
    reply = page.request.post("/api/v1/auth/login", data={"email": email, "password": PASSWORD})
    assert reply.ok, reply.text()


def test_a_guests_booking_card_names_the_host(pages: Pages, people: People) -> None:
    """A host's card named the guest ("Guest: … Student not verified"), a guest's named
    nobody: it reads "Host: <name> ✓ Verified", linked to the host's profile."""
    booking = people.student.call(
        "POST",
        f"/listings/{people.booked_room['id']}/bookings",
        {"check_in": future(20), "check_out": future(34), "hospital_id": FARGO},
    )
    page = pages.open("student", PHONE)
    log_in(page, people.student_email)
    page.goto(f"/#/bookings?booking={booking['id']}")
    card = page.locator(f"#booking-{booking['id']}")
    host = card.locator("p", has_text=re.compile("^Host: "))
    expect(host).to_contain_text(f"Host: {people.host_name} ✓ Verified")
    expect(host).to_contain_text("Physician · Internal medicine")
    expect(host.get_by_role("link", name=people.host_name)).to_have_attribute("href", f"#/users/{people.host_id}")
    expect(card).not_to_contain_text("Guest:")

    # The host's card names the guest as before.
    as_host = pages.open("host", PHONE)
    log_in(as_host, people.host_email)
    as_host.goto(f"/#/bookings?booking={booking['id']}")
    guest = as_host.locator(f"#booking-{booking['id']}").locator("p", has_text=re.compile("^Guest: "))
    expect(guest).to_contain_text(f"Guest: {people.student_name} Student not verified")
    expect(guest.get_by_role("link", name=people.student_name)).to_have_attribute(
        "href", f"#/users/{people.student_id}"
    )
    assert pages.errors == []


def test_a_conversation_opened_from_a_room_starts_by_naming_it(pages: Pages, people: People) -> None:
    """A room's "Message the host" opened the pair's direct thread, "Direct messages" to the
    host, with an empty box: the box starts "About your room “<title>”: ", focused, the
    cursor at its end, and Send waits for words after it; sent twice at once, it is one
    message; once sent, a reload does not name the room again."""
    page = pages.open("student", PHONE)
    log_in(page, people.student_email)
    title = people.asked_room["title"]
    page.goto(f"/#/listings/{people.asked_room['id']}")
    page.get_by_role("button", name="Message the host").click()
    expect(page).to_have_url(re.compile(rf"#/inbox/[0-9a-f-]+\?listing={people.asked_room['id']}$"))
    box = page.get_by_label("Message", exact=True)
    reference = f"About your room “{title}”: "
    expect(box).to_have_value(reference)
    expect(box).to_be_focused()
    assert box.evaluate("b => [b.selectionStart, b.selectionEnd]") == [len(reference), len(reference)]
    # The room's name alone is no message yet (one click sent it, about nothing).
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    page.keyboard.press("Control+Enter")
    page.keyboard.type("is it free in March?")
    expect(box).to_have_value(f"{reference}is it free in March?")
    # Ctrl+Enter twice before the first answer (the keys, unlike the button, are not held
    # off while it sends): one message, the second send carrying the first's client id.
    page.keyboard.press("Control+Enter")
    page.keyboard.press("Control+Enter")
    messages = page.get_by_role("list", name="Messages")
    expect(messages).to_contain_text(f"About your room “{title}”: is it free in March?")
    expect(box).to_have_value("")
    expect(page).to_have_url(re.compile(r"#/inbox/[0-9a-f-]+$"))
    page.reload()
    expect(messages.get_by_role("listitem").filter(has_text="is it free in March?")).to_have_count(1)
    expect(box).to_have_value("")
    assert pages.errors == []


def test_a_booking_request_is_preset_to_the_rotation_it_is_for(pages: Pages, people: People) -> None:
    """The request's rotation stayed "None": it is the one rotation the chosen dates overlap
    (and the request names it), or the rotation whose room matches opened the page, also
    when the page is opened again from there; once the student picks (None too), it stays."""
    page = pages.open("student", PHONE)
    log_in(page, people.student_email)
    listing_id = people.booked_room["id"]
    fargo, baltimore = people.fargo_rotation["id"], people.baltimore_rotation["id"]
    page.goto(f"/#/listings/{listing_id}")
    rotation = page.get_by_label("For which rotation?")
    check_in, check_out = page.get_by_label("Check-in"), page.get_by_label("Check-out")
    expect(rotation).to_have_value("")
    # The only rotation these dates overlap, though its hospital is far from the room.
    check_in.fill(future(100))
    check_out.fill(future(110))
    expect(rotation).to_have_value(baltimore)
    check_in.fill(future(70))
    check_out.fill(future(80))
    expect(rotation).to_have_value("")
    check_in.fill(future(44))
    check_out.fill(future(60))
    expect(rotation).to_have_value(fargo)
    page.get_by_role("button", name="Request booking").click()
    expect(page.get_by_role("status").filter(has_text="Request sent.")).to_be_visible()
    [booking] = [
        b
        for b in people.student.call("GET", f"/me/bookings?role=guest&listing_id={listing_id}")["items"]
        if b["check_in"] == future(44)
    ]
    assert booking["rotation_id"] == fargo

    # From the Baltimore rotation's room matches (a link: the page was shown already).
    page.evaluate(f"location.hash = '#/listings/{listing_id}?rotation={baltimore}'")
    expect(rotation).to_have_value(baltimore)
    expect(check_in).to_have_value(future(90))
    rotation.select_option("")
    check_in.fill(future(44))
    check_out.fill(future(62))
    expect(rotation).to_have_value("")
    assert pages.errors == []


def test_a_search_link_without_the_hospitals_name_names_it(pages: Pages, people: People) -> None:
    """`#/search?hospital=<id>` (typed, or older than `hname`) named the hospital by its id, on
    the picker and every card: it is looked up and named, and the URL gains its name; an id
    the directory does not know stays the name."""
    visitor = pages.open("visitor", PHONE)
    visitor.goto(f"/#/search?hospital={FARGO}")
    expect(visitor.locator(".picker")).to_contain_text(f"Chosen: {FARGO_LABEL}")
    card = room_card(visitor, people.booked_room["title"])
    expect(card).to_contain_text(re.compile(rf"About \d+\.\d km from {FARGO_LABEL}"))
    assert "hname=Essentia+Health+Fargo%2C+Fargo%2C+ND" in visitor.url, visitor.url
    card.get_by_role("link").click()
    where = visitor.get_by_role("region", name="Where it is").locator("p.where")
    expect(where).to_contain_text(f"of {FARGO_LABEL}.")

    visitor.goto("/#/search?hospital=nowhere-general-hospital-zz")
    expect(visitor.locator(".picker")).to_contain_text("Chosen: nowhere-general-hospital-zz")
    assert pages.errors == []
