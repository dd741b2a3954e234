"""Sign up, log in, log out, and the gateway's session lookup."""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from datetime import UTC, datetime, timedelta

from services.accounts import domain, store, views
from services.accounts.domain import lifecycle
from services.accounts.jobs import delete_erased_files
from services.accounts.store import lifecycle as lstore
from shared import clock, subjects
from shared.contracts.accounts import (
    LoginReply,
    LoginRequest,
    SessionInfo,
    SignupRequest,
    TokenRequest,
    User,
    UserRegistered,
    lookup_email,
    session_fingerprint,
    suspended_refusal,
)
from shared.contracts.base import Ok
from shared.db import Connection, Lock, xact_lock
from shared.errors import AppError
from shared.media import media
from shared.outbox import add
from shared.push import broadcast
from shared.service import Context, Registry

log = logging.getLogger(__name__)

registry = Registry()

BAD_LOGIN = AppError("unauthorized", "email or password is incorrect")


async def _issue_session(ctx: Context, conn: Connection, user: User, user_agent: str | None) -> LoginReply:
    token, digest = domain.new_token(ctx.settings.secret_key)
    expires = datetime.now(UTC) + timedelta(hours=ctx.settings.session_ttl_hours)
    await lstore.insert_session(conn, digest, session_fingerprint(token), user.id, expires, user_agent)
    return LoginReply(token=token, expires_at=expires, user=user)


@registry.endpoint(subjects.SIGNUP, SignupRequest)
async def signup(ctx: Context, req: SignupRequest) -> LoginReply:
    password_hash = await asyncio.to_thread(domain.hash_password, req.password)
    now = clock.now(ctx.settings)
    ttl = ctx.settings.email_verify_ttl_hours
    fingerprints: list[str] = []
    files: list[str] = []
    async with ctx.pool.acquire() as conn, conn.transaction():
        # Anyone may sign up with any address, so an account never confirmed must not hold
        # it for ever against its owner: once its confirmation link has expired, a new
        # sign-up to the address replaces it (erased as a deletion is). It never held a
        # confirmed address, so nothing proven is taken; before that, a sign-up is a 409.
        stale = await lstore.stale_unconfirmed(conn, req.email, now - timedelta(hours=ttl))
        if stale is not None:
            fingerprints, files = await lstore.erase_account(conn, stale)
        row = await store.insert_user(conn, uuid.uuid4(), req.email, password_hash, req.display_name, req.role)
        user = User.model_validate(dict(row))
        await add(conn, UserRegistered(user=views.user_data(await store.snapshot(conn, user.id))))
        # The address is confirmed by the link this mail carries.
        await add(conn, lifecycle.mail_event("verify_email", user.id, req.email, ttl, now))
        reply = await _issue_session(ctx, conn, user, req.user_agent)
    for fingerprint in fingerprints:
        await broadcast(ctx.nc, subjects.SESSION_REVOKED, fingerprint.encode())
    if files:
        try:  # as a deletion does: a file left here stays in erased_files for the retention loop
            await delete_erased_files(ctx.pool, media().storage, files)
        except Exception as exc:
            log.warning("document files of a replaced unconfirmed account left to the retention loop: %s", exc)
    return reply


def too_many_failures(wait_s: float, *, logged_in: bool = False) -> AppError:
    """429 with the time left (it gave the whole window whatever was left), and a way out:
    at the login, its “Forgot password?”; in Settings, where a logged-in user gave a wrong
    password (it spoke of failed logins to someone who had logged in), the same link once
    logged out."""
    minutes = max(1, math.ceil(wait_s / 60))
    wait = f"try again in {minutes} minute{'s' if minutes != 1 else ''}"
    message = (
        f"Too many wrong passwords: {wait}. Forgotten it? Log out and use “Forgot password?” on the login page."
        if logged_in
        else f"Too many failed logins: {wait}, or reset your password with “Forgot password?”"
    )
    return AppError("rate_limited", message, {"retry_after_s": max(1, math.ceil(wait_s))})


# Where a password given again in a session fails, as login failures record it: never a
# client's address, so these count apart from any login's (and no address's limit).
RECHECK_ADDRESS = "session"


async def recheck_password(
    ctx: Context, conn: Connection, email: str, password_hash: str, password: str, field: str
) -> None:
    """The password a logged-in user gives again to change it, their address, or to delete
    the account (403 beside ``field`` when wrong). Each try counts as a failed login of the
    account from ``RECHECK_ADDRESS`` until it proves right, and past the limit of one account
    from one address it is refused (429) before the password is read: a session taken from
    its owner guessed the password without end here, where a login locks after five. The
    tries share the account's lock with logins, one at a time."""
    limits = ctx.settings
    window, limit = limits.login_failure_window_s, limits.login_max_failures_per_account_from_address
    async with conn.transaction():
        await xact_lock(conn, Lock.LOGIN_ATTEMPTS, f"account:{email}")
        by_pair, _, _ = await store.count_failures(conn, email, RECHECK_ADDRESS, window)
        if by_pair >= limit:
            # The wait is that of these tries alone (read with no address, it counted the
            # account's login failures from anywhere too).
            wait_s = await store.failures_lift_in(conn, email, RECHECK_ADDRESS, limit, window)
            raise too_many_failures(wait_s, logged_in=True)
        await store.record_failure(conn, email, RECHECK_ADDRESS)
    if not await asyncio.to_thread(domain.verify_password, password_hash, password):
        raise domain.wrong_password(field)
    await store.clear_failures(conn, email)


@registry.endpoint(subjects.LOGIN, LoginRequest)
async def login(ctx: Context, req: LoginRequest) -> LoginReply:
    email = lookup_email(req.email)
    limits = ctx.settings
    async with ctx.pool.acquire() as conn:
        async with conn.transaction():
            # Each attempt is counted and recorded as a failure before its password is
            # checked (a success clears it), one at a time per account and per client, in
            # that order (no deadlock). Before, attempts sent at once all read the count
            # before any was recorded: a burst of 40 got 12 guesses at one account, not 5.
            await xact_lock(conn, Lock.LOGIN_ATTEMPTS, f"account:{email}")
            await xact_lock(conn, Lock.LOGIN_ATTEMPTS, f"client:{req.client_address or '-'}")
            window = limits.login_failure_window_s
            by_pair, by_email, by_address = await store.count_failures(conn, email, req.client_address, window)
            # The account locks for the client address its failures came from: a stranger's
            # five guesses locked its owner out everywhere for 15 minutes (walk). All
            # addresses together still lock it, past a higher limit.
            blocking = (
                (email, req.client_address, limits.login_max_failures_per_account_from_address, by_pair),
                (email, None, limits.login_max_failures_per_account, by_email),
                (None, req.client_address, limits.login_max_failures_per_address, by_address),
            )
            lifts = [
                await store.failures_lift_in(conn, who, where, limit, window)
                for who, where, limit, count in blocking
                if count >= limit and (who is not None or where is not None)
            ]
            if lifts:
                raise too_many_failures(max(lifts))
            await store.record_failure(conn, email, req.client_address)
        row = await store.user_by_email(conn, email)
        ok = await asyncio.to_thread(domain.verify_password, row["password_hash"] if row else None, req.password)
        if not ok:
            raise BAD_LOGIN
        assert row is not None
        if row["suspended_at"] is not None:  # told only to whoever knows the password
            raise AppError("forbidden", suspended_refusal(ctx.settings.support_email))
        async with conn.transaction():
            await store.clear_failures(conn, email)
            user = User.model_validate({k: row[k] for k in User.model_fields})
            return await _issue_session(ctx, conn, user, req.user_agent)


@registry.endpoint(subjects.LOGOUT, TokenRequest)
async def logout(ctx: Context, req: TokenRequest) -> Ok:
    await store.revoke_session(ctx.pool, domain.token_hash(req.token, ctx.settings.secret_key))
    # Gateways cache resolved sessions briefly; tell them all to forget this one now.
    await broadcast(ctx.nc, subjects.SESSION_REVOKED, session_fingerprint(req.token).encode())
    return Ok()


@registry.endpoint(subjects.RESOLVE_SESSION, TokenRequest)
async def resolve_session(ctx: Context, req: TokenRequest) -> SessionInfo:
    row = await store.resolve_session(ctx.pool, domain.token_hash(req.token, ctx.settings.secret_key))
    if row is None:
        raise AppError("unauthorized", "session is invalid or has expired")
    return SessionInfo.model_validate(dict(row))
