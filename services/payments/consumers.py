"""Event consumers of payments: listings' bookings. An accepted booking makes its payments
due; a cancelled one refunds by the policy it was accepted under; an expired, declined or
cancelled one stops what is still unpaid; new dates reschedule what is due; the room's time
zone, first heard of, moves the release times not yet reached."""

from __future__ import annotations

from services.payments import domain, flows, store
from services.payments.views import zone_of
from shared import clock
from shared.contracts.accounts import USER_EVENTS
from shared.contracts.base import Event
from shared.contracts.listings import (
    BOOKING_EVENTS,
    BookingAccepted,
    BookingCancelled,
    BookingShifted,
)
from shared.db import Connection
from shared.service import Context, Registry
from shared.settings import Settings

registry = Registry()

# Kept at startup: a consumer gets only a connection and an event.
SETTINGS: list[Settings] = []


@registry.on_startup
async def keep_settings(ctx: Context) -> None:
    SETTINGS[:] = [ctx.settings]


def _settings() -> Settings:
    return SETTINGS[0] if SETTINGS else Settings()


@registry.consumer("accounts", *(e.subject for e in USER_EVENTS))
async def project_accounts(conn: Connection, event: Event) -> None:
    """Whether each account is suspended: a guest whose host is suspended cancels without
    fault (the refund quote says so before they cancel)."""
    assert isinstance(event, USER_EVENTS)
    await store.project_account(conn, event.user.user_id, event.user.suspended, event.user.version)


@registry.consumer("bookings", *(e.subject for e in BOOKING_EVENTS))
async def apply_booking(conn: Connection, event: Event) -> None:
    """Keep the projection; act on acceptance and cancellation once (the inbox)."""
    assert isinstance(event, BOOKING_EVENTS)
    booking = event.booking
    settings = _settings()
    # The event is made in the acceptance's transaction: its time is the acceptance's.
    accepted_at = event.occurred_at if isinstance(event, BookingAccepted) else None
    before = await store.booking(conn, booking.booking_id, for_update=True)
    await store.project_booking(conn, booking, accepted_at)
    if before is not None and before["time_zone"] is None and booking.time_zone is not None:
        # Projected before events carried the room's zone, with payments made then: their
        # release times follow the room's check-in moment from now on.
        await flows.follow_zone(conn, booking.booking_id, settings)
    if isinstance(event, BookingAccepted):
        await flows.make_due(conn, booking.booking_id, settings)
    elif isinstance(event, BookingCancelled):
        await _refund_cancellation(conn, event, settings)
    elif isinstance(event, BookingShifted):
        await flows.apply_shift(conn, booking.booking_id, settings)
    elif booking.status in ("expired", "declined"):
        await store.cancel_due(conn, booking.booking_id, "cancelled")


async def _refund_cancellation(conn: Connection, event: BookingCancelled, settings: Settings) -> None:
    booking = event.booking
    projected = await store.booking(conn, booking.booking_id)
    assert projected is not None
    await store.cancel_due(conn, booking.booking_id, "cancelled")
    paid = flows.paid_cents(await store.payments_of(conn, booking.booking_id))
    by: domain.Canceller = "host" if event.cancelled_by == booking.host_id else "guest"
    decision = domain.refund_for_cancellation(
        policy=booking.cancellation_policy,
        check_in=booking.check_in,
        check_out=booking.check_out,
        total_cents=booking.total_cents,
        paid_cents=paid,
        now=clock.moved(settings, event.occurred_at),
        zone=zone_of(projected),
        cancelled_by=by,
        end_reason=booking.end_reason,
    )
    if decision.amount_cents > 0:
        await flows.add_refunds(
            conn, booking.booking_id, decision.amount_cents, "cancellation", decision.reason, event.cancelled_by
        )
