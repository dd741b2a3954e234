"""The WebSocket's pure parts: relayed pushes, the catch-up plan, client frames, handshake checks."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import make_mocked_request

from services.gateway.live import Outgoing, encode_frame, parse_push
from services.gateway.replay import admit, plan_catchup
from services.gateway.ws import answer, parse_since, same_origin
from shared.contracts.messaging import PushReplay
from shared.errors import AppError
from shared.push import Frame


def replay(seqs: list[int], last_seq: int, resync: bool = False) -> PushReplay:
    return PushReplay(
        frames=[Frame(type="message", seq=s, data={"n": s}) for s in seqs], last_seq=last_seq, resync=resync
    )


def test_pushes_are_relayed_as_published_or_ignored_when_malformed() -> None:
    """A push keeps its exact bytes and its seq; anything not shaped like a frame is dropped."""
    raw = Frame(type="message", seq=7, data={"text": "héllo"}).model_dump_json().encode()
    assert parse_push(raw) == Outgoing(7, raw.decode())
    assert parse_push(b'{"type": "unread", "data": {}}') == Outgoing(None, '{"type": "unread", "data": {}}')
    for bad in (
        b"not json",
        b"[]",
        b'{"seq": 1}',
        b'{"type": 1}',
        b'{"type": "m", "seq": "1"}',
        b'{"type": "m", "seq": true}',
    ):
        assert parse_push(bad) is None, bad


def test_catchup_is_ordered_deduplicated_and_after_since() -> None:
    """Replayed frames go out oldest first, once each, only after since; last_seq covers them."""
    plan = plan_catchup(replay([5, 3, 4, 4, 2], last_seq=5), since=2)
    assert [f.seq for f in plan.frames] == [3, 4, 5] and plan.last_seq == 5 and not plan.resync
    assert json.loads(plan.frames[0].text) == {"type": "message", "seq": 3, "data": {"n": 3}}
    assert plan_catchup(replay([], last_seq=9), since=9).last_seq == 9
    # last_seq never goes below what was replayed or what the client had.
    assert plan_catchup(replay([12], last_seq=10), since=11).last_seq == 12
    assert plan_catchup(replay([], last_seq=0), since=4).last_seq == 4


def test_resync_replays_nothing_and_continues_after_last_seq() -> None:
    """On resync no frame is replayed (the client reloads), and live frames continue after last_seq."""
    plan = plan_catchup(replay([7, 8], last_seq=950, resync=True), since=3)
    assert plan.frames == [] and plan.resync and plan.last_seq == 950


def test_live_frames_after_a_catchup() -> None:
    """Only frames the catch-up covered are dropped; frames without seq always pass."""
    assert not admit(Outgoing(5, ""), covered_up_to=5)
    assert admit(Outgoing(6, ""), covered_up_to=5)
    assert admit(Outgoing(None, ""), covered_up_to=5)
    assert admit(Outgoing(1, ""), covered_up_to=None)  # no catch-up asked


def test_client_frames_get_a_pong_or_an_error() -> None:
    """ping echoes its data; malformed, unknown, repeated auth and oversized frames get errors."""

    def reply(text: str | bytes, limit: int = 1024) -> dict[str, object]:
        out = answer(text, limit)
        assert out is not None
        body: dict[str, object] = json.loads(out.text)
        return body

    assert reply('{"type": "ping", "data": {"t": 1}}') == {"type": "pong", "seq": None, "data": {"t": 1}}
    assert reply('{"type": "ping", "data": 5}')["data"] == {}
    for text in ("nope", "[]", '{"type": 3}', "{}", '{"type": "subscribe"}', '{"type": "auth", "token": "t"}'):
        frame = reply(text)
        assert frame["type"] == "error" and frame["data"]["code"] == "validation", text  # type: ignore[index]
    # The limit is in bytes, as on the wire: 600 two-byte characters are 1200 bytes.
    big = reply('{"type": "ping", "x": "' + "é" * 600 + '"}')
    assert big["data"] == {
        "code": "payload_too_large",
        "message": "frames are limited to 1024 bytes",
        "details": {"size": 1225},
    }
    assert encode_frame("ready", {"last_seq": None}).seq is None


def test_since_must_be_a_whole_number() -> None:
    """since is optional and a whole number ≥ 0; anything else is a 400."""
    assert parse_since(make_mocked_request("GET", "/api/v1/ws")) is None
    assert parse_since(make_mocked_request("GET", "/api/v1/ws?since=42")) == 42
    for bad in ("-1", "1.5", "x", "9" * 19):
        with pytest.raises(AppError) as err:
            parse_since(make_mocked_request("GET", f"/api/v1/ws?since={bad}"))
        assert err.value.code == "validation"


def test_cookie_sockets_need_an_origin_of_this_host() -> None:
    """Same host and port only; another host, port or scheme-less value, or none, is foreign."""

    def request(origin: str | None) -> object:
        headers = {"Host": "wardmate.example:8080"}
        if origin is not None:
            headers["Origin"] = origin
        return make_mocked_request("GET", "/api/v1/ws", headers=headers)

    assert same_origin(request("https://wardmate.example:8080"))  # type: ignore[arg-type]
    assert same_origin(request("http://WARDMATE.example:8080"))  # type: ignore[arg-type]
    for origin in (None, "null", "https://wardmate.example", "https://evil.example:8080", "wardmate.example:8080"):
        assert not same_origin(request(origin)), origin  # type: ignore[arg-type]
