"""Goals on the plan page are edited in place (title, measure, target date, the date
removed) and reopened once done or dropped, as the API's PATCH /goals/{id} allows: the
page offered "Mark done" and "Drop" only, so a typo in a goal stayed for good and a goal
marked done by mistake could not come back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Locator, Page, expect

from services.runner import Stack
from tests.browser.conftest import FARGO, PHONE, Client, Pages, axe_violations, future
from tests.browser.test_accessibility import mentors_known, names_known


@dataclass
class Pair:
    """An accepted mentorship, its two people's pages and API clients."""

    mentorship_id: str
    plan_path: str
    student: Page
    mentor: Page
    as_student: Client
    as_mentor: Client

    def goals(self) -> list[dict[str, Any]]:
        return self.as_student.call("GET", f"/mentorships/{self.mentorship_id}/plan")["goals"]  # type: ignore[no-any-return]

    def goal(self, title: str) -> dict[str, Any]:
        [goal] = [g for g in self.goals() if g["title"] == title]
        return goal


def sentence(message: str) -> str:
    """An API's field message as the form shows it: capitalized, with a full stop."""
    return message[:1].upper() + message[1:] + ("" if message.endswith((".", "!", "?")) else ".")


def accepted_pair(
    pages: Pages,
    stack: Stack,
    tag: str,
    *,
    student_viewport: dict[str, int] | None = None,
    mentor_clock: str | None = None,
) -> Pair:
    """A new student and mentor (names unique to ``tag``) with an accepted mentorship;
    ``mentor_clock``: the mentor's browser's time zone (the machine's if None)."""
    pair = requested_pair(pages, stack, tag, student_viewport=student_viewport, mentor_clock=mentor_clock)
    pair.as_mentor.call("POST", f"/mentorships/{pair.mentorship_id}/accept")
    return pair


def requested_pair(
    pages: Pages,
    stack: Stack,
    tag: str,
    *,
    student_viewport: dict[str, int] | None = None,
    mentor_clock: str | None = None,
) -> Pair:
    """A new student ("Student Goals <tag>") who asked a new mentor ("Dr. Goals <tag>") to
    mentor them for a Fargo rotation; the mentor has not answered."""
    student = pages.open("student", viewport=student_viewport)
    mentor = pages.open("mentor", timezone_id=mentor_clock)
    as_student, as_mentor = Client(student.request), Client(mentor.request)
    mentor_id = as_mentor.sign_up("professional", f"Dr. Goals {tag}")
    as_mentor.call(
        "PATCH", "/me/profile", {"hospital_ids": [FARGO], "open_to_mentoring": True, "mentoring_capacity": 1}
    )
    student_id = as_student.sign_up("student", f"Student Goals {tag}")
    mentors_known(stack, [mentor_id])
    # Matching names the actor of each notice it words ("Student Goals … asked you for a
    # letter", "Dr. Goals … proposed a meeting"): "Someone" until it holds the name.
    names_known(stack, [mentor_id, student_id])
    rotation = as_student.call(
        "POST",
        "/rotations",
        {"hospital_id": FARGO, "specialty": "Cardiology", "start_date": future(20), "end_date": future(48)},
    )
    mentorship = as_student.call("POST", "/mentorships", {"mentor_id": mentor_id, "rotation_id": rotation["id"]})
    return Pair(
        mentorship_id=mentorship["id"],
        plan_path=f"/#/mentorships/{mentorship['id']}",
        student=student,
        mentor=mentor,
        as_student=as_student,
        as_mentor=as_mentor,
    )


def open_plan(page: Page, path: str) -> Locator:
    """The plan page freshly loaded; its list of goals."""
    page.goto(path)
    page.reload()
    expect(page.get_by_role("heading", name="Goals", exact=True)).to_be_visible()
    return page.get_by_role("list", name="Goals", exact=True)


def goal_patches(page: Page) -> list[Any]:
    """The bodies of the page's PATCH /goals/{id} calls, as they are sent."""
    sent: list[Any] = []
    page.on(
        "request",
        lambda r: sent.append(r.post_data_json) if r.method == "PATCH" and "/api/v1/goals/" in r.url else None,
    )
    return sent


def test_a_goal_is_edited_in_place_and_its_date_removed(pages: Pages, stack: Stack) -> None:
    """Edit opens a prefilled form on the card (focus in it); Save sends only what changed,
    the date removed as null; the edit survives a reload; Cancel changes nothing; at 375 px."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag, student_viewport=PHONE)
    day = date.today() + timedelta(days=12)
    old_title, new_title = f"Present a case {tag}", f"Present two cases {tag}"
    pair.as_student.call(
        "POST",
        f"/mentorships/{pair.mentorship_id}/goals",
        {"title": old_title, "measure": "One presentation", "target_date": str(day)},
    )
    page = pair.student
    sent = goal_patches(page)
    goals = open_plan(page, pair.plan_path)
    card = goals.get_by_role("listitem", name=old_title)
    expect(card).to_contain_text(f"By {day.strftime('%b')} {day.day}, {day.year}")

    # Cancel: nothing sent, focus back on Edit.
    card.get_by_role("button", name="Edit").click()
    form = card.get_by_role("form", name=f"Edit the goal “{old_title}”")
    title = form.get_by_label("Goal", exact=True)
    expect(title).to_be_focused()
    title.fill("Something else")
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_have_count(0)
    expect(card.get_by_role("button", name="Edit")).to_be_focused()
    expect(card.get_by_role("heading")).to_contain_text(old_title)
    assert sent == []

    # Keyboard only: Enter on the focused Edit opens the form, prefilled.
    page.keyboard.press("Enter")
    expect(title).to_be_focused()
    expect(title).to_have_value(old_title)
    measure = form.get_by_label("How you will know it is done")
    target = form.get_by_label("By (optional)")
    expect(measure).to_have_value("One presentation")
    expect(target).to_have_value(str(day))
    title.fill(new_title)
    measure.fill("Two presentations with feedback")
    form.get_by_role("button", name="Remove the date").click()
    expect(target).to_have_value("")
    expect(target).to_be_focused()
    # At 375 px the form fits the screen: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    form.get_by_role("button", name="Save").click()

    edited = goals.get_by_role("listitem", name=new_title)
    expect(edited.get_by_role("heading")).to_contain_text(new_title)
    expect(edited).to_contain_text("Done when: Two presentations with feedback")
    expect(edited).not_to_contain_text("By ")
    expect(edited.get_by_role("button", name="Edit")).to_be_focused()
    assert sent == [{"title": new_title, "measure": "Two presentations with feedback", "target_date": None}], sent
    saved = pair.goal(new_title)
    assert (saved["measure"], saved["target_date"], saved["status"]) == (
        "Two presentations with feedback",
        None,
        "open",
    ), saved

    # Only the field changed is sent: a date set again, the rest left alone.
    edited.get_by_role("button", name="Edit").click()
    edited.get_by_label("By (optional)").fill(str(day))
    edited.get_by_role("button", name="Save").click()
    expect(edited).to_contain_text(f"By {day.strftime('%b')} {day.day}, {day.year}")
    assert sent[1:] == [{"target_date": str(day)}], sent
    assert pair.goal(new_title)["target_date"] == str(day)

    goals = open_plan(page, pair.plan_path)
    reloaded = goals.get_by_role("listitem", name=new_title)
    expect(reloaded).to_contain_text("Done when: Two presentations with feedback")
    expect(reloaded).to_contain_text(f"By {day.strftime('%b')} {day.day}, {day.year}")
    expect(goals.get_by_role("listitem", name=old_title)).to_have_count(0)
    assert pages.errors == []


def test_the_apis_refusals_of_an_edit_show_on_its_fields(pages: Pages, stack: Stack) -> None:
    """A title of spaces and a date beyond the API's range are refused beside their fields,
    in the API's words; a plan ended while the form is open says so, and offers no edit."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    title = f"Ask for feedback {tag}"
    pair.as_student.call("POST", f"/mentorships/{pair.mentorship_id}/goals", {"title": title})
    page = pair.student
    goals = open_plan(page, pair.plan_path)
    card = goals.get_by_role("listitem", name=title)

    # The API's own answers to the same edits, to compare the page's words with.
    def refusal(body: dict[str, Any]) -> dict[str, Any]:
        response = page.request.fetch(
            f"/api/v1/goals/{pair.goal(title)['id']}",
            method="PATCH",
            data=body,
            headers={"Authorization": f"Bearer {pair.as_student.token}"},
        )
        assert response.status == 400, (response.status, response.text())
        return response.json()["error"]  # type: ignore[no-any-return]

    [blank] = refusal({"title": "   "})["details"]
    far = str(date.today() + timedelta(days=6 * 366))
    [too_far] = refusal({"target_date": far})["details"]
    assert (blank["field"], too_far["field"]) == ("title", "target_date"), (blank, too_far)

    card.get_by_role("button", name="Edit").click()
    form = card.get_by_role("form", name=f"Edit the goal “{title}”")
    title_field = form.get_by_label("Goal", exact=True)
    title_field.fill("   ")
    form.get_by_role("button", name="Save").click()
    expect(title_field).to_have_attribute("aria-invalid", "true")
    expect(title_field).to_have_accessible_description(sentence(blank["message"]))
    expect(form.locator(".error")).to_have_text([sentence(blank["message"])])
    expect(title_field).to_be_focused()  # not the page: Escape still closes the form
    assert "U+" not in blank["message"], blank
    # The open form, its error shown, passes axe (labels, names, contrast).
    assert axe_violations(page) == []

    title_field.fill(title)
    date_field = form.get_by_label("By (optional)")
    date_field.fill(far)
    form.get_by_role("button", name="Save").click()
    expect(date_field).to_have_attribute("aria-invalid", "true")
    expect(date_field).to_have_accessible_description(sentence(too_far["message"]))
    expect(title_field).not_to_have_attribute("aria-invalid", "true")
    assert pair.goal(title)["target_date"] is None

    # The mentorship ends while the form is open: the API's 409 shows in the form.
    pair.as_mentor.call("POST", f"/mentorships/{pair.mentorship_id}/end")
    date_field.fill(future(5))
    form.get_by_role("button", name="Save").click()
    expect(form.get_by_role("alert")).to_contain_text("its plan can be read, not changed")
    goals = open_plan(page, pair.plan_path)
    ended = goals.get_by_role("listitem", name=title)
    expect(ended.get_by_role("heading")).to_contain_text(title)
    expect(ended.get_by_role("button")).to_have_count(0)
    assert pair.goal(title)["target_date"] is None
    assert pages.errors == []


def test_a_done_or_dropped_goal_is_reopened(pages: Pages, stack: Stack) -> None:
    """A goal marked done, and one dropped, offer Reopen; it makes them open again."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    done_title, dropped_title = f"Learn to read an ECG {tag}", f"Shadow a night shift {tag}"
    for title in (done_title, dropped_title):
        pair.as_student.call("POST", f"/mentorships/{pair.mentorship_id}/goals", {"title": title})
    page = pair.mentor
    goals = open_plan(page, pair.plan_path)

    done = goals.get_by_role("listitem", name=done_title)
    done.get_by_role("button", name="Mark done").click()
    expect(done.get_by_role("heading")).to_contain_text("Done")
    expect(done.get_by_role("heading")).to_be_focused()
    expect(done.get_by_role("button", name="Mark done")).to_have_count(0)
    assert pair.goal(done_title)["status"] == "done"
    done.get_by_role("button", name="Reopen").click()
    expect(done.get_by_role("heading")).to_contain_text("Open")
    expect(done.get_by_role("button", name="Mark done")).to_be_visible()
    expect(done.get_by_role("button", name="Reopen")).to_have_count(0)
    # The button pressed went with the status: focus is on the goal's heading, which reads its
    # new status (it landed on whichever button took the place of the one pressed, unsaid).
    expect(done.get_by_role("heading")).to_be_focused()
    assert pair.goal(done_title)["status"] == "open"

    pair.as_student.call("PATCH", f"/goals/{pair.goal(dropped_title)['id']}", {"status": "dropped"})
    goals = open_plan(page, pair.plan_path)
    dropped = goals.get_by_role("listitem", name=dropped_title)
    expect(dropped.get_by_role("heading")).to_contain_text("Dropped")
    dropped.get_by_role("button", name="Reopen").click()
    expect(dropped.get_by_role("heading")).to_contain_text("Open")
    assert pair.goal(dropped_title)["status"] == "open"
    goals = open_plan(page, pair.plan_path)
    expect(goals.get_by_role("listitem", name=done_title).get_by_role("heading")).to_contain_text("Open")
    assert pages.errors == []


def test_the_other_person_sees_an_edit(pages: Pages, stack: Stack) -> None:
    """The mentor edits the student's goal; the student's open page shows the edit without
    a reload (the edit's ``plan_updated`` notice), and after one."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    day = date.today() + timedelta(days=9)
    old_title, new_title = f"Write a discharge summary {tag}", f"Write three discharge summaries {tag}"
    pair.as_student.call(
        "POST",
        f"/mentorships/{pair.mentorship_id}/goals",
        {"title": old_title, "measure": "One reviewed", "target_date": str(day)},
    )
    student_goals = open_plan(pair.student, pair.plan_path)
    expect(student_goals.get_by_role("listitem", name=old_title)).to_contain_text("Done when: One reviewed")

    mentor_goals = open_plan(pair.mentor, pair.plan_path)
    card = mentor_goals.get_by_role("listitem", name=old_title)
    card.get_by_role("button", name="Edit").click()
    form = card.get_by_role("form", name=f"Edit the goal “{old_title}”")
    form.get_by_label("Goal", exact=True).fill(new_title)
    form.get_by_label("How you will know it is done").fill("Three reviewed by the resident")
    form.get_by_label("By (optional)").fill("")
    form.get_by_role("button", name="Save").click()
    expect(mentor_goals.get_by_role("listitem", name=new_title)).to_contain_text("Three reviewed by the resident")

    live = student_goals.get_by_role("listitem", name=new_title)
    expect(live).to_contain_text("Done when: Three reviewed by the resident")
    student_goals = open_plan(pair.student, pair.plan_path)
    seen = student_goals.get_by_role("listitem", name=new_title)
    expect(seen).to_contain_text("Done when: Three reviewed by the resident")
    expect(seen).not_to_contain_text("By ")
    expect(student_goals.get_by_role("listitem", name=old_title)).to_have_count(0)
    saved = pair.goal(new_title)
    assert (saved["measure"], saved["target_date"]) == ("Three reviewed by the resident", None), saved
    assert pages.errors == []


def test_focus_stays_in_the_goal_form_after_adding(pages: Pages, stack: Stack) -> None:
    """ "Add goal" and a suggestion leave focus on the Goal field, ready for the next one:
    the button, disabled while the request ran (the suggestion, gone once added), had let
    focus fall to the page."""
    tag = uuid.uuid4().hex[:6]
    pair = accepted_pair(pages, stack, tag)
    page = pair.student
    goals = open_plan(page, pair.plan_path)
    add = page.get_by_role("form", name="Add a goal")
    title = add.get_by_label("Goal", exact=True)
    title.fill(f"Present on rounds {tag}")
    add.get_by_role("button", name="Add goal").click()
    expect(goals.get_by_role("listitem", name=f"Present on rounds {tag}")).to_be_visible()
    expect(title).to_be_focused()
    expect(title).to_have_value("")
    suggestion = page.get_by_role("list", name="Suggested goals").get_by_role("button").first
    chosen = (suggestion.text_content() or "").removeprefix("Add “").removesuffix("”")
    suggestion.click()
    expect(goals.get_by_role("listitem", name=chosen)).to_be_visible()
    expect(title).to_be_focused()
    assert pages.errors == []
