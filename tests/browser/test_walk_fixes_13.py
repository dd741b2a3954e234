"""A keyboard-only walk with axe: a hospital picked on the first page left focus on the body
(the search rewrote its URL before the heading took focus); a new password's notice, the
plan's additions and a goal's new status were never said; a refund's fixed errors stayed
while it asked; the reschedule form ignored Escape; an empty login read "Email or password
is incorrect"; the pickers never said how many suggestions they had."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import LAPTOP, PASSWORD, Client, Pages
from tests.browser.test_plan_goals import accepted_pair, open_plan


def test_the_first_pages_pickers_and_login_by_keyboard(pages: Pages) -> None:
    page = pages.open("visitor", LAPTOP)
    page.goto("/#/")
    page.get_by_role("button", name="Log in").press("Enter")
    expect(page.get_by_label("Email", exact=True)).to_have_accessible_description("Required.")
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    expect(page.get_by_text("Email or password is incorrect")).to_have_count(0)

    picker = page.get_by_role("searchbox", name="Find a room near a hospital")
    picker.focus()
    page.keyboard.type("Fargo")
    expect(page.get_by_role("status").filter(has_text="press Down to choose one")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", name="Find a room", level=1)
    expect(heading).to_be_visible()
    expect(heading).to_be_focused()  # it was the page's body: Tab began again at the top
    assert pages.errors == []


def test_a_new_passwords_notice_takes_focus(pages: Pages) -> None:
    owner = Client(pages.open("owner").request, pages.mailbox)
    owner.sign_up("student", "Keyboard Resetter")
    email = owner.call("GET", "/me")["user"]["email"]
    owner.call("POST", "/auth/password-reset", {"email": email})
    [mail] = pages.mailbox.wait_for_sync(email, lambda m: "Reset your Wardmate password" in m.subject)
    page = pages.open("reader")
    page.goto(mail.link("reset-password"))
    field = page.get_by_label("New password", exact=True)
    field.fill(PASSWORD + "-new")
    field.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Your password is changed")).to_be_focused()
    assert pages.errors == []


def test_the_plan_says_what_was_done(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    page = pair.student
    open_plan(page, pair.plan_path)

    add = page.get_by_role("form", name="Add a goal")
    add.get_by_label("Goal", exact=True).fill(f"Present on rounds {tag}")
    add.get_by_role("button", name="Add goal").press("Enter")
    expect(page.get_by_role("status").filter(has_text=f"Goal added: “Present on rounds {tag}”.")).to_be_visible()

    propose = page.get_by_role("form", name="Propose a meeting")
    soon = datetime.now(UTC) + timedelta(days=3)
    propose.get_by_label("Time 1").fill(soon.strftime("%Y-%m-%dT10:00"))
    propose.get_by_label("Place").fill("Cafeteria")
    propose.get_by_role("button", name="Propose").press("Enter")
    expect(propose.get_by_role("status")).to_have_text(f"Meeting proposed: Dr. Goals {tag} is asked to choose a time.")

    note = page.get_by_role("form", name="Write a note")
    note.get_by_label("Note", exact=True).fill("Ask about the night shift")
    note.get_by_role("button", name="Save note").press("Enter")
    expect(note.get_by_role("status")).to_have_text("Note saved: only you see it.")

    # A meeting's new times: Escape keeps it as it is, focus back on Reschedule.
    [meeting] = pair.as_mentor.call("GET", f"/mentorships/{pair.mentorship_id}/plan")["meetings"]
    pair.as_mentor.call("POST", f"/meetings/{meeting['id']}/accept", {"starts_at": meeting["options"][0]["utc"]})
    open_plan(page, pair.plan_path)
    reschedule = page.get_by_role("button", name="Reschedule")
    reschedule.press("Enter")
    new_times = page.get_by_role("form", name="New times for this meeting")
    expect(new_times.get_by_label("Time 1")).to_be_focused()
    page.keyboard.press("Escape")
    expect(new_times).to_have_count(0)
    expect(reschedule).to_be_focused()
    assert pages.errors == []
