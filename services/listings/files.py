"""Photo files no photo uses any more, and their deletion.

A photo's files are named by their content, so every photo of the same image shares them.
The transaction that deletes or replaces a photo's row queues its files
(``unused_photo_files``); after the commit they are deleted under the content's lock, and
only if no photo uses them then (``delete_unused``). An upload writes the files and
records its row under the same lock, so a deletion either sees the new row or runs before
the write: never between (the race of deleting a photo while the same image is uploaded
again). A handler deletes what it queued at once; the deletions consumer, which has no
pool after its commit, wakes this process's sweep (``wake_sweep``); and every replica
sweeps the whole queue every ``WARDMATE_UPLOAD_SWEEP_S``, so files queued by a process
that died after its commit are deleted all the same.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Iterator

import asyncpg
from nats.aio.client import Client as NATS

from services.listings.store import photos as photo_store
from shared.storage import Storage

log = logging.getLogger(__name__)

# The running sweep's wake-up (one per process; a list, like shared.media, so that nothing
# binds to an event loop at import).
_wakeups: list[asyncio.Event] = []


async def delete_unused(pool: asyncpg.Pool, storage: Storage, small_keys: Iterable[str] | None = None) -> int:
    """Delete the queued files that no photo uses (those named by ``small_keys``, or the
    whole queue) and take them off the queue; how many photos' files were deleted. A set
    that fails (the store away) stays queued for the next sweep."""
    deleted = 0
    for small_key in await photo_store.queued_files(pool) if small_keys is None else small_keys:
        try:
            async with pool.acquire() as conn, conn.transaction():
                await photo_store.lock_files(conn, small_key)
                keys = await photo_store.unqueue(conn, small_key)
                if keys is None or await photo_store.files_in_use(conn, small_key):
                    continue
                # Under the lock and before the commit: an upload of the same image waits, and
                # a failure puts the files back on the queue.
                for key in keys:
                    await storage.delete(key)
                deleted += 1
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("could not delete the files of %s; the sweep retries", small_key, exc_info=True)
    return deleted


async def wake_sweep(nc: NATS) -> None:
    """After a consumer's commit: have this process's sweep delete what it queued now."""
    for wakeup in _wakeups:
        wakeup.set()


@contextlib.contextmanager
def sweep_wakeup() -> Iterator[asyncio.Event]:
    """The event ``wake_sweep`` sets, for as long as the sweep (``jobs``) runs."""
    wakeup = asyncio.Event()
    _wakeups.append(wakeup)
    try:
        yield wakeup
    finally:
        _wakeups.remove(wakeup)
