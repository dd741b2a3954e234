"""Background work of payments: refunds sent to Stripe, the intents of payments that can
no longer be paid cancelled at Stripe, unpaid bookings expired at their deadline, later
payments past theirs announced, held money released to hosts 24 h after check-in. Each
runs on payments' clock (``shared.clock``), so a test moves time by a setting instead of
sleeping."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from services.payments import flows, store
from services.payments.stripe_api import StripeApi
from services.payments.views import dollars, payment_data
from shared import clock
from shared.aio import stop_if_cancelled
from shared.contracts.payments import PaymentExpired, PaymentFailed
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
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.overdue(conn, at)
        for row in rows:
            if row["payment_intent"]:
                intent = await api.retrieve_intent(row["payment_intent"])
                if intent.status == "succeeded":
                    await flows.apply_intent(conn, row, intent, at, report_failure=False)
                    continue
            await store.cancel_due(conn, row["booking_id"], "expired")
            await add(conn, PaymentExpired(payment=payment_data(row, "expired")))
    return len(rows)


async def announce_overdue(pool: asyncpg.Pool, settings: Settings) -> int:
    """Announce, once, each later payment (a later block of a long stay, or what new dates
    added) that is past its deadline unpaid (``payments.payment.failed`` of kind
    ``overdue``): messaging tells the guest to pay it and the host that it is unpaid,
    operators see it in the log and in reconciliation's ``overdue``.

    The stay is not ended: its first payment confirmed it, the guest may be living in the
    room, and ending a stay under way is for the host and an operator to decide, not a
    sweep. The payment stays payable, late."""
    at = clock.now(settings)
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.overdue_later(conn, at)
        for row in rows:
            await store.mark_overdue(conn, row["id"], at)
            reason = (
                f"${dollars(row['amount_cents']):,.2f} for the nights from {row['start_date']:%Y-%m-%d} was due by"
                f" {row['pay_by']:%Y-%m-%d %H:%M} UTC and is still unpaid: pay it from the booking's payments page"
            )
            # ``overdue``: messaging tells the guest to pay it (the stay goes on) and the
            # host that it is unpaid (theirs to decide whether to cancel), not "declined".
            event = PaymentFailed(payment=payment_data(row), reason=reason, kind="overdue", pay_by=row["pay_by"])
            await add(conn, event)
            log.warning("payment %s of booking %s is overdue: %s", row["id"], row["booking_id"], reason)
    return len(rows)


async def release_held(pool: asyncpg.Pool, settings: Settings) -> int:
    """Release every paid payment whose time has come (24 h after check-in for the first)."""
    at = clock.now(settings)
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.releasable(conn, at)
        for row in rows:
            await flows.release(conn, row, at, settings.host_fee_percent)
    return len(rows)


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
        try:
            await expire_unpaid(ctx.pool, api, ctx.settings)
            await announce_overdue(ctx.pool, ctx.settings)
            await release_held(ctx.pool, ctx.settings)
        except Exception:
            log.exception("payment deadlines sweep failed")
        await asyncio.sleep(ctx.settings.payment_sweep_s)
