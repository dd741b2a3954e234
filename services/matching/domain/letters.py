"""Pure rules of letters of recommendation: who may ask whom, the request's checks, its
life (requested -> accepted -> submitted -> confirmed, or declined / withdrawn / expired
after the deadline) and the reminders it is owed.

Wardmate never holds a letter: only the request, the ERAS Letter ID, the waiver and the
dates. No I/O here.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from services.matching.domain.plans import Notice
from shared.dates import written
from shared.errors import AppError, sentence

LetterStatus = Literal["requested", "accepted", "submitted", "confirmed", "declined", "withdrawn", "expired"]
OPEN: frozenset[str] = frozenset({"requested", "accepted"})
LETTER_NOT_FOUND = AppError("not_found", "letter request not found")
WRITER_NOT_FOUND = AppError(
    "not_found", "ask a professional you know through Wardmate: your mentor, or the host of a stay you completed"
)


def refuse_repeat(existing_id: uuid.UUID | None) -> None:
    """One open request per letter: the same writer, specialty, deadline and application
    asked again while the first is open is a double click, not a second letter."""
    if existing_id is not None:
        raise AppError(
            "conflict",
            f"you already asked for this letter (request {existing_id}); it is still open",
            {"id": str(existing_id)},
        )


# Days before the deadline the writer is reminded; the student hears after this many
# days without an answer.
WRITER_REMINDERS = (14, 7, 2)
SILENT_DAYS = 7
MAX_AHEAD_DAYS = 366
# The zones furthest behind and ahead of UTC (Baker Island, Kiribati's Line Islands): a day
# is "today" for someone while it is a calendar day anywhere on Earth.
BEHIND_UTC = timedelta(hours=12)
AHEAD_OF_UTC = timedelta(hours=14)


@dataclass(frozen=True)
class Letter:
    id: uuid.UUID
    student_id: uuid.UUID
    writer_id: uuid.UUID
    status: str
    deadline: date
    requested_at: datetime
    specialty: str


@dataclass(frozen=True)
class LetterChange:
    status: LetterStatus
    notices: list[Notice] = field(default_factory=list)
    submitted_on: date | None = None


def check_request(deadline: date, application: str, letter_id: str | None, today: date) -> str | None:
    """A request's deadline lies ahead (within a year); an ERAS request carries the Letter
    ID from its Letter Request Form, another application none. Returns the ID as stored."""
    problems = []
    if deadline <= today:
        problems.append({"field": "deadline", "message": "Must be after today."})
    elif deadline > today + timedelta(days=MAX_AHEAD_DAYS):
        problems.append({"field": "deadline", "message": "At most a year ahead."})
    if application == "eras" and not letter_id:
        problems.append({"field": "eras_letter_id", "message": "an ERAS request needs the Letter ID from its form"})
    if application != "eras" and letter_id:
        problems.append({"field": "eras_letter_id", "message": "only an ERAS request has a Letter ID"})
    if problems:
        # "deadline At most a year ahead.": each field named, then what it needs.
        raise AppError("validation", " ".join(f"{p['field']}: {sentence(p['message'])}" for p in problems), problems)
    return letter_id.strip().upper() if letter_id else None


def side(letter: Letter, user_id: uuid.UUID) -> Literal["student", "writer"]:
    """Only the two parties see a request; anyone else must not learn it exists (404)."""
    if user_id == letter.student_id:
        return "student"
    if user_id == letter.writer_id:
        return "writer"
    raise LETTER_NOT_FOUND


def upload_days(requested_at: datetime, now: datetime) -> tuple[date, date]:
    """The first and last day a letter can have been uploaded on: any calendar day, in some
    zone on Earth, between the request and ``now``. Matching does not know the writer's
    zone, and UTC's days refused a writer in New York, asked at 7 PM their time (already
    the next day in UTC), who marked it uploaded that evening, on their today."""
    return (requested_at.astimezone(UTC) - BEHIND_UTC).date(), (now.astimezone(UTC) + AHEAD_OF_UTC).date()


def check_upload_day(letter: Letter, day: date, now: datetime) -> date:
    """The day the writer says they uploaded the letter, within ``upload_days`` (400)."""
    first, last = upload_days(letter.requested_at, now)
    if not first <= day <= last:
        bounds = f"between {written(first)} and {written(last)}"
        raise AppError(
            "validation",
            f"the upload day must be a day from the request to today: {bounds}",
            [{"field": "submitted_on", "message": bounds}],
        )
    return day


# What the other side reads after the actor's name. The student confirms that the letter
# arrived (the writer read "Amina confirmed your letter request"), and withdraws her own
# request ("Amina withdrawn your letter request").
NOTICE_WORDS: dict[str, str] = {
    "accepted": "accepted your letter request",
    "declined": "declined your letter request",
    "confirmed": "confirmed your letter arrived",
    "withdrawn": "withdrew their letter request",
}


def decide(
    letter: Letter, user_id: uuid.UUID, action: str, now: datetime, *, submitted_on: date | None = None
) -> LetterChange:
    """What ``action`` by ``user_id`` at ``now`` does to a letter request, or why they may not."""
    who = side(letter, user_id)
    rules: dict[str, tuple[str, frozenset[str], LetterStatus]] = {
        "accept": ("writer", frozenset({"requested"}), "accepted"),
        "decline": ("writer", frozenset({"requested"}), "declined"),
        "submit": ("writer", frozenset({"accepted"}), "submitted"),
        "confirm": ("student", frozenset({"submitted"}), "confirmed"),
        "withdraw": ("student", OPEN, "withdrawn"),
    }
    if action not in rules:
        raise AppError("validation", f"unknown action {action}")
    party, sources, target = rules[action]
    if who != party:
        raise AppError("forbidden", f"only the {party} can {action} a letter request")
    if letter.status not in sources:
        raise AppError("conflict", f"the letter request is {letter.status}: it cannot be {target} now")
    other = letter.student_id if who == "writer" else letter.writer_id
    if action == "submit":
        day = check_upload_day(letter, submitted_on or now.astimezone(UTC).date(), now)
        return LetterChange("submitted", [Notice(other, "letter_submitted", "uploaded your letter")], day)
    return LetterChange(target, [Notice(other, f"letter_{target}", NOTICE_WORDS[target])])


def close_on_deletion(letter: Letter, user_id: uuid.UUID) -> LetterChange | None:
    """What a deleted account does to a request still open (requested or accepted): a
    deleted writer's is declined, so the student hears and an ERAS Letter ID is free for
    another writer; a deleted student's is withdrawn, so the writer stops working on it
    (the request itself is then erased). A closed request is left as it is."""
    who = side(letter, user_id)
    if letter.status not in OPEN:
        return None
    if who == "writer":
        text = f"can no longer write your letter ({letter.specialty}): their account is deleted. Ask someone else"
        return LetterChange("declined", [Notice(letter.student_id, "letter_declined", text)])
    text = f"withdrew their letter request ({letter.specialty}): their account is deleted"
    return LetterChange("withdrawn", [Notice(letter.writer_id, "letter_withdrawn", text)])


def due_notices(letter: Letter, now: datetime) -> tuple[bool, list[Notice]]:
    """Whether an open request expires now (its deadline passed), and the reminders it is
    owed at ``now``, each with the key that makes it go out once."""
    today = now.date()
    if letter.status not in OPEN:
        return False, []
    if today > letter.deadline:
        text = f"The letter request ({letter.specialty}) expired at its deadline, {written(letter.deadline)}"
        return True, [
            Notice(letter.student_id, "letter_expired", text, key=f"letter:{letter.id}:expired:s"),
            Notice(letter.writer_id, "letter_expired", text, key=f"letter:{letter.id}:expired:w"),
        ]
    notices = []
    days_left = (letter.deadline - today).days
    reached = [n for n in WRITER_REMINDERS if days_left <= n]
    if reached:
        # Only the nearest threshold: a request made 5 days out gets one reminder, not three.
        nearest = min(reached)
        plural = "" if days_left == 1 else "s"
        text = (
            f"A letter of recommendation ({letter.specialty}) is due in {days_left} day{plural},"
            f" on {written(letter.deadline)}"
        )
        notices.append(Notice(letter.writer_id, "letter_reminder", text, key=f"letter:{letter.id}:writer-{nearest}"))
    if letter.status == "requested" and now - letter.requested_at >= timedelta(days=SILENT_DAYS):
        text = (
            f"Your letter request ({letter.specialty}) has had no answer for {SILENT_DAYS} days:"
            " a short message, or someone else to ask?"
        )
        notices.append(Notice(letter.student_id, "letter_reminder", text, key=f"letter:{letter.id}:student-silent"))
    return False, notices
