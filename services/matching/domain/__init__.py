"""Pure rules of the matching service: engine inputs from stored rows, what a viewer sees
of a match, and mentorship transitions with the events they cause. No I/O here; the
scores themselves are the engine's (``services/matching/engine``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from services.matching.engine import wording
from services.matching.engine.models import HospitalInput, ListingInput, ProfileInput, RotationInput
from services.matching.engine.models import MentorMatch as EngineMentorMatch
from services.matching.engine.models import RoomMatch as EngineRoomMatch
from services.matching.engine.relevance import is_remote
from shared import dates, hospitals, pricing, request_limits
from shared.contracts.base import Actor, Event
from shared.contracts.hospitals import Hospital
from shared.contracts.matching import (
    MentorshipAccepted,
    MentorshipData,
    MentorshipDeclined,
    MentorshipEnded,
    MentorshipStatus,
)
from shared.errors import AppError
from shared.request_limits import RecentRequest

MENTORSHIP_NOT_FOUND = AppError("not_found", "mentorship not found")


class Row(Protocol):
    """A stored row by column name (an asyncpg record, or a dict in tests)."""

    def __getitem__(self, key: str) -> Any: ...


def hospital_input(hospital: Hospital) -> HospitalInput:
    return HospitalInput(hospital.id, hospital.name, hospital.latitude, hospital.longitude)


def rotation_input(row: Row, hospital: Hospital) -> RotationInput:
    return RotationInput(
        hospital=hospital_input(hospital),
        specialty=row["specialty"],
        start=row["start_date"],
        end=row["end_date"],
        monthly_budget=row["monthly_budget"],
        room_types=frozenset(row["room_types"]),
        amenities=frozenset(row["amenities"]),
    )


def profile_input(user_id: uuid.UUID, data: Mapping[str, Any] | None) -> ProfileInput:
    """A profile as the engine reads it; an unknown user (no event seen yet) is a blank one."""
    data = data or {}
    return ProfileInput(
        id=str(user_id),
        medical_school=data.get("medical_school"),
        school_country=data.get("school_country"),
        graduation_year=data.get("graduation_year"),
        languages=frozenset(data.get("languages") or ()),
        specialties=frozenset(data.get("specialties") or ()),
        hobbies=frozenset(data.get("hobbies") or ()),
        organizations=frozenset(data.get("organizations") or ()),
        profession=data.get("profession"),
        hospital_ids=frozenset(data.get("hospital_ids") or ()),
        open_to_mentoring=bool(data.get("open_to_mentoring")),
        mentoring_capacity=int(data.get("mentoring_capacity") or 0),
    )


def listing_input(row: Row, host: Mapping[str, Any] | None, booked: list[tuple[date, date]]) -> ListingInput:
    return ListingInput(
        id=str(row["listing_id"]),
        host=profile_input(row["host_id"], host),
        lat=row["latitude"],
        lon=row["longitude"],
        monthly_rent=row["monthly_rent"],
        room_type=row["room_type"],
        available_from=row["available_from"],
        available_to=row["available_to"],
        min_stay_nights=row["min_stay_nights"],
        amenities=frozenset(row["amenities"]),
        booked=tuple(sorted(booked)),
        review_average=row["review_average"],
        review_count=row["review_count"],
        photo_count=row["photo_count"],
    )


def room_match_fields(match: EngineRoomMatch, row: Row, host: Mapping[str, Any] | None) -> dict[str, Any]:
    """A ``RoomMatch`` reply: the engine's score and reasons, and the listing's public
    summary at the public position listing events carry (the only one matching holds, so
    the distance and score parts give away no more than the location shown)."""
    lat, lon = row["latitude"], row["longitude"]
    host = host or {}
    return {
        "listing": {
            "id": row["listing_id"],
            "host": {
                "id": row["host_id"],
                "display_name": host.get("display_name"),
                "verified": bool(host.get("verified")),
            },
            "title": row["title"],
            "room_type": row["room_type"],
            "location": {"latitude": lat, "longitude": lon, "approximate": True, "address": None},
            "monthly_rent": row["monthly_rent"],
            "nightly_rate": pricing.nightly_cents(row["monthly_rent"]) / 100,
            "amenities": row["amenities"],
            "available_from": row["available_from"],
            "available_to": row["available_to"],
            "min_stay_nights": row["min_stay_nights"],
            "review_average": row["review_average"],
            "review_count": row["review_count"],
            "photo_count": row["photo_count"],
            "cover": row["cover"],
        },
        "score": round(match.score, 4),
        "parts": {k: round(v, 4) for k, v in match.parts.items()},
        "reasons": match.reasons,
        # One decimal, as search shows it: enough to judge a commute.
        "distance_km": round(match.distance_km, 1),
        # Worded from the same unrounded distance as the reason naming it: the page showed
        # "300 m" from the rounded km above a reason saying "250 m".
        "distance": wording.distance(match.distance_km),
        "free_nights": match.free_nights,
        "nights": match.nights,
        "stay_total": match.stay_total_cents / 100,
    }


def mentor_match_fields(match: EngineMentorMatch, data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "mentor": {
            "id": match.mentor_id,
            "display_name": data.get("display_name") or "",
            "verified": bool(data.get("verified")),
            "profession": data.get("profession"),
            "specialties": data.get("specialties") or [],
            "hospital_ids": data.get("hospital_ids") or [],
        },
        "score": round(match.score, 4),
        "parts": {k: round(v, 4) for k, v in match.parts.items()},
        "reasons": match.reasons,
        "remaining_capacity": match.remaining_capacity,
        "hospital_km": round(match.hospital_km, 1) if match.hospital_km is not None else None,
        "remote": is_remote(match.hospital_km),
    }


# --- mentorships ----------------------------------------------------------------------


@dataclass(frozen=True)
class MentorshipView:
    student_id: uuid.UUID
    mentor_id: uuid.UUID
    status: MentorshipStatus


@dataclass(frozen=True)
class Transition:
    """A mentorship's next status and the event it causes, built from the stored result."""

    status: MentorshipStatus
    event: Callable[[MentorshipData], Event]
    # Accepting takes a seat: the handler checks the mentor's capacity under their lock.
    takes_seat: bool = False
    # Ending closes the plan: its open meetings are cancelled in the same transaction
    # (``plans.end_meetings``), or they would stay in both calendars, unanswerable.
    ends_meetings: bool = False


def side(mentorship: MentorshipView, actor: Actor) -> str:
    """``student`` or ``mentor``; anyone else must not learn the mentorship exists (404)."""
    if actor.user_id == mentorship.student_id:
        return "student"
    if actor.user_id == mentorship.mentor_id:
        return "mentor"
    raise MENTORSHIP_NOT_FOUND


def decide(mentorship: MentorshipView, actor: Actor, action: str) -> Transition:
    """What ``action`` by ``actor`` does to a mentorship, or why they may not."""
    who = side(mentorship, actor)
    if action in ("accept", "decline"):
        if who != "mentor":
            raise AppError("forbidden", f"only the mentor can {action} a mentorship request")
        if mentorship.status != "requested":
            raise AppError("conflict", f"the mentorship is {mentorship.status}, it can no longer be {action}ed")
        if action == "accept":
            return Transition("accepted", lambda m: MentorshipAccepted(mentorship=m), takes_seat=True)
        return Transition("declined", lambda m: MentorshipDeclined(mentorship=m))
    if action == "end":
        # A student withdraws a request; either side ends an accepted mentorship.
        if (mentorship.status == "requested" and who == "student") or mentorship.status == "accepted":
            withdrawn = mentorship.status == "requested"
            return Transition(
                "ended",
                lambda m: MentorshipEnded(mentorship=m, ended_by=actor.user_id, withdrawn=withdrawn),
                ends_meetings=True,
            )
        if mentorship.status == "requested":
            raise AppError("conflict", "the mentorship is only requested: decline the request instead")
        raise AppError("conflict", f"the mentorship is {mentorship.status}: there is nothing to end")
    raise AppError("validation", f"unknown action {action}")


def end_on_deletion(mentorship: MentorshipView, user_id: uuid.UUID) -> Transition | None:
    """What a deleted account does to one of its mentorships: an open one (asked or
    accepted) ends by them, with the event a normal end causes, so the other side hears of
    it and messaging's conversation follows (a deleted mentor's unanswered request is
    declined); a declined or ended one stays as it is."""
    if user_id not in (mentorship.student_id, mentorship.mentor_id):
        raise MENTORSHIP_NOT_FOUND
    if mentorship.status not in ("requested", "accepted"):
        return None
    # A request a deleted mentor had not answered is declined, as one they decline: the
    # student read "Deleted user ended your mentorship" of a mentorship that never began,
    # and the plan's page offers to ask another mentor after a decline.
    if mentorship.status == "requested" and user_id == mentorship.mentor_id:
        return Transition("declined", lambda m: MentorshipDeclined(mentorship=m))
    # A deleted student's request the mentor had not answered is withdrawn, as one the
    # student withdraws (the mentor read "Deleted user ended your mentorship").
    withdrawn = mentorship.status == "requested" and user_id == mentorship.student_id
    return Transition(
        "ended",
        lambda m: MentorshipEnded(mentorship=m, ended_by=user_id, withdrawn=withdrawn, account_deleted=True),
        ends_meetings=True,
    )


def refuse_over_request_limits(
    recent: list[RecentRequest], mentor_id: uuid.UUID, window_s: int, per_mentor: int, per_student: int
) -> None:
    """A student's mentorship request beyond ``per_mentor`` of this mentor, or
    ``per_student`` in all, within the last ``window_s`` is refused with ``retry_after_s``
    (``shared.request_limits``): asking again each time a mentor declined, or a
    request/withdraw loop, mailed the mentor each time (round-2 audit: six declines, six
    requests and six mails in a few seconds)."""
    request_limits.refuse_over_limits(
        recent,
        mentor_id,
        window_s,
        per_mentor,
        per_student,
        of_target="asked this mentor {n} times",
        of_all="made {n} mentorship requests",
        counted="withdrawn and declined requests count too",
    )


def mentoring_capacity(profile: Mapping[str, Any]) -> int:
    """How many mentees a professional takes: their capacity while open to mentoring."""
    return int(profile.get("mentoring_capacity") or 0) if profile.get("open_to_mentoring") else 0


def check_capacity(capacity: int, accepted: int, *, open_to_mentoring: bool = True) -> None:
    """A mentor takes no more mentees than their capacity. Only the mentor accepts, so the
    409 speaks to them, and says what frees a place."""
    if not open_to_mentoring:
        raise AppError(
            "conflict",
            "You are not open to mentoring: turn it on and set your mentoring capacity on your profile,"
            " to accept a mentee",
            {"capacity": 0, "taken": accepted},
        )
    if accepted >= capacity:
        raise AppError(
            "conflict",
            f"You have no places left ({accepted} of {capacity} taken): raise your mentoring capacity on your"
            " profile, or end a mentorship, to accept another",
            {"capacity": capacity, "taken": accepted},
        )


ROTATION_NOT_FOUND = AppError("not_found", "rotation not found")


def owned(rotation: Row | None, actor_id: uuid.UUID) -> Row:
    """The caller's rotation; anyone else's is a 404, as if it did not exist."""
    if rotation is None or rotation["student_id"] != actor_id:
        raise ROTATION_NOT_FOUND
    return rotation


# The zone furthest behind UTC (UTC-12): its today is the earliest day still "today"
# somewhere, so no student anywhere is refused a rotation that ends tomorrow their time.
BEHIND_UTC = timedelta(hours=12)


def earliest_today(now: datetime) -> date:
    """The earliest calendar day that is still today somewhere on Earth at ``now``."""
    return (now - BEHIND_UTC).date()


def check_rotation_ahead(end_date: date, now: datetime) -> None:
    """A rotation created or moved ends after today: one already over would be offered
    rooms for nights gone and mentors for weeks past (400 on ``end_date``)."""
    first = earliest_today(now) + timedelta(days=1)
    if end_date < first:
        raise AppError(
            "validation",
            f"end_date must be after today ({dates.written(first)} or later):"
            " a rotation already over needs no room or mentor",
            [{"field": "end_date", "message": "Must be after today."}],
        )


def check_rotation_not_over(rotation: Row, now: datetime) -> None:
    """A mentorship request names a rotation still to come or under way (400 on
    ``rotation_id``): a mentor cannot help with one that is over."""
    if rotation["end_date"] <= earliest_today(now):
        message = f"this rotation is over (it ended on {dates.written(rotation['end_date'])})"
        raise AppError(
            "validation",
            f"{message}: ask about a rotation still to come, or about none",
            [{"field": "rotation_id", "message": message}],
        )


def repeated_rotation(existing: Row, wanted: Mapping[str, Any]) -> Row:
    """The same rotation posted again (hospital, specialty, dates) is a retry, a double
    click or a second tab: the one the student has is the answer, and nothing new is
    suggested. With another budget, room types or amenities it is a change the repeat
    would lose, so a 409 names the rotation to change instead."""
    if (
        existing["monthly_budget"] != wanted["monthly_budget"]
        or sorted(existing["room_types"]) != sorted(wanted["room_types"])
        or sorted(existing["amenities"]) != sorted(wanted["amenities"])
    ):
        raise AppError(
            "conflict",
            f"you already have this rotation (rotation {existing['id']}) with another budget, room types or"
            " amenities: change that one instead",
            {"id": str(existing["id"])},
        )
    return existing


def check_hospital(hospital_id: str) -> None:
    """A rotation's hospital must be in the directory: an unknown id is bad input (400)."""
    try:
        hospitals.lookup(hospital_id)
    except AppError:
        raise AppError(
            "validation",
            f"unknown hospital {hospital_id!r}: pick one from GET /hospitals",
            [{"field": "hospital_id", "message": "Not in the hospital directory: choose it from the suggestions."}],
        ) from None
