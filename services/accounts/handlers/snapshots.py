"""Snapshots of every user as their events carry them, paged by id.

Internal: operator tools ask it on the bus (a projection's rebuild, instead of the whole
event history); it takes no actor, and the gateway routes no REST path to it. A deleted
user is absent: their rows are gone.
"""

from __future__ import annotations

from services.accounts import views
from services.accounts.store import snapshots as store_snapshots
from shared import subjects
from shared.contracts.snapshots import SnapshotPage, UserSnapshots
from shared.paging import fit_page
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.SNAPSHOT_USERS, SnapshotPage)
async def snapshot_users(ctx: Context, req: SnapshotPage) -> UserSnapshots:
    rows = await store_snapshots.users_after(ctx.pool, req.after, req.limit)
    items, next_after = fit_page([views.user_data(row) for row in rows], req.limit, lambda item: item.user_id)
    return UserSnapshots(items=items, next_after=next_after)
