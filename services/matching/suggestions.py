"""Match suggestions: tell a student when a room or a mentor fits an upcoming rotation well.

Three things can make a new good match, and each is checked where it happens, in the
transaction of its change: a rotation recorded or changed (its best rooms and mentors),
a listing published (the upcoming rotations within reach of it), a professional who
opens to mentoring (the upcoming rotations). A match suggests itself when its score
reaches the threshold below; each room or mentor is suggested for a rotation once (the
``suggestions`` table's key), and a rotation gets at most ``PER_DAY`` room and as many
mentor suggestions in 24 hours, through a ``MatchSuggested`` event that messaging turns
into the student's notification (and mail). A room or mentor of someone the student blocked or was
blocked by is never suggested (the rankings leave them out; the two other paths skip the
pair); once the block is lifted, the next check suggests them as any other.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from services.matching import domain, store
from services.matching.engine.mentor_scoring import mentor_score
from services.matching.engine.scoring import room_score
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS
from services.matching.ranking import (
    affiliated_hospitals,
    explain_mentors,
    explain_rooms,
    rank_mentors_for,
    rank_rooms_for,
)
from shared import blocks, geo, hospitals
from shared.contracts.accounts import UserData
from shared.contracts.listings import ListingData
from shared.contracts.matching import MatchSuggested
from shared.db import Connection
from shared.outbox import add

# Scores reach 1 only for a perfect fit. A room at 0.70 is near the hospital, free for the
# whole rotation, within budget and liked on most other counts; a mentor at 0.55 shares
# the specialty and the hospital, or the specialty and much of the background.
ROOM_THRESHOLD = 0.70
MENTOR_THRESHOLD = 0.55
# A rotation recorded in a busy city could match dozens: suggest only its best few.
BEST_PER_ROTATION = 3
# And as many a day at most, of rooms and of mentors each, whatever is published: one new
# host posting 55 rooms near Johns Hopkins in a minute sent each student there 55 mails.
PER_DAY = BEST_PER_ROTATION


async def _suggest(
    conn: Connection,
    rotation: domain.Row,
    kind: Literal["room", "mentor"],
    subject_id: uuid.UUID,
    headline: str,
    score: float,
    reasons: list[str],
) -> bool:
    """Suggest ``subject_id`` to the rotation's student, unless it was suggested before or
    the rotation had its ``PER_DAY`` suggestions of that kind in the last 24 hours (then it
    is not recorded: the student finds it among their matches)."""
    await store.lock_suggestions(conn, rotation["id"])
    if await store.suggestions_since(conn, rotation["id"], kind, 24) >= PER_DAY:
        return False
    if not await store.add_suggestion(conn, rotation["id"], kind, subject_id, score):
        return False
    await add(
        conn,
        MatchSuggested(
            student_id=rotation["student_id"],
            rotation_id=rotation["id"],
            kind=kind,
            subject_id=subject_id,
            headline=headline,
            score=round(score, 4),
            reasons=reasons[:3],
            specialty=rotation["specialty"],
            start_date=rotation["start_date"],
            end_date=rotation["end_date"],
        ),
    )
    return True


async def for_rotation(conn: Connection, rotation: domain.Row) -> int:
    """Suggest a new or changed rotation's best rooms and mentors; how many were new."""
    if rotation["start_date"] < date.today():
        return 0
    made = 0
    # Committed rotation, no projection written here: the rankings may be kept for the
    # student's first look at their matches.
    rooms = await rank_rooms_for(conn, rotation, cached=True)
    for room in await explain_rooms(conn, rotation, rooms.best(ROOM_THRESHOLD, BEST_PER_ROTATION)):
        listing = room["listing"]
        made += await _suggest(conn, rotation, "room", listing["id"], listing["title"], room["score"], room["reasons"])
    mentors = await rank_mentors_for(conn, rotation, cached=True)
    for mentor in await explain_mentors(conn, rotation, mentors.best(MENTOR_THRESHOLD, BEST_PER_ROTATION)):
        who = mentor["mentor"]
        name = who["display_name"] or "a professional"
        made += await _suggest(conn, rotation, "mentor", uuid.UUID(who["id"]), name, mentor["score"], mentor["reasons"])
    return made


async def for_listing(conn: Connection, listing: ListingData) -> int:
    """Suggest a newly published listing to the upcoming rotations it fits well."""
    row = await store.listing_row(conn, listing.listing_id)
    if row is None or row["status"] != "active":
        return 0
    nearby = []
    apart = await blocks.others(conn, listing.host_id)
    for rotation in await store.upcoming_rotations(conn):
        hospital = hospitals.lookup(rotation["hospital_id"])
        km = geo.haversine_km(hospital.latitude, hospital.longitude, listing.latitude, listing.longitude)
        student = rotation["student_id"]
        if km <= DEFAULT_ROOM_WEIGHTS.max_distance_km and student != listing.host_id and student not in apart:
            nearby.append((rotation, hospital))
    if not nearby:
        return 0
    # One query each for the stays and the profiles, whatever the number of rotations:
    # this runs in the consumer's transaction.
    start = min(r["start_date"] for r, _ in nearby)
    end = max(r["end_date"] for r, _ in nearby)
    stays = await store.booked_stays(conn, [listing.listing_id], start, end)
    booked = [(s["check_in"], s["check_out"]) for s in stays]
    people = await store.profile_fields(conn, [listing.host_id, *(r["student_id"] for r, _ in nearby)])
    offer = domain.listing_input(row, people.get(listing.host_id), booked)
    made = 0
    for rotation, hospital in nearby:
        student = domain.profile_input(rotation["student_id"], people.get(rotation["student_id"]))
        match = room_score(domain.rotation_input(rotation, hospital), student, offer)
        if match is not None and match.score >= ROOM_THRESHOLD:
            made += await _suggest(
                conn, rotation, "room", listing.listing_id, listing.title, match.score, match.reasons
            )
    return made


async def for_mentor(conn: Connection, user: UserData, mentees: int) -> int:
    """Suggest a professional who just opened to mentoring to the upcoming rotations."""
    data: dict[str, Any] = user.model_dump(mode="json")
    mentor = domain.profile_input(user.user_id, data)
    affiliated = affiliated_hospitals([data])
    apart = await blocks.others(conn, user.user_id)
    rotations = [r for r in await store.upcoming_rotations(conn) if r["student_id"] not in apart]
    students = await store.profile_fields(conn, [r["student_id"] for r in rotations])
    made = 0
    for rotation in rotations:
        match = mentor_score(
            domain.rotation_input(rotation, hospitals.lookup(rotation["hospital_id"])),
            domain.profile_input(rotation["student_id"], students.get(rotation["student_id"])),
            mentor,
            hospitals=affiliated,
            mentees=mentees,
        )
        if match is not None and match.score >= MENTOR_THRESHOLD:
            made += await _suggest(
                conn, rotation, "mentor", user.user_id, user.display_name, match.score, match.reasons
            )
    return made
