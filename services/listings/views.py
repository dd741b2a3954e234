"""What each viewer sees of a stored listing or booking: the host and a confirmed (paid) guest
the exact address, everyone else the public (approximate) position; event consumers a
snapshot with the public position (the exact one never leaves listings) and the
aggregate's version."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from services.listings import domain
from shared import places, pricing, stays
from shared.contracts.listings import (
    BlockedDates,
    Booking,
    BookingData,
    Listing,
    ListingData,
    NightRange,
    Rating,
    StayMoment,
)
from shared.contracts.photos import Photo
from shared.errors import AppError
from shared.storage import media_url

LISTING_NOT_FOUND = AppError("not_found", "listing not found")
BOOKING_NOT_FOUND = AppError("not_found", "booking not found")


def average(total: int, count: int) -> float | None:
    """An average rating to two decimals, None without reviews."""
    return round(total / count, 2) if count else None


def review_average(row: asyncpg.Record) -> float | None:
    return average(row["review_sum"], row["review_count"])


def rating(total: int, count: int) -> Rating:
    """A user's ``Rating`` on one side from the sum and count of its reviews."""
    return Rating(average=average(total, count), count=count)


def seen_point(row: asyncpg.Record, exact: bool) -> tuple[float, float]:
    """Where this viewer sees the room: its exact point, or its public one."""
    if exact:
        return row["latitude"], row["longitude"]
    return row["public_latitude"], row["public_longitude"]


def summary_fields(
    row: asyncpg.Record, *, exact: bool, distance_km: float | None = None, stay_total: float | None = None
) -> dict[str, Any]:
    """The ``ListingSummary`` contract's fields as a viewer sees them: the exact address
    only for the host or a confirmed guest, an approximate location for everyone else.
    (Built for each of a search page's 20 rows: keyword arguments, not a dict merged in.)"""
    latitude, longitude = seen_point(row, exact)
    location = {
        "latitude": latitude,
        "longitude": longitude,
        "approximate": not exact,
        "address": row["address"] if exact else None,
    }
    return {
        "id": row["id"],
        "host": {"id": row["host_id"], "display_name": row["host_name"], "verified": row["host_verified"]},
        "title": row["title"],
        "room_type": row["room_type"],
        "location": location,
        "monthly_rent": row["monthly_rent"],
        "nightly_rate": pricing.nightly_cents(row["monthly_rent"]) / 100,
        "amenities": row["amenities"],
        "available_from": row["available_from"],
        "available_to": row["available_to"],
        "min_stay_nights": row["min_stay_nights"],
        "review_average": review_average(row),
        "review_count": row["review_count"],
        "created_at": row["created_at"],
        "distance_km": distance_km,
        "stay_total": stay_total,
        "photo_count": row["photo_count"],
        "cover": row["cover"],
    }


def to_listing(row: asyncpg.Record, *, exact: bool, photos: list[asyncpg.Record] | None = None) -> Listing:
    """The full ``Listing``: the summary plus its texts and state (and its photos, when read)."""
    return Listing.model_validate(
        {
            **summary_fields(row, exact=exact),
            "description": row["description"],
            "house_rules": row["house_rules"],
            "cancellation_policy": row["cancellation_policy"],
            "status": row["status"],
            "updated_at": row["updated_at"],
            "photos": [to_photo(p) for p in photos or []],
            # From the point this viewer sees, never the address: the city without the door.
            "area": places.area_of(*seen_point(row, exact)),
            "time_zone": listing_zone(row),
            "check_in_time": stays.CHECK_IN_TIME.strftime("%H:%M"),
            "check_out_time": stays.CHECK_OUT_TIME.strftime("%H:%M"),
        }
    )


def cover_of(row: asyncpg.Record) -> dict[str, Any]:
    """What the listing row keeps of its first photo for result cards (``PhotoCover``)."""
    small = row["variants"]["320"]
    return {
        "url": media_url(small["key"]),
        "alt_text": row["alt_text"],
        "color": row["color"],
        "width": small["width"],
        "height": small["height"],
    }


def to_photo(row: asyncpg.Record) -> Photo:
    """A stored photo with the URLs of its variants (served under /media/)."""
    return Photo(
        id=row["id"],
        position=row["position"],
        alt_text=row["alt_text"],
        caption=row["caption"],
        color=row["color"],
        width=row["width"],
        height=row["height"],
        urls={width: media_url(v["key"]) for width, v in row["variants"].items()},
        created_at=row["created_at"],
    )


def photo_record(row: asyncpg.Record) -> dict[str, Any]:
    """A photo as its host's export lists it: its listing, place in the order, texts, size,
    upload date and the URLs of its files, as ``GET /listings/{id}`` gives them (no bytes)."""
    return {"listing_id": row["listing_id"], **to_photo(row).model_dump()}


def listing_data(row: asyncpg.Record) -> ListingData:
    """The listing as its events carry it: at its public position."""
    return ListingData(
        listing_id=row["id"],
        version=row["version"],
        host_id=row["host_id"],
        title=row["title"],
        room_type=row["room_type"],
        latitude=row["public_latitude"],
        longitude=row["public_longitude"],
        monthly_rent=row["monthly_rent"],
        amenities=row["amenities"],
        available_from=row["available_from"],
        available_to=row["available_to"],
        min_stay_nights=row["min_stay_nights"],
        status=row["status"],
        review_average=review_average(row),
        review_count=row["review_count"],
        photo_count=row["photo_count"],
        cover=row["cover"],
        # The ones not yet over (a day of slack for the rooms west of UTC; see LISTING_COLUMNS).
        blocked=[NightRange(start=r.lower, end=r.upper) for r in row["blocked"]],
    )


def exact_for(row: asyncpg.Record | None, viewer_id: uuid.UUID | None, guest: domain.Guest) -> bool:
    """Whether the viewer sees this listing's exact address (``domain.exact_view``)."""
    is_host = row is not None and viewer_id == row["host_id"]
    return domain.exact_view(row["status"] if row else None, is_host=is_host, guest=guest)


def listing_zone(row: asyncpg.Record) -> str:
    """A stored listing's time zone: the one stored when it was placed, else (a row from
    before migration 0014 not yet zoned by ``jobs.zone_listings``) its position's."""
    return str(row["time_zone"] or places.zone_at(row["latitude"], row["longitude"]))


def booking_zone(row: asyncpg.Record) -> str:
    """The time zone of a stored booking's room (``listing_zone``, from a booking row)."""
    return str(row["time_zone"] or places.zone_at(row["room_latitude"], row["room_longitude"]))


def stay_moments(check_in: date, check_out: date, zone: str) -> dict[str, Any]:
    """A stay's zone, check-in moment and check-out time on the room's clock, as a booking
    and a quote give them (``shared.stays``: the moments payments and the rules count by)."""

    def at_room(moment: datetime) -> StayMoment:
        local = stays.on_room_clock(moment, zone)
        return StayMoment(at=local, zone_abbreviation=local.tzname() or zone)

    return {
        "time_zone": zone,
        "check_in_at": at_room(stays.check_in_moment(check_in, zone)),
        "check_out_by": at_room(stays.check_out_moment(check_out, zone)),
    }


def listing_terms(row: asyncpg.Record) -> domain.ListingTerms:
    """What the booking rules need of a stored listing."""
    return domain.ListingTerms(
        row["host_id"], row["status"], row["available_from"], row["available_to"], row["min_stay_nights"]
    )


def to_booking(row: asyncpg.Record, viewer: uuid.UUID, now: datetime) -> Booking:
    """A booking as one of its parties sees it: the address once the stay is paid
    (confirmed); whether they may review it at ``now``."""
    role: domain.Side = "host" if viewer == row["host_id"] else "guest"
    show_address = role == "host" or row["status"] in ("confirmed", "completed")
    hidden = (
        "address",
        "total_cents",
        "version",
        "shift_check_in",
        "shift_check_out",
        "shift_status",
        "rotation_shift_declined",
        "rotation_moved_to",
        "accepted_min_stay",
        "guest_reviewed",
        "host_reviewed",
        "room_latitude",  # the exact point: the room's zone is found from it, never shown
        "room_longitude",
        "time_zone",  # the stored one, which may be missing (``booking_zone``)
    )
    data = {k: row[k] for k in row.keys() if k not in hidden}
    if role == "host":
        data["rotation_id"] = None  # the guest's own record, in matching
    shift = None
    if row["shift_status"] is not None:
        view = booking_view(row)
        check_in, check_out = row["shift_check_in"], row["shift_check_out"]
        # Both sides see what the moved stay would cost before the host answers, and
        # whether these are the rotation's new dates (declining those frees the guest).
        shift = {
            "check_in": check_in,
            "check_out": check_out,
            "status": row["shift_status"],
            "nights": (check_out - check_in).days,
            "total": domain.shift_total_cents(view, check_in, check_out) / 100,
            "for_rotation": domain.follows_rotation(view, check_in, check_out),
        }
    reviewed = row[f"{role}_reviewed"]
    return Booking(
        **data,
        **stay_moments(row["check_in"], row["check_out"], booking_zone(row)),
        nights=(row["check_out"] - row["check_in"]).days,
        total=row["total_cents"] / 100,
        role=role,
        address=row["address"] if show_address else None,
        shift=shift,
        reviewed_by_me=reviewed,
        can_review=not reviewed and domain.may_review(booking_view(row), role, now),
        nights_free_again=row["freed_told_at"] is not None,
        other_deleted=row["party_erased"],
    )


def booking_view(row: asyncpg.Record) -> domain.BookingView:
    """What the transition rules need of a stored booking."""
    moved = row["rotation_moved_to"]
    return domain.BookingView(
        row["guest_id"],
        row["host_id"],
        row["status"],
        row["check_in"],
        row["check_out"],
        row["expires_at"],
        total_cents=row["total_cents"],
        rotation_id=row["rotation_id"],
        rotation_moved_to=(moved.lower, moved.upper) if moved is not None else None,
        rotation_shift_declined=row["rotation_shift_declined"],
        min_stay_nights=row["accepted_min_stay"],
        time_zone=booking_zone(row),
        cancelled_by=row["cancelled_by"],
        decided_at=row["decided_at"],
        party_erased=row["party_erased"],
        host_suspended=row["host_suspended"],
    )


def shift_view(row: asyncpg.Record) -> domain.ShiftView:
    return domain.ShiftView(row["shift_check_in"], row["shift_check_out"], row["shift_status"])


def booking_data(row: asyncpg.Record) -> BookingData:
    """The booking as its events carry it."""
    return BookingData(
        booking_id=row["id"],
        version=row["version"],
        listing_id=row["listing_id"],
        listing_title=row["listing_title"],
        guest_id=row["guest_id"],
        host_id=row["host_id"],
        check_in=row["check_in"],
        check_out=row["check_out"],
        status=row["status"],
        total_cents=row["total_cents"],
        hospital_id=row["hospital_id"],
        rotation_id=row["rotation_id"],
        cancellation_policy=row["cancellation_policy"],
        end_reason=row["end_reason"],
        rotation_protected=row["rotation_shift_declined"],
        time_zone=booking_zone(row),
    )


def to_blocked(row: asyncpg.Record) -> BlockedDates:
    """A block as its host reads it (nobody else sees blocks: guests see the nights unavailable)."""
    return BlockedDates(
        id=row["id"],
        listing_id=row["listing_id"],
        start=row["start"],
        end=row["end"],
        nights=(row["end"] - row["start"]).days,
        note=row["note"],
        created_at=row["created_at"],
    )
