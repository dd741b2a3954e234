"""The caller's account and profile, and public profiles."""

from __future__ import annotations

from pydantic import MISSING

from services.accounts import domain, store, views
from shared import subjects
from shared.contracts.accounts import CurrentSession, Me, ProfileFields, ProfileUpdated, PublicProfile, UserIdRequest
from shared.contracts.base import Empty
from shared.outbox import add
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.GET_ME, Empty)
async def get_me(ctx: Context, req: Empty) -> Me:
    actor = ctx.require_actor()
    return views.me(*await store.account(ctx.pool, actor.user_id))


@registry.endpoint(subjects.GET_SESSION, Empty)
async def get_session(ctx: Context, req: Empty) -> CurrentSession:
    """The web client's probe: a visitor is an answer (``me`` null), not an error."""
    if ctx.actor is None:
        return CurrentSession(me=None)
    return CurrentSession(me=views.me(*await store.account(ctx.pool, ctx.actor.user_id)))


@registry.endpoint(subjects.UPDATE_PROFILE, ProfileFields)
async def update_profile(ctx: Context, req: ProfileFields) -> Me:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        # The row's lock first: an operator's verification (which touches the row) lands
        # wholly before or after this change, never between the check and the save.
        user = await store.user_by_id(conn, actor.user_id, for_update=True)
        current = await store.profile(conn, actor.user_id)
        merged = domain.merge_profile(current, req, user["role"])
        display_name = None if req.display_name is MISSING else req.display_name
        if domain.changes_checked_identity(user["display_name"], current, display_name, merged):
            await store.withdraw_verification(conn, actor.user_id)
        await store.save_profile(conn, actor.user_id, merged, display_name)
        await add(conn, ProfileUpdated(user=views.user_data(await store.snapshot(conn, actor.user_id))))
        return views.me(*await store.account(conn, actor.user_id))


@registry.endpoint(subjects.GET_USER, UserIdRequest)
async def get_user(ctx: Context, req: UserIdRequest) -> PublicProfile:
    row, profile, credential = await store.account(ctx.pool, req.user_id)
    return views.public_profile(views.me(row, profile, credential), suspended=row["suspended"])
