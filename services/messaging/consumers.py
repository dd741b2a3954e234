"""Event consumers of messaging: projections of users and listing titles, booking and
mentorship conversations with their system messages, and notifications.

Each consumer applies an event once through the inbox (``shared.consumers.Consumer``), in
one transaction with the pushes it stores; the pushes go out after commit (the function
it returns). Snapshots carry versions: projections keep the newest, and a booking event
older than what its conversation holds (delayed by a retry) adds nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import asyncpg

from services.messaging import delivery, domain, store, store_privacy, views
from services.messaging.store import safety as safety_store
from shared.consumers import AfterCommit
from shared.contracts.accounts import (
    USER_EVENTS,
    CredentialRejected,
    UserData,
    UserReinstated,
    UserSuspended,
    UserVerified,
)
from shared.contracts.base import Event
from shared.contracts.documents import DocumentRejected
from shared.contracts.listings import BOOKING_EVENTS, LISTING_EVENTS, BookingCancelled, ReviewPosted
from shared.contracts.matching import MENTORSHIP_EVENTS, MatchSuggested, MentorshipEnded, RotationMoved
from shared.contracts.mentoring import MentoringNotice
from shared.contracts.payments import (
    PaymentDue,
    PaymentDueSoon,
    PaymentFailed,
    PaymentOverdue,
    PaymentRefunded,
    PaymentReleased,
)
from shared.contracts.privacy import UserDeleted
from shared.db import Connection
from shared.privacy import purge_outbox
from shared.service import Context, Registry
from shared.settings import Settings

registry = Registry()


async def _post_update(
    conn: Connection,
    conversation_id: uuid.UUID,
    participant: uuid.UUID,
    update: domain.ConversationUpdate,
    event_id: uuid.UUID,
    *,
    opened: bool = False,
) -> AfterCommit:
    """Post an event's system message (and the requester's own words) in its conversation,
    store its notifications and their pushes; the pushes go out after commit. A
    conversation this event ``opened`` also tells of a suspension its suspension's consumer
    could not post there (``_tell_late``)."""
    conversation = await store.conversation(conn, conversation_id, participant)
    assert conversation is not None
    pair = (conversation["user_low"], conversation["user_high"])
    if update.requester is not None and await safety_store.blocked_pair(conn, *pair):
        update = domain.withheld(update, pair)  # accepted before listings or matching knew of the block
    pushes = delivery.Pushes()
    await _post(conn, pushes, conversation, update, event_id)
    if opened:
        await _tell_late(conn, pushes, conversation)
    await pushes.save(conn)
    return pushes.send


async def _tell_late(conn: Connection, pushes: delivery.Pushes, conversation: asyncpg.Record) -> None:
    """A stay or mentorship requested as Wardmate suspended one of its sides: listings or
    matching took the request before they knew, and the suspension's consumer, which looks
    for the conversations to tell, ran before this one existed. Both take the suspension
    lock of the account (``store.hold_suspensions``), so either that consumer found this
    conversation (committed before it looked) or this finds its record, never neither."""
    if conversation["subject_status"] not in domain.UNDER_WAY[conversation["kind"]]:
        return
    pair = (conversation["user_low"], conversation["user_high"])
    await store.hold_suspensions(conn, pair)
    for told in await store.suspensions_told(conn, pair):
        update = await _suspension_update(conn, conversation, told["user_id"], suspended=True)
        await _post(conn, pushes, conversation, update, told["event_id"])


async def _post(
    conn: Connection,
    pushes: delivery.Pushes,
    conversation: asyncpg.Record,
    update: domain.ConversationUpdate,
    event_id: uuid.UUID,
) -> None:
    await delivery.post_message(conn, pushes, conversation, None, update.system_text, read_by=update.read_by)
    if update.words:
        # The requester's own words, as their message: the other side can answer them
        # directly (and they get the scam check like any other message).
        sender, text = update.words
        await delivery.post_message(conn, pushes, conversation, sender, text)
    for draft in update.notifications:
        await delivery.notify(conn, pushes, draft, event_id, conversation["id"])


@registry.consumer("users", *(e.subject for e in USER_EVENTS))
async def project_users(conn: Connection, event: Event) -> AfterCommit | None:
    """Names and badges for conversation lists: every user event carries the whole
    snapshot; an older one changes nothing."""
    assert isinstance(event, USER_EVENTS)
    return await _project_user(conn, event.user)


async def _project_user(conn: Connection, user: UserData) -> AfterCommit | None:
    """Hold the user's newer snapshot. A new name or badge reaches the pages open on their
    recent conversations at once: a ``conversation`` frame to each other participant (a
    conversation opened before messaging knew the name read "A Wardmate user" until
    reloaded). Whichever consumer applies the snapshot first sends them, once."""
    before = await store.user_face(conn, user.user_id)
    if not await store.project_user(conn, user) or before == (user.display_name, user.verified):
        return None
    pushes = delivery.Pushes()
    for row in await store.recent_conversations_with(conn, user.user_id, domain.RECENT_CONVERSATION):
        view = await store.conversation_view(conn, row["id"], row["other"])
        if view is not None:
            pushes.add(row["other"], "conversation", views.to_conversation(view))
    await pushes.save(conn)
    return pushes.send


@registry.consumer("listings", *(e.subject for e in LISTING_EVENTS))
async def project_listings(conn: Connection, event: Event) -> None:
    """Listing titles, for booking conversations and notification texts."""
    assert isinstance(event, LISTING_EVENTS)
    await store.project_listing(conn, event.listing.listing_id, event.listing.title, event.listing.version)


# The conversation consumers take user events too, and project them as ``project_users``
# does (an older snapshot changes nothing): one consumer sees its events in stream order,
# and a user's ``user.registered`` is in the stream before anything they can do (booking
# and asking for a mentor need the address confirmed, by a link mailed after that event).
# Left to the "users" consumer alone, a request made moments after signup could be
# written before that consumer caught up, naming "A guest" instead of the person.
USER_SUBJECTS = tuple(e.subject for e in USER_EVENTS)


@registry.consumer("bookings", *(e.subject for e in BOOKING_EVENTS), *USER_SUBJECTS)
async def booking_conversations(conn: Connection, event: Event) -> AfterCommit | None:
    """A booking's conversation between host and guest, opened by its first event: each
    event posts its system message there and notifies the party it concerns."""
    if isinstance(event, USER_EVENTS):
        return await _project_user(conn, event.user)
    assert isinstance(event, BOOKING_EVENTS)
    booking = event.booking
    # A request withdrawn before an answer is "cancelled" in listings; it never ran.
    status = "withdrawn" if isinstance(event, BookingCancelled) and event.withdrawn else booking.status
    opened = await store.open_about(
        conn,
        "booking",
        booking.booking_id,
        domain.pair(booking.host_id, booking.guest_id),
        status,
        booking.version,
        booking.listing_id,
    )
    if opened is None:
        # The conversation already holds this booking at a newer version: a request
        # delivered after its acceptance would announce what is no longer true.
        return None
    conversation_id, new = opened
    names = await store.display_names(conn, [booking.host_id, booking.guest_id])
    # Events name the room themselves; the projection serves events from before they did.
    title = booking.listing_title or await store.listing_title(conn, booking.listing_id)
    if booking.listing_title:
        # The conversation shows the room's title from the projection, which the listing's
        # own events may not have reached yet (another consumer): hold this one meanwhile.
        await store.project_listing(conn, booking.listing_id, booking.listing_title, 0)
    update = domain.booking_update(event, names, title)
    return await _post_update(conn, conversation_id, booking.host_id, update, event.event_id, opened=new)


@registry.consumer(
    "notifications", ReviewPosted.subject, UserVerified.subject, DocumentRejected.subject, CredentialRejected.subject
)
async def notify(conn: Connection, event: Event) -> AfterCommit | None:
    """The reviewed user hears of a review; a verified user of the badge; the owner of a
    rejected document or credential why, and how to send another."""
    if isinstance(event, ReviewPosted):
        author = (await store.display_names(conn, [event.review.author_id])).get(event.review.author_id)
        draft = domain.review_notification(event.review, author)
    elif isinstance(event, UserVerified):
        draft = domain.verified_notification(event.user)
    elif isinstance(event, CredentialRejected):
        draft = domain.credential_rejected_notification(event)
    else:
        assert isinstance(event, DocumentRejected)
        draft = domain.document_rejected_notification(event)
    return await _notify(conn, [draft], event.event_id)


@registry.consumer(
    "payments",
    PaymentDue.subject,
    PaymentDueSoon.subject,
    PaymentFailed.subject,
    PaymentOverdue.subject,
    PaymentRefunded.subject,
    PaymentReleased.subject,
)
async def payment_notifications(conn: Connection, event: Event) -> AfterCommit | None:
    """The guest hears of the acceptance with what is due and by when, and again near the
    deadline while it is unpaid; a refused card or a
    refund reaches the guest, a release the host (and a refund that takes back money
    released to them); a later payment overdue both, in the booking's conversation too. An
    overdue payment published as ``PaymentFailed`` of kind ``overdue`` (before
    ``PaymentOverdue``: old outbox rows, the stream's history) reads as one."""
    assert isinstance(
        event, PaymentDue | PaymentDueSoon | PaymentFailed | PaymentOverdue | PaymentRefunded | PaymentReleased
    )
    if isinstance(event, PaymentDue | PaymentDueSoon):
        payment = event.payment
        status = await store.subject_status(conn, "booking", payment.booking_id)
        if status is not None and status not in domain.UNDER_WAY["booking"]:
            return None  # withdrawn, declined, cancelled or expired since: nothing to pay
        if isinstance(event, PaymentDueSoon):
            return await _notify(conn, [domain.due_soon_notification(event)], event.event_id)
        names = await store.display_names(conn, [payment.host_id])
        return await _notify(conn, [domain.accepted_notification(event, names)], event.event_id)
    overdue = event.as_overdue() if isinstance(event, PaymentFailed) else event
    if isinstance(overdue, PaymentOverdue):
        payment = overdue.payment
        names = await store.display_names(conn, [payment.host_id, payment.guest_id])
        update = domain.overdue_update(overdue, names)
        conversation_id = await store.conversation_about(conn, "booking", payment.booking_id)
        if conversation_id is not None:
            return await _post_update(conn, conversation_id, payment.host_id, update, event.event_id)
        # Every booking's first event opens its conversation; without one, the notices alone.
        return await _notify(conn, update.notifications, event.event_id)
    assert not isinstance(event, PaymentOverdue)
    drafts = [domain.payment_notification(event)]
    if isinstance(event, PaymentRefunded) and (reclaimed := domain.reclaimed_notification(event)):
        drafts.append(reclaimed)
    return await _notify(conn, drafts, event.event_id)


@registry.consumer("mentorships", *(e.subject for e in MENTORSHIP_EVENTS), *USER_SUBJECTS)
async def mentorship_conversations(conn: Connection, event: Event) -> AfterCommit | None:
    """A mentorship's conversation between student and mentor, opened by its request:
    each event posts its system message there and notifies the other side."""
    if isinstance(event, USER_EVENTS):
        return await _project_user(conn, event.user)
    assert isinstance(event, MENTORSHIP_EVENTS)
    m = event.mentorship
    # A request withdrawn before an answer is "ended" in matching; it never ran.
    status = "withdrawn" if isinstance(event, MentorshipEnded) and event.withdrawn else m.status
    opened = await store.open_about(
        conn, "mentorship", m.mentorship_id, domain.pair(m.student_id, m.mentor_id), status, m.version, None
    )
    if opened is None:
        return None  # the conversation already holds a newer state of this mentorship
    conversation_id, new = opened
    names = await store.display_names(conn, [m.student_id, m.mentor_id])
    update = domain.mentorship_update(event, names)
    return await _post_update(conn, conversation_id, m.student_id, update, event.event_id, opened=new)


@registry.consumer("rotations", RotationMoved.subject)
async def notify_rotation_moved(conn: Connection, event: Event) -> AfterCommit | None:
    """The student hears which stays booked for a moved rotation to ask a shift of."""
    assert isinstance(event, RotationMoved)
    return await _notify(conn, [domain.rotation_moved_notification(event)], event.event_id)


@registry.consumer("suggestions", MatchSuggested.subject)
async def notify_suggestion(conn: Connection, event: Event) -> AfterCommit | None:
    """The student hears of a room or a mentor that matching suggests for a rotation."""
    assert isinstance(event, MatchSuggested)
    return await _notify(conn, [domain.suggestion_notification(event)], event.event_id)


@registry.consumer("mentoring", MentoringNotice.subject)
async def notify_mentoring(conn: Connection, event: Event) -> AfterCommit | None:
    """A mentoring plan's or a letter's notice (a meeting, a reminder, a check-in due)."""
    assert isinstance(event, MentoringNotice)
    if event.kind in domain.REQUEST_NOTICES and event.from_user_id is not None:
        if await safety_store.blocked_pair(conn, event.from_user_id, event.user_id):
            return None  # a letter request matching accepted before it knew of the block
    return await _notify(conn, [domain.mentoring_notification(event)], event.event_id)


class _Runtime:
    """What consumers need of the settings (they get a connection and an event only)."""

    support_email = Settings.model_fields["support_email"].default


runtime = _Runtime()


@registry.on_startup
async def keep_settings(ctx: Context) -> None:
    runtime.support_email = ctx.settings.support_email


@registry.consumer("suspensions", UserSuspended.subject, UserReinstated.subject)
async def tell_counterparts(conn: Connection, event: Event) -> AfterCommit:
    """Wardmate suspended an account, or lifted its suspension: whoever has a stay or a
    mentorship under way with it, or talked with it lately, reads so in that conversation
    and gets a notice (mailed whatever their preferences say)."""
    assert isinstance(event, UserSuspended | UserReinstated)
    user_id, suspended = event.user_id, isinstance(event, UserSuspended)
    # First the lock, then the conversations: one opened meanwhile is told by its opening.
    await store.hold_suspensions(conn, [user_id])
    await store.record_suspension(conn, user_id, event.event_id if suspended else None)
    pushes = delivery.Pushes()
    # One notice a person (notices are one per event and reader): their stay's, else their
    # mentorship's, else the direct conversation's. It was the conversation whose id sorted
    # first: a paid guest read the direct thread's words, not a word of their stay.
    telling: dict[uuid.UUID, tuple[int, asyncpg.Record, domain.ConversationUpdate]] = {}
    for conversation in await store.conversations_to_tell(conn, user_id, domain.RECENT_CONVERSATION):
        update = await _suspension_update(conn, conversation, user_id, suspended=suspended)
        await _post(conn, pushes, conversation, replace(update, notifications=[]), event.event_id)
        other = conversation["user_high"] if conversation["user_low"] == user_id else conversation["user_low"]
        rank = domain.SUSPENSION_NOTICE_RANK[conversation["kind"]]
        if other not in telling or rank < telling[other][0]:
            telling[other] = (rank, conversation, update)
    for _, conversation, update in telling.values():
        for draft in update.notifications:
            await delivery.notify(conn, pushes, draft, event.event_id, conversation["id"])
    await pushes.save(conn)
    return pushes.send


async def _suspension_update(
    conn: Connection, conversation: asyncpg.Record, user_id: uuid.UUID, *, suspended: bool
) -> domain.ConversationUpdate:
    """What the conversation's other side reads of the suspension of ``user_id``."""
    low, high = conversation["user_low"], conversation["user_high"]
    listing_id = conversation["listing_id"]
    return domain.suspension_update(
        conversation["kind"],
        user_id,
        (await store.display_names(conn, [user_id])).get(user_id),
        high if low == user_id else low,
        await store.listing_title(conn, listing_id) if listing_id else None,
        suspended=suspended,
        support_email=runtime.support_email,
        booking_id=conversation["subject_id"] if conversation["kind"] == "booking" else None,
        listing_id=listing_id,
    )


async def _notify(conn: Connection, drafts: list[domain.NotificationDraft], event_id: uuid.UUID) -> AfterCommit:
    """The notifications of an event, stored with their pushes; the pushes go after commit."""
    pushes = delivery.Pushes()
    for draft in drafts:
        await delivery.notify(conn, pushes, draft, event_id)
    await pushes.save(conn)
    return pushes.send


@registry.consumer("deletions", UserDeleted.subject)
async def erase_user(conn: Connection, event: Event) -> AfterCommit:
    """A deleted account: messages they sent stay for the other person under "Deleted
    user" with the body removed; their notifications, pushes, blocks and reports go.

    Each other participant's open pages learn it at once: a ``conversation`` frame per
    conversation (as they now see it: the name, the last message, ``other.deleted``, which
    closes the composer) and an ``unread`` frame with their totals, which no longer count
    the deleted user's messages. Before, an open conversation kept the old name, bodies
    and composer until reloaded."""
    assert isinstance(event, UserDeleted)
    name = await store_privacy.erase(conn, event.user_id)
    await purge_outbox(conn, [str(event.user_id), *([name] if name else [])])
    pushes = delivery.Pushes()
    # Each other participant, in order, and whether they still have an account: one who
    # deleted theirs too gets no pushes (nor a new counter row) again.
    present: dict[uuid.UUID, bool] = {}
    for row in await store_privacy.conversations_with(conn, event.user_id):
        other = row["other"]
        if other not in present:
            present[other] = not await store.user_deleted(conn, other)
        if present[other]:
            view = await store.conversation_view(conn, row["id"], other)
            assert view is not None
            pushes.add(other, "conversation", views.to_conversation(view))
    for other, here in present.items():
        if here:
            pushes.add(other, "unread", views.to_unread(await store.unread_counts(conn, other)))
    await pushes.save(conn)
    return pushes.send
