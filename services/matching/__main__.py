"""Run the matching service: ``python -m services.matching``.

Rotations, room and mentor matches, mentorships (``handlers/``), over projections of
listings, bookings and profiles kept up to date from events (``consumers.py``).
"""

from services.matching import consumers, handlers  # noqa: F401  (register consumers and endpoints)
from services.matching.app import app
from shared.service import main

if __name__ == "__main__":
    main(app)
