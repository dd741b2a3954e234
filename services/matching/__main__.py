"""Run the matching service: ``python -m services.matching``.

Rotations, room and mentor matches, mentorships (``handlers/``), over projections of
listings, bookings and profiles kept up to date from events (``consumers.py``).
``python -m services.matching rebuild`` replays the stream into fresh projections
(``rebuild.py``) while the service keeps answering.
"""

from services.matching import rebuild
from services.matching.app import app
from shared.cli import main

if __name__ == "__main__":
    main(app, commands={"rebuild": rebuild.run_cli})
