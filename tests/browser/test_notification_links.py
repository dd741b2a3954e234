"""A notification opens the page where its reader acts on it (found walking): a host's
acceptance opened the booking's conversation, which said "pay through Wardmate" with no
way to pay; a mentor's acceptance, and the plan's goal and meeting notices, opened the
inbox or the list of mentorships instead of the plan."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from services.runner import Stack
from tests.browser.conftest import Pages
from tests.browser.test_payments import accepted_booking
from tests.browser.test_plan_goals import accepted_pair


def open_notice(page: Page, text: str) -> None:
    """Open the notifications page and follow the notice that says ``text``."""
    page.goto("/#/notifications")
    page.get_by_role("link", name=re.compile(re.escape(text))).click()


def test_an_accepted_stay_notice_opens_its_payment(pages: Pages) -> None:
    _, student, booking, _ = accepted_booking(pages)
    open_notice(student, "Dr. Paid accepted your request")
    expect(student).to_have_url(re.compile(rf"#/bookings/{booking['id']}/pay$"))
    expect(student.get_by_role("button", name=re.compile(r"^Pay \$"))).to_be_visible()
    assert pages.errors == []


def test_mentoring_notices_open_the_plan(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    plan = re.compile(rf"#/mentorships/{pair.mentorship_id}$")
    open_notice(pair.student, f"Dr. Goals {tag} agreed to be your mentor")
    expect(pair.student).to_have_url(plan)
    expect(pair.student.get_by_role("heading", name="Goals", exact=True)).to_be_visible()

    pair.as_mentor.call("POST", f"/mentorships/{pair.mentorship_id}/goals", {"title": f"Present on rounds {tag}"})
    pair.student.goto("/#/notifications")
    notice = pair.student.get_by_role("link", name=re.compile(f"Dr. Goals {tag} added a goal to your mentoring plan"))
    notice.click()
    expect(pair.student).to_have_url(plan)
    expect(pair.student.get_by_role("list", name="Goals", exact=True)).to_contain_text(f"Present on rounds {tag}")
    assert pages.errors == []
