"""Contracts of the snapshot endpoints: every aggregate's current state, paged by id.

Listings serves its listings and bookings, accounts its users, each item exactly as the
aggregate's events carry it (``ListingData``, ``BookingData``, ``UserData``) with its
current version, so a projection can be rebuilt from them without the event history.
They are internal: operator tools ask them on the bus, with no actor; the gateway never
routes them. Every status is served (drafts, archived listings, every booking); a deleted
user is simply absent.

A caller asks with ``after`` = the previous page's ``next_after`` until that is None.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from pydantic import BaseModel, Field

from shared.contracts.accounts import UserData
from shared.contracts.base import WHOLE_NUMBER, Contract, Id, Reply
from shared.contracts.listings import BookingData, ListingData

# A reply travels as one NATS message (max_payload is 1 MB on our servers): a page stops
# before the reply passes this many bytes, whatever its limit. 500 users with 2,000-character
# bios would come to more than 1 MB, and a reply too large to send never arrives.
MAX_PAGE_BYTES = 512 * 1024

T = TypeVar("T", bound=BaseModel)


class SnapshotPage(Contract):
    """A page of snapshots: the ones whose id follows ``after``, in id order."""

    after: Id | None = Field(None, description="next_after of the previous page; null: from the start")
    limit: Annotated[int, Field(ge=1, le=1000), WHOLE_NUMBER] = 500


class ListingSnapshots(Reply):
    items: list[ListingData]
    next_after: uuid.UUID | None = None


class BookingSnapshots(Reply):
    items: list[BookingData]
    next_after: uuid.UUID | None = None


class UserSnapshots(Reply):
    items: list[UserData]
    next_after: uuid.UUID | None = None


def fit_page(items: Sequence[T], limit: int, key: Callable[[T], uuid.UUID]) -> tuple[list[T], uuid.UUID | None]:
    """The items of one reply, and its ``next_after``.

    ``items`` are at most ``limit`` rows in id order. The page keeps them while they fit in
    ``MAX_PAGE_BYTES`` (always the first); ``next_after`` is the last kept item's id
    (``key``) when the page is full (``limit`` items) or was cut to fit, else None.
    """
    kept: list[T] = []
    size = len('{"items":[],"next_after":""}') + 36  # the reply's bytes around its items
    for item in items:
        size += len(item.model_dump_json().encode()) + 1  # bytes: a character may take four
        if kept and size > MAX_PAGE_BYTES:
            return kept, key(kept[-1])
        kept.append(item)
    return kept, (key(kept[-1]) if kept and len(kept) >= limit else None)
