"""What a participant sees of stored rows: messages (a scam warning only for recipients),
conversations from the viewer's side, notifications, reports, unread counts; and the
snapshot a block event carries."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import asyncpg

from shared.contracts.messaging import (
    About,
    BlockData,
    Conversation,
    Message,
    Notification,
    ReadState,
    Report,
    UnreadCounts,
    UserSummary,
)

# A stored row, or the same row as JSON (a conversation's last message comes as to_jsonb).
Row = asyncpg.Record | Mapping[str, Any]


def to_message(row: Row, viewer: uuid.UUID) -> Message:
    """A message as ``viewer`` sees it. The warning is for the recipient's eyes: telling
    the sender which words raised it would teach a scammer what to avoid."""
    sender = row["sender_id"]
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        sender_id=sender,
        kind="text" if sender is not None else "system",
        body=row["body"],
        client_message_id=row["client_message_id"] if str(sender) == str(viewer) else None,
        warning=row["warning"] if sender is not None and str(sender) != str(viewer) else None,
        created_at=row["created_at"],
    )


def to_conversation(row: Row) -> Conversation:
    """A row of ``store.CONVERSATION_VIEW``, from its viewer's side."""
    about = None
    if row["kind"] != "direct":
        about = About(
            kind=row["kind"],
            id=row["subject_id"],
            status=row["subject_status"],
            listing_id=row["listing_id"],
            title=row["listing_title"],
        )
    last = row["last_message"]
    return Conversation(
        id=row["id"],
        kind=row["kind"],
        other=UserSummary(
            id=row["other_id"],
            display_name=row["other_name"],
            role=row["other_role"],
            verified=row["other_verified"],
            deleted=row["other_deleted"],
            suspended=row["other_suspended"],
        ),
        about=about,
        last_message=to_message(last, row["viewer"]) if last else None,
        unread_count=row["unread_count"],
        last_read_message_id=row["last_read_message_id"],
        created_at=row["created_at"],
        last_activity_at=row["last_activity_at"],
    )


def to_read_state(row: Row) -> ReadState:
    return ReadState(
        conversation_id=row["conversation_id"],
        last_read_message_id=row["last_read_message_id"],
        unread_count=row["unread_count"],
    )


def to_unread(row: Row) -> UnreadCounts:
    return UnreadCounts(
        messages=row["messages"], conversations=row["conversations"], notifications=row["notifications"]
    )


def to_notification(row: Row) -> Notification:
    return Notification(
        id=row["id"],
        kind=row["kind"],
        text=row["text"],
        booking_id=row["booking_id"],
        listing_id=row["listing_id"],
        conversation_id=row["conversation_id"],
        review_id=row["review_id"],
        mentorship_id=row["mentorship_id"],
        letter_id=row["letter_id"],
        rotation_id=row["rotation_id"],
        created_at=row["created_at"],
        read=row["read_at"] is not None,
    )


def to_report(row: Row) -> Report:
    return Report.model_validate(dict(row))


def block_data(row: Row, blocked: bool) -> BlockData:
    """A pair's block as its events and snapshots carry it (``row``: of ``block_versions``)."""
    return BlockData(
        pair_id=row["id"],
        blocker_id=row["blocker_id"],
        blocked_id=row["blocked_id"],
        blocked=blocked,
        version=row["version"],
    )
