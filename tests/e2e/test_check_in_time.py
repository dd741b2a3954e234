"""A stay starts at its check-in time (15:00) in the room's own time zone, through the
gateway with every service running: the hold is released 24 hours after that in Honolulu,
Los Angeles and Baltimore (it was 00:00 UTC, the afternoon of the check-in day there); a
flexible policy refunds in full until 24 hours before it (payments on a moved clock); and
at 20:00 in Los Angeles, already the next day in UTC, a student can book a stay checking
in that evening (listings on a clock moved back to that evening). The listing, the quote
and the booking say when check-in and check-out are, on the room's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from services.payments import domain, jobs
from services.runner import Stack
from shared import stays, timezones
from tests.api import Api, User
from tests.e2e.helpers import create_listing, future, request_stay
from tests.e2e.payments import clock_moved, moved_clock, paid_booking, reconciled, status_of
from tests.eventually import eventually

# Rooms' exact points, none on a hospital's own.
HONOLULU_ROOM = {"latitude": 21.2850, "longitude": -157.8300, "address": "2400 Kalakaua Ave, Honolulu, HI"}
LOS_ANGELES_ROOM = {"latitude": 34.0630, "longitude": -118.4480, "address": "10900 Wilshire Blvd, Los Angeles, CA"}
BALTIMORE_ROOM: dict[str, Any] = {}  # the helpers' room, near Johns Hopkins


async def test_the_hold_is_released_24_hours_after_check_in_at_the_room(
    api: Api, stack: Stack, admin: User, payments_db: asyncpg.Pool
) -> None:
    """For each room: the receipt says release at 15:00 there the day after check-in; a
    minute before, the release sweep (on a moved clock) pays the host nothing, a minute
    after it pays the stay less the fee."""
    for zone, room in (
        ("Pacific/Honolulu", HONOLULU_ROOM),
        ("America/Los_Angeles", LOS_ANGELES_ROOM),
        ("America/New_York", BALTIMORE_ROOM),
    ):
        host, guest, booking = await paid_booking(api, stack, start=30, **room)
        check_in = date.fromisoformat(booking["check_in"])
        release_at = stays.check_in_moment(check_in, zone) + domain.RELEASE_AFTER_CHECK_IN
        receipt = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
        [payment] = receipt.body["payments"]
        assert datetime.fromisoformat(payment["release_at"]) == release_at, (zone, payment)

        until = release_at - datetime.now(UTC)
        await jobs.release_held(payments_db, moved_clock(stack, until - timedelta(minutes=1)))
        payouts = await api.call("GET", "/me/payouts", host)
        assert payouts.body["released"] == 0.0 and payouts.body["held"] == 1008.0, (zone, payouts.body)
        await jobs.release_held(payments_db, moved_clock(stack, until + timedelta(minutes=1)))
        payouts = await api.call("GET", "/me/payouts", host)
        assert payouts.body["held"] == 0.0 and payouts.body["released"] == 977.76, (zone, payouts.body)
    await reconciled(api, admin)


async def test_a_flexible_refund_is_whole_until_24_hours_before_check_in_at_the_room(
    api: Api, stack: Stack, admin: User
) -> None:
    """Los Angeles, flexible, 28 nights paid (1008.00). 30 hours before 15:00 on the
    check-in day there (it was 7 hours before midnight UTC, inside the old 24 hours) the
    quote and the cancellation refund everything."""
    _, guest, booking = await paid_booking(api, stack, policy="flexible", start=30, **LOS_ANGELES_ROOM)
    check_in = stays.check_in_moment(date.fromisoformat(booking["check_in"]), "America/Los_Angeles")
    ahead = check_in - timedelta(hours=30) - datetime.now(UTC)
    async with clock_moved(stack, "payments", ahead, WARDMATE_PAYMENT_SWEEP_S="1"):
        quote = await api.call("GET", f"/bookings/{booking['id']}/refund-quote", guest)
        assert quote.status == 200 and quote.body["refund"] == 1008.0, quote.body
        assert "flexible policy, full refund" in quote.body["reason"], quote.body
        cancelled = await api.call("POST", f"/bookings/{booking['id']}/cancel", guest)
        assert cancelled.status == 200, cancelled.body

        async def refunded() -> Any:
            r = await api.call("GET", f"/bookings/{booking['id']}/payments", guest)
            done = [x for x in r.body["refunds"] if x["status"] == "succeeded"]
            return r.body if done else None

        receipt = await eventually(refunded, 15, what="the refund at Stripe")
    assert receipt["refunded"] == 1008.0 and receipt["refunds"][0]["reason"] == quote.body["reason"], receipt
    await reconciled(api, admin)


def _last_evening(zone_name: str) -> datetime:
    """The latest moment, now or before, when it was 20:00 at ``zone_name`` (in UTC)."""
    here = datetime.now(UTC).astimezone(timezones.zone(zone_name))
    evening = here.replace(hour=20, minute=0, second=0, microsecond=0)
    if evening > here:
        evening -= timedelta(days=1)  # the wall clock's day before: 20:00 is never skipped
    return evening.astimezone(UTC)


async def test_a_student_can_book_a_room_for_tonight_at_8_pm_in_los_angeles(api: Api, stack: Stack) -> None:
    """At 20:00 in Los Angeles it is 03:00 or 04:00 the next day in UTC: the request for a
    stay checking in tonight was refused as "check_in is in the past". Listings, restarted
    on a clock moved back to the latest such evening, takes it; the day before it refuses."""
    evening = _last_evening("America/Los_Angeles")
    tonight = stays.local_today(evening, "America/Los_Angeles")
    host = await api.signup("professional", "Dr. Host")
    guest = await api.signup("student", "Student")
    listing = await create_listing(
        api, host, available_from=str(tonight - timedelta(days=3)), min_stay_nights=7, **LOS_ANGELES_ROOM
    )
    async with clock_moved(stack, "listings", evening - datetime.now(UTC)):
        yesterday = await api.call(
            "POST",
            f"/listings/{listing['id']}/bookings",
            guest,
            json={"check_in": str(tonight - timedelta(days=1)), "check_out": str(tonight + timedelta(days=13))},
        )
        assert yesterday.status == 400 and "in the past" in yesterday.body["error"]["message"], yesterday.body
        # Search and the quote offer tonight too: the same rule, on the date where the room is.
        dates = {"from": str(tonight), "to": str(tonight + timedelta(days=14))}
        point = {"near": f"{LOS_ANGELES_ROOM['latitude']},{LOS_ANGELES_ROOM['longitude']}", "radius_km": 5}
        found = await api.call("GET", "/listings", guest, params={**dates, **point, "limit": 50})
        assert found.status == 200, found.body
        assert listing["id"] in [item["id"] for item in found.body["items"]], found.body
        quote = await api.call(
            "GET",
            f"/listings/{listing['id']}/quote",
            guest,
            params={"check_in": dates["from"], "check_out": dates["to"]},
        )
        assert quote.status == 200 and quote.body["available"] is True, quote.body
        asked = await api.call(
            "POST",
            f"/listings/{listing['id']}/bookings",
            guest,
            json={"check_in": str(tonight), "check_out": str(tonight + timedelta(days=14))},
        )
        assert asked.status == 201 and asked.body["check_in"] == str(tonight), asked.body
        # Made past tonight's check-in hour, it leaves the host two hours to answer (not 48:
        # a request expires by its check-in, and this evening is the listings' clock alone).
        answer_by = datetime.fromisoformat(asked.body["expires_at"]) - evening
        assert timedelta(hours=2) <= answer_by < timedelta(hours=2, minutes=1), asked.body
        assert await status_of(api, guest, asked.body["id"]) == "requested"


async def test_the_listing_quote_and_booking_say_check_in_and_check_out_on_the_rooms_clock(api: Api) -> None:
    """The web client showed no check-in time: the replies now give the room's zone, the
    listing its check-in and check-out times, and the quote and the booking each moment on
    the room's clock with its offset and abbreviation (Honolulu: no daylight time, so
    always HST, UTC-10)."""
    host, guest = await api.signup("professional", "Dr. Host"), await api.signup("student", "Student")
    listing = await create_listing(api, host, **HONOLULU_ROOM)
    assert (listing["time_zone"], listing["check_in_time"], listing["check_out_time"]) == (
        "Pacific/Honolulu",
        "15:00",
        "11:00",
    ), listing
    seen = await api.call("GET", f"/listings/{listing['id']}", guest)
    assert seen.body["time_zone"] == "Pacific/Honolulu" and seen.body["check_in_time"] == "15:00", seen.body
    check_in, check_out = future(30), future(58)
    at_room = {
        "time_zone": "Pacific/Honolulu",
        "check_in_at": {"at": f"{check_in}T15:00:00-10:00", "zone_abbreviation": "HST"},
        "check_out_by": {"at": f"{check_out}T11:00:00-10:00", "zone_abbreviation": "HST"},
    }
    quote = await api.call(
        "GET", f"/listings/{listing['id']}/quote", guest, params={"check_in": check_in, "check_out": check_out}
    )
    assert quote.status == 200 and {k: quote.body[k] for k in at_room} == at_room, quote.body
    booked = await request_stay(api, guest, listing["id"], start=30, nights=28)
    assert booked.status == 201 and {k: booked.body[k] for k in at_room} == at_room, booked.body
    mine = await api.call("GET", "/me/bookings", host, params={"role": "host"})
    [hosting] = mine.body["items"]
    assert {k: hosting[k] for k in at_room} == at_room, hosting
