"""When a stay starts, and what day it is, in the room's own time zone: one rule for
listings (may a stay start today, is it under way, is it over) and payments (the hold's
release, the refund policies' deadlines).

A stay's dates are the room's local calendar days. Its check-in is its first day at
``CHECK_IN_TIME`` in the room's zone: the hold is released 24 hours after that, and
"7 days before check-in" counts back from it. Before, it was the first day at midnight
UTC, which is the afternoon or evening before in the US (19:00 in Baltimore, 16:00 in Los
Angeles, 14:00 in Honolulu): the host was paid on the check-in day itself, before the
guest could have seen the room, and a student could not book a stay starting that
evening because the UTC date had already turned.

Pure functions: the clock (``now``, an aware time) and the zone are arguments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from shared.timezones import zone

# A room is the guest's from this hour of the first day, in the room's time zone (a common
# hotel and short-let check-in time; no DST change happens at 15:00 anywhere in the US,
# so the moment always exists and is unique).
CHECK_IN_TIME = time(15, 0)
# The guest leaves by this hour of the check-out day, in the room's time zone: what both
# sides are told (the booking, the quote and the listing give it). No rule counts from it:
# a stay is over from its check-out day at the room (``local_today``), as before.
CHECK_OUT_TIME = time(11, 0)


def check_in_moment(day: date, zone_name: str) -> datetime:
    """The moment a stay whose first night is ``day`` starts: ``CHECK_IN_TIME`` that day
    in the room's zone, in UTC (so ``+ timedelta(hours=24)`` is 24 real hours, also
    across a DST change, where Python's arithmetic on a zoned time keeps the wall clock)."""
    return datetime.combine(day, CHECK_IN_TIME, tzinfo=zone(zone_name)).astimezone(UTC)


def check_out_moment(day: date, zone_name: str) -> datetime:
    """The moment the guest of a stay ending on ``day`` leaves by: ``CHECK_OUT_TIME`` that
    day in the room's zone, in UTC (no DST change happens at 11:00 in the US either)."""
    return datetime.combine(day, CHECK_OUT_TIME, tzinfo=zone(zone_name)).astimezone(UTC)


def on_room_clock(moment: datetime, zone_name: str) -> datetime:
    """``moment`` as the room's clock shows it: its wall time there, with the zone's UTC
    offset then and its abbreviation (``tzname()``: PST, PDT, HST)."""
    return moment.astimezone(zone(zone_name))


def local_today(now: datetime, zone_name: str) -> date:
    """The date at the room at ``now``: what "today" means for its stays (a stay may
    start today, a stay whose check-out is today is over)."""
    return now.astimezone(zone(zone_name)).date()


def under_way(check_in: date, zone_name: str, now: datetime) -> bool:
    """Whether a stay starting on ``check_in`` has begun at ``now`` (its check-in moment
    has come)."""
    return now >= check_in_moment(check_in, zone_name)
