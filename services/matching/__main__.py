"""Run the matching service: ``python -m services.matching``.

For now it keeps its projections of listings, bookings and profiles up to date from
events (``consumers.py``); its endpoints (rotations, matches, mentorships) come in their
own issue.
"""

from services.matching import consumers  # noqa: F401  (registers the event consumers)
from services.matching.app import app
from shared.service import main

if __name__ == "__main__":
    main(app)
