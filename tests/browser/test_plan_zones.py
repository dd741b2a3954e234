"""A meeting's times are typed on the clock of the zone the plan page names (the user's own),
whatever the browser's clock: a mentor in New York on a laptop set to Los Angeles proposed
"10:00" and got 1:00 PM EST. The page also proposes a meeting's length, reschedules, and
dates a goal."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from services.runner import Stack
from tests.browser.conftest import Pages
from tests.browser.test_plan_goals import accepted_pair

NEW_YORK = "America/New_York"


def test_a_meeting_time_is_read_in_the_zone_the_page_names(pages: Pages, stack: Stack) -> None:
    tag = uuid.uuid4().hex[:6]
    # The browser's clock is Los Angeles'; the mentor's zone in Wardmate is New York's.
    pair = accepted_pair(pages, stack, tag, mentor_clock="America/Los_Angeles")
    mentor, as_mentor, mentorship = pair.mentor, pair.as_mentor, {"id": pair.mentorship_id}
    as_mentor.call("PATCH", "/me/mentoring-settings", {"time_zone": NEW_YORK})

    day = date.today() + timedelta(days=10)
    mentor.goto(f"/#/mentorships/{mentorship['id']}")
    # A goal with its date (the page had no field for the API's target_date).
    mentor.get_by_label("Goal", exact=True).fill("Present a case at morning report")
    mentor.get_by_label("By (optional)").fill(str(day))
    mentor.get_by_role("button", name="Add goal").click()
    goal = mentor.get_by_role("listitem", name="Present a case at morning report")
    expect(goal).to_contain_text(f"By {day.strftime('%b')} {day.day}, {day.year}")
    [saved] = as_mentor.call("GET", f"/mentorships/{mentorship['id']}/plan")["goals"]
    assert saved["target_date"] == str(day), saved
    # The device's clock is another's: the page says so (nothing did, and a host in Los
    # Angeles with a plan on New York's default typed New York times unaware).
    expect(mentor.locator("p.notice").filter(has_text="This device is on America/Los_Angeles time")).to_contain_text(
        f"the times you type here are read on {NEW_YORK}'s clock"
    )
    time_1 = mentor.get_by_label("Time 1", exact=True)
    expect(time_1).to_have_accessible_description(f"In your time zone, {NEW_YORK}")
    time_1.fill(f"{day}T10:00")
    mentor.get_by_label("How long").select_option("45")
    mentor.get_by_role("button", name="Propose").click()
    meetings = mentor.get_by_role("list", name="Meetings")
    expect(meetings).to_contain_text("Proposed")
    expect(meetings).to_contain_text("45 minutes")

    def option_typed(hour: int) -> dict[str, str]:
        [meeting] = as_mentor.call("GET", f"/mentorships/{mentorship['id']}/plan")["meetings"]
        [option] = meeting["options"]
        typed = datetime(day.year, day.month, day.day, hour, 0, tzinfo=ZoneInfo(NEW_YORK))
        assert datetime.fromisoformat(option["utc"]) == typed, (option, typed)
        assert meeting["duration_minutes"] == 45, meeting
        return option  # type: ignore[no-any-return]

    option = option_typed(10)
    expect(meetings).to_contain_text(option["yours"])
    assert option["yours"].endswith(("10:00 AM EST", "10:00 AM EDT")), option

    # The plan page offers the API's reschedule (one had to cancel and propose again).
    meetings.get_by_role("button", name="Reschedule").click()
    new_times = meetings.get_by_role("form", name="New times for this meeting")
    new_times.get_by_label("Time 1", exact=True).fill(f"{day}T11:00")
    new_times.get_by_role("button", name="Send the new times").click()
    expect(new_times).to_have_count(0)
    expect(meetings).to_contain_text(":00 AM E")
    option = option_typed(11)
    expect(meetings).to_contain_text(option["yours"])
    assert pages.errors == []


def test_new_times_for_a_scheduled_meeting_keep_it_until_accepted(pages: Pages, stack: Stack) -> None:
    """The mentor proposes new times for a scheduled meeting: it stayed "Times proposed"
    with no time (gone from both calendars), and the student's decline deleted it. It keeps
    its agreed time, says new times wait, and a decline keeps it there. Reschedule takes
    focus into its form and gives it back; "Cancel meeting" asks first."""
    pair = accepted_pair(pages, stack, uuid.uuid4().hex[:6])
    day = date.today() + timedelta(days=10)
    agreed = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC).isoformat()
    plan = pair.as_student.call(
        "POST", f"/mentorships/{pair.mentorship_id}/meetings", {"options": [agreed], "duration_minutes": 30}
    )
    [meeting] = plan["meetings"]
    pair.as_mentor.call("POST", f"/meetings/{meeting['id']}/accept", {"starts_at": agreed})

    pair.mentor.goto(pair.plan_path)
    meetings = pair.mentor.get_by_role("list", name="Meetings")
    expect(meetings).to_contain_text("Scheduled")
    reschedule = meetings.get_by_role("button", name="Reschedule")
    reschedule.click()
    new_times = meetings.get_by_role("form", name="New times for this meeting")
    expect(new_times.get_by_label("Time 1", exact=True)).to_be_focused()
    expect(new_times).to_contain_text("the meeting stays at")
    new_times.get_by_role("button", name="Keep the meeting as it is").click()
    expect(reschedule).to_be_focused()
    reschedule.click()
    new_times.get_by_label("Time 1", exact=True).fill(f"{day + timedelta(days=2)}T09:00")
    new_times.get_by_role("button", name="Send the new times").click()
    expect(meetings).to_contain_text("New times are proposed: it stays at this time until one is accepted.")
    expect(meetings.get_by_role("heading", level=3)).to_contain_text("Scheduled")
    [moving] = pair.as_mentor.call("GET", f"/mentorships/{pair.mentorship_id}/plan")["meetings"]
    assert (moving["status"], datetime.fromisoformat(moving["starts_at"]["utc"])) == (
        "proposed",
        datetime.fromisoformat(agreed),
    )

    pair.student.goto(pair.plan_path)
    theirs = pair.student.get_by_role("list", name="Meetings")
    cancel = theirs.get_by_role("button", name="Cancel meeting")
    cancel.click()
    expect(theirs.get_by_role("button", name="Yes, cancel it")).to_be_visible()
    theirs.get_by_role("button", name="Keep it").click()
    theirs.get_by_role("button", name="Decline the new times").click()
    expect(theirs).not_to_contain_text("New times are proposed")
    [kept] = pair.as_student.call("GET", f"/mentorships/{pair.mentorship_id}/plan")["meetings"]
    assert (kept["status"], datetime.fromisoformat(kept["starts_at"]["utc"])) == (
        "scheduled",
        datetime.fromisoformat(agreed),
    )
    assert pages.errors == []
