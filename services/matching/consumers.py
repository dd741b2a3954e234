"""Event consumers of matching: projections of listings, bookings, profiles and blocks, and
the erasure of a deleted account.

Every event carries its aggregate's whole snapshot and version, so each consumer only
upserts the snapshot; the store keeps whichever version is newest. A newly published
listing, or a professional newly open to mentoring, may also be suggested to upcoming
rotations (``suggestions.py``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.matching import domain, plan_reads, store, store_privacy, suggestions, views
from services.matching.domain import letters
from services.matching.store import letters as letter_store
from services.matching.store import regions
from services.matching.views import letters as letter_views
from shared import blocks
from shared.contracts.accounts import USER_EVENTS
from shared.contracts.base import Event
from shared.contracts.listings import BOOKING_EVENTS, LISTING_EVENTS, ListingPublished
from shared.contracts.matching import RotationChanged
from shared.contracts.messaging import BLOCK_EVENTS
from shared.contracts.privacy import UserDeleted
from shared.db import Connection
from shared.outbox import add
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


@registry.consumer("blocks", *(e.subject for e in BLOCK_EVENTS), UserDeleted.subject)
async def project_blocks(conn: Connection, event: Event) -> None:
    """A blocked pair is never shown or paired, and cannot request a mentorship or a
    letter (``shared.blocks``)."""
    await blocks.apply(conn, event)


@registry.consumer("deletions", UserDeleted.subject)
async def erase_user(conn: Connection, event: Event) -> None:
    """A deleted account: their open letter requests close and their open mentorships end,
    each other side told (the meetings still ahead are cancelled); what they wrote goes,
    the other side keeps their own part of the plan, readable; their rotations, letter
    requests as a student, round assignments and suggestions go."""
    assert isinstance(event, UserDeleted)
    user_id = event.user_id
    await regions.lock(conn, host_id=user_id)
    # The notices matching sent the other side name the user, not their id. Published rows
    # only: the events this erasure adds below still have to go out.
    name = (await store.profile(conn, user_id) or {}).get("display_name")
    await purge_outbox(conn, [str(user_id), *([name] if name else [])])
    # From here on every notice names them as everything will: "Deleted user".
    await store_privacy.pin_deleted(conn, user_id)
    await _close_letters(conn, user_id)
    await store_privacy.erase(conn, user_id)
    await _end_mentorships(conn, user_id)
    await regions.bump(conn, await regions.host_cells(conn, user_id))
    await store.bump_epoch(conn)


async def _close_letters(conn: Connection, user_id: uuid.UUID) -> None:
    """A deleted writer's open requests are declined (the student hears, an ERAS Letter ID
    is free again); a deleted student's are withdrawn (the writer hears) before the erasure
    removes them."""
    now = datetime.now(UTC)
    for row in await store_privacy.letters(conn, user_id):
        change = letters.close_on_deletion(letter_views.letter_view(row), user_id)
        if change is None:
            continue
        await letter_store.set_status(conn, row["id"], change.status, now)
        await plan_reads.tell(conn, change.notices, user_id, letter_id=row["id"])


async def _end_mentorships(conn: Connection, user_id: uuid.UUID) -> None:
    """Each open mentorship ends with the event a normal end causes (the other side is
    notified, messaging's conversation says it ended); its meetings still proposed or
    scheduled are cancelled, so no calendar keeps them."""
    for row in await store_privacy.mentorships(conn, user_id):
        view = domain.MentorshipView(row["student_id"], row["mentor_id"], row["status"])
        transition = domain.end_on_deletion(view, user_id)
        if transition is None:
            continue
        updated = await store.set_mentorship_status(conn, row["id"], transition.status)
        await add(conn, transition.event(views.mentorship_data(updated)))
        if transition.ends_meetings:  # as any end does (handlers/mentorships.py)
            await plan_reads.end_meetings(conn, row, user_id)
