"""Pure rules of listings and bookings."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.listings import domain
from shared.contracts.base import Actor
from shared.errors import AppError

HOST, GUEST, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def booking(
    status: str = "requested",
    expires: datetime = NOW + timedelta(hours=1),
    check_in: date = date(2026, 12, 1),
    check_out: date = date(2026, 12, 29),
) -> domain.BookingView:
    return domain.BookingView(GUEST, HOST, status, check_in, check_out, expires)


def actor(user: uuid.UUID) -> Actor:
    return Actor(user_id=user, role="student")


def test_nightly_rate_is_monthly_rent_pro_rata() -> None:
    assert domain.nightly_cents(1095) == 3600  # 1095 * 12 / 365 = 36.00
    assert domain.nightly_cents(1000) == 3288  # 32.876... rounds half up to the cent
    assert domain.stay_total_cents(1095, 28) == 100_800


def test_unavailable_reason_checks_window_and_minimum_stay() -> None:
    args = (date(2026, 12, 1), date(2027, 3, 1), 14)
    assert domain.unavailable_reason(*args, date(2026, 12, 5), date(2026, 12, 26)) is None
    assert "minimum stay is 14" in domain.unavailable_reason(*args, date(2026, 12, 5), date(2026, 12, 12))
    assert "available from" in domain.unavailable_reason(*args, date(2026, 11, 20), date(2026, 12, 26))
    assert "available from" in domain.unavailable_reason(*args, date(2027, 2, 20), date(2027, 3, 10))
    # The window's last day is a valid check-out day.
    assert domain.unavailable_reason(*args, date(2027, 2, 10), date(2027, 3, 1)) is None


def test_approximate_point_is_stable_near_and_not_exact() -> None:
    lid = uuid.uuid4()
    a = domain.approximate_point(lid, 39.2961, -76.5919)
    assert a == domain.approximate_point(lid, 39.2961, -76.5919)
    dy = (a[0] - 39.2961) * 111_320
    dx = (a[1] + 76.5919) * 111_320 * math.cos(math.radians(39.2961))
    assert 100 < math.hypot(dx, dy) < domain.APPROX_OFFSET_M + 120  # moved, but not far


def test_only_the_host_accepts_or_declines() -> None:
    assert domain.check_transition(booking(), actor(HOST), "accept", NOW) == "accepted"
    assert domain.check_transition(booking(), actor(HOST), "decline", NOW) == "declined"
    with pytest.raises(AppError) as err:
        domain.check_transition(booking(), actor(GUEST), "accept", NOW)
    assert err.value.code == "forbidden"
    with pytest.raises(AppError) as err:
        domain.check_transition(booking(), actor(OTHER), "accept", NOW)
    assert err.value.code == "not_found"


def test_expired_or_decided_requests_cannot_be_accepted() -> None:
    with pytest.raises(AppError) as err:
        domain.check_transition(booking(expires=NOW - timedelta(seconds=1)), actor(HOST), "accept", NOW)
    assert err.value.code == "conflict" and "expired" in err.value.message
    with pytest.raises(AppError) as err:
        domain.check_transition(booking("declined"), actor(HOST), "accept", NOW)
    assert err.value.code == "conflict"


def test_either_side_cancels_until_the_stay_ends() -> None:
    assert domain.check_transition(booking(), actor(GUEST), "cancel", NOW) == "cancelled"
    assert domain.check_transition(booking("accepted"), actor(HOST), "cancel", NOW) == "cancelled"
    ended = booking("accepted", check_in=date(2026, 10, 1), check_out=date(2026, 10, 20))
    with pytest.raises(AppError):
        domain.check_transition(ended, actor(GUEST), "cancel", NOW)
    with pytest.raises(AppError):
        domain.check_transition(booking("cancelled"), actor(GUEST), "cancel", NOW)


def test_review_roles_need_a_completed_stay() -> None:
    assert domain.review_roles(booking("completed"), actor(GUEST)) == ("guest", HOST)
    assert domain.review_roles(booking("completed"), actor(HOST)) == ("host", GUEST)
    with pytest.raises(AppError) as err:
        domain.review_roles(booking("accepted"), actor(GUEST))
    assert err.value.code == "conflict"


def test_chord_and_surface_distance_convert_both_ways() -> None:
    """The search's radius test on chords keeps exactly the rows within the surface radius."""
    for d in (1.0, 850.0, 25_000.0, 500_000.0):
        assert domain.great_circle_m(domain.chord_m(d)) == pytest.approx(d, rel=1e-9)
    assert domain.chord_m(25_000.0) < 25_000.0  # a chord is shorter than its arc
    # Baltimore to Boston is ~577 km over the surface on earthdistance's sphere.
    lat1, lon1, lat2, lon2 = map(math.radians, (39.2961, -76.5920, 42.3626, -71.0693))
    xyz = [(math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a)) for a, b in ((lat1, lon1), (lat2, lon2))]
    chord = domain.EARTH_RADIUS_M * math.dist(*xyz)
    assert domain.great_circle_m(chord) == pytest.approx(577_000, rel=0.01)
