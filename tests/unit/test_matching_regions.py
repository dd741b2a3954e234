"""The regions a room ranking's key reads hold every point within its reach, anywhere on
Earth (the antimeridian and the poles too): a listing there moves one of them."""

from __future__ import annotations

import math

from hypothesis import example, given, settings
from hypothesis import strategies as st

from services.matching.store.regions import EVERYWHERE, cell, cells_within
from shared import hospitals
from shared.geo import EARTH_RADIUS_KM, haversine_km


def destination(lat: float, lon: float, km: float, bearing: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) along ``bearing`` (radians) on the sphere."""
    d, phi, lmb = km / EARTH_RADIUS_KM, math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi) * math.cos(d) + math.cos(phi) * math.sin(d) * math.cos(bearing))
    lmb2 = lmb + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(phi), math.cos(d) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), (math.degrees(lmb2) + 180) % 360 - 180


@settings(max_examples=500, deadline=None)
@given(
    st.floats(-90, 90),
    st.floats(-180, 180, exclude_max=True),
    st.floats(0, 50),
    st.floats(0, 2 * math.pi),
)
@example(51.0, 179.9, 50.0, math.pi / 2)  # across the antimeridian, eastwards
@example(-20.0, -179.95, 50.0, 3 * math.pi / 2)  # and westwards
@example(89.8, 10.0, 50.0, 0.0)  # over the pole
@example(65.0, 0.0, 50.0, math.pi / 2)  # far north: a degree of longitude is short
def test_every_point_within_reach_is_in_a_region_read(lat: float, lon: float, km: float, bearing: float) -> None:
    there = destination(lat, lon, km, bearing)
    assert haversine_km(lat, lon, *there) <= 50 + 1e-6
    assert cell(*there) in cells_within(lat, lon, 50, EARTH_RADIUS_KM)


def test_a_city_reads_a_few_regions_and_not_another_citys() -> None:
    baltimore = hospitals.lookup("the-johns-hopkins-hospital-baltimore-md")
    boston = hospitals.lookup("massachusetts-general-hospital-boston-ma")
    near = cells_within(baltimore.latitude, baltimore.longitude, 50, EARTH_RADIUS_KM)
    assert EVERYWHERE in near and len(near) <= 13
    assert cell(boston.latitude, boston.longitude) not in near
    assert cell(baltimore.latitude, baltimore.longitude) in near
