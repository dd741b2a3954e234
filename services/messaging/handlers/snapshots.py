"""Snapshots of every pair ever blocked, as the block events carry them, paged by pair id.

Internal: operator tools ask it on the bus (matching's rebuild of its projection of
blocks, instead of the whole event history); it takes no actor, and the gateway routes no
REST path to it. A deleted user's pairs are absent: messaging erased them.
"""

from __future__ import annotations

from services.messaging import views
from services.messaging.store import safety as safety_store
from shared import subjects
from shared.contracts.snapshots import BlockSnapshots, SnapshotPage
from shared.paging import fit_page
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.SNAPSHOT_BLOCKS, SnapshotPage)
async def snapshot_blocks(ctx: Context, req: SnapshotPage) -> BlockSnapshots:
    rows = await safety_store.block_snapshots(ctx.pool, req.after, req.limit)
    items = [views.block_data(row, blocked=row["blocked"]) for row in rows]
    page, next_after = fit_page(items, req.limit, lambda item: item.pair_id)
    return BlockSnapshots(items=page, next_after=next_after)
