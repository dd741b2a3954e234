"""Endpoints for a rotation's matches: rooms near its hospital, and mentors, ranked by the
engine's scores with their reasons. Postgres prefilters (radius on the indexed position,
the dates' window); the engine scores; pages are slices of the ranking."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from services.matching import domain, store
from services.matching.app import app
from services.matching.engine.mentor_scoring import rank_mentors
from services.matching.engine.scoring import rank_rooms
from services.matching.engine.weights import DEFAULT_ROOM_WEIGHTS
from services.matching.handlers.rotations import owned_rotation
from shared import hospitals, subjects
from shared.contracts.matching import MatchesRequest, MentorMatchPage, RoomMatchPage
from shared.errors import AppError
from shared.paging import decode_offset, encode_cursor
from shared.service import Context


@app.endpoint(subjects.ROOM_MATCHES, MatchesRequest)
async def room_matches(ctx: Context, req: MatchesRequest) -> RoomMatchPage:
    actor = ctx.require_actor()
    offset = decode_offset(req.cursor) if req.cursor else 0
    rotation = await owned_rotation(ctx.pool, actor.user_id, req.rotation_id)
    hospital = hospitals.lookup(rotation["hospital_id"])
    start, end = rotation["start_date"], rotation["end_date"]
    rows = await store.listings_near(
        ctx.pool,
        hospital.latitude,
        hospital.longitude,
        DEFAULT_ROOM_WEIGHTS.max_distance_km,
        start,
        end,
        actor.user_id,
    )
    booked: dict[str, list[tuple[date, date]]] = defaultdict(list)
    for stay in await store.booked_stays(ctx.pool, [r["listing_id"] for r in rows], start, end):
        booked[str(stay["listing_id"])].append((stay["check_in"], stay["check_out"]))
    people = await store.profiles(ctx.pool, list({r["host_id"] for r in rows} | {actor.user_id}))
    by_id = {str(r["listing_id"]): r for r in rows}
    ranked = rank_rooms(
        domain.rotation_input(rotation, hospital),
        domain.profile_input(actor.user_id, people.get(actor.user_id)),
        (domain.listing_input(r, people.get(r["host_id"]), booked[str(r["listing_id"])]) for r in rows),
    )
    page = ranked[offset : offset + req.limit]
    items = [domain.room_match_fields(m, by_id[m.listing_id], people.get(by_id[m.listing_id]["host_id"])) for m in page]
    more = len(ranked) > offset + req.limit
    return RoomMatchPage.model_validate(
        {"items": items, "next_cursor": encode_cursor(offset + req.limit) if more else None}
    )


@app.endpoint(subjects.MENTOR_MATCHES, MatchesRequest)
async def mentor_matches(ctx: Context, req: MatchesRequest) -> MentorMatchPage:
    actor = ctx.require_actor()
    offset = decode_offset(req.cursor) if req.cursor else 0
    rotation = await owned_rotation(ctx.pool, actor.user_id, req.rotation_id)
    hospital = hospitals.lookup(rotation["hospital_id"])
    rows = await store.open_mentors(ctx.pool, actor.user_id)
    student = await store.profile(ctx.pool, actor.user_id)
    # The mentors' affiliated hospitals, for "works at X, 2.1 km from your hospital".
    known = {hid for r in rows for hid in (r["data"].get("hospital_ids") or [])}
    affiliated = {}
    for hid in known:
        try:
            affiliated[hid] = domain.hospital_input(hospitals.lookup(hid))
        except AppError:
            continue  # an id the directory no longer has: no distance for it
    ranked = rank_mentors(
        domain.rotation_input(rotation, hospital),
        domain.profile_input(actor.user_id, student),
        [domain.profile_input(r["user_id"], r["data"]) for r in rows],
        hospitals=affiliated,
        mentee_counts={str(r["user_id"]): r["mentees"] for r in rows},
    )
    data = {str(r["user_id"]): r["data"] for r in rows}
    page = ranked[offset : offset + req.limit]
    more = len(ranked) > offset + req.limit
    return MentorMatchPage.model_validate(
        {
            "items": [domain.mentor_match_fields(m, data[m.mentor_id]) for m in page],
            "next_cursor": encode_cursor(offset + req.limit) if more else None,
        }
    )
