"""Operators suspend an account and lift the suspension.

A suspended account cannot log in and its sessions end at once; its snapshot says
``suspended`` (and not open to mentoring), so listings holds its rooms out of search and
booking, and matching stops offering it as a mentor, until an operator lifts it. Beside the
snapshot, ``UserSuspended`` (``UserReinstated``) has messaging tell the people who deal
with the account, and the account's owner is mailed.
"""

from __future__ import annotations

from services.accounts import store, views
from services.accounts.handlers.lifecycle import forget_sessions
from services.accounts.store import lifecycle as lstore
from shared import subjects
from shared.contracts.accounts import (
    ProfileUpdated,
    SuspendedAccount,
    SuspendedAccountPage,
    SuspendRequest,
    Suspension,
    SuspensionList,
    UserIdRequest,
    UserReinstated,
    UserSuspended,
)
from shared.contracts.lifecycle import AccountMailRequested
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.SUSPEND_USER, SuspendRequest, roles=("admin",))
async def suspend_user(ctx: Context, req: SuspendRequest) -> Suspension:
    admin = ctx.require_actor()
    if req.user_id == admin.user_id:
        raise AppError("validation", "you cannot suspend yourself", [{"field": "user_id", "message": "yourself"}])
    async with ctx.pool.acquire() as conn, conn.transaction():
        # The user's row first, as a profile change and a verification take it.
        user = await store.user_by_id(conn, req.user_id, for_update=True)
        if user["role"] == "admin":
            raise AppError("forbidden", "an operator's account is not suspended here")
        row = await store.set_suspension(conn, req.user_id, admin.user_id, req.reason.strip())
        if row is None:
            raise AppError("conflict", "this account is already suspended")
        fingerprints = await lstore.revoke_sessions(conn, req.user_id)
        # The calendar link is a credential too: it ends with the sessions.
        await lstore.next_calendar_generation(conn, req.user_id)
        await add(conn, ProfileUpdated(user=views.user_data(await store.snapshot(conn, req.user_id))))
        await add(conn, UserSuspended(user_id=req.user_id))
        await add(conn, AccountMailRequested(kind="account_suspended", user_id=req.user_id, to=user["email"]))
    await forget_sessions(ctx, fingerprints, revoked=True)
    return Suspension(
        user_id=req.user_id, suspended=True, suspended_at=row["suspended_at"], reason=row["suspension_reason"]
    )


@registry.endpoint(subjects.UNSUSPEND_USER, UserIdRequest, roles=("admin",))
async def unsuspend_user(ctx: Context, req: UserIdRequest) -> Suspension:
    admin = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        user = await store.user_by_id(conn, req.user_id, for_update=True)
        if await store.set_suspension(conn, req.user_id, admin.user_id, None) is None:
            raise AppError("conflict", "this account is not suspended")
        await add(conn, ProfileUpdated(user=views.user_data(await store.snapshot(conn, req.user_id))))
        await add(conn, UserReinstated(user_id=req.user_id))
        await add(conn, AccountMailRequested(kind="account_reinstated", user_id=req.user_id, to=user["email"]))
    return Suspension(user_id=req.user_id, suspended=False)


@registry.endpoint(subjects.LIST_SUSPENSIONS, SuspensionList, roles=("admin",))
async def list_suspensions(ctx: Context, req: SuspensionList) -> SuspendedAccountPage:
    rows = await store.suspended_users(ctx.pool, decode_newest_first(req.cursor), req.limit + 1)
    page, cursor = next_page(rows, req.limit, key=lambda r: (r["suspended_at"], r["id"]))
    return SuspendedAccountPage(
        items=[
            SuspendedAccount(
                user_id=r["id"],
                display_name=r["display_name"],
                email=r["email"],
                role=r["role"],
                suspended_at=r["suspended_at"],
                suspended_by=r["suspended_by"],
                suspended_by_name=r["suspended_by_name"],
                reason=r["suspension_reason"],
            )
            for r in page
        ],
        next_cursor=cursor,
    )
