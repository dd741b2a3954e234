"""Pure rules of listings and bookings."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.listings import domain
from shared import geo, pricing
from shared.contracts.base import Actor
from shared.contracts.listings import (
    BookingAccepted,
    BookingCancelled,
    BookingCompleted,
    BookingData,
    BookingDeclined,
    BookingExpired,
    ListingArchived,
    ListingData,
    ListingPublished,
    ListingUpdated,
)
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
    assert pricing.nightly_cents(1095) == 3600  # 1095 * 12 / 365 = 36.00
    assert pricing.nightly_cents(1000) == 3288  # 32.876... rounds half up to the cent
    assert pricing.stay_total_cents(1095, 28) == 100_800


def test_unavailable_reason_checks_window_and_minimum_stay() -> None:
    args = (date(2026, 12, 1), date(2027, 3, 1), 14)
    assert domain.unavailable_reason(*args, date(2026, 12, 5), date(2026, 12, 26)) is None
    assert "minimum stay is 14" in domain.unavailable_reason(*args, date(2026, 12, 5), date(2026, 12, 12))
    assert "available from" in domain.unavailable_reason(*args, date(2026, 11, 20), date(2026, 12, 26))
    assert "available from" in domain.unavailable_reason(*args, date(2027, 2, 20), date(2027, 3, 10))
    # The window's last day is a valid check-out day.
    assert domain.unavailable_reason(*args, date(2027, 2, 10), date(2027, 3, 1)) is None


def test_public_point_is_stable_near_not_exact_and_keyed() -> None:
    lid = uuid.UUID("5b0c2f0e-8d8e-4b6a-9a53-0f6a3c3e2d11")
    a = domain.public_point("key one", lid, 39.2961, -76.5919)
    assert a == domain.public_point("key one", lid, 39.2961, -76.5919)
    dy = (a[0] - 39.2961) * 111_320
    dx = (a[1] + 76.5919) * 111_320 * math.cos(math.radians(39.2961))
    assert 100 < math.hypot(dx, dy) < domain.APPROX_OFFSET_M + 80  # moved, but not far
    # Anywhere, the room stays 200-400 m away give or take the rounding (~70 m): inside
    # the 500 m circle the web client draws, never on the door.
    rng = random.Random(5)
    for _ in range(2000):
        lat, lon = rng.uniform(-60, 70), rng.uniform(-170, 170)
        shown = domain.public_point("key", uuid.UUID(int=rng.getrandbits(128), version=4), lat, lon)
        assert 125 < geo.haversine_km(lat, lon, *shown) * 1000 < 475
    # The offset is the key's: the public id alone does not give it back. (Rounded to
    # ~100 m, twenty points over the 200-400 m ring share a few cells; a fixed id keeps
    # the count fixed.)
    others = {domain.public_point(f"key {n}", lid, 39.2961, -76.5919) for n in range(20)}
    assert len(others) >= 12


def status(view: domain.BookingView, who: uuid.UUID, action: str) -> str:
    return domain.decide(view, actor(who), action, NOW).status


def snapshot(status: str, version: int = 2) -> BookingData:
    return BookingData(
        booking_id=uuid.uuid4(),
        version=version,
        listing_id=uuid.uuid4(),
        guest_id=GUEST,
        host_id=HOST,
        check_in=date(2026, 12, 1),
        check_out=date(2026, 12, 29),
        status=status,
        total_cents=100_800,
    )


def test_only_the_host_accepts_or_declines() -> None:
    assert status(booking(), HOST, "accept") == "accepted"
    assert status(booking(), HOST, "decline") == "declined"
    with pytest.raises(AppError) as err:
        domain.decide(booking(), actor(GUEST), "accept", NOW)
    assert err.value.code == "forbidden"
    with pytest.raises(AppError) as err:
        domain.decide(booking(), actor(OTHER), "accept", NOW)
    assert err.value.code == "not_found"


def test_each_transition_causes_its_event() -> None:
    """The domain decides the event with the status: the handler only stores and adds it."""
    cases = [
        ("accept", HOST, booking(), BookingAccepted),
        ("decline", HOST, booking(), BookingDeclined),
        ("cancel", GUEST, booking("accepted"), BookingCancelled),
    ]
    for action, who, view, event_type in cases:
        transition = domain.decide(view, actor(who), action, NOW)
        stored = snapshot(transition.status)
        event = transition.event(stored)
        assert type(event) is event_type and event.booking == stored
    cancelled = domain.decide(booking("accepted"), actor(HOST), "cancel", NOW).event(snapshot("cancelled"))
    assert isinstance(cancelled, BookingCancelled) and cancelled.cancelled_by == HOST
    assert isinstance(domain.EXPIRE.event(snapshot("expired")), BookingExpired)
    assert isinstance(domain.COMPLETE.event(snapshot("completed")), BookingCompleted)


def listing(status: str) -> ListingData:
    return ListingData(
        listing_id=uuid.uuid4(),
        version=3,
        host_id=HOST,
        title="Room",
        room_type="private_room",
        latitude=39.3,
        longitude=-76.6,
        monthly_rent=1000,
        amenities=[],
        available_from=date(2026, 12, 1),
        available_to=date(2027, 6, 1),
        min_stay_nights=7,
        status=status,
    )


def test_listing_changes_cause_the_events_consumers_need() -> None:
    """Published when a listing becomes public, updated while public, archived once; a
    draft nobody has seen, or a change that changed nothing, says nothing."""
    event_of = domain.listing_event
    assert isinstance(event_of(None, listing("active"), True), ListingPublished)
    assert event_of(None, listing("draft"), True) is None
    assert isinstance(event_of("draft", listing("active"), True), ListingPublished)
    assert event_of("draft", listing("draft"), True) is None
    assert isinstance(event_of("active", listing("active"), True), ListingUpdated)
    assert isinstance(event_of("active", listing("draft"), True), ListingUpdated)
    assert event_of("active", listing("active"), False) is None
    assert isinstance(event_of("active", listing("archived"), True), ListingArchived)
    assert isinstance(event_of("draft", listing("archived"), True), ListingArchived)


def test_expired_or_decided_requests_cannot_be_accepted() -> None:
    with pytest.raises(AppError) as err:
        domain.decide(booking(expires=NOW - timedelta(seconds=1)), actor(HOST), "accept", NOW)
    assert err.value.code == "conflict" and "expired" in err.value.message
    with pytest.raises(AppError) as err:
        domain.decide(booking("declined"), actor(HOST), "accept", NOW)
    assert err.value.code == "conflict"


def test_an_overdue_request_is_expired_whoever_acts_before_the_sweep() -> None:
    """Past its deadline a request can no longer be cancelled either (it was: a guest's
    cancel before the sweep made it 'cancelled', the sweep just after 'expired')."""
    overdue = booking(expires=NOW)
    for who, action in ((GUEST, "cancel"), (HOST, "cancel"), (HOST, "accept"), (HOST, "decline")):
        with pytest.raises(AppError) as err:
            domain.decide(overdue, actor(who), action, NOW)
        assert err.value.code == "conflict" and "expired" in err.value.message, (who, action)
    # A guest still cannot accept it, expired or not.
    with pytest.raises(AppError) as err:
        domain.decide(overdue, actor(GUEST), "accept", NOW)
    assert err.value.code == "forbidden"
    # An accepted stay has no answer deadline: its old expires_at changes nothing.
    assert status(booking("accepted", expires=NOW - timedelta(days=3)), GUEST, "cancel") == "cancelled"


def test_either_side_cancels_until_the_stay_ends() -> None:
    assert status(booking(), GUEST, "cancel") == "cancelled"
    assert status(booking("accepted"), HOST, "cancel") == "cancelled"
    ended = booking("accepted", check_in=date(2026, 10, 1), check_out=date(2026, 10, 20))
    with pytest.raises(AppError):
        domain.decide(ended, actor(GUEST), "cancel", NOW)
    with pytest.raises(AppError):
        domain.decide(booking("cancelled"), actor(GUEST), "cancel", NOW)


def test_review_roles_need_a_completed_stay() -> None:
    assert domain.review_roles(booking("completed"), actor(GUEST)) == ("guest", HOST)
    assert domain.review_roles(booking("completed"), actor(HOST)) == ("host", GUEST)
    with pytest.raises(AppError) as err:
        domain.review_roles(booking("accepted"), actor(GUEST))
    assert err.value.code == "conflict"


def test_chord_and_surface_distance_convert_both_ways() -> None:
    """The search's radius test on chords keeps exactly the rows within the surface radius."""
    for d in (1.0, 850.0, 25_000.0, 500_000.0):
        assert geo.great_circle_m(geo.chord_m(d)) == pytest.approx(d, rel=1e-9)
    assert geo.chord_m(25_000.0) < 25_000.0  # a chord is shorter than its arc
    # Baltimore to Boston is ~577 km over the surface on earthdistance's sphere.
    lat1, lon1, lat2, lon2 = map(math.radians, (39.2961, -76.5920, 42.3626, -71.0693))
    xyz = [(math.cos(a) * math.cos(b), math.cos(a) * math.sin(b), math.sin(a)) for a, b in ((lat1, lon1), (lat2, lon2))]
    chord = geo.EARTH_RADIUS_M * math.dist(*xyz)
    assert geo.great_circle_m(chord) == pytest.approx(577_000, rel=0.01)


def test_only_the_guest_asks_to_move_an_accepted_stay_that_is_not_over() -> None:
    today = NOW.date()
    later = (date(2026, 12, 8), date(2027, 1, 5))
    domain.check_shift_request(booking("accepted"), actor(GUEST), *later, today)
    for view, who, code in (
        (booking("accepted"), HOST, "forbidden"),
        (booking("accepted"), OTHER, "not_found"),
        (booking("requested"), GUEST, "conflict"),
        (booking("accepted", check_in=date(2026, 10, 1), check_out=date(2026, 10, 20)), GUEST, "conflict"),
    ):
        with pytest.raises(AppError) as err:
            domain.check_shift_request(view, actor(who), *later, today)
        assert err.value.code == code
    with pytest.raises(AppError) as err:
        domain.check_shift_request(booking("accepted"), actor(GUEST), date(2026, 11, 1), date(2026, 11, 30), today)
    assert err.value.code == "validation"  # in the past


def test_the_host_answers_a_shift_and_a_declined_one_frees_the_guest() -> None:
    asked = domain.ShiftView(date(2026, 12, 8), date(2027, 1, 5), "requested")
    none = domain.ShiftView(None, None, None)
    assert domain.decide_shift(booking("accepted"), asked, actor(HOST), "accept", False) == "accepted"
    assert domain.decide_shift(booking("accepted"), asked, actor(HOST), "decline", False) == "declined"
    for shift, who, taken, code in (
        (asked, GUEST, False, "forbidden"),
        (none, HOST, False, "conflict"),
        (asked, HOST, True, "conflict"),
    ):
        with pytest.raises(AppError) as err:
            domain.decide_shift(booking("accepted"), shift, actor(who), "accept", taken)
        assert err.value.code == code
    declined = domain.ShiftView(date(2026, 12, 8), date(2027, 1, 5), "declined")
    assert domain.end_reason(booking("accepted"), declined, actor(GUEST), "cancelled") == "shift_declined"
    assert domain.end_reason(booking("accepted"), declined, actor(HOST), "cancelled") is None
    assert domain.end_reason(booking("accepted"), asked, actor(GUEST), "cancelled") is None


def test_only_a_changed_address_or_point_moves_a_room() -> None:
    """The web client sends the whole form: fields sent unchanged move nothing, and a ZIP
    code counts only without coordinates (which win over it)."""
    before = {"address": "1 Main St", "latitude": 39.3, "longitude": -76.6}
    assert domain.moved_fields(dict(before, monthly_rent=1200), False, before) == []
    assert domain.moved_fields({"address": "2 Main St", "longitude": -76.6}, False, before) == ["address"]
    assert domain.moved_fields({"latitude": 39.31}, True, before) == ["latitude"]
    assert domain.moved_fields({}, True, before) == ["zip_code"]
    domain.check_move(["address"], has_open_stays=False)
    domain.check_move([], has_open_stays=True)
    with pytest.raises(AppError) as refused:
        domain.check_move(["latitude", "zip_code"], has_open_stays=True)
    assert refused.value.code == "conflict"
    assert [d["field"] for d in refused.value.details] == ["latitude", "zip_code"]


def test_a_past_guest_sees_the_exact_room_only_where_they_stayed() -> None:
    """Guests of a confirmed or completed stay see a listing back in draft; its exact address only
    while the room is where their stay was (``store.listing_for_viewer`` decides)."""
    assert domain.exact_view("active", is_host=False, guest=domain.Guest()) is False
    assert domain.exact_view("draft", is_host=False, guest=domain.Guest(True, False)) is False
    assert domain.exact_view("draft", is_host=False, guest=domain.Guest(True, True)) is True
    with pytest.raises(AppError):
        domain.exact_view("draft", is_host=False, guest=domain.Guest())
    with pytest.raises(AppError):
        domain.exact_view("archived", is_host=True, guest=domain.Guest(True, True))
