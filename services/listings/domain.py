"""Pure rules of listings and bookings: prices, visibility, booking transitions."""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, NamedTuple, Protocol

from shared import geo, hospitals, places, request_limits, stays
from shared.contracts.base import Actor, Event
from shared.contracts.hospitals import Hospital
from shared.contracts.listings import (
    MAX_BLOCK_NIGHTS,
    BookingAccepted,
    BookingCancelled,
    BookingCompleted,
    BookingConfirmed,
    BookingData,
    BookingDeclined,
    BookingExpired,
    BookingStatus,
    ListingArchived,
    ListingData,
    ListingPublished,
    ListingStatus,
    ListingUpdated,
)
from shared.dates import written
from shared.errors import AppError
from shared.request_limits import RecentRequest
from shared.timezones import DEFAULT_ZONE


class Row(Protocol):
    """A stored row by column name (an asyncpg record, or a dict in tests)."""

    def __getitem__(self, key: str) -> Any: ...


def unavailable_reason(
    available_from: date, available_to: date, min_stay_nights: int, check_in: date, check_out: date
) -> str | None:
    """Why a listing's window and minimum stay refuse a stay, or None when they allow it."""
    nights = (check_out - check_in).days
    if check_in < available_from or check_out > available_to:
        return f"the room is available from {written(available_from)} to {written(available_to)}"
    if nights < min_stay_nights:
        return f"the minimum stay is {min_stay_nights} nights"
    return None


PAST_CHECK_IN = "check-in is in the past: a stay starts today or later"

# The least time a host has to answer a request made on (or after) its check-in day.
LEAST_ANSWER_TIME = timedelta(hours=2)


def request_expiry(now: datetime, ttl: timedelta, check_in_at: datetime) -> datetime:
    """When an unanswered request expires: ``ttl`` after it is made, but no later than its
    check-in (a request for tonight waited two days, two of its three nights gone, and a
    student flying in landed with no answer), and never less than ``LEAST_ANSWER_TIME`` away
    (a request made this evening for tonight, past the check-in hour, is still answerable)."""
    return min(now + ttl, max(check_in_at, now + LEAST_ANSWER_TIME))


def past_reason(check_in: date, today: date) -> str | None:
    """Why no room takes a stay starting on ``check_in``: a day before ``today``, or None.
    One rule for what booking and shifting refuse, the quote calls unavailable and search
    refuses (it once priced stays in the past that no one could book)."""
    return PAST_CHECK_IN if check_in < today else None


def refuse_past_check_in(check_in: date, today: date, field: str = "check_in") -> None:
    """A 400 beside ``field`` for a check-in before ``today`` (``past_reason``)."""
    reason = past_reason(check_in, today)
    if reason is not None:
        raise AppError("validation", reason, [{"field": field, "message": "must be today or later"}])


def refuse_duplicate_request(existing: uuid.UUID | None, status: str, check_in: date, check_out: date) -> None:
    """A guest asks once per stay: a second request overlapping an open one (requested or
    accepted) of the same room is refused, naming the first, so a double click or a
    resubmitted form never makes two."""
    if existing is not None:
        raise AppError(
            "conflict",
            f"you already have a {status} booking of this room from {check_in} to {check_out}",
            {"booking_id": str(existing), "status": status},
        )


def refuse_over_request_limits(
    recent: list[RecentRequest], listing_id: uuid.UUID, window_s: int, per_listing: int, per_guest: int
) -> None:
    """A guest's request beyond ``per_listing`` requests of this room, or ``per_guest`` of
    any room, within the last ``window_s`` is refused with ``retry_after_s``
    (``shared.request_limits``: a request/cancel loop flooded a host, audit 2: 24 mails in
    a few seconds)."""
    request_limits.refuse_over_limits(
        recent,
        listing_id,
        window_s,
        per_listing,
        per_guest,
        of_target="requested this room {n} times",
        of_all="made {n} booking requests",
        counted="withdrawn, declined and expired requests count too",
    )


# A listing's public position is its exact one moved APPROX_OFFSET_M/2 to APPROX_OFFSET_M
# in a direction, and by a distance, that only the service's secret key and the listing's
# id decide, then rounded to 0.001 degrees (~100 m): close enough to judge the commute, not
# to find the door. Keyed, because an offset drawn from the public id alone is undone by
# anyone who reads this code (a 300 m blur came back to within 40-70 m). Fixed per
# listing: computed when the room is placed and stored, so the same listing never shows
# two public points to average (a moved room keeps its offset; a new key moves nothing).
# Everything a viewer other than the host learns of where a room is (the location shown,
# search's radius, order and distances, matching's distances and scores) derives from it.
APPROX_OFFSET_M = 400.0
_PUBLIC_POSITION = b"wardmate public position\x00"


def public_point(secret_key: str, listing_id: uuid.UUID, latitude: float, longitude: float) -> tuple[float, float]:
    """The listing's public position (see ``APPROX_OFFSET_M``)."""
    digest = hmac.new(secret_key.encode(), _PUBLIC_POSITION + listing_id.bytes, hashlib.sha256).digest()
    angle = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    dist = (0.5 + int.from_bytes(digest[4:8], "big") / 2**32 / 2) * APPROX_OFFSET_M
    dlat = dist * math.cos(angle) / 111_320
    dlon = dist * math.sin(angle) / (111_320 * max(math.cos(math.radians(latitude)), 0.01))
    return round(max(-90.0, min(90.0, latitude + dlat)), 3), round(max(-180.0, min(180.0, longitude + dlon)), 3)


# Closer than this to a hospital's recorded point, a room "is" the hospital: a host who
# used its coordinates, whose room then ranked first at 0.0 km in every student's matches.
ON_HOSPITAL_M = 30.0


def room_position(
    latitude: float | None, longitude: float | None, zip_code: str | None, directory: tuple[Hospital, ...]
) -> tuple[float, float]:
    """Where a room is: its coordinates, else its ZIP code's centre; never a hospital's own
    point (the host must place the room itself)."""
    if latitude is None or longitude is None:
        centre = places.zip_centre(zip_code or "")
        if centre is None:
            raise AppError(
                "validation",
                f"no US ZIP code {zip_code}",
                [
                    {
                        "field": "zip_code",
                        "message": "We do not know this ZIP code. Check it, or place the room by hand.",
                    }
                ],
            )
        return centre.latitude, centre.longitude
    if not places.in_zip_area(latitude, longitude):
        # Rotations, hospitals, ZIP codes and the rooms' time zones are all US ones.
        raise AppError(
            "validation",
            "the room is not in the United States",
            [
                {
                    "field": "latitude",
                    "message": "This point is not in the United States: check the coordinates, or give the ZIP code.",
                }
            ],
        )
    box = ON_HOSPITAL_M / 111_000 * 2
    for h in directory:
        if abs(h.latitude - latitude) < box and abs(h.longitude - longitude) < box * 4:
            if geo.haversine_km(latitude, longitude, h.latitude, h.longitude) * 1000 < ON_HOSPITAL_M:
                raise AppError(
                    "validation",
                    "the room is placed on a hospital",
                    [
                        {
                            "field": "latitude",
                            # Named: the hospital the host has in mind may be another nearby.
                            "message": f"This is the position of {hospitals.display_name(h.name)}: place your room"
                            " at its own address.",
                        }
                    ],
                )
    return latitude, longitude


Side = Literal["guest", "host"]


@dataclass(frozen=True)
class BookingView:
    """What the transition rules need to know of a booking."""

    guest_id: uuid.UUID
    host_id: uuid.UUID
    status: str
    check_in: date
    check_out: date
    expires_at: datetime
    total_cents: int = 0
    rotation_id: uuid.UUID | None = None
    # The dates the stay's rotation moved to, as matching last said (rotation.moved).
    rotation_moved_to: tuple[date, date] | None = None
    # The host declined to move the stay to those dates (until the stay moves).
    rotation_shift_declined: bool = False
    # The listing's minimum stay when the host accepted it (None: never accepted; it is
    # recorded on acceptance and kept whatever follows).
    min_stay_nights: int | None = None
    # The room's time zone: a stay starts at its first day's check-in time there, and
    # "today" is the room's date (``shared.stays``).
    time_zone: str = DEFAULT_ZONE
    # Who cancelled a cancelled stay (None: not cancelled, or cancelled before it was
    # recorded, migration 0016), and when its status last changed (for a cancelled stay,
    # the cancellation: nothing follows it).
    cancelled_by: Side | None = None
    decided_at: datetime | None = None
    # One side deleted their account: the other cannot review them (their profile and
    # what others wrote of them are gone).
    party_erased: bool = False
    # An operator suspended the host (as listings last heard): the guest may cancel without
    # fault, as if the host had cancelled.
    host_suspended: bool = False


def party(booking: BookingView, actor: Actor) -> Side:
    """``guest`` or ``host``; anyone else must not learn the booking exists (404)."""
    if actor.user_id == booking.guest_id:
        return "guest"
    if actor.user_id == booking.host_id:
        return "host"
    raise AppError("not_found", "booking not found")


DATES_TAKEN = "the room is already booked for some of these dates"
# Why a waiting request was declined without the host's word: a stay overlapping it was
# accepted (or moved onto its dates), so its guest knows at once to look elsewhere.
TAKEN_BY_ANOTHER = "dates_taken"


def refuse_taken_dates(dates_taken: bool) -> None:
    """A request for nights another guest's accepted or paid stay holds is refused when it
    is made (the quote already calls them unavailable). Before, it was taken and left
    waiting: its guest heard nothing until it expired 48 hours later, and the host, who
    could only decline it, got a bare 409 on accepting."""
    if dates_taken:
        raise AppError(
            "conflict",
            DATES_TAKEN,
            [{"field": "check_in", "message": "Another guest has booked some of these nights: choose other dates."}],
        )


DATES_BLOCKED = "the host has blocked some of these dates"
# Why a waiting request was declined without the host's answer to it: the host blocked
# some of its nights (``check_block``), so its guest knows at once to look elsewhere.
BLOCKED_BY_HOST = "dates_blocked"


def refuse_blocked_dates(dates_blocked: bool, field: str = "check_in") -> None:
    """Nights the host blocked are nobody's: a request (or a new date for a stay) for any of
    them is a 409, as for nights another guest holds."""
    if dates_blocked:
        raise AppError(
            "conflict",
            DATES_BLOCKED,
            [{"field": field, "message": "The host has blocked some of these nights: choose other dates."}],
        )


def check_block(start: date, end: date, today: date, held: list[HeldStay], blocked: list[tuple[date, date]]) -> None:
    """Whether the host may block the nights ``start`` .. ``end`` (end exclusive, as a
    stay's check-out; its order and its length, at most ``MAX_BLOCK_NIGHTS``, are the
    contract's). ``today``: the date at the room, the first night a block may take (a night
    already past is nobody's to take). ``held``: the room's accepted, paid or completed
    stays overlapping these nights: a block never takes a night agreed with a guest (409
    naming the stay: cancel it first, which refunds a paid one). ``blocked``: the room's
    blocks overlapping them: one night is blocked once (409 naming the block)."""
    if start < today:
        raise AppError(
            "validation",
            "a block starts today or later",
            [{"field": "start", "message": "Must be today or later: past nights are nobody's to block."}],
        )
    if (end - start).days > MAX_BLOCK_NIGHTS:
        raise AppError(
            "validation",
            f"a block is at most {MAX_BLOCK_NIGHTS} nights",
            [{"field": "end", "message": f"At most {MAX_BLOCK_NIGHTS} nights: narrow the room's dates instead."}],
        )
    kind = {"accepted": "an accepted", "confirmed": "a paid", "completed": "a completed"}
    if held:
        stay = min(held, key=lambda s: s.check_in)
        stay_dates = f"{written(stay.check_in)} to {written(stay.check_out)}"
        raise AppError(
            "conflict",
            f"{kind.get(stay.status, 'a')} stay from {stay_dates} holds some of these nights: a block cannot take"
            " them (cancel the stay first: the guest is told, and a paid stay is refunded)",
            [{"field": "start", "message": f"{kind.get(stay.status, 'A').capitalize()} stay holds {stay_dates}."}],
        )
    if blocked:
        first, until = min(blocked)
        raise AppError(
            "conflict",
            f"you already blocked {written(first)} to {written(until)}: remove that block, or choose other nights",
            [{"field": "start", "message": f"Already blocked: {written(first)} to {written(until)}."}],
        )


def check_block_owner(status: str | None, host_id: uuid.UUID | None, actor_id: uuid.UUID) -> None:
    """A room's blocked nights are its host's business alone: anyone else, on any room (and
    the host too, on an archived one) gets 404, never a hint that the room has any."""
    if status in (None, "archived") or host_id != actor_id:
        raise AppError("not_found", "listing not found")


_DONE = {"accept": "accepted", "decline": "declined", "cancel": "cancelled"}


@dataclass(frozen=True)
class Transition:
    """A booking's next status and the event it causes, built from the stored result."""

    status: BookingStatus
    event: Callable[[BookingData], Event]
    # A cancellation's side, recorded on the booking (a host's opens a review of them).
    cancelled_by: Side | None = None


def decide(
    booking: BookingView,
    actor: Actor,
    action: str,
    now: datetime,
    *,
    dates_taken: bool = False,
    dates_blocked: bool = False,
    terms: ListingTerms | None = None,
) -> Transition:
    """What ``action`` by ``actor`` does to a booking, or the error saying why they may not.

    ``dates_taken``: another accepted stay of the listing overlaps this one;
    ``dates_blocked``: the host blocked some of its nights. ``terms``: the
    listing as it is now; a request accepted must still fit its window and minimum stay
    (the host may have changed them since it was made).
    """
    who = party(booking, actor)
    if action in ("accept", "decline") and who != "host":
        raise AppError("forbidden", f"only the host can {action} a booking request")
    if booking.status == "requested" and booking.expires_at <= now:
        # Past its deadline a request is expired, whoever acts before the sweep records it:
        # a guest's cancel then would have made it 'cancelled' (and told the host so),
        # where the sweep a moment later makes it 'expired'.
        raise AppError("conflict", f"the request expired, it can no longer be {_DONE.get(action, action)}")
    if action in ("accept", "decline"):
        if booking.status != "requested":
            raise AppError("conflict", f"the booking is {booking.status}, it can no longer be {_DONE[action]}")
        if action == "accept":
            reason = terms and unavailable_reason(
                terms.available_from, terms.available_to, terms.min_stay_nights, booking.check_in, booking.check_out
            )
            if reason:
                raise AppError(
                    "conflict",
                    f"this request no longer fits the room ({reason}): decline it, or change the room's"
                    " dates or minimum stay to accept it",
                )
            if dates_taken:
                raise AppError("conflict", DATES_TAKEN)
            if dates_blocked:
                # Blocking declines the requests waiting for those nights, so only a request
                # made before that (none: both take the listing's lock) could get here.
                raise AppError("conflict", f"{DATES_BLOCKED}: remove the block to accept this request")
            return Transition("accepted", lambda b: BookingAccepted(booking=b))
        return DECLINE
    if action == "cancel":
        if who == "host" and booking.status == "requested":
            # One way for a host to refuse a request: declining it (the guest hears so).
            raise AppError("conflict", "a pending request is declined, not cancelled: decline it")
        if booking.status not in ("requested", "accepted", "confirmed"):
            raise AppError("conflict", f"the booking is {booking.status}, it cannot be cancelled")
        over = booking.check_out <= stays.local_today(now, booking.time_zone)  # its check-out day at the room
        if booking.status in ("accepted", "confirmed") and over:
            raise AppError("conflict", "the stay is over, it cannot be cancelled")
        withdrawn = booking.status == "requested"  # the guest's (a host declines a request)
        return Transition(
            "cancelled",
            lambda b: BookingCancelled(booking=b, cancelled_by=actor.user_id, withdrawn=withdrawn),
            cancelled_by=who,
        )
    raise AppError("validation", f"unknown action {action}")


def check_archive(open_statuses: list[str]) -> None:
    """A room with accepted or paid stays is not deleted under its guests: the host cancels
    them first (a paid one is refunded), or unpublishes the room to take no new requests.
    Requests still waiting are declined by the archive itself."""
    # In the words the host reads: "confirmed" is a paid stay.
    held = sorted({{"accepted": "accepted", "confirmed": "paid"}[s] for s in open_statuses if s != "requested"})
    if held:
        raise AppError(
            "conflict",
            f"this room has {' and '.join(held)} stays not yet over: cancel them first (the guests are told, and a"
            " paid stay is refunded), or set the room to Draft to take no new requests",
        )


# What the sweeper does to a request nobody answered in time (and payments' deadline to an
# accepted stay left unpaid), and to a stay that ended.
EXPIRE = Transition("expired", lambda b: BookingExpired(booking=b))
DECLINE = Transition("declined", lambda b: BookingDeclined(booking=b))
COMPLETE = Transition("completed", lambda b: BookingCompleted(booking=b))
# The guest paid the first payment (payments' event): the stay is confirmed.
CONFIRM = Transition("confirmed", lambda b: BookingConfirmed(booking=b))


# How long before a confirmed stay's check-in moment its guest and host are told it is near.
CHECK_IN_NOTICE = timedelta(hours=24)


def after_payment(status: str, outcome: str) -> Transition | None:
    """What a payment's outcome does to a booking: paid confirms an accepted stay, unpaid by
    the deadline expires it; anything else (already cancelled, a late event) changes nothing."""
    if status != "accepted":
        return None
    return CONFIRM if outcome == "succeeded" else EXPIRE if outcome == "expired" else None


def listing_event(before: ListingStatus | None, after: ListingData, changed: bool) -> Event | None:
    """The event a listing's change causes (``before`` is None for a new listing):
    published when it becomes active (created active, or a draft published), archived,
    updated while public (including back to draft), or none (a draft nobody has seen)."""
    if after.status == "active" and before != "active":
        return ListingPublished(listing=after)
    if after.status == "archived" and before != "archived":
        return ListingArchived(listing=after)
    if before == "active" and changed:
        return ListingUpdated(listing=after)
    return None


@dataclass(frozen=True)
class ListingTerms:
    """What the booking rules need of a listing."""

    host_id: uuid.UUID
    status: str
    available_from: date
    available_to: date
    min_stay_nights: int


@dataclass(frozen=True)
class ShiftView:
    """A booking's pending or declined change of dates, if any."""

    check_in: date | None
    check_out: date | None
    status: str | None  # requested / declined / None


class Guest(NamedTuple):
    """A viewer's standing as a listing's guest."""

    # A stay asked for (unexpired), accepted, paid or completed: sees the listing when it is
    # paused (a draft). A host who pauses a room to take no new requests keeps it before the
    # guests who asked for it, or who are asked to pay for it (before, only a paid stay did).
    stayed: bool = False
    # A confirmed stay, or a completed one at the address the room still has. A past guest
    # keeps the address they stayed at on their booking, not the room's later ones.
    knows_address: bool = False


def exact_view(status: str | None, *, is_host: bool, guest: Guest) -> bool:
    """Whether a viewer sees the listing's exact address; not_found when the listing is
    hidden from them.

    Archiving is the listing's DELETE: gone for everyone, its host included (who still
    finds it under /me/listings), so nothing reads as there after a delete succeeded.
    """
    if status in (None, "archived") or (status != "active" and not (is_host or guest.stayed)):
        raise AppError("not_found", "listing not found")
    return is_host or guest.knows_address


def moved_fields(changes: dict[str, Any], zip_given: bool, before: Mapping[str, Any]) -> list[str]:
    """The fields of a listing's update that move the room: a new address or point, or a ZIP
    code without coordinates (coordinates given win over it). The web client sends the whole
    form, so a field sent unchanged moves nothing."""
    moved: list[str] = [
        name for name in ("address", "latitude", "longitude") if name in changes and changes[name] != before[name]
    ]
    if zip_given and "latitude" not in changes and "longitude" not in changes:
        moved.append("zip_code")
    return moved


FIXED_WHILE_OPEN = "Cannot change while a stay is asked for, accepted or paid: list a room elsewhere as a new one."


def check_move(moving: list[str], has_open_stays: bool) -> None:
    """Refuse to move a room while a stay is open: a guest never asks for, or pays for, one
    address and finds another. A room somewhere else is a new listing, with reviews of its own."""
    if moving and has_open_stays:
        raise AppError(
            "conflict",
            "this room has stays asked for, accepted or paid: its address and position cannot change until they end",
            [{"field": name, "message": FIXED_WHILE_OPEN} for name in moving],
        )


def check_bookable(available_from: date, available_to: date, min_stay_nights: int, today: date) -> None:
    """A room's window, as the host sets it, must hold at least one stay of its minimum
    from today at the room: a window already over, or shorter than the minimum stay, was
    saved and published, a room nobody could ever book shown in search."""
    if available_to <= today:
        message = "Must be after today: no stay could fit in these dates."
        raise AppError("validation", "the room's dates are over", [{"field": "available_to", "message": message}])
    nights = (available_to - max(available_from, today)).days
    if nights < min_stay_nights:
        # "available 4 nights from now" read as a start date, of a window starting next year.
        lead = "Its dates leave" if available_from > today else "From today, its dates leave"
        message = (
            f"{lead} {nights} night{'' if nights == 1 else 's'} to book:"
            " make the minimum stay at most that, or the dates longer."
        )
        raise AppError(
            "validation",
            f"the minimum stay ({min_stay_nights} nights) is longer than the room is available",
            [{"field": "min_stay_nights", "message": message}],
        )


class HeldStay(NamedTuple):
    """A stay of the listing as the window rule sees it."""

    status: str
    check_in: date
    check_out: date


def holds_stays(stays: list[HeldStay], today: date) -> bool:
    """Whether the room has an accepted or paid stay not yet over."""
    return any(s.status in ("accepted", "confirmed") and s.check_out > today for s in stays)


def check_window(stays: list[HeldStay], available_from: date, available_to: date, today: date) -> None:
    """A room's availability always covers its accepted and paid stays not yet over, as its
    address does not move under them (``check_move``): a window shrunk under a stay told
    everyone, its guest included, that the room was not there for those nights, and left
    the guest unable to move the stay by a single day. Booked nights are never offered to
    anyone else anyway (search and quotes leave them out), so nothing is gained by cutting
    them from the window. A new minimum stay, by contrast, applies to requests not yet
    accepted only (``stay_minimum``)."""
    held = [s for s in stays if s.status in ("accepted", "confirmed") and s.check_out > today]
    early = [s for s in held if s.check_in < available_from]
    late = [s for s in held if s.check_out > available_to]
    if not early and not late:
        return
    first = min(early, key=lambda s: s.check_in, default=None)
    last = max(late, key=lambda s: s.check_out, default=None)
    named = first or last
    assert named is not None
    # In the words the host reads: "confirmed" is a paid stay.
    kind = {"accepted": "an accepted", "confirmed": "a paid"}
    errors = []
    if first is not None:
        errors.append(
            {
                "field": "available_from",
                "message": f"{kind[first.status].capitalize()} stay begins {written(first.check_in)}:"
                " the room must be available from then or earlier.",
            }
        )
    if last is not None:
        errors.append(
            {
                "field": "available_to",
                "message": f"{kind[last.status].capitalize()} stay ends {written(last.check_out)}:"
                " the room must be available until then or later.",
            }
        )
    raise AppError(
        "conflict",
        f"the room's dates must cover its accepted and paid stays: {kind[named.status]} stay from"
        f" {written(named.check_in)} to {written(named.check_out)} falls outside them",
        errors,
    )


def stay_minimum(booking: BookingView, listing: ListingTerms) -> int:
    """The minimum stay a shift of this stay must keep: the one it was accepted under, or
    the listing's today when that is lower (a host who raises the minimum changes new
    requests only; one who lowers it lets stays already agreed shrink too)."""
    if booking.min_stay_nights is None:
        return listing.min_stay_nights
    return min(booking.min_stay_nights, listing.min_stay_nights)


# A paused (draft) room, to a guest who sees it (they have a stay there): its page stays
# theirs, and a request for more nights is refused with why, not "listing not found".
NOT_TAKING_REQUESTS = "the host is not taking requests for this room now"


def check_request(
    listing: ListingTerms,
    guest_id: uuid.UUID,
    check_in: date,
    check_out: date,
    today: date,
    guest: Guest = Guest(),
) -> None:
    """Whether this guest may ask for these dates in this listing; ``today``: the date at
    the room (``shared.stays.local_today``), so a stay may start this evening wherever the
    room is, whatever the date in UTC; ``guest``: their standing there (``exact_view``)."""
    exact_view(listing.status, is_host=listing.host_id == guest_id, guest=guest)
    if listing.host_id == guest_id:
        raise AppError("forbidden", "you cannot book your own listing")
    if listing.status != "active":
        raise AppError("conflict", NOT_TAKING_REQUESTS)
    refuse_past_check_in(check_in, today)
    reason = unavailable_reason(
        listing.available_from, listing.available_to, listing.min_stay_nights, check_in, check_out
    )
    if reason:
        raise AppError("validation", f"these dates do not fit: {reason}", [{"field": "check_in", "message": reason}])


def shift_total_cents(booking: BookingView, check_in: date, check_out: date) -> int:
    """What the stay costs at new dates: its own nightly rate (its total over its nights,
    as agreed when it was booked), not the listing's rent today. Every total is the nightly
    rate times the nights (``pricing.stay_total_cents``), so the division is exact; a total
    that ever is not rounds half up to the cent."""
    nights = (booking.check_out - booking.check_in).days
    new_nights = (check_out - check_in).days
    return (2 * booking.total_cents * new_nights + nights) // (2 * nights)


def follows_rotation(booking: BookingView, check_in: date, check_out: date) -> bool:
    """Whether moving the stay to these dates follows its rotation: the stay was booked for
    a rotation, matching said that rotation moved, and these are exactly its new dates (a
    stay for a rotation covers the rotation's dates, as matching's rotation.moved compares)."""
    return booking.rotation_id is not None and booking.rotation_moved_to == (check_in, check_out)


def check_shift_request(
    booking: BookingView,
    shift: ShiftView,
    listing: ListingTerms,
    actor: Actor,
    check_in: date,
    check_out: date,
    now: datetime,
    *,
    dates_taken: bool,
    dates_blocked: bool = False,
) -> None:
    """Whether the guest may ask to move this stay to these dates.

    One request at a time: a second one while the first waits is refused, naming it (the
    host answers the dates they were shown; the guest may withdraw the first). A stay under
    way (its check-in moment at the room has come: ``shared.stays``, the moment payments
    counts "after check-in" from) keeps its check-in: the nights stayed are not undone, and
    the guest may be in the room; only the check-out moves, to after today at the room.
    Before that moment, on the check-in day too, the whole stay may still move. Dates the
    room cannot give (outside its window, shorter than its minimum stay, or another guest's)
    are refused here rather than left for the host, who could only decline them; except the
    moved rotation's, whose decline protects the guest.

    ``dates_taken``: another accepted, paid or completed stay of the listing overlaps them;
    ``dates_blocked``: the host blocked some of them.
    """
    if party(booking, actor) != "guest":
        raise AppError("forbidden", "only the guest can ask to move a stay")
    if booking.status not in ("accepted", "confirmed"):
        raise AppError("conflict", f"the booking is {booking.status}: only an accepted stay can be moved")
    today = stays.local_today(now, booking.time_zone)
    if booking.check_out <= today:
        raise AppError("conflict", "the stay is over, it cannot be moved")
    if shift.status == "requested" and shift.check_in and shift.check_out:
        raise AppError(
            "conflict",
            f"you already asked to move this stay to {written(shift.check_in)} - {written(shift.check_out)}:"
            " wait for the host's answer, or withdraw that request first",
            {"check_in": str(shift.check_in), "check_out": str(shift.check_out), "status": "requested"},
        )
    if stays.under_way(booking.check_in, booking.time_zone, now):
        if check_in != booking.check_in:
            message = f"the stay began on {written(booking.check_in)}: its check-in stays, only the check-out can move"
            raise AppError("validation", message, [{"field": "check_in", "message": message}])
        if check_out <= today:
            raise AppError(
                "validation",
                "the new check-out must be after today",
                [{"field": "check_out", "message": "Must be after today."}],
            )
    else:
        refuse_past_check_in(check_in, today)
    if (check_in, check_out) == (booking.check_in, booking.check_out):
        raise AppError(
            "validation",
            "these are the stay's dates already",
            [{"field": "check_in", "message": "These are the stay's dates already."}],
        )
    if follows_rotation(booking, check_in, check_out):
        # The moved rotation's dates always reach the host, even when the room cannot give
        # them: declining is what lets the guest cancel without fault, and that guest needs
        # it most.
        return
    reason = unavailable_reason(
        listing.available_from, listing.available_to, stay_minimum(booking, listing), check_in, check_out
    )
    if reason:
        raise AppError("validation", f"these dates do not fit: {reason}", [{"field": "check_in", "message": reason}])
    if dates_taken:
        raise AppError("conflict", DATES_TAKEN)
    refuse_blocked_dates(dates_blocked)


@dataclass(frozen=True)
class ShiftAnswer:
    """The host's answer to a requested shift, and what it leaves on the booking."""

    status: str  # accepted (the stay moves) / declined
    check_in: date
    check_out: date
    total_cents: int  # the stay's total at the new dates (``shift_total_cents``)
    # Declined dates that were the moved rotation's: the guest may cancel without fault
    # from now on, until the stay moves (a later request for other dates takes nothing back).
    for_rotation: bool


def decide_shift(
    booking: BookingView,
    shift: ShiftView,
    actor: Actor,
    action: str,
    dates_taken: bool,
    *,
    dates_blocked: bool = False,
    terms: ListingTerms | None = None,
) -> ShiftAnswer:
    """The host's answer to a requested shift (``accepted`` moves the stay, at its own
    nightly rate), or why they may not. ``terms``: the listing as it is now; the stay
    moves only to dates its window and the stay's minimum (``stay_minimum``) allow, so a
    moved rotation's dates the room cannot give are declined, or the room's dates changed
    first."""
    if party(booking, actor) != "host":
        raise AppError("forbidden", "only the host can answer a request to move a stay")
    if (
        shift.status != "requested"
        or shift.check_in is None
        or shift.check_out is None
        or booking.status not in ("accepted", "confirmed")
    ):
        raise AppError("conflict", "no request to move this stay is waiting")
    if action == "accept" and terms is not None:
        reason = unavailable_reason(
            terms.available_from, terms.available_to, stay_minimum(booking, terms), shift.check_in, shift.check_out
        )
        if reason:
            raise AppError(
                "conflict",
                f"the room cannot give these dates ({reason}): decline them, or change the room's dates"
                " or minimum stay to accept them",
            )
    if action == "accept" and dates_taken:
        raise AppError("conflict", DATES_TAKEN)
    if action == "accept" and dates_blocked:
        raise AppError("conflict", f"{DATES_BLOCKED}: remove the block to move the stay there, or decline")
    return ShiftAnswer(
        "accepted" if action == "accept" else "declined",
        shift.check_in,
        shift.check_out,
        shift_total_cents(booking, shift.check_in, shift.check_out),
        action != "accept" and follows_rotation(booking, shift.check_in, shift.check_out),
    )


def check_shift_withdrawal(booking: BookingView, shift: ShiftView, actor: Actor) -> tuple[date, date]:
    """The guest takes back their waiting request to move the stay; the dates it asked."""
    if party(booking, actor) != "guest":
        raise AppError("forbidden", "only the guest can withdraw their request to move a stay")
    if shift.status != "requested" or shift.check_in is None or shift.check_out is None:
        raise AppError("conflict", "no request to move this stay is waiting")
    return shift.check_in, shift.check_out


def end_reason(booking: BookingView, actor: Actor, status: str) -> str | None:
    """Why a booking ended, when it says more than its status: a guest cancelling after
    the host declined to move the stay to its moved rotation's dates does so without fault
    (rotation protection), and so does one whose host Wardmate suspended. A declined request
    for any other dates changes nothing: the cancellation follows the policy."""
    if status == "cancelled" and booking.rotation_shift_declined and actor.user_id == booking.guest_id:
        return "shift_declined"
    if status == "cancelled" and booking.host_suspended and actor.user_id == booking.guest_id:
        # Wardmate suspended the host: the guest leaves the stay without fault.
        return "host_suspended"
    if status == "cancelled" and booking.status == "requested":
        # Before any answer: a withdrawal (its cards said "You cancelled this stay").
        return "withdrawn"
    return None


# A guest may review a host who cancelled their accepted or paid stay this long after the
# cancellation: long enough to find another room first, short enough that the review is
# about a cancellation people still remember. A completed stay's reviews have no limit.
HOST_CANCELLATION_REVIEW_DAYS = 30


class Reviewing(NamedTuple):
    """Who a review is by and of: the author's side, the reviewed user, and whether the
    stay is one its host cancelled (the review says so)."""

    author_role: Side
    subject_id: uuid.UUID
    stay_cancelled_by_host: bool = False


def review_sides(booking: BookingView, who: Side, now: datetime) -> Reviewing:
    """What a review of this stay by ``who`` would be, or why there is none.

    Each side reviews a completed stay. A stay the host cancelled after accepting it
    (accepted or paid) is reviewed by the guest alone, within
    ``HOST_CANCELLATION_REVIEW_DAYS`` of the cancellation: a host who cancels on a student
    shortly before a rotation, the very failure students fear, otherwise left no trace. The
    host may not review the guest whose stay they cancelled; a stay the guest cancelled, or
    one cancelled before who cancelled was recorded, has no reviews.
    """
    other = booking.host_id if who == "guest" else booking.guest_id
    if booking.party_erased:
        raise AppError("conflict", "this user deleted their account: there is no profile left to review")
    if booking.status == "completed":
        return Reviewing(who, other)
    accepted = booking.min_stay_nights is not None
    if booking.status == "cancelled" and booking.cancelled_by == "host" and accepted:
        if who == "host":
            raise AppError("conflict", "you cancelled this stay: only your guest may review it")
        window = timedelta(days=HOST_CANCELLATION_REVIEW_DAYS)
        if booking.decided_at is None or now >= booking.decided_at + window:
            raise AppError(
                "conflict",
                f"a stay the host cancelled may be reviewed for {HOST_CANCELLATION_REVIEW_DAYS} days after the"
                " cancellation, and that time is over",
            )
        return Reviewing(who, other, stay_cancelled_by_host=True)
    if booking.status == "cancelled":
        raise AppError(
            "conflict", "a cancelled stay is reviewed only by its guest, when the host cancelled it after accepting it"
        )
    raise AppError("conflict", "reviews open once the stay is completed")


def review_roles(booking: BookingView, actor: Actor, now: datetime) -> Reviewing:
    """The review ``actor`` may write of this stay (``review_sides``); 404 for a stranger."""
    return review_sides(booking, party(booking, actor), now)


def may_review(booking: BookingView, who: Side, now: datetime) -> bool:
    """Whether ``who`` may review this stay now (what their booking offers; they may have
    already, which the booking says apart)."""
    try:
        review_sides(booking, who, now)
    except AppError:
        return False
    return True


def check_photo_order(current: list[uuid.UUID], requested: list[uuid.UUID]) -> None:
    """A new order names every photo of the listing exactly once."""
    if len(set(requested)) != len(requested) or set(requested) != set(current):
        raise AppError(
            "validation",
            "name every photo of the listing once, in the new order",
            [{"field": "photo_ids", "message": _every_photo(len(current))}],
        )


def _every_photo(count: int) -> str:
    # It read "expected these 1 photos, each once".
    return "expected its one photo" if count == 1 else f"expected each of its {count} photos, once"


def repeated_photo(existing: Row, alt_text: str, caption: str) -> None:
    """The same image uploaded again to the same listing (a retry after a timeout, a
    double click, a second tab) is the photo it already has: no second place in the
    gallery. With other texts the repeat would lose them, so a 409 names the photo whose
    texts to change instead."""
    if existing["alt_text"] != alt_text or existing["caption"] != caption:
        raise AppError(
            "conflict",
            f"this photo is already on the listing (photo {existing['id']}) with another alt text or caption:"
            " change its texts there",
            {"id": str(existing["id"])},
        )


# The smallest photo a room takes, either way round: the gallery's smallest variant is 320
# wide, and a thumbnail or an icon (a 24 x 16 image was taken) shows a guest nothing of
# the room.
PHOTO_MIN_SIDES = (320, 240)


def check_photo_size(width: int, height: int) -> None:
    """Refuse a photo too small to show a room (``PHOTO_MIN_SIDES``, portrait or landscape)."""
    long_side, short_side = PHOTO_MIN_SIDES
    if max(width, height) < long_side or min(width, height) < short_side:
        message = (
            f"the photo is {width} × {height} pixels: a room's photo needs at least"
            f" {long_side} × {short_side} (or {short_side} × {long_side})"
        )
        raise AppError("validation", message, [{"field": "file", "message": message}])


def check_photo_room(count: int, limit: int, replacing: bool) -> None:
    """A listing holds at most ``limit`` photos (a replacement takes no new place)."""
    if not replacing and count >= limit:
        raise AppError(
            "conflict",
            f"a listing has at most {limit} photos: delete or replace one first",
            [{"field": "file", "message": f"at most {limit} photos"}],
        )
