"""Issue #19's journey in Chromium: a student and a mentor agree goals, schedule and hold a
meeting, write notes, answer the mid-rotation check-in; the student asks for an ERAS
letter with a Letter ID and a waiver, the writer accepts and marks it submitted, the
student confirms; a third user sees none of it."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from services.runner import Stack
from tests.browser.conftest import FARGO, Client, Pages, axe_violations, future
from tests.browser.test_accessibility import check, make_admin, mentors_known, profiles_hold


def reload(page: Page, path: str, ready: str) -> None:
    page.goto(path)
    page.reload()
    expect(page.get_by_role("heading", name=ready)).to_be_visible()


def test_plan_and_letter_journey(pages: Pages, stack: Stack) -> None:
    """Goals, a meeting in both zones, notes, a check-in, an ERAS letter to confirmation;
    the third user gets "not found" for the plan and the letter."""
    tag = uuid.uuid4().hex[:6]
    mentor_name, student_name = f"Dr. Plan {tag}", f"Student Plan {tag}"
    mentor, student, third = pages.open("mentor"), pages.open("student"), pages.open("third")
    as_mentor, as_student, as_third = Client(mentor.request), Client(student.request), Client(third.request)
    mentor_id = as_mentor.sign_up("professional", mentor_name)
    as_mentor.call(
        "PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 2}
    )
    as_student.sign_up("student", student_name)
    as_third.sign_up("student", f"Third {tag}")
    mentors_known(stack, [mentor_id])
    # A rotation past its middle, so its mid-rotation check-in is due (none opens early).
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "Internal Medicine", "start_date": future(-20), "end_date": future(10)},
    )
    mentorship = as_student.call(
        "POST", "/mentorships", {"mentor_id": mentor_id, "rotation_id": rotation["id"], "message": "Hello"}
    )
    plan_path = f"/#/mentorships/{mentorship['id']}"

    # The mentor accepts on the mentorships page and opens the plan from there.
    mentor.goto("/#/mentorships")
    card = mentor.get_by_role("listitem", name=f"From {student_name}")
    card.get_by_role("button", name="Accept").click()
    card.get_by_role("link", name="Open plan").click()
    expect(mentor.get_by_role("heading", name=f"Mentorship plan with {student_name}")).to_be_visible()
    plan_line = mentor.get_by_text("You are the mentor.")
    expect(plan_line).to_have_text("You are the mentor. Accepted · All mentorships · Letters")

    # Goals: the student takes a suggested one and writes one; the mentor marks one done.
    student.goto(plan_path)
    student.get_by_role("button", name="Add “Present a patient on rounds”").click()
    goals = student.get_by_role("list", name="Goals")
    expect(goals.get_by_role("listitem", name="Present a patient on rounds")).to_be_visible()
    student.get_by_label("Goal", exact=True).fill("Learn to read an ECG")
    student.get_by_label("How you will know it is done").fill("Read ten with feedback")
    student.get_by_role("button", name="Add goal").click()
    expect(goals.get_by_role("listitem", name="Learn to read an ECG")).to_be_visible()
    reload(mentor, plan_path, f"Mentorship plan with {student_name}")
    mentor.get_by_role("listitem", name="Present a patient on rounds").get_by_role("button", name="Mark done").click()
    expect(mentor.get_by_role("listitem", name="Present a patient on rounds")).to_contain_text("Done")

    # A meeting: the mentor proposes two times, the student takes the second, then they meet.
    first = (datetime.now() + timedelta(days=2)).strftime("%Y-%m-%dT10:00")
    second = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT16:30")
    mentor.get_by_label("Time 1", exact=True).fill(first)
    mentor.get_by_label("Time 2 (optional)").fill(second)
    mentor.get_by_label("Place").fill("Cafeteria, 2nd floor")
    mentor.get_by_role("button", name="Propose").click()
    expect(mentor.get_by_role("list", name="Meetings")).to_contain_text("Proposed")
    reload(student, plan_path, f"Mentorship plan with {mentor_name}")
    times = student.get_by_role("list", name="Proposed times")
    expect(times.get_by_role("button")).to_have_count(2)
    times.get_by_role("button").nth(1).click()
    meetings = student.get_by_role("list", name="Meetings")
    expect(meetings).to_contain_text("Scheduled")
    expect(meetings).to_contain_text(f"For {mentor_name}:")
    # Three days away: "We met" asks first (one press counted it held, weeks ahead too).
    meetings.get_by_role("button", name="We met").click()
    question = meetings.get_by_role("group", name=re.compile("^This meeting is set for .*Say you met already\\?$"))
    question.get_by_role("button", name="Yes, we met").click()
    expect(meetings).to_contain_text("Held")

    # Notes: a shared one on the meeting, a private one; the mentor sees the shared one only.
    student.get_by_label("Note", exact=True).fill("Read the chest pain guideline before Friday")
    student.get_by_label("Who sees it").select_option(index=1)
    student.get_by_role("button", name="Save note").click()
    notes = student.get_by_role("list", name="Notes")
    expect(notes).to_contain_text("Read the chest pain guideline before Friday")
    # A shared note names its meeting, in the reader's zone (it read "Shared" alone).
    held = meetings.get_by_role("heading").first.inner_text().split(" Held")[0]
    expect(notes.get_by_role("listitem").first).to_contain_text(f"Shared, about the meeting of {held}")
    student.get_by_label("Note", exact=True).fill("Nervous about presenting")
    student.get_by_label("Who sees it").select_option(label="Only me (private)")
    student.get_by_role("button", name="Save note").click()
    expect(notes.get_by_role("listitem")).to_have_count(2)
    reload(mentor, plan_path, f"Mentorship plan with {student_name}")
    mentor_notes = mentor.get_by_role("list", name="Notes")
    expect(mentor_notes).to_contain_text("Read the chest pain guideline before Friday")
    expect(mentor_notes).not_to_contain_text("Nervous")
    # Each says who wrote it (it never did).
    expect(notes.get_by_role("listitem").first).to_contain_text("by you")
    expect(mentor_notes.get_by_role("listitem").first).to_contain_text(f"by {student_name}")

    # The mid-rotation check-in, private to its author. Nothing is preset: one tap sent a
    # final "4 of 5" nobody chose.
    usefulness = student.get_by_label("How useful is this mentorship (1 to 5)")
    expect(usefulness).to_have_value("")
    student.get_by_role("button", name="Send check-in").click()
    expect(usefulness).to_be_focused()
    expect(usefulness).to_have_accessible_description("Choose how useful it is, from 1 to 5.")
    usefulness.fill("4")
    student.get_by_label("One thing to change").fill("More time on procedures")
    student.get_by_role("button", name="Send check-in").click()
    expect(student.get_by_role("list", name="Your check-ins")).to_contain_text("Mid-rotation check-in: 4 of 5")
    expect(student.get_by_role("status").filter(has_text="Mid-rotation check-in sent.")).to_be_focused()
    # The other one says the day it opens: 3 days before the rotation's end.
    opens = date.today() + timedelta(days=7)
    expect(
        student.get_by_text(f"End-of-rotation check-in opens on {opens:%b} {opens.day}, {opens.year}.")
    ).to_be_visible()
    mentor.reload()
    expect(mentor.get_by_role("heading", name="Check-ins")).to_be_visible()
    expect(mentor.get_by_text("More time on procedures")).to_have_count(0)

    # The letter: ERAS with its Letter ID, waived; accepted, submitted, confirmed.
    letter_id = f"LT{tag.upper()}99"
    student.goto("/#/letters")
    student.get_by_role("button", name="Ask for a letter").click()
    student.get_by_label("Who writes it").select_option(label=mentor_name)
    student.get_by_label("Specialty").fill("Internal Medicine")
    student.get_by_label("Deadline").fill(future(30))
    student.get_by_label("ERAS Letter ID").fill(letter_id)
    expect(student.get_by_label("I waive my right to see this letter")).to_be_checked()
    student.get_by_role("button", name="Send request").click()
    mine = student.get_by_role("list", name="Your letters")
    expect(mine).to_contain_text(f"ERAS, Letter ID {letter_id} · You waived your right to see it")
    expect(mine).to_contain_text("Requested")

    mentor.goto("/#/letters")
    mentor.reload()
    to_write = mentor.get_by_role("list", name="Letters to write")
    to_write.get_by_role("button", name="Agree to write").click()
    expect(to_write).to_contain_text("Accepted")
    to_write.get_by_role("link", name=f"Internal Medicine: for {student_name}").click()
    expect(mentor.get_by_text("never receives or stores the letter")).to_be_visible()
    expect(mentor.get_by_text(letter_id)).to_be_visible()
    mentor.get_by_role("button", name="Mark submitted").click()
    expect(mentor.get_by_text("Submitted", exact=True)).to_be_visible()

    student.reload()
    mine = student.get_by_role("list", name="Your letters")
    mine.get_by_role("button", name="Confirm it arrived").click()
    expect(mine).to_contain_text("Confirmed")
    # The writer's page follows without a reload (the confirmation's notification).
    expect(mentor.get_by_text("Confirmed", exact=True)).to_be_visible()
    letter = as_student.call("GET", "/me/letters")["items"][0]

    # Nobody else sees any of it.
    third.goto(plan_path)
    expect(third.get_by_role("heading", level=1)).to_have_text("This mentorship is not here")
    third.goto(f"/#/letters/{letter['id']}")
    expect(third.get_by_role("heading", level=1)).to_have_text("This letter request is not here")
    third.goto("/#/letters")
    expect(third.get_by_text("No letters requested yet.")).to_be_visible()
    assert pages.errors == []


def test_hospital_page_follows_privacy_and_pages_are_accessible(pages: Pages, stack: Stack) -> None:
    """A mentor who lets students see them appears on the hospital's page, and leaves it when
    they choose nobody (in the profile's settings); the plan, letters, hospital and
    outcomes pages have no serious axe violation."""
    tag = uuid.uuid4().hex[:6]
    mentor, student, operator = pages.open("mentor"), pages.open("student"), pages.open("operator")
    as_mentor, as_student = Client(mentor.request), Client(student.request)
    mentor_name = f"Dr. Visible {tag}"
    mentor_id = as_mentor.sign_up("professional", mentor_name)
    as_mentor.call(
        "PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 1}
    )
    as_mentor.call("PATCH", "/me/mentoring-settings", {"hospital_visibility": "students"})
    as_student.sign_up("student", f"Student Visible {tag}")
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "cardiology", "start_date": future(20), "end_date": future(48)},
    )
    mentors_known(stack, [mentor_id])
    found: dict[str, Any] = {}

    student.goto(f"/#/rotations/{rotation['id']}")
    student.get_by_role("link", name="People at this hospital").click()
    expect(student.get_by_role("list", name="Mentors here")).to_contain_text(mentor_name)
    violations = axe_violations(student)
    if violations:
        found["hospital page"] = violations

    # The mentor hides from hospital pages in their profile's settings.
    mentor.goto("/#/profile")
    mentor.get_by_label("Who sees you on hospital pages").select_option(label="Nobody")
    mentor.get_by_role("button", name="Save settings").click()
    expect(mentor.get_by_role("status").filter(has_text="Settings saved")).to_be_visible()
    student.reload()
    expect(student.get_by_role("heading", name="Mentors here")).to_be_visible()
    expect(student.get_by_text(mentor_name)).to_have_count(0)

    mentorship = as_student.call("POST", "/mentorships", {"mentor_id": mentor_id, "message": "Hi"})
    as_mentor.call("POST", f"/mentorships/{mentorship['id']}/accept")
    check(student, f"/#/mentorships/{mentorship['id']}", "Propose a meeting", found)
    # Asked for without a rotation: the plan says check-ins need one, not that they will open.
    expect(
        student.get_by_text("This mentorship is not tied to one, so there is no check-in to answer.")
    ).to_be_visible()
    expect(student.get_by_text("opens on")).to_have_count(0)
    check(student, "/#/letters", "Ask for a letter", found)
    make_admin(stack, operator)
    check(operator, "/#/admin/mentoring", "Stalled pairs", found)
    expect(
        operator.get_by_role(
            "img", name="Bar chart: mentorships accepted, meetings held and letters submitted by month"
        )
    ).to_be_visible()
    assert found == {}
    assert pages.errors == []


def test_a_request_to_a_full_mentor_says_so_to_both_sides(pages: Pages, stack: Stack) -> None:
    """A mentor whose places are all taken cannot accept; their waiting requests said only
    "Requested", and the student waited unaware. Both cards now say the mentor is full and
    what to do, and the student hears it when asking."""
    tag = uuid.uuid4().hex[:6]
    mentor_name = f"Dr. Full {tag}"
    mentor, first, second = pages.open("mentor"), pages.open("first"), pages.open("second")
    as_mentor, as_first, as_second = Client(mentor.request), Client(first.request), Client(second.request)
    mentor_id = as_mentor.sign_up("professional", mentor_name)
    as_mentor.call(
        "PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 1}
    )
    as_first.sign_up("student", f"First {tag}")
    as_second.sign_up("student", f"Second {tag}")
    mentors_known(stack, [mentor_id])
    taken = as_first.call("POST", "/mentorships", {"mentor_id": mentor_id, "message": "Hello"})
    as_mentor.call("POST", f"/mentorships/{taken['id']}/accept", {})

    second.goto(f"/#/users/{mentor_id}")
    second.get_by_role("button", name=f"Ask {mentor_name} to mentor you").click()
    second.get_by_label("Message to the mentor").fill("Could you mentor me?")
    second.get_by_role("button", name="Request mentorship").click()
    expect(second.get_by_role("status")).to_contain_text(f"{mentor_name}, who has no places left right now")
    second.goto("/#/mentorships")
    card = second.get_by_role("listitem", name=f"With {mentor_name}")
    expect(card).to_contain_text(f"{mentor_name} has no places left right now. Your request waits until one frees up")
    expect(card.get_by_role("link", name="ask another mentor")).to_have_attribute("href", "#/rotations")

    mentor.goto("/#/mentorships")
    waiting = mentor.get_by_role("listitem", name=f"From Second {tag}")
    expect(waiting).to_contain_text("You have no places left: raise your mentoring capacity on your profile")
    expect(waiting.get_by_role("button", name="Accept")).to_have_count(0)  # it could only be refused
    # A place freed: the notices go.
    as_mentor.call("PATCH", "/me/profile", {"mentoring_capacity": 2})
    profiles_hold(stack, [mentor_id], "(data->>'mentoring_capacity')::int = 2", "matching to hold the new capacity")
    mentor.reload()
    expect(waiting.get_by_role("button", name="Accept")).to_be_visible()
    expect(waiting).not_to_contain_text("no places left")
    assert pages.errors == []
