"""Background loops of accounts: the daily digest of unread messages, match suggestions mailed
together, and the deletion of verification documents' files whose retention ended or whose
account was deleted."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from services.accounts.domain import lifecycle
from services.accounts.mailer import Mailer
from services.accounts.store import documents as document_store
from services.accounts.store import lifecycle as lstore
from services.accounts.views import mail as mailtext
from shared import bus, clock, subjects
from shared.aio import stop_if_cancelled
from shared.contracts.messaging import UnreadAmong, UnreadAmongReply, UserUnread
from shared.media import media
from shared.service import Context, Registry
from shared.storage import Storage

log = logging.getLogger(__name__)

BATCH = 200


registry = Registry()


@registry.background
async def daily_digest(ctx: Context) -> None:
    """Once a day after ``digest_hour_utc``: each user who wants it and has unread
    messages gets one mail saying how many (asked of messaging, as the user)."""
    if not ctx.settings.digest_enabled:
        return
    mailer = Mailer(ctx.settings)
    while True:
        stop_if_cancelled()
        try:
            await digest_once(ctx, mailer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # messaging or the mail server away: the next round retries
            log.warning("digest round failed: %s", exc)
        await asyncio.sleep(ctx.settings.digest_check_s)


async def digest_once(ctx: Context, mailer: Mailer) -> int:
    """One round: the digests due now; returns how many were mailed.

    It walks every candidate in id order, a batch at a time, and asks messaging once per
    batch which of them have unread messages. Before, each round read the first batch
    only: its users with nothing unread are candidates all day (messages may come later),
    so once 200 such users sorted first, nobody after them ever got a digest."""
    s = ctx.settings
    day = lifecycle.digest_day(clock.now(s), s.digest_hour_utc)
    if day is None:
        return 0
    sent = 0
    after = None
    while rows := await lstore.digest_candidates(ctx.pool, day, BATCH, after):
        after = rows[-1]["id"]
        unread = await bus.request(
            ctx.nc, subjects.UNREAD_AMONG, UnreadAmong(user_ids=[row["id"] for row in rows]), UnreadAmongReply
        )
        for counts in unread.items:
            sent += await _send_digest(ctx, mailer, day, counts)
    return sent


async def _send_digest(ctx: Context, mailer: Mailer, day: date, counts: UserUnread) -> int:
    """One user's digest, claimed with the send in one transaction (a refused mail leaves
    it unclaimed); 1 if it went, 0 if another replica or run had it, or the user is gone."""
    s = ctx.settings
    async with ctx.pool.acquire() as conn, conn.transaction():
        user = await lstore.contact(conn, counts.user_id)
        if user is None or not await lstore.claim_digest(conn, user["id"], day, counts.messages):
            return 0
        token = lifecycle.unsubscribe_token(s.secret_key, user["id"], "digest")
        mail = mailtext.digest_mail(
            user["email"],
            user["display_name"],
            counts.messages,
            counts.conversations,
            s.public_url,
            lifecycle.link(s.public_url, lifecycle.UNSUBSCRIBE, token),
            f"digest-{user['id'].hex}-{day.isoformat()}",
        )
        await mailer.send(mail)
    return 1


@registry.background
async def suggestion_mails(ctx: Context) -> None:
    """Match suggestions held by the mail consumer go out as one mail per user, once the
    first has waited ``suggestion_mail_wait_s`` for the others that come with it."""
    mailer = Mailer(ctx.settings)
    pause = min(max(ctx.settings.suggestion_mail_wait_s / 4, 0.2), 15.0)
    while True:
        stop_if_cancelled()
        try:
            await suggestions_once(ctx, mailer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the mail server away: the suggestions wait for the next look
            log.warning("suggestion mails failed: %s", exc)
        await asyncio.sleep(pause)


async def suggestions_once(ctx: Context, mailer: Mailer) -> int:
    """The suggestion mails due now; how many went."""
    s = ctx.settings
    before = clock.now(s) - timedelta(seconds=s.suggestion_mail_wait_s)
    sent = 0
    while users := await lstore.suggestions_due(ctx.pool, before, BATCH):
        went = [await _send_suggestions(ctx, mailer, user_id) for user_id in users]
        sent += sum(went)
        if len(users) < BATCH or not any(went):
            break  # the rest are another replica's, which holds their rows
    return sent


async def _send_suggestions(ctx: Context, mailer: Mailer, user_id: uuid.UUID) -> int:
    """One user's waiting suggestions in one mail, taken with the send in one transaction
    (a refused mail keeps them). 0 if another replica has them, or if the user turned the
    kind off, changed to an address not yet confirmed, or left meanwhile (they are dropped)."""
    s = ctx.settings
    async with ctx.pool.acquire() as conn, conn.transaction():
        rows = await lstore.claim_suggestions(conn, user_id)
        user = await lstore.contact(conn, user_id)
        prefs = await lstore.preferences(conn, user_id)
        muted = prefs is not None and "match_suggested" in prefs["muted_kinds"]
        if not rows or user is None or user["email_verified_at"] is None or muted:
            return 0
        rows = sorted(rows, key=lambda row: (row["created_at"], row["event_id"]))
        token = lifecycle.unsubscribe_token(s.secret_key, user_id, "match_suggested")
        mail = mailtext.suggestions_mail(
            user["email"],
            user["display_name"],
            [(row["text"], (row["action_label"], row["action_url"])) for row in rows],
            len({row["rotation_id"] for row in rows}),
            lifecycle.link(s.public_url, lifecycle.UNSUBSCRIBE, token),
            rows[0]["event_id"].hex if len(rows) == 1 else f"suggestions-{rows[0]['event_id'].hex}-{len(rows)}",
        )
        await mailer.send(mail)
    return 1


# Decisions are rare; an hour between looks keeps a document at most an hour past its date.
RETENTION_SWEEP_S = 3600.0


async def delete_expired_documents(
    pool: asyncpg.Pool, storage: Storage, retention_days: float, now: datetime | None = None
) -> int:
    """Delete the files of documents decided more than ``retention_days`` ago (data
    minimisation); the row stays as the record of the decision. How many were deleted."""
    now = now or datetime.now(UTC)
    deleted = 0
    while rows := await document_store.expired(pool, now - timedelta(days=retention_days)):
        for row in rows:
            # The file first: a crash between the two deletes it again, never keeps it.
            await storage.delete(row["object_key"])
            await document_store.mark_deleted(pool, row["id"])
            deleted += 1
    return deleted


async def delete_erased_files(pool: asyncpg.Pool, storage: Storage, keys: list[str] | None = None) -> int:
    """Delete the files of deleted accounts' documents: ``keys``, or every one recorded in
    ``erased_files``. How many were deleted."""
    if keys is not None:
        return await _delete_erased(pool, storage, keys)
    deleted = 0
    after = ""
    while batch := await document_store.erased_files(pool, after):
        deleted += await _delete_erased(pool, storage, batch)
        after = batch[-1]
    return deleted


async def _delete_erased(pool: asyncpg.Pool, storage: Storage, keys: list[str]) -> int:
    deleted = 0
    for key in keys:
        try:
            await storage.delete(key)
        except Exception as exc:  # the store away: the key stays recorded for the next round
            log.warning("could not delete %s of a deleted account: %s", key, exc)
            continue
        # The file first: a crash between the two deletes it again, never keeps it.
        await document_store.forget_erased_file(pool, key)
        deleted += 1
    return deleted


@registry.background
async def retention_loop(ctx: Context) -> None:
    while True:
        stop_if_cancelled()
        try:
            deleted = await delete_expired_documents(ctx.pool, media().storage, ctx.settings.document_retention_days)
            if deleted:
                log.info("deleted %d documents past their retention", deleted)
            erased = await delete_erased_files(ctx.pool, media().storage)
            if erased:
                log.info("deleted %d document files of deleted accounts", erased)
        except Exception:
            log.exception("document retention sweep failed")
        await asyncio.sleep(RETENTION_SWEEP_S)
