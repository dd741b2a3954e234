r"""Base classes of the contracts: strict request models, lenient replies, the event envelope.

A request contract accepts exactly what the OpenAPI document (generated from it) says:
- strict types: no ``"3"`` or ``3.5`` for an integer (``WHOLE_NUMBER`` takes ``3.0``, an
  integer to JSON Schema), no ``1`` for a boolean, no number for a date, no NaN or
  infinity (the gateway turns query strings into typed values first, by the documented
  parameter schema);
- dates only as ``YYYY-MM-DD`` (``Date``), ids only as canonical UUIDs (``Id``): pydantic
  alone takes ``"0"`` for a date and a UUID without hyphens, which the formats do not;
- every string refuses U+0000 (Postgres text cannot store it), and text a field needs
  must hold a character other than a space (``Text`` and ``Words``); nothing is trimmed
  before the checks, so a length or pattern in the document is the length or pattern
  checked;
- patterns mean the same to every regex engine: explicit character classes (``SPACE``,
  ``[0-9]``) instead of ``\s`` and ``\d``, which Python, Rust and ECMA-262 read
  differently, and ``$`` only at the end (pydantic's Rust engine, like ECMA-262, does
  not let it match before a final newline the way Python's does);
- optional fields of a PATCH are ``X | MISSING``: omitted means unchanged, ``null`` is
  refused unless the field is documented nullable (then it clears the value).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

# Every character some engine's \s matches (Python's isspace, Unicode White_Space, ECMA-262).
SPACE = r"\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
# Characters that show nothing and are no space: the soft hyphen, the Mongolian vowel
# separator, zero-width space, non-joiner and joiner, word joiner and invisible operators.
# Allowed inside text (Persian writes names with a non-joiner, emoji sequences use the
# joiner), but text of these alone looks empty ("a goal titled \u200b").
INVISIBLE = r"\xad\u180e\u200b-\u200d\u2060-\u2064"
# No U+0000 anywhere; ``WORDS`` also needs one character that is neither a space, an
# invisible character nor NUL.
TEXT_PATTERN = r"^[^\x00]*$"
WORDS_PATTERN = rf"^[^\x00]*[^\x00{SPACE}{INVISIBLE}][^\x00]*$"
# What a name others read must not hold: C0 and C1 controls (line breaks among them, which
# would print lines of their own inside our mails), DEL, the line and paragraph
# separators, and the bidi embeddings, overrides and isolates that reorder the text after
# them on screen ("a\u202egnp.exe" shows as "aexe.png").
NOT_IN_NAMES = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
NAME_PATTERN = rf"^[^{NOT_IN_NAMES}]*[^{NOT_IN_NAMES}{SPACE}][^{NOT_IN_NAMES}]*$"
# An address: no spaces, no NUL, one @ and a dot in the domain; before the @ plain ASCII
# (most mail systems deliver nothing to other characters there; the domain may be written
# in any script, accounts stores its ASCII form).
EMAIL_PATTERN = rf"^[\x21-\x3f\x41-\x7e]{{1,64}}@[^@\x00{SPACE}]+\.[^@\x00{SPACE}]{{2,}}$"
Text = Annotated[str, Field(pattern=TEXT_PATTERN)]
Words = Annotated[str, Field(pattern=WORDS_PATTERN)]
# What a client reads when one of these fails, instead of the regex.
PATTERN_MESSAGES = {
    TEXT_PATTERN: "must not contain U+0000",
    WORDS_PATTERN: "must have a visible character: spaces alone are not enough",
    NAME_PATTERN: "must be one line with a character other than a space, and no control or text-direction characters",
    EMAIL_PATTERN: "enter an address like name@example.org, with plain ASCII letters, digits or signs before the @"
    " (mail to other characters there is not delivered by most mail systems)",
}


def worded(pattern: str, message: str) -> str:
    """``pattern``, registered with what a person reads when their value fails it: pydantic
    states the regex itself, and "Not in the expected format." said no more (an NPI of
    "123", a video link with http://)."""
    if PATTERN_MESSAGES.setdefault(pattern, message) != message:
        raise ValueError(f"{pattern!r} is worded twice: {PATTERN_MESSAGES[pattern]!r}, {message!r}")
    return pattern


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The dates any request may carry: every rule of its own (a stay, a goal, a deadline) is
# narrower; this one keeps years no one means (0001, 9999) out of the database.
DATE_RANGE = (date(1900, 1, 1), date(2999, 12, 31))
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _iso_date(value: object) -> object:
    if not isinstance(value, str):
        return value  # a date object from Python code; anything else fails the type check
    if not value:
        raise ValueError("choose a date")
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("write the date as YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"there is no such date as {value}") from None
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        # 9999-12-31 is Python's last date, which the Postgres driver sends as 'infinity':
        # a search to it failed in the query as a 500, and a room stored available to it.
        raise ValueError(f"write a date in the years {DATE_RANGE[0].year} to {DATE_RANGE[1].year}")
    return day


def _canonical_uuid(value: object) -> object:
    if not isinstance(value, str):
        return value  # a UUID object from Python code; anything else fails the type check
    if not _UUID.fullmatch(value):
        raise ValueError("an id must be a UUID written 8-4-4-4-12 hex digits")
    return uuid.UUID(value)


def _whole_number(value: object) -> object:
    # JSON Schema's integer is any number without a fraction, 3.0 included (generated
    # clients and fuzzers send them); 3.5 and "3" stay what they are and fail the check.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Date = Annotated[date, BeforeValidator(_iso_date)]
Id = Annotated[uuid.UUID, BeforeValidator(_canonical_uuid)]
# Last in an int's Annotated metadata, after its Field: in front of the bounds it would
# hide them from the JSON schema (pydantic then writes "ge" instead of "minimum").
WHOLE_NUMBER = BeforeValidator(_whole_number)


class Contract(BaseModel):
    """A request body. Unknown fields are refused so typos surface as 400s; see the module
    docstring for what strict means here."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Reply(BaseModel):
    """A reply body. Lenient on input so an older reader accepts a newer writer; every
    field is always sent, so the document marks them all required."""

    model_config = ConfigDict(extra="ignore", json_schema_serialization_defaults_required=True)


class Empty(Contract):
    """A request with no fields."""


class Ok(Reply):
    ok: bool = True


class Actor(Reply):
    """The authenticated caller, resolved by the gateway and carried in NATS headers."""

    user_id: uuid.UUID
    role: str
    # Whether the caller confirmed their email address: unconfirmed accounts can browse
    # but not request a booking, publish a listing or start a conversation.
    email_verified: bool = True


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


Limit = Annotated[int, Field(ge=1, le=100), WHOLE_NUMBER]
# What shared.paging.encode_cursor writes: base64url without padding. Query parameters
# are given with a value or left out, so none of them is the empty string.
Cursor = Annotated[
    str, Field(min_length=1, max_length=500, pattern=r"^[A-Za-z0-9_-]*$", description="next_cursor of the last page")
]
HospitalId = Annotated[
    str, Field(max_length=200, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="an id from the hospital directory")
]
