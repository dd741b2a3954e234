"""What each service process prunes of its event tables, hourly: published outbox rows
after ``outbox_retention_days``, and inbox ids a day after the stream's retention, when the
stream can no longer deliver their events again. Every replica prunes; a row deleted by
one is simply not there for the next."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from shared.aio import stop_if_cancelled
from shared.settings import Settings

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0
DAY_S = 86400.0
# Inbox ids outlive the stream's events by this much: an event is applied after it was
# published, and a consumer can lag behind.
INBOX_MARGIN_S = DAY_S


PRUNE_BATCH = 5000
# Each table's key and the time after which a row may go: an outbox row once published
# (the stream holds its event; a restore reads only the rows of events published after
# its backup began, which a backup taking less than the retention always has; unpublished
# rows are never touched), an inbox id once applied.
PRUNED = {"outbox": ("event_id", "sent_at"), "inbox": ("consumer, event_id", "applied_at")}


def stream_max_age_s(settings: Settings) -> float:
    """How long the events stream keeps an event (0: for ever)."""
    return settings.stream_retention_days * DAY_S


def ages(settings: Settings) -> tuple[float | None, float | None]:
    """(outbox, inbox) ages in seconds beyond which rows go; None: kept for ever. With
    no stream retention, every event can be delivered again, so inbox ids are all kept."""
    outbox = settings.outbox_retention_days * DAY_S or None
    stream = stream_max_age_s(settings)
    return outbox, stream + INBOX_MARGIN_S if stream else None


async def prune(pool: asyncpg.Pool, table: str, older_than_s: float, batch: int = PRUNE_BATCH) -> int:
    """Delete ``table``'s rows (outbox or inbox) past ``older_than_s``, a batch per
    statement; return how many."""
    key, since = PRUNED[table]
    deleted = 0
    while True:
        result = await pool.execute(
            f"DELETE FROM {table} WHERE ({key}) IN (SELECT {key} FROM {table}"
            f" WHERE {since} < now() - make_interval(secs => $1) LIMIT $2)",
            older_than_s,
            batch,
        )
        count = int(result.split()[-1])
        deleted += count
        if count < batch:
            return deleted


async def prune_once(pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    """One pass: the rows pruned per table."""
    pruned = {}
    for table, age in zip(PRUNED, ages(settings), strict=True):
        if age is not None:
            pruned[table] = await prune(pool, table, age)
    return pruned


async def retention_loop(pool: asyncpg.Pool, settings: Settings, every_s: float = PRUNE_EVERY_S) -> None:
    """``prune_once`` every ``every_s`` until cancelled."""
    if ages(settings) == (None, None):
        return
    while True:
        stop_if_cancelled()
        try:
            pruned = await prune_once(pool, settings)
            if any(pruned.values()):
                log.info("event tables pruned", extra={"fields": pruned})
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # Postgres restarting: the next round catches up
            log.warning("event table pruning failed: %s", exc)
        await asyncio.sleep(every_s)
