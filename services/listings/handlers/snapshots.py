"""Snapshots of every listing and booking as their events carry them, paged by id.

Internal: operator tools ask them on the bus (a projection's rebuild, instead of the whole
event history); they take no actor, and the gateway routes no REST path to them.
"""

from __future__ import annotations

from services.listings import views
from services.listings.store import snapshots as store_snapshots
from shared import subjects
from shared.contracts.snapshots import BookingSnapshots, ListingSnapshots, SnapshotPage
from shared.paging import fit_page
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.SNAPSHOT_LISTINGS, SnapshotPage)
async def snapshot_listings(ctx: Context, req: SnapshotPage) -> ListingSnapshots:
    rows = await store_snapshots.listings_after(ctx.pool, req.after, req.limit)
    items, next_after = fit_page([views.listing_data(row) for row in rows], req.limit, lambda item: item.listing_id)
    return ListingSnapshots(items=items, next_after=next_after)


@registry.endpoint(subjects.SNAPSHOT_BOOKINGS, SnapshotPage)
async def snapshot_bookings(ctx: Context, req: SnapshotPage) -> BookingSnapshots:
    rows = await store_snapshots.bookings_after(ctx.pool, req.after, req.limit)
    items, next_after = fit_page([views.booking_data(row) for row in rows], req.limit, lambda item: item.booking_id)
    return BookingSnapshots(items=items, next_after=next_after)
