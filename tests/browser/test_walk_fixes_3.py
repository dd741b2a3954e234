"""What a third walk, by keyboard at 375 px, found, fixed in the web client: focus fell to the
page after most actions (Search, Send, logging in on #/, Accept, a refused "Save room" whose
errors were out of sight); "Ask … to mentor you" came back after a reload though the request
was waiting; a hospital picked in Search, report reasons and a profile's specialties read in
the wrong case, a listing's distance began in lower case and a suspension's reason had two
full stops; a room that is gone was a bare "Listing not found"; a match's score parted from
its unit; the plan's suggestions sat on grey pills; a conversation's Safety panel offered to
message the person already being messaged.

One system and one host (a mentor too, with a room) for the module; each test makes the
students it changes."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from services.runner import Stack
from shared.mailsink import Mailbox
from tests.browser.conftest import FARGO, PASSWORD, PHONE, Client, Pages, future, room_card
from tests.browser.test_accessibility import mentors_known, operators_page
from tests.browser.test_client_fixes import room
from tests.eventually import eventually_sync

FARGO_LABEL = "Essentia Health Fargo, Fargo, ND"


@dataclass
class Host:
    """The module's host: a physician in emergency medicine, mentoring at Fargo, with a room."""

    id: str
    name: str
    email: str
    listing_id: str
    client: Client


@pytest.fixture(scope="module")
def host(browser: Browser, stack: Stack) -> Iterator[Host]:
    setup = Pages(browser, stack.url, Mailbox(stack.mail_dir))
    client = Client(setup.open("host").request, setup.mailbox)
    name = f"Dr. Walk {uuid.uuid4().hex[:6]}"
    host_id = client.sign_up("professional", name)
    client.call(
        "PATCH",
        "/me/profile",
        {
            "profession": "physician",
            "specialties": ["emergency medicine"],
            "hospital_ids": [FARGO],
            "open_to_mentoring": True,
            "mentoring_capacity": 5,
        },
    )
    listing = client.call("POST", "/listings", room(title=f"Walk room {uuid.uuid4().hex[:6]}"))
    mentors_known(stack, [host_id])
    yield Host(host_id, name, client.call("GET", "/me")["user"]["email"], listing["id"], client)
    setup.close()


def student(pages: Pages, name: str) -> tuple[Page, Client]:
    """A new student's page (375 px wide), logged in, and their API client."""
    page = pages.open(name, PHONE)
    client = Client(page.request, pages.mailbox)
    client.sign_up("student", f"{name} {uuid.uuid4().hex[:6]}")
    return page, client


def log_in(page: Page, email: str) -> None:
    reply = page.request.post("/api/v1/auth/login", data={"email": email, "password": PASSWORD})
    assert reply.ok, reply.text()


def press(button: Locator) -> None:
    """Enter on a button reached by the keyboard."""
    button.focus()
    button.press("Enter")


def test_focus_stays_after_search_and_the_picked_hospital_reads_as_words(pages: Pages, host: Host) -> None:
    """Search's button, disabled while it searched, lost focus to the page; the hospital
    picked read "ESSENTIA HEALTH FARGO" on the cards, in the URL and on the listing, whose
    distance began "approximately …" in lower case."""
    page, _ = student(pages, "Searcher")
    page.goto("/#/search")
    page.get_by_role("searchbox", name="Near hospital").fill("Essentia Health Fargo")
    page.get_by_role("button", name=FARGO_LABEL).click()
    search = page.get_by_role("button", name="Search", exact=True)
    press(search)
    rooms = page.get_by_role("list", name="Rooms")
    expect(rooms.get_by_role("listitem").first).to_be_visible()
    expect(search).to_be_focused()
    card = room_card(page, host.client.call("GET", f"/listings/{host.listing_id}")["title"])
    expect(card).to_contain_text(re.compile(rf"About \d+\.\d km from {FARGO_LABEL}"))
    assert "hname=Essentia+Health+Fargo%2C+Fargo%2C+ND" in page.url, page.url
    card.get_by_role("link").click()
    where = page.get_by_role("region", name="Where it is").locator("p.where")
    expect(where).to_have_text(re.compile(rf"^The room is approximately \d+\.\d km [a-z-]+ of {FARGO_LABEL}\.$"))
    assert pages.errors == []


def test_logging_in_with_enter_on_the_first_page_focuses_home(pages: Pages, host: Host) -> None:
    """On #/ the hash does not change when logging in: focus stayed on the page's body."""
    page = pages.open("visitor", PHONE)
    page.goto("/#/")
    page.get_by_label("Email", exact=True).fill(host.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password", exact=True).press("Enter")
    expect(page.get_by_role("heading", name=f"Welcome, {host.name}", level=1)).to_be_focused()


def test_send_keeps_focus_and_the_safety_panel_offers_no_message(pages: Pages, host: Host) -> None:
    """After Send (disabled while sending, and again once the box is empty) focus goes back to
    the message box; the Safety panel no longer offers "Message" to this very conversation."""
    page, as_student = student(pages, "Writer")
    chat = as_student.call("POST", "/conversations", {"user_id": host.id, "body": "Hello"})
    page.goto(f"/#/inbox/{chat['id']}")
    box = page.get_by_label("Message", exact=True)
    box.fill("Is the room still free in March?")
    press(page.get_by_role("button", name="Send", exact=True))
    expect(page.get_by_role("list", name="Messages")).to_contain_text("Is the room still free in March?")
    expect(box).to_be_focused()
    expect(box).to_have_value("")
    page.locator("summary", has_text="Safety").click()
    safety = page.locator("details.safety")
    expect(safety.get_by_role("button", name="Report")).to_be_visible()
    expect(safety.get_by_role("button", name="Message")).to_have_count(0)
    assert pages.errors == []


def test_a_refused_room_save_focuses_its_first_field_in_error(pages: Pages, host: Host) -> None:
    """A refused "Save room" showed its errors a thousand pixels above the button, focus on
    the page: focus (and the view) goes to the first field in error; "Available to" before
    "Available from" is refused beside "Available to"."""
    page = pages.open("host", PHONE)
    log_in(page, host.email)
    page.goto(f"/#/listings/{host.listing_id}/edit")
    title = page.get_by_label("Title", exact=True)
    expect(title).not_to_have_value("")
    title.fill("ab")
    page.get_by_label("Monthly rent (USD)").fill("-5")
    page.get_by_label("Minimum stay (nights)").fill("0")
    press(page.get_by_role("button", name="Save room"))
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_be_focused()
    expect(title).to_be_in_viewport()
    expect(page.get_by_label("Monthly rent (USD)")).to_have_attribute("aria-invalid", "true")

    title.fill("A room kept as it was")
    page.get_by_label("Monthly rent (USD)").fill("900")
    page.get_by_label("Minimum stay (nights)").fill("7")
    page.get_by_label("Available from").fill(future(60))
    available_to = page.get_by_label("Available to")
    available_to.fill(future(30))
    press(page.get_by_role("button", name="Save room"))
    expect(available_to).to_have_attribute("aria-invalid", "true")
    expect(available_to).to_have_accessible_description(re.compile("on or after the first available date"))
    expect(available_to).to_be_focused()
    assert host.client.call("GET", f"/listings/{host.listing_id}")["title"].startswith("Walk room")


def test_accept_moves_focus_to_the_cards_new_status(pages: Pages, host: Host) -> None:
    """The host's Accept left with the request's old status and focus fell to the page: the
    card's status line takes it, reading "Accepted"."""
    _, as_student = student(pages, "Guest")
    booking = as_student.call(
        "POST",
        f"/listings/{host.listing_id}/bookings",
        {"check_in": future(20), "check_out": future(34), "hospital_id": FARGO},
    )
    page = pages.open("host", PHONE)
    log_in(page, host.email)
    page.goto("/#/bookings")
    card = page.locator(f"#booking-{booking['id']}")
    press(card.get_by_role("button", name="Accept", exact=True))
    status = card.locator("p", has=page.locator(".status"))
    expect(status).to_contain_text("Accepted")
    expect(status).to_be_focused()
    assert pages.errors == []


def test_a_mentor_asked_once_is_not_offered_again(pages: Pages, stack: Stack, host: Host) -> None:
    """After a reload the rotation's card, the mentor's profile and their room offered "Ask …
    to mentor you" again (sent, it was refused): they say the request is waiting, then that
    the mentorship is under way. The request's notice and the mentor's Accept keep focus; the
    match's score stays with its unit; the plan's suggestions are plain buttons."""
    page, as_student = student(pages, "Mentee")
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "emergency medicine", "start_date": future(20), "end_date": future(48)},
    )
    eventually_sync(
        lambda: as_student.call("GET", f"/rotations/{rotation['id']}/mentor-matches?limit=100")["items"],
        15,
        what="the host among the student's mentor matches",
        until=lambda items: any(m["mentor"]["id"] == host.id for m in items),
        interval=0.1,
    )
    page.goto(f"/#/rotations/{rotation['id']}")
    score = page.get_by_role("list", name="Room matches").locator(".nowrap", has_text=re.compile(r"^match \d+%$"))
    expect(score.first).to_be_visible()
    card = page.get_by_role("list", name="Mentor matches").get_by_role("listitem").filter(has_text=host.name)
    card.get_by_role("button", name=f"Ask {host.name} to mentor you").click()
    card.get_by_label("Message to the mentor").fill("Advice on emergency medicine, please.")
    press(card.get_by_role("button", name="Request mentorship"))
    notice = card.get_by_role("status")
    expect(notice).to_contain_text(f"Mentorship requested from {host.name}")
    expect(notice).to_be_focused()

    waiting = re.compile(f"Mentorship requested from {host.name}: waiting for their answer")
    page.reload()
    expect(card.get_by_role("status")).to_contain_text(waiting)
    expect(card.get_by_role("button", name=f"Ask {host.name} to mentor you")).to_have_count(0)
    page.goto(f"/#/users/{host.id}")
    expect(page.get_by_role("status").filter(has_text=waiting)).to_be_visible()
    expect(page.get_by_role("button", name=f"Ask {host.name} to mentor you")).to_have_count(0)
    # The profile's specialties read as words ("emergency medicine" as typed).
    expect(page.locator("dl.facts")).to_contain_text("Emergency medicine")
    page.goto(f"/#/listings/{host.listing_id}")
    expect(page.get_by_role("region", name="Your host").get_by_role("status")).to_contain_text(waiting)

    mentor = pages.open("mentor", PHONE)
    log_in(mentor, host.email)
    mentor.goto("/#/mentorships")
    request = mentor.get_by_role("listitem", name=re.compile("^From Mentee"))
    press(request.get_by_role("button", name="Accept", exact=True))
    status = request.locator("p", has=mentor.locator(".status"))
    expect(status).to_contain_text("Accepted")
    expect(status).to_be_focused()

    page.goto(f"/#/users/{host.id}")
    under_way = page.get_by_role("status").filter(has_text=f"{host.name} mentors you")
    expect(under_way).to_be_visible()
    under_way.get_by_role("link", name="Open your plan").click()
    suggestion = page.get_by_role("list", name="Suggested goals").get_by_role("listitem").first
    expect(suggestion).to_be_visible()
    assert suggestion.evaluate("li => getComputedStyle(li).backgroundColor") == "rgba(0, 0, 0, 0)"
    assert pages.errors == []


def test_reports_read_as_words_and_a_gone_room_says_so(pages: Pages, stack: Stack) -> None:
    """Report reasons read "scam" in the form and the operators' queue; a suspension from a
    report whose details end in a full stop read "… Wardmate.. Note: …"; the suspended host's
    room was a bare red "Listing not found": it has a heading (focused), says why, and leads
    back to search."""
    tag = uuid.uuid4().hex[:6]
    as_scammer = Client(pages.open("scammer").request, pages.mailbox)
    scammer_name = f"Dr. Wire {tag}"
    scammer_id = as_scammer.sign_up("professional", scammer_name)
    listing = as_scammer.call("POST", "/listings", room(title=f"Too cheap {tag}"))
    page, _ = student(pages, "Reporter")
    page.goto(f"/#/users/{scammer_id}")
    page.get_by_role("button", name="Report").click()
    reason = page.get_by_label("Reason")
    expect(reason.locator("option")).to_have_text(
        ["Choose a reason", "Scam", "Harassment", "Spam", "Inappropriate", "Other"]
    )
    reason.select_option("scam")
    details = f"Asked me to pay by wire outside Wardmate {tag}."
    page.get_by_label("What happened").fill(details)
    press(page.get_by_role("button", name="Send report"))
    sent = page.get_by_role("status").filter(has_text="Report sent to the operators.")
    expect(sent).to_be_focused()

    operator = operators_page(pages, stack)
    report = operator.get_by_role("list", name="Reports").get_by_role("listitem").filter(has_text=details)
    expect(report.get_by_role("heading")).to_have_text(re.compile(r"^Scam · "))
    report.get_by_label("Outcome").select_option("Suspended the reported user")
    report.get_by_label("Note (optional)").fill("Confirmed by the bank")
    report.get_by_role("button", name="Resolve").click()
    entry = operator.get_by_role("list", name="Suspended accounts").get_by_role("listitem", name=scammer_name)
    expect(entry).to_contain_text(f"outside Wardmate {tag}. Note: Confirmed by the bank")
    expect(entry).not_to_contain_text("..")

    eventually_sync(
        lambda: page.request.get(f"/api/v1/listings/{listing['id']}").status,
        what="the suspended host's room held",
        until=lambda status: status == 404,
    )
    # Reached by a link (a hash change), as a stale search result or notification leads there.
    page.goto("/#/bookings")
    expect(page.get_by_role("heading", name="Bookings", level=1)).to_be_visible()
    page.evaluate(f"location.hash = '#/listings/{listing['id']}'")
    heading = page.get_by_role("heading", name="This room is not available", level=1)
    expect(heading).to_be_focused()
    expect(page.locator("#main")).to_contain_text("It may have been removed")
    page.get_by_role("link", name="Find another room").click()
    expect(page.get_by_role("heading", name="Find a room", level=1)).to_be_visible()
    assert pages.errors == []
