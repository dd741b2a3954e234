"""Dates as people read them, the same in every service's texts (notifications, mails,
errors) as in the web client's: "Jan 14, 2027"."""

from __future__ import annotations

from datetime import date, datetime


def written(day: date) -> str:
    """ "Jan 14, 2027"."""
    return f"{day:%b} {day.day}, {day.year}"


def clock(moment: datetime) -> str:
    """ "3:00 PM EDT": the wall time of an aware ``moment`` in its own zone, as the web
    client writes times."""
    return f"{moment.hour % 12 or 12}:{moment:%M %p} {moment.tzname()}"
