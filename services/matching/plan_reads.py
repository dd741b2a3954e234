"""What the plan endpoints share: a mentorship loaded for one of its two people (404 for
anyone else), each person's time zone, the whole plan as its viewer sees it, notices
written to the outbox, and the meetings an ended mentorship cancels. Reads and writes
through the stores, decides through the domain, builds through the views."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

import asyncpg

from services.matching import store
from services.matching.domain import plans
from services.matching.store import plans as plan_store
from services.matching.views import plans as plan_views
from shared import blocks, hospitals, timezones
from shared.contracts.mentoring import MentoringNotice, Plan
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add


def pair(row: asyncpg.Record) -> plans.Pair:
    return plans.Pair(row["student_id"], row["mentor_id"], plans.plan_status(row["status"], row["decided_at"]))


async def mentorship_for(
    db: store.DB, mentorship_id: uuid.UUID, user_id: uuid.UUID, *, for_share: bool = False
) -> asyncpg.Record:
    """The mentorship if ``user_id`` is one of its two people; 404 otherwise.

    A plan write passes ``for_share`` and calls this before it locks anything else of the
    plan: its status check then holds until it commits. Without the lock, a meeting could
    be proposed, and its notice sent, after the end (which locks the row FOR UPDATE) had
    committed. FOR SHARE, not FOR UPDATE: the two people's writes need not wait for each
    other, only for a status change. Mentorship first, then its meetings or goals: the end
    locks in that order too, so the two never deadlock."""
    row = await store.mentorship(db, mentorship_id, for_share=for_share)
    if row is None:
        raise plans.PLAN_NOT_FOUND
    plans.side(pair(row), user_id)
    return row


async def refuse_if_blocked(db: store.DB, row: asyncpg.Record, user_id: uuid.UUID) -> None:
    """403 when either person of mentorship ``row`` blocked the other (as matching's
    ``blocks`` projection holds it): what the caller adds would reach the other side."""
    await blocks.refuse_if_blocked(db, user_id, plans.other(pair(row), user_id), plans.block_refusal)


async def check_free(
    conn: Connection,
    row: asyncpg.Record,
    user_id: uuid.UUID,
    times: tuple[datetime, ...],
    minutes: int,
    *,
    other_than: uuid.UUID | None = None,
) -> None:
    """409 when one of ``times`` (for ``minutes``) overlaps a scheduled meeting of
    mentorship ``row`` (but ``other_than``, the meeting being moved), named in the zone of
    ``user_id``. Read under the mentorship's proposals lock, which proposals and accepts
    hold to commit, so two accepts at once cannot both pass."""
    found = await plan_store.scheduled_meetings(conn, row["id"], other_than=other_than)
    if not found:
        return
    booked = [plans.Booked(m["id"], m["starts_at"], m["duration_minutes"]) for m in found]
    zone, _ = await time_zone(conn, user_id)
    plans.check_free(times, minutes, booked, zone)


async def time_zone(db: store.DB, user_id: uuid.UUID) -> tuple[str, bool]:
    """A user's zone and whether they chose it (else: their hospital's state's)."""
    chosen = await plan_store.settings_row(db, user_id)
    if chosen is not None and chosen["time_zone"]:
        return chosen["time_zone"], True
    for hospital_id in await plan_store.home_hospitals(db, user_id):
        try:
            return timezones.zone_for_state(hospitals.lookup(hospital_id).state), False
        except AppError:  # a hospital gone from the directory: try the next
            continue
    return timezones.DEFAULT_ZONE, False


async def load_plan(db: store.DB, row: asyncpg.Record, viewer: uuid.UUID, now: datetime) -> Plan:
    """The plan of mentorship ``row`` as ``viewer`` sees it: shared notes and their own
    private ones, their own check-ins only."""
    the_pair = pair(row)
    who = plans.side(the_pair, viewer)
    other = plans.other(the_pair, viewer)
    mine, _ = await time_zone(db, viewer)
    theirs, _ = await time_zone(db, other)
    people = await store.profile_fields(db, [row["student_id"], other])
    student = people.get(row["student_id"]) or {}
    rotation = await store.rotation(db, row["rotation_id"]) if row["rotation_id"] else None
    answered = await plan_store.own_check_ins(db, row["id"], viewer)
    today = now.date()
    start, end = (rotation["start_date"], rotation["end_date"]) if rotation else (None, None)
    due = plans.check_ins_due(start, end, today)
    done = plan_views.answered_stages(answered)
    stage = plans.student_stage(student.get("graduation_year"), today)
    return Plan(
        mentorship_id=row["id"],
        status=the_pair.status,
        role=who,
        other_id=other,
        other_name=(people.get(other) or {}).get("display_name"),
        time_zone=mine,
        other_time_zone=theirs,
        goals=[plan_views.goal(g) for g in await plan_store.goals(db, row["id"])],
        suggested_goals=plans.SUGGESTED_GOALS[stage],
        meetings=[
            plan_views.meeting(
                m, mine, theirs, your_turn=plans.your_turn(the_pair, m["status"], m["proposed_by"], viewer)
            )
            for m in await plan_store.meetings(db, row["id"])
        ],
        notes=[plan_views.note(n) for n in await plan_store.visible_notes(db, row["id"], viewer)],
        check_ins=[plan_views.check_in(c) for c in answered],
        check_ins_due=[s for s in due if s not in done and the_pair.status in plans.CHECK_IN_STATUSES],
        has_rotation=rotation is not None,
        check_in_dates=plan_views.check_in_dates(plans.check_in_dates(start, end)),
        stalled=row["status"] == "accepted"
        and plans.is_stalled(row["decided_at"], await plan_store.held_count(db, row["id"]), now),
    )


async def send_notice(
    conn: Connection,
    notice: plans.Notice,
    *,
    mentorship_id: uuid.UUID | None = None,
    letter_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    from_user_id: uuid.UUID | None = None,
) -> None:
    """Write a notice's event to the outbox (messaging makes it a notification)."""
    event = MentoringNotice(
        user_id=notice.user_id,
        kind=notice.kind,
        text=notice.text,
        mentorship_id=mentorship_id,
        letter_id=letter_id,
        from_user_id=from_user_id,
    )
    if event_id is not None:
        event = event.model_copy(update={"event_id": event_id})
    await add(conn, event)


async def tell(
    conn: Connection,
    notices: list[plans.Notice],
    actor_id: uuid.UUID,
    mentorship_id: uuid.UUID | None = None,
    *,
    letter_id: uuid.UUID | None = None,
    unnamed: str = "Your mentoring partner",
) -> None:
    """Send a change's notices (of a plan, or of a letter), each text after the actor's
    name as matching holds it ("Deleted user" once they are gone), else ``unnamed``."""
    name = (await store.profile_fields(conn, [actor_id])).get(actor_id, {}).get("display_name") or unnamed
    for notice in notices:
        text = dataclasses.replace(notice, text=f"{name} {notice.text}")
        await send_notice(conn, text, mentorship_id=mentorship_id, letter_id=letter_id, from_user_id=actor_id)


async def end_meetings(conn: Connection, row: asyncpg.Record, ended_by: uuid.UUID) -> None:
    """Cancel the open meetings of mentorship ``row``, which ``ended_by`` is ending in this
    transaction (with the row locked FOR UPDATE), and tell the other side of each agreed one."""
    found = await plan_store.meetings_in(conn, row["id"], plans.OPEN_MEETINGS)
    if not found:
        return
    the_pair = pair(row)
    zone, _ = await time_zone(conn, plans.other(the_pair, ended_by))
    meetings = {
        m["id"]: plans.Meeting(m["status"], m["proposed_by"], tuple(m["options"]), m["starts_at"]) for m in found
    }
    notices: list[plans.Notice] = []
    for meeting_id, change in plans.end_meetings(the_pair, ended_by, meetings, zone).items():
        await plan_store.update_meeting(
            conn, meeting_id, change.status, change.proposed_by, change.options, change.starts_at, None
        )
        notices += change.notices
    await tell(conn, notices, ended_by, row["id"])
