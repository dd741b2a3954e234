"""Contracts of the messaging service (the live-delivery part; the rest follows)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from shared.contracts.base import Contract, Reply
from shared.push import Frame


class PushesSince(Contract):
    """What a reconnecting socket missed: the caller's stored pushes after ``since``."""

    since: Annotated[int, Field(ge=0)]
    limit: Annotated[int, Field(ge=1, le=1000)] = 500


class PushReplay(Reply):
    """Stored pushes with ``seq > since``, oldest first, and the newest ``seq`` so far.

    ``resync`` is true when some of what was missed is no longer kept (or more than
    ``limit`` frames were missed): the client should reload through the REST API and
    continue from ``last_seq``.
    """

    frames: list[Frame]
    last_seq: int
    resync: bool = False
