"""Catch-up and order of one socket's stored pushes, from messaging's ``PUSHES_SINCE``.

Messaging numbers each user's pushes 1, 2, 3, … with no gaps, committed in order, but
publishes them after commit from any of its replicas, so on the wire they can arrive out
of order, or not at all (core NATS, at most once). A socket that says where it is
(``since``) gets them in order, each once, with no gap: the gateway subscribes before
asking for the catch-up, holds back what arrives meanwhile, and later fills a gap it
sees by asking again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.aio.client import Client as NATS

from services.gateway.live import Outgoing, encode_frame
from shared import bus, subjects
from shared.contracts.base import Actor
from shared.contracts.messaging import PushesSince, PushReplay

# Messaging answers at most this many frames; more missed than that is a resync.
REPLAY_LIMIT = 500
# How long a frame after a gap waits for the missing one before the gateway asks
# messaging: publishes from two replicas overtake each other by milliseconds.
GAP_WAIT_S = 0.25


@dataclass(frozen=True)
class Catchup:
    """What messaging had after a seq: frames oldest first, and the seq they reach."""

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
    """The frames after ``since``, oldest first, each seq once.

    On ``resync`` nothing is replayed (the client reloads through REST) and ``last_seq``
    is messaging's, even below ``since``: a client ahead of the server (its data was
    restored from an older backup) must not have the next frames dropped as old.
    """
    if reply.resync:
        return Catchup([], reply.last_seq, True)
    frames: dict[int, Outgoing] = {}
    for frame in reply.frames:
        if frame.seq is not None and frame.seq > since:
            frames.setdefault(frame.seq, Outgoing(frame.seq, frame.model_dump_json()))
    ordered = [frames[seq] for seq in sorted(frames)]
    return Catchup(ordered, max([reply.last_seq, since, *frames]), False)


@dataclass
class Sequencer:
    """One socket's stored frames in seq order, each once, gaps filled by asking.

    ``last`` is the seq up to which the client has everything (None: the socket gave no
    ``since`` and frames pass as they come). Frames without a seq always pass.
    """

    last: int | None
    max_held: int
    held: dict[int, Outgoing] = field(default_factory=dict)
    gap_seen_at: float | None = None

    def accept(self, frame: Outgoing, now: float) -> list[Outgoing]:
        """The frames that can go out now that ``frame`` arrived (maybe none)."""
        if frame.seq is None or self.last is None:
            return [frame]
        if frame.seq > self.last:
            self.held.setdefault(frame.seq, frame)
        return self._release(now)

    def fill(self, catchup: Catchup, now: float) -> list[Outgoing]:
        """The frames to send after a catch-up from ``last``: a resync or the missed
        frames, then whatever held frames follow on."""
        out: list[Outgoing] = []
        if catchup.resync:
            out.append(encode_frame("resync", {"last_seq": catchup.last_seq}))
            self.last = catchup.last_seq
        else:
            base = self.last if self.last is not None else 0
            out += [f for f in catchup.frames if f.seq is not None and f.seq > base]
            self.last = max(base, catchup.last_seq)
        self.held = {seq: f for seq, f in self.held.items() if seq > self.last}
        return out + self._release(now)

    def needs_catchup(self, now: float) -> bool:
        """A gap has waited long enough, or too much is held behind it."""
        return self.gap_seen_at is not None and (now - self.gap_seen_at >= GAP_WAIT_S or len(self.held) > self.max_held)

    def deadline(self) -> float | None:
        """When the current gap, if any, must be filled by asking."""
        return None if self.gap_seen_at is None else self.gap_seen_at + GAP_WAIT_S

    def _release(self, now: float) -> list[Outgoing]:
        assert self.last is not None
        out = []
        while self.last + 1 in self.held:
            self.last += 1
            out.append(self.held.pop(self.last))
        if not self.held:
            self.gap_seen_at = None
        elif out or self.gap_seen_at is None:  # a new gap, further on
            self.gap_seen_at = now
        return out
