"""Reconciliation: the ledger's charges and refunds against Stripe's, difference by difference.

Run by operators (``python -m services.payments reconcile``, ``GET /admin/payments/reconciliation``)
and by the tests after every scenario; ``reconcile --refund-orphans`` also refunds the
charges an earlier version dropped (``refund_orphans``).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import asyncpg

from services.payments import flows, store
from services.payments.stripe_api import StripeApi
from shared import clock
from shared.contracts.payments import Reconciliation
from shared.settings import Settings


async def reconcile(pool: asyncpg.Pool, api: StripeApi, now: datetime) -> Reconciliation:
    """Every succeeded charge at Stripe of an intent that is Wardmate's (a payment holds it,
    or its metadata names a Wardmate step or booking) is in the ledger with its amount, and
    every refund too, and nothing is in the ledger that Stripe does not have; the ledger
    itself sums to zero. Later payments past their deadline unpaid (at ``now``) are listed
    apart: no difference, but an operator's to follow up."""
    differences: list[str] = []
    ledger_charges = {r["payment_intent"]: r["amount_cents"] for r in await store.ledger_charges(pool)}
    ours = await store.held_intents(pool)
    stripe_charges: dict[str, int] = {}
    stripe_refunds: Counter[tuple[str, int]] = Counter()
    for intent in await api.intents():
        if intent.id not in ours and not intent.wardmate:
            continue  # another system's intent on the same account
        if intent.status == "succeeded":
            stripe_charges[intent.id] = intent.amount
            for refund in await api.refunds_of(intent.id):
                if refund.status == "succeeded":
                    stripe_refunds[(refund.id, refund.amount)] += 1
    for intent_id, amount in stripe_charges.items():
        if intent_id not in ledger_charges:
            held = "" if intent_id in ours else " (no payment holds its intent: see reconcile --refund-orphans)"
            differences.append(f"charge {intent_id} of {amount} cents at Stripe is not in the ledger{held}")
        elif ledger_charges[intent_id] != amount:
            differences.append(
                f"charge {intent_id}: {amount} cents at Stripe, {ledger_charges[intent_id]} in the ledger"
            )
    for intent_id in ledger_charges.keys() - stripe_charges.keys():
        differences.append(f"charge {intent_id} in the ledger has no succeeded charge at Stripe")
    ledger_refunds: Counter[tuple[str, int]] = Counter(
        (r["stripe_refund"], r["amount_cents"]) for r in await store.ledger_refunds(pool)
    )
    for key in stripe_refunds.keys() - ledger_refunds.keys():
        differences.append(f"refund {key[0]} of {key[1]} cents at Stripe is not in the ledger")
    for key in ledger_refunds.keys() - stripe_refunds.keys():
        differences.append(f"refund {key[0]} of {key[1]} cents in the ledger is not at Stripe")
    total = await store.ledger_total(pool)
    if total != 0:
        differences.append(f"the ledger's entries sum to {total} cents, not 0")
    overdue = [
        f"payment {r['id']} (block {r['block']}) of booking {r['booking_id']}, {r['booking_status']}:"
        f" {r['amount_cents']} cents due by {r['pay_by'].isoformat()}, unpaid"
        for r in await store.unpaid_overdue(pool, now)
    ]
    return Reconciliation(
        ok=not differences,
        charges_in_ledger=len(ledger_charges),
        charges_at_stripe=len(stripe_charges),
        refunds_in_ledger=sum(ledger_refunds.values()),
        refunds_at_stripe=sum(stripe_refunds.values()),
        differences=differences,
        overdue=overdue,
    )


async def refund_orphans(pool: asyncpg.Pool, api: StripeApi, settings: Settings) -> list[str]:
    """An operator's action: each succeeded charge of Wardmate's at Stripe that no payment
    holds (an earlier version dropped the PaymentIntent when new dates changed an amount,
    and ignored its webhook) is adopted as the webhook now adopts one (``flows.adopt_orphan``:
    a replaced payment of the step's booking), its charge recorded in the ledger and refunded
    in full at Stripe (the refund worker's own step, run here at once). Idempotent: an
    adopted intent is held by a payment and no orphan any more, each step is posted once and
    found again at Stripe by its metadata. Left for an operator, and said so: a charge whose
    step names no payment Wardmate knows, and one that already has a refund at Stripe that
    Wardmate did not make. Returns one line per charge."""
    held = await store.held_intents(pool)
    lines: list[str] = []
    for intent in await api.intents():
        if intent.id in held or not intent.wardmate or intent.status != "succeeded":
            continue
        what = f"charge {intent.id} of {intent.amount} cents (step {intent.step}, booking {intent.booking_id})"
        if await api.refunds_of(intent.id):
            lines.append(f"LEFT: {what} has a refund at Stripe that Wardmate did not make")
            continue
        async with pool.acquire() as conn, conn.transaction():
            row = await flows.adopt_orphan(conn, intent)
            if row is not None:
                await flows.apply_intent(conn, row, intent, clock.now(settings), report_failure=False)
        if row is None:
            lines.append(f"LEFT: {what} names no payment Wardmate knows")
        else:
            lines.append(f"REFUNDING: {what}, recorded as payment {row['id']} and refunded in full")
    # Pending refund steps go to Stripe now (the running service's worker would within a
    # second; each step is found again rather than made twice, whoever sends it).
    while await flows.run_refund(pool, api, settings):
        pass
    return lines
