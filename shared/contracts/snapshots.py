"""Contracts of the snapshot endpoints: every aggregate's current state, paged by id.

Listings serves its listings and bookings, accounts its users, messaging its blocks (every
pair that was ever blocked, lifted ones too), each item exactly as the aggregate's events
carry it (``ListingData``, ``BookingData``, ``UserData``, ``BlockData``) with its current
version, so a projection can be rebuilt from them without the event history.
They are internal: operator tools ask them on the bus, with no actor; the gateway never
routes them. Every status is served (drafts, archived listings, every booking); a deleted
user is simply absent.

A caller asks with ``after`` = the previous page's ``next_after`` until that is None.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from shared.contracts.accounts import UserData
from shared.contracts.base import WHOLE_NUMBER, Contract, Id, Reply
from shared.contracts.listings import BookingData, ListingData
from shared.contracts.messaging import BlockData


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


class BlockSnapshots(Reply):
    items: list[BlockData]
    next_after: uuid.UUID | None = None
