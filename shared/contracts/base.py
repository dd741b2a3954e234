"""Base classes of the contracts: strict-enough models and the event envelope."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class Contract(BaseModel):
    """A request or reply body. Unknown fields are refused so typos surface as 400s."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Reply(BaseModel):
    """A reply body. Lenient on input so an older reader accepts a newer writer."""

    model_config = ConfigDict(extra="ignore")


class Empty(Contract):
    """A request or reply with no fields."""


class Ok(Reply):
    ok: bool = True


class Actor(Reply):
    """The authenticated caller, resolved by the gateway and carried in NATS headers."""

    user_id: uuid.UUID
    role: str


class Page(Reply):
    """Common shape of a paged reply: ``items`` and an opaque ``next_cursor``."""

    next_cursor: str | None = None


class EventData(BaseModel):
    """A snapshot of an aggregate carried by its events: what consumers need, never a
    reply shaped for one viewer. ``version`` is the aggregate's version, incremented by
    the database on every change, so a projection applies a snapshot only when it is
    newer than the one it holds (a redelivered or reordered event changes nothing)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    version: int = Field(ge=1)


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """A domain event. Subclasses set ``subject`` (past tense) and add their fields.

    ``event_id`` is the broker's dedupe key (``Nats-Msg-Id``) and the consumers' inbox key.
    """

    model_config = ConfigDict(extra="ignore")
    subject: ClassVar[str]
    registry: ClassVar[dict[str, type[Event]]] = {}

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=_now)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        subject = cls.__dict__.get("subject")
        if isinstance(subject, str):
            Event.registry[subject] = cls

    @classmethod
    def parse(cls, subject: str, data: bytes) -> Event:
        """Decode an event by its subject; an unknown subject raises ``KeyError``."""
        return Event.registry[subject].model_validate_json(data)
