"""The meetings a user's calendar feed holds, read from matching's own tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.matching.handlers.plans import user_meetings
from services.matching.store.plans import FEED_MEETINGS
from shared.contracts.mentoring import UserMeetings
from shared.service import Context
from shared.settings import Settings

STUDENT, MENTOR = uuid.uuid4(), uuid.uuid4()


async def test_the_feed_holds_a_mentors_latest_meetings_past_500(matching: asyncpg.Pool) -> None:
    """The feed read a user's 500 earliest meetings: past 500 (a mentor's few a week over
    two years), their new and upcoming meetings were the ones missing from their calendar.
    It holds the latest 500, in time order."""
    mentorship = uuid.uuid4()
    await matching.execute(
        "INSERT INTO mentorships(id, student_id, mentor_id, status, decided_at) VALUES ($1, $2, $3, 'accepted', now())",
        mentorship,
        STUDENT,
        MENTOR,
    )
    now = datetime.now(UTC).replace(microsecond=0)
    held = [now - timedelta(days=3 * n) for n in range(FEED_MEETINGS, 0, -1)]
    await matching.executemany(
        "INSERT INTO meetings(id, mentorship_id, proposed_by, status, options, starts_at, duration_minutes)"
        " VALUES ($1, $2, $3, $4, ARRAY[$5::timestamptz], $5, 30)",
        [(uuid.uuid4(), mentorship, STUDENT, "held", at) for at in held]
        + [(uuid.uuid4(), mentorship, STUDENT, "scheduled", now + timedelta(days=2))],
    )
    ctx = Context(None, "test", matching, Settings(), None)  # type: ignore[arg-type]
    feed = await user_meetings(ctx, UserMeetings(user_id=MENTOR))
    starts = [item.starts_at for item in feed.items]
    assert len(starts) == FEED_MEETINGS
    assert starts[-1] == now + timedelta(days=2)  # the upcoming one
    assert starts[:-1] == held[1:]  # only the oldest left out
