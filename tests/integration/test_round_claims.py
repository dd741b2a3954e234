"""The round queue: a round is claimed by one worker at a time, a silent worker's round is
taken over, and only the worker holding the claim can store a result."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from services.matching.store import rounds as round_store


async def queue(pool: asyncpg.Pool) -> uuid.UUID:
    round_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await round_store.insert_round(conn, round_id, uuid.uuid4(), "round", None, "students", {"selection": {}})
    return round_id


async def test_each_round_goes_to_one_worker_and_a_silent_ones_is_taken_over(matching: asyncpg.Pool) -> None:
    first, second = await queue(matching), await queue(matching)
    workers = [uuid.uuid4() for _ in range(4)]
    claims = await asyncio.gather(*(round_store.claim(matching, w) for w in workers))
    taken = [(c["id"], c["claimed_by"]) for c in claims if c is not None]
    assert sorted(r for r, _ in taken) == sorted([first, second])  # each once, none twice
    holder = dict(taken)[first]
    assert await round_store.claim(matching, uuid.uuid4()) is None  # both run, both beating

    # The first round's worker goes silent (its replica died): another takes it over...
    await matching.execute("UPDATE match_rounds SET heartbeat_at = now() - interval '1 minute' WHERE id = $1", first)
    heir = uuid.uuid4()
    again = await round_store.claim(matching, heir)
    assert again is not None and again["id"] == first and again["claimed_by"] == heir
    # ...and the old worker, if it was only slow, can neither beat nor store a result.
    await round_store.beat(matching, first, holder, {"stage": "matching", "done": 1, "total": 2})
    assert (await matching.fetchval("SELECT progress FROM match_rounds WHERE id = $1", first))["stage"] == "queued"
    async with matching.acquire() as conn, conn.transaction():
        assert not await round_store.finish(conn, first, holder, {}, {}, "<svg/>", [])
        assert await round_store.finish(conn, first, heir, {"rotation_ids": [], "mentor_ids": []}, {}, "<svg/>", [])
    row = await round_store.get_round(matching, first)
    assert row is not None and row["status"] == "done" and row["progress"]["stage"] == "finished"
