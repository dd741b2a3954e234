"""Messaging against real Postgres and NATS: events applied once even when delivered
twice, version-aware booking conversations, per-user push numbering under concurrency,
replay and resync, and the send rate held across two replicas."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import asyncpg
import orjson
import pytest

from services.messaging import consumers, delivery, store, store_privacy
from services.messaging.handlers import conversations, pushes
from services.messaging.store import notifications as notification_store
from shared import bus
from shared.consumers import Apply, Consumer
from shared.contracts.accounts import ProfileUpdated, UserData, UserReinstated, UserSuspended, UserVerified
from shared.contracts.base import Actor
from shared.contracts.listings import (
    BookingAccepted,
    BookingData,
    BookingDeclined,
    BookingRequested,
    ListingData,
    ListingPublished,
)
from shared.contracts.matching import MatchSuggested
from shared.contracts.mentoring import MentoringNotice
from shared.contracts.messaging import (
    ConversationList,
    ConversationStart,
    MessageSend,
    NotificationCreated,
    PushesSince,
    UnreadCounts,
)
from shared.contracts.payments import PaymentData, PaymentDue
from shared.contracts.privacy import UserDeleted
from shared.db import create_pool, migrate
from shared.errors import AppError
from shared.push import user_subject
from shared.service import Context
from shared.settings import Settings
from tests.conftest import Infra
from tests.eventually import eventually


@pytest.fixture
async def nc(infra: Infra) -> AsyncIterator[bus.NATS]:
    conn = await bus.connect(infra.nats_url, "messaging-test")
    yield conn
    await conn.close()


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    await migrate(fresh_db, "messaging", "services.messaging.migrations")
    pool = await create_pool(fresh_db, "messaging", size=5)
    yield pool
    await pool.close()


def consumer(pool: asyncpg.Pool, nc: bus.NATS, apply: Apply) -> Consumer:
    # Only handle_event is used: the inbox, the effect and its pushes, as a delivery runs them.
    return Consumer(pool, nc, f"test-{uuid.uuid4().hex[:6]}", ["events.>"], apply)


def context(pool: asyncpg.Pool, nc: bus.NATS, user: uuid.UUID, **settings: object) -> Context:
    return Context(Actor(user_id=user, role="student"), "test", pool, Settings(**settings), nc)


def user(user_id: uuid.UUID, version: int, name: str, verified: bool = False) -> UserData:
    return UserData(user_id=user_id, version=version, role="professional", display_name=name, verified=verified)


def booking(host: uuid.UUID, guest: uuid.UUID, version: int, status: str, booking_id: uuid.UUID) -> BookingData:
    return BookingData(
        booking_id=booking_id,
        version=version,
        listing_id=LISTING,
        guest_id=guest,
        host_id=host,
        check_in=date(2027, 3, 1),
        check_out=date(2027, 3, 29),
        status=status,
        total_cents=100_800,
    )


LISTING = uuid.uuid4()


async def frames_of(pool: asyncpg.Pool, user_id: uuid.UUID) -> list[tuple[int, str]]:
    rows = await pool.fetch("SELECT seq, type FROM pushes WHERE user_id = $1 ORDER BY seq", user_id)
    return [(r["seq"], r["type"]) for r in rows]


async def test_a_booking_request_delivered_twice_has_one_effect(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """The second delivery of a request adds no conversation, message, notification or
    push; the first pushes the host's frames after commit, numbered 1, 2, 3."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    heard: list[dict[str, object]] = []

    async def hear(msg: object) -> None:
        heard.append(orjson.loads(msg.data))  # type: ignore[attr-defined]

    sub = await nc.subscribe(user_subject(host), cb=hear)
    names = consumer(pool, nc, consumers.project_users)
    await names.handle_event(ProfileUpdated(user=user(host, 2, "Dr. Host")))
    titles = consumer(pool, nc, consumers.project_listings)
    listing = ListingData(
        listing_id=LISTING,
        version=1,
        host_id=host,
        title="Quiet room",
        room_type="private_room",
        latitude=39.3,
        longitude=-76.6,
        monthly_rent=1095,
        amenities=[],
        available_from=date(2027, 1, 1),
        available_to=date(2027, 12, 31),
        min_stay_nights=14,
        status="active",
    )
    await titles.handle_event(ListingPublished(listing=listing))

    event = BookingRequested(booking=booking(host, guest, 1, "requested", uuid.uuid4()), message="Cardiology in March")
    bookings = consumer(pool, nc, consumers.booking_conversations)
    assert await bookings.handle_event(event) is True
    assert await bookings.handle_event(event) is False

    assert await pool.fetchval("SELECT count(*) FROM conversations") == 1
    messages = await pool.fetch("SELECT sender_id, body FROM messages ORDER BY seq")
    assert [m["sender_id"] for m in messages] == [None, guest]
    assert "“Quiet room”" in messages[0]["body"] and messages[1]["body"] == "Cardiology in March"
    notes = await pool.fetch("SELECT user_id, kind, text FROM notifications")
    assert [(n["user_id"], n["kind"]) for n in notes] == [(host, "booking_requested")]
    assert await frames_of(pool, host) == [(1, "message"), (2, "message"), (3, "notification")]
    assert await frames_of(pool, guest) == [(1, "message"), (2, "message")]
    # The host has both messages unread; the guest wrote (and so read) them.
    for who, unread in ((host, 2), (guest, 0)):
        counts = await store.unread_counts(pool, who)
        assert counts["messages"] == unread

    await eventually(lambda: heard, 5, what="the three pushes", until=lambda got: len(got) >= 3, interval=0.01)
    assert [(f["seq"], f["type"]) for f in heard] == [(1, "message"), (2, "message"), (3, "notification")]
    assert heard[2]["data"]["kind"] == "booking_requested"  # type: ignore[index]
    await sub.unsubscribe()


async def test_a_late_request_after_its_acceptance_adds_nothing(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """Booking events carry versions: a request delivered after its acceptance (a retry
    delayed it) neither notifies the host nor posts an outdated system message."""
    host, guest, booking_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    bookings = consumer(pool, nc, consumers.booking_conversations)
    await bookings.handle_event(BookingAccepted(booking=booking(host, guest, 2, "accepted", booking_id)))
    await bookings.handle_event(BookingRequested(booking=booking(host, guest, 1, "requested", booking_id)))
    row = await pool.fetchrow("SELECT subject_status, subject_version, last_seq FROM conversations")
    assert row is not None and tuple(row) == ("accepted", 2, 1)
    # The acceptance's notice waits for payments' deadline (the next test): none for the host.
    assert await pool.fetchval("SELECT count(*) FROM notifications") == 0


def payment_due(host: uuid.UUID, guest: uuid.UUID, booking_id: uuid.UUID) -> PaymentDue:
    payment = PaymentData(
        payment_id=uuid.uuid4(),
        booking_id=booking_id,
        block=0,
        amount_cents=100_800,
        guest_id=guest,
        host_id=host,
        listing_title="Quiet room",
        status="due",
    )
    return PaymentDue(
        payment=payment,
        pay_by=datetime(2027, 2, 20, 20, 0, tzinfo=UTC),
        time_zone="America/New_York",
        check_in=date(2027, 3, 1),
        check_out=date(2027, 3, 29),
    )


async def test_the_guest_hears_of_an_acceptance_with_its_deadline_unless_it_ended_since(
    pool: asyncpg.Pool, nc: bus.NATS
) -> None:
    """The acceptance's notice comes with payments' deadline (listings' event cannot carry
    it): what to pay, by when on the room's clock, once. A deadline that arrives after the
    booking ended (declined since, another stay's nights) tells nobody to pay."""
    host, guest, booking_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    bookings = consumer(pool, nc, consumers.booking_conversations)
    payments = consumer(pool, nc, consumers.payment_notifications)
    await bookings.handle_event(ProfileUpdated(user=user(host, 1, "Dr. Accepting")))
    await bookings.handle_event(BookingAccepted(booking=booking(host, guest, 2, "accepted", booking_id)))
    due = payment_due(host, guest, booking_id)
    assert await payments.handle_event(due) is True
    assert await payments.handle_event(due) is False
    notes = await pool.fetch("SELECT user_id, kind, text, booking_id FROM notifications")
    assert [(n["user_id"], n["kind"], n["booking_id"]) for n in notes] == [(guest, "booking_accepted", booking_id)]
    assert notes[0]["text"] == (
        "Dr. Accepting accepted your request for “Quiet room”, Mar 1, 2027 to Mar 29, 2027 (28 nights)."
        " Pay $1,008.00 by Feb 20, 2027 at 3:00 PM EST to confirm the stay: unpaid by then, the booking expires."
    )

    other = uuid.uuid4()
    await bookings.handle_event(BookingAccepted(booking=booking(host, guest, 2, "accepted", other)))
    await bookings.handle_event(BookingDeclined(booking=booking(host, guest, 3, "declined", other)))
    assert await payments.handle_event(payment_due(host, guest, other)) is True
    kinds = await pool.fetch("SELECT kind FROM notifications WHERE booking_id = $1", other)
    assert [k["kind"] for k in kinds] == ["booking_declined"]


async def test_users_projection_keeps_the_newest_and_verification_notifies_once(
    pool: asyncpg.Pool, nc: bus.NATS
) -> None:
    """A late profile update cannot undo a verification; the badge's notification comes
    once although the event is delivered twice."""
    someone = uuid.uuid4()
    names = consumer(pool, nc, consumers.project_users)
    notify = consumer(pool, nc, consumers.notify)
    verified = UserVerified(user=user(someone, 3, "Dr. Renamed", verified=True))
    await names.handle_event(verified)
    await names.handle_event(ProfileUpdated(user=user(someone, 2, "Dr. Old")))
    assert [await notify.handle_event(verified) for _ in range(2)] == [True, False]
    row = await pool.fetchrow("SELECT display_name, verified, version FROM users WHERE user_id = $1", someone)
    assert row is not None and tuple(row) == ("Dr. Renamed", True, 3)
    assert await pool.fetchval("SELECT count(*) FROM notifications WHERE user_id = $1", someone) == 1


async def test_a_name_heard_late_reaches_the_open_conversation_of_the_other_side(
    pool: asyncpg.Pool, nc: bus.NATS
) -> None:
    """A conversation opened before messaging heard of the guest reads "A guest" / no name;
    the name's event pushes the host a ``conversation`` frame with it (the page reloads on
    it), once, whichever consumer applies it first. A newer snapshot with the same name and
    badge pushes nothing; a badge does."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    bookings = consumer(pool, nc, consumers.booking_conversations)
    names = consumer(pool, nc, consumers.project_users)
    await bookings.handle_event(BookingRequested(booking=booking(host, guest, 1, "requested", uuid.uuid4())))
    before = await frames_of(pool, host)

    async def conversation_frames() -> list[dict[str, object]]:
        rows = await pool.fetch(
            "SELECT data FROM pushes WHERE user_id = $1 AND type = 'conversation' ORDER BY seq", host
        )
        return [orjson.loads(r["data"]) if isinstance(r["data"], str) else r["data"] for r in rows]

    assert await conversation_frames() == []
    registered = ProfileUpdated(user=user(guest, 1, "Amina Yusuf"))
    await names.handle_event(registered)
    await bookings.handle_event(registered)  # the same snapshot through the other consumer
    [frame] = await conversation_frames()
    other = frame["other"]
    assert isinstance(other, dict) and (other["id"], other["display_name"]) == (str(guest), "Amina Yusuf")
    assert "conversation" not in {t for _, t in await frames_of(pool, guest)}  # not told of themselves
    await names.handle_event(ProfileUpdated(user=user(guest, 2, "Amina Yusuf")))
    assert len(await conversation_frames()) == 1
    await names.handle_event(UserVerified(user=user(guest, 3, "Amina Yusuf", verified=True)))
    assert len(await conversation_frames()) == 2
    assert len(await frames_of(pool, host)) == len(before) + 2


async def test_letter_and_suggestion_notices_carry_what_they_open(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """A letter's notice keeps its request, and a suggestion its rotation: in the stored
    notification, its push and the ``NotificationCreated`` that accounts mails, which
    link to that letter and that rotation (they went to the lists, or the notifications)."""
    writer, student, letter_id, rotation_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    notice = MentoringNotice(
        user_id=writer, kind="letter_confirmed", text="Amina confirmed your letter arrived", letter_id=letter_id
    )
    assert await consumer(pool, nc, consumers.notify_mentoring).handle_event(notice)
    mentor = MatchSuggested(
        student_id=student,
        rotation_id=rotation_id,
        kind="mentor",
        subject_id=uuid.uuid4(),
        headline="Dr. Guide",
        score=0.7,
        reasons=[],
        specialty="Cardiology",
        start_date=date(2027, 1, 5),
        end_date=date(2027, 2, 1),
    )
    assert await consumer(pool, nc, consumers.notify_suggestion).handle_event(mentor)

    stored = await pool.fetch("SELECT user_id, text, letter_id, rotation_id FROM notifications ORDER BY created_at")
    assert [tuple(r) for r in stored] == [
        (writer, "Amina confirmed your letter arrived", letter_id, None),
        (student, "Dr. Guide could mentor you for your Cardiology rotation (Jan 5 – Feb 1, 2027)", None, rotation_id),
    ]
    pushed = {
        r["user_id"]: r["data"]  # the pool decodes jsonb
        for r in await pool.fetch("SELECT user_id, data FROM pushes WHERE type = 'notification'")
    }
    assert (pushed[writer]["letter_id"], pushed[writer]["rotation_id"]) == (str(letter_id), None)
    assert (pushed[student]["letter_id"], pushed[student]["rotation_id"]) == (None, str(rotation_id))
    created = [
        NotificationCreated.model_validate_json(r["payload"])
        for r in await pool.fetch(
            "SELECT payload FROM outbox WHERE subject = $1 ORDER BY seq", NotificationCreated.subject
        )
    ]
    assert [(c.user_id, c.kind, c.letter_id, c.rotation_id) for c in created] == [
        (writer, "letter_confirmed", letter_id, None),
        (student, "match_suggested", None, rotation_id),
    ]


async def test_push_seqs_are_gapless_per_user_under_concurrency(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """Forty transactions at once, each storing a frame for each of two users: every
    user's seqs are 1..40, each once (the counter row is bumped in each transaction)."""
    users = [uuid.uuid4(), uuid.uuid4()]
    counts = UnreadCounts(messages=0, conversations=0, notifications=0)

    async def one(i: int) -> None:
        async with delivery.transaction(pool, nc) as (_, frames):
            for who in users[:: 1 if i % 2 else -1]:  # half of them in the other order
                frames.add(who, "unread", counts)

    await asyncio.gather(*(one(i) for i in range(40)))
    for who in users:
        assert [seq for seq, _ in await frames_of(pool, who)] == list(range(1, 41))


async def test_published_frames_carry_the_seqs_they_were_stored_with(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """One statement stores every frame of a transaction: what goes out live (seq and
    data) is what a replay returns, each user's frames numbered in the order added."""
    a, b = sorted([uuid.uuid4(), uuid.uuid4()])
    published: list[tuple[uuid.UUID, int | None, object]] = []
    for first in (0, 3):
        async with delivery.transaction(pool, nc) as (_, frames):
            for n, who in enumerate([b, a, b, a, b], start=first * 10):
                frames.add(who, "unread", UnreadCounts(messages=n, conversations=0, notifications=0))
        published += [(who, frame.seq, frame.data["messages"]) for who, frame in frames.frames]
    stored = await pool.fetch("SELECT user_id, seq, data FROM pushes WHERE user_id = ANY($1::uuid[])", [a, b])
    assert sorted(published) == sorted((r["user_id"], r["seq"], r["data"]["messages"]) for r in stored)
    assert [(seq, n) for who, seq, n in published if who == a] == [(1, 1), (2, 3), (3, 31), (4, 33)]
    assert [(seq, n) for who, seq, n in published if who == b] == [(1, 0), (2, 2), (3, 4), (4, 30), (5, 32), (6, 34)]


async def test_replay_returns_what_was_missed_and_resyncs_after_pruning(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """Frames after ``since`` come back oldest first; more than ``limit``, or a pruned
    gap, asks the client to resync from ``last_seq``."""
    me = uuid.uuid4()
    ctx = context(pool, nc, me)
    async with delivery.transaction(pool, nc) as (_, frames):
        for n in range(5):
            frames.add(me, "unread", UnreadCounts(messages=n, conversations=0, notifications=0))
    replay = await pushes.pushes_since(ctx, PushesSince(since=2))
    assert [(f.seq, f.data["messages"]) for f in replay.frames] == [(3, 2), (4, 3), (5, 4)]
    assert replay.last_seq == 5 and not replay.resync
    assert (await pushes.pushes_since(ctx, PushesSince(since=5))).frames == []
    too_many = await pushes.pushes_since(ctx, PushesSince(since=0, limit=3))
    assert too_many.resync and too_many.frames == [] and too_many.last_seq == 5

    await pool.execute("UPDATE pushes SET created_at = now() - interval '8 days' WHERE user_id = $1 AND seq <= 3", me)
    assert await notification_store.prune_pushes(pool, timedelta(days=7)) == 3
    pruned = await pushes.pushes_since(ctx, PushesSince(since=1))
    assert pruned.resync and pruned.last_seq == 5
    kept = await pushes.pushes_since(ctx, PushesSince(since=3))
    assert [f.seq for f in kept.frames] == [4, 5] and not kept.resync


async def test_the_send_rate_holds_across_two_replicas(pool: asyncpg.Pool, fresh_db: str, nc: bus.NATS) -> None:
    """Forty messages sent at once through two pools (two replicas) with a limit of 30 a
    minute: exactly 30 are stored, the rest refused with a retry time."""
    sender, other = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        for who in (sender, other):
            await store.remember_user(conn, who, "Someone", "student", False)
    second = await create_pool(fresh_db, "messaging", size=5)
    try:
        contexts = [context(p, nc, sender, message_rate_per_minute=30) for p in (pool, second)]
        started = await conversations.start_conversation(contexts[0], ConversationStart(user_id=other))

        async def send(i: int) -> str:
            try:
                await conversations.send_message(
                    contexts[i % 2], MessageSend(conversation_id=started.id, body=f"message {i}")
                )
            except AppError as err:
                assert err.code == "rate_limited" and 0 < err.details["retry_after_s"] <= 60
                return "refused"
            return "sent"

        outcomes = await asyncio.gather(*(send(i) for i in range(40)))
    finally:
        await second.close()
    assert outcomes.count("sent") == 30 and outcomes.count("refused") == 10
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE sender_id = $1", sender) == 30
    # The stored seqs have no gaps: refused messages rolled back with their numbers.
    assert await pool.fetchval("SELECT max(seq) FROM messages") == 30


async def test_nothing_new_reaches_a_deleted_account(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """Once the other side deleted their account, a message to them or a new start with
    them is refused (409), not stored as if someone would read it; the history stays."""
    me, gone = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        for who in (me, gone):
            await store.remember_user(conn, who, "Someone", "student", False)
    ctx = context(pool, nc, me)
    started = await conversations.start_conversation(ctx, ConversationStart(user_id=gone, body="hello"))
    async with pool.acquire() as conn, conn.transaction():
        await store_privacy.erase(conn, gone)
    with pytest.raises(AppError) as sent:
        await conversations.send_message(ctx, MessageSend(conversation_id=started.id, body="are you there?"))
    with pytest.raises(AppError) as again:
        await conversations.start_conversation(ctx, ConversationStart(user_id=gone, body="hello again"))
    assert sent.value.code == again.value.code == "conflict"
    assert await pool.fetchval("SELECT count(*) FROM messages WHERE conversation_id = $1", started.id) == 1
    inbox = await conversations.list_conversations(ctx, ConversationList())
    assert [c.other.display_name for c in inbox.items] == ["Deleted user"]


async def test_a_deletion_reaches_the_other_sides_open_pages_and_clears_their_unread(
    pool: asyncpg.Pool, nc: bus.NATS
) -> None:
    """When the other side deletes their account, I get a ``conversation`` frame per shared
    conversation (their name, the removed bodies, ``other.deleted``) and an ``unread``
    frame; their removed messages no longer count as unread, the system messages do."""
    me, gone = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        for who, name in ((me, "Dr. Me"), (gone, "Dr. Gone")):
            await store.remember_user(conn, who, name, "professional", False)
    started = await conversations.start_conversation(
        context(pool, nc, gone), ConversationStart(user_id=me, body="first words")
    )
    await conversations.send_message(context(pool, nc, gone), MessageSend(conversation_id=started.id, body="more"))
    booking_id = uuid.uuid4()
    bookings = consumer(pool, nc, consumers.booking_conversations)
    await bookings.handle_event(BookingRequested(booking=booking(me, gone, 1, "requested", booking_id), message="hi"))
    # Unread for me: two direct messages; the booking's system message and the guest's words.
    assert (await store.unread_counts(pool, me))["messages"] == 4
    heard: list[dict[str, object]] = []

    async def hear(msg: object) -> None:
        heard.append(orjson.loads(msg.data))  # type: ignore[attr-defined]

    sub = await nc.subscribe(user_subject(me), cb=hear)
    deletions = consumer(pool, nc, consumers.erase_user)
    assert await deletions.handle_event(UserDeleted(user_id=gone)) is True

    counts = await store.unread_counts(pool, me)
    assert (counts["messages"], counts["conversations"]) == (1, 1)  # the system message alone
    await eventually(lambda: heard, 5, what="the deletion's frames", until=lambda got: len(got) >= 3, interval=0.01)
    await sub.unsubscribe()
    assert sorted(f["type"] for f in heard) == ["conversation", "conversation", "unread"]  # type: ignore[type-var]
    shown = {f["data"]["id"]: f["data"] for f in heard if f["type"] == "conversation"}  # type: ignore[index]
    direct = shown[str(started.id)]
    assert direct["other"]["display_name"] == "Deleted user" and direct["other"]["deleted"] is True  # type: ignore[index]
    assert direct["last_message"]["body"] == "This message was deleted." and direct["unread_count"] == 0  # type: ignore[index]
    assert [f["data"] for f in heard if f["type"] == "unread"] == [  # type: ignore[index]
        {"messages": 1, "conversations": 1, "notifications": counts["notifications"]}
    ]
    # What a reload shows agrees, and the frames are stored for a reconnecting page.
    inbox = await conversations.list_conversations(context(pool, nc, me), ConversationList())
    assert {c.other.deleted for c in inbox.items} == {True} and inbox.unread.messages == 1
    assert [t for _, t in await frames_of(pool, me)][-3:] == ["conversation", "conversation", "unread"]


async def _suspension_notices(pool: asyncpg.Pool, booking_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """The suspension notices about a booking: who got each, and of which kind."""
    rows = await pool.fetch(
        "SELECT user_id, kind FROM notifications WHERE booking_id = $1"
        " AND kind IN ('account_suspended', 'suspension_lifted') ORDER BY created_at",
        booking_id,
    )
    return [(r["user_id"], r["kind"]) for r in rows]


async def _system_texts(pool: asyncpg.Pool, booking_id: uuid.UUID) -> list[str]:
    rows = await pool.fetch(
        "SELECT m.body FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.subject_id = $1 AND m.sender_id IS NULL ORDER BY m.seq",
        booking_id,
    )
    return [r["body"] for r in rows]


async def _waiting_on_a_lock(pool: asyncpg.Pool) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
    )
    return count


async def test_a_request_made_as_its_host_is_suspended_is_told_of_it(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """Listings may take a request for a room moments before it learns that Wardmate
    suspended the host, and the suspension's consumer may run before the request's
    conversation exists: the conversation then tells the guest when it opens. Lifting the
    suspension tells that conversation too. Two further bookings, each interleaved with a
    suspension the other way round inside open transactions, get exactly one notice each."""
    host, guest = uuid.uuid4(), uuid.uuid4()
    await consumer(pool, nc, consumers.project_users).handle_event(ProfileUpdated(user=user(host, 2, "Dr. Host")))
    suspensions = consumer(pool, nc, consumers.tell_counterparts)
    bookings = consumer(pool, nc, consumers.booking_conversations)

    # The suspension's consumer first: no conversation to tell yet.
    assert await suspensions.handle_event(UserSuspended(user_id=host)) is True
    first = uuid.uuid4()
    await bookings.handle_event(BookingRequested(booking=booking(host, guest, 1, "requested", first), message="hi"))
    texts = await _system_texts(pool, first)
    assert len(texts) == 2 and texts[1].startswith("Wardmate suspended the account of Dr. Host (the stay")
    assert await _suspension_notices(pool, first) == [(guest, "account_suspended")]
    # The booking's later events do not tell it again; the lift does, once.
    await bookings.handle_event(BookingAccepted(booking=booking(host, guest, 2, "accepted", first)))
    assert await suspensions.handle_event(UserReinstated(user_id=host)) is True
    assert await _suspension_notices(pool, first) == [(guest, "account_suspended"), (guest, "suspension_lifted")]
    # Lifted: a new request is told nothing.
    later = uuid.uuid4()
    await bookings.handle_event(BookingRequested(booking=booking(host, guest, 1, "requested", later)))
    assert await _suspension_notices(pool, later) == []

    # The request's transaction opens the conversation and holds the suspension lock; the
    # suspension's consumer waits for it, then finds the conversation.
    other_host, second = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await consumers.booking_conversations(
            conn, BookingRequested(booking=booking(other_host, guest, 1, "requested", second))
        )
        suspending = asyncio.create_task(suspensions.handle_event(UserSuspended(user_id=other_host)))
        await eventually(lambda: _waiting_on_a_lock(pool), 10, what="the suspension waiting for the request")
        await transaction.commit()
    assert await suspending is True
    assert await _suspension_notices(pool, second) == [(guest, "account_suspended")]

    # The other way round: the suspension's transaction holds the lock; the request's
    # conversation waits for it, then finds the suspension told.
    third_host, third = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        await consumers.tell_counterparts(conn, UserSuspended(user_id=third_host))
        requesting = asyncio.create_task(
            bookings.handle_event(BookingRequested(booking=booking(third_host, guest, 1, "requested", third)))
        )
        await eventually(lambda: _waiting_on_a_lock(pool), 10, what="the request waiting for the suspension")
        await transaction.commit()
    assert await requesting is True
    assert await _suspension_notices(pool, third) == [(guest, "account_suspended")]


async def test_an_erased_account_leaves_no_record_of_its_suspension(pool: asyncpg.Pool, nc: bus.NATS) -> None:
    """An account suspended, then erased (a never-confirmed account a new sign-up to its
    address replaces is erased as a deletion is) leaves no ``suspensions_told`` row."""
    suspended, other = uuid.uuid4(), uuid.uuid4()
    suspensions = consumer(pool, nc, consumers.tell_counterparts)
    for who in (suspended, other):
        assert await suspensions.handle_event(UserSuspended(user_id=who)) is True
    async with pool.acquire() as conn, conn.transaction():
        await store_privacy.erase(conn, suspended)
    assert await pool.fetchval("SELECT array_agg(user_id) FROM suspensions_told") == [other]
