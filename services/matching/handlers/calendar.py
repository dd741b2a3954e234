"""The caller's rotations and mentorship meetings for their private calendar feed (asked
by accounts, as the user)."""

from __future__ import annotations

from services.matching import store
from shared import hospitals, subjects
from shared.contracts.base import Empty
from shared.contracts.calendar import CalendarMeeting, CalendarRotation, CalendarRotations
from shared.service import Context, Registry

registry = Registry()

FEED_LIMIT = 500


@registry.endpoint(subjects.CALENDAR_ROTATIONS, Empty)
async def calendar_rotations(ctx: Context, req: Empty) -> CalendarRotations:
    actor = ctx.require_actor()
    rows = await store.student_rotations(ctx.pool, actor.user_id, None, FEED_LIMIT)
    meetings = await ctx.pool.fetch(
        "SELECT m.id, m.starts_at, m.duration_minutes, m.status, m.place, m.video_url, m.version"
        " FROM meetings m JOIN mentorships s ON s.id = m.mentorship_id"
        " WHERE (s.student_id = $1 OR s.mentor_id = $1) AND m.starts_at IS NOT NULL"
        " ORDER BY m.starts_at DESC LIMIT $2",
        actor.user_id,
        FEED_LIMIT,
    )
    return CalendarRotations(
        meetings=[
            CalendarMeeting(
                meeting_id=m["id"],
                starts_at=m["starts_at"],
                duration_minutes=m["duration_minutes"],
                status=m["status"],
                place=m["place"],
                video_url=m["video_url"],
                version=m["version"],
            )
            for m in meetings
        ],
        items=[
            CalendarRotation(
                rotation_id=row["id"],
                hospital=hospitals.lookup(row["hospital_id"]).name,
                specialty=row["specialty"],
                start_date=row["start_date"],
                end_date=row["end_date"],
                version=row["version"],
            )
            for row in rows
        ],
    )
