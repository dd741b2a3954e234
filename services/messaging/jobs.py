"""Background loops of messaging: pruning the stored live pushes past their retention."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from services.messaging.store import notifications as notification_store
from shared.aio import stop_if_cancelled
from shared.service import Context, Registry

log = logging.getLogger(__name__)

registry = Registry()

PRUNE_EVERY_S = 600.0


@registry.background
async def prune_loop(ctx: Context) -> None:
    retention = timedelta(hours=ctx.settings.push_retention_hours)
    while True:
        stop_if_cancelled()
        try:
            pruned = await notification_store.prune_pushes(ctx.pool, retention)
            if pruned:
                log.info("pushes pruned", extra={"fields": {"pruned": pruned}})
        except Exception:
            log.exception("pruning pushes failed")
        await asyncio.sleep(PRUNE_EVERY_S)
