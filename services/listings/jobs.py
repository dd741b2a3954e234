"""Background loops of listings: expire unanswered requests, complete ended stays."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from services.listings import domain, store
from services.listings.views import booking_data
from shared.aio import stop_if_cancelled
from shared.outbox import add
from shared.service import Context, Registry

log = logging.getLogger(__name__)

registry = Registry()


async def sweep_bookings(pool: asyncpg.Pool) -> int:
    """Expire unanswered requests and complete ended stays; return how many changed."""
    async with pool.acquire() as conn, conn.transaction():
        expired, ended = await store.due_bookings(conn)
        for rows, transition in ((expired, domain.EXPIRE), (ended, domain.COMPLETE)):
            for row in rows:
                updated = await store.set_booking_status(conn, row["id"], transition.status)
                await add(conn, transition.event(booking_data(updated)))
    return len(expired) + len(ended)


@registry.background
async def expiry_loop(ctx: Context) -> None:
    while True:
        stop_if_cancelled()
        try:
            await sweep_bookings(ctx.pool)
        except Exception:
            log.exception("booking sweep failed")
        await asyncio.sleep(ctx.settings.expiry_sweep_s)
