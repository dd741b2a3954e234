"""The gateway's WebSocket in process, on a NATS server of its own: catch-up ordering,
slow clients, shutdown, the per-user subscription.

Accounts' session lookup and messaging's ``PUSHES_SINCE`` are answered by small
responders on that real NATS server (the real messaging service's catch-up is tested end
to end in ``tests/e2e/test_ws.py``); pushes go through ``shared.push`` like a service's.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError
from nats.micro.request import ERROR_CODE_HEADER, ERROR_HEADER

from services.gateway.app import create_app
from services.gateway.keys import HUB, METRICS
from services.gateway.metrics import GatewayMetrics
from shared import bus, subjects
from shared.contracts.messaging import PushesSince, PushReplay
from shared.embedded import start_nats
from shared.push import Frame, push, user_subject
from shared.settings import Settings
from tests.eventually import eventually
from tests.ws import closed_with, next_frame, nothing_more, until_ready


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = start_nats(Path(tmp_path_factory.mktemp("ws-nats")))
    try:
        yield server.url
    finally:
        server.stop()


@dataclass
class FakeServices:
    """Accounts' RESOLVE_SESSION and messaging's PUSHES_SINCE, answered on real NATS."""

    nc: NATS
    tokens: dict[str, str] = field(default_factory=dict)  # token -> user id
    stored: dict[str, list[Frame]] = field(default_factory=dict)  # user id -> pushes
    resync: bool = False
    # Runs while "messaging" is between its query and its reply (live pushes race it).
    during_catchup: Callable[[str], Awaitable[None]] | None = None
    catchups: list[tuple[str, PushesSince]] = field(default_factory=list)

    def user(self) -> tuple[str, str]:
        user_id, token = str(uuid.uuid4()), uuid.uuid4().hex
        self.tokens[token] = user_id
        return user_id, token

    async def start(self, *, messaging: bool = True) -> None:
        await self.nc.subscribe(subjects.RESOLVE_SESSION, cb=self._resolve)
        if messaging:
            await self.nc.subscribe(subjects.PUSHES_SINCE, cb=self._pushes_since)

    async def _resolve(self, msg: Msg) -> None:
        user_id = self.tokens.get(json.loads(msg.data)["token"])
        if user_id is None:
            error = {"error": {"code": "unauthorized", "message": "session is invalid", "details": None}}
            headers = {ERROR_CODE_HEADER: "401", ERROR_HEADER: "session is invalid"}
            await self.nc.publish(msg.reply, json.dumps(error).encode(), headers=headers)
            return
        expires = datetime.now(UTC) + timedelta(hours=1)
        reply = {"user_id": user_id, "role": "student", "expires_at": expires.isoformat()}
        await msg.respond(json.dumps(reply).encode())

    async def _pushes_since(self, msg: Msg) -> None:
        assert msg.headers is not None
        user_id = msg.headers[bus.USER_HEADER]  # the actor, as with every request
        req = PushesSince.model_validate_json(msg.data)
        self.catchups.append((user_id, req))
        frames = [f for f in self.stored.get(user_id, []) if f.seq is not None and f.seq > req.since]
        last = max([req.since, *(f.seq or 0 for f in self.stored.get(user_id, []))])
        if self.during_catchup is not None:
            await self.during_catchup(user_id)
        reply = PushReplay(frames=[] if self.resync else frames[: req.limit], last_seq=last, resync=self.resync)
        await msg.respond(reply.model_dump_json().encode())


@dataclass
class Gateway:
    client: TestClient[Any, Any]
    fake: FakeServices
    nc: NATS

    def url(self, **params: Any) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return str(self.client.make_url("/api/v1/ws")) + (f"?{query}" if query else "")

    async def connect(self, token: str | None = None, **params: Any) -> aiohttp.ClientWebSocketResponse:
        if token is not None:
            params["token"] = token
        return await self.client.session.ws_connect(self.url(**params))

    @property
    def hub(self) -> Any:
        return self.client.app[HUB] if self.client.app else None

    @property
    def metrics(self) -> GatewayMetrics:
        assert self.client.app is not None
        return self.client.app[METRICS]


MakeGateway = Callable[..., Awaitable[Gateway]]


@pytest.fixture
async def make_gateway(nats_url: str) -> AsyncIterator[MakeGateway]:
    """An in-process gateway on the private NATS, with the given settings."""
    made: list[Gateway] = []

    async def make(messaging: bool = True, **overrides: Any) -> Gateway:
        nc = await bus.connect(nats_url, "ws-test")
        fake = FakeServices(nc)
        await fake.start(messaging=messaging)
        settings = Settings(**{"rate_limit_per_s": 0, "ws_close_timeout_s": 1.0, **overrides})
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(settings, nc)))
        await client.start_server()
        made.append(Gateway(client, fake, nc))
        return made[-1]

    yield make
    for gw in made:
        await gw.client.close()
        await gw.nc.close()


async def test_catchup_then_live_frames_without_gap_or_duplicate(make_gateway: MakeGateway) -> None:
    """With since=2: stored 3..5, then ready, then live frames after 5 only, although
    live 4, 5 and 6 were pushed while the catch-up was being answered."""
    gw = await make_gateway()
    user_id, token = gw.fake.user()
    gw.fake.stored[user_id] = [Frame(type="message", seq=n, data={"n": n}) for n in range(1, 6)]

    async def race(uid: str) -> None:
        for n in (4, 5, 6):  # 4 and 5 are stored too; 6 was committed after the query
            await push(gw.nc, uid, Frame(type="message", seq=n, data={"n": n, "live": True}))
        await gw.nc.flush()

    gw.fake.during_catchup = race
    ws = await gw.connect(token, since=2)
    before, ready = await until_ready(ws)
    assert [f["seq"] for f in before] == [3, 4, 5] and not any(f["data"].get("live") for f in before)
    assert ready["data"] == {"user_id": user_id, "last_seq": 5, "replayed": 3}
    assert gw.fake.catchups == [(user_id, PushesSince(since=2, limit=500))]
    await push(gw.nc, user_id, Frame(type="notification", seq=7, data={"n": 7}))
    await push(gw.nc, user_id, Frame(type="unread", data={"count": 3}))  # no seq: passes through
    got = [await next_frame(ws) for _ in range(3)]
    assert [(f["type"], f["seq"]) for f in got] == [("message", 6), ("notification", 7), ("unread", None)]
    await nothing_more(ws)


async def test_live_frames_in_order_and_a_lost_push_fetched(make_gateway: MakeGateway) -> None:
    """After a catch-up, frames overtaking each other come out in seq order, and a push
    lost in flight is fetched from messaging when the next one shows the gap."""
    gw = await make_gateway()
    user_id, token = gw.fake.user()
    stored = gw.fake.stored[user_id] = [Frame(type="message", seq=1, data={})]
    ws = await gw.connect(token, since=0)
    before, ready = await until_ready(ws)
    assert [f["seq"] for f in before] == [1] and ready["data"]["last_seq"] == 1
    stored += [Frame(type="message", seq=n, data={"n": n}) for n in (2, 3, 4, 5)]
    for n in (3, 2):  # two replicas publishing at once: 3 overtakes 2
        await push(gw.nc, user_id, stored[n - 1])
    assert [(await next_frame(ws))["seq"] for _ in range(2)] == [2, 3]
    await push(gw.nc, user_id, stored[4])  # 4 never published (lost in flight)
    got = [await next_frame(ws) for _ in range(2)]
    assert [(f["seq"], f["data"]["n"]) for f in got] == [(4, 4), (5, 5)]
    assert gw.metrics.value("wardmate_gateway_ws_gap_catchups_total") == 1 and [
        r.since for _, r in gw.fake.catchups
    ] == [0, 3]
    await nothing_more(ws)


async def test_resync_when_the_gap_is_too_old_or_too_large(make_gateway: MakeGateway) -> None:
    """A resync reply becomes a resync frame with last_seq; live frames continue after it."""
    gw = await make_gateway()
    user_id, token = gw.fake.user()
    gw.fake.stored[user_id] = [Frame(type="message", seq=900, data={})]
    gw.fake.resync = True
    ws = await gw.connect(token, since=3)
    before, ready = await until_ready(ws)
    assert before == [{"type": "resync", "seq": None, "data": {"last_seq": 900}}]
    assert ready["data"]["last_seq"] == 900 and ready["data"]["replayed"] == 0
    await push(gw.nc, user_id, Frame(type="message", seq=900, data={"old": True}))
    await push(gw.nc, user_id, Frame(type="message", seq=901, data={}))
    assert (await next_frame(ws))["seq"] == 901


async def test_without_since_no_catchup_is_asked(make_gateway: MakeGateway) -> None:
    """A socket without since is live only: ready has last_seq null, messaging is not asked."""
    gw = await make_gateway()
    _, token = gw.fake.user()
    ws = await gw.connect(token)
    before, ready = await until_ready(ws)
    assert before == [] and ready["data"]["last_seq"] is None and gw.fake.catchups == []


async def test_catchup_unavailable_closes_with_1013(make_gateway: MakeGateway) -> None:
    """When messaging cannot answer the catch-up, the socket closes with 1013 (retry)."""
    gw = await make_gateway(messaging=False, request_timeout_s=0.5)
    _, token = gw.fake.user()
    ws = await gw.connect(token, since=0)
    code, reason = await closed_with(ws)
    assert code == 1013 and "catch-up" in reason


async def test_auth_frame_bad_token_and_timeout(make_gateway: MakeGateway) -> None:
    """Without a token in the URL, the first frame authenticates; a bad one or none in
    time closes the socket with 4401; a bad token in the URL is a 401 before upgrading."""
    gw = await make_gateway(ws_auth_timeout_s=0.3)
    user_id, token = gw.fake.user()
    ws = await gw.connect()
    await ws.send_json({"type": "auth", "token": token})
    _, ready = await until_ready(ws)
    assert ready["data"]["user_id"] == user_id
    ws = await gw.connect()
    await ws.send_json({"type": "auth", "token": "made-up"})
    assert (await closed_with(ws))[0] == 4401
    ws = await gw.connect()
    started = time.monotonic()
    assert (await closed_with(ws))[0] == 4401 and time.monotonic() - started < 2
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await gw.connect("made-up")
    assert refused.value.status == 401


async def test_one_subscription_per_user_counted_by_reference(make_gateway: MakeGateway) -> None:
    """Three sockets of one user share one subscription, which goes with the last socket."""
    gw = await make_gateway()
    (a, token_a), (_, token_b) = gw.fake.user(), gw.fake.user()
    socks = await asyncio.gather(*(gw.connect(t) for t in (token_a, token_a, token_a, token_b)))
    for ws in socks:
        await until_ready(ws)
    assert (gw.hub.socket_count, gw.hub.subscription_count, gw.hub.sockets_of(a)) == (4, 2, 3)
    await push(gw.nc, a, Frame(type="notification", seq=1, data={}))
    for ws in socks[:3]:
        assert (await next_frame(ws))["seq"] == 1
    await nothing_more(socks[3])
    for expected_subs, ws in zip((2, 2, 1), socks[:3], strict=True):
        await ws.close()
        await eventually(
            lambda: gw.hub.subscription_count, 5, what=f"{expected_subs} subscriptions left", until=expected_subs.__eq__
        )
    assert gw.hub.socket_count == 1


async def test_too_many_sockets_for_one_user_are_refused(make_gateway: MakeGateway) -> None:
    """Past the per-user limit, a new socket is closed with 1008."""
    gw = await make_gateway(ws_max_sockets_per_user=2)
    _, token = gw.fake.user()
    kept = [await gw.connect(token) for _ in range(2)]
    for ws in kept:
        await until_ready(ws)
    assert (await closed_with(await gw.connect(token)))[0] == 1008


def small_receive_buffer(addr_info: Any) -> socket.socket:
    """A client socket that takes little before the server's writes block."""
    family, type_, proto, _, _ = addr_info
    sock = socket.socket(family, type_, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


async def test_a_client_that_stops_reading_is_dropped_with_1013(make_gateway: MakeGateway) -> None:
    """A client that stops reading fills its bounded queue and is closed with 1013; its
    queue never holds more than the bound, and the user's other socket keeps going."""
    gw = await make_gateway(ws_queue_frames=8, ws_close_timeout_s=5)
    user_id, token = gw.fake.user()
    connector = aiohttp.TCPConnector(socket_factory=small_receive_buffer)
    async with aiohttp.ClientSession(connector=connector) as http:
        stalled = await http.ws_connect(gw.url(token=token))
        await until_ready(stalled)
        healthy = await gw.connect(token)
        await until_ready(healthy)
        assert [s.queue.maxsize for s in gw.hub._users[user_id].sockets] == [8, 8]
        blob = "x" * 16_000
        received = 0
        peak = 0
        for n in range(1, 400):
            await push(gw.nc, user_id, Frame(type="message", seq=n, data={"blob": blob}))
            if n % 10 == 0:
                await gw.nc.flush()
                peak = max(peak, gw.hub.queued_frames)
                while True:  # the healthy socket keeps reading
                    try:
                        msg = await healthy.receive(timeout=0.01)
                    except TimeoutError:
                        break
                    assert msg.type is aiohttp.WSMsgType.TEXT, (msg.type, msg.data, msg.extra)
                    received += 1
            if gw.metrics.value("wardmate_gateway_ws_dropped_slow_total"):
                break
        assert gw.metrics.value("wardmate_gateway_ws_dropped_slow_total") == 1, "the stalled client was never dropped"
        assert peak <= 2 * 8  # two sockets, each bounded
        # The stalled client reads again: what was sent, then the close, 1013.
        code, reason = await closed_with(stalled, timeout=10)
        assert code == 1013 and "since" in reason
        await eventually(lambda: gw.hub.sockets_of(user_id), 5, what="the dropped socket to go", until=lambda n: n == 1)
        await push(gw.nc, user_id, Frame(type="message", seq=10_000, data={}))
        async with asyncio.timeout(5):
            while (await next_frame(healthy))["seq"] != 10_000:
                pass


async def test_shutdown_closes_every_socket_with_1001_at_once(make_gateway: MakeGateway) -> None:
    """Stopping the gateway closes authenticated and still-authenticating sockets with
    1001 without waiting for them."""
    gw = await make_gateway()
    (_, token_a), (_, token_b) = gw.fake.user(), gw.fake.user()
    socks = [await gw.connect(token_a), await gw.connect(token_a), await gw.connect(token_b)]
    for ws in socks:
        await until_ready(ws)
    waiting = await gw.connect()  # has not sent its auth frame yet
    # The client's handshake returns before the server's handler registers the socket as
    # authenticating: close only once it has, or the test would not cover that socket.
    await eventually(lambda: len(gw.hub.unauthenticated) == 1, 5, what="the socket to await its auth frame")
    started = time.monotonic()
    closing = asyncio.ensure_future(gw.client.server.close())  # the server only: clients stay
    codes = [(await closed_with(ws))[0] for ws in [*socks, waiting]]
    await closing
    assert codes == [1001] * 4
    assert time.monotonic() - started < 1.5


async def test_nats_trouble_closes_sockets_so_clients_catch_up(make_gateway: MakeGateway) -> None:
    """After a NATS reconnect every socket closes with 1013; a slow-consumer report on a
    user's subject closes that user's sockets only."""
    gw = await make_gateway()
    (a, token_a), (_, token_b) = gw.fake.user(), gw.fake.user()
    ws_a, ws_b = await gw.connect(token_a), await gw.connect(token_b)
    await until_ready(ws_a)
    await until_ready(ws_b)
    await gw.hub.on_nats_error(SlowConsumerError(subject=user_subject(a), reply="", sid=1, sub=None))
    assert (await closed_with(ws_a))[0] == 1013
    await nothing_more(ws_b)
    await gw.hub.on_nats_reconnected()
    assert (await closed_with(ws_b))[0] == 1013
