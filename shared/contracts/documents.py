"""Contracts of verification documents (accounts): sent by their owner, checked by operators."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from shared import subjects
from shared.contracts.accounts import Role
from shared.contracts.base import Contract, Cursor, Event, Id, Limit, Page, Reply, Text

# --- verification documents -------------------------------------------------------------

DocumentKind = Literal["enrolment", "rotation_acceptance", "licence"]
DocumentStatus = Literal["pending", "verified", "rejected"]


class DocumentAdd(Contract):
    """A document the gateway stored under ``upload_key`` (multipart upload)."""

    upload_key: Annotated[str, Field(pattern=r"^tmp/[0-9a-f]{32}$")]
    kind: DocumentKind


class Document(Reply):
    """A verification document as its owner and operators see it. ``available``: the file
    is still kept (it is deleted a set number of days after the decision)."""

    id: uuid.UUID
    user_id: uuid.UUID
    kind: DocumentKind
    content_type: str
    size_bytes: int
    pages: int
    status: DocumentStatus
    note: str
    created_at: datetime
    decided_at: datetime | None
    available: bool
    delete_after: datetime | None = Field(description="when the file is deleted (after the decision)")


class DocumentPage(Page):
    items: list[Document]


class MyDocuments(Contract):
    limit: Limit = 20
    cursor: Cursor | None = None


class DocumentId(Contract):
    document_id: Id


class DocumentAccess(Reply):
    """Where the gateway finds a document's file, for its owner or an operator only."""

    object_key: str
    content_type: str
    filename: str


class QueuedDocument(Document):
    display_name: str
    email: str
    role: Role


class QueuedDocumentPage(Page):
    items: list[QueuedDocument]


class DocumentQueue(Contract):
    """Documents waiting for an operator, oldest first (a queue)."""

    limit: Limit = 20
    cursor: Cursor | None = None


class DocumentDecision(Contract):
    """An operator's decision: a verified proof of enrolment or rotation acceptance gives
    a student the verified badge; a rejection says why (shown to the owner)."""

    document_id: Id
    decision: Literal["verified", "rejected"]
    note: Annotated[Text, Field(max_length=500)] = ""
    display_name: Annotated[Text, Field(max_length=200)] | None = Field(
        None,
        description="the name the operator compared with the document (the queue's): a verification is a 409"
        " when the owner's name is another now",
    )


# --- events ---------------------------------------------------------------------------


class DocumentRejected(Event):
    """An operator rejected a verification document: its owner is told why (the note) and
    how to send another (messaging's notification, mailed as the owner's preferences say).
    A verified one is ``UserVerified`` when it gives the badge."""

    subject: ClassVar[str] = subjects.DOCUMENT_REJECTED
    user_id: uuid.UUID
    document_id: uuid.UUID
    kind: DocumentKind
    note: str = ""
