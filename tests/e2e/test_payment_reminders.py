"""A payment unpaid near its deadline is recalled to the guest once: the acceptance's notice
was the only word before an accepted stay expired unpaid and its dates went back to the
host (a walk's guest lost a room that way). Payments' jobs run here on a moved clock."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from services.payments import jobs
from services.runner import Stack
from tests.api import Api
from tests.e2e.payments import accepted_booking, moved_clock, notified
from tests.eventually import eventually


async def test_a_guest_is_reminded_once_before_a_first_payment_expires(
    api: Api, stack: Stack, payments_db: asyncpg.Pool
) -> None:
    host, guest, booking = await accepted_booking(api, start=30, nights=14)

    async def due() -> bool:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return r.status == 200 and [p["status"] for p in r.body["payments"]] == ["due"]

    await eventually(due, 15, what="payments to hold the first payment due")
    # 48 hours to pay: nothing a day in, one reminder 37 hours in (11 hours left), none after.
    assert await jobs.remind_due(payments_db, moved_clock(stack, timedelta(hours=24))) == 0
    ours = f"SELECT reminded_at FROM payments WHERE booking_id = '{booking['id']}'"
    assert await payments_db.fetchval(ours) is None
    await jobs.remind_due(payments_db, moved_clock(stack, timedelta(hours=37)))
    assert await payments_db.fetchval(ours) is not None
    await jobs.remind_due(payments_db, moved_clock(stack, timedelta(hours=38)))

    text = await eventually(lambda: notified(api, guest, "payment_due_soon"), 15, what="the guest reminded")
    assert text.startswith("Reminder: pay $") and "by " in text, text
    assert text.endswith("unpaid by then, the booking expires and its dates go back to the host."), text
    r = await api.call("GET", "/notifications", guest)
    reminders = [n for n in r.body["items"] if n["kind"] == "payment_due_soon"]
    assert len(reminders) == 1 and reminders[0]["booking_id"] == booking["id"], reminders
    # The host is not the one to pay.
    assert await notified(api, host, "payment_due_soon") is None


async def test_a_paid_or_cancelled_stay_is_not_reminded(api: Api, stack: Stack, payments_db: asyncpg.Pool) -> None:
    _, guest, booking = await accepted_booking(api, start=40, nights=14)

    async def due() -> bool:
        r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        return r.status == 200 and [p["status"] for p in r.body["payments"]] == ["due"]

    await eventually(due, 15, what="payments to hold the first payment due")
    assert (await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)).status == 200
    ours = f"SELECT status FROM payments WHERE booking_id = '{booking['id']}'"
    await eventually(
        lambda: payments_db.fetchval(ours), 15, what="the payment cancelled", until=lambda s: s == "cancelled"
    )
    await jobs.remind_due(payments_db, moved_clock(stack, timedelta(hours=37)))
    reminded = f"SELECT reminded_at FROM payments WHERE booking_id = '{booking['id']}'"
    assert await payments_db.fetchval(reminded) is None
    assert await notified(api, guest, "payment_due_soon") is None
