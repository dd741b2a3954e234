"""What matching holds about the caller, for their export (asked by accounts, as the user)."""

from __future__ import annotations

from services.matching import store_privacy
from shared import subjects
from shared.contracts.base import Empty
from shared.contracts.privacy import ServiceExport
from shared.privacy import records
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.EXPORT_MATCHING, Empty)
async def export_user(ctx: Context, req: Empty) -> ServiceExport:
    actor = ctx.require_actor()
    found = await store_privacy.export(ctx.pool, actor.user_id)
    return ServiceExport(data={kind: records(rows) for kind, rows in found.items()})
