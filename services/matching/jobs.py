"""Background loops of matching: the cohort match round worker.

A round worker (one per replica) claims a queued round (or one whose worker went silent),
resolves its members, runs the engine off the event loop and beats its progress into the
row twice a second; only the holder of the claim can store the result.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter

import asyncpg

from services.matching import domain, round_domain, round_store, store
from services.matching.ranking import affiliated_hospitals
from shared import hospitals
from shared.service import Context, Registry

log = logging.getLogger(__name__)

registry = Registry()

# Wakes this replica's worker at once when a round is queued here (others poll).
_queued = asyncio.Event()
POLL_S = 1.0
BEAT_S = 0.5


def wake_round_worker() -> None:
    """A round was queued by this replica: its worker need not wait for the next poll."""
    _queued.set()


async def resolve(db: store.DB, row: domain.Row) -> round_domain.Members:
    """The rotations and mentors of a round, from what it asked for."""
    request = row["request"]
    taken: Counter[str] = Counter()
    if row["kind"] == "scramble":
        parent = await round_store.get_round(db, row["scramble_of"])
        if parent is None or parent["members"] is None:
            raise round_domain.RoundError("the round to scramble has no result")
        left = await round_store.assignments(db, parent["id"])
        rotation_ids = [a["rotation_id"] for a in left if a["mentor_id"] is None]
        mentor_ids = [uuid.UUID(m) for m in parent["members"]["mentor_ids"]]
        # The first round's matches hold their seats (those already accepted count below,
        # as mentees, once only).
        taken.update(await round_store.seats_held(db, parent["id"]))
        rotations = await round_store.rotations_by_id(db, rotation_ids)
        mentors = await round_store.professionals(db, mentor_ids)
    elif request.get("selection"):
        selection = request["selection"]
        first, stop = round_domain.month_range(selection["month"])
        rotations = await round_store.rotations_starting(db, selection["hospital_id"], first, stop)
        candidates = await round_store.mentors_open(db)
        chosen = round_domain.mentors_near(candidates, selection["hospital_id"], selection["radius_km"])
        mentors = {m: candidates[m] for m in chosen}
    else:
        rotations = await round_store.rotations_by_id(db, [uuid.UUID(r) for r in request["rotation_ids"]])
        mentors = await round_store.professionals(db, [uuid.UUID(m) for m in request["mentor_ids"]])
    if not rotations:
        raise round_domain.RoundError("no rotations to match: none fits the round's request")
    if not mentors:
        raise round_domain.RoundError("no mentors to match: none fits the round's request")
    taken.update(await round_store.accepted_counts(db, list(mentors)))
    students = await store.profile_fields(db, list({r["student_id"] for r in rotations}))
    places = affiliated_hospitals(list(mentors.values()))
    for r in rotations:
        places.setdefault(r["hospital_id"], domain.hospital_input(hospitals.lookup(r["hospital_id"])))
    return round_domain.Members(rotations, mentors, students, dict(taken), places)


async def _heartbeat(ctx: Context, row: domain.Row, worker: uuid.UUID, progress: round_domain.Progress) -> None:
    while True:
        await round_store.beat(ctx.pool, row["id"], worker, progress.snapshot())
        await asyncio.sleep(BEAT_S)


async def run_round(ctx: Context, row: domain.Row, worker: uuid.UUID) -> None:
    progress = round_domain.Progress()
    beat = asyncio.create_task(_heartbeat(ctx, row, worker, progress))
    try:
        members = await resolve(ctx.pool, row)
        cohort, result = await asyncio.to_thread(
            round_domain.compute, members, row["request"], row["proposing"], progress
        )
        places = round_domain.ranks(cohort, result)
        students = {str(r["id"]): r["student_id"] for r in members.rotations}
        assignments = [
            (uuid.UUID(sid), students[sid], uuid.UUID(mid) if mid else None, places.get(sid))
            for sid, mid in result.assignment.items()
        ]
        chart = round_domain.rank_chart_svg(result.report["choice_counts"], result.report["unmatched"])
        beat.cancel()
        members_json = {"rotation_ids": list(cohort.student_ids), "mentor_ids": [str(m) for m in members.mentors]}
        async with ctx.pool.acquire() as conn, conn.transaction():
            await round_store.finish(conn, row["id"], worker, members_json, result.report, chart, assignments)
    except round_domain.RoundError as exc:
        await round_store.fail(ctx.pool, row["id"], worker, str(exc))
    except Exception:
        log.exception("match round failed", extra={"fields": {"round_id": str(row["id"])}})
        await round_store.fail(ctx.pool, row["id"], worker, "the round failed on an internal error; see the logs")
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat


@registry.background
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
