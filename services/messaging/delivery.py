"""Writing what users receive: messages and notifications, each with a stored push per
recipient, numbered in the same transaction and published only after it commits.

Every push a client must not miss is a row in ``pushes`` with the user's next ``seq``
(``user_seqs`` is the counter, bumped in the transaction that stores what the push
announces). After commit the frames go out on the users' NATS subjects
(``shared.push.push``); one lost in flight is replayed from the table by seq.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from nats.aio.client import Client as NATS
from pydantic import BaseModel

from services.messaging import domain, scam, store, views
from services.messaging.store import notifications as notification_store
from shared.contracts.messaging import NotificationCreated
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.push import Frame, FrameType, push


class Pushes:
    """Frames for users, stored by ``save`` (in the transaction) and sent by ``send``."""

    def __init__(self) -> None:
        self._pending: list[tuple[uuid.UUID, FrameType, dict[str, Any]]] = []
        self.frames: list[tuple[uuid.UUID, Frame]] = []

    def add(self, user_id: uuid.UUID, frame_type: FrameType, data: BaseModel) -> None:
        self._pending.append((user_id, frame_type, data.model_dump(mode="json")))

    async def save(self, conn: Connection) -> None:
        """Give each frame its user's next seq, at the end of the transaction, in one
        round trip: taking the users' counter rows last, in one order (by user id; a stable
        sort keeps each user's frames in the order they were added), means two
        transactions never wait on each other's counters in a cycle, and the rows stay
        locked only briefly."""
        if not self._pending:
            return
        pending = sorted(self._pending, key=lambda p: p[0])
        last = await notification_store.add_pushes(conn, pending)
        counts = Counter(user_id for user_id, _, _ in pending)
        taken: Counter[uuid.UUID] = Counter()
        for user_id, frame_type, data in pending:
            taken[user_id] += 1
            seq = last[user_id] - counts[user_id] + taken[user_id]
            self.frames.append((user_id, Frame(type=frame_type, seq=seq, data=data)))
        self._pending.clear()

    async def send(self, nc: NATS) -> None:
        """Publish the saved frames; call after commit (``push`` never raises)."""
        for user_id, frame in self.frames:
            await push(nc, user_id, frame)


@asynccontextmanager
async def transaction(pool: asyncpg.Pool, nc: NATS) -> AsyncIterator[tuple[Connection, Pushes]]:
    """A transaction whose pushes are stored before it commits and sent after."""
    pushes = Pushes()
    async with pool.acquire() as conn, conn.transaction():
        yield conn, pushes
        await pushes.save(conn)
    # Published once the connection is back in the pool: asyncpg's release yields to the
    # event loop, which would let nats-py's flusher write the pushes on their own; from
    # here they leave in one write with the handler's reply, which follows without a yield.
    await pushes.send(nc)


async def post_message(
    conn: Connection,
    pushes: Pushes,
    conversation: asyncpg.Record,
    sender: uuid.UUID | None,
    body: str,
    *,
    client_message_id: str | None = None,
    rate_per_minute: int | None = None,
    read_by: frozenset[uuid.UUID] = frozenset(),
    locked: bool = False,
    sender_role: str | None = None,
) -> asyncpg.Record:
    """Store a message in ``conversation`` and its pushes.

    A client id the sender already used here returns the stored message, with no second
    message and no pushes. ``rate_per_minute`` refuses a sender over the limit (429 with
    ``retry_after_s``); ``read_by`` (and the sender) have read up to the new message.
    ``locked``: ``conversation`` comes from ``store.conversation_to_send`` (the row and the
    sender's sends are locked already, and its ``last_seq`` is final). ``sender_role``: the
    sender's, when the caller knows it (else read from the users accounts published).
    """
    conversation_id = conversation["id"]
    # Locks the conversation (its messages take their seq one at a time), and the sender's
    # sends (their recent messages are counted exactly).
    seq = conversation["last_seq"] + 1 if locked else await store.next_seq(conn, conversation_id, sender)
    warning = None
    if sender is not None:
        kind = conversation["kind"]
        contact_ok = domain.contact_ok(kind, conversation["subject_status"])
        warning = scam.check(body, contact_ok=contact_ok, about=kind)
        if warning is not None and kind != "mentorship":
            # A student's message about a stay (or a room) is read by a host: a host's advice.
            if (sender_role or await store.user_role(conn, sender)) == "student":
                warning = scam.check(body, contact_ok=contact_ok, about=kind, to_host=True)
    # Counted with the insert (under the sender's lock), so a resent client id is never
    # refused, and the refusal rolls the new message back.
    rate = (domain.RATE_WINDOW, rate_per_minute) if rate_per_minute is not None else None
    row = await store.add_message(
        conn,
        conversation_id,
        seq,
        sender,
        body,
        client_message_id,
        warning.text if warning else None,
        warning.rules if warning else (),
        read_by=read_by | ({sender} if sender else set()),
        rate=rate,
    )
    if row is None:
        # The unique (conversation, sender, client id) refused a second copy.
        assert sender is not None and client_message_id is not None
        existing = await store.message_by_client_id(conn, conversation_id, sender, client_message_id)
        assert existing is not None
        return existing
    if sender is not None and rate_per_minute is not None:
        wait = domain.retry_after(row["rate_newest"], row["rate_over"])
        if wait is not None:
            raise AppError(
                "rate_limited",
                f"you can send {rate_per_minute} messages a minute; wait a moment",
                {"retry_after_s": round(wait, 3)},
            )
    for user_id in (conversation["user_low"], conversation["user_high"]):
        # The sender too: their other devices show what they sent.
        pushes.add(user_id, "message", views.to_message(row, user_id))
    return row


async def notify(
    conn: Connection,
    pushes: Pushes,
    draft: domain.NotificationDraft,
    event_id: uuid.UUID,
    conversation_id: uuid.UUID | None = None,
) -> None:
    """Store the notification an event gives a user (once per event and user) and its push."""
    row = await notification_store.insert_notification(conn, draft, event_id, conversation_id)
    if row is not None:
        pushes.add(draft.user_id, "notification", views.to_notification(row))
        # Mail (accounts) tells the user too, when their preferences say so.
        await add(
            conn,
            NotificationCreated(
                notification_id=row["id"],
                user_id=draft.user_id,
                kind=draft.kind,
                text=draft.text,
                booking_id=draft.booking_id,
                listing_id=draft.listing_id,
                conversation_id=conversation_id,
                mentorship_id=draft.mentorship_id,
                letter_id=draft.letter_id,
                rotation_id=draft.rotation_id,
                room=draft.room,
            ),
        )
