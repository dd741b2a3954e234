"""Fault tests: a rolling restart of every replica under load, and the NATS server restarted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
from collections.abc import Iterator

import pytest
from nats.errors import TimeoutError as NatsTimeoutError

from bench.lib.cluster_load import Options, Run
from bench.lib.faults import load_and_faults, problems
from services.runner import PROCESSES, Stack
from shared import bus
from shared.embedded import start_nats
from shared.mailsink import Mailbox
from tests.api import Api, User
from tests.conftest import TEST_ENV, Infra
from tests.e2e.helpers import create_listing, request_stay
from tests.eventually import eventually


async def replicas(nats_url: str, service: str, want: int, timeout: float = 60) -> None:
    """Wait until ``want`` replicas of ``service`` answer ``$SRV.PING`` (all of them reply
    to one ping: count the answers that arrive within a short window)."""
    nc = await bus.connect(nats_url, "replica-probe")

    async def answering() -> int:
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox)
        await nc.publish(f"$SRV.PING.{service}", b"", reply=inbox)
        ids = set()
        with contextlib.suppress(TimeoutError, NatsTimeoutError):
            while True:
                msg = await sub.next_msg(timeout=0.3)
                ids.add(json.loads(msg.data)["id"])
        await sub.unsubscribe()
        return len(ids)

    try:
        # No pause between probes: each one already listens 0.3 s for the answers.
        await eventually(
            answering, timeout, what=f"{want} replicas of {service} to answer", until=want.__eq__, interval=0
        )
    finally:
        await nc.close()


def logs_since(stack: Stack, marks: dict[str, int]) -> dict[str, str]:
    """Each process's log past the offset in ``marks``."""
    texts = {}
    for key, offset in marks.items():
        with open(stack.data_dir / "logs" / f"{key}.log", "rb") as log:
            log.seek(offset)
            texts[key] = log.read().decode(errors="replace")
    return texts


def log_sizes(stack: Stack) -> dict[str, int]:
    return {key: (stack.data_dir / "logs" / f"{key}.log").stat().st_size for key in stack.procs}


async def rolling_restart(stack: Stack, run: Run, opts: Options) -> None:
    """Restart every replica with SIGTERM (each exits cleanly by itself), the two of each
    process one after the other, the other one serving meanwhile; the processes roll side
    by side, as an orchestrator rolls its deployments. Stops the load."""
    assert stack.nats_url
    nats_url = stack.nats_url
    await run.all_ready.wait()
    await asyncio.sleep(opts.warmup)

    async def roll(name: str) -> None:
        for index in (0, 1):
            key = name if index == 0 else f"{name}-1"
            code = await asyncio.to_thread(stack.stop_process, key, signal.SIGTERM, 15)
            run.faults[f"{key}_stopped"] = run.now()
            assert code == 0, f"{key} exited with {code}"
            stack.start(name, index)
            started = time.monotonic()
            # Back in service before the other one stops: a service with no replica in its
            # queue group answers 503, a gateway that is down refuses connections. Twelve
            # processes restart on 2 cores under load: on a quiet machine a replica came
            # back in 8-22 s, listings (whose place lists cost 2 s of CPU) in 25-30 s, so
            # each gets a minute, as the gateway does.
            if name == "gateway":
                await asyncio.to_thread(stack.wait_healthy, 60, index)
            else:
                try:
                    await replicas(nats_url, name, 2)
                except AssertionError as error:
                    log = stack.data_dir / "logs" / f"{key}.log"
                    tail = log.read_text(errors="replace")[-6000:]
                    raise AssertionError(f"{error}; the end of {log}:\n{tail}") from None
            print(f"{key} back in {time.monotonic() - started:.1f} s", flush=True)

    await asyncio.gather(*(roll(name) for name in PROCESSES))
    await asyncio.sleep(opts.tail)
    run.stop.set()


async def test_rolling_restart_of_every_service_and_the_gateway_loses_nothing(cluster: Stack) -> None:
    """Under load through both gateways (bookings requested and accepted, messages sent),
    the two replicas of every service and of the gateway are restarted one after the other
    with SIGTERM: every process exits cleanly, no request fails (the only retries are a
    client moving to the other gateway while one restarts), no accepted booking or
    message is lost or doubled, and every event reaches every consumer once."""
    # The cluster (tests/e2e/conftest.py) runs two replicas of every process.
    stack = cluster
    # Senders keep under messaging's 30 messages a minute per user (the test system's limit).
    result = await load_and_faults(
        stack,
        Options(warmup=0.5, tail=0.5, booking_workers=1, message_workers=1),
        schedule=rolling_restart,
    )
    assert problems(result, timing=False) == [], result
    assert result["failed"] == 0, result  # not even a 503 or 504
    stops = [key for key in result["faults_at_s"] if key.endswith("_stopped")]
    assert len(stops) == 2 * len(PROCESSES), stops
    assert result["bookings_accepted"] > 0 and result["messages_sent"] > 0, result


@pytest.fixture
def own_nats_stack(infra: Infra) -> Iterator[Stack]:
    """A second system with a NATS server of its own, so restarting it spares the others."""
    url = infra.create_database("fault")
    system = Stack(infra.data_dir / url.rsplit("/", 1)[1], database_url=url, extra_env=TEST_ENV)
    with system.running():
        yield system


async def test_nats_restart_fails_fast_then_recovers(own_nats_stack: Stack) -> None:
    """While NATS is down requests fail fast with 503; after it returns, everything works,
    including events written during the outage."""
    stack = own_nats_stack
    async with Api(stack.url, Mailbox(stack.mail_dir)) as api:
        host = await api.signup("professional")
        student = await api.signup("student")
        listing = await create_listing(api, host)
        assert stack.nats is not None
        port = stack.nats.port
        marks = log_sizes(stack)
        stack.nats.stop()

        started = time.monotonic()
        down = await api.call("GET", "/me", host)
        assert down.status == 503 and down.error_code == "unavailable", down.body
        assert time.monotonic() - started < 1.0
        health = await api.call("GET", "/health")
        assert health.status == 503

        # NATS returns only once every process has failed a few reconnect attempts (each
        # logs "nats error"), so the recovery below is from a real outage, not a blip.
        await eventually(
            lambda: {key: text.count("nats error") for key, text in logs_since(stack, marks).items()},
            30,
            what="every process to fail reconnecting to NATS a few times",
            until=lambda failures: min(failures.values()) >= 3,
            interval=0.1,
        )
        stack.nats = start_nats(stack.data_dir / "nats", port=port)
        await eventually(
            lambda: api.call("GET", "/health"), 30, what="the system to recover", until=lambda r: r.status == 200
        )

        booking = await request_stay(api, student, listing["id"])
        assert booking.status == 201, booking.body
        accepted = await api.call("POST", f"/bookings/{booking.body['id']}/accept", host)
        assert accepted.status == 200
        again: User = await api.signup("student")
        assert again.token
