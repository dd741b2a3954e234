"""Event consumers of matching: projections of listings, bookings and profiles.

Every event carries its aggregate's whole snapshot and version, so each consumer only
upserts the snapshot; the store keeps whichever version is newest. A newly published
listing, or a professional newly open to mentoring, may also be suggested to upcoming
rotations (``suggestions.py``).
"""

from __future__ import annotations

from services.matching import store, store_privacy, suggestions
from services.matching.store import regions
from shared.contracts.accounts import USER_EVENTS
from shared.contracts.base import Event
from shared.contracts.listings import BOOKING_EVENTS, LISTING_EVENTS, ListingPublished
from shared.contracts.matching import RotationChanged
from shared.contracts.privacy import UserDeleted
from shared.db import Connection
from shared.privacy import purge_outbox
from shared.service import Registry

registry = Registry()


@registry.consumer("listings", *(e.subject for e in LISTING_EVENTS))
async def project_listings(conn: Connection, event: Event) -> None:
    assert isinstance(event, LISTING_EVENTS)
    listing = event.listing
    await regions.lock(conn, listing_id=listing.listing_id, host_id=listing.host_id)
    before = await regions.listing_cell(conn, listing.listing_id)
    applied = await store.project_listing(conn, listing)
    if applied:
        # Where it is and where it was: it may have moved out of a ranking's reach.
        await regions.bump(conn, [regions.cell(listing.latitude, listing.longitude), before])
    if applied and isinstance(event, ListingPublished):
        await suggestions.for_listing(conn, event.listing)


@registry.consumer("bookings", *(e.subject for e in BOOKING_EVENTS))
async def project_bookings(conn: Connection, event: Event) -> None:
    assert isinstance(event, BOOKING_EVENTS)
    await regions.lock(conn, listing_id=event.booking.listing_id)
    if await store.project_booking(conn, event.booking):
        # A listing not projected yet is in no ranking; its own snapshot will count.
        await regions.bump(conn, [await regions.listing_cell(conn, event.booking.listing_id)])


@registry.consumer("rotations", RotationChanged.subject)
async def suggest_for_rotations(conn: Connection, event: Event) -> None:
    """A recorded or changed rotation's best rooms and mentors, suggested once each; an
    event for an older version than the rotation now has is left to the newer one's."""
    assert isinstance(event, RotationChanged)
    row = await store.rotation(conn, event.rotation_id)
    if row is not None and row["version"] == event.version:
        await suggestions.for_rotation(conn, row)


@registry.consumer("profiles", *(e.subject for e in USER_EVENTS))
async def project_profiles(conn: Connection, event: Event) -> None:
    assert isinstance(event, USER_EVENTS)
    user = event.user
    await regions.lock(conn, host_id=user.user_id)
    before = await store.profile(conn, user.user_id) or {}
    opened = user.open_to_mentoring and user.mentoring_capacity > 0 and not before.get("open_to_mentoring")
    if not await store.project_profile(conn, user):
        return
    # Rooms: the regions of the listings they host (a student's own rankings key on their
    # profile's version); mentors: everywhere.
    await regions.bump(conn, await regions.host_cells(conn, user.user_id))
    await store.bump_epoch(conn)
    if opened:
        await suggestions.for_mentor(conn, user, await store.accepted_mentees(conn, user.user_id))


@registry.consumer("deletions", UserDeleted.subject)
async def erase_user(conn: Connection, event: Event) -> None:
    """A deleted account: their rotations, mentorships, requests and suggestions go."""
    assert isinstance(event, UserDeleted)
    await regions.lock(conn, host_id=event.user_id)
    await store_privacy.erase(conn, event.user_id)
    await regions.bump(conn, await regions.host_cells(conn, event.user_id))
    await store.bump_epoch(conn)
    await purge_outbox(conn, [str(event.user_id)])
