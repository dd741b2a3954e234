"""Messaging pages in Chromium (audit msg2): a deletion reaches an open conversation live,
message bodies are shown isolated (no bidi override reaches past one), and each payment
notice links to its booking's receipt."""

from __future__ import annotations

import re
import uuid
from typing import Any

import orjson
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import PASSWORD, Client, Pages


def wait_live(page: Page) -> None:
    """The page's live feed is connected (the status bar says nothing)."""
    expect(page.locator(".statusbar .offline")).to_have_count(0)


def test_an_open_conversation_shows_the_other_sides_deletion_without_a_reload(pages: Pages) -> None:
    """The host deletes their account while the student has their conversation open: the
    page shows "Deleted user", "This message was deleted." in place of the host's words and
    a note in place of the composer, without being reloaded."""
    student = pages.open("student")
    as_host, as_student = Client(pages.open("host").request), Client(student.request)
    host_id = as_host.sign_up("professional", "Dr. Soon Gone")
    as_student.sign_up("student", "Left Behind Student")
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "Is the room free?"})
    as_host.call("POST", f"/conversations/{conversation['id']}/messages", {"body": "Yes, meet me at the entrance."})

    student.goto(f"/#/inbox/{conversation['id']}")
    expect(student.get_by_role("heading", level=1)).to_contain_text("Dr. Soon Gone")
    expect(student.get_by_text("Yes, meet me at the entrance.")).to_be_visible()
    expect(student.get_by_role("form", name="Send a message")).to_be_visible()
    wait_live(student)
    student.evaluate("() => { window.notReloaded = true; }")

    as_host.call("DELETE", "/me", {"password": PASSWORD})

    expect(student.get_by_role("heading", level=1)).to_contain_text("Deleted user")
    expect(student.get_by_text("This message was deleted.")).to_be_visible()
    expect(student.get_by_text("Yes, meet me at the entrance.")).to_have_count(0)
    expect(student.get_by_text("Is the room free?")).to_be_visible()  # what the student wrote stays
    expect(student.get_by_role("form", name="Send a message")).to_have_count(0)
    expect(student.get_by_role("status").filter(has_text="deleted their account")).to_be_visible()
    # Nothing left to report or block, and no badge to show (found walking).
    expect(student.get_by_role("heading", level=1)).to_have_text("Deleted user")
    expect(student.get_by_role("button", name="Report message")).to_have_count(0)
    expect(student.get_by_text("Safety: block or report")).to_have_count(0)
    assert student.evaluate("() => window.notReloaded === true")
    assert pages.errors == []


def test_a_message_is_shown_isolated_and_stored_without_its_override(pages: Pages) -> None:
    """A right-to-left override inside a message is dropped when stored ("invoice_txt.exe"
    stays as written), and every body is shown in an element of its own direction
    (``dir="auto"``, isolated), in the conversation and in the inbox's preview; an Arabic
    message keeps its bidi isolates."""
    host = pages.open("host")
    as_host, as_student = Client(host.request), Client(pages.open("student").request)
    host_id = as_host.sign_up("professional", "Dr. Bidi")
    as_student.sign_up("student", "Bidi Student")
    conversation = as_student.call("POST", "/conversations", {"user_id": host_id, "body": "invoice_\u202etxt.exe"})
    arabic = "\u0645\u0631\u062d\u0628\u0627 \u2067Fargo\u2069"
    as_student.call("POST", f"/conversations/{conversation['id']}/messages", {"body": arabic})

    host.goto(f"/#/inbox/{conversation['id']}")
    bodies = host.locator("ol.messages .body")
    expect(bodies).to_have_count(2)
    assert bodies.all_text_contents() == ["invoice_txt.exe", arabic]
    for body in bodies.all():
        expect(body).to_have_attribute("dir", "auto")
        assert body.evaluate("e => getComputedStyle(e).unicodeBidi") in ("isolate", "plaintext")
    assert bodies.nth(1).evaluate("e => getComputedStyle(e).direction") == "rtl"

    host.goto("/#/inbox")
    preview = host.locator(".conversations .last")
    expect(preview).to_have_text(arabic)
    expect(preview).to_have_attribute("dir", "auto")
    assert preview.evaluate("e => getComputedStyle(e).unicodeBidi") in ("isolate", "plaintext")
    assert pages.errors == []


PAYMENT_KINDS = ("payment_failed", "payment_refunded", "payment_released", "payment_reclaimed", "payment_overdue")


def test_each_payment_notice_links_to_its_bookings_receipt(pages: Pages) -> None:
    """Every payment notice carries its booking: the notifications page links each kind to
    the booking's receipt (an overdue one before its conversation); one without a booking
    has no link. The list is served by the test (one of each kind, already read)."""
    page = pages.open("guest")
    Client(page.request).sign_up("student", "Paying Student")
    bookings = {kind: str(uuid.uuid4()) for kind in PAYMENT_KINDS}

    def note(kind: str, booking_id: str | None, conversation_id: str | None = None) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "kind": kind,
            "text": f"About {kind} {booking_id or 'nothing'}",
            "booking_id": booking_id,
            "listing_id": None,
            "conversation_id": conversation_id,
            "review_id": None,
            "created_at": "2027-03-01T12:00:00Z",
            "read": True,
        }

    items = [
        note(kind, booking, str(uuid.uuid4()) if kind == "payment_overdue" else None)
        for kind, booking in bookings.items()
    ]
    items.append(note("payment_refunded", None))

    def serve(route: Route) -> None:
        route.fulfill(
            status=200, content_type="application/json", body=orjson.dumps({"items": items, "next_cursor": None})
        )

    page.route(re.compile(r".*/api/v1/notifications\?.*"), serve)
    page.goto("/#/notifications")
    for kind, booking in bookings.items():
        link = page.get_by_role("link", name=f"About {kind} {booking}")
        expect(link).to_have_attribute("href", f"#/bookings/{booking}/receipt")
        expect(link).to_have_attribute("dir", "auto")
    expect(page.get_by_text("About payment_refunded nothing")).to_be_visible()
    expect(page.get_by_role("link", name="About payment_refunded nothing")).to_have_count(0)
    page.get_by_role("link", name=f"About payment_failed {bookings['payment_failed']}").click()
    expect(page.get_by_role("heading", name="Receipt", level=1)).to_be_visible()
    assert pages.errors == []
