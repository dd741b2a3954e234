"""What payments holds about the caller, for their export (asked by accounts, as the user)."""

from __future__ import annotations

from services.payments import store
from shared import subjects
from shared.contracts.base import Empty
from shared.contracts.privacy import ServiceExport
from shared.privacy import records
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.EXPORT_PAYMENTS, Empty)
async def export_user(ctx: Context, req: Empty) -> ServiceExport:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn:
        found = await store.export(conn, actor.user_id)
    return ServiceExport(data={kind: records(rows) for kind, rows in found.items()})
