"""Transactions Postgres aborts (deadlock 40P01, serialization failure 40001) are run
again by the service runner's ``retry_aborted``, then answered 503: never a 500."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.db import RETRY_ATTEMPTS, create_pool, retry_aborted
from shared.errors import AppError


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(fresh_db, "public", size=4)
    await p.execute("CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL)")
    await p.execute("INSERT INTO accounts VALUES (1, 100), (2, 100)")
    yield p
    await p.close()


async def test_a_real_deadlock_is_retried_and_both_transfers_happen(pool: asyncpg.Pool) -> None:
    """Two transfers lock the same rows in opposite orders: Postgres aborts one with a
    deadlock; run again, it goes through, and no money is lost or doubled."""
    both_hold_one = asyncio.Barrier(2)
    attempts = {"a": 0, "b": 0}

    async def transfer(name: str, first: int, second: int) -> None:
        attempts[name] += 1
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("UPDATE accounts SET balance = balance - 10 WHERE id = $1", first)
            if attempts[name] == 1:
                await both_hold_one.wait()  # each holds one row, then wants the other's
            await conn.execute("UPDATE accounts SET balance = balance + 10 WHERE id = $1", second)

    await asyncio.gather(
        retry_aborted(lambda: transfer("a", 1, 2)),
        retry_aborted(lambda: transfer("b", 2, 1)),
    )
    assert sorted(attempts.values()) == [1, 2]  # the deadlock's victim ran twice
    balances = dict(await pool.fetch("SELECT id, balance FROM accounts"))
    assert balances == {1: 100, 2: 100}


async def test_an_abort_that_keeps_happening_is_a_503(pool: asyncpg.Pool) -> None:
    """Serialization failures every time: a bounded number of attempts, then unavailable."""
    calls = 0

    async def always_conflicts() -> None:
        nonlocal calls
        calls += 1
        async with pool.acquire() as conn, conn.transaction(isolation="serializable"):
            # A real 40001 raised by the server, as a conflicting transaction would cause.
            await conn.execute("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'serialization_failure'; END $$")

    with pytest.raises(AppError) as err:
        await retry_aborted(always_conflicts)
    assert err.value.code == "unavailable" and err.value.status == 503
    assert calls == RETRY_ATTEMPTS
