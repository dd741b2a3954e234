"""Background work of listings: the hospital directory loaded and every listing given its
public position and time zone at start; a loop that expires unanswered requests, completes
ended stays and places (and zones) any listing still without; the sweeps of stale uploads
and of photo files no photo uses any more."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

import asyncpg

from services.listings import domain, files, store
from services.listings.store import bookings as booking_store
from services.listings.store import hospitals as hospital_store
from services.listings.views import booking_data, listing_data
from shared import clock, countries, places, stays
from shared.aio import stop_if_cancelled
from shared.contracts.listings import BookingCheckInSoon, ListingUpdated
from shared.hospitals import directory
from shared.media import media
from shared.outbox import add
from shared.service import Context, Registry
from shared.storage import sweep_temporary

log = logging.getLogger(__name__)

registry = Registry()


async def ensure_directory(pool: asyncpg.Pool) -> int:
    """Load listings' copy of the hospital directory (its own table, for name search by
    trigrams) when the table is empty; return the number of hospitals."""
    count = await hospital_store.hospital_count(pool)
    if count == 0:
        rows = [tuple(h.model_dump().values()) for h in directory()]
        async with pool.acquire() as conn, conn.transaction():
            await hospital_store.load_hospitals(conn, rows)
        count = len(rows)
        log.info("hospital directory loaded", extra={"fields": {"hospitals": count}})
    return count


@registry.on_startup
async def load_directory(ctx: Context) -> None:
    await ensure_directory(ctx.pool)
    await place_publicly(ctx.pool, ctx.settings.secret_key)
    # The place and language lists are read from package data once (about a second):
    # on a user's first lookup instead, that call timed out at the gateway.
    await asyncio.to_thread(places.warm)
    await asyncio.to_thread(countries.warm)
    await zone_listings(ctx.pool)


PLACE_BATCH = 500


async def place_publicly(pool: asyncpg.Pool, secret_key: str, batch: int = PLACE_BATCH) -> int:
    """Give every listing placed before public positions existed (migration 0009) its
    public position, and tell consumers with a new snapshot (``listing.updated``, whatever
    the status: matching and messaging may hold any listing they once saw, at its exact
    point); return how many. A batch per transaction, so a large table shows progress and
    replicas starting together share the work (``SKIP LOCKED``)."""
    placed = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await store.unplaced_listings(conn, batch)
            if not rows:
                break
            points = [(r["id"], *domain.public_point(secret_key, r["id"], r["latitude"], r["longitude"])) for r in rows]
            await store.place_publicly(conn, points)
            for r in rows:
                row = await store.listing(conn, r["id"])
                assert row is not None
                await add(conn, ListingUpdated(listing=listing_data(row)))
        placed += len(rows)
        log.info("listings given their public position", extra={"fields": {"placed": placed}})
    return placed


async def zone_listings(pool: asyncpg.Pool, batch: int = PLACE_BATCH) -> int:
    """Give every listing placed before rooms had a time zone (migration 0014), or by an
    older replica, the zone of its exact position (``places.zone_at``); return how many.
    No event: what events carry is unchanged (a booking's zone was already computed from
    the position when read). A batch per transaction, shared by replicas (``SKIP LOCKED``)."""
    zoned = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await store.unzoned_listings(conn, batch)
            if not rows:
                break
            await store.set_time_zones(conn, [(r["id"], places.zone_at(r["latitude"], r["longitude"])) for r in rows])
        zoned += len(rows)
        log.info("listings given their time zone", extra={"fields": {"zoned": zoned}})
    return zoned


async def sweep_bookings(pool: asyncpg.Pool, now: datetime | None = None) -> int:
    """Expire unanswered requests and complete ended stays as of ``now`` (the rules'
    clock; the wall clock if None); return how many changed."""
    async with pool.acquire() as conn, conn.transaction():
        expired, ended = await booking_store.due_bookings(conn, now or datetime.now(UTC))
        for rows, transition in ((expired, domain.EXPIRE), (ended, domain.COMPLETE)):
            for row in rows:
                updated = await booking_store.set_booking_status(conn, row["id"], transition.status)
                await add(conn, transition.event(booking_data(updated)))
    return len(expired) + len(ended)


async def remind_check_ins(pool: asyncpg.Pool, now: datetime | None = None) -> int:
    """Tell the guest and host of each confirmed stay checking in within the next day, once
    (``BookingCheckInSoon``; messaging words it): a guest heard nothing between the payment
    and the day, weeks later, when they had to find the room. Returns how many were told."""
    now = now or datetime.now(UTC)
    async with pool.acquire() as conn, conn.transaction():
        rows = await booking_store.check_ins_to_tell(conn, now, domain.CHECK_IN_NOTICE)
        for row in rows:
            data = booking_data(row)
            assert data.time_zone is not None
            await add(
                conn,
                BookingCheckInSoon(booking=data, check_in_at=stays.check_in_moment(row["check_in"], data.time_zone)),
            )
    return len(rows)


@registry.background
async def upload_sweep_loop(ctx: Context) -> None:
    """Delete uploads in flight whose request died before a service took them (every
    replica sweeps; deleting twice is harmless)."""
    while True:
        stop_if_cancelled()
        try:
            swept = await sweep_temporary(media().storage, ctx.settings.upload_tmp_ttl_s)
            if swept:
                log.info("swept %d stale uploads", swept)
        except Exception:
            log.exception("upload sweep failed")
        await asyncio.sleep(ctx.settings.upload_sweep_s)


@registry.background
async def photo_files_sweep(ctx: Context) -> None:
    """Delete the queued photo files that no photo uses (``files.delete_unused``) every
    ``upload_sweep_s``, and at once when the deletions consumer queued some. Every replica
    sweeps; each set of files is taken off the queue by one."""
    with files.sweep_wakeup() as wakeup:
        while True:
            stop_if_cancelled()
            wakeup.clear()  # before the pass: a wake during it brings the next one at once
            try:
                deleted = await files.delete_unused(ctx.pool, media().storage)
                if deleted:
                    log.info("deleted the files of %d photos no longer used", deleted)
            except Exception:
                log.exception("photo file sweep failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(ctx.settings.upload_sweep_s):
                    await wakeup.wait()


@registry.background
async def expiry_loop(ctx: Context) -> None:
    while True:
        stop_if_cancelled()
        try:
            # Rows an older replica wrote during a rolling upgrade, without a time zone:
            # zoned before the sweep completes their stays by the room's date (an empty
            # partial index otherwise).
            await zone_listings(ctx.pool)
        except Exception:
            log.exception("giving listings their time zone failed")
        try:
            await sweep_bookings(ctx.pool, clock.now(ctx.settings))
        except Exception:
            log.exception("booking sweep failed")
        try:
            await remind_check_ins(ctx.pool, clock.now(ctx.settings))
        except Exception:
            log.exception("check-in reminders failed")
        try:
            # Rows an older replica wrote during a rolling upgrade, without a public
            # position: placed within a sweep (an empty partial index otherwise).
            await place_publicly(ctx.pool, ctx.settings.secret_key)
        except Exception:
            log.exception("placing listings publicly failed")
        await asyncio.sleep(ctx.settings.expiry_sweep_s)
