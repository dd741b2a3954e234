"""Live delivery through the gateway's WebSocket, every service its own process: pushes
published on the system's real NATS the way services publish them (``shared.push``), and
messages sent through the REST API to the real messaging service, across reconnects and
a gateway replica's restart."""

from __future__ import annotations

import asyncio
import operator
import signal
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from nats.aio.client import Client as NATS
from prometheus_client.parser import text_string_to_metric_families
from yarl import URL

from services.runner import Stack
from shared import bus
from shared.push import Frame, push
from tests.api import PASSWORD, Api, User, random_email
from tests.eventually import eventually
from tests.ws import closed_with, next_frame, nothing_more, until_ready


@pytest.fixture
async def nc(stack: Stack) -> AsyncIterator[NATS]:
    assert stack.nats_url
    conn = await bus.connect(stack.nats_url, "ws-e2e")
    yield conn
    await conn.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def ws_url(stack: Stack, replica: int = 0) -> str:
    return stack.gateway_url(replica).replace("http", "ws", 1) + "/api/v1/ws"


async def connect(
    http: aiohttp.ClientSession, stack: Stack, user: User | None, replica: int = 0, **params: Any
) -> aiohttp.ClientWebSocketResponse:
    if user is not None:
        params["token"] = user.token
    return await http.ws_connect(ws_url(stack, replica), params=params)


async def gauges(api: Api, operator: User) -> dict[str, float]:
    r = await api.call("GET", "/metrics", operator)
    assert r.status == 200, r.body
    return {sample.name: sample.value for family in text_string_to_metric_families(r.body) for sample in family.samples}


async def test_every_socket_of_a_user_gets_its_pushes_and_no_one_elses(
    api: Api, stack: Stack, http: aiohttp.ClientSession, nc: NATS
) -> None:
    """Two sockets of one user both receive a push; another user's socket does not."""
    alice, bob = await api.signup(), await api.signup()
    # With since, the gateway asks for the catch-up on its one NATS connection after
    # subscribing, so "ready" means the server holds the subscription: a push from this
    # test's own connection cannot overtake it (without since, "ready" only means the
    # subscription was sent).
    tab, phone, other = [await connect(http, stack, u, since=0) for u in (alice, alice, bob)]
    for ws in (tab, phone, other):
        await until_ready(ws)
    await push(nc, alice.id, Frame(type="message", seq=1, data={"text": "hello"}))
    for ws in (tab, phone):
        assert await next_frame(ws) == {"type": "message", "seq": 1, "data": {"text": "hello"}}
    await push(nc, bob.id, Frame(type="notification", seq=1, data={"for": "bob"}))
    assert (await next_frame(other))["data"] == {"for": "bob"}
    for ws in (tab, phone, other):
        await nothing_more(ws)


async def test_one_subscription_per_connected_user_whatever_the_sockets(
    api: Api, stack: Stack, http: aiohttp.ClientSession, admin: User
) -> None:
    """Four sockets of two users are two subscriptions on the gateway (its metrics);
    closing them takes both away."""
    before = await gauges(api, admin)
    alice, bob = await api.signup(), await api.signup()
    socks = [await connect(http, stack, u) for u in (alice, alice, alice, bob)]
    for ws in socks:
        await until_ready(ws)
    now = await gauges(api, admin)
    assert now["wardmate_gateway_ws_sockets"] - before["wardmate_gateway_ws_sockets"] == 4
    assert now["wardmate_gateway_ws_user_subscriptions"] - before["wardmate_gateway_ws_user_subscriptions"] == 2
    for ws in socks:
        await ws.close()
    now = await eventually(
        lambda: gauges(api, admin),
        5,
        what="the closed sockets' subscriptions to go",
        until=lambda g: g["wardmate_gateway_ws_user_subscriptions"] == before["wardmate_gateway_ws_user_subscriptions"],
    )
    assert now["wardmate_gateway_ws_sockets"] == before["wardmate_gateway_ws_sockets"]


async def test_logout_closes_that_sessions_sockets_only(api: Api, stack: Stack, http: aiohttp.ClientSession) -> None:
    """Logging out closes the session's socket with 4401; the same user's other session
    keeps its socket."""
    user = await api.signup()
    login = await api.call("POST", "/auth/login", json={"email": user.email, "password": PASSWORD})
    other_session = User(user.id, login.body["token"], user.email, user.role)
    ws, kept = await connect(http, stack, user), await connect(http, stack, other_session)
    await until_ready(ws)
    await until_ready(kept)
    assert (await api.call("POST", "/auth/logout", user)).status == 200
    assert await closed_with(ws) == (4401, "session revoked")
    await kept.send_json({"type": "ping", "data": {"still": "here"}})
    assert await next_frame(kept) == {"type": "pong", "seq": None, "data": {"still": "here"}}


async def test_bad_frames_get_an_error_frame_and_the_socket_stays_up(
    api: Api, stack: Stack, http: aiohttp.ClientSession
) -> None:
    """Malformed JSON, a non-object, an unknown type, a binary frame and a frame over
    64 KiB each get an error frame; a ping afterwards still gets its pong."""
    ws = await connect(http, stack, await api.signup())
    await until_ready(ws)
    errors = []
    for text in [
        "{not json",
        "[1, 2]",
        '{"type": "dance"}',
        '{"type": "auth", "token": "again"}',
        '{"type": "ping", "pad": "' + "x" * 70_000 + '"}',
    ]:
        await ws.send_str(text)
        errors.append(await next_frame(ws))
    await ws.send_bytes(b"\x00\x01")
    errors.append(await next_frame(ws))
    assert [f["type"] for f in errors] == ["error"] * 6
    codes = [f["data"]["code"] for f in errors]
    assert codes == ["validation"] * 4 + ["payload_too_large", "validation"]
    assert "dance" in errors[2]["data"]["message"] and errors[4]["data"]["details"]["size"] > 65536
    await ws.send_json({"type": "ping", "data": {"n": 1}})
    assert await next_frame(ws) == {"type": "pong", "seq": None, "data": {"n": 1}}


async def test_credentials_are_required(api: Api, stack: Stack, http: aiohttp.ClientSession) -> None:
    """A bad token (query or header) is a 401 before the upgrade; without one, the first
    frame must authenticate, or the socket closes with 4401; a bad since is a 400."""
    for kwargs in ({"params": {"token": "made-up"}}, {"headers": {"Authorization": "Bearer made-up"}}):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_url(stack), **kwargs)
        assert refused.value.status == 401
    ws = await connect(http, stack, None)
    await ws.send_json({"type": "ping"})
    code, _ = await closed_with(ws)
    assert code == 4401
    user = await api.signup()
    ws = await connect(http, stack, None)
    await ws.send_json({"type": "auth", "token": user.token})
    _, ready = await until_ready(ws)
    assert ready["data"]["user_id"] == user.id
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await connect(http, stack, user, since="yesterday")
    assert refused.value.status == 400
    plain = await api.call("GET", "/ws", user)  # not an upgrade
    assert plain.status == 400 and plain.error_code == "validation"


async def test_cookie_sockets_must_come_from_this_site(stack: Stack) -> None:
    """A socket authenticated by the session cookie needs an Origin of this host: a
    foreign or missing Origin is refused with 403, before the upgrade."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.post(
            f"{stack.url}/api/v1/auth/signup",
            json={"email": random_email(), "password": PASSWORD, "display_name": "C", "role": "student"},
        ) as r:
            assert r.status == 201
            user_id = (await r.json())["user"]["id"]
        assert "wardmate_session" in {c.key for c in browser.cookie_jar.filter_cookies(URL(stack.url)).values()}
        ws = await browser.ws_connect(ws_url(stack), origin=stack.url)
        _, ready = await until_ready(ws)
        assert ready["data"]["user_id"] == user_id
        await ws.close()
        for origin in ("https://evil.example", None):
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await browser.ws_connect(ws_url(stack), origin=origin)
            assert refused.value.status == 403


async def test_a_replica_shutting_down_closes_its_sockets_at_once(
    api: Api, stack: Stack, http: aiohttp.ClientSession
) -> None:
    """SIGTERM to a gateway replica with open sockets: each gets 1001 and the process
    exits cleanly right away, not after aiohttp's shutdown timeout."""
    stack.start("gateway", index=1)
    try:
        await wait_up(api, stack.gateway_url(1))
        alice, bob = await api.signup(), await api.signup()
        socks = [await connect(http, stack, u, replica=1) for u in (alice, alice, bob)]
        for ws in socks:
            await until_ready(ws)
        started = time.monotonic()
        # In a thread: this loop must stay free to answer the gateway's close frames.
        exit_code = await asyncio.to_thread(stack.stop_process, "gateway-1", signal.SIGTERM, 10)
        elapsed = time.monotonic() - started
        assert [(await closed_with(ws))[0] for ws in socks] == [1001] * 3
        assert exit_code == 0 and elapsed < 3, (exit_code, elapsed)
    finally:
        stack.stop_process("gateway-1")


async def wait_up(api: Api, base: str) -> None:
    await eventually(
        lambda: api.call("GET", base + "/api/v1/health"),
        20,
        what=f"{base} to answer healthy",
        until=lambda r: r.status == 200,
        retry_on=(aiohttp.ClientError,),
    )


# --- no message lost across reconnects (the real messaging service) --------------------


async def conversation(api: Api, sender: User, recipient: User) -> str:
    r = await api.call("POST", "/conversations", sender, json={"user_id": recipient.id})
    assert r.status in (200, 201), r.body
    return str(r.body["id"])


async def send(api: Api, sender: User, conversation_id: str, body: str) -> None:
    r = await api.call(
        "POST",
        f"/conversations/{conversation_id}/messages",
        sender,
        json={"body": body, "client_message_id": str(uuid.uuid4())},
    )
    assert r.status == 201, r.body


# Per sender, under messaging's 30 a minute; spread over the replica's restart: the
# first DOWN_FROM go out while Bob's replica serves him, the next ones up to BACK_FROM
# while it is stopped, the rest once it is started again.
MESSAGES = 20
DOWN_FROM, BACK_FROM = 7, 14


def message_bodies(frames: list[dict[str, Any]]) -> list[str]:
    return [f["data"]["body"] for f in frames if f["type"] == "message"]


def assert_consecutive(frames: list[dict[str, Any]], after: int) -> None:
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(after + 1, after + 1 + len(seqs))), seqs


async def test_a_message_sent_while_offline_arrives_on_reconnect(
    api: Api, stack: Stack, http: aiohttp.ClientSession
) -> None:
    """Bob reads a message live, goes offline, two are sent; reconnecting with since he
    gets exactly those two (and their unread frames), in order, then the live ones."""
    alice, bob = await api.signup(), await api.signup()
    conv = await conversation(api, alice, bob)
    ws = await connect(http, stack, bob, since=0)
    _, ready = await until_ready(ws)
    ready_before = ready["data"]["last_seq"]
    await send(api, alice, conv, "are you there?")
    seen = [await next_frame(ws)]
    while message_bodies(seen) != ["are you there?"]:
        seen.append(await next_frame(ws))
    last = seen[-1]["seq"]
    await ws.close()

    await send(api, alice, conv, "the room is free from the 3rd")
    await send(api, alice, conv, "call me when you land")

    ws = await connect(http, stack, bob, since=last)
    replayed, ready = await until_ready(ws)
    assert message_bodies(replayed) == ["the room is free from the 3rd", "call me when you land"]
    assert_consecutive(replayed, after=last)
    assert ready["data"]["last_seq"] == replayed[-1]["seq"] and ready["data"]["replayed"] == len(replayed)
    await send(api, alice, conv, "see you")
    live = [await next_frame(ws)]
    while "see you" not in message_bodies(live):
        live.append(await next_frame(ws))
    assert_consecutive(live, after=ready["data"]["last_seq"])
    assert_consecutive(seen, after=ready_before)


async def test_a_gateway_replica_restarted_under_traffic_loses_nothing(
    api: Api, stack: Stack, http: aiohttp.ClientSession
) -> None:
    """Bob's socket is on gateway replica 1 while two people write to him; the replica is
    stopped (SIGTERM) and started again mid-stream. Bob reconnects with since as soon as
    it answers and ends with every message exactly once, every seq in order, no gap."""
    bob, alice, carol = await api.signup(), await api.signup(), await api.signup()
    convs = {alice.id: await conversation(api, alice, bob), carol.id: await conversation(api, carol, bob)}
    stack.start("gateway", index=1)
    await wait_up(api, stack.gateway_url(1))
    expected = {f"{who.id[:4]}-{n}" for who in (alice, carol) for n in range(MESSAGES)}
    frames: list[dict[str, Any]] = []
    replayed_per_socket: list[int] = []
    reconnects = 0
    first_socket_open = asyncio.Event()
    # Each phase starts on a signal, not after a sleep: on a slow machine a sleep could end
    # before any message was read live, or with the replica not yet stopped.
    replica_down, replica_back = asyncio.Event(), asyncio.Event()
    sent: set[str] = set()

    def bodies(phase: range) -> set[str]:
        return {f"{who.id[:4]}-{n}" for who in (alice, carol) for n in phase}

    async def bob_reads() -> None:
        nonlocal reconnects
        since = 0
        while not expected <= set(message_bodies(frames)):
            try:
                ws = await connect(http, stack, bob, replica=1, since=since)
            except (aiohttp.ClientError, OSError):
                await asyncio.sleep(0.05)  # the replica is down: back off, then retry
                continue
            replayed, ready = await until_ready(ws)
            frames.extend(replayed)
            replayed_per_socket.append(len(message_bodies(replayed)))
            since = ready["data"]["last_seq"]
            first_socket_open.set()
            while not expected <= set(message_bodies(frames)):
                msg = await ws.receive(timeout=10)
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    assert ws.close_code == 1001, (msg.type, ws.close_code)
                    reconnects += 1
                    break
                frames.append(msg.json())
                since = frames[-1]["seq"]
            await ws.close()

    async def write(sender: User) -> None:
        await first_socket_open.wait()
        for n in range(MESSAGES):
            if n == DOWN_FROM:
                await replica_down.wait()
            elif n == BACK_FROM:
                await replica_back.wait()
            await send(api, sender, convs[sender.id], f"{sender.id[:4]}-{n}")
            sent.add(f"{sender.id[:4]}-{n}")
            await asyncio.sleep(0.08)

    reader = asyncio.create_task(bob_reads())
    writers = asyncio.gather(write(alice), write(carol))
    try:
        live = bodies(range(DOWN_FROM))
        await eventually(
            lambda: live - set(message_bodies(frames)),
            30,
            what="Bob to read the first messages live",
            until=operator.not_,
        )
        assert await asyncio.to_thread(stack.stop_process, "gateway-1", signal.SIGTERM, 10) == 0
        replica_down.set()
        while_down = bodies(range(DOWN_FROM, BACK_FROM))
        await eventually(
            lambda: while_down - sent, 30, what="the messages sent while no replica serves Bob", until=operator.not_
        )
        stack.start("gateway", index=1)
        replica_back.set()
        await writers
        await asyncio.wait_for(reader, 30)
    finally:
        reader.cancel()
        stack.stop_process("gateway-1")
    bodies = message_bodies(frames)
    assert sorted(bodies) == sorted(expected), "a message was lost or repeated"
    assert_consecutive(frames, after=0)
    # One reconnect; messages sent while the replica was down came in its catch-up.
    assert reconnects == 1 and replayed_per_socket[0] == 0 and replayed_per_socket[1] > 0, replayed_per_socket
    assert len(message_bodies(frames)) - replayed_per_socket[1] > 0  # and others came live
