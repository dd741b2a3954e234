"""Export and deletion of the caller's account.

The export gathers each service's answer about the caller (asked as the caller) into one
document. Deletion erases accounts' own rows in one transaction, which records the storage
keys of the account's document files in ``erased_files``, and publishes ``UserDeleted``;
every service erases or anonymises what it holds through its consumer.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from services.accounts import domain
from services.accounts.domain import lifecycle
from services.accounts.handlers.sessions import recheck_password
from services.accounts.jobs import delete_erased_files
from services.accounts.store import lifecycle as lstore
from shared import bus, subjects
from shared.contracts.base import Empty
from shared.contracts.privacy import AccountDeleted, DeleteAccountRequest, ServiceExport, UserExport
from shared.media import media
from shared.privacy import records
from shared.push import broadcast
from shared.service import Context, Registry

log = logging.getLogger(__name__)

registry = Registry()


@registry.endpoint(subjects.EXPORT_ACCOUNTS, Empty)
async def export_accounts(ctx: Context, req: Empty) -> ServiceExport:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn:
        found = await lstore.export(conn, actor.user_id)
    data = {kind: records(rows) for kind, rows in found.items()}
    for session in data["sessions"]:
        session["device"] = lifecycle.device(session.pop("user_agent"))
    return ServiceExport(data=data)


@registry.endpoint(subjects.EXPORT_ME, Empty)
async def export_me(ctx: Context, req: Empty) -> UserExport:
    actor = ctx.require_actor()
    timeout = ctx.settings.request_timeout_s
    parts = await asyncio.gather(
        *(
            bus.request(ctx.nc, subject, {}, ServiceExport, actor=actor, timeout=timeout)
            for subject in (
                subjects.EXPORT_ACCOUNTS,
                subjects.EXPORT_LISTINGS,
                subjects.EXPORT_MESSAGING,
                subjects.EXPORT_MATCHING,
                subjects.EXPORT_PAYMENTS,
            )
        )
    )
    accounts, listings, messaging, matching, payments = (part.data for part in parts)
    return UserExport(
        user_id=actor.user_id,
        exported_at=datetime.now(UTC),
        accounts=accounts,
        listings=listings,
        messaging=messaging,
        matching=matching,
        payments=payments,
    )


DELETED = AccountDeleted(
    message="Your account is deleted. Every service is erasing what it held about you; the address is free again."
)


@registry.endpoint(subjects.DELETE_ME, DeleteAccountRequest)
async def delete_me(ctx: Context, req: DeleteAccountRequest) -> AccountDeleted:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn:
        user = await lstore.contact(conn, actor.user_id)
        if user is None:
            return DELETED  # a second tab's delete, just after the first: nothing is left to do
        await recheck_password(ctx, conn, user["email"], user["password_hash"], req.password, "password")
        async with conn.transaction():
            # Deleted once: of deletes sent at once, the first erases and announces it; the
            # others find nothing left (or a password changed meanwhile) and announce nothing.
            locked = await lstore.contact(conn, actor.user_id, for_update=True)
            if locked is None:
                return DELETED
            if locked["password_hash"] != user["password_hash"]:
                raise domain.wrong_password("password")
            fingerprints, files = await lstore.erase_account(conn, locked)
    for fingerprint in fingerprints:
        await broadcast(ctx.nc, subjects.SESSION_REVOKED, fingerprint.encode())
    # Their documents' files go now. The account is gone whatever happens here: a file
    # not deleted stays recorded in erased_files, and the retention loop deletes it.
    try:
        await delete_erased_files(ctx.pool, media().storage, files)
    except Exception as exc:
        log.warning("document files of a deleted account left to the retention loop: %s", exc)
    return DELETED
