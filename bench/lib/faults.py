"""The fault run on the cluster (``make run-cluster``'s system): the default fault
schedule (kill -9 of the events stream's leading NATS node, its restart, kill -9 of a
replica of every service, their restart), ``load_and_faults`` that runs the load of
``bench.lib.cluster_load`` under a schedule and returns the figures, and ``problems``:
which guarantees a run's figures break. ``bench/chaos.py`` reports them;
tests/e2e/test_cluster.py asserts on them."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

from bench.lib.cluster_load import RETRYABLE, Options, Run, booking_worker, message_worker
from bench.lib.common import quantile, say
from bench.lib.consistency import settle, verify
from services.runner import SERVICES_WITH_SCHEMA, Stack
from shared import bus
from shared.mailsink import Mailbox

ENV = {
    "WARDMATE_ENVIRONMENT": "test",
    "WARDMATE_LOG_LEVEL": "WARNING",
    "WARDMATE_RATE_LIMIT_PER_S": "0",
    "WARDMATE_MESSAGE_RATE_PER_MINUTE": "100000",
    # A booking worker's student asks for one night of the same room after another, far
    # more often than any guest may (the load measures the system, not the limits).
    "WARDMATE_BOOKING_REQUESTS_PER_LISTING": "100000",
    "WARDMATE_BOOKING_REQUESTS_PER_GUEST": "100000",
}


def cluster_stack(data_dir: Path, own_postgres: tuple[str, ...] = ()) -> Stack:
    """``make run-cluster``'s system; ``own_postgres``: services with a Postgres of their own."""
    return Stack(data_dir, fsync=False, nats_nodes=3, replicas=2, extra_env=ENV, own_postgres=own_postgres)


def p99(values: list[float]) -> float:
    return quantile(values, 99)


async def stream_leader(stack: Stack) -> str:
    """The cluster node (``nats-N``) that leads the events stream."""
    assert stack.nats_url
    nc = await bus.connect(stack.nats_url, "chaos-probe")
    try:
        for _ in range(50):
            cluster = await bus.stream_cluster(nc)
            if cluster and cluster["nodes"]:
                leader = cluster["nodes"][0]["name"]
                return next(k for k, (_, node) in stack.cluster_specs.items() if node.name == leader)
            await asyncio.sleep(0.2)
    finally:
        await nc.close()
    raise RuntimeError("no leader for the events stream")


async def faults(stack: Stack, run: Run, opts: Options) -> None:
    """The fault schedule, after the workers' setup and the warm-up; sets ``run.stop`` at its end."""
    await run.all_ready.wait()
    await asyncio.sleep(opts.warmup)
    node = await stream_leader(stack)
    say(f"kill -9 {node} (the events stream's leader)")
    run.faults["nats_node_killed"] = run.now()
    stack.nats_cluster[node].proc.kill()
    await asyncio.sleep(opts.gap)
    say(f"restarting {node}")
    await asyncio.to_thread(stack.start_nats_node, node)
    run.faults["nats_node_restarted"] = run.now()
    await asyncio.sleep(opts.gap)
    keys = [f"{name}-1" for name in SERVICES_WITH_SCHEMA]
    say(f"kill -9 {', '.join(keys)}")
    run.faults["replicas_killed"] = run.now()
    for key in keys:
        stack.procs.pop(key).kill()
    await asyncio.sleep(opts.gap)
    say("restarting them")
    for name in SERVICES_WITH_SCHEMA:
        stack.start(name, 1)
    run.faults["replicas_restarted"] = run.now()
    await asyncio.sleep(opts.tail)
    run.stop.set()


def recovery(run: Run, target_ms: float, window: float = 1.0, step: float = 0.25) -> dict[str, float | None]:
    """Seconds from each kill until p99 is back under target for good: to the end of the
    last sliding ``window`` (answers by their arrival) over target before the next kill;
    0 when none was; None when the last window before the next kill (or the end) still was."""
    kills = sorted((at, name) for name, at in run.faults.items() if name.endswith("_killed"))
    end = run.samples[-1].at if run.samples else 0.0
    out: dict[str, float | None] = {}
    for i, (start, name) in enumerate(kills):
        stop = kills[i + 1][0] if i + 1 < len(kills) else end
        last_bad, last_window_bad, at = None, False, start
        while at + window <= stop:
            values = [s.ms for s in run.samples if at <= s.at < at + window]
            last_window_bad = bool(values) and p99(values) > target_ms
            if last_window_bad:
                last_bad = at + window
            at += step
        label = name.removesuffix("_killed")
        out[label] = None if last_window_bad else round((last_bad or start) - start, 2)
    return out


Schedule = Callable[[Stack, Run, Options], Awaitable[None]]


async def load_and_faults(stack: Stack, opts: Options, schedule: Schedule = faults) -> dict[str, Any]:
    """The load under ``schedule`` (which sets ``run.stop``), then the checks; the figures."""
    run = Run(workers=opts.booking_workers + opts.message_workers, mailbox=Mailbox(stack.mail_dir))
    bases = stack.gateway_urls
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        workers: list[Awaitable[None]] = [booking_worker(http, bases, run, n) for n in range(opts.booking_workers)]
        workers += [message_worker(http, bases, run, n) for n in range(opts.message_workers)]
        say(
            f"load through {len(bases)} gateways: {opts.booking_workers} booking workers,"
            f" {opts.message_workers} message workers"
        )
        await asyncio.gather(*workers, schedule(stack, run, opts))
    say("load stopped; waiting for every consumer to catch up")
    await settle(stack)
    checks = await verify(stack, run)
    first_fault = min((at for name, at in run.faults.items() if name != "load_ready"), default=run.now())
    warm = [s.ms for s in run.samples if run.faults["load_ready"] <= s.at < first_fault]
    baseline = p99(warm)
    target = opts.p99_target_ms or max(2 * baseline, 100.0)
    rec = recovery(run, target)
    worst = {
        fault.removesuffix("_killed"): round(
            max(
                (
                    p99(values)
                    for at in (run.faults[fault] + i * 0.25 for i in range(int(opts.gap * 4)))
                    if (values := [x.ms for x in run.samples if at <= x.at < at + 1.0])
                ),
                default=0.0,
            ),
            1,
        )
        for fault in ("nats_node_killed", "replicas_killed")
        if fault in run.faults
    }
    statuses = Counter(s.status for s in run.samples)
    return {
        "requests": len(run.samples),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "failed": sum(run.failed.values()),
        "failed_not_503_504": sum(n for status, n in run.failed.items() if status not in RETRYABLE),
        "failed_unrecovered": len(run.unrecovered),
        "failovers": run.failovers,
        "unrecovered": run.unrecovered[:5],
        **checks,
        "baseline_p99_ms": round(baseline, 1),
        "p99_target_ms": round(target, 1),
        "recovery_s": rec,
        "worst_p99_ms_after": worst,
        "faults_at_s": {k: round(v, 2) for k, v in run.faults.items()},
    }


def problems(result: dict[str, Any], timing: bool = True) -> list[str]:
    """What a run's figures break of the guarantees (empty: all hold); ``timing``: the p99
    recovery too (a benchmark's figure, which the tests do not assert on)."""
    found = [
        f"{key} = {result[key]}"
        for key in (
            "failed_not_503_504",
            "failed_unrecovered",
            "accepted_bookings_lost",
            "accepted_missing_in_matching",
            "events_applied_twice",
            "events_never_applied",
            "messages_lost",
            "messages_doubled",
        )
        if result[key]
    ]
    if timing:
        found += [f"p99 never recovered after {k}" for k, v in result["recovery_s"].items() if v is None]
    return found
