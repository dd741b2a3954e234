"""Endpoints for a rotation's matches: rooms near its hospital, and mentors, ranked by the
engine's scores with their reasons (``ranking.py``); pages are slices of the ranking."""

from __future__ import annotations

from typing import Any

from services.matching import domain, store
from services.matching.ranking import RankFor, rank_mentors_for, rank_rooms_for
from shared import subjects
from shared.contracts.matching import MatchesRequest, MentorMatchPage, RoomMatchPage
from shared.paging import decode_offset, encode_cursor
from shared.service import Context, Registry

registry = Registry()


async def _page(ctx: Context, req: MatchesRequest, rank: RankFor) -> dict[str, Any]:
    """A page of the caller's rotation's ranking (``rank``), as a page reply's fields."""
    actor = ctx.require_actor()
    offset = decode_offset(req.cursor) if req.cursor else 0
    rotation = domain.owned(await store.rotation(ctx.pool, req.rotation_id), actor.user_id)
    ranking = await rank(ctx.pool, rotation, cached=True)
    items = await ranking.page(ctx.pool, rotation, offset, req.limit)
    more = len(ranking) > offset + req.limit
    return {"items": items, "next_cursor": encode_cursor(offset + req.limit) if more else None}


@registry.endpoint(subjects.ROOM_MATCHES, MatchesRequest)
async def room_matches(ctx: Context, req: MatchesRequest) -> RoomMatchPage:
    return RoomMatchPage.model_validate(await _page(ctx, req, rank_rooms_for))


@registry.endpoint(subjects.MENTOR_MATCHES, MatchesRequest)
async def mentor_matches(ctx: Context, req: MatchesRequest) -> MentorMatchPage:
    return MentorMatchPage.model_validate(await _page(ctx, req, rank_mentors_for))
