"""The cluster of ``make run-cluster`` under faults, a short run of ``make chaos``: three
NATS servers and two replicas of everything (listings on a Postgres of its own; the
``cluster`` fixture below), a NATS node and a replica of every service killed with -9 and
restarted under load through both gateways; a NATS node hung with SIGSTOP, which its
clients leave within seconds; and a rolling restart of every replica under load."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator

import aiohttp
import asyncpg
import pytest
from nats.errors import TimeoutError as NatsTimeoutError

from bench.lib.cluster_load import Run
from bench.lib.faults import Options, cluster_stack, load_and_faults, problems
from services.runner import PROCESSES, Stack
from shared import bus
from shared.mailsink import Mailbox
from tests.api import PASSWORD, Api
from tests.conftest import Infra
from tests.eventually import eventually


@pytest.fixture(scope="module")
def cluster(infra: Infra) -> Iterator[Stack]:
    """``make run-cluster``'s system, started once for this file's tests and stopped after
    them (its 20 processes would otherwise idle, and spend CPU, to the session's end): three
    NATS servers in a cluster, two replicas of every service and of the gateway, and
    listings on a Postgres server of its own (a database per service works too)."""
    with cluster_stack(infra.data_dir / "cluster", own_postgres=("listings",)).running(timeout=180) as stack:
        stack.wait_healthy(timeout=120, gateway=1)
        yield stack


async def test_cluster_survives_a_nats_node_and_a_replica_of_each_service(cluster: Stack) -> None:
    """Both gateways report the three NATS servers holding the events stream; under load,
    the faults cost only 503/504s that succeed when retried, no accepted booking, no event
    lost or applied twice, no message lost or doubled."""
    async with aiohttp.ClientSession() as http:
        for base in cluster.gateway_urls:
            async with http.get(f"{base}/api/v1/health") as r:
                health = await r.json()
            assert r.status == 200, health
            nodes = health["cluster"]["nodes"]
            assert sorted(n["name"] for n in nodes) == ["wardmate-n1", "wardmate-n2", "wardmate-n3"]
            assert [n["role"] for n in nodes].count("leader") == 1 and all(n["current"] for n in nodes)

    # listings' tables are on its own server only; the other services' on the shared one.
    assert cluster.postgres is not None and set(cluster.postgres_of) == {"listings"}
    for server, present, absent in (
        (cluster.postgres_of["listings"].url, {"listings"}, {"accounts", "messaging", "matching"}),
        (cluster.postgres.url, {"accounts", "messaging", "matching"}, {"listings"}),
    ):
        conn = await asyncpg.connect(server)
        schemas = {r["schemaname"] for r in await conn.fetch("SELECT DISTINCT schemaname FROM pg_tables")}
        await conn.close()
        assert present <= schemas and not absent & schemas, (server, schemas)

    # The tail outlasts the gateway's 5 s timeout after the replicas' kill, so the 504s of
    # requests caught in flight arrive, and are retried, while the load still runs.
    result = await load_and_faults(
        cluster, Options(warmup=1.0, gap=2.0, tail=4.0, booking_workers=2, message_workers=2)
    )
    assert problems(result, timing=False) == [], result
    assert result["bookings_accepted"] > 0 and result["messages_sent"] > 0, result
    assert set(result["recovery_s"]) == {"nats_node", "replicas"}, result  # measured (make chaos reports it)


async def login_status(http: aiohttp.ClientSession, base: str, email: str) -> int:
    """One login through gateway ``base``: its status, 0 when it does not answer in 8 s."""
    try:
        async with http.post(
            f"{base}/api/v1/auth/login",
            json={"email": email, "password": PASSWORD},
            timeout=aiohttp.ClientTimeout(total=8),
        ) as r:
            return r.status
    except (TimeoutError, aiohttp.ClientError):
        return 0


async def all_current(http: aiohttp.ClientSession, base: str, timeout: float) -> None:
    """Wait until gateway ``base`` is healthy with all three nodes current."""
    deadline = time.monotonic() + timeout
    while True:
        async with http.get(f"{base}/api/v1/health") as r:
            health = await r.json()
        nodes = (health.get("cluster") or {}).get("nodes", [])
        if r.status == 200 and len(nodes) == 3 and all(n["current"] for n in nodes):
            return
        assert time.monotonic() < deadline, health
        await asyncio.sleep(0.5)


async def test_a_hung_nats_node_is_left_within_seconds(cluster: Stack) -> None:
    """The NATS node under the first gateway is stopped with SIGSTOP (it keeps its sockets
    open and answers nothing): both gateways answer health within 3 s meanwhile, and
    logins through both succeed again within 15 s (the clients' pings notice the silent
    server after 3-4 s and they move to another node; before, ~75 s of 504s)."""
    async with aiohttp.ClientSession() as http, Api(cluster.url, Mailbox(cluster.mail_dir)) as api:
        user = await api.signup("student", "Hung Node")
        async with http.get(f"{cluster.url}/api/v1/health") as r:
            connected = (await r.json())["cluster"]["connected_to"]
        node = next(k for k, s in cluster.nats_cluster.items() if connected.endswith(f":{s.port}"))
        pid = cluster.nats_cluster[node].proc.pid
        os.kill(pid, signal.SIGSTOP)
        stopped = time.monotonic()
        try:
            await asyncio.sleep(1.0)
            for base in cluster.gateway_urls:
                asked = time.monotonic()
                async with http.get(f"{base}/api/v1/health", timeout=aiohttp.ClientTimeout(total=10)) as r:
                    await r.read()
                assert time.monotonic() - asked < 3.0, f"{base} health took {time.monotonic() - asked:.1f} s"
            # Recovered: 5 logins in a row through each gateway answered 200.
            streak = dict.fromkeys(cluster.gateway_urls, 0)
            since: dict[str, float] = {}
            while min(streak.values()) < 5:
                assert time.monotonic() - stopped < 45, streak
                statuses = await asyncio.gather(*(login_status(http, b, user.email) for b in streak))
                for base, status in zip(streak, statuses, strict=True):
                    if status == 200:
                        since.setdefault(base, time.monotonic())
                        streak[base] += 1
                    else:
                        since.pop(base, None)
                        streak[base] = 0
                await asyncio.sleep(0.1)
            recovered = max(since.values()) - stopped
            print(f"logins through both gateways back {recovered:.1f} s after the SIGSTOP")
            assert recovered < 15, f"logins failed for {recovered:.1f} s after the SIGSTOP"
        finally:
            os.kill(pid, signal.SIGCONT)
        for base in cluster.gateway_urls:
            await all_current(http, base, timeout=60)


async def test_health_names_a_stream_without_leader_and_answers_quickly(cluster: Stack) -> None:
    """Two of the three nodes stopped (no quorum, no stream leader): the gateway on the
    third answers health within 2.5 s each time and comes to say ``"state": "no_leader"``
    (it used to answer ``"cluster": null`` after ~1 s per call); all current again after."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{cluster.url}/api/v1/health") as r:
            connected = (await r.json())["cluster"]["connected_to"]
        others = [s.proc.pid for s in cluster.nats_cluster.values() if not connected.endswith(f":{s.port}")]
        assert len(others) == 2
        for pid in others:
            os.kill(pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 20
            while True:
                asked = time.monotonic()
                async with http.get(f"{cluster.url}/api/v1/health", timeout=aiohttp.ClientTimeout(total=10)) as r:
                    health = await r.json()
                assert time.monotonic() - asked < 2.5, f"health took {time.monotonic() - asked:.1f} s"
                if (health.get("cluster") or {}).get("state") == "no_leader":
                    break
                assert time.monotonic() < deadline, health
                await asyncio.sleep(0.3)
            # Either JetStream did not answer (no nodes listed) or it answered without a leader.
            assert health["cluster"]["name"] == "wardmate", health
            assert all(n["role"] != "leader" for n in health["cluster"]["nodes"]), health
        finally:
            for pid in others:
                os.kill(pid, signal.SIGCONT)
        for base in cluster.gateway_urls:
            await all_current(http, base, timeout=60)


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
