"""Reply builders of mentoring plans from rows: no I/O. Every time is shown to the viewer
in their zone and in the other person's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import asyncpg

from shared import timezones
from shared.contracts.mentoring import CalendarMeeting, CheckIn, CheckInDate, Goal, LocalTime, Meeting, Note


def local_time(moment: datetime, mine: str, theirs: str) -> LocalTime:
    return LocalTime(utc=moment, yours=timezones.local(moment, mine), theirs=timezones.local(moment, theirs))


def goal(row: asyncpg.Record) -> Goal:
    return Goal.model_validate(
        {
            k: row[k]
            for k in ("id", "title", "measure", "target_date", "status", "created_by", "created_at", "updated_at")
        }
    )


def meeting(row: asyncpg.Record, mine: str, theirs: str, *, your_turn: bool) -> Meeting:
    return Meeting(
        id=row["id"],
        status=row["status"],
        proposed_by=row["proposed_by"],
        options=[local_time(t, mine, theirs) for t in row["options"]],
        starts_at=local_time(row["starts_at"], mine, theirs) if row["starts_at"] else None,
        duration_minutes=row["duration_minutes"],
        place=row["place"],
        video_url=row["video_url"],
        held_at=row["held_at"],
        your_turn=your_turn,
        created_at=row["created_at"],
    )


def note(row: asyncpg.Record) -> Note:
    return Note.model_validate({k: row[k] for k in ("id", "meeting_id", "author_id", "private", "body", "created_at")})


def check_in(row: asyncpg.Record) -> CheckIn:
    return CheckIn.model_validate({k: row[k] for k in ("stage", "usefulness", "change", "created_at")})


def check_in_dates(dates: Sequence[tuple[str, date]]) -> list[CheckInDate]:
    return [CheckInDate.model_validate({"stage": stage, "opens_on": opens}) for stage, opens in dates]


def calendar_meeting(row: asyncpg.Record, user_id: uuid.UUID) -> CalendarMeeting:
    other = row["mentor_id"] if row["student_id"] == user_id else row["student_id"]
    return CalendarMeeting(
        id=row["id"],
        mentorship_id=row["mentorship_id"],
        other_id=other,
        status=row["status"],
        starts_at=row["starts_at"],
        ends_at=row["starts_at"] + timedelta(minutes=row["duration_minutes"]),
        place=row["place"],
        video_url=row["video_url"],
        version=row["version"],
    )


def answered_stages(rows: Sequence[asyncpg.Record]) -> set[str]:
    return {r["stage"] for r in rows}
