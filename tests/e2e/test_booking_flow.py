"""The first product slice over HTTP: a host posts a room, a student finds and books it."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import math
from typing import Any

from services.runner import Stack
from shared.settings import Settings
from tests.api import Api, User
from tests.e2e.helpers import JHH, create_listing, future, pay_intent, request_stay, start_payment
from tests.eventually import eventually


async def test_host_posts_student_finds_books_host_accepts(api: Api, stack: Stack) -> None:
    """The whole journey works end to end and reveals the address only once the accepted
    stay is paid through Wardmate (issue #16; it was revealed at acceptance before)."""
    host = await api.signup("professional", "Dr. Host")
    student = await api.signup("student", "Student")
    listing = await create_listing(api, host)
    assert listing["location"]["approximate"] is False  # the host sees the exact address

    # The student searches near the hospital for the rotation's dates.
    params = {"hospital_id": JHH, "from": future(30), "to": future(58), "radius_km": "5"}
    found = await api.call("GET", "/listings", student, params=params)
    assert found.status == 200, found.body
    hit = next(item for item in found.body["items"] if item["id"] == listing["id"])
    assert hit["distance_km"] is not None and hit["distance_km"] < 1.0
    assert hit["location"]["approximate"] is True and hit["location"]["address"] is None
    # 28 nights at 1095 x 12 / 365 = 36.00 a night.
    assert hit["nightly_rate"] == 36.0 and hit["stay_total"] == 1008.0

    quote = await api.call(
        "GET", f"/listings/{listing['id']}/quote", student, params={"check_in": future(30), "check_out": future(58)}
    )
    assert quote.status == 200 and quote.body["total"] == 1008.0 and quote.body["available"] is True

    booking = await request_stay(api, student, listing["id"])
    assert booking.status == 201, booking.body
    assert booking.body["status"] == "requested" and booking.body["address"] is None

    # The host sees the request and accepts it.
    inbox = await api.call("GET", "/me/bookings", host, params={"role": "host"})
    assert [b["id"] for b in inbox.body["items"]] == [booking.body["id"]]
    accepted = await api.call("POST", f"/bookings/{booking.body['id']}/accept", host)
    assert accepted.status == 200 and accepted.body["status"] == "accepted"

    # Accepted is not yet paid: the address stays hidden until the guest pays.
    mine = await api.call("GET", "/me/bookings", student)
    assert mine.body["items"][0]["address"] is None
    assert stack.stripe is not None
    intent = await start_payment(api, student, booking.body["id"])
    assert intent.status == 200 and intent.body["amount"] == 1008.0, intent.body
    paid = await pay_intent(api, stack.stripe.url, intent.body["payment_intent_id"])
    assert paid.body["status"] == "succeeded", paid.body

    async def confirmed() -> bool:
        mine = await api.call("GET", "/me/bookings", student)
        return bool(mine.body["items"][0]["status"] == "confirmed")

    await eventually(confirmed, 15, what="the paid booking confirmed")
    # Now the guest sees the exact address, on the booking and on the listing.
    mine = await api.call("GET", "/me/bookings", student)
    assert mine.body["items"][0]["address"] == "1800 E Monument St, Baltimore, MD"
    detail = await api.call("GET", f"/listings/{listing['id']}", student)
    assert detail.body["location"]["approximate"] is False

    # The dates are taken: the quote says so, and an overlapping search no longer shows it.
    requote = await api.call(
        "GET", f"/listings/{listing['id']}/quote", student, params={"check_in": future(40), "check_out": future(60)}
    )
    assert requote.body["available"] is False and "already booked" in requote.body["reason"]
    again = await api.call("GET", "/listings", None, params=params)
    assert listing["id"] not in [i["id"] for i in again.body["items"]]


async def test_search_paginates_with_cursor_and_sorts(api: Api) -> None:
    """Keyset pages cover every result once, in distance order, and honour filters."""
    host = await api.signup("professional")
    base = (41.8781, -87.6298)  # a point with no other test's listings
    ids = []
    for i in range(7):
        listing = await create_listing(
            api,
            host,
            # 1.1 km apart: the order holds whatever each public point's offset (< 0.5 km).
            latitude=base[0] + 0.01 * (i + 1),
            longitude=base[1],
            monthly_rent=800 + 100 * i,
            amenities=["wifi"] if i % 2 else ["wifi", "parking"],
        )
        ids.append(listing["id"])
    seen: list[dict] = []
    cursor = None
    while True:
        params = {"near": f"{base[0]},{base[1]}", "radius_km": "10", "limit": "3"}
        if cursor:
            params["cursor"] = cursor
        page = await api.call("GET", "/listings", None, params=params)
        assert page.status == 200, page.body
        seen += page.body["items"]
        cursor = page.body["next_cursor"]
        if not cursor:
            break
    assert [i["id"] for i in seen] == ids  # nearest first, each exactly once
    distances = [i["distance_km"] for i in seen]
    assert distances == sorted(distances)

    by_price = await api.call(
        "GET",
        "/listings",
        None,
        params={
            "near": f"{base[0]},{base[1]}",
            "radius_km": "10",
            "sort": "price",
            "max_rent": "1100",
            "amenities": "parking",
        },
    )
    assert [i["monthly_rent"] for i in by_price.body["items"]] == [800, 1000]

    bad = await api.call("GET", "/listings", None, params={"cursor": "not-a-cursor!"})
    assert bad.status == 400 and bad.error_code == "validation"


def forged(cursor: str, key: object) -> str:
    """``cursor`` with its sort key replaced, as a client could send it back."""
    values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    values[0] = key
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# Each call's spot, 0.25° (28 km) north of the last: a search within 10 km of one never
# finds another's rooms (random spots within a degree did, about one run in five).
SPOTS = itertools.count()


async def rooms_around(api: Api, count: int) -> tuple[str, list[dict[str, Any]]]:
    """``count`` rooms 300 m apart (rents 1000, 1100, ...) at a spot of their own; its "lat,lon"."""
    host = await api.signup("professional")
    lat = round(44.0 + 0.25 * next(SPOTS), 3)
    rooms = [
        await create_listing(api, host, latitude=lat + 0.003 * i, longitude=-103.9, monthly_rent=1000 + 100 * i)
        for i in range(count)
    ]
    return f"{lat},-103.9", rooms


async def test_a_search_can_keep_to_verified_hosts(api: Api, admin: User) -> None:
    """`verified_hosts=true` leaves out the rooms of hosts whose credentials no operator has
    checked (a student's worst fear is an unvetted host); without it, both are found."""
    near, [unvetted] = await rooms_around(api, 1)
    lat, lon = (float(x) for x in near.split(","))
    vetted_host = await api.signup("professional", "Dr. Vetted")
    vetted = await create_listing(api, vetted_host, latitude=lat + 0.006, longitude=lon)
    assert (await api.call("POST", "/me/verification", vetted_host, json={"npi": "1234567893"})).status == 201
    assert (await api.call("POST", f"/admin/verifications/{vetted_host.id}", admin)).status == 200
    search = {"near": near, "radius_km": "10"}

    def ids(r: Any) -> set[str]:
        assert r.status == 200, r.body
        return {item["id"] for item in r.body["items"]}

    # Listings learns of the verification from the event stream.
    only = await eventually(
        lambda: api.call("GET", "/listings", None, params={**search, "verified_hosts": "true"}),
        10,
        what="the verified host's room found alone",
        until=lambda r: ids(r) == {vetted["id"]},
    )
    assert only.body["items"][0]["host"]["verified"] is True
    assert ids(await api.call("GET", "/listings", None, params=search)) == {unvetted["id"], vetted["id"]}
    bad = await api.call("GET", "/listings", None, params={**search, "verified_hosts": "maybe"})
    assert bad.status == 400 and bad.body["error"]["details"][0]["field"] == "verified_hosts", bad.body


async def test_forged_search_cursors_are_400_never_500(api: Api) -> None:
    """A cursor whose key is out of its column's range, or a time without its offset, is a
    400 "invalid cursor" (audit 4, D1: a rent past int4 and years past 9999 in UTC were 500s)."""
    near, _ = await rooms_around(api, 3)
    forgeries = {
        "price": [2**31, 2**62, 0, 1.5, "1000"],
        "newest": ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00", "2026-01-01T00:00:00", 17],
        "distance": [-1.0, 1e300, "0"],
    }
    for sort, keys in forgeries.items():
        params = {"near": near, "radius_km": "10", "sort": sort, "limit": "1"}
        first = await api.call("GET", "/listings", None, params=params)
        cursor = first.body["next_cursor"]
        assert first.status == 200 and cursor, first.body
        for key in keys:
            r = await api.call("GET", "/listings", None, params={**params, "cursor": forged(cursor, key)})
            assert r.status == 400 and r.error_code == "validation", (sort, key, r.status, r.body)
            assert r.body["error"]["message"] == "invalid cursor", r.body
        # The extremes the columns hold are pages like any other (empty or not).
        for key in {"price": [2**31 - 1], "newest": ["9999-12-31T23:00:00+00:00"], "distance": [0.0]}[sort]:
            r = await api.call("GET", "/listings", None, params={**params, "cursor": forged(cursor, key)})
            assert r.status == 200, (sort, key, r.body)


async def test_a_search_cursor_pages_only_the_search_that_made_it(api: Api) -> None:
    """A cursor sent back with another sort, centre, dates or filter is a 400 that says so
    (audit 4, D2: a price cursor read as a distance gave a wrong page); the page size may change."""
    near, rooms = await rooms_around(api, 5)
    search = {"near": near, "radius_km": "10", "sort": "price", "limit": "2", "from": future(20), "to": future(50)}
    first = await api.call("GET", "/listings", None, params=search)
    cursor = first.body["next_cursor"]
    assert [i["id"] for i in first.body["items"]] == [r["id"] for r in rooms[:2]] and cursor
    others = [
        {"sort": "distance"},
        {"sort": "newest"},
        {"max_rent": "1300"},
        {"radius_km": "20"},
        {"from": future(21)},
        {"amenities": "wifi"},
        {"room_type": "private_room"},
        {"verified_hosts": "true"},
        {"near": near.replace("-103.9", "-103.91")},
    ]
    for change in others:
        r = await api.call("GET", "/listings", None, params={**search, **change, "cursor": cursor})
        assert r.status == 400 and r.error_code == "validation", (change, r.status, r.body)
        assert "belongs to another search" in r.body["error"]["message"], r.body
        assert r.body["error"]["details"][0]["field"] == "cursor"
    rest = await api.call("GET", "/listings", None, params={**search, "limit": "10", "cursor": cursor})
    assert rest.status == 200 and [i["id"] for i in rest.body["items"]] == [r["id"] for r in rooms[2:]]


async def test_search_and_quote_refuse_what_booking_refuses(api: Api) -> None:
    """Stays over 366 nights and check-ins before today: search answers 400 and the quote
    says unavailable, as booking refuses them (audit 4, D10: both were priced)."""
    host, student = await api.signup("professional"), await api.signup("student")
    listing = await create_listing(api, host, available_from=future(-60), available_to=future(500), min_stay_nights=1)
    near = f"{listing['location']['latitude']},{listing['location']['longitude']}"
    long_stay = await api.call("GET", "/listings", None, params={"near": near, "from": future(10), "to": future(377)})
    assert long_stay.status == 400 and long_stay.body["error"]["details"][0]["field"] == "to", long_stay.body
    year = await api.call("GET", "/listings", None, params={"near": near, "from": future(10), "to": future(376)})
    assert year.status == 200 and listing["id"] in [i["id"] for i in year.body["items"]], year.body
    past = await api.call("GET", "/listings", None, params={"near": near, "from": future(-20), "to": future(-10)})
    assert past.status == 400 and past.body["error"]["details"] == [
        {"field": "from", "message": "Must be today or later."}
    ], past.body
    today = await api.call("GET", "/listings", None, params={"near": near, "from": future(0), "to": future(3)})
    assert today.status == 200 and listing["id"] in [i["id"] for i in today.body["items"]], today.body

    dates = {"check_in": future(-20), "check_out": future(-10)}
    quote = await api.call("GET", f"/listings/{listing['id']}/quote", student, params=dates)
    assert quote.status == 200 and quote.body["available"] is False, quote.body
    assert "in the past" in quote.body["reason"]
    booked = await api.call("POST", f"/listings/{listing['id']}/bookings", student, json=dates)
    assert booked.status == 400 and booked.body["error"]["message"] == quote.body["reason"], booked.body


async def test_dates_no_one_means_are_400_never_500(api: Api) -> None:
    """9999-12-31, Python's last date, reached Postgres as 'infinity': a search to it was a
    500, and a room's window or a block could end there. Any request's dates are within the
    years 1900-2999."""
    host = await api.signup("professional")
    listing = await create_listing(api, host)
    near = f"{listing['location']['latitude']},{listing['location']['longitude']}"
    search = await api.call("GET", "/listings", None, params={"near": near, "from": "9999-12-30", "to": "9999-12-31"})
    assert search.status == 400 and search.body["error"]["details"] == [
        {"field": "from", "message": "Write a date in the years 1900 to 2999."},
        {"field": "to", "message": "Write a date in the years 1900 to 2999."},
    ], search.body
    window = await api.call("PATCH", f"/listings/{listing['id']}", host, json={"available_to": "9999-12-31"})
    assert window.status == 400 and window.body["error"]["details"][0]["field"] == "available_to", window.body
    block = await api.call(
        "POST", f"/listings/{listing['id']}/blocked-dates", host, json={"start": future(30), "end": "9999-12-31"}
    )
    assert block.status == 400 and block.body["error"]["details"][0]["field"] == "end", block.body
    old = await api.call("GET", "/listings", None, params={"near": near, "from": "0001-01-01", "to": "0001-01-02"})
    assert old.status == 400, old.body
    assert (await api.call("GET", f"/listings/{listing['id']}", host)).body["available_to"] == listing["available_to"]


async def test_a_point_out_of_range_says_what_a_point_is(api: Api) -> None:
    """near=91,0 said "Not in the expected format."."""
    for near in ("91,0", "0,181", "39.29"):
        r = await api.call("GET", "/listings", None, params={"near": near})
        assert r.status == 400 and r.body["error"]["details"] == [
            {
                "field": "near",
                "message": "Write a latitude from -90 to 90 and a longitude from -180 to 180, as lat,lon"
                " (39.29,-76.59).",
            }
        ], r.body


async def test_decline_cancel_and_rebook(api: Api) -> None:
    """Declined and cancelled stays free the dates; a guest cannot accept their own request."""
    host = await api.signup("professional")
    student = await api.signup("student")
    listing = await create_listing(api, host)
    first = await request_stay(api, student, listing["id"])
    wrong = await api.call("POST", f"/bookings/{first.body['id']}/accept", student)
    assert wrong.status == 403 and wrong.error_code == "forbidden"
    declined = await api.call("POST", f"/bookings/{first.body['id']}/decline", host)
    assert declined.body["status"] == "declined"
    again = await api.call("POST", f"/bookings/{first.body['id']}/accept", host)
    assert again.status == 409
    second = await request_stay(api, student, listing["id"])
    await api.call("POST", f"/bookings/{second.body['id']}/accept", host)
    cancelled = await api.call("POST", f"/bookings/{second.body['id']}/cancel", student)
    assert cancelled.status == 200 and cancelled.body["status"] == "cancelled"
    third = await request_stay(api, student, listing["id"])
    accepted = await api.call("POST", f"/bookings/{third.body['id']}/accept", host)
    assert accepted.status == 200


async def test_my_bookings_of_one_room(api: Api) -> None:
    """``listing_id`` keeps the caller's bookings of that room (a room's page reads them
    all, however many stays the guest has elsewhere); another user's room gives none of
    its bookings away, and a malformed id is a 400."""
    host = await api.signup("professional")
    student = await api.signup("student")
    other = await api.signup("student")
    first, second = await create_listing(api, host), await create_listing(api, host)
    here = await request_stay(api, student, first["id"])
    there = await request_stay(api, student, second["id"])
    theirs = await request_stay(api, other, first["id"], start=70)
    assert {here.status, there.status, theirs.status} == {201}

    mine = await api.call("GET", "/me/bookings", student, params={"role": "guest", "listing_id": first["id"]})
    assert mine.status == 200 and [b["id"] for b in mine.body["items"]] == [here.body["id"]]
    hosted = await api.call("GET", "/me/bookings", host, params={"role": "host", "listing_id": first["id"]})
    assert {b["id"] for b in hosted.body["items"]} == {here.body["id"], theirs.body["id"]}
    # The first student's booking of the second room is not the other student's to see.
    of_other = await api.call("GET", "/me/bookings", other, params={"listing_id": second["id"]})
    assert of_other.status == 200 and of_other.body["items"] == []
    bad = await api.call("GET", "/me/bookings", student, params={"listing_id": "not-a-room"})
    assert bad.status == 400 and bad.error_code == "validation", bad.body


async def test_a_moved_rotation_shifts_the_stay_or_frees_the_guest(api: Api) -> None:
    """The guest asks to move an accepted stay, seeing the new total first (the stay's own
    nightly rate, whatever the rent is now); one request at a time; dates another guest holds
    are refused at once. The host accepts (dates and total move) or declines: a declined
    request for dates other than a moved rotation's frees nobody (the cancellation is an
    ordinary one: no end_reason)."""
    host = await api.signup("professional")
    guest, other = await api.signup("student"), await api.signup("student")
    listing = await create_listing(api, host, min_stay_nights=7)
    stay = (await request_stay(api, guest, listing["id"], start=30, nights=28)).body
    assert (await api.call("POST", f"/bookings/{stay['id']}/accept", host)).status == 200
    taken = (await request_stay(api, other, listing["id"], start=80, nights=10)).body
    assert (await api.call("POST", f"/bookings/{taken['id']}/accept", host)).status == 200
    shift = f"/bookings/{stay['id']}/shift"
    # The host raises the rent five-fold after the stay was agreed at 36.00 a night.
    raised = await api.call("PATCH", f"/listings/{listing['id']}", host, json={"monthly_rent": 5475})
    assert raised.status == 200, raised.body

    # Only the guest asks; the host answers; a stranger sees nothing.
    move = {"check_in": future(37), "check_out": future(65)}
    assert (await api.call("POST", shift, host, json=move)).status == 403
    assert (await api.call("POST", shift, other, json=move)).status == 404
    assert (await api.call("POST", f"{shift}/accept", host)).status == 409  # nothing asked yet
    asked = await api.call("POST", shift, guest, json=move)
    assert asked.status == 200, asked.body
    # 28 nights at the stay's 36.00, not at 180.00: shown before the host answers.
    expected = {**move, "status": "requested", "nights": 28, "total": 1008.0, "for_rotation": False}
    assert asked.body["shift"] == expected
    assert asked.body["check_in"] == future(30)  # unchanged until the host accepts
    seen = await api.call("GET", "/me/bookings", host, params={"role": "host"})
    assert next(b for b in seen.body["items"] if b["id"] == stay["id"])["shift"] == expected
    # A second request while this one waits is refused, naming it: the host answers what they saw.
    longer = await api.call("POST", shift, guest, json={"check_in": future(37), "check_out": future(126)})
    assert longer.status == 409 and longer.body["error"]["details"]["check_out"] == future(65), longer.body
    assert (await api.call("POST", f"{shift}/accept", guest)).status == 403
    moved = await api.call("POST", f"{shift}/accept", host)
    assert moved.status == 200, moved.body
    assert (moved.body["check_in"], moved.body["check_out"], moved.body["shift"]) == (future(37), future(65), None)
    assert (moved.body["nights"], moved.body["total"]) == (28, 1008.0)

    # Onto the other guest's dates: refused when asked, not left for the host.
    onto = await api.call("POST", shift, guest, json={"check_in": future(75), "check_out": future(95)})
    assert onto.status == 409 and "already booked" in onto.body["error"]["message"], onto.body
    # Asked, then withdrawn by the guest before the host answers.
    asked = await api.call("POST", shift, guest, json={"check_in": future(40), "check_out": future(60)})
    assert asked.status == 200 and asked.body["shift"]["total"] == 720.0, asked.body
    assert (await api.call("POST", f"{shift}/withdraw", host)).status == 403
    withdrawn = await api.call("POST", f"{shift}/withdraw", guest)
    assert withdrawn.status == 200 and withdrawn.body["shift"] is None, withdrawn.body
    assert (await api.call("POST", f"{shift}/decline", host)).status == 409  # nothing waits now

    async def host_told() -> bool:
        r = await api.call("GET", "/notifications", host, params={"limit": "100"})
        return any(n["kind"] == "booking_shift_withdrawn" for n in r.body["items"])

    await eventually(host_told, 15, what="the host told the request was withdrawn")

    asked = await api.call("POST", shift, guest, json={"check_in": future(38), "check_out": future(66)})
    assert asked.status == 200 and asked.body["shift"]["for_rotation"] is False
    declined = await api.call("POST", f"{shift}/decline", host)
    assert declined.status == 200 and declined.body["shift"]["status"] == "declined"
    assert declined.body["check_in"] == future(37)  # the stay stays where it was
    cancelled = await api.call("POST", f"/bookings/{stay['id']}/cancel", guest)
    # No rotation moved: an ordinary cancellation (it said shift_declined, refunded in full).
    assert cancelled.body["status"] == "cancelled" and cancelled.body["end_reason"] is None

    # Bad dates are 400s; a cancelled stay cannot move.
    bad = await api.call("POST", shift, guest, json={"check_in": future(50), "check_out": future(40)})
    assert bad.status == 400
    assert (await api.call("POST", shift, guest, json=move)).status == 409


# The test system runs with the default limits (tests/conftest.py TEST_ENV sets none).
LIMITS = Settings()


async def test_a_guest_cannot_flood_a_host_with_requests_and_cancellations(api: Api) -> None:
    """Request → cancel cycles on one room stop at the per-room limit with a 429, a JSON
    error and Retry-After (audit 2: 12 cycles gave the host 24 mails); withdrawn requests
    count. The guest may still ask for another room, and another guest for this one."""
    host = await api.signup("professional")
    guest, other_guest = await api.signup("student"), await api.signup("student")
    listing = await create_listing(api, host, min_stay_nights=7)
    per_room = LIMITS.booking_requests_per_listing
    for _ in range(per_room):
        asked = await request_stay(api, guest, listing["id"], start=30, nights=28)
        assert asked.status == 201, asked.body
        cancelled = await api.call("POST", f"/bookings/{asked.body['id']}/cancel", guest)
        assert cancelled.status == 200, cancelled.body
    refused = await request_stay(api, guest, listing["id"], start=30, nights=28)
    assert refused.status == 429 and refused.error_code == "rate_limited", refused.body
    assert f"requested this room {per_room} times" in refused.body["error"]["message"]
    wait = refused.body["error"]["details"]["retry_after_s"]
    # A slot frees when the first of the five leaves the window, seconds from now.
    window = LIMITS.booking_request_window_s
    assert window - 120 < wait <= window and int(refused.headers["Retry-After"]) == math.ceil(wait), refused.body
    mine = await api.call("GET", "/me/bookings", host, params={"role": "host", "limit": "100"})
    assert len(mine.body["items"]) == per_room

    other_room = await create_listing(api, host)
    assert (await request_stay(api, guest, other_room["id"])).status == 201
    assert (await request_stay(api, other_guest, listing["id"])).status == 201


async def test_booking_request_limits_hold_for_a_burst_sent_at_once(api: Api) -> None:
    """Requests of distinct stays sent all at once are counted one at a time: of twelve for
    one room exactly the per-room limit is made; of many across rooms, exactly the per-guest
    limit; every other answer is a 429, never a 5xx."""
    host = await api.signup("professional")
    guest = await api.signup("student")
    per_room, per_guest = LIMITS.booking_requests_per_listing, LIMITS.booking_requests_per_guest
    room = await create_listing(api, host, min_stay_nights=7)
    burst = await asyncio.gather(
        *(request_stay(api, guest, room["id"], start=20 + 10 * i, nights=7) for i in range(12))
    )
    statuses = sorted(r.status for r in burst)
    assert statuses == [201] * per_room + [429] * (12 - per_room), [r.body for r in burst if r.status != 201]

    # Enough rooms for the rest of the per-guest limit and more, each asked up to its own limit.
    rooms = [await create_listing(api, host, min_stay_nights=7) for _ in range(per_guest // per_room + 1)]
    asks = [(r["id"], 20 + 10 * i) for r in rooms for i in range(per_room)]
    burst = await asyncio.gather(*(request_stay(api, guest, room_id, start=start, nights=7) for room_id, start in asks))
    made = sum(1 for r in burst if r.status == 201)
    assert made == per_guest - per_room, [r.body for r in burst if r.status not in (201, 429)]
    assert all(r.status in (201, 429) for r in burst)
    refused = next(r for r in burst if r.status == 429)
    assert f"made {per_guest} booking requests" in refused.body["error"]["message"], refused.body
    mine = await api.call("GET", "/me/bookings", guest, params={"limit": "100"})
    assert len(mine.body["items"]) == per_guest
