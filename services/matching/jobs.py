"""Background loops of matching: the cohort match round worker, and the reminder sweep of
mentoring plans and letters.

A round worker (one per replica) claims a queued round (or one whose worker went silent),
resolves its members, runs the engine off the event loop and beats its progress into the
row twice a second; only the holder of the claim can store the result.

Each reminder pass reads the time through ``shared.clock`` (so tests move it by a
setting) and claims every notice by key in the transaction that writes its event, so a
pass that runs twice, or on two replicas at once, sends each notice once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg

from services.matching import domain, plan_reads, store
from services.matching.domain import letters, plans
from services.matching.domain import rounds as round_domain
from services.matching.ranking import affiliated_hospitals
from services.matching.store import letters as letter_store
from services.matching.store import plans as plan_store
from services.matching.store import rounds as round_store
from services.matching.views import letters as letter_views
from shared import blocks, clock, hospitals, timezones
from shared.aio import stop_if_cancelled
from shared.service import Context, Registry
from shared.settings import Settings

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
    student_ids = list({r["student_id"] for r in rotations})
    students = await store.profile_fields(db, student_ids)
    places = affiliated_hospitals(list(mentors.values()))
    for r in rotations:
        places.setdefault(r["hospital_id"], domain.hospital_input(hospitals.lookup(r["hospital_id"])))
    of_student: dict[uuid.UUID, list[str]] = defaultdict(list)
    for r in rotations:
        of_student[r["student_id"]].append(str(r["id"]))
    blocked = await blocks.pairs_among(db, student_ids, list(mentors))
    apart = frozenset((rotation, str(mentor)) for student, mentor in blocked for rotation in of_student[student])
    return round_domain.Members(rotations, mentors, students, dict(taken), places, apart)


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


# --- reminders of mentoring plans and letters ------------------------------------------

NOTICE_NAMESPACE = uuid.UUID("5b0c7a52-6d0e-4a55-9a3e-2f4c1f1e9d10")


def notice_event_id(key: str) -> uuid.UUID:
    """One event id per notice key: the broker and the inbox drop a second copy too."""
    return uuid.uuid5(NOTICE_NAMESPACE, key)


async def remind_meetings(pool: asyncpg.Pool, now: datetime) -> int:
    """Both people hear of a scheduled meeting in the day before it."""
    sent = 0
    rows = await plan_store.meetings_to_remind(pool, now, plans.REMIND_BEFORE.total_seconds())
    for row in rows:
        async with pool.acquire() as conn, conn.transaction():
            if not await plan_store.mark_reminded(conn, row["id"], row["starts_at"], now):
                continue
            pair = (row["student_id"], row["mentor_id"])
            names = await store.profile_fields(conn, list(pair))
            for user_id, other_id in (pair, pair[::-1]):
                zone, _ = await plan_reads.time_zone(conn, user_id)
                text = plans.reminder_text(
                    timezones.local(row["starts_at"], zone),
                    (names.get(other_id) or {}).get("display_name"),
                    row["place"],
                    row["video_url"],
                )
                key = f"meeting:{row['id']}:{row['starts_at'].isoformat()}:{user_id}"
                notice = plans.Notice(user_id, "meeting_reminder", text)
                await plan_reads.send_notice(
                    conn, notice, mentorship_id=row["mentorship_id"], event_id=notice_event_id(key)
                )
                sent += 1
    return sent


async def prompt_check_ins(pool: asyncpg.Pool, now: datetime) -> int:
    """Each side is asked the mid- and end-of-rotation check-in once, when it is due."""
    sent = 0
    today = now.date()
    for row in await plan_store.running_pairs(pool, today):
        for stage in plans.check_ins_due(row["start_date"], row["end_date"], today):
            for user_id in (row["student_id"], row["mentor_id"]):
                key = f"check-in:{row['id']}:{user_id}:{stage}"
                async with pool.acquire() as conn, conn.transaction():
                    if await plan_store.answered(conn, row["id"], user_id, stage):
                        continue
                    if not await plan_store.claim_notice(conn, key):
                        continue
                    word = "mid-rotation" if stage == "mid" else "end-of-rotation"
                    text = f"Time for the {word} check-in: how useful is your mentorship, and one thing to change"
                    notice = plans.Notice(user_id, "check_in_due", text)
                    await plan_reads.send_notice(conn, notice, mentorship_id=row["id"], event_id=notice_event_id(key))
                    sent += 1
    return sent


async def _open_letters(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Record]:
    """Every open letter request, a page at a time."""
    after = None
    while page := await letter_store.open_letters(pool, after):
        for row in page:
            yield row
        after = (page[-1]["deadline"], page[-1]["id"])


async def sweep_letters(pool: asyncpg.Pool, now: datetime) -> int:
    """Expire open letter requests past their deadline; remind the writer 14, 7 and 2 days
    before it and the student after 7 days without an answer."""
    sent = 0
    async for row in _open_letters(pool):
        expire, notices = letters.due_notices(letter_views.letter_view(row), now)
        if not notices:
            continue
        async with pool.acquire() as conn, conn.transaction():
            if expire:
                current = await letter_store.letter(conn, row["id"], for_update=True)
                if current is None or current["status"] not in letters.OPEN:
                    continue  # answered meanwhile
                await letter_store.set_status(conn, row["id"], "expired", now)
            for notice in notices:
                assert notice.key is not None
                if await plan_store.claim_notice(conn, notice.key):
                    event_id = notice_event_id(notice.key)
                    await plan_reads.send_notice(conn, notice, letter_id=row["id"], event_id=event_id)
                    sent += 1
    return sent


async def sweep(pool: asyncpg.Pool, settings: Settings) -> int:
    """One pass of every reminder rule at the settings' clock; how many notices went out."""
    now = clock.now(settings)
    return await remind_meetings(pool, now) + await prompt_check_ins(pool, now) + await sweep_letters(pool, now)


@registry.background
async def reminder_loop(ctx: Context) -> None:
    while True:
        stop_if_cancelled()
        try:
            await sweep(ctx.pool, ctx.settings)
        except Exception:
            log.exception("reminder sweep failed")
        await asyncio.sleep(ctx.settings.reminder_sweep_s)
