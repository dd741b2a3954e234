"""NATS endpoints of listings, by what they serve; importing this package registers them."""

from services.listings.handlers import bookings, listings, reviews

__all__ = ["bookings", "listings", "reviews"]
