"""NATS endpoints of the account lifecycle: confirm an address, recover and change a
password, change the address, list and revoke sessions, mail preferences.

Mails are never sent from here: a handler adds an ``AccountMailRequested`` event to the
outbox in its transaction, and the mail consumer (``consumers.py``) sends it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.accounts import domain, store
from services.accounts.domain import lifecycle
from services.accounts.handlers.sessions import recheck_password
from services.accounts.store import lifecycle as lstore
from shared import clock, subjects
from shared.contracts.accounts import lookup_email
from shared.contracts.base import Actor, Empty, Ok
from shared.contracts.lifecycle import (
    MAIL_KINDS,
    Accepted,
    ChangeEmailRequest,
    ChangePasswordRequest,
    CurrentSessionRequest,
    EmailStatus,
    LinkRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    Preferences,
    PreferencesUpdate,
    Revoked,
    SecurityMailKind,
    SessionIdRequest,
    SessionItem,
    SessionList,
    mail_choices,
)
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.push import broadcast
from shared.service import Context, Registry
from shared.settings import Settings

registry = Registry()

RESET_ANSWER = Accepted(message="If an account uses this address, a link to reset its password is on its way.")
# A reset request answers no sooner than this after it arrived, whether or not the
# address has an account: the work differs by an outbox row, the answer must not.
RESET_ANSWER_FLOOR_S = 0.3


async def forget_sessions(ctx: Context, fingerprints: list[str | None], *, revoked: bool) -> None:
    """Tell the gateways: a revoked session closes its sockets; a changed one is re-read."""
    subject = subjects.SESSION_REVOKED if revoked else subjects.SESSION_CHANGED
    for fingerprint in fingerprints:
        if fingerprint:
            await broadcast(ctx.nc, subject, fingerprint.encode())


def _rate_limited(what: str, window_s: int) -> AppError:
    return AppError("rate_limited", f"too many {what}; try again later", {"retry_after_s": window_s})


async def _mail(
    conn: Connection,
    kind: SecurityMailKind,
    user_id: uuid.UUID,
    to: str,
    ttl_hours: float | None = None,
    now: datetime | None = None,
) -> None:
    await add(conn, lifecycle.mail_event(kind, user_id, to, ttl_hours, now))


async def _me(conn: Connection, actor: Actor, *, for_update: bool = False) -> asyncpg.Record:
    """The caller's account row; 401 when it is gone (a request that passed the gateway's
    session cache just as the account was deleted)."""
    row = await lstore.contact(conn, actor.user_id, for_update=for_update)
    if row is None:
        raise AppError("unauthorized", "this account no longer exists")
    return row


@registry.endpoint(subjects.VERIFY_EMAIL, LinkRequest)
async def verify_email(ctx: Context, req: LinkRequest) -> EmailStatus:
    s = ctx.settings
    link = lifecycle.read_link(s.secret_key, lifecycle.VERIFY, req.token, clock.now(s))
    async with ctx.pool.acquire() as conn, conn.transaction():
        if not await lstore.use_link(conn, link["n"], lifecycle.VERIFY):
            raise AppError("validation", "this link was already used")
        if not await lstore.mark_email_verified(conn, link["u"], link["e"]):
            raise AppError("validation", "this link is for an address the account no longer uses")
        fingerprints = await lstore.session_fingerprints(conn, link["u"])
    await forget_sessions(ctx, list(fingerprints), revoked=False)
    return EmailStatus(email=link["e"], email_verified=True)


@registry.endpoint(subjects.RESEND_VERIFICATION, Empty)
async def resend_verification(ctx: Context, req: Empty) -> Accepted:
    actor = ctx.require_actor()
    s = ctx.settings
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await _me(conn, actor, for_update=True)  # one resend at a time: counted, then recorded
        if row["email_verified_at"] is not None:
            raise AppError("conflict", "your address is already confirmed")
        sent = await lstore.count_mail_requests(conn, "verify", s.mail_rate_window_s, user_id=actor.user_id)
        if sent >= s.verify_resend_limit:
            raise _rate_limited("confirmation mails", s.mail_rate_window_s)
        await lstore.record_mail_request(conn, "verify", user_id=actor.user_id)
        now = clock.now(s)
        await _mail(conn, "verify_email", actor.user_id, row["email"], s.email_verify_ttl_hours, now)
    return Accepted(message=f"A new confirmation link is on its way to {row['email']}.")


@registry.endpoint(subjects.REQUEST_PASSWORD_RESET, PasswordResetRequest)
async def request_password_reset(ctx: Context, req: PasswordResetRequest) -> Accepted:
    started = time.monotonic()
    s = ctx.settings
    email = lookup_email(req.email)
    try:
        async with ctx.pool.acquire() as conn, conn.transaction():
            # Counted by the address asked about, known or not, so a limit tells nothing;
            # one at a time per address and per client (always in that order: no deadlock).
            await lstore.lock_mail_requests(conn, "reset", email)
            await lstore.lock_mail_requests(conn, "reset-from", req.client_address or "-")
            by_email = await lstore.count_mail_requests(conn, "reset", s.mail_rate_window_s, email=email)
            by_client = await lstore.count_mail_requests(
                conn, "reset", s.mail_rate_window_s, address=req.client_address or "-"
            )
            if by_email >= s.reset_limit_per_email or by_client >= s.reset_limit_per_address:
                raise _rate_limited("password reset requests", s.mail_rate_window_s)
            await lstore.record_mail_request(conn, "reset", email=email, address=req.client_address or "-")
            row = await store.user_by_email(conn, email)
            if row is not None:
                now = clock.now(s)
                await _mail(conn, "reset_password", row["id"], row["email"], s.password_reset_ttl_hours, now)
    finally:
        await asyncio.sleep(max(0.0, RESET_ANSWER_FLOOR_S - (time.monotonic() - started)))
    return RESET_ANSWER


async def _reset_link(conn: Connection, settings: Settings, token: str) -> tuple[dict[str, Any], asyncpg.Record]:
    """A reset link's payload and its account, while it can still set a password."""
    link = lifecycle.read_link(settings.secret_key, lifecycle.RESET, token, clock.now(settings))
    row = await lstore.contact(conn, link["u"])
    if row is None:
        raise AppError("validation", "this link is invalid or has expired; ask for a new one")
    lifecycle.check_reset_link(link, row["email"], row["password_hash"])
    return link, row


@registry.endpoint(subjects.CHECK_RESET_LINK, LinkRequest)
async def check_reset_link(ctx: Context, req: LinkRequest) -> Ok:
    """The reset page asks before showing its form: a used, replaced or expired link said
    so only once a new password had been typed for nothing."""
    async with ctx.pool.acquire() as conn:
        await _reset_link(conn, ctx.settings, req.token)
    return Ok()


@registry.endpoint(subjects.RESET_PASSWORD, PasswordResetConfirm)
async def reset_password(ctx: Context, req: PasswordResetConfirm) -> Ok:
    s = ctx.settings
    lifecycle.read_link(s.secret_key, lifecycle.RESET, req.token, clock.now(s))  # a bad link costs no hashing
    password_hash = await asyncio.to_thread(domain.hash_password, req.password)
    async with ctx.pool.acquire() as conn, conn.transaction():
        link, row = await _reset_link(conn, s, req.token)
        if not await lstore.use_link(conn, link["n"], lifecycle.RESET):
            raise AppError("validation", "this link was already used")
        await lstore.set_password(conn, row["id"], password_hash, confirm_email=True)
        await store.clear_failures(conn, row["email"])
        fingerprints = await lstore.revoke_sessions(conn, row["id"])
        # The calendar link is a credential too (no login, no expiry): whoever copied it
        # while they had the account must lose it with the sessions.
        await lstore.next_calendar_generation(conn, row["id"])
        await _mail(conn, "password_changed", row["id"], row["email"])
    await forget_sessions(ctx, fingerprints, revoked=True)
    return Ok()


@registry.endpoint(subjects.CHANGE_PASSWORD, ChangePasswordRequest)
async def change_password(ctx: Context, req: ChangePasswordRequest) -> Revoked:
    actor = ctx.require_actor()
    if req.new_password == req.current_password:
        # It was taken, logging every other device out and mailing "password changed"
        # for no change. (The two typed values alone: nothing stored is read.)
        problem = [{"field": "new_password", "message": "Choose a password other than your current one."}]
        raise AppError("validation", "choose a password other than your current one", problem)
    async with ctx.pool.acquire() as conn:
        row = await _me(conn, actor)
        await recheck_password(ctx, conn, row["email"], row["password_hash"], req.current_password, "current_password")
        password_hash = await asyncio.to_thread(domain.hash_password, req.new_password)
        keep = domain.token_hash(req.token, ctx.settings.secret_key) if req.token else None
        async with conn.transaction():
            # The password checked is still the account's: of two changes sent at once,
            # the second finds the first's and is refused, as it would be one after the other.
            if (await _me(conn, actor, for_update=True))["password_hash"] != row["password_hash"]:
                raise domain.wrong_password("current_password")
            await lstore.set_password(conn, actor.user_id, password_hash, confirm_email=False)
            fingerprints = await lstore.revoke_sessions(conn, actor.user_id, keep=keep)
            await lstore.next_calendar_generation(conn, actor.user_id)  # as a reset does
            await _mail(conn, "password_changed", actor.user_id, row["email"])
    await forget_sessions(ctx, fingerprints, revoked=True)
    return Revoked(revoked=len(fingerprints))


@registry.endpoint(subjects.CHANGE_EMAIL, ChangeEmailRequest)
async def change_email(ctx: Context, req: ChangeEmailRequest) -> Accepted:
    actor = ctx.require_actor()
    s = ctx.settings
    async with ctx.pool.acquire() as conn:
        row = await _me(conn, actor)
        # The limit of address changes is read before the password: refused only after a
        # right one, its 429 told a guesser the password was right (a wrong one: 403).
        if await lstore.count_mail_requests(conn, "email", s.mail_rate_window_s, user_id=actor.user_id) >= (
            s.verify_resend_limit
        ):
            raise _rate_limited("address changes", s.mail_rate_window_s)
        await recheck_password(ctx, conn, row["email"], row["password_hash"], req.password, "password")
        if req.new_email == row["email"]:
            raise AppError(
                "validation",
                "this is already your address",
                [{"field": "new_email", "message": "This is already your address."}],
            )
        # Every attempt counts against the limit before the address is looked up, and is
        # recorded outside the attempt's transaction: the 409 says an address has an
        # account, so asking must stay as bounded as a mail sent.
        async with conn.transaction():
            await _me(conn, actor, for_update=True)  # one attempt at a time: counted, then recorded
            sent = await lstore.count_mail_requests(conn, "email", s.mail_rate_window_s, user_id=actor.user_id)
            if sent >= s.verify_resend_limit:
                raise _rate_limited("address changes", s.mail_rate_window_s)
            await lstore.record_mail_request(conn, "email", user_id=actor.user_id, email=req.new_email)
        async with conn.transaction():
            if await lstore.email_taken(conn, req.new_email, actor.user_id):
                raise AppError("conflict", "an account with this email already exists")
            now = clock.now(s)
            await _mail(conn, "confirm_email_change", actor.user_id, req.new_email, s.email_verify_ttl_hours, now)
    return Accepted(message=f"Follow the link we sent to {req.new_email} to confirm the change.")


@registry.endpoint(subjects.CONFIRM_EMAIL_CHANGE, LinkRequest)
async def confirm_email_change(ctx: Context, req: LinkRequest) -> EmailStatus:
    s = ctx.settings
    link = lifecycle.read_link(s.secret_key, lifecycle.EMAIL_CHANGE, req.token, clock.now(s))
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await lstore.contact(conn, link["u"])
        if row is None or row["email"] != link["o"]:
            raise AppError("validation", "this link is for an address change that no longer applies")
        if not await lstore.use_link(conn, link["n"], lifecycle.EMAIL_CHANGE):
            raise AppError("validation", "this link was already used")
        await lstore.set_email(conn, row["id"], link["e"])
        # The old address hears of it: if this was not its owner, they can act. Unless it was
        # never confirmed: a mistyped sign-up address would tell a stranger the new one.
        if row["email_verified_at"] is not None:
            await _mail(conn, "email_changed", row["id"], link["o"])
        fingerprints = await lstore.session_fingerprints(conn, row["id"])
    await forget_sessions(ctx, list(fingerprints), revoked=False)
    return EmailStatus(email=link["e"], email_verified=True)


@registry.endpoint(subjects.LIST_SESSIONS, CurrentSessionRequest)
async def list_sessions(ctx: Context, req: CurrentSessionRequest) -> SessionList:
    actor = ctx.require_actor()
    current = domain.token_hash(req.token, ctx.settings.secret_key) if req.token else None
    rows = await lstore.sessions(ctx.pool, actor.user_id)
    return SessionList(
        items=[
            SessionItem(
                id=r["id"],
                device=lifecycle.device(r["user_agent"]),
                created_at=r["created_at"],
                last_seen_at=r["last_seen_at"],
                expires_at=r["expires_at"],
                current=bytes(r["token_hash"]) == current,
            )
            for r in rows
        ]
    )


@registry.endpoint(subjects.REVOKE_SESSION, SessionIdRequest)
async def revoke_session(ctx: Context, req: SessionIdRequest) -> Revoked:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        fingerprints = await lstore.revoke_sessions(conn, actor.user_id, session_id=req.session_id)
    if not fingerprints:
        raise AppError("not_found", "no such session")
    await forget_sessions(ctx, fingerprints, revoked=True)
    return Revoked(revoked=len(fingerprints))


@registry.endpoint(subjects.REVOKE_OTHER_SESSIONS, CurrentSessionRequest)
async def revoke_other_sessions(ctx: Context, req: CurrentSessionRequest) -> Revoked:
    actor = ctx.require_actor()
    keep = domain.token_hash(req.token, ctx.settings.secret_key) if req.token else None
    async with ctx.pool.acquire() as conn, conn.transaction():
        fingerprints = await lstore.revoke_sessions(conn, actor.user_id, keep=keep)
    await forget_sessions(ctx, fingerprints, revoked=True)
    return Revoked(revoked=len(fingerprints))


async def _preferences(ctx: Context, user_id: uuid.UUID, role: str | None) -> Preferences:
    """The user's preferences, listing the kinds of mail their ``role`` can get."""
    row = await lstore.preferences(ctx.pool, user_id)
    if row is None:
        return Preferences.of(role, [], True)
    return Preferences.of(role, list(row["muted_kinds"]), row["digest"])


@registry.endpoint(subjects.GET_MAIL_PREFERENCES, Empty)
async def get_mail_preferences(ctx: Context, req: Empty) -> Preferences:
    actor = ctx.require_actor()
    return await _preferences(ctx, actor.user_id, actor.role)


@registry.endpoint(subjects.UPDATE_MAIL_PREFERENCES, PreferencesUpdate)
async def update_mail_preferences(ctx: Context, req: PreferencesUpdate) -> Preferences:
    actor = ctx.require_actor()
    # Only the kinds this user can get (a student turned off "A student asks to book one of
    # your rooms", and the reply listed it as muted).
    offered = {choice.kind for choice in mail_choices(actor.role)}
    if others := sorted(set(req.muted_kinds) - offered):
        raise AppError(
            "validation",
            "only the kinds of mail your account gets can be turned off",
            [{"field": "muted_kinds", "message": f"not mail a {actor.role} gets: {', '.join(others)}"}],
        )
    async with ctx.pool.acquire() as conn:
        await lstore.save_preferences(conn, actor.user_id, list(req.muted_kinds), req.digest)
    return await _preferences(ctx, actor.user_id, actor.role)


@registry.endpoint(subjects.UNSUBSCRIBE, LinkRequest)
async def unsubscribe(ctx: Context, req: LinkRequest) -> Preferences:
    """RFC 8058 one-click: no login, the signed link names the user and the kind."""
    s = ctx.settings
    link = lifecycle.read_link(s.secret_key, lifecycle.UNSUBSCRIBE, req.token, clock.now(s))
    kind = link.get("k")
    if kind != "digest" and kind not in MAIL_KINDS:
        raise AppError("validation", "this link is invalid")
    async with ctx.pool.acquire() as conn, conn.transaction():
        if (user := await lstore.contact(conn, link["u"])) is None:
            raise AppError("not_found", "this account no longer exists")
        current = await lstore.preferences(conn, link["u"])
        muted = list(current["muted_kinds"]) if current else []
        digest = current["digest"] if current else True
        if kind == "digest":
            digest = False
        else:
            muted.append(str(kind))
        await lstore.save_preferences(conn, link["u"], muted, digest)
    return await _preferences(ctx, link["u"], user["role"])
