"""Endpoints of letters of recommendation: a student asks a professional they know through
Wardmate; the writer accepts or declines, then marks the day they uploaded it; the student
confirms, or withdraws an open request. Only the two parties see a request (others: 404).
"""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg

from services.matching import plan_reads, store
from services.matching.domain import letters, plans
from services.matching.store import letters as letter_store
from services.matching.views import letters as letter_views
from shared import blocks, clock, dates, subjects
from shared.contracts.letters import Letter, LetterCreate, LetterPage, LetterRef, LetterSubmit, MyLetters
from shared.paging import day, decode_key, flag, next_page, row_id
from shared.service import Context, Registry

registry = Registry()


async def _reply(ctx: Context, row: asyncpg.Record, viewer: uuid.UUID) -> Letter:
    people = await store.profile_fields(ctx.pool, [row["student_id"], row["writer_id"]])
    rotations: list[asyncpg.Record] = []
    # The writer sees the student's rotations at the letter's hospital (fixed when it was
    # asked for) while the request is open: what the letter is about, not where the student
    # goes. Not at the writer's hospitals: those are whatever their profile says today.
    if viewer == row["writer_id"] and row["status"] in letters.OPEN and row["hospital_id"]:
        rotations = await letter_store.student_rotations_at(ctx.pool, row["student_id"], [row["hospital_id"]])
    return letter_views.letter(row, viewer, people, clock.now(ctx.settings).date(), rotations)


@registry.endpoint(subjects.REQUEST_LETTER, LetterCreate, roles=("student",))
async def request_letter(ctx: Context, req: LetterCreate) -> Letter:
    actor = ctx.require_actor()
    now = clock.now(ctx.settings)
    letter_id = letters.check_request(req.deadline, req.application, req.eras_letter_id, now.date())
    async with ctx.pool.acquire() as conn, conn.transaction():
        link = await letter_store.knows(conn, actor.user_id, req.writer_id)
        if link is None:
            raise letters.WRITER_NOT_FOUND
        # A block either way (messaging's, projected here) stops the request and its words.
        await blocks.refuse_if_blocked(conn, actor.user_id, req.writer_id)
        letters.refuse_repeat(
            await letter_store.same_open_request(
                conn, actor.user_id, req.writer_id, req.specialty.strip(), req.deadline, req.application
            )
        )
        row = await letter_store.insert_letter(
            conn,
            uuid.uuid4(),
            {
                "student_id": actor.user_id,
                "writer_id": req.writer_id,
                "mentorship_id": link["mentorship_id"],
                "specialty": req.specialty.strip(),
                "programs": req.programs,
                "deadline": req.deadline,
                "application": req.application,
                "eras_letter_id": letter_id,
                "waived": req.waived,
                "message": req.message.strip(),
                "hospital_id": link["hospital_id"],
                "requested_at": now,
            },
        )
        text = f"asked you for a letter of recommendation ({row['specialty']}), due {dates.written(row['deadline'])}"
        await plan_reads.tell(
            conn,
            [plans.Notice(req.writer_id, "letter_requested", text)],
            actor.user_id,
            letter_id=row["id"],
            # Until matching's projection holds the student's name (just signed up and
            # quick), "Someone asked you for a letter" said less than it knew.
            unnamed="A student",
        )
    return await _reply(ctx, row, actor.user_id)


@registry.endpoint(subjects.GET_LETTER, LetterRef)
async def get_letter(ctx: Context, req: LetterRef) -> Letter:
    actor = ctx.require_actor()
    row = await letter_store.letter(ctx.pool, req.letter_id)
    if row is None:
        raise letters.LETTER_NOT_FOUND
    letters.side(letter_views.letter_view(row), actor.user_id)
    return await _reply(ctx, row, actor.user_id)


@registry.endpoint(subjects.MY_LETTERS, MyLetters)
async def my_letters(ctx: Context, req: MyLetters) -> LetterPage:
    """The caller's letters, open ones first by nearest deadline (the student's dashboard)."""
    actor = ctx.require_actor()
    after = _letters_after(req.cursor) if req.cursor else None
    rows = await letter_store.user_letters(ctx.pool, actor.user_id, req.role, after, req.limit + 1)
    page, next_cursor = next_page(rows, req.limit, key=lambda r: (r["closed"], r["deadline"].isoformat(), str(r["id"])))
    return LetterPage(items=[await _reply(ctx, r, actor.user_id) for r in page], next_cursor=next_cursor)


def _letters_after(cursor: str) -> tuple[bool, date, uuid.UUID]:
    """The ``(closed, deadline, id)`` key of a letters page's cursor (a 400 when malformed)."""
    closed, deadline, letter_id = decode_key(cursor, flag, day, row_id)
    return closed, deadline, letter_id


async def _decide(ctx: Context, letter_id: uuid.UUID, action: str, submitted_on: date | None = None) -> Letter:
    actor = ctx.require_actor()
    now = clock.now(ctx.settings)
    async with ctx.pool.acquire() as conn, conn.transaction():
        found = await letter_store.letter(conn, letter_id, for_update=True)
        if found is None:
            raise letters.LETTER_NOT_FOUND
        change = letters.decide(
            letter_views.letter_view(found),
            actor.user_id,
            action,
            now,
            submitted_on=submitted_on,
        )
        row = await letter_store.set_status(conn, letter_id, change.status, now, change.submitted_on)
        unnamed = "Your letter writer" if actor.user_id == found["writer_id"] else "The student"
        await plan_reads.tell(conn, change.notices, actor.user_id, letter_id=letter_id, unnamed=unnamed)
    return await _reply(ctx, row, actor.user_id)


@registry.endpoint(subjects.ACCEPT_LETTER, LetterRef)
async def accept_letter(ctx: Context, req: LetterRef) -> Letter:
    return await _decide(ctx, req.letter_id, "accept")


@registry.endpoint(subjects.DECLINE_LETTER, LetterRef)
async def decline_letter(ctx: Context, req: LetterRef) -> Letter:
    return await _decide(ctx, req.letter_id, "decline")


@registry.endpoint(subjects.SUBMIT_LETTER, LetterSubmit)
async def submit_letter(ctx: Context, req: LetterSubmit) -> Letter:
    return await _decide(ctx, req.letter_id, "submit", req.submitted_on)


@registry.endpoint(subjects.CONFIRM_LETTER, LetterRef)
async def confirm_letter(ctx: Context, req: LetterRef) -> Letter:
    return await _decide(ctx, req.letter_id, "confirm")


@registry.endpoint(subjects.WITHDRAW_LETTER, LetterRef)
async def withdraw_letter(ctx: Context, req: LetterRef) -> Letter:
    return await _decide(ctx, req.letter_id, "withdraw")
