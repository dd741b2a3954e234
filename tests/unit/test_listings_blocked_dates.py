"""Pure rules of the nights a host blocks in a room (``domain.check_block`` and the
refusals of blocked nights in requests, acceptances and shifts)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.listings import domain
from shared.contracts.base import Actor
from shared.contracts.listings import MAX_BLOCK_NIGHTS, BlockedDatesCreate
from shared.errors import AppError

HOST, GUEST = uuid.uuid4(), uuid.uuid4()
TODAY = date(2027, 3, 1)
NOW = datetime(2027, 3, 1, 12, tzinfo=UTC)


def refused(
    start: date, end: date, held: list[domain.HeldStay] | None = None, blocked: list[tuple[date, date]] | None = None
) -> AppError:
    with pytest.raises(AppError) as caught:
        domain.check_block(start, end, TODAY, held or [], blocked or [])
    return caught.value


def test_a_block_from_today_on_within_a_year_and_clear_of_stays_is_allowed() -> None:
    """Today at the room is the first night a block may take, and 366 nights the longest."""
    domain.check_block(TODAY, TODAY + timedelta(days=1), TODAY, [], [])
    domain.check_block(TODAY, TODAY + timedelta(days=MAX_BLOCK_NIGHTS), TODAY, [], [])


def test_a_block_in_the_past_is_refused_beside_start() -> None:
    """A night already past at the room is nobody's to block: 400 beside ``start``."""
    error = refused(TODAY - timedelta(days=1), TODAY + timedelta(days=3))
    assert error.code == "validation" and error.details[0]["field"] == "start"


def test_a_block_over_a_year_is_refused_beside_end() -> None:
    """Past 366 nights the host narrows the room's window instead."""
    error = refused(TODAY, TODAY + timedelta(days=MAX_BLOCK_NIGHTS + 1))
    assert error.code == "validation" and error.details[0]["field"] == "end"


@pytest.mark.parametrize(("status", "words"), [("accepted", "an accepted stay"), ("confirmed", "a paid stay")])
def test_a_block_over_an_agreed_stay_is_a_conflict_naming_it(status: str, words: str) -> None:
    """A block never takes a night agreed with a guest: 409 naming the stay's dates."""
    stay = domain.HeldStay(status, date(2027, 3, 10), date(2027, 3, 20))
    error = refused(date(2027, 3, 15), date(2027, 3, 25), [stay])
    assert error.code == "conflict"
    assert error.message.startswith(f"{words} from Mar 10, 2027 to Mar 20, 2027"), error.message
    assert error.details[0]["field"] == "start"


def test_the_earliest_of_several_stays_is_named() -> None:
    later = domain.HeldStay("confirmed", date(2027, 4, 1), date(2027, 4, 9))
    first = domain.HeldStay("accepted", date(2027, 3, 5), date(2027, 3, 9))
    assert "Mar 5, 2027" in refused(TODAY, date(2027, 5, 1), [later, first]).message


def test_a_block_over_another_block_is_a_conflict_naming_it() -> None:
    error = refused(date(2027, 3, 4), date(2027, 3, 8), blocked=[(date(2027, 3, 6), date(2027, 3, 12))])
    assert error.code == "conflict" and "Mar 6, 2027 to Mar 12, 2027" in error.message


def test_the_contract_refuses_an_end_not_after_start_and_a_block_over_a_year() -> None:
    """Beside ``end``, before any service reads it (and documented so in the OpenAPI schema)."""
    listing = str(uuid.uuid4())
    for start, end in [("2027-03-05", "2027-03-05"), ("2027-03-05", "2027-03-04"), ("2027-03-01", "2028-03-02")]:
        with pytest.raises(ValidationError) as caught:
            BlockedDatesCreate.model_validate({"listing_id": listing, "start": start, "end": end})
        assert "end" in str(caught.value)
    made = BlockedDatesCreate.model_validate({"listing_id": listing, "start": "2027-03-05", "end": "2027-03-06"})
    assert made.note == ""


def test_blocked_nights_are_refused_to_a_request_beside_check_in() -> None:
    """A request for them is a 409, as for nights another guest holds."""
    domain.refuse_blocked_dates(False)
    with pytest.raises(AppError) as caught:
        domain.refuse_blocked_dates(True)
    assert caught.value.code == "conflict" and caught.value.message == domain.DATES_BLOCKED
    assert caught.value.details[0]["field"] == "check_in"


def test_a_request_for_blocked_nights_cannot_be_accepted() -> None:
    view = domain.BookingView(GUEST, HOST, "requested", date(2027, 3, 5), date(2027, 3, 9), NOW + timedelta(hours=1))
    host = Actor(user_id=HOST, role="professional")
    assert domain.decide(view, host, "accept", NOW).status == "accepted"
    with pytest.raises(AppError) as caught:
        domain.decide(view, host, "accept", NOW, dates_blocked=True)
    assert caught.value.code == "conflict" and domain.DATES_BLOCKED in caught.value.message
    # Declining it is still the host's to do.
    assert domain.decide(view, host, "decline", NOW, dates_blocked=True).status == "declined"


def test_a_stay_cannot_move_onto_blocked_nights() -> None:
    """Asked for (409 when asked) or accepted (409), blocked nights refuse a shift."""
    view = domain.BookingView(GUEST, HOST, "confirmed", date(2027, 3, 5), date(2027, 3, 9), NOW)
    terms = domain.ListingTerms(HOST, "active", date(2027, 1, 1), date(2027, 12, 31), 1)
    guest = Actor(user_id=GUEST, role="student")
    none = domain.ShiftView(None, None, None)
    args = (view, none, terms, guest, date(2027, 3, 6), date(2027, 3, 10), NOW)
    domain.check_shift_request(*args, dates_taken=False)
    with pytest.raises(AppError) as caught:
        domain.check_shift_request(*args, dates_taken=False, dates_blocked=True)
    assert caught.value.code == "conflict" and caught.value.message == domain.DATES_BLOCKED
    waiting = domain.ShiftView(date(2027, 3, 6), date(2027, 3, 10), "requested")
    host = Actor(user_id=HOST, role="professional")
    assert domain.decide_shift(view, waiting, host, "accept", False, terms=terms).status == "accepted"
    with pytest.raises(AppError) as caught:
        domain.decide_shift(view, waiting, host, "accept", False, dates_blocked=True, terms=terms)
    assert caught.value.code == "conflict"
    assert domain.decide_shift(view, waiting, host, "decline", False, dates_blocked=True).status == "declined"


def test_only_the_host_sees_a_rooms_blocks() -> None:
    """Anyone else, and everyone on an archived room, gets 404 (never 403: nothing is told)."""
    domain.check_block_owner("active", HOST, HOST)
    domain.check_block_owner("draft", HOST, HOST)
    for status, host, actor in [("active", HOST, GUEST), ("archived", HOST, HOST), (None, None, HOST)]:
        with pytest.raises(AppError) as caught:
            domain.check_block_owner(status, host, actor)
        assert caught.value.code == "not_found"
