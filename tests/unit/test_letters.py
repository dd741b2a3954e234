"""Pure rules of letters of recommendation: the request's checks, who does what when,
and the reminders owed at a given time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

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


def test_the_letter_from_request_to_confirmation() -> None:
    accepted = letters.decide(letter(), WRITER, "accept", TODAY)
    assert accepted.status == "accepted" and accepted.notices[0].user_id == STUDENT
    submitted = letters.decide(letter("accepted"), WRITER, "submit", TODAY)
    assert submitted.status == "submitted" and submitted.submitted_on == TODAY
    confirmed = letters.decide(letter("submitted"), STUDENT, "confirm", TODAY)
    assert confirmed.status == "confirmed" and confirmed.notices[0].user_id == WRITER


def test_each_step_belongs_to_one_party_and_one_status() -> None:
    wrong_party = [("requested", STUDENT, "accept"), ("accepted", STUDENT, "submit"), ("submitted", WRITER, "confirm")]
    for status, who, action in wrong_party:
        with pytest.raises(AppError) as exc:
            letters.decide(letter(status), who, action, TODAY)
        assert exc.value.code == "forbidden", (status, action)
    wrong_status = [("accepted", WRITER, "accept"), ("requested", WRITER, "submit"), ("expired", STUDENT, "withdraw")]
    for status, who, action in wrong_status:
        with pytest.raises(AppError) as exc:
            letters.decide(letter(status), who, action, TODAY)
        assert exc.value.code == "conflict", (status, action)
    with pytest.raises(AppError) as exc:
        letters.decide(letter(), STRANGER, "accept", TODAY)
    assert exc.value.code == "not_found"
    assert letters.decide(letter("accepted"), STUDENT, "withdraw", TODAY).status == "withdrawn"


def test_an_upload_date_lies_between_request_and_today() -> None:
    asked = letter("accepted", asked_days_ago=5)
    assert letters.decide(asked, WRITER, "submit", TODAY, submitted_on=TODAY - timedelta(days=2)).submitted_on
    for day in (TODAY + timedelta(days=1), TODAY - timedelta(days=6)):
        with pytest.raises(AppError):
            letters.decide(asked, WRITER, "submit", TODAY, submitted_on=day)


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
