"""The matching service: rotations, room and mentor matches, mentorships and cohort match
rounds over projections of listings, bookings and profiles (``consumers.py``). Wired here."""

from __future__ import annotations

from services.matching import consumers, jobs
from services.matching.handlers import (
    calendar,
    hospitals,
    letters,
    matches,
    meetings,
    mentorships,
    plans,
    privacy,
    reference,
    rotations,
    rounds,
)
from shared.service import ServiceApp

app = ServiceApp(
    "matching",
    migrations="services.matching.migrations",
    include=(
        rotations.registry,
        matches.registry,
        mentorships.registry,
        rounds.registry,
        plans.registry,
        meetings.registry,
        letters.registry,
        reference.registry,
        hospitals.registry,
        calendar.registry,
        privacy.registry,
        consumers.registry,
        jobs.registry,
    ),
)
