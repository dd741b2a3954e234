"""SQL of the payments schema: the bookings projection, payment and refund steps,
Stripe's applied events and the ledger. No rules here (see ``domain``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg

from shared.contracts.listings import BookingData
from shared.db import Connection

DB = Connection | asyncpg.Pool

# --- the bookings projection ----------------------------------------------------------


async def project_booking(conn: Connection, booking: BookingData, accepted_at: datetime | None) -> bool:
    """Keep the newest snapshot of a booking; False when ``booking`` is older than what is held."""
    row = await conn.fetchrow(
        """
        INSERT INTO bookings AS b (booking_id, listing_id, listing_title, guest_id, host_id, check_in, check_out,
            total_cents, status, cancellation_policy, accepted_at, version, rotation_protected, time_zone)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (booking_id) DO UPDATE SET
            listing_title = EXCLUDED.listing_title, check_in = EXCLUDED.check_in, check_out = EXCLUDED.check_out,
            total_cents = EXCLUDED.total_cents, status = EXCLUDED.status,
            cancellation_policy = EXCLUDED.cancellation_policy,
            accepted_at = coalesce(b.accepted_at, EXCLUDED.accepted_at), version = EXCLUDED.version,
            rotation_protected = EXCLUDED.rotation_protected,
            -- An event from before events carried the zone (None) keeps the one known.
            time_zone = coalesce(EXCLUDED.time_zone, b.time_zone)
        WHERE b.version < EXCLUDED.version
        RETURNING booking_id
        """,
        booking.booking_id,
        booking.listing_id,
        booking.listing_title,
        booking.guest_id,
        booking.host_id,
        booking.check_in,
        booking.check_out,
        booking.total_cents,
        booking.status,
        booking.cancellation_policy,
        accepted_at,
        booking.version,
        booking.rotation_protected,
        booking.time_zone,
    )
    return row is not None


async def booking(db: DB, booking_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM bookings WHERE booking_id = $1{lock}", booking_id)


async def set_card(conn: Connection, payment_id: uuid.UUID, card: str) -> None:
    """The card a payment was made with, as its receipt names it (kept once known)."""
    await conn.execute("UPDATE payments SET card = coalesce(card, $2) WHERE id = $1", payment_id, card)


async def project_account(db: DB, user_id: uuid.UUID, suspended: bool, version: int) -> None:
    """Hold whether the account is suspended, unless ours is as new or newer."""
    await db.execute(
        "INSERT INTO accounts(user_id, suspended, version) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE"
        " SET suspended = excluded.suspended, version = excluded.version WHERE accounts.version < excluded.version",
        user_id,
        suspended,
        version,
    )


async def suspended(db: DB, user_id: uuid.UUID) -> bool:
    return bool(await db.fetchval("SELECT suspended FROM accounts WHERE user_id = $1", user_id))


async def bookings_without_zone(db: DB) -> set[uuid.UUID]:
    """Bookings still open (asked for, accepted, paid) projected from events older than the
    room's time zone (migration 0008): the ones the upgrade sweep asks listings about."""
    rows = await db.fetch(
        "SELECT booking_id FROM bookings WHERE time_zone IS NULL AND status IN ('requested', 'accepted', 'confirmed')"
    )
    return {row["booking_id"] for row in rows}


async def set_zone(conn: Connection, booking_id: uuid.UUID, zone: str) -> bool:
    """Record the room's zone of a booking that has none yet; False when it has one (a newer
    event brought it meanwhile)."""
    row = await conn.fetchrow(
        "UPDATE bookings SET time_zone = $2 WHERE booking_id = $1 AND time_zone IS NULL RETURNING booking_id",
        booking_id,
        zone,
    )
    return row is not None


# --- payments (charge steps) ----------------------------------------------------------


async def insert_payment(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO payments(id, booking_id, block, start_date, nights, amount_cents, charge_from, pay_by, release_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        # One live row per block (migration 0004): an event delivered twice makes it once.
        " ON CONFLICT (booking_id, block) WHERE status <> 'cancelled' DO NOTHING",
        values["id"],
        values["booking_id"],
        values["block"],
        values["start_date"],
        values["nights"],
        values["amount_cents"],
        values["charge_from"],
        values["pay_by"],
        values["release_at"],
    )


PAYMENT_COLUMNS = """
    p.*, b.guest_id, b.host_id, b.listing_title, b.status AS booking_status,
    coalesce((SELECT sum(r.amount_cents) FROM refunds r WHERE r.payment_id = p.id), 0)::bigint AS refunded_cents
"""


async def payments_of(db: DB, booking_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        f"SELECT {PAYMENT_COLUMNS} FROM payments p JOIN bookings b USING (booking_id)"
        " WHERE p.booking_id = $1 ORDER BY p.block, p.created_at",
        booking_id,
    )


async def lock_payments(conn: Connection, booking_id: uuid.UUID) -> None:
    """Lock the booking's payments: a pay request (``flows.ensure_intent``) waits until new
    terms are applied, then finds its row cancelled or changed."""
    await conn.execute("SELECT 1 FROM payments WHERE booking_id = $1 FOR UPDATE", booking_id)


async def payment(db: DB, payment_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF p" if for_update else ""
    return await db.fetchrow(
        f"SELECT {PAYMENT_COLUMNS} FROM payments p JOIN bookings b USING (booking_id) WHERE p.id = $1{lock}",
        payment_id,
    )


async def payment_by_intent(db: DB, intent_id: str, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF p" if for_update else ""
    return await db.fetchrow(
        f"SELECT {PAYMENT_COLUMNS} FROM payments p JOIN bookings b USING (booking_id)"
        f" WHERE p.payment_intent = $1{lock}",
        intent_id,
    )


async def first_payment(db: DB, booking_id: uuid.UUID) -> asyncpg.Record | None:
    """The booking's first payment (block 0): the live one, else the latest replaced."""
    return await db.fetchrow(
        "SELECT id FROM payments WHERE booking_id = $1 AND block = 0"
        " ORDER BY status = 'cancelled', created_at DESC LIMIT 1",
        booking_id,
    )


async def count_attempt(db: DB, payment_id: uuid.UUID) -> None:
    """Committed before Stripe is called: a later attempt knows an intent may exist."""
    await db.execute("UPDATE payments SET intent_attempts = intent_attempts + 1 WHERE id = $1", payment_id)


async def set_intent(conn: Connection, payment_id: uuid.UUID, intent_id: str, client_secret: str) -> None:
    await conn.execute(
        "UPDATE payments SET payment_intent = $2, client_secret = $3 WHERE id = $1",
        payment_id,
        intent_id,
        client_secret,
    )


async def reschedule_payment(conn: Connection, payment_id: uuid.UUID, values: dict[str, Any]) -> None:
    """New dates and deadline for a payment not yet made whose amount stays: its
    PaymentIntent (the same amount) stays good."""
    await conn.execute(
        "UPDATE payments SET start_date = $2, nights = $3, charge_from = $4, pay_by = $5, release_at = $6,"
        " overdue_at = CASE WHEN $5 > pay_by THEN NULL ELSE overdue_at END WHERE id = $1 AND status = 'due'",
        payment_id,
        values["start_date"],
        values["nights"],
        values["charge_from"],
        values["pay_by"],
        values["release_at"],
    )


async def replace_payments(conn: Connection, payment_ids: list[uuid.UUID]) -> None:
    """Payments not yet made that new terms replace: cancelled and marked replaced (the
    receipt lists them apart), their PaymentIntents kept (the intent sweep cancels them at
    Stripe; a late success is recorded and refunded)."""
    await conn.execute(
        "UPDATE payments SET status = 'cancelled', replaced = true WHERE id = ANY($1::uuid[]) AND status = 'due'",
        payment_ids,
    )


async def move_release(conn: Connection, payment_id: uuid.UUID, release_at: datetime) -> None:
    await conn.execute(
        "UPDATE payments SET release_at = $2 WHERE id = $1 AND released_at IS NULL", payment_id, release_at
    )


async def intents_to_close(
    db: DB, after: tuple[datetime, uuid.UUID] | None = None, limit: int = 50
) -> list[asyncpg.Record]:
    """A page of the payments that can no longer be paid whose PaymentIntent may still be
    open at Stripe, oldest first, after ``after`` (the last row's creation and id): the
    sweep walks them all. A row whose intent Stripe would not close yet stays to do, and
    the sweep read the first 50 only, so 50 such rows kept every later intent open."""
    return await db.fetch(
        "SELECT id, created_at FROM payments WHERE status IN ('cancelled', 'expired') AND payment_intent IS NOT NULL"
        " AND intent_closed_at IS NULL AND ($1::timestamptz IS NULL OR (created_at, id) > ($1, $2))"
        " ORDER BY created_at, id LIMIT $3",
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def payment_to_close(conn: Connection, payment_id: uuid.UUID) -> asyncpg.Record | None:
    """The payment, locked, if its intent is still to close and no one else is on it."""
    return await conn.fetchrow(
        f"SELECT {PAYMENT_COLUMNS} FROM payments p JOIN bookings b USING (booking_id)"
        " WHERE p.id = $1 AND p.status IN ('cancelled', 'expired') AND p.intent_closed_at IS NULL"
        " FOR UPDATE OF p SKIP LOCKED",
        payment_id,
    )


async def set_intent_closed(conn: Connection, payment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE payments SET intent_closed_at = $2 WHERE id = $1", payment_id, at)


async def adopt_intent(conn: Connection, of: asyncpg.Record, intent_id: str, amount_cents: int) -> None:
    """A cancelled payment for a PaymentIntent of ``of``'s step that no row holds (an
    earlier version forgot the intent when new dates changed the amount): what lets its
    charge be recorded and refunded like any late one."""
    await conn.execute(
        "INSERT INTO payments(id, booking_id, block, start_date, nights, amount_cents, charge_from, pay_by,"
        " release_at, status, replaced, payment_intent)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, 'cancelled', true, $9)"
        " ON CONFLICT (payment_intent) DO NOTHING",
        uuid.uuid4(),
        of["booking_id"],
        of["block"],
        of["start_date"],
        of["nights"],
        amount_cents,
        of["charge_from"],
        of["release_at"],
        intent_id,
    )


async def next_block(conn: Connection, booking_id: uuid.UUID) -> int:
    return int(
        await conn.fetchval("SELECT coalesce(max(block), -1) + 1 FROM payments WHERE booking_id = $1", booking_id)
    )


async def next_due(db: DB, booking_id: uuid.UUID, at: datetime) -> asyncpg.Record | None:
    """The first payment of the booking that is due and may be charged now."""
    return await db.fetchrow(
        "SELECT id FROM payments WHERE booking_id = $1 AND status = 'due' AND charge_from <= $2 ORDER BY block LIMIT 1",
        booking_id,
        at,
    )


async def set_payment_status(conn: Connection, payment_id: uuid.UUID, status: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE payments SET status = $2, paid_at = CASE WHEN $2 = 'succeeded' THEN $3 ELSE paid_at END,"
        " failure = CASE WHEN $2 = 'succeeded' THEN NULL ELSE failure END WHERE id = $1",
        payment_id,
        status,
        at,
    )


async def set_failure(conn: Connection, payment_id: uuid.UUID, failure: str | None) -> None:
    await conn.execute("UPDATE payments SET failure = $2 WHERE id = $1", payment_id, failure)


async def cancel_due(conn: Connection, booking_id: uuid.UUID, status: str) -> list[asyncpg.Record]:
    """Payments of the booking not yet paid, now ``status`` (expired or cancelled)."""
    return await conn.fetch(
        "UPDATE payments SET status = $2 WHERE booking_id = $1 AND status = 'due' RETURNING id, payment_intent",
        booking_id,
        status,
    )


async def next_overdue(conn: Connection, now: datetime, skip: list[uuid.UUID]) -> asyncpg.Record | None:
    """The next first payment past its deadline, but those in ``skip`` (locked,
    skip-locked)."""
    return await conn.fetchrow(
        f"SELECT {PAYMENT_COLUMNS} FROM payments p JOIN bookings b USING (booking_id)"
        " WHERE p.status = 'due' AND p.block = 0 AND p.pay_by <= $1 AND p.id <> ALL($2::uuid[])"
        " ORDER BY p.pay_by, p.id LIMIT 1 FOR UPDATE OF p SKIP LOCKED",
        now,
        skip,
    )


async def overdue_later(conn: Connection, now: datetime, limit: int = 100) -> list[asyncpg.Record]:
    """Later payments (not the first, which expires the booking) past their deadline and
    not yet announced, with their room's time zone (locked, skip-locked)."""
    return await conn.fetch(
        f"SELECT {PAYMENT_COLUMNS}, b.time_zone FROM payments p JOIN bookings b USING (booking_id)"
        " WHERE p.status = 'due' AND p.block > 0 AND p.pay_by <= $1 AND p.overdue_at IS NULL"
        " ORDER BY p.pay_by LIMIT $2 FOR UPDATE OF p SKIP LOCKED",
        now,
        limit,
    )


async def due_soon(conn: Connection, now: datetime, before: timedelta, limit: int = 100) -> list[asyncpg.Record]:
    """Payments unpaid whose deadline is within ``before`` and not yet recalled, with their
    room's time zone (locked, skip-locked): only those given at least twice ``before`` to
    pay (a payment set 12 hours before its deadline was just announced), and not a first
    payment to a suspended host (it cannot be paid while the suspension lasts)."""
    return await conn.fetch(
        f"SELECT {PAYMENT_COLUMNS}, b.time_zone FROM payments p JOIN bookings b USING (booking_id)"
        " WHERE p.status = 'due' AND p.reminded_at IS NULL AND p.pay_by > $1 AND p.pay_by <= $1 + $2"
        " AND p.pay_by - p.charge_from >= 2 * $2 AND b.status IN ('accepted', 'confirmed')"
        " AND NOT (p.block = 0 AND EXISTS (SELECT 1 FROM accounts a WHERE a.user_id = b.host_id AND a.suspended))"
        " ORDER BY p.pay_by LIMIT $3 FOR UPDATE OF p SKIP LOCKED",
        now,
        before,
        limit,
    )


async def mark_reminded(conn: Connection, payment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE payments SET reminded_at = $2 WHERE id = $1", payment_id, at)


async def mark_overdue(conn: Connection, payment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE payments SET overdue_at = $2 WHERE id = $1", payment_id, at)


async def unpaid_overdue(db: DB, now: datetime) -> list[asyncpg.Record]:
    """Every later payment still unpaid past its deadline: what operators follow up."""
    return await db.fetch(
        "SELECT p.id, p.booking_id, p.block, p.amount_cents, p.pay_by, b.status AS booking_status"
        " FROM payments p JOIN bookings b USING (booking_id)"
        " WHERE p.status = 'due' AND p.block > 0 AND p.pay_by <= $1 ORDER BY p.pay_by",
        now,
    )


async def releasable(conn: Connection, now: datetime, limit: int = 100) -> list[asyncpg.Record]:
    """Paid payments whose release time has come and that no refund is still on its way for,
    of hosts not suspended: a suspended host's money stays held (an operator refunds it, or
    it is released at the next sweep once the suspension is lifted)."""
    return await conn.fetch(
        f"SELECT {PAYMENT_COLUMNS} FROM payments p JOIN bookings b USING (booking_id)"
        " WHERE p.status = 'succeeded' AND p.released_at IS NULL AND p.release_at <= $1"
        " AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.payment_id = p.id AND r.status = 'pending')"
        " AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.user_id = b.host_id AND a.suspended)"
        " ORDER BY p.release_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED",
        now,
        limit,
    )


async def mark_released(conn: Connection, payment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE payments SET released_at = $2 WHERE id = $1", payment_id, at)


# --- refunds --------------------------------------------------------------------------


async def insert_refund(
    conn: Connection,
    refund_id: uuid.UUID,
    payment_id: uuid.UUID,
    amount_cents: int,
    kind: str,
    reason: str,
    requested_by: uuid.UUID | None,
) -> bool:
    """A refund step; False when this payment's cancellation refund already exists."""
    row = await conn.fetchrow(
        "INSERT INTO refunds(id, payment_id, amount_cents, kind, reason, requested_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
        refund_id,
        payment_id,
        amount_cents,
        kind,
        reason,
        requested_by,
    )
    return row is not None


async def refunds_of(db: DB, booking_id: uuid.UUID) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT r.* FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE p.booking_id = $1"
        " ORDER BY r.created_at, r.id",
        booking_id,
    )


async def next_pending_refund(conn: Connection, skip: list[uuid.UUID]) -> asyncpg.Record | None:
    """The oldest refund step still to send, but those in ``skip`` (locked, skip-locked)."""
    return await conn.fetchrow(
        "SELECT r.*, p.payment_intent, p.booking_id FROM refunds r JOIN payments p ON p.id = r.payment_id"
        " WHERE r.status = 'pending' AND r.id <> ALL($1::uuid[])"
        " ORDER BY r.created_at, r.id LIMIT 1 FOR UPDATE OF r SKIP LOCKED",
        skip,
    )


async def refund_done(conn: Connection, refund_id: uuid.UUID, stripe_refund: str, at: datetime) -> None:
    await conn.execute(
        "UPDATE refunds SET status = 'succeeded', stripe_refund = $2, succeeded_at = $3 WHERE id = $1",
        refund_id,
        stripe_refund,
        at,
    )


# --- Stripe's events ------------------------------------------------------------------


async def record_stripe_event(conn: Connection, event_id: str, event_type: str) -> bool:
    """False when this Stripe event was applied already."""
    row = await conn.fetchrow(
        "INSERT INTO stripe_events(id, type) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING id", event_id, event_type
    )
    return row is not None


# --- the ledger -----------------------------------------------------------------------


async def post_transaction(
    conn: Connection,
    reference: str,
    kind: str,
    booking_id: uuid.UUID,
    payment_id: uuid.UUID,
    entries: list[tuple[str, int]],
) -> bool:
    """One balanced transaction (the database refuses the commit otherwise); False when
    the step ``reference`` was posted already."""
    txn = uuid.uuid4()
    row = await conn.fetchrow(
        "INSERT INTO ledger_transactions(id, reference, kind, booking_id, payment_id) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (reference) DO NOTHING RETURNING id",
        txn,
        reference,
        kind,
        booking_id,
        payment_id,
    )
    if row is None:
        return False
    await conn.executemany(
        "INSERT INTO ledger_entries(transaction_id, account, amount_cents) VALUES ($1, $2, $3)",
        [(txn, account, amount) for account, amount in entries if amount != 0],
    )
    return True


async def payment_balances(db: DB, payment_id: uuid.UUID) -> asyncpg.Record:
    """What a payment's money is now: held, released to the host, fees, refunded."""
    return await balances_of(db, [payment_id])


async def balances_of(db: DB, payment_ids: list[uuid.UUID]) -> asyncpg.Record:
    """What these payments' money is now, summed (one query for a receipt's payments)."""
    row = await db.fetchrow(
        """
        SELECT coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'holding'), 0)::bigint AS held,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account LIKE 'host:%'), 0)::bigint AS released,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'fees'), 0)::bigint AS fees,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'refunds'), 0)::bigint AS refunded,
               coalesce(-sum(e.amount_cents) FILTER (WHERE e.account = 'guest_card'), 0)::bigint AS paid
        FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
        WHERE t.payment_id = ANY($1::uuid[])
        """,
        payment_ids,
    )
    assert row is not None
    return row


async def booking_money(
    conn: Connection, booking_id: uuid.UUID
) -> tuple[list[asyncpg.Record], list[asyncpg.Record], dict[str, int]]:
    """A booking's payments, its refunds, and their balances summed (cents): what a
    receipt shows, to its guest and host or to an operator. One snapshot for the three:
    a payment that succeeded between the reads was held in the balances but not yet
    succeeded among the payments, and the receipt left its fee out of the host's net."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        payments = await payments_of(conn, booking_id)
        refunds = await refunds_of(conn, booking_id)
        balances = await balances_of(conn, [p["id"] for p in payments])
    totals = {key: balances[key] for key in ("paid", "refunded", "held", "released", "fees")}
    return payments, refunds, totals


async def host_bookings(
    db: DB,
    host_id: uuid.UUID,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
    checking_in: tuple[date | None, date | None] = (None, None),
) -> list[asyncpg.Record]:
    """The host's paid bookings with each one's money, newest stay first; ``checking_in``:
    only those whose check-in is on or after its first day and before its second (each
    None: no bound)."""
    return await db.fetch(
        """
        SELECT b.booking_id, b.listing_title, b.check_in, b.check_out, b.status,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'holding'), 0)::bigint AS held,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'host:' || b.host_id), 0)::bigint AS released,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'fees'), 0)::bigint AS fees,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'refunds'), 0)::bigint AS refunded,
               coalesce(-sum(e.amount_cents) FILTER (WHERE e.account = 'guest_card'), 0)::bigint AS paid
        FROM bookings b
        JOIN ledger_transactions t ON t.booking_id = b.booking_id
        JOIN ledger_entries e ON e.transaction_id = t.id
        WHERE b.host_id = $1 AND ($2::date IS NULL OR (b.check_in, b.booking_id) < ($2, $3))
          AND ($5::date IS NULL OR b.check_in >= $5) AND ($6::date IS NULL OR b.check_in < $6)
        GROUP BY b.booking_id
        ORDER BY b.check_in DESC, b.booking_id DESC LIMIT $4
        """,
        host_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
        *checking_in,
    )


async def host_totals(db: DB, host_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        """
        SELECT coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'holding'), 0)::bigint AS held,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = 'fees'), 0)::bigint AS fees,
               coalesce(sum(e.amount_cents) FILTER (WHERE e.account = $2), 0)::bigint AS released
        FROM bookings b
        JOIN ledger_transactions t ON t.booking_id = b.booking_id
        JOIN ledger_entries e ON e.transaction_id = t.id
        WHERE b.host_id = $1
        """,
        host_id,
        f"host:{host_id}",
    )
    assert row is not None
    return row


async def account_balance(db: DB, account: str) -> int:
    return int(
        await db.fetchval("SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries WHERE account = $1", account)
    )


async def ledger_total(db: DB) -> int:
    return int(await db.fetchval("SELECT coalesce(sum(amount_cents), 0) FROM ledger_entries"))


async def held_intents(db: DB) -> set[str]:
    """Every PaymentIntent a payment holds (reconciliation's "ours")."""
    return {
        r["payment_intent"]
        for r in await db.fetch("SELECT payment_intent FROM payments WHERE payment_intent IS NOT NULL")
    }


async def ledger_charges(db: DB) -> list[asyncpg.Record]:
    """Every charge in the ledger with its PaymentIntent and amount."""
    return await db.fetch(
        "SELECT p.payment_intent, -e.amount_cents AS amount_cents FROM ledger_transactions t"
        " JOIN ledger_entries e ON e.transaction_id = t.id AND e.account = 'guest_card'"
        " JOIN payments p ON p.id = t.payment_id WHERE t.kind = 'charge'"
    )


async def ledger_refunds(db: DB) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT r.stripe_refund, p.payment_intent, e.amount_cents FROM ledger_transactions t"
        " JOIN ledger_entries e ON e.transaction_id = t.id AND e.account = 'refunds'"
        " JOIN refunds r ON t.reference = 'refund:' || r.id JOIN payments p ON p.id = r.payment_id"
        " WHERE t.kind = 'refund'"
    )


# --- the user's export ----------------------------------------------------------------


async def export(conn: Connection, user_id: uuid.UUID) -> dict[str, list[asyncpg.Record]]:
    """What payments holds about the user: the payments of their stays as a guest (Stripe's
    ids, not card details, which never reach Wardmate), their refunds, and as a host the
    entries of their balance."""
    return {
        "payments": await conn.fetch(
            "SELECT p.id, p.booking_id, b.listing_title, b.check_in, b.check_out, p.start_date, p.nights,"
            " p.amount_cents, p.status, p.pay_by, p.release_at, p.payment_intent, p.failure, p.created_at"
            " FROM payments p JOIN bookings b ON b.booking_id = p.booking_id WHERE b.guest_id = $1"
            " ORDER BY p.created_at, p.id",
            user_id,
        ),
        "refunds": await conn.fetch(
            "SELECT r.id, p.booking_id, r.payment_id, r.amount_cents, r.kind, r.reason, r.status, r.stripe_refund,"
            " r.created_at, r.succeeded_at FROM refunds r JOIN payments p ON p.id = r.payment_id"
            " JOIN bookings b ON b.booking_id = p.booking_id WHERE b.guest_id = $1 ORDER BY r.created_at, r.id",
            user_id,
        ),
        "balance_entries": await conn.fetch(
            "SELECT t.kind, t.booking_id, t.payment_id, e.amount_cents, t.created_at FROM ledger_entries e"
            " JOIN ledger_transactions t ON t.id = e.transaction_id WHERE e.account = $1 ORDER BY t.created_at, e.id",
            f"host:{user_id}",
        ),
    }
