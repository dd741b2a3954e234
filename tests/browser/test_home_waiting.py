"""A member's home names what waits for them: a host's and mentor's home said only "You
have 1 unread message" (the request's conversation), and the requests were a click away;
a student's home showed neither the stay to pay nor the meeting times to answer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from tests.browser.conftest import FARGO, Client, Pages, future
from tests.browser.test_journey import fargo_room


def mentoring_host(pages: Pages, name: str) -> tuple[Page, Client, str]:
    """A host at Fargo who mentors: their page, their client and their id."""
    page = pages.open("host")
    as_host = Client(page.request, pages.mailbox)
    host_id = as_host.sign_up("professional", name)
    as_host.call(
        "PATCH",
        "/me/profile",
        {"specialties": ["surgery"], "hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 2},
    )
    return page, as_host, host_id


def test_a_hosts_home_lists_the_requests_waiting_for_an_answer(pages: Pages) -> None:
    host_page, as_host, host_id = mentoring_host(pages, "Dr. Busy Host")
    listing = fargo_room(as_host, f"Room with a waiting request {uuid.uuid4().hex[:6]}")
    host_page.goto("/#/")
    expect(host_page.get_by_role("heading", name="Welcome, Dr. Busy Host")).to_be_visible()
    waiting = host_page.get_by_role("region", name="Waiting for you")
    expect(waiting).to_have_count(0)

    as_student = Client(pages.open("student").request, pages.mailbox)
    as_student.sign_up("student", "Asking Student")
    as_student.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(10), "check_out": future(24), "hospital_id": FARGO},
    )
    host_page.reload()
    expect(waiting.get_by_role("link")).to_have_text(["1 booking request"])
    expect(waiting.get_by_role("link", name="1 booking request")).to_have_attribute("href", "#/bookings")

    # A mentorship request arrives while the home is open: it is added live.
    as_student.call("POST", "/mentorships", {"mentor_id": host_id, "message": "Advice on surgery, please."})
    expect(waiting.get_by_role("link")).to_have_text(["1 booking request", "1 mentorship request"])
    expect(waiting.get_by_role("link", name="1 mentorship request")).to_have_attribute("href", "#/mentorships")

    # A letter request too (a mentor's home did not show them).
    [mentorship] = as_student.call("GET", "/me/mentorships")["items"]
    as_host.call("POST", f"/mentorships/{mentorship['id']}/accept")
    as_student.call(
        "POST",
        "/letters",
        {
            "writer_id": host_id,
            "specialty": "Surgery",
            "programs": 20,
            "deadline": future(20),
            "application": "other",
            "waived": True,
        },
    )
    expect(waiting.get_by_role("link")).to_have_text(["1 booking request", "1 letter request"])
    expect(waiting.get_by_role("link", name="1 letter request")).to_have_attribute("href", "#/letters")

    # Meeting times the student proposed, to the plan that answers them.
    soon = (datetime.now(UTC) + timedelta(days=5)).replace(hour=15, minute=0, second=0, microsecond=0)
    as_student.call("POST", f"/mentorships/{mentorship['id']}/meetings", {"options": [soon.isoformat()]})
    proposed = waiting.get_by_role("link", name="Asking Student proposed meeting times")
    expect(proposed).to_have_attribute("href", f"#/mentorships/{mentorship['id']}")
    assert pages.errors == []


def test_a_students_home_lists_the_stay_to_pay_and_the_times_to_answer(pages: Pages) -> None:
    _, as_host, host_id = mentoring_host(pages, "Dr. Answering Host")
    title = f"Room to pay for {uuid.uuid4().hex[:6]}"
    listing = fargo_room(as_host, title)
    student_page = pages.open("student")
    as_student = Client(student_page.request, pages.mailbox)
    as_student.sign_up("student", "Paying Student")
    booking = as_student.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": future(10), "check_out": future(24), "hospital_id": FARGO},
    )
    mentorship = as_student.call("POST", "/mentorships", {"mentor_id": host_id, "message": "Surgery advice?"})
    as_host.call("POST", f"/mentorships/{mentorship['id']}/accept")
    student_page.goto("/#/")
    expect(student_page.get_by_role("heading", name="Welcome, Paying Student")).to_be_visible()
    waiting = student_page.get_by_role("region", name="Waiting for you")
    expect(waiting).to_have_count(0)  # a request not yet answered waits for the host, not the student

    # The host accepts while the home is open: the stay to pay is added live.
    as_host.call("POST", f"/bookings/{booking['id']}/accept")
    pay = waiting.get_by_role("link", name=f"Pay for “{title}”")
    expect(pay).to_have_attribute("href", f"#/bookings/{booking['id']}/pay")
    expect(waiting).to_contain_text("the host accepted, and the stay is confirmed once it is paid")

    # The mentor proposes times: they are the student's to answer; times already past are not.
    soon = (datetime.now(UTC) + timedelta(days=5)).replace(hour=15, minute=0, second=0, microsecond=0)
    as_host.call("POST", f"/mentorships/{mentorship['id']}/meetings", {"options": [soon.isoformat()]})
    proposed = waiting.get_by_role("link", name="Dr. Answering Host proposed meeting times")
    expect(proposed).to_have_attribute("href", f"#/mentorships/{mentorship['id']}")
    expect(waiting.get_by_role("link")).to_have_count(2)

    # Their own proposal waits for the mentor, not for them.
    later = soon + timedelta(days=1)
    as_student.call("POST", f"/mentorships/{mentorship['id']}/meetings", {"options": [later.isoformat()]})
    student_page.reload()
    expect(proposed).to_be_visible()
    expect(waiting.get_by_role("link")).to_have_count(2)
    assert pages.errors == []


def test_a_rooms_page_links_to_that_rooms_requests_only(pages: Pages) -> None:
    """The host's room page said "See its requests" and opened every room's."""
    host_page = pages.open("host")
    as_host = Client(host_page.request, pages.mailbox)
    as_host.sign_up("professional", "Dr. Two Rooms")
    tag = uuid.uuid4().hex[:6]
    first, second = (fargo_room(as_host, f"{name} {tag}") for name in ("Attic room", "Garden room"))
    as_student = Client(pages.open("student").request, pages.mailbox)
    as_student.sign_up("student", "Asking Twice")
    for room, start in ((first, 10), (second, 40)):
        as_student.call(
            "POST",
            f"/listings/{room['id']}/bookings",
            {"check_in": future(start), "check_out": future(start + 14), "hospital_id": FARGO},
        )
    host_page.goto(f"/#/listings/{first['id']}")
    host_page.get_by_role("link", name="See its booking requests").click()
    requests = host_page.get_by_role("list", name=f"Requests for “Attic room {tag}”")
    expect(requests.get_by_role("listitem")).to_have_count(1)
    expect(requests).to_contain_text(f"Attic room {tag}")
    host_page.get_by_role("link", name="See every room's requests").click()
    expect(host_page.get_by_role("list", name="Requests for your rooms").get_by_role("listitem")).to_have_count(2)
    assert pages.errors == []
