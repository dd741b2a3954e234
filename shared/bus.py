"""NATS plumbing: a connection that never gives up, and a typed request helper."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import nats
import orjson
from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.micro.request import ERROR_CODE_HEADER, ERROR_HEADER
from pydantic import BaseModel

from shared import subjects
from shared.contracts.base import Actor
from shared.errors import AppError
from shared.logs import REQUEST_ID_HEADER, new_request_id, request_id_var

log = logging.getLogger(__name__)

USER_HEADER = "Wardmate-User"
ROLE_HEADER = "Wardmate-Role"
VERIFIED_HEADER = "Wardmate-Email-Verified"

EVENTS_STREAM = "WARDMATE_EVENTS"
EVENTS_SUBJECTS = [f"{subjects.EVENTS_ROOT}.>"]
# Events a consumer gave up on, as ``deadletters.<consumer>.<original subject>``.
DEAD_LETTERS_STREAM = "WARDMATE_DEAD_LETTERS"
DEAD_LETTERS_PREFIX = subjects.DEAD_LETTERS_ROOT
DEAD_LETTERS_SUBJECTS = [f"{DEAD_LETTERS_PREFIX}.>"]

R = TypeVar("R", bound=BaseModel)

# A server that stops answering (hung, SIGSTOPped, cut off without a TCP reset) is
# noticed after 3-4 s of unanswered pings, and the client moves to another server of the
# cluster; nats-py's defaults (120 s, 2 outstanding) kept clients on a hung node for
# minutes while two healthy ones were up.
PING_INTERVAL_S = 1.0
MAX_OUTSTANDING_PINGS = 3


async def connect(
    url: str | list[str],
    name: str,
    *,
    reconnected: Callable[[], Awaitable[None]] | None = None,
    errored: Callable[[Exception], Awaitable[None]] | None = None,
    dont_randomize: bool = False,
) -> NATS:
    """Connect and keep reconnecting forever with back-off (nats-py stops after ~2 min).

    ``reconnected`` and ``errored`` are called after the logging, for a process that
    must react (the gateway's live sockets missed whatever was published meanwhile).
    """

    async def on_disconnect() -> None:
        log.warning("nats disconnected")

    async def on_reconnect() -> None:
        log.info("nats reconnected")
        if reconnected is not None:
            await reconnected()

    async def on_error(exc: Exception) -> None:
        log.warning("nats error: %s", exc)
        if errored is not None:
            await errored(exc)

    servers = [u.strip() for u in url.split(",")] if isinstance(url, str) else url
    return await nats.connect(
        servers=servers,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        allow_reconnect=True,
        connect_timeout=5,
        ping_interval=PING_INTERVAL_S,
        max_outstanding_pings=MAX_OUTSTANDING_PINGS,
        # The runner lists a cluster's servers in a different order for each replica, so
        # the replicas of a service start on different nodes (see Stack.start).
        dont_randomize=dont_randomize,
        disconnected_cb=on_disconnect,
        reconnected_cb=on_reconnect,
        error_cb=on_error,
    )


async def ensure_stream(
    nc: NATS,
    name: str = EVENTS_STREAM,
    subjects: list[str] | None = None,
    *,
    replicas: int = 1,
    max_age_s: float = 0,
) -> None:
    """Create or update a stream (the events one by default): file storage, 2-minute dedupe
    window, messages kept ``max_age_s`` (0: without an age limit)."""
    js = nc.jetstream()
    config = StreamConfig(
        name=name,
        subjects=subjects or EVENTS_SUBJECTS,
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=120.0,
        num_replicas=replicas,
        max_age=max_age_s or None,
    )
    try:
        await js.add_stream(config)
    except Exception:
        # Already there (another replica won the race, or an older config): update it.
        await js.update_stream(config)


def _headers(actor: Actor | None) -> dict[str, str]:
    headers = {REQUEST_ID_HEADER: request_id_var.get() or new_request_id()}
    if actor is not None:
        headers[USER_HEADER] = str(actor.user_id)
        headers[ROLE_HEADER] = actor.role
        headers[VERIFIED_HEADER] = "1" if actor.email_verified else "0"
    return headers


async def request(
    nc: NATS,
    subject: str,
    payload: BaseModel | dict[str, Any] | None,
    reply_model: type[R],
    *,
    actor: Actor | None = None,
    timeout: float = 5.0,
) -> R:
    """Send a request to a service endpoint and decode its reply as ``reply_model``.

    Raises:
        AppError: the service's typed error; ``unavailable`` when no service answers or
            NATS is disconnected; ``timeout`` when it answers too late.
    """
    raw = await request_raw(nc, subject, payload, actor=actor, timeout=timeout)
    return reply_model.model_validate_json(raw)


async def request_raw(
    nc: NATS,
    subject: str,
    payload: BaseModel | dict[str, Any] | bytes | None,
    *,
    actor: Actor | None = None,
    timeout: float = 5.0,
) -> bytes:
    """Like ``request`` but returns the reply's JSON bytes undecoded (the gateway relays them)."""
    if not nc.is_connected:
        # While reconnecting nats-py would buffer the request and wait out the timeout.
        raise AppError("unavailable", "message bus is unavailable, try again shortly")
    if isinstance(payload, BaseModel):
        data = payload.model_dump_json().encode()
    elif isinstance(payload, bytes):
        data = payload
    else:
        data = encode(payload or {})
    try:
        msg = await nc.request(subject, data, timeout=timeout, headers=_headers(actor))
    except NoRespondersError:
        raise AppError("unavailable", "service is unavailable", {"subject": subject}) from None
    except (TimeoutError, NatsTimeoutError):
        raise AppError("timeout", "service did not answer in time", {"subject": subject}) from None
    if msg.headers and ERROR_CODE_HEADER in msg.headers:
        raise error_from_reply(msg.headers, msg.data)
    return msg.data


def encode(payload: dict[str, Any]) -> bytes:
    """A request's JSON: orjson's, or the standard library's for the text orjson refuses
    (a lone surrogate a client put in a query string: the contract answers it with a 400)."""
    try:
        return orjson.dumps(payload)
    except orjson.JSONEncodeError:
        return json.dumps(payload).encode()


def error_from_reply(headers: dict[str, str], data: bytes) -> AppError:
    """Rebuild the service's ``AppError`` from an error reply."""
    try:
        body = json.loads(data)["error"]
        return AppError(body["code"], body["message"], body.get("details"))
    except (ValueError, KeyError, TypeError):
        return AppError("internal", headers.get(ERROR_HEADER, "service error"))


async def stream_cluster(nc: NATS, stream: str = EVENTS_STREAM, timeout: float = 0.5) -> dict[str, Any] | None:
    """The NATS servers that hold ``stream``: its leader and replicas, each current or
    lagging, and the server this connection uses; None on a single server.

    ``state`` is ``ok`` when the stream has a leader, ``no_leader`` when it has none or
    JetStream did not answer within ``timeout`` (an election after a server was lost, or
    most of the cluster down): requests go on, events wait in the outboxes until a
    leader is elected.
    """
    connected = nc.connected_url
    # The INFO a clustered server sends names its cluster; nats-py keeps it unexported.
    cluster_name = getattr(nc, "_server_info", {}).get("cluster")
    try:
        info = await nc.jetstream(timeout=timeout).stream_info(stream)
    except Exception:
        if cluster_name is None:
            return None
        return {
            "name": cluster_name,
            "stream": stream,
            "connected_to": connected.netloc if connected else None,
            "nodes": [],
            "state": "no_leader",
        }
    cluster = info.cluster
    if cluster is None:
        return None
    nodes = [{"name": cluster.leader, "role": "leader", "current": True, "lag": 0}] if cluster.leader else []
    nodes += [
        {"name": peer.name, "role": "replica", "current": bool(peer.current) and not peer.offline, "lag": peer.lag or 0}
        for peer in cluster.replicas or []
    ]
    return {
        "name": cluster.name,
        "stream": stream,
        "connected_to": connected.netloc if connected else None,
        "nodes": nodes,
        "state": "ok" if cluster.leader else "no_leader",
    }
