"""The sweep that closes at Stripe the intents of payments that can no longer be paid,
read from payments' own tables, with a Stripe that will not close some of them yet."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import cast

import asyncpg
import pytest

from services.payments import flows
from services.payments.stripe_api import Intent, StripeApi
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


async def cancelled_payment(pool: asyncpg.Pool, intent: str, created_at: datetime) -> None:
    booking = uuid.uuid4()
    await pool.execute(
        "INSERT INTO bookings(booking_id, listing_id, guest_id, host_id, check_in, check_out, total_cents, status,"
        " cancellation_policy, version) VALUES ($1, $2, $3, $4, $5, $6, 1000, 'cancelled', 'flexible', 1)",
        booking,
        uuid.uuid4(),
        uuid.uuid4(),
        uuid.uuid4(),
        date(2027, 3, 1),
        date(2027, 3, 15),
    )
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
