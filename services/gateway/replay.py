"""Catch-up of a reconnecting socket: what it missed after ``since``, from messaging.

The socket subscribes to the user's live pushes *before* asking, and its queue holds the
live frames that arrive meanwhile; the writer sends the catch-up, then the queued frames
that ``admit`` lets through, so nothing between the two is lost or sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from nats.aio.client import Client as NATS

from services.gateway.live import Outgoing
from shared import bus, subjects
from shared.contracts.base import Actor
from shared.contracts.messaging import PushesSince, PushReplay

# Messaging answers at most this many frames; more missed than that is a resync.
REPLAY_LIMIT = 500


@dataclass(frozen=True)
class Catchup:
    """What to send before the live frames, and the seq up to which it covers."""

    frames: list[Outgoing]
    last_seq: int
    resync: bool


async def fetch_missed(nc: NATS, actor: Actor, since: int, *, timeout: float, limit: int = REPLAY_LIMIT) -> Catchup:
    """Ask messaging (``PUSHES_SINCE``, as ``actor``) for the pushes after ``since``.

    Raises:
        AppError: ``unavailable`` or ``timeout`` when messaging does not answer.
    """
    reply = await bus.request(
        nc, subjects.PUSHES_SINCE, PushesSince(since=since, limit=limit), PushReplay, actor=actor, timeout=timeout
    )
    return plan_catchup(reply, since)


def plan_catchup(reply: PushReplay, since: int) -> Catchup:
    """The frames to send, oldest first, each seq once and only after ``since``.

    On ``resync`` nothing is replayed: the client reloads through REST, and live frames
    continue after ``last_seq``.
    """
    if reply.resync:
        return Catchup([], max(reply.last_seq, since), True)
    frames: dict[int, Outgoing] = {}
    for frame in reply.frames:
        if frame.seq is not None and frame.seq > since:
            frames.setdefault(frame.seq, Outgoing(frame.seq, frame.model_dump_json()))
    ordered = [frames[seq] for seq in sorted(frames)]
    last = max([reply.last_seq, since, *frames])
    return Catchup(ordered, last, False)


def admit(frame: Outgoing, covered_up_to: int | None) -> bool:
    """Whether a live frame still goes out after a catch-up that covered ``covered_up_to``.

    Only what the catch-up covered is dropped: live frames after it may arrive out of
    order (two messaging replicas publish independently), and none of them is a
    duplicate, since core NATS delivers a push at most once.
    """
    return frame.seq is None or covered_up_to is None or frame.seq > covered_up_to
