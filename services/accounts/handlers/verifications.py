"""Professionals' credentials: submitted by them, listed, verified or rejected by operators."""

from __future__ import annotations

from services.accounts import store, views
from shared import subjects
from shared.contracts.accounts import (
    CredentialPage,
    CredentialRejected,
    RejectCredentialRequest,
    SubmittedCredential,
    UserVerified,
    Verification,
    VerificationQueue,
    VerificationRequest,
    VerifyUserRequest,
)
from shared.errors import AppError
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.SUBMIT_VERIFICATION, VerificationRequest, roles=("professional",))
async def submit_verification(ctx: Context, req: VerificationRequest) -> Verification:
    actor = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        # The user's row first, as a profile change takes it (which may withdraw the badge).
        await store.user_by_id(conn, actor.user_id, for_update=True)
        if views.verification(await store.verification(conn, actor.user_id)).status == "verified":
            raise AppError("conflict", "your credentials are already verified")
        given = req.model_dump()  # the credential sent: an NPI, or a licence and its state
        kind = "npi" if "npi" in given else "license"
        await store.upsert_verification(
            conn, actor.user_id, kind, given.get("npi"), given.get("license_number"), given.get("license_state")
        )
        await store.touch_user(conn, actor.user_id)
        return views.verification(await store.verification(conn, actor.user_id))


@registry.endpoint(subjects.VERIFY_USER, VerifyUserRequest, roles=("admin",))
async def verify_user(ctx: Context, req: VerifyUserRequest) -> Verification:
    admin = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        # The user's row first, as a profile change takes it: a name changed at the same
        # moment is either checked by this verification or withdraws it afterwards.
        await store.user_by_id(conn, req.user_id, for_update=True)
        if not await store.mark_verified(conn, req.user_id, admin.user_id, req.submitted_at):
            raise _undecidable(views.verification(await store.verification(conn, req.user_id)))
        await add(conn, UserVerified(user=views.user_data(await store.snapshot(conn, req.user_id))))
        return views.verification(await store.verification(conn, req.user_id))


@registry.endpoint(subjects.REJECT_CREDENTIAL, RejectCredentialRequest, roles=("admin",))
async def reject_credential(ctx: Context, req: RejectCredentialRequest) -> Verification:
    """Reject the NPI or licence the operator checked, saying why: the professional is told
    (notice and mail) and may submit again."""
    admin = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        # The user's row first, as verify_user and a profile change take it.
        await store.user_by_id(conn, req.user_id, for_update=True)
        if not await store.mark_rejected(conn, req.user_id, admin.user_id, req.submitted_at, req.reason):
            raise _undecidable(views.verification(await store.verification(conn, req.user_id)))
        row = await store.verification(conn, req.user_id)
        assert row is not None
        await add(conn, CredentialRejected(user_id=req.user_id, kind=row["kind"], reason=req.reason))
        return views.verification(row)


def _undecidable(current: Verification) -> AppError:
    """Why an operator's decision found no pending submission of the one they read."""
    if current.status == "verified":
        return AppError("conflict", "this user is already verified")
    if current.status == "rejected":
        return AppError("conflict", "this credential was already rejected: the professional may submit another")
    if current.status == "pending":
        return AppError("conflict", "the credential or name changed since you opened it: check it again")
    return AppError("conflict", "this user has not submitted credentials")


@registry.endpoint(subjects.LIST_VERIFICATIONS, VerificationQueue, roles=("admin",))
async def list_verifications(ctx: Context, req: VerificationQueue) -> CredentialPage:
    after = decode_newest_first(req.cursor)  # a (timestamp, id) key, whichever the order
    rows = await store.verifications(ctx.pool, req.status, after, req.limit + 1)
    order_key = store.VERIFICATION_ORDER[req.status]
    page, next_cursor = next_page(rows, req.limit, key=lambda row: (row[order_key], row["user_id"]))
    return CredentialPage(
        items=[SubmittedCredential.model_validate(dict(row)) for row in page], next_cursor=next_cursor
    )
