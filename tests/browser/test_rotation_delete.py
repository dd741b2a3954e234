"""A rotation's page had no way to delete it (the API's DELETE /rotations/{id} had no button),
and its "Change dates" left focus behind: opening the form kept focus on a button that was
gone, and closing it ("Save dates", "Keep the dates") dropped focus to the page."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from services.runner import Stack
from tests.browser.conftest import FARGO, Client, Pages, future
from tests.browser.test_accessibility import mentors_known
from tests.browser.test_journey import fargo_room


def rotation(as_student: Client, specialty: str, start: int = 30) -> dict[str, Any]:
    body = {"hospital_id": FARGO, "specialty": specialty, "start_date": future(start), "end_date": future(start + 28)}
    return dict(as_student.call("POST", "/rotations", body))


def shown(days: int) -> str:
    """A date as the client writes it (fmtDate): "Jan 5, 2027"."""
    day = date.today() + timedelta(days=days)
    return f"{day:%b} {day.day}, {day.year}"


def open_rotation(page: Page, rotation_id: str) -> None:
    """The rotation's page, its matches loaded (a load still running when the rotation is
    deleted shows an alert of its own)."""
    page.goto(f"/#/rotations/{rotation_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(" at "))
    expect(page.get_by_role("heading", name="Mentors for this rotation")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Loading…")).to_have_count(0)


def test_a_student_deletes_a_rotation_after_being_asked(pages: Pages, stack: Stack) -> None:
    """ "Delete this rotation" asks first, saying what goes (its suggestions) and what stays
    (stays and mentorships); yes, and the list opens without it, focus on its heading."""
    student, host, mentor = pages.open("student"), pages.open("host"), pages.open("mentor")
    as_student, as_host, as_mentor = Client(student.request), Client(host.request), Client(mentor.request)
    tag = uuid.uuid4().hex[:6]
    as_host.sign_up("professional", f"Dr. Host {tag}")
    listing = fargo_room(as_host, f"Room kept {tag}")
    mentor_id = as_mentor.sign_up("professional", f"Dr. Mentor {tag}")
    as_mentor.call(
        "PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 2}
    )
    as_student.sign_up("student", f"Student {tag}")
    kept = rotation(as_student, "cardiology", start=60)
    gone = rotation(as_student, "neurology")
    mentors_known(stack, [mentor_id])
    booking = as_student.call(
        "POST",
        f"/listings/{listing['id']}/bookings",
        {"check_in": gone["start_date"], "check_out": gone["end_date"], "rotation_id": gone["id"]},
    )
    mentorship = as_student.call(
        "POST", "/mentorships", {"mentor_id": mentor_id, "rotation_id": gone["id"], "message": "Hello"}
    )

    open_rotation(student, gone["id"])
    student.get_by_role("button", name="Delete this rotation").click()
    question = student.get_by_role("group", name=re.compile("^Delete this rotation"))
    expect(question).to_contain_text("Its room and mentor suggestions go with it.")
    expect(question).to_contain_text("Stays you have requested or booked, and your mentorships, are kept.")
    expect(question.get_by_role("button", name="Keep it")).to_be_focused()
    question.get_by_role("button", name="Yes, delete it").click()

    expect(student).to_have_url(re.compile("#/rotations$"))
    expect(student.get_by_role("heading", name="Your rotations", level=1)).to_be_focused()
    listed = student.get_by_role("list", name="Rotations")
    expect(listed.get_by_role("link", name=re.compile("^Cardiology at "))).to_have_attribute(
        "href", f"#/rotations/{kept['id']}"
    )
    expect(listed.get_by_role("link", name=re.compile("^Neurology at "))).to_have_count(0)
    assert student.request.get(f"/api/v1/rotations/{gone['id']}").status == 404
    # What the question promised is kept: the stay requested for it and the mentorship.
    stays = as_student.call("GET", "/me/bookings?role=guest")["items"]
    assert [b["id"] for b in stays] == [booking["id"]]
    mentorships = as_student.call("GET", "/me/mentorships")["items"]
    assert [m["id"] for m in mentorships] == [mentorship["id"]]

    # Back to its page: it says the rotation is gone and where the others are.
    student.go_back()
    expect(student.get_by_role("heading", name="This rotation is not here")).to_be_focused()
    expect(student.get_by_role("link", name="Your rotations")).to_be_visible()
    assert pages.errors == []


def test_a_refused_delete_says_why_and_stays_on_the_page(pages: Pages) -> None:
    """Deleted meanwhile (in another tab), the rotation's delete is refused: the page says
    so in an alert, which takes focus (the answer pressed is gone), and stays put."""
    student = pages.open("student")
    as_student = Client(student.request)
    as_student.sign_up("student", "Student Twice")
    gone = rotation(as_student, "surgery")
    open_rotation(student, gone["id"])
    as_student.call("DELETE", f"/rotations/{gone['id']}")

    student.get_by_role("button", name="Delete this rotation").click()
    student.get_by_role("button", name="Yes, delete it").click()
    # The delete's own alert has focus. (The matches may say it too: the live feed's reload
    # once it connects can ask for them after the rotation is gone.)
    focused = student.locator(":focus")
    expect(focused).to_have_text("Rotation not found.")
    expect(focused).to_have_attribute("role", "alert")
    expect(student).to_have_url(re.compile(f"#/rotations/{gone['id']}$"))
    expect(student.get_by_role("button", name="Delete this rotation")).to_be_visible()
    assert pages.errors == []


def test_change_dates_takes_focus_into_its_form_and_back_to_its_button(pages: Pages) -> None:
    """ "Change dates" left focus on a button the form had replaced; "Keep the dates" and a
    saved change dropped it to the page (the save also remounted the button, keyed by the
    dates): the first field takes it, then the button again, once the new dates show."""
    student = pages.open("student")
    as_student = Client(student.request)
    as_student.sign_up("student", "Student Moving")
    moving = rotation(as_student, "pediatrics")
    open_rotation(student, moving["id"])
    change = student.get_by_role("button", name="Change dates")
    form = student.get_by_role("form", name="Change the rotation's dates")

    change.click()
    expect(form.get_by_label("Start date")).to_be_focused()
    form.get_by_label("Start date").fill(future(45))
    form.get_by_role("button", name="Keep the dates").click()
    expect(form).to_have_count(0)
    expect(change).to_be_focused()

    # Kept: the form opens again on the rotation's own dates, not the ones typed.
    change.click()
    expect(form.get_by_label("Start date")).to_be_focused()
    expect(form.get_by_label("Start date")).to_have_value(moving["start_date"])
    form.get_by_label("Start date").fill(future(33))
    form.get_by_label("End date").fill(future(61))
    form.get_by_role("button", name="Save dates").click()
    expect(student.get_by_text(f"{shown(33)} – {shown(61)}")).to_be_visible()
    expect(change).to_be_focused()

    change.click()
    expect(form.get_by_label("Start date")).to_have_value(future(33))
    assert pages.errors == []
