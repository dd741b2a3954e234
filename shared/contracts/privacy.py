"""Contracts of export and deletion: what each service answers about one user, and the
event every service applies when an account is deleted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, ClassVar

from pydantic import Field

from shared.contracts.base import Contract, Event, Reply, Text


class ServiceExport(Reply):
    """One service's records about the caller, by kind (each a list of plain records)."""

    data: dict[str, list[dict[str, Any]]]


class UserExport(Reply):
    """Everything Wardmate holds about you, each service answering for its own data."""

    user_id: uuid.UUID
    exported_at: datetime
    accounts: dict[str, list[dict[str, Any]]]
    listings: dict[str, list[dict[str, Any]]]
    messaging: dict[str, list[dict[str, Any]]]
    matching: dict[str, list[dict[str, Any]]]
    payments: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="payments of your stays with their refunds, and your balance's entries as a host"
        " (card details never reach Wardmate: Stripe holds them)",
    )


class DeleteAccountRequest(Contract):
    """Your password, to delete your account for good."""

    password: Annotated[Text, Field(min_length=1, max_length=128)]


class AccountDeleted(Reply):
    deleted: bool = True
    message: str


class UserDeleted(Event):
    """An account was deleted: every service erases or anonymises what it holds about the
    user, through its consumer, idempotently (applying it twice changes nothing more)."""

    subject: ClassVar[str] = "events.accounts.user.deleted"
    user_id: uuid.UUID
