"""SQL of the messaging schema: projections, conversations, messages, read state (live
pushes and notifications: ``store/notifications.py``; blocks and reports: ``store/safety.py``)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta

import asyncpg

from services.messaging.domain import UNDER_WAY
from shared.contracts.accounts import UserData
from shared.db import Connection, Lock, lock_key, xact_lock
from shared.paging import newest_first_after
from shared.privacy import ERASED_VERSION

DB = Connection | asyncpg.Pool
Key = tuple[datetime, uuid.UUID]

# --- projections of accounts and listings ---------------------------------------------


async def project_user(conn: Connection, user: UserData) -> bool:
    """Hold the user's snapshot unless ours is as new or newer; False when it was not."""
    result = await conn.execute(
        "INSERT INTO users(user_id, display_name, role, verified, suspended, version) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,"
        " verified = excluded.verified, suspended = excluded.suspended, version = excluded.version"
        " WHERE users.version < excluded.version",
        user.user_id,
        user.display_name,
        user.role,
        user.verified,
        user.suspended,
        user.version,
    )
    return result.endswith(" 1")


async def user_face(db: DB, user_id: uuid.UUID) -> tuple[str | None, bool] | None:
    """The name and badge the user's conversations show them with (None: unknown yet)."""
    row = await db.fetchrow("SELECT display_name, verified FROM users WHERE user_id = $1", user_id)
    return (row["display_name"], row["verified"]) if row is not None else None


async def recent_conversations_with(conn: Connection, user_id: uuid.UUID, recent: timedelta) -> list[asyncpg.Record]:
    """The user's conversations active within ``recent``, each with its other participant
    (``id``, ``other``), in id order; not those whose other side deleted their account."""
    return await conn.fetch(
        "SELECT c.id, CASE WHEN c.user_low = $1 THEN c.user_high ELSE c.user_low END AS other"
        " FROM conversations c WHERE (c.user_low = $1 OR c.user_high = $1)"
        " AND c.last_activity_at > now() - $2::interval"
        f" AND NOT EXISTS (SELECT 1 FROM users o WHERE o.version = {ERASED_VERSION}"
        "  AND o.user_id = CASE WHEN c.user_low = $1 THEN c.user_high ELSE c.user_low END)"
        " ORDER BY c.id",
        user_id,
        recent,
    )


async def remember_user(conn: Connection, user_id: uuid.UUID, display_name: str, role: str, verified: bool) -> None:
    """A user accounts vouched for before its event reached us (version 0: any event wins)."""
    await conn.execute(
        "INSERT INTO users(user_id, display_name, role, verified, version) VALUES ($1, $2, $3, $4, 0)"
        " ON CONFLICT (user_id) DO NOTHING",
        user_id,
        display_name,
        role,
        verified,
    )


async def user_known(db: DB, user_id: uuid.UUID) -> bool:
    return bool(await db.fetchval("SELECT EXISTS (SELECT 1 FROM users WHERE user_id = $1)", user_id))


async def user_deleted(db: DB, user_id: uuid.UUID) -> bool:
    """Whether the user deleted their account (their row holds the erased version)."""
    return bool(await db.fetchval("SELECT version = $2 FROM users WHERE user_id = $1", user_id, ERASED_VERSION))


async def user_suspended(db: DB, user_id: uuid.UUID) -> bool:
    """Whether an operator suspended the account, as its last snapshot said."""
    return bool(await db.fetchval("SELECT suspended FROM users WHERE user_id = $1", user_id))


async def user_role(db: DB, user_id: uuid.UUID) -> str | None:
    """The user's role as accounts last published it (None: not heard of yet)."""
    role: str | None = await db.fetchval("SELECT role FROM users WHERE user_id = $1", user_id)
    return role


async def display_names(db: DB, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    """The names texts will carry, share-locked to the end of the transaction: an account's
    deletion (which rewrites the name, then scrubs it from stored texts) waits for a text
    being written with the old name, or that text is written after, with the new one.
    Without the lock a text read before the deletion committed could be stored after its
    scrub, keeping the deleted user's name."""
    rows = await db.fetch(
        "SELECT user_id, display_name FROM users WHERE user_id = ANY($1::uuid[]) ORDER BY user_id FOR SHARE",
        user_ids,
    )
    return {r["user_id"]: r["display_name"] for r in rows}


async def project_listing(conn: Connection, listing_id: uuid.UUID, title: str, version: int) -> bool:
    result = await conn.execute(
        "INSERT INTO listings(listing_id, title, version) VALUES ($1, $2, $3)"
        " ON CONFLICT (listing_id) DO UPDATE SET title = excluded.title, version = excluded.version"
        " WHERE listings.version < excluded.version",
        listing_id,
        title,
        version,
    )
    return result.endswith(" 1")


async def listing_title(db: DB, listing_id: uuid.UUID) -> str | None:
    title: str | None = await db.fetchval("SELECT title FROM listings WHERE listing_id = $1", listing_id)
    return title


# --- conversations --------------------------------------------------------------------


async def _add_participants(conn: Connection, conversation_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO participants(conversation_id, user_id, last_activity_at)"
        " SELECT id, unnest(ARRAY[user_low, user_high]), last_activity_at FROM conversations WHERE id = $1"
        " ON CONFLICT DO NOTHING",
        conversation_id,
    )


async def open_direct(conn: Connection, low: uuid.UUID, high: uuid.UUID) -> uuid.UUID:
    """The pair's direct conversation, created if missing (two starting at once get one)."""
    # ON CONFLICT waits for a concurrent insert of the pair and then does nothing; the
    # SELECT after it sees the winner's committed row.
    created = await conn.fetchval(
        "INSERT INTO conversations(id, kind, user_low, user_high) VALUES ($1, 'direct', $2, $3)"
        " ON CONFLICT (user_low, user_high) WHERE kind = 'direct' DO NOTHING RETURNING id",
        uuid.uuid4(),
        low,
        high,
    )
    if created is not None:
        await _add_participants(conn, created)
        return uuid.UUID(str(created))
    found = await conn.fetchval(
        "SELECT id FROM conversations WHERE kind = 'direct' AND user_low = $1 AND user_high = $2", low, high
    )
    return uuid.UUID(str(found))


async def booking_conversation(
    conn: Connection, low: uuid.UUID, high: uuid.UUID, listing_id: uuid.UUID
) -> uuid.UUID | None:
    """The pair's newest conversation about a booking of this listing, if any."""
    found = await conn.fetchval(
        "SELECT id FROM conversations WHERE kind = 'booking' AND user_low = $1 AND user_high = $2"
        " AND listing_id = $3 ORDER BY created_at DESC LIMIT 1",
        low,
        high,
        listing_id,
    )
    return uuid.UUID(str(found)) if found is not None else None


async def conversation_about(db: DB, kind: str, subject_id: uuid.UUID) -> uuid.UUID | None:
    """The conversation about a booking or mentorship, if its first event opened it."""
    found = await db.fetchval("SELECT id FROM conversations WHERE kind = $1 AND subject_id = $2", kind, subject_id)
    return uuid.UUID(str(found)) if found is not None else None


async def subject_status(db: DB, kind: str, subject_id: uuid.UUID) -> str | None:
    """The status of a booking or mentorship as its conversation last heard it (None: not yet)."""
    found = await db.fetchval(
        "SELECT subject_status FROM conversations WHERE kind = $1 AND subject_id = $2", kind, subject_id
    )
    return str(found) if found is not None else None


async def open_about(
    conn: Connection,
    kind: str,
    subject_id: uuid.UUID,
    pair: tuple[uuid.UUID, uuid.UUID],
    status: str,
    version: int,
    listing_id: uuid.UUID | None,
) -> tuple[uuid.UUID, bool] | None:
    """Open (or update) the conversation about a booking or mentorship with the subject's
    status at ``version``: its id, and whether this opened it; None when it already holds
    that version or a newer one."""
    row = await conn.fetchrow(
        "INSERT INTO conversations(id, kind, user_low, user_high, subject_id, subject_status, subject_version,"
        " listing_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (kind, subject_id) WHERE subject_id IS NOT NULL DO UPDATE"
        " SET subject_status = excluded.subject_status, subject_version = excluded.subject_version"
        " WHERE conversations.subject_version < excluded.subject_version"
        " RETURNING id, (xmax = 0) AS inserted",
        uuid.uuid4(),
        kind,
        pair[0],
        pair[1],
        subject_id,
        status,
        version,
        listing_id,
    )
    if row is None:
        return None
    if row["inserted"]:
        await _add_participants(conn, row["id"])
    return uuid.UUID(str(row["id"])), bool(row["inserted"])


async def conversations_to_tell(conn: Connection, user_id: uuid.UUID, recent: timedelta) -> list[asyncpg.Record]:
    """The user's conversations whose other side hears that the account was suspended (or
    the suspension lifted): about a stay or a mentorship under way, or direct and active
    within ``recent``; not those whose other side deleted their account. In id order, the
    order their locks are taken in."""
    return await conn.fetch(
        "SELECT c.* FROM participants p JOIN conversations c ON c.id = p.conversation_id"
        " WHERE p.user_id = $1 AND ("
        "  (c.kind = 'booking' AND c.subject_status = ANY($2::text[]))"
        "  OR (c.kind = 'mentorship' AND c.subject_status = ANY($3::text[]))"
        "  OR (c.kind = 'direct' AND c.last_activity_at > now() - $4::interval))"
        f" AND NOT EXISTS (SELECT 1 FROM users o WHERE o.version = {ERASED_VERSION}"
        "  AND o.user_id = CASE WHEN c.user_low = $1 THEN c.user_high ELSE c.user_low END)"
        " ORDER BY c.id",
        user_id,
        sorted(UNDER_WAY["booking"]),
        sorted(UNDER_WAY["mentorship"]),
        recent,
    )


async def hold_suspensions(conn: Connection, user_ids: Collection[uuid.UUID]) -> None:
    """Serialize, until commit, what tells of these accounts' suspensions: the suspension's
    consumer (one account) and a conversation opened about a stay or mentorship (its two
    sides, in id order, so two holders never wait on each other)."""
    for user_id in sorted(set(user_ids)):
        await xact_lock(conn, Lock.SUSPENSION_TOLD, user_id)


async def record_suspension(conn: Connection, user_id: uuid.UUID, event_id: uuid.UUID | None) -> None:
    """Note that the suspension of ``user_id`` (told by ``event_id``) was told, or with
    None that it was lifted."""
    if event_id is None:
        await conn.execute("DELETE FROM suspensions_told WHERE user_id = $1", user_id)
    else:
        await conn.execute(
            "INSERT INTO suspensions_told(user_id, event_id) VALUES ($1, $2)"
            " ON CONFLICT (user_id) DO UPDATE SET event_id = excluded.event_id",
            user_id,
            event_id,
        )


async def suspensions_told(conn: Connection, user_ids: Collection[uuid.UUID]) -> list[asyncpg.Record]:
    """Of these accounts, those suspended and told so (``user_id``, ``event_id``)."""
    return await conn.fetch(
        "SELECT user_id, event_id FROM suspensions_told WHERE user_id = ANY($1::uuid[]) ORDER BY user_id",
        list(user_ids),
    )


async def conversation(db: DB, conversation_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record | None:
    """The conversation when ``user_id`` takes part in it (None otherwise)."""
    return await db.fetchrow(
        "SELECT c.*, p.last_read_seq FROM conversations c"
        " JOIN participants p ON p.conversation_id = c.id AND p.user_id = $2 WHERE c.id = $1",
        conversation_id,
        user_id,
    )


# Unread: later than the mark, from anyone but the reader, and not from a deleted account:
# their bodies are gone ("This message was deleted."), nothing is left to read, and their
# badge stayed until the reader opened each of their threads. (Excluded rather than marked
# read at the deletion: one mark per reader cannot skip them alone, and moving it would
# also mark read the system messages between them.) One index probe per unread message.
def _unread(*, from_people_only: bool) -> str:
    """The count of a participant ``p``'s unread messages, as an SQL subquery. System
    messages have no sender: ``<>`` leaves them out, ``IS DISTINCT FROM`` counts them."""
    not_mine = "<>" if from_people_only else "IS DISTINCT FROM"
    return (
        "(SELECT count(*) FROM messages x WHERE x.conversation_id = p.conversation_id"
        f" AND x.seq > p.last_read_seq AND x.sender_id {not_mine} p.user_id"
        f" AND NOT EXISTS (SELECT 1 FROM users e WHERE e.user_id = x.sender_id AND e.version = {ERASED_VERSION}))"
    )


_UNREAD = _unread(from_people_only=False)
CONVERSATION_VIEW = f"""
    SELECT c.id, c.kind, c.subject_id, c.subject_status, c.listing_id, l.title AS listing_title,
           c.created_at, p.last_activity_at, p.user_id AS viewer,
           o.user_id AS other_id, u.display_name AS other_name, u.role AS other_role,
           coalesce(u.verified, false) AS other_verified,
           coalesce(u.version = {ERASED_VERSION}, false) AS other_deleted,
           coalesce(u.suspended, false) AS other_suspended,
           (SELECT to_jsonb(m) FROM messages m WHERE m.id = c.last_message_id) AS last_message,
           (SELECT r.id FROM messages r WHERE r.conversation_id = c.id AND r.seq = p.last_read_seq)
               AS last_read_message_id,
           {_UNREAD} AS unread_count
    FROM participants p
    JOIN conversations c ON c.id = p.conversation_id
    CROSS JOIN LATERAL (SELECT CASE WHEN c.user_low = p.user_id THEN c.user_high ELSE c.user_low END AS user_id) o
    LEFT JOIN users u ON u.user_id = o.user_id
    LEFT JOIN listings l ON l.listing_id = c.listing_id
    WHERE p.user_id = $1
"""


async def conversation_view(db: DB, conversation_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow(CONVERSATION_VIEW + " AND c.id = $2", user_id, conversation_id)


async def inbox(db: DB, user_id: uuid.UUID, after: Key | None, limit: int) -> list[asyncpg.Record]:
    """The user's conversations, newest activity first (keyset on activity, id)."""
    return await db.fetch(
        CONVERSATION_VIEW + f" AND {newest_first_after('p.last_activity_at', 'p.conversation_id', 2)}"
        " ORDER BY p.last_activity_at DESC, p.conversation_id DESC LIMIT $4",
        user_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


# --- messages -------------------------------------------------------------------------


SEND_LOCK_CLASS = int(Lock.MESSAGING_SEND)  # taken inside the send's query, below


# Below, the conversation's row is locked first (the CTE is materialized, so its rows are
# locked before the outer query's target list runs), then the sender's send lock
# (``pg_advisory_xact_lock``): the order every send takes them in.


async def next_seq(conn: Connection, conversation_id: uuid.UUID, sender_id: uuid.UUID | None) -> int:
    """The seq of the conversation's next message, its row locked until commit (the
    number is taken by ``add_message`` only once the message is stored); with a sender, their
    sends are serialized until commit too, so counting their recent messages and adding
    one is exact even when two replicas serve them at once."""
    if sender_id is None:
        last: int = await conn.fetchval("SELECT last_seq FROM conversations WHERE id = $1 FOR UPDATE", conversation_id)
        return last + 1
    last = await conn.fetchval(
        "WITH c AS MATERIALIZED (SELECT last_seq FROM conversations WHERE id = $1 FOR UPDATE)"
        " SELECT c.last_seq, pg_advisory_xact_lock($2, $3) AS send_lock FROM c",
        conversation_id,
        SEND_LOCK_CLASS,
        lock_key(sender_id),
    )
    return last + 1


async def conversation_to_send(
    conn: Connection, conversation_id: uuid.UUID, sender_id: uuid.UUID
) -> asyncpg.Record | None:
    """What ``conversation`` gives, for a new message by ``sender_id``, in one round trip:
    the row locked as ``next_seq`` locks it (its ``last_seq`` is then final until commit),
    the sender's sends serialized, ``blocked_by_me`` / ``blocked_by_them`` (a block
    between the two participants, either way), ``other_deleted`` (the other participant
    deleted their account) and ``other_suspended`` (an operator suspended it)."""
    return await conn.fetchrow(
        "WITH c AS MATERIALIZED (SELECT c.*, p.last_read_seq FROM conversations c"
        " JOIN participants p ON p.conversation_id = c.id AND p.user_id = $2 WHERE c.id = $1 FOR UPDATE OF c),"
        " o AS (SELECT c.*, CASE WHEN c.user_low = $2 THEN c.user_high ELSE c.user_low END AS other_id FROM c)"
        " SELECT o.*,"
        " EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = $2 AND b.blocked_id = o.other_id) AS blocked_by_me,"
        " EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = o.other_id AND b.blocked_id = $2) AS blocked_by_them,"
        " coalesce(u.version = $5, false) AS other_deleted, coalesce(u.suspended, false) AS other_suspended,"
        " pg_advisory_xact_lock($3, $4) AS send_lock FROM o LEFT JOIN users u ON u.user_id = o.other_id",
        conversation_id,
        sender_id,
        SEND_LOCK_CLASS,
        lock_key(sender_id),
        ERASED_VERSION,
    )


_INSERT_MESSAGE = (
    "INSERT INTO messages(id, conversation_id, seq, sender_id, body, client_message_id, warning, warning_rules)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT (conversation_id, sender_id, client_message_id) DO NOTHING RETURNING *"
)
# The new message becomes the conversation's newest, for it and for each participant's
# inbox, and the readers ($9) have read up to it (a mark moves as ``mark_read`` moves it:
# never back). Nothing moves when the insert stored nothing.
_ADVANCE = (
    " advanced AS (UPDATE conversations c SET last_seq = ins.seq, last_message_id = ins.id,"
    " last_activity_at = ins.created_at FROM ins WHERE c.id = ins.conversation_id),"
    " marked AS (UPDATE participants p SET last_activity_at = ins.created_at, last_read_seq = CASE"
    " WHEN p.user_id = ANY($9::uuid[]) AND p.last_read_seq < ins.seq THEN ins.seq ELSE p.last_read_seq END"
    " FROM ins WHERE p.conversation_id = ins.conversation_id)"
)
# What the send rate needs, counted with the new message (the statement's snapshot does
# not see the row it inserts: ``ins`` adds it). Postgres walks the index; no list of
# times comes back.
_RATE = (
    ", recent AS (SELECT created_at FROM ins UNION ALL (SELECT created_at FROM messages"
    " WHERE sender_id = $4 AND created_at > now() - $10::interval ORDER BY created_at DESC LIMIT $11 + 1))"
)
_RATE_COLUMNS = (
    ", (SELECT max(created_at) FROM recent) AS rate_newest,"
    " (SELECT created_at FROM recent ORDER BY created_at DESC OFFSET $11 LIMIT 1) AS rate_over"
)


async def add_message(
    conn: Connection,
    conversation_id: uuid.UUID,
    seq: int,
    sender_id: uuid.UUID | None,
    body: str,
    client_message_id: str | None,
    warning: str | None,
    warning_rules: tuple[str, ...],
    *,
    read_by: Collection[uuid.UUID] = (),
    rate: tuple[timedelta, int] | None = None,
) -> asyncpg.Record | None:
    """Store a message and make it the conversation's newest, in one round trip; the
    stored row, or None (and nothing changed) when the sender already sent this client id
    here. ``read_by`` have read up to it.

    With ``rate`` (window, limit) and a sender, the row also carries ``rate_newest``, the
    sender's newest message in the window (this one counts), and ``rate_over``, their
    ``limit + 1``-th newest there (None within the limit).
    """
    values = (uuid.uuid4(), conversation_id, seq, sender_id, body, client_message_id, warning, list(warning_rules))
    sql = f"WITH ins AS ({_INSERT_MESSAGE}),{_ADVANCE}"
    if rate is None or sender_id is None:
        return await conn.fetchrow(f"{sql} SELECT ins.* FROM ins", *values, list(read_by))
    return await conn.fetchrow(
        f"{sql}{_RATE} SELECT ins.*{_RATE_COLUMNS} FROM ins", *values, list(read_by), rate[0], rate[1]
    )


async def message_by_client_id(
    db: DB, conversation_id: uuid.UUID, sender_id: uuid.UUID, client_message_id: str
) -> asyncpg.Record | None:
    return await db.fetchrow(
        "SELECT * FROM messages WHERE conversation_id = $1 AND sender_id = $2 AND client_message_id = $3",
        conversation_id,
        sender_id,
        client_message_id,
    )


async def history(db: DB, conversation_id: uuid.UUID, before_seq: int | None, limit: int) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM messages WHERE conversation_id = $1 AND ($2::bigint IS NULL OR seq < $2)"
        " ORDER BY seq DESC LIMIT $3",
        conversation_id,
        before_seq,
        limit,
    )


async def message_seq(db: DB, conversation_id: uuid.UUID, message_id: uuid.UUID) -> int | None:
    seq: int | None = await db.fetchval(
        "SELECT seq FROM messages WHERE conversation_id = $1 AND id = $2", conversation_id, message_id
    )
    return seq


async def visible_message(db: DB, message_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record | None:
    """A message of a conversation the user takes part in."""
    return await db.fetchrow(
        "SELECT m.* FROM messages m JOIN participants p ON p.conversation_id = m.conversation_id AND p.user_id = $2"
        " WHERE m.id = $1",
        message_id,
        user_id,
    )


# --- read state -----------------------------------------------------------------------


async def mark_read(conn: Connection, conversation_id: uuid.UUID, user_id: uuid.UUID, seq: int) -> bool:
    """Move the user's read mark forward to ``seq`` (never back); whether it moved."""
    result = await conn.execute(
        "UPDATE participants SET last_read_seq = $3 WHERE conversation_id = $1 AND user_id = $2 AND last_read_seq < $3",
        conversation_id,
        user_id,
        seq,
    )
    return result.endswith(" 1")


async def read_state(db: DB, conversation_id: uuid.UUID, user_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT p.conversation_id,"
        " (SELECT r.id FROM messages r WHERE r.conversation_id = p.conversation_id AND r.seq = p.last_read_seq)"
        f" AS last_read_message_id, {_UNREAD} AS unread_count"
        " FROM participants p WHERE p.conversation_id = $1 AND p.user_id = $2",
        conversation_id,
        user_id,
    )
    assert row is not None
    return row


# What the daily digest counts: unread messages that people wrote. Wardmate's own system
# messages (a stay confirmed, new dates) come with their notices, mailed already: the
# digest mailed "1 unread message" right after the mail of the event it posted.
_UNREAD_FROM_PEOPLE = _unread(from_people_only=True)


async def unread_among(db: DB, user_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """Of ``user_ids``, those with unread messages from other people: how many, in how many
    conversations (one query for a batch; system messages are not counted, see above)."""
    return await db.fetch(
        "SELECT user_id, sum(n)::int AS messages, count(*) FILTER (WHERE n > 0)::int AS conversations"
        f" FROM (SELECT p.user_id, {_UNREAD_FROM_PEOPLE} AS n FROM participants p"
        " WHERE p.user_id = ANY($1::uuid[])) per"
        " GROUP BY user_id HAVING sum(n) > 0 ORDER BY user_id",
        user_ids,
    )


async def unread_counts(db: DB, user_id: uuid.UUID) -> asyncpg.Record:
    row = await db.fetchrow(
        "SELECT coalesce(sum(n), 0)::int AS messages, count(*) FILTER (WHERE n > 0)::int AS conversations,"
        " (SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL)::int AS notifications"
        f" FROM (SELECT {_UNREAD} AS n FROM participants p WHERE p.user_id = $1) per_conversation",
        user_id,
    )
    assert row is not None
    return row
