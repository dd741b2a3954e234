"""Endpoints for mentorships: a student asks, the mentor accepts (within their capacity)
or declines, either ends it. Each change adds its event, for messaging's notifications."""

from __future__ import annotations

import uuid

import asyncpg

from services.matching import domain, store
from services.matching.app import app
from services.matching.handlers.rotations import owned_rotation
from shared import subjects
from shared.contracts.base import Actor
from shared.contracts.matching import (
    Mentorship,
    MentorshipCreate,
    MentorshipData,
    MentorshipId,
    MentorshipPage,
    MentorshipRequested,
    MyMentorships,
)
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, encode_cursor
from shared.service import Context

MENTOR_NOT_FOUND = AppError("not_found", "no professional open to mentoring with this id")


def mentorship_data(row: asyncpg.Record) -> MentorshipData:
    return MentorshipData(
        mentorship_id=row["id"],
        version=row["version"],
        student_id=row["student_id"],
        mentor_id=row["mentor_id"],
        rotation_id=row["rotation_id"],
        status=row["status"],
        message=row["message"],
    )


async def to_mentorship(db: store.DB, row: asyncpg.Record, viewer: uuid.UUID) -> Mentorship:
    people = await store.profile_fields(db, [row["student_id"], row["mentor_id"]])

    def person(user_id: uuid.UUID) -> dict[str, object]:
        data = people.get(user_id) or {}
        return {"id": user_id, "display_name": data.get("display_name"), "verified": bool(data.get("verified"))}

    return Mentorship.model_validate(
        {
            **{k: row[k] for k in ("id", "rotation_id", "status", "message", "created_at", "decided_at", "ended_at")},
            "student": person(row["student_id"]),
            "mentor": person(row["mentor_id"]),
            "role": "mentor" if viewer == row["mentor_id"] else "student",
        }
    )


@app.endpoint(subjects.REQUEST_MENTORSHIP, MentorshipCreate)
async def request_mentorship(ctx: Context, req: MentorshipCreate) -> Mentorship:
    actor = ctx.require_role("student")
    mentor = await store.profile(ctx.pool, req.mentor_id)
    if not mentor or mentor.get("role") != "professional" or not mentor.get("open_to_mentoring"):
        raise MENTOR_NOT_FOUND
    mentorship_id = uuid.uuid4()
    async with ctx.pool.acquire() as conn, conn.transaction():
        if req.rotation_id is not None:
            await owned_rotation(conn, actor.user_id, req.rotation_id)
        await store.insert_mentorship(conn, mentorship_id, actor.user_id, req.mentor_id, req.rotation_id, req.message)
        row = await store.mentorship(conn, mentorship_id)
        assert row is not None
        await add(conn, MentorshipRequested(mentorship=mentorship_data(row)))
    return await to_mentorship(ctx.pool, row, actor.user_id)


async def _transition(ctx: Context, mentorship_id: uuid.UUID, action: str) -> Mentorship:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await store.mentorship(conn, mentorship_id)
        if found is None:
            raise domain.MENTORSHIP_NOT_FOUND
        # The mentor's lock first, then the row: every accept of one mentor queues here.
        await store.lock_mentor(conn, found["mentor_id"])
        row = await store.mentorship(conn, mentorship_id, for_update=True)
        assert row is not None
        view = domain.MentorshipView(row["student_id"], row["mentor_id"], row["status"])
        transition = domain.decide(view, actor, action)
        if transition.takes_seat:
            await _check_capacity(conn, actor, row["mentor_id"])
        updated = await store.set_mentorship_status(conn, mentorship_id, transition.status)
        await add(conn, transition.event(mentorship_data(updated)))
        await store.bump_epoch(conn)  # a seat taken or freed: mentor rankings change
    return await to_mentorship(ctx.pool, updated, actor.user_id)


async def _check_capacity(conn: Connection, actor: Actor, mentor_id: uuid.UUID) -> None:
    capacity = domain.mentoring_capacity(await store.profile(conn, mentor_id) or {})
    domain.check_capacity(capacity, await store.accepted_mentees(conn, mentor_id))


@app.endpoint(subjects.ACCEPT_MENTORSHIP, MentorshipId)
async def accept_mentorship(ctx: Context, req: MentorshipId) -> Mentorship:
    return await _transition(ctx, req.mentorship_id, "accept")


@app.endpoint(subjects.DECLINE_MENTORSHIP, MentorshipId)
async def decline_mentorship(ctx: Context, req: MentorshipId) -> Mentorship:
    return await _transition(ctx, req.mentorship_id, "decline")


@app.endpoint(subjects.END_MENTORSHIP, MentorshipId)
async def end_mentorship(ctx: Context, req: MentorshipId) -> Mentorship:
    return await _transition(ctx, req.mentorship_id, "end")


@app.endpoint(subjects.MY_MENTORSHIPS, MyMentorships)
async def my_mentorships(ctx: Context, req: MyMentorships) -> MentorshipPage:
    actor = ctx.require_actor()
    after = decode_newest_first(req.cursor)
    rows = await store.user_mentorships(ctx.pool, actor.user_id, req.role, req.status, after, req.limit + 1)
    items = [await to_mentorship(ctx.pool, r, actor.user_id) for r in rows[: req.limit]]
    nxt = encode_cursor(items[-1].created_at.isoformat(), items[-1].id) if len(rows) > req.limit else None
    return MentorshipPage(items=items, next_cursor=nxt)
