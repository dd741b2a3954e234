"""Benchmark of live message delivery through the system, against a bare WebSocket echo,
and a sweep of rates for the highest one whose p99 stays under 50 ms.

What it does, in one run (``make bench-messaging``), with one system started once:

1. starts a fresh system (embedded Postgres with fsync off, NATS, every service, the
   gateway) in a temporary folder, with the services logging at WARNING, the gateway's
   per-address rate limit off and messaging's per-user send rate raised above the
   sweep's highest rate (the load is synthetic and comes from one address);
2. signs up ``--pairs`` pairs of users (20) through the REST API, opens a direct
   conversation for each pair, and connects each recipient's WebSocket
   (``/api/v1/ws?since=0``, until ``ready``);
3. the headline step: the senders post messages (``POST /api/v1/conversations/{id}/messages``)
   on a fixed schedule, ``--rate`` messages a second in all (200), spread evenly over the
   senders and over time. The load is open: a slow reply does not delay the next send.
   This runs for ``--warmup`` + ``--duration`` seconds (2 + 10). A message's latency runs
   from the start of its POST to its ``message`` frame at the recipient. Only messages
   sent after the warm-up count, and every one must arrive exactly once (a second frame
   with the same body counts as ``doubled``);
4. the sweep, on the same system and sockets: steps of ``--sweep-start`` (300), then
   ``--sweep-step`` (100) more each time, ``--sweep-warmup`` + ``--sweep-duration``
   seconds each (1 + 5), with the same exactly-once check. It stops at the first step whose
   p99 is 50 ms or more, whose delivered rate falls below 95 % of the asked one, or that
   lost, doubled or failed a message (or at ``--sweep-max``);
   ``max_rate_p99_under_50ms`` is the highest asked rate that passed (the headline's
   when no sweep step did);
5. the baseline, in the same run: a bare aiohttp WebSocket echo server in its own process
   (no auth, no NATS, no database), with the same number of client sockets sending
   timestamped texts on the headline's schedule. Its latency runs to the echo;
6. prints each step, the gateway's WebSocket counters and the load average, then as the
   last line ``RESULT {json}`` (fields in the README). There, ``ratio`` is
   ``p99_ms / baseline_p99_ms``.

``--profile DIR`` records the gateway and messaging with py-spy during the headline step
(its figures are then measured under the profiler) and prints where their time went.

    .venv/bin/python bench/messaging.py [--pairs 20] [--rate 200] [--duration 10]
        [--sweep-start 300] [--sweep-step 100] [--sweep-max 2000] [--no-sweep] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
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
from bench.lib.cpu import CpuMeter  # noqa: E402
from bench.lib.load import open_loop  # noqa: E402
from bench.lib.profiling import finish_spies, start_spies  # noqa: E402
from shared.embedded import free_port  # noqa: E402
from shared.mailsink import Mailbox  # noqa: E402

P99_LIMIT_MS = 50.0
KEEP_UP = 0.95  # a sweep step fails when it delivers less than this share of the asked rate


def load_average() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Run:
    """Latencies of one measured step, in milliseconds, and what went wrong."""

    name: str
    asked: float = 0.0  # messages a second on the schedule
    latencies_ms: list[float] = field(default_factory=list)
    # The system only: from the start of each measured POST to its reply (the message is
    # committed and its push published by then), to tell the REST leg from the push leg.
    reply_ms: list[float] = field(default_factory=list)
    sent: int = 0  # measured sends (after the warm-up)
    errors: int = 0
    lost: int = 0
    doubled: int = 0  # frames of a message that had already arrived
    seconds: float = 0.0

    def pct(self, q: float, values: list[float] | None = None) -> float:
        ordered = sorted(self.latencies_ms if values is None else values)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    @property
    def rate(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def exact(self) -> bool:
        """Every accepted message delivered once: none lost or doubled (a refused send,
        e.g. the gateway's 504 under overload, is counted in ``errors``)."""
        return not (self.lost or self.doubled)

    @property
    def passed(self) -> bool:
        ok = self.exact and not self.errors
        return ok and self.pct(0.99) < P99_LIMIT_MS and self.rate >= KEEP_UP * self.asked

    def line(self) -> str:
        text = (
            f"{self.name:9} asked {self.asked:5.0f}  delivered {self.rate:7.1f} msg/s  p50 {self.pct(0.5):6.2f} ms"
            f"  p99 {self.pct(0.99):7.2f} ms  max {max(self.latencies_ms, default=0):7.2f} ms  sent {self.sent}"
            f"  lost {self.lost}  doubled {self.doubled}  errors {self.errors}"
        )
        if self.reply_ms:
            text += (
                f"  (POST replied: p50 {self.pct(0.5, self.reply_ms):.2f} ms, p99 {self.pct(0.99, self.reply_ms):.2f})"
            )
        return text

    def figures(self) -> dict[str, float | int]:
        return {
            "asked": self.asked,
            "delivered": round(self.rate, 1),
            "p50_ms": round(self.pct(0.5), 2),
            "p99_ms": round(self.pct(0.99), 2),
            "post_p99_ms": round(self.pct(0.99, self.reply_ms), 2),
            "sent": self.sent,
            "lost": self.lost,
            "doubled": self.doubled,
            "errors": self.errors,
        }


class Tracker:
    """Sends waiting for their delivery: token -> (start, measured)."""

    def __init__(self, run: Run, seen: set[str]) -> None:
        self.run = run
        self.pending: dict[str, tuple[float, bool]] = {}
        self.idle = asyncio.Event()
        self.seen = seen  # every token delivered so far in this process, for doubles

    def start(self, token: str, measured: bool) -> None:
        self.pending[token] = (time.perf_counter(), measured)
        self.idle.clear()
        if measured:
            self.run.sent += 1

    def delivered(self, token: str) -> None:
        if token in self.seen:
            self.run.doubled += 1
            return
        self.seen.add(token)
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

    async def play(
        self, pairs: int, warmup: float, duration: float, send: Callable[[int, str, bool], Awaitable[None]]
    ) -> None:
        """The open-loop schedule through ``send``, then the stragglers."""
        started = time.perf_counter()
        await open_loop(pairs, self.run.asked, warmup, duration, send)
        # Long enough for an overloaded step's backlog: late is not lost.
        await self.drain(timeout=30)
        self.run.seconds = time.perf_counter() - started - warmup

    async def drain(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle.wait(), timeout)
        self.run.lost = sum(1 for _, measured in self.pending.values() if measured)


# --- through the system ---------------------------------------------------------------


@dataclass
class SystemRuns:
    headline: Run
    sweep: list[Run]
    metrics: dict[str, float]
    profile: str = ""
    # CPU microseconds per delivered message of the headline step, per process group, and
    # the share of the machine's CPU that other programs took meanwhile.
    cpu_us: dict[str, float] = field(default_factory=dict)
    others_cpu_s: dict[str, float] = field(default_factory=dict)


async def measure_system(
    base: str,
    metrics_url: str,
    args: argparse.Namespace,
    mailbox: Mailbox,
    spy_pids: dict[str, int],
    meter: CpuMeter,
) -> SystemRuns:
    """The headline step, then the sweep, on one set of users and sockets."""
    seen: set[str] = set()
    tracker = Tracker(Run("system"), seen)
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
                    tracker.delivered(frame["data"]["body"])  # the current step's tracker

        readers = [asyncio.create_task(read(ws)) for ws in sockets]

        async def send(i: int, token: str, measured: bool) -> None:
            run = tracker.run
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

        async def step(name: str, rate: float, warmup: float, duration: float) -> Run:
            nonlocal tracker
            tracker = Tracker(Run(name, asked=rate), seen)
            await tracker.play(args.pairs, warmup, duration, send)
            print(f"    {tracker.run.line()}  [{load_average()}]", flush=True)
            return tracker.run

        out_dir = Path(args.profile) if args.profile else None
        spies = start_spies(spy_pids, args.warmup + args.duration, out_dir) if out_dir else {}
        meter.begin()
        headline = await step("system", args.rate, args.warmup, args.duration)
        used, others, _ = meter.end()
        total = max(int(args.rate * (args.warmup + args.duration)), 1)  # the warm-up's sends too
        cpu_us = {name: round(seconds * 1e6 / total, 0) for name, seconds in used.items() if seconds}
        busy_others = {k[:40]: round(v, 2) for k, v in sorted(others.items(), key=lambda kv: -kv[1])[:6] if v}
        profile = finish_spies(spies, out_dir) if out_dir else ""
        sweep: list[Run] = []
        rate = args.sweep_start
        while not args.no_sweep and rate <= args.sweep_max:
            run = await step("sweep", rate, args.sweep_warmup, args.sweep_duration)
            sweep.append(run)
            if not run.passed:
                break
            rate += args.sweep_step
        async with http.get(metrics_url) as r:  # the gateway's metrics port
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
    return SystemRuns(headline, sweep, metrics, profile, cpu_us, busy_others)


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
    run = Run("baseline", asked=args.rate)
    tracker = Tracker(run, set())
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

        await tracker.play(args.pairs, args.warmup, args.duration, send)
        for ws in sockets:
            await ws.close()
        for task in readers:
            task.cancel()
    return run


def result(system: SystemRuns, baseline: Run, load_before: tuple[float, ...]) -> dict[str, object]:
    head = system.headline
    ratio = head.pct(0.99) / baseline.pct(0.99) if baseline.latencies_ms else float("nan")
    passed = [run.asked for run in system.sweep if run.passed]
    best = max(passed, default=head.asked if head.passed else 0.0)
    return {
        "rate_asked": head.asked,
        "p50_ms": round(head.pct(0.5), 2),
        "p99_ms": round(head.pct(0.99), 2),
        "rate": round(head.rate, 1),
        "baseline_p99_ms": round(baseline.pct(0.99), 2),
        "ratio": round(ratio, 2),
        "baseline_p50_ms": round(baseline.pct(0.5), 2),
        "post_p50_ms": round(head.pct(0.5, head.reply_ms), 2),
        "post_p99_ms": round(head.pct(0.99, head.reply_ms), 2),
        "sent": head.sent,
        "lost": head.lost,
        "doubled": head.doubled,
        "errors": head.errors,
        "max_rate_p99_under_50ms": best,
        "sweep": [run.figures() for run in system.sweep],
        "cpu_us_per_msg": system.cpu_us,
        "others_cpu_s": system.others_cpu_s,
        "exactly_once": head.exact and all(run.exact for run in system.sweep),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=20, help="sender/recipient pairs")
    ap.add_argument("--rate", type=float, default=200.0, help="the headline step's messages a second, in all")
    ap.add_argument("--duration", type=float, default=10.0, help="the headline step's measured seconds")
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--sweep-start", type=float, default=300.0, help="the sweep's first rate")
    ap.add_argument("--sweep-step", type=float, default=100.0, help="added to the rate at each sweep step")
    ap.add_argument("--sweep-max", type=float, default=2000.0, help="the sweep's last rate at most")
    ap.add_argument("--sweep-duration", type=float, default=5.0, help="each sweep step's measured seconds")
    ap.add_argument("--sweep-warmup", type=float, default=1.0)
    ap.add_argument("--no-sweep", action="store_true", help="the headline step and the baseline only")
    ap.add_argument("--profile", metavar="DIR", help="py-spy the gateway and messaging during the headline step")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    ap.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.echo_server:
        asyncio.run(echo_server(args.echo_server))
        return

    # Each sender sends up to sweep_max / pairs a second, far above a person's.
    top = max(args.rate, args.sweep_max)
    env = {"WARDMATE_MESSAGE_RATE_PER_MINUTE": str(int(top / args.pairs * 60 * 2) + 1000)}
    started = time.monotonic()
    load_before = os.getloadavg()
    say(load_average())
    with scratch_dir("wardmate-bench-messaging-", keep=args.keep) as (data_dir, cleanup):
        say(f"starting Postgres (fsync off), NATS, every service and the gateway in {data_dir}")
        stack = start_system(data_dir, cleanup, env)
        say(
            f"system: {args.pairs} pairs, {args.rate:.0f} messages/s in all over REST, "
            f"{args.warmup:.0f}s warm-up + {args.duration:.0f}s measured; latency to the recipient's frame; "
            f"then the sweep from {args.sweep_start:.0f}/s by {args.sweep_step:.0f}"
        )
        pids = {name: stack.procs[name].pid for name in ("gateway", "messaging")}
        groups = {name: [proc.pid] for name, proc in stack.procs.items()}
        groups |= {"nats-server": [stack.nats.proc.pid], "load generator": [os.getpid()]}
        meter = CpuMeter(groups, parents={"postgres": stack.postgres.proc.pid})
        system = new_loop().run_until_complete(
            measure_system(
                stack.url,
                f"http://127.0.0.1:{stack.metrics_ports['gateway']}/metrics",
                args,
                Mailbox(stack.mail_dir),
                pids,
                meter,
            )
        )
        port = free_port()
        echo = subprocess.Popen([sys.executable, __file__, "--echo-server", str(port)])

        def stop_echo() -> None:
            echo.terminate()
            echo.wait()

        cleanup.append(stop_echo)
        wait_port(port)
        say(f"baseline: a bare aiohttp WebSocket echo, {args.pairs} sockets, the headline's schedule")
        baseline = new_loop().run_until_complete(measure_echo(f"ws://127.0.0.1:{port}/ws", args))
        print("    " + baseline.line(), flush=True)

    if system.profile:
        print()
        print("profile of the headline step:")
        print(system.profile)
    print()
    print(system.headline.line())
    for run in system.sweep:
        print(run.line() + ("" if run.passed else "  <- stop"))
    print(baseline.line())
    print(
        "CPU per message (headline step, µs): "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(system.cpu_us.items(), key=lambda kv: -kv[1]))
    )
    print("other programs meanwhile (CPU s): " + ", ".join(f"{k} {v}" for k, v in system.others_cpu_s.items()))
    print(
        "gateway: "
        + ", ".join(f"{k.removeprefix('wardmate_gateway_')} {v:.0f}" for k, v in sorted(system.metrics.items()))
    )
    figures = result(system, baseline, load_before)
    print(
        f"p99 system / baseline: {figures['ratio']}; median of the system's latencies "
        f"{statistics.median(system.headline.latencies_ms) if system.headline.latencies_ms else float('nan'):.2f} ms; "
        f"highest rate with p99 under {P99_LIMIT_MS:.0f} ms: {figures['max_rate_p99_under_50ms']:.0f}/s; "
        f"total {time.monotonic() - started:.0f}s; {load_average()}"
    )
    if not figures["exactly_once"]:
        print("!! some measured messages were lost or doubled (see the lines above)")
    print("RESULT " + json.dumps(figures))


if __name__ == "__main__":
    main()
