"""Defects a user walk found on the room, search, edit-room and conversation pages: a
refused date's message outlived its correction, an empty search blamed the radius for
rooms' minimum stays, an empty green box showed on the edit page, and a conversation hid
that its other person was blocked, offered a second report of a reported message, left
focus on the page's body and called the student "Them"."""

from __future__ import annotations

import random
import re
import time
import uuid
from typing import Any
from urllib.parse import urlencode

from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Client, Pages, future
from tests.browser.test_client_fixes import room
from tests.eventually import eventually_sync


def conversation(pages: Pages, tag: str) -> tuple[Page, Client, str, str]:
    """A host's page, their API client, and a conversation a student opened with them:
    the conversation's id and the student's name."""
    host = pages.open("host")
    as_host, as_student = Client(host.request, pages.mailbox), Client(pages.open("student").request, pages.mailbox)
    host_id = as_host.sign_up("professional", f"Dr. Walk {tag}")
    student_name = f"Walking Student {tag}"
    as_student.sign_up("student", student_name)
    chat = as_student.call("POST", "/conversations", {"user_id": host_id, "body": f"Is the room free? {tag}"})
    # Messaging learns names from accounts' events: a page opened before it had the student's
    # read "A Wardmate user" until the name's push reloaded it (CI, on a loaded machine). The
    # tests below are about other things: they start once the name is known.
    eventually_sync(
        lambda: as_host.call("GET", f"/conversations/{chat['id']}")["other"]["display_name"],
        30,
        what="messaging to know the student's name",
        until=lambda name: name == student_name,
        interval=0.2,
    )
    return host, as_host, str(chat["id"]), student_name


def test_a_corrected_stay_date_loses_its_error(pages: Pages) -> None:
    """Past dates refused ("must be today or later" beside Check-in), then corrected: the
    quote updated, but the message and the red border stayed beside the new dates."""
    student = pages.open("student")
    as_host, as_student = Client(pages.open("host").request, pages.mailbox), Client(student.request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Corrected Dates")
    listing = as_host.call("POST", "/listings", room())
    as_student.sign_up("student", "Corrected Student")
    student.goto(f"/#/listings/{listing['id']}")
    stay = student.get_by_role("form", name="Request a booking")
    check_in, check_out = stay.get_by_label("Check-in"), stay.get_by_label("Check-out")
    check_in.fill(future(-3))
    check_out.fill(future(10))
    stay.get_by_role("button", name="Request booking").click()
    expect(stay.get_by_text("must be today or later")).to_be_visible()
    expect(check_in).to_have_attribute("aria-invalid", "true")

    check_in.fill(future(5))
    check_out.fill(future(20))
    expect(stay.get_by_role("status").filter(has_text="15 nights")).to_be_visible()
    expect(stay.get_by_text("must be today or later")).to_have_count(0)
    expect(check_in).not_to_have_attribute("aria-invalid", "true")
    expect(stay.locator(".error")).to_have_count(0)
    assert pages.errors == []


def test_an_empty_search_for_dates_names_the_rooms_minimum_stay(pages: Pages) -> None:
    """A search of 4 nights found nothing and said "Try a wider radius, other dates or fewer
    amenities": the reason was the rooms' minimum stay of 14 nights, which it now says."""
    as_host = Client(pages.open("host").request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Long Stays")
    # A point in the Dakota prairie no other test searches near: this room is the only one.
    lat, lon = 46.2 + random.random() * 0.6, -101.9 + random.random() * 0.6
    body = room(address="1 Prairie Rd, Mott, ND", latitude=lat, longitude=lon, min_stay_nights=14)
    as_host.call("POST", "/listings", body)
    page = pages.open("student")
    Client(page.request, pages.mailbox).sign_up("student", "Short Stay Student")
    query = {"near": f"{lat:.5f},{lon:.5f}", "radius_km": "2", "from": future(10), "to": future(14)}
    page.goto("/#/search?" + urlencode(query))
    results = page.get_by_role("region", name="Results")
    expect(results).to_contain_text("at least 14 nights")
    expect(results).to_contain_text("longer dates")
    expect(results).not_to_contain_text("wider radius")

    # Long enough: the room is found.
    page.get_by_label("Check-out").fill(future(30))
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("list", name="Rooms").get_by_role("listitem")).to_have_count(1)
    assert pages.errors == []


def test_the_edit_pages_block_form_shows_no_empty_notice(pages: Pages) -> None:
    """An empty green status box showed above "Block these nights" before anything was
    done: the live region stays, styled as a notice only once it says something."""
    host = pages.open("host")
    as_host = Client(host.request, pages.mailbox)
    as_host.sign_up("professional", "Dr. No Empty Box")
    listing = as_host.call("POST", "/listings", room())
    host.goto(f"/#/listings/{listing['id']}/edit")
    form = host.get_by_role("form", name="Block dates")
    status = form.get_by_role("status")
    expect(status).to_have_count(1)
    expect(status).to_have_text("")
    expect(status).not_to_have_class(re.compile(r"\bnotice\b"))

    form.get_by_label("First night").fill(future(20))
    form.get_by_label("Until (the day after the last night)").fill(future(23))
    form.get_by_role("button", name="Block these nights").click()
    expect(status).to_contain_text("Blocked")
    expect(status).to_have_class(re.compile(r"\bnotice\b"))
    assert pages.errors == []


def test_a_conversation_shows_a_block_made_before_it_opened(pages: Pages) -> None:
    """After blocking the other person and reloading, the page still read "Safety: block or
    report …" and its message box worked until a message was refused: it now says so and
    offers Unblock in the box's place, which brings the box back."""
    tag = uuid.uuid4().hex[:6]
    host, as_host, chat_id, student_name = conversation(pages, tag)
    chat: dict[str, Any] = as_host.call("GET", f"/conversations/{chat_id}")
    as_host.call("POST", f"/users/{chat['other']['id']}/block")
    host.goto(f"/#/inbox/{chat_id}")
    expect(host.get_by_text(f"Is the room free? {tag}")).to_be_visible()
    expect(
        host.get_by_role("status").filter(has_text=f"You blocked {student_name}: neither of you can write")
    ).to_be_visible()
    expect(host.get_by_role("form", name="Send a message")).to_have_count(0)
    expect(host.get_by_text("Safety: block or report")).to_have_count(0)

    host.get_by_role("button", name="Unblock").first.click()
    expect(host.get_by_role("form", name="Send a message")).to_be_visible()
    expect(host.get_by_role("textbox", name="Message")).to_be_focused()
    expect(host.get_by_text(f"Safety: block or report {student_name}")).to_be_visible()
    assert pages.errors == []


def test_a_block_made_in_the_conversation_shows_at_once(pages: Pages) -> None:
    """Block under the conversation's Safety left its message box working until a reload
    (or a message refused): the block's notice takes the box's place, and focus."""
    tag = uuid.uuid4().hex[:6]
    host, _, chat_id, student_name = conversation(pages, tag)
    host.goto(f"/#/inbox/{chat_id}")
    expect(host.get_by_role("form", name="Send a message")).to_be_visible()
    host.get_by_text(f"Safety: block or report {student_name}").click()
    host.get_by_role("button", name="Block", exact=True).click()
    notice = host.get_by_role("status").filter(has_text=f"You blocked {student_name}: neither of you can write")
    expect(notice).to_be_focused()
    expect(host.get_by_role("form", name="Send a message")).to_have_count(0)
    expect(host.get_by_text(f"Safety: unblock or report {student_name}")).to_be_visible()
    assert pages.errors == []


def test_a_reported_message_says_reported_and_is_not_offered_again(pages: Pages) -> None:
    """ "Report message" came back on a message reported earlier in the page's life (the
    conversation left and opened again), and each report said "Reported." again: the button
    becomes a plain "Reported"."""
    tag = uuid.uuid4().hex[:6]
    host, _, chat_id, _ = conversation(pages, tag)
    host.goto(f"/#/inbox/{chat_id}")
    message = host.get_by_role("list", name="Messages").get_by_role("listitem").filter(has_text=tag)
    message.get_by_role("button", name="Report message").click()
    message.get_by_label("Reason").select_option("spam")
    message.get_by_role("button", name="Send report").click()
    reported = message.get_by_role("status").filter(has_text=re.compile(r"^Reported$"))
    expect(reported).to_be_focused()
    expect(message.get_by_role("button", name="Report message")).to_have_count(0)

    host.get_by_role("link", name="← Inbox").click()
    host.get_by_role("link", name=re.compile("Walking Student")).click()
    expect(message.get_by_text("Reported", exact=True)).to_be_visible()
    expect(message.get_by_role("button", name="Report message")).to_have_count(0)
    assert pages.errors == []


def test_an_opened_conversation_focuses_its_heading_and_names_the_sender(pages: Pages) -> None:
    """Opening a conversation left focus on the page's body (loaded at its URL, or its
    answer slower than the 2 s the router waits for a heading), and the host's view said
    "Them" for the student's messages: focus is on the heading, and each message of theirs
    is said to be the student's, by name."""
    tag = uuid.uuid4().hex[:6]
    host, _, chat_id, student_name = conversation(pages, tag)
    host.goto(f"/#/inbox/{chat_id}")
    heading = host.get_by_role("heading", level=1)
    expect(heading).to_contain_text(student_name)
    expect(heading).to_be_focused()
    message = host.get_by_role("list", name="Messages").get_by_role("listitem").filter(has_text=tag)
    expect(message).to_contain_text(f"{student_name},")
    expect(message).not_to_contain_text("Them")

    def slowly(route: Route) -> None:
        time.sleep(2.5)
        route.continue_()

    host.route(re.compile(rf"/api/v1/conversations/{chat_id}$"), slowly)
    host.get_by_role("link", name="← Inbox").click()
    expect(host.get_by_role("heading", level=1)).to_have_text("Inbox")
    host.get_by_role("link", name=re.compile(student_name)).click()
    expect(heading).to_contain_text(student_name, timeout=6000)
    expect(heading).to_be_focused()
    assert pages.errors == []
