"""The files of a deleted account's verification documents, against a real Postgres and
both stores (the filesystem and moto's S3): the deletion's transaction records their keys,
so the files go even when nothing was deleted after the commit."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from services.accounts import store
from services.accounts.handlers.documents import add_document
from services.accounts.jobs import delete_erased_files
from services.accounts.store import documents as document_store
from services.accounts.store import lifecycle as lstore
from shared.contracts.base import Actor
from shared.contracts.documents import DocumentAdd
from shared.db import create_pool, migrate
from shared.errors import AppError
from shared.media import media, open_media
from shared.serving import Context
from shared.settings import Settings
from shared.storage import ObjectMissingError, Storage
from tests import samples


@pytest.fixture
async def accounts_pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "accounts", "services.accounts.migrations")
    pool = await create_pool(fresh_db, "accounts", size=3)
    yield pool
    await pool.close()


class RefusingStorage:
    """A store whose deletes fail (the bucket unreachable), reads pass through."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner

    async def get(self, key: str) -> bytes:
        return await self.inner.get(key)

    async def delete(self, key: str) -> None:
        raise OSError("the store is unreachable")


async def user_with_documents(pool: asyncpg.Pool, storage: Storage, count: int) -> tuple[uuid.UUID, str, list[str]]:
    """A student with ``count`` documents whose files are in ``storage``."""
    user_id, email = uuid.uuid4(), f"{uuid.uuid4().hex[:8]}@test.wardmate"
    keys = []
    async with pool.acquire() as conn, conn.transaction():
        await store.insert_user(conn, user_id, email, "hash", "Ada", "student")
        for _ in range(count):
            document_id = uuid.uuid4()
            key = f"documents/{document_id.hex}.pdf"
            await storage.put(key, b"%PDF-1.7 letter", "application/pdf")
            fields = {"id": document_id, "user_id": user_id, "kind": "enrolment", "object_key": key}
            await document_store.insert_document(
                conn, fields | {"content_type": "application/pdf", "size_bytes": 15, "pages": 1, "digest": None}
            )
            keys.append(key)
    return user_id, email, keys


async def kept(storage: Storage, key: str) -> bool:
    try:
        await storage.get(key)
    except ObjectMissingError:
        return False
    return True


async def test_files_of_a_deleted_account_go_even_if_nothing_deleted_them_after_the_commit(
    accounts_pool: asyncpg.Pool, storage: Storage
) -> None:
    """The deletion's transaction records its documents' keys: after a process that died
    at the commit, or a store that refused the delete, the retention loop's pass deletes
    the files and only then forgets the keys; another user's file stays."""
    pool = accounts_pool
    user_id, email, keys = await user_with_documents(pool, storage, 2)
    _, _, [other_key] = await user_with_documents(pool, storage, 1)
    async with pool.acquire() as conn, conn.transaction():
        assert sorted(await lstore.erase(conn, user_id, email)) == sorted(keys)
    # The process died here: the rows are gone, the files are not, the keys are recorded.
    assert await pool.fetchval("SELECT count(*) FROM documents WHERE user_id = $1", user_id) == 0
    assert [await kept(storage, key) for key in keys] == [True, True]

    refusing = RefusingStorage(storage)
    assert await delete_erased_files(pool, refusing, keys) == 0  # type: ignore[arg-type]
    assert await delete_erased_files(pool, refusing) == 0  # type: ignore[arg-type]
    assert sorted(await document_store.erased_files(pool, "")) == sorted(keys)

    assert await delete_erased_files(pool, storage) == 2
    assert [await kept(storage, key) for key in keys] == [False, False]
    assert await document_store.erased_files(pool, "") == []
    assert await kept(storage, other_key)
    assert await delete_erased_files(pool, storage) == 0


async def test_a_document_sent_as_its_account_is_deleted_is_a_401_and_leaves_no_file(
    accounts_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    """The upload is read and checked while the account is being deleted: its insert then
    finds no user (a foreign key violation, which was a 500). It is a 401, and neither the
    upload nor the checked document is left in the store."""
    settings = Settings(data_dir=tmp_path)
    async with open_media(settings):
        storage = media().storage
        upload_key = f"tmp/{uuid.uuid4().hex}"
        await storage.put(upload_key, samples.pdf(), "application/pdf")
        gone = Actor(user_id=uuid.uuid4(), role="student")  # no such account (any more)
        ctx = Context(gone, "test", accounts_pool, settings, None)  # type: ignore[arg-type]
        with pytest.raises(AppError) as refused:
            await add_document(ctx, DocumentAdd(upload_key=upload_key, kind="enrolment"))
        assert refused.value.code == "unauthorized", refused.value
        left = await asyncio.to_thread(lambda: [p for p in tmp_path.rglob("*") if p.is_file()])
        assert left == [], left
