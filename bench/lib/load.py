"""HTTP load generation for the benchmarks.

Closed loop at a fixed concurrency: wrk (Debian's package, C, so it takes little of the CPU
the system under test needs), or when wrk is missing an aiohttp fallback in a process of
its own (this module run with ``-m``); ``measure`` runs one target after a warm-up under a
``CpuMeter`` and prints its figures. Open loop: ``open_loop`` calls a send function on a
fixed schedule, so a slow answer does not delay the next request.

    .venv/bin/python -m bench.lib.load URL CONNECTIONS SECONDS   # the fallback, JSON out
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bench.lib.common import ROOT, say
from bench.lib.cpu import CpuMeter


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    say("wrk is missing: installing Debian's package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmds in (
        [["apt-get", "install", "-y", "-q", "wrk"]],
        [["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]],
    ):
        for cmd in cmds:
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if shutil.which("wrk"):
            return shutil.which("wrk")
    return None


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(m.group(1)) * UNITS[m.group(2)]


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int
    cpu: dict[str, float]
    busy: float
    seconds: float
    # CPU that processes outside the measurement took meanwhile (1.0 = one core): a run
    # is quiet when this stays near 0.
    foreign: float = 0.0

    def cpu_ms(self) -> dict[str, float]:
        """Milliseconds of CPU per request, by process group."""
        return {k: v / self.requests * 1000 for k, v in self.cpu.items()} if self.requests else {}


def parse_wrk(out: str) -> tuple[float, float, float, int, int]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        bad += int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out):
        bad += sum(int(x) for x in m.groups())
    return rps, p50, p99, requests, bad


def run_wrk(
    wrk: str, url: str, threads: int, conns: int, seconds: float, extra: tuple[str, ...] = ()
) -> tuple[str, float]:
    """Run wrk (``extra``: more arguments, e.g. a header or a script); return its output
    and the CPU seconds wrk itself used."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            # wrk refuses more threads than connections (one connection: one thread).
            [
                wrk,
                f"-t{min(threads, conns)}",
                f"-c{conns}",
                f"-d{int(seconds)}s",
                "--latency",
                "--timeout",
                "5s",
                *extra,
                url,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {text}")
    return text, ru.ru_utime + ru.ru_stime


def run_pyload(url: str, conns: int, seconds: float) -> tuple[dict[str, Any], float]:
    """The fallback load generator in its own process; its result and the CPU it used."""
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.lib.load", url, str(conns), str(seconds)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
        )
        _, status, ru = os.wait4(proc.pid, 0)
        out.seek(0)
        text = out.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"load generator failed: {text}")
    return json.loads(text.strip().splitlines()[-1]), ru.ru_utime + ru.ru_stime


async def loadgen(url: str, conns: int, seconds: float) -> dict[str, Any]:
    """``conns`` clients each GETting ``url`` one request after another for ``seconds``."""
    latencies: list[float] = []
    bad = 0
    deadline = time.perf_counter() + seconds

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal bad
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            async with session.get(url) as r:
                await r.read()
                if r.status != 200:
                    bad += 1
            latencies.append((time.perf_counter() - t) * 1000)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conns)) as session:
        await asyncio.gather(*(worker(session) for _ in range(conns)))
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100)
    return {"rps": len(latencies) / elapsed, "p50": q[49], "p99": q[98], "requests": len(latencies), "bad": bad}


def add_load_arguments(parser: argparse.ArgumentParser, connections: int, connections_help: str | None = None) -> None:
    """The flags ``measure`` reads: concurrency, wrk threads, seconds, warm-up, rounds."""
    parser.add_argument("--connections", type=int, default=connections, help=connections_help)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of each measured run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best counts")


def measure(
    name: str,
    url: str,
    wrk: str | None,
    meter: CpuMeter,
    args: argparse.Namespace,
    extra: tuple[str, ...] = (),
    connections: int | None = None,
) -> Load:
    """One target under wrk (``extra``: wrk arguments; needs wrk) or the fallback, at
    ``connections`` (``args.connections`` by default)."""
    conns = connections or args.connections
    say(f"{name}: warm-up {args.warmup:.0f}s, then {args.duration:.0f}s at concurrency {conns}")
    if extra and not wrk:
        raise RuntimeError(f"{name}: needs wrk (Debian's package)")
    if wrk:
        run_wrk(wrk, url, args.threads, conns, args.warmup, extra)
    else:
        run_pyload(url, conns, args.warmup)
    meter.begin()
    t0 = time.monotonic()
    if wrk:
        text, gen_cpu = run_wrk(wrk, url, args.threads, conns, args.duration, extra)
        rps, p50, p99, requests, bad = parse_wrk(text)
    else:
        res, gen_cpu = run_pyload(url, conns, args.duration)
        rps, p50, p99, requests, bad = res["rps"], res["p50"], res["p99"], res["requests"], res["bad"]
    seconds = time.monotonic() - t0
    cpu, others, busy = meter.end()
    cpu["load generator"] = gen_cpu
    others.pop("wrk", None)
    ncpu = os.cpu_count() or 1
    rest = max(0.0, busy * ncpu * seconds - sum(cpu.values()) - sum(others.values()))
    foreign = sum(v for k, v in others.items() if k != "kernel irq/softirq") + rest
    load = Load(rps, p50, p99, requests, bad, cpu, busy, seconds, foreign / seconds)
    print(
        f"    {rps:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({requests} requests, {bad} errors or non-2xx)"
    )
    shares = "  ".join(f"{k} {v / seconds * 100:.0f}%" for k, v in cpu.items() if v > 0.005 * seconds)
    print(f"    CPU (100% = one core, the machine has {os.cpu_count()}): {shares}; machine busy {busy * 100:.0f}%")
    top = sorted(others.items(), key=lambda kv: -kv[1])[:4]
    print(
        "    other CPU on the machine: "
        + ", ".join(f"{k} {v / seconds * 100:.0f}%" for k, v in top if v > 0.005 * seconds)
        + f", short-lived or unattributed {rest / seconds * 100:.0f}%"
    )
    if foreign > 0.25 * seconds:
        print("    NOTE: other processes took CPU during this run; the figures are pessimistic")
    if bad:
        raise RuntimeError(f"{name}: {bad} requests failed or were not 2xx; the figures are worthless")
    return load


async def open_loop(
    senders: int,
    rate: float,
    warmup: float,
    duration: float,
    send: Callable[[int, str, bool], Awaitable[None]],
) -> None:
    """Call ``send(sender, token, measured)`` ``rate`` times a second in all, sender after
    sender, each call in its own task so that a slow one does not hold the schedule."""
    interval = 1.0 / rate
    total = int(rate * (warmup + duration))
    tasks: set[asyncio.Task[None]] = set()
    t0 = time.perf_counter()
    for k in range(total):
        delay = t0 + k * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        measured = k * interval >= warmup
        task = asyncio.create_task(send(k % senders, uuid.uuid4().hex, measured))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description="the fallback load generator: JSON figures on stdout")
    parser.add_argument("url")
    parser.add_argument("connections", type=int)
    parser.add_argument("seconds", type=float)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(loadgen(args.url, args.connections, args.seconds))))


if __name__ == "__main__":
    main()
