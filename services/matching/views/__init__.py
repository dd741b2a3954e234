"""Reply and event payloads of matching, built from rows: no I/O."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.matching.domain import Row
from services.matching.engine.wording import hospital_name
from shared import hospitals
from shared.contracts.hospitals import HospitalRef
from shared.contracts.matching import MatchRound, Mentorship, MentorshipData, Rotation, RotationChanged


def to_rotation(row: Row) -> Rotation:
    h = hospitals.lookup(row["hospital_id"])
    return Rotation(
        id=row["id"],
        student_id=row["student_id"],
        hospital=HospitalRef(
            id=h.id, name=h.name, city=h.city, state=h.state, latitude=h.latitude, longitude=h.longitude
        ),
        specialty=row["specialty"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        nights=(row["end_date"] - row["start_date"]).days,
        monthly_budget=row["monthly_budget"],
        room_types=row["room_types"],
        amenities=row["amenities"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def rotation_changed(rotation: asyncpg.Record) -> RotationChanged:
    return RotationChanged(rotation_id=rotation["id"], student_id=rotation["student_id"], version=rotation["version"])


def mentorship_data(row: asyncpg.Record) -> MentorshipData:
    return MentorshipData(
        mentorship_id=row["id"],
        version=row["version"],
        student_id=row["student_id"],
        mentor_id=row["mentor_id"],
        rotation_id=row["rotation_id"],
        status=row["status"],
        message=row["message"],
    )


def mentorship(
    row: asyncpg.Record, people: dict[uuid.UUID, dict[str, Any]], viewer: uuid.UUID, rotation: Row | None = None
) -> Mentorship:
    """A mentorship as one side sees it; ``people``: ``store.profile_fields`` of both sides;
    ``rotation``: the student's rotation it is about (the mentor learns where and when)."""

    def person(user_id: uuid.UUID) -> dict[str, object]:
        data = people.get(user_id) or {}
        return {
            "id": user_id,
            "display_name": data.get("display_name"),
            "verified": bool(data.get("verified")),
            "deleted": bool(data.get("deleted")),
        }

    return Mentorship.model_validate(
        {
            **{k: row[k] for k in ("id", "rotation_id", "status", "message", "created_at", "decided_at", "ended_at")},
            "student": person(row["student_id"]),
            "mentor": person(row["mentor_id"]),
            "role": "mentor" if viewer == row["mentor_id"] else "student",
            "rotation": _rotation_brief(rotation) if rotation and rotation["student_id"] == row["student_id"] else None,
            "mentor_full": row["status"] == "requested" and _full(people.get(row["mentor_id"]) or {}),
        }
    )


def _full(mentor: dict[str, Any]) -> bool:
    """The mentor can accept nobody now: every place taken (``mentees``, counted for a
    waiting request), or no longer open to mentoring."""
    if "mentees" not in mentor:
        return False
    capacity = int(mentor.get("mentoring_capacity") or 0) if mentor.get("open_to_mentoring") else 0
    return int(mentor["mentees"]) >= capacity


def _rotation_brief(row: Row) -> dict[str, Any]:
    full = to_rotation(row)
    return {k: getattr(full, k) for k in ("id", "hospital", "specialty", "start_date", "end_date")}


def round_title(row: Row) -> str:
    """A round named as operators think of it: "Trinity Hospitals, Minot, ND · March 2028"
    (its hospital and month), "Scramble of ..." (the round it scrambles), or its size."""
    request: dict[str, Any] = row["request"] or {}
    if row["kind"] == "scramble":
        return f"Scramble of {request.get('parent_title') or 'an earlier round'}"
    selection = request.get("selection")
    if selection:
        h = hospitals.lookup(selection["hospital_id"])
        month = date.fromisoformat(f"{selection['month']}-01")
        return f"{hospital_name(h.name)}, {hospital_name(h.city)}, {h.state} · {month:%B %Y}"
    count = len(request.get("rotation_ids") or [])
    return f"Round of {count} rotation{'' if count == 1 else 's'}"


def to_round(row: asyncpg.Record) -> MatchRound:
    report: dict[str, Any] = row["report"] or {}
    return MatchRound.model_validate(
        {
            "title": round_title(row),
            "accept_skipped": report.get("accept_skipped"),
            **{k: row[k] for k in ("id", "status", "kind", "scramble_of", "proposing", "progress", "chart_svg")},
            **{k: row[k] for k in ("error", "requests_made", "created_at", "finished_at", "accepted_at")},
            **{k: report.get(k) for k in ("students", "mentors", "seats", "matched", "unmatched", "unfilled_seats")},
            "rank_distribution": report.get("choice_counts"),
            "blocking_pairs": report.get("blocking_pairs"),
        }
    )
