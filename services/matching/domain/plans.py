"""Pure rules of a mentorship's plan: who may touch it, suggested goals by stage, the
meeting's life (proposed -> scheduled -> held, or declined / cancelled, rescheduled back
to proposed), when check-ins are due and when a pair has stalled.

No I/O here: the handlers load rows, call these, and store what they return.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal

from services.matching.domain import Row
from shared import dates, timezones
from shared.errors import AppError

Side = Literal["student", "mentor"]
Stage = Literal["mid", "end"]
MeetingStatus = Literal["proposed", "scheduled", "declined", "cancelled", "held"]

STAGES: tuple[Stage, ...] = ("mid", "end")
# A meeting still waiting for an answer or to take place: ending the mentorship cancels it.
OPEN_MEETINGS: tuple[MeetingStatus, ...] = ("proposed", "scheduled")
# Check-ins are answered while the mentorship runs, and after it ended.
CHECK_IN_STATUSES = ("accepted", "ended")

# A request the student withdrew before the mentor answered: stored 'ended', with no
# decided_at (accept and decline stamp it). The mentor never took the student on, so there
# is no plan: its reads say "withdrawn", as a declined one's say "declined".
WITHDRAWN = "withdrawn"
NO_PLAN = "the request was withdrawn before it was accepted: it has no plan"

PLAN_NOT_FOUND = AppError("not_found", "mentorship not found")
MEETING_NOT_FOUND = AppError("not_found", "meeting not found")
GOAL_NOT_FOUND = AppError("not_found", "goal not found")

MAX_OPTIONS = 3
# How far ahead a meeting can be proposed: a rotation is weeks long, a plan a year at most.
MAX_AHEAD = timedelta(days=365)
REMIND_BEFORE = timedelta(hours=24)
# How long before its time a meeting may be said to have taken place.
HELD_EARLIEST = timedelta(days=7)
# Mentorloop flags pairs stuck at one stage for 21 days; a rotation lasts 2-4 weeks, so a
# pair that has not met two weeks after acceptance has lost half of it.
STALLED_AFTER = timedelta(days=14)
# The same note again within this time (a retry, a double click, a second tab) is the one
# already written; the same words later are a new note.
NOTE_REPEAT_WINDOW = timedelta(minutes=10)
# The end-of-rotation check-in opens this many days before the rotation ends, while the
# pair can still act on it.
END_CHECK_IN_DAYS = 3

# Starting goals by the student's stage (the student picks, edits or ignores them).
SUGGESTED_GOALS: dict[str, list[str]] = {
    "clinical": [
        "Present a patient on rounds",
        "Ask for feedback at mid-rotation",
        "Learn one procedure or exam skill well",
        "Ask how to prepare for a sub-internship in this specialty",
    ],
    "applying": [
        "Present a patient on rounds",
        "Ask for feedback at mid-rotation",
        "Discuss which programs fit my application",
        "Ask for a letter of recommendation in the last week",
    ],
    "graduate": [
        "Present a patient on rounds",
        "Ask for feedback at mid-rotation",
        "Learn how US programs read an international application",
        "Ask for a US letter of recommendation in the last week",
    ],
}


def student_stage(graduation_year: int | None, today: date) -> str:
    """``graduate`` (already graduated: an international graduate applying), ``applying``
    (graduating this year or next: the residency application is now), else ``clinical``."""
    if graduation_year is None:
        return "clinical"
    if graduation_year < today.year:
        return "graduate"
    if graduation_year <= today.year + 1:
        return "applying"
    return "clinical"


@dataclass(frozen=True)
class Pair:
    student_id: uuid.UUID
    mentor_id: uuid.UUID
    status: str  # the mentorship's, or ``WITHDRAWN`` (``plan_status``)


def plan_status(status: str, decided_at: datetime | None) -> str:
    """A mentorship's status as its plan reads it: ``WITHDRAWN`` for a request ended before
    any answer, which was never accepted; else the stored status."""
    return WITHDRAWN if status == "ended" and decided_at is None else status


def _refuse_withdrawn(pair: Pair) -> None:
    if pair.status == WITHDRAWN:
        raise AppError("conflict", NO_PLAN)


def side(pair: Pair, user_id: uuid.UUID) -> Side:
    """The caller's side of a mentorship; anyone else must not learn it exists (404)."""
    if user_id == pair.student_id:
        return "student"
    if user_id == pair.mentor_id:
        return "mentor"
    raise PLAN_NOT_FOUND


def other(pair: Pair, user_id: uuid.UUID) -> uuid.UUID:
    return pair.mentor_id if user_id == pair.student_id else pair.student_id


def check_writable(pair: Pair, user_id: uuid.UUID) -> Side:
    """The plan changes only while the mentorship is accepted (an ended one is read-only)."""
    who = side(pair, user_id)
    _refuse_withdrawn(pair)
    if pair.status != "accepted":
        raise AppError("conflict", f"the mentorship is {pair.status}: its plan can be read, not changed")
    return who


# What a block between the pair still lets either of them do in their plan: wind it down
# (decline, cancel or say a meeting was held; ending the mentorship is its own endpoint)
# and write what only they see (private notes, check-in answers). Anything that reaches the
# other side as words or a notice (a goal, a shared note, times proposed or accepted) is
# refused, as messaging refuses the pair's messages: the plan is no way around a block.
MEETING_ACTIONS_UNDER_BLOCK = frozenset({"decline", "cancel", "held"})


def block_refusal(blocked_by_me: bool, blocked_by_them: bool) -> AppError | None:
    """Why a plan write that reaches the other side cannot be made, or None."""
    if blocked_by_them:
        return AppError(
            "forbidden", "this user does not accept anything new from you: the plan can be read, not added to"
        )
    if blocked_by_me:
        return AppError("forbidden", "you blocked this user; unblock them to add to your plan")
    return None


def check_check_in(
    pair: Pair, user_id: uuid.UUID, stage: Stage, start: date | None, end: date | None, today: date
) -> Side:
    """A check-in is answered while the mentorship runs, and after it ended, once its stage
    is due by the rotation's dates (``check_ins_due``, the rule the plan and the prompts
    follow): an early answer would be final and take the place of the real one."""
    who = side(pair, user_id)
    _refuse_withdrawn(pair)
    if pair.status not in CHECK_IN_STATUSES:
        raise AppError("conflict", f"the mentorship is {pair.status}: there is nothing to check in on")
    if stage not in check_ins_due(start, end, today):
        opens = dict(check_in_dates(start, end)).get(stage)
        if opens is None:
            message = (
                "check-ins follow the student's rotation, and this mentorship is about none: there is none to answer"
            )
        elif stage == "mid":
            message = f"the mid-rotation check-in opens on {opens.isoformat()}, the middle of the rotation"
        else:
            message = (
                f"the end-of-rotation check-in opens on {opens.isoformat()},"
                f" {END_CHECK_IN_DAYS} days before the rotation ends"
            )
        raise AppError("conflict", message, {"stage": stage, "opens_on": opens.isoformat() if opens else None})
    return who


# --- meetings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Meeting:
    status: MeetingStatus
    proposed_by: uuid.UUID
    options: tuple[datetime, ...]
    starts_at: datetime | None


@dataclass(frozen=True)
class Notice:
    """A notification for one person, sent once under ``key``."""

    user_id: uuid.UUID
    kind: str
    text: str
    key: str | None = None


@dataclass(frozen=True)
class MeetingChange:
    """A meeting's next state and whom it tells."""

    status: MeetingStatus
    proposed_by: uuid.UUID
    options: tuple[datetime, ...]
    starts_at: datetime | None
    notices: list[Notice] = field(default_factory=list)
    held: bool = False

    def moves(self, meeting: Meeting) -> bool:
        """Whether this change leaves ``meeting`` in another state (else: nothing to store)."""
        return (self.status, self.proposed_by, self.options, self.starts_at) != (
            meeting.status,
            meeting.proposed_by,
            meeting.options,
            meeting.starts_at,
        )


def to_the_second(moment: datetime) -> datetime:
    """A meeting's time as kept and compared: whole seconds. Times a fraction of a second
    apart were two proposals that read the same, and a retry's repeat went uncaught."""
    return moment.replace(microsecond=0)


def check_options(options: list[datetime], now: datetime) -> tuple[datetime, ...]:
    """Proposed times: 1 to 3 distinct, in the future, within a year; sorted."""
    distinct = tuple(sorted({to_the_second(t) for t in options}))
    problem = None
    if not 1 <= len(distinct) <= MAX_OPTIONS:
        problem = f"propose 1 to {MAX_OPTIONS} different times"
    elif distinct[0] <= now:
        problem = "every proposed time must be in the future"
    elif distinct[-1] > now + MAX_AHEAD:
        problem = "a meeting can be proposed at most a year ahead"
    if problem:
        raise AppError("validation", problem, [{"field": "options", "message": problem}])
    return distinct


def propose(
    pair: Pair, user_id: uuid.UUID, options: list[datetime], now: datetime, *, their_zone: str
) -> MeetingChange:
    """A new meeting's times; the other side hears them in ``their_zone``."""
    check_writable(pair, user_id)
    times = check_options(options, now)
    text = f"proposed a meeting: {_times(times, their_zone)}"
    return MeetingChange("proposed", user_id, times, None, [Notice(other(pair, user_id), "meeting_proposed", text)])


def decide_meeting(
    pair: Pair,
    meeting: Meeting,
    user_id: uuid.UUID,
    action: str,
    now: datetime,
    *,
    chosen: datetime | None = None,
    options: list[datetime] | None = None,
    their_zone: str,
) -> MeetingChange:
    """What ``action`` (accept, decline, reschedule, cancel, held) does to a meeting; the
    other side's notice names its times in ``their_zone`` (several meetings can be open at
    once, and a notice or mail that only says "a meeting" does not say which)."""
    check_writable(pair, user_id)
    them = other(pair, user_id)

    def tell(what: str, text: str) -> list[Notice]:
        return [Notice(them, f"meeting_{what}", text)]

    if action in ("accept", "decline"):
        if meeting.status != "proposed":
            raise AppError("conflict", f"the meeting is {meeting.status}: there is nothing to {action}")
        if user_id == meeting.proposed_by:
            raise AppError("forbidden", f"the other side {action}s the times you proposed")
        if action == "decline":
            text = f"declined the times you proposed: {_times(meeting.options, their_zone)}"
            if meeting.starts_at is not None:
                # New times for a scheduled meeting, declined: it stays at its agreed time
                # (it was deleted, and nobody was told).
                kept = timezones.local(meeting.starts_at, their_zone)
                asked = _times(meeting.options, their_zone)
                text = f"declined the new times you proposed: {asked}. The meeting stays at {kept}"
                return MeetingChange(
                    "scheduled", meeting.proposed_by, (meeting.starts_at,), meeting.starts_at, tell("declined", text)
                )
            return MeetingChange("declined", meeting.proposed_by, meeting.options, None, tell("declined", text))
        chosen = None if chosen is None else to_the_second(chosen)
        if chosen is None or chosen not in meeting.options:
            raise AppError(
                "validation",
                "accept one of the proposed times",
                [{"field": "starts_at", "message": "Choose one of the proposed times."}],
            )
        if chosen <= now:
            raise AppError("conflict", "that time has passed: propose new times")
        text = f"scheduled your meeting for {timezones.local(chosen, their_zone)}"
        return MeetingChange("scheduled", meeting.proposed_by, meeting.options, chosen, tell("scheduled", text))
    if action == "reschedule":
        if meeting.status not in ("proposed", "scheduled"):
            raise AppError("conflict", f"the meeting is {meeting.status}: propose a new one instead")
        times = check_options(options or [], now)
        if already_at(meeting, user_id, times):
            # A retry, a double click: nothing moves, so nobody is told again.
            return MeetingChange(meeting.status, meeting.proposed_by, meeting.options, meeting.starts_at)
        if meeting.status == "proposed" and meeting.starts_at is not None and times == (meeting.starts_at,):
            # The agreed time asked for again while new times wait: they are withdrawn.
            text = f"kept {_which(meeting, their_zone)}: the new times proposed for it are withdrawn"
            return MeetingChange("scheduled", meeting.proposed_by, times, meeting.starts_at, tell("rescheduled", text))
        text = f"proposed new times for {_which(meeting, their_zone)}: {_times(times, their_zone)}"
        if meeting.starts_at is not None:
            text += f". Until new times are accepted, it stays at {timezones.local(meeting.starts_at, their_zone)}"
        # A scheduled meeting keeps its agreed time (``starts_at``) while new times wait for
        # an answer: in both calendars and reminders, and again if they are declined. It
        # was dropped at once, and a decline deleted the meeting.
        return MeetingChange("proposed", user_id, times, meeting.starts_at, tell("rescheduled", text))
    if action == "cancel":
        if meeting.status not in ("proposed", "scheduled"):
            raise AppError("conflict", f"the meeting is {meeting.status}: it cannot be cancelled")
        text = f"cancelled {_which(meeting, their_zone)}"
        return MeetingChange(
            "cancelled", meeting.proposed_by, meeting.options, meeting.starts_at, tell("cancelled", text)
        )
    if action == "held":
        # Either side says it took place, at or before its time (pairs on a ward often
        # meet earlier than planned), but not weeks ahead: one press on a meeting set five
        # weeks out counted it held in the operators' figures. A meeting agreed and then
        # asked to move can have taken place at its agreed time before anyone answered:
        # the new times go, and whoever did not say so is told.
        if meeting.starts_at is None or meeting.status not in ("scheduled", "proposed"):
            raise AppError("conflict", f"the meeting is {meeting.status}: only a scheduled meeting can be held")
        if now < meeting.starts_at - HELD_EARLIEST:
            raise AppError(
                "conflict",
                "the meeting is more than a week away: say it took place once it has, or move it to when you met",
            )
        if meeting.status == "proposed":
            text = f"said {_which(meeting, their_zone)} took place: the new times proposed for it are withdrawn"
            told = tell("rescheduled", text)
            return MeetingChange("held", meeting.proposed_by, (meeting.starts_at,), meeting.starts_at, told, held=True)
        return MeetingChange("held", meeting.proposed_by, meeting.options, meeting.starts_at, held=True)
    raise AppError("validation", f"unknown action {action}")


@dataclass(frozen=True)
class Booked:
    """A scheduled meeting of the pair: the time it holds, from its start for its length."""

    meeting_id: uuid.UUID
    starts_at: datetime
    minutes: int

    def overlaps(self, start: datetime, minutes: int) -> bool:
        """Whether a meeting at ``start`` for ``minutes`` shares a minute with this one
        (one that starts as this one ends does not: back to back is fine)."""
        return start < self.starts_at + timedelta(minutes=self.minutes) and self.starts_at < start + timedelta(
            minutes=minutes
        )


def check_free(times: tuple[datetime, ...], minutes: int, booked: Sequence[Booked], zone: str) -> None:
    """Refuse times (proposed, or the one accepted) of which one overlaps a scheduled
    meeting of the same pair: two CONFIRMED events at once in both calendars are one too
    many. The 409 names the meeting already there, at its time in the caller's ``zone``."""
    for start in times:
        clash = next((b for b in booked if b.overlaps(start, minutes)), None)
        if clash is not None:
            when = timezones.local(clash.starts_at, zone)
            raise AppError(
                "conflict",
                f"you already have a meeting with each other at {when} ({clash.minutes} minutes): choose another time",
                {"meeting_id": str(clash.meeting_id), "starts_at": clash.starts_at.isoformat()},
            )


def already_at(meeting: Meeting, user_id: uuid.UUID, times: tuple[datetime, ...]) -> bool:
    """A reschedule to what the meeting already is: the caller's own proposal of these
    times, or a scheduled meeting at this one time (proposing it again would only make the
    other side accept the same time twice)."""
    if meeting.status == "proposed":
        return meeting.proposed_by == user_id and meeting.options == times
    return meeting.status == "scheduled" and (meeting.starts_at,) == times


def _times(times: tuple[datetime, ...], zone: str) -> str:
    """Proposed times as one person reads them: '2026-12-10 09:30 EST or 2026-12-11 ...'."""
    return " or ".join(timezones.local(t, zone) for t in times)


def reminder_text(when: str, other_name: str | None, place: str | None, video_url: str | None) -> str:
    """The day-before reminder of a meeting, for one side: with whom, when (on their clock)
    and where, the place and the video link both when both were given. It read "Mentoring
    meeting Dec 8, 2026 at 2:30 AM EST, MGH cafeteria": no one named, and the link dropped
    for the place."""
    where = "; ".join(part for part in (place, video_url and f"video: {video_url}") if part)
    return f"Mentoring meeting with {other_name or 'your mentoring partner'} on {when}: {where or 'where you agreed'}"


def _which(meeting: Meeting, zone: str) -> str:
    """A meeting named by its agreed time (also while new times for it wait for an answer),
    else by the times it was proposed at."""
    if meeting.status in ("scheduled", "proposed") and meeting.starts_at is not None:
        return f"your meeting of {timezones.local(meeting.starts_at, zone)}"
    return f"the meeting proposed for {_times(meeting.options, zone)}"


def reminder_due(starts_at: datetime, now: datetime) -> bool:
    """A scheduled meeting's reminder goes out in the day before it starts."""
    return starts_at - REMIND_BEFORE <= now < starts_at


def your_turn(pair: Pair, status: MeetingStatus, proposed_by: uuid.UUID, viewer: uuid.UUID) -> bool:
    """The viewer has times to answer: the other side proposed them, and the plan can
    still change (an ended mentorship's proposals can no longer be answered)."""
    return pair.status == "accepted" and status == "proposed" and proposed_by != viewer


def end_meetings(
    pair: Pair, ended_by: uuid.UUID, meetings: Mapping[uuid.UUID, Meeting], their_zone: str
) -> dict[uuid.UUID, MeetingChange]:
    """What ending the mentorship does to its meetings, by id: each open one is cancelled,
    as a cancel by ``ended_by`` would (a scheduled one keeps its time, so calendars cancel
    that event); the others stay as they are.

    The other side hears of each meeting with an agreed time (new times asked for it
    too), at that time in their zone: they agreed to it, may have planned their day around
    it, and a subscribed calendar can take hours to refresh. An unanswered proposal had no
    agreed time: the mentorship's own "ended" notification tells them all there is to
    know, and a notice per proposal would be noise.
    """
    side(pair, ended_by)
    them = other(pair, ended_by)
    changes = {}
    for meeting_id, meeting in meetings.items():
        if meeting.status not in OPEN_MEETINGS:
            continue
        notices = []
        if meeting.starts_at is not None:
            when = timezones.local(meeting.starts_at, their_zone)
            notices.append(
                Notice(them, "meeting_cancelled", f"ended the mentorship: your meeting of {when} is cancelled")
            )
        changes[meeting_id] = MeetingChange(
            "cancelled", meeting.proposed_by, meeting.options, meeting.starts_at, notices
        )
    return changes


# --- check-ins and stalled pairs ------------------------------------------------------


def check_in_opens(stage: Stage, start: date, end: date) -> date:
    """The day a rotation's check-in opens: ``mid`` its middle day, ``end``
    ``END_CHECK_IN_DAYS`` before its last."""
    if stage == "mid":
        return start + (end - start) / 2
    return end - timedelta(days=END_CHECK_IN_DAYS)


def check_in_dates(start: date | None, end: date | None) -> list[tuple[Stage, date]]:
    """Each check-in of a rotation and the day it opens; none without a rotation (no
    schedule stands in for one: a check-in asks how the rotation's mentoring went)."""
    if start is None or end is None:
        return []
    return [(stage, check_in_opens(stage, start, end)) for stage in STAGES]


def check_ins_due(start: date | None, end: date | None, today: date) -> list[Stage]:
    """The check-ins a rotation has reached (none without a rotation)."""
    return [stage for stage, opens in check_in_dates(start, end) if today >= opens]


def is_stalled(accepted_at: datetime | None, meetings_held: int, now: datetime) -> bool:
    """An accepted pair with no meeting held 14 days after acceptance."""
    return accepted_at is not None and meetings_held == 0 and now - accepted_at >= STALLED_AFTER


# A goal's target date: a past one may be kept while it is edited, but 1900 or 9999 is a
# typing slip, not a plan.
TARGET_YEARS_BACK, TARGET_YEARS_AHEAD = 1, 5


def _years_from(day: date, years: int) -> date:
    """The same day ``years`` later (or earlier): 29 February gives 28 February. The bounds
    were 366-day years, so "five years ahead" of Dec 7, 2026 ended on Dec 11, 2031."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def check_target_date(target: date | None, today: date) -> date | None:
    """A goal's target date within a year back and five years ahead of ``today`` (400)."""
    first, last = _years_from(today, -TARGET_YEARS_BACK), _years_from(today, TARGET_YEARS_AHEAD)
    if target is not None and not first <= target <= last:
        # The field said "out of range", and nothing of which range.
        bounds = f"a day between {dates.written(first)} and {dates.written(last)}"
        raise AppError(
            "validation",
            f"a goal's target date is within a year back and five years ahead: {bounds}",
            [{"field": "target_date", "message": bounds}],
        )
    return target


def clean_text(value: str, name: str, *, required: bool = True) -> str:
    """Free text as stored: trimmed; required text must hold a character."""
    text = value.strip()
    if required and not text:
        raise AppError("validation", f"{name} must not be empty", [{"field": name, "message": "Write something here."}])
    return text


def repeated_goal(existing: Row, measure: str, target_date: date | None) -> None:
    """The same goal again (by its author, the same title in any case, while it is open)
    is a retry, a double click or a second tab: the plan already has it. With another
    measure or target date the repeat would lose them, so a 409 names the goal to change."""
    if existing["measure"].lower() != measure.lower() or existing["target_date"] != target_date:
        raise AppError(
            "conflict",
            f"you already have this goal (goal {existing['id']}) with another measure or target date: change that one",
            {"id": str(existing["id"])},
        )


# --- what the other side hears of the plan's goals and notes ---------------------------
# Each text follows the actor's name (``plan_reads.tell``); kind ``plan_updated``, which
# also makes the other side's open plan page reload. The texts quote none of the plan's
# words: a notice is the reader's, and stays when its author deletes their account, whose
# goals and notes go (the plan page shows them while they exist).


def goal_added(pair: Pair, user_id: uuid.UUID) -> Notice:
    return Notice(other(pair, user_id), "plan_updated", "added a goal to your mentoring plan.")


def goal_changed(pair: Pair, user_id: uuid.UUID, goal: Row, changes: Mapping[str, object]) -> list[Notice]:
    """The notice of a goal's edit, naming each thing that moved (its status first); none
    when the edit changed nothing (a save of the same values)."""
    moved = {k: v for k, v in changes.items() if goal[k] != v}
    if not moved:
        return []
    what: list[str] = []
    if "status" in moved:
        what.append({"done": "marked it done", "dropped": "dropped it", "open": "reopened it"}[str(moved["status"])])
    if "title" in moved:
        what.append("renamed it")
    if "target_date" in moved:
        target = moved["target_date"]
        what.append(
            f"moved its target date to {dates.written(target)}"
            if isinstance(target, date)
            else "removed its target date"
        )
    if "measure" in moved:
        what.append("changed how it is measured")
    done = ", ".join(what[:-1]) + f" and {what[-1]}" if len(what) > 1 else what[0]
    return [Notice(other(pair, user_id), "plan_updated", f"changed a goal of your mentoring plan: {done}.")]


def note_shared(pair: Pair, user_id: uuid.UUID) -> Notice:
    return Notice(other(pair, user_id), "plan_updated", "shared a note on a meeting in your mentoring plan.")
