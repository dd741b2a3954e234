"""End-to-end fixtures beyond the session's one system (tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.lib.faults import cluster_stack
from services.runner import Stack
from tests.conftest import Infra


@pytest.fixture(scope="session")
def cluster(infra: Infra) -> Iterator[Stack]:
    """``make run-cluster``'s system, started once for the tests that need it: three NATS
    servers in a cluster, two replicas of every service and of the gateway, and listings
    on a Postgres server of its own (a database per service works too)."""
    with cluster_stack(infra.data_dir / "cluster", own_postgres=("listings",)).running(timeout=180) as stack:
        stack.wait_healthy(timeout=120, gateway=1)
        yield stack
