"""Background work of payments: refunds sent to Stripe, the intents of payments that can
no longer be paid cancelled at Stripe, unpaid bookings expired at their deadline, later
payments past theirs announced, held money released to hosts 24 h after check-in (at the
room, ``shared.stays``). Each runs on payments' clock (``shared.clock``), so a test moves
time by a setting instead of sleeping. Once after an upgrade, the room's time zone of the
stays projected before events carried it (``learn_time_zones``)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial

import asyncpg
from nats.aio.client import Client as NATS

from services.payments import domain, flows, store
from services.payments.stripe_api import Intent, StripeApi
from services.payments.views import payment_data, zone_of
from shared import bus, clock, subjects
from shared.aio import stop_if_cancelled
from shared.contracts.payments import PaymentDueSoon, PaymentExpired, PaymentOverdue
from shared.contracts.snapshots import BookingSnapshots, SnapshotPage
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.service import Context, Registry
from shared.settings import Settings

registry = Registry()

log = logging.getLogger(__name__)

# Refunds are picked up this often: an operator or a cancelled guest sees it done soon.
REFUND_POLL_S = 1.0


async def expire_unpaid(pool: asyncpg.Pool, api: StripeApi, settings: Settings) -> int:
    """Expire first payments past their deadline (the booking's dates are then freed by
    listings); one whose intent did succeed meanwhile is applied as paid instead. The
    expired intents are cancelled at Stripe by the intent sweep (``flows.close_intents``):
    if the guest's card is confirmed in between, the charge is recorded and refunded."""
    at = clock.now(settings)
    done = 0
    # Each in its own transaction; one whose intent Stripe cannot be asked about now waits
    # for the next pass while the others go on (they went in one transaction: one such row
    # rolled back every expiry, every pass, and stopped the releases to hosts after it).
    failed: list[uuid.UUID] = []
    while True:
        async with pool.acquire() as conn, conn.transaction():
            row = await store.next_overdue(conn, at, failed)
            if row is None:
                return done
            try:
                async with conn.transaction():  # a savepoint: a failure leaves the row due
                    await _expire(conn, api, row, at)
                done += 1
            except AppError as exc:  # Stripe could not be asked
                log.warning("payment %s not expired this pass, retried next: %s", row["id"], exc.message)
                failed.append(row["id"])
            except Exception:
                log.exception("payment %s failed to expire this pass, retried next", row["id"])
                failed.append(row["id"])


async def _expire(conn: Connection, api: StripeApi, row: asyncpg.Record, at: datetime) -> None:
    """One first payment past its deadline: applied as paid if its intent succeeded after
    all, else expired (listings then frees the booking's dates)."""
    intent = await _intent_if_any(api, row["payment_intent"])
    if intent is not None and intent.status == "succeeded":
        await flows.apply_intent(conn, row, intent, at, report_failure=False)
    else:
        await store.cancel_due(conn, row["booking_id"], "expired")
        await add(conn, PaymentExpired(payment=payment_data(row, "expired")))


async def _intent_if_any(api: StripeApi, intent_id: str | None) -> Intent | None:
    """The payment's intent as Stripe has it; None when it has none (never made, or
    unknown to Stripe: then nothing was paid with it either)."""
    if not intent_id:
        return None
    try:
        return await api.retrieve_intent(intent_id)
    except AppError as exc:
        if exc.code == "not_found":
            return None
        raise


async def announce_overdue(pool: asyncpg.Pool, settings: Settings) -> int:
    """Announce, once, each later payment (a later block of a long stay, or what new dates
    added) that is past its deadline unpaid (``PaymentOverdue``; before, a ``PaymentFailed``
    of kind ``overdue``, which consumers still read): messaging tells the guest to pay it
    and the host that it is unpaid, operators see it in the log and in reconciliation's
    ``overdue``.

    The stay is not ended: its first payment confirmed it, the guest may be living in the
    room, and ending a stay under way is for the host and an operator to decide, not a
    sweep. The payment stays payable, late."""
    at = clock.now(settings)
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.overdue_later(conn, at)
        for row in rows:
            await store.mark_overdue(conn, row["id"], at)
            zone = zone_of(row)  # the zone its deadline was set by
            reason = domain.overdue_reason(row["amount_cents"], row["start_date"], row["pay_by"], zone)
            # Its own event, not a refused card's: messaging tells the guest to pay it (the
            # stay goes on) and the host that it is unpaid (theirs to decide whether to cancel).
            event = PaymentOverdue(payment=payment_data(row), reason=reason, pay_by=row["pay_by"], time_zone=zone)
            await add(conn, event)
            log.warning("payment %s of booking %s is overdue: %s", row["id"], row["booking_id"], reason)
    return len(rows)


async def remind_due(pool: asyncpg.Pool, settings: Settings) -> int:
    """Recall, once, each payment near its deadline unpaid (``PaymentDueSoon``): the
    acceptance's notice was the only word, and a guest who missed it lost the room."""
    at = clock.now(settings)
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.due_soon(conn, at, domain.REMIND_BEFORE)
        for row in rows:
            await store.mark_reminded(conn, row["id"], at)
            await add(conn, PaymentDueSoon(payment=payment_data(row), pay_by=row["pay_by"], time_zone=zone_of(row)))
    return len(rows)


async def release_held(pool: asyncpg.Pool, settings: Settings) -> int:
    """Release every paid payment whose time has come (24 h after check-in for the first)."""
    at = clock.now(settings)
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.releasable(conn, at)
        for row in rows:
            await flows.release(conn, row, at, settings.host_fee_percent)
    return len(rows)


SNAPSHOT_PAGE = 500


async def learn_time_zones(pool: asyncpg.Pool, nc: NATS, settings: Settings) -> int:
    """The upgrade's one pass (payments 0008): open stays projected from events older than
    the room's time zone get it from listings' booking snapshots (request-reply, paged;
    the events carry the same), and their payments not yet released move to the release
    times of the room's check-in moment (``flows.follow_zone``). Nothing to learn, no
    request. Returns how many stays learnt their zone; raises when listings does not
    answer (the caller tries again later)."""
    missing = await store.bookings_without_zone(pool)
    learnt, after = 0, None
    while missing:
        page = await bus.request(
            nc, subjects.SNAPSHOT_BOOKINGS, SnapshotPage(after=after, limit=SNAPSHOT_PAGE), BookingSnapshots, timeout=30
        )
        for item in page.items:
            if item.booking_id not in missing or item.time_zone is None:
                continue
            missing.discard(item.booking_id)
            async with pool.acquire() as conn, conn.transaction():
                if await store.set_zone(conn, item.booking_id, item.time_zone):
                    await flows.follow_zone(conn, item.booking_id, settings)
                    learnt += 1
        if page.next_after is None:
            break  # what is still missing listings does not have: it keeps the default zone
        after = page.next_after
    if learnt:
        log.info("stays given their room's time zone", extra={"fields": {"stays": learnt}})
    return learnt


@registry.background
async def time_zones_once(ctx: Context) -> None:
    """``learn_time_zones`` until it has run once to the end (listings may start later)."""
    while True:
        stop_if_cancelled()
        try:
            await learn_time_zones(ctx.pool, ctx.nc, ctx.settings)
            return
        except Exception:
            log.warning("the rooms' time zones could not be read from listings yet; trying again", exc_info=True)
        await asyncio.sleep(max(ctx.settings.payment_sweep_s, 5.0))


@registry.background
async def refund_worker(ctx: Context) -> None:
    """Each second: pending refunds to Stripe, then the intents still to close."""
    api = flows.stripe_api(ctx.settings)
    try:
        while True:
            stop_if_cancelled()
            try:
                await flows.run_refund(ctx.pool, api, ctx.settings)
            except Exception:
                log.exception("refund worker failed; the steps stay pending and are retried")
            try:
                await flows.close_intents(ctx.pool, api, ctx.settings)
            except Exception:
                log.exception("intent sweep failed; the intents stay to close and are retried")
            await asyncio.sleep(REFUND_POLL_S)
    finally:
        # The process is stopping: its Stripe client's connections go with it.
        await api.close()


@registry.background
async def deadlines(ctx: Context) -> None:
    api = flows.stripe_api(ctx.settings)
    while True:
        stop_if_cancelled()
        # Apart: a failure of one (Stripe down for the expiries) stopped the others too, and
        # hosts were not paid while it lasted.
        # Each step made only when its turn comes: a coroutine made ahead and never awaited
        # (a cancellation at shutdown) is a warning.
        steps: list[tuple[str, Callable[[], Awaitable[int]]]] = [
            ("expiries", partial(expire_unpaid, ctx.pool, api, ctx.settings)),
            ("overdue notices", partial(announce_overdue, ctx.pool, ctx.settings)),
            ("reminders", partial(remind_due, ctx.pool, ctx.settings)),
            ("releases", partial(release_held, ctx.pool, ctx.settings)),
        ]
        for what, step in steps:
            try:
                await step()
            except Exception:
                log.exception("payment deadlines: the %s failed; they run again next pass", what)
        await asyncio.sleep(ctx.settings.payment_sweep_s)
