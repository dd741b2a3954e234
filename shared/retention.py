"""What each service process prunes of its event tables, hourly: published outbox rows
after ``outbox_retention_days``, and inbox ids a day after the stream's retention, when the
stream can no longer deliver their events again. Every replica prunes; a row deleted by
one is simply not there for the next."""

from __future__ import annotations

import asyncio
import logging

import asyncpg

from shared.aio import stop_if_cancelled
from shared.consumers import prune_applied
from shared.outbox import prune_sent
from shared.settings import Settings

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0
DAY_S = 86400.0
# Inbox ids outlive the stream's events by this much: an event is applied after it was
# published, and a consumer can lag behind.
INBOX_MARGIN_S = DAY_S


def ages(settings: Settings) -> tuple[float | None, float | None]:
    """(outbox, inbox) ages in seconds beyond which rows go; None: kept for ever. With
    no stream retention, every event can be delivered again, so inbox ids are all kept."""
    outbox = settings.outbox_retention_days * DAY_S or None
    inbox = settings.stream_retention_days * DAY_S + INBOX_MARGIN_S if settings.stream_retention_days else None
    return outbox, inbox


async def prune_once(pool: asyncpg.Pool, settings: Settings) -> dict[str, int]:
    """One pass: the rows pruned per table."""
    outbox, inbox = ages(settings)
    pruned = {}
    if outbox is not None:
        pruned["outbox"] = await prune_sent(pool, outbox)
    if inbox is not None:
        pruned["inbox"] = await prune_applied(pool, inbox)
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
