"""Endpoints for trust and safety: block and unblock a user (each change an event, which
listings and matching project to refuse the pair's requests), report a message or a user,
and the operators' report queue and statistics."""

from __future__ import annotations

import uuid

from services.messaging import delivery, domain, store, views
from services.messaging.handlers.conversations import known_user
from services.messaging.store import safety as safety_store
from shared import subjects
from shared.contracts.base import Empty
from shared.contracts.messaging import (
    BlockedUser,
    BlockPage,
    BlockState,
    MessagingStats,
    MyBlocks,
    Report,
    ReportCreate,
    ReportList,
    ReportPage,
    ReportResolve,
    UserBlocked,
    UserRef,
    UserUnblocked,
)
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()

# A report that finds an open one resolved before it could read it files again, this often.
REPORT_ATTEMPTS = 3


def _not_yourself(actor_id: uuid.UUID, user_id: uuid.UUID, action: str) -> None:
    if actor_id == user_id:
        raise AppError("validation", f"you cannot {action} yourself", [{"field": "user_id", "message": "yourself"}])


async def _still_there(ctx: Context, user_id: uuid.UUID, action: str) -> None:
    """404 for nobody, 409 for a deleted account: nothing is left to block or report (it
    filed a report about "A user no longer known" that no operator could act on)."""
    await known_user(ctx, user_id)
    if await store.user_deleted(ctx.pool, user_id):
        raise AppError("conflict", f"this user deleted their account: there is nobody to {action}")


@registry.endpoint(subjects.BLOCK_USER, UserRef)
async def block_user(ctx: Context, req: UserRef) -> BlockState:
    """From now on neither can start a conversation with or write to the other, nor (once
    listings and matching have the event) send the other a booking, mentorship or letter
    request."""
    actor = ctx.require_actor()
    _not_yourself(actor.user_id, req.user_id, "block")
    await _still_there(ctx, req.user_id, "block")
    async with ctx.pool.acquire() as conn, conn.transaction():
        changed = await safety_store.block(conn, actor.user_id, req.user_id)
        if changed is not None:
            await add(conn, UserBlocked(block=views.block_data(changed, blocked=True)))
    return BlockState(user_id=req.user_id, blocked=True)


@registry.endpoint(subjects.BLOCK_STATE, UserRef)
async def block_state(ctx: Context, req: UserRef) -> BlockState:
    """Whether the caller blocked this user (a profile shows "Block" or "Unblock"). Whether
    they blocked the caller is not told: a block is not announced to the one blocked."""
    actor = ctx.require_actor()
    blocked_by_me, _ = await safety_store.blocks_between(ctx.pool, actor.user_id, req.user_id)
    return BlockState(user_id=req.user_id, blocked=blocked_by_me)


@registry.endpoint(subjects.MY_BLOCKS, MyBlocks)
async def my_blocks(ctx: Context, req: MyBlocks) -> BlockPage:
    """The users the caller blocked, newest first (only the caller's own list)."""
    actor = ctx.require_actor()
    rows = await safety_store.blocked_by(ctx.pool, actor.user_id, decode_newest_first(req.cursor), req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["blocked_at"], row["user_id"]))
    items = [BlockedUser.model_validate(dict(row)) for row in page]
    return BlockPage(items=items, next_cursor=nxt)


@registry.endpoint(subjects.UNBLOCK_USER, UserRef)
async def unblock_user(ctx: Context, req: UserRef) -> BlockState:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        changed = await safety_store.unblock(conn, actor.user_id, req.user_id)
        if changed is not None:
            await add(conn, UserUnblocked(block=views.block_data(changed, blocked=False)))
    return BlockState(user_id=req.user_id, blocked=False)


@registry.endpoint(subjects.REPORT, ReportCreate)
async def report(ctx: Context, req: ReportCreate) -> Report:
    """A report goes to the operators' queue; a message's text is kept with it, as sent.
    While the reporter's report of the same message (or user) is open, that one answers
    (``already_open``), with what they wrote now added to it (``added_to_open``) unless it
    adds nothing (no words, or the same again)."""
    actor = ctx.require_actor()
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "reporter_id": actor.user_id,
        "reason": req.reason,
        "details": req.details.strip(),
    }
    if req.message_id is not None:
        message = await store.visible_message(ctx.pool, req.message_id, actor.user_id)
        if message is None:
            raise AppError("not_found", "message not found")
        if message["sender_id"] is None or message["sender_id"] == actor.user_id:
            problem = [{"field": "message_id", "message": "not reportable"}]
            raise AppError("validation", "only another user's message can be reported", problem)
        # A deleted sender's message is not reportable either, as the sender is not: the
        # report named a deleted account that no operator could act on.
        await _still_there(ctx, message["sender_id"], "report")
        values |= {
            "reported_user_id": message["sender_id"],
            "message_id": message["id"],
            "conversation_id": message["conversation_id"],
            "message_body": message["body"],
        }
    else:
        assert req.user_id is not None
        _not_yourself(actor.user_id, req.user_id, "report")
        await _still_there(ctx, req.user_id, "report")
        values["reported_user_id"] = req.user_id
    async with ctx.pool.acquire() as conn:
        for _ in range(REPORT_ATTEMPTS):
            filed = await safety_store.insert_report(conn, values)
            if filed is not None:
                row, was_open, added = filed
                report = views.to_report(await safety_store.named_report(conn, row["id"]))
                return report.model_copy(update={"already_open": was_open, "added_to_open": added})
    # The open report was resolved under each attempt: an operator racing the reporter.
    raise AppError("conflict", "the report was resolved meanwhile; send it again")


@registry.endpoint(subjects.LIST_REPORTS, ReportList, roles=("admin",))
async def list_reports(ctx: Context, req: ReportList) -> ReportPage:
    status = None if req.status == "all" else req.status
    rows = await safety_store.reports(ctx.pool, status, decode_newest_first(req.cursor), req.limit + 1)
    page, nxt = next_page(rows, req.limit, key=lambda row: (row["created_at"], row["id"]))
    items = [views.to_report(row) for row in page]
    return ReportPage(items=items, next_cursor=nxt)


@registry.endpoint(subjects.RESOLVE_REPORT, ReportResolve, roles=("admin",))
async def resolve_report(ctx: Context, req: ReportResolve) -> Report:
    """Close a report, and tell its reporter in the same transaction (once: a report is
    resolved once, and the notice is keyed by the report's id)."""
    admin = ctx.require_actor()
    async with delivery.transaction(ctx.pool, ctx.nc) as (conn, pushes):
        found = await safety_store.report(conn, req.report_id, for_update=True)
        if found is None:
            raise AppError("not_found", "report not found")
        if found["status"] == "resolved":
            raise AppError("conflict", "the report is already resolved")
        row = await safety_store.resolve_report(conn, req.report_id, admin.user_id, req.resolution.strip())
        named = await safety_store.named_report(conn, row["id"])
        conversation_id = named["conversation_id"] if named["message_id"] else None
        note = domain.report_resolved_notification(
            named["reporter_id"],
            named["reported_user_name"],
            named["message_body"],
            conversation_id,
            support_email=ctx.settings.support_email,
        )
        await delivery.notify(conn, pushes, note, named["id"], conversation_id)
    return views.to_report(named)


@registry.endpoint(subjects.MESSAGING_STATS, Empty, roles=("admin",))
async def messaging_stats(ctx: Context, req: Empty) -> MessagingStats:
    return MessagingStats.model_validate(await safety_store.stats(ctx.pool))
