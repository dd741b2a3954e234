"""Stripe's webhook: the signature verified, each Stripe event applied once, state only forward."""

from __future__ import annotations

from typing import Any

from services.payments import flows, store
from services.payments.stripe_api import intent_of
from shared import clock, subjects
from shared.contracts.base import Ok
from shared.contracts.payments import StripeWebhook
from shared.service import Context, Registry

registry = Registry()

# What Wardmate acts on; other event types are acknowledged and ignored.
INTENT_EVENTS = ("payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled")


@registry.endpoint(subjects.STRIPE_WEBHOOK, StripeWebhook)
async def stripe_webhook(ctx: Context, req: StripeWebhook) -> Ok:
    api = flows.stripe_api(ctx.settings)
    event = api.verify_webhook(req.payload, req.signature)
    obj: Any = (event.get("data") or {}).get("object") or {}
    if event["type"] not in INTENT_EVENTS or not isinstance(obj.get("id"), str):
        return Ok()
    # A success names its card on the receipt: asked of Stripe before the transaction.
    intent = await api.with_card(intent_of(obj))
    async with ctx.pool.acquire() as conn, conn.transaction():
        # Every intent stays on its payment, also one that new dates replaced (see
        # flows.apply_shift); a succeeded one of Wardmate's that no payment holds is
        # adopted, so its charge is recorded and refunded rather than dropped.
        row = await store.payment_by_intent(conn, intent.id, for_update=True) or await flows.adopt_orphan(conn, intent)
        if row is None:
            # Not one of ours (or its intent not yet recorded: Stripe retries a webhook
            # that failed, and the client's confirmation or a job catches up anyway).
            return Ok()
        if not await store.record_stripe_event(conn, event["id"], event["type"]):
            return Ok()  # delivered before: applied once
        await flows.apply_intent(conn, row, intent, clock.now(ctx.settings), report_failure=True)
    return Ok()
