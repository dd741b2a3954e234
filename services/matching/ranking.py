"""A rotation's candidates ranked by the engine: rooms (Postgres prefilters by radius and
dates on the projection, the engine scores) and mentors. Endpoints page through these;
suggestions take the best of them. A ranking is scores only; the rooms or mentors of the
page shown get their reasons (``explain_rooms``, ``explain_mentors``)."""

from __future__ import annotations

import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

import asyncpg
import numpy as np
from numpy.typing import NDArray

from services.matching import domain, store
from services.matching.engine.bulk import gc_paused
from services.matching.engine.mentor_scoring import mentor_score
from services.matching.engine.models import HospitalInput, ListingInput, ProfileInput, RotationInput
from services.matching.engine.relevance import relevant_block
from services.matching.engine.room_columns import score_columns
from services.matching.engine.score_matrix import encode, score_block
from services.matching.engine.scoring import room_score
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS
from services.matching.store import candidates, regions
from shared import hospitals
from shared.errors import AppError
from shared.geo import EARTH_RADIUS_KM

Kind = Literal["rooms", "mentors"]


@dataclass(frozen=True)
class Ranking:
    """A rotation's rooms or mentors, best first: their ids and scores. Pages are slices
    of it; the rooms or mentors of a page get their reasons when it is shown."""

    kind: Kind
    # Arrays, not Python objects: a kept ranking of thousands of rooms is then two buffers
    # the garbage collector never walks (as tuples of UUIDs, every full collection of the
    # service did, and a city's cold ranking took three times as long).
    ids: NDArray[np.uint64]  # n x 2: each id's 16 bytes as two big-endian halves
    scores: NDArray[np.float64]
    # Pages already explained, by (offset, limit): valid as long as the ranking is.
    pages: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict, compare=False, repr=False)
    # This ranking less what its student may not see (``without``), by the ids hidden.
    views: dict[bytes, Ranking] = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.scores)

    def ids_at(self, start: int, stop: int | None = None) -> list[uuid.UUID]:
        return [uuid.UUID(bytes=row.astype(">u8").tobytes()) for row in self.ids[start:stop]]

    def best(self, threshold: float, count: int) -> list[uuid.UUID]:
        return self.ids_at(0, min(count, int(np.count_nonzero(self.scores >= threshold))))

    def without(self, hidden: bytes) -> Ranking:
        """This ranking less these ids (16 bytes each), in the same order: the rooms or
        mentors of users the student blocked or was blocked by. Kept beside the ranking
        (with its own pages) while the same ids are hidden; itself when none is."""
        if not hidden:
            return self
        held = self.views.get(hidden)
        if held is None:
            gone = np.frombuffer(hidden, dtype=">u8").reshape(-1, 2).astype(np.uint64)
            # Rows whose first half is a hidden one's, then the whole id: exact, and no
            # Python object per candidate.
            near = np.flatnonzero(np.isin(self.ids[:, 0], gone[:, 0]))
            exact = {(int(high), int(low)) for high, low in gone}
            keep = np.ones(len(self.scores), bool)
            found = [i for i in near.tolist() if (int(self.ids[i, 0]), int(self.ids[i, 1])) in exact]
            keep[np.array(found, dtype=np.int64)] = False
            held = Ranking(self.kind, self.ids[keep], self.scores[keep])
            if len(self.views) >= VIEWS_KEPT:
                self.views.clear()
            self.views[hidden] = held
        return held

    async def page(self, db: store.DB, rotation: domain.Row, offset: int, limit: int) -> list[dict[str, Any]]:
        """A page of match replies, kept for the next time (a few per ranking)."""
        held = self.pages.get((offset, limit))
        if held is None:
            explain = explain_rooms if self.kind == "rooms" else explain_mentors
            held = await explain(db, rotation, self.ids_at(offset, offset + limit))
            if len(self.pages) < PAGES_KEPT:
                self.pages[(offset, limit)] = held
        return held


# Rankings this replica computed, by rotation, with the key they hold for: a student
# paging through a city's thousands of rooms ranks them once. A room ranking's key is
# (rotation version, the epochs of the regions within its hospital's reach, the
# student's profile version): a change of a listing, stay or host profile there moves a
# region's epoch (``store/regions.py``), and a change in another city leaves it. A
# mentor ranking's is (rotation version, projection epoch): any profile or seat.
# About 100 kB each at most, and ~40 kB per page kept. Blocks are not in the key: the
# rooms or mentors of users the student blocked or was blocked by are read at every
# request, with the key, and filtered out of the kept ranking (``Ranking.without``), so a
# block takes effect at the student's next request and drops no ranking of anyone else.
CACHED_RANKINGS = 128
PAGES_KEPT = 5
VIEWS_KEPT = 2
_rankings: OrderedDict[tuple[Kind, uuid.UUID], tuple[tuple[Any, ...], Ranking]] = OrderedDict()


async def _key(db: store.DB, rotation: domain.Row, kind: Kind) -> tuple[tuple[Any, ...], bytes]:
    """The ranking's key and, read with it, the ids its student may not see."""
    if kind == "mentors":
        epoch, hidden = await store.mentor_ranking_key(db, rotation["student_id"])
        return (rotation["version"], epoch), hidden
    hospital = hospitals.lookup(rotation["hospital_id"])
    cells = regions.cells_within(
        hospital.latitude, hospital.longitude, DEFAULT_ROOM_WEIGHTS.max_distance_km, EARTH_RADIUS_KM
    )
    epochs, profile, hidden = await regions.ranking_key(db, cells, rotation["student_id"])
    return (rotation["version"], epochs, profile), hidden


async def _ranking(
    db: store.DB, rotation: domain.Row, kind: Kind, cached: bool, compute: Callable[[], Awaitable[Ranking]]
) -> Ranking:
    """``compute``'s ranking, or this replica's copy while it holds, less the rooms or
    mentors of users the student blocked or was blocked by (read now, every time).
    ``cached`` only outside a transaction: an uncommitted rotation version must not be
    remembered. The key is read before the ranking is computed: a change committed in
    between leaves a ranking newer than its key, ranked again next time, never an older
    one kept."""
    key, hidden = await _key(db, rotation, kind)
    if not cached:
        return (await compute()).without(hidden)
    slot = (kind, rotation["id"])
    held = _rankings.get(slot)
    if held is not None and held[0] == key:
        _rankings.move_to_end(slot)
        return held[1].without(hidden)
    ranking = await compute()
    _rankings[slot] = (key, ranking)
    while len(_rankings) > CACHED_RANKINGS:
        _rankings.popitem(last=False)
    return ranking.without(hidden)


def _ordered(kind: Kind, ids: Sequence[uuid.UUID], scores: NDArray[np.float64]) -> Ranking:
    """Best first, ties by id (as the engine's rank_rooms and rank_mentors: a UUID's text
    sorts as its bytes do)."""
    halves = np.frombuffer(b"".join(i.bytes for i in ids), dtype=">u8").reshape(-1, 2).astype(np.uint64)
    return _ordered_halves(kind, halves, scores)


def _ordered_halves(kind: Kind, halves: NDArray[np.uint64], scores: NDArray[np.float64]) -> Ranking:
    order = np.lexsort((halves[:, 1], halves[:, 0], -scores))
    return Ranking(kind, halves[order], scores[order])


class RankFor(Protocol):
    async def __call__(self, db: store.DB, rotation: domain.Row, *, cached: bool = False) -> Ranking: ...


async def rank_rooms_for(db: store.DB, rotation: domain.Row, *, cached: bool = False) -> Ranking:
    """Scores by the columnar scorer (``engine/room_columns.py``: ``room_score``'s numbers
    from the candidates' columns, fetched in one round trip)."""

    async def compute() -> Ranking:
        hospital = hospitals.lookup(rotation["hospital_id"])
        student_id, start, end = rotation["student_id"], rotation["start_date"], rotation["end_date"]
        found = await candidates.room_candidates(
            db, hospital.latitude, hospital.longitude, DEFAULT_ROOM_WEIGHTS.max_distance_km, start, end, student_id
        )
        student = domain.profile_input(student_id, found.student)
        target = domain.rotation_input(rotation, hospital)
        index, scores = score_columns(target, student, found.columns, DEFAULT_ROOM_WEIGHTS)
        return _ordered_halves("rooms", found.ids[index], scores)

    return await _ranking(db, rotation, "rooms", cached, compute)


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
class _Mentors:
    rotation: RotationInput
    student: ProfileInput
    profiles: dict[str, dict[str, Any]]  # mentor id -> profile fields
    mentors: list[ProfileInput]
    mentees: dict[str, int]
    hospitals: dict[str, HospitalInput]


async def _mentors(db: store.DB, rotation: domain.Row, mentor_ids: Sequence[uuid.UUID] | None = None) -> _Mentors:
    """Professionals open to mentoring with a seat left (or these of them), as the engine
    reads them, with the hospitals they name."""
    hospital = hospitals.lookup(rotation["hospital_id"])
    student_id = rotation["student_id"]
    rows = await store.open_mentors(db, student_id, mentor_ids)
    profiles = {str(r["user_id"]): dict(r) for r in rows}
    student = (await store.profile_fields(db, [student_id])).get(student_id)
    with gc_paused():
        mentors = [domain.profile_input(uuid.UUID(i), data) for i, data in profiles.items()]
    return _Mentors(
        domain.rotation_input(rotation, hospital),
        domain.profile_input(student_id, student),
        profiles,
        mentors,
        {str(r["user_id"]): r["mentees"] for r in rows},
        affiliated_hospitals(list(profiles.values())),
    )


async def rank_mentors_for(db: store.DB, rotation: domain.Row, *, cached: bool = False) -> Ranking:
    """Scores by the engine's vectorised mentor score (``score_matrix``: the scalar
    score's numbers, for every mentor at once)."""

    async def compute() -> Ranking:
        found = await _mentors(db, rotation)
        if not found.mentors:
            return _ordered("mentors", [], np.empty(0))
        places = {**found.hospitals, found.rotation.hospital.id: found.rotation.hospital}
        with gc_paused():
            students, mentors = encode([(found.rotation, found.student)], found.mentors, places)
        rows, cols = np.zeros(1, np.int64), np.arange(len(found.mentors))
        scores = score_block(students, mentors, rows, cols)[0]
        # Only mentors with something to do with the rotation (engine/relevance.py).
        keep = relevant_block(students, mentors, rows, cols)[0]
        ids = [uuid.UUID(m.id) for m, kept in zip(found.mentors, keep, strict=True) if kept]
        return _ordered("mentors", ids, scores[keep])

    return await _ranking(db, rotation, "mentors", cached, compute)


async def explain_mentors(db: store.DB, rotation: domain.Row, mentor_ids: Sequence[uuid.UUID]) -> list[dict[str, Any]]:
    """These mentors of a ranking as ``MentorMatch`` replies, with their reasons, in order;
    one who can no longer mentor (no seat left) is left out."""
    found = await _mentors(db, rotation, mentor_ids)
    by_id = {m.id: m for m in found.mentors}
    replies = []
    for mentor_id in map(str, mentor_ids):
        mentor = by_id.get(mentor_id)
        match = (
            mentor_score(
                found.rotation,
                found.student,
                mentor,
                hospitals=found.hospitals,
                mentees=found.mentees.get(mentor_id, 0),
            )
            if mentor
            else None
        )
        if match is not None:
            replies.append(domain.mentor_match_fields(match, found.profiles[mentor_id]))
    return replies
