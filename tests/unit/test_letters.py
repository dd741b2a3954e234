"""Pure rules of letters of recommendation: the request's checks, who does what when,
and the reminders owed at a given time."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.matching.domain import letters
from shared.errors import AppError

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
STUDENT, WRITER, STRANGER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def letter(status: str = "requested", deadline_days: int = 30, asked_days_ago: int = 0) -> letters.Letter:
    return letters.Letter(
        uuid.uuid4(),
        STUDENT,
        WRITER,
        status,
        TODAY + timedelta(days=deadline_days),
        NOW - timedelta(days=asked_days_ago),
        "Internal Medicine",
    )


def test_a_request_needs_a_future_deadline_and_its_letter_id() -> None:
    assert letters.check_request(TODAY + timedelta(days=10), "eras", " ab12cd34 ", TODAY) == "AB12CD34"
    assert letters.check_request(TODAY + timedelta(days=10), "other", None, TODAY) is None
    bad = [
        (TODAY, "eras", "AB12"),
        (TODAY + timedelta(days=400), "eras", "AB12"),
        (TODAY + timedelta(days=10), "eras", None),
        (TODAY + timedelta(days=10), "other", "AB12"),
    ]
    for deadline, application, letter_id in bad:
        with pytest.raises(AppError) as exc:
            letters.check_request(deadline, application, letter_id, TODAY)
        assert exc.value.code == "validation"
    # Each field named, then what it needs (it read "deadline At most a year ahead.").
    with pytest.raises(AppError) as exc:
        letters.check_request(TODAY + timedelta(days=400), "other", "AB12", TODAY)
    assert exc.value.message == "deadline: At most a year ahead. eras_letter_id: Only an ERAS request has a Letter ID."


def test_the_letter_from_request_to_confirmation() -> None:
    accepted = letters.decide(letter(), WRITER, "accept", NOW)
    assert accepted.status == "accepted" and accepted.notices[0].user_id == STUDENT
    submitted = letters.decide(letter("accepted"), WRITER, "submit", NOW)
    assert submitted.status == "submitted" and submitted.submitted_on == TODAY
    confirmed = letters.decide(letter("submitted"), STUDENT, "confirm", NOW)
    assert confirmed.status == "confirmed" and confirmed.notices[0].user_id == WRITER


def test_each_step_belongs_to_one_party_and_one_status() -> None:
    wrong_party = [("requested", STUDENT, "accept"), ("accepted", STUDENT, "submit"), ("submitted", WRITER, "confirm")]
    for status, who, action in wrong_party:
        with pytest.raises(AppError) as exc:
            letters.decide(letter(status), who, action, NOW)
        assert exc.value.code == "forbidden", (status, action)
    wrong_status = [("accepted", WRITER, "accept"), ("requested", WRITER, "submit"), ("expired", STUDENT, "withdraw")]
    for status, who, action in wrong_status:
        with pytest.raises(AppError) as exc:
            letters.decide(letter(status), who, action, NOW)
        assert exc.value.code == "conflict", (status, action)
    with pytest.raises(AppError) as exc:
        letters.decide(letter(), STRANGER, "accept", NOW)
    assert exc.value.code == "not_found"
    assert letters.decide(letter("accepted"), STUDENT, "withdraw", NOW).status == "withdrawn"


def test_a_decision_is_told_in_what_it_did() -> None:
    """After the actor's name: the writer read "Amina confirmed your letter request" when the
    student confirmed that the letter arrived, and "Amina withdrawn your letter request"."""
    told = {
        action: [n.text for n in letters.decide(letter(status), who, action, NOW).notices]
        for status, who, action in [
            ("requested", WRITER, "accept"),
            ("requested", WRITER, "decline"),
            ("submitted", STUDENT, "confirm"),
            ("accepted", STUDENT, "withdraw"),
        ]
    }
    assert told == {
        "accept": ["accepted your letter request"],
        "decline": ["declined your letter request"],
        "confirm": ["confirmed your letter arrived"],
        "withdraw": ["withdrew their letter request"],
    }


def test_an_upload_date_lies_between_request_and_today() -> None:
    asked = letter("accepted", asked_days_ago=5)
    assert letters.decide(asked, WRITER, "submit", NOW, submitted_on=TODAY - timedelta(days=2)).submitted_on
    for day in (TODAY + timedelta(days=2), TODAY - timedelta(days=6)):
        with pytest.raises(AppError) as exc:
            letters.decide(asked, WRITER, "submit", NOW, submitted_on=day)
        assert exc.value.code == "validation" and exc.value.details[0]["field"] == "submitted_on"


def asked_at(requested_at: datetime) -> letters.Letter:
    return letters.Letter(
        uuid.uuid4(), STUDENT, WRITER, "accepted", date(2027, 1, 30), requested_at, "Internal Medicine"
    )


def test_a_writer_in_new_york_marks_it_uploaded_on_their_today_in_the_evening() -> None:
    """Asked at 7:30 PM in New York (Dec 7, 00:30 UTC), uploaded the same evening: the
    writer's today, Dec 6, was refused as a day before the request, both read in UTC."""
    asked = asked_at(datetime(2026, 12, 7, 0, 30, tzinfo=UTC))
    now = datetime(2026, 12, 7, 0, 45, tzinfo=UTC)
    assert letters.decide(asked, WRITER, "submit", now, submitted_on=date(2026, 12, 6)).submitted_on == date(
        2026, 12, 6
    )


def test_a_writer_already_in_tomorrow_marks_it_uploaded_on_their_today() -> None:
    """At 10:00 UTC it is already tomorrow in Kiribati (UTC+14): a writer there may say so."""
    asked = asked_at(datetime(2026, 12, 1, 12, tzinfo=UTC))
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    assert letters.decide(asked, WRITER, "submit", now, submitted_on=date(2026, 12, 8)).status == "submitted"


@pytest.mark.parametrize(
    ("requested_at", "now", "first", "last"),
    [
        # UTC-12 is the earliest today, UTC+14 the latest: the bounds move at 12:00 and 10:00 UTC.
        (datetime(2026, 12, 7, 11, 59, tzinfo=UTC), datetime(2026, 12, 7, 9, 59, tzinfo=UTC), 6, 7),
        (datetime(2026, 12, 7, 12, 0, tzinfo=UTC), datetime(2026, 12, 7, 12, 0, tzinfo=UTC), 7, 8),
        (datetime(2026, 12, 7, 0, 0, tzinfo=UTC), datetime(2026, 12, 7, 10, 0, tzinfo=UTC), 6, 8),
    ],
)
def test_the_upload_day_is_a_day_somewhere_on_earth_from_the_request_to_now(
    requested_at: datetime, now: datetime, first: int, last: int
) -> None:
    asked = asked_at(requested_at)
    for day in (first, last):
        assert letters.decide(asked, WRITER, "submit", now, submitted_on=date(2026, 12, day)).status == "submitted"
    for day in (first - 1, last + 1):
        with pytest.raises(AppError) as exc:
            letters.decide(asked, WRITER, "submit", now, submitted_on=date(2026, 12, day))
        bounds = f"between Dec {first}, 2026 and Dec {last}, 2026"
        assert exc.value.details == [{"field": "submitted_on", "message": bounds}]
        assert bounds in exc.value.message


@pytest.mark.parametrize(
    ("days_left", "key"),
    [(20, None), (14, "writer-14"), (8, "writer-14"), (7, "writer-7"), (2, "writer-2"), (0, "writer-2")],
)
def test_the_writer_is_reminded_at_14_7_and_2_days(days_left: int, key: str | None) -> None:
    expire, notices = letters.due_notices(letter("accepted", deadline_days=days_left), NOW)
    assert not expire
    assert [n.key.rsplit(":", 1)[1] for n in notices if n.key] == ([key] if key else [])


def test_the_student_hears_after_seven_silent_days() -> None:
    assert letters.due_notices(letter(asked_days_ago=6), NOW)[1] == []
    _, notices = letters.due_notices(letter(asked_days_ago=7), NOW)
    assert [n.user_id for n in notices] == [STUDENT]
    assert letters.due_notices(letter("accepted", asked_days_ago=9), NOW)[1] == []


def test_an_open_request_expires_after_its_deadline() -> None:
    expire, notices = letters.due_notices(letter(deadline_days=-1), NOW)
    assert expire and {n.user_id for n in notices} == {STUDENT, WRITER}
    assert letters.due_notices(letter("submitted", deadline_days=-1), NOW) == (False, [])


def test_a_deleted_account_closes_its_open_requests_only() -> None:
    """A deleted writer's open request is declined (the student hears; the index on the
    ERAS Letter ID leaves declined requests out); a deleted student's is withdrawn (the
    writer hears); a request already closed or submitted stays as it is."""
    for status in ("requested", "accepted"):
        by_writer = letters.close_on_deletion(letter(status), WRITER)
        assert by_writer is not None and by_writer.status == "declined"
        assert [(n.user_id, n.kind) for n in by_writer.notices] == [(STUDENT, "letter_declined")]
        by_student = letters.close_on_deletion(letter(status), STUDENT)
        assert by_student is not None and by_student.status == "withdrawn"
        assert [(n.user_id, n.kind) for n in by_student.notices] == [(WRITER, "letter_withdrawn")]
    for status in ("submitted", "confirmed", "declined", "withdrawn", "expired"):
        assert letters.close_on_deletion(letter(status), WRITER) is None
        assert letters.close_on_deletion(letter(status), STUDENT) is None
    with pytest.raises(AppError) as exc:
        letters.close_on_deletion(letter(), STRANGER)
    assert exc.value.code == "not_found"
