"""SQL of the account lifecycle: email verification, links used, mail rate limits,
password and email changes, sessions, mail preferences and digests. $-params only."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from shared.contracts.privacy import UserDeleted
from shared.db import Connection, Lock, translate, xact_lock
from shared.outbox import add
from shared.privacy import purge_outbox

DB = Connection | asyncpg.Pool


async def contact(db: DB, user_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    """Where and how to write to a user: address, name, whether it is confirmed;
    ``for_update``: the row locked, so the user's own requests that read and then change
    it (a limit counted, the password checked) go one at a time."""
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(
        f"SELECT id, email, display_name, role, email_verified_at, password_hash FROM users WHERE id = $1{lock}",
        user_id,
    )


async def lock_mail_requests(conn: Connection, purpose: str, key: str) -> None:
    """Until the transaction ends, the requests of ``purpose`` counted by ``key`` (an address
    asked about, a client) go one at a time: counted, then recorded, so a burst of them at
    once cannot all read the same count (a reset needs no account, so no row to lock)."""
    await xact_lock(conn, Lock.MAIL_REQUESTS, f"{purpose}:{key}")


async def use_link(conn: Connection, nonce: str, purpose: str) -> bool:
    """Record a single-use link's nonce; False when it was used before."""
    used = await conn.fetchval(
        "INSERT INTO used_links(nonce, purpose) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING true", nonce, purpose
    )
    return bool(used)


async def mark_email_verified(conn: Connection, user_id: uuid.UUID, email: str) -> bool:
    """Confirm ``email`` if it is still the user's address; False when it no longer is."""
    result = await conn.execute(
        "UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now()"
        " WHERE id = $1 AND email = $2",
        user_id,
        email,
    )
    return bool(result.endswith("1"))


async def count_mail_requests(
    conn: Connection,
    purpose: str,
    window_s: int,
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    address: str | None = None,
) -> int:
    """Requests of ``purpose`` in the window by this user, this address or this client."""
    count = await conn.fetchval(
        "SELECT count(*) FROM mail_requests WHERE purpose = $1 AND at > now() - make_interval(secs => $2)"
        " AND (user_id = $3 OR email = $4 OR address = $5)",
        purpose,
        float(window_s),
        user_id,
        email,
        address,
    )
    return int(count)


async def record_mail_request(
    conn: Connection,
    purpose: str,
    *,
    user_id: uuid.UUID | None = None,
    email: str | None = None,
    address: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO mail_requests(purpose, user_id, email, address) VALUES ($1, $2, $3, $4)",
        purpose,
        user_id,
        email,
        address,
    )


async def set_password(conn: Connection, user_id: uuid.UUID, password_hash: str, *, confirm_email: bool) -> None:
    """A new password hash; a reset by mail also proves the address is theirs."""
    await conn.execute(
        "UPDATE users SET password_hash = $2, updated_at = now(),"
        " email_verified_at = CASE WHEN $3 THEN coalesce(email_verified_at, now()) ELSE email_verified_at END"
        " WHERE id = $1",
        user_id,
        password_hash,
        confirm_email,
    )


async def set_email(conn: Connection, user_id: uuid.UUID, email: str) -> None:
    try:
        await conn.execute(
            "UPDATE users SET email = $2, email_verified_at = now(), updated_at = now() WHERE id = $1", user_id, email
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, {"users_email_key": "an account with this email already exists"}) from None


async def email_taken(conn: Connection, email: str, other_than: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval("SELECT true FROM users WHERE lower(email) = lower($1) AND id <> $2", email, other_than)
    )


async def sessions(db: DB, user_id: uuid.UUID) -> list[asyncpg.Record]:
    """The user's live sessions, most recently seen first."""
    return await db.fetch(
        "SELECT id, token_hash, user_agent, created_at, last_seen_at, expires_at FROM sessions"
        " WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now() ORDER BY last_seen_at DESC, id",
        user_id,
    )


async def session_fingerprints(db: DB, user_id: uuid.UUID) -> list[str]:
    rows = await db.fetch(
        "SELECT fingerprint FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()"
        " AND fingerprint IS NOT NULL",
        user_id,
    )
    return [r["fingerprint"] for r in rows]


async def revoke_sessions(
    conn: Connection,
    user_id: uuid.UUID,
    *,
    session_id: uuid.UUID | None = None,
    keep: bytes | None = None,
) -> list[str | None]:
    """Revoke one session of the user (``session_id``), or all but ``keep`` (a token hash);
    returns the fingerprints of those revoked, for the gateways."""
    rows = await conn.fetch(
        "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL"
        " AND ($2::uuid IS NULL OR id = $2) AND ($3::bytea IS NULL OR token_hash <> $3) RETURNING fingerprint",
        user_id,
        session_id,
        keep,
    )
    return [r["fingerprint"] for r in rows]


async def preferences(db: DB, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await db.fetchrow("SELECT muted_kinds, digest FROM mail_preferences WHERE user_id = $1", user_id)


async def save_preferences(conn: Connection, user_id: uuid.UUID, muted: list[str], digest: bool) -> None:
    await conn.execute(
        "INSERT INTO mail_preferences(user_id, muted_kinds, digest) VALUES ($1, $2, $3)"
        " ON CONFLICT (user_id) DO UPDATE SET muted_kinds = $2, digest = $3, updated_at = now()",
        user_id,
        sorted(set(muted)),
        digest,
    )


async def digest_candidates(db: DB, day: date, limit: int, after: uuid.UUID | None = None) -> list[asyncpg.Record]:
    """Confirmed users who want the digest and have not had today's, in id order from
    after ``after``: a round walks them all, page by page."""
    return await db.fetch(
        "SELECT u.id FROM users u LEFT JOIN mail_preferences p ON p.user_id = u.id"
        " WHERE u.email_verified_at IS NOT NULL AND coalesce(p.digest, true)"
        " AND ($3::uuid IS NULL OR u.id > $3)"
        " AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.user_id = u.id AND d.day = $1)"
        " ORDER BY u.id LIMIT $2",
        day,
        limit,
        after,
    )


async def claim_digest(conn: Connection, user_id: uuid.UUID, day: date, unread: int) -> bool:
    """Today's digest for the user, once (False: another replica or run has it)."""
    claimed = await conn.fetchval(
        "INSERT INTO digests(user_id, day, unread) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true",
        user_id,
        day,
        unread,
    )
    return bool(claimed)


async def insert_session(
    conn: Connection,
    token_hash: bytes,
    fingerprint: str,
    user_id: uuid.UUID,
    expires_at: datetime,
    user_agent: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO sessions(token_hash, fingerprint, user_id, expires_at, user_agent) VALUES ($1, $2, $3, $4, $5)",
        token_hash,
        fingerprint,
        user_id,
        expires_at,
        user_agent,
    )


async def calendar_generation(db: DB, user_id: uuid.UUID) -> int | None:
    value = await db.fetchval("SELECT calendar_generation FROM users WHERE id = $1", user_id)
    return int(value) if value is not None else None


async def display_names(db: DB, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The names of these users, by id; a deleted account's row is gone, so it is absent."""
    rows = await db.fetch("SELECT id, display_name FROM users WHERE id = ANY($1::uuid[])", user_ids)
    return {row["id"]: row["display_name"] for row in rows}


async def next_calendar_generation(db: DB, user_id: uuid.UUID) -> int:
    """Turn the current feed link off: the next generation's token is the only valid one."""
    value = await db.fetchval(
        "UPDATE users SET calendar_generation = calendar_generation + 1 WHERE id = $1 RETURNING calendar_generation",
        user_id,
    )
    return int(value)


async def export(conn: Connection, user_id: uuid.UUID) -> dict[str, list[asyncpg.Record]]:
    return {
        "user": await conn.fetch(
            "SELECT id, email, display_name, role, created_at, email_verified_at FROM users WHERE id = $1", user_id
        ),
        "profile": await conn.fetch("SELECT data, updated_at FROM profiles WHERE user_id = $1", user_id),
        "credentials": await conn.fetch(
            "SELECT kind, npi, license_number, license_state, status, submitted_at, verified_at,"
            " rejected_at, rejection_reason FROM verifications WHERE user_id = $1",
            user_id,
        ),
        "sessions": await conn.fetch(
            "SELECT created_at, last_seen_at, expires_at, revoked_at, user_agent FROM sessions WHERE user_id = $1"
            " ORDER BY created_at",
            user_id,
        ),
        "mail_preferences": await conn.fetch(
            "SELECT muted_kinds, digest FROM mail_preferences WHERE user_id = $1", user_id
        ),
        # Match suggestions not yet mailed (each is also a notification, in messaging's part).
        "suggestion_mails": await conn.fetch(
            "SELECT text, action_url, created_at FROM suggestion_mails WHERE user_id = $1"
            " ORDER BY created_at, event_id",
            user_id,
        ),
        # What was sent and decided, not the file (GET /documents/{id}/file while it is kept).
        "documents": await conn.fetch(
            "SELECT id, kind, content_type, size_bytes, pages, status, note, created_at, decided_at,"
            " deleted_at AS file_deleted_at FROM documents WHERE user_id = $1 ORDER BY created_at, id",
            user_id,
        ),
        # The traces of their address that deletion erases too (``erase``): the mails asked
        # for (confirmation resends, password resets, address changes with the address
        # asked for) and failed logins. Not the client's network address: a reset or a
        # login attempt on their address may come from anyone.
        "mail_requests": await conn.fetch(
            "SELECT purpose, m.email, at FROM mail_requests m"
            " WHERE m.user_id = $1 OR m.email = (SELECT email FROM users WHERE id = $1) ORDER BY at, id",
            user_id,
        ),
        "login_failures": await conn.fetch(
            "SELECT f.email, at FROM login_failures f"
            " WHERE f.email = (SELECT email FROM users WHERE id = $1) ORDER BY at, id",
            user_id,
        ),
    }


async def stale_unconfirmed(conn: Connection, email: str, created_before: datetime) -> asyncpg.Record | None:
    """The account holding ``email`` when its address was never confirmed and it was made
    before ``created_before`` (its first confirmation link has expired); locked, so of two
    sign-ups to that address at once one replaces it and the other finds the new one."""
    return await conn.fetchrow(
        "SELECT id, email, display_name, role, email_verified_at, password_hash FROM users"
        " WHERE lower(email) = lower($1) AND email_verified_at IS NULL AND created_at < $2 FOR UPDATE",
        email,
        created_before,
    )


async def erase(conn: Connection, user_id: uuid.UUID, email: str) -> list[str]:
    """The account's rows go (profile, sessions, credentials, documents and preferences
    cascade), and the traces its address left; the address is free to sign up with again.
    The storage keys of its documents' files still kept are recorded in ``erased_files``
    (the rows that named them are gone): returned, for the caller to delete after commit."""
    await conn.execute("DELETE FROM login_failures WHERE email = $1", email)
    await conn.execute("DELETE FROM mail_requests WHERE user_id = $1 OR email = $2", user_id, email)
    # Locked first: a document being added (its foreign key takes a share lock on the row)
    # waits, then fails and deletes its own file, instead of committing between the
    # keys' read and the cascade, which would take its row without its key.
    await conn.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", user_id)
    keys = await conn.fetch(
        "INSERT INTO erased_files(object_key) SELECT object_key FROM documents"
        " WHERE user_id = $1 AND deleted_at IS NULL ON CONFLICT DO NOTHING RETURNING object_key",
        user_id,
    )
    await conn.execute("DELETE FROM users WHERE id = $1", user_id)
    return [row["object_key"] for row in keys]


async def erase_account(conn: Connection, user: asyncpg.Record) -> tuple[list[str], list[str]]:
    """What a deletion writes in its transaction (the user's row locked): the account's
    rows, the unsent mails to it, and ``UserDeleted`` for every service. Returns its live
    sessions' fingerprints (for the gateways) and its document files' keys (to delete
    after commit)."""
    fingerprints = await session_fingerprints(conn, user["id"])
    files = await erase(conn, user["id"], user["email"])
    # Mails still waiting for the deleted user go too: there is no one to write to.
    await purge_outbox(
        conn, [str(user["id"]), user["email"], user["display_name"]], unsent=[str(user["id"]), user["email"]]
    )
    await add(conn, UserDeleted(user_id=user["id"]))
    return fingerprints, files


async def hold_suggestion(
    conn: Connection,
    event_id: uuid.UUID,
    user_id: uuid.UUID,
    rotation_id: uuid.UUID | None,
    text: str,
    link: tuple[str, str],
    at: datetime,
) -> None:
    """A match suggestion waits to be mailed with the others that come with it."""
    await conn.execute(
        "INSERT INTO suggestion_mails(event_id, user_id, rotation_id, text, action_label, action_url, created_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        event_id,
        user_id,
        rotation_id,
        text,
        *link,
        at,
    )


async def suggestions_due(db: DB, before: datetime, limit: int) -> list[uuid.UUID]:
    """Users whose first waiting suggestion came before ``before``, the longest waiting first."""
    rows = await db.fetch(
        "SELECT user_id FROM suggestion_mails GROUP BY user_id HAVING min(created_at) <= $1"
        " ORDER BY min(created_at) LIMIT $2",
        before,
        limit,
    )
    return [row["user_id"] for row in rows]


async def claim_suggestions(conn: Connection, user_id: uuid.UUID) -> list[asyncpg.Record]:
    """The user's waiting suggestions, oldest first, taken out for the transaction's mail
    (another replica skips them; a mail refused rolls the transaction back and keeps them)."""
    return await conn.fetch(
        "DELETE FROM suggestion_mails WHERE event_id IN (SELECT event_id FROM suggestion_mails WHERE user_id = $1"
        " ORDER BY created_at, event_id FOR UPDATE SKIP LOCKED)"
        " RETURNING event_id, rotation_id, text, action_label, action_url, created_at",
        user_id,
    )
