"""NATS endpoints of listings, by what they serve; importing this package registers them."""

from services.listings.handlers import bookings, directory, listings, reviews

__all__ = ["bookings", "directory", "listings", "reviews"]
