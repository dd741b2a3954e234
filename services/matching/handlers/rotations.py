"""Endpoints for a student's rotations: only their owner sees or changes them."""

from __future__ import annotations

import uuid

import asyncpg

from services.matching import domain, store, views
from shared import clock, subjects
from shared.contracts.base import Ok
from shared.contracts.matching import (
    MAX_ROTATION_NIGHTS,
    MovedStay,
    MyRotations,
    Rotation,
    RotationCreate,
    RotationId,
    RotationMoved,
    RotationPage,
    RotationUpdate,
)
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()


async def tell_stays_to_shift(conn: Connection, rotation: asyncpg.Record) -> None:
    """The rotation moved: the stays booked for it that no longer match its dates go out
    in one event, which messaging turns into the student's notifications."""
    stays = await store.stays_off_dates(conn, rotation)
    if stays:
        await add(
            conn,
            RotationMoved(
                student_id=rotation["student_id"],
                rotation_id=rotation["id"],
                start_date=rotation["start_date"],
                end_date=rotation["end_date"],
                stays=[MovedStay.model_validate(dict(s)) for s in stays],
            ),
        )


@registry.endpoint(subjects.CREATE_ROTATION, RotationCreate, roles=("student",))
async def create_rotation(ctx: Context, req: RotationCreate) -> Rotation:
    actor = ctx.require_actor()
    domain.check_hospital(req.hospital_id)
    domain.check_rotation_ahead(req.end_date, clock.now(ctx.settings))
    rotation_id = uuid.uuid4()
    fields = req.model_dump()
    async with ctx.pool.acquire() as conn, conn.transaction():
        same = await store.same_rotation(conn, actor.user_id, fields)
        if same is not None:
            return views.to_rotation(domain.repeated_rotation(same, fields))
        await store.insert_rotation(conn, rotation_id, actor.user_id, fields)
        row = await store.rotation(conn, rotation_id)
        assert row is not None
        await add(conn, views.rotation_changed(row))
    return views.to_rotation(row)


@registry.endpoint(subjects.GET_ROTATION, RotationId)
async def get_rotation(ctx: Context, req: RotationId) -> Rotation:
    actor = ctx.require_actor()
    return views.to_rotation(domain.owned(await store.rotation(ctx.pool, req.rotation_id), actor.user_id))


@registry.endpoint(subjects.UPDATE_ROTATION, RotationUpdate)
async def update_rotation(ctx: Context, req: RotationUpdate) -> Rotation:
    actor = ctx.require_actor()
    changes = req.model_dump(exclude_unset=True, exclude={"rotation_id"})
    if "hospital_id" in changes:
        domain.check_hospital(changes["hospital_id"])
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = domain.owned(await store.rotation(conn, req.rotation_id, for_update=True), actor.user_id)
        start = changes.get("start_date", before["start_date"])
        end = changes.get("end_date", before["end_date"])
        if start >= end or (end - start).days > MAX_ROTATION_NIGHTS:
            # Beside the date changed, saying which rule (a start moved 15 months back read
            # "end_date: Not after start_date", as creating one says "at most 366 days").
            field = "start_date" if "end_date" not in changes else "end_date"
            if (end - start).days > MAX_ROTATION_NIGHTS:
                message = f"a rotation is at most {MAX_ROTATION_NIGHTS} days"
            else:
                message = "must be before the end date" if field == "start_date" else "must be after the start date"
            raise AppError(
                "validation",
                f"end_date must be after start_date, at most {MAX_ROTATION_NIGHTS} days later",
                [{"field": field, "message": message}],
            )
        if (start, end) != (before["start_date"], before["end_date"]):
            domain.check_rotation_ahead(end, clock.now(ctx.settings))
        await store.update_rotation(conn, req.rotation_id, changes)
        row = await store.rotation(conn, req.rotation_id)
        assert row is not None
        if changes:
            await add(conn, views.rotation_changed(row))
        if (start, end) != (before["start_date"], before["end_date"]):
            await tell_stays_to_shift(conn, row)
    return views.to_rotation(row)


@registry.endpoint(subjects.DELETE_ROTATION, RotationId)
async def delete_rotation(ctx: Context, req: RotationId) -> Ok:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        domain.owned(await store.rotation(conn, req.rotation_id, for_update=True), actor.user_id)
        await store.delete_rotation(conn, req.rotation_id)
    return Ok()


@registry.endpoint(subjects.MY_ROTATIONS, MyRotations)
async def my_rotations(ctx: Context, req: MyRotations) -> RotationPage:
    actor = ctx.require_actor()
    rows = await store.student_rotations(ctx.pool, actor.user_id, decode_newest_first(req.cursor), req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    items = [views.to_rotation(row) for row in page]
    return RotationPage(items=items, next_cursor=nxt)
