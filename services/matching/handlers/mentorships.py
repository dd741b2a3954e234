"""Endpoints for mentorships: a student asks, the mentor accepts (within their capacity)
or declines, either ends it. Each change adds its event, for messaging's notifications."""

from __future__ import annotations

import uuid

import asyncpg

from services.matching import domain, plan_reads, store, views
from shared import blocks, clock, subjects
from shared.contracts.base import Actor
from shared.contracts.matching import (
    Mentorship,
    MentorshipCreate,
    MentorshipId,
    MentorshipPage,
    MentorshipRequested,
    MyMentorships,
)
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()

MENTOR_NOT_FOUND = AppError("not_found", "no professional open to mentoring with this id")


async def _mentorship(ctx: Context, row: asyncpg.Record) -> Mentorship:
    people = await store.profile_fields(ctx.pool, [row["student_id"], row["mentor_id"]])
    if row["status"] == "requested" and row["mentor_id"] in people:
        # Whether the mentor has a place for it (``mentor_full``).
        people[row["mentor_id"]]["mentees"] = (await store.mentees(ctx.pool, [row["mentor_id"]])).get(
            row["mentor_id"], 0
        )
    rotation = await store.rotation(ctx.pool, row["rotation_id"]) if row["rotation_id"] else None
    return views.mentorship(row, people, ctx.require_actor().user_id, rotation)


@registry.endpoint(subjects.REQUEST_MENTORSHIP, MentorshipCreate, roles=("student",))
async def request_mentorship(ctx: Context, req: MentorshipCreate) -> Mentorship:
    # A request opens a conversation with the mentor: the rule for starting one holds.
    actor = ctx.require_verified_email()
    mentor = await store.profile(ctx.pool, req.mentor_id)
    if not mentor or mentor.get("role") != "professional" or not mentor.get("open_to_mentoring"):
        raise MENTOR_NOT_FOUND
    # A block either way (messaging's, projected here) stops the request and its words.
    await blocks.refuse_if_blocked(ctx.pool, actor.user_id, req.mentor_id)
    mentorship_id = uuid.uuid4()
    async with ctx.pool.acquire() as conn, conn.transaction():
        if req.rotation_id is not None:
            rotation = domain.owned(await store.rotation(conn, req.rotation_id), actor.user_id)
            domain.check_rotation_not_over(rotation, clock.now(ctx.settings))
        limits = ctx.settings
        recent = await store.recent_requests(conn, actor.user_id, limits.mentorship_request_window_s)
        domain.refuse_over_request_limits(
            recent,
            req.mentor_id,
            limits.mentorship_request_window_s,
            limits.mentorship_requests_per_mentor,
            limits.mentorship_requests_per_student,
        )
        await store.insert_mentorship(conn, mentorship_id, actor.user_id, req.mentor_id, req.rotation_id, req.message)
        row = await store.mentorship(conn, mentorship_id)
        assert row is not None
        await add(conn, MentorshipRequested(mentorship=views.mentorship_data(row)))
    return await _mentorship(ctx, row)


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
        await add(conn, transition.event(views.mentorship_data(updated)))
        if transition.ends_meetings:
            await plan_reads.end_meetings(conn, row, actor.user_id)
        await store.bump_epoch(conn)  # a seat taken or freed: mentor rankings change
    return await _mentorship(ctx, updated)


async def _check_capacity(conn: Connection, actor: Actor, mentor_id: uuid.UUID) -> None:
    profile = await store.profile(conn, mentor_id) or {}
    domain.check_capacity(
        domain.mentoring_capacity(profile),
        await store.accepted_mentees(conn, mentor_id),
        open_to_mentoring=bool(profile.get("open_to_mentoring")),
    )


@registry.endpoint(subjects.ACCEPT_MENTORSHIP, MentorshipId)
async def accept_mentorship(ctx: Context, req: MentorshipId) -> Mentorship:
    return await _transition(ctx, req.mentorship_id, "accept")


@registry.endpoint(subjects.DECLINE_MENTORSHIP, MentorshipId)
async def decline_mentorship(ctx: Context, req: MentorshipId) -> Mentorship:
    return await _transition(ctx, req.mentorship_id, "decline")


@registry.endpoint(subjects.END_MENTORSHIP, MentorshipId)
async def end_mentorship(ctx: Context, req: MentorshipId) -> Mentorship:
    return await _transition(ctx, req.mentorship_id, "end")


@registry.endpoint(subjects.MY_MENTORSHIPS, MyMentorships)
async def my_mentorships(ctx: Context, req: MyMentorships) -> MentorshipPage:
    actor = ctx.require_actor()
    after = decode_newest_first(req.cursor)
    rows = await store.user_mentorships(ctx.pool, actor.user_id, req.role, req.status, after, req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    items = [await _mentorship(ctx, row) for row in page]
    return MentorshipPage(items=items, next_cursor=nxt)
