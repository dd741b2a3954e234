"""Postgres plumbing: a pool bound to the service's schema, and a small migration runner.

Each service owns one schema. Migrations are ``NNNN_name.sql`` files in the service's
``migrations`` package, applied in order under an advisory lock, so N replicas that start
at once apply each file exactly once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
import zlib
from collections.abc import Awaitable, Callable
from enum import IntEnum
from importlib import resources
from typing import TypeVar

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from shared.errors import AppError

log = logging.getLogger(__name__)

T = TypeVar("T")

Pool = asyncpg.Pool
# What store functions take: a plain connection, or one acquired from a pool.
Connection = asyncpg.Connection | PoolConnectionProxy


class Lock(IntEnum):
    """The classes of two-key advisory locks (apart from the migrations' one-key lock).
    Locks are per database, not per schema, and services may share one database, so every
    class is named here, once."""

    MESSAGING_SEND = 7301
    SUSPENSION_TOLD = 7302
    MATCHING_LISTING = 7320
    MATCHING_HOST = 7321
    STUDENT_LETTERS = 7322
    STUDENT_ROTATIONS = 7323
    MENTORSHIP_PROPOSALS = 7324
    MENTORSHIP_GOALS = 7325
    MENTORSHIP_NOTES = 7326
    STUDENT_MENTORSHIPS = 7327
    ROTATION_SUGGESTIONS = 7328
    PHOTO_FILES = 7330
    GUEST_REQUESTS = 7331
    USER_DOCUMENTS = 7340
    MAIL_REQUESTS = 7341
    LOGIN_ATTEMPTS = 7342


def lock_key(key: uuid.UUID) -> int:
    """An id's key within its lock class: its first 4 bytes."""
    return int.from_bytes(key.bytes[:4], "big", signed=True)


async def xact_lock(conn: Connection, lock: Lock, key: uuid.UUID | str) -> None:
    """Hold ``lock``'s lock of ``key`` (an id, or a text: its ``hashtext``) until the
    transaction ends."""
    if isinstance(key, uuid.UUID):
        await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", int(lock), lock_key(key))
    else:
        await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", int(lock), key)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Release without asyncpg's default reset query.

    asyncpg still rolls back an open transaction and drops listeners on release; the full
    ``RESET ALL; UNLISTEN *; pg_advisory_unlock_all()`` round trip would guard against
    session state our code never leaves on a pooled connection (settings are set at
    connect time, advisory locks are taken on dedicated connections), and it cost about
    a tenth of a millisecond of Postgres time per request.
    """


async def create_pool(
    dsn: str, schema: str, *, size: int = 10, app: str = "wardmate", server_settings: dict[str, str] | None = None
) -> Pool:
    """A pool whose connections see ``schema`` first, then ``public`` (extensions)."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=1,
        max_size=size,
        init=_init_connection,
        reset=_keep_session,
        server_settings={"search_path": f"{schema},public", "application_name": app, **(server_settings or {})},
    )
    assert pool is not None
    return pool


def _lock_key(schema: str) -> int:
    return zlib.crc32(f"wardmate.migrate.{schema}".encode()) & 0x7FFFFFFF


def load_migrations(package: str) -> list[tuple[str, str]]:
    """The ``(version, sql)`` pairs of a migrations package, sorted by file name."""
    files = [f for f in resources.files(package).iterdir() if f.name.endswith(".sql")]
    return [(f.name.removesuffix(".sql"), f.read_text()) for f in sorted(files, key=lambda f: f.name)]


async def migrate(dsn: str, schema: str, package: str) -> list[str]:
    """Apply the pending migrations to ``schema``: the shared event tables, then ``package``.

    Returns the versions applied by this call.
    """
    conn = await asyncpg.connect(dsn, server_settings={"search_path": f"{schema},public"})
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _lock_key(schema))
        try:
            # Created here only when missing: where each service has its own role, an
            # operator creates the schema for it, and the role may not CREATE in the database.
            if not await conn.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema):
                await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            pending = [
                (f"{pkg}:{version}", sql)
                for pkg in ("shared.migrations", package)
                for version, sql in load_migrations(pkg)
            ]
            for version, sql in pending:
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations(version) VALUES ($1)", version)
                applied.append(version)
                log.info("migration applied", extra={"fields": {"version": version}})
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _lock_key(schema))
    finally:
        await conn.close()
    return applied


def translate(exc: asyncpg.PostgresError, messages: dict[str, str] | None = None) -> AppError:
    """Map a constraint violation to ``conflict``/``validation``; re-raise anything else.

    ``messages`` maps a constraint name to the message the client should read.
    """
    messages = messages or {}
    constraint = getattr(exc, "constraint_name", None) or ""
    if isinstance(exc, asyncpg.UniqueViolationError | asyncpg.ExclusionViolationError):
        return AppError("conflict", messages.get(constraint, "conflicts with existing data"))
    if isinstance(exc, asyncpg.CheckViolationError | asyncpg.ForeignKeyViolationError):
        return AppError("validation", messages.get(constraint, "violates a constraint"), {"constraint": constraint})
    raise exc


# SQLSTATE class 40: Postgres aborted the transaction to break a deadlock (40P01) or a
# serialization conflict (40001). Nothing it did is left, so running it again is safe.
RETRYABLE = asyncpg.TransactionRollbackError
RETRY_ATTEMPTS = 4


async def retry_aborted(work: Callable[[], Awaitable[T]], *, attempts: int = RETRY_ATTEMPTS) -> T:
    """Run ``work`` (one request: its transactions and its reply) again, with jittered
    back-off, when Postgres aborted its transaction; then answer ``unavailable`` (503)."""
    for attempt in range(attempts):
        try:
            return await work()
        except RETRYABLE as exc:
            log.warning(
                "transaction aborted, %s",
                "retrying" if attempt + 1 < attempts else "giving up",
                extra={"fields": {"sqlstate": exc.sqlstate, "attempt": attempt + 1}},
            )
            if attempt + 1 < attempts:
                await asyncio.sleep(random.uniform(0.005, 0.02) * 2**attempt)
    raise AppError("unavailable", "the service is busy; try again", {"retry_after_s": 1})
