"""Endpoints for conversations and messages: start one, list mine, page back through a
conversation, send, mark read, count unread."""

from __future__ import annotations

import uuid

from services.messaging import delivery, domain, store, views
from services.messaging.store import safety as safety_store
from shared import bus, subjects
from shared.contracts.accounts import PublicProfile, UserIdRequest
from shared.contracts.base import Empty
from shared.contracts.messaging import (
    Conversation,
    ConversationId,
    ConversationList,
    ConversationPage,
    ConversationStart,
    Message,
    MessageHistory,
    MessagePage,
    MessageSend,
    ReadState,
    ReadUpTo,
    UnreadAmong,
    UnreadAmongReply,
    UnreadCounts,
    UserUnread,
)
from shared.db import Connection
from shared.errors import AppError
from shared.paging import decode_key, decode_newest_first, integer, next_page, row_id
from shared.service import Context, Registry

registry = Registry()


async def known_user(ctx: Context, user_id: uuid.UUID) -> None:
    """404 unless the user exists. Messaging's projection of users follows accounts'
    events a moment behind, so a user it has not heard of yet is asked of accounts (and
    remembered until their event arrives)."""
    if await store.user_known(ctx.pool, user_id):
        return
    profile = await bus.request(
        ctx.nc,
        subjects.GET_USER,
        UserIdRequest(user_id=user_id),
        PublicProfile,
        timeout=ctx.settings.request_timeout_s,
    )
    async with ctx.pool.acquire() as conn:
        await store.remember_user(conn, profile.id, profile.display_name, profile.role, profile.verified)


async def _check_blocks(conn: Connection, me: uuid.UUID, other: uuid.UUID) -> None:
    error = domain.block_error(*await safety_store.blocks_between(conn, me, other))
    if error is not None:
        raise error


async def _view(conn: Connection, conversation_id: uuid.UUID, viewer: uuid.UUID) -> Conversation:
    row = await store.conversation_view(conn, conversation_id, viewer)
    if row is None:
        raise domain.CONVERSATION_NOT_FOUND
    return views.to_conversation(row)


@registry.endpoint(subjects.START_CONVERSATION, ConversationStart)
async def start_conversation(ctx: Context, req: ConversationStart) -> Conversation:
    actor = ctx.require_verified_email()
    low, high = domain.pair(actor.user_id, req.user_id)
    body = domain.clean_body(req.body) if req.body is not None else None
    await known_user(ctx, req.user_id)
    async with delivery.transaction(ctx.pool, ctx.nc) as (conn, pushes):
        await _check_blocks(conn, actor.user_id, req.user_id)
        if await store.user_deleted(conn, req.user_id):
            # Their history stays readable in the inbox; nothing new can reach them.
            raise domain.RECIPIENT_DELETED
        if await store.user_suspended(conn, req.user_id):
            raise domain.RECIPIENT_SUSPENDED
        about = await store.booking_conversation(conn, low, high, req.listing_id) if req.listing_id else None
        conversation_id = about or await store.open_direct(conn, low, high)
        if body is not None:
            row = await store.conversation(conn, conversation_id, actor.user_id)
            assert row is not None
            await delivery.post_message(
                conn,
                pushes,
                row,
                actor.user_id,
                body,
                client_message_id=req.client_message_id,
                rate_per_minute=ctx.settings.message_rate_per_minute,
                sender_role=actor.role,
            )
        conversation = await _view(conn, conversation_id, actor.user_id)
    return conversation


@registry.endpoint(subjects.GET_CONVERSATION, ConversationId)
async def get_conversation(ctx: Context, req: ConversationId) -> Conversation:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn:
        return await _view(conn, req.conversation_id, actor.user_id)


@registry.endpoint(subjects.LIST_CONVERSATIONS, ConversationList)
async def list_conversations(ctx: Context, req: ConversationList) -> ConversationPage:
    actor = ctx.require_actor()
    after = decode_newest_first(req.cursor)
    async with ctx.pool.acquire() as conn:
        rows = await store.inbox(conn, actor.user_id, after, req.limit + 1)
        unread = await store.unread_counts(conn, actor.user_id)
    page, next_cursor = next_page(rows, req.limit, key=lambda row: (row["last_activity_at"], row["id"]))
    return ConversationPage(
        items=[views.to_conversation(row) for row in page], next_cursor=next_cursor, unread=views.to_unread(unread)
    )


@registry.endpoint(subjects.LIST_MESSAGES, MessageHistory)
async def list_messages(ctx: Context, req: MessageHistory) -> MessagePage:
    actor = ctx.require_actor()
    before = None
    if req.before:
        before, _ = decode_key(req.before, integer(1, 2**62 - 1), row_id, field="before")
    async with ctx.pool.acquire() as conn:
        if await store.conversation(conn, req.conversation_id, actor.user_id) is None:
            raise domain.CONVERSATION_NOT_FOUND
        rows = await store.history(conn, req.conversation_id, before, req.limit + 1)
    page, next_cursor = next_page(rows, req.limit, key=lambda row: (row["seq"], row["id"]))
    return MessagePage(items=[views.to_message(row, actor.user_id) for row in page], next_cursor=next_cursor)


@registry.endpoint(subjects.SEND_MESSAGE, MessageSend)
async def send_message(ctx: Context, req: MessageSend) -> Message:
    actor = ctx.require_actor()
    body = domain.clean_body(req.body)
    async with delivery.transaction(ctx.pool, ctx.nc) as (conn, pushes):
        # One round trip: the conversation locked, the blocks either way, the send lock.
        conversation = await store.conversation_to_send(conn, req.conversation_id, actor.user_id)
        if conversation is None:
            raise domain.CONVERSATION_NOT_FOUND
        error = domain.block_error(conversation["blocked_by_me"], conversation["blocked_by_them"])
        if error is not None:
            raise error
        if conversation["other_deleted"]:
            raise domain.RECIPIENT_DELETED
        if conversation["other_suspended"]:
            raise domain.RECIPIENT_SUSPENDED
        row = await delivery.post_message(
            conn,
            pushes,
            conversation,
            actor.user_id,
            body,
            client_message_id=req.client_message_id,
            rate_per_minute=ctx.settings.message_rate_per_minute,
            locked=True,
            sender_role=actor.role,
        )
    return views.to_message(row, actor.user_id)


@registry.endpoint(subjects.MARK_READ, ReadUpTo)
async def mark_read(ctx: Context, req: ReadUpTo) -> ReadState:
    actor = ctx.require_actor()
    async with delivery.transaction(ctx.pool, ctx.nc) as (conn, pushes):
        conversation = await store.conversation(conn, req.conversation_id, actor.user_id)
        if conversation is None:
            raise domain.CONVERSATION_NOT_FOUND
        seq = conversation["last_seq"]
        if req.message_id is not None:
            seq = await store.message_seq(conn, req.conversation_id, req.message_id)
            if seq is None:
                raise AppError("not_found", "no such message in this conversation")
        moved = await store.mark_read(conn, req.conversation_id, actor.user_id, seq)
        state = views.to_read_state(await store.read_state(conn, req.conversation_id, actor.user_id))
        if moved:
            # The reader's other devices clear the conversation and update their badges.
            pushes.add(actor.user_id, "read", state)
            pushes.add(actor.user_id, "unread", views.to_unread(await store.unread_counts(conn, actor.user_id)))
    return state


@registry.endpoint(subjects.UNREAD_COUNTS, Empty)
async def unread_counts(ctx: Context, req: Empty) -> UnreadCounts:
    actor = ctx.require_actor()
    return views.to_unread(await store.unread_counts(ctx.pool, actor.user_id))


@registry.endpoint(subjects.UNREAD_AMONG, UnreadAmong)
async def unread_among(ctx: Context, req: UnreadAmong) -> UnreadAmongReply:
    """Internal (no REST route, no actor): which of a batch of users have unread messages,
    for accounts' daily digest, which walks its users a batch at a time."""
    rows = await store.unread_among(ctx.pool, req.user_ids)
    return UnreadAmongReply(items=[UserUnread.model_validate(dict(row)) for row in rows])
