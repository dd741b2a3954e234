"""The caller's rotations for their private calendar feed (asked by accounts, as the user)."""

from __future__ import annotations

import asyncpg

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
    return CalendarRotations(items=[_rotation(row) for row in rows])


def _rotation(row: asyncpg.Record) -> CalendarRotation:
    hospital = hospitals.lookup(row["hospital_id"])
    name = wording.hospital_name(hospital.name)
    return CalendarRotation(
        rotation_id=row["id"],
        hospital=name,
        specialty=row["specialty"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        version=row["version"],
        # What a map looks up: the hospital, then its town (the registry's capitals, cased).
        place=f"{name}, {wording.hospital_name(hospital.city)}, {hospital.state} {hospital.zip}",
        latitude=hospital.latitude,
        longitude=hospital.longitude,
    )
