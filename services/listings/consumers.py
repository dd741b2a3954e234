"""Event consumers of listings: the hosts projection (name, verified badge) from accounts,
the blocks projection from messaging (a blocked pair cannot request a stay), payments'
outcomes (a paid booking is confirmed, an unpaid one expires), the dates a stay's rotation
moved to (matching), and the erasure of a deleted account (its photos' files too)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.listings import domain, files, freed, store
from services.listings.store import bookings as booking_store
from services.listings.store import photos as photo_store
from services.listings.store import privacy as store_privacy
from services.listings.views import booking_data, listing_data
from shared import blocks
from shared.consumers import AfterCommit
from shared.contracts.accounts import USER_EVENTS
from shared.contracts.base import Event
from shared.contracts.listings import BookingCancelled, BookingConfirmed, ListingArchived, ListingStatus
from shared.contracts.matching import RotationMoved
from shared.contracts.messaging import BLOCK_EVENTS
from shared.contracts.payments import PaymentExpired, PaymentSucceeded
from shared.contracts.privacy import UserDeleted
from shared.db import Connection
from shared.outbox import add
from shared.privacy import purge_outbox
from shared.service import Registry

registry = Registry()


@registry.consumer("hosts", *(e.subject for e in USER_EVENTS))
async def project_hosts(conn: Connection, event: Event) -> None:
    """Every user event carries the whole user snapshot; an older one changes nothing."""
    assert isinstance(event, USER_EVENTS)
    user = event.user
    if not await store.project_host(conn, user.user_id, user.display_name, user.verified, user.suspended, user.version):
        return
    # An operator suspended the host (or lifted it): their rooms leave search, booking and
    # matching (held), or come back. Each change is a listing event, as a host's own is.
    before: ListingStatus = "active" if user.suspended else "held"
    for listing_id in await store.hold_listings(conn, user.user_id, user.suspended):
        row = await store.listing(conn, listing_id)
        assert row is not None
        change = domain.listing_event(before, listing_data(row), changed=True)
        if change is not None:
            await add(conn, change)


@registry.consumer("blocks", *(e.subject for e in BLOCK_EVENTS), UserDeleted.subject)
async def project_blocks(conn: Connection, event: Event) -> None:
    """A blocked pair cannot request a stay, nor find the other's rooms in a signed-in
    search (``shared.blocks``)."""
    await blocks.apply(conn, event)


@registry.consumer("payments", PaymentSucceeded.subject, PaymentExpired.subject)
async def apply_payment(conn: Connection, event: Event) -> None:
    """The first payment of a stay decides it: paid, confirmed; unpaid in time, expired
    (its dates are free again). A later block's payment changes nothing here."""
    assert isinstance(event, PaymentSucceeded | PaymentExpired)
    if event.payment.block != 0:
        return
    found = await booking_store.booking(conn, event.payment.booking_id)
    if found is None:
        return
    # Locked like every change of a listing's bookings (see handlers/bookings._locked_booking).
    await store.lock_listing(conn, found["listing_id"])
    row = await booking_store.booking(conn, event.payment.booking_id, for_update=True)
    assert row is not None
    transition = domain.after_payment(row["status"], "succeeded" if isinstance(event, PaymentSucceeded) else "expired")
    if transition is None:
        return
    reason = "unpaid" if transition.status == "expired" else None
    await booking_store.set_booking_status(conn, row["id"], transition.status, reason)
    updated = await booking_store.booking(conn, row["id"])
    assert updated is not None
    made = transition.event(booking_data(updated))
    if isinstance(made, BookingConfirmed):
        # How much the confirming payment was: a stay paid in blocks has paid its first only.
        made = made.model_copy(update={"paid_cents": event.payment.amount_cents})
    await add(conn, made)
    if transition.status == "expired":  # unpaid: the requests this stay turned down
        await freed.tell_freed(conn, row["listing_id"], row["check_in"], row["check_out"], datetime.now(UTC))


@registry.consumer("rotations", RotationMoved.subject)
async def record_rotation_moves(conn: Connection, event: Event) -> None:
    """A student moved a rotation: remember, for each stay they booked for it, the dates it
    moved to. Rotation protection holds only for a request to move the stay to exactly
    those dates (``domain.follows_rotation``); nothing else about the booking changes."""
    assert isinstance(event, RotationMoved)
    for stay in event.stays:
        await booking_store.record_rotation_move(
            conn,
            stay.booking_id,
            event.student_id,
            event.rotation_id,
            event.start_date,
            event.end_date,
            event.occurred_at,
        )


@registry.consumer("deletions", UserDeleted.subject)
async def erase_user(conn: Connection, event: Event) -> AfterCommit | None:
    """A deleted account: its stays not yet over are cancelled as the deleted user's side
    (the other side is told), its listings archived with their address and texts blanked and
    their photos deleted, what it wrote (booking messages, reviews) emptied, its name
    dropped from the projection. The photos' files are queued with the rows' deletion and
    deleted after the commit by the sweep, which the commit wakes: a process that dies
    first leaves them queued, never kept."""
    assert isinstance(event, UserDeleted)
    user_id = event.user_id
    await purge_outbox(conn, [str(user_id)])
    archived = await store_privacy.erase(conn, user_id)
    queued = await photo_store.erase_photos(conn, await store_privacy.listing_ids(conn, user_id))
    for row in await store_privacy.future_bookings(conn, user_id, datetime.now(UTC)):
        side = "host" if row["host_id"] == user_id else "guest"
        updated = await booking_store.set_booking_status(conn, row["id"], "cancelled", cancelled_by=side)
        await add(conn, BookingCancelled(booking=booking_data(updated), cancelled_by=user_id, account_deleted=True))
        if row["status"] in freed.HOLDING:  # a deleted guest's stay (a deleted host's rooms are gone)
            await freed.tell_freed(conn, row["listing_id"], row["check_in"], row["check_out"], datetime.now(UTC))
    for listing_id in archived:
        listing = await store.listing(conn, listing_id)
        assert listing is not None
        await add(conn, ListingArchived(listing=listing_data(listing)))
    return files.wake_sweep if queued else None
