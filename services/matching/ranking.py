"""A rotation's candidates ranked by the engine: rooms (Postgres prefilters by radius and
dates on the projection, the engine scores) and mentors. Endpoints page through these;
suggestions take the best of them. A room ranking is scores only; the rooms of the page
shown get their reasons (``explain_rooms``)."""

from __future__ import annotations

import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg

from services.matching import domain, store
from services.matching.engine.bulk import gc_paused
from services.matching.engine.mentor_scoring import rank_mentors
from services.matching.engine.models import HospitalInput, ListingInput, ProfileInput
from services.matching.engine.models import MentorMatch as EngineMentorMatch
from services.matching.engine.room_matrix import room_scores
from services.matching.engine.scoring import room_score
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS
from shared import hospitals
from shared.errors import AppError


@dataclass(frozen=True)
class RoomRanking:
    """A rotation's rooms, best first: their ids and scores. Pages are slices of it, and
    ``explain_rooms`` gives a slice its reasons."""

    ids: tuple[uuid.UUID, ...]
    scores: tuple[float, ...]
    # Pages already explained, by (offset, limit): valid as long as the ranking is.
    pages: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict, compare=False, repr=False)

    async def page(self, db: store.DB, rotation: domain.Row, offset: int, limit: int) -> list[dict[str, Any]]:
        """A page of ``RoomMatch`` replies, kept for the next time (a few per ranking)."""
        held = self.pages.get((offset, limit))
        if held is None:
            held = await explain_rooms(db, rotation, self.ids[offset : offset + limit])
            if len(self.pages) < PAGES_KEPT:
                self.pages[(offset, limit)] = held
        return held


# Rankings this replica computed, by rotation, with the (rotation version, projection
# epoch) they hold for: a student paging through a city's thousands of rooms ranks them
# once. Any change of a listing, stay or profile moves the epoch (``0005``), a change of
# the rotation its version, and the next request ranks anew. About 100 kB each at most,
# and ~40 kB per page kept.
CACHED_RANKINGS = 128
PAGES_KEPT = 5
_rankings: OrderedDict[uuid.UUID, tuple[tuple[int, int], RoomRanking]] = OrderedDict()


async def rank_rooms_for(db: store.DB, rotation: domain.Row, *, cached: bool = False) -> RoomRanking:
    """The rotation's ranking. ``cached``: reuse this replica's copy while it holds; only
    outside a transaction (an uncommitted rotation version must not be remembered)."""
    key = (rotation["version"], await store.projection_epoch(db)) if cached else None
    held = _rankings.get(rotation["id"]) if cached else None
    if held is not None and held[0] == key:
        _rankings.move_to_end(rotation["id"])
        return held[1]
    hospital = hospitals.lookup(rotation["hospital_id"])
    student_id, start, end = rotation["student_id"], rotation["start_date"], rotation["end_date"]
    rows = await store.listings_near(
        db, hospital.latitude, hospital.longitude, DEFAULT_ROOM_WEIGHTS.max_distance_km, start, end, student_id
    )
    offers = await _offers(db, rotation, rows)
    candidates = list(offers.listings.values())
    with gc_paused():  # thousands of small objects, no cycles: the collector would rescan them
        index, scores = room_scores(domain.rotation_input(rotation, hospital), offers.student, candidates)
    # Best first, ties by listing id (as the engine's rank_rooms).
    order = sorted(zip(scores.tolist(), index.tolist(), strict=True), key=lambda p: (-p[0], candidates[p[1]].id))
    ranking = RoomRanking(tuple(uuid.UUID(candidates[i].id) for _, i in order), tuple(score for score, _ in order))
    if key is not None:
        _rankings[rotation["id"]] = (key, ranking)
        while len(_rankings) > CACHED_RANKINGS:
            _rankings.popitem(last=False)
    return ranking


@dataclass(frozen=True)
class _Offers:
    student: ProfileInput
    listings: dict[str, ListingInput]  # listing id -> what the engine scores
    rows: dict[str, Any]  # listing id -> its projection row
    people: dict[Any, dict[str, Any]]  # user id -> profile fields (hosts and the student)


async def _offers(db: store.DB, rotation: domain.Row, rows: list[asyncpg.Record]) -> _Offers:
    """These listings as the engine reads them: with their stays over the rotation's
    dates and their hosts' profiles (one query each)."""
    student_id, start, end = rotation["student_id"], rotation["start_date"], rotation["end_date"]
    booked: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for stay in await store.booked_stays(db, [r["listing_id"] for r in rows], start, end):
        booked[str(stay["listing_id"])].append((stay["check_in"], stay["check_out"]))
    people = await store.profile_fields(db, list({r["host_id"] for r in rows} | {student_id}))
    with gc_paused():
        listings = {
            str(r["listing_id"]): domain.listing_input(r, people.get(r["host_id"]), booked[str(r["listing_id"])])
            for r in rows
        }
    student = domain.profile_input(student_id, people.get(student_id))
    return _Offers(student, listings, {str(r["listing_id"]): r for r in rows}, people)


async def explain_rooms(db: store.DB, rotation: domain.Row, listing_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """These rooms of a ranking as ``RoomMatch`` replies, with their reasons, in order. A
    room that no longer matches (changed since the ranking) is left out."""
    hospital = hospitals.lookup(rotation["hospital_id"])
    found = await store.listings_by_id(db, list(listing_ids))
    offers = await _offers(db, rotation, [found[i] for i in listing_ids if i in found])
    target = domain.rotation_input(rotation, hospital)
    replies = []
    for listing_id in listing_ids:
        offer = offers.listings.get(str(listing_id))
        match = room_score(target, offers.student, offer) if offer else None
        if match is not None:
            row = offers.rows[match.listing_id]
            replies.append(domain.room_match_fields(match, row, offers.people.get(row["host_id"])))
    return replies


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
