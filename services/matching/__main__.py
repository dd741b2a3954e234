"""Run the matching service: ``python -m services.matching``.

Rotations, room and mentor matches, mentorships (``handlers/``), over projections of
listings, bookings and profiles kept up to date from events (``consumers.py``).
``python -m services.matching rebuild`` replays the stream into fresh projections
(``rebuild.py``) while the service keeps answering.
"""

import gc

from services.matching import rebuild
from services.matching.app import app
from shared.cli import main

if __name__ == "__main__":
    # Ranking a city's rooms builds thousands of short-lived objects per request; with the
    # default threshold (700) the collector ran dozens of times per ranking, each time
    # walking the long-lived objects too (measured: a cold ranking 150-350 ms instead of
    # ~120). Reference counting frees them; the collector only has cycles to find.
    gc.set_threshold(50_000, 20, 20)
    main(app, commands={"rebuild": rebuild.run_cli})
