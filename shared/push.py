"""Live pushes to a user's open WebSockets, through core NATS.

A service that has something for a user right now (a message, a notification, a revoked
session) publishes it *after commit* on the user's subject; each gateway replica holds one
subscription per connected user and writes the frame to that user's sockets. Pushes are
fire-and-forget: every push a client must not miss is also stored with a per-user,
monotonically increasing ``seq`` (assigned in the same transaction as what it announces),
so a client that sees a gap, or reconnects, replays from the database with ``since`` and a
push lost in flight costs nothing.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from typing import Any, Literal

import orjson
from nats.aio.client import Client as NATS
from pydantic import BaseModel, ConfigDict

from shared import subjects

log = logging.getLogger(__name__)

USER_SUBJECT_PREFIX = subjects.USER_PUSH_PREFIX
BROADCAST_PREFIX = subjects.BROADCAST_PREFIX

FrameType = Literal[
    "message", "read", "notification", "unread", "conversation", "session_revoked", "resync", "error", "ready"
]


class Frame(BaseModel):
    """One WebSocket frame: ``type``, the user's ``seq`` when it is stored (replayable),
    and the frame's ``data`` (a contract of the service that sent it)."""

    model_config = ConfigDict(extra="ignore")

    type: FrameType
    seq: int | None = None
    data: dict[str, Any] = {}


def user_subject(user_id: uuid.UUID | str) -> str:
    """The core NATS subject of one user's pushes."""
    return f"{USER_SUBJECT_PREFIX}.{user_id}"


async def push(nc: NATS, user_id: uuid.UUID | str, frame: Frame) -> None:
    """Publish ``frame`` to the user's open sockets on every gateway; call after commit.

    Never raises: a push that does not get through is replayed from the database.
    """
    try:
        await nc.publish(user_subject(user_id), orjson.dumps(frame.model_dump(mode="json")))
    except Exception as exc:
        log.warning("push to %s lost (it will be replayed): %s", user_id, exc)


async def broadcast(nc: NATS, subject: str, payload: bytes) -> None:
    """Tell every gateway replica something on a ``wardmate.broadcast.*`` subject (e.g. a
    revoked session's fingerprint, ``subjects.SESSION_REVOKED``)."""
    assert subject.startswith(BROADCAST_PREFIX + "."), subject
    with contextlib.suppress(Exception):
        await nc.publish(subject, payload)
