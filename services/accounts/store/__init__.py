"""SQL of the accounts schema. Every function takes a connection (or pool) and $-params."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Connection, translate
from shared.errors import AppError
from shared.paging import newest_first_after

USER_COLUMNS = "id, email, display_name, role, created_at, email_verified_at IS NOT NULL AS email_verified"


async def insert_user(
    conn: Connection,
    user_id: uuid.UUID,
    email: str,
    password_hash: str,
    display_name: str,
    role: str,
) -> asyncpg.Record:
    try:
        row = await conn.fetchrow(
            f"INSERT INTO users(id, email, password_hash, display_name, role)"
            f" VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}",
            user_id,
            email,
            password_hash,
            display_name,
            role,
        )
    except asyncpg.PostgresError as exc:
        raise translate(exc, {"users_email_key": "an account with this email already exists"}) from None
    await conn.execute("INSERT INTO profiles(user_id) VALUES ($1)", user_id)
    assert row is not None
    return row


async def suspended_users(
    db: Connection | asyncpg.Pool, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """Suspended accounts, the latest suspended first, with the name of who suspended each."""
    return await db.fetch(
        "SELECT u.id, u.display_name, u.email, u.role, u.suspended_at, u.suspended_by, u.suspension_reason,"
        " a.display_name AS suspended_by_name FROM users u LEFT JOIN users a ON a.id = u.suspended_by"
        f" WHERE u.suspended_at IS NOT NULL AND {newest_first_after('u.suspended_at', 'u.id', 1)}"
        " ORDER BY u.suspended_at DESC, u.id DESC LIMIT $3",
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def user_by_email(conn: Connection, email: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {USER_COLUMNS}, password_hash, suspended_at FROM users WHERE lower(email) = lower($1)", email
    )


async def set_suspension(
    conn: Connection, user_id: uuid.UUID, admin: uuid.UUID | None, reason: str | None
) -> asyncpg.Record | None:
    """Suspend (``reason`` given) or lift the suspension (None); None when nothing changed."""
    return await conn.fetchrow(
        "UPDATE users SET suspended_at = CASE WHEN $3::text IS NULL THEN NULL ELSE now() END,"
        " suspended_by = $2, suspension_reason = $3, updated_at = now()"
        " WHERE id = $1 AND (suspended_at IS NULL) = ($3::text IS NOT NULL)"
        " RETURNING id, suspended_at, suspension_reason",
        user_id,
        admin,
        reason,
    )


async def user_by_id(
    conn: Connection | asyncpg.Pool, user_id: uuid.UUID, *, for_update: bool = False
) -> asyncpg.Record:
    """The user's row (``USER_COLUMNS``, and ``suspended``); 404 when there is none."""
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT {USER_COLUMNS}, suspended_at IS NOT NULL AS suspended FROM users WHERE id = $1{lock}", user_id
    )
    if row is None:
        raise AppError("not_found", "user not found")
    return row


async def count_failures(conn: Connection, email: str, address: str | None, window_s: int) -> tuple[int, int, int]:
    """Failed logins within the window: at the account from this client address, at the
    account from anywhere, and from this client address at any account."""
    row = await conn.fetchrow(
        "SELECT count(*) FILTER (WHERE email = $1 AND address IS NOT DISTINCT FROM $2) AS by_pair,"
        "       count(*) FILTER (WHERE email = $1) AS by_email,"
        "       count(*) FILTER (WHERE address = $2) AS by_address"
        " FROM login_failures WHERE at > now() - make_interval(secs => $3)"
        " AND (email = $1 OR address = $2)",
        email,
        address,
        float(window_s),
    )
    assert row is not None
    return row["by_pair"], row["by_email"], row["by_address"]


async def failures_lift_in(
    conn: Connection, email: str | None, address: str | None, limit: int, window_s: int
) -> float:
    """Seconds until fewer than ``limit`` failures of this account (``email``), client
    address, or both are left in the window: when the ``limit``-th newest ages out."""
    left = await conn.fetchval(
        "SELECT extract(epoch FROM at + make_interval(secs => $4) - now())::float8 FROM login_failures"
        " WHERE at > now() - make_interval(secs => $4)"
        " AND ($1::text IS NULL OR email = $1) AND ($2::text IS NULL OR address IS NOT DISTINCT FROM $2)"
        " ORDER BY at DESC OFFSET $3::int - 1 LIMIT 1",
        email,
        address,
        limit,
        float(window_s),
    )
    return float(left or 0.0)


async def record_failure(conn: Connection, email: str, address: str | None) -> None:
    await conn.execute("INSERT INTO login_failures(email, address) VALUES ($1, $2)", email, address)


async def clear_failures(conn: Connection, email: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE email = $1", email)


async def resolve_session(conn: Connection | asyncpg.Pool, token_hash: bytes) -> asyncpg.Record | None:
    """The live session's user, role and whether the address is confirmed; ``last_seen_at``
    moves at most once a minute (gateways cache a resolved session for seconds anyway)."""
    return await conn.fetchrow(
        "WITH live AS (SELECT s.user_id, u.role, s.expires_at, u.email_verified_at IS NOT NULL AS email_verified"
        " FROM sessions s JOIN users u ON u.id = s.user_id"
        " WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()),"
        " seen AS (UPDATE sessions SET last_seen_at = now() WHERE token_hash = $1"
        " AND last_seen_at < now() - interval '1 minute' AND EXISTS (SELECT 1 FROM live))"
        " SELECT * FROM live",
        token_hash,
    )


async def revoke_session(conn: Connection | asyncpg.Pool, token_hash: bytes) -> bool:
    result = await conn.execute(
        "UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL",
        token_hash,
    )
    return bool(result.endswith("1"))


async def profile(conn: Connection | asyncpg.Pool, user_id: uuid.UUID) -> dict[str, Any]:
    data = await conn.fetchval("SELECT data FROM profiles WHERE user_id = $1", user_id)
    return dict(data or {})


async def touch_user(conn: Connection, user_id: uuid.UUID, display_name: str | None = None) -> None:
    """Update the aggregate's root row, so the database bumps its version: every change to
    a profile or a verification goes through here in the change's transaction."""
    await conn.execute(
        "UPDATE users SET display_name = coalesce($2, display_name), updated_at = now() WHERE id = $1",
        user_id,
        display_name,
    )


async def save_profile(conn: Connection, user_id: uuid.UUID, data: dict[str, Any], display_name: str | None) -> None:
    await conn.execute("UPDATE profiles SET data = $2, updated_at = now() WHERE user_id = $1", user_id, data)
    await touch_user(conn, user_id, display_name)


# What events carry of a user (``views.user_data``): role, name, badge, version and the
# profile data; ``snapshot`` reads one user, ``store.snapshots`` every user by id.
SNAPSHOT_COLUMNS = (
    "u.id, u.role, u.display_name, u.version, p.data AS profile, coalesce(v.status = 'verified', false) AS verified,"
    " u.suspended_at IS NOT NULL AS suspended"
)
SNAPSHOT_FROM = "users u JOIN profiles p ON p.user_id = u.id LEFT JOIN verifications v ON v.user_id = u.id"


async def snapshot(conn: Connection, user_id: uuid.UUID) -> asyncpg.Record:
    """What events carry of a user: role, name, badge, version and the profile data."""
    row = await conn.fetchrow(f"SELECT {SNAPSHOT_COLUMNS} FROM {SNAPSHOT_FROM} WHERE u.id = $1", user_id)
    assert row is not None
    return row


async def verification(conn: Connection | asyncpg.Pool, user_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM verifications WHERE user_id = $1", user_id)


async def upsert_verification(
    conn: Connection,
    user_id: uuid.UUID,
    kind: str,
    npi: str | None,
    license_number: str | None,
    license_state: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO verifications(user_id, kind, npi, license_number, license_state, status)"
        " VALUES ($1, $2, $3, $4, $5, 'pending')"
        " ON CONFLICT (user_id) DO UPDATE SET kind = $2, npi = $3, license_number = $4,"
        " license_state = $5, status = 'pending', submitted_at = now(), verified_at = NULL,"
        " verified_by = NULL, rejected_at = NULL, rejected_by = NULL, rejection_reason = NULL",
        user_id,
        kind,
        npi,
        license_number,
        license_state,
    )


# The column each list of credentials is ordered (and paged) by.
VERIFICATION_ORDER = {"pending": "submitted_at", "verified": "verified_at", "rejected": "rejected_at"}


async def verifications(
    db: Connection | asyncpg.Pool, status: str, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    """Pending credentials oldest first (a queue), verified or rejected ones newest first."""
    order, cmp = ("ASC", ">") if status == "pending" else ("DESC", "<")
    key = f"v.{VERIFICATION_ORDER[status]}"
    return await db.fetch(
        "SELECT v.*, u.display_name, u.email, a.display_name AS verified_by_name, r.display_name AS rejected_by_name,"
        # Other accounts verified with this NPI or licence: one number names one person.
        " ARRAY(SELECT o.display_name FROM verifications w JOIN users o ON o.id = w.user_id"
        "   WHERE w.status = 'verified' AND w.user_id <> v.user_id"
        "   AND ((v.npi IS NOT NULL AND w.npi = v.npi) OR (v.license_number IS NOT NULL"
        "     AND w.license_number = v.license_number AND w.license_state = v.license_state))"
        "   ORDER BY w.verified_at, w.user_id LIMIT 5) AS also_verified_for"
        " FROM verifications v JOIN users u ON u.id = v.user_id LEFT JOIN users a ON a.id = v.verified_by"
        " LEFT JOIN users r ON r.id = v.rejected_by"
        f" WHERE v.status = $1 AND ($2::timestamptz IS NULL OR ({key}, v.user_id) {cmp} ($2, $3))"
        f" ORDER BY {key} {order}, v.user_id {order} LIMIT $4",
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def withdraw_verification(conn: Connection, user_id: uuid.UUID) -> None:
    """Take the badge off until an operator checks again: a submitted NPI or licence goes
    back to the operators' queue as a new submission (a pending one too, so an operator who
    opened it before the change cannot verify it unseen); a badge from a document ends (the
    user sends a new one). A rejected credential stays rejected: its owner submits again."""
    await conn.execute(
        "DELETE FROM verifications WHERE user_id = $1 AND status = 'verified' AND kind = 'document'", user_id
    )
    await conn.execute(
        "UPDATE verifications SET status = 'pending', submitted_at = now(), verified_at = NULL, verified_by = NULL"
        " WHERE user_id = $1 AND kind <> 'document' AND status <> 'rejected'",
        user_id,
    )


async def mark_verified(
    conn: Connection, user_id: uuid.UUID, admin_id: uuid.UUID, submitted_at: datetime | None = None
) -> bool:
    """Verify a pending credential; with ``submitted_at``, only that submission."""
    result = await conn.execute(
        "UPDATE verifications SET status = 'verified', verified_at = now(), verified_by = $2"
        " WHERE user_id = $1 AND status = 'pending' AND ($3::timestamptz IS NULL OR submitted_at = $3)",
        user_id,
        admin_id,
        submitted_at,
    )
    if not result.endswith("1"):
        return False
    await touch_user(conn, user_id)
    return True


async def mark_rejected(
    conn: Connection, user_id: uuid.UUID, admin_id: uuid.UUID, submitted_at: datetime, reason: str
) -> bool:
    """Reject the pending NPI or licence submitted at ``submitted_at`` (and no other)."""
    result = await conn.execute(
        "UPDATE verifications SET status = 'rejected', rejected_at = now(), rejected_by = $2, rejection_reason = $4"
        " WHERE user_id = $1 AND status = 'pending' AND kind <> 'document' AND submitted_at = $3",
        user_id,
        admin_id,
        submitted_at,
        reason,
    )
    if not result.endswith("1"):
        return False
    await touch_user(conn, user_id)
    return True


async def account(
    conn: Connection | asyncpg.Pool, user_id: uuid.UUID
) -> tuple[asyncpg.Record, dict[str, Any], asyncpg.Record | None]:
    """The user's row, profile and credential (``views.me`` builds the reply)."""
    return await user_by_id(conn, user_id), await profile(conn, user_id), await verification(conn, user_id)
