"""Listings' rules behind the web client's fixes (issue 22): one way for a host to refuse
a request, one open request per stay, a room's position never a hospital's."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.listings import domain
from shared import hospitals, places
from shared.contracts.base import Actor
from shared.errors import AppError

HOST, GUEST = uuid.uuid4(), uuid.uuid4()
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def booking(status: str) -> domain.BookingView:
    return domain.BookingView(GUEST, HOST, status, date(2026, 12, 1), date(2026, 12, 29), NOW + timedelta(hours=1))


def test_a_host_declines_a_pending_request_and_cannot_cancel_it() -> None:
    host = Actor(user_id=HOST, role="professional")
    with pytest.raises(AppError) as err:
        domain.decide(booking("requested"), host, "cancel", NOW)
    assert err.value.code == "conflict" and "decline" in err.value.message
    assert domain.decide(booking("requested"), host, "decline", NOW).status == "declined"
    assert domain.decide(booking("accepted"), host, "cancel", NOW).status == "cancelled"
    guest = Actor(user_id=GUEST, role="student")
    assert domain.decide(booking("requested"), guest, "cancel", NOW).status == "cancelled"


def test_a_duplicate_request_names_the_open_one() -> None:
    domain.refuse_duplicate_request(None, "requested", date(2026, 12, 1), date(2026, 12, 29))
    first = uuid.uuid4()
    with pytest.raises(AppError) as err:
        domain.refuse_duplicate_request(first, "accepted", date(2026, 12, 1), date(2026, 12, 29))
    assert err.value.code == "conflict" and err.value.details == {"booking_id": str(first), "status": "accepted"}


def test_a_room_sits_at_its_coordinates_or_its_zip_centre_never_on_a_hospital() -> None:
    directory = hospitals.directory()
    assert domain.room_position(46.86, -96.80, None, directory) == (46.86, -96.80)
    centre = places.zip_centre("58103")
    assert centre is not None
    assert domain.room_position(None, None, "58103", directory) == (centre.latitude, centre.longitude)
    with pytest.raises(AppError) as err:
        domain.room_position(None, None, "00000", directory)
    assert err.value.details[0]["field"] == "zip_code"
    fargo = hospitals.lookup("essentia-health-fargo-fargo-nd")
    with pytest.raises(AppError) as err:
        domain.room_position(fargo.latitude + 0.0001, fargo.longitude, None, directory)
    assert err.value.details[0]["field"] == "latitude"
    # Named (the host may have had another hospital nearby in mind), in words, not shouted.
    assert err.value.details[0]["message"].startswith("This is the position of Essentia Health"), err.value.details
    # 400 m away is a room near the hospital, not on it.
    assert domain.room_position(fargo.latitude + 0.0036, fargo.longitude, None, directory)[0] == fargo.latitude + 0.0036


def test_places_never_guess_between_several() -> None:
    assert places.resolve("Fargo, ND") is not None and places.resolve("fargo") is not None
    with pytest.raises(places.AmbiguousPlaceError):
        places.resolve("Springfield")
    springfield = places.resolve("Springfield, IL")
    assert springfield is not None and springfield.state == "IL"
    assert places.resolve("58103-1234") == places.zip_centre("58103")
    assert places.resolve("Atlantis") is None and places.zip_centre("1234") is None
    assert [p.zip for p in places.search("5810", limit=3)] == ["58102", "58103", "58104"]
    assert places.search("St. Paul")[0].label == "Saint Paul, MN"


def test_hospitals_are_found_by_the_names_people_use() -> None:
    """Every alias names a hospital of the directory; "MGH" and "mass gen" find Mass General."""
    import csv
    import io
    from importlib import resources

    text = resources.files("shared").joinpath("data/hospital_aliases.csv").read_text("utf-8")
    for row in csv.DictReader(io.StringIO(text)):
        assert hospitals.lookup(row["hospital_id"]) and row["source"], row
    mgh = "massachusetts-general-hospital-boston-ma"
    assert [h.id for h in hospitals.by_alias("MGH")] == [mgh]
    assert hospitals.by_alias("mass gen")[0].id == mgh
    assert hospitals.by_alias("m") == []


def test_rooms_and_zip_centres_are_on_the_us_map() -> None:
    """The 872 ZIP rows the package gives at 0, 0 have no centre (no room lands in the Gulf
    of Guinea on New York's clock), and a point far from every ZIP is refused as a room's."""
    assert places.zip_centre("77352") is None and places.zip_centre("09000") is None
    assert not places.in_zip_area(0.0, 0.0) and not places.in_zip_area(48.85, 2.35)
    assert places.in_zip_area(21.3, -157.85) and places.in_zip_area(18.4, -66.06)  # Honolulu, San Juan
    for point in ((0.0, 0.0), (48.85, 2.35)):
        with pytest.raises(AppError) as refused:
            domain.room_position(*point, None, hospitals.directory())
        assert refused.value.details[0]["field"] == "latitude"


def test_a_room_s_dates_hold_one_stay_of_its_minimum_from_today() -> None:
    """Dates already over, or fewer nights from today than the minimum stay, are refused
    beside the field to change; a window that starts later counts from its start."""
    today = date(2027, 3, 1)
    with pytest.raises(AppError) as over:
        domain.check_bookable(date(2027, 1, 1), date(2027, 3, 1), 7, today)
    assert over.value.details[0]["field"] == "available_to"
    with pytest.raises(AppError) as short:
        domain.check_bookable(date(2027, 2, 1), date(2027, 3, 20), 30, today)
    assert short.value.details[0] == {
        "field": "min_stay_nights",
        "message": "From today, its dates leave 19 nights to book: make the minimum stay at most that, or the dates"
        " longer.",
    }
    # A window starting later is counted from its start (it read "available 4 nights from now").
    with pytest.raises(AppError) as later:
        domain.check_bookable(date(2028, 1, 1), date(2028, 1, 5), 30, today)
    assert later.value.details[0]["message"].startswith("Its dates leave 4 nights to book:"), later.value.details
    domain.check_bookable(date(2027, 4, 1), date(2027, 5, 1), 30, today)
