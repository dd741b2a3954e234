"""A host's payouts as one CSV file through the gateway (``GET /me/payouts.csv``): every
paid stay, past the route's page of 100, streamed page by page; a period by check-in; bad
input a 400 before any CSV; someone else's stays never in it."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta

import asyncpg

from services.payments import store
from services.payments.stripe_api import StripeApi
from services.runner import Stack
from tests.api import Api, User
from tests.e2e.payments import moved_clock, reconciled

STAYS = 101  # one more than the largest page the download asks for
FIRST_CHECK_IN = date(2031, 1, 1)


async def _paid_stays(pool: asyncpg.Pool, stripe: StripeApi, host_id: uuid.UUID, count: int, title: str) -> None:
    """``count`` paid stays of the host's in payments' own tables, each charged for real at
    localstripe (so reconciliation still agrees): the n-th checks in on day n from
    ``FIRST_CHECK_IN`` for 7 nights and paid 100 + n cents. Many stays through the whole
    flow would take minutes; the download reads payments' tables and ledger only."""
    for n in range(count):
        intent = await stripe.client.v1.payment_intents.create_async(params={"amount": 100 + n, "currency": "usd"})
        booking_id, payment_id = uuid.uuid4(), uuid.uuid4()
        check_in = FIRST_CHECK_IN + timedelta(days=n)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO bookings(booking_id, listing_id, listing_title, guest_id, host_id, check_in, check_out,"
                " total_cents, status, cancellation_policy, version)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'confirmed', 'flexible', 2)",
                booking_id,
                uuid.uuid4(),
                title,
                uuid.uuid4(),
                host_id,
                check_in,
                check_in + timedelta(days=7),
                100 + n,
            )
            await conn.execute(
                "INSERT INTO payments(id, booking_id, block, start_date, nights, amount_cents, charge_from, pay_by,"
                " release_at, status, payment_intent) VALUES ($1, $2, 0, $3, 7, $4, now(), now(), $5, 'succeeded', $6)",
                payment_id,
                booking_id,
                check_in,
                100 + n,
                # Released long after the test: the money stays held.
                FIRST_CHECK_IN + timedelta(days=n + 1),
                intent.id,
            )
            await store.post_transaction(
                conn,
                f"charge:{payment_id}",
                "charge",
                booking_id,
                payment_id,
                [("guest_card", -(100 + n)), ("holding", 100 + n)],
            )
        # Paid at Stripe once the ledger has it: its webhook then finds the step posted.
        await stripe.confirm_intent(intent.id, "pm_card_visa")


def _rows(text: str) -> list[dict[str, str]]:
    """The file's rows; it starts with a byte order mark (Excel reads UTF-8 by it)."""
    assert text.startswith("\ufeff"), text[:20]
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


async def test_the_payouts_csv_holds_every_paid_stay_past_one_page(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """101 paid stays: the CSV has all 101 (the page's CSV had the first 50, and the web
    client's 100), once each, newest check-in first, the header once, amounts to the cent;
    a period keeps the stays checking in within it; another host's stay is in neither."""
    host = await api.signup("professional", "Dr. Many Stays")
    other = await api.signup("professional", "Dr. Other")
    stripe = StripeApi(moved_clock(stack, timedelta(0)))
    try:
        await _paid_stays(payments_db, stripe, uuid.UUID(host.id), STAYS, 'Room "A", 1st floor')
        await _paid_stays(payments_db, stripe, uuid.UUID(other.id), 1, "Someone else's room")
    finally:
        await stripe.close()

    r = await api.call("GET", "/me/payouts.csv", host)
    assert r.status == 200, r.body
    assert r.headers["Content-Type"].startswith("text/csv")
    assert r.headers["Content-Disposition"] == 'attachment; filename="wardmate-payouts.csv"'
    assert r.headers["Cache-Control"] == "private, no-store"
    text = str(r.body)
    assert text.count("booking_id,listing_title") == 1
    rows = _rows(text)
    assert len(rows) == STAYS and len({row["booking_id"] for row in rows}) == STAYS
    check_ins = [row["check_in"] for row in rows]
    assert check_ins == sorted(check_ins, reverse=True)
    assert check_ins[0] == str(FIRST_CHECK_IN + timedelta(days=STAYS - 1)) and check_ins[-1] == str(FIRST_CHECK_IN)
    assert {row["listing_title"] for row in rows} == {'Room "A", 1st floor'}
    assert sum(round(float(row["paid"]) * 100) for row in rows) == sum(100 + n for n in range(STAYS))
    assert all(row["paid"] == row["held"] for row in rows)
    # The JSON page is a page: the same route as before.
    page = await api.call("GET", "/me/payouts", host, params={"limit": 100})
    assert len(page.body["items"]) == 100 and page.body["next_cursor"], page.body

    # The stays checking in from the 11th to before the 21st of January.
    period = {"from": str(FIRST_CHECK_IN + timedelta(days=10)), "to": str(FIRST_CHECK_IN + timedelta(days=20))}
    r = await api.call("GET", "/me/payouts.csv", host, params=period)
    assert r.status == 200, r.body
    within = _rows(str(r.body))
    assert sorted(row["check_in"] for row in within) == [
        str(FIRST_CHECK_IN + timedelta(days=n)) for n in range(10, 20)
    ], within

    theirs = _rows(str((await api.call("GET", "/me/payouts.csv", other)).body))
    assert [row["listing_title"] for row in theirs] == ["Someone else's room"]
    await reconciled(api, admin)


async def test_the_payouts_csv_refuses_bad_input_before_any_csv(api: Api) -> None:
    """Not logged in: 401; a bad date, a period that ends before it begins, or a parameter
    the download does not take: a 400 JSON error, never a 500 or half a file."""
    host = await api.signup("professional", "Dr. Careful")
    r = await api.call("GET", "/me/payouts.csv")
    assert r.status == 401 and r.body["error"]["code"] == "unauthorized", r.body
    for params in ({"from": "2031-02-30"}, {"from": "2031-03-01", "to": "2031-02-01"}, {"limit": "5"}):
        r = await api.call("GET", "/me/payouts.csv", host, params=params)
        assert r.status == 400 and r.body["error"]["code"] == "validation", (params, r.body)


async def test_payouts_are_a_hosts_own(api: Api) -> None:
    """A student (or an operator) has no payouts: 403 with the reason, as JSON and as CSV,
    not a page of zeros that read as a host's empty balance."""
    student = await api.signup("student", "Not A Host")
    for path in ("/me/payouts", "/me/payouts.csv"):
        r = await api.call("GET", path, student)
        assert r.status == 403 and r.body["error"]["code"] == "forbidden", (path, r.body)
        assert "professional" in r.body["error"]["message"], r.body
