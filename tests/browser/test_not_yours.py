"""A page of another role, typed in or followed from an old link: an operator's #/payouts
showed a host's empty payouts, a student's #/listings offered "Post a room" (refused
"forbidden" on saving), a host's #/rotations offered "Add a rotation" (refused the same way).
Each now says whose page it is and where the visitor's own is, and asks the API nothing."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from services.runner import Stack
from tests.browser.conftest import Client, Pages
from tests.browser.test_accessibility import make_admin


def _told(page: Page, path: str, heading: str, says: str, link: str) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(f"/#/{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.get_by_role("status")).to_contain_text(says)
    expect(page.get_by_role("main").get_by_role("link", name=link)).to_be_visible()
    # The old pages loaded the visitor's own (empty) payouts, rooms or rotations.
    own = ("/api/v1/me/payouts", "/api/v1/me/listings", "/api/v1/me/rotations")
    assert [url for url in asked if url.split("?")[0].endswith(own)] == []


def test_a_student_on_a_hosts_pages_is_told_where_theirs_are(pages: Pages) -> None:
    student = pages.open("student")
    Client(student.request).sign_up("student", "Ana Student")
    _told(student, "payouts", "Payouts", "Payouts are a host's", "Bookings")
    _told(student, "listings/new", "Your rooms", "Rooms are posted by medical professionals", "Find a room")
    expect(student.get_by_role("button", name="Post room")).to_have_count(0)
    _told(student, "listings", "Your rooms", "Rooms are posted by medical professionals", "Find a room")
    assert pages.errors == []


def test_a_host_on_a_students_rotations_is_told_where_requests_are(pages: Pages) -> None:
    host = pages.open("host")
    Client(host.request).sign_up("professional", "Dr. Host")
    _told(host, "rotations", "Rotations", "Rotations are a student's", "Mentorships")
    expect(host.get_by_role("button", name="Add a rotation")).to_have_count(0)
    assert pages.errors == []


def test_an_operator_on_payouts_is_sent_to_the_operator_page(pages: Pages, stack: Stack) -> None:
    operator = pages.open("operator")
    make_admin(stack, operator)
    _told(operator, "payouts", "Payouts", "Operators have no payouts of their own", "operator page")
    _told(operator, "rotations", "Rotations", "Operators have no rotations of their own", "cohort match rounds")
    assert pages.errors == []
