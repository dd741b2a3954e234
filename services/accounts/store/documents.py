"""SQL of verification documents: kept, listed, queued, decided, and deleted after retention
or with their account (``erased_files``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import Connection, Lock, xact_lock

DB = Connection | asyncpg.Pool


async def same_pending_document(conn: Connection, user_id: uuid.UUID, kind: str, digest: str) -> asyncpg.Record | None:
    """The user's document of this kind with this file (by its sha256) still waiting for
    an operator, under the user's documents lock (held to commit), so that copies of one
    upload sent at once make one document: the second waits here and then finds the first."""
    await xact_lock(conn, Lock.USER_DOCUMENTS, user_id)
    return await conn.fetchrow(
        "SELECT * FROM documents WHERE user_id = $1 AND kind = $2 AND digest = $3 AND status = 'pending'"
        " ORDER BY created_at, id LIMIT 1",
        user_id,
        kind,
        digest,
    )


async def pending_count(conn: Connection, user_id: uuid.UUID) -> int:
    """The user's documents waiting for an operator (read under the documents lock)."""
    count = await conn.fetchval("SELECT count(*) FROM documents WHERE user_id = $1 AND status = 'pending'", user_id)
    return int(count)


async def insert_document(conn: Connection, fields: dict[str, Any]) -> asyncpg.Record:
    row = await conn.fetchrow(
        "INSERT INTO documents (id, user_id, kind, object_key, content_type, size_bytes, pages, digest)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        fields["id"],
        fields["user_id"],
        fields["kind"],
        fields["object_key"],
        fields["content_type"],
        fields["size_bytes"],
        fields["pages"],
        fields["digest"],
    )
    assert row is not None
    return row


async def document(db: DB, document_id: uuid.UUID, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await db.fetchrow(f"SELECT * FROM documents WHERE id = $1{lock}", document_id)


async def user_documents(
    db: DB, user_id: uuid.UUID, after: tuple[datetime, uuid.UUID] | None, limit: int
) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT * FROM documents WHERE user_id = $1"
        " AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))"
        " ORDER BY created_at DESC, id DESC LIMIT $4",
        user_id,
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def queue(db: DB, after: tuple[datetime, uuid.UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Pending documents, oldest first, with their owners (name and medical school)."""
    return await db.fetch(
        "SELECT d.*, u.display_name, u.email, u.role, p.data->>'medical_school' AS medical_school"
        " FROM documents d JOIN users u ON u.id = d.user_id LEFT JOIN profiles p ON p.user_id = d.user_id"
        " WHERE d.status = 'pending' AND ($1::timestamptz IS NULL OR (d.created_at, d.id) > ($1, $2))"
        " ORDER BY d.created_at, d.id LIMIT $3",
        after[0] if after else None,
        after[1] if after else None,
        limit,
    )


async def decide(conn: Connection, document_id: uuid.UUID, status: str, note: str, admin_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE documents SET status = $2, note = $3, decided_at = now(), decided_by = $4 WHERE id = $1",
        document_id,
        status,
        note,
        admin_id,
    )


async def verify_by_document(conn: Connection, user_id: uuid.UUID, admin_id: uuid.UUID) -> None:
    """The user's badge from a verified document (a student's proof of enrolment)."""
    await conn.execute(
        "INSERT INTO verifications (user_id, kind, status, verified_at, verified_by)"
        " VALUES ($1, 'document', 'verified', now(), $2)"
        " ON CONFLICT (user_id) DO UPDATE SET kind = 'document', status = 'verified', verified_at = now(),"
        " verified_by = $2",
        user_id,
        admin_id,
    )


async def expired(db: DB, decided_before: datetime, limit: int = 100) -> list[asyncpg.Record]:
    """Decided documents whose retention ended and whose file is still kept."""
    return await db.fetch(
        "SELECT id, object_key FROM documents WHERE deleted_at IS NULL AND status <> 'pending'"
        " AND decided_at < $1 ORDER BY decided_at LIMIT $2",
        decided_before,
        limit,
    )


async def mark_deleted(db: DB, document_id: uuid.UUID) -> None:
    await db.execute("UPDATE documents SET deleted_at = now() WHERE id = $1", document_id)


async def erased_files(db: DB, after: str, limit: int = 100) -> list[str]:
    """Keys of deleted accounts' files not yet deleted from storage, in key order after ``after``."""
    rows = await db.fetch(
        "SELECT object_key FROM erased_files WHERE object_key > $1 ORDER BY object_key LIMIT $2", after, limit
    )
    return [row["object_key"] for row in rows]


async def forget_erased_file(db: DB, key: str) -> None:
    await db.execute("DELETE FROM erased_files WHERE object_key = $1", key)
