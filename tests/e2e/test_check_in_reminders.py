"""A confirmed stay's guest and host are told the day before check-in, once: the guest
heard nothing between the payment and the day, weeks later, they had to find the room.
Listings' job runs here on a moved clock (the service's own loop reads the real one)."""

from __future__ import annotations

from datetime import date, timedelta

from services.listings import jobs
from services.runner import Stack
from shared import stays
from shared.db import create_pool
from tests.api import Api
from tests.e2e.payments import notified, paid_booking
from tests.eventually import eventually


async def test_both_sides_are_told_once_the_day_before_check_in(api: Api, stack: Stack) -> None:
    host, guest, booking = await paid_booking(api, stack, start=10, nights=14)
    zone = (await api.call("GET", f"/bookings/{booking['id']}", guest)).body["time_zone"]
    check_in = stays.check_in_moment(date.fromisoformat(booking["check_in"]), zone)
    pool = await create_pool(stack.service_url("listings"), "listings", size=1)
    told = f"SELECT check_in_told_at FROM bookings WHERE id = '{booking['id']}'"
    try:
        await jobs.remind_check_ins(pool, check_in - timedelta(hours=30))  # two days before: not yet
        assert await pool.fetchval(told) is None
        await jobs.remind_check_ins(pool, check_in - timedelta(hours=20))
        assert await pool.fetchval(told) is not None
        await jobs.remind_check_ins(pool, check_in - timedelta(hours=2))  # once
    finally:
        await pool.close()

    text = await eventually(lambda: notified(api, guest, "check_in_soon"), 15, what="the guest told")
    assert text.startswith(f"Your stay at “{booking['listing_title']}” starts soon: check-in from "), text
    assert "at 3:00 PM E" in text and "The exact address is on the booking" in text, text
    for_host = await eventually(lambda: notified(api, host, "check_in_soon"), 15, what="the host told")
    assert "checks in at" in for_host and "from " in for_host, for_host
    notices = (await api.call("GET", "/notifications", guest)).body["items"]
    assert len([n for n in notices if n["kind"] == "check_in_soon"]) == 1, notices
    [mail] = await api.mail(guest.email, "Check-in is within a day")
    assert f"/#/bookings?booking={booking['id']}" in mail.part("text/plain")


async def test_a_cancelled_stay_is_not_told(api: Api, stack: Stack) -> None:
    _, guest, booking = await paid_booking(api, stack, start=12, nights=14)
    assert (await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)).status == 200
    zone = (await api.call("GET", f"/bookings/{booking['id']}", guest)).body["time_zone"]
    check_in = stays.check_in_moment(date.fromisoformat(booking["check_in"]), zone)
    pool = await create_pool(stack.service_url("listings"), "listings", size=1)
    try:
        await jobs.remind_check_ins(pool, check_in - timedelta(hours=20))
        assert await pool.fetchval(f"SELECT check_in_told_at FROM bookings WHERE id = '{booking['id']}'") is None
    finally:
        await pool.close()
    assert await notified(api, guest, "check_in_soon") is None
