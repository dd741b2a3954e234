"""Live fan-out on one gateway replica: one NATS subscription per connected user, shared
by that user's sockets, each socket with a bounded queue drained by its own writer.

Nothing here is stored: a frame a socket could not take is dropped together with the
socket (close 1013), and the client replays it from messaging on reconnect (``since``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import orjson
from aiohttp import web
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import SlowConsumerError

from services.gateway.metrics import GatewayMetrics
from shared.push import USER_SUBJECT_PREFIX, user_subject

log = logging.getLogger("gateway.ws")

# Close codes (RFC 6455 and the private 4000-4999 range); the README lists them.
CLOSE_GOING_AWAY = 1001  # this gateway is shutting down: reconnect (with since)
CLOSE_POLICY = 1008  # e.g. too many sockets for one user
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN = 1013  # frames may have been missed or catch-up failed: reconnect with since
CLOSE_UNAUTHORIZED = 4401  # no, bad or revoked credentials

# nats-py queues a subscription's messages before our callback takes them; the callback
# never waits, so these are only reached when the event loop itself is starved. Then
# nats-py drops messages and reports a slow consumer, and we drop that user's sockets.
SUB_PENDING_MSGS = 4096
SUB_PENDING_BYTES = 8 * 1024 * 1024


class Outgoing(NamedTuple):
    """One frame for one socket: its encoded JSON and the user's ``seq`` when stored."""

    seq: int | None
    text: str


def encode_frame(frame_type: str, data: dict[str, Any], seq: int | None = None) -> Outgoing:
    """A frame in the shape every frame has: ``{"type", "seq", "data"}``."""
    return Outgoing(seq, orjson.dumps({"type": frame_type, "seq": seq, "data": data}).decode())


def parse_push(raw: bytes) -> Outgoing | None:
    """A frame published by ``shared.push.push``, relayed as is; None when it is not one
    (a JSON object with a string ``type`` and an integer or null ``seq``)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return None
    seq = body.get("seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
        return None
    return Outgoing(seq, raw.decode())


class LiveSocket:
    """One client's socket: its identity, its bounded queue, and one way to close it."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.BaseTransport | None,
        *,
        user_id: str,
        fingerprint: str,
        queue_frames: int,
        close_timeout: float,
        metrics: GatewayMetrics,
    ) -> None:
        self.ws = ws
        self.transport = transport
        self.metrics = metrics
        self.user_id = user_id
        self.fingerprint = fingerprint
        self.queue: asyncio.Queue[Outgoing] = asyncio.Queue(maxsize=queue_frames)
        self.close_timeout = close_timeout
        self._closing: asyncio.Task[None] | None = None

    def offer(self, frame: Outgoing) -> None:
        """Queue a frame without waiting; a full queue drops the socket instead (1013)."""
        if self._closing is not None:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            self.metrics.ws_dropped_slow.inc()
            self.close_soon(CLOSE_TRY_AGAIN, "too slow to keep up: reconnect with since")

    def close_soon(self, code: int, reason: str) -> asyncio.Task[None]:
        """Start closing (once; the first reason wins) from any task or callback."""
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close(code, reason))
        return self._closing

    async def _close(self, code: int, reason: str) -> None:
        # aiohttp's close() also ends the handler's receive(), then waits for the client's
        # close frame. A client that stopped reading never answers, and the bytes it did
        # not take would keep the connection (and their buffer) alive after a plain
        # transport close: after the timeout the connection is cut.
        timed_out = False
        try:
            async with asyncio.timeout(self.close_timeout):
                await self.ws.close(code=code, message=reason.encode()[:123])
        except TimeoutError:
            timed_out = True
        except Exception as exc:
            log.debug("closing a socket of %s: %r", self.user_id, exc)
        transport = self.transport
        if isinstance(transport, asyncio.WriteTransport) and (timed_out or transport.get_write_buffer_size()):
            transport.abort()

    async def wait_closed(self) -> None:
        """Wait for a close this socket started, if any, to finish."""
        if self._closing is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._closing)


@dataclass
class _UserFeed:
    """A user's subscription on this replica and the sockets it feeds."""

    sockets: set[LiveSocket] = field(default_factory=set)
    subscribed: asyncio.Future[Subscription] | None = None


class Hub:
    """Every live socket on this replica, by user and by session."""

    def __init__(self, nc: NATS, metrics: GatewayMetrics) -> None:
        self.nc = nc
        self.metrics = metrics
        metrics.watch_hub(lambda: self.socket_count, lambda: self.subscription_count, lambda: self.queued_frames)
        self._users: dict[str, _UserFeed] = {}
        self._sessions: dict[str, set[LiveSocket]] = {}
        # Upgraded sockets still waiting for their auth frame: shutdown closes them too.
        self.unauthenticated: set[web.WebSocketResponse] = set()
        self._unsubscribing: set[asyncio.Task[None]] = set()
        self.stopping = False

    # -- observability ----------------------------------------------------------------

    @property
    def socket_count(self) -> int:
        return sum(len(feed.sockets) for feed in self._users.values())

    @property
    def subscription_count(self) -> int:
        return len(self._users)

    @property
    def queued_frames(self) -> int:
        return sum(sock.queue.qsize() for sock in self._all())

    def sockets_of(self, user_id: str) -> int:
        """Sockets of ``user_id`` on this replica."""
        feed = self._users.get(user_id)
        return len(feed.sockets) if feed else 0

    def _all(self) -> Iterable[LiveSocket]:
        for feed in list(self._users.values()):
            yield from list(feed.sockets)

    # -- attach and detach ------------------------------------------------------------

    async def attach(self, sock: LiveSocket) -> None:
        """Feed ``sock`` from its user's subscription, subscribing for the first socket.

        When this returns the subscription is registered with the NATS server before
        anything this connection sends next (one connection keeps order), so a catch-up
        request sent after it cannot miss a push committed after the request is answered.
        """
        feed = self._users.get(sock.user_id)
        if feed is None:
            feed = self._users[sock.user_id] = _UserFeed()
            # A future, not the first socket's own await: two tabs connecting at once
            # share one subscription, and the first one leaving early cancels nothing.
            feed.subscribed = asyncio.ensure_future(self._subscribe(sock.user_id, feed))
        feed.sockets.add(sock)
        self._sessions.setdefault(sock.fingerprint, set()).add(sock)
        if self.stopping:  # it got past the handshake while shutdown closed the others
            sock.close_soon(CLOSE_GOING_AWAY, "gateway shutting down: reconnect")
        assert feed.subscribed is not None
        try:
            await asyncio.shield(feed.subscribed)
        except BaseException:
            self.detach(sock)
            raise

    async def _subscribe(self, user_id: str, feed: _UserFeed) -> Subscription:
        async def deliver(msg: Msg) -> None:
            frame = parse_push(msg.data)
            if frame is None:
                log.warning("ignored a malformed push on %s", msg.subject)
                return
            for sock in tuple(feed.sockets):
                sock.offer(frame)
            # nats-py hands a burst to this callback without yielding in between; without
            # a pause here writers could not drain, and a burst longer than a queue would
            # drop even a client that reads fast. A stalled client's writer waits on its
            # transport instead, so its queue still fills.
            await asyncio.sleep(0)

        try:
            sub = await self.nc.subscribe(
                user_subject(user_id),
                cb=deliver,
                pending_msgs_limit=SUB_PENDING_MSGS,
                pending_bytes_limit=SUB_PENDING_BYTES,
            )
        except Exception:
            if self._users.get(user_id) is feed:
                del self._users[user_id]
            raise
        return sub

    def detach(self, sock: LiveSocket) -> None:
        """Stop feeding ``sock``; the last socket of a user takes the subscription away.

        Synchronous, so it also runs in full in a handler being cancelled.
        """
        session = self._sessions.get(sock.fingerprint)
        if session is not None:
            session.discard(sock)
            if not session:
                del self._sessions[sock.fingerprint]
        feed = self._users.get(sock.user_id)
        if feed is None or sock not in feed.sockets:
            return
        feed.sockets.discard(sock)
        if feed.sockets:
            return
        # Removed at once: a socket of this user arriving meanwhile subscribes anew
        # instead of joining a subscription on its way out.
        del self._users[sock.user_id]
        if feed.subscribed is not None:
            task = asyncio.ensure_future(self._unsubscribe(feed.subscribed))
            self._unsubscribing.add(task)
            task.add_done_callback(self._unsubscribing.discard)

    @staticmethod
    async def _unsubscribe(subscribed: asyncio.Future[Subscription]) -> None:
        with contextlib.suppress(Exception):
            sub = await subscribed
            await sub.unsubscribe()

    # -- closing from outside ---------------------------------------------------------

    def revoke(self, fingerprint: str) -> int:
        """Close the sockets of a revoked session (logout) with 4401; how many."""
        socks = list(self._sessions.get(fingerprint, ()))
        for sock in socks:
            sock.close_soon(CLOSE_UNAUTHORIZED, "session revoked")
        return len(socks)

    def close_user(self, user_id: str, code: int, reason: str) -> None:
        """Close every socket of one user on this replica."""
        feed = self._users.get(user_id)
        for sock in list(feed.sockets) if feed else []:
            sock.close_soon(code, reason)

    async def close_all(self, code: int, reason: str) -> None:
        """Close every socket at once and wait (each close is bounded by its timeout)."""
        tasks = [sock.close_soon(code, reason) for sock in self._all()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def on_nats_reconnected(self) -> None:
        # Pushes published while this replica was cut off from NATS never reached its
        # sockets; dropping them makes their clients replay from messaging.
        await self.close_all(CLOSE_TRY_AGAIN, "live feed interrupted: reconnect with since")

    async def on_nats_error(self, exc: Exception) -> None:
        """A dropped push (nats-py's slow consumer) drops its user's sockets: they catch up."""
        if isinstance(exc, SlowConsumerError) and exc.subject.startswith(USER_SUBJECT_PREFIX + "."):
            user_id = exc.subject.rsplit(".", 1)[-1]
            self.close_user(user_id, CLOSE_TRY_AGAIN, "live feed overflowed: reconnect with since")

    async def shutdown(self, timeout: float) -> None:
        """Close every socket with 1001 so the process can exit at once."""
        self.stopping = True

        async def close_unauthenticated(ws: web.WebSocketResponse) -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(timeout):
                    await ws.close(code=CLOSE_GOING_AWAY, message=b"gateway shutting down")

        await asyncio.gather(
            self.close_all(CLOSE_GOING_AWAY, "gateway shutting down: reconnect"),
            *(close_unauthenticated(ws) for ws in list(self.unauthenticated)),
        )
