"""What a walk through mentoring found: Accept double-clicked was sent twice (the card read
"Accepted" above the second's refusal); a request withdrawn before any answer read "Ended"
and opened a plan with check-ins; Enter in a goal's edit form dropped focus to the page;
someone else's plan, letter or conversation opened by URL showed only a red "... not
found"; a note's time was on the browser's clock beside meetings on the plan's."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from services.runner import Stack
from tests.browser.conftest import FARGO, Client, Pages, future
from tests.browser.test_accessibility import mentors_known
from tests.browser.test_plan_goals import accepted_pair, open_plan
from tests.eventually import eventually_sync

NEW_YORK = "America/New_York"


@dataclass
class Request:
    """A mentorship requested by a new student of a new mentor, not yet answered."""

    mentorship_id: str
    student: Page
    mentor: Page
    as_student: Client
    as_mentor: Client
    student_name: str
    mentor_name: str


def requested(pages: Pages, stack: Stack) -> Request:
    tag = uuid.uuid4().hex[:6]
    student, mentor = pages.open("student"), pages.open("mentor")
    as_student, as_mentor = Client(student.request), Client(mentor.request)
    student_name, mentor_name = f"Student Walk {tag}", f"Dr. Walk {tag}"
    mentor_id = as_mentor.sign_up("professional", mentor_name)
    as_mentor.call(
        "PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 2}
    )
    as_student.sign_up("student", student_name)
    mentors_known(stack, [mentor_id])
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "Cardiology", "start_date": future(20), "end_date": future(48)},
    )
    mentorship = as_student.call("POST", "/mentorships", {"mentor_id": mentor_id, "rotation_id": rotation["id"]})
    return Request(mentorship["id"], student, mentor, as_student, as_mentor, student_name, mentor_name)


def test_accept_double_clicked_is_sent_once_and_focus_lands_on_the_status(pages: Pages, stack: Stack) -> None:
    request = requested(pages, stack)
    page = request.mentor
    accepts: list[str] = []
    page.on("request", lambda r: accepts.append(r.url) if r.method == "POST" and r.url.endswith("/accept") else None)
    page.goto("/#/mentorships")
    card = page.get_by_role("listitem", name=f"From {request.student_name}")
    card.get_by_role("button", name="Accept").dblclick()
    status = card.get_by_text(re.compile(r"^Asked you on"))
    expect(status).to_contain_text("Accepted")
    expect(card.get_by_role("link", name="Open plan")).to_be_visible()
    expect(status).to_be_focused()
    page.wait_for_load_state("networkidle")
    expect(card.get_by_role("alert")).to_have_count(0)
    assert len(accepts) == 1, accepts
    assert pages.errors == []


def test_a_request_withdrawn_before_an_answer_reads_withdrawn_and_has_no_plan(pages: Pages, stack: Stack) -> None:
    request = requested(pages, stack)
    request.as_student.call("POST", f"/mentorships/{request.mentorship_id}/end")

    for page, card_name in (
        (request.student, f"With {request.mentor_name}"),
        (request.mentor, f"From {request.student_name}"),
    ):
        page.goto("/#/mentorships")
        card = page.get_by_role("listitem", name=card_name)
        expect(card).to_contain_text("Withdrawn")
        expect(card).not_to_contain_text("Ended")
        expect(card.get_by_role("link", name="Open plan")).to_have_count(0)

    # Reached by URL: it says so, and offers no goals, meetings, notes or check-ins.
    request.student.goto(f"/#/mentorships/{request.mentorship_id}")
    expect(request.student.get_by_role("heading", level=1)).to_have_text(f"Mentorship request to {request.mentor_name}")
    expect(request.student.get_by_role("main")).to_contain_text("You withdrew this request before it was accepted")
    request.mentor.goto(f"/#/mentorships/{request.mentorship_id}")
    expect(request.mentor.get_by_role("heading", level=1)).to_have_text(
        f"Mentorship request from {request.student_name}"
    )
    expect(request.mentor.get_by_role("main")).to_contain_text(
        f"{request.student_name} withdrew this request before you accepted it"
    )
    for page in (request.student, request.mentor):
        main = page.get_by_role("main")
        expect(main.get_by_role("link", name="All mentorships")).to_be_visible()
        expect(main.get_by_role("heading", name="Goals")).to_have_count(0)
        expect(main.get_by_role("heading", name="Check-ins")).to_have_count(0)
        expect(main.get_by_role("form")).to_have_count(0)

    # The conversation and the mentor's notice said "… ended the mentorship" of it.
    notes = eventually_sync(
        lambda: request.as_mentor.call("GET", "/notifications")["items"],
        15,
        what="the mentor told of the withdrawal",
        until=lambda items: any(n["kind"] == "mentorship_ended" for n in items),
        interval=0.1,
    )
    [told] = [n["text"] for n in notes if n["kind"] == "mentorship_ended"]
    assert told == f"{request.student_name} withdrew their mentorship request"
    request.mentor.goto("/#/inbox")
    row = request.mentor.get_by_role("listitem").filter(has_text=request.student_name)
    expect(row).to_contain_text("(withdrawn)")
    row.get_by_role("link").first.click()
    main = request.mentor.get_by_role("main")
    expect(main).to_contain_text(f"{request.student_name} withdrew the request.")
    expect(main).not_to_contain_text("ended the mentorship")
    assert pages.errors == []


def test_enter_in_a_goals_edit_form_saves_and_focus_goes_back_to_edit(pages: Pages, stack: Stack) -> None:
    """A measure added (a paragraph the card had not) by Enter: focus fell to the page."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    title = f"Ask for feedback {tag}"
    pair.as_student.call("POST", f"/mentorships/{pair.mentorship_id}/goals", {"title": title})
    page = pair.student
    card = open_plan(page, pair.plan_path).get_by_role("listitem", name=title)
    card.get_by_role("button", name="Edit").click()
    card.get_by_label("How you will know it is done").fill("Feedback from two residents")
    page.keyboard.press("Enter")
    expect(card).to_contain_text("Done when: Feedback from two residents")
    expect(card.get_by_role("button", name="Edit")).to_be_focused()
    page.wait_for_load_state("networkidle")
    expect(card.get_by_role("button", name="Edit")).to_be_focused()
    assert pair.goal(title)["measure"] == "Feedback from two residents"
    assert pages.errors == []


def _gone(page: Page, path: str, heading: str, link: str) -> None:
    page.goto(f"/#/{path}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    main = page.get_by_role("main")
    expect(main).to_contain_text("It was deleted, or it is between two other people.")
    expect(main.get_by_role("link", name=link)).to_be_visible()
    expect(main.get_by_role("alert")).to_have_count(0)


def test_someone_elses_plan_letter_or_conversation_says_it_is_not_here(pages: Pages, stack: Stack) -> None:
    """By URL, another pair's plan, letter and conversation (and an id cut short, which the
    API answers 400) each have a heading, why, and a link to one's own list."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    writer_id = pair.as_mentor.call("GET", "/me")["user"]["id"]
    student_id = pair.as_student.call("GET", "/me")["user"]["id"]
    body = {
        "writer_id": writer_id,
        "specialty": "Cardiology",
        "deadline": future(30),
        "application": "other",
        "waived": False,
    }
    letter = pair.as_student.call("POST", "/letters", body)
    conversation = pair.as_mentor.call("POST", "/conversations", {"user_id": student_id, "body": "Hello"})
    outsider = pages.open("outsider")
    Client(outsider.request).sign_up("student", f"Outsider {tag}")

    for page_id in (pair.mentorship_id, pair.mentorship_id[:8]):
        _gone(outsider, f"mentorships/{page_id}", "This mentorship is not here", "Your mentorships")
    for page_id in (letter["id"], letter["id"][:8]):
        _gone(outsider, f"letters/{page_id}", "This letter request is not here", "Your letters")
    for page_id in (conversation["id"], conversation["id"][:8]):
        _gone(outsider, f"inbox/{page_id}", "This conversation is not here", "Your inbox")
    outsider.get_by_role("main").get_by_role("link", name="Your inbox").click()
    expect(outsider.get_by_role("heading", level=1)).to_have_text("Inbox")
    assert pages.errors == []


def test_a_notes_time_is_on_the_clock_the_plan_names(pages: Pages, stack: Stack) -> None:
    """The browser in Berlin, the mentor's zone New York: a note's time read "GMT+1"."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag, mentor_clock="Europe/Berlin")
    pair.as_mentor.call("PATCH", "/me/mentoring-settings", {"time_zone": NEW_YORK})
    text = f"Ask about nights {tag}"
    pair.as_mentor.call("POST", f"/mentorships/{pair.mentorship_id}/notes", {"body": text, "private": True})
    [note] = pair.as_mentor.call("GET", f"/mentorships/{pair.mentorship_id}/plan")["notes"]
    at = datetime.fromisoformat(note["created_at"]).astimezone(ZoneInfo(NEW_YORK))
    hour = at.hour % 12 or 12
    said = f"{at:%b} {at.day}, {at.year}, {hour}:{at:%M} {'AM' if at.hour < 12 else 'PM'} {at.tzname()}"
    page = pair.mentor
    open_plan(page, pair.plan_path)
    expect(page.get_by_text(f"Times show in your zone ({NEW_YORK})")).to_be_visible()
    card = page.get_by_role("list", name="Notes").get_by_role("listitem").filter(has_text=text)
    expect(card).to_contain_text(f"Private: only you see it · {said}")
    expect(card).not_to_contain_text("GMT")
    assert pages.errors == []


def test_a_long_text_counts_down_to_its_limit_as_the_api_counts(pages: Pages) -> None:
    """A text past its limit learned of it only from the refusal after sending ("Write at
    most 2000 characters."): from nine tenths on, the field says what is left, counting
    characters as the API does (an emoji is one, though two in JavaScript's length)."""
    as_reported = Client(pages.open("reported").request, pages.mailbox)
    reported_id = as_reported.sign_up("professional", f"Dr. Wordy {uuid.uuid4().hex[:6]}")
    page = pages.open("reporter")
    Client(page.request, pages.mailbox).sign_up("student", "Long Reporter")
    page.goto(f"/#/users/{reported_id}")
    report = page.get_by_role("button", name="Report", exact=True)
    form = page.get_by_role("form", name="Report")
    report.click()
    form.get_by_label("Reason").select_option("spam")
    details = form.get_by_label("What happened")
    count = form.locator(".count")
    details.fill("x" * 1700)
    expect(count).to_have_text("")
    details.fill("😀" * 1999)
    expect(count).to_have_text("1 character left")
    details.fill("😀" * 2001)
    expect(count).to_have_text("1 character over the limit of 2000: shorten it to send")
    form.get_by_role("button", name="Send report").click()
    expect(form.get_by_text("Write at most 2000 characters.")).to_be_visible()
    details.fill("😀" * 2000)
    expect(count).to_have_text("0 characters left")
    form.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="Report sent to the operators.")).to_be_visible()
    # The same words again (a second press) add nothing to the open report, and the notice
    # says so (it said they were added).
    report.click()
    form.get_by_label("Reason").select_option("spam")
    form.get_by_label("What happened").fill("😀" * 2000)
    form.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="You reported this person already")).to_contain_text(
        "Nothing new was added to it."
    )
    report.click()
    form.get_by_label("Reason").select_option("spam")
    form.get_by_label("What happened").fill("And a second room ad.")
    form.get_by_role("button", name="Send report").click()
    expect(page.get_by_role("status").filter(has_text="what you wrote now was added to it")).to_be_visible()
    assert pages.errors == []
