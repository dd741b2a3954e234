"""The WebSocket's pure parts: relayed pushes, the catch-up plan, client frames, handshake checks."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import make_mocked_request

from services.gateway.live import Outgoing, encode_frame, parse_push
from services.gateway.replay import GAP_WAIT_S, Catchup, Sequencer, plan_catchup
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
    assert plan_catchup(replay([12], last_seq=10), since=11).last_seq == 12


def test_resync_replays_nothing_and_continues_after_messagings_last_seq() -> None:
    """On resync no frame is replayed (the client reloads), and live frames continue after
    messaging's last_seq, even when the client claimed to be further."""
    plan = plan_catchup(replay([7, 8], last_seq=950, resync=True), since=3)
    assert plan.frames == [] and plan.resync and plan.last_seq == 950
    assert plan_catchup(replay([], last_seq=5, resync=True), since=1000).last_seq == 5


def out(*seqs: int | None) -> list[Outgoing]:
    return [Outgoing(seq, f"frame {seq}") for seq in seqs]


def seqs(frames: list[Outgoing]) -> list[int | None]:
    return [f.seq for f in frames]


def test_sequencer_puts_frames_in_order_once() -> None:
    """After since=5: 6 goes at once, 8 waits for 7, a repeat or an old seq is dropped,
    frames without seq pass."""
    seq = Sequencer(5, max_held=10)
    assert seqs(seq.accept(out(6)[0], now=0)) == [6]
    assert seq.accept(out(8)[0], now=0) == [] and seq.deadline() == GAP_WAIT_S
    assert seqs(seq.accept(out(None)[0], now=0)) == [None]
    assert seq.accept(out(5)[0], now=0) == [] and seq.accept(out(8)[0], now=0) == []
    assert seqs(seq.accept(out(7)[0], now=0.1)) == [7, 8]
    assert seq.last == 8 and seq.deadline() is None and not seq.needs_catchup(now=10)


def test_sequencer_asks_for_a_gap_that_does_not_fill() -> None:
    """A gap still open after the wait, or with too much held behind it, needs a catch-up;
    its frames fill the gap and release what was held."""
    seq = Sequencer(2, max_held=3)
    seq.accept(out(5)[0], now=1.0)
    assert not seq.needs_catchup(now=1.0) and seq.needs_catchup(now=1.0 + GAP_WAIT_S)
    filled = seq.fill(Catchup(out(3, 4, 5), last_seq=5, resync=False), now=1.3)
    assert seqs(filled) == [3, 4, 5] and seq.last == 5 and seq.held == {}
    for n in (7, 8, 9, 10):
        seq.accept(out(n)[0], now=2.0)
    assert seq.needs_catchup(now=2.0)  # four held, more than max_held
    filled = seq.fill(Catchup(out(6, 7), last_seq=7, resync=False), now=2.0)
    assert seqs(filled) == [6, 7, 8, 9, 10] and seq.last == 10


def test_sequencer_resync_and_passthrough() -> None:
    """A resync during a gap becomes a resync frame, then frames after its last_seq;
    without since, frames pass as they come."""
    seq = Sequencer(2, max_held=10)
    seq.accept(out(40)[0], now=0)
    seq.accept(out(41)[0], now=0)
    filled = seq.fill(Catchup([], last_seq=40, resync=True), now=1)
    assert json.loads(filled[0].text) == {"type": "resync", "seq": None, "data": {"last_seq": 40}}
    assert seqs(filled[1:]) == [41] and seq.last == 41
    free = Sequencer(None, max_held=10)
    assert [seqs(free.accept(f, now=0)) for f in out(9, 3, 3)] == [[9], [3], [3]]


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
