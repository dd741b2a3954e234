"""Pure rules of listings and bookings."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

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
    total_cents: int = 100_800,
    rotation_id: uuid.UUID | None = None,
    moved_to: tuple[date, date] | None = None,
    rotation_shift_declined: bool = False,
    min_stay: int | None = None,
    time_zone: str = "America/New_York",
    cancelled_by: domain.Side | None = None,
    decided_at: datetime | None = None,
) -> domain.BookingView:
    return domain.BookingView(
        GUEST,
        HOST,
        status,
        check_in,
        check_out,
        expires,
        total_cents=total_cents,
        rotation_id=rotation_id,
        rotation_moved_to=moved_to,
        rotation_shift_declined=rotation_shift_declined,
        min_stay_nights=min_stay,
        time_zone=time_zone,
        cancelled_by=cancelled_by,
        decided_at=decided_at,
    )


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


def test_no_stay_starts_before_today_whoever_asks() -> None:
    """Audit 4, D10: one rule for booking, shifting, the quote and search: the quote once
    called past dates available (and search priced them) while booking refused them."""
    today = date(2026, 12, 5)
    assert domain.past_reason(today, today) is None and domain.past_reason(date(2026, 12, 6), today) is None
    assert domain.past_reason(date(2026, 12, 4), today) == domain.PAST_CHECK_IN
    with pytest.raises(AppError) as err:
        domain.refuse_past_check_in(date(2026, 11, 15), today, field="from")
    assert err.value.code == "validation" and err.value.details == [
        {"field": "from", "message": "must be today or later"}
    ]
    terms = domain.ListingTerms(HOST, "active", date(2026, 10, 1), date(2027, 3, 1), 7)
    with pytest.raises(AppError) as err:
        domain.check_request(terms, GUEST, date(2026, 11, 15), date(2026, 11, 25), today)
    assert err.value.message == domain.PAST_CHECK_IN


def test_a_paused_room_refuses_a_request_with_why_to_its_guest_only() -> None:
    """A draft (paused) room: to a guest with a stay there, "not taking requests" (409; it
    said "listing not found" of a room whose page they were reading); to anyone else it is
    not there (404); its host cannot book it either way."""
    today, stay = date(2026, 12, 5), (date(2027, 1, 10), date(2027, 1, 20))
    draft = domain.ListingTerms(HOST, "draft", date(2026, 10, 1), date(2027, 3, 1), 7)
    with pytest.raises(AppError) as err:
        domain.check_request(draft, GUEST, *stay, today, domain.Guest(stayed=True))
    assert (err.value.code, err.value.message) == ("conflict", domain.NOT_TAKING_REQUESTS)
    with pytest.raises(AppError) as err:
        domain.check_request(draft, GUEST, *stay, today)
    assert err.value.code == "not_found"
    with pytest.raises(AppError) as err:
        domain.check_request(draft, HOST, *stay, today)
    assert err.value.code == "forbidden"
    archived = replace(draft, status="archived")
    with pytest.raises(AppError) as err:
        domain.check_request(archived, GUEST, *stay, today, domain.Guest(stayed=True))
    assert err.value.code == "not_found"
    domain.check_request(replace(draft, status="active"), GUEST, *stay, today)


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


def status(view: domain.BookingView, who: uuid.UUID, action: str, now: datetime = NOW) -> str:
    return domain.decide(view, actor(who), action, now).status


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
    # Too late: said in words ("it can no longer be declineed").
    for action, done in (("accept", "accepted"), ("decline", "declined")):
        with pytest.raises(AppError, match=f"^the booking is confirmed, it can no longer be {done}$"):
            domain.decide(booking("confirmed"), actor(HOST), action, NOW)


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
    assert isinstance(cancelled, BookingCancelled) and cancelled.cancelled_by == HOST and not cancelled.withdrawn
    withdrawn = domain.decide(booking("requested"), actor(GUEST), "cancel", NOW).event(snapshot("cancelled"))
    assert isinstance(withdrawn, BookingCancelled) and withdrawn.withdrawn  # before any answer
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
    assert domain.review_roles(booking("completed"), actor(GUEST), NOW) == ("guest", HOST, False)
    assert domain.review_roles(booking("completed"), actor(HOST), NOW) == ("host", GUEST, False)
    # A completed stay's reviews have no time limit.
    assert domain.review_roles(booking("completed", decided_at=NOW - timedelta(days=400)), actor(GUEST), NOW)
    for not_yet in ("requested", "accepted", "confirmed", "declined", "expired"):
        with pytest.raises(AppError) as err:
            domain.review_roles(booking(not_yet, min_stay=7), actor(GUEST), NOW)
        assert err.value.code == "conflict"
    with pytest.raises(AppError) as err:
        domain.review_roles(booking("completed"), actor(OTHER), NOW)
    assert err.value.code == "not_found"


def test_a_guest_reviews_a_host_who_cancelled_their_accepted_stay_for_30_days() -> None:
    """A host who cancels an accepted or paid stay (its minimum stay was recorded when it
    was accepted) may be reviewed by the guest, and the review says the host cancelled;
    the host may not review that guest; the window closes 30 days after the cancellation."""
    cancelled_at = NOW - timedelta(days=2)
    by_host = booking("cancelled", min_stay=7, cancelled_by="host", decided_at=cancelled_at)
    assert domain.review_roles(by_host, actor(GUEST), NOW) == ("guest", HOST, True)
    assert domain.may_review(by_host, "guest", NOW)
    with pytest.raises(AppError) as err:
        domain.review_roles(by_host, actor(HOST), NOW)
    assert err.value.code == "conflict" and "only your guest" in err.value.message
    assert not domain.may_review(by_host, "host", NOW)

    last = cancelled_at + timedelta(days=domain.HOST_CANCELLATION_REVIEW_DAYS) - timedelta(seconds=1)
    assert domain.review_roles(by_host, actor(GUEST), last).stay_cancelled_by_host
    with pytest.raises(AppError) as err:
        domain.review_roles(by_host, actor(GUEST), last + timedelta(seconds=1))
    assert err.value.code == "conflict" and "30 days" in err.value.message
    assert not domain.may_review(by_host, "guest", last + timedelta(seconds=1))


def test_no_review_of_a_stay_the_guest_cancelled_or_one_never_accepted() -> None:
    """Nor of a stay cancelled before who cancelled was recorded (NULL), nor a request the
    host's deleted account cancelled before accepting it (no minimum stay recorded)."""
    recent = NOW - timedelta(days=1)
    cases = [
        booking("cancelled", min_stay=7, cancelled_by="guest", decided_at=recent),
        booking("cancelled", min_stay=7, cancelled_by=None, decided_at=recent),
        booking("cancelled", min_stay=None, cancelled_by="host", decided_at=recent),
    ]
    for view in cases:
        for who in (GUEST, HOST):
            with pytest.raises(AppError) as err:
                domain.review_roles(view, actor(who), NOW)
            assert err.value.code == "conflict"
        assert not domain.may_review(view, "guest", NOW) and not domain.may_review(view, "host", NOW)


def test_a_cancellation_records_its_side() -> None:
    assert domain.decide(booking("accepted"), actor(HOST), "cancel", NOW).cancelled_by == "host"
    assert domain.decide(booking("confirmed"), actor(GUEST), "cancel", NOW).cancelled_by == "guest"
    assert domain.decide(booking(), actor(GUEST), "cancel", NOW).cancelled_by == "guest"
    assert domain.decide(booking(), actor(HOST), "accept", NOW).cancelled_by is None


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


TERMS = domain.ListingTerms(HOST, "active", date(2026, 11, 1), date(2027, 6, 1), 7)
NO_SHIFT = domain.ShiftView(None, None, None)


def ask(
    view: domain.BookingView,
    who: uuid.UUID,
    dates: tuple[date, date],
    *,
    shift: domain.ShiftView = NO_SHIFT,
    terms: domain.ListingTerms = TERMS,
    taken: bool = False,
    now: datetime = NOW,
) -> None:
    domain.check_shift_request(view, shift, terms, actor(who), *dates, now, dates_taken=taken)


def refused(*args: Any, **kwargs: Any) -> AppError:
    with pytest.raises(AppError) as err:
        ask(*args, **kwargs)
    return err.value


def test_only_the_guest_asks_to_move_an_accepted_stay_that_is_not_over() -> None:
    later = (date(2026, 12, 8), date(2027, 1, 5))
    ask(booking("accepted"), GUEST, later)
    for view, who, code in (
        (booking("accepted"), HOST, "forbidden"),
        (booking("accepted"), OTHER, "not_found"),
        (booking("requested"), GUEST, "conflict"),
        (booking("accepted", check_in=date(2026, 10, 1), check_out=date(2026, 10, 20)), GUEST, "conflict"),
    ):
        assert refused(view, who, later).code == code
    assert refused(booking("accepted"), GUEST, (date(2026, 11, 1), date(2026, 11, 30))).code == "validation"


def test_dates_the_room_cannot_give_are_refused_when_asked() -> None:
    """Outside the window or under the minimum stay: 400; another guest's dates: 409. Before,
    such a request waited for a host who could only decline it (and the decline freed the guest)."""
    view = booking("accepted")
    assert "available from" in refused(view, GUEST, (date(2027, 5, 20), date(2027, 6, 10))).message
    assert "minimum stay" in refused(view, GUEST, (date(2026, 12, 8), date(2026, 12, 10))).message
    taken = refused(view, GUEST, (date(2027, 2, 1), date(2027, 2, 20)), taken=True)
    assert taken.code == "conflict" and taken.message == domain.DATES_TAKEN
    # A moved rotation's dates reach the host all the same: their decline protects the guest.
    moved = (date(2027, 2, 1), date(2027, 2, 20))
    rotating = booking("accepted", rotation_id=uuid.uuid4(), moved_to=moved)
    ask(rotating, GUEST, moved, taken=True)
    assert domain.decide_shift(
        rotating, domain.ShiftView(*moved, "requested"), actor(HOST), "decline", True
    ).for_rotation


def test_a_second_request_waits_for_the_answer_to_the_first() -> None:
    """A waiting request is not replaced (the host would accept dates they never saw): 409
    naming it. A declined one may be followed by another."""
    waiting = domain.ShiftView(date(2026, 12, 8), date(2026, 12, 22), "requested")
    err = refused(booking("accepted"), GUEST, (date(2026, 12, 8), date(2027, 3, 7)), shift=waiting)
    assert err.code == "conflict" and "Dec 8, 2026 - Dec 22, 2026" in err.message
    assert err.details == {"check_in": "2026-12-08", "check_out": "2026-12-22", "status": "requested"}
    declined = domain.ShiftView(date(2026, 12, 8), date(2026, 12, 22), "declined")
    ask(booking("accepted"), GUEST, (date(2026, 12, 9), date(2026, 12, 23)), shift=declined)
    # Only the guest withdraws, and only a waiting request.
    assert domain.check_shift_withdrawal(booking("accepted"), waiting, actor(GUEST)) == (
        date(2026, 12, 8),
        date(2026, 12, 22),
    )
    for shift, who, code in (
        (waiting, HOST, "forbidden"),
        (declined, GUEST, "conflict"),
        (NO_SHIFT, GUEST, "conflict"),
    ):
        with pytest.raises(AppError) as withdrawn:
            domain.check_shift_withdrawal(booking("accepted"), shift, actor(who))
        assert withdrawn.value.code == code


def test_a_stay_under_way_keeps_its_check_in() -> None:
    """Ten nights into a 28-night stay, "moving" it to start today would refund nights
    already stayed: only the check-out moves once the stay is under way."""
    today = date(2026, 12, 11)
    noon = datetime(2026, 12, 11, 17, tzinfo=UTC)  # 12:00 in Baltimore
    started = booking("confirmed", check_in=date(2026, 12, 1), check_out=date(2026, 12, 29))
    err = refused(started, GUEST, (today, date(2026, 12, 29)), now=noon)
    assert err.code == "validation" and "check-in stays" in err.message
    ask(started, GUEST, (date(2026, 12, 1), date(2027, 1, 12)), now=noon)  # longer
    ask(started, GUEST, (date(2026, 12, 1), date(2026, 12, 12)), now=noon)  # shorter, from tomorrow
    assert refused(started, GUEST, (date(2026, 12, 1), today), now=noon).code == "validation"
    # On its check-in day before the check-in time (15:00 at the room) the stay has not
    # begun: the whole of it may still move; from 15:00 it is under way.
    arriving = booking("confirmed", check_in=today, check_out=date(2027, 1, 8))
    later = (date(2026, 12, 18), date(2027, 1, 15))
    ask(arriving, GUEST, later, now=datetime(2026, 12, 11, 19, 59, tzinfo=UTC))
    assert "check-in stays" in refused(arriving, GUEST, later, now=datetime(2026, 12, 11, 20, tzinfo=UTC)).message


def test_a_moved_stay_keeps_its_own_nightly_rate() -> None:
    """Not the listing's rent today: a one-day move after the host raised the rent quintupled
    a paid stay's total."""
    view = booking("confirmed", total_cents=100_800)  # 28 nights at 36.00
    assert domain.shift_total_cents(view, date(2026, 12, 2), date(2026, 12, 30)) == 100_800
    assert domain.shift_total_cents(view, date(2026, 12, 1), date(2026, 12, 15)) == 50_400
    assert domain.shift_total_cents(view, date(2026, 12, 1), date(2027, 2, 28)) == 3600 * 89
    # The host accepting applies that total whatever the listing asks now.
    asked = domain.ShiftView(date(2026, 12, 2), date(2026, 12, 30), "requested")
    assert domain.decide_shift(view, asked, actor(HOST), "accept", False).total_cents == 100_800
    # A total that is not a whole number of cents a night rounds half up.
    odd = booking("confirmed", check_in=date(2026, 12, 1), check_out=date(2026, 12, 4), total_cents=100)
    assert domain.shift_total_cents(odd, date(2026, 12, 1), date(2026, 12, 3)) == 67


def test_the_host_answers_a_shift() -> None:
    asked = domain.ShiftView(date(2026, 12, 8), date(2027, 1, 5), "requested")
    accepted = domain.decide_shift(booking("accepted"), asked, actor(HOST), "accept", False)
    assert (accepted.status, accepted.check_in, accepted.check_out) == ("accepted", asked.check_in, asked.check_out)
    assert domain.decide_shift(booking("accepted"), asked, actor(HOST), "decline", False).status == "declined"
    for shift, who, taken, code in (
        (asked, GUEST, False, "forbidden"),
        (NO_SHIFT, HOST, False, "conflict"),
        (asked, HOST, True, "conflict"),
    ):
        with pytest.raises(AppError) as err:
            domain.decide_shift(booking("accepted"), shift, actor(who), "accept", taken)
        assert err.value.code == code


def held(status: str, check_in: date, check_out: date) -> domain.HeldStay:
    return domain.HeldStay(status, check_in, check_out)


def test_the_rooms_dates_cover_its_accepted_and_paid_stays() -> None:
    """A window shrunk under an accepted or paid stay is refused (409), naming the stay and
    the bound each side must keep, as the address is while a stay is open. Before, the
    listing then said the room was not there for the stay's nights, and its guest could
    not move the stay by a day."""
    today = date(2026, 12, 5)
    stays = [
        held("confirmed", date(2027, 1, 4), date(2027, 2, 3)),
        held("accepted", date(2027, 3, 1), date(2027, 3, 20)),
    ]
    domain.check_window(stays, date(2026, 12, 5), date(2027, 3, 20), today)  # covers both
    with pytest.raises(AppError) as err:
        domain.check_window(stays, date(2026, 12, 5), date(2027, 1, 14), today)
    assert err.value.code == "conflict"
    assert "an accepted stay from Mar 1, 2027 to Mar 20, 2027" in err.value.message
    [beside] = err.value.details
    assert beside == {
        "field": "available_to",
        "message": "An accepted stay ends Mar 20, 2027: the room must be available until then or later.",
    }
    with pytest.raises(AppError) as both:
        domain.check_window(stays, date(2027, 1, 10), date(2027, 3, 1), today)
    assert "a paid stay from Jan 4, 2027 to Feb 3, 2027" in both.value.message
    assert [e["field"] for e in both.value.details] == ["available_from", "available_to"]
    assert "A paid stay begins Jan 4, 2027" in both.value.details[0]["message"]
    # Requests (accepted only if they still fit, see below), ended stays and stays over bind nothing.
    loose = [
        held("requested", date(2027, 1, 4), date(2027, 2, 3)),
        held("cancelled", date(2027, 1, 4), date(2027, 2, 3)),
        held("confirmed", date(2026, 11, 1), date(2026, 12, 5)),
    ]
    domain.check_window(loose, date(2027, 6, 1), date(2027, 6, 30), today)


def test_a_request_is_accepted_only_if_it_still_fits_the_room() -> None:
    """The host may have shrunk the window or raised the minimum stay since the request:
    accepting it then is refused (409), saying why. Before, the stay was accepted outside
    the window the listing showed."""
    view = booking()  # Dec 1 - Dec 29, 2026: 28 nights
    assert domain.decide(view, actor(HOST), "accept", NOW, terms=TERMS).status == "accepted"
    for terms, why in (
        (domain.ListingTerms(HOST, "active", date(2026, 11, 1), date(2026, 12, 20), 7), "available from"),
        (domain.ListingTerms(HOST, "active", date(2026, 11, 1), date(2027, 6, 1), 30), "minimum stay is 30"),
    ):
        with pytest.raises(AppError) as err:
            domain.decide(view, actor(HOST), "accept", NOW, terms=terms)
        assert err.value.code == "conflict" and why in err.value.message
        # Declining it is always possible.
        assert domain.decide(view, actor(HOST), "decline", NOW, terms=terms).status == "declined"


def test_a_stay_keeps_the_minimum_it_was_accepted_under() -> None:
    """A minimum stay raised later applies to new requests: a stay accepted under 7 nights
    may still move to a 10-night stay; lowered, it lets agreed stays shrink too. Before,
    raising it left the guest unable to move the stay at all."""
    raised = domain.ListingTerms(HOST, "active", date(2026, 11, 1), date(2027, 6, 1), 60)
    ten = (date(2026, 12, 8), date(2026, 12, 18))
    ask(booking("confirmed", min_stay=7), GUEST, ten, terms=raised)
    assert "minimum stay is 60" in refused(booking("confirmed", min_stay=None), GUEST, ten, terms=raised).message
    assert "minimum stay is 14" in refused(booking("confirmed", min_stay=14), GUEST, ten, terms=raised).message
    ask(booking("confirmed", min_stay=14), GUEST, ten, terms=TERMS)  # lowered to 7 since
    # The host accepts a shift only to dates the room gives, judged the same way.
    asked = domain.ShiftView(*ten, "requested")
    accepted = domain.decide_shift(booking("confirmed", min_stay=7), asked, actor(HOST), "accept", False, terms=raised)
    assert accepted.status == "accepted"
    shrunk = domain.ListingTerms(HOST, "active", date(2026, 11, 1), date(2026, 12, 15), 7)
    for view, terms in ((booking("confirmed", min_stay=14), raised), (booking("confirmed", min_stay=7), shrunk)):
        with pytest.raises(AppError) as err:
            domain.decide_shift(view, asked, actor(HOST), "accept", False, terms=terms)
        assert err.value.code == "conflict" and "cannot give these dates" in err.value.message
        assert domain.decide_shift(view, asked, actor(HOST), "decline", False, terms=terms).status == "declined"


def test_rotation_protection_needs_the_moved_rotations_dates() -> None:
    """Declining frees the guest (a cancellation ends 'shift_declined', refunded in full) only
    when the stay was booked for a rotation, matching said that rotation moved, and the guest
    asked for exactly its new dates. Any other request is ordinary: declined, the policy holds
    (before, any guest asked for any dates, even another guest's, and cancelled for free)."""
    rotation, moved = uuid.uuid4(), (date(2026, 12, 8), date(2027, 1, 5))
    asked = domain.ShiftView(*moved, "requested")
    for view, protected in (
        (booking("confirmed", rotation_id=rotation, moved_to=moved), True),
        (booking("confirmed"), False),  # no rotation
        (booking("confirmed", rotation_id=rotation), False),  # its rotation never moved
        (booking("confirmed", rotation_id=rotation, moved_to=(date(2026, 12, 9), date(2027, 1, 5))), False),
    ):
        assert domain.follows_rotation(view, *moved) is protected
        assert domain.decide_shift(view, asked, actor(HOST), "decline", False).for_rotation is protected
        # Accepted, it protects nothing: the stay moved.
        assert domain.decide_shift(view, asked, actor(HOST), "accept", False).for_rotation is False
    # What the store keeps of a protecting decline decides the cancellation: the guest's only.
    declined = booking("confirmed", rotation_id=rotation, moved_to=moved, rotation_shift_declined=True)
    assert domain.end_reason(declined, actor(GUEST), "cancelled") == "shift_declined"
    assert domain.end_reason(declined, actor(HOST), "cancelled") is None
    # Wardmate suspended the host: the guest's cancellation is without fault; the host's own is not.
    suspended = replace(booking("confirmed"), host_suspended=True)
    assert domain.end_reason(suspended, actor(GUEST), "cancelled") == "host_suspended"
    assert domain.end_reason(suspended, actor(HOST), "cancelled") is None
    # A request the guest cancels before an answer is withdrawn (cards said "cancelled this stay").
    assert domain.end_reason(booking("requested"), actor(GUEST), "cancelled") == "withdrawn"
    assert (
        domain.end_reason(booking("confirmed", rotation_id=rotation, moved_to=moved), actor(GUEST), "cancelled") is None
    )


def test_booking_requests_are_limited_per_room_and_per_guest_with_the_wait_until_a_slot_frees() -> None:
    """Under both limits a request passes; at either, it is refused with the seconds until
    the limit-th newest request leaves the window (the later of the two when both)."""
    room, other = uuid.uuid4(), uuid.uuid4()
    day = 86400
    recent = [domain.RecentRequest(room, age) for age in (10.0, 500.0)]
    domain.refuse_over_request_limits(recent, room, day, per_listing=3, per_guest=5)
    recent.append(domain.RecentRequest(room, 3000.0))
    domain.refuse_over_request_limits(recent, other, day, per_listing=3, per_guest=5)  # another room: fine
    with pytest.raises(AppError) as err:
        domain.refuse_over_request_limits(recent, room, day, per_listing=3, per_guest=5)
    assert err.value.code == "rate_limited" and err.value.details == {"retry_after_s": day - 3000.0}
    assert "requested this room 3 times in the last 24 hours" in err.value.message

    recent += [domain.RecentRequest(other, age) for age in (50.0, 7000.0)]
    with pytest.raises(AppError) as err:
        domain.refuse_over_request_limits(recent, uuid.uuid4(), day, per_listing=3, per_guest=5)
    assert err.value.details == {"retry_after_s": day - 7000.0}
    assert "made 5 booking requests in the last 24 hours" in err.value.message
    with pytest.raises(AppError) as err:  # both limits: the later slot
        domain.refuse_over_request_limits(recent, room, 3600 * 2, per_listing=3, per_guest=2)
    assert err.value.details == {"retry_after_s": 7200 - 50.0} and "in the last 2 hours" in err.value.message
    assert "requested this room 3 times and made 2 booking requests" in err.value.message


def test_a_stay_is_over_on_its_check_out_day_at_the_room() -> None:
    """At 03:00 UTC on 2027-03-15 (the first night after the DST change), a stay ending
    that day is over in Baltimore only from midnight there (04:00 UTC); in Los Angeles it
    is still the evening before: the stay can still be cancelled."""
    stay = {"check_in": date(2027, 3, 1), "check_out": date(2027, 3, 15)}
    at = datetime(2027, 3, 15, 3, 30, tzinfo=UTC)  # 23:30 EDT, 20:30 PDT on the 14th
    for zone in ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu"):
        assert status(booking("confirmed", time_zone=zone, **stay), GUEST, "cancel", at) == "cancelled"
    later = datetime(2027, 3, 15, 4, 0, tzinfo=UTC)  # midnight in Baltimore
    with pytest.raises(AppError, match="the stay is over"):
        domain.decide(booking("confirmed", **stay), actor(GUEST), "cancel", later)
    assert status(booking("confirmed", time_zone="America/Los_Angeles", **stay), GUEST, "cancel", later) == "cancelled"


def test_a_stay_in_honolulu_begins_at_its_check_in_time_there() -> None:
    """Check-in on 2026-12-25 in Honolulu is 15:00 HST, 01:00 UTC on the 26th. At 14:30 HST
    the UTC date is already the 26th, yet the stay has not begun: its check-in may still
    move (to today at the room, too); from 15:00 HST only its check-out moves."""
    stay = booking("confirmed", check_in=date(2026, 12, 25), check_out=date(2027, 1, 22), time_zone="Pacific/Honolulu")
    terms = domain.ListingTerms(HOST, "active", date(2026, 12, 1), date(2027, 6, 1), 7)
    before = datetime(2026, 12, 26, 0, 30, tzinfo=UTC)
    ask(stay, GUEST, (date(2026, 12, 27), date(2027, 1, 22)), terms=terms, now=before)
    later = booking("confirmed", check_in=date(2026, 12, 28), check_out=date(2027, 1, 22), time_zone="Pacific/Honolulu")
    ask(later, GUEST, (date(2026, 12, 25), date(2027, 1, 22)), terms=terms, now=before)  # tonight
    assert refused(later, GUEST, (date(2026, 12, 24), date(2027, 1, 22)), terms=terms, now=before).code == "validation"
    after = datetime(2026, 12, 26, 1, 0, tzinfo=UTC)
    err = refused(stay, GUEST, (date(2026, 12, 27), date(2027, 1, 22)), terms=terms, now=after)
    assert "check-in stays" in err.message
    ask(stay, GUEST, (date(2026, 12, 25), date(2027, 1, 29)), terms=terms, now=after)


def test_the_same_photo_again_is_the_one_the_listing_has_unless_its_texts_differ() -> None:
    """A repeat with the stored texts is answered with the photo; with others it is a 409
    naming the photo, so the new texts are not lost in silence."""
    photo_id = uuid.uuid4()
    stored = {"id": photo_id, "alt_text": "The bedroom", "caption": ""}
    domain.repeated_photo(stored, "The bedroom", "")
    for alt_text, caption in (("The bedroom, north side", ""), ("The bedroom", "Morning light")):
        with pytest.raises(AppError) as exc:
            domain.repeated_photo(stored, alt_text, caption)
        assert exc.value.code == "conflict" and exc.value.details == {"id": str(photo_id)}


@pytest.mark.parametrize(
    ("width", "height", "taken"),
    [(320, 240, True), (240, 320, True), (4032, 3024, True), (319, 240, False), (320, 239, False), (24, 16, False)],
)
def test_a_photo_is_large_enough_to_show_a_room_either_way_round(width: int, height: int, taken: bool) -> None:
    if taken:
        domain.check_photo_size(width, height)
        return
    with pytest.raises(AppError) as refused:
        domain.check_photo_size(width, height)
    assert refused.value.code == "validation" and f"{width} × {height} pixels" in refused.value.message


def test_a_request_expires_by_its_check_in_but_leaves_the_host_time_to_answer() -> None:
    """48 hours, unless check-in comes first (a request for tonight waited two days, two of
    its three nights gone); a request made after tonight's check-in hour has two hours."""
    now = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    ttl = timedelta(hours=48)
    far = now + timedelta(days=30)
    assert domain.request_expiry(now, ttl, far) == now + ttl
    tomorrow = now + timedelta(hours=20)
    assert domain.request_expiry(now, ttl, tomorrow) == tomorrow
    gone_by = now - timedelta(hours=5)
    assert domain.request_expiry(now, ttl, gone_by) == now + domain.LEAST_ANSWER_TIME
    assert domain.request_expiry(now, ttl, now + timedelta(hours=1)) == now + domain.LEAST_ANSWER_TIME
