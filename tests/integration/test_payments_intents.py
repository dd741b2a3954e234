"""Payments' sweeps read from their own tables, with a Stripe that refuses some calls: the
intents of payments that can no longer be paid are closed, refunds are sent, unpaid first
payments expire, and one row Stripe refuses never holds up the others."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import cast

import asyncpg
import pytest

from services.payments import flows, jobs, store
from services.payments.stripe_api import Intent, RefundObject, StripeApi
from shared.db import create_pool, migrate
from shared.errors import AppError
from shared.settings import Settings


@pytest.fixture
async def payments(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "payments", "services.payments.migrations")
    pool = await create_pool(fresh_db, "payments", size=2)
    yield pool
    await pool.close()


class StuckStripe:
    """Stripe as the sweep asks it: it refuses to close the intents named ``pi_stuck_…``
    (processing, say: the sweep reads them again next time) and cancels any other."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []

    async def retrieve_intent(self, intent_id: str) -> Intent:
        return Intent(intent_id, "requires_payment_method", 1000, "secret", None, None)

    async def cancel_intent(self, intent_id: str) -> Intent:
        if intent_id.startswith("pi_stuck_"):
            raise AppError("conflict", "this PaymentIntent is being processed")
        self.cancelled.append(intent_id)
        return Intent(intent_id, "canceled", 1000, "secret", None, None)


async def booking_row(pool: asyncpg.Pool, booking: uuid.UUID, status: str) -> None:
    """Payments' projection of a 14-night booking of $10.00 in ``status``."""
    await pool.execute(
        "INSERT INTO bookings(booking_id, listing_id, guest_id, host_id, check_in, check_out, total_cents, status,"
        " cancellation_policy, version) VALUES ($1, $2, $3, $4, $5, $6, 1000, $7, 'flexible', 1)",
        booking,
        uuid.uuid4(),
        uuid.uuid4(),
        uuid.uuid4(),
        date(2027, 3, 1),
        date(2027, 3, 15),
        status,
    )


async def cancelled_payment(pool: asyncpg.Pool, intent: str, created_at: datetime) -> None:
    booking = uuid.uuid4()
    await booking_row(pool, booking, "cancelled")
    await pool.execute(
        "INSERT INTO payments(id, booking_id, block, start_date, nights, amount_cents, charge_from, release_at,"
        " status, payment_intent, created_at) VALUES ($1, $2, 0, $3, 14, 1000, $4, $4, 'cancelled', $5, $4)",
        uuid.uuid4(),
        booking,
        date(2027, 3, 1),
        created_at,
        intent,
    )


async def test_the_intent_sweep_reaches_past_50_intents_stripe_will_not_close_yet(payments: asyncpg.Pool) -> None:
    """The sweep read the 50 oldest intents still to close, and a row stays to do while
    Stripe will not close its intent: with 50 of those, a later intent was never closed,
    and a pay page left open on it could still charge. It walks every one."""
    first = datetime(2027, 1, 10, 12, tzinfo=UTC)
    for n in range(50):
        await cancelled_payment(payments, f"pi_stuck_{n}", first + timedelta(seconds=n))
    await cancelled_payment(payments, "pi_later", first + timedelta(hours=1))
    stripe = StuckStripe()
    assert await flows.close_intents(payments, cast(StripeApi, stripe), Settings()) == 1
    assert stripe.cancelled == ["pi_later"]
    left = await payments.fetchval("SELECT count(*) FROM payments WHERE intent_closed_at IS NULL")
    assert left == 50  # the stuck ones stay to do


class RefusingStripe:
    """Stripe that refuses the refunds and intents named ``pi_refused…`` (a charge disputed,
    say), has no record of ``pi_missing…``, cannot be reached for ``pi_down…``, and
    otherwise makes refunds and reports intents unpaid."""

    def __init__(self) -> None:
        self.refunded: list[str] = []

    def _refuse(self, intent_id: str) -> None:
        if intent_id.startswith("pi_refused"):
            raise AppError("conflict", "Stripe refused: the charge is disputed")
        if intent_id.startswith("pi_missing"):
            raise AppError("not_found", "no such PaymentIntent")
        if intent_id.startswith("pi_down"):
            raise AppError("unavailable", "Stripe did not answer")

    async def find_refund(self, step: str, intent_id: str) -> RefundObject | None:
        return None

    async def create_refund(self, step: str, intent_id: str, amount_cents: int) -> RefundObject:
        self._refuse(intent_id)
        self.refunded.append(intent_id)
        return RefundObject(f"re_{intent_id}", amount_cents, "succeeded", step)

    async def retrieve_intent(self, intent_id: str) -> Intent:
        self._refuse(intent_id)
        return Intent(intent_id, "requires_payment_method", 1000, "secret", None, None)


async def paid_payment(pool: asyncpg.Pool, intent: str, refund_at: datetime) -> uuid.UUID:
    """A paid payment held by Wardmate, with a pending refund of it made at ``refund_at``."""
    booking, payment, refund = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await booking_row(pool, booking, "cancelled")
    await pool.execute(
        "INSERT INTO payments(id, booking_id, block, start_date, nights, amount_cents, charge_from, release_at,"
        " status, payment_intent) VALUES ($1, $2, 0, $3, 14, 1000, $4, $4, 'succeeded', $5)",
        payment,
        booking,
        date(2027, 3, 1),
        refund_at,
        intent,
    )
    async with pool.acquire() as conn, conn.transaction():
        await store.post_transaction(
            conn, f"charge:{payment}", "charge", booking, payment, [("guest_card", -1000), ("holding", 1000)]
        )
    await pool.execute(
        "INSERT INTO refunds(id, payment_id, amount_cents, kind, reason, created_at)"
        " VALUES ($1, $2, 1000, 'cancellation', 'cancelled', $3)",
        refund,
        payment,
        refund_at,
    )
    return refund


async def test_a_refund_stripe_refuses_holds_up_no_other(payments: asyncpg.Pool) -> None:
    """Refunds went 20 to a transaction: one Stripe refused rolled back those sent with it,
    every pass, so none was recorded or told to its guest again. The others now go on, and
    the refused one waits for the next pass."""
    first = datetime(2027, 1, 10, 12, tzinfo=UTC)
    refused = await paid_payment(payments, "pi_refused", first)
    later = [await paid_payment(payments, f"pi_fine_{n}", first + timedelta(minutes=n + 1)) for n in range(3)]
    stripe = RefusingStripe()
    assert await flows.run_refund(payments, cast(StripeApi, stripe), Settings()) == 3
    assert stripe.refunded == ["pi_fine_0", "pi_fine_1", "pi_fine_2"]
    states = dict(await payments.fetch("SELECT id, status FROM refunds"))
    assert states == {refused: "pending"} | {r: "succeeded" for r in later}
    assert await payments.fetchval("SELECT count(*) FROM outbox WHERE subject LIKE '%refunded%'") == 3


async def unpaid_first_payment(pool: asyncpg.Pool, intent: str, pay_by: datetime) -> uuid.UUID:
    booking, payment = uuid.uuid4(), uuid.uuid4()
    await booking_row(pool, booking, "accepted")
    await pool.execute(
        "INSERT INTO payments(id, booking_id, block, start_date, nights, amount_cents, charge_from, release_at,"
        " status, payment_intent, pay_by) VALUES ($1, $2, 0, $3, 14, 1000, $4, $4, 'due', $5, $4)",
        payment,
        booking,
        date(2027, 3, 1),
        pay_by,
        intent,
    )
    return payment


async def test_an_unpaid_payment_stripe_cannot_be_asked_about_holds_up_no_other(payments: asyncpg.Pool) -> None:
    """Unpaid first payments past their deadline expired in one transaction: one whose
    intent Stripe could not be asked about rolled back every expiry, every pass (and the
    releases to hosts ran after it). Now it waits for the next pass, the others expire, and
    an intent Stripe has no record of was never paid: it expires too."""
    deadline = datetime(2027, 1, 10, 12, tzinfo=UTC)
    down = await unpaid_first_payment(payments, "pi_down", deadline)
    missing = await unpaid_first_payment(payments, "pi_missing", deadline + timedelta(minutes=1))
    fine = await unpaid_first_payment(payments, "pi_fine", deadline + timedelta(minutes=2))
    after = Settings(clock_offset_s=(deadline + timedelta(hours=1) - datetime.now(UTC)).total_seconds())
    assert await jobs.expire_unpaid(payments, cast(StripeApi, RefusingStripe()), after) == 2
    states = dict(await payments.fetch("SELECT id, status FROM payments"))
    assert states == {down: "due", missing: "expired", fine: "expired"}
