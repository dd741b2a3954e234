"""Contracts of letters of recommendation (matching): the request, the writer's answer,
the upload date, the student's confirmation. Wardmate never receives the letter itself."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from shared.contracts.base import WHOLE_NUMBER, Contract, Cursor, Date, Id, Limit, Reply, Text, worded
from shared.contracts.matching import Specialty

LetterStatus = Literal["requested", "accepted", "submitted", "confirmed", "declined", "withdrawn", "expired"]
Application = Literal["eras", "other"]
LetterId = Annotated[
    str,
    Field(
        min_length=4,
        max_length=30,
        pattern=worded(r"^[A-Za-z0-9-]+$", "letters, digits and hyphens, as on the ERAS Letter Request Form"),
        description="the Letter ID on the ERAS Letter Request Form (it works once)",
    ),
]


class LetterCreate(Contract):
    """A student asks a professional they know through Wardmate for a letter."""

    writer_id: Id
    specialty: Specialty
    programs: Annotated[int, Field(ge=1, le=200, description="how many programs it goes to"), WHOLE_NUMBER] = 1
    deadline: Date
    application: Application = "eras"
    eras_letter_id: LetterId | None = None
    waived: bool = Field(description="you waived your right to see the letter (under ERAS: never shown to you)")
    message: Annotated[Text, Field(max_length=2000)] = ""


class LetterRef(Contract):
    letter_id: Id


class LetterSubmit(Contract):
    letter_id: Id
    submitted_on: Date | None = Field(None, description="the day you uploaded it to the AAMC Letter Writer Portal")


class MyLetters(Contract):
    role: Literal["student", "writer"] | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


class LetterPerson(Reply):
    id: uuid.UUID
    display_name: str | None


class StudentSummary(Reply):
    """What a writer needs of the student on one page (their CV-like profile)."""

    medical_school: str | None
    school_country: str | None
    graduation_year: int | None
    languages: list[str]
    specialties: list[str]
    organizations: list[str]


class RotationSummary(Reply):
    hospital_id: str
    hospital_name: str
    specialty: str
    start_date: date
    end_date: date


class Letter(Reply):
    id: uuid.UUID
    role: Literal["student", "writer"] = Field(description="your side of it")
    status: LetterStatus
    student: LetterPerson
    writer: LetterPerson
    specialty: str
    programs: int
    deadline: date
    days_left: int
    application: Application
    eras_letter_id: str | None
    waived: bool
    message: str
    requested_at: datetime
    answered_at: datetime | None
    submitted_on: date | None
    confirmed_at: datetime | None
    how_to_submit: str | None = Field(
        description="where the writer uploads it; Wardmate never receives it (for the writer; null for the student)"
    )
    student_profile: StudentSummary | None = Field(description="for the writer")
    rotations: list[RotationSummary] = Field(description="the student's rotations with the writer (for the writer)")


class LetterPage(Reply):
    items: list[Letter]
    next_cursor: str | None = None
