"""SQL of matching's projections: each upsert applies a snapshot only when it is newer."""

from __future__ import annotations

from shared.contracts.accounts import UserData
from shared.contracts.listings import BookingData, ListingData
from shared.db import Connection


async def project_listing(conn: Connection, listing: ListingData) -> bool:
    """Hold ``listing`` unless the projection already has this version or a newer one."""
    result = await conn.execute(
        """
        INSERT INTO listings(listing_id, version, host_id, title, room_type, latitude, longitude,
            position, monthly_rent, amenities, available_from, available_to, min_stay_nights,
            status, review_average, review_count)
        VALUES ($1, $2, $3, $4, $5, $6, $7, ll_to_earth($6, $7), $8, $9, $10, $11, $12, $13, $14, $15)
        ON CONFLICT (listing_id) DO UPDATE SET version = excluded.version, host_id = excluded.host_id,
            title = excluded.title, room_type = excluded.room_type, latitude = excluded.latitude,
            longitude = excluded.longitude, position = excluded.position,
            monthly_rent = excluded.monthly_rent, amenities = excluded.amenities,
            available_from = excluded.available_from, available_to = excluded.available_to,
            min_stay_nights = excluded.min_stay_nights, status = excluded.status,
            review_average = excluded.review_average, review_count = excluded.review_count
        WHERE listings.version < excluded.version
        """,
        listing.listing_id,
        listing.version,
        listing.host_id,
        listing.title,
        listing.room_type,
        listing.latitude,
        listing.longitude,
        listing.monthly_rent,
        listing.amenities,
        listing.available_from,
        listing.available_to,
        listing.min_stay_nights,
        listing.status,
        listing.review_average,
        listing.review_count,
    )
    return result.endswith(" 1")


async def project_booking(conn: Connection, booking: BookingData) -> bool:
    result = await conn.execute(
        """
        INSERT INTO bookings(booking_id, version, listing_id, guest_id, status, stay)
        VALUES ($1, $2, $3, $4, $5, daterange($6, $7))
        ON CONFLICT (booking_id) DO UPDATE SET version = excluded.version, status = excluded.status,
            stay = excluded.stay
        WHERE bookings.version < excluded.version
        """,
        booking.booking_id,
        booking.version,
        booking.listing_id,
        booking.guest_id,
        booking.status,
        booking.check_in,
        booking.check_out,
    )
    return result.endswith(" 1")


async def project_profile(conn: Connection, user: UserData) -> bool:
    result = await conn.execute(
        "INSERT INTO profiles(user_id, version, data) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET version = excluded.version, data = excluded.data"
        " WHERE profiles.version < excluded.version",
        user.user_id,
        user.version,
        user.model_dump(mode="json", exclude={"user_id", "version"}),
    )
    return result.endswith(" 1")
