"""NATS endpoints of accounts: decode, apply the rules, store, reply."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from pydantic import MISSING

from services.accounts import domain, lifecycle, store
from services.accounts import lifecycle_store as lstore
from services.accounts.app import app
from shared import subjects
from shared.contracts.accounts import (
    CredentialPage,
    LoginReply,
    LoginRequest,
    Me,
    Profile,
    ProfileFields,
    ProfileUpdated,
    PublicProfile,
    SessionInfo,
    SignupRequest,
    SubmittedCredential,
    TokenRequest,
    User,
    UserData,
    UserIdRequest,
    UserRegistered,
    UserVerified,
    Verification,
    VerificationQueue,
    VerificationRequest,
    session_fingerprint,
)
from shared.contracts.base import Empty, Ok
from shared.db import Connection
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, encode_cursor
from shared.push import broadcast
from shared.service import Context

BAD_LOGIN = AppError("unauthorized", "email or password is incorrect")


async def _issue_session(ctx: Context, conn: Connection, user: User, user_agent: str | None) -> LoginReply:
    token, digest = domain.new_token(ctx.settings.secret_key)
    expires = datetime.now(UTC) + timedelta(hours=ctx.settings.session_ttl_hours)
    await lstore.insert_session(conn, digest, session_fingerprint(token), user.id, expires, user_agent)
    return LoginReply(token=token, expires_at=expires, user=user)


@app.endpoint(subjects.SIGNUP, SignupRequest)
async def signup(ctx: Context, req: SignupRequest) -> LoginReply:
    password_hash = await asyncio.to_thread(domain.hash_password, req.password)
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await store.insert_user(conn, uuid.uuid4(), req.email, password_hash, req.display_name, req.role)
        user = User.model_validate(dict(row))
        await add(conn, UserRegistered(user=await _snapshot(conn, user.id)))
        # The address is confirmed by the link this mail carries.
        now = lifecycle.clock(ctx.settings.clock_offset_s)
        ttl = ctx.settings.email_verify_ttl_hours
        await add(conn, lifecycle.mail_event("verify_email", user.id, req.email, ttl, now))
        return await _issue_session(ctx, conn, user, req.user_agent)


@app.endpoint(subjects.LOGIN, LoginRequest)
async def login(ctx: Context, req: LoginRequest) -> LoginReply:
    email = req.email.strip().lower()
    s = ctx.settings
    async with ctx.pool.acquire() as conn:
        by_email, by_address = await store.count_failures(conn, email, req.client_address, s.login_failure_window_s)
        if by_email >= s.login_max_failures_per_account or by_address >= s.login_max_failures_per_address:
            raise AppError(
                "rate_limited", "too many failed logins; try again later", {"retry_after_s": s.login_failure_window_s}
            )
        row = await store.user_by_email(conn, email)
        ok = await asyncio.to_thread(domain.verify_password, row["password_hash"] if row else None, req.password)
        if not ok:
            await store.record_failure(conn, email, req.client_address)
            raise BAD_LOGIN
        assert row is not None
        async with conn.transaction():
            await store.clear_failures(conn, email)
            user = User.model_validate({k: row[k] for k in User.model_fields})
            return await _issue_session(ctx, conn, user, req.user_agent)


@app.endpoint(subjects.LOGOUT, TokenRequest)
async def logout(ctx: Context, req: TokenRequest) -> Ok:
    await store.revoke_session(ctx.pool, domain.token_hash(req.token, ctx.settings.secret_key))
    # Gateways cache resolved sessions briefly; tell them all to forget this one now.
    await broadcast(ctx.nc, subjects.SESSION_REVOKED, session_fingerprint(req.token).encode())
    return Ok()


@app.endpoint(subjects.RESOLVE_SESSION, TokenRequest)
async def resolve_session(ctx: Context, req: TokenRequest) -> SessionInfo:
    row = await store.resolve_session(ctx.pool, domain.token_hash(req.token, ctx.settings.secret_key))
    if row is None:
        raise AppError("unauthorized", "session is invalid or has expired")
    return SessionInfo.model_validate(dict(row))


async def _snapshot(conn: Connection, user_id: uuid.UUID) -> UserData:
    row = await store.snapshot(conn, user_id)
    profile = Profile.model_validate(row["profile"])
    return UserData(
        user_id=row["id"],
        version=row["version"],
        role=row["role"],
        display_name=row["display_name"],
        verified=row["verified"],
        **profile.model_dump(),
    )


async def _verification(conn: Connection, user_id: uuid.UUID) -> Verification:
    row = await store.verification(conn, user_id)
    if row is None:
        return Verification()
    return Verification(
        status=row["status"], kind=row["kind"], submitted_at=row["submitted_at"], verified_at=row["verified_at"]
    )


async def _me(conn: Connection, user_id: uuid.UUID) -> Me:
    user = User.model_validate(dict(await store.user_by_id(conn, user_id)))
    profile = Profile.model_validate(await store.profile(conn, user_id))
    return Me(user=user, profile=profile, verification=await _verification(conn, user_id))


@app.endpoint(subjects.GET_ME, Empty)
async def get_me(ctx: Context, req: Empty) -> Me:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn:
        return await _me(conn, actor.user_id)


@app.endpoint(subjects.UPDATE_PROFILE, ProfileFields)
async def update_profile(ctx: Context, req: ProfileFields) -> Me:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        user = await store.user_by_id(conn, actor.user_id)
        merged = domain.merge_profile(await store.profile(conn, actor.user_id), req, user["role"])
        display_name = None if req.display_name is MISSING else req.display_name
        await store.save_profile(conn, actor.user_id, merged, display_name)
        me = await _me(conn, actor.user_id)
        await add(conn, ProfileUpdated(user=await _snapshot(conn, actor.user_id)))
        return me


@app.endpoint(subjects.SUBMIT_VERIFICATION, VerificationRequest)
async def submit_verification(ctx: Context, req: VerificationRequest) -> Verification:
    actor = ctx.require_role("professional")
    async with ctx.pool.acquire() as conn, conn.transaction():
        current = await _verification(conn, actor.user_id)
        if current.status == "verified":
            raise AppError("conflict", "your credentials are already verified")
        given = req.model_dump()  # the credential sent: an NPI, or a licence and its state
        kind = "npi" if "npi" in given else "license"
        await store.upsert_verification(
            conn, actor.user_id, kind, given.get("npi"), given.get("license_number"), given.get("license_state")
        )
        await store.touch_user(conn, actor.user_id)
        return await _verification(conn, actor.user_id)


@app.endpoint(subjects.VERIFY_USER, UserIdRequest)
async def verify_user(ctx: Context, req: UserIdRequest) -> Verification:
    admin = ctx.require_role("admin")
    async with ctx.pool.acquire() as conn, conn.transaction():
        await store.user_by_id(conn, req.user_id)
        if not await store.mark_verified(conn, req.user_id, admin.user_id):
            current = await _verification(conn, req.user_id)
            if current.status == "verified":
                raise AppError("conflict", "this user is already verified")
            raise AppError("conflict", "this user has not submitted credentials")
        await add(conn, UserVerified(user=await _snapshot(conn, req.user_id)))
        return await _verification(conn, req.user_id)


@app.endpoint(subjects.LIST_VERIFICATIONS, VerificationQueue)
async def list_verifications(ctx: Context, req: VerificationQueue) -> CredentialPage:
    ctx.require_role("admin")
    after = decode_newest_first(req.cursor)  # a (timestamp, id) key, whichever the order
    rows = await store.verifications(ctx.pool, req.status, after, req.limit + 1)
    items = [SubmittedCredential.model_validate(dict(r)) for r in rows[: req.limit]]
    nxt = None
    if len(rows) > req.limit:
        last = rows[req.limit - 1]
        nxt = encode_cursor(
            last["submitted_at" if req.status == "pending" else "verified_at"].isoformat(), last["user_id"]
        )
    return CredentialPage(items=items, next_cursor=nxt)


@app.endpoint(subjects.GET_USER, UserIdRequest)
async def get_user(ctx: Context, req: UserIdRequest) -> PublicProfile:
    async with ctx.pool.acquire() as conn:
        me = await _me(conn, req.user_id)
    return PublicProfile(
        id=me.user.id,
        display_name=me.user.display_name,
        role=me.user.role,
        verified=me.verification.status == "verified",
        profile=me.profile,
        member_since=me.user.created_at,
    )
