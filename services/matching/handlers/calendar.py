"""The caller's rotations for their private calendar feed (asked by accounts, as the user)."""

from __future__ import annotations

from services.matching import store
from services.matching.engine import wording
from shared import hospitals, subjects
from shared.contracts.base import Empty
from shared.contracts.calendar import CalendarRotation, CalendarRotations
from shared.service import Context, Registry

registry = Registry()

FEED_LIMIT = 500


@registry.endpoint(subjects.CALENDAR_ROTATIONS, Empty)
async def calendar_rotations(ctx: Context, req: Empty) -> CalendarRotations:
    actor = ctx.require_actor()
    rows = await store.student_rotations(ctx.pool, actor.user_id, None, FEED_LIMIT)
    return CalendarRotations(
        items=[
            CalendarRotation(
                rotation_id=row["id"],
                hospital=wording.hospital_name(hospitals.lookup(row["hospital_id"]).name),
                specialty=row["specialty"],
                start_date=row["start_date"],
                end_date=row["end_date"],
                version=row["version"],
            )
            for row in rows
        ]
    )
