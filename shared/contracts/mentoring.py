"""Contracts of mentoring plans (matching): goals, meetings, notes, check-ins, each
person's mentoring settings, and the notices matching sends through messaging."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import MISSING, AfterValidator, AwareDatetime, Field

from shared import subjects
from shared.contracts.base import (
    WHOLE_NUMBER,
    Contract,
    Cursor,
    Date,
    Event,
    HospitalId,
    Id,
    Limit,
    Reply,
    Text,
    Words,
    worded,
)
from shared.contracts.hospitals import HospitalRef

GoalStatus = Literal["open", "done", "dropped"]
MeetingStatus = Literal["proposed", "scheduled", "declined", "cancelled", "held"]
CheckInStage = Literal["mid", "end"]
Visibility = Literal["nobody", "students", "professionals", "members"]


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None


UtcTime = Annotated[
    AwareDatetime,
    AfterValidator(_utc),
    Field(description="a time with its offset, e.g. 2026-12-10T14:30:00Z; stored in UTC"),
]
Title = Annotated[Words, Field(min_length=1, max_length=200)]
Body = Annotated[Words, Field(min_length=1, max_length=5000)]
TimeZoneName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=worded(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$", "a time zone such as America/New_York"),
        description="IANA zone",
    ),
]


class PlanId(Contract):
    mentorship_id: Id


class GoalCreate(Contract):
    mentorship_id: Id
    title: Title
    measure: Annotated[Text, Field(max_length=1000, description="how you will know it is done")] = ""
    target_date: Date | None = None


class GoalUpdate(Contract):
    """Send only what changes; ``target_date: null`` removes it."""

    goal_id: Id
    title: Title | MISSING = MISSING
    measure: Annotated[Text, Field(max_length=1000)] | MISSING = MISSING
    target_date: Date | MISSING | None = MISSING
    status: GoalStatus | MISSING = MISSING


Options = Annotated[list[UtcTime], Field(min_length=1, max_length=3, description="1 to 3 times to choose from")]


class MeetingPropose(Contract):
    mentorship_id: Id
    options: Options
    duration_minutes: Annotated[int, Field(ge=10, le=240), WHOLE_NUMBER] = 30
    place: Annotated[Text, Field(max_length=300)] = ""
    video_url: Annotated[
        str,
        Field(
            max_length=500,
            pattern=worded(r"^(https://[^\x00-\x20]+)?$", "a link that starts with https://, without spaces"),
        ),
    ] = ""


class MeetingId(Contract):
    meeting_id: Id


class MeetingAccept(Contract):
    meeting_id: Id
    starts_at: UtcTime = Field(description="one of the proposed times")


class MeetingReschedule(Contract):
    meeting_id: Id
    options: Options


class NoteCreate(Contract):
    mentorship_id: Id
    meeting_id: Id | None = Field(None, description="the meeting a note is about; shared notes need one")
    private: bool = Field(False, description="private notes are seen by their author alone")
    body: Body


class CheckInCreate(Contract):
    mentorship_id: Id
    stage: CheckInStage
    usefulness: Annotated[int, Field(ge=1, le=5, description="how useful, 1 to 5"), WHOLE_NUMBER]
    change: Annotated[Text, Field(max_length=2000, description="one thing to change")] = ""


class SettingsUpdate(Contract):
    """``time_zone: null`` goes back to the zone of your hospital's state."""

    time_zone: TimeZoneName | MISSING | None = MISSING
    hospital_visibility: Visibility | MISSING = MISSING


class MeetingsToAnswerRequest(Contract):
    """A page of the meetings whose times wait for your answer, oldest proposal first."""

    limit: Limit = 50
    cursor: Cursor | None = None


class UserMeetings(Contract):
    """Not a REST route: the calendar feed asks for a user's meetings."""

    user_id: Id
    since: UtcTime | None = None


# --- replies --------------------------------------------------------------------------


class LocalTime(Reply):
    utc: datetime
    yours: str = Field(description="in your time zone")
    theirs: str = Field(description="in the other person's time zone")


class Goal(Reply):
    id: uuid.UUID
    title: str
    measure: str
    target_date: date | None
    status: GoalStatus
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime


class Meeting(Reply):
    id: uuid.UUID
    status: MeetingStatus
    proposed_by: uuid.UUID
    options: list[LocalTime]
    starts_at: LocalTime | None
    duration_minutes: int
    place: str
    video_url: str
    held_at: datetime | None
    your_turn: bool = Field(description="you are the one to accept or decline the proposed times")
    created_at: datetime


class Note(Reply):
    id: uuid.UUID
    meeting_id: uuid.UUID | None
    author_id: uuid.UUID
    private: bool
    body: str
    created_at: datetime


class CheckIn(Reply):
    stage: CheckInStage
    usefulness: int
    change: str
    created_at: datetime


class CheckInDate(Reply):
    stage: CheckInStage
    opens_on: date = Field(description="the first day it can be answered")


class Plan(Reply):
    mentorship_id: uuid.UUID
    status: str = Field(
        description="the mentorship's status, or withdrawn for a request the student ended before an answer"
        " (it has no plan); only an accepted one's plan changes"
    )
    role: Literal["student", "mentor"]
    other_id: uuid.UUID
    other_name: str | None
    time_zone: str
    other_time_zone: str
    goals: list[Goal]
    suggested_goals: list[str]
    meetings: list[Meeting]
    notes: list[Note] = Field(description="shared notes, and your own private ones")
    check_ins: list[CheckIn] = Field(description="your own answers only")
    check_ins_due: list[CheckInStage] = Field(
        description="check-ins the rotation has reached that you have not answered"
    )
    has_rotation: bool = Field(
        description="the mentorship is about one of the student's rotations; check-ins follow its dates,"
        " so without one (never given, or deleted) there are none"
    )
    check_in_dates: list[CheckInDate] = Field(
        description="the day each check-in opens: the rotation's middle, and 3 days before its end;"
        " empty without a rotation"
    )
    stalled: bool = Field(description="accepted 14 days ago or more and no meeting held")


class MentoringSettings(Reply):
    time_zone: str
    time_zone_chosen: bool = Field(description="false: the zone of your hospital's state")
    hospital_visibility: Visibility


class CalendarMeeting(Reply):
    id: uuid.UUID
    mentorship_id: uuid.UUID
    other_id: uuid.UUID
    status: MeetingStatus
    starts_at: datetime
    ends_at: datetime
    place: str
    video_url: str
    version: int


class CalendarMeetings(Reply):
    items: list[CalendarMeeting]


class MeetingToAnswer(Reply):
    """A meeting the other side of an accepted mentorship proposed times for (or new times,
    to reschedule it), at least one of them still ahead: the plan's page answers it."""

    id: uuid.UUID
    mentorship_id: uuid.UUID
    proposed_by: uuid.UUID
    proposed_by_name: str | None = Field(description="null while matching has not heard of their name")
    options: list[datetime] = Field(description="the proposed times still ahead, in UTC, soonest first")
    duration_minutes: int
    proposed_at: datetime


class MeetingsToAnswer(Reply):
    items: list[MeetingToAnswer]
    next_cursor: str | None = None


class StalledPair(Reply):
    mentorship_id: uuid.UUID
    student_id: uuid.UUID
    mentor_id: uuid.UUID
    accepted_at: datetime
    days: int


class StalledPairsRequest(Contract):
    """A page of the stalled pairs, stalled longest first."""

    limit: Limit = 50
    cursor: Cursor | None = None


class StalledPairs(Reply):
    items: list[StalledPair]
    next_cursor: str | None = None
    total: int = Field(description="stalled pairs now, on every page")


# --- events ---------------------------------------------------------------------------


class MentoringNotice(Event):
    """Something one person should hear about their mentoring plan or a letter (a meeting
    proposed, a reminder, a check-in due); messaging turns it into a notification."""

    subject: ClassVar[str] = subjects.MENTORING_NOTICE
    user_id: uuid.UUID
    kind: str
    text: str
    mentorship_id: uuid.UUID | None = None
    letter_id: uuid.UUID | None = None
    # Whose action it tells of (None: a reminder, or a notice of an older matching).
    # Messaging withholds a request's notice when either of the two blocked the other.
    from_user_id: uuid.UUID | None = None


# --- reference lists ------------------------------------------------------------------


class SpecialtyItem(Reply):
    name: str
    level: Literal["residency", "fellowship"]
    aliases: list[str]


class OrganizationItem(Reply):
    code: str
    name: str
    url: str


class ReferenceLists(Reply):
    """What profiles and rotations offer to choose from (free text stays possible)."""

    specialties: list[SpecialtyItem]
    organizations: list[OrganizationItem]


# --- a hospital's page ----------------------------------------------------------------


class HospitalPageRequest(Contract):
    """A hospital's page; its mentors and its peers are pages of their own, each with its
    cursor (the other list starts again at its first page)."""

    hospital_id: HospitalId
    limit: Limit = Field(50, description="mentors and peers per page")
    mentors_cursor: Cursor | None = Field(None, description="mentors_next_cursor of the last page")
    peers_cursor: Cursor | None = Field(None, description="peers_next_cursor of the last page")


class NearbyRoom(Reply):
    id: uuid.UUID
    title: str
    room_type: str
    monthly_rent: int
    km: float


class HospitalPerson(Reply):
    id: uuid.UUID
    display_name: str | None
    verified: bool
    profession: str | None = Field(description="mentors only")
    specialty: str | None = Field(description="peers: their rotation's specialty")
    start_date: date | None = Field(description="peers: their rotation's dates")
    end_date: date | None
    reasons: list[str] = Field(description="what you share")


class HospitalPeople(Reply):
    hospital: HospitalRef
    rooms: list[NearbyRoom]
    mentors: list[HospitalPerson] = Field(description="affiliated, open to mentoring, and letting you see them")
    peers: list[HospitalPerson] = Field(description="rotating here in your weeks, and letting you see them")
    mentors_next_cursor: str | None = Field(None, description="the next page of mentors (as mentors_cursor)")
    peers_next_cursor: str | None = Field(None, description="the next page of peers (as peers_cursor)")
    your_rotations: int = Field(description="your rotations here: peers are found by their weeks")
    your_visibility: Visibility


# --- operators' outcomes --------------------------------------------------------------


class OutcomesRequest(Contract):
    hospital_id: HospitalId | None = None
    months: Annotated[int, Field(ge=1, le=24, description="how many months back, this one included"), WHOLE_NUMBER] = 6


class OutcomeRow(Reply):
    hospital_id: str | None = Field(
        description="the rotation's hospital, else the mentor's first affiliation; null: neither is known"
    )
    hospital_name: str | None
    month: str = Field(description="YYYY-MM")
    mentorships_requested: int
    mentorships_accepted: int
    meetings_held: int
    check_ins: int
    check_in_average: float | None = Field(description="only over 3 answers or more: a smaller group could name one")
    letters_requested: int
    letters_accepted: int
    letters_submitted: int


class Outcomes(Reply):
    rows: list[OutcomeRow]
    stalled_pairs: int
    chart_svg: str = Field(description="mentorships accepted, meetings held and letters submitted by month, as SVG")
