"""Background loops of accounts: delete verification documents whose retention ended."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import asyncpg

from services.accounts import document_store
from shared.aio import stop_if_cancelled
from shared.media import media
from shared.service import Context, Registry
from shared.storage import Storage

log = logging.getLogger(__name__)

registry = Registry()

# Decisions are rare; an hour between looks keeps a document at most an hour past its date.
RETENTION_SWEEP_S = 3600.0


async def delete_expired_documents(
    pool: asyncpg.Pool, storage: Storage, retention_days: float, now: datetime | None = None
) -> int:
    """Delete the files of documents decided more than ``retention_days`` ago (data
    minimisation); the row stays as the record of the decision. How many were deleted."""
    now = now or datetime.now(UTC)
    deleted = 0
    while rows := await document_store.expired(pool, now - timedelta(days=retention_days)):
        for row in rows:
            # The file first: a crash between the two deletes it again, never keeps it.
            await storage.delete(row["object_key"])
            await document_store.mark_deleted(pool, row["id"])
            deleted += 1
    return deleted


@registry.background
async def retention_loop(ctx: Context) -> None:
    while True:
        stop_if_cancelled()
        try:
            deleted = await delete_expired_documents(ctx.pool, media().storage, ctx.settings.document_retention_days)
            if deleted:
                log.info("deleted %d documents past their retention", deleted)
        except Exception:
            log.exception("document retention sweep failed")
        await asyncio.sleep(RETENTION_SWEEP_S)
