"""Endpoints for cohort match rounds (operators); ``jobs.py`` runs the rounds.

``POST /admin/match-rounds`` checks the request and queues the round (202); a round
worker (one per replica) claims it, runs it off the event loop and beats its progress
into the row; ``GET`` shows status, progress and, once done, the report and chart.
Accepting a done round turns its matches into mentorship requests, with their events.
"""

from __future__ import annotations

import logging
import uuid

from services.matching import domain, jobs, views
from services.matching.store import rounds as round_store
from shared import blocks, subjects
from shared.contracts.matching import (
    MatchRound,
    MatchRoundCreate,
    MatchRoundId,
    MatchRoundList,
    MatchRoundPage,
    MentorshipRequested,
    RoundAssignment,
    RoundAssignmentPage,
    RoundAssignments,
)
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_key, decode_newest_first, next_page, row_id
from shared.service import Context, Registry

registry = Registry()

log = logging.getLogger(__name__)

ROUND_NOT_FOUND = AppError("not_found", "match round not found")
# The request's words, shown as the student's: Wardmate's pairing, said as Wardmate's (it read
# as the student's own "I would be glad to have you as my mentor", which they never wrote).
ROUND_MESSAGE = "Sent by Wardmate's cohort match, which paired this student with you for their rotation."


def _bad(field: str, message: str) -> AppError:
    return AppError("validation", message, [{"field": field, "message": message}])


async def _check_explicit(ctx: Context, req: MatchRoundCreate) -> None:
    assert req.rotation_ids is not None and req.mentor_ids is not None
    for name, ids in (("rotation_ids", req.rotation_ids), ("mentor_ids", req.mentor_ids)):
        if len(set(ids)) != len(ids):
            raise _bad(name, f"{name} lists an id more than once")
    found = {r["id"] for r in await round_store.rotations_by_id(ctx.pool, req.rotation_ids)}
    if missing := [str(r) for r in req.rotation_ids if r not in found]:
        raise _bad("rotation_ids", f"no rotation with id {', '.join(missing[:5])}")
    professionals = await round_store.professionals(ctx.pool, req.mentor_ids)
    if missing := [str(m) for m in req.mentor_ids if m not in professionals]:
        raise _bad("mentor_ids", f"no professional with id {', '.join(missing[:5])}")
    if req.preferences is not None:
        rotations, mentors = set(req.rotation_ids), set(req.mentor_ids)
        sides = (
            ("students", req.preferences.students, rotations, "mentor", mentors),
            ("mentors", req.preferences.mentors, mentors, "rotation", rotations),
        )
        for side, lists, owners, other, targets in sides:
            if set(lists) != owners:
                raise _bad(f"preferences.{side}", f"preferences.{side} needs one list for each of the round's {side}")
            for owner, ranked in lists.items():
                if len(set(ranked)) != len(ranked) or not set(ranked) <= targets:
                    raise _bad(
                        f"preferences.{side}", f"the list of {owner} must name each {other} of the round at most once"
                    )


@registry.endpoint(subjects.CREATE_MATCH_ROUND, MatchRoundCreate, roles=("admin",))
async def create_round(ctx: Context, req: MatchRoundCreate) -> MatchRound:
    actor = ctx.require_actor()
    kind = "round"
    named_after = None  # a scramble is named after the round it scrambles
    if req.rotation_ids is not None:
        await _check_explicit(ctx, req)
    elif req.selection is not None:
        domain.check_hospital(req.selection.hospital_id)
    elif req.scramble_of is not None:
        parent = await round_store.get_round(ctx.pool, req.scramble_of)
        if parent is None:
            raise ROUND_NOT_FOUND
        if parent["status"] not in ("done", "accepted"):
            raise AppError("conflict", f"the round to scramble is {parent['status']}: only a finished round can be")
        kind = "scramble"
        named_after = views.round_title(parent)
    request = req.model_dump(mode="json", exclude_none=True)
    if named_after:
        request["parent_title"] = named_after
    async with ctx.pool.acquire() as conn:
        row = await round_store.insert_round(
            conn, uuid.uuid4(), actor.user_id, kind, req.scramble_of, req.proposing, request
        )
    jobs.wake_round_worker()
    return views.to_round(row)


@registry.endpoint(subjects.LIST_MATCH_ROUNDS, MatchRoundList, roles=("admin",))
async def list_rounds(ctx: Context, req: MatchRoundList) -> MatchRoundPage:
    rows = await round_store.list_rounds(ctx.pool, decode_newest_first(req.cursor), req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    items = [views.to_round(row) for row in page]
    return MatchRoundPage(items=items, next_cursor=nxt)


@registry.endpoint(subjects.GET_MATCH_ROUND, MatchRoundId, roles=("admin",))
async def get_round(ctx: Context, req: MatchRoundId) -> MatchRound:
    row = await round_store.get_round(ctx.pool, req.round_id)
    if row is None:
        raise ROUND_NOT_FOUND
    return views.to_round(row)


@registry.endpoint(subjects.ROUND_ASSIGNMENTS, RoundAssignments, roles=("admin",))
async def round_assignments(ctx: Context, req: RoundAssignments) -> RoundAssignmentPage:
    if await round_store.get_round(ctx.pool, req.round_id) is None:
        raise ROUND_NOT_FOUND
    after = decode_key(req.cursor, row_id)[0] if req.cursor else None
    rows = await round_store.assignments(ctx.pool, req.round_id, after, req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda row: (str(row["rotation_id"]),))
    items = [
        RoundAssignment.model_validate({k: row[k] for k in ("rotation_id", "student_id", "mentor_id", "rank")})
        for row in page
    ]
    return RoundAssignmentPage(items=items, next_cursor=nxt)


@registry.endpoint(subjects.ACCEPT_MATCH_ROUND, MatchRoundId, roles=("admin",))
async def accept_round(ctx: Context, req: MatchRoundId) -> MatchRound:
    """Each match of a done round becomes a mentorship request (student to mentor, about
    the rotation), unless the pair already has an open one, the mentor stopped mentoring
    or one of the two blocked the other since the round ran (a request between them would
    be refused); the mentors then accept or decline as usual."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await round_store.get_round(conn, req.round_id, for_update=True)
        if row is None:
            raise ROUND_NOT_FOUND
        if row["status"] != "done":
            raise AppError("conflict", f"the round is {row['status']}: only a done round can be accepted")
        matches = [a for a in await round_store.assignments(conn, req.round_id) if a["mentor_id"] is not None]
        mentors = await round_store.professionals(conn, list({a["mentor_id"] for a in matches}))
        apart = await blocks.pairs_among(conn, list({a["student_id"] for a in matches}), list(mentors))
        made = 0
        # Why a match made no request, said to the operator ("0 requests made" alone
        # read as a failure when both pairs already had one).
        skipped = {"already_requested": 0, "not_mentoring": 0, "blocked": 0}
        for a in matches:
            if not (mentors.get(a["mentor_id"]) or {}).get("open_to_mentoring"):
                skipped["not_mentoring"] += 1
                continue
            if (a["student_id"], a["mentor_id"]) in apart:
                skipped["blocked"] += 1
                continue
            created = await round_store.request_mentorship(
                conn, a["student_id"], a["mentor_id"], a["rotation_id"], ROUND_MESSAGE
            )
            if created is not None:
                await add(conn, MentorshipRequested(mentorship=views.mentorship_data(created)))
                made += 1
            else:
                skipped["already_requested"] += 1
        row = await round_store.mark_accepted(conn, req.round_id, made, skipped)
    return views.to_round(row)
