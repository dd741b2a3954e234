"""What listings holds about the caller, for their export (asked by accounts, as the user)."""

from __future__ import annotations

from services.listings.store import privacy as store_privacy
from services.listings.views import photo_record
from shared import subjects
from shared.contracts.base import Empty
from shared.contracts.privacy import ServiceExport
from shared.privacy import records
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.EXPORT_LISTINGS, Empty)
async def export_user(ctx: Context, req: Empty) -> ServiceExport:
    actor = ctx.require_actor()
    found = await store_privacy.export(ctx.pool, actor.user_id)
    data = {kind: records(rows) for kind, rows in found.items()}
    # Their rooms' photos (often of their home) as they described and ordered them.
    photos = await store_privacy.host_photos(ctx.pool, actor.user_id)
    data["listing_photos"] = [photo_record(row) for row in photos]
    return ServiceExport(data=data)
