"""The replay of live pushes for the gateway's WebSocket (not a REST route), and the
background task that forgets pushes past their retention."""

from __future__ import annotations

import logging

from services.messaging import domain
from services.messaging.store import notifications as notification_store
from shared import subjects
from shared.contracts.messaging import PushesSince, PushReplay
from shared.push import Frame
from shared.service import Context, Registry

registry = Registry()

log = logging.getLogger(__name__)


@registry.endpoint(subjects.PUSHES_SINCE, PushesSince)
async def pushes_since(ctx: Context, req: PushesSince) -> PushReplay:
    """The caller's stored frames after ``since``, oldest first; ``resync`` (and no
    frames) when they cannot all be replayed."""
    actor = ctx.require_actor()
    # One snapshot for the frames and the counter: a push committed in between would
    # otherwise be behind last_seq without being among the frames, and the client would
    # skip it.
    async with ctx.pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        last_seq = await notification_store.last_push_seq(conn, actor.user_id)
        rows = await notification_store.pushes_after(conn, actor.user_id, req.since, req.limit + 1)
    first = rows[0]["seq"] if rows else None
    if domain.needs_resync(req.since, last_seq, first, len(rows), req.limit):
        return PushReplay(frames=[], last_seq=last_seq, resync=True)
    frames = [Frame(type=r["type"], seq=r["seq"], data=r["data"]) for r in rows]
    return PushReplay(frames=frames, last_seq=last_seq)
