"""Endpoints of a mentorship's meetings: either side proposes 1 to 3 times, the other
accepts one or declines; either reschedules, cancels or says it was held. Each change
tells the other side (a notice through messaging)."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.matching import plan_reads
from services.matching.domain import plans
from services.matching.store import plans as plan_store
from shared import clock, subjects
from shared.contracts.mentoring import MeetingAccept, MeetingId, MeetingPropose, MeetingReschedule, Plan
from shared.errors import AppError
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.PROPOSE_MEETING, MeetingPropose)
async def propose_meeting(ctx: Context, req: MeetingPropose) -> Plan:
    actor = ctx.require_actor()
    now = clock.now(ctx.settings)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await plan_reads.mentorship_for(conn, req.mentorship_id, actor.user_id, for_share=True)
        their_zone, _ = await plan_reads.time_zone(conn, plans.other(plan_reads.pair(row), actor.user_id))
        change = plans.propose(plan_reads.pair(row), actor.user_id, list(req.options), now, their_zone=their_zone)
        await plan_reads.refuse_if_blocked(conn, row, actor.user_id)
        # The same proposal again while it is open (a retry, a double click) is the one
        # already made: no second meeting, no second notice.
        same = await plan_store.same_proposal(
            conn,
            row["id"],
            proposed_by=actor.user_id,
            options=change.options,
            duration=req.duration_minutes,
            place=req.place.strip(),
            video_url=req.video_url,
            statuses=plans.OPEN_MEETINGS,
        )
        if same is None:
            await plan_reads.check_free(conn, row, actor.user_id, change.options, req.duration_minutes)
            await plan_store.insert_meeting(
                conn,
                uuid.uuid4(),
                row["id"],
                actor.user_id,
                change.options,
                req.duration_minutes,
                req.place.strip(),
                req.video_url,
            )
            await plan_reads.tell(conn, change.notices, actor.user_id, row["id"])
    return await plan_reads.load_plan(ctx.pool, row, actor.user_id, now)


async def _decide(
    ctx: Context,
    meeting_id: uuid.UUID,
    action: str,
    *,
    chosen: datetime | None = None,
    options: list[datetime] | None = None,
) -> Plan:
    actor = ctx.require_actor()
    now = clock.now(ctx.settings)
    async with ctx.pool.acquire() as conn, conn.transaction():
        # The meeting's mentorship never changes: read unlocked to find it, lock it, then
        # lock the meeting (the end's order: the other way round, the two could deadlock).
        found = await plan_store.meeting(conn, meeting_id)
        if found is None:
            raise plans.MEETING_NOT_FOUND
        try:
            row = await plan_reads.mentorship_for(conn, found["mentorship_id"], actor.user_id, for_share=True)
        except AppError:
            raise plans.MEETING_NOT_FOUND from None
        found = await plan_store.meeting(conn, meeting_id, for_update=True)
        if found is None:
            raise plans.MEETING_NOT_FOUND
        meeting = plans.Meeting(found["status"], found["proposed_by"], tuple(found["options"]), found["starts_at"])
        their_zone, _ = await plan_reads.time_zone(conn, plans.other(plan_reads.pair(row), actor.user_id))
        change = plans.decide_meeting(
            plan_reads.pair(row),
            meeting,
            actor.user_id,
            action,
            now,
            chosen=chosen,
            options=options,
            their_zone=their_zone,
        )
        if action not in plans.MEETING_ACTIONS_UNDER_BLOCK:
            await plan_reads.refuse_if_blocked(conn, row, actor.user_id)
        if change.moves(meeting) and change.status in plans.OPEN_MEETINGS:
            # Times proposed anew or the one accepted: none may overlap the pair's other
            # scheduled meetings (this one's own old time is free to move into).
            # (New times for a scheduled meeting keep its agreed one beside them: the times
            # asked are the new ones.)
            times = change.options if change.status == "proposed" or change.starts_at is None else (change.starts_at,)
            await plan_reads.check_free(
                conn, row, actor.user_id, times, found["duration_minutes"], other_than=meeting_id
            )
        if change.moves(meeting):
            await plan_store.update_meeting(
                conn,
                meeting_id,
                change.status,
                change.proposed_by,
                change.options,
                change.starts_at,
                now if change.held else None,
            )
        await plan_reads.tell(conn, change.notices, actor.user_id, row["id"])
    return await plan_reads.load_plan(ctx.pool, row, actor.user_id, now)


@registry.endpoint(subjects.ACCEPT_MEETING, MeetingAccept)
async def accept_meeting(ctx: Context, req: MeetingAccept) -> Plan:
    return await _decide(ctx, req.meeting_id, "accept", chosen=req.starts_at)


@registry.endpoint(subjects.DECLINE_MEETING, MeetingId)
async def decline_meeting(ctx: Context, req: MeetingId) -> Plan:
    return await _decide(ctx, req.meeting_id, "decline")


@registry.endpoint(subjects.RESCHEDULE_MEETING, MeetingReschedule)
async def reschedule_meeting(ctx: Context, req: MeetingReschedule) -> Plan:
    return await _decide(ctx, req.meeting_id, "reschedule", options=list(req.options))


@registry.endpoint(subjects.CANCEL_MEETING, MeetingId)
async def cancel_meeting(ctx: Context, req: MeetingId) -> Plan:
    return await _decide(ctx, req.meeting_id, "cancel")


@registry.endpoint(subjects.HOLD_MEETING, MeetingId)
async def hold_meeting(ctx: Context, req: MeetingId) -> Plan:
    return await _decide(ctx, req.meeting_id, "held")
