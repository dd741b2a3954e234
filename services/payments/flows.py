"""The steps that move money, shared by the handlers, the consumers and the jobs.

Each step has its row before Stripe is called (a payment for a charge, a refund for a
refund) and names it in Stripe's metadata, so a retry after a crash finds Stripe's object
instead of making another; each step's ledger transaction has the step as its unique
reference, so it is posted once; each outcome is applied under the payment's row lock and
only moves its state forward (``domain.advance``), whichever of the webhook, the client's
confirmation or a job reports it first.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import asyncpg

from services.payments import domain, store
from services.payments.stripe_api import Intent, StripeApi, step_id
from services.payments.views import payment_data
from shared import clock
from shared.contracts.payments import PaymentFailed, PaymentRefunded, PaymentReleased, PaymentSucceeded
from shared.db import Connection
from shared.outbox import add
from shared.settings import Settings

_api: dict[int, StripeApi] = {}


def stripe_api(settings: Settings) -> StripeApi:
    """The process's Stripe client (one HTTP connection pool), made on first use."""
    key = id(settings)
    if key not in _api:
        _api[key] = StripeApi(settings)
    return _api[key]


def host_account(host_id: uuid.UUID) -> str:
    return f"host:{host_id}"


async def ensure_intent(pool: asyncpg.Pool, api: StripeApi, payment_id: uuid.UUID) -> asyncpg.Record:
    """The payment with its PaymentIntent, created once however many requests race here."""
    # Committed before the call: if this attempt dies after Stripe created the intent,
    # the next one knows to look for it.
    await store.count_attempt(pool, payment_id)
    async with pool.acquire() as conn, conn.transaction():
        # Concurrent pay requests for one booking queue on this lock; the first creates
        # the intent, the others find it recorded.
        row = await store.payment(conn, payment_id, for_update=True)
        assert row is not None
        if row["payment_intent"] or row["status"] != "due":
            return row
        # A new amount (new dates accepted before payment) is a new step: a new revision.
        step = step_id("charge", payment_id) + (f":r{row['revision']}" if row["revision"] else "")
        intent = await api.find_intent(step) if row["intent_attempts"] > 1 else None
        if intent is None:
            metadata = {"booking_id": str(row["booking_id"]), "block": str(row["block"])}
            intent = await api.create_intent(step, row["amount_cents"], metadata)
        await store.set_intent(conn, payment_id, intent.id, intent.client_secret)
        updated = await store.payment(conn, payment_id)
        assert updated is not None
        return updated


async def apply_intent(
    conn: Connection, row: asyncpg.Record, intent: Intent, at: datetime, *, report_failure: bool
) -> None:
    """Apply what Stripe says of a payment's intent; ``row`` is locked by the caller.

    ``report_failure``: a failed attempt is announced (the webhook does, once per Stripe
    event; the client's own confirmation only records it).
    """
    observed = domain.stripe_status(intent.status)
    if observed == "succeeded":
        # Money that arrived is in the ledger whatever became of the booking meanwhile.
        charged = await store.post_transaction(
            conn,
            step_id("charge", row["id"]),
            "charge",
            row["booking_id"],
            row["id"],
            [("guest_card", -intent.amount), ("holding", intent.amount)],
        )
        if domain.advance(row["status"], "succeeded") == "succeeded":
            await store.set_payment_status(conn, row["id"], "succeeded", at)
            await add(conn, PaymentSucceeded(payment=payment_data(row, "succeeded")))
        elif charged and row["status"] in ("expired", "cancelled"):
            # Paid after the deadline or the cancellation: all of it goes back.
            await store.insert_refund(
                conn,
                uuid.uuid4(),
                row["id"],
                intent.amount,
                "expired",
                f"paid after the booking was {row['status']}",
                None,
            )
        return
    if intent.failure and row["status"] == "due" and intent.failure != row["failure"]:
        await store.set_failure(conn, row["id"], intent.failure)
        if report_failure:
            await add(conn, PaymentFailed(payment=payment_data(row), reason=intent.failure))


async def apply_shift(conn: Connection, booking_id: uuid.UUID, settings: Settings) -> None:
    """The host accepted new dates: the schedule follows the new stay and total. What is
    not yet paid changes its amount and dates (a new revision of its step); a lower total
    than what was paid is refunded, a higher one adds a payment due now."""
    booking = await store.booking(conn, booking_id)
    assert booking is not None and booking["accepted_at"] is not None
    accepted_at = clock.moved(settings, booking["accepted_at"])
    at = clock.now(settings)
    blocks = domain.schedule(booking["check_in"], booking["check_out"], booking["total_cents"], accepted_at)
    rows = {r["block"]: r for r in await store.payments_of(conn, booking_id) if r["status"] in ("due", "succeeded")}
    delta = booking["total_cents"] - sum(r["amount_cents"] - r["refunded_cents"] for r in rows.values())
    for block in blocks:
        row = rows.get(block.index)
        if row is None or row["status"] != "due":
            continue
        # Unpaid blocks take the new schedule's amounts; the paid ones keep theirs.
        delta -= block.amount_cents - row["amount_cents"]
        await store.revise_payment(conn, row["id"], block.amount_cents, block.start, block.nights, block.release_at)
    for block in blocks:
        row = rows.get(block.index)
        if row is not None and row["status"] == "succeeded" and row["released_at"] is None:
            await store.move_release(conn, row["id"], block.release_at)
    if delta < 0:
        await add_refunds(conn, booking_id, -delta, "shift", "the stay moved to dates that cost less", None)
    elif delta > 0:
        window = timedelta(hours=settings.payment_window_hours)
        await store.insert_payment(
            conn,
            {
                "id": uuid.uuid4(),
                "booking_id": booking_id,
                "block": await store.next_block(conn, booking_id),
                "start_date": booking["check_in"],
                "nights": (booking["check_out"] - booking["check_in"]).days,
                "amount_cents": delta,
                "charge_from": at,
                "pay_by": domain.pay_deadline(at, booking["check_in"], window),
                "release_at": domain.check_in_at(booking["check_in"]) + domain.RELEASE_AFTER_CHECK_IN,
            },
        )


async def add_refunds(
    conn: Connection, booking_id: uuid.UUID, amount_cents: int, kind: str, reason: str, by: uuid.UUID | None
) -> int:
    """Refund steps for ``amount_cents`` across the booking's paid payments, the latest
    first; returns the amount the steps cover (no more than was paid and not refunded)."""
    left = amount_cents
    for row in reversed(await store.payments_of(conn, booking_id)):
        if left <= 0:
            break
        if row["status"] != "succeeded":
            continue
        take = min(left, row["amount_cents"] - row["refunded_cents"])
        if take > 0 and await store.insert_refund(conn, uuid.uuid4(), row["id"], take, kind, reason, by):
            left -= take
    return amount_cents - left


async def run_refund(pool: asyncpg.Pool, api: StripeApi, settings: Settings) -> int:
    """Send pending refund steps to Stripe and post each to the ledger; how many were done."""
    done = 0
    async with pool.acquire() as conn, conn.transaction():
        for refund in await store.pending_refunds(conn):
            step = step_id("refund", refund["id"])
            found = await api.find_refund(step, refund["payment_intent"])
            made = found or await api.create_refund(step, refund["payment_intent"], refund["amount_cents"])
            row = await store.payment(conn, refund["payment_id"], for_update=True)
            assert row is not None
            balances = await store.payment_balances(conn, row["id"])
            from_held, from_host, from_fee = domain.refund_split(
                made.amount, balances["released"] + balances["fees"], balances["held"], settings.host_fee_percent
            )
            await store.post_transaction(
                conn,
                step,
                "refund",
                row["booking_id"],
                row["id"],
                [
                    ("holding", -from_held),
                    (host_account(row["host_id"]), -from_host),
                    ("fees", -from_fee),
                    ("refunds", made.amount),
                ],
            )
            await store.refund_done(conn, refund["id"], made.id, clock.now(settings))
            await add(
                conn,
                PaymentRefunded(
                    payment=payment_data(row), refund_id=refund["id"], refund_cents=made.amount, reason=refund["reason"]
                ),
            )
            done += 1
    return done


async def release(conn: Connection, row: asyncpg.Record, at: datetime, fee_percent: Decimal) -> None:
    """Release what the platform holds of a payment to the host's balance, less the fee."""
    held = (await store.payment_balances(conn, row["id"]))["held"]
    if held > 0:
        fee = domain.host_fee_cents(held, fee_percent)
        await store.post_transaction(
            conn,
            step_id("release", row["id"]),
            "release",
            row["booking_id"],
            row["id"],
            [("holding", -held), (host_account(row["host_id"]), held - fee), ("fees", fee)],
        )
        await add(conn, PaymentReleased(payment=payment_data(row), released_cents=held - fee, fee_cents=fee))
    await store.mark_released(conn, row["id"], at)
