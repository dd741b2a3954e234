"""Whom a student may ask for a letter, read from matching's own tables and projections:
their mentor (accepted, or ended after it was), or the host of a stay they completed;
nobody else: not a professional whose request the student withdrew before an answer."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from services.matching import jobs, store
from services.matching.handlers.letters import accept_letter, request_letter
from services.matching.store import letters as letter_store
from shared import subjects
from shared.contracts.base import Actor
from shared.contracts.letters import LetterCreate, LetterRef
from shared.contracts.listings import BookingData, ListingData
from shared.dates import written
from shared.serving import Context
from shared.settings import Settings

STUDENT, MENTOR, HOST, STRANGER = (uuid.uuid4() for _ in range(4))


async def stay(pool: asyncpg.Pool, status: str) -> None:
    listing_id = uuid.uuid4()
    listing = ListingData(
        listing_id=listing_id,
        version=1,
        host_id=HOST,
        title="Room",
        room_type="private_room",
        latitude=39.3,
        longitude=-76.6,
        monthly_rent=1000,
        amenities=[],
        available_from=date(2026, 1, 1),
        available_to=date(2026, 12, 31),
        min_stay_nights=14,
        status="active",
    )
    booking = BookingData(
        booking_id=uuid.uuid4(),
        version=1,
        listing_id=listing_id,
        guest_id=STUDENT,
        host_id=HOST,
        check_in=date(2026, 3, 1),
        check_out=date(2026, 3, 29),
        status=status,  # type: ignore[arg-type]
        total_cents=90000,
    )
    async with pool.acquire() as conn:
        await store.project_listing(conn, listing)
        await store.project_booking(conn, booking)


async def test_mentors_and_hosts_of_completed_stays_may_be_asked(matching: asyncpg.Pool) -> None:
    async with matching.acquire() as conn:
        mentorship_id = uuid.uuid4()
        await store.insert_mentorship(conn, mentorship_id, STUDENT, MENTOR, None, "")
        assert await letter_store.knows(conn, STUDENT, MENTOR) is None  # only requested
        await store.set_mentorship_status(conn, mentorship_id, "accepted")
        link = await letter_store.knows(conn, STUDENT, MENTOR)
        assert link is not None and link["via"] == "mentorship" and link["mentorship_id"] == mentorship_id
        await store.set_mentorship_status(conn, mentorship_id, "ended")
        assert await letter_store.knows(conn, STUDENT, MENTOR) is not None  # a past mentor still knows them
        assert await letter_store.knows(conn, MENTOR, STUDENT) is None  # the other way round: no
    await stay(matching, "accepted")
    assert await letter_store.knows(matching, STUDENT, HOST) is None  # not stayed yet
    await stay(matching, "completed")
    link = await letter_store.knows(matching, STUDENT, HOST)
    assert link is not None and link["via"] == "stay"
    assert await letter_store.knows(matching, STUDENT, STRANGER) is None


async def test_a_request_withdrawn_before_an_answer_makes_no_letter_writer(matching: asyncpg.Pool) -> None:
    """Asking for mentorship and withdrawing before an answer leaves an 'ended' mentorship
    the professional never accepted: it counted as "your mentor", so any student could
    reach any professional's letter queue. It no longer does, nor is it listed as ended."""
    async with matching.acquire() as conn:
        withdrawn, declined = uuid.uuid4(), uuid.uuid4()
        await store.insert_mentorship(conn, withdrawn, STUDENT, MENTOR, None, "")
        await store.set_mentorship_status(conn, withdrawn, "ended")
        await store.insert_mentorship(conn, declined, STUDENT, MENTOR, None, "")
        await store.set_mentorship_status(conn, declined, "declined")
        assert await letter_store.knows(conn, STUDENT, MENTOR) is None
        # The letter form reads "your mentors, past and present" from these two lists.
        for status in ("accepted", "ended"):
            assert await store.user_mentorships(conn, STUDENT, "student", status, None, 10) == []
        everything = await store.user_mentorships(conn, STUDENT, "student", None, None, 10)
        assert {row["id"] for row in everything} == {withdrawn, declined}  # still in the full list
        # Accepted, then ended: a past mentor, who may be asked and is listed as ended.
        past = uuid.uuid4()
        await store.insert_mentorship(conn, past, STUDENT, MENTOR, None, "")
        await store.set_mentorship_status(conn, past, "accepted")
        await store.set_mentorship_status(conn, past, "ended")
        link = await letter_store.knows(conn, STUDENT, MENTOR)
        assert link is not None and link["mentorship_id"] == past
        ended = await store.user_mentorships(conn, STUDENT, "student", "ended", None, 10)
        assert [row["id"] for row in ended] == [past]


async def test_the_letter_sweep_reaches_past_the_first_500_open_requests(matching: asyncpg.Pool) -> None:
    """The sweep read the 500 open requests with the nearest deadlines and no more: past
    500 open requests, one further out was never reminded nor expired. It walks them all."""
    now = datetime(2027, 1, 10, 12, tzinfo=UTC)
    # 500 accepted requests due in 60 days: nothing to say about them yet.
    await matching.execute(
        "INSERT INTO letters(id, student_id, writer_id, specialty, programs, deadline, application, waived, status,"
        " requested_at) SELECT gen_random_uuid(), $1, $2, 'Pediatrics', 1, $3, 'other', false, 'accepted', $4"
        " FROM generate_series(1, 500)",
        STUDENT,
        MENTOR,
        date(2027, 3, 11),
        now - timedelta(days=1),
    )
    # Unanswered for 8 days, due in 90: the student is owed a reminder.
    silent = uuid.uuid4()
    await matching.execute(
        "INSERT INTO letters(id, student_id, writer_id, specialty, programs, deadline, application, waived, status,"
        " requested_at) VALUES ($1, $2, $3, 'Surgery', 1, $4, 'other', false, 'requested', $5)",
        silent,
        STUDENT,
        MENTOR,
        date(2027, 4, 10),
        now - timedelta(days=8),
    )
    assert await jobs.sweep_letters(matching, now) == 1
    sent = await matching.fetch("SELECT key FROM notices_sent")
    assert [row["key"] for row in sent] == [f"letter:{silent}:student-silent"]
    assert await jobs.sweep_letters(matching, now) == 0  # once


async def test_a_letters_notice_names_its_side_until_matching_holds_the_name(matching: asyncpg.Pool) -> None:
    """Matching prefixes a letter's notice with its actor's name from its projection of
    profiles; a student who asked before it held theirs (just signed up) was "Someone asked
    you for a letter". It says who they are to the reader: a student, the letter writer."""
    student, mentor = uuid.uuid4(), uuid.uuid4()
    async with matching.acquire() as conn:
        mentorship_id = uuid.uuid4()
        await store.insert_mentorship(conn, mentorship_id, student, mentor, None, "")
        await store.set_mentorship_status(conn, mentorship_id, "accepted")

    def as_user(user_id: uuid.UUID, role: str) -> Context:
        return Context(Actor(user_id=user_id, role=role), "test", matching, Settings(), None)  # type: ignore[arg-type]

    ask = LetterCreate.model_validate(
        {
            "writer_id": str(mentor),
            "specialty": "Cardiology",
            "deadline": str(date.today() + timedelta(days=40)),
            "application": "other",
            "waived": True,
        }
    )
    letter = await request_letter(as_user(student, "student"), ask)
    await accept_letter(as_user(mentor, "professional"), LetterRef(letter_id=letter.id))
    told = [
        json.loads(row["payload"])["text"]
        for row in await matching.fetch(
            "SELECT payload FROM outbox WHERE subject = $1 AND convert_from(payload, 'UTF8')::jsonb->>'letter_id' = $2"
            " ORDER BY created_at",
            subjects.MENTORING_NOTICE,
            str(letter.id),
        )
    ]
    assert told == [
        f"A student asked you for a letter of recommendation (Cardiology), due {written(ask.deadline)}",
        "Your letter writer accepted your letter request",
    ]
