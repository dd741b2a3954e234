"""Endpoints of a booking's payments: pay (the PaymentIntent's client secret), the
client's confirmation, the receipt, and what cancelling now would refund."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg

from services.payments import domain, flows, store
from services.payments.stripe_api import StripeApi
from services.payments.views import BOOKING_NOT_FOUND, booking_payments, dollars, zone_of
from shared import clock, stays, subjects
from shared.contracts.base import Actor
from shared.contracts.payments import BookingPaymentId, BookingPayments, PaymentIntent, PayRequest, RefundQuote
from shared.db import Connection
from shared.errors import AppError
from shared.service import Context, Registry

registry = Registry()


async def _party(db: Connection | asyncpg.Pool, actor: Actor, booking_id: object) -> tuple[asyncpg.Record, str]:
    """The booking and the caller's side; 404 for anyone else (or before it was accepted)."""
    row = await store.booking(db, booking_id)  # type: ignore[arg-type]
    if row is None:
        raise BOOKING_NOT_FOUND
    if actor.user_id == row["guest_id"]:
        return row, "guest"
    if actor.user_id == row["host_id"]:
        return row, "host"
    raise BOOKING_NOT_FOUND


@registry.endpoint(subjects.PAY_BOOKING, PayRequest)
async def pay_booking(ctx: Context, req: PayRequest) -> PaymentIntent:
    """The guest's first payment: its PaymentIntent (made once) for Stripe.js to confirm."""
    actor = ctx.require_actor()
    booking, who = await _party(ctx.pool, actor, req.booking_id)
    if who != "guest":
        raise AppError("forbidden", "only the guest pays for a booking")
    first = await store.first_payment(ctx.pool, req.booking_id)
    if first is not None:
        # After the first: a later block from 3 days before it starts, or the difference
        # of new dates that cost more.
        first = await store.next_due(ctx.pool, req.booking_id, clock.now(ctx.settings)) or first
    if first is None and booking["status"] == "requested":
        # The acceptance is an event away from payments: a client retries shortly.
        # Payments cannot tell a request not yet accepted from one accepted a moment ago.
        raise AppError(
            "conflict",
            "nothing to pay yet: the host has not accepted this request (an acceptance made a moment ago"
            " takes a moment to arrive)",
        )
    if first is None:
        raise AppError("conflict", f"the booking is {booking['status']}: there is nothing to pay")
    row = await store.payment(ctx.pool, first["id"])
    assert row is not None
    if row["status"] != "due":
        raise AppError("conflict", domain.not_payable(row["status"]))
    if row["block"] == 0 and row["pay_by"] is not None and row["pay_by"] <= clock.now(ctx.settings):
        # The first payment's deadline frees the dates (the expiry job is on its way). A
        # later one past its deadline is overdue, not void: paying it late is welcome.
        raise AppError("conflict", "the time to pay is over")
    if row["block"] == 0 and await store.suspended(ctx.pool, booking["host_id"]):
        # No new stay's money for a host an operator stopped: the guest may cancel without
        # fault instead, or pay once the suspension is lifted (a stay under way pays on).
        raise AppError(
            "conflict",
            "Wardmate suspended this host's account: it takes no payment for this stay while the"
            " suspension lasts, and you may cancel the stay without fault",
        )
    api = flows.stripe_api(ctx.settings)
    row = await flows.ensure_intent(ctx.pool, api, row["id"])
    # New dates (or the deadline) may have replaced the payment while this request waited
    # on its row: its intent is being cancelled, never handed out again.
    if row["status"] in ("cancelled", "expired") or (row["status"] != "due" and not row["payment_intent"]):
        raise AppError("conflict", domain.not_payable(row["status"]))
    intent_status = "requires_payment_method"
    if req.payment_method:
        try:
            intent = await api.confirm_intent(row["payment_intent"], req.payment_method)
        except AppError as refused:
            await _paid_meanwhile(ctx, api, row["id"], row["payment_intent"], refused)
            raise
        intent_status = intent.status
        async with ctx.pool.acquire() as conn, conn.transaction():
            locked = await store.payment(conn, row["id"], for_update=True)
            assert locked is not None
            await flows.apply_intent(conn, locked, intent, clock.now(ctx.settings), report_failure=False)
            row = await store.payment(conn, row["id"])
            assert row is not None
    return PaymentIntent(
        intent_status=intent_status,
        payment_id=row["id"],
        booking_id=row["booking_id"],
        amount=dollars(row["amount_cents"]),
        status=row["status"],
        pay_by=row["pay_by"],
        payment_intent_id=row["payment_intent"],
        client_secret=row["client_secret"],
        publishable_key=ctx.settings.stripe_publishable_key,
    )


# An intent in these states takes a payment method; in any other, Stripe refuses one.
OPEN_INTENT = ("requires_payment_method", "requires_confirmation")


async def _paid_meanwhile(
    ctx: Context, api: StripeApi, payment_id: uuid.UUID, intent_id: str, refused: AppError
) -> None:
    """Stripe refused the payment method: if that is because the intent moved on meanwhile
    (another tab paid it, with another card), record what Stripe says and answer 409 with
    the payment's state, not a refusal that invites the guest to try yet another card."""
    if refused.code != "validation":
        return
    intent = await api.retrieve_intent(intent_id)
    if intent.status in OPEN_INTENT:
        return
    async with ctx.pool.acquire() as conn, conn.transaction():
        locked = await store.payment(conn, payment_id, for_update=True)
        assert locked is not None
        await flows.apply_intent(conn, locked, intent, clock.now(ctx.settings), report_failure=False)
        row = await store.payment(conn, payment_id)
        assert row is not None
    if row["status"] == "succeeded":
        raise AppError("conflict", "this payment is already made (from another tab or device): nothing more to pay")
    raise AppError("conflict", f"{domain.not_payable(row['status'])} (Stripe: {intent.status})")


@registry.endpoint(subjects.CONFIRM_PAYMENT, BookingPaymentId)
async def confirm_payment(ctx: Context, req: BookingPaymentId) -> BookingPayments:
    """The browser says Stripe.js confirmed: ask Stripe (never trust the browser) and
    apply what it says; the webhook may have done so already, which changes nothing."""
    actor = ctx.require_actor()
    await _party(ctx.pool, actor, req.booking_id)
    api = flows.stripe_api(ctx.settings)
    for payment in await store.payments_of(ctx.pool, req.booking_id):
        # A payment due, or one that can no longer be paid whose intent is not closed yet
        # (a pay page left open on an amount the new dates replaced): a charge is recorded,
        # and for the second refunded in full.
        open_intent = payment["status"] == "due" or payment["intent_closed_at"] is None
        if not payment["payment_intent"] or payment["status"] == "succeeded" or not open_intent:
            continue
        intent = await api.retrieve_intent(payment["payment_intent"])
        async with ctx.pool.acquire() as conn, conn.transaction():
            row = await store.payment(conn, payment["id"], for_update=True)
            assert row is not None
            await flows.apply_intent(conn, row, intent, clock.now(ctx.settings), report_failure=False)
    return await _receipt(ctx, req)


@registry.endpoint(subjects.BOOKING_PAYMENTS, BookingPaymentId)
async def get_booking_payments(ctx: Context, req: BookingPaymentId) -> BookingPayments:
    return await _receipt(ctx, req)


async def _receipt(ctx: Context, req: BookingPaymentId) -> BookingPayments:
    actor = ctx.require_actor()
    # One snapshot for the booking and its money: new dates committed between the two reads
    # showed the payment they made due against the old dates and total ("pays for 0 nights").
    async with ctx.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        booking, who = await _party(conn, actor, req.booking_id)
        payments, refunds, totals = await store.booking_money(conn, req.booking_id)
    return booking_payments(
        booking, payments, refunds, totals, ctx.settings.host_fee_percent, who, clock.now(ctx.settings)
    )


@registry.endpoint(subjects.REFUND_QUOTE, BookingPaymentId)
async def refund_quote(ctx: Context, req: BookingPaymentId) -> RefundQuote:
    """What cancelling now would refund: shown before the cancellation is confirmed, and
    computed by the same function, from the same inputs, as the cancellation's refund
    (``consumers._refund_cancellation``); 409 for a booking that cannot be cancelled."""
    actor = ctx.require_actor()
    # The booking and what was paid for it in one snapshot, as the receipt reads them.
    async with ctx.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        booking, who = await _party(conn, actor, req.booking_id)
        paid_rows = await store.payments_of(conn, req.booking_id)
        host_suspended = await store.suspended(conn, booking["host_id"])
    now = clock.now(ctx.settings)
    zone = zone_of(booking)
    refused = domain.why_not_cancellable(booking["status"], booking["check_out"], stays.local_today(now, zone), who)
    if refused:
        raise AppError("conflict", f"nothing to quote: {refused}")
    paid = flows.paid_cents(paid_rows)
    by: domain.Canceller = "host" if who == "host" else "guest"

    def refund_at(moment: datetime) -> domain.RefundDecision:
        return domain.refund_for_cancellation(
            policy=booking["cancellation_policy"],
            check_in=booking["check_in"],
            check_out=booking["check_out"],
            total_cents=booking["total_cents"],
            paid_cents=paid,
            now=moment,
            zone=zone,
            cancelled_by=by,
            # What listings will say of this cancellation (a guest's after a declined shift, or
            # whose host is suspended).
            end_reason=domain.cancellation_end_reason(booking["rotation_protected"], by, host_suspended),
        )

    decision = refund_at(now)
    # By when the refund stays this large: the policy's cut-off, when cancelling after it
    # gives back less (the page said "full refund until 7 days before check-in", no date).
    until, after = domain.policy_cutoff(booking["cancellation_policy"], booking["check_in"], zone, now), None
    if until is not None:
        later = refund_at(until + timedelta(seconds=1))
        after = later.amount_cents if later.amount_cents < decision.amount_cents else None
    return RefundQuote(
        booking_id=req.booking_id,
        paid=dollars(paid),
        refund=dollars(decision.amount_cents),
        reason=decision.reason,
        cancellation_policy=booking["cancellation_policy"],
        refund_until=until if after is not None else None,
        refund_after=dollars(after) if after is not None else None,
        time_zone=zone,
    )
