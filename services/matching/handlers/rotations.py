"""Endpoints for a student's rotations: only their owner sees or changes them."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.matching import store
from services.matching.app import app
from shared import hospitals, subjects
from shared.contracts.base import Ok
from shared.contracts.matching import (
    MAX_ROTATION_NIGHTS,
    HospitalRef,
    MovedStay,
    MyRotations,
    Rotation,
    RotationChanged,
    RotationCreate,
    RotationId,
    RotationMoved,
    RotationPage,
    RotationUpdate,
)
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, encode_cursor
from shared.service import Context

ROTATION_NOT_FOUND = AppError("not_found", "rotation not found")


def check_hospital(hospital_id: str) -> None:
    """A rotation's hospital must be in the directory: an unknown id is bad input (400)."""
    try:
        hospitals.lookup(hospital_id)
    except AppError:
        raise AppError(
            "validation",
            f"unknown hospital {hospital_id!r}: pick one from GET /hospitals",
            [{"field": "hospital_id", "message": "not in the hospital directory"}],
        ) from None


def to_rotation(row: asyncpg.Record) -> Rotation:
    h = hospitals.lookup(row["hospital_id"])
    return Rotation(
        id=row["id"],
        student_id=row["student_id"],
        hospital=HospitalRef(
            id=h.id, name=h.name, city=h.city, state=h.state, latitude=h.latitude, longitude=h.longitude
        ),
        specialty=row["specialty"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        nights=(row["end_date"] - row["start_date"]).days,
        monthly_budget=row["monthly_budget"],
        room_types=row["room_types"],
        amenities=row["amenities"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


async def owned_rotation(db: store.DB, actor_id: uuid.UUID, rotation_id: uuid.UUID, **kw: Any) -> asyncpg.Record:
    """The caller's rotation; anyone else's is a 404, as if it did not exist."""
    row = await store.rotation(db, rotation_id, **kw)
    if row is None or row["student_id"] != actor_id:
        raise ROTATION_NOT_FOUND
    return row


def changed(rotation: asyncpg.Record) -> RotationChanged:
    return RotationChanged(rotation_id=rotation["id"], student_id=rotation["student_id"], version=rotation["version"])


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


@app.endpoint(subjects.CREATE_ROTATION, RotationCreate)
async def create_rotation(ctx: Context, req: RotationCreate) -> Rotation:
    actor = ctx.require_role("student")
    check_hospital(req.hospital_id)
    rotation_id = uuid.uuid4()
    async with ctx.pool.acquire() as conn, conn.transaction():
        await store.insert_rotation(conn, rotation_id, actor.user_id, req.model_dump())
        row = await store.rotation(conn, rotation_id)
        assert row is not None
        await add(conn, changed(row))
    return to_rotation(row)


@app.endpoint(subjects.GET_ROTATION, RotationId)
async def get_rotation(ctx: Context, req: RotationId) -> Rotation:
    actor = ctx.require_actor()
    return to_rotation(await owned_rotation(ctx.pool, actor.user_id, req.rotation_id))


@app.endpoint(subjects.UPDATE_ROTATION, RotationUpdate)
async def update_rotation(ctx: Context, req: RotationUpdate) -> Rotation:
    actor = ctx.require_actor()
    changes = req.model_dump(exclude_unset=True, exclude={"rotation_id"})
    if "hospital_id" in changes:
        check_hospital(changes["hospital_id"])
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await owned_rotation(conn, actor.user_id, req.rotation_id, for_update=True)
        start = changes.get("start_date", before["start_date"])
        end = changes.get("end_date", before["end_date"])
        if start >= end or (end - start).days > MAX_ROTATION_NIGHTS:
            raise AppError(
                "validation",
                f"end_date must be after start_date, at most {MAX_ROTATION_NIGHTS} days later",
                [{"field": "end_date", "message": "not after start_date"}],
            )
        await store.update_rotation(conn, req.rotation_id, changes)
        row = await store.rotation(conn, req.rotation_id)
        assert row is not None
        if changes:
            await add(conn, changed(row))
        if (start, end) != (before["start_date"], before["end_date"]):
            await tell_stays_to_shift(conn, row)
    return to_rotation(row)


@app.endpoint(subjects.DELETE_ROTATION, RotationId)
async def delete_rotation(ctx: Context, req: RotationId) -> Ok:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        await owned_rotation(conn, actor.user_id, req.rotation_id, for_update=True)
        await store.delete_rotation(conn, req.rotation_id)
    return Ok()


@app.endpoint(subjects.MY_ROTATIONS, MyRotations)
async def my_rotations(ctx: Context, req: MyRotations) -> RotationPage:
    actor = ctx.require_actor()
    rows = await store.student_rotations(ctx.pool, actor.user_id, decode_newest_first(req.cursor), req.limit + 1)
    items = [to_rotation(r) for r in rows[: req.limit]]
    nxt = encode_cursor(items[-1].created_at.isoformat(), items[-1].id) if len(rows) > req.limit else None
    return RotationPage(items=items, next_cursor=nxt)
