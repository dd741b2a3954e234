"""Nights a host blocks in a room, over HTTP with every service its own process: only the
host adds, lists and removes them (404 for anyone else); a block never takes an agreed stay
(409 naming it), declines the requests waiting for its nights, and makes those nights a 409
to request, unavailable in the quote and absent from search with dates; a block and an
acceptance of the same nights sent at once never both win."""

from __future__ import annotations

import asyncio

import asyncpg

from services.runner import Stack
from tests.api import Api
from tests.e2e.helpers import JHH, create_listing, future, request_stay
from tests.e2e.payments import notified
from tests.eventually import eventually


def blocks_path(listing_id: str) -> str:
    return f"/listings/{listing_id}/blocked-dates"


async def test_only_the_host_blocks_lists_and_unblocks_nights(api: Api) -> None:
    """The host adds a block (201, with its nights and private note), lists it and removes
    it; another professional and a student get 404 for each, as for a room that is not
    there; bad dates are 400s beside the field."""
    host = await api.signup("professional", "Dr. Blocking Host")
    other, student = await api.signup("professional", "Dr. Other"), await api.signup("student", "Curious Student")
    room = await create_listing(api, host)
    body = {"start": future(40), "end": future(47), "note": "My sister visits"}
    made = await api.call("POST", blocks_path(room["id"]), host, json=body)
    assert made.status == 201, made.body
    assert (made.body["start"], made.body["end"], made.body["nights"], made.body["note"]) == (
        future(40),
        future(47),
        7,
        "My sister visits",
    )
    listed = await api.call("GET", blocks_path(room["id"]), host)
    assert listed.status == 200 and [b["id"] for b in listed.body["items"]] == [made.body["id"]], listed.body

    for stranger in (other, student):
        assert (await api.call("GET", blocks_path(room["id"]), stranger)).status == 404
        refused = await api.call(
            "POST", blocks_path(room["id"]), stranger, json=body | {"start": future(60), "end": future(61)}
        )
        assert refused.status == 404, refused.body
        gone = await api.call("DELETE", f"{blocks_path(room['id'])}/{made.body['id']}", stranger)
        assert gone.status == 404, gone.body
    assert (await api.call("GET", blocks_path(room["id"]))).status == 401
    # The note is the host's: nothing of the block shows on the public listing.
    seen = await api.call("GET", f"/listings/{room['id']}", student)
    assert "My sister visits" not in str(seen.body)

    for dates, field in [
        ({"start": future(50), "end": future(50)}, "end"),
        ({"start": future(-2), "end": future(3)}, "start"),
        ({"start": future(20), "end": future(20 + 367)}, "end"),
    ]:
        bad = await api.call("POST", blocks_path(room["id"]), host, json=dates)
        assert bad.status == 400 and bad.body["error"]["details"][0]["field"] == field, (dates, bad.body)
    twice = await api.call("POST", blocks_path(room["id"]), host, json={"start": future(45), "end": future(50)})
    assert twice.status == 409 and "you already blocked" in twice.body["error"]["message"], twice.body

    removed = await api.call("DELETE", f"{blocks_path(room['id'])}/{made.body['id']}", host)
    assert removed.status == 200, removed.body
    assert (await api.call("GET", blocks_path(room["id"]), host)).body["items"] == []
    again = await api.call("DELETE", f"{blocks_path(room['id'])}/{made.body['id']}", host)
    assert again.status == 404


async def test_blocked_nights_are_nobodys(api: Api) -> None:
    """A block over an accepted stay is a 409 naming it; the request waiting for blocked
    nights is declined (``dates_blocked``); a new request for them is a 409 beside
    check_in; the quote calls them unavailable; search with those dates leaves the room
    out (with other dates, or none, it is there); unblocked, they can be booked again."""
    host = await api.signup("professional", "Dr. Busy Host")
    guest, waiting, late = [
        await api.signup("student", name) for name in ("Booked Guest", "Waiting Guest", "Late Guest")
    ]
    room = await create_listing(api, host)
    stay = await request_stay(api, guest, room["id"], start=30, nights=14)
    assert (await api.call("POST", f"/bookings/{stay.body['id']}/accept", host)).status == 200
    over_stay = await api.call("POST", blocks_path(room["id"]), host, json={"start": future(40), "end": future(50)})
    assert over_stay.status == 409, over_stay.body
    assert over_stay.body["error"]["message"].startswith("an accepted stay from"), over_stay.body

    asked = await request_stay(api, waiting, room["id"], start=60, nights=20)
    assert asked.status == 201, asked.body
    block = await api.call("POST", blocks_path(room["id"]), host, json={"start": future(70), "end": future(75)})
    # The host is told how many waiting requests it declined (the page said nothing of them).
    assert block.status == 201 and block.body["declined_requests"] == 1, block.body
    declined = (await api.call("GET", "/me/bookings", waiting)).body["items"][0]
    assert (declined["status"], declined["end_reason"]) == ("declined", "dates_blocked"), declined
    # Its guest is told why, and what to do (it read "declined your request" alone).
    told = await eventually(lambda: notified(api, waiting, "booking_declined"), 15, what="the guest told")
    assert told.startswith("Dr. Busy Host made some of the nights you asked for at"), told
    assert told.endswith("so your request is declined. Ask for other dates, or look for another room"), told

    taken = await request_stay(api, late, room["id"], start=65, nights=14)
    assert taken.status == 409, taken.body
    assert taken.body["error"]["message"] == "the host has blocked some of these dates"
    assert taken.body["error"]["details"][0]["field"] == "check_in"
    quote = await api.call(
        "GET", f"/listings/{room['id']}/quote", late, params={"check_in": future(65), "check_out": future(79)}
    )
    assert quote.status == 200 and quote.body["available"] is False, quote.body
    assert quote.body["reason"] == "the host has blocked some of these dates"
    # Which nights, within the dates asked (a student had to guess).
    assert quote.body["taken"] == [{"check_in": future(70), "check_out": future(75)}], quote.body
    # The accepted stay's nights and the block's, merged where they meet, neither named.
    wide = await api.call(
        "GET", f"/listings/{room['id']}/quote", late, params={"check_in": future(35), "check_out": future(72)}
    )
    assert wide.body["taken"] == [
        {"check_in": future(35), "check_out": future(44)},
        {"check_in": future(70), "check_out": future(72)},
    ], wide.body
    free = await api.call(
        "GET", f"/listings/{room['id']}/quote", late, params={"check_in": future(100), "check_out": future(120)}
    )
    assert free.body["available"] is True and free.body["taken"] == [], free.body

    async def found(**dates: str) -> bool:
        """Whether the room is among the search's results, every page read (other tests'
        rooms stand at the same point)."""
        params: dict[str, str | int] = {"hospital_id": JHH, "radius_km": 5, "limit": 100, **dates}
        while True:
            page = await api.call("GET", "/listings", late, params=params)
            assert page.status == 200, page.body
            if room["id"] in [item["id"] for item in page.body["items"]]:
                return True
            if not page.body["next_cursor"]:
                return False
            params["cursor"] = page.body["next_cursor"]

    assert not await found(**{"from": future(65), "to": future(79)})
    assert await found(**{"from": future(100), "to": future(120)})
    assert await found()

    await api.call("DELETE", f"{blocks_path(room['id'])}/{block.body['id']}", host)
    assert await found(**{"from": future(65), "to": future(79)})
    again = await request_stay(api, late, room["id"], start=65, nights=14)
    assert again.status == 201, again.body


async def test_a_block_and_an_acceptance_at_once_never_both_win(api: Api, stack: Stack) -> None:
    """The block takes the listing's lock, which accepting takes too: held at its insert,
    the block keeps the acceptance waiting, and once it commits the request it declined
    cannot be accepted (409). Without the lock both answered success, a stay accepted on
    nights the host had blocked."""
    host = await api.signup("professional", "Dr. Racing Host")
    guest = await api.signup("student", "Racing Guest")
    room = await create_listing(api, host)
    asked = await request_stay(api, guest, room["id"], start=30, nights=14)
    assert asked.status == 201, asked.body
    assert stack.database_url
    conn = await asyncpg.connect(stack.database_url)
    # Counted from a connection outside the transaction that holds the table: inside it,
    # pg_stat_activity keeps the backends of its first read, and misses a pool connection
    # opened later for the block or the acceptance.
    probe = await asyncpg.connect(stack.database_url)

    async def waiting() -> int:
        return int(
            await probe.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
        )

    try:
        tx = conn.transaction()
        await tx.start()
        await conn.execute("LOCK TABLE listings.blocked_dates IN EXCLUSIVE MODE")  # reads go on, inserts wait
        block = asyncio.ensure_future(
            api.call("POST", blocks_path(room["id"]), host, json={"start": future(35), "end": future(38)})
        )
        accept = None
        try:
            await eventually(waiting, 60, what="the block waiting at its insert", until=lambda n: n >= 1)
            accept = asyncio.ensure_future(api.call("POST", f"/bookings/{asked.body['id']}/accept", host))

            async def accept_held() -> bool:
                return accept is not None and (accept.done() or await waiting() >= 2)

            await eventually(accept_held, 60, what="the acceptance answered or waiting on a lock")
        finally:
            await tx.rollback()
            await asyncio.wait([task for task in (block, accept) if task is not None])
    finally:
        await probe.close()
        await conn.close()
    assert accept is not None
    blocked, accepted = block.result(), accept.result()
    assert (blocked.status, accepted.status) == (201, 409), (blocked.body, accepted.body)
    booking = (await api.call("GET", "/me/bookings", guest)).body["items"][0]
    assert (booking["status"], booking["end_reason"]) == ("declined", "dates_blocked"), booking
