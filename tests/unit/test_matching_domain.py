"""Pure rules of the matching service: mentorship transitions, the events they cause,
capacity, and engine inputs from projection rows."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from services.matching import domain
from shared.contracts.base import Actor
from shared.contracts.matching import MentorshipAccepted, MentorshipData, MentorshipDeclined, MentorshipEnded
from shared.errors import AppError

STUDENT, MENTOR, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def view(status: str = "requested") -> domain.MentorshipView:
    return domain.MentorshipView(STUDENT, MENTOR, status)  # type: ignore[arg-type]


def actor(user: uuid.UUID) -> Actor:
    return Actor(user_id=user, role="student" if user == STUDENT else "professional")


def stored(status: str) -> MentorshipData:
    return MentorshipData(
        mentorship_id=uuid.uuid4(),
        version=2,
        student_id=STUDENT,
        mentor_id=MENTOR,
        status=status,  # type: ignore[arg-type]
    )


def test_only_the_mentor_accepts_or_declines_and_accepting_takes_a_seat() -> None:
    accept = domain.decide(view(), actor(MENTOR), "accept")
    assert accept.status == "accepted" and accept.takes_seat
    assert isinstance(accept.event(stored("accepted")), MentorshipAccepted)
    decline = domain.decide(view(), actor(MENTOR), "decline")
    assert decline.status == "declined" and not decline.takes_seat
    assert isinstance(decline.event(stored("declined")), MentorshipDeclined)
    with pytest.raises(AppError) as err:
        domain.decide(view(), actor(STUDENT), "accept")
    assert err.value.code == "forbidden"
    with pytest.raises(AppError) as err:
        domain.decide(view(), actor(OTHER), "decline")
    assert err.value.code == "not_found"
    with pytest.raises(AppError) as err:
        domain.decide(view("declined"), actor(MENTOR), "accept")
    assert err.value.code == "conflict"


def test_ending_a_request_or_a_mentorship() -> None:
    """The student withdraws a request; either side ends an accepted mentorship, which
    ends its open meetings too (accepting or declining leaves them)."""
    withdraw = domain.decide(view(), actor(STUDENT), "end")
    event = withdraw.event(stored("ended"))
    assert withdraw.status == "ended" and isinstance(event, MentorshipEnded) and event.ended_by == STUDENT
    assert event.withdrawn  # a request, never accepted: messaging says "withdrew", not "ended"
    ended = domain.decide(view("accepted"), actor(MENTOR), "end")
    assert ended.status == "ended" and ended.ends_meetings
    ran = ended.event(stored("ended"))
    assert isinstance(ran, MentorshipEnded) and not ran.withdrawn
    assert not any(domain.decide(view(), actor(MENTOR), action).ends_meetings for action in ("accept", "decline"))
    with pytest.raises(AppError) as err:
        domain.decide(view(), actor(MENTOR), "end")  # the mentor declines instead
    assert err.value.code == "conflict"
    with pytest.raises(AppError):
        domain.decide(view("ended"), actor(STUDENT), "end")


def test_a_deleted_account_ends_its_open_mentorships() -> None:
    """Asked or accepted, by either side: ended by the deleted user, with the event a
    normal end causes; a declined or ended one stays as it is."""
    for status in ("requested", "accepted"):
        for gone in (STUDENT, MENTOR):
            transition = domain.end_on_deletion(view(status), gone)
            if status == "requested" and gone == MENTOR:
                # Declined, as the mentor's own answer (it read "ended your mentorship").
                assert transition is not None and transition.status == "declined" and not transition.takes_seat
                assert isinstance(transition.event(stored("declined")), MentorshipDeclined)
                continue
            assert transition is not None and transition.status == "ended" and not transition.takes_seat
            event = transition.event(stored("ended"))
            assert isinstance(event, MentorshipEnded) and event.ended_by == gone
            # A deleted student's unanswered request reads "withdrew", as the student's own.
            assert event.withdrawn == (status == "requested" and gone == STUDENT)
    for status in ("declined", "ended"):
        assert domain.end_on_deletion(view(status), STUDENT) is None
    with pytest.raises(AppError) as err:
        domain.end_on_deletion(view("accepted"), OTHER)
    assert err.value.code == "not_found"


def test_capacity() -> None:
    domain.check_capacity(3, 2)
    for capacity, accepted in ((3, 3), (0, 0), (1, 5)):
        with pytest.raises(AppError) as err:
            domain.check_capacity(capacity, accepted)
        assert err.value.code == "conflict"


def test_a_mentor_at_capacity_reads_what_frees_a_place() -> None:
    """The mentor presses Accept: the 409 spoke of them in the third person ("This mentor
    has no capacity left (2 mentees)") and said nothing of what to do."""
    with pytest.raises(AppError) as err:
        domain.check_capacity(2, 2)
    assert err.value.message == (
        "You have no places left (2 of 2 taken): raise your mentoring capacity on your profile,"
        " or end a mentorship, to accept another"
    )
    assert err.value.details == {"capacity": 2, "taken": 2}
    with pytest.raises(AppError) as err:
        domain.check_capacity(1, 3)  # capacity lowered below the mentees taken
    assert err.value.message.startswith("You have no places left (3 of 1 taken)")
    with pytest.raises(AppError) as err:
        domain.check_capacity(0, 0, open_to_mentoring=False)
    assert err.value.message.startswith("You are not open to mentoring")


def test_the_same_rotation_again_is_the_one_there_unless_its_wishes_differ() -> None:
    existing = {"id": uuid.uuid4(), "monthly_budget": 1500, "room_types": ["private_room", "studio"], "amenities": []}
    wanted = {"monthly_budget": 1500, "room_types": ["studio", "private_room"], "amenities": []}
    assert domain.repeated_rotation(existing, wanted) is existing
    for change in ({"monthly_budget": None}, {"room_types": ["studio"]}, {"amenities": ["wifi"]}):
        with pytest.raises(AppError) as exc:
            domain.repeated_rotation(existing, wanted | change)
        assert exc.value.code == "conflict" and exc.value.details == {"id": str(existing["id"])}, change


def test_engine_inputs_from_projection_rows() -> None:
    """A profile nobody has described yet is a blank one, never an error."""
    blank = domain.profile_input(STUDENT, None)
    assert blank.id == str(STUDENT) and not blank.specialties and blank.mentoring_capacity == 0
    full = domain.profile_input(
        MENTOR, {"specialties": ["cardiology"], "open_to_mentoring": True, "mentoring_capacity": 2, "languages": None}
    )
    assert full.specialties == {"cardiology"} and full.open_to_mentoring and full.mentoring_capacity == 2
    row = {
        "listing_id": uuid.uuid4(),
        "host_id": MENTOR,
        "latitude": 39.3,
        "longitude": -76.6,
        "monthly_rent": 1000,
        "room_type": "private_room",
        "available_from": date(2027, 1, 1),
        "available_to": date(2027, 6, 1),
        "min_stay_nights": 7,
        "amenities": ["wifi"],
        "review_average": None,
        "review_count": 0,
        "photo_count": 3,
        "cover": None,
    }
    stays = [(date(2027, 3, 10), date(2027, 3, 20)), (date(2027, 2, 1), date(2027, 2, 5))]
    listing = domain.listing_input(row, {"specialties": ["cardiology"]}, stays)
    assert listing.booked == tuple(sorted(stays)) and listing.host.specialties == {"cardiology"}


def test_a_ranking_is_best_first_with_ties_by_id() -> None:
    """Rankings keep ids as numpy halves: the order is still (-score, id as text), as the
    engine's rank_rooms orders, and best() stops at the threshold or the count."""
    import random
    import uuid

    import numpy as np

    from services.matching.ranking import _ordered

    rng = random.Random(7)
    ids = [uuid.UUID(int=rng.getrandbits(128)) for _ in range(300)]
    scores = np.array([rng.choice([0.2, 0.5, 0.5, 0.8, 0.9]) for _ in ids])
    ranking = _ordered("rooms", ids, scores)
    expected = sorted(zip(scores.tolist(), ids, strict=True), key=lambda p: (-p[0], str(p[1])))
    assert ranking.ids_at(0) == [i for _, i in expected]
    assert ranking.scores.tolist() == [s for s, _ in expected] and len(ranking) == 300
    over = sum(1 for s in scores.tolist() if s >= 0.8)
    assert ranking.best(0.8, 1000) == [i for _, i in expected][:over]
    assert ranking.best(0.8, 3) == [i for _, i in expected][:3]
    assert len(_ordered("mentors", [], np.empty(0))) == 0


@pytest.mark.parametrize(
    ("now", "first_end"),
    [
        # 11:59 UTC on Dec 7 is still Dec 6 at UTC-12: a rotation ending Dec 7 is not over there.
        (datetime(2026, 12, 7, 11, 59, tzinfo=UTC), date(2026, 12, 7)),
        (datetime(2026, 12, 7, 12, 0, tzinfo=UTC), date(2026, 12, 8)),
        (datetime(2026, 12, 7, 23, 0, tzinfo=UTC), date(2026, 12, 8)),
    ],
)
def test_a_rotation_created_or_moved_ends_after_today_anywhere(now: datetime, first_end: date) -> None:
    """A rotation already over was accepted, then offered rooms and mentors; the earliest
    today on Earth (UTC-12) decides, so nobody is refused one that ends tomorrow for them."""
    domain.check_rotation_ahead(first_end, now)
    with pytest.raises(AppError) as err:
        domain.check_rotation_ahead(date.fromordinal(first_end.toordinal() - 1), now)
    assert err.value.code == "validation"
    assert err.value.details == [{"field": "end_date", "message": "Must be after today."}]
    assert f"{first_end:%b} {first_end.day}, {first_end.year} or later" in err.value.message


def test_a_mentorship_request_names_no_rotation_that_is_over() -> None:
    """The rule of a rotation's dates: one that ended on or before today (at UTC-12)."""
    now = datetime(2026, 12, 7, 11, tzinfo=UTC)  # Dec 6, 11 PM at UTC-12
    domain.check_rotation_not_over({"end_date": date(2026, 12, 7)}, now)
    with pytest.raises(AppError) as err:
        domain.check_rotation_not_over({"end_date": date(2026, 12, 6)}, now)
    assert err.value.code == "validation"
    assert err.value.details == [{"field": "rotation_id", "message": "this rotation is over (it ended on Dec 6, 2026)"}]
