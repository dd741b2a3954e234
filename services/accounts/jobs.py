"""Background loops of accounts: the daily digest of unread messages."""

from __future__ import annotations

import asyncio
import logging

from services.accounts.domain import lifecycle
from services.accounts.mailer import Mailer
from services.accounts.store import lifecycle as lstore
from services.accounts.views import mail as mailtext
from shared import bus, clock, subjects
from shared.aio import stop_if_cancelled
from shared.contracts.base import Actor
from shared.contracts.messaging import UnreadCounts
from shared.service import Context, Registry

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
    """One round: the digests due now; returns how many were mailed."""
    s = ctx.settings
    day = lifecycle.digest_day(clock.now(s), s.digest_hour_utc)
    if day is None:
        return 0
    sent = 0
    for row in await lstore.digest_candidates(ctx.pool, day, BATCH):
        user = await lstore.contact(ctx.pool, row["id"])
        if user is None:
            continue
        actor = Actor(user_id=user["id"], role=user["role"], email_verified=True)
        unread = await bus.request(ctx.nc, subjects.UNREAD_COUNTS, {}, UnreadCounts, actor=actor)
        if unread.messages == 0:
            continue  # asked again next round: messages may come later today
        async with ctx.pool.acquire() as conn, conn.transaction():
            # Claimed with the send in one transaction: a refused mail leaves it unclaimed.
            if not await lstore.claim_digest(conn, user["id"], day, unread.messages):
                continue
            token = lifecycle.unsubscribe_token(s.secret_key, user["id"], "digest")
            mail = mailtext.digest_mail(
                user["email"],
                user["display_name"],
                unread.messages,
                unread.conversations,
                s.public_url,
                lifecycle.link(s.public_url, lifecycle.UNSUBSCRIBE, token),
                f"digest-{user['id'].hex}-{day.isoformat()}",
            )
            await mailer.send(mail)
            sent += 1
    return sent
