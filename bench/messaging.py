"""Benchmark of live message delivery through the system, against a bare WebSocket echo.

What it does, in one run (``make bench-messaging``):

1. starts a fresh system (embedded Postgres with fsync off, NATS, every service, the
   gateway) in a temporary folder, with the services logging at WARNING, the gateway's
   per-address rate limit off and messaging's per-user send rate raised (the load is
   synthetic and comes from one address);
2. signs up ``--pairs`` pairs of users (20) through the REST API, opens a direct
   conversation for each pair, and connects each recipient's WebSocket
   (``/api/v1/ws?since=0``, until ``ready``);
3. the senders post messages (``POST /api/v1/conversations/{id}/messages``) on a fixed
   schedule, ``--rate`` messages a second in all (200), spread evenly over the senders and
   over time. The load is open: a slow reply does not delay the next send. This runs for
   ``--warmup`` + ``--duration`` seconds (2 + 10). A message's latency runs from the start
   of its POST to its ``message`` frame at the recipient. Only messages sent after the
   warm-up count, and every one must arrive;
4. the baseline, in the same run: a bare aiohttp WebSocket echo server in its own process
   (no auth, no NATS, no database), with the same number of client sockets sending
   timestamped texts on the same schedule. Its latency runs to the echo;
5. prints p50, p99 and max latency, the delivered rate and what was lost, and the
   gateway's WebSocket counters, then as the last line ``RESULT {json}``. There,
   ``ratio`` is ``p99_ms / baseline_p99_ms``: how many times the echo's p99 a message
   takes through REST, messaging, Postgres, NATS and the gateway.

    .venv/bin/python bench/messaging.py [--pairs 20] [--rate 200] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from bench.lib.common import new_loop, say, scratch_dir, signup, start_system, wait_port  # noqa: E402
from bench.lib.load import open_loop  # noqa: E402
from shared.embedded import free_port  # noqa: E402
from shared.mailsink import Mailbox  # noqa: E402


@dataclass
class Run:
    """Latencies of one measured run, in milliseconds, and what went wrong."""

    name: str
    latencies_ms: list[float] = field(default_factory=list)
    # The system only: from the start of each measured POST to its reply (the message is
    # committed and its push published by then), to tell the REST leg from the push leg.
    reply_ms: list[float] = field(default_factory=list)
    sent: int = 0  # measured sends (after the warm-up)
    errors: int = 0
    lost: int = 0
    seconds: float = 0.0

    def pct(self, q: float, values: list[float] | None = None) -> float:
        ordered = sorted(self.latencies_ms if values is None else values)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        text = (
            f"{self.name:9} {self.rate:7.1f} msg/s  p50 {self.pct(0.5):6.2f} ms  p99 {self.pct(0.99):7.2f} ms"
            f"  max {max(self.latencies_ms, default=0):7.2f} ms  sent {self.sent}  lost {self.lost}"
            f"  errors {self.errors}"
        )
        if self.reply_ms:
            text += (
                f"  (POST replied: p50 {self.pct(0.5, self.reply_ms):.2f} ms, p99 {self.pct(0.99, self.reply_ms):.2f})"
            )
        return text


class Tracker:
    """Sends waiting for their delivery: token -> (start, measured)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.pending: dict[str, tuple[float, bool]] = {}
        self.idle = asyncio.Event()

    def start(self, token: str, measured: bool) -> None:
        self.pending[token] = (time.perf_counter(), measured)
        self.idle.clear()
        if measured:
            self.run.sent += 1

    def delivered(self, token: str) -> None:
        entry = self.pending.pop(token, None)
        if entry is not None and entry[1]:
            self.run.latencies_ms.append((time.perf_counter() - entry[0]) * 1000)
        if not self.pending:
            self.idle.set()

    def failed(self, token: str) -> None:
        if self.pending.pop(token, (0.0, False))[1]:
            self.run.errors += 1
            self.run.sent -= 1
        if not self.pending:
            self.idle.set()

    async def play(self, args: argparse.Namespace, send: Callable[[int, str, bool], Awaitable[None]]) -> None:
        """The open-loop schedule of ``args`` through ``send``, then the stragglers."""
        started = time.perf_counter()
        await open_loop(args.pairs, args.rate, args.warmup, args.duration, send)
        await self.drain(timeout=10)
        self.run.seconds = time.perf_counter() - started - args.warmup

    async def drain(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), timeout)
        self.run.lost = sum(1 for _, measured in self.pending.values() if measured)


# --- through the system ---------------------------------------------------------------


async def measure_system(base: str, args: argparse.Namespace, mailbox: Mailbox) -> tuple[Run, dict[str, float]]:
    run = Run("system")
    tracker = Tracker(run)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        senders = await asyncio.gather(*(signup(http, base, f"sender{i}", mailbox=mailbox) for i in range(args.pairs)))
        recipients = await asyncio.gather(
            *(signup(http, base, f"recipient{i}", mailbox=mailbox) for i in range(args.pairs))
        )
        conversations = []
        for sender, recipient in zip(senders, recipients, strict=True):
            async with http.post(
                f"{base}/api/v1/conversations",
                json={"user_id": recipient["id"]},
                headers={"Authorization": f"Bearer {sender['token']}"},
            ) as r:
                assert r.status in (200, 201), await r.text()
                conversations.append((await r.json())["id"])
        ws_base = base.replace("http", "ws", 1)
        sockets = []
        for recipient in recipients:
            ws = await http.ws_connect(f"{ws_base}/api/v1/ws", params={"token": recipient["token"], "since": "0"})
            while (await ws.receive_json(timeout=10))["type"] != "ready":
                pass
            sockets.append(ws)

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            async for msg in ws:
                if msg.type is not aiohttp.WSMsgType.TEXT:
                    break
                frame = json.loads(msg.data)
                if frame["type"] == "message":
                    tracker.delivered(frame["data"]["body"])

        readers = [asyncio.create_task(read(ws)) for ws in sockets]

        async def send(i: int, token: str, measured: bool) -> None:
            tracker.start(token, measured)
            start = time.perf_counter()
            try:
                async with http.post(
                    f"{base}/api/v1/conversations/{conversations[i]}/messages",
                    json={"body": token, "client_message_id": token},
                    headers={"Authorization": f"Bearer {senders[i]['token']}"},
                ) as r:
                    if r.status != 201:
                        print(f"    send failed: {r.status} {(await r.text())[:200]}", flush=True)
                        tracker.failed(token)
                    elif measured:
                        run.reply_ms.append((time.perf_counter() - start) * 1000)
            except aiohttp.ClientError as exc:
                print(f"    send failed: {exc!r}", flush=True)
                tracker.failed(token)

        await tracker.play(args, send)
        async with http.get(f"{base}/api/v1/metrics") as r:
            metrics = {
                sample.name: sample.value
                for family in text_string_to_metric_families(await r.text())
                for sample in family.samples
                if "_ws_" in sample.name and not sample.name.endswith("_created")
            }
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
    return run, metrics


# --- the baseline: a bare WebSocket echo ------------------------------------------------


async def echo_server(port: int) -> None:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def measure_echo(url: str, args: argparse.Namespace) -> Run:
    run = Run("baseline")
    tracker = Tracker(run)
    async with aiohttp.ClientSession() as http:
        sockets = [await http.ws_connect(url, compress=0) for _ in range(args.pairs)]

        async def read(ws: aiohttp.ClientWebSocketResponse) -> None:
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    tracker.delivered(msg.data)

        readers = [asyncio.create_task(read(ws)) for ws in sockets]

        async def send(i: int, token: str, measured: bool) -> None:
            tracker.start(token, measured)
            await sockets[i].send_str(token)

        await tracker.play(args, send)
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=20, help="sender/recipient pairs")
    ap.add_argument("--rate", type=float, default=200.0, help="messages a second, in all")
    ap.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    ap.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.echo_server:
        asyncio.run(echo_server(args.echo_server))
        return

    # Each sender sends rate / pairs a second (10 with the defaults), far above a person's.
    env = {"WARDMATE_MESSAGE_RATE_PER_MINUTE": str(int(args.rate * 60) + 1000)}
    started = time.monotonic()
    with scratch_dir("wardmate-bench-messaging-", keep=args.keep) as (data_dir, cleanup):
        say(f"starting Postgres (fsync off), NATS, every service and the gateway in {data_dir}")
        stack = start_system(data_dir, cleanup, env)
        say(
            f"system: {args.pairs} pairs, {args.rate:.0f} messages/s in all over REST, "
            f"{args.warmup:.0f}s warm-up + {args.duration:.0f}s measured; latency to the recipient's frame"
        )
        system, metrics = new_loop().run_until_complete(measure_system(stack.url, args, Mailbox(stack.mail_dir)))
        print("    " + system.line(), flush=True)
        port = free_port()
        echo = subprocess.Popen([sys.executable, __file__, "--echo-server", str(port)])

        def stop_echo() -> None:
            echo.terminate()
            echo.wait()

        cleanup.append(stop_echo)
        wait_port(port)
        say(f"baseline: a bare aiohttp WebSocket echo, {args.pairs} sockets, the same schedule")
        baseline = new_loop().run_until_complete(measure_echo(f"ws://127.0.0.1:{port}/ws", args))
        print("    " + baseline.line(), flush=True)

    print()
    print(system.line())
    print(baseline.line())
    print("gateway: " + ", ".join(f"{k.removeprefix('wardmate_gateway_')} {v:.0f}" for k, v in sorted(metrics.items())))
    ratio = system.pct(0.99) / baseline.pct(0.99) if baseline.latencies_ms else float("nan")
    print(
        f"p99 system / baseline: {ratio:.1f}; median of the system's latencies "
        f"{statistics.median(system.latencies_ms) if system.latencies_ms else float('nan'):.2f} ms; "
        f"total {time.monotonic() - started:.0f}s"
    )
    if system.lost or system.errors:
        print(f"!! {system.lost} measured messages never arrived, {system.errors} sends failed")
    print(
        "RESULT "
        + json.dumps(
            {
                "p50_ms": round(system.pct(0.5), 2),
                "p99_ms": round(system.pct(0.99), 2),
                "rate": round(system.rate, 1),
                "baseline_p99_ms": round(baseline.pct(0.99), 2),
                "ratio": round(ratio, 2),
                "baseline_p50_ms": round(baseline.pct(0.5), 2),
                "post_p50_ms": round(system.pct(0.5, system.reply_ms), 2),
                "post_p99_ms": round(system.pct(0.99, system.reply_ms), 2),
                "sent": system.sent,
                "lost": system.lost,
                "errors": system.errors,
            }
        )
    )


if __name__ == "__main__":
    main()
