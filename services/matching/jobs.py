"""Background loops of matching: the reminder sweep of mentoring plans and letters.

Each pass reads the time through ``shared.clock`` (so tests move it by a setting) and
claims every notice by key in ``notices_sent`` in the transaction that writes its event,
so a pass that runs twice, or on two replicas at once, sends each notice once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime

import asyncpg

from services.matching import plan_reads, plan_store, plans
from services.matching.app import app
from shared import clock, timezones
from shared.aio import stop_if_cancelled
from shared.service import Context
from shared.settings import Settings

log = logging.getLogger(__name__)

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
            where = row["place"] or row["video_url"] or "the place you agreed"
            for user_id in (row["student_id"], row["mentor_id"]):
                zone, _ = await plan_reads.time_zone(conn, user_id)
                text = f"Mentoring meeting {timezones.local(row['starts_at'], zone)}, {where}"
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


async def sweep(pool: asyncpg.Pool, settings: Settings) -> int:
    """One pass of every reminder rule at the settings' clock; how many notices went out."""
    now = clock.now(settings)
    return await remind_meetings(pool, now) + await prompt_check_ins(pool, now)


@app.background
async def reminder_loop(ctx: Context) -> None:
    while True:
        stop_if_cancelled()
        try:
            await sweep(ctx.pool, ctx.settings)
        except Exception:
            log.exception("reminder sweep failed")
        await asyncio.sleep(ctx.settings.reminder_sweep_s)
