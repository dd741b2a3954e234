"""Verification documents: a user sends one (claim check), sees their own; operators see
the queue, fetch the file and decide. A document is private: only its owner and
operators learn it exists (anyone else: 404)."""

from __future__ import annotations

import uuid

import asyncpg
from pydantic import MISSING

from services.accounts import domain, store, views
from services.accounts.store import documents as document_store
from shared import subjects
from shared.contracts.accounts import UserVerified
from shared.contracts.documents import (
    Document,
    DocumentAccess,
    DocumentAdd,
    DocumentDecision,
    DocumentId,
    DocumentPage,
    DocumentQueue,
    DocumentRejected,
    MyDocuments,
    QueuedDocumentPage,
)
from shared.documents import DocumentRefusedError, process_document
from shared.errors import AppError
from shared.media import media
from shared.outbox import add
from shared.paging import decode_newest_first, next_page
from shared.service import Context, Registry
from shared.storage import ObjectMissingError

registry = Registry()

DOCUMENT_NOT_FOUND = AppError("not_found", "document not found")


@registry.endpoint(subjects.ADD_DOCUMENT, DocumentAdd)
async def add_document(ctx: Context, req: DocumentAdd) -> Document:
    """Check the upload (a PDF parsed, an image re-encoded without metadata), keep it,
    queue it for an operator; the upload is deleted whatever the outcome."""
    actor = ctx.require_actor()
    try:
        domain.check_document_kind(actor.role, req.kind)
        try:
            data = await media().storage.get(req.upload_key)
        except ObjectMissingError:
            raise AppError("validation", "no such upload", [{"field": "upload_key", "message": "unknown"}]) from None
        settings = ctx.settings
        try:
            doc = await media().images.run(process_document, data, settings.image_max_pixels, settings.pdf_max_pages)
        except DocumentRefusedError as exc:
            raise AppError("validation", str(exc), [{"field": "file", "message": str(exc)}]) from None
        document_id = uuid.uuid4()
        key = f"documents/{document_id.hex}.{doc.extension}"
        fields = {
            "id": document_id,
            "user_id": actor.user_id,
            "kind": req.kind,
            "object_key": key,
            "content_type": doc.content_type,
            "size_bytes": len(doc.data),
            "pages": doc.pages,
            "digest": doc.digest,
        }
        # The file is written before the transaction: a slow store then holds neither a
        # pooled connection nor the user's documents lock (every other send of theirs
        # waits on it). A copy that finds its twin already kept deletes its own file.
        kept = False
        try:
            await media().storage.put(key, doc.data, doc.content_type)
            async with ctx.pool.acquire() as conn, conn.transaction():
                # The same file of the same kind while the first still waits for an operator
                # (a retry, a double click, a second tab) is that document: no second entry
                # in the operators' queue, no second file. Checked under the lock it takes,
                # so of copies sent at once one inserts and the others find it here.
                same = await document_store.same_pending_document(conn, actor.user_id, req.kind, doc.digest)
                if same is not None:
                    return views.document(same, settings.document_retention_days)
                if await document_store.pending_count(conn, actor.user_id) >= settings.document_max_pending:
                    raise AppError(
                        "conflict",
                        f"you have {settings.document_max_pending} documents waiting for an operator:"
                        " send another once they are decided",
                    )
                row = await document_store.insert_document(conn, fields)
            kept = True
        except asyncpg.ForeignKeyViolationError:
            # The account was deleted while its upload was read: nothing to attach it to.
            raise AppError("unauthorized", "this account no longer exists") from None
        finally:
            if not kept:  # refused, failed, or a twin's file is the one kept
                await media().storage.delete(key)
        return views.document(row, settings.document_retention_days)
    finally:
        await media().storage.delete(req.upload_key)


@registry.endpoint(subjects.MY_DOCUMENTS, MyDocuments)
async def my_documents(ctx: Context, req: MyDocuments) -> DocumentPage:
    actor = ctx.require_actor()
    rows = await document_store.user_documents(ctx.pool, actor.user_id, decode_newest_first(req.cursor), req.limit + 1)
    page, cursor = next_page(rows, req.limit, key=lambda r: (r["created_at"], r["id"]))
    days = ctx.settings.document_retention_days
    return DocumentPage(items=[views.document(r, days) for r in page], next_cursor=cursor)


@registry.endpoint(subjects.DOCUMENT_ACCESS, DocumentId)
async def document_access(ctx: Context, req: DocumentId) -> DocumentAccess:
    """Where the file is, for its owner or an operator; 404 for anyone else and once deleted."""
    actor = ctx.require_actor()
    row = await document_store.document(ctx.pool, req.document_id)
    if row is None or not domain.may_see_document(actor, row["user_id"]) or row["deleted_at"] is not None:
        raise DOCUMENT_NOT_FOUND
    return DocumentAccess(
        object_key=row["object_key"],
        content_type=row["content_type"],
        filename=f"{row['kind']}-{row['id'].hex[:8]}.{row['object_key'].rsplit('.', 1)[-1]}",
    )


@registry.endpoint(subjects.DOCUMENT_QUEUE, DocumentQueue, roles=("admin",))
async def document_queue(ctx: Context, req: DocumentQueue) -> QueuedDocumentPage:
    rows = await document_store.queue(ctx.pool, decode_newest_first(req.cursor), req.limit + 1)
    page, cursor = next_page(rows, req.limit, key=lambda r: (r["created_at"], r["id"]))
    days = ctx.settings.document_retention_days
    return QueuedDocumentPage(items=[views.queued_document(r, days) for r in page], next_cursor=cursor)


@registry.endpoint(subjects.DECIDE_DOCUMENT, DocumentDecision, roles=("admin",))
async def decide_document(ctx: Context, req: DocumentDecision) -> Document:
    admin = ctx.require_actor()
    async with ctx.pool.acquire() as conn, conn.transaction():
        row = await document_store.document(conn, req.document_id, for_update=True)
        if row is None:
            raise DOCUMENT_NOT_FOUND
        if row["status"] != "pending":
            raise AppError("conflict", f"this document was already {row['status']}")
        owner = await store.user_by_id(conn, row["user_id"], for_update=True)  # as a profile change
        # The badge would vouch for the name and school the operator compared: a student who
        # renamed, or changed school, after the queue was read would get it for ones nobody
        # checked (the owner's row lock keeps a profile change from landing in between).
        if req.decision == "verified":
            if req.display_name not in (None, owner["display_name"]):
                raise AppError("conflict", "their name changed since you opened the queue: check the document again")
            school = (await store.profile(conn, owner["id"])).get("medical_school")
            if req.medical_school is not MISSING and req.medical_school != school:
                raise AppError(
                    "conflict", "their medical school changed since you opened the queue: check the document again"
                )
        await document_store.decide(conn, req.document_id, req.decision, req.note, admin.user_id)
        if domain.document_verifies(owner["role"], row["kind"], req.decision):
            await document_store.verify_by_document(conn, owner["id"], admin.user_id)
            await store.touch_user(conn, owner["id"])
            await add(conn, UserVerified(user=views.user_data(await store.snapshot(conn, owner["id"]))))
        elif req.decision == "rejected":
            rejected = DocumentRejected(user_id=owner["id"], document_id=row["id"], kind=row["kind"], note=req.note)
            await add(conn, rejected)
        decided = await document_store.document(conn, req.document_id)
    assert decided is not None
    return views.document(decided, ctx.settings.document_retention_days)
