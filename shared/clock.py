"""The time as the rules see it: the wall clock plus ``Settings.clock_offset_s``.

Reminders, expiry and stalled-pair rules read ``now(settings)`` instead of the wall clock
so a test can move time forward through a setting instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.settings import Settings


def now(settings: Settings) -> datetime:
    """The current time in UTC, moved by the settings' clock offset."""
    return datetime.now(UTC) + timedelta(seconds=settings.clock_offset_s)


def moved(settings: Settings, at: datetime) -> datetime:
    """A wall-clock instant another service recorded (an acceptance, an event's time), on
    this clock: moved by the same offset, so the rules compare like with like."""
    return at + timedelta(seconds=settings.clock_offset_s)
