"""Reply builders of letters of recommendation from rows: no I/O."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import asyncpg

from services.matching.domain import letters
from shared import hospitals
from shared.contracts.letters import Letter, LetterPerson, RotationSummary, StudentSummary
from shared.errors import AppError

ERAS_UPLOAD = (
    "Upload the letter yourself through the AAMC Letter Writer Portal (the LoR Portal) with the Letter ID above;"
    " it works for this one letter. Wardmate never receives or stores the letter."
)
WAIVED = " The student waived the right to see it: do not send them a copy."
OTHER_UPLOAD = "Send the letter the way the program asks. Wardmate never receives or stores the letter."


def letter_view(row: asyncpg.Record) -> letters.Letter:
    return letters.Letter(
        row["id"],
        row["student_id"],
        row["writer_id"],
        row["status"],
        row["deadline"],
        row["requested_at"],
        row["specialty"],
    )


def _rotation(row: asyncpg.Record) -> RotationSummary | None:
    try:
        name = hospitals.lookup(row["hospital_id"]).name
    except AppError:
        return None
    return RotationSummary(
        hospital_id=row["hospital_id"],
        hospital_name=name,
        specialty=row["specialty"],
        start_date=row["start_date"],
        end_date=row["end_date"],
    )


def letter(
    row: asyncpg.Record,
    viewer: uuid.UUID,
    people: Mapping[uuid.UUID, Mapping[str, Any]],
    today: date,
    rotations: Sequence[asyncpg.Record] = (),
) -> Letter:
    """A request as one party sees it; the writer also gets the student's profile and
    rotations, on one page with the Letter ID."""
    role = "writer" if viewer == row["writer_id"] else "student"
    student = people.get(row["student_id"]) or {}
    how = summary = None  # the writer's: the student reads their own words (the client's)
    if role == "writer":
        how = (ERAS_UPLOAD if row["application"] == "eras" else OTHER_UPLOAD) + (WAIVED if row["waived"] else "")
        summary = StudentSummary(
            medical_school=student.get("medical_school"),
            school_country=student.get("school_country"),
            graduation_year=student.get("graduation_year"),
            languages=list(student.get("languages") or []),
            specialties=list(student.get("specialties") or []),
            organizations=list(student.get("organizations") or []),
        )
    return Letter(
        id=row["id"],
        role=role,
        status=row["status"],
        student=LetterPerson(id=row["student_id"], display_name=student.get("display_name")),
        writer=LetterPerson(id=row["writer_id"], display_name=(people.get(row["writer_id"]) or {}).get("display_name")),
        specialty=row["specialty"],
        programs=row["programs"],
        deadline=row["deadline"],
        days_left=(row["deadline"] - today).days,
        application=row["application"],
        eras_letter_id=row["eras_letter_id"],
        waived=row["waived"],
        message=row["message"],
        requested_at=row["requested_at"],
        answered_at=row["answered_at"],
        submitted_on=row["submitted_on"],
        confirmed_at=row["confirmed_at"],
        how_to_submit=how,
        student_profile=summary,
        rotations=[r for r in map(_rotation, rotations) if r is not None] if role == "writer" else [],
    )
