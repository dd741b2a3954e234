"""Mentoring plans over HTTP, every service its own process: goals, meetings in both
time zones, shared and private notes, check-ins, reminders at a moved clock, the calendar's
NATS query; a third user sees none of it."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import nats

from services.matching.domain import plans
from services.matching.store import plans as plan_store
from services.runner import Stack
from shared import subjects
from shared.db import create_pool, load_migrations
from tests.api import Api, User
from tests.e2e.helpers import future, held_at_insert
from tests.e2e.mentoring import accepted_pair, at, notifications, sweep_at
from tests.e2e.test_matching import rotation
from tests.eventually import eventually


async def test_a_pair_plans_meets_and_checks_in(api: Api, stack: Stack) -> None:
    """Goals, a meeting proposed, accepted, held and noted, a check-in; each side's view."""
    student = await api.signup("student", "Ada Student")
    # A rotation two thirds through: its mid-rotation check-in is due, the end one not yet.
    mine = await rotation(api, student, start_date=future(-20), end_date=future(10))
    student, mentor, mentorship_id = await accepted_pair(api, mine["id"], student)
    plan_path = f"/mentorships/{mentorship_id}/plan"
    plan = (await api.call("GET", plan_path, student)).body
    assert plan["role"] == "student" and plan["goals"] == [] and plan["suggested_goals"]
    # The mentor's zone comes from their hospital's state; the student has none yet.
    assert plan["other_time_zone"] == "America/New_York"
    chosen = await api.call("PATCH", "/me/mentoring-settings", student, json={"time_zone": "Asia/Kolkata"})
    assert chosen.status == 200 and chosen.body["time_zone_chosen"] is True
    bad_zone = await api.call("PATCH", "/me/mentoring-settings", student, json={"time_zone": "Mars/Olympus"})
    assert bad_zone.status == 400

    r = await api.call(
        "POST",
        f"/mentorships/{mentorship_id}/goals",
        student,
        json={"title": "Present a patient on rounds", "measure": "once, with feedback", "target_date": "2030-01-10"},
    )
    assert r.status == 201 and r.body["goals"][0]["status"] == "open", r.body
    goal_id = r.body["goals"][0]["id"]
    done = await api.call("PATCH", f"/goals/{goal_id}", mentor, json={"status": "done"})
    assert done.status == 200 and done.body["goals"][0]["status"] == "done"

    options = [at(days=2, hours=1), at(days=3, hours=1)]
    proposed = await api.call(
        "POST",
        f"/mentorships/{mentorship_id}/meetings",
        mentor,
        json={"options": options, "place": "Cafeteria, 2nd floor", "duration_minutes": 30},
    )
    assert proposed.status == 201, proposed.body
    meeting = proposed.body["meetings"][0]
    assert meeting["status"] == "proposed" and meeting["your_turn"] is False
    assert meeting["options"][0]["theirs"].endswith("IST") and meeting["options"][0]["yours"].endswith(("EST", "EDT"))
    mine = (await api.call("GET", plan_path, student)).body["meetings"][0]
    assert mine["your_turn"] is True and mine["options"][0]["yours"].endswith("IST")
    own = await api.call("POST", f"/meetings/{meeting['id']}/accept", mentor, json={"starts_at": options[0]})
    assert own.status == 403
    not_offered = await api.call("POST", f"/meetings/{meeting['id']}/accept", student, json={"starts_at": at(days=9)})
    assert not_offered.status == 400
    naive = await api.call("POST", f"/meetings/{meeting['id']}/accept", student, json={"starts_at": "2030-01-01T10:00"})
    assert naive.status == 400
    accepted = await api.call("POST", f"/meetings/{meeting['id']}/accept", student, json={"starts_at": options[1]})
    assert accepted.status == 200 and accepted.body["meetings"][0]["status"] == "scheduled", accepted.body
    assert accepted.body["stalled"] is False

    # Both hear of it the day before (the job at a clock moved 2 days and 2 hours on), by
    # the other's name once matching holds it...
    for user, other_name in ((student, "Dr. Grace Mentor"), (mentor, "Ada Student")):
        await eventually(
            lambda u=user: api.call("GET", plan_path, u),  # type: ignore[misc]
            10,
            what=f"matching to hold {other_name}'s name",
            until=lambda r, n=other_name: r.body["other_name"] == n,  # type: ignore[misc]
            interval=0.1,
        )
    await sweep_at(stack, timedelta(days=2, hours=2))
    for user in (student, mentor):
        await eventually(
            lambda u=user: api.call("GET", "/notifications", u),  # type: ignore[misc]
            10,
            what='any(n["kind"] == "meeting_reminder" for n in r.body["items"])',
            until=lambda r: any(n["kind"] == "meeting_reminder" for n in r.body["items"]),
            interval=0.1,
        )
    # ...once, however often the job runs, each naming the other side and the place.
    await sweep_at(stack, timedelta(days=2, hours=3))
    assert sum(n["kind"] == "meeting_reminder" for n in await notifications(api, student)) == 1
    [reminder] = [n["text"] for n in await notifications(api, student) if n["kind"] == "meeting_reminder"]
    assert reminder.startswith("Mentoring meeting with Dr. Grace Mentor on ") and reminder.endswith(
        ": Cafeteria, 2nd floor"
    ), reminder
    [theirs] = [n["text"] for n in await notifications(api, mentor) if n["kind"] == "meeting_reminder"]
    assert theirs.startswith("Mentoring meeting with Ada Student on "), theirs
    # Sent within the day before: its mail does not say "tomorrow" of a meeting later today.
    [mailed] = await api.mail(student.email, "Reminder: your mentoring meeting is within a day")
    assert "Dr. Grace Mentor" in mailed.part("text/plain")
    assert any(n["kind"] == "meeting_proposed" for n in await notifications(api, student))

    held = await api.call("POST", f"/meetings/{meeting['id']}/held", student)
    assert held.status == 200 and held.body["meetings"][0]["status"] == "held"
    again = await api.call("POST", f"/meetings/{meeting['id']}/held", mentor)
    assert again.status == 409

    shared_note = {"meeting_id": meeting["id"], "body": "Read the ACC guideline on chest pain"}
    assert (await api.call("POST", f"/mentorships/{mentorship_id}/notes", student, json=shared_note)).status == 201
    private = {"private": True, "body": "Nervous about presenting"}
    assert (await api.call("POST", f"/mentorships/{mentorship_id}/notes", student, json=private)).status == 201
    no_meeting = await api.call("POST", f"/mentorships/{mentorship_id}/notes", student, json={"body": "hi"})
    assert no_meeting.status == 400
    mentor_view = (await api.call("GET", plan_path, mentor)).body
    assert [n["body"] for n in mentor_view["notes"]] == ["Read the ACC guideline on chest pain"]
    student_view = (await api.call("GET", plan_path, student)).body
    assert len(student_view["notes"]) == 2

    check = {"stage": "mid", "usefulness": 4, "change": "More time on procedures"}
    assert student_view["check_ins_due"] == ["mid"]
    r = await api.call("POST", f"/mentorships/{mentorship_id}/check-ins", student, json=check)
    assert r.status == 201 and r.body["check_ins"][0]["usefulness"] == 4
    assert r.body["check_ins_due"] == []
    assert (await api.call("POST", f"/mentorships/{mentorship_id}/check-ins", student, json=check)).status == 409
    assert (await api.call("GET", plan_path, mentor)).body["check_ins"] == []  # the student's answer is theirs
    for bad in ({"stage": "mid", "usefulness": 6}, {"stage": "later", "usefulness": 3}):
        assert (await api.call("POST", f"/mentorships/{mentorship_id}/check-ins", mentor, json=bad)).status == 400

    # The calendar feed's query: the mentor's meetings, with stable ids and versions.
    assert stack.nats_url
    nc = await nats.connect(stack.nats_url)
    try:
        reply = await nc.request(subjects.USER_MEETINGS, json.dumps({"user_id": mentor.id}).encode(), timeout=5)
    finally:
        await nc.close()
    items = json.loads(reply.data)["items"]
    assert [(m["id"], m["status"]) for m in items] == [(meeting["id"], "held")]


async def test_nobody_else_sees_or_changes_a_plan(api: Api) -> None:
    """A third user gets 404 for the plan, its goals, meetings, notes and check-ins."""
    student, mentor, mentorship_id = await accepted_pair(api)
    r = await api.call("POST", f"/mentorships/{mentorship_id}/goals", student, json={"title": "Ask for feedback"})
    goal_id = r.body["goals"][0]["id"]
    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", student, json={"options": [at(days=5)]})
    meeting_id = r.body["meetings"][0]["id"]
    third = await api.signup("student", "Eve")
    calls = [
        ("GET", f"/mentorships/{mentorship_id}/plan", None),
        ("POST", f"/mentorships/{mentorship_id}/goals", {"title": "mine now"}),
        ("PATCH", f"/goals/{goal_id}", {"status": "dropped"}),
        ("POST", f"/mentorships/{mentorship_id}/meetings", {"options": [at(days=4)]}),
        ("POST", f"/meetings/{meeting_id}/accept", {"starts_at": at(days=5)}),
        ("POST", f"/meetings/{meeting_id}/decline", None),
        ("POST", f"/meetings/{meeting_id}/cancel", None),
        ("POST", f"/meetings/{meeting_id}/reschedule", {"options": [at(days=6)]}),
        ("POST", f"/meetings/{meeting_id}/held", None),
        ("POST", f"/mentorships/{mentorship_id}/notes", {"private": True, "body": "x"}),
        ("POST", f"/mentorships/{mentorship_id}/check-ins", {"stage": "mid", "usefulness": 1}),
    ]
    for method, path, body in calls:
        r = await api.call(method, path, third, json=body)
        assert r.status == 404 and r.error_code == "not_found", (method, path, r.body)
    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body
    assert plan["goals"][0]["status"] == "open" and plan["meetings"][0]["status"] == "proposed"
    # An ended mentorship's plan is read, not changed.
    assert (await api.call("POST", f"/mentorships/{mentorship_id}/end", mentor)).status == 200
    r = await api.call("POST", f"/mentorships/{mentorship_id}/goals", student, json={"title": "late"})
    assert r.status == 409
    assert (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).status == 200


async def test_a_check_in_opens_when_the_mentorship_plan_says_it_is_due(api: Api) -> None:
    """On the rotation's fourth day both check-ins are a 409 that says when each opens
    (an early answer would be final, in place of the real one), the days the plan shows;
    a mentorship about no rotation (none given, or deleted) says so in its plan, with no
    dates, and any check-in of it is a 409; a due one is still answered after the end."""
    student = await api.signup("student", "Early Bird")
    mine = await rotation(api, student, start_date=future(-3), end_date=future(25))
    _, mentor, mentorship_id = await accepted_pair(api, mine["id"], student)
    path = f"/mentorships/{mentorship_id}/check-ins"
    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body
    assert plan["check_ins_due"] == [] and plan["has_rotation"] is True
    assert plan["check_in_dates"] == [
        {"stage": "mid", "opens_on": future(11)},
        {"stage": "end", "opens_on": future(22)},
    ]
    for stage, opens in (("mid", future(11)), ("end", future(22))):
        for user in (student, mentor):
            r = await api.call("POST", path, user, json={"stage": stage, "usefulness": 2, "change": "too early"})
            assert r.status == 409 and r.error_code == "conflict", r.body
            assert f"opens on {opens}" in r.body["error"]["message"], r.body
            assert r.body["error"]["details"] == {"stage": stage, "opens_on": opens}
    assert (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body["check_ins"] == []

    no_rotation_student, no_rotation_mentor, no_rotation = await accepted_pair(api)
    for user in (no_rotation_student, no_rotation_mentor):
        plan = (await api.call("GET", f"/mentorships/{no_rotation}/plan", user)).body
        assert (plan["has_rotation"], plan["check_in_dates"], plan["check_ins_due"]) == (False, [], []), plan
    for stage in ("mid", "end"):
        r = await api.call(
            "POST", f"/mentorships/{no_rotation}/check-ins", no_rotation_student, json={"stage": stage, "usefulness": 3}
        )
        assert r.status == 409 and "rotation" in r.body["error"]["message"], r.body
    # The student deletes the rotation the first mentorship was about: it has none now.
    assert (await api.call("DELETE", f"/rotations/{mine['id']}", student)).status == 200
    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", mentor)).body
    assert (plan["has_rotation"], plan["check_in_dates"]) == (False, []), plan

    halfway = await api.signup("student", "Halfway")
    running = await rotation(api, halfway, start_date=future(-20), end_date=future(10))
    _, its_mentor, ended_id = await accepted_pair(api, running["id"], halfway)
    assert (await api.call("POST", f"/mentorships/{ended_id}/end", halfway)).status == 200
    r = await api.call("POST", f"/mentorships/{ended_id}/check-ins", its_mentor, json={"stage": "mid", "usefulness": 4})
    assert r.status == 201, r.body
    r = await api.call("POST", f"/mentorships/{ended_id}/check-ins", its_mentor, json={"stage": "end", "usefulness": 4})
    assert r.status == 409 and r.body["error"]["details"]["opens_on"] == future(7), r.body


async def test_check_in_prompts_and_stalled_pairs_follow_the_clock(api: Api, stack: Stack) -> None:
    """The mid-rotation check-in is asked of both once the rotation reaches its middle; a
    pair with no meeting held 14 days after acceptance is stalled."""
    student = await api.signup("student", "Kofi")
    mine = await rotation(api, student, start_date=future(1), end_date=future(29))
    _, mentor, mentorship_id = await accepted_pair(api, mine["id"], student)
    await sweep_at(stack, timedelta(days=16))
    for user in (student, mentor):
        await eventually(
            lambda u=user: api.call("GET", "/notifications", u),  # type: ignore[misc]
            10,
            what='any(n["kind"] == "check_in_due" for n in r.body["items"])',
            until=lambda r: any(n["kind"] == "check_in_due" for n in r.body["items"]),
            interval=0.1,
        )
    await sweep_at(stack, timedelta(days=17))
    assert sum(n["kind"] == "check_in_due" for n in await notifications(api, mentor)) == 1
    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body
    assert plan["check_ins_due"] == [] and plan["stalled"] is False  # today: not yet


async def test_reschedule_decline_cancel_and_a_reminder_per_start_time(api: Api, stack: Stack) -> None:
    """Declined times end a proposal; a scheduled meeting moved by the other side goes
    back to them to answer, keeping its agreed time meanwhile (declined, it stays there: it
    was deleted), and its new time gets its own reminder; cancel ends it."""
    student, mentor, mentorship_id = await accepted_pair(api)
    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", student, json={"options": [at(days=4)]})
    first = r.body["meetings"][0]
    declined = await api.call("POST", f"/meetings/{first['id']}/decline", mentor)
    assert declined.status == 200 and declined.body["meetings"][0]["status"] == "declined"
    assert (
        await api.call("POST", f"/meetings/{first['id']}/accept", mentor, json={"starts_at": at(days=4)})
    ).status == 409

    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", student, json={"options": [at(days=2)]})
    meeting = r.body["meetings"][1]
    start = meeting["options"][0]["utc"]
    await api.call("POST", f"/meetings/{meeting['id']}/accept", mentor, json={"starts_at": start})
    await sweep_at(stack, timedelta(days=1, hours=12))
    await eventually(
        lambda: api.call("GET", "/notifications", student),
        10,
        what='sum(n["kind"] == "meeting_reminder" for n in r.body["items"]) == 1',
        until=lambda r: sum(n["kind"] == "meeting_reminder" for n in r.body["items"]) == 1,
        interval=0.1,
    )
    moved = await api.call("POST", f"/meetings/{meeting['id']}/reschedule", mentor, json={"options": [at(days=6)]})
    assert moved.status == 200
    view = next(m for m in moved.body["meetings"] if m["id"] == meeting["id"])
    assert view["status"] == "proposed" and view["your_turn"] is False and view["starts_at"]["utc"] == start
    own = await api.call("POST", f"/meetings/{meeting['id']}/accept", mentor, json={"starts_at": at(days=6)})
    assert own.status == 403
    kept = await api.call("POST", f"/meetings/{meeting['id']}/decline", student)
    view = next(m for m in kept.body["meetings"] if m["id"] == meeting["id"])
    assert (view["status"], view["starts_at"]["utc"]) == ("scheduled", start), view
    moved = await api.call("POST", f"/meetings/{meeting['id']}/reschedule", mentor, json={"options": [at(days=6)]})
    view = next(m for m in moved.body["meetings"] if m["id"] == meeting["id"])
    new_start = view["options"][0]["utc"]
    assert (
        await api.call("POST", f"/meetings/{meeting['id']}/accept", student, json={"starts_at": new_start})
    ).status == 200
    await sweep_at(stack, timedelta(days=5, hours=12))
    await eventually(
        lambda: api.call("GET", "/notifications", mentor),
        10,
        what='sum(n["kind"] == "meeting_reminder" for n in r.body["items"]) == 2',
        until=lambda r: sum(n["kind"] == "meeting_reminder" for n in r.body["items"]) == 2,
        interval=0.1,
    )
    cancelled = await api.call("POST", f"/meetings/{meeting['id']}/cancel", student)
    assert cancelled.status == 200
    assert next(m for m in cancelled.body["meetings"] if m["id"] == meeting["id"])["status"] == "cancelled"
    assert (await api.call("POST", f"/meetings/{meeting['id']}/held", mentor)).status == 409


async def test_a_pair_without_a_held_meeting_stalls_after_14_days(api: Api, stack: Stack) -> None:
    """The operators' query finds the pair 14 days after acceptance (the clock moved), and
    not once a meeting was held."""
    student, mentor, mentorship_id = await accepted_pair(api)
    pool = await create_pool(stack.service_url("matching"), "matching", size=1)
    try:

        async def stalled(days: float) -> set[str]:
            moved = datetime.now(UTC) + timedelta(days=days)
            rows = await plan_store.stalled_pairs(pool, moved - plans.STALLED_AFTER, None, 100_000)
            return {str(r["id"]) for r in rows}

        assert mentorship_id not in await stalled(13)
        assert mentorship_id in await stalled(14.01)
        r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", student, json={"options": [at(days=1)]})
        meeting = r.body["meetings"][0]
        await api.call(
            "POST", f"/meetings/{meeting['id']}/accept", mentor, json={"starts_at": meeting["options"][0]["utc"]}
        )
        await api.call("POST", f"/meetings/{meeting['id']}/held", student)
        assert mentorship_id not in await stalled(20)
    finally:
        await pool.close()


RACE_ROUNDS = 6
RACE_WRITES = 16


async def _race_the_end(api: Api, pool: asyncpg.Pool) -> list[str]:
    """One pair: a scheduled meeting, then sixteen proposals and reschedules by the student
    sent with the mentor's end among them. Returns the statuses its meetings are left in."""
    student, mentor, mentorship_id = await accepted_pair(api)
    meetings = f"/mentorships/{mentorship_id}/meetings"
    first = await api.call("POST", meetings, mentor, json={"options": [at(days=3)]})
    meeting = first.body["meetings"][0]
    start = meeting["options"][0]["utc"]
    assert (
        await api.call("POST", f"/meetings/{meeting['id']}/accept", student, json={"starts_at": start})
    ).status == 200
    calls = [
        # Every fourth moves the scheduled meeting: proposed again, unless the end came first.
        api.call("POST", f"/meetings/{meeting['id']}/reschedule", student, json={"options": [at(days=9, hours=i)]})
        if i % 4 == 3
        else api.call("POST", meetings, student, json={"options": [at(days=4, hours=i)]})
        for i in range(RACE_WRITES)
    ]
    # The end in the middle: half the writes are under way when it arrives.
    calls.insert(RACE_WRITES // 2, api.call("POST", f"/mentorships/{mentorship_id}/end", mentor))
    results = await asyncio.gather(*calls)
    ended = results.pop(RACE_WRITES // 2)
    assert ended.status == 200, ended.body
    for r in results:
        assert r.status in (200, 201) or (r.status == 409 and "ended" in r.body["error"]["message"]), r.body
    rows = await pool.fetch("SELECT status FROM meetings WHERE mentorship_id = $1", uuid.UUID(mentorship_id))
    assert len(rows) == 1 + sum(r.status == 201 for r in results)
    return [row["status"] for row in rows]


async def test_no_meeting_stays_open_when_plan_writes_race_the_mentorship_end(api: Api, stack: Stack) -> None:
    """Proposals and reschedules sent while the mentor ends the mentorship, six rounds:
    each is refused (409, the mentorship is ended) or committed before the end, which
    cancelled it; afterwards no meeting of the pair is proposed or scheduled. Without the
    plan's row lock, a write that read "accepted" before the end committed landed after
    it, left open (and told the mentor of it)."""
    pool = await create_pool(stack.service_url("matching"), "matching", size=1)
    try:
        for round_no in range(RACE_ROUNDS):
            statuses = await _race_the_end(api, pool)
            assert not set(statuses) & set(plans.OPEN_MEETINGS), (round_no, statuses)
            assert set(statuses) == {"cancelled"}, (round_no, statuses)
    finally:
        await pool.close()


async def test_meetings_an_earlier_end_left_open_are_nobodys_turn_and_the_migration_cancels_them(
    api: Api, stack: Stack
) -> None:
    """A mentorship ended before ending cancelled its meetings kept them open: its proposal
    is nobody's turn, and migration 0013 cancels it (a new version, for calendars)."""
    student, mentor, mentorship_id = await accepted_pair(api)
    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", mentor, json={"options": [at(days=3)]})
    meeting_id = uuid.UUID(r.body["meetings"][0]["id"])
    pool = await create_pool(stack.service_url("matching"), "matching", size=1)
    try:
        # What an end did before: the status alone.
        await pool.execute(
            "UPDATE mentorships SET status = 'ended', ended_at = now() WHERE id = $1", uuid.UUID(mentorship_id)
        )
        [view] = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body["meetings"]
        assert view["status"] == "proposed" and view["your_turn"] is False
        version = await pool.fetchval("SELECT version FROM meetings WHERE id = $1", meeting_id)
        [sql] = [sql for name, sql in load_migrations("services.matching.migrations") if name == "0013_end_meetings"]
        await pool.execute(sql)
        row = await pool.fetchrow("SELECT status, version FROM meetings WHERE id = $1", meeting_id)
        assert row is not None and (row["status"], row["version"]) == ("cancelled", version + 1)
    finally:
        await pool.close()


async def test_no_reminder_for_a_meeting_cancelled_after_the_sweep_read_it(api: Api, stack: Stack) -> None:
    """The sweep reads the meetings to remind, then claims each in its own transaction: a
    meeting cancelled in between (by either side, or by the mentorship's end) keeps its
    time but is no longer claimed, so nobody is reminded of it."""
    student, mentor, mentorship_id = await accepted_pair(api)
    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", mentor, json={"options": [at(hours=20)]})
    meeting = r.body["meetings"][0]
    start = meeting["options"][0]["utc"]
    assert (
        await api.call("POST", f"/meetings/{meeting['id']}/accept", student, json={"starts_at": start})
    ).status == 200
    pool = await create_pool(stack.service_url("matching"), "matching", size=1)
    try:
        [due] = [
            row
            for row in await plan_store.meetings_to_remind(pool, datetime.now(UTC), plans.REMIND_BEFORE.total_seconds())
            if str(row["id"]) == meeting["id"]
        ]
        assert (await api.call("POST", f"/mentorships/{mentorship_id}/end", student)).status == 200
        async with pool.acquire() as conn:
            assert not await plan_store.mark_reminded(conn, due["id"], due["starts_at"], datetime.now(UTC))
    finally:
        await pool.close()


async def test_the_same_proposal_or_reschedule_at_once_is_one_meeting_told_once(api: Api, stack: Stack) -> None:
    """The same proposal sent four times at once, each copy past its check before any
    inserts, is one meeting, and the mentor hears of it once (one notification, one mail);
    the same reschedule four times at once, and again later, moves it once and tells the
    student once; a reschedule of a scheduled meeting to its own time changes nothing and
    tells nobody."""
    student, mentor, mentorship_id = await accepted_pair(api)
    proposal = {"options": [at(days=5), at(days=6)], "place": "Library", "duration_minutes": 45}
    meetings = f"/mentorships/{mentorship_id}/meetings"
    proposed = await held_at_insert(
        stack, "matching.meetings", [api.call("POST", meetings, student, json=proposal) for _ in range(4)]
    )
    assert [r.status for r in proposed] == [201] * 4, [r.body for r in proposed]
    assert {len(r.body["meetings"]) for r in proposed} == {1}, [r.body["meetings"] for r in proposed]
    meeting_id = proposed[0].body["meetings"][0]["id"]
    later = await api.call("POST", meetings, student, json=proposal)
    assert [m["id"] for m in later.body["meetings"]] == [meeting_id]

    new_times = [at(days=7), at(days=8)]
    reschedule = f"/meetings/{meeting_id}/reschedule"
    moved = await asyncio.gather(*(api.call("POST", reschedule, mentor, json={"options": new_times}) for _ in range(4)))
    assert [r.status for r in moved] == [200] * 4, [r.body for r in moved]
    assert (await api.call("POST", reschedule, mentor, json={"options": new_times})).status == 200
    [view] = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body["meetings"]
    assert view["status"] == "proposed" and view["your_turn"] is True
    assert [o["utc"] for o in view["options"]] == new_times, view

    start = view["options"][0]["utc"]
    accepted = await api.call("POST", f"/meetings/{meeting_id}/accept", student, json={"starts_at": start})
    assert accepted.status == 200
    same_time = await api.call("POST", reschedule, mentor, json={"options": [start]})
    [kept] = same_time.body["meetings"]
    assert same_time.status == 200 and kept["status"] == "scheduled" and kept["starts_at"]["utc"] == start, kept
    assert (await api.call("POST", f"/meetings/{meeting_id}/cancel", mentor)).status == 200

    # What each side heard last (the acceptance, the cancellation) comes after what the
    # copies would have told: once it is there, so are they.
    def heard(items: list[dict[str, Any]], kind: str) -> int:
        return sum(n["kind"] == kind for n in items)

    for user, last, kind in (
        (mentor, "meeting_scheduled", "meeting_proposed"),
        (student, "meeting_cancelled", "meeting_rescheduled"),
    ):
        got = await eventually(
            lambda u=user: notifications(api, u),  # type: ignore[misc]
            20,
            what=f"{last} to reach {user.email}",
            until=lambda items, k=last: heard(items, k) == 1,  # type: ignore[misc]
        )
        assert heard(got, kind) == 1, [n["kind"] for n in got]
    for user, last, subject in (
        (mentor, "Your mentoring meeting is scheduled", "A mentoring meeting was proposed"),
        (student, "Mentoring meeting cancelled", "A mentoring meeting was rescheduled"),
    ):
        await api.mail(user.email, last)
        assert api.mailbox is not None
        assert sum(m.subject == subject for m in api.mailbox.to(user.email)) == 1, user.email


async def test_the_same_goal_or_note_at_once_or_again_is_one_and_told_once(api: Api, stack: Stack) -> None:
    """A goal sent four times at once, each copy past its check before any inserts, is one
    goal; again later (in other case, between spaces, with spaces doubled inside) it is that goal, and with another
    target date a 409 naming it; the other side's goal of the same title, or the same
    title once the first is done, is a goal of its own. A shared note sent four times at
    once and again a moment later is one note, as a private one sent twice; the same words
    past ten minutes are a new note. The mentor is told of each goal, note and change once
    (kind ``plan_updated``), and of no repeat, private note or save that changed nothing."""
    student, mentor, mentorship_id = await accepted_pair(api)
    base = f"/mentorships/{mentorship_id}"
    goal = {"title": "Present a patient on rounds", "measure": "once, with feedback", "target_date": "2030-01-10"}
    added = await held_at_insert(
        stack, "matching.goals", [api.call("POST", f"{base}/goals", student, json=goal) for _ in range(4)]
    )
    assert [r.status for r in added] == [201] * 4, [r.body for r in added]
    assert {len(r.body["goals"]) for r in added} == {1}, [r.body["goals"] for r in added]
    [first] = added[0].body["goals"]
    for title in ("  present a PATIENT on rounds ", "present a  patient\ton rounds"):
        again = await api.call("POST", f"{base}/goals", student, json=goal | {"title": title})
        assert again.status == 201 and again.body["goals"] == [first], (title, again.body)
    moved = await api.call("POST", f"{base}/goals", student, json=goal | {"target_date": "2030-02-01"})
    assert moved.status == 409 and moved.body["error"]["details"] == {"id": first["id"]}, moved.body
    theirs = await api.call("POST", f"{base}/goals", mentor, json=goal)
    assert theirs.status == 201 and len(theirs.body["goals"]) == 2
    for _ in range(2):  # the second save changes nothing
        assert (await api.call("PATCH", f"/goals/{first['id']}", student, json={"status": "done"})).status == 200
    renewed = await api.call("POST", f"{base}/goals", student, json=goal)
    assert renewed.status == 201 and len(renewed.body["goals"]) == 3

    r = await api.call("POST", f"{base}/meetings", mentor, json={"options": [at(days=2)]})
    meeting_id = r.body["meetings"][0]["id"]
    shared = {"meeting_id": meeting_id, "body": "Read the ACC guideline on chest pain"}
    noted = await held_at_insert(
        stack, "matching.notes", [api.call("POST", f"{base}/notes", student, json=shared) for _ in range(4)]
    )
    assert [r.status for r in noted] == [201] * 4, [r.body for r in noted]
    assert {len(r.body["notes"]) for r in noted} == {1}, [r.body["notes"] for r in noted]
    [note] = noted[0].body["notes"]
    private = {"private": True, "body": "Nervous about presenting"}
    for body in (shared, private, private):
        r = await api.call("POST", f"{base}/notes", student, json=body)
        assert r.status == 201, r.body
    assert [n["body"] for n in r.body["notes"]] == [shared["body"], private["body"]]
    assert [n["id"] for n in (await api.call("GET", f"{base}/plan", mentor)).body["notes"]] == [note["id"]]

    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute(
            "UPDATE matching.notes SET created_at = created_at - $2::interval WHERE id = $1",
            uuid.UUID(note["id"]),
            plans.NOTE_REPEAT_WINDOW + timedelta(minutes=1),
        )
    finally:
        await conn.close()
    later = await api.call("POST", f"{base}/notes", student, json=shared)
    assert later.status == 201 and [n["body"] for n in later.body["notes"]].count(shared["body"]) == 2

    # The mentor hears of the student's meeting proposal, sent after all of the above:
    # once it is there, a notice of any of it would be too.
    await api.call("POST", f"{base}/meetings", student, json={"options": [at(days=3)]})
    told = await eventually(
        lambda: notifications(api, mentor),
        20,
        what="the student's proposal to reach the mentor",
        until=lambda items: any(n["kind"] == "meeting_proposed" for n in items),
    )
    assert sorted(n["kind"] for n in told) == ["meeting_proposed", "mentorship_requested"] + ["plan_updated"] * 5, told
    added, shared_note = (
        "Ada Student added a goal to your mentoring plan.",
        "Ada Student shared a note on a meeting in your mentoring plan.",
    )
    assert sorted(n["text"] for n in told if n["kind"] == "plan_updated") == sorted(
        [added, added, "Ada Student changed a goal of your mentoring plan: marked it done.", shared_note, shared_note]
    ), told
    # The student hears of the mentor's goal.
    assert [n["text"] for n in await notifications(api, student) if n["kind"] == "plan_updated"] == [
        "Dr. Grace Mentor added a goal to your mentoring plan."
    ]


async def test_meeting_notices_and_mails_name_the_times_in_the_readers_zone(api: Api) -> None:
    """A mentor in Los Angeles proposes two times to a student in Kolkata: the student's
    notification and mail name both at Kolkata's time; the student's acceptance reaches the
    mentor at Los Angeles' time; a cancel names the meeting it cancels (they read "a
    meeting", which did not say which of several, nor when)."""
    student, mentor, mentorship_id = await accepted_pair(api)
    for user, zone in ((student, "Asia/Kolkata"), (mentor, "America/Los_Angeles")):
        r = await api.call("PATCH", "/me/mentoring-settings", user, json={"time_zone": zone})
        assert r.status == 200, r.body
    day = (datetime.now(UTC) + timedelta(days=10)).replace(hour=17, minute=0, second=0, microsecond=0)
    first, second = day, day + timedelta(hours=5)
    # The second time written as the student would, with Kolkata's offset.
    options = [first.isoformat(), second.astimezone(ZoneInfo("Asia/Kolkata")).isoformat()]

    def local(moment: datetime, zone: str) -> str:
        here = moment.astimezone(ZoneInfo(zone))
        return f"{here:%b} {here.day}, {here.year} at {here.hour % 12 or 12}:{here:%M %p} {here.tzname()}"

    ist = [local(first, "Asia/Kolkata"), local(second, "Asia/Kolkata")]
    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", mentor, json={"options": options})
    assert r.status == 201, r.body
    meeting = r.body["meetings"][0]

    def told(user: User, kind: str) -> Any:
        async def texts() -> list[str]:
            return [n["text"] for n in await notifications(api, user) if n["kind"] == kind]

        return eventually(texts, 10, what=f"a {kind} notice", until=bool)

    proposal = f"Dr. Grace Mentor proposed a meeting: {ist[0]} or {ist[1]}"
    assert await told(student, "meeting_proposed") == [proposal]
    [mail] = await api.mail(student.email, "meeting was proposed")
    assert f"{ist[0]} or {ist[1]}" in mail.part("text/plain")
    # The notice and its mail open the plan, where the times are to choose from.
    assert f"/#/mentorships/{mentorship_id}" in mail.part("text/plain")

    # The acceptance's notice comes from another consumer (the mentorship's conversation),
    # which may still be at work on its event: waited for, not assumed before the proposal's.
    async def kinds() -> dict[str, str]:
        return {n["kind"]: n["mentorship_id"] for n in await notifications(api, student)}

    both = {"mentorship_accepted": mentorship_id, "meeting_proposed": mentorship_id}
    assert await eventually(kinds, 10, what="both notices", until=lambda k: len(k) == 2) == both
    r = await api.call("POST", f"/meetings/{meeting['id']}/accept", student, json={"starts_at": options[1]})
    assert r.status == 200, r.body
    scheduled = f"Ada Student scheduled your meeting for {local(second, 'America/Los_Angeles')}"
    assert await told(mentor, "meeting_scheduled") == [scheduled]
    r = await api.call("POST", f"/meetings/{meeting['id']}/cancel", mentor)
    assert r.status == 200, r.body
    assert await told(student, "meeting_cancelled") == [f"Dr. Grace Mentor cancelled your meeting of {ist[1]}"]


async def test_operators_page_through_every_stalled_pair_and_see_how_many(api: Api, stack: Stack, admin: User) -> None:
    """The stalled pairs were one list cut at 500, and the outcomes page counted at most
    500: now pages, longest stalled first, with the number of them all."""
    pairs = [(await accepted_pair(api))[2] for _ in range(3)]
    conn = await asyncpg.connect(stack.service_url("matching"))
    try:
        for hours, pair in enumerate(pairs):  # the last one stalled longest
            await conn.execute(
                "UPDATE mentorships SET decided_at = now() - interval '20 days' - make_interval(hours => $2)"
                " WHERE id = $1",
                uuid.UUID(pair),
                hours,
            )
    finally:
        await conn.close()
    seen: list[str] = []
    accepted: list[str] = []
    totals: set[int] = set()
    cursor: str | None = None
    while True:
        params = {"limit": "2"} | ({"cursor": cursor} if cursor else {})
        page = await api.call("GET", "/admin/mentoring/stalled", admin, params=params)
        assert page.status == 200, page.body
        assert len(page.body["items"]) <= 2
        seen += [p["mentorship_id"] for p in page.body["items"]]
        accepted += [p["accepted_at"] for p in page.body["items"]]
        totals.add(page.body["total"])
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
    assert set(pairs) <= set(seen) and len(seen) == len(set(seen)) and totals == {len(seen)}  # on every page
    assert accepted == sorted(accepted, key=datetime.fromisoformat)  # longest stalled first
    assert [p for p in seen if p in pairs] == pairs[::-1]
    outcomes = await api.call("GET", "/admin/mentoring/outcomes", admin)
    assert outcomes.body["stalled_pairs"] == len(seen)
    bad = await api.call("GET", "/admin/mentoring/stalled", admin, params={"cursor": "not-a-cursor"})
    assert bad.status == 400, bad.body


async def test_a_pair_cannot_have_two_meetings_at_once(api: Api, stack: Stack) -> None:
    """A time that overlaps a scheduled meeting of the same pair (each from its start for
    its length) is refused, proposed, rescheduled to or accepted, with a 409 naming the
    meeting already there at its time in the caller's zone; back to back is fine. Two
    overlapping proposals accepted at once, each held past its check: one is scheduled,
    the other a 409 (both were: two CONFIRMED events at once in both calendars)."""
    student, mentor, mentorship_id = await accepted_pair(api)
    meetings = f"/mentorships/{mentorship_id}/meetings"
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

    def iso(minutes: int, days: int = 0) -> str:
        return (base + timedelta(days=days, minutes=minutes)).isoformat().replace("+00:00", "Z")

    async def propose(user: User, minutes: int, length: int, place: str = "", days: int = 0) -> Any:
        body = {"options": [iso(minutes, days)], "duration_minutes": length, "place": place}
        r = await api.call("POST", meetings, user, json=body)
        assert r.status == 201, r.body
        return next(
            m for m in r.body["meetings"] if m["options"][0]["utc"] == iso(minutes, days) and m["place"] == place
        )

    first = await propose(mentor, 0, 45)
    overlapping = await propose(student, 30, 30)  # overlaps the first once it is scheduled
    after = await propose(student, 45, 30)  # starts as the first ends
    accept = f"/meetings/{first['id']}/accept"
    assert (await api.call("POST", accept, student, json={"starts_at": iso(0)})).status == 200
    mentor_plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", mentor)).body
    when = next(m for m in mentor_plan["meetings"] if m["id"] == first["id"])["starts_at"]["yours"]

    refused = await api.call("POST", f"/meetings/{overlapping['id']}/accept", mentor, json={"starts_at": iso(30)})
    assert refused.status == 409, refused.body
    error = refused.body["error"]
    assert when in error["message"] and error["details"]["meeting_id"] == first["id"], error
    again = await api.call("POST", meetings, mentor, json={"options": [iso(60, 1), iso(-10)], "duration_minutes": 20})
    assert again.status == 409 and again.body["error"]["details"]["meeting_id"] == first["id"], again.body
    moved = await api.call("POST", f"/meetings/{after['id']}/reschedule", student, json={"options": [iso(44)]})
    assert moved.status == 409, moved.body
    ok = await api.call("POST", f"/meetings/{after['id']}/accept", mentor, json={"starts_at": iso(45)})
    assert ok.status == 200, ok.body
    # The scheduled meeting itself may move into its own old time.
    assert (
        await api.call("POST", f"/meetings/{first['id']}/reschedule", mentor, json={"options": [iso(-15)]})
    ).status == 200

    one = await propose(mentor, 0, 60, "Library", days=2)
    other = await propose(mentor, 30, 60, "Cafeteria", days=2)
    # Held at the notice's insert, after the check and the meeting's update: without the
    # lock from the check to the commit, both find the other's time still free.
    answers = await held_at_insert(
        stack,
        "matching.outbox",
        [
            api.call("POST", f"/meetings/{m['id']}/accept", student, json={"starts_at": iso(minutes, 2)})
            for m, minutes in ((one, 0), (other, 30))
        ],
    )
    assert sorted(r.status for r in answers) == [200, 409], [r.body for r in answers]
    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", student)).body
    scheduled = [m for m in plan["meetings"] if m["status"] == "scheduled"]
    assert len([m for m in scheduled if m["id"] in (one["id"], other["id"])]) == 1, scheduled


async def test_meetings_to_answer_are_the_other_sides_open_proposals(api: Api, stack: Stack) -> None:
    """GET /me/meetings-to-answer lists the meetings the other side proposed times (or new
    times) for, oldest proposal first, in pages, with the proposer's name: never the
    caller's own proposals, nor a scheduled meeting, nor times all past, nor an ended
    mentorship's, nor anyone else's."""
    student, mentor, mentorship_id = await accepted_pair(api)
    stranger = await api.signup("professional", "Dr. Stranger")
    meetings = f"/mentorships/{mentorship_id}/meetings"
    # Each time once: at() reads the clock, and a second passing between two reads of
    # at(days=2) made them two times (a compared list, an accept refused, one run in ~30).
    in_two, in_three = at(days=2), at(days=3, hours=2)
    first = await api.call("POST", meetings, student, json={"options": [in_three, in_two]})
    second = await api.call("POST", meetings, student, json={"options": [at(days=4)], "duration_minutes": 45})
    assert first.status == second.status == 201, (first.body, second.body)
    mine = await api.call("POST", meetings, mentor, json={"options": [at(days=6)]})
    assert mine.status == 201, mine.body
    first_id, second_id, mentors_id = (m["id"] for m in mine.body["meetings"])

    async def to_answer(user: User, **params: str) -> dict[str, Any]:
        r = await api.call("GET", "/me/meetings-to-answer", user, params=params)
        assert r.status == 200, r.body
        return r.body

    async def named() -> dict[str, Any] | None:
        page = await to_answer(mentor)
        return page if page["items"] and page["items"][0]["proposed_by_name"] else None

    page = await eventually(named, 10, what="matching to know the student's name")
    assert [m["id"] for m in page["items"]] == [first_id, second_id] and page["next_cursor"] is None
    item = page["items"][0]
    assert item["mentorship_id"] == mentorship_id and item["proposed_by"] == student.id
    assert item["proposed_by_name"] == "Ada Student" and item["duration_minutes"] == 30
    assert [datetime.fromisoformat(t) for t in item["options"]] == sorted(
        datetime.fromisoformat(t) for t in (in_two, in_three)
    )
    assert [m["id"] for m in (await to_answer(student))["items"]] == [mentors_id]
    assert (await to_answer(stranger))["items"] == []

    # Pages of one.
    one = await to_answer(mentor, limit="1")
    assert [m["id"] for m in one["items"]] == [first_id] and one["next_cursor"]
    rest = await to_answer(mentor, limit="1", cursor=one["next_cursor"])
    assert [m["id"] for m in rest["items"]] == [second_id] and rest["next_cursor"] is None
    bad = await api.call("GET", "/me/meetings-to-answer", mentor, params={"cursor": "nonsense"})
    assert bad.status == 400 and bad.body["error"]["code"] == "validation", bad.body

    # Accepted: no longer waiting. The student's new times for it: waiting again, last.
    accepted = await api.call("POST", f"/meetings/{first_id}/accept", mentor, json={"starts_at": in_two})
    assert accepted.status == 200, accepted.body
    assert [m["id"] for m in (await to_answer(mentor))["items"]] == [second_id]
    moved = await api.call("POST", f"/meetings/{first_id}/reschedule", student, json={"options": [at(days=5)]})
    assert moved.status == 200, moved.body
    assert [m["id"] for m in (await to_answer(mentor))["items"]] == [second_id, first_id]

    # Times all past are nothing to answer (read at a clock a week ahead).
    pool = await create_pool(stack.service_url("matching"), "matching", size=1)
    try:
        ahead = datetime.now(UTC) + timedelta(days=7)
        assert await plan_store.meetings_to_answer(pool, uuid.UUID(mentor.id), ahead, None, 10) == []
        # Past the second's only time, before the first's new one: the first alone.
        between = datetime.now(UTC) + timedelta(days=4, hours=1)
        rows = await plan_store.meetings_to_answer(pool, uuid.UUID(mentor.id), between, None, 10)
        assert [r["id"] for r in rows] == [uuid.UUID(first_id)]
    finally:
        await pool.close()

    # Ended: nothing waits for either side.
    assert (await api.call("POST", f"/mentorships/{mentorship_id}/end", mentor)).status == 200
    assert (await to_answer(mentor))["items"] == [] and (await to_answer(student))["items"] == []


async def test_a_meeting_weeks_away_cannot_be_said_to_have_taken_place(api: Api) -> None:
    """One press on "We met" counted a meeting five weeks out as held (and in the operators'
    figures): from a week before its time only; it stays scheduled."""
    student, mentor, mentorship_id = await accepted_pair(api)
    r = await api.call("POST", f"/mentorships/{mentorship_id}/meetings", student, json={"options": [at(days=20)]})
    meeting = r.body["meetings"][0]
    start = meeting["options"][0]["utc"]
    accepted = await api.call("POST", f"/meetings/{meeting['id']}/accept", mentor, json={"starts_at": start})
    assert accepted.status == 200, accepted.body
    early = await api.call("POST", f"/meetings/{meeting['id']}/held", student)
    assert early.status == 409 and "more than a week away" in early.body["error"]["message"], early.body
    plan = (await api.call("GET", f"/mentorships/{mentorship_id}/plan", mentor)).body
    assert [m["status"] for m in plan["meetings"]] == ["scheduled"]
