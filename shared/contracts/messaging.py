"""Contracts of the messaging service: conversations, messages, read state, notifications,
blocks and reports, and the replay of live pushes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from shared import subjects
from shared.contracts.accounts import Role
from shared.contracts.base import (
    WHOLE_NUMBER,
    Contract,
    Cursor,
    Event,
    EventData,
    Id,
    Limit,
    Page,
    Reply,
    Text,
    Words,
)
from shared.push import Frame

ConversationKind = Literal["direct", "booking", "mentorship"]
MessageKind = Literal["text", "system"]
# A message's text: at most 4,000 characters with one that is not a space, stored trimmed
# (so "  hi " is "hi"); plain text, which clients render as text, never as markup.
MAX_BODY = 4000
MessageBody = Annotated[Words, Field(min_length=1, max_length=MAX_BODY)]
# The sender's own id for a message (one per message it composes): sending it again,
# after a timeout or a reconnect, returns the stored message instead of a second one.
ClientMessageId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
Details = Annotated[Text, Field(max_length=2000)]
# What a notification is about. A user may turn off the mail of each of these kinds
# (``shared.contracts.lifecycle.MAIL_CHOICES`` words them)...
OptionalNoticeKind = Literal[
    "booking_requested",
    "booking_accepted",
    "booking_confirmed",
    "payment_failed",
    "payment_due_soon",
    "payment_overdue",
    "payment_refunded",
    "payment_released",
    "payment_reclaimed",
    "booking_declined",
    "booking_nights_freed",
    "booking_cancelled",
    "booking_expired",
    "booking_shift_requested",
    "booking_shifted",
    "booking_shift_declined",
    "booking_shift_withdrawn",
    "check_in_soon",
    "review_invitation",
    "review_posted",
    "user_verified",
    "document_rejected",
    "credential_rejected",
    "mentorship_requested",
    "mentorship_accepted",
    "mentorship_declined",
    "mentorship_ended",
    "match_suggested",
    "rotation_moved",
    # mentoring plans and letters (matching's MentoringNotice)
    "meeting_proposed",
    "meeting_scheduled",
    "meeting_declined",
    "meeting_rescheduled",
    "meeting_cancelled",
    "meeting_reminder",
    "check_in_due",
    "plan_updated",
    "letter_requested",
    "letter_accepted",
    "letter_declined",
    "letter_submitted",
    "letter_confirmed",
    "letter_withdrawn",
    "letter_expired",
    "letter_reminder",
    "report_resolved",
]
# ...but not of these: notices about someone the reader deals with (an account Wardmate
# suspended, or whose suspension it lifted), mailed always, as security mails are.
SafetyNoticeKind = Literal["account_suspended", "suspension_lifted"]
NotificationKind = Literal[OptionalNoticeKind, SafetyNoticeKind]
ReportReason = Literal["scam", "harassment", "spam", "inappropriate", "other"]
ReportStatus = Literal["open", "resolved"]


# --- requests -------------------------------------------------------------------------


class ConversationList(Contract):
    limit: Limit = 20
    cursor: Cursor | None = None


class ConversationStart(Contract):
    """A direct conversation with ``user_id`` (the existing one if there is one), and
    optionally a first message. With ``listing_id``: the pair's conversation about their
    booking of that room when there is one (the newest), so one room's talk stays in one
    thread; else the direct one."""

    user_id: Id
    listing_id: Id | None = None
    body: MessageBody | None = None
    client_message_id: ClientMessageId | None = None


class ConversationId(Contract):
    conversation_id: Id


class MessageHistory(Contract):
    """A page of a conversation's messages, newest first; ``before`` is the previous
    page's ``next_cursor``."""

    conversation_id: Id
    before: Cursor | None = None
    limit: Limit = 50


class MessageSend(Contract):
    conversation_id: Id
    body: MessageBody
    client_message_id: ClientMessageId | None = None


class ReadUpTo(Contract):
    """Mark a conversation read up to ``message_id`` (its newest message when omitted)."""

    conversation_id: Id
    message_id: Id | None = None


class NotificationList(Contract):
    unread: bool | None = None
    limit: Limit = 20
    cursor: Cursor | None = None


class NotificationsRead(Contract):
    """Mark notifications read: all of them, or those up to ``up_to`` (by creation)."""

    up_to: Id | None = None


class UserRef(Contract):
    user_id: Id


class ReportCreate(Contract):
    """Report a message (its sender is reported with it) or a user, with a reason."""

    message_id: Id | None = None
    user_id: Id | None = None
    reason: ReportReason
    details: Details = ""

    @model_validator(mode="after")
    def _one_target(self) -> ReportCreate:
        if (self.message_id is None) == (self.user_id is None):
            raise ValueError("report either a message_id or a user_id")
        return self


class ReportList(Contract):
    status: Literal["open", "resolved", "all"] = "open"
    limit: Limit = 20
    cursor: Cursor | None = None


class ReportResolve(Contract):
    report_id: Id
    resolution: Details = ""


# --- replies --------------------------------------------------------------------------


class UserSummary(Reply):
    """The public face of the other participant: name and verified badge (null name:
    messaging has not heard of the user yet). ``deleted``: they deleted their account (the
    name reads "Deleted user"); nothing can be sent to them (409). ``suspended``: an operator
    suspended their account; nothing can be sent to them (409) until it is lifted."""

    id: uuid.UUID
    display_name: str | None = None
    role: Role | None = None
    verified: bool = False
    deleted: bool = False
    suspended: bool = False


class Message(Reply):
    """A message as one participant sees it. ``warning`` (recipients only) says in words
    why the message looks like a scam; ``sender_id`` is null for system messages."""

    id: uuid.UUID
    conversation_id: uuid.UUID
    sender_id: uuid.UUID | None = None
    kind: MessageKind
    body: str
    client_message_id: str | None = None
    warning: str | None = None
    created_at: datetime


class About(Reply):
    """What a booking or mentorship conversation is about."""

    kind: Literal["booking", "mentorship"]
    id: uuid.UUID
    status: str | None = None
    listing_id: uuid.UUID | None = None
    title: str | None = None


class Conversation(Reply):
    id: uuid.UUID
    kind: ConversationKind
    other: UserSummary
    about: About | None = None
    last_message: Message | None = None
    unread_count: int
    last_read_message_id: uuid.UUID | None = None
    created_at: datetime
    last_activity_at: datetime


class UnreadCounts(Reply):
    """Unread messages (from others), conversations holding them, unread notifications."""

    messages: int
    conversations: int
    notifications: int


class UnreadAmong(Contract):
    """Which of these users have unread messages (internal: the daily digest's batch)."""

    user_ids: Annotated[list[Id], Field(max_length=1000)]


class UserUnread(Reply):
    user_id: uuid.UUID
    messages: int
    conversations: int


class UnreadAmongReply(Reply):
    """The users of the batch with at least one unread message, and how many."""

    items: list[UserUnread]


class ConversationPage(Page):
    items: list[Conversation]
    unread: UnreadCounts


class MessagePage(Page):
    items: list[Message]


class ReadState(Reply):
    conversation_id: uuid.UUID
    last_read_message_id: uuid.UUID | None = None
    unread_count: int


class Notification(Reply):
    id: uuid.UUID
    kind: NotificationKind
    text: str
    booking_id: uuid.UUID | None = None
    listing_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    review_id: uuid.UUID | None = None
    mentorship_id: uuid.UUID | None = Field(
        None, description="the mentorship it is about (accepted, or its plan's meetings, goals, notes, check-ins)"
    )
    letter_id: uuid.UUID | None = Field(None, description="the letter request a letter's notice is about")
    rotation_id: uuid.UUID | None = Field(None, description="the rotation a suggested room or mentor is for")
    created_at: datetime
    read: bool


class NotificationPage(Page):
    items: list[Notification]


class BlockState(Reply):
    user_id: uuid.UUID
    blocked: bool


class MyBlocks(Contract):
    limit: Limit = 20
    cursor: Cursor | None = None


class BlockedUser(Reply):
    user_id: uuid.UUID
    display_name: str | None
    blocked_at: datetime


class BlockPage(Page):
    items: list[BlockedUser]


class Report(Reply):
    id: uuid.UUID
    reporter_id: uuid.UUID
    reporter_name: str | None = None
    reported_user_id: uuid.UUID
    reported_user_name: str | None = None
    # The reported account was deleted since: there is no one left to warn or suspend.
    reported_user_deleted: bool = False
    message_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    # The reported message's text when it was reported, for the operator.
    message_body: str | None = None
    reason: ReportReason
    details: str
    status: ReportStatus
    # In the reporter's reply only: their report of this message (or user) was already open
    # (an operator has one report to read), and what they sent now was added to it (not
    # when it said nothing new: no words, or the same words again).
    already_open: bool = False
    added_to_open: bool = False
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: uuid.UUID | None = None
    # The operator by name, once messaging knows them (their creation's UserRegistered).
    resolved_by_name: str | None = None
    resolution: str | None = None


class ReportPage(Page):
    items: list[Report]


class MessagingStats(Reply):
    """For operators: messages stored, those delivered with a scam warning (by rule),
    reports open and resolved, blocks in force."""

    messages: int
    flagged_messages: int
    flagged_last_24h: int
    flagged_by_rule: dict[str, int]
    reports_open: int
    reports_resolved: int
    blocks: int


# --- live pushes ----------------------------------------------------------------------


class PushesSince(Contract):
    """What a reconnecting socket missed: the caller's stored pushes after ``since``."""

    since: Annotated[int, Field(ge=0, le=2**62), WHOLE_NUMBER]
    limit: Annotated[int, Field(ge=1, le=1000), WHOLE_NUMBER] = 500


class PushReplay(Reply):
    """Stored pushes with ``seq > since``, oldest first, and the newest ``seq`` so far.

    ``resync`` is true when some of what was missed is no longer kept (or more than
    ``limit`` frames were missed): the client should reload through the REST API and
    continue from ``last_seq`` (``frames`` is then empty: the reload covers them).
    """

    frames: list[Frame]
    last_seq: int
    resync: bool = False


# --- events ---------------------------------------------------------------------------


class BlockData(EventData):
    """One user's block of another as it stands (``blocked`` false once lifted). The
    version counts the pair's changes, so a projection keeps the newest; ``pair_id`` names
    the pair for good (snapshot pages run in its order)."""

    pair_id: uuid.UUID
    blocker_id: uuid.UUID
    blocked_id: uuid.UUID
    blocked: bool


class UserBlocked(Event):
    """``POST /users/{id}/block``: listings and matching refuse the pair's requests
    (bookings, mentorships, letters) from now on, as messaging refuses their messages."""

    subject: ClassVar[str] = subjects.USER_BLOCKED
    block: BlockData


class UserUnblocked(Event):
    """``DELETE /users/{id}/block``: the block is lifted (``block.blocked`` is false)."""

    subject: ClassVar[str] = subjects.USER_UNBLOCKED
    block: BlockData


BLOCK_EVENTS = (UserBlocked, UserUnblocked)


class NotificationCreated(Event):
    """A user got a notification: what mail (accounts) tells them when it is on."""

    subject: ClassVar[str] = "events.messaging.notification.created"
    notification_id: uuid.UUID
    user_id: uuid.UUID
    kind: NotificationKind
    text: str
    booking_id: uuid.UUID | None = None
    listing_id: uuid.UUID | None = None
    conversation_id: uuid.UUID | None = None
    mentorship_id: uuid.UUID | None = None
    letter_id: uuid.UUID | None = None
    rotation_id: uuid.UUID | None = None
    # The room's title a stay's notice is about: the mail's subject names it.
    room: str | None = None
