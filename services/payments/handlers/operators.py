"""Operators' endpoints: a booking's payments, a refund with a reason, reconciliation."""

from __future__ import annotations

import uuid

from services.payments import flows, store
from services.payments.reconcile import reconcile
from services.payments.views import BOOKING_NOT_FOUND, booking_payments
from shared import clock, subjects
from shared.contracts.base import Empty
from shared.contracts.payments import AdminPayments, BookingPayments, OperatorRefund, Reconciliation
from shared.errors import AppError
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.ADMIN_PAYMENTS, AdminPayments, roles=("admin",))
async def admin_payments(ctx: Context, req: AdminPayments) -> BookingPayments:
    return await _payments(ctx, req.booking_id)


async def _payments(ctx: Context, booking_id: uuid.UUID) -> BookingPayments:
    req = AdminPayments(booking_id=booking_id)
    async with ctx.pool.acquire() as conn:
        booking = await store.booking(conn, req.booking_id)
        if booking is None:
            raise BOOKING_NOT_FOUND
        payments, refunds, totals = await store.booking_money(conn, req.booking_id)
    return booking_payments(
        booking, payments, refunds, totals, ctx.settings.host_fee_percent, "operator", clock.now(ctx.settings)
    )


@registry.endpoint(subjects.REFUND_BOOKING, OperatorRefund, roles=("admin",))
async def refund_booking(ctx: Context, req: OperatorRefund) -> BookingPayments:
    """Refund part or all of what the guest paid, with a reason; sent to Stripe by the
    refund worker (the step is recorded here first)."""
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        booking = await store.booking(conn, req.booking_id, for_update=True)
        if booking is None:
            raise BOOKING_NOT_FOUND
        payments = await store.payments_of(conn, req.booking_id)
        refundable = flows.paid_cents(payments)
        if req.amount_cents > refundable:
            raise AppError(
                "conflict",
                f"at most {refundable / 100:.2f} can be refunded",
                [{"field": "amount_cents", "message": f"at most {refundable}"}],
            )
        await flows.add_refunds(conn, req.booking_id, req.amount_cents, "operator", req.reason, actor.user_id)
    return await _payments(ctx, req.booking_id)


@registry.endpoint(subjects.RECONCILE, Empty, roles=("admin",))
async def reconciliation(ctx: Context, req: Empty) -> Reconciliation:
    return await reconcile(ctx.pool, flows.stripe_api(ctx.settings), clock.now(ctx.settings))
