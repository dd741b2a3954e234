"""A meeting's times are typed on the clock of the zone the plan page names (the user's own),
whatever the browser's clock: a mentor in New York on a laptop set to Los Angeles proposed
"10:00" and got 1:00 PM EST. The page also proposes a meeting's length, reschedules, and
dates a goal."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
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
