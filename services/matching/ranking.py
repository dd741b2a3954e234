"""A rotation's candidates ranked by the engine: rooms (Postgres prefilters by radius and
dates on the projection, the engine scores) and mentors. Endpoints page through these;
suggestions take the best of them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.matching import domain, store
from services.matching.engine.mentor_scoring import rank_mentors
from services.matching.engine.models import HospitalInput
from services.matching.engine.models import MentorMatch as EngineMentorMatch
from services.matching.engine.models import RoomMatch as EngineRoomMatch
from services.matching.engine.scoring import rank_rooms
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS
from shared import hospitals
from shared.errors import AppError


@dataclass(frozen=True)
class RoomRanking:
    ranked: list[EngineRoomMatch]
    rows: dict[str, Any]  # listing id -> its projection row
    people: dict[Any, dict[str, Any]]  # user id -> profile data (hosts and the student)

    def fields(self, match: EngineRoomMatch) -> dict[str, Any]:
        row = self.rows[match.listing_id]
        return domain.room_match_fields(match, row, self.people.get(row["host_id"]))


async def rank_rooms_for(db: store.DB, rotation: domain.Row) -> RoomRanking:
    hospital = hospitals.lookup(rotation["hospital_id"])
    student_id, start, end = rotation["student_id"], rotation["start_date"], rotation["end_date"]
    rows = await store.listings_near(
        db, hospital.latitude, hospital.longitude, DEFAULT_ROOM_WEIGHTS.max_distance_km, start, end, student_id
    )
    booked: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for stay in await store.booked_stays(db, [r["listing_id"] for r in rows], start, end):
        booked[str(stay["listing_id"])].append((stay["check_in"], stay["check_out"]))
    people = await store.profiles(db, list({r["host_id"] for r in rows} | {student_id}))
    ranked = rank_rooms(
        domain.rotation_input(rotation, hospital),
        domain.profile_input(student_id, people.get(student_id)),
        (domain.listing_input(r, people.get(r["host_id"]), booked[str(r["listing_id"])]) for r in rows),
    )
    return RoomRanking(ranked, {str(r["listing_id"]): r for r in rows}, people)


def affiliated_hospitals(profiles: list[dict[str, Any]]) -> dict[str, HospitalInput]:
    """The hospitals these professionals name, for "works at X, 2.1 km from your hospital"."""
    found = {}
    for hid in {hid for data in profiles for hid in (data.get("hospital_ids") or [])}:
        try:
            found[hid] = domain.hospital_input(hospitals.lookup(hid))
        except AppError:
            continue  # an id the directory no longer has: no distance for it
    return found


@dataclass(frozen=True)
class MentorRanking:
    ranked: list[EngineMentorMatch]
    profiles: dict[str, dict[str, Any]]  # mentor id -> profile data

    def fields(self, match: EngineMentorMatch) -> dict[str, Any]:
        return domain.mentor_match_fields(match, self.profiles[match.mentor_id])


async def rank_mentors_for(db: store.DB, rotation: domain.Row) -> MentorRanking:
    hospital = hospitals.lookup(rotation["hospital_id"])
    student_id = rotation["student_id"]
    rows = await store.open_mentors(db, student_id)
    ranked = rank_mentors(
        domain.rotation_input(rotation, hospital),
        domain.profile_input(student_id, await store.profile(db, student_id)),
        [domain.profile_input(r["user_id"], r["data"]) for r in rows],
        hospitals=affiliated_hospitals([r["data"] for r in rows]),
        mentee_counts={str(r["user_id"]): r["mentees"] for r in rows},
    )
    return MentorRanking(ranked, {str(r["user_id"]): r["data"] for r in rows})
