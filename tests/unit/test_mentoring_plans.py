"""Pure rules of mentoring plans: sides, meetings' life, check-ins due, stalled pairs,
suggested goals by stage, time zones."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.matching.domain import plans
from shared import timezones
from shared.errors import AppError

NOW = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
STUDENT, MENTOR, STRANGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
PAIR = plans.Pair(STUDENT, MENTOR, "accepted")
# The other side's zone, in which their notices name the times.
ZONE = "Asia/Kolkata"


def code(exc: pytest.ExceptionInfo[AppError]) -> str:
    return exc.value.code


def test_a_pairs_meetings_may_not_overlap_but_may_be_back_to_back() -> None:
    """A time overlaps a scheduled meeting when the two share a minute (each from its start
    for its length); one that starts as the other ends is free. The 409 names the
    scheduled meeting at its time in the caller's zone."""
    start = NOW + timedelta(days=2)
    booked = [plans.Booked(uuid.uuid4(), start, 45)]
    for clash in (start, start + timedelta(minutes=44), start - timedelta(minutes=29)):
        with pytest.raises(AppError) as exc:
            plans.check_free((NOW + timedelta(days=5), clash), 30, booked, "America/New_York")
        assert code(exc) == "conflict"
        assert timezones.local(start, "America/New_York") in exc.value.message
        assert exc.value.details == {"meeting_id": str(booked[0].meeting_id), "starts_at": start.isoformat()}
    plans.check_free((start + timedelta(minutes=45), start - timedelta(minutes=30)), 30, booked, ZONE)
    plans.check_free((start,), 30, [], ZONE)


def test_only_the_two_people_see_a_plan() -> None:
    assert plans.side(PAIR, STUDENT) == "student" and plans.side(PAIR, MENTOR) == "mentor"
    with pytest.raises(AppError) as exc:
        plans.side(PAIR, STRANGER)
    assert code(exc) == "not_found"


def test_a_plan_changes_only_while_accepted() -> None:
    for status in ("requested", "declined", "ended"):
        with pytest.raises(AppError) as exc:
            plans.check_writable(plans.Pair(STUDENT, MENTOR, status), STUDENT)
        assert code(exc) == "conflict"
    due = date(2026, 12, 15)  # the middle of a 1-29 December rotation
    ended = plans.Pair(STUDENT, MENTOR, "ended")
    assert plans.check_check_in(ended, MENTOR, "mid", date(2026, 12, 1), date(2026, 12, 29), due) == "mentor"


def test_a_request_withdrawn_before_an_answer_has_no_plan() -> None:
    """A withdrawn request is stored 'ended' with no decided_at: it had check-ins due and
    took their ratings. Its plan reads "withdrawn", and every write says why there is none."""
    assert plans.plan_status("ended", None) == plans.WITHDRAWN
    assert plans.plan_status("ended", NOW) == "ended"  # accepted, then ended: a plan to read
    assert plans.plan_status("declined", NOW) == "declined"
    assert plans.plan_status("requested", None) == "requested"
    withdrawn = plans.Pair(STUDENT, MENTOR, plans.plan_status("ended", None))
    start, end, due = date(2026, 12, 1), date(2026, 12, 29), date(2026, 12, 27)
    refusals = [
        lambda: plans.check_writable(withdrawn, STUDENT),
        lambda: plans.check_check_in(withdrawn, STUDENT, "mid", start, end, due),
        lambda: plans.check_check_in(withdrawn, MENTOR, "end", start, end, due),
        lambda: plans.propose(withdrawn, MENTOR, [NOW + timedelta(days=1)], NOW, their_zone=ZONE),
    ]
    for refuse in refusals:
        with pytest.raises(AppError) as exc:
            refuse()
        assert code(exc) == "conflict"
        assert exc.value.message == "the request was withdrawn before it was accepted: it has no plan"
    with pytest.raises(AppError) as exc:
        plans.check_writable(withdrawn, STRANGER)
    assert code(exc) == "not_found"  # still nobody else's to learn of


def test_proposed_times_are_future_distinct_and_few() -> None:
    later = NOW + timedelta(days=2)
    assert plans.check_options([later, later, NOW + timedelta(days=1)], NOW) == (NOW + timedelta(days=1), later)
    for bad in (
        [],
        [NOW - timedelta(minutes=1)],
        [NOW + timedelta(days=400)],
        [NOW + timedelta(hours=h) for h in range(1, 5)],
    ):
        with pytest.raises(AppError) as exc:
            plans.check_options(bad, NOW)
        assert code(exc) == "validation"


def test_a_meeting_from_proposal_to_held() -> None:
    times = [NOW + timedelta(days=1), NOW + timedelta(days=2)]
    proposed = plans.propose(PAIR, STUDENT, times, NOW, their_zone=ZONE)
    assert proposed.status == "proposed" and [n.user_id for n in proposed.notices] == [MENTOR]
    meeting = plans.Meeting("proposed", STUDENT, proposed.options, None)
    with pytest.raises(AppError) as exc:
        plans.decide_meeting(PAIR, meeting, STUDENT, "accept", NOW, their_zone=ZONE, chosen=times[0])
    assert code(exc) == "forbidden"
    with pytest.raises(AppError) as exc:
        plans.decide_meeting(PAIR, meeting, MENTOR, "accept", NOW, their_zone=ZONE, chosen=NOW + timedelta(days=3))
    assert code(exc) == "validation"
    scheduled = plans.decide_meeting(PAIR, meeting, MENTOR, "accept", NOW, their_zone=ZONE, chosen=times[1])
    assert scheduled.status == "scheduled" and scheduled.starts_at == times[1]
    assert [n.user_id for n in scheduled.notices] == [STUDENT]
    meeting = plans.Meeting("scheduled", STUDENT, proposed.options, times[1])
    held = plans.decide_meeting(PAIR, meeting, STUDENT, "held", NOW, their_zone=ZONE)
    assert held.status == "held" and held.held
    # Early is possible (a ward meets when it can), weeks ahead is a mistake.
    far = plans.Meeting("scheduled", STUDENT, (NOW + timedelta(days=39),), NOW + timedelta(days=39))
    with pytest.raises(AppError, match="more than a week away") as exc:
        plans.decide_meeting(PAIR, far, STUDENT, "held", NOW, their_zone=ZONE)
    assert code(exc) == "conflict"
    week = plans.Meeting("scheduled", STUDENT, (NOW + timedelta(days=7),), NOW + timedelta(days=7))
    assert plans.decide_meeting(PAIR, week, STUDENT, "held", NOW, their_zone=ZONE).held
    # Agreed, then asked to move: it can have taken place at its agreed time before the new
    # times were answered (it was refused as "proposed"). They go, and the other side is told.
    moving = plans.Meeting("proposed", MENTOR, (NOW + timedelta(days=9),), times[1])
    met = plans.decide_meeting(PAIR, moving, STUDENT, "held", NOW, their_zone=ZONE)
    assert (met.status, met.held, met.starts_at, met.options) == ("held", True, times[1], (times[1],))
    [told] = met.notices
    assert told.user_id == MENTOR and "took place: the new times proposed for it are withdrawn" in told.text
    new = plans.Meeting("proposed", STUDENT, proposed.options, None)
    with pytest.raises(AppError, match="only a scheduled meeting can be held"):
        plans.decide_meeting(PAIR, new, MENTOR, "held", NOW, their_zone=ZONE)
    done = plans.Meeting("held", STUDENT, proposed.options, times[1])
    for action in ("accept", "decline", "cancel", "held", "reschedule"):
        with pytest.raises(AppError) as exc:
            plans.decide_meeting(
                PAIR, done, MENTOR, action, NOW, their_zone=ZONE, chosen=times[1], options=[NOW + timedelta(days=5)]
            )
        assert code(exc) == "conflict", action


def test_reschedule_hands_the_answer_to_the_other_side() -> None:
    meeting = plans.Meeting("scheduled", STUDENT, (NOW + timedelta(days=1),), NOW + timedelta(days=1))
    moved = plans.decide_meeting(
        PAIR, meeting, MENTOR, "reschedule", NOW, their_zone=ZONE, options=[NOW + timedelta(days=4)]
    )
    # The agreed time stays (calendars, reminders) until new times are accepted.
    assert moved.status == "proposed" and moved.proposed_by == MENTOR and moved.starts_at == NOW + timedelta(days=1)
    assert moved.notices[0].text.endswith(". Until new times are accepted, it stays at Dec 5, 2026 at 11:30 PM IST")
    pending = plans.Meeting("proposed", MENTOR, moved.options, moved.starts_at)
    # Declined, it is scheduled at its agreed time again (a decline deleted it).
    kept = plans.decide_meeting(PAIR, pending, STUDENT, "decline", NOW, their_zone=ZONE)
    assert (kept.status, kept.starts_at) == ("scheduled", NOW + timedelta(days=1))
    assert kept.notices[0].text.endswith("The meeting stays at Dec 5, 2026 at 11:30 PM IST")
    # Accepted, it moves.
    taken = plans.decide_meeting(PAIR, pending, STUDENT, "accept", NOW, their_zone=ZONE, chosen=NOW + timedelta(days=4))
    assert (taken.status, taken.starts_at) == ("scheduled", NOW + timedelta(days=4))
    # The agreed time asked for again withdraws the new times.
    back = plans.decide_meeting(
        PAIR, pending, MENTOR, "reschedule", NOW, their_zone=ZONE, options=[NOW + timedelta(days=1)]
    )
    assert (back.status, back.starts_at) == ("scheduled", NOW + timedelta(days=1)) and "withdrawn" in back.notices[
        0
    ].text
    # A proposal never agreed has no time to keep: declined, it is declined.
    fresh = plans.Meeting("proposed", MENTOR, moved.options, None)
    assert plans.decide_meeting(PAIR, fresh, STUDENT, "decline", NOW, their_zone=ZONE).status == "declined"
    cancelled = plans.decide_meeting(PAIR, meeting, STUDENT, "cancel", NOW, their_zone=ZONE)
    assert cancelled.status == "cancelled"
    with pytest.raises(AppError) as exc:
        plans.decide_meeting(PAIR, meeting, STRANGER, "cancel", NOW, their_zone=ZONE)
    assert code(exc) == "not_found"


def test_a_reschedule_to_what_the_meeting_already_is_changes_nothing_and_tells_nobody() -> None:
    """The caller's own proposal of the same times, or a scheduled meeting at that one
    time, stays as it is with no notice; the other side's proposal or other times move it."""
    times = (NOW + timedelta(days=1), NOW + timedelta(days=2))
    mine = plans.Meeting("proposed", MENTOR, times, None)
    again = plans.decide_meeting(PAIR, mine, MENTOR, "reschedule", NOW, their_zone=ZONE, options=list(reversed(times)))
    assert not again.moves(mine) and again.notices == []
    theirs = plans.decide_meeting(PAIR, mine, STUDENT, "reschedule", NOW, their_zone=ZONE, options=list(times))
    assert theirs.moves(mine) and theirs.proposed_by == STUDENT and len(theirs.notices) == 1
    scheduled = plans.Meeting("scheduled", MENTOR, times, times[0])
    same_time = plans.decide_meeting(PAIR, scheduled, STUDENT, "reschedule", NOW, their_zone=ZONE, options=[times[0]])
    assert not same_time.moves(scheduled) and same_time.notices == []
    reopened = plans.decide_meeting(PAIR, scheduled, MENTOR, "reschedule", NOW, their_zone=ZONE, options=list(times))
    assert reopened.moves(scheduled) and reopened.status == "proposed" and len(reopened.notices) == 1


def test_each_meeting_notice_names_its_times_in_the_other_sides_zone() -> None:
    """Several meetings can be open at once: every notice (and its mail) says which, at the
    time the person told reads on their own clock (NOW is 18:00 UTC, 23:30 in Kolkata)."""
    first, second = NOW + timedelta(days=1), NOW + timedelta(days=2)
    proposed = plans.propose(PAIR, MENTOR, [second, first], NOW, their_zone=ZONE)
    assert proposed.notices[0].text == "proposed a meeting: Dec 5, 2026 at 11:30 PM IST or Dec 6, 2026 at 11:30 PM IST"
    meeting = plans.Meeting("proposed", MENTOR, proposed.options, None)
    texts = {
        action: plans.decide_meeting(
            PAIR, meeting, STUDENT, action, NOW, their_zone="America/Los_Angeles", chosen=first, options=[second]
        )
        .notices[0]
        .text
        for action in ("accept", "decline", "reschedule", "cancel")
    }
    assert texts == {
        "accept": "scheduled your meeting for Dec 5, 2026 at 10:00 AM PST",
        "decline": "declined the times you proposed: Dec 5, 2026 at 10:00 AM PST or Dec 6, 2026 at 10:00 AM PST",
        "reschedule": "proposed new times for the meeting proposed for Dec 5, 2026 at 10:00 AM PST"
        " or Dec 6, 2026 at 10:00 AM PST: Dec 6, 2026 at 10:00 AM PST",
        "cancel": "cancelled the meeting proposed for Dec 5, 2026 at 10:00 AM PST or Dec 6, 2026 at 10:00 AM PST",
    }
    scheduled = plans.Meeting("scheduled", MENTOR, proposed.options, first)
    cancelled = plans.decide_meeting(PAIR, scheduled, STUDENT, "cancel", NOW, their_zone=ZONE)
    assert cancelled.notices[0].text == "cancelled your meeting of Dec 5, 2026 at 11:30 PM IST"
    moved = plans.decide_meeting(PAIR, scheduled, STUDENT, "reschedule", NOW, their_zone=ZONE, options=[second])
    assert moved.notices[0].text == (
        "proposed new times for your meeting of Dec 5, 2026 at 11:30 PM IST: Dec 6, 2026 at 11:30 PM IST."
        " Until new times are accepted, it stays at Dec 5, 2026 at 11:30 PM IST"
    )


def test_an_expired_proposal_cannot_be_accepted() -> None:
    past = NOW - timedelta(hours=1)
    meeting = plans.Meeting("proposed", STUDENT, (past,), None)
    with pytest.raises(AppError) as exc:
        plans.decide_meeting(PAIR, meeting, MENTOR, "accept", NOW, their_zone=ZONE, chosen=past)
    assert code(exc) == "conflict"


def test_reminder_in_the_day_before() -> None:
    start = NOW + timedelta(hours=30)
    assert not plans.reminder_due(start, NOW)
    assert plans.reminder_due(start, NOW + timedelta(hours=7))
    assert not plans.reminder_due(start, start)


def test_check_ins_at_the_middle_and_near_the_end() -> None:
    start, end = date(2026, 12, 1), date(2026, 12, 29)
    assert plans.check_ins_due(start, end, date(2026, 12, 14)) == []
    assert plans.check_ins_due(start, end, date(2026, 12, 15)) == ["mid"]
    assert plans.check_ins_due(start, end, date(2026, 12, 26)) == ["mid", "end"]
    assert plans.check_ins_due(None, None, date(2026, 12, 26)) == []
    # The days the plan shows are the days they open: one rule for both.
    assert plans.check_in_dates(start, end) == [("mid", date(2026, 12, 15)), ("end", date(2026, 12, 26))]
    assert plans.check_in_dates(None, None) == []


def test_a_check_in_is_answered_once_its_stage_is_due() -> None:
    """The rule of ``check_ins_due``: never early (an early answer is final and would take
    the real one's place), never without a rotation; still after the mentorship ended."""
    start, end = date(2026, 12, 1), date(2026, 12, 29)
    for pair in (PAIR, plans.Pair(STUDENT, MENTOR, "ended")):
        with pytest.raises(AppError) as exc:
            plans.check_check_in(pair, STUDENT, "end", start, end, date(2026, 12, 4))
        assert code(exc) == "conflict"
        assert "opens on 2026-12-26" in exc.value.message
        assert exc.value.details == {"stage": "end", "opens_on": "2026-12-26"}
        with pytest.raises(AppError) as exc:
            plans.check_check_in(pair, MENTOR, "mid", start, end, date(2026, 12, 14))
        assert exc.value.details == {"stage": "mid", "opens_on": "2026-12-15"}
        assert plans.check_check_in(pair, MENTOR, "mid", start, end, date(2026, 12, 15)) == "mentor"
        assert plans.check_check_in(pair, STUDENT, "end", start, end, date(2026, 12, 26)) == "student"
        assert plans.check_check_in(pair, STUDENT, "end", start, end, date(2027, 3, 1)) == "student"
    for stage in plans.STAGES:
        with pytest.raises(AppError) as exc:
            plans.check_check_in(PAIR, STUDENT, stage, None, None, date(2026, 12, 26))
        assert code(exc) == "conflict" and "rotation" in exc.value.message
    with pytest.raises(AppError) as exc:
        plans.check_check_in(plans.Pair(STUDENT, MENTOR, "requested"), STUDENT, "mid", start, end, date(2026, 12, 20))
    assert code(exc) == "conflict"
    with pytest.raises(AppError) as exc:
        plans.check_check_in(PAIR, STRANGER, "mid", start, end, date(2026, 12, 20))
    assert code(exc) == "not_found"


def test_ending_a_mentorship_cancels_its_open_meetings() -> None:
    """Proposed and scheduled meetings are cancelled (a scheduled one keeps its time, for
    the calendar); the other side hears of each one with an agreed time in their zone (new
    times asked for it too: it was agreed, and is in their calendar), not of proposals;
    held, declined and cancelled ones stay."""
    start = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    later = (start + timedelta(days=1),)
    ids = [uuid.uuid4() for _ in range(6)]
    meetings = {
        ids[0]: plans.Meeting("scheduled", STUDENT, (start,), start),
        ids[1]: plans.Meeting("proposed", MENTOR, later, None),
        ids[2]: plans.Meeting("proposed", STUDENT, later, None),
        ids[3]: plans.Meeting("proposed", STUDENT, later, start + timedelta(days=3)),
        ids[4]: plans.Meeting("held", STUDENT, (start,), start),
        ids[5]: plans.Meeting("declined", MENTOR, later, None),
    }
    changes = plans.end_meetings(PAIR, MENTOR, meetings, "America/Chicago")
    assert set(changes) == set(ids[:4])
    assert all(c.status == "cancelled" for c in changes.values())
    assert changes[ids[0]].starts_at == start and changes[ids[1]].starts_at is None
    assert changes[ids[1]].proposed_by == MENTOR and changes[ids[1]].options == later
    notices = [n for c in changes.values() for n in c.notices]
    assert [n.user_id for n in notices] == [STUDENT, STUDENT] and {n.kind for n in notices} == {"meeting_cancelled"}
    assert "Dec 10, 2026 at 9:30 AM CST" in notices[0].text and "ended the mentorship" in notices[0].text
    assert "Dec 13, 2026 at 9:30 AM CST" in notices[1].text
    assert [n.user_id for c in plans.end_meetings(PAIR, STUDENT, meetings, "UTC").values() for n in c.notices] == [
        MENTOR,
        MENTOR,
    ]
    with pytest.raises(AppError) as exc:
        plans.end_meetings(PAIR, STRANGER, meetings, "UTC")
    assert code(exc) == "not_found"


def test_your_turn_only_while_the_plan_can_change() -> None:
    assert plans.your_turn(PAIR, "proposed", MENTOR, STUDENT)
    assert not plans.your_turn(PAIR, "proposed", STUDENT, STUDENT)
    assert not plans.your_turn(PAIR, "scheduled", MENTOR, STUDENT)
    for status in ("ended", "requested", "declined"):
        assert not plans.your_turn(plans.Pair(STUDENT, MENTOR, status), "proposed", MENTOR, STUDENT)


def test_stalled_after_fourteen_days_without_a_held_meeting() -> None:
    accepted = NOW - timedelta(days=14)
    assert plans.is_stalled(accepted, 0, NOW)
    assert not plans.is_stalled(accepted, 1, NOW)
    assert not plans.is_stalled(NOW - timedelta(days=13, hours=23), 0, NOW)
    assert not plans.is_stalled(None, 0, NOW)


def test_suggested_goals_follow_the_students_stage() -> None:
    today = date(2026, 12, 4)
    assert plans.student_stage(2024, today) == "graduate"
    assert plans.student_stage(2027, today) == "applying"
    assert plans.student_stage(2029, today) == "clinical"
    assert plans.student_stage(None, today) == "clinical"
    assert any("letter" in g for g in plans.SUGGESTED_GOALS["applying"])


def test_time_zones_default_from_the_state() -> None:
    assert timezones.zone_for_state("CA") == "America/Los_Angeles"
    assert timezones.zone_for_state("md") == "America/New_York"
    assert timezones.zone_for_state(None) == timezones.DEFAULT_ZONE
    assert all(timezones.is_zone(z) for z in timezones.STATE_ZONES.values())
    # The zone files that are not zones: the server's own, and "-00".
    assert not any(timezones.is_zone(z) for z in ("localtime", "Factory", "posixrules"))
    moment = datetime(2026, 12, 10, 15, 30, tzinfo=UTC)
    assert timezones.local(moment, "America/Chicago") == "Dec 10, 2026 at 9:30 AM CST"
    assert timezones.local(moment, "Asia/Kolkata") == "Dec 10, 2026 at 9:00 PM IST"


def test_hospital_page_visibility_is_opt_in() -> None:
    from services.matching.domain.hospital_page import visible_to

    assert not any(visible_to("nobody", role) for role in ("student", "professional", "admin"))
    assert visible_to("students", "student") and not visible_to("students", "professional")
    assert visible_to("professionals", "professional") and not visible_to("professionals", "student")
    assert visible_to("members", "student") and visible_to("members", "professional")
    assert not visible_to("anything else", "student")


def test_the_same_goal_again_is_the_open_one_unless_its_measure_or_date_differ() -> None:
    """A repeat with the same measure (in any case) and target date is the goal the plan
    has; another measure or date is a 409 naming it, so the change is not lost in silence."""
    goal_id = uuid.uuid4()
    stored = {"id": goal_id, "measure": "Once, with feedback", "target_date": date(2030, 1, 10)}
    plans.repeated_goal(stored, "once, with feedback", date(2030, 1, 10))
    for measure, target in (("twice", date(2030, 1, 10)), ("once, with feedback", None)):
        with pytest.raises(AppError) as exc:
            plans.repeated_goal(stored, measure, target)
        assert code(exc) == "conflict" and exc.value.details == {"id": str(goal_id)}


def test_a_goal_target_date_is_within_a_year_back_and_five_years_ahead() -> None:
    """Calendar years: the bounds were 366-day years (Dec 5, 2026 reached Dec 9, 2031)."""
    today = date(2026, 12, 5)
    for fine in (None, today, date(2025, 12, 5), date(2031, 12, 5)):
        assert plans.check_target_date(fine, today) == fine
    slips = (date(1900, 1, 1), date(9999, 12, 31), date(2025, 12, 4), date(2031, 12, 6))
    for slip in slips:
        with pytest.raises(AppError) as refused:
            plans.check_target_date(slip, today)
        assert refused.value.code == "validation"
        # Which range, in days (the field said only "out of range").
        assert refused.value.details == [
            {"field": "target_date", "message": "a day between Dec 5, 2025 and Dec 5, 2031"}
        ], refused.value.details
    # 29 February: a year back is 28 February.
    assert plans.check_target_date(date(2027, 2, 28), date(2028, 2, 29)) == date(2027, 2, 28)


def test_the_other_side_hears_of_goals_added_changed_and_notes_shared() -> None:
    """Each goal added, each real change of one (naming everything that moved, its status
    first) and each shared note tells the other side once (kind ``plan_updated``), quoting
    none of the plan's words; a save of the same values tells nobody."""
    goal = {"title": "Present on rounds", "measure": "once", "target_date": date(2027, 3, 1), "status": "open"}

    def heard(
        changes: dict[str, object], by: uuid.UUID = STUDENT, was: dict[str, object] = goal
    ) -> list[tuple[uuid.UUID, str]]:
        return [(n.user_id, n.text) for n in plans.goal_changed(PAIR, by, was, changes)]

    def changed(what: str) -> str:
        return f"changed a goal of your mentoring plan: {what}."

    added = plans.goal_added(PAIR, MENTOR)
    assert (added.user_id, added.kind, added.text) == (STUDENT, "plan_updated", "added a goal to your mentoring plan.")
    assert heard({"status": "done"}) == [(MENTOR, changed("marked it done"))]
    assert heard({"status": "dropped"}, MENTOR) == [(STUDENT, changed("dropped it"))]
    assert heard({"status": "open"}, was=goal | {"status": "done"}) == [(MENTOR, changed("reopened it"))]
    assert heard({"title": "Present twice"}) == [(MENTOR, changed("renamed it"))]
    assert heard({"target_date": date(2027, 4, 2)}) == [(MENTOR, changed("moved its target date to Apr 2, 2027"))]
    assert heard({"target_date": None}) == [(MENTOR, changed("removed its target date"))]
    assert heard({"measure": "twice"}) == [(MENTOR, changed("changed how it is measured"))]
    # Everything that moved, in one notice; what was sent unchanged is not named.
    assert heard({"title": "Present twice", "target_date": date(2027, 2, 20), "measure": "once"}) == [
        (MENTOR, changed("renamed it and moved its target date to Feb 20, 2027"))
    ]
    assert heard({"status": "done", "title": "Present twice", "measure": "twice"}) == [
        (MENTOR, changed("marked it done, renamed it and changed how it is measured"))
    ]
    assert heard({"status": "open", "title": "Present on rounds", "target_date": date(2027, 3, 1)}) == []
    assert heard({}) == []
    note = plans.note_shared(PAIR, MENTOR)
    assert (note.user_id, note.kind, note.text) == (
        STUDENT,
        "plan_updated",
        "shared a note on a meeting in your mentoring plan.",
    )


def test_a_meeting_reminder_names_the_other_side_and_every_way_to_meet() -> None:
    """It read "Mentoring meeting Dec 8, 2026 at 2:30 AM EST, MGH cafeteria": nobody named,
    and the video link dropped when a place was given."""
    when = "Dec 8, 2026 at 2:30 AM EST"
    both = plans.reminder_text(when, "Dr. Luis Romero", "MGH cafeteria", "https://meet.example.org/x")
    assert both == (
        "Mentoring meeting with Dr. Luis Romero on Dec 8, 2026 at 2:30 AM EST:"
        " MGH cafeteria; video: https://meet.example.org/x"
    )
    assert plans.reminder_text(when, None, None, None).endswith(
        "your mentoring partner on " + when + ": where you agreed"
    )
    assert plans.reminder_text(when, "Ada", None, "https://v.example.org").endswith(": video: https://v.example.org")


def test_times_a_fraction_of_a_second_apart_are_one_time() -> None:
    """Proposed at 10:00:00 and 10:00:00.123456, a meeting read as two identical times, and
    the same proposal sent again with a fraction was not caught as a repeat."""
    at = (NOW + timedelta(days=3)).replace(microsecond=0)
    assert plans.check_options([at, at.replace(microsecond=123456)], NOW) == (at,)
    meeting = plans.Meeting("proposed", STUDENT, (at,), None)
    again = plans.decide_meeting(
        PAIR, meeting, STUDENT, "reschedule", NOW, their_zone=ZONE, options=[at.replace(microsecond=5)]
    )
    assert not again.moves(meeting) and again.notices == []
    chosen = at.replace(microsecond=999)
    scheduled = plans.decide_meeting(PAIR, meeting, MENTOR, "accept", NOW, their_zone=ZONE, chosen=chosen)
    assert scheduled.starts_at == at
