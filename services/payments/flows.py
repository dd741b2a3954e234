"""The steps that move money, shared by the handlers, the consumers and the jobs.

Each step has its row before Stripe is called (a payment for a charge, a refund for a
refund, a cancelled payment whose intent is still open for closing that intent) and names
it in Stripe's metadata, so a retry after a crash finds Stripe's object instead of making
another; each step's ledger transaction has the step as its unique reference, so it is
posted once; each outcome is applied under the payment's row lock and only moves its state
forward (``domain.advance``), whichever of the webhook, the client's confirmation or a job
reports it first.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from services.payments import domain, store
from services.payments.stripe_api import Intent, StripeApi, payment_of_step, step_id
from services.payments.views import payment_data, zone_of
from shared import clock
from shared.contracts.payments import PaymentDue, PaymentFailed, PaymentRefunded, PaymentReleased, PaymentSucceeded
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.settings import Settings

log = logging.getLogger(__name__)

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
        if intent.card:
            await store.set_card(conn, row["id"], intent.card)
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
            # Paid after the deadline, the cancellation, or new terms that replaced this
            # payment (an old pay page): all of it goes back.
            reason = (
                "paid for an amount the stay no longer has (its dates changed)"
                if row["replaced"]
                else f"paid after the booking was {row['status']}"
            )
            await store.insert_refund(conn, uuid.uuid4(), row["id"], intent.amount, "expired", reason, None)
        return
    if intent.failure and row["status"] == "due" and intent.failure != row["failure"]:
        await store.set_failure(conn, row["id"], intent.failure)
        if report_failure:
            # By when another card must pay, on the room's clock (the notice gave no time).
            booking = await store.booking(conn, row["booking_id"])
            zone = zone_of(booking) if booking is not None else None
            failed = PaymentFailed(
                payment=payment_data(row), reason=intent.failure, pay_by=row["pay_by"], time_zone=zone
            )
            await add(conn, failed)


def payment_values(booking_id: uuid.UUID, due: domain.Due, block: int) -> dict[str, Any]:
    """The row of a payment made due, as row ``block`` of the booking's payments."""
    return {
        "id": uuid.uuid4(),
        "booking_id": booking_id,
        "block": block,
        "start_date": due.start,
        "nights": due.nights,
        "amount_cents": due.amount_cents,
        "charge_from": due.block.charge_from,
        "pay_by": due.pay_by,
        "release_at": due.block.release_at,
    }


async def make_due(conn: Connection, booking_id: uuid.UUID, settings: Settings) -> None:
    """The host accepted: the stay's schedule is due, each block a payment."""
    row = await store.booking(conn, booking_id)
    assert row is not None and row["accepted_at"] is not None
    window = timedelta(hours=settings.payment_window_hours)
    # The payment window runs on payments' clock from the moment of acceptance.
    accepted_at = clock.moved(settings, row["accepted_at"])
    blocks = domain.schedule(row["check_in"], row["check_out"], row["total_cents"], accepted_at, zone_of(row))
    dues, _ = domain.still_due(blocks, 0, window)
    for due in dues:
        await store.insert_payment(conn, payment_values(booking_id, due, due.block.index))
    first = next((p for p in await store.payments_of(conn, booking_id) if p["status"] == "due"), None)
    if first is not None:
        # The guest's notice of the acceptance: how much, and by when (set here, not in listings).
        told = PaymentDue(
            payment=payment_data(first),
            pay_by=first["pay_by"],
            time_zone=zone_of(row),
            check_in=row["check_in"],
            check_out=row["check_out"],
            payments=len(dues),
        )
        await add(conn, told)


async def apply_shift(conn: Connection, booking_id: uuid.UUID, settings: Settings) -> None:
    """The host accepted new dates: what is due becomes what the same stay booked directly
    now would owe, less what the guest has paid (``domain.still_due``).

    - A payment not yet made keeps its row (and PaymentIntent) only when the new schedule
      asks the same amount of its block; every other one is cancelled, its intent kept for
      the intent sweep to cancel at Stripe (a pay page still open on it cannot charge the
      guest for nothing: a charge that gets in first is recorded and refunded).
    - What the new schedule owes beyond that is due in new rows; the first payment of a
      stay not yet paid keeps block 0, which is what listings confirms or expires a stay by.
    - What was paid (net of refunds) beyond the new total is refunded, exactly.
    - Money already paid is released when the nights it pays for begin.
    """
    booking = await store.booking(conn, booking_id)
    assert booking is not None
    if booking["status"] not in ("accepted", "confirmed"):
        return  # ended meanwhile (a newer event was applied first): nothing is due any more
    at = clock.now(settings)
    window = timedelta(hours=settings.payment_window_hours)
    await store.lock_payments(conn, booking_id)
    rows = [r for r in await store.payments_of(conn, booking_id) if r["status"] in ("due", "succeeded")]
    paid_rows = [r for r in rows if r["status"] == "succeeded"]
    paid = [r["amount_cents"] - r["refunded_cents"] for r in paid_rows]
    blocks = domain.schedule(booking["check_in"], booking["check_out"], booking["total_cents"], at, zone_of(booking))
    dues, beyond = domain.still_due(blocks, sum(paid), window)
    for row, release_at in zip(paid_rows, domain.release_times(blocks, paid), strict=True):
        if row["released_at"] is None:
            await store.move_release(conn, row["id"], release_at)
    unpaid = {r["block"]: r for r in rows if r["status"] == "due"}
    kept = {
        due.block.index: unpaid[due.block.index]
        for due in dues
        if due.block.index in unpaid and unpaid[due.block.index]["amount_cents"] == due.amount_cents
    }
    await store.replace_payments(conn, [r["id"] for r in unpaid.values() if r["block"] not in kept])
    taken = {r["block"] for r in paid_rows} | set(kept)
    following = await store.next_block(conn, booking_id)
    for due in dues:
        if due.block.index in kept:
            values = payment_values(booking_id, due, due.block.index)
            await store.reschedule_payment(conn, kept[due.block.index]["id"], values)
            continue
        block = due.block.index
        if block in taken:
            block, following = following, following + 1
        taken.add(block)
        await store.insert_payment(conn, payment_values(booking_id, due, block))
    if beyond > 0:
        await add_refunds(conn, booking_id, beyond, "shift", "the stay moved to dates that cost less", None)


async def follow_zone(conn: Connection, booking_id: uuid.UUID, settings: Settings) -> None:
    """The booking's room time zone became known (it had none: projected before events
    carried it): each payment not yet released is released at the moment the schedule in
    that zone says, as if it had been made there. Deadlines already given to the guest
    stay."""
    booking = await store.booking(conn, booking_id)
    assert booking is not None
    await store.lock_payments(conn, booking_id)
    rows = [r for r in await store.payments_of(conn, booking_id) if r["status"] in ("due", "succeeded")]
    if not rows:
        return
    accepted_at = booking["accepted_at"] or clock.now(settings)  # charge_from only, unused here
    blocks = domain.schedule(
        booking["check_in"], booking["check_out"], booking["total_cents"], accepted_at, zone_of(booking)
    )
    paid_rows = [r for r in rows if r["status"] == "succeeded"]
    paid = [r["amount_cents"] - r["refunded_cents"] for r in paid_rows]
    moves = list(zip(paid_rows, domain.release_times(blocks, paid), strict=True))
    moves += [(r, domain.release_of_nights(blocks, r["start_date"], r["nights"])) for r in rows if r["status"] == "due"]
    for row, release_at in moves:
        if row["released_at"] is None and row["release_at"] != release_at:
            await store.move_release(conn, row["id"], release_at)


def paid_cents(payments: list[asyncpg.Record]) -> int:
    """What the guest has paid of these payments and not had back: what a refund can take."""
    return sum(p["amount_cents"] - p["refunded_cents"] for p in payments if p["status"] == "succeeded")


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
    """Send pending refund steps to Stripe and post each to the ledger; how many were done.

    Each in its own transaction, and one Stripe refuses or cannot answer now is left for the
    next pass while the others go on: they were sent 20 in one transaction, so one refund
    Stripe refused rolled back the ledger and the notices of those sent with it, every pass,
    and no refund was ever recorded again (Stripe kept only the first attempt of each: the
    steps' idempotency keys)."""
    done = 0
    failed: list[uuid.UUID] = []
    while True:
        async with pool.acquire() as conn, conn.transaction():
            refund = await store.next_pending_refund(conn, failed)
            if refund is None:
                return done
            try:
                async with conn.transaction():  # a savepoint: a failure leaves the row pending
                    await _send_refund(conn, api, settings, refund)
                done += 1
            except AppError as exc:  # Stripe refused, or did not answer
                log.warning("refund %s not sent this pass, retried next: %s", refund["id"], exc.message)
                failed.append(refund["id"])
            except Exception:
                log.exception("refund %s failed this pass, retried next", refund["id"])
                failed.append(refund["id"])


async def _send_refund(conn: Connection, api: StripeApi, settings: Settings, refund: asyncpg.Record) -> None:
    """One refund step: made at Stripe (or found there, made before), posted, announced."""
    step = step_id("refund", refund["id"])
    found = await api.find_refund(step, refund["payment_intent"])
    made = found or await api.create_refund(step, refund["payment_intent"], refund["amount_cents"])
    row = await store.payment(conn, refund["payment_id"], for_update=True)
    assert row is not None
    balances = await store.payment_balances(conn, row["id"])
    from_held, from_host, from_fee = domain.refund_split(
        made.amount,
        balances["released"] + balances["fees"],
        balances["fees"],
        balances["held"],
        settings.host_fee_percent,
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
            payment=payment_data(row),
            refund_id=refund["id"],
            refund_cents=made.amount,
            reason=refund["reason"],
            host_cents=from_host,
            refund_kind=refund["kind"],
        ),
    )


async def _intents_to_close(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Record]:
    """Every payment whose intent is still to close, a page at a time."""
    after = None
    while page := await store.intents_to_close(pool, after):
        for row in page:
            yield row
        after = (page[-1]["created_at"], page[-1]["id"])


async def close_intents(pool: asyncpg.Pool, api: StripeApi, settings: Settings) -> int:
    """Cancel at Stripe the PaymentIntents of payments that can no longer be paid (new
    terms replaced them, the booking was cancelled, declined or expired), so a pay page left
    open on one charges nobody. One that succeeded meanwhile is recorded and refunded in
    full (``apply_intent``). Each row stays to do until Stripe says its intent is closed,
    so a crash anywhere only repeats a step: a cancelled intent reads as cancelled."""
    at = clock.now(settings)
    done = 0
    async for candidate in _intents_to_close(pool):
        async with pool.acquire() as conn, conn.transaction():
            row = await store.payment_to_close(conn, candidate["id"])
            if row is None:
                continue  # closed meanwhile, or another process is on it
            try:
                intent = await api.retrieve_intent(row["payment_intent"])
                if intent.status not in ("succeeded", "canceled"):
                    intent = await api.cancel_intent(intent.id)
            except AppError as exc:
                if exc.code == "not_found":
                    # Stripe has no such intent (a test account emptied): nothing can pay it.
                    log.warning("payment %s: its intent %s is not at Stripe", row["id"], row["payment_intent"])
                    await store.set_intent_closed(conn, row["id"], at)
                    continue
                # Refused because the guest paid (or is paying) between the two calls, or
                # Stripe is away: the next round reads the intent again.
                log.info("payment %s: its intent is not closed yet (%s)", row["id"], exc.message)
                continue
            if intent.status == "succeeded":
                await apply_intent(conn, row, intent, at, report_failure=False)
            await store.set_intent_closed(conn, row["id"], at)
            done += 1
    return done


async def adopt_orphan(conn: Connection, intent: Intent) -> asyncpg.Record | None:
    """A succeeded PaymentIntent of Wardmate's that no payment holds (an earlier version
    dropped an intent when new dates changed the amount, and the old pay page completed
    it): a cancelled payment for it, locked, so its charge is recorded and refunded like
    any late one. None when it is not Wardmate's or its step names no payment
    (reconciliation lists such a charge)."""
    if not intent.wardmate or intent.status != "succeeded":
        return None
    payment_id = payment_of_step(intent.step)
    of = await store.payment(conn, payment_id) if payment_id else None
    if of is None:
        log.warning("PaymentIntent %s (step %s) succeeded and names no payment", intent.id, intent.step)
        return None
    await store.adopt_intent(conn, of, intent.id, intent.amount)
    return await store.payment_by_intent(conn, intent.id, for_update=True)


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
