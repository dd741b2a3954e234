"""The listings service: hospitals and places, listings and search, bookings, reviews; wired here."""

from __future__ import annotations

from services.listings import consumers, jobs
from services.listings.handlers import (
    blocked_dates,
    bookings,
    calendar,
    directory,
    listings,
    photos,
    privacy,
    reviews,
    snapshots,
)
from shared.media import open_media
from shared.service import ServiceApp

# Postgres estimates that a cube box holds a fixed 0.1% of the rows, so for a dense city it
# reads every listing in the box and sorts them (20-40 ms at 100k listings) instead of
# walking the GiST index nearest-first and stopping at the page size (under 1 ms, dense or
# empty). Making a full sort look prohibitive tips it to the index walk; the listings
# service's other queries sort nothing an index does not already order, or have no other
# plan. bench/search.py and tests/integration print and check the plan.
PG_SETTINGS = {"enable_sort": "off"}

app = ServiceApp(
    "listings",
    migrations="services.listings.migrations",
    pg_settings=PG_SETTINGS,
    include=(
        listings.registry,
        bookings.registry,
        blocked_dates.registry,
        reviews.registry,
        calendar.registry,
        privacy.registry,
        directory.registry,
        photos.registry,
        snapshots.registry,
        consumers.registry,
        jobs.registry,
    ),
)
app.resource(open_media)
