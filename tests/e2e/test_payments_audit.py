"""Money from the money audit, through the gateway against localstripe: partial refunds of
released money take back the host's share and the fee to the cent; the receipt's fee and
net cover money still held beside money released; the ledger reconciles after each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.payments import jobs
from services.runner import Stack
from shared import stays
from tests.api import Api, User
from tests.e2e.helpers import future, pay_intent, start_payment
from tests.e2e.payments import moved_clock, notified, paid_booking, payments_ahead, reconciled
from tests.eventually import eventually


async def _release(stack: Stack, payments_db: asyncpg.Pool, booking_id: str) -> None:
    """The stay's first payment released to the host (payments' clock moved past it)."""
    row = await payments_db.fetchrow("SELECT release_at FROM payments WHERE booking_id = $1", booking_id)
    assert row is not None
    after = row["release_at"] - datetime.now(UTC) + timedelta(minutes=1)
    await jobs.release_held(payments_db, moved_clock(stack, after))


async def test_partial_refunds_of_released_money_take_back_the_fee_exactly(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """1,008.00 released (30.24 fee); an operator refunds 0.17 three times, then the rest:
    the host gives back its share to the cent and keeps none of it, the fees none."""
    host, _, booking = await paid_booking(api, stack, start=30)
    await _release(stack, payments_db, booking["id"])
    payouts = await api.call("GET", "/me/payouts", host)
    assert payouts.body["released"] == 977.76 and payouts.body["fees"] == 30.24, payouts.body

    async def refunded(amount: float) -> Any:
        r = await api.call("GET", f"/admin/payments/{booking['id']}", admin)
        done = [x for x in r.body["refunds"] if x["status"] == "succeeded"]
        return r.body if round(sum(x["amount"] for x in done), 2) == amount else None

    for n in range(1, 4):
        ok = await api.call(
            "POST", f"/admin/payments/{booking['id']}/refunds", admin, json={"amount_cents": 17, "reason": "cents"}
        )
        assert ok.status == 200, ok.body
        await eventually(lambda n=n: refunded(round(0.17 * n, 2)), 15, what="the operator's small refund")
    # 1,007.49 still released: the host keeps it less its fee (30.22), 977.27.
    payouts = await api.call("GET", "/me/payouts", host)
    assert payouts.body["released"] == 977.27 and payouts.body["fees"] == 30.22, payouts.body
    rest = await api.call(
        "POST", f"/admin/payments/{booking['id']}/refunds", admin, json={"amount_cents": 100749, "reason": "the rest"}
    )
    assert rest.status == 200, rest.body
    receipt = await eventually(lambda: refunded(1008.0), 15, what="the rest refunded")
    assert receipt["released"] == 0.0 and receipt["held"] == 0.0
    payouts = await api.call("GET", "/me/payouts", host)
    assert payouts.body["released"] == 0.0 and payouts.body["fees"] == 0.0, payouts.body
    await reconciled(api, admin)


async def test_the_receipt_counts_the_fee_of_money_still_held_beside_money_released(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """40 nights at 36.00: the first 30 paid and released, the last 10 paid and held. The
    host's receipt says the fee on all 1,440.00 (43.20) and the net they get (1,396.80),
    as the payouts page will once the rest is released, not the fee of the released part
    only."""
    assert stack.stripe is not None
    host, guest, booking = await paid_booking(api, stack, start=10, nights=40)
    # Confirmed by its first payment: the notice says what that was, of the total (it said
    # the guest had paid all of it).
    told = await eventually(lambda: notified(api, guest, "booking_confirmed"), 15, what="the stay confirmed")
    assert told.startswith("Paid $1,080.00 of $1,440.00: your stay at"), told
    later = await payments_db.fetchrow(
        "SELECT charge_from, amount_cents FROM payments WHERE booking_id = $1 AND block = 1", booking["id"]
    )
    assert later is not None and later["amount_cents"] == 360_00
    async with payments_ahead(stack, later["charge_from"] - datetime.now(UTC) + timedelta(minutes=5)):
        intent = await start_payment(api, guest, booking["id"])
        assert intent.status == 200 and intent.body["amount"] == 360.0, intent.body
        paid = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])
        assert paid.status == 200 and paid.body["status"] == "succeeded", paid.body

        async def mixed() -> Any:
            r = await api.call("GET", f"/bookings/{booking['id']}/payments", host)
            return r.body if r.body["released"] > 0 and r.body["held"] == 360.0 else None

        receipt = await eventually(mixed, 30, what="the first payment released, the second held")
    assert receipt["paid"] == 1440.0 and receipt["released"] == 1047.6
    assert receipt["host_fee"] == 43.2 and receipt["host_net"] == 1396.8, receipt
    await reconciled(api, admin)


async def test_a_guest_leaving_mid_stay_is_refunded_as_quoted_and_the_host_told_of_the_money_taken_back(
    api: Api, stack: Stack, admin: User
) -> None:
    """A flexible 28-night stay from today, paid (1,008.00) and released to the host. Three
    days in (payments' clock) the guest cancels: the nights beyond the next 7 come back, as
    quoted, out of the host's balance and the fee in proportion; the guest is told of the
    refund and the host of what left their balance (they heard only of the release)."""
    host, guest, booking = await paid_booking(api, stack, policy="flexible", start=0, available_from=future(0))
    ahead = timedelta(days=3)
    async with payments_ahead(stack, ahead):

        async def released() -> Any:
            r = await api.call("GET", "/me/payouts", host)
            return r.body if r.body["released"] > 0 else None

        payouts = await eventually(released, 30, what="the stay's payment released to the host")
        assert (payouts["released"], payouts["fees"]) == (977.76, 30.24), payouts
        today_there = stays.local_today(datetime.now(UTC) + ahead, "America/New_York")
        remaining = (date.fromisoformat(booking["check_out"]) - today_there).days
        refund = (remaining - 7) * 36.0
        quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", guest)
        assert quote.status == 200 and quote.body["refund"] == refund, (quote.body, remaining)
        cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)
        assert cancelled.status == 200 and cancelled.body["status"] == "cancelled", cancelled.body

        async def refunded() -> Any:
            r = await api.call("GET", f"/bookings/{booking['id']}/payments", host)
            return r.body if r.body["refunds"] and r.body["refunds"][0]["status"] == "succeeded" else None

        receipt = await eventually(refunded, 15, what="the refund at Stripe")
    assert receipt["refunded"] == refund and receipt["held"] == 0.0, receipt
    payouts = (await api.call("GET", "/me/payouts", host)).body
    assert round(payouts["released"] + payouts["fees"], 2) == round(1008.0 - refund, 2), payouts
    taken = round(977.76 - payouts["released"], 2)
    told = await eventually(lambda: notified(api, guest, "payment_refunded"), 15, what="the guest told of the refund")
    assert f"${refund:,.2f} is being refunded to your card" in told
    note = await eventually(lambda: notified(api, host, "payment_reclaimed"), 15, what="the host told of it")
    assert f"${taken:,.2f} taken back from your balance" in note and f"${refund:,.2f}" in note, note
    await reconciled(api, admin)
