"""A walk of the mentorship, plan and letter pages as a student and a mentor: a declined
request opened by its URL showed an empty plan; a note could be shared "about" a meeting
cancelled since; a letter's status stuck to the writer's name; a day cleared from the
"submitted" form read "Give a day from the request to today: Choose a date."; a suggested
goal took the measure typed for another goal."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import Pages, future
from tests.browser.test_plan_goals import accepted_pair, open_plan, requested_pair


def test_a_declined_request_has_no_plan_and_points_to_other_mentors(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    pair = requested_pair(pages, stack, tag)
    student, mentor = pair.student, pair.mentor
    pair.as_mentor.call("POST", f"/mentorships/{pair.mentorship_id}/decline")

    student.goto(pair.plan_path)
    expect(student.get_by_role("heading", name=f"Mentorship request to Dr. Goals {tag}", level=1)).to_be_visible()
    expect(student.get_by_text(f"Dr. Goals {tag} declined this request: it has no plan")).to_be_visible()
    expect(student.get_by_role("heading", name="Goals", exact=True)).to_have_count(0)
    expect(student.get_by_role("link", name="Ask another mentor")).to_have_attribute("href", "#/rotations")

    mentor.goto(pair.plan_path)
    expect(mentor.get_by_text("You declined this request: it has no plan")).to_be_visible()
    expect(mentor.get_by_role("link", name="Ask another mentor")).to_have_count(0)

    student.goto("/#/mentorships")
    card = student.get_by_role("listitem", name=f"With Dr. Goals {tag}")
    expect(card).to_contain_text("Declined")
    expect(card).to_contain_text(f"Dr. Goals {tag} could not take you on")
    expect(card.get_by_role("link", name="ask another mentor")).to_have_attribute("href", "#/rotations")
    assert pages.errors == []


def test_plan_and_letter_forms_say_what_they_need(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    page = pair.student

    # A meeting cancelled since is not one to share a note about; a scheduled one is.
    soon = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    meetings = []
    for hours in (0, 2):
        at = (soon + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")
        plan = pair.as_mentor.call(
            "POST", f"/mentorships/{pair.mentorship_id}/meetings", {"options": [at], "duration_minutes": 30}
        )
        [meeting_id] = [m["id"] for m in plan["meetings"] if m["id"] not in meetings]
        pair.as_student.call("POST", f"/meetings/{meeting_id}/accept", {"starts_at": at})
        meetings.append(meeting_id)
    pair.as_mentor.call("POST", f"/meetings/{meetings[0]}/cancel")
    open_plan(page, pair.plan_path)
    about = page.get_by_role("form", name="Write a note").get_by_label("Who sees it")
    expect(about.locator("option")).to_have_count(2)  # only me, and the scheduled meeting
    expect(about.locator(f"option[value='{meetings[1]}']")).to_have_count(1)
    expect(about.locator(f"option[value='{meetings[0]}']")).to_have_count(0)

    # A meeting proposed with no time: "Required." beside the first time ("Give at least 1.").
    propose = page.get_by_role("form", name="Propose a meeting")
    propose.get_by_role("button", name="Propose").click()
    expect(propose.get_by_text("Required.")).to_be_visible()

    # A suggested goal is added alone: the measure typed in the form stays for the goal it
    # was typed for.
    add = page.get_by_role("form", name="Add a goal")
    measure = add.get_by_label("How you will know it is done")
    measure.fill(f"Three patients presented {tag}")
    suggestion = page.get_by_role("list", name="Suggested goals").get_by_role("button").first
    chosen = (suggestion.text_content() or "").removeprefix("Add “").removesuffix("”")
    suggestion.click()
    expect(page.get_by_role("list", name="Goals", exact=True).get_by_role("listitem", name=chosen)).to_be_visible()
    assert pair.goal(chosen)["measure"] in (None, "")
    expect(measure).to_have_value(f"Three patients presented {tag}")

    # A letter's card: the status apart from the name; a day cleared from the writer's form.
    writer_id = pair.as_mentor.call("GET", "/me")["user"]["id"]
    body = {
        "writer_id": writer_id,
        "specialty": "Cardiology",
        "deadline": future(30),
        "application": "other",
        "waived": True,
    }
    letter = pair.as_student.call("POST", "/letters", body)
    page.goto("/#/letters")
    expect(page.get_by_role("heading", name=f"Cardiology: from Dr. Goals {tag} Requested", level=3)).to_be_visible()
    pair.as_mentor.call("POST", f"/letters/{letter['id']}/accept")
    pair.mentor.goto(f"/#/letters/{letter['id']}")
    form = pair.mentor.get_by_role("form", name="Mark the letter submitted")
    day = form.get_by_label("Day you uploaded it to the AAMC Letter Writer Portal")
    day.fill("")
    form.get_by_role("button", name="Mark submitted").click()
    expect(form.get_by_text("Choose the day you uploaded it")).to_be_visible()
    expect(form.get_by_text("Give a day from the request to today")).to_have_count(0)
    expect(day).to_be_focused()
    assert pair.as_mentor.call("GET", f"/letters/{letter['id']}")["status"] == "accepted"
    assert pages.errors == []
