"""Endpoints for the nights a host blocks in a room: block, list, unblock.

Only the room's host sees that these act on anything: anyone else, on any listing, gets
404. Blocking takes the listing's row lock, which a booking request, accepting a stay and
moving one take too: a block and an acceptance of the same nights at once never both win.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.listings import domain, store
from services.listings.store import blocked_dates as block_store
from services.listings.store import bookings as booking_store
from services.listings.views import booking_data, listing_data, listing_zone, to_blocked
from shared import clock, stays, subjects
from shared.contracts.base import Actor, Ok
from shared.contracts.listings import (
    BlockedDates,
    BlockedDatesCreate,
    BlockedDatesId,
    BlockedDatesList,
    BlockedDatesPage,
)
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.paging import day, decode_key, next_page, row_id
from shared.service import Context, Registry

registry = Registry()

BLOCK_NOT_FOUND = AppError("not_found", "blocked dates not found")


async def _host_listing(conn: Connection, actor: Actor, listing_id: uuid.UUID) -> asyncpg.Record:
    """The caller's own listing, locked (the lock accepting a stay takes); 404 otherwise."""
    row = await store.listing(conn, listing_id, for_update=True)
    domain.check_block_owner(row["status"] if row else None, row["host_id"] if row else None, actor.user_id)
    assert row is not None
    return row


async def _blocks_changed(conn: Connection, before: asyncpg.Record) -> None:
    """The listing's snapshot carries its blocked nights (room matches leave them out): a
    new version, and ``listing.updated`` while it is public."""
    await block_store.touch_listing(conn, before["id"])
    after = await store.listing(conn, before["id"])
    assert after is not None
    event = domain.listing_event(before["status"], listing_data(after), changed=True)
    if event is not None:
        await add(conn, event)


@registry.endpoint(subjects.BLOCK_DATES, BlockedDatesCreate)
async def block_dates(ctx: Context, req: BlockedDatesCreate) -> BlockedDates:
    """Block nights of the caller's room; the requests waiting for any of them are declined."""
    actor = ctx.require_actor()
    now = clock.now(ctx.settings)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _host_listing(conn, actor, req.listing_id)
        held = [
            domain.HeldStay(stay["status"], stay["check_in"], stay["check_out"])
            for stay in await booking_store.held_stays(conn, req.listing_id, req.start, req.end)
        ]
        blocked = [
            (b["start"], b["end"])
            for b in await block_store.overlapping_blocks(conn, req.listing_id, req.start, req.end)
        ]
        domain.check_block(req.start, req.end, stays.local_today(now, listing_zone(row)), held, blocked)
        created = await block_store.insert_block(conn, uuid.uuid4(), req.listing_id, req.start, req.end, req.note)
        # As accepting a stay does: the guests waiting for these nights hear at once.
        waiting = await booking_store.overlapping_requests(conn, req.listing_id, req.start, req.end, now)
        for other in waiting:
            declined = await booking_store.set_booking_status(conn, other["id"], "declined", domain.BLOCKED_BY_HOST)
            await add(conn, domain.DECLINE.event(booking_data(declined)))
        await _blocks_changed(conn, row)
    # The host is told how many (the page said "Blocked …" alone, and the requests were gone).
    return to_blocked(created).model_copy(update={"declined_requests": len(waiting)})


@registry.endpoint(subjects.LIST_BLOCKED_DATES, BlockedDatesList)
async def list_blocked_dates(ctx: Context, req: BlockedDatesList) -> BlockedDatesPage:
    """The caller's room's blocks not yet over, earliest first."""
    actor = ctx.require_actor()
    after = decode_key(req.cursor, day, row_id) if req.cursor else None
    row = await store.listing(ctx.pool, req.listing_id)
    domain.check_block_owner(row["status"] if row else None, row["host_id"] if row else None, actor.user_id)
    assert row is not None
    today = stays.local_today(clock.now(ctx.settings), listing_zone(row))
    key = (after[0], after[1]) if after else None
    rows = await block_store.listing_blocks(ctx.pool, req.listing_id, today, key, req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda b: (b["start"].isoformat(), b["id"]))
    return BlockedDatesPage(items=[to_blocked(b) for b in page], next_cursor=nxt)


@registry.endpoint(subjects.UNBLOCK_DATES, BlockedDatesId)
async def unblock_dates(ctx: Context, req: BlockedDatesId) -> Ok:
    """Give blocked nights back to the room (a request then may take them)."""
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _host_listing(conn, actor, req.listing_id)
        if await block_store.delete_block(conn, req.listing_id, req.block_id) is None:
            raise BLOCK_NOT_FOUND
        await _blocks_changed(conn, row)
    return Ok()
