"""Endpoints of a mentorship's plan: read it, goals, notes, check-ins; each person's
mentoring settings; operators' stalled pairs; the calendar's meetings of a user.

Only the student and the mentor of a mentorship see its plan (anyone else: 404); private
notes and check-in answers are their author's alone.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from pydantic import MISSING

from services.matching import plan_reads, store
from services.matching.domain import outcomes, plans
from services.matching.store import outcomes as outcome_store
from services.matching.store import plans as plan_store
from services.matching.views import plans as plan_views
from shared import clock, hospitals, subjects, timezones
from shared.contracts.base import Empty
from shared.contracts.mentoring import (
    CalendarMeetings,
    CheckInCreate,
    GoalCreate,
    GoalUpdate,
    MeetingsToAnswer,
    MeetingsToAnswerRequest,
    MeetingToAnswer,
    MentoringSettings,
    NoteCreate,
    Outcomes,
    OutcomesRequest,
    Plan,
    PlanId,
    SettingsUpdate,
    StalledPair,
    StalledPairs,
    StalledPairsRequest,
    UserMeetings,
)
from shared.errors import AppError
from shared.paging import decode_key, instant, next_page, row_id
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.GET_PLAN, PlanId)
async def get_plan(ctx: Context, req: PlanId) -> Plan:
    actor = ctx.require_actor()
    row = await plan_reads.mentorship_for(ctx.pool, req.mentorship_id, actor.user_id)
    return await plan_reads.load_plan(ctx.pool, row, actor.user_id, clock.now(ctx.settings))


@registry.endpoint(subjects.ADD_GOAL, GoalCreate)
async def add_goal(ctx: Context, req: GoalCreate) -> Plan:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await plan_reads.mentorship_for(conn, req.mentorship_id, actor.user_id, for_share=True)
        plans.check_writable(plan_reads.pair(row), actor.user_id)
        await plan_reads.refuse_if_blocked(conn, row, actor.user_id)
        title = plans.clean_text(req.title, "title")
        measure = plans.clean_text(req.measure, "measure", required=False)
        plans.check_target_date(req.target_date, clock.now(ctx.settings).date())
        # The same goal again while it is open (a retry, a double click, a second tab) is
        # the one already added: the plan is the answer, with no second goal.
        same = await plan_store.same_open_goal(conn, row["id"], actor.user_id, title)
        if same is not None:
            plans.repeated_goal(same, measure, req.target_date)
        else:
            await plan_store.insert_goal(conn, row["id"], actor.user_id, title, measure, req.target_date)
            notice = plans.goal_added(plan_reads.pair(row), actor.user_id)
            await plan_reads.tell(conn, [notice], actor.user_id, row["id"])
    return await plan_reads.load_plan(ctx.pool, row, actor.user_id, clock.now(ctx.settings))


@registry.endpoint(subjects.UPDATE_GOAL, GoalUpdate)
async def update_goal(ctx: Context, req: GoalUpdate) -> Plan:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        # The mentorship first, then the goal (the order every plan write locks in).
        goal = await plan_store.goal(conn, req.goal_id)
        if goal is None:
            raise plans.GOAL_NOT_FOUND
        try:
            row = await plan_reads.mentorship_for(conn, goal["mentorship_id"], actor.user_id, for_share=True)
        except AppError:
            raise plans.GOAL_NOT_FOUND from None
        goal = await plan_store.goal(conn, req.goal_id, for_update=True)
        if goal is None:
            raise plans.GOAL_NOT_FOUND
        plans.check_writable(plan_reads.pair(row), actor.user_id)
        await plan_reads.refuse_if_blocked(conn, row, actor.user_id)
        changes: dict[str, Any] = {}
        if req.title is not MISSING:
            changes["title"] = plans.clean_text(req.title, "title")
        if req.measure is not MISSING:
            changes["measure"] = plans.clean_text(req.measure, "measure", required=False)
        if req.target_date is not MISSING:
            changes["target_date"] = plans.check_target_date(req.target_date, clock.now(ctx.settings).date())
        if req.status is not MISSING:
            changes["status"] = req.status
        await plan_store.update_goal(conn, goal["id"], changes)
        notices = plans.goal_changed(plan_reads.pair(row), actor.user_id, goal, changes)
        await plan_reads.tell(conn, notices, actor.user_id, row["id"])
    return await plan_reads.load_plan(ctx.pool, row, actor.user_id, clock.now(ctx.settings))


@registry.endpoint(subjects.ADD_NOTE, NoteCreate)
async def add_note(ctx: Context, req: NoteCreate) -> Plan:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await plan_reads.mentorship_for(conn, req.mentorship_id, actor.user_id, for_share=True)
        plans.check_writable(plan_reads.pair(row), actor.user_id)
        if not req.private:  # a private note reaches nobody: a block leaves it alone
            await plan_reads.refuse_if_blocked(conn, row, actor.user_id)
        if req.meeting_id is not None:
            meeting = await plan_store.meeting(conn, req.meeting_id)
            if meeting is None or meeting["mentorship_id"] != row["id"]:
                raise plans.MEETING_NOT_FOUND
        elif not req.private:
            raise AppError(
                "validation",
                "a shared note belongs to a meeting: give its meeting_id, or make the note private",
                [{"field": "meeting_id", "message": "Choose the meeting a shared note is about."}],
            )
        body = plans.clean_text(req.body, "body")
        # The same note again a moment later (a retry, a double click, a second tab) is the
        # one already written: the plan is the answer, with no second note.
        window = plans.NOTE_REPEAT_WINDOW.total_seconds()
        same = await plan_store.recent_same_note(
            conn, row["id"], req.meeting_id, actor.user_id, req.private, body, window
        )
        if same is None:
            await plan_store.insert_note(conn, row["id"], req.meeting_id, actor.user_id, req.private, body)
            if not req.private:
                notice = plans.note_shared(plan_reads.pair(row), actor.user_id)
                await plan_reads.tell(conn, [notice], actor.user_id, row["id"])
    return await plan_reads.load_plan(ctx.pool, row, actor.user_id, clock.now(ctx.settings))


@registry.endpoint(subjects.ADD_CHECK_IN, CheckInCreate)
async def add_check_in(ctx: Context, req: CheckInCreate) -> Plan:
    actor = ctx.require_actor()
    now = clock.now(ctx.settings)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await plan_reads.mentorship_for(conn, req.mentorship_id, actor.user_id, for_share=True)
        rotation = await store.rotation(conn, row["rotation_id"]) if row["rotation_id"] else None
        plans.check_check_in(
            plan_reads.pair(row),
            actor.user_id,
            req.stage,
            rotation["start_date"] if rotation else None,
            rotation["end_date"] if rotation else None,
            now.date(),
        )
        change = plans.clean_text(req.change, "change", required=False)
        if not await plan_store.insert_check_in(conn, row["id"], actor.user_id, req.stage, req.usefulness, change):
            raise AppError("conflict", f"you already answered the {req.stage}-rotation check-in")
    return await plan_reads.load_plan(ctx.pool, row, actor.user_id, now)


async def _settings(ctx: Context, user_id: Any) -> MentoringSettings:
    zone, chosen = await plan_reads.time_zone(ctx.pool, user_id)
    row = await plan_store.settings_row(ctx.pool, user_id)
    return MentoringSettings(
        time_zone=zone,
        time_zone_chosen=chosen,
        hospital_visibility=row["hospital_visibility"] if row else "nobody",
    )


@registry.endpoint(subjects.GET_MENTORING_SETTINGS, Empty)
async def get_settings(ctx: Context, req: Empty) -> MentoringSettings:
    return await _settings(ctx, ctx.require_actor().user_id)


@registry.endpoint(subjects.UPDATE_MENTORING_SETTINGS, SettingsUpdate)
async def update_settings(ctx: Context, req: SettingsUpdate) -> MentoringSettings:
    actor = ctx.require_actor()
    changes: dict[str, Any] = {}
    if req.time_zone is not MISSING:
        if req.time_zone is not None and not timezones.is_zone(req.time_zone):
            raise AppError(
                "validation",
                f"unknown time zone {req.time_zone!r}: use an IANA name such as America/Chicago",
                [{"field": "time_zone", "message": "not an IANA time zone"}],
            )
        changes["time_zone"] = req.time_zone
    if req.hospital_visibility is not MISSING:
        changes["hospital_visibility"] = req.hospital_visibility
    async with ctx.pool.acquire() as conn, conn.transaction():
        await plan_store.save_settings(conn, actor.user_id, changes)
    return await _settings(ctx, actor.user_id)


@registry.endpoint(subjects.STALLED_PAIRS, StalledPairsRequest, roles=("admin",))
async def stalled_pairs(ctx: Context, req: StalledPairsRequest) -> StalledPairs:
    """Pages of the stalled pairs, longest first, and how many there are (the list stopped
    at 500, and so did the outcomes page's count)."""
    now = clock.now(ctx.settings)
    since = now - plans.STALLED_AFTER
    after = decode_key(req.cursor, instant, row_id) if req.cursor else None
    rows = await plan_store.stalled_pairs(ctx.pool, since, after, req.limit + 1)
    page, next_cursor = next_page(rows, req.limit, key=lambda r: (r["decided_at"], r["id"]))
    return StalledPairs(
        next_cursor=next_cursor,
        total=await plan_store.count_stalled(ctx.pool, since),
        items=[
            StalledPair(
                mentorship_id=r["id"],
                student_id=r["student_id"],
                mentor_id=r["mentor_id"],
                accepted_at=r["decided_at"],
                days=(now - r["decided_at"]).days,
            )
            for r in page
        ],
    )


@registry.endpoint(subjects.MEETINGS_TO_ANSWER, MeetingsToAnswerRequest)
async def meetings_to_answer(ctx: Context, req: MeetingsToAnswerRequest) -> MeetingsToAnswer:
    """The meetings whose proposed times wait for the caller's answer, for their home page
    (it listed requests waiting for a host or a mentor, and never a meeting's times)."""
    actor = ctx.require_actor()
    after = decode_key(req.cursor, instant, row_id) if req.cursor else None
    rows = await plan_store.meetings_to_answer(ctx.pool, actor.user_id, clock.now(ctx.settings), after, req.limit + 1)
    page, next_cursor = next_page(rows, req.limit, key=lambda r: (r["proposed_at"], r["id"]))
    return MeetingsToAnswer(items=[MeetingToAnswer.model_validate(dict(r)) for r in page], next_cursor=next_cursor)


@registry.endpoint(subjects.USER_MEETINGS, UserMeetings)
async def user_meetings(ctx: Context, req: UserMeetings) -> CalendarMeetings:
    """A user's scheduled, held and cancelled meetings (a cancelled one leaves the feed by
    its status). Asked by services, never through the gateway: the calendar's own feed
    token decides who may read it."""
    rows = await plan_store.user_meetings(ctx.pool, req.user_id, req.since)
    return CalendarMeetings(items=[plan_views.calendar_meeting(r, req.user_id) for r in rows])


@registry.endpoint(subjects.MENTORING_OUTCOMES, OutcomesRequest, roles=("admin",))
async def mentoring_outcomes(ctx: Context, req: OutcomesRequest) -> Outcomes:
    """Operators' counts per hospital and month, with a chart; never one person's answers."""
    now = clock.now(ctx.settings)
    months = outcomes.months_back(now.date(), req.months)
    since = datetime.strptime(months[0], "%Y-%m").replace(tzinfo=UTC)
    rows = [
        dict(r) for r in await outcome_store.outcomes(ctx.pool, since) if req.hospital_id in (None, r["hospital_id"])
    ]
    names = {}
    for hospital_id in {r["hospital_id"] for r in rows if r["hospital_id"]}:
        with contextlib.suppress(AppError):
            names[hospital_id] = hospitals.lookup(hospital_id).name
    table = outcomes.pivot(rows, names)
    stalled = await plan_store.count_stalled(ctx.pool, now - plans.STALLED_AFTER)
    return Outcomes(rows=table, stalled_pairs=stalled, chart_svg=outcomes.chart_svg(table, months))
