"""The cluster of ``make run-cluster`` under faults, a short run of ``make chaos``: three
NATS servers and two replicas of everything (listings on a Postgres of its own; the
``cluster`` fixture of tests/e2e/conftest.py), a NATS node and a replica of every service
killed with -9 and restarted under load through both gateways."""

from __future__ import annotations

import aiohttp
import asyncpg

from bench.lib.faults import Options, load_and_faults, problems
from services.runner import Stack


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
