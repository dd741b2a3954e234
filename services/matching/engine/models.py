"""Inputs and results of the scoring functions, as plain frozen dataclasses.

The matching service builds these from its projections of profiles, listings and
rotations; nothing here knows about the database or the bus. Ids are strings
(UUIDs as text). Dates follow the hotel convention: a stay or a rotation from
``start`` to ``end`` covers the nights ``start .. end - 1`` and checks out on ``end``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class HospitalInput:
    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class RotationInput:
    """A student's rotation: where, in what, when, and what they can pay for a room."""

    hospital: HospitalInput
    specialty: str
    start: date
    end: date
    monthly_budget: int | None = None
    # Preferences: room types the student would take (empty = any) and amenities wanted.
    room_types: frozenset[str] = frozenset()
    amenities: frozenset[str] = frozenset()

    @property
    def nights(self) -> int:
        return max(0, (self.end - self.start).days)


@dataclass(frozen=True, slots=True)
class ProfileInput:
    """A student's or professional's profile; the last four fields are professionals' only."""

    id: str
    medical_school: str | None = None
    school_country: str | None = None  # ISO 3166-1 alpha-2
    graduation_year: int | None = None
    languages: frozenset[str] = frozenset()  # ISO 639 codes
    specialties: frozenset[str] = frozenset()
    hobbies: frozenset[str] = frozenset()
    organizations: frozenset[str] = frozenset()
    profession: str | None = None
    hospital_ids: frozenset[str] = frozenset()
    open_to_mentoring: bool = False
    mentoring_capacity: int = 0


@dataclass(frozen=True, slots=True)
class ListingInput:
    """A room on offer, with its host's profile and its review summary."""

    id: str
    host: ProfileInput
    lat: float
    lon: float
    monthly_rent: int
    room_type: str  # private_room / entire_place / shared_room
    available_from: date
    available_to: date  # last possible check-out day
    min_stay_nights: int = 1
    amenities: frozenset[str] = frozenset()
    booked: tuple[tuple[date, date], ...] = ()  # (check_in, check_out) of taken stays
    review_average: float | None = None  # 1-5 stars
    review_count: int = 0
    photo_count: int = 0


@dataclass(frozen=True, slots=True)
class RoomMatch:
    """A listing scored for a rotation. `parts` holds each part's value in [0, 1]."""

    listing_id: str
    score: float
    parts: dict[str, float]
    reasons: list[str]
    distance_km: float
    free_nights: int
    nights: int
    stay_total_cents: int  # the free nights at the nightly rate (shared.pricing, as listings quotes)


@dataclass(frozen=True, slots=True)
class MentorMatch:
    """A professional scored as a mentor for a student's rotation."""

    mentor_id: str
    score: float
    parts: dict[str, float]
    reasons: list[str]
    remaining_capacity: int
    hospital_km: float | None = None  # from the rotation's hospital to the mentor's nearest
