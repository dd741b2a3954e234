"""Contracts of the matching service: rotations, room and mentor matches, mentorships."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import MISSING, BaseModel, Field, model_validator

from shared import subjects
from shared.contracts.base import (
    WHOLE_NUMBER,
    Contract,
    Cursor,
    Date,
    Event,
    EventData,
    HospitalId,
    Id,
    Limit,
    Page,
    Reply,
    Text,
    Words,
    worded,
)
from shared.contracts.hospitals import HospitalRef
from shared.contracts.listings import (
    MAX_MONTHLY_RENT,
    Amenities,
    Host,
    Location,
    RoomType,
)
from shared.contracts.photos import PhotoCover
from shared.errors import FieldError

MentorshipStatus = Literal["requested", "accepted", "declined", "ended"]
Specialty = Annotated[Words, Field(min_length=2, max_length=80, description="e.g. cardiology")]
MonthlyBudget = Annotated[int, Field(gt=0, le=MAX_MONTHLY_RENT), WHOLE_NUMBER]
RoomTypes = Annotated[list[RoomType], Field(max_length=3, description="room types you would take; empty: any")]
# A rotation is weeks long; a year is the most anyone plans at once.
MAX_ROTATION_NIGHTS = 366


def _check_dates(start: object, end: object) -> None:
    if isinstance(start, date) and isinstance(end, date):
        if start >= end:
            raise FieldError("end_date", "must be after the start date")
        if (end - start).days > MAX_ROTATION_NIGHTS:
            raise FieldError("end_date", f"a rotation is at most {MAX_ROTATION_NIGHTS} days")


# --- rotations ------------------------------------------------------------------------


class RotationCreate(Contract):
    """A student's rotation: where, in what, when, and what they can pay for a room."""

    hospital_id: HospitalId
    specialty: Specialty
    start_date: Date
    end_date: Date = Field(description="the day the rotation ends: the last night is the day before")
    monthly_budget: MonthlyBudget | None = None
    room_types: RoomTypes = []
    amenities: Amenities = []

    @model_validator(mode="after")
    def _dates(self) -> RotationCreate:
        _check_dates(self.start_date, self.end_date)
        return self


class RotationUpdate(Contract):
    """Send only what changes; ``monthly_budget: null`` removes the budget."""

    rotation_id: Id
    hospital_id: HospitalId | MISSING = MISSING
    specialty: Specialty | MISSING = MISSING
    start_date: Date | MISSING = MISSING
    end_date: Date | MISSING = MISSING
    monthly_budget: MonthlyBudget | MISSING | None = MISSING
    room_types: RoomTypes | MISSING = MISSING
    amenities: Amenities | MISSING = MISSING

    @model_validator(mode="after")
    def _dates(self) -> RotationUpdate:
        _check_dates(self.start_date, self.end_date)
        return self


class RotationId(Contract):
    rotation_id: Id


class MyRotations(Contract):
    limit: Limit = 20
    cursor: Cursor | None = None


class Rotation(Reply):
    id: uuid.UUID
    student_id: uuid.UUID
    hospital: HospitalRef
    specialty: str
    start_date: date
    end_date: date
    nights: int
    monthly_budget: int | None
    room_types: list[RoomType]
    amenities: list[str]
    created_at: datetime
    updated_at: datetime


class RotationPage(Page):
    items: list[Rotation]


# --- matches --------------------------------------------------------------------------


class MatchesRequest(Contract):
    rotation_id: Id
    limit: Limit = 20
    cursor: Cursor | None = None


class MatchedListing(Reply):
    """A listing's public summary as a match shows it: the approximate location only."""

    id: uuid.UUID
    host: Host
    title: str
    room_type: RoomType
    location: Location
    monthly_rent: int
    nightly_rate: float
    amenities: list[str]
    available_from: date
    available_to: date
    min_stay_nights: int
    review_average: float | None
    review_count: int
    photo_count: int = 0
    cover: PhotoCover | None = None


class RoomMatch(Reply):
    listing: MatchedListing
    score: float = Field(description="0-1, the weighted mean of the parts")
    parts: dict[str, float] = Field(description="each part's value in [0, 1]: distance, coverage, price, …")
    reasons: list[str]
    distance_km: float
    distance: str = Field(
        "", description='the distance as the reasons write it ("650 m", "1.5 km"): what a page shows beside them'
    )
    free_nights: int
    nights: int
    stay_total: float = Field(description="the free nights at the nightly rate, in dollars")


class RoomMatchPage(Page):
    items: list[RoomMatch]


class MentorSummary(Reply):
    id: uuid.UUID
    display_name: str
    verified: bool
    profession: str | None
    specialties: list[str]
    hospital_ids: list[str]


class MentorMatch(Reply):
    mentor: MentorSummary
    score: float
    parts: dict[str, float]
    reasons: list[str]
    remaining_capacity: int
    hospital_km: float | None = Field(description="from the rotation's hospital to the mentor's nearest")
    remote: bool = Field(False, description="no hospital of the mentor's near the rotation's: mentoring at a distance")


class MentorMatchPage(Page):
    items: list[MentorMatch]


# --- mentorships ----------------------------------------------------------------------


class MentorshipCreate(Contract):
    """A student asks a professional to mentor them, about one of their rotations."""

    mentor_id: Id
    rotation_id: Id | None = None
    message: Annotated[Text, Field(max_length=2000)] = ""


class MentorshipId(Contract):
    mentorship_id: Id


class MyMentorships(Contract):
    role: Literal["student", "mentor"] | None = None
    status: MentorshipStatus | None = Field(
        None,
        description="only those of this status; ended: the mentorships that ended after they were accepted"
        " (not the requests withdrawn before an answer, which are ended with decided_at null)",
    )
    limit: Limit = 20
    cursor: Cursor | None = None


class Person(Reply):
    id: uuid.UUID
    display_name: str | None
    verified: bool
    deleted: bool = Field(False, description='they deleted their account (named "Deleted user"): nobody to message')


class MentorshipRotation(Reply):
    """The rotation a request is about, as the mentor sees it: where, in what, when."""

    id: uuid.UUID
    hospital: HospitalRef
    specialty: str
    start_date: date
    end_date: date


class Mentorship(Reply):
    id: uuid.UUID
    student: Person
    mentor: Person
    rotation_id: uuid.UUID | None
    rotation: MentorshipRotation | None = Field(None, description="the rotation it is about, for both sides")
    status: MentorshipStatus
    message: str
    role: Literal["student", "mentor"] = Field(description="your side of it")
    created_at: datetime
    decided_at: datetime | None
    ended_at: datetime | None
    mentor_full: bool = Field(
        False,
        description="a request waiting while its mentor can take nobody: every place taken, or no longer open to"
        " mentoring (it waits until a place frees; the mentor cannot accept it before)",
    )


class MentorshipPage(Page):
    items: list[Mentorship]


# --- events ---------------------------------------------------------------------------


class MentorshipData(EventData):
    mentorship_id: uuid.UUID
    student_id: uuid.UUID
    mentor_id: uuid.UUID
    rotation_id: uuid.UUID | None = None
    status: MentorshipStatus
    message: str = ""


class MentorshipRequested(Event):
    subject: ClassVar[str] = subjects.MENTORSHIP_REQUESTED
    mentorship: MentorshipData


class MentorshipAccepted(Event):
    subject: ClassVar[str] = subjects.MENTORSHIP_ACCEPTED
    mentorship: MentorshipData


class MentorshipDeclined(Event):
    subject: ClassVar[str] = subjects.MENTORSHIP_DECLINED
    mentorship: MentorshipData


class MentorshipEnded(Event):
    subject: ClassVar[str] = subjects.MENTORSHIP_ENDED
    mentorship: MentorshipData
    ended_by: uuid.UUID
    withdrawn: bool = Field(
        False, description="a request its student withdrew before the mentor answered (it never ran)"
    )
    account_deleted: bool = Field(False, description="ended by the deletion of ended_by's account")


class MatchSuggested(Event):
    """A room or a mentor scored above the suggestion threshold for a student's upcoming
    rotation; published once per rotation and room or mentor."""

    subject: ClassVar[str] = subjects.MATCH_SUGGESTED
    student_id: uuid.UUID
    rotation_id: uuid.UUID
    kind: Literal["room", "mentor"]
    subject_id: uuid.UUID = Field(description="the listing or the mentor")
    headline: str = Field(description="the listing's title, or the mentor's name")
    score: float
    reasons: list[str]
    # The rotation, named in the notice: two rotations at one hospital got identical ones.
    # None in events from before matching sent them.
    specialty: str | None = None
    start_date: date | None = None
    end_date: date | None = None


class RotationChanged(Event):
    """A rotation was recorded or changed (``version``): matching's own consumer looks for
    rooms and mentors to suggest, off the request's path."""

    subject: ClassVar[str] = subjects.ROTATION_CHANGED
    rotation_id: uuid.UUID
    student_id: uuid.UUID
    version: int


class MovedStay(BaseModel):
    booking_id: uuid.UUID
    listing_id: uuid.UUID
    listing_title: str
    check_in: date
    check_out: date
    # None in events from before it was sent: read as booked.
    status: Literal["requested", "accepted", "confirmed"] | None = None


class RotationMoved(Event):
    """A student moved a rotation's dates, and stays they booked for it (requested or
    accepted) no longer match: they may ask each host to shift the stay."""

    subject: ClassVar[str] = subjects.ROTATION_MOVED
    student_id: uuid.UUID
    rotation_id: uuid.UUID
    start_date: date
    end_date: date
    stays: list[MovedStay]


# Every event that carries a mentorship's snapshot.
MENTORSHIP_EVENTS = (MentorshipRequested, MentorshipAccepted, MentorshipDeclined, MentorshipEnded)


# --- cohort match rounds (operators) -------------------------------------------------

RoundStatus = Literal["queued", "running", "done", "failed", "accepted"]
Proposing = Literal["students", "mentors"]
Month = Annotated[
    str,
    Field(
        max_length=7,
        pattern=worded(r"^[0-9]{4}-(0[1-9]|1[0-2])$", "a month as YYYY-MM, such as 2027-03"),
        description="YYYY-MM",
        examples=["2027-03"],
    ),
]
# A round from the API is a hospital's month or a list an operator sends; the engine's
# own CLI takes NRMP-sized files.
MAX_ROUND_ROTATIONS = 5000
MAX_ROUND_MENTORS = 2000


class RoundSelection(Contract):
    """The rotations at a hospital that start in a month, and the mentors affiliated with
    that hospital or, with ``radius_km``, with one within that distance of it."""

    hospital_id: HospitalId
    month: Month
    radius_km: Annotated[float, Field(ge=0, le=200)] = 0.0


class RoundPreferences(Contract):
    """Both sides' ranked lists, best first: each rotation's over the round's mentors, each
    mentor's over the round's rotations. Every rotation and mentor of the round needs one."""

    students: Annotated[
        dict[Id, Annotated[list[Id], Field(max_length=MAX_ROUND_MENTORS)]], Field(max_length=MAX_ROUND_ROTATIONS)
    ]
    mentors: Annotated[
        dict[Id, Annotated[list[Id], Field(max_length=MAX_ROUND_ROTATIONS)]], Field(max_length=MAX_ROUND_MENTORS)
    ]


class MatchRoundCreate(Contract):
    """One of: ``rotation_ids`` with ``mentor_ids`` (and optionally ``preferences``), a
    ``selection``, or ``scramble_of`` (the rotations a finished round left unmatched, over
    the seats its mentors have left). Preferences not given derive from the mentor score."""

    rotation_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_ROUND_ROTATIONS)] | None = None
    mentor_ids: Annotated[list[Id], Field(min_length=1, max_length=MAX_ROUND_MENTORS)] | None = None
    selection: RoundSelection | None = None
    scramble_of: Id | None = None
    preferences: RoundPreferences | None = None
    proposing: Proposing = "students"
    list_length: Annotated[int, Field(ge=1, le=MAX_ROUND_MENTORS), WHOLE_NUMBER] | None = Field(
        default=None, description="derived lists: each rotation ranks at most this many mentors"
    )

    @model_validator(mode="after")
    def _one_source(self) -> MatchRoundCreate:
        explicit = self.rotation_ids is not None or self.mentor_ids is not None
        sources = [explicit, self.selection is not None, self.scramble_of is not None]
        if sum(sources) != 1:
            raise ValueError("give rotation_ids and mentor_ids, or a selection, or scramble_of (one of them)")
        if explicit and (self.rotation_ids is None or self.mentor_ids is None):
            raise ValueError("rotation_ids and mentor_ids go together")
        if self.preferences is not None and not explicit:
            raise ValueError("preferences go with rotation_ids and mentor_ids")
        return self


class MatchRoundId(Contract):
    round_id: Id


class MatchRoundList(Contract):
    limit: Limit = 20
    cursor: Cursor | None = None


class RoundAssignments(Contract):
    round_id: Id
    limit: Annotated[int, Field(ge=1, le=500), WHOLE_NUMBER] = 100
    cursor: Cursor | None = None


class RoundProgress(Reply):
    stage: str = Field(description="queued, loading, preferences, matching, checking, saving or finished")
    done: int
    total: int


class MatchRound(Reply):
    id: uuid.UUID
    title: str = Field("", description='its hospital and month ("Trinity Hospitals, Minot, ND · March 2028")')
    status: RoundStatus
    kind: Literal["round", "scramble"]
    scramble_of: uuid.UUID | None
    proposing: Proposing
    progress: RoundProgress
    students: int | None = Field(description="rotations in the round")
    mentors: int | None
    seats: int | None
    matched: int | None
    unmatched: int | None
    unfilled_seats: int | None
    rank_distribution: dict[str, int] | None = Field(description='{"1": rotations matched to their 1st choice, ...}')
    blocking_pairs: int | None = Field(description="from the independent stability check: 0")
    chart_svg: str | None = Field(description="the rank distribution as an SVG bar chart")
    error: str | None
    requests_made: int | None = Field(description="mentorship requests made when the round was accepted")
    accept_skipped: dict[str, int] | None = Field(
        None, description='matches that made no request, by why: {"already_requested", "not_mentoring", "blocked"}'
    )
    created_at: datetime
    finished_at: datetime | None
    accepted_at: datetime | None


class MatchRoundPage(Page):
    items: list[MatchRound]


class RoundAssignment(Reply):
    rotation_id: uuid.UUID
    student_id: uuid.UUID
    mentor_id: uuid.UUID | None
    rank: int | None = Field(description="the mentor's place on the rotation's list (1 = first choice)")


class RoundAssignmentPage(Page):
    items: list[RoundAssignment]
