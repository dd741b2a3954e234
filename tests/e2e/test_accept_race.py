"""Concurrent accepts of overlapping stays: exactly one wins per listing, every other
answer is a 409, never a 5xx, and the listings service still stops cleanly after."""

from __future__ import annotations

import asyncio
import signal
import time

from services.runner import Stack
from tests.api import Api, User
from tests.e2e.helpers import create_listing, request_stay
from tests.eventually import eventually

ROUNDS = 4
RACERS = 50


async def _race(api: Api, host: User, students: list[User], *, same_dates: bool) -> list[int]:
    """Fifty students request overlapping stays of one new listing; the host accepts all
    fifty at once. Returns the accept statuses."""
    listing = await create_listing(api, host, min_stay_nights=7)
    requests = await asyncio.gather(
        *(
            # Equal ranges, or ranges that overlap without being equal (start 20-24, 10 nights).
            request_stay(api, s, listing["id"], start=20 if same_dates else 20 + i % 5, nights=10)
            for i, s in enumerate(students)
        )
    )
    assert all(r.status == 201 for r in requests), [r.body for r in requests if r.status != 201]
    results = await asyncio.gather(*(api.call("POST", f"/bookings/{r.body['id']}/accept", host) for r in requests))
    assert all(r.error_code == "conflict" for r in results if r.status == 409), [r.body for r in results]
    return [r.status for r in results]


async def test_concurrent_accepts_have_one_winner_per_listing_then_a_clean_stop(api: Api, stack: Stack) -> None:
    """Several rounds of fifty concurrent accepts, on different listings with equal and
    with overlapping ranges: one 200 and 49 409s per listing, no 5xx; afterwards the
    listings service exits 0 on SIGTERM within its grace period."""
    host = await api.signup("professional")
    # Signed up ten at a time: each confirms its address through the mail too, and fifty
    # argon2 hashes plus fifty confirmations at once can outlast the request timeout on a
    # loaded 2-core host (the race under test is the accepts, not the signups).
    students: list[User] = []
    for _ in range(RACERS // 10):
        students += await asyncio.gather(*(api.signup("student") for _ in range(10)))
    for round_no in range(ROUNDS):
        statuses = await _race(api, host, students, same_dates=round_no % 2 == 0)
        assert statuses.count(200) == 1 and statuses.count(409) == RACERS - 1, (round_no, sorted(statuses))
    # Two listings raced at once: the lock of one never holds up the other's winner.
    both = await asyncio.gather(*(_race(api, host, students, same_dates=False) for _ in range(2)))
    for statuses in both:
        assert statuses.count(200) == 1 and statuses.count(409) == RACERS - 1, sorted(statuses)
    accepted = await api.call("GET", "/me/bookings", host, params={"status": "accepted", "limit": "100"})
    assert len(accepted.body["items"]) == ROUNDS + 2

    # Nothing is left waiting inside the service: it stops by itself, well before a kill.
    started = time.monotonic()
    assert stack.stop_process("listings", signal.SIGTERM, timeout=10) == 0
    assert time.monotonic() - started < 10
    stack.start("listings")
    await eventually(
        lambda: api.call("GET", "/health"), 30, what="listings to come back", until=lambda r: r.status == 200
    )
