"""A deleted account's traces leave the outbox (``shared.privacy.purge_outbox``), and
nothing else does: an event not yet published goes only when it is the deleted user's
own (their id or address a whole value of it), never because their name is part of some
other user's text. A user named "Li" deleting their account while the relay was behind
dropped every unsent event holding "Li" anywhere ("Lisa", "Lina"): events lost."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from shared.contracts.accounts import UserData, UserRegistered
from shared.contracts.lifecycle import AccountMailRequested
from shared.db import create_pool, migrate
from shared.outbox import add
from shared.privacy import purge_outbox


@pytest.fixture
async def accounts(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "accounts", "services.accounts.migrations")
    pool = await create_pool(fresh_db, "accounts", size=2)
    yield pool
    await pool.close()


def registered(name: str, email: str) -> UserRegistered:
    return UserRegistered(
        user=UserData(user_id=uuid.uuid4(), version=1, email=email, display_name=name, role="student")
    )


async def test_an_unsent_event_goes_only_when_it_is_the_deleted_users_own(accounts: asyncpg.Pool) -> None:
    leaving = uuid.uuid4()
    own_mail = AccountMailRequested(kind="password_changed", user_id=leaving, to="li@example.org")
    others = [
        registered("Lisa Park", "lisa@example.org"),  # the name "Li" is part of hers
        registered("Lina Chen", "lina@example.org"),
        registered("Ana", "xli@example.org"),  # the address is part of hers
    ]
    sent_mention = registered("Li", "li@example.org")  # published already: only a record now
    async with accounts.acquire() as conn:
        for event in (own_mail, *others, sent_mention):
            await add(conn, event)
        await conn.execute("UPDATE outbox SET sent_at = now() WHERE event_id = $1", sent_mention.event_id)

        await purge_outbox(conn, [str(leaving), "li@example.org", "Li"], unsent=[str(leaving), "li@example.org"])

        left = {row["event_id"] for row in await conn.fetch("SELECT event_id FROM outbox")}
    assert left == {event.event_id for event in others}
