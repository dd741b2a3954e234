"""A stay's check-in moment and "today" at the room (shared.stays), and a room's time zone
from its position (shared.places.zone_at)."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from shared import geo, hospitals, places, stays, timezones

HONOLULU, LOS_ANGELES, BALTIMORE = "Pacific/Honolulu", "America/Los_Angeles", "America/New_York"


@pytest.mark.parametrize(
    ("day", "zone", "utc"),
    [
        # Winter: 15:00 HST / PST / EST.
        (date(2026, 12, 25), HONOLULU, datetime(2026, 12, 26, 1, tzinfo=UTC)),
        (date(2026, 12, 25), LOS_ANGELES, datetime(2026, 12, 25, 23, tzinfo=UTC)),
        (date(2026, 12, 25), BALTIMORE, datetime(2026, 12, 25, 20, tzinfo=UTC)),
        # 2027-03-14, clocks go forward at 02:00 on the mainland (Hawaii keeps its time).
        (date(2027, 3, 13), BALTIMORE, datetime(2027, 3, 13, 20, tzinfo=UTC)),
        (date(2027, 3, 14), BALTIMORE, datetime(2027, 3, 14, 19, tzinfo=UTC)),
        (date(2027, 3, 14), LOS_ANGELES, datetime(2027, 3, 14, 22, tzinfo=UTC)),
        (date(2027, 3, 14), HONOLULU, datetime(2027, 3, 15, 1, tzinfo=UTC)),
        # 2027-11-07, clocks go back at 02:00.
        (date(2027, 11, 6), BALTIMORE, datetime(2027, 11, 6, 19, tzinfo=UTC)),
        (date(2027, 11, 7), BALTIMORE, datetime(2027, 11, 7, 20, tzinfo=UTC)),
        (date(2027, 11, 7), LOS_ANGELES, datetime(2027, 11, 7, 23, tzinfo=UTC)),
    ],
)
def test_a_stay_starts_at_15_00_at_the_room(day: date, zone: str, utc: datetime) -> None:
    moment = stays.check_in_moment(day, zone)
    assert moment == utc and moment.tzinfo is UTC
    assert stays.local_today(moment, zone) == day


def test_a_stay_ends_by_11_00_at_the_room_and_reads_on_its_clock() -> None:
    """What the booking and the quote show: check-in at 15:00 and check-out by 11:00 on the
    room's clock, with the zone's abbreviation then (a stay may cross into daylight time)."""
    check_in = stays.on_room_clock(stays.check_in_moment(date(2027, 1, 14), LOS_ANGELES), LOS_ANGELES)
    check_out = stays.on_room_clock(stays.check_out_moment(date(2027, 3, 20), LOS_ANGELES), LOS_ANGELES)
    assert (check_in.isoformat(), check_in.tzname()) == ("2027-01-14T15:00:00-08:00", "PST")
    assert (check_out.isoformat(), check_out.tzname()) == ("2027-03-20T11:00:00-07:00", "PDT")
    assert stays.check_out_moment(date(2027, 1, 14), HONOLULU) == datetime(2027, 1, 14, 21, tzinfo=UTC)
    assert stays.on_room_clock(stays.check_in_moment(date(2027, 1, 14), HONOLULU), HONOLULU).tzname() == "HST"


def test_24_hours_after_check_in_are_24_real_hours_across_a_dst_change() -> None:
    """Check-in the day before the change: 24 hours later the wall clock reads 16:00
    (spring) or 14:00 (autumn), not 15:00 again."""
    spring = stays.check_in_moment(date(2027, 3, 13), BALTIMORE) + timedelta(hours=24)
    assert spring.astimezone(timezones.zone(BALTIMORE)).strftime("%Y-%m-%d %H:%M %Z") == "2027-03-14 16:00 EDT"
    autumn = stays.check_in_moment(date(2027, 11, 6), BALTIMORE) + timedelta(hours=24)
    assert autumn.astimezone(timezones.zone(BALTIMORE)).strftime("%Y-%m-%d %H:%M %Z") == "2027-11-07 14:00 EST"


def test_today_is_the_rooms_date() -> None:
    """At 03:00 UTC on 2026-12-26 it is still the 25th in the US: a stay may start 'today'
    (the 25th) in Baltimore (22:00), Los Angeles (19:00) and Honolulu (17:00)."""
    at = datetime(2026, 12, 26, 3, tzinfo=UTC)
    assert {zone: stays.local_today(at, zone) for zone in (HONOLULU, LOS_ANGELES, BALTIMORE)} == dict.fromkeys(
        (HONOLULU, LOS_ANGELES, BALTIMORE), date(2026, 12, 25)
    )
    # After midnight in Baltimore (05:00 UTC), the 26th there; still the 25th in the west.
    later = datetime(2026, 12, 26, 5, tzinfo=UTC)
    assert stays.local_today(later, BALTIMORE) == date(2026, 12, 26)
    assert stays.local_today(later, LOS_ANGELES) == date(2026, 12, 25)


def test_a_stay_is_under_way_from_its_check_in_moment() -> None:
    day = date(2027, 3, 14)
    moment = stays.check_in_moment(day, LOS_ANGELES)
    assert not stays.under_way(day, LOS_ANGELES, moment - timedelta(seconds=1))
    assert stays.under_way(day, LOS_ANGELES, moment)
    # Midnight UTC on the check-in day (the old rule's start) is the afternoon before there.
    assert not stays.under_way(day, LOS_ANGELES, datetime(2027, 3, 14, tzinfo=UTC))


@pytest.mark.parametrize(
    ("point", "zone"),
    [
        ((21.3069, -157.8583), HONOLULU),  # near Queen's Medical Center
        ((34.0660, -118.4460), LOS_ANGELES),  # Westwood, near UCLA
        ((39.2990, -76.5950), BALTIMORE),  # East Baltimore, near Johns Hopkins
        ((31.7700, -106.5000), "America/Denver"),  # El Paso: Texas, but Mountain time
        ((30.4400, -87.2100), "America/Chicago"),  # Pensacola: Florida, but Central time
        ((33.4500, -112.0700), "America/Phoenix"),  # no DST
        ((42.3300, -83.0500), "America/Detroit"),
    ],
)
def test_a_rooms_zone_is_its_nearest_zip_codes(point: tuple[float, float], zone: str) -> None:
    assert places.zone_at(*point) == zone


def test_the_zone_of_a_point_is_its_nearest_zip_centres_also_by_the_shortcut() -> None:
    """``zone_at`` answers at once where the cells around a point hold one zone; that is
    the nearest ZIP centre's zone there too (checked by brute force near 2,000 hospitals,
    borders included: El Paso, the Florida panhandle, Indiana, the Dakotas)."""
    rng = random.Random(5)
    grid = places._zone_grid()
    points = [
        (h.latitude + rng.uniform(-0.3, 0.3), h.longitude + rng.uniform(-0.3, 0.3))
        for h in rng.sample(list(hospitals.directory()), 2000)
    ]
    for latitude, longitude in points:
        row, col = math.floor(latitude), math.floor(longitude)
        near = [z for dr in (-1, 0, 1) for dc in (-1, 0, 1) for z in grid.get((row + dr, col + dc), ())]
        assert near, (latitude, longitude)
        nearest = min(near, key=lambda z: geo.haversine_km(latitude, longitude, z[0], z[1]))[2]
        assert places.zone_at(latitude, longitude) == nearest, (latitude, longitude)
