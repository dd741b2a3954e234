"""Contracts of verification documents (accounts): sent by their owner, checked by operators."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, ClassVar, Literal

from pydantic import MISSING, Field, model_validator

from shared import subjects
from shared.contracts.accounts import Role
from shared.contracts.base import WORDS_PATTERN, Contract, Cursor, Event, Id, Limit, Page, Reply, Text
from shared.errors import FieldError

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
    medical_school: str | None = Field(description="the owner's medical school on their profile, null when none")


class QueuedDocumentPage(Page):
    items: list[QueuedDocument]


class DocumentQueue(Contract):
    """Documents waiting for an operator, oldest first (a queue)."""

    limit: Limit = 20
    cursor: Cursor | None = None


class DocumentDecision(Contract):
    """An operator's decision: a verified proof of enrolment or rotation acceptance gives
    a student the verified badge; a rejection must say why in the note (the owner reads it
    in the notice and the mail). A verification naming the ``display_name`` or
    ``medical_school`` the operator compared is a 409 when the owner's is another now."""

    document_id: Id
    decision: Literal["verified", "rejected"]
    note: Annotated[Text, Field(max_length=500, description="required for a rejection: why, shown to the owner")] = ""
    display_name: Annotated[Text, Field(max_length=200)] | None = Field(
        None,
        description="the name the operator compared with the document (the queue's): a verification is a 409"
        " when the owner's name is another now",
    )
    medical_school: Annotated[Text, Field(max_length=200)] | MISSING | None = Field(
        MISSING,
        description="the medical school the operator compared with the document (the queue's, null for none):"
        " a verification is a 409 when the owner's school is another now",
    )

    @model_validator(mode="after")
    def _rejection_says_why(self) -> DocumentDecision:
        # The owner's only way to learn what to send instead: blank, or zero-width
        # characters alone, would read as a rejection without a reason.
        if self.decision == "rejected" and not re.match(WORDS_PATTERN, self.note):
            raise FieldError("note", "say why the document is rejected: its owner reads the note")
        return self


# --- events ---------------------------------------------------------------------------


class DocumentRejected(Event):
    """An operator rejected a verification document: its owner is told why (the note, which
    a rejection requires; empty only in events from before that) and how to send another
    (messaging's notification, mailed as the owner's preferences say). A verified one is
    ``UserVerified`` when it gives the badge."""

    subject: ClassVar[str] = subjects.DOCUMENT_REJECTED
    user_id: uuid.UUID
    document_id: uuid.UUID
    kind: DocumentKind
    note: str = ""
