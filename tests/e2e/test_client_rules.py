"""Rules the web client relies on, held by the API (issue 22): one open request per stay,
countries and languages by their codes only, places from offline data, bodies that must
be JSON, one conversation per booking."""

from __future__ import annotations

import asyncio

from tests.api import Api
from tests.e2e.helpers import create_listing, request_stay


async def test_a_second_request_for_overlapping_dates_is_refused_naming_the_first(api: Api) -> None:
    """A guest's second request for the same room and overlapping dates is a 409 naming the
    open one, also when both are sent at once; other dates, and dates freed by a
    cancellation, can still be requested."""
    host = await api.signup("professional")
    guest = await api.signup("student")
    listing = await create_listing(api, host)
    first = await request_stay(api, guest, listing["id"], start=30, nights=28)
    assert first.status == 201, first.body
    again = await request_stay(api, guest, listing["id"], start=40, nights=20)
    assert again.status == 409 and again.error_code == "conflict", again.body
    assert again.body["error"]["details"] == {"booking_id": first.body["id"], "status": "requested"}
    later = await request_stay(api, guest, listing["id"], start=70, nights=20)
    assert later.status == 201, later.body

    # Accepted is still open; cancelled frees the dates for a new request.
    assert (await api.call("POST", f"/bookings/{first.body['id']}/accept", host)).status == 200
    accepted_again = await request_stay(api, guest, listing["id"], start=30, nights=28)
    assert accepted_again.status == 409 and accepted_again.body["error"]["details"]["status"] == "accepted"
    assert (await api.call("POST", f"/bookings/{first.body['id']}/cancel", guest)).status == 200
    assert (await request_stay(api, guest, listing["id"], start=30, nights=28)).status == 201

    # A double click: two identical requests at once make one booking.
    other = await create_listing(api, host)
    racing = await asyncio.gather(*(request_stay(api, guest, other["id"]) for _ in range(4)))
    assert sorted(r.status for r in racing) == [201, 409, 409, 409], [r.body for r in racing]
    mine = await api.call("GET", "/me/bookings", guest, params={"limit": "100"})
    assert sum(1 for b in mine.body["items"] if b["listing_id"] == other["id"]) == 1
