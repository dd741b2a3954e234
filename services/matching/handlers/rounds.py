"""Endpoints for cohort match rounds (operators), and the worker that runs them.

``POST /admin/match-rounds`` checks the request and queues the round (202); a round
worker (one per replica) claims it, runs it off the event loop and beats its progress
into the row; ``GET`` shows status, progress and, once done, the report and chart.
Accepting a done round turns its matches into mentorship requests, with their events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import asyncpg

from services.matching import domain, round_store, rounds
from services.matching.app import app
from services.matching.handlers.mentorships import mentorship_data
from services.matching.handlers.rotations import check_hospital
from shared import subjects
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
from shared.paging import INVALID_CURSOR, decode_cursor, decode_newest_first, encode_cursor
from shared.service import Context

log = logging.getLogger(__name__)

ROUND_NOT_FOUND = AppError("not_found", "match round not found")
ROUND_MESSAGE = "Wardmate's cohort match paired us for this rotation. I would be glad to have you as my mentor."
# Wakes this replica's worker at once when a round is queued here (others poll).
_queued = asyncio.Event()
POLL_S = 1.0
BEAT_S = 0.5


def to_round(row: asyncpg.Record) -> MatchRound:
    report: dict[str, Any] = row["report"] or {}
    return MatchRound.model_validate(
        {
            **{k: row[k] for k in ("id", "status", "kind", "scramble_of", "proposing", "progress", "chart_svg")},
            **{k: row[k] for k in ("error", "requests_made", "created_at", "finished_at", "accepted_at")},
            **{k: report.get(k) for k in ("students", "mentors", "seats", "matched", "unmatched", "unfilled_seats")},
            "rank_distribution": report.get("choice_counts"),
            "blocking_pairs": report.get("blocking_pairs"),
        }
    )


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


@app.endpoint(subjects.CREATE_MATCH_ROUND, MatchRoundCreate)
async def create_round(ctx: Context, req: MatchRoundCreate) -> MatchRound:
    actor = ctx.require_role("admin")
    kind = "round"
    if req.rotation_ids is not None:
        await _check_explicit(ctx, req)
    elif req.selection is not None:
        check_hospital(req.selection.hospital_id)
    elif req.scramble_of is not None:
        parent = await round_store.get_round(ctx.pool, req.scramble_of)
        if parent is None:
            raise ROUND_NOT_FOUND
        if parent["status"] not in ("done", "accepted"):
            raise AppError("conflict", f"the round to scramble is {parent['status']}: only a finished round can be")
        kind = "scramble"
    request = req.model_dump(mode="json", exclude_none=True)
    async with ctx.pool.acquire() as conn:
        row = await round_store.insert_round(
            conn, uuid.uuid4(), actor.user_id, kind, req.scramble_of, req.proposing, request
        )
    _queued.set()
    return to_round(row)


@app.endpoint(subjects.LIST_MATCH_ROUNDS, MatchRoundList)
async def list_rounds(ctx: Context, req: MatchRoundList) -> MatchRoundPage:
    ctx.require_role("admin")
    rows = await round_store.list_rounds(ctx.pool, decode_newest_first(req.cursor), req.limit + 1)
    items = [to_round(r) for r in rows[: req.limit]]
    nxt = encode_cursor(items[-1].created_at.isoformat(), items[-1].id) if len(rows) > req.limit else None
    return MatchRoundPage(items=items, next_cursor=nxt)


@app.endpoint(subjects.GET_MATCH_ROUND, MatchRoundId)
async def get_round(ctx: Context, req: MatchRoundId) -> MatchRound:
    ctx.require_role("admin")
    row = await round_store.get_round(ctx.pool, req.round_id)
    if row is None:
        raise ROUND_NOT_FOUND
    return to_round(row)


@app.endpoint(subjects.ROUND_ASSIGNMENTS, RoundAssignments)
async def round_assignments(ctx: Context, req: RoundAssignments) -> RoundAssignmentPage:
    ctx.require_role("admin")
    if await round_store.get_round(ctx.pool, req.round_id) is None:
        raise ROUND_NOT_FOUND
    after = None
    if req.cursor:
        try:
            after = uuid.UUID(str(decode_cursor(req.cursor, 1)[0]))
        except ValueError:
            raise INVALID_CURSOR from None
    rows = await round_store.assignments(ctx.pool, req.round_id, after, req.limit + 1)
    items = [
        RoundAssignment.model_validate({k: r[k] for k in ("rotation_id", "student_id", "mentor_id", "rank")})
        for r in rows[: req.limit]
    ]
    nxt = encode_cursor(str(items[-1].rotation_id)) if len(rows) > req.limit else None
    return RoundAssignmentPage(items=items, next_cursor=nxt)


@app.endpoint(subjects.ACCEPT_MATCH_ROUND, MatchRoundId)
async def accept_round(ctx: Context, req: MatchRoundId) -> MatchRound:
    """Each match of a done round becomes a mentorship request (student to mentor, about
    the rotation), unless the pair already has an open one or the mentor stopped
    mentoring; the mentors then accept or decline as usual."""
    ctx.require_role("admin")
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await round_store.get_round(conn, req.round_id, for_update=True)
        if row is None:
            raise ROUND_NOT_FOUND
        if row["status"] != "done":
            raise AppError("conflict", f"the round is {row['status']}: only a done round can be accepted")
        matches = [a for a in await round_store.assignments(conn, req.round_id) if a["mentor_id"] is not None]
        mentors = await round_store.professionals(conn, list({a["mentor_id"] for a in matches}))
        made = 0
        for a in matches:
            if not (mentors.get(a["mentor_id"]) or {}).get("open_to_mentoring"):
                continue
            created = await round_store.request_mentorship(
                conn, a["student_id"], a["mentor_id"], a["rotation_id"], ROUND_MESSAGE
            )
            if created is not None:
                await add(conn, MentorshipRequested(mentorship=mentorship_data(created)))
                made += 1
        row = await round_store.mark_accepted(conn, req.round_id, made)
    return to_round(row)


# --- the worker -----------------------------------------------------------------------


async def _heartbeat(ctx: Context, row: domain.Row, worker: uuid.UUID, progress: rounds.Progress) -> None:
    while True:
        await round_store.beat(ctx.pool, row["id"], worker, progress.snapshot())
        await asyncio.sleep(BEAT_S)


async def run_round(ctx: Context, row: domain.Row, worker: uuid.UUID) -> None:
    progress = rounds.Progress()
    beat = asyncio.create_task(_heartbeat(ctx, row, worker, progress))
    try:
        members = await rounds.resolve(ctx.pool, row)
        cohort, result = await asyncio.to_thread(rounds.compute, members, row["request"], row["proposing"], progress)
        places = rounds.ranks(cohort, result)
        students = {str(r["id"]): r["student_id"] for r in members.rotations}
        assignments = [
            (uuid.UUID(sid), students[sid], uuid.UUID(mid) if mid else None, places.get(sid))
            for sid, mid in result.assignment.items()
        ]
        chart = rounds.rank_chart_svg(result.report["choice_counts"], result.report["unmatched"])
        beat.cancel()
        members_json = {"rotation_ids": list(cohort.student_ids), "mentor_ids": [str(m) for m in members.mentors]}
        async with ctx.pool.acquire() as conn, conn.transaction():
            await round_store.finish(conn, row["id"], worker, members_json, result.report, chart, assignments)
    except rounds.RoundError as exc:
        await round_store.fail(ctx.pool, row["id"], worker, str(exc))
    except Exception:
        log.exception("match round failed", extra={"fields": {"round_id": str(row["id"])}})
        await round_store.fail(ctx.pool, row["id"], worker, "the round failed on an internal error; see the logs")
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat


@app.background
async def round_worker(ctx: Context) -> None:
    """Claim queued rounds (or ones whose worker went silent) and run them, one at a time."""
    worker = uuid.uuid4()
    while True:
        try:
            row = await round_store.claim(ctx.pool, worker)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("match round worker: %s", exc)
            row = None
        if row is not None:
            await run_round(ctx, row, worker)
            continue
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(POLL_S):
                await _queued.wait()
        _queued.clear()
