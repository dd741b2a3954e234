"""A student's document is written to the store before its transaction, against a real
Postgres and both stores (the filesystem and moto's S3): a slow store holds neither a
pooled connection nor the user's documents lock, and of copies sent at once one file is
kept."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.accounts import store
from services.accounts.handlers.documents import add_document
from shared.contracts.base import Actor
from shared.contracts.documents import DocumentAdd
from shared.db import create_pool, migrate
from shared.media import media, open_media
from shared.serving import Context
from shared.settings import Settings
from shared.storage import Storage
from tests import samples


@pytest.fixture
async def accounts_pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "accounts", "services.accounts.migrations")
    pool = await create_pool(fresh_db, "accounts", size=3)
    yield pool
    await pool.close()


class HeldStorage:
    """The real store, whose first write of a kept document waits until ``release`` is
    set (a slow bucket); everything else passes through."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.holding = asyncio.Event()
        self.release = asyncio.Event()

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if key.startswith("documents/") and not self.holding.is_set():
            self.holding.set()
            await self.release.wait()
        await self.inner.put(key, data, content_type)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


async def test_a_copy_sent_while_the_store_is_slow_is_not_held_and_one_file_is_kept(
    accounts_pool: asyncpg.Pool, storage: Storage, tmp_path: Path
) -> None:
    """The first copy's write to the store is held: meanwhile it holds no lock and no
    connection, so a second copy of the same file is answered at once (before, it waited
    on the user's documents lock for the store); once the first's write goes through it
    finds the second's document, answers with it and deletes its own file: one document,
    exactly one stored object, no upload left."""
    pool = accounts_pool
    user_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await store.insert_user(conn, user_id, f"{user_id.hex[:8]}@test.wardmate", "hash", "Ada", "student")
    settings = Settings(data_dir=tmp_path)
    async with open_media(settings):
        held = HeldStorage(storage)
        media().storage = held  # type: ignore[assignment]
        letter = samples.pdf(pages=2)
        uploads = [f"tmp/{uuid.uuid4().hex}" for _ in range(2)]
        for key in uploads:
            await storage.put(key, letter, "application/pdf")
        ctx = Context(Actor(user_id=user_id, role="student"), "test", pool, settings, None)  # type: ignore[arg-type]

        first = asyncio.create_task(add_document(ctx, DocumentAdd(upload_key=uploads[0], kind="enrolment")))
        try:
            await asyncio.wait_for(held.holding.wait(), 60)
            locks = await pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            busy = await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend' AND state <> 'idle'"
            )
            assert (locks, busy) == (0, 0), "the first copy holds a lock or a connection while its file is written"
            second = await asyncio.wait_for(add_document(ctx, DocumentAdd(upload_key=uploads[1], kind="enrolment")), 30)
        finally:
            held.release.set()  # a failure above still lets the first copy finish
            kept = await asyncio.wait_for(first, 30)

        assert kept == second
        rows = await pool.fetch("SELECT id, object_key FROM documents WHERE user_id = $1", user_id)
        assert [row["id"] for row in rows] == [second.id]
        stored = [info.key for info in await storage.list("documents/")]
        assert stored == [rows[0]["object_key"]], stored
        assert await storage.list("tmp/") == []
