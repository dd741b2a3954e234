"""``GET /api/v1/ws``: live messages and notifications for the signed-in user.

One socket runs two tasks: this handler's task, the only one that calls ``receive()``
(aiohttp answers pings and notices a dead peer only inside ``receive()``, and refuses two
readers), and a writer that sends the catch-up, ``ready``, then whatever the socket's
bounded queue holds. The frame protocol is in the README, "Live delivery (WebSocket)".
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import orjson
from aiohttp import WSMsgType, web

from services.gateway import auth
from services.gateway.clientaddr import client_address
from services.gateway.keys import HUB, LIMITER, METRICS, NC, PROXIES, SESSIONS, SETTINGS
from services.gateway.live import (
    CLOSE_INTERNAL,
    CLOSE_POLICY,
    CLOSE_TRY_AGAIN,
    CLOSE_UNAUTHORIZED,
    LiveSocket,
    Outgoing,
    encode_frame,
)
from services.gateway.ratelimit import RateLimiter
from services.gateway.replay import Sequencer, fetch_missed
from shared.contracts.accounts import session_fingerprint
from shared.contracts.base import Actor
from shared.errors import AppError
from shared.logs import REQUEST_ID_HEADER, request_id_var

log = logging.getLogger("gateway.ws")

# Frames a client may send; anything else gets an error frame.
CLIENT_FRAME_TYPES = ("auth", "ping")
# A client's own frames (pings, mistakes), per socket: enough for any honest client.
INBOUND_FRAMES_PER_S = 20.0
INBOUND_BURST = 40
# Frames between the application limit and this many times it get an error frame and
# the socket stays up; beyond it aiohttp refuses to buffer the frame and closes (1009).
HARD_LIMIT_FACTOR = 16


def error_frame(code: str, message: str, **details: Any) -> Outgoing:
    """An ``error`` frame in the REST errors' shape: ``{"code", "message", "details"}``."""
    return encode_frame("error", {"code": code, "message": message, "details": details or None})


def answer(text: str | bytes, max_bytes: int) -> Outgoing | None:
    """The gateway's answer to one client text frame: a pong, an error, or nothing."""
    size = len(text.encode()) if isinstance(text, str) else len(text)
    if size > max_bytes:
        return error_frame("payload_too_large", f"frames are limited to {max_bytes} bytes", size=size)
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        return error_frame("validation", "a frame must be a JSON object")
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return error_frame("validation", 'a frame must be a JSON object with a string "type"')
    frame_type = body["type"]
    if frame_type == "ping":
        data = body.get("data")
        return encode_frame("pong", data if isinstance(data, dict) else {})
    if frame_type == "auth":
        return error_frame("validation", "already authenticated")
    return error_frame(
        "validation", f"unknown frame type {frame_type[:40]!r}", frame_type=frame_type[:40], known=CLIENT_FRAME_TYPES
    )


def parse_since(request: web.Request) -> int | None:
    """The ``since`` query parameter: None, or a whole number (400 otherwise)."""
    raw = request.query.get("since")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise AppError("validation", "since must be a whole number ≥ 0", {"since": raw[:40]})
    return int(raw)


def same_origin(request: web.Request) -> bool:
    """A cookie socket must come from a page of this host: browsers send cookies on a
    cross-site handshake too, and a WebSocket is not subject to CORS."""
    origin = request.headers.get("Origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


def handshake_credentials(request: web.Request) -> tuple[str | None, bool]:
    """``?token=`` (browsers cannot set headers on a WebSocket), else the Authorization
    header, else the session cookie; and whether it is the cookie. The request log
    holds only the path, so a token in the query string is not logged."""
    token = request.query.get("token")
    if token:
        return token, False
    return auth.credentials(request)


async def websocket(request: web.Request) -> web.StreamResponse:
    """Upgrade, authenticate, catch up from ``since``, then relay live frames."""
    app = request.app
    settings = app[SETTINGS]
    proxies = app[PROXIES]
    app[LIMITER].check(client_address(request.remote, request.headers, proxies))
    hub = app[HUB]
    if hub.stopping:
        raise AppError("unavailable", "this gateway is shutting down; connect again")
    since = parse_since(request)
    token, from_cookie = handshake_credentials(request)
    if from_cookie and not same_origin(request):
        raise AppError("forbidden", "a WebSocket with the session cookie must come from this site (Origin)")
    actor: Actor | None = None
    if token is not None:
        actor = await app[SESSIONS].resolve(token)  # refused with 401 before the upgrade
    ws = web.WebSocketResponse(
        heartbeat=settings.ws_heartbeat_s,
        max_msg_size=settings.ws_max_message_bytes * HARD_LIMIT_FACTOR,
        # Frames are small; permessage-deflate would cost a compressor (~300 KB) per socket.
        compress=False,
        timeout=settings.ws_close_timeout_s,
    )
    if not ws.can_prepare(request).ok:
        raise AppError("validation", "this endpoint speaks WebSocket: send an Upgrade request")
    ws.headers[REQUEST_ID_HEADER] = request_id_var.get() or ""
    await ws.prepare(request)
    metrics = app[METRICS]
    metrics.ws_connections.inc()

    if actor is None or token is None:
        hub.unauthenticated.add(ws)
        try:
            refusal, actor, token = await authenticate_first_frame(request, ws)
        finally:
            hub.unauthenticated.discard(ws)
        if ws.closed:  # shutdown closed it meanwhile
            return ws
        if refusal is not None:
            metrics.ws_refused.inc()
            await ws.close(code=refusal[0], message=refusal[1].encode())
            return ws
        assert actor is not None and token is not None
    user_id = str(actor.user_id)
    if hub.sockets_of(user_id) >= settings.ws_max_sockets_per_user:
        message = f"at most {settings.ws_max_sockets_per_user} sockets per user"
        await ws.close(code=CLOSE_POLICY, message=message.encode())
        return ws

    sock = LiveSocket(
        ws,
        request.transport,
        user_id=user_id,
        fingerprint=session_fingerprint(token),
        queue_frames=settings.ws_queue_frames,
        close_timeout=settings.ws_close_timeout_s,
        metrics=metrics,
    )
    try:
        await hub.attach(sock)
    except Exception as exc:
        log.warning("could not subscribe to the pushes of %s: %r", user_id, exc)
        await ws.close(code=CLOSE_TRY_AGAIN, message=b"live feed unavailable: try again")
        return ws
    writer = asyncio.create_task(write_frames(request.app, sock, actor, since))
    try:
        await read_frames(sock, settings.ws_max_message_bytes)
    finally:
        # First, and without awaiting: the test server cancels handlers whose client left.
        hub.detach(sock)
        writer.cancel()
        await sock.wait_closed()
    return ws


async def authenticate_first_frame(
    request: web.Request, ws: web.WebSocketResponse
) -> tuple[tuple[int, str] | None, Actor | None, str | None]:
    """Wait for ``{"type": "auth", "token": ...}``; a refusal's close code and reason, or
    the actor and its token."""
    app = request.app
    try:
        msg = await ws.receive(timeout=app[SETTINGS].ws_auth_timeout_s)
    except TimeoutError:
        return (CLOSE_UNAUTHORIZED, "authenticate first: ?token= or an auth frame"), None, None
    if msg.type is not WSMsgType.TEXT:
        return (CLOSE_UNAUTHORIZED, "authenticate first: ?token= or an auth frame"), None, None
    try:
        body = orjson.loads(msg.data)
    except orjson.JSONDecodeError:
        body = None
    token = body.get("token") if isinstance(body, dict) and body.get("type") == "auth" else None
    if not isinstance(token, str) or not token:
        return (CLOSE_UNAUTHORIZED, 'the first frame must be {"type": "auth", "token": ...}'), None, None
    try:
        actor = await app[SESSIONS].resolve(token)
    except AppError as err:
        if err.code == "unauthorized":
            return (CLOSE_UNAUTHORIZED, "session is invalid or has expired"), None, None
        return (CLOSE_TRY_AGAIN, "cannot check the session now: try again"), None, None
    return None, actor, token


async def read_frames(sock: LiveSocket, max_bytes: int) -> None:
    """The socket's one reader: answers client frames until the connection closes."""
    ws = sock.ws
    limiter = RateLimiter(INBOUND_FRAMES_PER_S, INBOUND_BURST)
    while True:
        msg = await ws.receive()
        if msg.type is WSMsgType.TEXT:
            try:
                limiter.check("socket")
            except AppError as err:
                sock.offer(error_frame(err.code, err.message, **(err.details or {})))
                continue
            reply = answer(msg.data, max_bytes)
        elif msg.type is WSMsgType.BINARY:
            reply = error_frame("validation", "send JSON in text frames")
        else:  # CLOSE, CLOSING (we are closing it), CLOSED, ERROR
            return
        if reply is not None:
            sock.offer(reply)


async def write_frames(app: web.Application, sock: LiveSocket, actor: Actor, since: int | None) -> None:
    """The socket's one writer: catch-up (when ``since`` is given), ``ready``, then live
    frames in seq order, asking messaging again for a gap that does not fill by itself."""
    ws, metrics, loop = sock.ws, app[METRICS], asyncio.get_running_loop()
    sequencer = Sequencer(since, max_held=sock.queue.maxsize)

    async def catch_up() -> int | None:
        """Frames replayed (a resync counts none), or None when messaging failed."""
        assert sequencer.last is not None
        try:
            catchup = await fetch_missed(app[NC], actor, sequencer.last, timeout=app[SETTINGS].request_timeout_s)
        except Exception as exc:
            log.warning("catch-up of %s from %s failed: %r", sock.user_id, sequencer.last, exc)
            sock.close_soon(CLOSE_TRY_AGAIN, "catch-up unavailable: reconnect with since")
            return None
        frames = sequencer.fill(catchup, loop.time())
        for frame in frames:
            await ws.send_str(frame.text)
        return sum(1 for frame in frames if frame.seq is not None)

    try:
        replayed: int | None = 0
        if since is not None:
            replayed = await catch_up()
            if replayed is None:
                return
        ready = {"user_id": sock.user_id, "last_seq": sequencer.last, "replayed": replayed}
        await ws.send_str(encode_frame("ready", ready).text)
        while True:
            frame = await next_or_none(sock.queue, sequencer.deadline())
            if frame is not None:
                for out in sequencer.accept(frame, loop.time()):
                    await ws.send_str(out.text)
                    metrics.ws_frames_sent.inc()
            if sequencer.needs_catchup(loop.time()):
                metrics.ws_gap_catchups.inc()
                if await catch_up() is None:
                    return
    except ConnectionError:
        return  # the peer is gone; the reader sees it too
    except Exception:
        log.exception("writer of a socket of %s failed", sock.user_id)
        sock.close_soon(CLOSE_INTERNAL, "internal error")


async def next_or_none(queue: asyncio.Queue[Outgoing], deadline: float | None) -> Outgoing | None:
    """The next queued frame, or None at ``deadline`` (loop time)."""
    if deadline is None:
        return await queue.get()
    try:
        async with asyncio.timeout_at(deadline):
            return await queue.get()  # a cancelled get() takes nothing off the queue
    except TimeoutError:
        return None


async def close_sockets(app: web.Application) -> None:
    """``on_shutdown``: close every socket with 1001 before aiohttp waits for handlers."""
    hub = app.get(HUB)
    if hub is not None:
        await hub.shutdown(app[SETTINGS].ws_close_timeout_s)
